"""Headings and number formats of the workbook's columns, from their annual.csv keys
(``investment_p50``, ``financing_supply_bank_mean``, ``in_land_at_year_end_mean``, ...)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from investsim.reporting.labels import Labels
from investsim.reporting.wording import COLUMN_NAMES, FINANCING_PARTS, STAGE_PARTS

MONEY_FMT = "#,##0.00"
COUNT_FMT = "#,##0.0"
PCT_FMT = "0.0%"
MONTHS_FMT = "0.0"
YEAR_FMT = "0"

_STATS = ("_mean", "_p10", "_p50", "_p90")


@dataclass
class Column:
    """A column of a worksheet: its key (the CSV column name), heading and number format."""

    key: str
    label: str
    fmt: str


def fmt_of(key: str) -> str:
    """The Excel number format of the column ``key``: year, percentage, months, money or
    count."""
    if key == "year":
        return YEAR_FMT
    if key.startswith("growth") or key.endswith(("utilisation_mean", "share_p50")):
        return PCT_FMT
    if "months" in key:
        return MONTHS_FMT
    if key.startswith(("investment", "financing_", "land_budget", "started_investment")):
        return MONEY_FMT
    if key == "replications":
        return "0"
    return COUNT_FMT


def _pattern_label(base: str, labels: Labels) -> str | None:
    """The heading of a column named after a sector, source or stage, or ``None``."""
    zh, unit = labels.zh, labels.unit
    if m := re.match(r"^(investment_sector_|investment_source_)(.+)$", base):
        return f"{labels.name(m.group(2))} ({unit})" if not zh else f"{labels.name(m.group(2))}（{unit}）"
    if m := re.match(r"^financing_(supply|demand|committed)_(.+)$", base):
        return f"{labels.name(m.group(2))} {FINANCING_PARTS[m.group(1)][1 if zh else 0]}"
    if m := re.match(r"^in_(\w+)_at_year_end$", base):
        stage = labels.name(m.group(1))
        return f"{stage}：年末在办" if zh else f"in {stage} at year end"
    if m := re.match(r"^(approval|land|financing|construction)_(entering|wait_months|work_months)$", base):
        en, cn = STAGE_PARTS[m.group(2)]
        return f"{labels.name(m.group(1))}：{cn}" if zh else f"{labels.name(m.group(1))}: {en}"
    if m := re.match(r"^cancelled_(\w+)$", base):
        return f"{labels.name(m.group(1))}：取消" if zh else f"cancelled in {labels.name(m.group(1))}"
    return None


def column_label(key: str, labels: Labels) -> str:
    """A readable heading for an annual.csv column (or one computed alike): what it
    counts, then the statistic (mean, P10, P50, P90)."""
    base, stat = key, ""
    for suffix in _STATS:
        if key.endswith(suffix):
            base, stat = key[: -len(suffix)], suffix[1:]
            break
    stat_text = {"mean": "均值" if labels.zh else "mean", "p10": "P10", "p50": "P50", "p90": "P90", "": ""}[
        stat
    ]
    if base in COLUMN_NAMES:
        text = COLUMN_NAMES[base][1 if labels.zh else 0].format(unit=labels.unit)
    else:
        text = _pattern_label(base, labels) or base.replace("_", " ")
    return f"{text} {stat_text}".strip()


def annual_columns(
    annual: pd.DataFrame, keys: Sequence[str], labels: Labels
) -> tuple[pd.DataFrame, list[Column]]:
    """The columns ``keys`` that ``annual`` has, in that order, with their
    :class:`Column` descriptions."""
    present = [k for k in keys if k in annual.columns]
    return annual[present], [Column(k, column_label(k, labels), fmt_of(k)) for k in present]
