"""The in-year re-forecast (``investsim run --actuals``): reading and checking actuals, the
weighting worked out by hand, replications added while the ESS is small, and the check
against known truths (80 % intervals cover the truth about 80 % of the time, and narrow
as more months are published)."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import investsim
from helpers import base, fixed, run_cli, write_scenario
from investsim.analyses.reforecast import (
    WINTER_FACTOR,
    effective_sample_size,
    reforecast,
    wilson_interval,
    winter_months,
)
from investsim.errors import InputError
from investsim.results.actuals import read_actuals

# ----------------------------------------------------------------------------------------------
# a forecast of three replications written by hand


def _hand_forecast(
    tmp_path: Path, levels: list[float], targets: dict[int, float] | None = None
) -> investsim.Forecast:
    """Three (or more) replications over 2020-2021, replication r investing levels[r] / 12
    every month of both years: its 1-6月 2021 total is levels[r] / 2, its 2021 total
    levels[r], its growth 0."""
    data = {**base(s={"size": fixed(1), "construction": fixed(12)}), "horizon_years": 2}
    if targets:
        data["targets"] = {"growth": targets}
    scenario = investsim.load_scenario(write_scenario(tmp_path, data))
    reps, months = [], []
    for r, level in enumerate(levels):
        for year in (2020, 2021):
            reps.append(
                {
                    "replication": r,
                    "year": year,
                    "investment": level,
                    "growth": 0.0 if year > 2020 else math.nan,
                }
            )
            for m in range(1, 13):
                months.append(
                    {
                        "replication": r,
                        "year": year,
                        "month": m,
                        "investment": level / 12,
                        "ytd_investment": level * m / 12,
                        "ytd_growth": 0.0 if year > 2020 else math.nan,
                    }
                )
    return investsim.Forecast(
        scenario, pd.DataFrame(reps), manifest={"seed": 0}, monthly=pd.DataFrame(months)
    )


def test_weights_of_a_hand_case(tmp_path: Path) -> None:
    # 1-6月 2021 totals 100, 110, 121; published 110 with sigma 0.1: the likelihood of each is
    # exp(-z^2/2) with z = log(110 / total) / 0.1 = +0.9531, 0, -0.9531
    fc = _hand_forecast(tmp_path, [200.0, 220.0, 242.0])
    actuals = pd.DataFrame({"period": ["1-6月"], "year": [2021], "ytd_investment": [110.0]})
    rf = reforecast(fc, actuals, measurement_error=0.1, min_ess=1)
    side = math.exp(-0.5 * (math.log(1.1) / 0.1) ** 2)  # 0.6350
    expected = np.array([side, 1.0, side]) / (1 + 2 * side)
    np.testing.assert_allclose(rf.weights.to_numpy(), expected, rtol=1e-12)
    assert rf.ess == pytest.approx(1 / np.sum(expected**2), rel=1e-12)  # 2.8525
    assert rf.ess == pytest.approx(2.8525, abs=1e-4)
    a = rf.annual.loc[2021]
    # cumulative weights 0.280, 0.720, 1: P10 the first replication, P50 the second, P90 the third
    assert (a["investment_p10"], a["investment_p50"], a["investment_p90"]) == (200.0, 220.0, 242.0)
    assert a["investment_mean"] == pytest.approx(float(expected @ np.array([200.0, 220.0, 242.0])), rel=1e-12)
    assert len(rf.forecast.replications) == 6  # min_ess 1: nothing added


def test_a_growth_is_compared_as_one_plus_growth(tmp_path: Path) -> None:
    fc = _hand_forecast(tmp_path, [200.0, 220.0])
    # replications' 1-6月 2021 growth is 0; published +5 %: equal likelihoods, equal weights
    rf = reforecast(fc, pd.DataFrame({"period": ["1-6月"], "year": [2021], "ytd_growth": [0.05]}), min_ess=1)
    np.testing.assert_allclose(rf.weights.to_numpy(), [0.5, 0.5])
    assert rf.fit.loc[0, "figure"] == "ytd_growth"


def test_target_probability_is_the_weighted_share(tmp_path: Path) -> None:
    fc = _hand_forecast(tmp_path, [200.0, 220.0, 242.0], targets={2021: 0.0})
    rf = reforecast(
        fc, pd.DataFrame({"period": ["1-6月"], "year": [2021], "ytd_investment": [110.0]}), 0.1, 1
    )
    # every replication's 2021 growth is 0, at the target: probability 1
    row = rf.targets.set_index("year").loc[2021]
    assert row["probability"] == 1.0
    assert "P(2021 growth ≥ 0%) = 1.00 (ESS 3 of 3)" in rf.sentence()
    assert rf.sentence().startswith("given 1-6月 2021:")


def test_wilson_interval_with_a_whole_number_matches_scipy() -> None:
    from scipy import stats

    ci = stats.binomtest(7, 20).proportion_ci(confidence_level=0.95, method="wilson")
    assert wilson_interval(7 / 20, 20) == pytest.approx((ci.low, ci.high), rel=1e-12)
    assert effective_sample_size(np.ones(5)) == 5.0


# ----------------------------------------------------------------------------------------------
# the file: accepted forms


def _write(tmp_path: Path, text: str, name: str = "actuals.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_bundled_example_is_what_its_header_says() -> None:
    """The example's figures are replication 0 of the baseline with seed 2021, its 2021
    year-to-date growth rounded to 0.1 point (the file's header says so)."""
    a = read_actuals(Path(investsim.default_scenario_path()).parent / "actuals_2021_example.csv")
    assert a.given == "1-6月 2021"
    assert a.warnings == ()
    truth = investsim.simulate(investsim.load_scenario(investsim.default_scenario_path()), 1, seed=2021)
    m = truth.monthly.query("year == 2021 and 2 <= month <= 6").sort_values("month")
    np.testing.assert_allclose(a.table["ytd_growth"].to_numpy(), m["ytd_growth"].round(3).to_numpy())


@pytest.mark.parametrize(
    ("text", "month", "year"),
    [
        ("1-6月,2021", 6, 2021),
        ("1—6月,2021", 6, 2021),
        ("Jan-Jun,2021", 6, 2021),
        ("January-June,2021", 6, 2021),
        ("2021-06,", 6, 2021),
        ("2021年1-6月,", 6, 2021),
        ("1-12月,2021", 12, 2021),
    ],
)
def test_periods_as_planners_write_them(tmp_path: Path, text: str, month: int, year: int) -> None:
    a = read_actuals(_write(tmp_path, f"period,year,ytd_investment\n{text},205.5\n"))
    assert (int(a.table.loc[0, "month"]), int(a.table.loc[0, "year"])) == (month, year)


def test_growth_as_percent_sign_or_percent_heading(tmp_path: Path) -> None:
    a = read_actuals(_write(tmp_path, "period,year,ytd_growth\n1-3月,2021,5.2%\n1-4月,2021,-1.5%\n"))
    assert a.table["ytd_growth"].tolist() == pytest.approx([0.052, -0.015])
    b = read_actuals(_write(tmp_path, "期间,年份,累计增速(%)\n1-3月,2021,5.2\n", "b.csv"))
    assert b.table["ytd_growth"].tolist() == pytest.approx([0.052])


def test_excel_workbook_with_a_sheet(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "notes"
    ws = book.create_sheet("FAI")
    ws.append(["period", "year", "ytd_investment", "ytd_growth"])
    ws.append(["1-2月", 2021, 60.5, 0.031])
    ws.append(["1-3月", 2021, 101.25, None])
    ws.append([dt.datetime(2021, 4, 1), None, 140.0, None])  # Excel made 2021-04 a date
    path = tmp_path / "a.xlsx"
    book.save(path)
    a = read_actuals(path, sheet="FAI")
    assert a.table["ytd_investment"].tolist() == [60.5, 101.25, 140.0]
    assert a.table["period"].tolist() == ["1-2月", "1-3月", "1-4月"]
    assert math.isnan(a.table.loc[1, "ytd_growth"])
    with pytest.raises(InputError, match="no sheet 'X'; the workbook has notes, FAI"):
        read_actuals(path, sheet="X")


# ----------------------------------------------------------------------------------------------
# the file: refused, or warned about


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            "1-3月,2021,100\n1-4月,2021,90\n",
            r"actuals.csv:3: row 2, ytd_investment: the year-to-date total falls: 90",
        ),
        (
            "1-3月,2021,100\n1-3月,2021,101\n",
            r"actuals.csv:3: row 2, period: 1-3月 2021 is given twice \(first at .*actuals.csv:2\)",
        ),
        (
            "1月,2021,30\n",
            r"actuals.csv:2: row 1, period: '1月' is January alone, which the bureau does not publish",
        ),
        ("2021-01,,30\n", r"row 1, period: '2021-01' is January alone"),
        ("3-6月,2021,30\n", r"row 1, period: '3-6月' is not a year-to-date period"),
        ("1-6月,2021,205亿\n", r"row 1, ytd_investment: '205亿' is not a number \(give the number alone"),
        ("1-6月,2021,-3\n", r"row 1, ytd_investment: ytd_investment\(=-3\) must be > 0"),
        ("1-6月,,30\n", r"row 1, year: empty"),
        ("1-6月,2020,30\n2021-06,,20\n", r""),  # accepted: two years
        ("1-6月,2022,\n", r"row 1, ytd_investment: no figure"),
        ("2021-06,2020,30\n", r"row 1, year: year\(=2020\) and the period's year \(2021\) differ"),
    ],
)
def test_bad_rows(tmp_path: Path, rows: str, message: str) -> None:
    path = _write(tmp_path, "period,year,ytd_investment\n" + rows)
    if not message:
        read_actuals(path)
        return
    with pytest.raises(InputError, match=message):
        read_actuals(path)


def test_growth_written_as_a_percent_number_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "period,year,ytd_growth\n1-6月,2021,5.2\n")
    with pytest.raises(
        InputError, match=r"row 1, ytd_growth: ytd_growth\(=5.2\) reads as \+520%: write growth as a share"
    ):
        read_actuals(path)
    with pytest.raises(InputError, match="a fall of 100 % or more"):
        read_actuals(_write(tmp_path, "period,year,ytd_growth\n1-6月,2021,-100%\n", "b.csv"))


def test_header_problems(tmp_path: Path) -> None:
    with pytest.raises(
        InputError, match="column 'amount' is not one of period, year, ytd_investment, ytd_growth"
    ):
        read_actuals(_write(tmp_path, "period,year,amount\n1-6月,2021,3\n"))
    with pytest.raises(InputError, match="neither ytd_investment nor ytd_growth"):
        read_actuals(_write(tmp_path, "period,year\n1-6月,2021\n", "b.csv"))
    with pytest.raises(InputError, match="the file is empty"):
        read_actuals(_write(tmp_path, "\n\n", "c.csv"))
    (tmp_path / "d.csv").write_bytes("period,year,ytd_investment\n1-6月,2021,3\n".encode("gbk"))
    with pytest.raises(InputError, match="not UTF-8"):
        read_actuals(tmp_path / "d.csv")


def test_a_period_missing_in_the_middle_is_a_warning(tmp_path: Path) -> None:
    a = read_actuals(
        _write(tmp_path, "period,year,ytd_investment\n1-2月,2021,60\n1-3月,2021,90\n1-5月,2021,150\n")
    )
    assert a.warnings == (
        "2021: 1-4月 missing between 1-2月 and 1-5月; the re-forecast uses the periods given",
    )


def test_a_year_outside_the_forecast(tmp_path: Path) -> None:
    fc = _hand_forecast(tmp_path, [200.0, 220.0])
    with pytest.raises(
        InputError, match=r"actuals:2: row 1, year: year\(=2023\) is outside the forecast, 2020-2021"
    ):
        reforecast(fc, pd.DataFrame({"period": ["1-6月"], "year": [2023], "ytd_investment": [110.0]}))


def test_totals_in_wan_yuan_are_refused(tmp_path: Path) -> None:
    fc = _hand_forecast(tmp_path, [200.0, 220.0])
    wan = pd.DataFrame({"period": ["1-6月"], "year": [2021], "ytd_investment": [1_100_000.0]})
    with pytest.raises(
        InputError, match=r"times the model's median for 1-6月 2021 .*Is the file in 万元\? Divide"
    ):
        reforecast(fc, wan)
    twice = pd.DataFrame({"period": ["1-6月"], "year": [2021], "ytd_investment": [300.0]})
    rf = reforecast(fc, twice, measurement_error=1.0, min_ess=1)
    assert any("2.86 times the model's" in w for w in rf.warnings)


def test_growth_of_the_first_year_needs_a_base(tmp_path: Path) -> None:
    fc = _hand_forecast(tmp_path, [200.0, 220.0])  # 2020 has no growth (no last_observed)
    growth_only = pd.DataFrame({"period": ["1-6月"], "year": [2020], "ytd_growth": [0.05]})
    with pytest.raises(
        InputError, match=r"row 1, ytd_growth: the model has no year before 2020 .*a row of year 2019"
    ):
        reforecast(fc, growth_only)
    with_base = pd.DataFrame(
        {
            "period": ["1-6月", "1-6月"],
            "year": [2019, 2020],
            "ytd_investment": [100.0, None],
            "ytd_growth": [None, 0.05],
        }
    )
    rf = reforecast(fc, with_base, measurement_error=0.1, min_ess=1)
    # 2020's 1-6月 total from the base: 100 x 1.05 = 105, compared with sigma 0.1 x sqrt 2
    row = rf.fit.iloc[0]
    assert (row["figure"], row["observed"], row["sigma"]) == (
        "ytd_investment",
        pytest.approx(105.0),
        pytest.approx(0.1 * math.sqrt(2)),
    )
    z = np.log(105 / np.array([100.0, 110.0])) / (0.1 * math.sqrt(2))
    w = np.exp(-(z**2) / 2)
    np.testing.assert_allclose(rf.weights.to_numpy(), w / w.sum(), rtol=1e-12)


# ----------------------------------------------------------------------------------------------
# replications added while the ESS is small; the command


SECTOR: dict[str, Any] = {
    "arrivals": {"rate": 12},
    "size": {"dist": "lognormal", "median": 2.0, "p90": 6.0},
    "approval": {"dist": "lognormal", "median": 3, "p90": 6},
    "construction": {"dist": "gamma", "mean": 10, "cv": 0.5},
}
SMALL: dict[str, Any] = {
    "name": "t",
    "start_year": 2020,
    "horizon_years": 2,
    "warmup_years": 2,
    "sectors": {"s": SECTOR},
    "background": {"level": 10.0, "growth": {"dist": "uniform", "low": -0.1, "high": 0.1}},
    "targets": {"growth": 0.05},
}
"""Two reported years with a pipeline warmed up and background whose growth varies: fast
(a few ms a replication) and spread enough that months tell something about the year."""


@pytest.mark.parametrize(
    ("season", "winter"),
    [
        (None, 0),
        ({"opens": "04-01", "closes": "10-31"}, 3),
        ({"opens": "04-15", "closes": "10-31"}, 3),
        ({"opens": "03-01", "closes": "10-31", "sectors": {"s": {"opens": "05-01", "closes": "10-31"}}}, 4),
        ({"opens": "04-01", "closes": "10-31", "sectors": {"s": "all_year"}}, 0),
    ],
)
def test_winter_figures_count_with_a_larger_error(tmp_path: Path, season: Any, winter: int) -> None:
    """Periods that end before construction opens in every sector (1-2月, 1-3月 for an
    April season) are weighed with WINTER_FACTOR times the error; the others with it."""
    data = dict(SMALL, construction_season=season) if season else SMALL
    fc = investsim.simulate(investsim.load_scenario(write_scenario(tmp_path, data)), 3, seed=1)
    assert winter_months(fc.scenario) == winter
    months = [2, 3, 4, 5]
    actuals = pd.DataFrame({"period": [f"1-{m}月" for m in months], "year": 2021, "ytd_growth": 0.05})
    rf = reforecast(fc, actuals, measurement_error=0.05, min_ess=1)
    expected = [0.05 * (WINTER_FACTOR if m <= winter else 1.0) for m in months]
    np.testing.assert_allclose(rf.fit["sigma"].to_numpy(), expected)
    assert rf.manifest["actuals"]["winter_months"] == winter
    plain = reforecast(fc, actuals, measurement_error=0.05, min_ess=1, winter_factor=1)
    np.testing.assert_allclose(plain.fit["sigma"].to_numpy(), 0.05)


def test_replications_are_added_with_the_same_seed_until_the_ess_is_reached(tmp_path: Path) -> None:
    scenario = investsim.load_scenario(write_scenario(tmp_path, SMALL))
    fc = investsim.simulate(scenario, 40, seed=5)
    actuals = pd.DataFrame(
        {"period": ["1-3月", "1-6月"], "year": [2021, 2021], "ytd_investment": [12.0, 24.0]}
    )
    few = reforecast(fc, actuals, measurement_error=0.05, min_ess=1)
    more = reforecast(fc, actuals, measurement_error=0.05, min_ess=few.ess * 3, max_replications=400)
    n = more.replications
    assert 40 < n <= 400
    assert more.ess >= few.ess * 3 or n == 400
    # the first 40 replications are the forecast's own: the same log-likelihoods
    np.testing.assert_array_equal(more.log_likelihood.to_numpy()[:40], few.log_likelihood.to_numpy())
    assert more.manifest["actuals"]["replications_asked"] == 40
    assert more.manifest["actuals"]["replications"] == n
    assert len(more.manifest["actuals"]["weights"]) == n
    # capped: the warning names the figure furthest from the model
    capped = reforecast(fc, actuals, measurement_error=0.01, min_ess=1000, max_replications=60)
    assert capped.replications == 60
    warning = [w for w in capped.warnings if "effective sample size" in w]
    assert warning
    assert "furthest off is 1-" in warning[0]
    assert "the model may not reproduce" in warning[0]


def test_the_reforecast_plots_its_reports_charts(tmp_path: Path) -> None:
    from matplotlib.figure import Figure

    scenario = investsim.load_scenario(write_scenario(tmp_path, SMALL))
    fc = investsim.simulate(scenario, 10, seed=5)
    actuals = pd.DataFrame({"period": ["1-3月", "1-6月"], "year": [2021, 2021], "ytd_growth": [0.03, 0.04]})
    given = reforecast(fc, actuals, min_ess=1)
    for kind in ("fan", "ytd"):
        fig = given.plot(kind)
        assert isinstance(fig, Figure)
        assert fig._repr_png_().startswith(b"\x89PNG")  # type: ignore[attr-defined]
    assert given.plot("fan", lang="zh").axes[0].get_ylabel() != given.plot("fan").axes[0].get_ylabel()
    with pytest.raises(ValueError, match=r"kind\(='pie'\) must be 'fan' or 'ytd'"):
        given.plot("pie")


def test_run_with_actuals_writes_the_reforecast(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, SMALL)
    (tmp_path / "a.csv").write_text(
        "period,year,ytd_growth\n1-2月,2021,3%\n1-3月,2021,4%\n", encoding="utf-8"
    )
    done = run_cli(
        "run",
        str(path),
        "-n",
        "40",
        "--seed",
        "3",
        "--actuals",
        "a.csv",
        "--min-ess",
        "20",
        "--max-replications",
        "160",
        "--winter-factor",
        "3",
        "--out",
        "r",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "given 1-3月 2021: P(2021 growth ≥ 5%) = " in done.stdout
    assert "Jan-Dec" in done.stdout
    out = tmp_path / "r"
    for name in (
        "reforecast_annual.csv",
        "reforecast_monthly.csv",
        "reforecast_fit.csv",
        "weights.csv",
        "actuals.csv",
        "report.html",
    ):
        assert (out / name).is_file(), name
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    part = manifest["actuals"]
    assert part["winter_factor"] == 3
    weights = pd.read_csv(out / "weights.csv")
    assert part["replications"] == len(weights) == manifest["replications"] >= 40
    assert part["ess"] == pytest.approx(effective_sample_size(weights["weight"].to_numpy()), rel=1e-9)
    assert sum(part["weights"]) == pytest.approx(1.0)
    # still a run folder: Forecast.load reads it
    assert investsim.Forecast.load(out).replications["replication"].nunique() == part["replications"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert part["sentence"] in html
    # the workbook has the years and months given the figures, the published ones beside
    from openpyxl import load_workbook

    book = load_workbook(out / "forecast.xlsx", read_only=True)
    assert {"Given published (years)", "Given published (months)"} <= set(book.sheetnames)
    rows = list(book["Given published (months)"].iter_rows(values_only=True))
    keys = list(rows[1])
    assert keys[-2:] == ["published_ytd_investment", "published_ytd_growth"]
    published = {(r[0], r[1]): r[-1] for r in rows[2:] if r[-1] is not None}
    assert published == {(2021, "Jan-Feb"): pytest.approx(0.03), (2021, "Jan-Mar"): pytest.approx(0.04)}


def test_the_chinese_report_says_it_in_chinese(tmp_path: Path) -> None:
    from investsim.reporting import fonts

    if fonts.cjk_font() is None:
        pytest.skip(
            "no CJK font installed (apt-get install fonts-noto-cjk): the report falls back to English"
        )
    scenario = investsim.load_scenario(write_scenario(tmp_path, SMALL))
    fc = investsim.simulate(scenario, 30, seed=4)
    rf = reforecast(fc, pd.DataFrame({"period": ["1-4月"], "year": [2021], "ytd_growth": ["2%"]}), min_ess=1)
    out = rf.save(tmp_path / "zh", lang="zh")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert rf.sentence("zh").startswith("已知 2021年1-4月：P(2021年增速 ≥ 5%) = ")
    assert rf.sentence("zh") in html
    assert "已知公布数后的预测" in html
    assert (out / "charts" / "given_fan.png").is_file()
    assert (out / "charts" / "given_ytd.png").is_file()


def test_bad_actuals_exit_2_before_running(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, SMALL)
    (tmp_path / "a.csv").write_text("period,year,ytd_growth\n1-6月,2021,5.2\n", encoding="utf-8")
    done = run_cli("run", str(path), "-n", "4", "--actuals", "a.csv", "--out", "r", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("error: a.csv:2: row 1, ytd_growth: ytd_growth(=5.2) reads as +520%")
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "r").exists()


# ----------------------------------------------------------------------------------------------
# against known truths


@pytest.mark.slow
def test_intervals_cover_the_truth_and_narrow_as_months_are_published(tmp_path: Path) -> None:
    """Truths are replications of a held-apart seed; their published figures are their
    year-to-date totals of 1-3月, 1-6月 (and 1-9月) with the stated lognormal error, as the
    method assumes. If the weights are the likelihood, the weighted 80 % interval of the
    year's total is a posterior interval, so over truths drawn from the model it covers
    the truth with probability 0.8: of 100 truths, a Binomial(100, 0.8) count, mean 80,
    standard deviation sqrt(100 x 0.8 x 0.2) = 4. We accept 68 to 92 (3 standard
    deviations; importance sampling with a finite ESS adds a little spread and a slight
    under-coverage, which this leaves room for). Uniform weights would also cover 80 %,
    so the intervals must also narrow as months are published: the mean width over truths
    falls from 1-3月 to 1-6月 to 1-9月, each step by more than 3 standard errors of the
    paired differences, and 1-3月's is already below the forecast's own width."""
    scenario = investsim.load_scenario(write_scenario(tmp_path, SMALL))
    prior = investsim.simulate(scenario, 1000, seed=1)
    truths = investsim.simulate(scenario, 100, seed=2)
    sigma = 0.05
    rng = np.random.default_rng(3)
    ytd = truths.monthly.set_index(["replication", "year", "month"])["ytd_investment"]
    total = truths.replications.query("year == 2021").set_index("replication")["investment"]
    widths = {}
    for last in (3, 6, 9):
        months = list(range(3, last + 1, 3))
        covered, width = 0, []
        for r in range(100):
            published = np.array([ytd[(r, 2021, m)] for m in months]) * np.exp(
                rng.normal(0, sigma, len(months))
            )
            actuals = pd.DataFrame(
                {"period": [f"1-{m}月" for m in months], "year": 2021, "ytd_investment": published}
            )
            a = reforecast(prior, actuals, measurement_error=sigma, min_ess=1).annual.loc[2021]
            covered += int(a["investment_p10"] <= total[r] <= a["investment_p90"])
            width.append(a["investment_p90"] - a["investment_p10"])
        if last < 9:  # 1-9月 leaves an ESS near 20 on average: the interval check is made on 1-3月, 1-6月
            assert 68 <= covered <= 92, (last, covered)
        widths[last] = np.array(width)
    prior_width = prior.annual.loc[2021, "investment_p90"] - prior.annual.loc[2021, "investment_p10"]
    assert widths[3].mean() < prior_width
    for a, b in ((3, 6), (6, 9)):
        d = widths[a] - widths[b]
        assert d.mean() > 3 * d.std(ddof=1) / math.sqrt(len(d)), (a, b, d.mean())
