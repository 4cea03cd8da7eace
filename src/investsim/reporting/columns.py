"""Headings and number formats of the workbook's columns, from the column registry
(:mod:`investsim.columns`): ``investment_p50``, ``financing_supply_bank_mean``, ..."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from investsim import columns
from investsim.reporting.labels import Labels


@dataclass
class Column:
    """A column of a worksheet: its key (the CSV column name), heading and number format."""

    key: str
    label: str
    fmt: str


def fmt_of(key: str) -> str:
    """The Excel number format of the column ``key`` (from the column registry)."""
    return columns.excel_format(key)


def column_label(key: str, labels: Labels) -> str:
    """A readable heading for an annual.csv column (or one computed alike): what it
    counts, then the statistic (mean, P10, P50, P90)."""
    return columns.heading(key, labels.zh, labels.unit, labels.name)


def annual_columns(
    annual: pd.DataFrame, keys: Sequence[str], labels: Labels
) -> tuple[pd.DataFrame, list[Column]]:
    """The columns ``keys`` that ``annual`` has, in that order, with their
    :class:`Column` descriptions."""
    present = [k for k in keys if k in annual.columns]
    return annual[present], [Column(k, column_label(k, labels), fmt_of(k)) for k in present]
