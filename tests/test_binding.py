"""How binding each resource is (``binding_*`` and ``waiting_*``), against exact answers.

A capacity with Poisson arrivals and exponential work is an M/M/c queue: the long-run
share of time every place is taken with a queue, P(N >= c + 1) = C(c, a) * rho, and the
mean number waiting, Lq = C(c, a) * rho / (1 - rho), are Erlang C's. Money with
projects of known size standing in a known order has binding shares and numbers
waiting that can be worked out by hand, including a claim short of two sources, a
policy mid-year, give-ups, a debt ceiling whose repayments make room at a known moment
and the guarantee pool. The self-check that recounts the waiting claims one by one
catches a desk that forgets to count.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import investsim
from helpers import simulate_file, write_scenario
from investsim.errors import ModelCheckError
from investsim.model import money
from investsim.model.binding import WaitMeter, when_both
from investsim.model.pipeline import simulate_replication
from investsim.scenario.loading import load_scenario

Z = 4.0  # tolerance in standard errors


def _mean_close(x: Any, expected: float, what: str) -> None:
    a = np.asarray(x, dtype=float)
    m, se = a.mean(), a.std(ddof=1) / math.sqrt(len(a))
    assert se > 0, f"{what}: no variation, the check would be meaningless"
    assert abs(m - expected) <= Z * se, f"{what}: {m:.5g} vs {expected:.5g} (SE {se:.3g})"


def _erlang(lam: float, mu: float, c: int) -> tuple[float, float]:
    """(P(all c places taken and a queue), mean number waiting) of an M/M/c queue."""
    a, rho = lam / mu, lam / (c * mu)
    top = a**c / math.factorial(c) / (1 - rho)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)  # Erlang C
    return p_wait * rho, p_wait * rho / (1 - rho)


def _per_replication(reps: pd.DataFrame, column: str) -> pd.Series:
    """Each replication's mean over the years: independent of one another."""
    return reps.groupby("replication")[column].mean()


@pytest.mark.parametrize("stage", ["approval", "land"])
def test_a_capacity_binds_as_erlang_c_says(tmp_path: Path, stage: str) -> None:
    c, lam, mu = 3, 27.0, 12.0  # places, arrivals a year, work a year per place: rho = 0.75
    exponential = {"dist": "exponential", "mean": 12 / mu}
    config = {
        "name": f"mmc-{stage}",
        "start_year": 2020,
        "horizon_years": 12,
        "warmup_years": 6,  # starts empty: steady state by 2020
        "resources": {f"{stage}_capacity": c},
        "sectors": {
            "a": {
                "arrivals": {"rate": lam},
                "size": {"dist": "fixed", "value": 1},
                stage: exponential,
                "construction": {"dist": "fixed", "value": 0},
            }
        },
    }
    reps = simulate_file(write_scenario(tmp_path, config), 80, 11).replications
    binding, lq = _erlang(lam, mu, c)
    _mean_close(_per_replication(reps, f"binding_{stage}_capacity"), binding, "share of time binding")
    _mean_close(_per_replication(reps, f"waiting_{stage}_capacity"), lq, "mean number waiting")
    assert reps[f"binding_{stage}_capacity"].between(0, 1).all()


def test_an_unlimited_capacity_never_binds(tmp_path: Path) -> None:
    config = {
        "name": "free",
        "start_year": 2020,
        "horizon_years": 3,
        "sectors": {
            "a": {
                "arrivals": {"rate": 50},
                "size": {"dist": "fixed", "value": 1},
                "approval": {"dist": "exponential", "mean": 6},
                "construction": {"dist": "fixed", "value": 0},
            }
        },
    }
    reps = simulate_file(write_scenario(tmp_path, config), 3, 1).replications
    assert (reps.binding_approval_capacity == 0).all()
    assert (reps.waiting_approval_capacity == 0).all()
    assert "binding_land_capacity" not in reps  # no land places: no lever, no columns


def _money_scenario(
    tmp_path: Path, sources: dict[str, Any], projects: list[tuple[str, float]], **extra: Any
) -> Path:
    """Projects of the register waiting in financing on 1 January 2020, in register order;
    one sector drawing on ``sources`` in equal shares."""
    config: dict[str, Any] = {
        "name": "money",
        "start_year": 2020,
        "horizon_years": 4,
        "sectors": {
            "a": {
                "size": {"dist": "fixed", "value": 10},
                "construction": {"dist": "fixed", "value": 12},
                "funding": {name: 1 / len(sources) for name in sources},
            }
        },
        "financing": {"sources": sources},
    }
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key] = config[key] | value
        else:
            config[key] = value
    rows = [f"{name},a,{cost},financing,0" for name, cost in projects]
    return write_scenario(tmp_path, config, rows)


def _yearly(path: Path, *columns: str) -> dict[str, list[float]]:
    reps = simulate_file(path, 1, 0).replications
    return {c: [round(x, 12) for x in reps[c]] for c in columns}


def test_money_binding_by_hand(tmp_path: Path) -> None:
    # four claims of 10 and 15 a year: one met each year, the others wait and are short
    path = _money_scenario(tmp_path, {"g": {"supply": 15}}, [(f"P{i}", 10) for i in range(4)])
    got = _yearly(path, "binding_source_g", "waiting_source_g")
    assert got == {"binding_source_g": [1, 1, 1, 0], "waiting_source_g": [3, 2, 1, 0]}


def test_a_policy_mid_year_ends_a_wait_part_way(tmp_path: Path) -> None:
    # from July 2021 the supply is 35: 5 + (35 - 15) / 2 = 15 left then, and P2 is met
    policy = {"name": "more", "from": "2021-07", "set": {"financing.sources.g.supply": 35}}
    path = _money_scenario(
        tmp_path, {"g": {"supply": 15}}, [(f"P{i}", 10) for i in range(4)], policies=[policy]
    )
    got = _yearly(path, "binding_source_g", "waiting_source_g")
    # 2021: two wait until July, one after; 2022: 35 meets the last at once
    assert got == {"binding_source_g": [1, 1, 0, 0], "waiting_source_g": [3, 1.5, 0, 0]}


def test_claims_that_give_up_stop_counting(tmp_path: Path) -> None:
    path = _money_scenario(
        tmp_path, {"g": {"supply": 15}}, [(f"P{i}", 10) for i in range(4)], financing={"max_wait": 3}
    )
    got = _yearly(path, "binding_source_g", "waiting_source_g")
    assert got == {"binding_source_g": [0.25, 0, 0, 0], "waiting_source_g": [0.75, 0, 0, 0]}


def test_a_claim_counts_for_each_source_it_is_short_of(tmp_path: Path) -> None:
    # shares of 5 from each source; "a" meets one claim a year, "b" three, "c" plenty
    sources = {"a": {"supply": 5}, "b": {"supply": 15}, "c": {"supply": 100}}
    path = _money_scenario(tmp_path, sources, [(f"P{i}", 15) for i in range(4)])
    got = _yearly(path, *(f"{w}_source_{s}" for w in ("binding", "waiting") for s in "abc"))
    assert got["binding_source_a"] == [1, 1, 1, 0]
    assert got["waiting_source_a"] == [3, 2, 1, 0]
    # b is short for the claims left once its 15 are gone: 0 of 3 in 2020 (it spends 5
    # on P0 only, a being empty), and never after
    assert got["binding_source_b"] == [0, 0, 0, 0]
    assert got["binding_source_c"] == [0, 0, 0, 0]


def test_a_claim_short_of_two_sources_counts_for_both(tmp_path: Path) -> None:
    sources = {"a": {"supply": 5}, "b": {"supply": 5}}
    path = _money_scenario(tmp_path, sources, [(f"P{i}", 10) for i in range(3)])
    got = _yearly(path, "waiting_source_a", "waiting_source_b", "binding_source_b")
    assert got == {
        "waiting_source_a": [2, 1, 0, 0],
        "waiting_source_b": [2, 1, 0, 0],
        "binding_source_b": [1, 1, 0, 0],
    }


def test_a_debt_ceiling_binds_until_repayments_make_room(tmp_path: Path) -> None:
    # P0 borrows 10 at once, the ceiling; repaid over a year, 5 of room by 1 July:
    # P1 (5) waits half a year, blocked by the ceiling and not by the supply
    sources = {"g": {"supply": 100, "debt_ceiling": 10, "repayment_years": 1}}
    path = _money_scenario(tmp_path, sources, [("P0", 10), ("P1", 5)])
    got = _yearly(path, "binding_source_g", "waiting_source_g")
    assert got == {"binding_source_g": [0.5, 0, 0, 0], "waiting_source_g": [0.5, 0, 0, 0]}


def test_the_guarantee_pool_counts_for_the_sectors_it_serves(tmp_path: Path) -> None:
    # bank 10 a year and a pool of 10 for sector "a" only; "a" also needs government money
    def sector(size: float, funding: dict[str, float]) -> dict[str, Any]:
        return {
            "size": {"dist": "fixed", "value": size},
            "construction": {"dist": "fixed", "value": 12},
            "funding": funding,
        }

    config: dict[str, Any] = {
        "name": "pool",
        "start_year": 2020,
        "horizon_years": 2,
        "sectors": {"a": sector(10, {"bank": 0.5, "gov": 0.5}), "b": sector(5, {"bank": 1.0})},
        "financing": {
            "sources": {"bank": {"supply": 10}, "gov": {"supply": 5}},
            "guarantee_pool": {"capital": 10, "leverage": 1, "sectors": ["a"]},
        },
    }
    # A0 takes 5 of the bank and the 5 of government; B0 the bank's other 5. B1 waits
    # for the bank; A1 waits for government only: the pool would pay its bank share
    rows = ["A0,a,10,financing,0", "B0,b,5,financing,0", "B1,b,5,financing,0", "A1,a,10,financing,0"]
    reps = simulate_file(write_scenario(tmp_path, config, rows), 1, 0).replications
    assert list(reps.waiting_source_bank) == [1, 0]  # 2021: both met with the new year's money
    assert list(reps.waiting_source_gov) == [1, 0]
    assert list(reps.binding_source_bank) == [1, 0]


def test_the_land_budget_binds_by_hand(tmp_path: Path) -> None:
    config = {
        "name": "land-money",
        "start_year": 2020,
        "horizon_years": 3,
        "sectors": {
            "a": {
                "size": {"dist": "fixed", "value": 10},
                "land": {"dist": "fixed", "value": 1},
                "construction": {"dist": "fixed", "value": 12},
            }
        },
        "resources": {"land_cost_share": 0.5, "land_budget": 5},
    }
    rows = [f"P{i},a,10,land,0" for i in range(3)]  # land money of 5 each, 5 a year
    reps = simulate_file(write_scenario(tmp_path, config, rows), 1, 0).replications
    assert list(reps.binding_land_budget) == [1, 1, 0]
    assert list(reps.waiting_land_budget) == [2, 1, 0]


def test_secretaries_bind_while_none_is_free_and_a_key_project_goes_without(tmp_path: Path) -> None:
    config = {
        "name": "secretaries",
        "start_year": 2020,
        "horizon_years": 2,
        "key_project_threshold": 0.5,
        "sectors": {
            "a": {
                "size": {"dist": "fixed", "value": 1},
                "approval": {"dist": "fixed", "value": 6},
                "construction": {"dist": "fixed", "value": 12},
            }
        },
        "resources": {"service_secretaries": 1, "secretary_effect": 0.5},
    }
    # P0 has the one secretary and is approved in 3 months; P1 goes without for 6
    reps = simulate_file(write_scenario(tmp_path, config, ["P0,a,1,approval,0", "P1,a,1,approval,0"]), 1, 0)
    got = reps.replications
    assert list(got.binding_secretaries.round(12)) == [0.25, 0]
    assert list(got.waiting_secretaries.round(12)) == [0.5, 0]


def test_the_meter_integrates_a_step_function_across_years() -> None:
    meter = WaitMeter(2, 3)
    meter.set(0, 2, 0.5)  # 2 from mid-2020...
    meter.set(0, 1, 1.25)  # ...1 from a quarter into 2021...
    meter.set(0, 0, 2.0)  # ...none from 2022
    meter.set(0, 4, 3.0)  # at the horizon: ends nothing
    bound, waiting = meter.years_of(0)
    np.testing.assert_allclose(bound, [0.5, 1.0, 0.0])
    np.testing.assert_allclose(waiting, [1.0, 0.5 + 0.75, 0.0])
    assert not meter.years_of(1)[0].any()


def test_when_both_needs_the_level_and_one_of_the_second_kind() -> None:
    first = (np.array([0.0, 0.0]), np.array([2.0, 1.0]))  # two with a place, one until 1, one until 2
    second = (np.array([0.5]), np.array([3.0]))
    level = (np.array([0.0, 1.5]), np.array([2.0, 1.0]))  # 2 places, then 1 from 1.5
    starts, ends = when_both(first, second, level)
    # 2 taken of 2 on [0.5, 1); 1 of 2 on [1, 1.5); 1 of 1 on [1.5, 2)
    assert sum(ends - starts) == pytest.approx(1.0)


def test_a_desk_that_forgets_to_count_fails_its_self_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_scenario(
        tmp_path,
        {
            "name": "forgetful",
            "start_year": 2020,
            "horizon_years": 3,
            "sectors": {
                "a": {
                    "arrivals": {"rate": 40},
                    "size": {"dist": "lognormal", "median": 1, "p90": 3},
                    "construction": {"dist": "fixed", "value": 6},
                    "funding": {"g": 0.5, "h": 0.5},
                },
                "b": {
                    "arrivals": {"rate": 20},
                    "size": {"dist": "lognormal", "median": 1, "p90": 3},
                    "construction": {"dist": "fixed", "value": 6},
                    "funding": {"h": 1.0},
                },
            },
            "financing": {"sources": {"g": {"supply": 10}, "h": {"supply": 30}}},
        },
    )
    # a claim met at once takes money that waiting claims were counting on: with two
    # sources, a claim short of one may become short of the other too
    scenario = load_scenario(path)
    simulate_replication(scenario, 1, 0)  # passes as it is
    monkeypatch.setattr(money.MoneyDesk, "_recount_for", lambda self, needs: None)
    with pytest.raises(ModelCheckError, match="counted as short of it"):
        simulate_replication(scenario, 1, 0)


def test_binding_columns_are_summarised(baseline: investsim.Scenario) -> None:
    annual = investsim.simulate(baseline.with_overrides({"horizon_years": 2}), 2, 3).annual
    for name in ("binding_source_bank_mean", "waiting_land_budget_mean", "binding_secretaries_mean"):
        assert name in annual
    assert annual.binding_source_government_mean.between(0, 1).all()


def test_run_names_what_binds_most_each_year(tmp_path: Path) -> None:
    from helpers import run_cli

    path = _money_scenario(tmp_path, {"g": {"supply": 15}}, [(f"P{i}", 10) for i in range(4)])
    done = run_cli("run", str(path), "-n", "1", "--out", "r", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    # binding 1, 1, 1, 0: nothing binds in 2023, so the line stops at 2022
    assert (
        "binds most (mean share of the year): g money 2020-2022 (100%); what one more unit is worth: "
        "investsim bottlenecks"
    ) in done.stdout
