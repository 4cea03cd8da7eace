"""Calibration: reading history, recovering known parameters, the calibrated scenario, the
backtest, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from helpers import run_cli
from investsim.analyses.calibrate import calibrated_yaml, plan_calibration, read_history, run_calibration
from investsim.errors import InputError
from investsim.runs.simulate import simulate
from investsim.scenario.loading import load_scenario

TOY = """\
name: toy
start_year: 2020
horizon_years: 6
warmup_years: 2
seed: 1
replications: 10
sectors:
  a:
    arrivals: {rate: 30}
    size: {dist: lognormal, median: 1.0, p90: 3.0}
    approval: {dist: fixed, value: 3}
    land: {dist: fixed, value: 2}
    construction: {dist: gamma, mean: 12, cv: 0.3}
    funding: {own: 1.0}
"""
TRUE = {"sectors.a.arrivals.rate": 27.0, "sectors.a.size.p90": 2.4}
PARAMS = ["sectors.a.arrivals.rate=15:45", "sectors.a.size.p90=1.5:4"]


@pytest.fixture(scope="module")
def toy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The toy scenario, and a history generated from it with the TRUE parameter values
    (the mean of 200 replications with another seed: what the model says, without noise)."""
    folder = tmp_path_factory.mktemp("toy")
    scenario = folder / "toy.yaml"
    scenario.write_text(TOY)
    truth = load_scenario(scenario, [f"{k}={v}" for k, v in TRUE.items()])
    reps = simulate(truth, replications=200, seed=99, jobs=2).replications
    history = reps.groupby("year")[["investment", "starts"]].mean().reset_index()
    path = folder / "history.csv"
    history.to_csv(path, index=False)
    return scenario, path


def test_known_parameters_are_recovered(toy: tuple[Path, Path]) -> None:
    """Identifiability: fitted to a history the model made with known values, the
    estimates land within 6% of them and their 95% intervals cover them."""
    scenario, history = toy
    plan = plan_calibration(scenario, [history], PARAMS, replications=20, seed=3)
    result = run_calibration(plan, jobs=2)
    table = result.parameters.set_index("parameter")
    for path, value in TRUE.items():
        estimate = table.loc[path, "estimate"]
        assert abs(estimate - value) <= 0.06 * value, (path, estimate, value)
        assert table.loc[path, "ci_low"] <= value <= table.loc[path, "ci_high"], (path, table.loc[path])
    assert result.summary["mape"] < 0.05
    assert not result.summary["surface_misses"]
    assert set(result.fit["used"]) == {"fit"}
    assert len(result.design) == 2 * plan.design_size


def test_calibrated_scenario_extends_the_input_and_sets_the_estimates(
    toy: tuple[Path, Path], tmp_path: Path
) -> None:
    scenario, history = toy
    plan = plan_calibration(scenario, [history], PARAMS[:1], replications=4, seed=3, design=6)
    result = run_calibration(plan)
    out = tmp_path / "cal"
    out.mkdir()
    (out / "calibrated.yaml").write_text(calibrated_yaml(plan, result, out))
    fitted = load_scenario(out / "calibrated.yaml")
    assert fitted.config.sectors["a"].arrivals.rate == pytest.approx(
        result.estimate["sectors.a.arrivals.rate"]
    )
    assert fitted.config.sectors["a"].size.p90 == 3.0  # untouched
    assert fitted.name == "toy-calibrated"


def test_backtest_holds_out_the_last_years(toy: tuple[Path, Path]) -> None:
    scenario, history = toy
    plan = plan_calibration(scenario, [history], PARAMS[:1], replications=4, seed=3, holdout=2, design=6)
    assert {t.first for t in plan.holdout} == {2024, 2025}
    assert all(t.first < 2024 for t in plan.targets)
    result = run_calibration(plan)
    backtest = result.backtest
    assert backtest is not None
    assert sorted(set(backtest["year"])) == [2024, 2025]
    observed = pd.read_csv(history).set_index("year")
    # last value carried forward is the 2023 observation
    row = backtest[(backtest["metric"] == "starts") & (backtest["year"] == 2025)].iloc[0]
    assert row["last_value"] == pytest.approx(observed.loc[2023, "starts"])
    assert set(result.summary["backtest_mape"]) == {"calibrated", "last_value", "linear_trend"}


def test_history_files_yearly_and_aggregate(tmp_path: Path) -> None:
    yearly = tmp_path / "yearly.csv"
    yearly.write_bytes('\ufeffyear,investment,starts\n2020,"1,234.5",10\n\n2021,1300,\n'.encode())
    targets, size = read_history(yearly)
    assert size is None
    assert [(t.metric, t.first, t.observed) for t in targets] == [
        ("investment", 2020, 1234.5),
        ("starts", 2020, 10.0),
        ("investment", 2021, 1300.0),
    ]
    agg = tmp_path / "agg.csv"
    agg.write_text(
        "from_year,to_year,metric,value,min_size,source\n"
        "2014,2018,starts_large,399,1,review\n2014,2018,started_investment_large,2397.4,1,review\n"
    )
    targets, size = read_history(agg)
    assert size == 1.0
    assert targets[1].label == "started_investment_large 2014-2018"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("year,profit\n2020,1\n", "yearly history columns"),
        ("year,investment\n2020,1\n2020,2\n", "appears twice"),
        ("year,investment\n2020,abc\n", "not a number"),
        ("year,investment\n2020,-5\n", ">= 0"),
        ("year,investment\n2020.5,5\n", "not a year"),
        ("from_year,to_year,metric,value\n2014,2018,starts_large,399\n", "min_size"),
        ("from_year,to_year,metric,value\n2018,2014,starts,399\n", "before"),
        ("from_year,to_year,metric,value\n2014,2018,profit,399\n", "use one of"),
        ("a,b\n1,2\n", "a history has"),
        ("year,investment\n", "no figures"),
    ],
)
def test_bad_history_names_the_file_and_line(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "h.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=words) as err:
        read_history(path)
    assert "h.csv" in str(err.value)


def test_plan_refuses_what_cannot_work(toy: tuple[Path, Path], tmp_path: Path) -> None:
    scenario, history = toy
    early = tmp_path / "early.csv"
    early.write_text("year,investment\n2010,5\n")
    with pytest.raises(InputError, match="outside the scenario's years"):
        plan_calibration(scenario, [early], PARAMS)
    one = tmp_path / "one.csv"
    one.write_text("year,investment\n2021,5\n")
    with pytest.raises(InputError, match="cannot identify"):
        plan_calibration(scenario, [one], PARAMS)
    with pytest.raises(InputError, match="holdout"):
        plan_calibration(scenario, [history], PARAMS, holdout=6)


def test_the_command_writes_the_folder_or_exits_2(toy: tuple[Path, Path], tmp_path: Path) -> None:
    scenario, history = toy
    args = ["calibrate", str(scenario), "--history", str(history), "--param", PARAMS[0]]
    proc = run_cli(*args, "-n", "3", "--design", "6", "--out", "cal", "--jobs", "2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for name in ("parameters.csv", "fit.csv", "design.csv", "calibrated.yaml", "manifest.json"):
        assert (tmp_path / "cal" / name).is_file(), name
    manifest = json.loads((tmp_path / "cal" / "manifest.json").read_text())
    assert "sectors.a.arrivals.rate" in manifest["estimate"]
    assert load_scenario(tmp_path / "cal" / "calibrated.yaml").name == "toy-calibrated"
    bad = run_cli(*args[:-1], "sectors.a.arrivals.rate=-3:5", "--out", "bad", cwd=tmp_path)
    assert bad.returncode == 2
    assert "arrivals.rate" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert not (tmp_path / "bad").exists()


def test_the_shipped_liaoyuan_calibration_example_is_valid() -> None:
    import investsim

    folder = investsim.default_scenario_path().parent / "calibration"
    plan = plan_calibration(
        folder / "liaoyuan_2014_2018.yaml",
        [folder / "targets_2014_2018.csv"],
        ["sectors.industry.arrivals.rate=25:65", "sectors.industry.size.p90=6:16"],
    )
    assert [t.label for t in plan.targets] == ["starts_large 2014-2018", "started_investment_large 2014-2018"]
    assert [t.observed for t in plan.targets] == [399, 2397.4]
    assert "large_project_threshold=1.0" in plan.overrides
    assert plan.years == [2014, 2015, 2016, 2017, 2018]
