"""compare month by month (issue 15): each month's investment, the year-to-date total and
year-to-date growth, paired differences with their intervals; and the Shapley attribution
of a scenario's policies in every month, whose parts add up to the month's difference."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

import investsim
from helpers import run_cli
from investsim.analyses.compare import MONTH_METRICS, Run, compare_runs
from investsim.cli.compare import parse_months
from investsim.results.stats import paired_difference

REPLICATIONS = 4

BASE: dict[str, Any] = {
    "name": "base",
    "start_year": 2021,
    "horizon_years": 2,
    "warmup_years": 1,
    "last_observed": {"year": 2020, "investment": 60.0},
    "sectors": {
        "industry": {
            "arrivals": {"rate": 30},
            "size": {"dist": "lognormal", "median": 1.0, "p90": 3.0},
            "approval": {"dist": "gamma", "mean": 6, "cv": 0.5},
            "construction": {"dist": "gamma", "mean": 12, "cv": 0.3},
        },
    },
}
# two policies: approval twice as fast from the start (projects start building earlier in
# the year), and more projects from July
POLICIES = [
    {
        "name": "fast approval",
        "from": 2021,
        "set": {"sectors.industry.approval": {"dist": "gamma", "mean": 3, "cv": 0.5}},
    },
    {"name": "more projects", "from": "2021-07-01", "set": {"sectors.industry.arrivals.rate": 45}},
]


def write(folder: Path, data: dict[str, Any], name: str) -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("months")
    base = write(folder, BASE, "base.yaml")
    reform = write(folder, {**BASE, "name": "reform", "policies": POLICIES}, "reform.yaml")
    return base, reform


@pytest.fixture(scope="module")
def comparison(files: tuple[Path, Path]) -> investsim.Comparison:
    base, reform = (investsim.load_scenario(f) for f in files)
    return investsim.compare(base, reform, replications=REPLICATIONS, seed=3, months=2021, attribute=True)


def test_each_month_is_the_paired_difference_of_the_runs_months(comparison: investsim.Comparison) -> None:
    table = comparison.table
    months = table[table["period_kind"] == "month"]
    assert sorted(set(months["period"])) == [f"2021-{m:02d}" for m in range(1, 13)]
    assert set(months["metric"]) == set(MONTH_METRICS)
    assert len(months) == 12 * len(MONTH_METRICS)
    assert set(months["first_year"]) == set(months["last_year"]) == {2021}
    assert str(months["month"].dtype) == "Int64"
    assert table.loc[table["period_kind"] != "month", "month"].isna().all()
    base, other = (r.monthly for r in comparison.runs)
    assert base is not None
    assert other is not None
    for metric in MONTH_METRICS:
        for month in (2, 6, 12):
            b, o = (
                m[(m["year"] == 2021) & (m["month"] == month)].sort_values("replication")[metric].to_numpy()
                for m in (base, other)
            )
            expected = paired_difference(b, o)
            row = months[(months["metric"] == metric) & (months["month"] == month)].iloc[0]
            assert row["period"] == f"2021-{month:02d}"
            assert row["diff_mean"] == pytest.approx(expected.mean, rel=1e-12, abs=1e-12)
            assert row["diff_ci_low"] == pytest.approx(expected.low, rel=1e-12, abs=1e-12)
            assert row["diff_ci_high"] == pytest.approx(expected.high, rel=1e-12, abs=1e-12)
            assert row["pairing"] == "paired"


def test_december_year_to_date_is_the_years_difference(comparison: investsim.Comparison) -> None:
    table = comparison.table.set_index(["period", "metric"])
    headline = comparison.table[comparison.table["breakdown"] == "total"].set_index(["period", "metric"])
    for year_metric, month_metric in (("investment", "ytd_investment"), ("growth", "ytd_growth")):
        year = headline.loc[("2021", year_metric)]
        december = table.loc[("2021-12", month_metric)]
        for col in ("base_mean", "other_mean", "diff_mean", "diff_ci_low", "diff_ci_high"):
            assert december[col] == pytest.approx(year[col], rel=1e-9, abs=1e-9), (month_metric, col)
    # the months' differences add up to the year's
    months = comparison.table[
        (comparison.table["period_kind"] == "month") & (comparison.table["metric"] == "investment")
    ]
    assert months["diff_mean"].sum() == pytest.approx(
        headline.loc[("2021", "investment"), "diff_mean"], rel=1e-9
    )


def test_month_attribution_adds_up_in_every_month(comparison: investsim.Comparison) -> None:
    (part,) = comparison.attributions
    months = part[part["period_kind"] == "month"]
    assert sorted(set(months["period"])) == [f"2021-{m:02d}" for m in range(1, 13)]
    assert set(months["policy"]) == {"fast approval", "more projects", "total"}
    for (period, metric), rows in months.groupby(["period", "metric"]):
        parts = rows.loc[rows["policy"] != "total", "value_mean"]
        total = rows.loc[rows["policy"] == "total", "value_mean"].iloc[0]
        if np.isnan(total):  # no growth: the warm-up spent nothing by then
            assert metric == "ytd_growth"
            assert parts.isna().all()
            continue
        assert parts.sum() == pytest.approx(total, abs=1e-9), (period, metric)
    # the total of every month is the comparison's difference there (the base is the
    # scenario without its policies, with the same random numbers)
    diff = comparison.table[comparison.table["period_kind"] == "month"].set_index(["period", "metric"])[
        "diff_mean"
    ]
    totals = months[months["policy"] == "total"].set_index(["period", "metric"])["value_mean"]
    pd.testing.assert_series_equal(
        totals.sort_index(), diff.reindex(totals.index).sort_index(), check_names=False, rtol=1e-9, atol=1e-9
    )
    # the more projects from July add nothing before July: exactly zero in January to June
    more = months[(months["policy"] == "more projects") & (months["metric"] == "investment")]
    assert (more.loc[more["month"] <= 6, "value_mean"] == 0).all()
    assert (more.loc[more["month"] >= 8, "value_mean"] > 0).all()


def test_parts_per_replication_add_up_exactly() -> None:
    # Shapley's efficiency, per replication and month, from coalitions' months directly
    from investsim.analyses.attribution import attribute_months

    rng = np.random.default_rng(5)

    def months() -> pd.DataFrame:
        return pd.DataFrame(
            {
                "replication": np.repeat(np.arange(3), 12),
                "year": 2021,
                "month": np.tile(np.arange(1, 13), 3),
                **{m: rng.gamma(2.0, 3.0, 36) for m in MONTH_METRICS},
            }
        )

    coalitions = {frozenset(s): months() for s in ([], [0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2])}
    table = attribute_months(coalitions, ["a", "b", "c"], [2021])
    for (period, metric), rows in table.groupby(["period", "metric"]):
        month = int(str(period)[-2:])

        def pick(s: list[int], month: int = month, metric: str = str(metric)) -> np.ndarray:
            one = coalitions[frozenset(s)]
            return one.loc[one["month"] == month, metric].to_numpy()

        assert rows.loc[rows["policy"] != "total", "value_mean"].sum() == pytest.approx(
            rows.loc[rows["policy"] == "total", "value_mean"].iloc[0], abs=1e-9
        )
        assert rows.loc[rows["policy"] == "total", "value_mean"].iloc[0] == pytest.approx(
            (pick([0, 1, 2]) - pick([])).mean(), abs=1e-9
        )


def test_months_need_the_runs_months() -> None:
    table = pd.DataFrame({"replication": [0, 1], "year": [2021, 2021], "investment": [1.0, 2.0]})
    with pytest.raises(investsim.InputError, match="this run has no months to compare"):
        compare_runs(Run("b", 1, table), [Run("o", 1, table)], months=(2021, 2021))


def test_python_arguments(files: tuple[Path, Path]) -> None:
    base, reform = (investsim.load_scenario(f) for f in files)
    with pytest.raises(TypeError, match="months must be True, a year or a"):
        investsim.compare(base, reform, replications=2, months="2021")  # type: ignore[arg-type]
    with pytest.raises(
        investsim.InputError, match="none of these years is one of the compared years 2021-2022"
    ):
        investsim.compare(base, reform, replications=2, months=2030)


def test_cli_months_and_their_report(files: tuple[Path, Path], tmp_path: Path) -> None:
    base, reform = files
    out = tmp_path / "out"
    proc = run_cli(
        "compare",
        str(base),
        str(reform),
        "--replications",
        "2",
        "--months",
        "2021:2022",
        "--attribute",
        "--out",
        str(out),
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(out / "comparison.csv")
    months = table[table["period_kind"] == "month"]
    assert len(months) == 24 * len(MONTH_METRICS)
    assert set(months["period"]) == {f"{y}-{m:02d}" for y in (2021, 2022) for m in range(1, 13)}
    attribution = pd.read_csv(out / "attribution.csv")
    assert set(attribution.loc[attribution["period_kind"] == "month", "period"]) == set(months["period"])
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["months"] == [2021, 2022]
    assert (out / "charts" / "months_difference.png").is_file()
    assert (out / "charts" / "months_attribution_1.png").is_file()
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Difference per month: reform" in html
    assert "2022-12" in html
    # the months do not leak into the tables of years
    assert "2021-06:" not in html


def test_cli_months_refused(files: tuple[Path, Path], tmp_path: Path) -> None:
    reform = files[1]
    assert parse_months("2021") == (2021, 2021)
    assert parse_months("2021:2022") == (2021, 2022)
    assert parse_months("all") is True
    for text in ("June", "2022:2021", "2021-06"):
        with pytest.raises(
            investsim.InputError, match=f"--months must be a year, Y1:Y2 or all, got '{text}'"
        ):
            parse_months(text)
    # a results folder from before months were saved
    run = tmp_path / "old"
    run.mkdir()
    (run / "manifest.json").write_text(json.dumps({"scenario": "old", "seed": 0}), encoding="utf-8")
    (run / "replications.csv").write_text(
        "replication,year,investment\n0,2021,1\n0,2022,2\n", encoding="utf-8"
    )
    proc = run_cli("compare", str(run), str(reform), "--months", "all", cwd=tmp_path)
    assert proc.returncode == 2
    assert "has no months (monthly.parquet): run it again" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_plot_kinds(comparison: investsim.Comparison) -> None:
    assert comparison.plot("months") is not None
    assert comparison.plot("months_attribution") is not None
    assert comparison.plot("waterfall", period="2021-07") is not None
