"""The report's charts and tables say what they show: units on the axes, no probability
where two scenarios are the same, signed years, percentages for growth, every metric
charted, significance on the heat map, the observed point in view, tables that fit the
page and the print, titles and descriptions a reader can read.

Page matters are checked in headless Chromium (fixtures ``folders`` and ``browser`` in
``conftest.py``); chart matters on the figures themselves."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd

from investsim.reporting import charts
from investsim.reporting.labels import Labels


def _rows(page: Any, selector: str) -> list[list[str]]:
    """The text of each row's cells of the tables under ``selector``."""
    return page.eval_on_selector_all(
        f"{selector} tr", "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))"
    )


def test_compare_difference_axis_has_the_money_unit(folders: dict[str, Path]) -> None:
    manifest = json.loads((folders["compare"] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["money_unit"] == "亿元"
    comparison = pd.read_csv(folders["compare"] / "comparison.csv")
    fig = charts.difference_chart(comparison, Labels("en", unit="亿元"), "base", unit=True)
    assert "亿元" in fig.axes[0].get_ylabel()


def test_compare_shows_same_not_a_probability_where_identical(folders: dict[str, Path], browser: Any) -> None:
    comparison = pd.read_csv(folders["compare"] / "comparison.csv", dtype={"period": str})
    inv = comparison[(comparison["metric"] == "investment") & comparison["period"].str.isdigit()]
    same = inv[(inv["diff_mean"] == 0) & (inv["diff_ci_low"] == 0) & (inv["diff_ci_high"] == 0)]
    assert len(same), "the reform starts after the first year: that year is the same"
    assert (same["prob_other_higher"] == 0).all()  # what the table must not show as "0%"
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto((folders["compare"] / "report.html").as_uri())
    rows = {r[0]: r for r in _rows(page, "table") if r and r[0].isdigit()}
    headline = _rows(page, "table")[1]
    page.close()
    for year in same["period"]:
        assert rows[year][-1] == "same", rows[year]
    for r in inv[~inv.index.isin(same.index)].itertuples():
        assert rows[r.period][-1].endswith("%"), rows[r.period]
    # the years whose interval excludes 0, in order, each with its sign
    sure = inv[(inv["diff_ci_low"] > 0) | (inv["diff_ci_high"] < 0)].sort_values("period")
    expected = ", ".join(f"{r.period} {'+' if r.diff_ci_low > 0 else '−'}" for r in sure.itertuples())
    assert expected, "the fixture's reform must have years whose interval excludes 0"
    assert headline[-1] == expected


def test_years_excluding_zero_carry_their_sign() -> None:
    from investsim.reporting.compare_report import signed_years

    years = pd.DataFrame(
        {
            "period": ["2020", "2021", "2022", "2023"],
            "diff_ci_low": [1.0, -3.0, -5.0, 0.5],
            "diff_ci_high": [4.0, 2.0, -1.0, 2.0],
        }
    )
    assert signed_years(years, Labels("en")) == "2020 +, 2022 −, 2023 +"
    assert signed_years(years.iloc[[1]], Labels("en")) == ""


def test_difference_chart_marks_identical_years_same() -> None:
    comparison = pd.DataFrame(
        {
            "scenario": ["A", "A"],
            "period": ["2020", "2021"],
            "metric": ["investment"] * 2,
            "diff_mean": [0.0, 5.0],
            "diff_ci_low": [0.0, 1.0],
            "diff_ci_high": [0.0, 9.0],
            "diff_p10": [0.0, -1.0],
            "diff_p90": [0.0, 11.0],
        }
    )
    fig = charts.difference_chart(comparison, Labels("en", unit="亿元"), "base", unit=True)
    notes = [t for t in fig.axes[0].texts if t.get_text() == "same"]
    assert len(notes) == 1
    assert notes[0].xy[0] == 2020


def test_sweep_charts_every_metric_and_shows_growth_as_percentages(
    folders: dict[str, Path], browser: Any
) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto((folders["sweep"] / "report.html").as_uri())
    charts_shown = page.eval_on_selector_all("img", "els => els.map(e => e.dataset.chart)")
    captions = page.eval_on_selector_all("figcaption", "els => els.map(e => e.innerText)")
    rows = _rows(page, "table")
    page.close()
    assert charts_shown == ["sweep", "sweep_2"]  # cumulative_investment, growth:2021
    assert all("overlaps the highest point's" in c for c in captions), captions
    head, body = rows[0], rows[1:]
    assert head[-1] == "growth 2021: mean"
    for row in body:
        assert row[-1].endswith("%"), row  # growth as a percentage, not a fraction
        assert not row[-1].startswith("0.0"), row


def test_sweep_growth_axis_is_in_percent() -> None:
    sweep = pd.DataFrame(
        {
            "x": [1.0, 2.0, 3.0],
            "growth:2021_mean": [0.01, 0.03, 0.05],
            "growth:2021_ci_low": [0.0, 0.02, 0.04],
            "growth:2021_ci_high": [0.02, 0.04, 0.06],
        }
    )
    fig = charts.sweep_line_chart(sweep, "x", "growth:2021", Labels("en"))
    fig.canvas.draw()
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels() if t.get_text()]
    assert ticks
    assert all(t.endswith("%") for t in ticks), ticks


def test_heat_map_greys_points_not_told_apart_from_the_highest() -> None:
    from investsim.reporting.charts.analyses import heat_values

    sweep = pd.DataFrame(
        {
            "a": [1, 1, 2, 2],
            "b": [10, 20, 10, 20],
            "m_mean": [100.0, 98.0, 90.0, 101.0],
            "m_ci_low": [97.0, 95.0, 88.0, 99.0],
            "m_ci_high": [103.0, 101.0, 92.0, 103.0],
        }
    )
    heat = heat_values(sweep, "a", "b", "m")
    # rows a = 1, 2; columns b = 10, 20; the highest is (a=2, b=20)
    assert heat["best"].tolist() == [[False, False], [False, True]]
    # (1, 10) and (1, 20) reach above the highest's low end (99): not told apart from it
    assert heat["same"].tolist() == [[True, True], [False, True]]
    assert heat["diff"][1, 0] == -11.0
    fig = charts.sweep_heatmap(sweep, "a", "b", "m", Labels("en"))
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts.count("100.0\n≈ highest") == 1
    assert "101.0\nhighest" in texts
    assert "90.0" in texts


def _fan_inputs(first_share: float = 0.99) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A three-year forecast whose first year is spent almost all by the start pipeline."""
    years = [2020, 2021, 2022]
    annual = pd.DataFrame(
        {
            "year": years,
            "investment_p10": [380.0, 340.0, 370.0],
            "investment_p50": [416.0, 415.0, 407.0],
            "investment_p90": [445.0, 474.0, 461.0],
            "investment_mean": [410.0, 418.0, 406.0],
        }
    )
    replications = pd.DataFrame(
        {
            "replication": [0, 0, 0],
            "year": years,
            "investment": [416.0, 415.0, 407.0],
            "investment_in_flight": [416.0 * first_share, 250.0, 20.0],
        }
    )
    return annual, replications


def test_fan_chart_shows_an_observed_point_outside_the_forecast_range() -> None:
    annual, replications = _fan_inputs()
    for observed in (900.0, 1500.0):
        fig = charts.fan_chart(annual, replications, Labels("en"), (2019, observed))
        low, high = fig.axes[0].get_ylim()
        assert low <= 0
        assert high > observed * 1.05, (observed, high)
        x_low, _ = fig.axes[0].get_xlim()
        assert x_low < 2019


def test_fan_chart_share_labels_stay_clear_of_the_lines() -> None:
    annual, replications = _fan_inputs()
    fig = charts.fan_chart(annual, replications, Labels("en"), (2019, 400.0))
    fig.canvas.draw()
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    shares = [t for t in ax.texts if t.get_text().endswith("%")]
    assert [t.get_text() for t in shares] == ["99%", "60%", "5%"]
    to_pixels = ax.transData.transform
    for line in ax.get_lines():  # median, mean and the observed point
        for x, y in zip(*line.get_data(), strict=True):
            px, py = to_pixels((x, y))
            for text in shares:
                box = text.get_window_extent(renderer).expanded(1.0, 1.0)
                assert not box.contains(px, py), (text.get_text(), line.get_label(), x, y)
            # nor does a label cover the line between points: check a label's box against
            # the line's height at the label's year
            for text in shares:
                if text.xy[0] == x:
                    box = text.get_window_extent(renderer)
                    assert not (box.y0 - 2 <= py <= box.y1 + 2), (text.get_text(), line.get_label())


TABLE_FITS = """els => els.map(e => ({
    heading: (e.closest('.scroll').previousElementSibling || {}).innerText || '',
    table: Math.ceil(e.getBoundingClientRect().width),
    box: e.closest('.scroll').clientWidth,
    page: document.querySelector('main').clientWidth
}))"""


def _overflowing(page: Any) -> list[dict[str, Any]]:
    """The tables of ``page`` wider than their box (which would scroll or be cut)."""
    fits = page.eval_on_selector_all("table", TABLE_FITS)
    assert fits
    return [f for f in fits if f["table"] > f["box"] or f["box"] > f["page"]]


def test_report_tables_fit_at_1400_px_and_in_print(folders: dict[str, Path], browser: Any) -> None:
    for kind in ("run", "chinese", "compare", "sweep", "sensitivity"):
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto((folders[kind] / "report.html").as_uri())
        assert _overflowing(page) == [], kind
        # printed: A4 landscape with 12 mm margins is 273 mm, 1032 CSS pixels, wide
        page.emulate_media(media="print")
        page.set_viewport_size({"width": 1032, "height": 730})
        assert _overflowing(page) == [], f"{kind}, printed"
        page.close()
    text = (folders["run"] / "report.html").read_text(encoding="utf-8")
    assert "@page { size: A4 landscape" in text


def test_run_report_title_is_the_scenarios_name_and_description(
    folders: dict[str, Path], browser: Any
) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto((folders["run"] / "report.html").as_uri())
    title = page.inner_text("h1")
    meta = page.inner_text("dl.meta")
    page.close()
    assert title == "Investment forecast: Liaoyuan baseline — Current policies, 2019-2028"
    assert "liaoyuan-baseline" in meta  # the scenario's own name stays in the facts


def test_citation_codes_are_dropped_from_the_description(folders: dict[str, Path], tmp_path: Path) -> None:
    from investsim.reporting.html import drop_citations
    from investsim.reporting.report import write_report

    copy = tmp_path / "run"
    shutil.copytree(folders["run"], copy)
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    manifest["resolved_scenario"]["description"] = (
        "Approvals take ~200 working days [MOHURD], >300 days at worst [MOHURD, SD]; land is scarce [LY]."
    )
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    write_report(copy)
    text = (copy / "report.html").read_text(encoding="utf-8")
    assert "Approvals take ~200 working days, &gt;300 days at worst; land is scarce." in text
    for code in ("[MOHURD]", "[LY]", "SD]"):
        assert code not in text
    assert drop_citations("a [x] b [2019]") == "a [x] b [2019]"  # only codes in capitals


def test_financing_gap_chart_shows_each_source_and_the_waits() -> None:
    from investsim.reporting.charts.run import source_gaps

    # the bank is short every year while the bonds have money to spare: the total is
    # below zero, yet projects wait for bank money
    replications = pd.DataFrame(
        {
            "replication": [0, 0, 1, 1],
            "year": [2020, 2021, 2020, 2021],
            "financing_supply_bank": [10.0, 10.0, 10.0, 10.0],
            "financing_demand_bank": [14.0, 16.0, 12.0, 18.0],
            "financing_supply_bonds": [30.0, 30.0, 30.0, 30.0],
            "financing_demand_bonds": [20.0, 20.0, 20.0, 20.0],
            "financing_gap": [-6.0, -4.0, -8.0, -2.0],
            "financing_wait_months": [6.0, 9.0, 8.0, 11.0],
        }
    )
    gaps = source_gaps(replications)
    assert list(gaps.columns) == ["bank", "bonds"]
    assert gaps["bank"].tolist() == [3.0, 7.0]
    assert gaps["bonds"].tolist() == [-10.0, -10.0]
    fig = charts.financing_gap_chart(replications, Labels("en", unit="亿元"))
    assert fig is not None
    top, bottom = fig.axes
    assert [line.get_label() for line in top.get_lines()][:3] == ["bank", "bonds", "all constrained sources"]
    assert [round(p.get_height(), 6) for p in bottom.patches] == [7.0, 10.0]
    assert "亿元" in top.get_ylabel()


def test_calibration_folder_has_a_report(folders: dict[str, Path], browser: Any) -> None:
    folder = folders["calibrate"]
    parameters = pd.read_csv(folder / "parameters.csv")
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto((folder / "report.html").as_uri())
    title = page.inner_text("h1")
    rows = _rows(page, "table")
    page.close()
    assert title == "Calibration: Liaoyuan 2014 2018"
    estimate = next(r for r in rows if r and r[0] == "sectors.industry.arrivals.rate")
    assert estimate[1] == f"{parameters['estimate'].iloc[0]:.4g}"
    assert any(r and r[0] == "starts_large 2014-2018" and r[1] == "fitted" for r in rows)


def test_chinese_reports_terminal_table_and_settings(folders: dict[str, Path], tmp_path: Path) -> None:
    from investsim.reporting import fonts
    from reportkit import TINY, cli_output

    output = cli_output("run", *TINY, "-n", 2, "--jobs", 1, "--out", tmp_path / "zh", "--lang", "zh")
    assert "年度投资（亿元），2 次模拟" in output
    assert "增速 P50" in output
    # compare takes --lang too (two results folders: nothing is simulated)
    cli_output("compare", folders["run"], tmp_path / "zh", "--out", tmp_path / "cmp", "--lang", "zh")
    if fonts.cjk_font() is None:
        return  # without a CJK font the reports fall back to English
    assert '<html lang="zh-CN">' in (tmp_path / "cmp" / "report.html").read_text(encoding="utf-8")
    text = (folders["chinese"] / "report.html").read_text(encoding="utf-8")
    assert "对数正态分布：中位数 1，P90 3" in text
    assert "伽马分布：均值 12，变异系数 0.3" in text
    assert "lognormal" not in text
    baseline = (tmp_path / "zh" / "report.html").read_text(encoding="utf-8")
    assert "情景说明（情景文件原文）：Current policies" in baseline
    assert "先到先得" in baseline  # the financing priority, fifo


def test_help_texts_show_no_doubled_percent_signs() -> None:
    from click.testing import CliRunner

    from investsim.cli import cli

    # (--precision's help said "95%%")
    for command in ("run", "compare", "sweep", "sensitivity", "calibrate", "report"):
        text = CliRunner().invoke(cli, [command, "--help"]).output
        assert "%%" not in text, command
    assert "95%" in CliRunner().invoke(cli, ["run", "--help"]).output
