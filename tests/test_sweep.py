"""Sweeps: grid parsing, common random numbers across points, resuming after Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import investsim
from helpers import cli_env, investsim_cmd, run_cli
from investsim.analyses.metrics import parse_metric, summarise
from investsim.analyses.sweep import grid_points, parse_grid, plan_sweep, run_sweep
from investsim.errors import InputError
from investsim.runs.simulate import simulate
from investsim.scenario.loading import load_scenario

BASELINE = investsim.default_scenario_path()
SHORT = ["horizon_years=3", "warmup_years=2"]


def test_grids_are_lists_or_evenly_spaced_ranges() -> None:
    assert parse_grid("financing.sources.bank.supply=30,37.5,44") == (
        "financing.sources.bank.supply",
        [30, 37.5, 44],
    )
    assert parse_grid("resources.approval_capacity=80:120:5")[1] == [80, 90, 100, 110, 120]
    assert parse_grid("a=0:1:3")[1] == [0, 0.5, 1]
    assert parse_grid("financing.priority=fifo,key_first")[1] == ["fifo", "key_first"]
    points = grid_points([("a", [1, 2, 3]), ("b", ["x", "y"])])
    assert len(points) == 6
    assert points[0] == {"a": 1, "b": "x"}
    assert points[-1] == {"a": 3, "b": "y"}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a", "path=v1,v2"),
        ("a=", "path=v1,v2"),
        ("a=1,,2", "empty value"),
        ("a=1,1", "twice"),
        ("a=1:2", "steps >= 2"),
        ("a=1:2:1", "steps >= 2"),
        ("a=x:2:3", "numbers"),
        ("a=1:inf:3", "finite"),
    ],
)
def test_bad_grids_say_what_to_write(text: str, words: str) -> None:
    with pytest.raises(InputError, match=words):
        parse_grid(text)


def test_metrics_name_years_inside_the_run() -> None:
    years = [2019, 2020, 2021]
    assert parse_metric("cumulative_investment", years).first == 2019
    m = parse_metric("cumulative_investment:2020:2021", years)
    assert (m.column, m.first, m.last) == ("investment", 2020, 2021)
    assert parse_metric("starts:2020", years).column == "starts"
    for bad, words in [
        ("investment", "one year"),
        ("investment:2030", "outside"),
        ("cumulative_investment:2021:2020", "Y1 <= Y2"),
        ("profit:2020", "unknown metric"),
        ("starts:x", "whole numbers"),
    ]:
        with pytest.raises(InputError, match=words):
            parse_metric(bad, years)
    with pytest.raises(InputError, match="financing sources"):
        parse_metric("financing_gap:2020", years, {"investment"})


def test_summary_interval_is_the_t_interval() -> None:
    from scipy import stats

    v = np.array([3.0, 5.0, 4.0, 8.0])
    s = summarise(v)
    half = stats.t.ppf(0.975, 3) * v.std(ddof=1) / 2
    assert s["mean"] == 5.0
    assert s["ci_high"] - s["ci_low"] == pytest.approx(2 * half)
    assert s["p50"] == 4.5


def test_every_point_is_the_scenario_run_with_the_same_seed(tmp_path: Path) -> None:
    """A point is exactly `run --set path=value` with the sweep's seed; the point at the
    baseline's own value reproduces the baseline run to the last digit."""
    plan = plan_sweep(
        BASELINE,
        ["financing.sources.bank.supply=30,37"],
        ["cumulative_investment", "starts:2020"],
        tmp_path / "s",
        replications=3,
        seed=11,
        overrides=SHORT,
    )
    result = run_sweep(plan, jobs=2)
    base = simulate(load_scenario(BASELINE, SHORT), replications=3, seed=11)
    total = base.replications.groupby("replication")["investment"].sum()
    row = result.table[result.table["financing.sources.bank.supply"] == 37].iloc[0]
    assert row["cumulative_investment_mean"] == pytest.approx(total.mean(), rel=1e-12)
    starts = base.replications[base.replications["year"] == 2020]["starts"]
    assert row["starts:2020_mean"] == pytest.approx(starts.mean(), rel=1e-12)
    # less bank credit: less investment, replication by replication (common random numbers)
    less, more = (
        pd.read_parquet(tmp_path / "s" / "points" / f"{key}.parquet")
        .groupby("replication")["investment"]
        .sum()
        for key in plan.keys
    )
    np.testing.assert_array_equal(more.to_numpy(), total.to_numpy())
    assert len(less) == 3
    assert (less.to_numpy() < more.to_numpy()).all(), (less, more)
    assert result.table["cumulative_investment_mean"].iloc[0] < row["cumulative_investment_mean"]
    assert result.ran == 2
    assert result.reused == 0
    manifest = json.loads((tmp_path / "s" / "manifest.json").read_text())
    assert manifest["points"] == 2
    assert manifest["seed"] == 11
    # the same sweep again runs nothing
    again = run_sweep(
        plan_sweep(BASELINE, ["financing.sources.bank.supply=30,37"], [], tmp_path / "s", 3, 11, SHORT)
    )
    assert again.ran == 0
    assert again.reused == 2


def _sweep_args(out: str) -> list[str]:
    return [
        "sweep",
        str(BASELINE),
        "--grid",
        "financing.sources.bank.supply=28:46:10",
        "--grid",
        "resources.approval_capacity=90,120",
        "-n",
        "4",
        "--seed",
        "3",
        "--jobs",
        "2",
        "--out",
        out,
        *[x for s in SHORT for x in ("--set", s)],
    ]


@pytest.mark.skipif(sys.platform != "linux", reason="signals a process group")
def test_an_interrupted_sweep_keeps_its_points_and_resumes(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        investsim_cmd(*_sweep_args("s")),
        cwd=tmp_path,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        start_new_session=True,
    )
    points = tmp_path / "s" / "points"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if points.is_dir() and len(list(points.glob("*.parquet"))) >= 2:
                break
            time.sleep(0.02)
        assert proc.poll() is None, proc.communicate()
        os.killpg(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode == 130, stdout + stderr
    assert "Traceback" not in stderr
    assert "run the same command again" in stderr
    kept = len(list(points.glob("*.parquet")))
    assert 2 <= kept < 20
    assert not (tmp_path / "s" / "sweep.csv").exists()
    assert not (tmp_path / "s" / "manifest.json").exists()
    assert not list(points.glob(".*"))  # no half-written point

    resumed = run_cli(*_sweep_args("s"), cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{kept} of 20 points already done" in resumed.stdout
    fresh = run_cli(*_sweep_args("fresh"), cwd=tmp_path)
    assert fresh.returncode == 0, fresh.stderr
    a = pd.read_csv(tmp_path / "s" / "sweep.csv")
    b = pd.read_csv(tmp_path / "fresh" / "sweep.csv")
    pd.testing.assert_frame_equal(a, b)
    manifest = json.loads((tmp_path / "s" / "manifest.json").read_text())
    assert manifest["points_reused"] == kept
    assert "best" in fresh.stdout
    assert "worst" in fresh.stdout


def test_a_bad_sweep_exits_2_and_runs_nothing(tmp_path: Path) -> None:
    for extra, words in [
        (["--grid", "resources.approval_capacity=-5,10"], "approval_capacity"),
        (["--grid", "resources.approval_capacity=1:2"], "steps"),
        (["--grid", "resources.nope=1,2"], "nope"),
        (["--grid", "resources.approval_capacity=5,10", "--metric", "starts:1990"], "outside"),
    ]:
        proc = run_cli("sweep", str(BASELINE), *extra, "--out", "s", cwd=tmp_path)
        assert proc.returncode == 2, (extra, proc.stderr)
        assert words in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr
        assert not (tmp_path / "s").exists()
