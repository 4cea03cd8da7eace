"""Sweeps and sensitivity analyses apply their values from a date (``--from``, default:
the scenario's start_year), so the warm-up that builds the first year's pipeline is not
rewritten unless asked (``--from whole``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import investsim
from investsim.analyses.params import apply_from, parse_from
from investsim.analyses.sweep import plan_sweep, run_sweep
from investsim.errors import InputError

SHORT = ["horizon_years=4", "warmup_years=3"]


def _totals(folder: Path, key: str) -> list[float]:
    import pandas as pd

    reps = pd.read_parquet(folder / "points" / f"{key}.parquet")
    return reps.groupby("replication")["investment"].sum().tolist()


def test_a_sweep_applies_its_values_from_start_year_by_default(tmp_path: Path) -> None:
    base = investsim.default_scenario_path()
    plan = plan_sweep(base, ["financing.sources.bank.supply=37,60"], [], tmp_path / "s", 16, 2019, SHORT)
    assert plan.start == 2019
    scenario = plan.scenarios[1]
    assert scenario.config.financing.sources["bank"].supply == 37  # the warm-up keeps the base's
    [change] = scenario.changes
    assert (change.name, change.time) == ("varied from 2019", 0.0)
    assert change.config.financing.sources["bank"].supply == 60
    run_sweep(plan)
    low, high = (_totals(tmp_path / "s", key) for key in plan.keys)
    # more credit from 2019 raises cumulative investment (paired: common random numbers)
    diff = [h - lo for lo, h in zip(low, high, strict=True)]
    mean = sum(diff) / len(diff)
    se = (sum((d - mean) ** 2 for d in diff) / (len(diff) - 1) / len(diff)) ** 0.5
    assert mean > 2 * se, diff
    manifest = json.loads((tmp_path / "s" / "manifest.json").read_text())
    assert manifest["applied_from"] == "1 January 2019"


def test_whole_applies_them_to_the_warm_up_too(tmp_path: Path) -> None:
    base = investsim.default_scenario_path()
    plan = plan_sweep(
        base, ["financing.sources.bank.supply=60"], [], tmp_path / "w", 2, 1, SHORT, start="whole"
    )
    assert plan.start is None
    assert plan.scenarios[0].config.financing.sources["bank"].supply == 60
    assert plan.scenarios[0].changes == ()


def test_a_later_policy_of_the_scenario_still_takes_over_at_its_date(baseline: investsim.Scenario) -> None:
    # credit_tightening cuts bank credit in 2021-07: a value swept from 2019 holds until then
    tightening = investsim.load_scenario(baseline.source.replace("baseline", "credit_tightening"))
    varied = apply_from(tightening, {"financing.sources.bank.supply": 50.0}, 2019)
    supplies = [(ch.name, ch.config.financing.sources["bank"].supply) for ch in varied.changes]
    assert supplies[0] == ("varied from 2019", 50.0)
    assert supplies[-1][1] != 50.0  # the cut from 2021-07 applies on top of the scenario's base


@pytest.mark.parametrize(("text", "message"), [("1990", "the simulation runs"), ("soon", "give a year")])
def test_a_bad_from_is_refused(baseline: investsim.Scenario, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_from(text, baseline)


def test_a_key_no_policy_can_change_needs_whole(baseline: investsim.Scenario) -> None:
    with pytest.raises(InputError, match="needs --from whole"):
        apply_from(baseline, {"horizon_years": 5}, 2019)
