"""Reading scenario files: YAML, ``extends``, ``--set`` overrides and the projects CSV.

Everything that can go wrong with a user's files is turned into a :class:`ScenarioError`
naming the file, the line where it can be had, the key path and what is wrong.
"""

from __future__ import annotations

import copy
import csv
import difflib
import hashlib
import io
import json
import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from investsim.errors import ScenarioError
from investsim.scenario.config import (
    POLICY_FIXED_KEYS,
    STAGES,
    InFlightProject,
    PolicyChange,
    Scenario,
    ScenarioConfig,
)

# Keys whose values are file paths: resolved relative to the file that names them.
_PATH_KEYS = ("projects",)


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys (the second would silently win)."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            continue  # a list or mapping as a key: construct_mapping says "found unhashable key"
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first at line {seen[key] + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


MAX_SCENARIO_BYTES = 1_000_000
"""A scenario file is a page or two of YAML; one larger than this is the wrong file (and
PyYAML would take minutes to read it)."""

MAX_YAML_VALUES = 1_000_000
"""Values a YAML document may expand to once its aliases (``*name``) are followed: a
guard against "billion laughs" files that are small on disk and huge in memory."""


def _first_bad_byte(raw: bytes, err: UnicodeDecodeError) -> tuple[str, int]:
    """The (valid) text before the first byte that is not UTF-8, and that byte."""
    body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw  # err.start is after a BOM
    return body[: err.start].decode("utf-8"), body[err.start]


def _lines_before(text: str) -> int:
    """Line (1-based) at the end of ``text``: CRLF, LF and CR each end a line."""
    return text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1


def _not_utf8(raw: bytes, err: UnicodeDecodeError, file: str) -> ScenarioError:
    """'not UTF-8' naming the line of the first bad byte and what the file probably is."""
    before, byte = _first_bad_byte(raw, err)
    return ScenarioError(
        f"not UTF-8 text: byte 0x{byte:02x} can't be read{_encoding_hint(raw)}; save the file as UTF-8",
        file=file,
        line=_lines_before(before),
    )


def _encoding_hint(raw: bytes) -> str:
    """' (it looks like GBK ...)' when the bytes read as the Chinese Windows encoding."""
    try:
        raw.decode("gb18030")
    except UnicodeDecodeError:
        return ""
    return " (it looks like GBK/GB18030, the Chinese Windows encoding)"


class _YamlSyntaxError(ScenarioError):
    """Text that is not YAML at all (as opposed to YAML that can't be used)."""


def _parse_yaml(text: str, *, file: str | None) -> tuple[Any, yaml.Node | None]:
    """The data and the node tree (for line numbers) of one YAML document, read once.

    Refused with a :class:`ScenarioError`: YAML errors, duplicate keys, nesting too deep
    for the parser, aliases that contain themselves or expand to too many values.
    """
    loader: _UniqueKeyLoader | None = None
    try:
        loader = _UniqueKeyLoader(text)  # refuses control characters at once
        node = loader.get_single_node()
        _check_aliases(node, file)
        data = loader.construct_document(node) if node is not None else None
    except yaml.reader.ReaderError as e:
        raise _YamlSyntaxError(
            f"not valid YAML: the character U+{_code_point(e.character):04X} is not allowed in YAML text",
            file=file,
            line=_lines_before(text[: e.position]),
        ) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        problem = getattr(e, "problem", None) or str(e)
        context = getattr(e, "context", None)
        if context and problem.startswith("but "):  # "expected a single document ..., but found ..."
            problem = f"{context}, {problem}"
        kind = ScenarioError if isinstance(e, yaml.constructor.ConstructorError) else _YamlSyntaxError
        raise kind(
            f"not valid YAML: {problem}",
            file=file,
            line=mark.line + 1 if mark is not None else None,
        ) from None
    except RecursionError:
        raise ScenarioError(
            "not valid YAML: nested too deeply (brackets or indentation)", file=file
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, node


def _code_point(character: int | str) -> int:
    return character if isinstance(character, int) else ord(character)


def _check_aliases(root: yaml.Node | None, file: str | None) -> None:
    """Refuse an alias that contains itself, or aliases that expand to too many values."""
    if root is None:
        return
    size: dict[int, int] = {}  # values under a node once expanded, by id(node)
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        if done:
            on_path.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in children)
            if size[key] > MAX_YAML_VALUES:
                raise ScenarioError(
                    f"aliases (*name) expand to more than {MAX_YAML_VALUES:,} values",
                    file=file,
                    line=node.start_mark.line + 1,
                )
            continue
        if key in size:
            continue
        on_path.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in on_path:
                raise ScenarioError(
                    "an alias (*name) refers to a value that contains it: it would never end",
                    file=file,
                    line=child.start_mark.line + 1,
                )
            if id(child) not in size:
                stack.append((child, False))


class _SourceFile:
    """One YAML file of a scenario: its parsed data and node tree (for line numbers)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise ScenarioError("file not found", file=str(path)) from None
        except OSError as e:
            raise ScenarioError(f"can't read file: {e.strerror}", file=str(path)) from None
        if len(raw) > MAX_SCENARIO_BYTES:
            raise ScenarioError(
                f"{len(raw) / 1e6:.1f} MB is too big for a scenario file (at most "
                f"{MAX_SCENARIO_BYTES / 1e6:g} MB): is it the right file?",
                file=str(path),
            )
        try:
            self.text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise _not_utf8(raw, e, str(path)) from None
        self.data, self.node = _parse_yaml(self.text, file=str(path))
        if self.data is None:
            self.data = {}
        if not isinstance(self.data, dict):
            raise ScenarioError(
                f"a scenario file must be a mapping of keys, got {type(self.data).__name__}",
                file=str(path),
            )

    def line_of(self, path: tuple[str | int, ...]) -> int | None:
        """Line (1-based) of the deepest node along ``path`` in this file, if any."""
        node = self.node
        line = None
        for key in path:
            if isinstance(node, yaml.MappingNode):
                for k, v in node.value:
                    if k.value == str(key):
                        line = k.start_mark.line + 1
                        node = v
                        break
                else:
                    return line
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
                if key >= len(node.value):
                    return line
                node = node.value[key]
                line = node.start_mark.line + 1
            else:
                return line
        return line


def _unshare(value: Any) -> Any:
    """A copy in which no two places share an object.

    YAML aliases (``b: *a``) load as one shared object; copying each place separately
    keeps an override of ``a`` from changing ``b`` too (``copy.deepcopy`` would keep
    the sharing).
    """
    if isinstance(value, dict):
        return {k: _unshare(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unshare(v) for v in value]
    return value


def _replaces_whole(value: Mapping[str, Any]) -> bool:
    # a distribution ({dist: ...}) or approval sub-steps ({mode, steps}) given in full
    # replaces the base's, which may be of another form with other keys
    return "dist" in value or "steps" in value


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` on top of ``base``: mappings merge key by key, anything else replaces.

    A mapping that names a distribution (``dist``) or approval ``steps`` replaces the
    base's value whole, so a child file can switch a lognormal to a fixed value.
    """
    out = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping) and not _replaces_whole(value):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _read_chain(path: Path, seen: tuple[Path, ...] = ()) -> tuple[dict[str, Any], list[_SourceFile]]:
    """Merged data of ``path`` and the files it extends (nearest file first in the list)."""
    path = _resolve(path, file=str(path))
    if path in seen:
        loop = " -> ".join(str(p) for p in (*seen, path))
        last = _SourceFile(seen[-1])
        raise ScenarioError(
            f"extends loops back on itself: {loop}",
            file=str(seen[-1]),
            path="extends",
            line=last.line_of(("extends",)),
        )
    src = _SourceFile(path)
    data = _unshare(src.data)
    for key in _PATH_KEYS:
        if isinstance(data.get(key), str):
            where: dict[str, Any] = {"file": str(path), "path": key, "line": src.line_of((key,))}
            data[key] = str(_resolve(path.parent / data[key], **where))
    parent = data.get("extends")
    if parent is None:
        return data, [src]
    if not isinstance(parent, str) or not parent:
        raise ScenarioError(
            f"must be the path of another scenario file, got {parent!r}",
            file=str(path),
            path="extends",
            line=src.line_of(("extends",)),
        )
    where = {"file": str(path), "path": "extends", "line": src.line_of(("extends",))}
    base_path = _resolve(path.parent / parent, **where)
    if not _exists(base_path):
        raise ScenarioError(f"the file it names does not exist: {_show_path(base_path)}", **where)
    base, chain = _read_chain(base_path, (*seen, path))
    merged = deep_merge(base, data)
    return merged, [src, *chain]


def _resolve(target: Path, *, file: str, path: str | None = None, line: int | None = None) -> Path:
    """``target`` made absolute; a name no file system can hold (a NUL byte, too long) is
    refused, as written at ``file``, ``line`` and key ``path``."""
    try:
        return target.resolve()
    except (OSError, ValueError, RuntimeError) as e:
        reason = getattr(e, "strerror", None) or str(e)
        raise ScenarioError(
            f"not a usable file name: {_short_repr(str(target))} ({reason})",
            file=file if path else _short_repr(file)[1:-1],
            path=path,
            line=line,
        ) from None


def _exists(path: Path) -> bool:
    """Whether ``path`` exists; a name the system refuses (too long, ...) does not."""
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def _is_file(path: Path) -> bool:
    """Whether ``path`` is a file; a name the system refuses (too long, ...) is not."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _show_path(path: str | Path) -> str:
    """A file name for a message: as it is, or its repr cut short when long or odd."""
    text = str(path)
    return text if text.isprintable() and len(text) <= 200 else _short_repr(text, 200)


def _short_repr(value: Any, limit: int = 100) -> str:
    """``repr(value)``, cut in the middle when longer than ``limit`` characters."""
    text = repr(value)
    if len(text) <= limit:
        return text
    half = limit // 2 - 2
    return f"{text[:half]} ... {text[-half:]} ({len(text):,} characters)"


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``dotted.path=value`` and parse the value as YAML (``5.5``, ``null``, ``{...}``)."""
    if "=" not in text:
        raise ScenarioError(f"{text!r} must look like dotted.path=value", file="--set")
    path, _, value = text.partition("=")
    path = path.strip()
    if not path or any(not p for p in path.split(".")):
        raise ScenarioError(f"{text!r}: the path before '=' is empty or has an empty part", file="--set")
    try:
        parsed, _ = _parse_yaml(value, file="--set") if value.strip() else (None, None)
    except _YamlSyntaxError:
        parsed = value  # not YAML: the text itself (a name, say)
    except ScenarioError as e:
        raise ScenarioError(e.message, file="--set", path=path) from None
    return path, parsed


def apply_override(data: dict[str, Any], dotted: str, value: Any, *, origin: str = "--set") -> list[str]:
    """Set ``dotted`` (``*`` = every key at that level) to ``value`` in ``data``, in place.

    Returns the concrete paths that were set. Intermediate mappings are created where an
    optional section is absent; a path through a value that is not a mapping is an error.
    """
    parts = dotted.split(".")
    done: list[str] = []

    def walk(node: dict[str, Any], i: int, prefix: list[str]) -> None:
        key = parts[i]
        if key == "*":
            if not node:
                raise ScenarioError(
                    f"'*' at {'.'.join(prefix) or 'the top'} matches nothing", file=origin, path=dotted
                )
            keys: Iterable[str] = list(node)
        else:
            keys = [key]
        for k in keys:
            if i == len(parts) - 1:
                node[k] = copy.deepcopy(value)
                done.append(".".join([*prefix, k]))
                continue
            child = node.get(k)
            if child is None:
                child = node[k] = {}
            if not isinstance(child, dict):
                raise ScenarioError(
                    f"{'.'.join([*prefix, k])} is {child!r}, not a section with keys",
                    file=origin,
                    path=dotted,
                )
            walk(child, i + 1, [*prefix, k])

    walk(data, 0, [])
    return done


def _describe(err: Mapping[str, Any]) -> str:
    kind = err["type"]
    msg = str(err["msg"])
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    if kind in ("union_tag_not_found", "union_tag_invalid") and "dist" in msg:
        return (
            "needs a 'dist' key: one of fixed, uniform, triangular, pert, lognormal, gamma, exponential, empirical"
            + (
                f" (got {_short_repr(err['input'].get('dist'))})"
                if isinstance(err.get("input"), dict) and "dist" in err["input"]
                else ""
            )
        )
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"must be a section of keys, got {_short_repr(err.get('input'))}"
    if msg.startswith("Value error, "):
        return msg[len("Value error, ") :]
    if msg.startswith("Assertion failed, "):
        msg = msg[len("Assertion failed, ") :]
    value = err.get("input")
    if isinstance(value, (dict, list)):
        return msg
    return f"{msg} (got {_short_repr(value)})"


def _dotted(path: Iterable[Any]) -> str:
    """``a.b.c`` of a key path; a key that is not printable text is shown as its repr."""
    return ".".join(
        p if isinstance(p, str) and p and p.isprintable() and len(p) <= 100 else _short_repr(p) for p in path
    )


def _key_path(data: Any, loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """The part of pydantic's ``loc`` that names keys of the user's data.

    pydantic inserts union tags (``lognormal``, ``function-after[...]``) into ``loc``; a
    tag is not a key of the data, so it is skipped. The last element is kept even when
    absent (a missing key).
    """
    out: list[str | int] = []
    cur = data
    for i, key in enumerate(loc):
        child = _child(cur, key)
        if child is not _MISSING:
            out.append(key)
            cur = child
        elif i == len(loc) - 1 and isinstance(cur, dict) and not _is_tag(key):
            out.append(key)
    return tuple(out)


_TAGS = {
    "distribution",
    "sub-steps",
    "fixed",
    "uniform",
    "triangular",
    "pert",
    "lognormal",
    "gamma",
    "exponential",
    "empirical",
}


def _is_tag(key: str | int) -> bool:
    """Whether a ``loc`` element is a union tag pydantic inserted, not a key of the data."""
    return isinstance(key, str) and (key in _TAGS or key.startswith(("function-", "literal[")))


def _suggestion(data: Any, path: tuple[str | int, ...]) -> str | None:
    """The allowed key closest to an unknown key, if one is close."""
    if not path:
        return None
    schema = ScenarioConfig.model_json_schema()
    allowed = _allowed_keys(schema, schema, list(path[:-1]))
    close = difflib.get_close_matches(str(path[-1]), allowed, n=1)
    return close[0] if close else None


def _suggest(data: Any, path: tuple[str | int, ...]) -> str:
    """' (did you mean ...?)' for an unknown key, from the keys the schema allows."""
    close = _suggestion(data, path)
    return f" (did you mean {close!r}?)" if close else ""


def _allowed_keys(schema: dict[str, Any], root: dict[str, Any], path: list[str | int]) -> list[str]:
    node: Any = schema
    for key in [*path, None]:
        while isinstance(node, dict) and "$ref" in node:
            node = root["$defs"][node["$ref"].split("/")[-1]]
        if isinstance(node, dict) and "anyOf" in node:
            # take the first object-shaped branch: good enough for a suggestion
            node = next((n for n in node["anyOf"] if "$ref" in n or "properties" in n), node)
            while isinstance(node, dict) and "$ref" in node:
                node = root["$defs"][node["$ref"].split("/")[-1]]
        if key is None:
            break
        if not isinstance(node, dict):
            return []
        if "properties" in node and key in node["properties"]:
            node = node["properties"][key]
        elif "additionalProperties" in node and isinstance(node["additionalProperties"], dict):
            node = node["additionalProperties"]
        else:
            return []
    return list(node.get("properties", {})) if isinstance(node, dict) else []


def _raise_validation(
    e: ValidationError, data: dict[str, Any], files: list[_SourceFile], set_paths: list[str]
) -> None:
    lines = []
    first: ScenarioError | None = None
    errors = e.errors()
    # a misspelt key shows as 'unknown key' and 'required key is missing': say the first,
    # which has the line and the suggestion, and drop the missing key it stands for
    unknown = {}
    for err in errors:
        if err["type"] == "extra_forbidden":
            path = _key_path(data, tuple(err["loc"]))
            unknown[path] = _suggestion(data, path)
    suggested = {(*path[:-1], s) for path, s in unknown.items() if s}
    errors = [
        err
        for err in errors
        if not (err["type"] == "missing" and _key_path(data, tuple(err["loc"])) in suggested)
    ]
    errors.sort(key=lambda err: err["type"] != "extra_forbidden")
    for err in errors:
        path = _key_path(data, tuple(err["loc"]))
        dotted = _dotted(path)
        message = _describe(err)
        if err["type"] == "extra_forbidden":
            message += _suggest(data, path)
        file, line = _locate(path, dotted, files, set_paths)
        se = ScenarioError(message, file=file, path=dotted or None, line=line)
        lines.append(str(se))
        first = first or se
    assert first is not None
    if len(lines) > 1:
        raise ScenarioError(
            first.message + "".join(f"\n{x}" for x in lines[1:]),
            file=first.file,
            path=first.path,
            line=first.line,
        )
    raise first


def _locate(
    path: tuple[str | int, ...], dotted: str, files: list[_SourceFile], set_paths: list[str]
) -> tuple[str, int | None]:
    in_files = max(_depth(f, path) for f in files)
    parts = [str(p) for p in path]
    for sp in set_paths:
        sp_parts = sp.split(".")
        common = 0
        for a, b in zip(sp_parts, parts, strict=False):
            if a != b:
                break
            common += 1
        # blame --set when it wrote the key, or a section the files do not have
        if common == len(sp_parts) or common == len(parts) or common > in_files:
            return "--set", None
    best: tuple[int, _SourceFile] | None = None
    for f in files:
        line = f.line_of(path)
        if line is not None and (best is None or _depth(f, path) > best[0]):
            best = (_depth(f, path), f)
    if best is None:
        return str(files[0].path), None
    return str(best[1].path), best[1].line_of(path)


def _depth(f: _SourceFile, path: tuple[str | int, ...]) -> int:
    cur: Any = f.data
    depth = 0
    for key in path:
        cur = _child(cur, key)
        if cur is _MISSING:
            break
        depth += 1
    return depth


_MISSING = object()


def _child(node: Any, key: str | int) -> Any:
    """``node[key]`` for a mapping or list of the user's data, or ``_MISSING``."""
    if isinstance(node, dict) and key in node:
        return node[key]
    if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
        return node[key]
    return _MISSING


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
    before, byte = _first_bad_byte(raw, err)
    line = _lines_before(before)
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
        f"not UTF-8 text: byte 0x{byte:02x} can't be read{_encoding_hint(raw)}; save the "
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
        raise bad("id", f"duplicate id {_short_repr(pid)} (first on line {ids[pid]})")
    ids[pid] = line
    sector = value["sector"]
    if sector not in known:
        raise bad("sector", f"unknown sector {_short_repr(sector)}; the scenario has {sorted(known)}")
    stage = value["stage"]
    if stage not in (*STAGES, "completed"):
        raise bad("stage", f"unknown stage {_short_repr(stage)}; one of {', '.join((*STAGES, 'completed'))}")
    money = _number(value["total_investment"], thousands=True)
    if money is None or not money > 0:
        raise bad(
            "total_investment", f"must be a positive number, got {_short_repr(row['total_investment'])}"
        )
    progress = _number(value["progress"])
    if progress is None or not 0 <= progress <= 1:
        raise bad("progress", f"must be a number from 0 to 1, got {_short_repr(row['progress'])}")
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


def load_scenario(path: str | Path, overrides: Iterable[str] = ()) -> Scenario:
    """Load, merge (``extends``), override (``dotted.path=value``) and validate a scenario.

    Raises :class:`ScenarioError` naming the file, line, key path and problem.
    """
    try:
        return _load_scenario(path, overrides)
    except RecursionError:
        # the parser refuses deep nesting itself; this catches what it let through and a
        # later step (merging, copying, validating) could not take
        raise ScenarioError("values nested too deeply to read", file=str(path)) from None


def _load_scenario(path: str | Path, overrides: Iterable[str]) -> Scenario:
    data, files = _read_chain(Path(path))
    set_paths: list[str] = []
    for text in overrides:
        dotted, value = parse_override(text)
        set_paths += apply_override(data, dotted, value)
        if dotted in _PATH_KEYS and isinstance(value, str):
            data[dotted] = str(_resolve(Path(value), file="--set", path=dotted))
    top = files[0]
    try:
        config = ScenarioConfig.model_validate(data)
    except ValidationError as e:
        _raise_validation(e, data, files, set_paths)
        raise  # unreachable: _raise_validation always raises
    changes = _policy_changes(config, data, files, set_paths)
    in_flight: tuple[InFlightProject, ...] = ()
    if config.projects:
        if not _is_file(Path(config.projects)):
            file, line = _locate(("projects",), "projects", files, set_paths)
            raise ScenarioError(
                f"projects file not found: {_show_path(config.projects)}",
                file=file,
                path="projects",
                line=line,
            )
        in_flight = load_projects(config.projects, config.sectors)
    return Scenario(config=config, in_flight=in_flight, changes=changes, source=str(top.path), resolved=data)


def _policy_changes(
    config: ScenarioConfig, data: dict[str, Any], files: list[_SourceFile], set_paths: list[str]
) -> tuple[PolicyChange, ...]:
    """The configuration in force after each policy, in the order they take effect.

    Each policy's ``set`` is applied on top of the previous ones and validated like the
    file, so a path that does not exist or a bad value is an error now, naming the policy.
    """
    if not config.policies:
        return ()
    current = _unshare({k: v for k, v in data.items() if k != "policies"})
    order = sorted(range(len(config.policies)), key=lambda k: config.policies[k].time(config.start_year))
    changes = []
    for k in order:
        policy = config.policies[k]
        raw_set = data["policies"][k]["set"]

        def fail(message: str, dotted: str, k: int = k, policy: Any = policy) -> ScenarioError:
            file, line = _locate(("policies", k, "set", dotted), "policies", files, set_paths)
            return ScenarioError(
                message, file=file, line=line, path=f"policies[{k}] {policy.name!r}: {dotted}"
            )

        paths: list[str] = []
        for dotted, value in raw_set.items():
            top = str(dotted).split(".")[0]
            if top in POLICY_FIXED_KEYS:
                raise fail(f"a policy can't change {top!r}: it defines the run, not the pipeline", dotted)
            try:
                paths += apply_override(current, str(dotted), value, origin="policy")
            except ScenarioError as e:
                raise fail(e.message, dotted) from None
        try:
            after = ScenarioConfig.model_validate(current)
        except ValidationError as e:
            err = e.errors()[0]
            where = _dotted(_key_path(current, tuple(err["loc"])))
            dotted = next(
                (d for d in raw_set if where.startswith(_glob_prefix(str(d)))), str(next(iter(raw_set)))
            )
            what = _describe(err) if where in ("", dotted) else f"{where}: {_describe(err)}"
            raise fail(what, dotted) from None
        if list(after.sectors) != list(config.sectors):
            raise fail("a policy can't add or remove sectors", str(next(iter(raw_set))))
        if list(after.financing.sources) != list(config.financing.sources):
            raise fail("a policy can't add or remove funding sources", str(next(iter(raw_set))))
        changes.append(
            PolicyChange(
                name=policy.name,
                start=str(policy.from_),
                time=policy.time(config.start_year),
                paths=tuple(paths),
                config=after,
            )
        )
    return tuple(changes)


def _glob_prefix(dotted: str) -> str:
    """The part of a policy path before any ``*``."""
    return dotted.split("*")[0]


def scenario_sha256(scenario: Scenario) -> str:
    """Fingerprint of the resolved scenario (configuration and in-flight projects)."""
    payload = {
        "config": scenario.config.model_dump(mode="json", by_alias=True),
        "in_flight": [vars(p) for p in scenario.in_flight],
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def bundled_scenarios() -> Path:
    """Folder of the scenarios shipped with investsim (in the wheel or the source tree)."""
    package = Path(__file__).resolve().parents[1]
    # installed: investsim/scenarios; in the source tree: <repository>/scenarios
    for candidate in (package / "scenarios", package.parents[1] / "scenarios"):
        if (candidate / "liaoyuan" / "baseline.yaml").exists():
            return candidate
    raise FileNotFoundError("the bundled scenarios are missing from this installation")


def default_scenario_path() -> Path:
    """The bundled Liaoyuan baseline, run when no scenario is named."""
    return bundled_scenarios() / "liaoyuan" / "baseline.yaml"
