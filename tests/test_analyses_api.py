"""The library behind the commands: interval statistics (``investsim.results.stats``) and
the analyses' result objects, which write the same folders as the command line."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import stats

import investsim
from investsim.analyses.calibrate import plan_calibration, run_calibration
from investsim.analyses.compare import plan_comparison, run_comparison
from investsim.analyses.sensitivity import plan_sensitivity, run_sensitivity
from investsim.analyses.sweep import plan_sweep, run_sweep
from investsim.cli import cli
from investsim.errors import InputError
from investsim.results.stats import (
    mean_interval,
    normal_quantile,
    paired_difference,
    standard_error,
    t_quantile,
    welch_difference,
)

# --------------------------------------------------------------------------------------
# intervals, against textbook values and scipy.stats


def test_mean_interval_textbook_example() -> None:
    """2, 4, 4, 4, 5, 5, 7, 9: mean 5, s = sqrt(32/7), t(7, 0.975) = 2.365 from the table."""
    x = [2, 4, 4, 4, 5, 5, 7, 9]
    interval = mean_interval(x)
    assert interval.mean == 5
    assert interval.n == 8
    assert interval.dof == 7
    assert interval.se == pytest.approx(math.sqrt(32 / 7) / math.sqrt(8), rel=1e-14)
    assert interval.half == pytest.approx(2.365 * math.sqrt(32 / 7) / math.sqrt(8), rel=1e-3)
    assert interval.low == 5 - interval.half
    assert interval.high == 5 + interval.half


@pytest.mark.parametrize("n", [2, 3, 10, 57, 400])
def test_mean_interval_is_scipys_one_sample_t_interval(n: int) -> None:
    x = np.random.default_rng(n).lognormal(3, 0.6, n)
    interval = mean_interval(x)
    expected = stats.ttest_1samp(x, 0).confidence_interval(0.95)
    assert interval.low == pytest.approx(expected.low, rel=1e-12)
    assert interval.high == pytest.approx(expected.high, rel=1e-12)
    assert interval.se == pytest.approx(stats.sem(x), rel=1e-12)
    ninety = mean_interval(x, level=0.9)
    assert ninety.half < interval.half
    assert ninety.low == pytest.approx(stats.ttest_1samp(x, 0).confidence_interval(0.9).low, rel=1e-12)


def test_mean_interval_skips_nans_and_needs_two_values() -> None:
    assert mean_interval([1.0, np.nan, 3.0]) == mean_interval([1.0, 3.0])
    one = mean_interval([np.nan, 4.0])
    assert (one.mean, one.n) == (4.0, 1)
    assert np.isnan([one.half, one.se, one.low, one.high]).all()
    none = mean_interval([np.nan])
    assert none.n == 0
    assert math.isnan(none.mean)
    constant = mean_interval([3.0, 3.0, 3.0])
    assert (constant.low, constant.high) == (3.0, 3.0)


def test_paired_difference_is_scipys_paired_t_interval() -> None:
    rng = np.random.default_rng(1)
    base = rng.normal(100, 10, 30)
    other = base + rng.normal(2, 1, 30)
    interval = paired_difference(base, other)
    expected = stats.ttest_rel(other, base).confidence_interval(0.95)
    assert interval.low == pytest.approx(expected.low, rel=1e-12)
    assert interval.high == pytest.approx(expected.high, rel=1e-12)
    assert interval.n == 30
    # a pair with a missing side is left out, whole
    base[3], other[7] = np.nan, np.nan
    kept = paired_difference(base, other)
    assert kept.n == 28
    assert kept == mean_interval(np.delete(other - base, [3, 7]))


def test_welch_difference_is_scipys_welch_interval() -> None:
    base, other = [10, 12, 11, 9], [15, 13, 17, 16, 14]
    interval = welch_difference(base, other)
    welch = stats.ttest_ind(other, base, equal_var=False)
    expected = welch.confidence_interval(0.95)
    assert interval.mean == 4.5
    assert interval.dof == pytest.approx(welch.df, rel=1e-12)
    assert interval.low == pytest.approx(expected.low, rel=1e-12)
    assert interval.high == pytest.approx(expected.high, rel=1e-12)
    assert interval.n == 9
    # Welch-Satterthwaite by hand: s2 = 5/3 and 5/2, n = 4 and 5
    vb, vo = (5 / 3) / 4, (5 / 2) / 5
    assert interval.dof == pytest.approx((vb + vo) ** 2 / (vb**2 / 3 + vo**2 / 4), rel=1e-14)
    assert interval.se == pytest.approx(math.sqrt(vb + vo), rel=1e-14)


def test_welch_difference_edge_cases() -> None:
    same = welch_difference([2.0, 2.0], [5.0, 5.0, 5.0])
    assert (same.mean, same.half, same.dof) == (3.0, 0.0, 1.0)
    short = welch_difference([1.0, np.nan], [2.0, 3.0])
    assert np.isnan([short.mean, short.half, short.low]).all()
    assert welch_difference([1.0, np.nan, 2.0, 4.0], [2.0, 3.0]) == welch_difference(
        [1.0, 2.0, 4.0], [2.0, 3.0]
    )


def test_quantiles_are_scipys() -> None:
    for dof in (1, 2, 7, 29.5, 1000):
        assert t_quantile(dof) == stats.t.ppf(0.975, dof)
    assert t_quantile(7) == pytest.approx(2.365, abs=5e-4)  # the textbook table
    assert t_quantile(7, 0.99) == stats.t.ppf(0.995, 7)
    assert normal_quantile() == stats.norm.ppf(0.975)
    assert normal_quantile() == pytest.approx(1.96, abs=5e-5)


def test_standard_error_along_an_axis() -> None:
    x = np.random.default_rng(2).normal(size=(12, 3))
    np.testing.assert_allclose(standard_error(x), stats.sem(x, axis=0), rtol=1e-12)
    np.testing.assert_allclose(standard_error(x, axis=1), stats.sem(x, axis=1), rtol=1e-12)


# --------------------------------------------------------------------------------------
# every results folder is written by the library: the same from Python as from the CLI

TOY = """\
name: toy
start_year: 2020
horizon_years: 3
warmup_years: 1
seed: 5
replications: 4
sectors:
  a:
    arrivals: {rate: 20}
    size: {dist: lognormal, median: 1.0, p90: 3.0}
    approval: {dist: fixed, value: 3}
    land: {dist: fixed, value: 2}
    construction: {dist: gamma, mean: 12, cv: 0.3}
    funding: {own: 0.6, bank: 0.4}
financing:
  sources:
    own: unlimited
    bank: {supply: 5}
"""
REFORM = """\
extends: toy.yaml
name: toy-reform
policies:
  - name: faster approval
    from: 2021
    set: {sectors.a.approval: {dist: fixed, value: 1}}
  - name: more credit
    from: 2020
    set: {financing.sources.bank.supply: 10}
"""


@pytest.fixture(scope="module")
def toy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with toy.yaml, toy_reform.yaml (two policies) and history.csv."""
    folder = tmp_path_factory.mktemp("toy")
    (folder / "toy.yaml").write_text(TOY, encoding="utf-8")
    (folder / "toy_reform.yaml").write_text(REFORM, encoding="utf-8")
    (folder / "history.csv").write_text(
        "year,investment,starts\n2020,24,20\n2021,30,21\n2022,33,19\n", encoding="utf-8"
    )
    return folder


def _command(*args: object) -> None:
    """Run ``investsim ARGS`` in this process, as the tests of the reports do."""
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def _same_folders(python: Path, command: Path, files: list[str]) -> None:
    """The results files are byte-identical; the manifests differ only in timing and command."""
    for name in files:
        assert (python / name).read_bytes() == (command / name).read_bytes(), name
    ours = json.loads((python / "manifest.json").read_text(encoding="utf-8"))
    theirs = json.loads((command / "manifest.json").read_text(encoding="utf-8"))
    assert list(ours) == list(theirs)
    for key in ("command", "wall_time_s"):
        ours.pop(key, None)
        theirs.pop(key, None)
    assert ours == theirs


def test_comparison_folder_from_python_is_the_commands(toy: Path, tmp_path: Path) -> None:
    base, reform = toy / "toy.yaml", toy / "toy_reform.yaml"
    plan = plan_comparison(base, [reform], replications=3, window=(2020, 2021), attribute=True)
    assert plan.names == ["toy", "toy-reform"]
    assert plan.default_name == "toy-vs-toy-reform"
    assert plan.simulations == 2 * 3 + 4 * 3  # two scenario files, four subsets of the policies
    done: list[int] = []
    comparison = run_comparison(plan, on_progress=done.append, command=["investsim", "compare"])
    assert sum(done) == plan.simulations
    assert comparison.manifest["command"] == ["investsim", "compare"]
    assert comparison.manifest["window"] == [2020, 2021]
    assert [r.name for r in comparison.runs] == plan.names
    assert len(comparison.attributions) == 1
    written = comparison.save(tmp_path / "python")
    assert written == (tmp_path / "python").resolve()
    _command("compare", base, reform, "-n", 3, "--window", "2020:2021", "--attribute", "--jobs", 1,
             "--out", tmp_path / "command")  # fmt: skip
    _same_folders(written, tmp_path / "command", ["comparison.csv", "attribution.csv"])
    assert (written / "report.html").is_file()


def test_plan_comparison_checks_every_input_before_running(toy: Path, tmp_path: Path) -> None:
    base = toy / "toy.yaml"
    forecast = investsim.simulate(investsim.load_scenario(base), replications=2)
    folder = forecast.save(tmp_path / "run")
    plan = plan_comparison(folder, [base, toy / "toy_reform.yaml"])
    assert plan.default_name == "toy-vs-2-scenarios"
    assert plan.replications == 4  # the first scenario file's
    assert plan.simulations == 2 * 4
    with pytest.raises(InputError, match="--attribute needs scenario files"):
        plan_comparison(base, [folder], attribute=True)
    with pytest.raises(InputError, match="not a results folder"):
        plan_comparison(base, [tmp_path])


def test_sensitivity_folder_from_python_is_the_commands(toy: Path, tmp_path: Path) -> None:
    params = ["sectors.a.arrivals.rate=10:30", "financing.sources.bank.supply=3:8"]
    plan = plan_sensitivity(toy / "toy.yaml", params, samples=2, replications=2)
    result = run_sensitivity(plan, command=["investsim", "sensitivity"])
    assert result.manifest["command"] == ["investsim", "sensitivity"]
    assert result.manifest["parameter_sets"] == len(plan.scenarios)
    written = result.save(tmp_path / "python")
    _command("sensitivity", toy / "toy.yaml", "--param", params[0], "--param", params[1],
             "--samples", 2, "-n", 2, "--jobs", 1, "--out", tmp_path / "command")  # fmt: skip
    _same_folders(written, tmp_path / "command", ["sensitivity.csv", "samples.csv"])
    assert (written / "report.html").is_file()


def test_calibration_folder_from_python_is_the_commands(toy: Path, tmp_path: Path) -> None:
    param = "sectors.a.arrivals.rate=10:30"
    history = toy / "history.csv"
    plan = plan_calibration(toy / "toy.yaml", [history], [param], replications=3, holdout=1, design=6)
    assert plan.histories == [str(history)]
    assert plan.holdout_years == 1
    result = run_calibration(plan)
    assert result.plan is plan
    assert result.manifest["histories"] == [str(history)]
    assert result.manifest["holdout_years"] == 1
    assert result.manifest["estimate"] == result.estimate
    written = result.save(tmp_path / "python")
    _command("calibrate", toy / "toy.yaml", "--history", history, "--param", param, "-n", 3,
             "--holdout", 1, "--design", 6, "--jobs", 1, "--out", tmp_path / "command")  # fmt: skip
    files = ["parameters.csv", "fit.csv", "design.csv", "backtest.csv", "calibrated.yaml"]
    _same_folders(written, tmp_path / "command", files)
    assert (written / "report.html").is_file()  # a calibration folder has its report too
    assert (written / "charts" / "fit.png").is_file()


def test_run_sweep_finishes_the_folder_with_its_report(toy: Path, tmp_path: Path) -> None:
    grid = ["financing.sources.bank.supply=3,8"]
    plan = plan_sweep(toy / "toy.yaml", grid, [], tmp_path / "python", replications=2)
    result = run_sweep(plan, command=["investsim", "sweep"])
    assert result.manifest["command"] == ["investsim", "sweep"]
    _command(
        "sweep", toy / "toy.yaml", "--grid", grid[0], "-n", 2, "--jobs", 1, "--out", tmp_path / "command"
    )
    _same_folders(tmp_path / "python", tmp_path / "command", ["sweep.csv"])
    assert (tmp_path / "python" / "report.html").is_file()


# --------------------------------------------------------------------------------------
# the analyses from the package root: loaded objects in, result objects out, and the same
# folders as the command line


def test_compare_from_objects_writes_the_commands_folder(toy: Path, tmp_path: Path) -> None:
    base = investsim.load_scenario(toy / "toy.yaml")
    reform = investsim.load_scenario(toy / "toy_reform.yaml")
    comparison = investsim.compare(base, reform, replications=3, window=(2020, 2021), attribute=True)
    assert list(comparison.table["scenario"].unique()) == ["toy-reform"]
    written = comparison.save(tmp_path / "python")
    _command("compare", toy / "toy.yaml", toy / "toy_reform.yaml", "-n", 3, "--window", "2020:2021",
             "--attribute", "--jobs", 1, "--out", tmp_path / "command")  # fmt: skip
    _same_folders(written, tmp_path / "command", ["comparison.csv", "attribution.csv"])
    assert sorted(p.name for p in (written / "charts").iterdir()) == sorted(
        p.name for p in (tmp_path / "command" / "charts").iterdir()
    )


def test_compare_takes_a_finished_forecast_as_a_side(toy: Path) -> None:
    base = investsim.load_scenario(toy / "toy.yaml")
    reform = investsim.load_scenario(toy / "toy_reform.yaml")
    ran = investsim.simulate(base, replications=3)
    from_run = investsim.compare(ran, [reform], replications=3)
    from_scenario = investsim.compare(base, [reform], replications=3)
    assert set(from_run.table["pairing"]) == {"paired"}  # same seed and replications: paired
    assert from_run.table.equals(from_scenario.table)


def test_sweep_from_objects_writes_the_commands_folder(toy: Path, tmp_path: Path) -> None:
    scenario = investsim.load_scenario(toy / "toy.yaml")
    result = investsim.sweep(
        scenario, {"financing.sources.bank.supply": [3, 8]}, "investment:2021", replications=2
    )
    assert list(result.table.columns[:2]) == ["financing.sources.bank.supply", "replications"]
    assert "investment:2021_mean" in result.table.columns  # one metric, not one per letter
    long = result.long
    assert list(long.columns) == [BANK, "replications", "metric", "column", "first_year", "last_year",
                                  "statistic", "value"]  # fmt: skip
    assert len(long) == 2 * 6
    means = long[long["statistic"] == "mean"]
    assert list(means["value"]) == list(result.table["investment:2021_mean"])
    assert set(long["first_year"]) == set(long["last_year"]) == {2021}
    assert set(long["column"]) == {"investment"}
    written = result.save(tmp_path / "python")
    _command("sweep", toy / "toy.yaml", "--grid", "financing.sources.bank.supply=3,8", "--metric",
             "investment:2021", "-n", 2, "--jobs", 1, "--out", tmp_path / "command")  # fmt: skip
    points = sorted(p.name for p in (tmp_path / "command" / "points").glob("*.parquet"))
    assert sorted(p.name for p in (written / "points").glob("*.parquet")) == points
    assert len(points) == 2
    months = [f"points/months/{p}" for p in points]  # each point's months, as the command saves them
    _same_folders(written, tmp_path / "command", ["sweep.csv", *(f"points/{p}" for p in points), *months])
    assert (written / "report.html").is_file()


def test_sweep_with_a_folder_resumes_as_the_command_does(toy: Path, tmp_path: Path) -> None:
    scenario = investsim.load_scenario(toy / "toy.yaml")
    grid = {"financing.sources.bank.supply": [3, 8]}
    first = investsim.sweep(scenario, grid, replications=2, out=tmp_path / "sweep")
    again = investsim.sweep(scenario, grid, replications=2, out=tmp_path / "sweep")
    assert (first.ran, again.ran, again.reused) == (2, 0, 2)
    assert again.table.equals(first.table)
    assert (tmp_path / "sweep" / "manifest.json").is_file()


def test_sensitivity_seek_and_bottlenecks_from_objects_write_the_commands_folders(
    toy: Path, tmp_path: Path
) -> None:
    scenario = investsim.load_scenario(toy / "toy.yaml")
    params = {"sectors.a.arrivals.rate": (10, 30), "financing.sources.bank.supply": (3, 8)}
    result = investsim.sensitivity(scenario, params, samples=2, replications=2)
    written = result.save(tmp_path / "sens-python")
    _command("sensitivity", toy / "toy.yaml", "--param", "sectors.a.arrivals.rate=10:30", "--param",
             "financing.sources.bank.supply=3:8", "--samples", 2, "-n", 2, "--jobs", 1,
             "--out", tmp_path / "sens-command")  # fmt: skip
    _same_folders(written, tmp_path / "sens-command", ["sensitivity.csv", "samples.csv"])

    found = investsim.seek(scenario, "financing.sources.bank.supply", (1, 30), "investment:2021", 25.0,
                           replications=3)  # fmt: skip
    written = found.save(tmp_path / "seek-python")
    _command("seek", toy / "toy.yaml", "--param", "financing.sources.bank.supply=1:30", "--target",
             "investment:2021=25.0", "-n", 3, "--jobs", 1, "--out", tmp_path / "seek-command")  # fmt: skip
    _same_folders(written, tmp_path / "seek-command", ["seek.csv"])

    bottlenecks = investsim.bottlenecks(scenario, replications=2, steps={"bank": 2})
    written = bottlenecks.save(tmp_path / "bn-python")
    _command("bottlenecks", toy / "toy.yaml", "-n", 2, "--step", "bank=2", "--jobs", 1,
             "--out", tmp_path / "bn-command")  # fmt: skip
    _same_folders(written, tmp_path / "bn-command", ["bottlenecks.csv"])


def test_calibrate_from_objects_writes_the_commands_folder(toy: Path, tmp_path: Path) -> None:
    scenario = investsim.load_scenario(toy / "toy.yaml")
    history = toy / "history.csv"
    result = investsim.calibrate(scenario, history, {"sectors.a.arrivals.rate": (10, 30)}, replications=3,
                                 holdout=1, design=6)  # fmt: skip
    written = result.save(tmp_path / "python")
    _command("calibrate", toy / "toy.yaml", "--history", history, "--param", "sectors.a.arrivals.rate=10:30",
             "-n", 3, "--holdout", 1, "--design", 6, "--jobs", 1, "--out", tmp_path / "command")  # fmt: skip
    files = ["parameters.csv", "fit.csv", "design.csv", "backtest.csv", "calibrated.yaml"]
    _same_folders(written, tmp_path / "command", files)
    # a scenario changed in Python has no file saying so: calibrated.yaml is written whole
    changed = scenario.with_overrides({"sectors.a.land": {"dist": "fixed", "value": 1}})
    other = investsim.calibrate(changed, [history], {"sectors.a.arrivals.rate": (10, 30)}, replications=2,
                                design=6)  # fmt: skip
    text = other.save(tmp_path / "changed").joinpath("calibrated.yaml").read_text(encoding="utf-8")
    assert "extends" not in text
    reloaded = investsim.load_scenario(tmp_path / "changed" / "calibrated.yaml")
    assert reloaded.config.sectors["a"].land == changed.config.sectors["a"].land
    rate = reloaded.config.sectors["a"].arrivals.rate
    assert rate == pytest.approx(other.estimate["sectors.a.arrivals.rate"])


def test_calibrate_takes_history_as_dataframes(toy: Path) -> None:
    """A DataFrame history (yearly, indexed by year; or aggregate) gives exactly the fit of
    the same figures in a CSV file; its mistakes name the DataFrame's row."""
    import pandas as pd

    scenario = investsim.load_scenario(toy / "toy.yaml")
    params = {"sectors.a.arrivals.rate": (10, 30)}
    from_file = investsim.calibrate(scenario, toy / "history.csv", params, replications=2, design=6)
    yearly = pd.DataFrame({"investment": [24.0, 30.0, 33.0], "starts": [20, 21, 19]},
                          index=pd.Index([2020, 2021, 2022], name="year"))  # fmt: skip
    from_frame = investsim.calibrate(scenario, yearly, params, replications=2, design=6)
    assert from_frame.estimate == from_file.estimate
    pd.testing.assert_frame_equal(from_frame.fit, from_file.fit)
    assert from_frame.manifest["histories"] == ["history[0] (DataFrame, 3 rows)"]
    # the same figures as aggregates over one year each, mixed with a file
    aggregate = pd.DataFrame({"from_year": [2020, 2021, 2022], "to_year": [2020, 2021, 2022],
                              "metric": ["starts"] * 3, "value": [20, 21, 19]})  # fmt: skip
    mixed = investsim.calibrate(
        scenario, [yearly[["investment"]], aggregate], params, replications=2, design=6
    )
    assert mixed.estimate == from_file.estimate
    bad = yearly.copy()
    bad.loc[2021, "investment"] = -1.0
    with pytest.raises(InputError, match=r"^history\[0\] \(DataFrame, 3 rows\): row 2021: investment: "):
        investsim.calibrate(scenario, bad, params, replications=2, design=6)
    with pytest.raises(InputError, match=r"^history\[1\] \(DataFrame, 1 rows\): a history has a 'year'"):
        investsim.calibrate(scenario, [yearly, pd.DataFrame({"when": [2020]})], params, replications=2)


def test_scenario_summary_is_what_validate_prints(toy: Path) -> None:
    scenario = investsim.load_scenario(toy / "toy_reform.yaml")
    summary = scenario.summary()
    a = scenario.config.sectors["a"]
    assert list(summary.sectors.index) == scenario.sector_names
    row = summary.sectors.loc["a"]
    assert row["arrivals_per_year"] == a.arrivals.rate
    assert row["mean_size"] == a.size.mean
    assert row["construction_months"] == a.construction.mean
    assert [p.name for p in summary.policies] == [
        "more credit",
        "faster approval",
    ]  # the order they take effect
    assert (summary.first_year, summary.last_year) == (scenario.years[0], scenario.years[-1])
    printed = CliRunner().invoke(cli, ["validate", str(toy / "toy_reform.yaml")]).output
    for line in summary.lines():
        assert line.strip() in printed
    assert str(summary).splitlines()[0] == summary.lines()[0]
    assert repr(summary).startswith("ScenarioSummary('toy-reform'")
    assert "\n" not in repr(summary)
    assert "<table" in summary._repr_html_()


def test_summary_says_when_construction_months_are_working_months() -> None:
    base = investsim.load_scenario(investsim.default_scenario_path())
    assert not base.with_overrides({"construction_season": None}).summary().seasonal
    mixed = base.with_overrides(
        {"construction_season": {"opens": "04-01", "closes": "10-31", "sectors": {"services": "all_year"}}}
    ).summary()
    assert mixed.seasonal
    assert mixed.sectors.loc["services", "construction_season"] == "all year"
    assert mixed.sectors.loc["industry", "construction_season"] == "04-01 to 10-31"
    assert (
        "construction season: 04-01 to 10-31: industry, infrastructure, agriculture, emerging; all year: "
        "services (construction months are working months)" in mixed.lines()
    )


def test_summary_gives_the_analytic_mean_of_serial_approval_and_none_for_parallel() -> None:
    base = investsim.load_scenario(investsim.default_scenario_path())
    steps = {"a": {"dist": "fixed", "value": 2}, "b": {"dist": "uniform", "low": 1, "high": 5}}
    serial = base.with_overrides({"sectors.industry.approval": {"mode": "serial", "steps": steps}})
    parallel = base.with_overrides({"sectors.industry.approval": {"mode": "parallel", "steps": steps}})
    assert serial.summary().sectors.loc["industry", "approval_months"] == 2 + 3
    row = parallel.summary().sectors.loc["industry"]
    assert math.isnan(row["approval_months"])
    assert row["approval_steps"] == "parallel, 2 steps"


BANK = "financing.sources.bank.supply"


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda s, p: investsim.sweep(s, {"seed": [1]}), InputError, r"needs start=\"whole\"\)$"),
        (lambda s, p: investsim.compare(p, [s]), TypeError, r"load it first, investsim\.load_scenario\("),
        (lambda s, p: investsim.compare(s, str(p)), TypeError, r"load it first"),
        (lambda s, p: investsim.compare(s, []), ValueError, "others is empty"),
        (lambda s, p: investsim.compare(s, [s], window=(2021, 2020)), ValueError, "first year"),
        (lambda s, p: investsim.sweep(p, {"seed": [1, 2]}), TypeError, r"investsim\.load_scenario\("),
        (lambda s, p: investsim.sweep(s, {"seed": 3}), TypeError, r"grid\['seed'\] must be a list"),
        (lambda s, p: investsim.sweep(s, ["seed=1,2"]), TypeError, "grid must be a mapping"),
        (lambda s, p: investsim.sweep(s, {"seed": [1, 1]}), ValueError, "appears twice"),
        (lambda s, p: investsim.sweep(s, {BANK: [1]}, "starts"), InputError, r"^metric 'starts': write starts:Y"),
        (lambda s, p: investsim.sweep(s, {BANK: [1]}, replications="2"), TypeError, "replications must be a whole"),
        (lambda s, p: investsim.sweep(s, {BANK: [1]}, start=1990), InputError, r"^start 1990: the simulation"),
        (lambda s, p: investsim.sensitivity(p, {"seed": (1, 2)}), TypeError, "load_scenario"),
        (lambda s, p: investsim.sensitivity(s, {"seed": 3}), TypeError, r"\(low, high\) pair"),
        (lambda s, p: investsim.sensitivity(s, {"seed": (2, 1)}), ValueError, "low must be below high"),
        (lambda s, p: investsim.sensitivity(s, {"seed": (1, 2)}, method="x"), ValueError, "method"),
        (lambda s, p: investsim.seek(s, BANK, (1, 2), "growth", 0.1), InputError, r"^target 'growth=0.1'"),
        (lambda s, p: investsim.seek(s, BANK, (1, 2), "investment:2021", 1, op="=="), ValueError, "op"),
        (lambda s, p: investsim.calibrate(s, 3, {"seed": (1, 2)}), TypeError, "history must be"),
        (lambda s, p: investsim.bottlenecks(p), TypeError, "load_scenario"),
        (lambda s, p: investsim.bottlenecks(s, step=2), ValueError, r"step\(=2\)"),
        (lambda s, p: investsim.bottlenecks(s, steps={"nope": 1}), InputError, r"^steps: nope=\.\.\."),
    ],
)  # fmt: skip
def test_analyses_refuse_wrong_arguments_in_python_terms(
    toy: Path, call: object, error: type[Exception], message: str
) -> None:
    scenario = investsim.load_scenario(toy / "toy.yaml")
    with pytest.raises(error, match=message):
        call(scenario, toy / "toy.yaml")  # type: ignore[operator]


def test_plots_are_figures_that_show_themselves(toy: Path) -> None:
    from matplotlib.figure import Figure

    base = investsim.load_scenario(toy / "toy.yaml")
    reform = investsim.load_scenario(toy / "toy_reform.yaml")
    comparison = investsim.compare(base, [reform], replications=3, attribute=True)
    figures = [comparison.plot(), comparison.plot("explanation"), comparison.plot("waterfall")]
    swept = investsim.sweep(base, {"financing.sources.bank.supply": [3, 8]}, replications=2)
    figures.append(swept.plot())
    for fig in figures:
        assert isinstance(fig, Figure)
        # what a notebook displays when a figure is a cell's value (no pyplot, no magic)
        assert fig._repr_png_().startswith(b"\x89PNG")  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="kind"):
        comparison.plot("pie")
    with pytest.raises(ValueError, match="metric"):
        swept.plot(metric="growth:2020")


def test_the_analyses_are_in_the_package_root_and_load_when_used() -> None:
    for name in ("compare", "sweep", "sensitivity", "calibrate", "seek", "bottlenecks"):
        assert name in investsim.__all__
        assert callable(getattr(investsim, name))
    heavy = ("SALib", "matplotlib", *(f"investsim.analyses.{m}" for m in ("compare", "sweep", "seek")))
    code = f"import sys, investsim; print(sorted(m for m in sys.modules if m.startswith({heavy!r})))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
