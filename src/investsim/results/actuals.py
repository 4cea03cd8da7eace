"""Actuals: the year-to-date figures the statistics bureau has published, read from a CSV
or Excel file and checked, for the in-year re-forecast (``investsim run --actuals``).

A file has one row per published period: ``period`` (``1-2月`` … ``1-12月``, ``Jan-Jun``,
or ``2021-06`` for the year to date through June 2021), ``year`` (unless the period
holds it), and ``ytd_investment`` (in the scenario's money unit) and/or ``ytd_growth``
(on the same months of the year before, as a share: ``0.052``, or ``5.2%``).
docs/input-files.md describes the format; every problem is an :class:`InputError`
naming the file, the line, the row and the column (exit 2), or a warning in
:attr:`Actuals.warnings`.

This module only reads and checks; :mod:`investsim.analyses.reforecast` weighs the
replications of a forecast by how well they match the figures.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from investsim.errors import InputError
from investsim.model.spending import MONTHS
from investsim.results.monthly import FIRST_PERIOD_END, MONTH_ABBR, period_label
from investsim.scenario.config import Scenario

COLUMNS = ("period", "year", "ytd_investment", "ytd_growth")
"""The columns of an actuals file (``period`` and one of the two figures are required)."""

ALIASES = {
    "period": ("period", "期间", "时期", "统计期", "月份"),
    "year": ("year", "年份", "年度", "年"),
    "ytd_investment": ("ytd_investment", "累计投资", "累计完成投资", "本年累计完成投资", "本年累计"),
    "ytd_growth": ("ytd_growth", "累计增速", "累计同比", "累计同比增长", "同比增长", "增速"),
}
"""Headings accepted for each column (English, and the Chinese a bureau's table uses); a
unit in brackets after a heading is allowed (``累计投资（亿元）``), and ``%`` in the
heading of the growth (``ytd_growth_pct``, ``累计增速(%)``) means its numbers are percents."""

IGNORED = ("note", "notes", "source", "备注", "来源", "说明")
"""Columns a planner may keep beside the figures (notes, where a figure came from)."""

MAX_BYTES = 1_000_000
"""An actuals file is a few dozen rows; a bigger file is the wrong one."""

_DASH = r"\s*[-–—~～至到]\s*"
_MONTH_NAMES = {abbr.lower(): i + 1 for i, abbr in enumerate(MONTH_ABBR)}


@dataclass(frozen=True, eq=False)
class Actuals:
    """Published year-to-date figures: one row per year and period (``table``), checked.

    ``table`` has ``year``, ``month`` (the period's last month: 6 for 1-6月),
    ``period`` (the bureau's label), ``ytd_investment`` and ``ytd_growth`` (NaN where
    not given), ``row`` (where the figure was read: ``file:line``) and ``row_number``
    (``row N`` of messages: 1 is the first row under the header). ``warnings`` are
    the problems that do not stop the re-forecast (a period missing in the middle).
    """

    table: pd.DataFrame
    file: str = "actuals"
    warnings: tuple[str, ...] = field(default=())

    def __repr__(self) -> str:
        t = self.table
        last = t.iloc[-1]
        kinds = [k for k in ("ytd_investment", "ytd_growth") if t[k].notna().any()]
        return (
            f"Actuals({len(t)} periods, {int(t['year'].min())}-{int(t['year'].max())}, "
            f"last {last['period']} {int(last['year'])}, {' and '.join(kinds)})"
        )

    @property
    def current_year(self) -> int:
        """The latest year the figures reach: the year re-forecast."""
        return int(self.table["year"].max())

    @property
    def last_month(self) -> int:
        """The last month observed of the current year (6 for 1-6月)."""
        t = self.table
        return int(t.loc[t["year"] == self.current_year, "month"].max())

    @property
    def given(self) -> str:
        """``1-6月 2021``: how far the figures reach."""
        return f"{period_label(self.last_month)} {self.current_year}"

    def check_years(self, scenario: Scenario) -> None:
        """Refuse a year the scenario does not forecast: every year must be one of its
        years, or the year before ``start_year`` (a base for year-to-date growth only)."""
        years = scenario.years
        first, last = years[0], years[-1]
        for rec in self.table.to_dict("records"):
            if not first - 1 <= int(rec["year"]) <= last:
                raise _error(
                    str(rec["row"]),
                    f"row {rec['row_number']}, year",
                    f"year(={int(rec['year'])}) is outside the forecast, {first}-{last} (the year "
                    f"before, {first - 1}, is accepted as the base of {first}'s growth)",
                )


def _error(row: str, column: str, what: str) -> InputError:
    file, _, line = row.rpartition(":")
    return InputError(what, file=file, line=int(line) if line.isdigit() else None, path=column)


def read_actuals(path: str | Path, sheet: str | None = None) -> Actuals:
    """Read and check the actuals file ``path``: a CSV (UTF-8) or an Excel workbook
    (``.xlsx``; its first sheet, or ``sheet``). ``InputError`` for a file that can't be
    used, naming the line, row and column."""
    p = Path(path)
    file = str(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise InputError(f"can't read the actuals file: {e.strerror or e}", file=file) from None
    if len(raw) > MAX_BYTES:
        raise InputError(f"is {len(raw):,} bytes: an actuals file is a few dozen rows", file=file)
    if raw[:4] == b"PK\x03\x04":
        rows = _excel_rows(p, file, sheet)
    else:
        if sheet is not None:
            raise InputError(f"sheet {sheet!r} given, but the file is not an Excel workbook", file=file)
        rows = _csv_rows(raw, file)
    return _actuals(rows, file)


def actuals_from_frame(frame: pd.DataFrame, name: str = "actuals") -> Actuals:
    """Actuals from a DataFrame with the file's columns (checked as a file is; ``name``
    stands for the file in messages, and rows are numbered from 2 as in a spreadsheet)."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"actuals must be a DataFrame or a file path, got {type(frame).__name__}")
    header: list[Any] = [str(c) for c in frame.columns]
    rows = [
        (i + 2, ["" if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in r])
        for i, r in enumerate(frame.itertuples(index=False))
    ]
    return _actuals([(1, header), *rows], name)


def _csv_rows(raw: bytes, file: str) -> list[tuple[int, list[Any]]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise InputError(
            f"not UTF-8 text: byte 0x{raw[e.start]:02x} can't be read; save the file as UTF-8 "
            "(in Excel: Save As, 'CSV UTF-8')",
            file=file,
            line=line,
        ) from None
    out: list[tuple[int, list[Any]]] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for fields in reader:
            out.append((reader.line_num, fields))
    except csv.Error as e:
        raise InputError(f"not a readable CSV file: {e}", file=file, line=reader.line_num) from None
    return [(n, f) for n, f in out if not f or not f[0].lstrip().startswith("#")]


def _excel_rows(p: Path, file: str, sheet: str | None) -> list[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(p, read_only=True, data_only=True)
    except Exception as e:  # a damaged or renamed file: openpyxl's own words
        raise InputError(f"not a readable Excel workbook (.xlsx): {e}", file=file) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise InputError(f"no sheet {sheet!r}; the workbook has {', '.join(book.sheetnames)}", file=file)
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        return [
            (i, ["" if v is None else v for v in values])
            for i, values in enumerate(ws.iter_rows(values_only=True), start=1)
        ]
    finally:
        book.close()


def _heading(text: str) -> tuple[str | None, bool]:
    """The column a heading names (``None``: unknown) and whether its numbers are percents."""
    raw = str(text).strip().lstrip("\ufeff")
    percent = "%" in raw or "％" in raw or raw.lower().endswith("_pct")
    bare = re.sub(r"\s*[(（\[].*?[)）\]]\s*$", "", raw).strip().lower().removesuffix("_pct")
    for name, names in ALIASES.items():
        if bare in names:
            return name, percent
    return (None, False) if bare not in IGNORED else ("", False)


def _actuals(rows: list[tuple[int, list[Any]]], file: str) -> Actuals:
    rows = [(n, f) for n, f in rows if any(str(v).strip() for v in f)]
    if not rows:
        raise InputError(
            "the file is empty: it needs a header line with period, year and ytd_investment and/or ytd_growth",
            file=file,
        )
    line, header = rows[0]
    where: dict[str, int] = {}
    percent = False
    for i, h in enumerate(header):
        if not str(h).strip():
            continue
        name, pct = _heading(h)
        if name is None:
            raise InputError(
                f"column {str(h).strip()!r} is not one of {', '.join(COLUMNS)} (notes may go in a "
                "'note' or 'source' column)",
                file=file,
                line=line,
                path="header",
            )
        if not name:
            continue
        if name in where:
            raise InputError(
                f"{name} is given twice (columns {where[name] + 1} and {i + 1})", file=file, line=line
            )
        where[name] = i
        percent = percent or (name == "ytd_growth" and pct)
    if "period" not in where:
        raise InputError(
            f"no period column; the header reads {', '.join(map(str, header))}", file=file, line=line
        )
    if "ytd_investment" not in where and "ytd_growth" not in where:
        raise InputError(
            "neither ytd_investment nor ytd_growth: give the year-to-date total, its growth, or both",
            file=file,
            line=line,
        )
    records = []
    for n, (line, fields) in enumerate(rows[1:], start=1):

        def cell(name: str, fields: Sequence[Any] = fields) -> Any:
            i = where.get(name)
            if i is None or i >= len(fields):
                return ""
            v = fields[i]
            return v.strip() if isinstance(v, str) else v

        row = f"{file}:{line}"

        def bad(column: str, what: str, n: int = n, row: str = row) -> InputError:
            return _error(row, f"row {n}, {column}", what)

        year, month = _period(cell("period"), bad)
        year = _year(cell("year"), year, bad)
        level = _level(cell("ytd_investment"), bad)
        growth = _growth(cell("ytd_growth"), percent, bad)
        if math.isnan(level) and math.isnan(growth):
            raise bad("ytd_investment", "no figure: give ytd_investment, ytd_growth or both")
        records.append(
            {
                "year": year,
                "month": month,
                "period": period_label(month),
                "ytd_investment": level,
                "ytd_growth": growth,
                "row": row,
                "n": n,
            }
        )
    if not records:
        raise InputError("no rows of figures under the header", file=file)
    table = pd.DataFrame(records)
    return Actuals(_checked(table, file), file, tuple(_gaps(table)))


def _checked(table: pd.DataFrame, file: str) -> pd.DataFrame:
    """Refuse a period given twice and year-to-date totals that fall; sort by year and month."""
    seen: dict[tuple[int, int], str] = {}
    for rec in table.to_dict("records"):
        key = (int(rec["year"]), int(rec["month"]))
        if key in seen:
            raise _error(
                str(rec["row"]),
                f"row {rec['n']}, period",
                f"{rec['period']} {key[0]} is given twice (first at {seen[key]})",
            )
        seen[key] = str(rec["row"])
    table = table.sort_values(["year", "month"], ignore_index=True)
    for year, rows in table.groupby("year"):
        levels = rows.dropna(subset=["ytd_investment"])
        before = None
        for rec in levels.to_dict("records"):
            if before is not None and rec["ytd_investment"] < before["ytd_investment"]:
                raise _error(
                    str(rec["row"]),
                    f"row {rec['n']}, ytd_investment",
                    f"the year-to-date total falls: {rec['ytd_investment']:g} at {rec['period']} {year} "
                    f"after {before['ytd_investment']:g} at {before['period']} ({before['row']}); a "
                    "year-to-date total can only grow (a figure of another year, or one not year to date?)",
                )
            before = rec
    return table.rename(columns={"n": "row_number"})


def _gaps(table: pd.DataFrame) -> list[str]:
    """A period missing between two given ones of the same year (a release not copied?)."""
    out = []
    for year, rows in table.groupby("year"):
        months = sorted(int(m) for m in rows["month"])
        missing = [m for m in range(months[0], months[-1]) if m not in months]
        if missing:
            out.append(
                f"{year}: {', '.join(period_label(m) for m in missing)} missing between "
                f"{period_label(months[0])} and {period_label(months[-1])}; the re-forecast uses the "
                "periods given"
            )
    return out


def _period(value: Any, bad: Any) -> tuple[int | None, int]:
    """(year or None, the period's last month) from a period as written."""
    if isinstance(value, dt.datetime | dt.date):
        # Excel turns 2021-06 (and 1-6!) into a date: the first or last day of a month only
        d = value.date() if isinstance(value, dt.datetime) else value
        last = (d.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        if d.day not in (1, last.day):
            raise bad("period", f"{d.isoformat()} is a day, not a period: write 1-6月 or 2021-06 as text")
        return d.year, _month_ok(d.month, bad, str(value))
    text = str(value).strip()
    if not text:
        raise bad("period", "empty: write the period as the bureau does, 1-2月 … 1-12月")
    m = re.fullmatch(r"(?:(\d{4})\s*年\s*)?1" + _DASH + r"(\d{1,2})\s*月?", text)
    if m:
        return (int(m[1]) if m[1] else None), _month_ok(int(m[2]), bad, text)
    m = re.fullmatch(r"(\d{4})\s*[-/.]\s*(\d{1,2})", text)  # 2021-06: the year to date through June
    if m:
        return int(m[1]), _month_ok(int(m[2]), bad, text)
    m = re.fullmatch(r"([A-Za-z]{3})[a-z]*\.?" + _DASH + r"([A-Za-z]{3})[a-z]*\.?", text)
    if m and m[1].lower() in _MONTH_NAMES and m[2].lower() in _MONTH_NAMES:
        if _MONTH_NAMES[m[1].lower()] != 1:
            raise bad("period", f"{text!r} does not start in January: the bureau's periods are year to date")
        return None, _month_ok(_MONTH_NAMES[m[2].lower()], bad, text)
    m = re.fullmatch(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月", text)
    if m and int(m[2]) == 1:
        return None, _month_ok(1, bad, text)
    if m or re.fullmatch(r"\d{1,2}" + _DASH + r"\d{1,2}\s*月?", text):
        raise bad(
            "period",
            f"{text!r} is not a year-to-date period: write 1-6月 (January to June), as the bureau does",
        )
    raise bad("period", f"{text!r} is not a period: write 1-2月 … 1-12月, Jan-Jun, or 2021-06")


def _month_ok(month: int, bad: Any, text: str) -> int:
    if month == 1:
        raise bad(
            "period",
            f"{text!r} is January alone, which the bureau does not publish: its first period is "
            "1-2月 (January and February together)",
        )
    if not FIRST_PERIOD_END <= month <= MONTHS:
        raise bad("period", f"{text!r}: month(={month}) must be from 2 to 12")
    return month


def _year(value: Any, from_period: int | None, bad: Any) -> int:
    text = str(value).strip()
    if not text:
        if from_period is None:
            raise bad("year", "empty: give the year (or a period such as 2021-06)")
        return from_period
    try:
        number = float(text.removesuffix("年"))
    except ValueError:
        raise bad("year", f"{text!r} is not a year") from None
    if not number.is_integer() or not 1900 <= number <= 2200:
        raise bad("year", f"{text!r} is not a year")
    if from_period is not None and int(number) != from_period:
        raise bad("year", f"year(={int(number)}) and the period's year ({from_period}) differ")
    return int(number)


def _number(value: Any, column: str, bad: Any) -> float:
    if isinstance(value, bool):
        raise bad(column, f"{value!r} is not a number")
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).strip().replace("，", ",")
        if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?", text):
            text = text.replace(",", "")
        try:
            number = float(text)
        except ValueError:
            hint = " (give the number alone, in the scenario's money unit)" if re.search(r"\d", text) else ""
            raise bad(column, f"{text!r} is not a number{hint}") from None
    if not math.isfinite(number):
        raise bad(column, f"{value!r} is not a finite number")
    return number


def _level(value: Any, bad: Any) -> float:
    if isinstance(value, str) and not value.strip():
        return math.nan
    number = _number(value, "ytd_investment", bad)
    if number <= 0:
        raise bad("ytd_investment", f"ytd_investment(={number:g}) must be > 0: a year-to-date total")
    return number


def _growth(value: Any, percent: bool, bad: Any) -> float:
    if isinstance(value, str) and not value.strip():
        return math.nan
    text = str(value).strip()
    if isinstance(value, str) and text.endswith(("%", "％")):
        number = _number(text[:-1], "ytd_growth", bad) / 100
    else:
        number = _number(value, "ytd_growth", bad)
        if percent:
            number /= 100
        elif abs(number) >= 1:
            raise bad(
                "ytd_growth",
                f"ytd_growth(={number:g}) reads as {number:+.0%}: write growth as a share (0.052 for "
                "5.2 %), with a percent sign (5.2%), or head the column ytd_growth_pct",
            )
    if number <= -1:
        raise bad("ytd_growth", f"ytd_growth(={number:.1%}) is a fall of 100 % or more: impossible")
    return number
