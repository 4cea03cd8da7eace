"""The projects register: the CSV of projects already in flight when a scenario starts.

Every row is checked, and a problem is named by file, line, row and column.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from investsim.errors import ScenarioError
from investsim.scenario.config import InFlightProject, Sector
from investsim.scenario.messages import percent_hint, short_repr
from investsim.scenario.yaml_source import encoding_hint, first_bad_byte, lines_before
from investsim.stages import STAGES

PROJECT_COLUMNS = ("id", "sector", "total_investment", "stage", "progress")
"""Columns the in-flight projects CSV must have (others are ignored)."""


PLAUSIBLE_FACTOR = 1000
"""A project in the register may be up to this many times the 90th percentile of its
sector's sizes; one larger is almost always in another unit (万元 for 亿元)."""


def load_projects(
    path: str, sectors: Mapping[str, Sector], money_unit: str = "亿元"
) -> tuple[InFlightProject, ...]:
    """Read the in-flight projects CSV, checking every row against the scenario's ``sectors``.

    Accepted: a UTF-8 byte-order mark, Windows (CRLF) or old Mac (CR) line ends, blank
    lines (also before the header), spaces around column names and values, extra
    columns (ignored), empty trailing fields, thousands separators in money
    (``"1,234.5"``). Refused, naming the line and the column: an Excel workbook, a file
    that is not UTF-8 (GBK from Excel, say), missing or repeated columns, a row with more
    fields than the header, a total row (``合计``, ``Total``), an unknown sector or stage,
    a progress outside [0, 1], money that is not a positive number, an empty or
    duplicated id, and a size over :data:`PLAUSIBLE_FACTOR` times the 90th percentile of
    its sector's sizes (``money_unit`` is named in that message).
    """
    p = Path(path)
    file = str(p)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ScenarioError("projects file not found", file=file) from None
    except OSError as e:
        raise ScenarioError(f"can't read the projects file: {e.strerror}", file=file) from None
    workbook = _workbook(raw, p)
    if workbook:
        raise ScenarioError(
            f"this is {workbook}, not a CSV file: open it in Excel and use File > Save As, "
            "'CSV UTF-8 (Comma delimited) (*.csv)' (in WPS: Save As, CSV), and name the .csv "
            "file as the scenario's projects",
            file=file,
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise _csv_not_utf8(raw, e, file) from None
    # universal newlines: CRLF and CR read as LF (also inside quoted fields)
    reader = csv.reader(io.StringIO(text, newline=None))
    header: list[str] | None = None
    header_line = 0
    known = set(sectors)
    out: list[InFlightProject] = []
    lines: list[tuple[int, int]] = []  # each project's line and row number, for messages
    ids: dict[str, int] = {}
    try:
        for fields in reader:
            line = reader.line_num
            if not any(f.strip() for f in fields):
                continue  # a blank line, or one of empty fields
            if header is None:
                header, header_line = [f.strip() for f in fields], line
                _check_header(header, file, line)
                continue
            out.append(_project_row(header, fields, file, line, line - header_line, known, ids))
            lines.append((line, line - header_line))
    except csv.Error as e:
        raise ScenarioError(f"not a readable CSV file: {e}", file=file, line=reader.line_num) from None
    if header is None:
        raise ScenarioError(
            f"the file is empty: it needs a header line with {', '.join(PROJECT_COLUMNS)}", file=file
        )
    _check_sizes(out, lines, sectors, money_unit, file)
    return tuple(out)


def _workbook(raw: bytes, path: Path) -> str:
    """What kind of spreadsheet workbook ``raw`` is, or "" for anything else."""
    suffix = path.suffix.lower()
    if raw.startswith(b"PK\x03\x04"):  # a zip archive, as .xlsx, .xlsm and .ods files are
        if suffix in (".xlsx", ".xlsm"):
            return f"an Excel workbook ({suffix})"
        if suffix == ".ods":
            return "an OpenDocument spreadsheet (.ods)"
        return "a zip file (an Excel .xlsx workbook renamed?)"
    if raw.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):  # the old Office format
        return "an old-format Excel workbook (.xls)"
    return ""


def size_p90(sectors: Mapping[str, Sector]) -> dict[str, float]:
    """The 90th percentile of each sector's project sizes."""
    return {name: float(s.size.ppf(np.array([0.9]))[0]) for name, s in sectors.items()}


def implausible(projects: tuple[InFlightProject, ...], sectors: Mapping[str, Sector]) -> bool:
    """Whether a project is over :data:`PLAUSIBLE_FACTOR` times its sector's size P90."""
    p90 = size_p90(sectors)
    return any(p.total_investment > PLAUSIBLE_FACTOR * p90[p.sector] for p in projects)


_UNIT_HINTS = {
    "亿元": "is the file in 万元? 1 亿元 = 10,000 万元: divide total_investment by 10,000",
    "万元": "is the file in 元? 1 万元 = 10,000 元: divide total_investment by 10,000",
}


def _check_sizes(
    projects: list[InFlightProject],
    lines: list[tuple[int, int]],
    sectors: Mapping[str, Sector],
    money_unit: str,
    file: str,
) -> None:
    """Refuse sizes far beyond what the scenario draws for their sector: a register in
    万元 under a scenario in 亿元 makes every project 10,000 times too large."""
    p90 = size_p90(sectors)
    over = [k for k, p in enumerate(projects) if p.total_investment > PLAUSIBLE_FACTOR * p90[p.sector]]
    if not over:
        return
    p = projects[over[0]]
    line, row = lines[over[0]]
    unit = f" {money_unit}" if money_unit else ""
    hint = _UNIT_HINTS.get(
        money_unit, f"is the file in another unit than the scenario's money_unit ({money_unit})?"
    )
    many = (
        f", and {len(over)} of {len(projects)} rows are over {PLAUSIBLE_FACTOR} times theirs"
        if len(over) > 1
        else ""
    )
    raise ScenarioError(
        f"{p.total_investment:,.12g}{unit} is {p.total_investment / p90[p.sector]:,.0f} times the 90th "
        f"percentile of {p.sector}'s sizes in the scenario ({p90[p.sector]:.3g}{unit}){many}: {hint} "
        "(if the sizes are right, widen the size distribution in the scenario)",
        file=file,
        path=f"row {row}, total_investment",
        line=line,
    )


def _csv_not_utf8(raw: bytes, err: UnicodeDecodeError, file: str) -> ScenarioError:
    """'not UTF-8' naming the line and the column of the first bad byte."""
    before, byte = first_bad_byte(raw, err)
    line = lines_before(before)
    header: list[str] | None = None
    header_line, rows_after_header, last = 0, 0, [""]
    reader = csv.reader(io.StringIO(before, newline=None))
    try:
        for fields in reader:
            if header is None:
                if any(f.strip() for f in fields):
                    header, header_line = [f.strip() for f in fields], reader.line_num
            else:
                rows_after_header += 1
            last = fields
    except csv.Error:
        pass
    at_field_start = before == "" or before.endswith(("\n", "\r"))
    if header is None or (rows_after_header == 0 and not at_field_start):
        where = "header"  # the bad byte is in the header itself
    else:
        index = 0 if at_field_start else len(last) - 1
        column = header[index] if index < len(header) else f"field {index + 1}"
        where = f"row {line - header_line}, {column}"
    return ScenarioError(
        f"not UTF-8 text: byte 0x{byte:02x} can't be read{encoding_hint(raw)}; save the "
        "file as UTF-8 (in Excel: Save As, 'CSV UTF-8')",
        file=file,
        path=where,
        line=line,
    )


def _check_header(header: list[str], file: str, line: int) -> None:
    seen: dict[str, int] = {}
    for i, name in enumerate(header, start=1):
        if name in seen and name in PROJECT_COLUMNS:
            raise ScenarioError(
                f"column {name!r} appears twice (columns {seen[name]} and {i})",
                file=file,
                path=f"header, {name}",
                line=line,
            )
        seen.setdefault(name, i)
    missing = [c for c in PROJECT_COLUMNS if c not in seen]
    if missing:
        raise ScenarioError(
            f"missing column(s): {', '.join(missing)} (the header has {', '.join(map(repr, header))})",
            file=file,
            path="header",
            line=line,
        )


def _project_row(
    header: list[str],
    fields: list[str],
    file: str,
    line: int,
    row_number: int,
    known: set[str],
    ids: dict[str, int],
) -> InFlightProject:
    """One data row of the projects CSV, checked."""

    def bad(col: str, what: str) -> ScenarioError:
        return ScenarioError(what, file=file, path=f"row {row_number}, {col}", line=line)

    total = next((i for i, f in enumerate(fields) if _is_total(f)), None)
    if total is not None:
        raise bad(
            header[total] if total < len(header) and header[total] else f"field {total + 1}",
            f"{short_repr(fields[total].strip())} makes this a total row, not a project: delete the "
            "row (investsim adds the projects up itself; a total would count them twice)",
        )

    # a value beyond the header, or under a column without a name, is most likely a
    # value with an unquoted comma that pushed the rest of the row to the right
    stray = next((i for i, f in enumerate(fields) if f.strip() and (i >= len(header) or not header[i])), None)
    if stray is not None:
        where = (
            f"more than the header's {len(header)}"
            if stray >= len(header)
            else f"and field {stray + 1} has no column name in the header"
        )
        raise bad(
            f"field {stray + 1}",
            f"the row has {len(fields)} fields, {where}: a value with a comma (1,234.5) "
            'must be in double quotes ("1,234.5")',
        )
    row = {name: fields[i] if i < len(fields) else None for i, name in reversed(list(enumerate(header)))}
    short = [c for c in PROJECT_COLUMNS if row[c] is None]
    if short:
        hint = " (a double quote left open?)" if any("\n" in f for f in fields) else ""
        raise bad(short[0], f"the row has {len(fields)} fields, fewer than the header's {len(header)}{hint}")
    value = {c: (row[c] or "").strip() for c in PROJECT_COLUMNS}

    pid = value["id"]
    if not pid:
        raise bad("id", "empty id")
    if pid in ids:
        raise bad("id", f"duplicate id {short_repr(pid)} (first on line {ids[pid]})")
    ids[pid] = line
    sector = value["sector"]
    if sector not in known:
        raise bad("sector", f"unknown sector {short_repr(sector)}; the scenario has {sorted(known)}")
    stage = value["stage"]
    if stage not in (*STAGES, "completed"):
        raise bad("stage", f"unknown stage {short_repr(stage)}; one of {', '.join((*STAGES, 'completed'))}")
    money = _number(value["total_investment"], thousands=True)
    if money is None or not money > 0:
        raise bad("total_investment", f"must be a positive number, got {short_repr(row['total_investment'])}")
    progress = _number(value["progress"])
    if progress is None or not 0 <= progress <= 1:
        got = row["progress"]
        raise bad("progress", f"must be a number from 0 to 1, got {short_repr(got)}{percent_hint(got)}")
    return InFlightProject(pid, sector, money, stage, progress)


_TOTALS = {
    "合计",
    "总计",
    "小计",
    "共计",
    "总和",
    "合計",
    "總計",
    "小計",
    "total",
    "totals",
    "subtotal",
    "grandtotal",
    "sum",
}
"""What the total row a spreadsheet adds under a list is labelled (spaces and a final
colon aside, in any case)."""


def _is_total(field: str) -> bool:
    """Whether ``field`` labels a total row (``合计``, ``合  计：``, ``Total``, ``Grand total``)."""
    word = "".join(field.split()).rstrip(":：").replace("-", "").casefold()
    return word in _TOTALS


_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


def _number(text: str, *, thousands: bool = False) -> float | None:
    """A finite decimal number (``2``, ``2.5``, ``1e3``; with ``thousands``, also
    ``1,234.5``), or None. ``nan``, ``inf`` and Python-only forms (``1_000``) are not
    numbers here."""
    text = text.strip()
    if thousands and _THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    if not _DECIMAL.fullmatch(text):
        return None
    x = float(text)
    return x if math.isfinite(x) else None
