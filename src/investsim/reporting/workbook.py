"""``forecast.xlsx``: a summary with native charts (:mod:`.workbook_summary`), then the
annual summary, investment by sector and by source, stage statistics, the resolved
scenario's parameters and the run's manifest, one sheet each.

Every table sheet has a row of headings and (except the key-value sheets) a row of the
CSV column keys, both frozen and repeated on every printed page; numbers are numbers with
number formats; every sheet prints landscape, one page wide.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from investsim import columns
from investsim.reporting.charts import in_flight_summary
from investsim.reporting.columns import Column, annual_columns, column_label, fmt_of
from investsim.reporting.labels import Labels
from investsim.reporting.workbook_summary import print_setup, summary_sheet
from investsim.results.folders import write_file_atomic
from investsim.stages import STAGES

ANNUAL_KEYS = (
    "year",
    "investment_mean",
    "investment_p10",
    "investment_p50",
    "investment_p90",
    "growth_p10",
    "growth_p50",
    "growth_p90",
    "investment_projects_p50",
    "investment_background_p50",
    "investment_in_flight_p50",
    "in_flight_share_p50",
    "arrivals_mean",
    "starts_mean",
    "completions_mean",
    "started_investment_mean",
    "financing_gap_mean",
    "growth_target",
    "target_probability",
    "replications",
)
"""Columns of the annual summary sheet (those the results have)."""

MONTHLY_KEYS = (
    "year",
    "period",
    "investment_mean",
    "investment_p10",
    "investment_p50",
    "investment_p90",
    "ytd_investment_mean",
    "ytd_investment_p10",
    "ytd_investment_p50",
    "ytd_investment_p90",
    "ytd_growth_p10",
    "ytd_growth_p50",
    "ytd_growth_p90",
    "growth_target",
    "ytd_target_probability",
    "replications",
)
"""Columns of the monthly sheet (``monthly.csv``, in the bureau's periods; ``period`` is
the English label in an English workbook)."""

PUBLISHED_KEYS = ("published_ytd_investment", "published_ytd_growth")
"""The published figures beside the re-forecast's months (``reforecast_monthly.csv``)."""

RESOURCE_KEYS = (
    "approval_utilisation_mean",
    "land_utilisation_mean",
    "secretary_utilisation_mean",
    "land_budget_supply_mean",
    "land_budget_demand_mean",
)
"""Columns of the stage statistics sheet after those of each stage."""


def flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Nested mappings and lists as ``(dotted.key, value)`` pairs: mappings by key, lists
    of mappings by index, lists of plain values kept whole (as JSON text)."""
    if isinstance(value, dict):
        if not value:
            return [(prefix, "{}")] if prefix else []
        out: list[tuple[str, Any]] = []
        for k, v in value.items():
            out += flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    if isinstance(value, list):
        if any(isinstance(v, dict | list) for v in value):
            out = []
            for i, v in enumerate(value):
                out += flatten(v, f"{prefix}.{i}")
            return out
        return [(prefix, json.dumps(value, ensure_ascii=False))]
    return [(prefix, value)]


def _cell_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool | str | int):
        return value
    if isinstance(value, np.integer):
        return int(value)
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    return v if math.isfinite(v) else None


def _text_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _head_rows(ws: Any, columns: Sequence[Column], key_row: bool) -> None:
    """The row of headings (bold, wrapped) and, with ``key_row``, the row of column keys."""
    from openpyxl.styles import Alignment, Font, PatternFill

    fill = PatternFill("solid", fgColor="E8EEF5")
    ws.append([c.label for c in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    if key_row:
        ws.append([c.key for c in columns])
        for cell in ws[2]:
            cell.font = Font(italic=True, color="7F7F7F", size=9)
            cell.fill = fill


def _fit_columns(ws: Any, frame: pd.DataFrame, columns: Sequence[Column], first: int) -> None:
    """Number formats from row ``first`` down, column widths to fit, and the heading row
    tall enough for the longest wrapped heading."""
    from openpyxl.utils import get_column_letter

    lines = 1
    for j, col in enumerate(columns, start=1):
        for row in ws.iter_rows(min_row=first, min_col=j, max_col=j):
            row[0].number_format = col.fmt
        if col.fmt in ("@", "General"):  # text: as wide as the longest value, within limits
            values = [str(v) for v in frame.iloc[:, j - 1].head(500)] if len(frame) else []
            width: float = min(max([_text_width(col.label), *(_text_width(v) for v in values)]) + 2, 70)
        else:  # numbers: room for the key (small type) and about half the heading (it wraps)
            width = min(max(len(col.key) * 0.85, _text_width(col.label) * 0.6, 10) + 2, 40)
        ws.column_dimensions[get_column_letter(j)].width = float(width)
        lines = max(lines, math.ceil(_text_width(col.label) / max(width - 2, 1)))
    ws.row_dimensions[1].height = 15.0 * lines


def _sheet(wb: Any, title: str, frame: pd.DataFrame, columns: Sequence[Column], key_row: bool = True) -> None:
    """A worksheet: a row of headings, a row of column keys (when ``key_row``), frozen,
    then ``frame``'s rows with number formats and fitted column widths."""
    ws = wb.create_sheet(title)
    _head_rows(ws, columns, key_row)
    first = 3 if key_row else 2
    for record in frame.itertuples(index=False):
        ws.append([_cell_value(v) for v in record])
    _fit_columns(ws, frame, columns, first)
    ws.freeze_panes = ws.cell(row=first, column=2 if key_row else 1)
    print_setup(ws, first - 1)


def _with_in_flight(annual: pd.DataFrame, replications: pd.DataFrame) -> pd.DataFrame:
    """``annual`` with the start pipeline's P50 and share of each year (when the results
    have it)."""
    frame = annual.copy()
    flight = in_flight_summary(replications)
    if flight is not None:
        frame = frame.merge(
            flight.rename(
                columns={"in_flight_p50": "investment_in_flight_p50", "share_p50": "in_flight_share_p50"}
            ),
            on="year",
            how="left",
        )
    return frame


def _split_sheets(
    wb: Any, frame: pd.DataFrame, annual: pd.DataFrame, replications: pd.DataFrame, labels: Labels
) -> None:
    """By sector and by source: P50 from annual.csv, and the mean (the means add up to the
    total); the source sheet adds the financing supply, demand and gap."""
    for sheet, family, extra in (
        ("sheet_sector", columns.SECTOR_INVESTMENT, ["investment_background"]),
        ("sheet_source", columns.SOURCE_INVESTMENT, []),
    ):
        cols = columns.member_names(replications.columns, family) + [
            c for c in extra if c in replications.columns
        ]
        means = replications.groupby("year", sort=True)[cols].mean().add_suffix("_mean").reset_index()
        part = frame.merge(means, on="year", how="left")
        keys = ["year"]
        for c in cols:
            keys += [f"{c}_p50", f"{c}_mean"]
        if family is columns.SOURCE_INVESTMENT:
            for accounts in (columns.FINANCING_SUPPLY, columns.FINANCING_DEMAND, columns.FINANCING_COMMITTED):
                keys += columns.member_names(annual.columns, accounts, "mean")
            keys += [f"{columns.FINANCING_GAP.name}_mean"]
        _sheet(wb, labels.word(sheet), *annual_columns(part, keys, labels))


def _stage_keys() -> list[str]:
    keys = ["year"]
    for stage in STAGES:
        keys += [
            columns.ENTERING.of(stage=stage),
            columns.IN_STAGE_AT_YEAR_END.of(stage=stage),
            columns.WAIT_MONTHS.of(stage=stage),
            columns.WORK_MONTHS.of(stage=stage),
            columns.CANCELLED.of(cancel_stage=stage),
        ]
    return [*(k if k == "year" else f"{k}_mean" for k in keys), *RESOURCE_KEYS]


def _key_value_sheets(wb: Any, manifest: dict[str, Any], labels: Labels) -> None:
    """The resolved scenario's parameters and the run's manifest, as dotted keys and
    values (``null`` for none); numbers that are floats shown as they are."""
    head = [Column("key", labels.word("key"), "@"), Column("value", labels.word("value"), "General")]
    run = {k: v for k, v in manifest.items() if k != "resolved_scenario"}
    if isinstance(run.get("command"), list):
        run["command"] = " ".join(map(str, run["command"]))
    for sheet, data in (("sheet_parameters", manifest.get("resolved_scenario") or {}), ("sheet_run", run)):
        values = [(k, "null" if v is None else v) for k, v in flatten(data)]
        _sheet(wb, labels.word(sheet), pd.DataFrame(values, columns=["key", "value"]), head, key_row=False)
    for ws in wb.worksheets[-2:]:
        for row in ws.iter_rows(min_row=2, min_col=2, max_col=2):
            if isinstance(row[0].value, float):
                row[0].number_format = "General"


def _given_sheets(wb: Any, annual: pd.DataFrame, monthly: pd.DataFrame, labels: Labels) -> None:
    """The re-forecast's two sheets: the years, and the months with the published figures
    beside (headed "published: ...", formatted as the model's own figures)."""
    _sheet(wb, labels.word("sheet_given_annual"), *annual_columns(annual, ANNUAL_KEYS, labels))
    months = monthly if labels.zh else monthly.assign(period=monthly["period_en"])
    frame, cols = annual_columns(months, MONTHLY_KEYS, labels)
    published = [k for k in PUBLISHED_KEYS if k in months.columns]
    for key in published:
        own = key.removeprefix("published_") + "_p50"
        heading = column_label(own, labels).removesuffix(" P50")
        cols.append(Column(key, f"{labels.text('published')}: {heading}", fmt_of(own)))
    _sheet(wb, labels.word("sheet_given_monthly"), pd.concat([frame, months[published]], axis=1), cols)


def write_workbook(
    target: Path,
    annual: pd.DataFrame,
    replications: pd.DataFrame,
    manifest: dict[str, Any],
    labels: Labels,
    monthly: pd.DataFrame | None = None,
    given: tuple[pd.DataFrame, pd.DataFrame] | None = None,
) -> Path:
    """Write ``forecast.xlsx``: the summary (key numbers, investment and growth by year,
    native fan and growth charts), annual summary, by sector, by source, stage statistics,
    the months (``monthly``, ``monthly.csv``, if given), the years and months given the
    published figures (``given``: ``reforecast_annual.csv`` and ``reforecast_monthly.csv``
    of a run with ``--actuals``), the resolved scenario's parameters
    (dotted keys) and the run's manifest. Every table
    sheet has a row of headings and a row of the CSV column keys, both frozen; numbers are
    numbers with number formats; every sheet has a print setup. Returns ``target``."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    frame = _with_in_flight(annual, replications)
    _sheet(wb, labels.word("sheet_annual"), *annual_columns(frame, ANNUAL_KEYS, labels))
    _split_sheets(wb, frame, annual, replications, labels)
    _sheet(wb, labels.word("sheet_stages"), *annual_columns(frame, _stage_keys(), labels))
    if monthly is not None:
        months = monthly if labels.zh else monthly.assign(period=monthly["period_en"])
        _sheet(wb, labels.word("sheet_monthly"), *annual_columns(months, MONTHLY_KEYS, labels))
    if given is not None:
        _given_sheets(wb, *given, labels)
    _key_value_sheets(wb, manifest, labels)
    summary_sheet(wb, annual, replications, manifest, labels)
    wb.active = 0
    write_file_atomic(target, lambda tmp: wb.save(tmp))
    return target
