"""The report's charts and tables say what they show: units on the axes, no probability
where two scenarios are the same, signed years, percentages for growth, every metric
charted, significance on the heat map, the observed point in view, tables that fit the
page and the print, titles and descriptions a reader can read.

Page matters are checked in headless Chromium (fixtures ``folders`` and ``browser`` in
``conftest.py``); chart matters on the figures themselves."""

from __future__ import annotations

import json
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
    # the years whose interval excludes 0, with their sign
    higher = inv[inv["diff_ci_low"] > 0]["period"].tolist()
    lower = inv[inv["diff_ci_high"] < 0]["period"].tolist()
    expected = "; ".join(
        [f"higher: {', '.join(higher)}"] * bool(higher) + [f"lower: {', '.join(lower)}"] * bool(lower)
    )
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
    assert signed_years(years, Labels("en")) == "higher: 2020, 2023; lower: 2022"
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
