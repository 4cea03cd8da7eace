"""Scale: the same numbers on any backend, --precision, and memory bounded by the summary."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pandas as pd
import pytest

import investsim
from helpers import run_cli
from investsim.results.forecast import replications_frame
from investsim.runs.runner import Backend, run_replications
from investsim.runs.simulate import simulate
from investsim.scenario.loading import load_scenario

SHORT = {"horizon_years": 3, "warmup_years": 2}


@pytest.fixture(scope="module")
def short(baseline: investsim.Scenario) -> investsim.Scenario:
    return baseline.with_overrides(SHORT)


def _frame(scenario: investsim.Scenario, jobs: int | Backend) -> pd.DataFrame:
    return replications_frame(scenario, run_replications(scenario, 6, 11, jobs=jobs))


def test_every_backend_gives_the_same_numbers(short: investsim.Scenario) -> None:
    """--jobs 1, --jobs 2, a Dask LocalCluster started by investsim (--scheduler local), and
    an already running Dask cluster reached by its address: identical tables."""
    from distributed import LocalCluster

    one = _frame(short, 1)
    pd.testing.assert_frame_equal(one, _frame(short, 2))
    with Backend(2, "local") as local:
        pd.testing.assert_frame_equal(one, _frame(short, local))
        assert local.workers() == 2
    with (
        LocalCluster(n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None) as cluster,
        Backend(1, cluster.scheduler_address) as remote,
    ):
        assert remote.workers() == 2
        pd.testing.assert_frame_equal(one, _frame(short, remote))


def test_extending_a_forecast_gives_the_run_of_that_many(short: investsim.Scenario) -> None:
    """Only the new replications run; tables, months, project log and manifest are those of
    one run of the total (the manifest's time and date aside)."""
    from investsim.runs.simulate import extend

    targeted = short.with_overrides({"targets": {"growth": 0.03}})
    once = simulate(targeted, replications=7, seed=4, project_log=True)
    extended = extend(simulate(targeted, replications=3, seed=4, project_log=True), 7, jobs=2)
    pd.testing.assert_frame_equal(once.replications, extended.replications)
    assert once.monthly is not None
    assert extended.monthly is not None
    pd.testing.assert_frame_equal(once.monthly, extended.monthly)
    assert once.projects is not None
    assert extended.projects is not None
    pd.testing.assert_frame_equal(once.projects, extended.projects)
    ours, theirs = once.manifest, extended.manifest
    assert list(ours) == list(theirs)
    for key in ("created", "wall_time_s", "command", "jobs"):
        ours.pop(key)
        theirs.pop(key)
    assert ours == theirs
    same = simulate(short, replications=3, seed=4)
    assert extend(same, 3) is same


def test_precision_stops_when_the_interval_is_narrow_enough(short: investsim.Scenario) -> None:
    forecast = simulate(short, replications=400, seed=3, jobs=2, precision=0.02)
    reached = forecast.manifest["precision"]
    assert reached["reached"]
    assert reached["half_width_share"] <= 0.02
    n = reached["replications_needed"]
    assert 20 <= n < 400
    assert n % reached["checked_every"] == 0
    assert forecast.manifest["replications"] == n
    # the same as a run of that many replications, and that run one step shorter was
    # not yet precise enough
    fixed = simulate(short, replications=n, seed=3, jobs=2)
    pd.testing.assert_frame_equal(forecast.replications, fixed.replications)
    if n > reached["checked_every"]:
        totals = (
            fixed.replications[fixed.replications["replication"] < n - reached["checked_every"]]
            .groupby("replication")["investment"]
            .sum()
        )
        from scipy import stats

        half = stats.t.ppf(0.975, len(totals) - 1) * totals.std(ddof=1) / len(totals) ** 0.5
        assert half / totals.mean() > 0.02


def test_precision_gives_the_same_answer_whatever_the_number_of_workers(short: investsim.Scenario) -> None:
    # the stopping rule is checked at the same counts whatever the batches the workers take
    one = simulate(short, replications=200, seed=3, jobs=1, precision=0.03)
    three = simulate(short, replications=200, seed=3, jobs=3, precision=0.03)
    assert (
        one.manifest["precision"]["replications_needed"] == three.manifest["precision"]["replications_needed"]
    )
    pd.testing.assert_frame_equal(one.replications, three.replications)


def test_precision_that_is_not_reached_says_so(short: investsim.Scenario) -> None:
    forecast = simulate(short, replications=20, seed=3, jobs=1, precision=0.0001)
    reached = forecast.manifest["precision"]
    assert not reached["reached"]
    assert reached["replications_needed"] == 20


def test_results_hold_no_per_project_data_without_the_project_log(
    tmp_path: Path, baseline: investsim.Scenario
) -> None:
    """What a replication returns is yearly arrays: its size does not grow with the number
    of projects (ten times the arrivals: the same size), unless the project log is asked for."""
    small = baseline.with_overrides(SHORT)
    big = small.with_overrides(
        {f"sectors.{s}.arrivals.rate": 10 * r for s, r in (("industry", 38), ("services", 20))}
    )
    a = run_replications(small, 1, 1)[0]
    b = run_replications(big, 1, 1)[0]
    assert a.project_log is None
    assert b.project_log is None
    assert b.events > 3 * a.events
    assert abs(len(pickle.dumps(b)) - len(pickle.dumps(a))) < 200
    logged = run_replications(big, 1, 1, project_log=True)[0]
    assert len(pickle.dumps(logged)) > 20 * len(pickle.dumps(b))


def test_the_command_line_takes_precision_and_scheduler(tmp_path: Path) -> None:
    scn = str(investsim.default_scenario_path())
    sets = [x for k, v in SHORT.items() for x in ("--set", f"{k}={v}")]
    proc = run_cli("run", scn, *sets, "--precision", "0.05", "--jobs", "2", "--out", "p", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "precision:" in proc.stdout
    manifest = json.loads((tmp_path / "p" / "manifest.json").read_text())
    assert manifest["precision"]["reached"]
    bad = run_cli("run", scn, *sets, "--scheduler", "nowhere", "--out", "q", cwd=tmp_path)
    assert bad.returncode == 2
    assert "--scheduler" in bad.stderr
    assert not (tmp_path / "q").exists()


def test_the_province_example_is_ten_liaoyuans() -> None:
    province = load_scenario(investsim.default_scenario_path().parents[1] / "examples" / "province.yaml")
    city = load_scenario(investsim.default_scenario_path())
    for name, sector in city.config.sectors.items():
        assert province.config.sectors[name].arrivals.rate == 10 * sector.arrivals.rate
    assert province.in_flight == ()
    res = run_replications(load_scenario(province.source, ["horizon_years=2", "warmup_years=1"]), 1, 1)[0]
    assert res.investment_by_sector.sum() > 0
