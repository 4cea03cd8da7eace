"""The first sheet of ``forecast.xlsx``, "Summary": what a planner pastes into a briefing
(the key numbers and investment and growth by year) with two native spreadsheet charts
that stay editable (the fan of P10/P50/P90 investment and growth); and the print setup
every sheet gets (landscape, one page wide, heading rows repeated on every page).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from investsim.reporting.html import display_name, drop_citations
from investsim.reporting.labels import Labels

MONEY = "#,##0.0"
SHARE = "0.0%"
HEAD_FILL = "E8EEF5"
BOLD = ("1F4E79", 32000, None)
THIN_BLUE = ("1F4E79", 15000, "dash")
THIN_GREY = ("6B6B6B", 12000, "dash")
"""Line styles of the native charts: colour, width (EMU), dash."""
CHART_ROWS = 18
"""Rows of the summary sheet each chart takes (8.6 cm high, rows of 15 points)."""

TABLE_KEYS = (
    "year",
    "investment_p50",
    "investment_p10",
    "investment_p90",
    "investment_mean",
    "growth_p50",
    "growth_p10",
    "growth_p90",
    "band",
)
"""Columns of the summary's table by year; ``band`` is P90 - P10 (the fan chart stacks it
on P10)."""

TABLE_WORDS = {
    "year": "year",
    "investment_p10": "p10",
    "investment_p50": "p50",
    "investment_p90": "p90",
    "investment_mean": "mean",
    "growth_p10": "growth_p10",
    "growth_p50": "growth_p50",
    "growth_p90": "growth_p90",
    "band": "xl_band",
}
"""The wording key of each column's heading."""


def _col(key: str) -> int:
    """The column (from 1) of ``key`` in the summary's table by year."""
    return TABLE_KEYS.index(key) + 1


def print_setup(ws: Any, title_rows: int) -> None:
    """Print ``ws`` on A4 landscape, fitted to one page wide (as many pages down as it
    takes), the first ``title_rows`` rows repeated on every page, the sheet's name and the
    page number in the footer."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = False
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    if title_rows:
        ws.print_title_rows = f"1:{title_rows}"
    ws.oddFooter.left.text = "&A"
    ws.oddFooter.right.text = "&P / &N"


def _key_numbers(annual: pd.DataFrame, replications: pd.DataFrame, labels: Labels) -> list[list[Any]]:
    """Rows of ``[what, P50, P10, P90, number format]``: investment in the first and last
    year, the total over the horizon, the average yearly growth over it and the share of
    the first year spent by the pipeline known at the start."""
    first, last = annual.iloc[0], annual.iloc[-1]
    y1, y2 = int(first["year"]), int(last["year"])
    rows: list[list[Any]] = []
    for key, row in (("first_year", first), ("last_year", last))[: 1 if len(annual) == 1 else 2]:
        rows.append(
            [
                f"{labels.word(key, year=int(row['year']))} ({labels.unit})",
                row["investment_p50"],
                row["investment_p10"],
                row["investment_p90"],
                MONEY,
            ]
        )
    per_rep = replications.pivot_table(index="replication", columns="year", values="investment")
    total = per_rep.sum(axis=1)
    rows.append([f"{labels.word('cumulative', y1=y1, y2=y2)} ({labels.unit})", *_quantiles(total), MONEY])
    if len(annual) > 1 and y1 in per_rep.columns and y2 in per_rep.columns:
        ratio = (per_rep[y2] / per_rep[y1]).where(per_rep[y1] > 0)
        cagr = pd.Series(ratio ** (1 / (y2 - y1)) - 1).dropna()
        rows.append([labels.word("xl_average_growth", y1=y1, y2=y2), *_quantiles(cagr), SHARE])
    if "investment_in_flight" in replications.columns:
        part = replications[replications["year"] == y1]
        share = (part["investment_in_flight"] / part["investment"]).where(part["investment"] > 0).dropna()
        if len(share):
            rows.append([labels.word("xl_pipeline_share", year=y1), *_quantiles(share), SHARE])
    return rows


def _quantiles(values: pd.Series) -> list[float]:
    """P50, P10 and P90 of ``values`` (NaN for none)."""
    if not len(values):
        return [math.nan] * 3
    return [float(values.quantile(q)) for q in (0.5, 0.1, 0.9)]


def _value(v: Any) -> Any:
    """A cell value: finite floats as they are, anything else missing as empty."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return v
    return f if math.isfinite(f) else None


def _bold_row(ws: Any, row: int, columns: int) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    for j in range(1, columns + 1):
        cell = ws.cell(row=row, column=j)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=HEAD_FILL)
        cell.alignment = Alignment(wrap_text=True, vertical="top", horizontal="center" if j > 1 else "left")


def _header(ws: Any, manifest: dict[str, Any], annual: pd.DataFrame, labels: Labels) -> int:
    """The title, description and run facts at the top; returns the next free row."""
    from openpyxl.styles import Alignment, Font

    scn: dict[str, Any] = manifest.get("resolved_scenario") or {}
    name = str(manifest.get("scenario") or scn.get("name") or "")
    description = drop_citations(str(scn.get("description") or ""))
    ws["A1"] = labels.word("run_title", name=display_name(name, description))
    ws["A1"].font = Font(bold=True, size=14, color="1F4E79")
    row = 2
    if description:
        ws.cell(row=row, column=1, value=description).alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(TABLE_KEYS))
        ws.row_dimensions[row].height = 15.0 * max(1, math.ceil(len(description) / 110))
        row += 1
    years = annual["year"].astype(int)
    facts = labels.word(
        "xl_facts",
        y1=int(years.iloc[0]),
        y2=int(years.iloc[-1]),
        n=manifest.get("replications", ""),
        seed=manifest.get("seed", ""),
        scenario=name,
    )
    ws.cell(row=row, column=1, value=facts).font = Font(italic=True, color="5F6B7A")
    return row + 2


def _key_table(ws: Any, row: int, annual: pd.DataFrame, replications: pd.DataFrame, labels: Labels) -> int:
    """The key numbers (what, P50, P10, P90) from ``row``; returns the next free row."""
    heads = [labels.word("xl_key_numbers"), labels.word("p50"), labels.word("p10"), labels.word("p90")]
    for j, text in enumerate(heads, start=1):
        ws.cell(row=row, column=j, value=text)
    _bold_row(ws, row, len(heads))
    for what, *values, fmt in _key_numbers(annual, replications, labels):
        row += 1
        ws.cell(row=row, column=1, value=what)
        for j, v in enumerate(values, start=2):
            ws.cell(row=row, column=j, value=_value(v)).number_format = fmt
    return row + 2


def _year_table(ws: Any, row: int, annual: pd.DataFrame, labels: Labels) -> tuple[int, int]:
    """Investment and growth by year from ``row`` (headings, then a row a year); returns
    the heading row and the last row."""
    from openpyxl.styles import Alignment

    ws.cell(row=row - 1, column=1, value=labels.word("xl_by_year")).font = _bold()
    for j, key in enumerate(TABLE_KEYS, start=1):
        ws.cell(row=row, column=j, value=labels.word(TABLE_WORDS[key]))
    _bold_row(ws, row, len(TABLE_KEYS))
    head = row
    for r in annual.to_dict("records"):
        row += 1
        values = {k: r.get(k) for k in TABLE_KEYS}
        values["band"] = float(r["investment_p90"]) - float(r["investment_p10"])
        for j, key in enumerate(TABLE_KEYS, start=1):
            cell = ws.cell(row=row, column=j, value=int(r["year"]) if key == "year" else _value(values[key]))
            cell.number_format = "0" if key == "year" else SHARE if key.startswith("growth") else MONEY
            if key == "year":
                cell.alignment = Alignment(horizontal="left")
    return head, row


def _bold() -> Any:
    from openpyxl.styles import Font

    return Font(bold=True)


def _fan_chart(ws: Any, head: int, last: int, labels: Labels) -> Any:
    """The fan of annual investment as a native chart: P10 (invisible) and the P10-P90
    width stacked as areas make the band, P50 and the mean as lines over it."""
    from openpyxl.chart import AreaChart, Reference
    from openpyxl.chart.legend import LegendEntry
    from openpyxl.chart.series import SeriesLabel

    years = Reference(ws, min_col=1, min_row=head + 1, max_row=last)
    area = AreaChart()
    area.grouping = "stacked"
    for key in ("investment_p10", "band"):  # P10, then the width of the band stacked on it
        area.add_data(Reference(ws, min_col=_col(key), min_row=head, max_row=last), titles_from_data=True)
    floor, band = area.series
    floor.graphicalProperties.noFill = True
    floor.graphicalProperties.line.noFill = True
    band.graphicalProperties.solidFill = "9ECAE1"
    band.graphicalProperties.line.noFill = True
    band.tx = SeriesLabel(v=labels.text("band"))
    area.set_categories(years)
    area += _lines(ws, head, last, (("investment_p50", BOLD), ("investment_mean", THIN_BLUE)))
    area.title = labels.text("fan_title")
    area.y_axis.title = labels.text("investment_axis")
    area.y_axis.numFmt = "#,##0"
    _axes(area)
    area.legend.legendEntry = [LegendEntry(idx=0, delete=True)]  # the invisible P10 floor
    return area


def _growth_chart(ws: Any, head: int, last: int, labels: Labels) -> Any:
    """Growth on the year before as a native line chart: P50 and the P10 and P90 lines."""
    chart = _lines(
        ws, head, last, (("growth_p50", BOLD), ("growth_p10", THIN_GREY), ("growth_p90", THIN_GREY))
    )
    chart.title = labels.text("growth_title")
    chart.y_axis.title = labels.text("growth_axis")
    chart.y_axis.numFmt = "0%"
    _axes(chart)
    return chart


def _lines(ws: Any, head: int, last: int, columns: Sequence[tuple[str, tuple[str, int, str | None]]]) -> Any:
    """A native line chart of the columns ``columns`` of the table by year (heading row
    ``head``, last row ``last``), each drawn as ``(colour, width in EMU, dash or None)``,
    with the years as categories."""
    from openpyxl.chart import LineChart, Reference

    chart = LineChart()
    for key, (color, width, dash) in columns:
        chart.add_data(Reference(ws, min_col=_col(key), min_row=head, max_row=last), titles_from_data=True)
        series = chart.series[-1]
        series.graphicalProperties.line.solidFill = color
        series.graphicalProperties.line.width = width
        series.smooth = False
        if dash:
            series.graphicalProperties.line.dashStyle = dash
    chart.set_categories(Reference(ws, min_col=1, min_row=head + 1, max_row=last))
    return chart


def _axes(chart: Any) -> None:
    """Both axes shown (newer spreadsheet programs hide them unless told), the legend
    under the chart, and the size of a half slide."""
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.x_axis.tickLblPos = "low"
    chart.legend.position = "b"
    chart.width, chart.height = 24.0, 8.6


def summary_sheet(
    wb: Any, annual: pd.DataFrame, replications: pd.DataFrame, manifest: dict[str, Any], labels: Labels
) -> Any:
    """Add the "Summary" sheet (first): title, description and run facts, the key numbers,
    investment and growth by year, and the fan and growth charts under them, built from
    the table by year (edit a number and the charts follow)."""
    from openpyxl.worksheet.pagebreak import Break

    ws = wb.create_sheet(labels.word("sheet_summary"), 0)
    row = _header(ws, manifest, annual, labels)
    row = _key_table(ws, row, annual, replications, labels)
    head, last = _year_table(ws, row + 1, annual, labels)
    ws.column_dimensions["A"].width = 50.0
    for letter in "BCDEFGHI":
        ws.column_dimensions[letter].width = 13.0
    ws.row_dimensions[head].height = 30.0
    # the charts on a page of their own, one above the other
    anchor = last + 2
    ws.row_breaks.append(Break(id=last + 1))
    ws.add_chart(_fan_chart(ws, head, last, labels), f"A{anchor}")
    ws.add_chart(_growth_chart(ws, head, last, labels), f"A{anchor + CHART_ROWS}")
    print_setup(ws, 0)
    ws.print_area = f"A1:I{anchor + 2 * CHART_ROWS}"
    return ws
