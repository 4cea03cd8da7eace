"""The Liaoyuan scenario library: every file validates, and each lever moves investment
the way its story says, by several standard errors of the paired (common random numbers)
difference from the baseline."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import investsim
from helpers import LIBRARY, run_cli

SCENARIOS = sorted(p.stem for p in LIBRARY.glob("*.yaml"))
REPS = 24
SEED = 11
# a shorter horizon keeps the test fast; every lever acts from 2020 or 2021
SHORTER = ["horizon_years=6"]


def test_the_library_is_complete() -> None:
    expected = {
        "baseline",
        "approval_reform",
        "parallel_approval",
        "more_secretaries",
        "land_fund",
        "credit_tightening",
        "guarantee_pool",
        "debt_ceiling",
        "investment_attraction",
        "reform_package",
        "early_start",
    }
    assert expected <= set(SCENARIOS)
    assert (LIBRARY / "README.md").is_file()


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_shipped_scenario_validates_and_extends_the_baseline(name: str) -> None:
    scn = investsim.load_scenario(LIBRARY / f"{name}.yaml")
    assert scn.config.description
    if name != "baseline":
        assert scn.config.extends == "baseline.yaml"
        assert scn.changes, "a library scenario states its levers as policies"


def test_validate_command_on_every_shipped_scenario(tmp_path: Path) -> None:
    for name in SCENARIOS:
        proc = run_cli("validate", str(LIBRARY / f"{name}.yaml"), cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert "valid" in proc.stdout


@functools.cache
def _forecast(name: str) -> investsim.Forecast:
    scn = investsim.load_scenario(LIBRARY / f"{name}.yaml", SHORTER)
    return investsim.simulate(scn, REPS, SEED, jobs=2)


def _run(name: str) -> pd.DataFrame:
    return _forecast(name).replications


@pytest.fixture(scope="module")
def baseline() -> pd.DataFrame:
    return _run("baseline")


def paired(other: pd.DataFrame, base: pd.DataFrame, column: str, years: range) -> tuple[float, float]:
    """Mean and standard error of the per-replication difference of ``column`` over ``years``."""

    def total(df: pd.DataFrame) -> pd.Series:
        return df[df["year"].isin(list(years))].groupby("replication")[column].sum()

    d = total(other) - total(base)
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d)))


@pytest.mark.parametrize(
    "name", ["approval_reform", "parallel_approval", "more_secretaries", "land_fund", "early_start"]
)
def test_faster_pipeline_brings_investment_earlier(baseline: pd.DataFrame, name: str) -> None:
    mean, se = paired(_run(name), baseline, "investment", range(2020, 2023))
    assert mean > 3 * se, (name, mean, se)


@pytest.mark.parametrize("name", ["credit_tightening", "debt_ceiling"])
def test_less_money_lowers_cumulative_investment(baseline: pd.DataFrame, name: str) -> None:
    mean, se = paired(_run(name), baseline, "investment", range(2019, 2025))
    assert mean < -3 * se, (name, mean, se)


def test_guarantee_pool_raises_investment_in_eligible_sectors_only(baseline: pd.DataFrame) -> None:
    other = _run("guarantee_pool")
    years = range(2020, 2023)
    gains = {}
    for sector in ("industry", "emerging", "infrastructure", "services", "agriculture"):
        gains[sector] = paired(other, baseline, f"investment_sector_{sector}", years)
    for sector in ("industry", "emerging"):
        mean, se = gains[sector]
        assert mean > 3 * se, (sector, mean, se)
    # the pool's money goes to eligible sectors only; the others gain only indirectly (the
    # eligible projects leave the shared queue for bank loans), and much less
    eligible = gains["industry"][0] + gains["emerging"][0]
    others = gains["infrastructure"][0] + gains["services"][0] + gains["agriculture"][0]
    assert others < eligible / 2, gains
    pool = other[other["year"].isin(list(years))]["financing_committed_bank"].sum()
    regular = baseline[baseline["year"].isin(list(years))]["financing_committed_bank"].sum()
    assert pool > regular  # more bank money was lent


def test_investment_attraction_brings_more_projects(baseline: pd.DataFrame) -> None:
    mean, se = paired(_run("investment_attraction"), baseline, "arrivals", range(2020, 2025))
    assert mean > 3 * se


def test_reform_package_beats_each_of_its_levers_alone(baseline: pd.DataFrame) -> None:
    package, _ = paired(_run("reform_package"), baseline, "investment", range(2020, 2025))
    for lever in ("approval_reform", "more_secretaries", "land_fund"):
        alone, _ = paired(_run(lever), baseline, "investment", range(2020, 2025))
        assert package > alone, lever


def test_early_start_pays_land_money_in_the_winter() -> None:
    # the campaign does listed projects' land work in the winter: more land money is paid in
    # January-March (construction stops then: only land money is spent in those months)
    months = {}
    for name in ("baseline", "early_start"):
        m = _forecast(name).monthly
        assert m is not None
        months[name] = m[m["year"].between(2020, 2022)].set_index(["replication", "year", "month"])[
            "investment"
        ]
    d = (months["early_start"] - months["baseline"]).groupby(level=[0, 2]).sum().unstack()
    winter = d[[1, 2, 3]].sum(axis=1)
    assert winter.mean() > 3 * winter.std(ddof=1) / np.sqrt(len(winter)), winter.describe()
