"""Observed history for calibration: the targets read from history CSV files or DataFrames.

Two layouts: yearly (``year`` and any of investment, starts, completions,
started_investment; blank cells are missing values) or aggregate (``from_year, to_year,
metric, value`` and optionally ``min_size`` and ``source``), for figures only known as
totals over several years, such as the count of large projects started 2014-2018.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from investsim.errors import InputError

YEARLY_COLUMNS = ("investment", "starts", "completions", "started_investment")
AGGREGATE_METRICS = (*YEARLY_COLUMNS, "starts_large", "started_investment_large")
AGGREGATE_COLUMNS = {"from_year", "to_year", "metric", "value"}


@dataclass(frozen=True)
class Target:
    """An observed figure: ``metric`` summed over the years ``first .. last``."""

    metric: str
    first: int
    last: int
    observed: float

    @property
    def label(self) -> str:
        """``investment 2016`` or ``starts_large 2014-2018``."""
        years = str(self.first) if self.first == self.last else f"{self.first}-{self.last}"
        return f"{self.metric} {years}"

    def values(self, replications: pd.DataFrame) -> NDArray[np.float64]:
        """The simulated figure, one value per replication."""
        rows = replications[(replications["year"] >= self.first) & (replications["year"] <= self.last)]
        return rows.groupby("replication", sort=True)[self.metric].sum().to_numpy(dtype=float)


def read_history(path: str | Path) -> tuple[list[Target], float | None]:
    """Targets from a history CSV, and the project size its ``*_large`` targets count from
    (see the module docstring for the layouts); ``InputError`` naming the line at fault."""
    return _targets(_read_csv(path), str(path))


def history_from_frame(frame: pd.DataFrame, label: str) -> tuple[list[Target], float | None]:
    """Targets from a DataFrame in either layout of a history CSV (a yearly one may have
    ``year`` as its index), and the ``min_size`` of its ``*_large`` targets; an
    ``InputError`` names ``label`` and the row (by its index label) at fault."""
    df = frame.copy()
    if "year" not in df.columns and df.index.name == "year":
        df = df.reset_index()
    df.columns = [str(c).strip() for c in df.columns]
    try:
        return _targets(df, label)
    except InputError as e:
        if e.line is not None:
            # the checks count CSV lines (the header is line 1): name the DataFrame's row instead
            row = frame.index[e.line - 2]
            e.message = f"row {row.item() if isinstance(row, np.generic) else row!r}: {e.message}"
            e.line = None
        raise


def _targets(df: pd.DataFrame, file: str) -> tuple[list[Target], float | None]:
    if "year" in df.columns:
        targets, min_size = _yearly(df, file), None
    elif set(df.columns) >= AGGREGATE_COLUMNS:
        targets, min_size = _aggregate(df, file)
    else:
        raise InputError(
            "a history has a 'year' column (yearly figures) or from_year, to_year, metric, value "
            f"(aggregates); got {list(df.columns)}",
            file=file,
        )
    if not targets:
        raise InputError("has no figures", file=file)
    return targets, min_size


def _read_csv(path: str | Path) -> pd.DataFrame:
    """The CSV as text cells (numbers are checked one by one), its headers stripped."""
    file = str(path)
    try:
        df = pd.read_csv(path, encoding="utf-8-sig", thousands=",", skip_blank_lines=True, dtype=str)
    except FileNotFoundError:
        raise InputError("no such history file", file=file) from None
    except UnicodeDecodeError:
        raise InputError("is not UTF-8 text: save the CSV as UTF-8", file=file) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise InputError(f"cannot read the CSV: {str(e).strip()}", file=file) from None
    df.columns = [str(c).strip() for c in df.columns]
    return df


def _number(value: Any, file: str, line: int, column: str) -> float:
    try:
        x = float(str(value).replace(",", "").strip())
    except ValueError:
        raise InputError(f"{column}: {value!r} is not a number", file=file, line=line) from None
    if not math.isfinite(x) or x < 0:
        raise InputError(f"{column}: {value!r} must be a finite number >= 0", file=file, line=line)
    return x


def _year(value: Any, file: str, line: int, column: str) -> int:
    x = _number(value, file, line, column)
    if not x.is_integer():
        raise InputError(f"{column}: {value!r} is not a year", file=file, line=line)
    return int(x)


def _yearly(df: pd.DataFrame, file: str) -> list[Target]:
    """Targets of the yearly layout: one per year and non-blank cell."""
    metrics = [c for c in df.columns if c != "year"]
    unknown = [c for c in metrics if c not in YEARLY_COLUMNS]
    if unknown or not metrics:
        raise InputError(
            f"yearly history columns are year and any of {', '.join(YEARLY_COLUMNS)}; got {list(df.columns)}",
            file=file,
        )
    targets: list[Target] = []
    seen: set[int] = set()
    for i, row in enumerate(df.to_dict("records")):
        line = i + 2
        y = _year(row["year"], file, line, "year")
        if y in seen:
            raise InputError(f"year {y} appears twice", file=file, line=line)
        seen.add(y)
        for m in metrics:
            if pd.isna(row[m]) or not str(row[m]).strip():
                continue
            targets.append(Target(m, y, y, _number(row[m], file, line, m)))
    return targets


def _aggregate(df: pd.DataFrame, file: str) -> tuple[list[Target], float | None]:
    """Targets of the aggregate layout, and the ``min_size`` of its ``*_large`` ones."""
    extra = set(df.columns) - AGGREGATE_COLUMNS - {"min_size", "source"}
    if extra:
        raise InputError(f"unknown column(s) {sorted(extra)}", file=file)
    targets: list[Target] = []
    min_size: float | None = None
    for i, row in enumerate(df.to_dict("records")):
        line = i + 2
        metric = str(row["metric"]).strip()
        if metric not in AGGREGATE_METRICS:
            raise InputError(
                f"metric {metric!r}: use one of {', '.join(AGGREGATE_METRICS)}", file=file, line=line
            )
        first, last = (
            _year(row["from_year"], file, line, "from_year"),
            _year(row["to_year"], file, line, "to_year"),
        )
        if last < first:
            raise InputError("to_year is before from_year", file=file, line=line)
        size = row.get("min_size")
        if metric.endswith("_large"):
            if size is None or pd.isna(size) or not str(size).strip():
                raise InputError(
                    f"{metric} needs min_size (the project size it counts from)", file=file, line=line
                )
            s = _number(size, file, line, "min_size")
            if min_size is not None and s != min_size:
                raise InputError("every *_large target must use the same min_size", file=file, line=line)
            min_size = s
        targets.append(Target(metric, first, last, _number(row["value"], file, line, "value")))
    return targets, min_size
