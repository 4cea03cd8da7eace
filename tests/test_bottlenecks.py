"""The bottleneck map (``investsim bottlenecks``): what one more unit of a resource in one
year adds, checked where the answer is known exactly.

- Money: a backlog that never clears and projects of fixed size, so each extra unit of
  money starts exactly 1 / share more projects by the end (a marginal value of exactly
  1 / share, in every replication); a backlog the base clears before the end, so the
  extra money only brings investment forward (a timing shift).
- Places: a backlog of approvals of 6 months, so one more place for a year approves
  exactly two more projects (one in the last year: the second would end at the horizon).
- The claim the analysis rests on, that an extra unit of a resource that held no project
  up during the year changes nothing (so those runs are skipped and reported as 0), is
  checked by running them anyway; a step of 0 changes nothing at all; the extra is exactly
  the step in that year's supply, also when a policy changes the supply during the year.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import investsim
from helpers import LIBRARY, run_cli, write_scenario
from investsim.analyses.bottlenecks import (
    NEVER_BINDS,
    UNLIMITED,
    config_at,
    parse_steps,
    plan_bottlenecks,
    resources_of,
    run_bottlenecks,
    with_more,
)
from investsim.errors import InputError
from investsim.results.forecast import replications_frame
from investsim.runs.runner import run_replications
from investsim.scenario.loading import load_scenario

ACCOUNTS = (
    "financing_supply_",
    "financing_gap",
    "land_budget_supply",
    "approval_utilisation",
    "secretary_utilisation",
)
"""Accounts of what was made available (money, and places through the share in use): they
change with the amount even where nobody uses it."""


def _frame(scenario: investsim.Scenario, n: int = 3, seed: int = 5) -> pd.DataFrame:
    return replications_frame(scenario, run_replications(scenario, n, seed))


def _backlog(tmp_path: Path, share: float = 1.0, **extra: Any) -> Path:
    """Projects of cost 1/share wanting a share of 1 from source g (10 a year; the rest
    from h, which has plenty), 30 a year arriving and 20 already waiting: a backlog that
    never clears; no construction time, so a project's whole cost is invested the moment
    it starts."""
    funding = {"g": share} if share == 1 else {"g": share, "h": 1 - share}
    config: dict[str, Any] = {
        "name": "backlog",
        "start_year": 2020,
        "horizon_years": 4,
        "sectors": {
            "a": {
                "arrivals": {"rate": 30},
                "size": {"dist": "fixed", "value": 1 / share},
                "construction": {"dist": "fixed", "value": 0},
                "funding": funding,
            }
        },
        "financing": {"sources": {"g": {"supply": 10}, "h": {"supply": 1e6}}},
    } | extra
    rows = [f"W{i},a,{1 / share},financing,0" for i in range(20)]
    return write_scenario(tmp_path, config, rows)


@pytest.mark.parametrize("share", [1.0, 0.5])
def test_one_more_unit_of_money_starts_one_over_its_share_more(tmp_path: Path, share: float) -> None:
    plan = plan_bottlenecks(_backlog(tmp_path, share), replications=3, seed=1, steps=["g=2"])
    table = run_bottlenecks(plan).table
    g = table[table["resource"] == "g"]
    assert list(g["status"]) == ["measured"] * 4
    assert list(g["binding"]) == [1.0] * 4
    # every replication gains exactly 2 / share by the end: interval of zero width
    for column in ("marginal", "marginal_low", "marginal_high"):
        np.testing.assert_allclose(g[column], 1 / share, rtol=0, atol=1e-9)
    assert set(g["reading"]) == {"gain"}


def test_money_that_only_clears_a_backlog_sooner_is_a_timing_shift(tmp_path: Path) -> None:
    # 20 waiting, no newcomers, 10 a year: the base starts them in 2020 and 2021; 5 more
    # in 2020 start 15 then, 5 in 2021, and none is gained by 2023
    path = _backlog(tmp_path)
    scenario = load_scenario(path).with_overrides({"sectors.a.arrivals.rate": 0})
    base, more = _frame(scenario), _frame(with_more(scenario, resources_of(scenario)[0], 2020, 5.0))
    assert list(more.groupby("year").starts.mean() - base.groupby("year").starts.mean()) == [5, -5, 0, 0]
    plan = plan_bottlenecks(
        path, replications=3, seed=1, steps=["g=5"], overrides=["sectors.a.arrivals.rate=0"]
    )
    table = run_bottlenecks(plan).table
    row = table[(table["resource"] == "g") & (table["year"] == 2020)].iloc[0].to_dict()
    assert row["reading"] == "timing"
    assert row["marginal"] == 0
    assert (row["peak"], row["peak_year"]) == (1.0, 2020)  # +5 by 2020, per unit
    assert table[(table["resource"] == "g") & (table["year"] == 2022)]["status"].tolist() == [NEVER_BINDS]


def test_one_more_approval_place_for_a_year_approves_two_more(tmp_path: Path) -> None:
    config = {
        "name": "places",
        "start_year": 2020,
        "horizon_years": 4,
        "warmup_years": 1,
        "resources": {"approval_capacity": 2},
        "sectors": {
            "a": {
                "arrivals": {"rate": 30},
                "size": {"dist": "fixed", "value": 1},
                "approval": {"dist": "fixed", "value": 6},
                "construction": {"dist": "fixed", "value": 0},
            }
        },
    }
    plan = plan_bottlenecks(write_scenario(tmp_path, config), replications=3, seed=2)
    table = run_bottlenecks(plan).table
    places = table[table["resource"] == "approval_capacity"]
    assert list(places["step"]) == [1.0] * 4  # 5% of 2 places, rounded up to one
    # approvals from 1 January to 1 July and 1 July to 31 December; in the last year the
    # second one ends at the horizon and starts nothing in the run
    np.testing.assert_allclose(places["marginal"], [2, 2, 2, 1], rtol=0, atol=1e-9)
    np.testing.assert_allclose(places["marginal_high"] - places["marginal_low"], 0, atol=1e-9)


def _ample(tmp_path: Path) -> Path:
    """A scenario where some resources bind (source g, the land budget) and others never
    do (source h, approval places, secretaries)."""
    config = {
        "name": "ample",
        "start_year": 2020,
        "horizon_years": 3,
        "warmup_years": 2,
        "key_project_threshold": 1.0,
        "sectors": {
            "a": {
                "arrivals": {"rate": 40},
                "size": {"dist": "lognormal", "median": 1, "p90": 3},
                "approval": {"dist": "exponential", "mean": 3},
                "land": {"dist": "exponential", "mean": 2},
                "construction": {"dist": "gamma", "mean": 12, "cv": 0.4},
                "cancel": {"financing": 0.05},
                "funding": {"g": 0.5, "h": 0.5},
            }
        },
        "resources": {
            "approval_capacity": 100,
            "service_secretaries": 500,
            "land_cost_share": 0.1,
            "land_budget": 3,
        },
        "financing": {"max_wait": 12, "sources": {"g": {"supply": 8}, "h": {"supply": 500}}},
    }
    return write_scenario(tmp_path, config)


def test_an_extra_unit_where_a_resource_never_binds_changes_nothing(tmp_path: Path) -> None:
    scenario = load_scenario(_ample(tmp_path))
    base = _frame(scenario, n=4)
    by_name = {r.name: r for r in resources_of(scenario)}
    assert set(by_name) == {"g", "h", "land_budget", "approval_capacity", "secretaries"}
    for name in ("h", "approval_capacity", "secretaries"):
        assert (base[by_name[name].binding_column] == 0).all(), name
    assert (base["binding_source_g"] > 0).any()
    kept = [c for c in base.columns if not c.startswith(ACCOUNTS)]
    for name, extra in (("h", 50.0), ("approval_capacity", 10.0), ("secretaries", 10.0)):
        for year in scenario.years:
            more = _frame(with_more(scenario, by_name[name], year, extra), n=4)
            pd.testing.assert_frame_equal(more[kept], base[kept], obj=f"{name} +{extra:g} in {year}")
    # where it binds, the same extra does change the run
    more = _frame(with_more(scenario, by_name["g"], 2021, 5.0), n=4)
    assert not more["investment"].equals(base["investment"])
    # and the analysis does not run those cells: they are 0 exactly
    table = run_bottlenecks(plan_bottlenecks(_ample(tmp_path), replications=4, seed=5)).table
    never = table[table["resource"].isin(["h", "approval_capacity", "secretaries"])]
    assert set(never["status"]) == {NEVER_BINDS}
    assert (never[["marginal", "marginal_low", "marginal_high"]] == 0).all().all()


def test_a_step_of_nothing_changes_nothing(tmp_path: Path) -> None:
    # the policies that add and take back the extra must not disturb the random numbers
    scenario = load_scenario(_ample(tmp_path))
    base = _frame(scenario)
    for resource in resources_of(scenario):
        more = _frame(with_more(scenario, resource, 2021, 0.0))
        pd.testing.assert_frame_equal(more, base, obj=resource.name)


def test_the_extra_is_exactly_the_step_in_that_years_supply() -> None:
    # credit tightening cuts the bank's supply from July 2021: the extra must survive it
    scenario = load_scenario(LIBRARY / "credit_tightening.yaml").with_overrides({"warmup_years": 1})
    bank = next(r for r in resources_of(scenario) if r.name == "bank")
    base = _frame(scenario, n=1).set_index("year")
    for year in (2020, 2021, 2028):
        more = _frame(with_more(scenario, bank, year, 2.5), n=1).set_index("year")
        added = more["financing_supply_bank"] - base["financing_supply_bank"]
        expected = [2.5 if y == year else 0.0 for y in scenario.years]
        np.testing.assert_allclose(added, expected, rtol=0, atol=1e-9, err_msg=str(year))
    # places: one more in 2022 only, the scenario's own value again from 2023
    places = next(r for r in resources_of(scenario) if r.name == "approval_capacity")
    changed = with_more(scenario, places, 2022, 7)
    for t, want in ((3.0, 127), (3.5, 127), (4.0, 120), (-0.5, 120)):  # years since 2019
        assert config_at(changed, t).resources.approval_capacity == want, t


def test_resources_are_those_the_scenario_limits(baseline: investsim.Scenario) -> None:
    names = [r.name for r in resources_of(baseline)]
    assert names == [
        "bank",
        "infrastructure_loans",
        "government",
        "bonds",
        "land_budget",
        "approval_capacity",
        "secretaries",
    ]
    unlimited = baseline.with_overrides({"resources.approval_capacity": None})
    assert "approval_capacity" not in [r.name for r in resources_of(unlimited)]
    # land places only where some configuration limits them
    limited = baseline.with_overrides(
        {"policies": [{"name": "teams", "from": 2024, "set": {"resources.land_capacity": 12}}]}
    )
    assert "land_capacity" in [r.name for r in resources_of(limited)]


def test_unlimited_in_a_year_is_not_run(tmp_path: Path) -> None:
    # approval places are unlimited until a policy limits them from 2021
    config = {
        "name": "later",
        "start_year": 2020,
        "horizon_years": 2,
        "sectors": {
            "a": {
                "arrivals": {"rate": 30},
                "size": {"dist": "fixed", "value": 1},
                "approval": {"dist": "fixed", "value": 6},
                "construction": {"dist": "fixed", "value": 0},
            }
        },
        "policies": [{"name": "limit", "from": 2021, "set": {"resources.approval_capacity": 2}}],
    }
    table = run_bottlenecks(plan_bottlenecks(write_scenario(tmp_path, config), replications=2)).table
    assert list(table["resource"]) == ["approval_capacity"] * 2  # no key projects: no secretaries
    assert list(table["status"]) == [UNLIMITED, "measured"]
    assert math.isnan(table["marginal"].iloc[0])


def test_steps_are_checked() -> None:
    assert parse_steps([]) == (0.05, {})
    assert parse_steps(["0.2", "bank=3"]) == (0.2, {"bank": 3.0})
    for bad in ("0", "-1", "2", "bank=0", "bank=x", "nope"):
        with pytest.raises(InputError, match="--step"):
            parse_steps([bad])
    with pytest.raises(InputError, match="not a constrained resource of this scenario"):
        plan_bottlenecks(LIBRARY / "baseline.yaml", steps=["bnak=2"])


def test_the_command_writes_the_map_and_prints_a_line_a_year(tmp_path: Path, browser: Any) -> None:
    path = _backlog(tmp_path, 0.5)
    # a step of 0.5 (the default 5% of 10) could fund no project (each needs 1): exactly 0
    args = ("bottlenecks", str(path), "-n", "3", "--jobs", "1", "--step", "g=2", "--out", "map")
    done = run_cli(*args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    # g binds every year; h, with plenty, never does: its 4 runs are not needed
    assert lines[0].startswith("backlog: 5 runs of 3 replications (seed 0); 4 not needed")
    assert re.fullmatch(
        r"2020: g money binds \(100% of the year, [0-9.]+ projects held up\); \+1 亿元 of it adds "
        r"\+2\.00 亿元 \(\+2\.00 to \+2\.00\) by 2023",
        lines[1],
    ), lines[1]
    assert len([x for x in lines if x[:4].isdigit()]) == 4
    folder = tmp_path / "map"
    assert {p.name for p in folder.iterdir()} == {"bottlenecks.csv", "manifest.json", "report.html", "charts"}
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["lines"] == lines[1:5]
    assert (manifest["runs"], manifest["runs_skipped"]) == (5, 4)
    text = (folder / "report.html").read_text(encoding="utf-8")
    assert "Bottleneck map" in text
    assert "g money" in text
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((folder / "report.html").as_uri(), wait_until="load")
    charts = page.eval_on_selector_all("img", "els => els.map(e => [e.dataset.chart, e.naturalWidth])")
    page.close()
    assert errors == []
    assert charts == [["bottlenecks", 2000]]
    # Chinese, and a bad step: one line, exit status 2
    done = run_cli("report", str(folder), "--lang", "zh", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    bad = run_cli("bottlenecks", str(path), "--step", "gg=1", "--out", "bad", cwd=tmp_path)
    assert bad.returncode == 2
    assert "--step gg=...: not a constrained resource of this scenario; there are g" in bad.stderr
    assert not (tmp_path / "bad").exists()
