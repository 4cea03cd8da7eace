"""Fuzz tests of scenario loading and of the in-flight projects CSV (hypothesis).

Every input, however broken, must end in one of two ways: a valid scenario (every number
in it finite), or one clean ``investsim.InputError`` whose message starts with the file
(``file[:line]: ``) and, for a mistake in a key, the key path. No other exception may
escape ``load_scenario``. Through the command line: exit status 2, the file in the
message, no traceback.

Kinds of bad input tried: 34.
  Scenario files, by key (the shipped library files and a small scenario, parsed,
  changed at a random key path and written back as YAML):
     1 a key deleted                            2 a value of another type
     3 a negative number                        4 a huge number (1e308, 10**30)
     5 NaN (.nan)                               6 infinity (.inf, -.inf)
     7 an empty string                          8 a scalar where a mapping is expected
     9 a mapping or list where a scalar is expected
    10 an unknown or misspelt key              11 any value hypothesis makes up
    12 the same changes in a base file, loaded through a file that extends it
    13 a --set override with a random path and YAML value
  Scenario files, by text:
    14 a key line duplicated                   15 random characters inserted or deleted
    16 the file cut short                      17 non-UTF-8 bytes (latin-1, GBK, UTF-16)
    18 random bytes                            19 a 10 MB file
    20 an alias bomb ("billion laughs")         21 an alias that contains itself
    22 nesting deeper than the parser's stack  23 control characters and NUL
    24 a list or mapping used as a key, a Python tag, a second document
  Projects CSV (refused, naming the line and the column):
    25 a missing required column               26 a duplicated id
    27 non-numeric money ('abc', 'nan', '1_000', '1.2.3', '12,34', ...)
    28 a thousands separator without quotes (an extra field)
    29 progress or money out of range          30 an unknown sector or stage
    31 an empty id                             32 a column repeated in the header
    33 GBK-encoded Chinese names               34 random bytes and random CSV-like text
  and the accepted variants, which must read exactly as the plain file: a UTF-8 BOM, CRLF
  and CR line ends, blank lines (also before the header), "1,234.5" thousands separators
  in money, spaces around values, quoted fields, reordered and extra columns, trailing
  empty fields.

About 550 generated cases, 15 hand-made pathological files and 4 runs of the console
script; example counts are kept small (the file takes about 30 s on two cores) and
hypothesis is derandomized with no example database, so every run tries the same inputs.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import math
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import LIBRARY, run_cli
from investsim.errors import InputError
from investsim.scenario.config import Scenario
from investsim.scenario.loading import MAX_SCENARIO_BYTES, load_scenario

LIBRARY_FILES = sorted(p.name for p in LIBRARY.glob("*.yaml"))
CHILDREN = [name for name in LIBRARY_FILES if name != "baseline.yaml"]

FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


def examples(n: int) -> settings:
    return settings(FUZZ, max_examples=n)


# A small scenario that uses every section, so that mutations reach every kind of key.
SMALL = """\
name: fuzz-small
description: a small scenario for the fuzz tests
start_year: 2020
horizon_years: 3
warmup_years: 1
money_unit: 亿元
seed: 7
replications: 3
key_project_threshold: 1.0
projects: data/projects.csv
sectors:
  industry:
    arrivals: {rate: 10, growth: 0.02}
    size: {dist: lognormal, median: 1.0, p90: 3.0}
    approval:
      mode: serial
      steps:
        planning: {dist: triangular, low: 1, mode: 2, high: 4}
        permit: {dist: exponential, mean: 2}
    land: {dist: fixed, value: 2}
    land_dispute: {probability: 0.1, delay: {dist: uniform, low: 1, high: 6}}
    construction: {dist: gamma, mean: 12, cv: 0.3}
    overrun: {dist: pert, low: 0.9, mode: 1.0, high: 1.5}
    cancel: {approval: 0.05, land: 0.01, financing: 0.02}
    funding: {own: 0.7, bank: 0.3}
    spending: {beta: [2, 3]}
  services:
    arrivals: {rate: 5}
    size: {dist: empirical, values: [0.5, 1, 2]}
    construction: {dist: uniform, low: 6, high: 12}
    spending: s_curve
resources:
  approval_capacity: 20
  service_secretaries: 3
  secretary_effect: 0.8
  land_budget: 50
  land_cost_share: 0.1
financing:
  max_wait: 24
  priority: key_first
  sources:
    own: unlimited
    bank: {supply: 5, growth: 0.01, debt_ceiling: 30, repayment_years: 5}
  guarantee_pool: {capital: 1, leverage: 3, sectors: [industry]}
last_observed: {year: 2019, investment: 40}
background: {level: 10, growth: {dist: triangular, low: -0.1, mode: 0, high: 0.1}}
policies:
  - name: faster land
    from: 2021-07
    set:
      sectors.*.land: {dist: fixed, value: 1}
      resources.approval_capacity: 30
"""

COLUMNS = ("id", "name_zh", "sector", "total_investment", "stage", "progress")
ROWS = (
    ("A1", "一号厂房", "industry", 2.0, "construction", 0.5),
    ("A2", "商贸中心", "services", 1234.5, "approval", 0.2),
    ("A3", "园区道路", "industry", 0.75, "land", 0.0),
    ("A4", "物流园", "services", 1987.25, "financing", 1.0),  # within 1000 x the sector P90 (2)
    ("A5", "仓库", "industry", 3.0, "completed", 1.0),
)
PROJECTS = "\n".join([",".join(COLUMNS), *(",".join(map(str, r)) for r in ROWS)]) + "\n"


# --------------------------------------------------------------------------------------
# helpers


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with two copies of the library and the small scenario with its CSV."""
    root = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(LIBRARY, root / "lib")  # mutants are written beside the originals
    shutil.copytree(LIBRARY, root / "lib_base")  # here baseline.yaml itself is replaced
    (root / "small" / "data").mkdir(parents=True)
    (root / "small" / "scenario.yaml").write_text(SMALL, encoding="utf-8")
    (root / "small" / "data" / "projects.csv").write_text(PROJECTS, encoding="utf-8")
    return root.resolve()


def check_error(e: InputError, files: set[str]) -> None:
    """A clean message: ``file[:line]: [key.path: ]what`` naming one of ``files``."""
    message = str(e)
    first = message.splitlines()[0]
    assert "Traceback" not in message
    assert e.file, f"names no file: {message}"
    assert e.file in files, f"names {e.file}, not one of {sorted(files)}: {message}"
    where = e.file + (f":{e.line}" if e.line else "") + ": "
    if e.path:
        where += e.path + ": "
    assert first.startswith(where), f"expected {where!r} at the start of {first!r}"
    assert first[len(where) :].strip(), f"says nothing after where: {first!r}"
    assert len(message) < 20_000, f"a message of {len(message)} characters"


def numbers(value: Any) -> Iterator[float]:
    if isinstance(value, dict):
        for v in value.values():
            yield from numbers(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from numbers(v)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield float(value)


def check_valid(scn: Scenario) -> None:
    """A loaded scenario holds no NaN or infinity (they would poison every sum)."""
    assert isinstance(scn, Scenario)
    for cfg in (scn.config, *(change.config for change in scn.changes)):
        bad = [x for x in numbers(cfg.model_dump()) if not math.isfinite(x)]
        assert not bad, f"accepted non-finite numbers {bad}"
    for p in scn.in_flight:
        assert math.isfinite(p.total_investment)
        assert p.total_investment > 0
        assert 0 <= p.progress <= 1


def outcome(path: Path, files: set[str], overrides: tuple[str, ...] = ()) -> Scenario | InputError:
    """Load ``path``: a valid scenario or a clean InputError naming one of ``files``.

    Any other exception escapes and fails the test.
    """
    try:
        scn = load_scenario(path, overrides)
    except InputError as e:
        check_error(e, files)
        return e
    check_valid(scn)
    return scn


def key_paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path of keys (and list indices) in parsed YAML."""
    out: list[tuple[Any, ...]] = []
    items: Any = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for k, v in items:
        out.append((*prefix, k))
        out += key_paths(v, (*prefix, k))
    return out


def parent_of(data: Any, path: tuple[Any, ...]) -> Any:
    for k in path[:-1]:
        data = data[k]
    return data


@functools.cache
def parsed(name: str) -> dict[str, Any]:
    """A library file (or ``SMALL``) parsed; callers must not change it (mutations copy)."""
    text = SMALL if name == "SMALL" else (LIBRARY / name).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000)


def resolved(*paths: Path) -> set[str]:
    return {str(p.resolve()) for p in paths}


# --------------------------------------------------------------------------------------
# the starting points are valid


def test_the_starting_points_are_valid(work: Path) -> None:
    for name in LIBRARY_FILES:
        check_valid(load_scenario(work / "lib" / name))
    scn = load_scenario(work / "small" / "scenario.yaml")
    check_valid(scn)
    assert [(p.id, p.total_investment) for p in scn.in_flight] == [(r[0], r[3]) for r in ROWS]


# --------------------------------------------------------------------------------------
# scenario files, by key

NAN, INF = float("nan"), float("inf")

# the kinds of change, each a strategy for the new value; "delete", "rename" and "add"
# change keys instead of values
VALUES: dict[str, st.SearchStrategy[Any]] = {
    "other type": st.sampled_from(["abc", "1.5", True, False, None, 7, 2.5, "2021-13", "亿元"]),
    "negative": st.sampled_from([-1, -0.5, -1e9, -(10**30), -1e-300]),
    "huge": st.sampled_from([1e308, 1.7976931348623157e308, 10**30, 2**63, 10**400]),
    "nan": st.just(NAN),
    "inf": st.sampled_from([INF, -INF]),
    "empty string": st.sampled_from(["", " "]),
    "scalar for mapping": st.sampled_from([1, "x", None, True, 0.5]),
    "mapping for scalar": st.sampled_from([{"a": 1}, [1, 2], {}, [], {"dist": "fixed", "value": 1}]),
    "anything": st.one_of(
        st.integers(), st.floats(), st.text(max_size=12), st.lists(st.integers(), max_size=3)
    ),
}
KINDS = [*VALUES, "delete", "rename", "add"]


@dataclass
class Mutation:
    kind: str
    path: tuple[Any, ...]
    value: Any = None


@st.composite
def mutations(draw: st.DrawFn, data: dict[str, Any]) -> tuple[dict[str, Any], Mutation]:
    """``data`` changed at one random key path."""
    kind = draw(st.sampled_from(KINDS))
    paths = key_paths(data)
    if kind == "scalar for mapping":
        paths = [p for p in paths if isinstance(parent_of(data, p)[p[-1]], dict)] or paths
    elif kind == "mapping for scalar":
        paths = [p for p in paths if not isinstance(parent_of(data, p)[p[-1]], (dict, list))] or paths
    elif kind in ("rename", "add"):
        paths = [p for p in paths if isinstance(parent_of(data, p), dict)]
    path = draw(st.sampled_from(paths))
    out = copy.deepcopy(data)
    parent = parent_of(out, path)
    key = path[-1]
    m = Mutation(kind, path)
    if kind == "delete":
        del parent[key]
    elif kind == "rename":
        new = draw(st.sampled_from([str(key)[:-1], str(key) + "s", str(key).upper(), "x" + str(key)]))
        parent[new] = parent.pop(key)
        m.value = new
    elif kind == "add":
        new = draw(st.sampled_from(["colour", "rates", "suply", "x.y", "", "名称"]))
        if new not in parent:
            parent[new] = 1
        m.value = new
    else:
        m.value = draw(VALUES[kind])
        parent[key] = m.value
    return out, m


def check_key_error(result: Scenario | InputError, m: Mutation) -> None:
    """A mistake in a key is reported at a key path, or the message names the keys."""
    if not isinstance(result, InputError):
        return
    first = str(result).splitlines()[0]
    if result.path is not None or "not valid YAML" in first:
        return
    # whole-scenario checks have no single key: their message names the keys involved
    assert re.search(r"[a-z_]+(\.[a-z_*]+)+|required key|[a-z_]+\(=", result.message), (
        f"{m}: a key-level mistake reported without a key path: {first}"
    )


@examples(70)
@given(st.data())
def test_library_file_with_a_changed_key(work: Path, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(LIBRARY_FILES), label="file")
    changed, m = data.draw(mutations(parsed(name)), label="mutation")
    mutant = work / "lib" / "_mutant.yaml"
    mutant.write_text(dump(changed), encoding="utf-8")
    files = resolved(
        mutant, work / "lib" / "baseline.yaml", work / "lib" / "data" / "liaoyuan_2018_projects.csv"
    )
    check_key_error(outcome(mutant, files), m)


@examples(40)
@given(st.data())
def test_base_file_with_a_changed_key_through_a_child(work: Path, data: st.DataObject) -> None:
    child = data.draw(st.sampled_from(CHILDREN), label="child")
    changed, m = data.draw(mutations(parsed("baseline.yaml")), label="mutation")
    base = work / "lib_base" / "baseline.yaml"
    base.write_text(dump(changed), encoding="utf-8")
    files = resolved(
        work / "lib_base" / child, base, work / "lib_base" / "data" / "liaoyuan_2018_projects.csv"
    )
    check_key_error(outcome(work / "lib_base" / child, files), m)


@examples(90)
@given(st.data())
def test_small_scenario_with_a_changed_key(work: Path, data: st.DataObject) -> None:
    changed, m = data.draw(mutations(parsed("SMALL")), label="mutation")
    mutant = work / "small" / "_mutant.yaml"
    mutant.write_text(dump(changed), encoding="utf-8")
    files = resolved(mutant, work / "small" / "data" / "projects.csv")
    check_key_error(outcome(mutant, files), m)


SET_PATHS = [
    "seed",
    "horizon_years",
    "projects",
    "extends",
    "sectors.industry.arrivals.rate",
    "sectors.*.approval",
    "sectors.*.size.p90",
    "sectors.industry.funding.bank",
    "resources.approval_capacity",
    "financing.sources.bank",
    "financing.guarantee_pool.sectors",
    "policies",
    "policies.0",
    "nope.nope",
    "sectors.industry.arrivals.rate.x",
]


@examples(40)
@given(
    path=st.one_of(st.sampled_from(SET_PATHS), st.text(max_size=12)),
    value=st.one_of(
        st.sampled_from(["", "null", ".nan", "-.inf", "1e999", "[", "{a: 1, a: 2}", "[[[[", "*x", "a\0b"]),
        st.text(max_size=16),
    ),
)
def test_small_scenario_with_a_bad_override(work: Path, path: str, value: str) -> None:
    scenario = work / "small" / "scenario.yaml"
    files = {*resolved(scenario, work / "small" / "data" / "projects.csv"), "--set"}
    # a value that names an existing file (relative to the working folder) is read
    with contextlib.suppress(OSError, ValueError, RuntimeError):
        files.add(str(Path(value).resolve()))
    outcome(scenario, files, (f"{path}={value}",))


# --------------------------------------------------------------------------------------
# scenario files, by text

KEY_LINE = re.compile(r"^(\s*)([A-Za-z_][\w.*]*):(\s|$)")


@examples(40)
@given(st.data())
def test_duplicated_key_line_is_refused_with_its_line(work: Path, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from([*LIBRARY_FILES, "SMALL"]), label="file")
    text = SMALL if name == "SMALL" else (LIBRARY / name).read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    candidates = [i for i, line in enumerate(lines) if KEY_LINE.match(line)]
    i = data.draw(st.sampled_from(candidates), label="line")
    # the copy goes right after the key's whole value (the lines indented under it)
    match = KEY_LINE.match(lines[i])
    assert match is not None
    indent = len(match.group(1))

    def inside(line: str) -> bool:
        return not line.strip() or line.lstrip().startswith("#") or len(line) - len(line.lstrip()) > indent

    j = i + 1
    while j < len(lines) and inside(lines[j]):
        j += 1
    mutant = (work / "small" if name == "SMALL" else work / "lib") / "_dup.yaml"
    mutant.write_text("".join([*lines[:j], *lines[i:j], *lines[j:]]), encoding="utf-8")
    result = outcome(mutant, resolved(mutant))
    assert isinstance(result, InputError)
    assert "duplicate key" in str(result)
    assert result.line is not None
    assert result.line > i + 1, str(result)


EDIT_CHARS = [*":{}[]-#&*!|>'\"%@?,\t\n ", "\\", "\x00", "\x07", "\u2028", "\ufeff", "é", "亿"]


@examples(60)
@given(st.data())
def test_random_text_edits(work: Path, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(["baseline.yaml", "reform_package.yaml", "SMALL"]), label="file")
    text = SMALL if name == "SMALL" else (LIBRARY / name).read_text(encoding="utf-8")
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        at = data.draw(st.integers(0, len(text)), label="at")
        kind = data.draw(st.sampled_from(["insert", "delete", "cut"]), label="kind")
        if kind == "insert":
            text = text[:at] + data.draw(st.sampled_from(EDIT_CHARS)) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + data.draw(st.integers(1, 8)) :]
        else:
            text = text[:at]
    folder = work / "small" if name == "SMALL" else work / "lib"
    mutant = folder / "_edited.yaml"
    mutant.write_text(text, encoding="utf-8")
    data_files = {"SMALL": "data/projects.csv"}.get(name, "data/liaoyuan_2018_projects.csv")
    outcome(mutant, resolved(mutant, folder / "baseline.yaml", folder / data_files))


@examples(40)
@given(raw=st.binary(max_size=3000))
def test_random_bytes(work: Path, raw: bytes) -> None:
    path = work / "small" / "_bytes.yaml"
    path.write_bytes(raw)
    outcome(path, resolved(path, work / "small" / "data" / "projects.csv"))


@examples(20)
@given(st.data())
def test_non_utf8_scenario_names_the_line(work: Path, data: st.DataObject) -> None:
    encoding = data.draw(st.sampled_from(["gbk", "latin-1", "utf-16"]), label="encoding")
    lines = SMALL.replace("money_unit: 亿元\n", "").splitlines(keepends=True)
    i = data.draw(st.integers(0, len(lines) - 1), label="line")
    comment = {"gbk": "# 辽源市\n", "latin-1": "# café\n", "utf-16": "# 辽源\n"}[encoding]
    text = "".join([*lines[:i], comment, *lines[i:]])
    path = work / "small" / "_encoded.yaml"
    path.write_bytes(text.encode(encoding))
    result = outcome(path, resolved(path))
    assert isinstance(result, InputError)
    assert "UTF-8" in str(result)
    if encoding != "utf-16":  # UTF-16 fails at its very first bytes
        assert result.line == i + 1, str(result)


def _alias_bomb(levels: int = 9) -> str:
    lines = ["lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for k in range(1, levels):
        lines.append(f"lol{k}: &lol{k} [" + ", ".join([f"*lol{k - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


PATHOLOGICAL: dict[str, tuple[Callable[[], bytes], str]] = {
    "10MB-comment": (lambda: (SMALL + "#" + "x" * 10_000_000 + "\n").encode(), "too big"),
    "10MB-string": (lambda: (SMALL + "description: " + "亿" * 3_400_000 + "\n").encode(), "too big"),
    "just-over-the-limit": (lambda: (SMALL + "#" * MAX_SCENARIO_BYTES).encode(), "too big"),
    "alias-bomb": (lambda: (SMALL + _alias_bomb()).encode(), "alias"),
    "recursive-alias": (lambda: (SMALL + "extra: &a [1, *a]\n").encode(), "alias"),
    "recursive-alias-mapping": (lambda: (SMALL + "extra: &a {b: *a}\n").encode(), "alias"),
    "deep-brackets": (lambda: (SMALL + "extra: " + "[" * 700 + "]" * 700 + "\n").encode(), "nested"),
    "deep-mapping": (
        lambda: (SMALL + "extra: " + "{a: " * 1000 + "1" + "}" * 1000 + "\n").encode(),
        "nested",
    ),
    "nul": (lambda: SMALL.replace("name: fuzz-small", "name: fuzz\0small").encode(), "U+0000"),
    "bell": (lambda: SMALL.replace("description: a", "description: \x07").encode(), "U+0007"),
    "list-as-key": (lambda: (SMALL + "? [a, b]\n: 1\n").encode(), "unhashable"),
    "mapping-as-key": (lambda: (SMALL + "? {a: 1}\n: 1\n").encode(), "unhashable"),
    "python-tag": (lambda: (SMALL + "extra: !!python/object:os.system ls\n").encode(), "not valid YAML"),
    "two-documents": (lambda: (SMALL + "---\nname: other\n").encode(), "not valid YAML"),
    "utf-16": (lambda: SMALL.encode("utf-16"), "UTF-8"),
}


@pytest.mark.parametrize("case", list(PATHOLOGICAL))
def test_pathological_scenario_is_refused_quickly(work: Path, case: str) -> None:
    make, needle = PATHOLOGICAL[case]
    path = work / "small" / f"_{case}.yaml"
    path.write_bytes(make())
    result = outcome(path, resolved(path))
    assert isinstance(result, InputError)
    assert needle in str(result), str(result)
    path.unlink()


# --------------------------------------------------------------------------------------
# the projects CSV


@dataclass
class CsvFile:
    """A projects CSV as bytes, with the line of each data row and what it should read as."""

    raw: bytes
    row_lines: list[int]
    header_line: int
    columns: list[str]
    expected: list[tuple[str, str, float, str, float]]


def _money(x: float, thousands: bool) -> str:
    if thousands and x >= 1000:
        return f'"{x:,}"'
    return repr(x)


@st.composite
def accepted_csv(draw: st.DrawFn) -> tuple[list[str], list[list[str]], dict[str, Any]]:
    """Header and rows of the projects CSV in forms that must all be accepted."""
    order = draw(st.permutations(COLUMNS))
    extra = draw(st.booleans())
    columns = [*order, *(["note"] if extra else [])]
    options = {
        "bom": draw(st.booleans()),
        "newline": draw(st.sampled_from(["\n", "\r\n", "\r"])),
        "blank": draw(st.sets(st.integers(0, len(ROWS) + 1), max_size=3)),
        "blank_fields": draw(st.booleans()),
        "thousands": draw(st.booleans()),
        "quote_all": draw(st.booleans()),
        "pad": draw(st.booleans()),
        "trailing": draw(st.integers(0, 2)),
        "final_newline": draw(st.booleans()),
    }
    rows = []
    for r in ROWS:
        values = dict(zip(COLUMNS, r, strict=True))
        fields = []
        for c in columns:
            if c == "note":
                fields.append("备注, with a comma" if options["quote_all"] else "note")
            elif c == "total_investment":
                fields.append(_money(float(values[c]), bool(options["thousands"])))
            else:
                fields.append(str(values[c]))
        rows.append(fields)
    return columns, rows, options


def render(columns: list[str], rows: list[list[str]], options: dict[str, Any]) -> CsvFile:
    def fmt(field: str, cell: tuple[int, int]) -> str:
        if cell in options.get("raw", ()):
            return field
        if options["quote_all"] and not field.startswith('"'):
            field = '"' + field.replace('"', '""') + '"'
        if options["pad"] and not field.startswith('"'):
            field = f" {field} "
        return field

    def line_of(fields: list[str], row: int) -> str:
        cells = [fmt(field, (row, i)) for i, field in enumerate(fields)]
        return ",".join([*cells, *[""] * options["trailing"]])

    blank = "," * (len(columns) - 1) if options["blank_fields"] else ""
    lines: list[str] = []
    row_lines: list[int] = []
    header_line = 0
    for k, fields in enumerate([columns, *rows]):
        if k in options["blank"]:
            lines.append(blank)
        lines.append(line_of(fields, k - 1))
        if k == 0:
            header_line = len(lines)
        else:
            row_lines.append(len(lines))
    nl = options["newline"]
    text = nl.join(lines) + (nl if options["final_newline"] else "")
    raw = ("\ufeff" if options["bom"] else "").encode() + text.encode("utf-8")
    expected = [(r[0], r[2], float(r[3]), r[4], float(r[5])) for r in ROWS]
    return CsvFile(raw, row_lines, header_line, columns, expected)


def load_with_csv(work: Path, raw: bytes) -> tuple[Scenario | InputError, Path]:
    csv_path = work / "small" / "data" / "projects.csv"
    csv_path.write_bytes(raw)
    scenario = work / "small" / "scenario.yaml"
    return outcome(scenario, resolved(scenario, csv_path)), csv_path


@pytest.fixture
def restore_csv(work: Path) -> Iterator[None]:
    yield
    (work / "small" / "data" / "projects.csv").write_text(PROJECTS, encoding="utf-8")


@pytest.mark.usefixtures("restore_csv")
@examples(40)
@given(accepted_csv())
def test_accepted_csv_forms_read_as_the_plain_file(
    work: Path, parts: tuple[list[str], list[list[str]], dict[str, Any]]
) -> None:
    f = render(*parts)
    result, _ = load_with_csv(work, f.raw)
    assert isinstance(result, Scenario), f"refused: {result}\n{f.raw!r}"
    got = [(p.id, p.sector, p.total_investment, p.stage, p.progress) for p in result.in_flight]
    assert got == f.expected


BAD_MONEY = [
    "abc",
    "",
    "N/A",
    "一百",
    "nan",
    "inf",
    "-5",
    "0",
    '"1,23"',
    "1_000",
    "1.2.3",
    '"12,34.5"',
    "0x10",
    "1e999",
    "5元",
]
REFUSALS = [
    "missing column",
    "duplicate id",
    "bad money",
    "unquoted thousands",
    "bad progress",
    "unknown sector",
    "unknown stage",
    "empty id",
    "repeated column",
    "gbk",
]


@pytest.mark.usefixtures("restore_csv")
@examples(60)
@given(parts=accepted_csv(), refusal=st.sampled_from(REFUSALS), data=st.data())
def test_refused_csv_names_the_line_and_the_column(
    work: Path,
    parts: tuple[list[str], list[list[str]], dict[str, Any]],
    refusal: str,
    data: st.DataObject,
) -> None:
    columns, rows, options = copy.deepcopy(parts)
    j = data.draw(st.integers(1, len(rows) - 1), label="row")  # the row made bad (never the first)

    def col(name: str) -> int:
        return columns.index(name)

    column = {
        "duplicate id": "id",
        "empty id": "id",
        "bad money": "total_investment",
        "bad progress": "progress",
        "unknown sector": "sector",
        "unknown stage": "stage",
        "gbk": "name_zh",
    }.get(refusal)
    encoding = "utf-8"
    at_header = False
    if refusal == "missing column":
        column = data.draw(st.sampled_from(["id", "sector", "total_investment", "stage", "progress"]))
        k = col(column)
        columns.pop(k)
        for r in rows:
            r.pop(k)
        at_header = True
    elif refusal == "repeated column":
        column = data.draw(st.sampled_from(["id", "sector", "stage"]))
        columns.append(column)
        for r in rows:
            r.append(r[col(column)])
        at_header = True
    elif refusal == "duplicate id":
        rows[j][col("id")] = rows[data.draw(st.integers(0, j - 1))][col("id")]
    elif refusal == "empty id":
        rows[j][col("id")] = ""
    elif refusal == "bad money":
        rows[j][col("total_investment")] = data.draw(st.sampled_from(BAD_MONEY))
    elif refusal == "unquoted thousands":
        rows[j][col("total_investment")] = "1,234.5"
        column = "field"
        options["raw"] = {(j, col("total_investment"))}  # written as it is, without quotes
    elif refusal == "bad progress":
        rows[j][col("progress")] = data.draw(st.sampled_from(["1.5", "-0.1", "half", "50%", "", "nan"]))
    elif refusal == "unknown sector":
        rows[j][col("sector")] = data.draw(st.sampled_from(["mining", "Industry", "工业"]))
    elif refusal == "unknown stage":
        rows[j][col("stage")] = data.draw(st.sampled_from(["building", "done", ""]))
    elif refusal == "gbk":
        encoding = "gbk"
        options["bom"] = False
        j = 0  # the first row's Chinese name is the first byte that is not UTF-8
    f = render(columns, rows, options)
    raw = f.raw if encoding == "utf-8" else f.raw.decode("utf-8").encode(encoding)
    result, csv_path = load_with_csv(work, raw)
    assert isinstance(result, InputError), f"{refusal} accepted:\n{raw!r}"
    first = str(result).splitlines()[0]
    line = f.header_line if at_header else f.row_lines[j]
    assert first.startswith(f"{csv_path}:{line}: "), f"{refusal}: expected line {line}: {first}"
    assert column is not None
    assert column in first, f"{refusal}: expected column {column}: {first}"
    if refusal == "gbk":
        assert "save the file as UTF-8" in first


CSV_TOKENS = [",", '"', "\n", "\r\n", "\r", " ", "\ufeff", "\x00", "id", "sector", "total_investment"]
CSV_TOKENS += ["stage", "progress", "industry", "services", "approval", "construction", "0.5", "1,5"]
CSV_TOKENS += ["-1", "1e999", "项目", "A1", "A2"]


@pytest.mark.usefixtures("restore_csv")
@examples(50)
@given(
    raw=st.one_of(
        st.binary(max_size=400),
        st.lists(st.sampled_from(CSV_TOKENS), max_size=60).map(lambda t: "".join(t).encode()),
        st.lists(st.sampled_from(CSV_TOKENS), max_size=60).map(lambda t: (PROJECTS + "".join(t)).encode()),
    )
)
def test_random_csv(work: Path, raw: bytes) -> None:
    load_with_csv(work, raw)


@pytest.mark.usefixtures("restore_csv")
def test_the_library_csv_saved_as_gbk(work: Path) -> None:
    csv_path = work / "lib_base" / "data" / "liaoyuan_2018_projects.csv"
    original = csv_path.read_bytes()
    (work / "lib_base" / "baseline.yaml").write_bytes((LIBRARY / "baseline.yaml").read_bytes())
    try:
        csv_path.write_bytes(original.decode("utf-8").encode("gbk"))
        result = outcome(work / "lib_base" / "baseline.yaml", resolved(csv_path))
        assert isinstance(result, InputError)
        first = str(result).splitlines()[0]
        assert first.startswith(f"{csv_path}:2: row 1, name_zh: not UTF-8"), first
        assert "GBK" in first
        assert "save the file as UTF-8" in first
    finally:
        csv_path.write_bytes(original)


# --------------------------------------------------------------------------------------
# the command line: a few cases (each is an interpreter start-up)


def _cli_small(folder: Path, text: str | bytes, csv: bytes | None = None) -> Path:
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "projects.csv").write_bytes(csv if csv is not None else PROJECTS.encode())
    path = folder / "scenario.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


CLI_CASES: dict[str, Callable[[Path], tuple[Path, str]]] = {
    "random-bytes": lambda d: (_cli_small(d, bytes(range(256)) * 4), "scenario.yaml"),
    "10MB": lambda d: (_cli_small(d, SMALL + "#" * 10_000_000), "scenario.yaml"),
    "nan-rate": lambda d: (
        _cli_small(d, SMALL.replace("arrivals: {rate: 10,", "arrivals: {rate: .nan,")),
        "scenario.yaml:13: sectors.industry.arrivals.rate: ",
    ),
    "gbk-csv": lambda d: (
        _cli_small(d, SMALL, PROJECTS.encode("gbk")),
        "projects.csv:2: row 1, name_zh: not UTF-8",
    ),
}


@pytest.fixture(scope="module")
def cli_results(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[subprocess.CompletedProcess[str], str]]:
    root = tmp_path_factory.mktemp("fuzz_cli")

    def run(case: str) -> tuple[subprocess.CompletedProcess[str], str]:
        path, expected = CLI_CASES[case](root / case)
        proc = run_cli("validate", str(path), cwd=root / case, errors="replace")
        return proc, expected

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(CLI_CASES, pool.map(run, CLI_CASES), strict=True))


@pytest.mark.parametrize("case", list(CLI_CASES))
def test_cli_validate_refuses_cleanly(
    cli_results: dict[str, tuple[subprocess.CompletedProcess[str], str]], case: str
) -> None:
    proc, expected = cli_results[case]
    assert proc.returncode == 2, f"exit {proc.returncode}\n{proc.stdout}{proc.stderr}"
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    assert expected in proc.stderr, f"{expected!r} not in {proc.stderr!r}"
    assert len([line for line in proc.stderr.splitlines() if line.strip()]) == 1, proc.stderr


# --------------------------------------------------------------------------------------
# bugs outside loading.py found by these tests (fixed): each test says what happens now


def test_a_boolean_is_not_a_number(work: Path) -> None:
    for override, key in (
        ("horizon_years=yes", "horizon_years"),
        ("sectors.industry.cancel.approval=no", "approval"),
        ("key_project_threshold=true", "key_project_threshold"),
    ):
        with pytest.raises(InputError, match=key):
            load_scenario(work / "small" / "scenario.yaml", [override])


def test_a_lognormal_far_from_its_median_is_refused(work: Path) -> None:
    """Was: OverflowError computing its mean (exit 1)."""
    with pytest.raises(InputError, match="at most 1000 x median"):
        load_scenario(work / "small" / "scenario.yaml", ["sectors.industry.size.p90=1e30"])


def test_a_name_with_control_characters_is_refused(work: Path) -> None:
    with pytest.raises(InputError, match="control characters"):
        load_scenario(work / "small" / "scenario.yaml", ['name="a\\e[31mb"'])


def test_an_absurd_arrival_rate_is_refused(work: Path) -> None:
    """Was: loaded, then `run` failed with 'Maximum allowed dimension exceeded' (exit 1)."""
    with pytest.raises(InputError, match=r"arrivals\.rate"):
        load_scenario(work / "small" / "scenario.yaml", ["sectors.industry.arrivals.rate=1e300"])
