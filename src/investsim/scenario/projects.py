"""The projects register: the projects already in flight when a scenario starts, from a
CSV file or an Excel workbook (.xlsx), with English or Chinese column names.

Every row is checked, and a problem is named by file, line (a workbook's row as Excel
shows it), row and column.
"""

from __future__ import annotations

import csv
import datetime
import io
import math
import re
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from investsim.errors import ScenarioError
from investsim.scenario.config import InFlightProject, Sector
from investsim.scenario.messages import percent_hint, short_repr
from investsim.scenario.yaml_source import encoding_hint, first_bad_byte, lines_before
from investsim.stages import STAGES

PROJECT_COLUMNS = ("id", "sector", "total_investment", "stage", "progress")
"""Columns the in-flight projects register must have (others are ignored)."""

COLUMNS_ZH = {
    "id": "项目编号",
    "name_zh": "项目名称",
    "sector": "行业",
    "total_investment": "总投资",
    "stage": "阶段",
    "progress": "进度",
}
"""The Chinese name of each column a register may have, accepted beside the English one
(``name_zh``, the project's name, is read by people only)."""

_ENGLISH = {zh: en for en, zh in COLUMNS_ZH.items()}

STAGES_ZH = {
    "审批": "approval",
    "用地": "land",
    "征地": "land",
    "融资": "financing",
    "建设": "construction",
    "在建": "construction",
    "施工": "construction",
    "竣工": "completed",
    "完工": "completed",
    "建成": "completed",
}
"""Chinese stage values a register may hold, and the stage each means."""

SECTORS_ZH = {
    "工业": "industry",
    "基础设施": "infrastructure",
    "服务业": "services",
    "农业": "agriculture",
    "新兴产业": "emerging",
    "房地产": "real_estate",
    "房地产开发": "real_estate",
}
"""Chinese sector values and the sector of the bundled scenarios each means; a scenario
must have that sector (a scenario whose sectors are named in Chinese needs none of these)."""

HEADER_SEARCH_ROWS = 20
"""An Excel register's header is looked for in this many first rows (a title row or two,
a unit line, may stand above it)."""

PLAUSIBLE_FACTOR = 1000
"""A project in the register may be up to this many times the 90th percentile of its
sector's sizes; one larger is almost always in another unit (万元 for 亿元)."""


def load_projects(
    path: str, sectors: Mapping[str, Sector], money_unit: str = "亿元", sheet: str | None = None
) -> tuple[InFlightProject, ...]:
    """Read the in-flight projects register, a CSV file or an Excel workbook (``.xlsx``,
    ``sheet`` or its first sheet), checking every row against the scenario's ``sectors``.

    Columns have their English names (``id, sector, total_investment, stage, progress``)
    or their Chinese ones (:data:`COLUMNS_ZH`), not both for one column; the money column
    may give its unit (``总投资（亿元）``), which must be ``money_unit``. Stages and the
    bundled sectors may be written in Chinese (:data:`STAGES_ZH`, :data:`SECTORS_ZH`).

    Accepted in a CSV: a UTF-8 byte-order mark, Windows (CRLF) or old Mac (CR) line ends,
    blank lines (also before the header), spaces around column names and values, extra
    columns (ignored), empty trailing fields, thousands separators in money
    (``"1,234.5"``). In a workbook: title rows above the header (the header is the first
    row naming at least two columns), blank rows, numbers as numbers or as text.
    Refused, naming the line (a workbook's row) and the column: an old Excel or
    OpenDocument file, a CSV that is not UTF-8 (GBK from Excel, say), missing or repeated
    columns, a row with more fields than the header, a total row (``合计``, ``Total``), an
    unknown sector or stage, a progress outside [0, 1], money that is not a positive
    number, an empty or duplicated id, merged cells in the header or the rows, a formula
    whose value was never saved, and a size over :data:`PLAUSIBLE_FACTOR` times the 90th
    percentile of its sector's sizes (``money_unit`` is named in that message).
    """
    p = Path(path)
    file = str(p)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ScenarioError("projects file not found", file=file) from None
    except OSError as e:
        raise ScenarioError(f"can't read the projects file: {e.strerror}", file=file) from None
    known = set(sectors)
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        projects, places = _read_workbook(p, sheet, known, money_unit)
        _check_sizes(projects, places, sectors, money_unit, file)
        return tuple(projects)
    if sheet is not None:
        raise ScenarioError(
            f"projects.sheet ({sheet!r}) is for an Excel workbook (.xlsx), and this is not one: "
            "name the file alone (projects: FILE)",
            file=file,
        )
    workbook = _workbook(raw, p)
    if workbook:
        raise ScenarioError(
            f"this is {workbook}, not a CSV file: open it in Excel and use File > Save As, "
            "'CSV UTF-8 (Comma delimited) (*.csv)' (in WPS: Save As, CSV), and name the .csv "
            "file as the scenario's projects (or save it as an Excel workbook, .xlsx, which "
            "investsim reads)",
            file=file,
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise _csv_not_utf8(raw, e, file) from None
    # universal newlines: CRLF and CR read as LF (also inside quoted fields)
    reader = csv.reader(io.StringIO(text, newline=None))
    header: _Header | None = None
    header_line = 0
    out: list[InFlightProject] = []
    lines: list[tuple[int, str]] = []  # each project's line and where it is, for messages
    ids: dict[str, int] = {}
    try:
        for fields in reader:
            line = reader.line_num
            if not any(f.strip() for f in fields):
                continue  # a blank line, or one of empty fields
            if header is None:
                header, header_line = _read_header(fields, file, line, money_unit, lambda i: str(i + 1)), line
                continue
            row = line - header_line
            here = header

            def where(i: int, row: int = row, here: _Header = here) -> str:
                return f"row {row}, {here.label(i)}"

            out.append(_project_row(here, fields, file, line, where, known, ids))
            lines.append((line, where(here.names.index("total_investment"))))
    except csv.Error as e:
        raise ScenarioError(f"not a readable CSV file: {e}", file=file, line=reader.line_num) from None
    if header is None:
        raise ScenarioError(
            f"the file is empty: it needs a header line with {', '.join(PROJECT_COLUMNS)}", file=file
        )
    _check_sizes(out, lines, sectors, money_unit, file)
    return tuple(out)


def _read_workbook(
    path: Path, sheet: str | None, known: set[str], money_unit: str
) -> tuple[list[InFlightProject], list[tuple[int, str]]]:
    """The projects of a register in an Excel workbook, each with its row (as Excel
    numbers it) and where its money is, for messages."""
    from openpyxl import load_workbook  # only a workbook register needs it
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.exceptions import InvalidFileException

    file = str(path)
    try:
        book = load_workbook(path, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as e:
        raise ScenarioError(
            f"can't read this as an Excel workbook ({e}): open it in Excel or WPS and save it "
            "again as an Excel workbook (.xlsx)",
            file=file,
        ) from None
    names = book.sheetnames
    if sheet is not None and sheet not in names:
        raise ScenarioError(
            f"the workbook has no sheet {sheet!r}; its sheets are {', '.join(map(repr, names))} "
            "(projects.sheet names the sheet to read)",
            file=file,
        )
    ws = book[sheet] if sheet is not None else book.worksheets[0]
    title = ws.title
    rows = [[_cell_text(v) for v in r] for r in ws.iter_rows(values_only=True)]

    def cell(column: int, row: int) -> str:
        return f"{title}!{get_column_letter(column + 1)}{row}"

    found = _header_row(rows)
    if found is None:
        first = next((k for k, r in enumerate(rows) if any(r)), None)
        seen = (
            f"; row {first + 1} has {', '.join(repr(v) for v in rows[first] if v)}"
            if first is not None
            else ""
        )
        raise ScenarioError(
            f"no header row in the first {HEADER_SEARCH_ROWS} rows of sheet {title!r}: investsim "
            f"reads the first row that names the columns {', '.join(PROJECT_COLUMNS)} (or "
            f"{', '.join(COLUMNS_ZH[c] for c in PROJECT_COLUMNS)}){seen}"
            if rows
            else f"sheet {title!r} is empty: it needs a header row with {', '.join(PROJECT_COLUMNS)}",
            file=file,
        )
    top = found + 1  # the header's row, as Excel numbers it
    _check_merged(ws, top, file, cell)
    header = _read_header(rows[found], file, top, money_unit, lambda i: get_column_letter(i + 1))
    formulas: Any = None
    out: list[InFlightProject] = []
    lines: list[tuple[int, str]] = []
    ids: dict[str, int] = {}
    for k in range(found + 1, len(rows)):
        fields, row = rows[k], k + 1
        if not any(f.strip() for f in fields):
            continue  # a blank row

        def where(i: int, row: int = row) -> str:
            return f"{header.label(i)} ({cell(i, row)})"

        for c in PROJECT_COLUMNS:
            i = header.names.index(c)
            if i < len(fields) and not fields[i]:
                if formulas is None:  # read once, and only when a value is missing
                    formulas = load_workbook(path, data_only=False)[title]
                formula = formulas.cell(row=row, column=i + 1).value
                if isinstance(formula, str) and formula.startswith("="):
                    raise ScenarioError(
                        f"the cell holds the formula {short_repr(formula)} and no value: the file was "
                        "saved by a program that does not compute formulas; open it in Excel or WPS "
                        "and save it (or write the value)",
                        file=file,
                        path=where(i),
                        line=row,
                    )
        filled = [i for i, f in enumerate(fields) if f.strip()]
        if len(filled) == 1 and not any(_is_total(f) for f in fields):
            i = filled[0]
            raise ScenarioError(
                f"the row has one value, {short_repr(fields[i].strip())}: a note or a heading, not a "
                "project? Delete the row, or move it out of the register's rows",
                file=file,
                path=where(i),
                line=row,
            )
        out.append(_project_row(header, fields, file, row, where, known, ids))
        lines.append((row, where(header.names.index("total_investment"))))
    return out, lines


def _cell_text(value: Any) -> str:
    """A cell's value as the register's text: numbers exactly (a whole number without
    ``.0``, so an id of 101 is ``101``), dates as ISO dates, nothing as ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


def _header_row(rows: list[list[str]]) -> int | None:
    """The index of the first of the first :data:`HEADER_SEARCH_ROWS` rows naming at least
    two of the register's columns (a title above it names none), or None."""
    for k, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        named = {name for name, _ in map(_column, cells) if name in COLUMNS_ZH}
        if len(named) >= 2:
            return k
    return None


def _check_merged(ws: Any, top: int, file: str, cell: Callable[[int, int], str]) -> None:
    """Refuse merged cells in the header row or below it: a header on two rows, or a
    value merged over several projects' rows, reads as empty cells (title rows above
    the header may be merged)."""
    for merged in sorted(ws.merged_cells.ranges, key=lambda r: (r.min_row, r.min_col)):
        if merged.max_row < top:
            continue
        span = f"{cell(merged.min_col - 1, merged.min_row)}:{cell(merged.max_col - 1, merged.max_row).split('!')[1]}"
        if merged.min_row <= top:
            what = (
                "the header spans several rows"
                if merged.max_row > top
                else "a header cell is merged over several columns"
            )
            advice = "unmerge them and write one header row, a column name in each cell"
        else:
            what = "a value is merged over several cells"
            advice = "unmerge them and write the value in each project's row (Excel: Merge & Center, Unmerge Cells)"
        raise ScenarioError(
            f"cells {span} are merged: {what}; {advice}",
            file=file,
            path="merged cells",
            line=merged.min_row,
        )


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
    lines: list[tuple[int, str]],
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
    line, where = lines[over[0]]
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
        path=where,
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


@dataclass(frozen=True)
class _Header:
    """A register's header: each position's column (its English name for a column
    investsim reads, else the text as written) and the name as written, for messages."""

    names: list[str]
    shown: list[str]

    def label(self, i: int) -> str:
        """Column ``i`` as the file names it (``field 7`` past the header or unnamed)."""
        return self.shown[i] if i < len(self.shown) and self.shown[i] else f"field {i + 1}"


_UNIT = re.compile(r"(.+?)[(（]([^()（）]*)[)）]")


def _column(text: str) -> tuple[str, str]:
    """The column a header cell names, and the unit in brackets after it (``总投资（亿元）``
    is ``total_investment`` in 亿元): the English name of a column investsim reads, or
    the text as written (spaces around it aside)."""
    name = "".join(text.split())
    unit = ""
    found = _UNIT.fullmatch(name)
    if found and (found.group(1) in COLUMNS_ZH or found.group(1) in _ENGLISH):
        name, unit = found.group(1), found.group(2)
    if name in COLUMNS_ZH:
        return name, unit
    if name in _ENGLISH:
        return _ENGLISH[name], unit
    return text.strip(), ""


def _read_header(
    cells: list[str], file: str, line: int, money_unit: str, position: Callable[[int], str]
) -> _Header:
    """The header of a register, checked: every column it needs once, under one name
    (``position(i)``: how the file names the place of cell i, ``3`` or ``C``)."""
    names, shown = [], []
    seen: dict[str, int] = {}
    for i, cell in enumerate(cells):
        name, unit = _column(cell)
        names.append(name)
        shown.append(cell.strip())
        if name in seen and (name in PROJECT_COLUMNS or name in COLUMNS_ZH):
            first = seen[name]
            if shown[first] == shown[i]:
                raise ScenarioError(
                    f"column {shown[i]!r} appears twice (columns {position(first)} and {position(i)})",
                    file=file,
                    path=f"header, {shown[i]}",
                    line=line,
                )
            raise ScenarioError(
                f"columns {shown[first]!r} (column {position(first)}) and {shown[i]!r} (column "
                f"{position(i)}) both name {name} ({COLUMNS_ZH[name]}): keep one of them (investsim "
                "reads the English or the Chinese name, not both)",
                file=file,
                path=f"header, {shown[i]}",
                line=line,
            )
        seen.setdefault(name, i)
        if (
            name == "total_investment"
            and unit
            and money_unit
            and unit.rstrip("元") != money_unit.rstrip("元")
        ):
            raise ScenarioError(
                f"the column is in {unit} and the scenario's money_unit is {money_unit}: convert "
                f"the column to {money_unit}, or set money_unit: {unit} in the scenario",
                file=file,
                path=f"header, {shown[i]}",
                line=line,
            )
    missing = [c for c in PROJECT_COLUMNS if c not in seen]
    if missing:
        wanted = ", ".join(f"{c} ({COLUMNS_ZH[c]})" for c in missing)
        raise ScenarioError(
            f"missing column(s): {wanted} (the header has {', '.join(map(repr, shown))})",
            file=file,
            path="header",
            line=line,
        )
    return _Header(names, shown)


def _project_row(
    header: _Header,
    fields: list[str],
    file: str,
    line: int,
    where: Callable[[int], str],
    known: set[str],
    ids: dict[str, int],
) -> InFlightProject:
    """One data row of the register, checked; ``where(i)`` names the place of field i in
    messages."""

    def bad(i: int, what: str) -> ScenarioError:
        return ScenarioError(what, file=file, path=where(i), line=line)

    total = next((i for i, f in enumerate(fields) if _is_total(f)), None)
    if total is not None:
        raise bad(
            total,
            f"{short_repr(fields[total].strip())} makes this a total row, not a project: delete the "
            "row (investsim adds the projects up itself; a total would count them twice)",
        )

    # a value beyond the header, or under a column without a name, is most likely a
    # value with an unquoted comma that pushed the rest of the row to the right
    names = header.names
    stray = next((i for i, f in enumerate(fields) if f.strip() and (i >= len(names) or not names[i])), None)
    if stray is not None:
        what = (
            f"more than the header's {len(names)}"
            if stray >= len(names)
            else f"and field {stray + 1} has no column name in the header"
        )
        raise bad(
            stray,
            f"the row has {len(fields)} fields, {what}: a value with a comma (1,234.5) "
            'must be in double quotes ("1,234.5")',
        )
    at = {name: i for i, name in reversed(list(enumerate(names)))}
    short = [c for c in PROJECT_COLUMNS if at[c] >= len(fields)]
    if short:
        hint = " (a double quote left open?)" if any("\n" in f for f in fields) else ""
        raise bad(
            at[short[0]], f"the row has {len(fields)} fields, fewer than the header's {len(names)}{hint}"
        )
    value = {c: fields[at[c]].strip() for c in PROJECT_COLUMNS}

    pid = value["id"]
    if not pid:
        raise bad(at["id"], "empty id")
    if pid in ids:
        raise bad(at["id"], f"duplicate id {short_repr(pid)} (first on line {ids[pid]})")
    ids[pid] = line
    sector = value["sector"]
    if sector not in known and SECTORS_ZH.get(sector) in known:
        sector = SECTORS_ZH[sector]
    if sector not in known:
        raise bad(at["sector"], f"unknown sector {short_repr(sector)}; the scenario has {sorted(known)}")
    stage = STAGES_ZH.get(value["stage"], value["stage"])
    if stage not in (*STAGES, "completed"):
        zh = "、".join(STAGES_ZH)
        raise bad(
            at["stage"],
            f"unknown stage {short_repr(value['stage'])}; one of {', '.join((*STAGES, 'completed'))} (or {zh})",
        )
    money = _number(value["total_investment"], thousands=True)
    if money is None or not money > 0:
        got = fields[at["total_investment"]]
        raise bad(at["total_investment"], f"must be a positive number, got {short_repr(got)}")
    progress = _number(value["progress"])
    if progress is None or not 0 <= progress <= 1:
        got = fields[at["progress"]]
        raise bad(at["progress"], f"must be a number from 0 to 1, got {short_repr(got)}{percent_hint(got)}")
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
