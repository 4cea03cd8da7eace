"""The defects an independent audit of the model found, each pinned by its repro.

1-2. Events at the same instant happen in a stated order (model.clock): the year's refill,
     then the policies of the day, then waiting claims are served, then arrivals; so the
     register's projects and a policy dated 1 January see that year's money.
3.   Policies reach claims already waiting: priority, guarantee-pool eligibility, max_wait.
4.   ``--precision`` stops at the same count whatever the number of workers (test_scale).
5.   A register project past land does not spend its land money again.
6.   The register's projects stand for warm-up projects instead of coming on top of them.
7.   A land budget set by a policy reports a finite supply; a policy that leaves arrivals
     alone leaves every arrival time as it was, to the last bit.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import investsim
from helpers import fixed, write_scenario
from investsim.scenario.overrides import unshare

YEARS = 3


def _base(**extra: Any) -> dict[str, Any]:
    """A 2020-2022 scenario with one sector 'a' of no new projects, 10 each, built in 12 months."""
    sector = {
        "arrivals": {"rate": 0},
        "size": fixed(10),
        "construction": fixed(12),
        "funding": {"bank": 1.0},
    }
    data: dict[str, Any] = {
        "name": "audit",
        "start_year": 2020,
        "horizon_years": YEARS,
        "seed": 3,
        "replications": 1,
        "sectors": {"a": sector},
        "financing": {"sources": {"bank": {"supply": 20}}},
    }
    for key, value in extra.items():
        data[key] = value
    return data


def _run(tmp_path: Path, data: dict[str, Any], rows: list[str], **kw: Any) -> investsim.Forecast:
    path = write_scenario(tmp_path, data, rows)
    return investsim.simulate(investsim.load_scenario(path), 1, 3, project_log=True, **kw)


def _investment(forecast: investsim.Forecast) -> list[float]:
    return [round(float(x), 9) for x in forecast.replications["investment"]]


def _in_financing(n: int, size: float = 10) -> list[str]:
    return [f"P{i},a,{size},financing,0" for i in range(1, n + 1)]


# 1. the register's projects are served after the year's refill and the policies of the day


@pytest.mark.parametrize("warmup", [0, 1, 3])
def test_register_projects_see_the_new_years_money_whatever_the_warmup(tmp_path: Path, warmup: int) -> None:
    # four projects of 10 waiting for a bank that gives 20 a year: two a year
    forecast = _run(tmp_path, _base(warmup_years=warmup), _in_financing(4))
    assert _investment(forecast) == [20.0, 20.0, 0.0]
    committed = forecast.replications["financing_committed_bank"].tolist()
    assert committed == [20.0, 20.0, 0.0]  # booked to the year the money was given


@pytest.mark.parametrize("warmup", [0, 1])
def test_a_policy_of_the_first_day_applies_to_the_register_whatever_the_warmup(
    tmp_path: Path, warmup: int
) -> None:
    data = _base(warmup_years=warmup)
    data["financing"] = {"sources": {"bank": {"supply": 1000}}}
    data["policies"] = [
        {"name": "faster building", "from": 2020, "set": {"sectors.a.construction": fixed(6)}}
    ]
    forecast = _run(tmp_path, data, _in_financing(3))
    # built in six months from 1 January 2020, not twelve
    assert _investment(forecast) == [30.0, 0.0, 0.0]
    log = forecast.projects
    assert log is not None
    np.testing.assert_allclose(log["completed"], 0.5)


# 2. a policy dated 1 January acts after that day's refill


def test_a_ceiling_raised_on_1_january_is_served_with_that_years_money_only(tmp_path: Path) -> None:
    data = _base(horizon_years=4)
    data["financing"] = {"sources": {"bank": {"supply": 20, "debt_ceiling": 10}}}
    data["policies"] = [
        {"name": "higher ceiling", "from": 2022, "set": {"financing.sources.bank.debt_ceiling": 1000}}
    ]
    forecast = _run(tmp_path, data, _in_financing(8))
    log = forecast.projects
    assert log is not None
    starts = log["construction_start"].dropna().sort_values().tolist()
    # one under the ceiling of 10 in 2020, none in 2021; then two a year (20 a year), not
    # four at once with 2021's unused money booked to 2021
    assert starts == [0.0, 2.0, 2.0, 3.0, 3.0]
    committed = forecast.replications["financing_committed_bank"].tolist()
    assert committed == [10.0, 0.0, 20.0, 20.0]


# 3. policies reach the claims already waiting


def test_key_first_reorders_the_claims_already_waiting(tmp_path: Path) -> None:
    data = _base(key_project_threshold=10.5)
    data["financing"] = {"sources": {"bank": {"supply": 10.5}}}
    data["policies"] = [{"name": "key first", "from": "2020-06", "set": {"financing.priority": "key_first"}}]
    rows = [*_in_financing(3), "K,a,10.5,financing,0"]
    log = _run(tmp_path, data, rows).projects
    assert log is not None
    start = log.set_index("project")["construction_start"]
    # P1 takes 2020's money at once; from June the key project K is first in line for 2021's
    assert (start["P1"], start["K"], start["P2"]) == (0.0, 1.0, 2.0)
    assert math.isnan(start["P3"])  # 2022's money went to P2; P3 is still waiting


def test_a_guarantee_pool_reaches_the_claims_already_waiting(tmp_path: Path) -> None:
    data = _base()
    data["financing"] = {"sources": {"bank": {"supply": 5}}}
    data["policies"] = [
        {
            "name": "pool",
            "from": "2020-06",
            "set": {"financing.guarantee_pool": {"capital": 10, "leverage": 5, "sectors": ["a"]}},
        }
    ]
    log = _run(tmp_path, data, _in_financing(3)).projects
    assert log is not None
    # 2020's pool money from June (50 x 7/12) and the bank's 5 fund all three at once
    np.testing.assert_array_equal(log["construction_start"], [5 / 12] * 3)


def test_a_shorter_max_wait_reaches_the_claims_already_waiting(tmp_path: Path) -> None:
    data = _base()
    data["financing"] = {"sources": {"bank": {"supply": 10}}, "max_wait": 36}
    data["policies"] = [{"name": "impatient", "from": "2020-04", "set": {"financing.max_wait": 6}}]
    forecast = _run(tmp_path, data, _in_financing(3))
    assert forecast.projects is not None
    log = forecast.projects.set_index("project")
    assert log.loc["P1", "construction_start"] == 0.0
    # P2 and P3 have waited since 1 January: they give up six months after it, not in 2023
    for p in ("P2", "P3"):
        assert log.loc[p, "cancelled_stage"] == "financing"
        assert math.isnan(log.loc[p, "financing_end"])
    assert forecast.replications["cancelled_financing"].tolist() == [2, 0, 0]
    assert forecast.replications["financing_wait_months"].tolist()[0] == pytest.approx((0 + 6 + 6) / 3)


# 5. a register project past land spends only what is left of its cost


def test_register_projects_past_land_do_not_spend_their_land_money_again(tmp_path: Path) -> None:
    data = _base()
    data["financing"] = {"sources": {"own": "unlimited"}}
    data["resources"] = {"land_cost_share": 0.5}
    data["sectors"]["a"] |= {"approval": fixed(0), "land": fixed(12), "funding": {"own": 1.0}}
    rows = ["F,a,10,financing,0", "L,a,10,land,0.5", "A,a,10,approval,0"]
    forecast = _run(tmp_path, data, rows)
    # F: construction half (5) in 2020; L: what is left of land (2.5) in six months, then
    # construction (5) over mid-2020 to mid-2021; A: land (5) in 2020, construction (5) in 2021
    assert _investment(forecast) == [15.0, 7.5, 0.0]
    log = forecast.projects
    assert log is not None
    assert log.set_index("project")["cost"].to_dict() == {"F": 10.0, "L": 10.0, "A": 10.0}


# 6. the register and the warm-up share the pipeline


def _shared(tmp_path: Path) -> Path:
    """A scenario with a warm-up whose projects, once started, build in exactly two years."""
    data = {
        "name": "shared",
        "start_year": 2020,
        "horizon_years": 4,
        "warmup_years": 3,
        "sectors": {
            "a": {
                "arrivals": {"rate": 40},
                "size": {"dist": "lognormal", "median": 2, "p90": 6},
                "approval": {"dist": "gamma", "mean": 6, "cv": 0.5},
                "construction": fixed(24),
            }
        },
    }
    return write_scenario(tmp_path, data, name="shared.yaml")


def _register_of_its_own_pipeline(path: Path, seed: int, count: int) -> list[str]:
    """Rows naming ``count`` projects in construction on 1 January 2020 in replication 0 of
    ``seed`` without a register: their sizes and the share of their money spent."""
    log = investsim.simulate(investsim.load_scenario(path), 1, seed, project_log=True).projects
    assert log is not None
    building = log[(log.construction_start < 0) & (log.construction_start > -2)].head(count)
    assert len(building) == count
    # linear spending over two years: the share spent is the share of the two years gone
    return [
        f"R{k},a,{p.cost!r},construction,{-p.construction_start / 2!r}"
        for k, p in enumerate(building.itertuples())
    ]


def test_a_register_naming_projects_of_the_pipeline_leaves_the_forecast_as_it_was(tmp_path: Path) -> None:
    path = _shared(tmp_path)
    rows = _register_of_its_own_pipeline(path, 5, 12)
    alone = investsim.simulate(investsim.load_scenario(path), 1, 5)
    register = write_scenario(tmp_path, {**investsim.load_scenario(path).resolved}, rows, name="reg.yaml")
    forecast = investsim.simulate(investsim.load_scenario(register), 1, 5, project_log=True)
    # each named project stands for itself in the warm-up's pipeline: nothing is counted twice
    assert forecast.manifest["register_projects_replaced_mean"] == 12
    np.testing.assert_allclose(
        forecast.replications["investment"], alone.replications["investment"], rtol=1e-12, atol=1e-9
    )
    # on top of a full warm-up pipeline, as before, they would have added what was left of them
    left = sum(float(r.split(",")[2]) * (1 - float(r.split(",")[4])) for r in rows)
    assert left > 5


def test_a_replaced_warm_up_project_leaves_with_what_it_held(tmp_path: Path) -> None:
    path = _shared(tmp_path)
    rows = _register_of_its_own_pipeline(path, 5, 5)
    data = unshare(investsim.load_scenario(path).resolved)  # a changeable copy
    data["sectors"]["a"]["cancel"] = {"approval": 0.1, "land": 0.1}
    reg = write_scenario(tmp_path, data, rows, name="reg.yaml")
    forecast = investsim.simulate(investsim.load_scenario(reg), 2, 5, project_log=True)
    log = forecast.projects
    assert log is not None
    gone = log[log.replaced]
    assert len(gone) == 10  # five in each replication
    assert gone.construction_start.lt(0).all()  # in construction on 1 January, like the register's
    assert gone.completed.isna().all()  # they never complete: their spending stopped
    assert gone.cancelled_stage.isna().all()  # and they are not cancellations
    alone = investsim.simulate(
        investsim.load_scenario(write_scenario(tmp_path, data, name="alone.yaml")), 2, 5
    ).replications
    cancelled = ["cancelled_approval", "cancelled_land", "cancelled_financing"]
    pd.testing.assert_frame_equal(forecast.replications[cancelled], alone[cancelled])


# 7. smaller


def test_a_land_budget_set_by_a_policy_reports_a_finite_supply(tmp_path: Path) -> None:
    data = _base()
    data["resources"] = {"land_cost_share": 0.1}
    data["policies"] = [{"name": "land fund", "from": "2021-07", "set": {"resources.land_budget": 12}}]
    reps = _run(tmp_path, data, _in_financing(1)).replications
    supply = reps["land_budget_supply"].tolist()
    assert math.isinf(supply[0])  # unlimited all year
    assert supply[1:] == [6.0, 12.0]  # half of 2021 under the budget, then all of 2022


def test_a_policy_that_leaves_arrivals_alone_leaves_arrival_times_to_the_last_bit(tmp_path: Path) -> None:
    data = {
        "name": "pairs",
        "start_year": 2020,
        "horizon_years": 5,
        "sectors": {
            "a": {"arrivals": {"rate": 30, "growth": 0.07}, "size": fixed(1), "construction": fixed(12)}
        },
    }
    plain = investsim.simulate(
        investsim.load_scenario(write_scenario(tmp_path, data)), 2, 7, project_log=True
    )
    data["policies"] = [
        {"name": "more secretaries", "from": "2021-03", "set": {"resources.service_secretaries": 5}}
    ]
    other = investsim.simulate(
        investsim.load_scenario(write_scenario(tmp_path, data)), 2, 7, project_log=True
    )
    assert plain.projects is not None
    assert other.projects is not None
    pd.testing.assert_series_equal(plain.projects["arrived"], other.projects["arrived"], check_exact=True)


def test_utilisation_of_places_limited_by_a_policy_is_reported_after_it(tmp_path: Path) -> None:
    # unlimited approval places until 2021, then two: utilisation is busy time over 2 a year
    data = _base(horizon_years=3)
    data["financing"] = {"sources": {"own": "unlimited"}}
    data["sectors"]["a"] |= {"arrivals": {"rate": 30}, "approval": fixed(3), "funding": {"own": 1.0}}
    data["policies"] = [{"name": "two desks", "from": 2021, "set": {"resources.approval_capacity": 2}}]
    reps = _run(tmp_path, data, []).replications
    use = reps["approval_utilisation"].tolist()
    assert math.isnan(use[0])  # unlimited all of 2020: no share of it in use
    # 2021: the approvals under way on the day finish, so it can exceed 1 for a while
    assert 0.5 < use[1] < 2.0
    assert 0.9 < use[2] <= 1.0  # then a queue keeps both places busy (demand 7.5 places)
