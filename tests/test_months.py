"""Months: investment by calendar month integrated exactly, year-to-date totals and growth
in the statistics bureau's form (1-2月 … 1-12月), and growth targets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import investsim
from helpers import base, fixed, simulate_file, write_scenario
from investsim.model.spending import MONTHS, monthly_spending, project_months
from investsim.results.monthly import bureau_periods, monthly_summary, period_label
from investsim.scenario.distributions import SpendingProfile

# ----------------------------------------------------------------------------------------------
# the integral over one month


def test_one_project_of_12_built_linearly_over_12_months_from_1_march() -> None:
    # start 1 March of year 0 (2/12), 12 months, cost 12: one a month, March to February
    who, month, money = monthly_spending(
        np.array([2 / 12]),
        np.array([14 / 12]),
        np.array([1.0]),
        np.array([0.0]),
        np.array([12.0]),
        SpendingProfile(),
        0.0,
        24,
    )
    spent = np.bincount(month, weights=money, minlength=24)
    expected = np.zeros(24)
    expected[2:14] = 1.0
    np.testing.assert_allclose(spent, expected, rtol=0, atol=1e-12)
    assert set(who.tolist()) == {0}


def test_s_curve_months_are_differences_of_the_profile() -> None:
    # beta(2, 2) from 1 July for 27 months, seen from the window starting a year before
    start, duration, first = 0.5, 27 / 12, -1.0
    _who, month, money = monthly_spending(
        np.array([start]),
        np.array([start + duration]),
        np.array([duration]),
        np.array([0.0]),
        np.array([10.0]),
        SpendingProfile(2.0, 2.0),
        first,
        12 * 5,
    )
    spent = np.bincount(month, weights=money, minlength=60)
    bounds = first + np.arange(61) / 12
    u = np.clip((bounds - start) / duration, 0, 1)
    np.testing.assert_allclose(spent, 10 * np.diff(3 * u**2 - 2 * u**3), rtol=0, atol=1e-12)


def test_a_start_a_hair_before_a_month_spends_in_the_month_before() -> None:
    # 5/12 minus one unit in the last place: 12 * (start + 1) rounds to 17 exactly, but the
    # start is in May (month 4 of year 0, 16 of the window from -1), as the year's integral says
    start = np.nextafter(5 / 12, 0)
    for duration in (0.0, 0.5):
        _, month, money = monthly_spending(
            np.array([start]),
            np.array([start + duration]),
            np.array([duration]),
            np.zeros(1),
            np.array([1.0]),
            SpendingProfile(),
            -1.0,
            36,
        )
        spent = np.bincount(month, weights=money, minlength=36)
        assert spent.sum() == pytest.approx(1.0, abs=1e-12), duration
        assert spent[16] > 0, duration


def test_a_zero_duration_spends_in_the_month_of_its_start_and_windows_cut_cleanly() -> None:
    starts = np.array([3 / 12, -0.5, 0.9])  # on a bound; before the window; 30 months from Nov
    durations = np.array([0.0, 0.25, 2.5])
    who, month, money = monthly_spending(
        starts,
        starts + durations,
        durations,
        np.zeros(3),
        np.array([5.0, 7.0, 30.0]),
        SpendingProfile(),
        0.0,
        12,
    )
    by = {k: np.bincount(month[who == k], weights=money[who == k], minlength=12) for k in range(3)}
    assert by[0][3] == 5.0
    assert by[0].sum() == 5.0
    assert not by[1].any()  # all spent before the window
    # 30 over 30 months is one a month, from 0.9 (a fifth of November left)
    np.testing.assert_allclose(by[2][10:], [(11 / 12 - 0.9) * 12, 1.0], atol=1e-12)


# ----------------------------------------------------------------------------------------------
# the whole model, deterministic


def _one_project(tmp_path: Path, **extra: Any) -> investsim.Forecast:
    """A register project of 12 in approval (2 months left): construction from 1 March
    2020 over 12 months, linear; nothing else."""
    sector = {"size": fixed(1), "approval": fixed(2), "construction": fixed(12), "spending": "linear"}
    config = {**base(s=sector), "horizon_years": 2, **extra}
    path = write_scenario(tmp_path, config, ["P1,s,12,approval,0"])
    return simulate_file(path, 2, 0)


def test_deterministic_months_ytd_and_growth_by_hand(tmp_path: Path) -> None:
    fc = _one_project(tmp_path, last_observed={"year": 2019, "investment": 6})
    m = fc.monthly
    assert m is not None
    first = np.zeros(12)
    first[2:] = 1.0
    second = np.zeros(12)
    second[:2] = 1.0
    for r in (0, 1):
        one = m[m.replication == r]
        np.testing.assert_allclose(one["investment"], np.r_[first, second], rtol=0, atol=1e-12)
        np.testing.assert_allclose(one["investment_sector_s"], np.r_[first, second], rtol=0, atol=1e-12)
        np.testing.assert_allclose(
            one["ytd_investment"], np.r_[np.cumsum(first), np.cumsum(second)], atol=1e-12
        )
        # 2019: no warm-up, so nothing simulated: last_observed (6) evenly, 0.5 a month
        ytd_2019 = 0.5 * np.arange(1, 13)
        growth_2020 = np.cumsum(first) / ytd_2019 - 1
        with np.errstate(divide="ignore"):
            growth_2021 = np.where(np.cumsum(first) > 0, np.cumsum(second) / np.cumsum(first) - 1, np.nan)
        np.testing.assert_allclose(one["ytd_growth"], np.r_[growth_2020, growth_2021], atol=1e-12)
    assert np.isnan(m.loc[(m.year == 2021) & (m.month == 2), "ytd_growth"]).all()  # 1-2月 of 2020 was 0
    # December's year to date is the year, and its growth the year's growth
    annual = fc.replications.set_index(["replication", "year"])
    december = m[m.month == 12].set_index(["replication", "year"])
    np.testing.assert_allclose(december["ytd_investment"], annual["investment"], rtol=1e-15)
    np.testing.assert_allclose(december["ytd_growth"], annual["growth"], rtol=1e-15)
    np.testing.assert_allclose(annual["growth"].xs(2020, level="year"), 10 / 6 - 1, rtol=1e-15)


def test_without_last_observed_the_first_year_has_no_ytd_growth(tmp_path: Path) -> None:
    fc = _one_project(tmp_path)
    m = fc.monthly
    assert m is not None
    assert m.loc[m.year == 2020, "ytd_growth"].isna().all()
    assert fc.replications.loc[fc.replications.year == 2020, "growth"].isna().all()
    np.testing.assert_allclose(
        m.loc[(m.year == 2021) & (m.month == 3), "ytd_growth"], 1.0, rtol=1e-12
    )  # 2 / 1 - 1


def test_bureau_labels_and_periods(tmp_path: Path) -> None:
    assert period_label(2) == "1-2月"
    assert period_label(6) == "1-6月"
    assert period_label(12) == "1-12月"
    assert period_label(2, zh=False) == "Jan-Feb"
    assert period_label(6, zh=False) == "Jan-Jun"
    with pytest.raises(ValueError, match="1-2月"):
        period_label(1)  # January is not published alone
    fc = _one_project(tmp_path, last_observed={"year": 2019, "investment": 6})
    summary = fc.monthly_summary
    assert summary is not None
    assert summary["period"].tolist() == [f"1-{k}月" for k in range(2, 13)] * 2
    assert summary["period_en"].tolist()[:3] == ["Jan-Feb", "Jan-Mar", "Jan-Apr"]
    one = summary.set_index(["year", "month"])
    # 1-2月 of 2021 is January and February together; later rows are one month
    assert one.loc[(2021, 2), "investment_p50"] == pytest.approx(2.0)
    assert one.loc[(2021, 3), "investment_p50"] == pytest.approx(0.0, abs=1e-12)
    assert one.loc[(2020, 12), "ytd_investment_mean"] == pytest.approx(10.0)
    assert one.loc[(2020, 12), "ytd_growth_p50"] == pytest.approx(10 / 6 - 1)


def test_bureau_periods_add_january_to_february() -> None:
    monthly = pd.DataFrame(
        {
            "replication": [0] * 12,
            "year": [2020] * 12,
            "month": range(1, 13),
            "investment": np.arange(1.0, 13.0),
            "ytd_investment": np.cumsum(np.arange(1.0, 13.0)),
            "ytd_growth": np.nan,
        }
    )
    periods = bureau_periods(monthly)
    assert periods["month"].tolist() == list(range(2, 13))
    assert periods["investment"].tolist() == [3.0, *np.arange(3.0, 13.0)]
    assert periods["ytd_investment"].tolist() == monthly["ytd_investment"].tolist()[1:]


# ----------------------------------------------------------------------------------------------
# exactness on the library scenario (warm-up, register, land money, background, policies)


@pytest.fixture(scope="module")
def baseline_forecast(baseline: investsim.Scenario) -> investsim.Forecast:
    scenario = baseline.with_overrides(
        {
            "horizon_years": 3,
            "warmup_years": 3,
            "last_observed": {"year": 2018, "investment": 400.0},
            "background": {"level": 50.0, "growth": {"dist": "uniform", "low": 0.0, "high": 0.1}},
            "targets": {"growth": {2019: 0.0, 2020: 0.02}},
        }
    )
    return investsim.simulate(scenario, 4, 3)


def test_months_add_up_to_the_years_in_every_replication(baseline_forecast: investsim.Forecast) -> None:
    m, annual = baseline_forecast.monthly, baseline_forecast.replications
    assert m is not None
    summed = m.groupby(["replication", "year"]).sum()
    annual = annual.set_index(["replication", "year"])
    for column in ["investment", *[c for c in annual.columns if c.startswith("investment_sector_")]]:
        # two exact integrals of the same profile, over months and over the year: equal to rounding
        np.testing.assert_allclose(summed[column], annual[column], rtol=1e-12, atol=0, err_msg=column)
    december = m[m.month == 12].set_index(["replication", "year"])
    np.testing.assert_allclose(december["ytd_growth"], annual["growth"], rtol=1e-12)


def test_ytd_growth_per_replication_by_hand(baseline_forecast: investsim.Forecast) -> None:
    m = baseline_forecast.monthly
    assert m is not None
    for r in range(4):
        one = m[m.replication == r]
        table = one.pivot(index="year", columns="month", values="investment").to_numpy()
        ytd = np.cumsum(table, axis=1)
        by_hand = ytd[1:] / ytd[:-1] - 1  # 2020 and 2021 on the year before's same months
        got = one.pivot(index="year", columns="month", values="ytd_growth").to_numpy()[1:]
        np.testing.assert_allclose(got, by_hand, rtol=1e-12)


def test_the_year_before_is_the_simulated_one_scaled_to_last_observed(baseline: investsim.Scenario) -> None:
    from investsim.model.pipeline import simulate_replication
    from investsim.results.monthly import year_before_months

    scenario = baseline.with_overrides(
        {"horizon_years": 2, "warmup_years": 3, "last_observed": {"year": 2018, "investment": 300.0}}
    )
    result = simulate_replication(scenario, 5, 0)
    months = year_before_months(scenario, [result])[0]
    assert months.sum() == pytest.approx(300.0, rel=1e-14)
    simulated = result.months_by_sector.sum(axis=0)[:MONTHS]
    np.testing.assert_allclose(months / months.sum(), simulated / simulated.sum(), rtol=1e-12)
    assert simulated.std() > 0  # a shape, not twelve equal months


def test_the_self_check_sees_months_that_do_not_add_up(baseline: investsim.Scenario) -> None:
    from investsim.errors import ModelCheckError
    from investsim.model.checks import check_months

    years = np.array([[12.0, 24.0]])
    months = np.r_[np.ones(12), 2 * np.ones(12)][None, :]
    check_months(months, years)
    months[0, 20] += 1e-6
    with pytest.raises(ModelCheckError, match="year 1"):
        check_months(months, years)


def test_project_months_drops_a_warm_up_project_from_the_day_it_is_replaced() -> None:
    nan = np.nan
    col = {
        "construction_start": np.array([-0.5]),
        "construction": np.array([1.0]),
        "u0": np.array([0.0]),
        "construction_cost": np.array([12.0]),
        "profile_no": np.array([0.0]),
        "land_cost": np.array([0.0]),
        "land_start": np.array([nan]),
        "land_duration": np.array([0.0]),
        "land_u0": np.array([0.0]),
        "replaced": np.array([1.0]),
        "cancelled_at": np.array([0.0]),
    }
    out = project_months([SpendingProfile()], col, np.array([0]), 1, -1.0, 24)
    np.testing.assert_allclose(out[0, :12], np.r_[np.zeros(6), np.ones(6)])
    assert not out[0, 12:].any()


# ----------------------------------------------------------------------------------------------
# targets


def test_target_probabilities_are_0_or_1_in_a_deterministic_run(tmp_path: Path) -> None:
    # growth 2021 is exactly 2 / 10 - 1 = -0.8 in every replication
    fc = _one_project(tmp_path, targets={"growth": {2021: -0.79}})
    table = fc.targets
    assert table["probability"].tolist() == [0.0]
    assert table["replications"].tolist() == [2]
    fc = _one_project(tmp_path / "b", targets={"growth": {2021: -0.81}})
    assert fc.targets["probability"].tolist() == [1.0]
    annual = fc.annual
    assert annual.loc[2021, "target_probability"] == 1.0
    assert annual.loc[2021, "growth_target"] == -0.81
    assert np.isnan(annual.loc[2020, "target_probability"])  # no target that year
    summary = fc.monthly_summary
    assert summary is not None
    one = summary.set_index(["year", "month"])
    assert one.loc[(2021, 3), "ytd_target_probability"] == 1.0  # 2 / 1 - 1 = +100 %
    assert one.loc[(2021, 12), "ytd_target_probability"] == 1.0
    assert np.isnan(one.loc[(2021, 2), "ytd_target_probability"])  # no growth: nothing the year before
    assert np.isnan(one.loc[(2020, 6), "ytd_target_probability"])
    assert fc.manifest["targets"][0]["probability"] == 1.0


def test_target_probability_matches_the_distribution_of_growth(tmp_path: Path) -> None:
    # background only: growth from the second year on is the replication's drawn g,
    # uniform on [0, 0.1]; P(g >= 0.03) = 0.7 exactly
    sector = {"size": fixed(1), "construction": fixed(12)}
    config = {
        **base(s=sector),
        "horizon_years": 2,
        "background": {"level": 100.0, "growth": {"dist": "uniform", "low": 0.0, "high": 0.1}},
        "targets": {"growth": 0.03},
    }
    n = 400
    fc = simulate_file(write_scenario(tmp_path, config), n, 17, project_log=False)
    row = fc.targets.set_index("year").loc[2021]
    se = np.sqrt(0.7 * 0.3 / n)
    assert abs(row["probability"] - 0.7) < 4 * se
    assert row["ci_low"] < row["probability"] < row["ci_high"]
    assert np.isnan(fc.targets.set_index("year").loc[2020, "probability"])  # no last_observed
    # month by month the year-to-date growth is g too (background is even over months)
    summary = fc.monthly_summary
    assert summary is not None
    ytd = summary[summary.year == 2021]["ytd_target_probability"].to_numpy()
    np.testing.assert_allclose(ytd, row["probability"])


def test_monthly_summary_needs_no_targets() -> None:
    monthly = pd.DataFrame(
        {
            "replication": [0, 0],
            "year": [2020, 2020],
            "month": [1, 2],
            "investment": [1.0, 2.0],
            "ytd_investment": [1.0, 3.0],
            "ytd_growth": [np.nan, np.nan],
        }
    )
    out = monthly_summary(monthly)
    assert "growth_target" not in out.columns
    assert out["investment_mean"].tolist() == [3.0]


# ----------------------------------------------------------------------------------------------
# metrics of a month (sweep)


def test_metrics_of_a_month_are_parsed() -> None:
    from investsim.analyses.metrics import parse_metric
    from investsim.errors import InputError

    years = [2020, 2021]
    m = parse_metric("ytd_growth:2021-06", years, months=True)
    assert (m.column, m.first, m.month) == ("ytd_growth", 2021, 6)
    assert parse_metric("investment:2020-3", years, months=True).month == 3
    assert parse_metric("ytd_investment:2021-12", years, months=True).column == "ytd_investment"
    assert parse_metric("investment:2021", years).month is None  # a year's, as before
    for bad, words in [
        ("ytd_growth:2021", "Y-MM"),
        ("ytd_growth:2021-13", "not 1-12"),
        ("ytd_growth:2030-06", "outside"),
        ("growth:2021-06", "by month the metrics are"),
    ]:
        with pytest.raises(InputError, match=words):
            parse_metric(bad, years, months=True)
    with pytest.raises(InputError, match="for sweep"):
        parse_metric("ytd_growth:2021-06", years)  # sensitivity, seek: a year's metrics only


def test_metric_values_of_a_month_read_the_months(tmp_path: Path) -> None:
    from investsim.analyses.metrics import parse_metric

    fc = _one_project(tmp_path, last_observed={"year": 2019, "investment": 6})
    years = [2020, 2021]
    ytd = parse_metric("ytd_investment:2020-06", years, months=True).values(fc.replications, fc.monthly)
    np.testing.assert_allclose(ytd, [4.0, 4.0], atol=1e-12)  # March to June, one a month
    month = parse_metric("investment:2021-02", years, months=True).values(fc.replications, fc.monthly)
    np.testing.assert_allclose(month, [1.0, 1.0], atol=1e-12)
    with pytest.raises(ValueError, match="months"):
        parse_metric("investment:2021-02", years, months=True).values(fc.replications)


def test_sweep_takes_a_metric_of_a_month(tmp_path: Path) -> None:
    from investsim.analyses.sweep import plan_sweep, run_sweep

    sector = {"size": fixed(1), "approval": fixed(2), "construction": fixed(12), "spending": "linear"}
    path = write_scenario(tmp_path / "s", {**base(s=sector), "horizon_years": 2}, ["P1,s,12,approval,0"])
    plan = plan_sweep(
        path,
        ["sectors.s.approval.value=2,5"],
        ["ytd_investment:2020-06", "investment:2020"],
        tmp_path / "out",
        replications=2,
        seed=1,
        start="whole",
    )
    result = run_sweep(plan)
    # approval 2 months: building from March, 4 by June; 5 months: from June, 1 by June
    assert result.table["ytd_investment:2020-06_mean"].round(9).tolist() == [4.0, 1.0]
    assert result.table["investment:2020_mean"].round(9).tolist() == [10.0, 7.0]


# ----------------------------------------------------------------------------------------------
# the results folder, the report, the workbook and the command line


def test_results_folder_report_and_workbook_have_the_months(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    fc = _one_project(
        tmp_path / "s", last_observed={"year": 2019, "investment": 6}, targets={"growth": {2021: -0.81}}
    )
    folder = fc.save(tmp_path / "out", lang="zh")
    monthly = pd.read_csv(folder / "monthly.csv")
    assert monthly["period"].tolist()[:2] == ["1-2月", "1-3月"]
    assert len(monthly) == 22
    assert monthly["ytd_target_probability"].notna().sum() == 10  # 2021, 1-3月 … 1-12月
    annual = pd.read_csv(folder / "annual.csv").set_index("year")
    assert annual.loc[2021, "target_probability"] == 1.0
    assert (folder / "charts" / "monthly.png").is_file()
    assert (folder / "charts" / "ytd_growth.png").is_file()
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "P(2021年增速 ≥ -81%) = 1.00" in html
    assert "monthly.csv" in html
    sheet = load_workbook(folder / "forecast.xlsx")["月度（累计）"]
    assert sheet.cell(row=3, column=2).value == "1-2月"  # headings, keys, then the rows
    assert sheet.max_row == 2 + 22


def test_run_target_option_prints_one_line_per_year(tmp_path: Path) -> None:
    from helpers import run_cli

    sector = {"size": fixed(1), "approval": fixed(2), "construction": fixed(12), "spending": "linear"}
    path = write_scenario(tmp_path, {**base(s=sector), "horizon_years": 2}, ["P1,s,12,approval,0"])
    done = run_cli(
        "run",
        str(path),
        "-n",
        "2",
        "--out",
        "out",
        "--target",
        "2021=-0.81",
        "--target",
        "0.05",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "P(2021 growth ≥ -81%) = 1.00 (95% interval" in done.stdout
    assert "P(2020 growth ≥ 5%): unknown (no growth for 2020" in done.stdout  # no last_observed
    manifest = (tmp_path / "out" / "manifest.json").read_text(encoding="utf-8")
    assert '"growth_target": -0.81' in manifest
    bad = run_cli("run", str(path), "-n", "1", "--out", "bad", "--target", "8%", cwd=tmp_path)
    assert bad.returncode == 2
    assert "write a growth as a share" in bad.stderr
    far = run_cli("run", str(path), "-n", "1", "--out", "far", "--target", "2030=0.08", cwd=tmp_path)
    assert far.returncode == 2
    assert "targets.growth.2030" in far.stderr
    assert "2020-2021" in far.stderr


def test_a_saved_run_loads_back_with_its_months(tmp_path: Path) -> None:
    fc = _one_project(tmp_path / "s", last_observed={"year": 2019, "investment": 6}, targets={"growth": 0.0})
    back = investsim.Forecast.load(fc.save(tmp_path / "out"))
    assert back.monthly is not None
    assert fc.monthly is not None
    pd.testing.assert_frame_equal(back.monthly, fc.monthly, check_exact=True)
    summary, again = back.monthly_summary, fc.monthly_summary
    assert summary is not None
    assert again is not None
    pd.testing.assert_frame_equal(summary, again, check_exact=True)
