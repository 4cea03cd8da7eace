"""The projects register: the CSV of projects already in flight when a scenario starts.

Every row is checked, and a problem is named by file, line, row and column.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable
from pathlib import Path

from investsim.errors import ScenarioError
from investsim.scenario.config import InFlightProject
from investsim.scenario.messages import short_repr
from investsim.scenario.yaml_source import encoding_hint, first_bad_byte, lines_before
from investsim.stages import STAGES

PROJECT_COLUMNS = ("id", "sector", "total_investment", "stage", "progress")
"""Columns the in-flight projects CSV must have (others are ignored)."""


def load_projects(path: str, sectors: Iterable[str]) -> tuple[InFlightProject, ...]:
    """Read the in-flight projects CSV, checking every row.

    Accepted: a UTF-8 byte-order mark, Windows (CRLF) or old Mac (CR) line ends, blank
    lines (also before the header), spaces around column names and values, extra
    columns (ignored), empty trailing fields, thousands separators in money
    (``"1,234.5"``). Refused, naming the line and the column: a file that is not UTF-8
    (GBK from Excel, say), missing or repeated columns, a row with more fields than the
    header, an unknown sector or stage, a progress outside [0, 1], money that is not a
    positive number, an empty or duplicated id.
    """
    p = Path(path)
    file = str(p)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ScenarioError("projects file not found", file=file) from None
    except OSError as e:
        raise ScenarioError(f"can't read the projects file: {e.strerror}", file=file) from None
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
    except csv.Error as e:
        raise ScenarioError(f"not a readable CSV file: {e}", file=file, line=reader.line_num) from None
    if header is None:
        raise ScenarioError(
            f"the file is empty: it needs a header line with {', '.join(PROJECT_COLUMNS)}", file=file
        )
    return tuple(out)


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
        raise bad("progress", f"must be a number from 0 to 1, got {short_repr(row['progress'])}")
    return InFlightProject(pid, sector, money, stage, progress)


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
