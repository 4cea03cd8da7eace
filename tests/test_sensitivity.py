"""Sensitivity analysis on a scenario whose answer is known.

Investment of an unconstrained pipeline with fixed sizes is proportional to the number
of arrivals times the size: doubling the arrival rate (10 to 20) moves it far more than
a 20% range of sizes (1.0 to 1.2), and service secretaries do nothing when no project is
a key project. With common random numbers the inert parameter's indices are exactly 0.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import run_cli, simulate_file
from investsim.analyses.sensitivity import parse_param, plan_sensitivity, run_sensitivity
from investsim.errors import InputError

KNOWN = """\
name: known
start_year: 2020
horizon_years: 3
seed: 5
replications: 2
sectors:
  a:
    arrivals: {rate: 15}
    size: {dist: fixed, value: 1.1}
    approval: {dist: fixed, value: 2}
    land: {dist: fixed, value: 1}
    construction: {dist: gamma, mean: 10, cv: 0.3}
    funding: {own: 1.0}
"""
PARAMS = [
    "resources.service_secretaries=0:50",
    "sectors.a.size.value=1.0:1.2",
    "sectors.a.arrivals.rate=10:20",
]


@pytest.fixture
def known(tmp_path: Path) -> Path:
    path = tmp_path / "known.yaml"
    path.write_text(KNOWN)
    return path


def test_morris_ranks_the_larger_analytic_effect_first_and_the_inert_one_at_zero(known: Path) -> None:
    plan = plan_sensitivity(known, PARAMS, "morris", samples=4, replications=2)
    assert len(plan.scenarios) == 4 * (3 + 1)
    assert next(p for p in plan.params if p.path == "resources.service_secretaries").whole
    table = run_sensitivity(plan).table.set_index("parameter")
    assert table.loc["sectors.a.arrivals.rate", "rank"] == 1
    assert table.loc["sectors.a.size.value", "rank"] == 2
    assert table.loc["resources.service_secretaries", "mu_star"] == 0
    assert table.loc["resources.service_secretaries", "sigma"] == 0
    # mu* of the size: investment is proportional to size, so a trajectory's step in size
    # changes it by the step times g(rate), the investment at size 1 and that trajectory's
    # arrival rate; SALib divides the change by the step as a share of the range (0.2 wide),
    # so |EE| = 0.2 g(rate): mu* is 0.2 x the mean of g, exactly under common random numbers
    paths = [p.path for p in plan.params]
    d, size, rate = len(paths), paths.index("sectors.a.size.value"), paths.index("sectors.a.arrivals.rate")
    rates = []
    for k in range(plan.samples):
        trajectory = plan.sample[k * (d + 1) : (k + 1) * (d + 1)]
        steps = np.flatnonzero(np.diff(trajectory[:, size]))
        assert len(steps) == 1
        rates.append(float(trajectory[steps[0], rate]))

    def g(r: float) -> float:
        overrides = [f"sectors.a.arrivals.rate={r!r}", "sectors.a.size.value=1.0"]
        reps = simulate_file(known, 2, plan.seed, overrides=overrides, project_log=False).replications
        return float(reps.groupby("replication")["investment"].sum().mean())

    expected = 0.2 * np.mean([g(r) for r in rates])
    assert table.loc["sectors.a.size.value", "mu_star"] == pytest.approx(expected, rel=1e-9)
    assert (table["mu_star_conf"] >= 0).all()
    assert (table["sigma_conf"] >= 0).all()


def test_sobol_gives_the_inert_parameter_zero_and_the_rate_most(known: Path) -> None:
    plan = plan_sensitivity(known, PARAMS, "sobol", samples=8, replications=2)
    assert len(plan.scenarios) == 8 * (3 + 2)
    table = run_sensitivity(plan).table.set_index("parameter")
    assert table.loc["sectors.a.arrivals.rate", "rank"] == 1
    assert table.loc["resources.service_secretaries", "ST"] == pytest.approx(0, abs=1e-12)
    assert table.loc["resources.service_secretaries", "S1"] == pytest.approx(0, abs=1e-12)
    assert table.loc["sectors.a.arrivals.rate", "ST"] > table.loc["sectors.a.size.value", "ST"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["x=1"], "path=low:high"),
        (["x=2:1"], "low < high"),
        (["x=a:b"], "numbers"),
    ],
)
def test_bad_params_are_refused(args: list[str], words: str) -> None:
    with pytest.raises(InputError, match=words):
        parse_param(args[0])


def test_bad_requests_are_refused_before_running(known: Path) -> None:
    with pytest.raises(InputError, match="power of two"):
        plan_sensitivity(known, PARAMS, "sobol", samples=10)
    with pytest.raises(InputError, match="at least two"):
        plan_sensitivity(known, PARAMS[:1], "sobol")
    with pytest.raises(InputError, match=r"arrivals\.rate"):
        plan_sensitivity(known, ["sectors.a.arrivals.rate=-5:20"])
    with pytest.raises(InputError, match="valid integer"):
        plan_sensitivity(known, ["resources.service_secretaries=1:1.5"])


def test_the_command_writes_a_ranked_table(known: Path, tmp_path: Path) -> None:
    proc = run_cli(
        "sensitivity",
        str(known),
        *[x for p in PARAMS for x in ("--param", p)],
        "--samples",
        "3",
        "-n",
        "2",
        "--jobs",
        "2",
        "--out",
        "sens",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(tmp_path / "sens" / "sensitivity.csv")
    assert list(table["rank"]) == [1, 2, 3]
    assert table["parameter"].iloc[0] == "sectors.a.arrivals.rate"
    assert {"mu_star", "mu_star_conf", "sigma", "sigma_conf"} <= set(table.columns)
    samples = pd.read_csv(tmp_path / "sens" / "samples.csv")
    assert len(samples) == 3 * 4
    manifest = json.loads((tmp_path / "sens" / "manifest.json").read_text())
    assert manifest["method"] == "morris"
    assert manifest["parameter_sets"] == 12
    assert "sectors.a.arrivals.rate" in proc.stdout
    bad = run_cli("sensitivity", str(known), "--param", "nope.key=1:2", "--out", "bad", cwd=tmp_path)
    assert bad.returncode == 2
    assert "nope" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert not (tmp_path / "bad").exists()
