"""Turning what is wrong with a scenario's data into ``file:line: key.path: problem``.

pydantic's errors are reworded for a planner (``unknown key (did you mean 'rate'?)``,
``required key is missing``), their location is cleared of the union tags pydantic
inserts, and each is blamed on the file (or ``--set``) that wrote the key.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from investsim.errors import ScenarioError
from investsim.scenario.base import KeyPathError
from investsim.scenario.config import ScenarioConfig
from investsim.scenario.yaml_source import IN_VALUES, SourceFile, first_lookalike, lookalike

KeyPath = tuple[str | int, ...]

Locate = Callable[[KeyPath], tuple[str, int | None]]
"""Where a key path was written: the file (or ``--set``) to name, and its line if known."""


def show_path(path: str | Path) -> str:
    """A file name for a message: as it is, or its repr cut short when long or odd."""
    text = str(path)
    return text if text.isprintable() and len(text) <= 200 else short_repr(text, 200)


def short_repr(value: Any, limit: int = 100) -> str:
    """``repr(value)``, cut in the middle when longer than ``limit`` characters."""
    text = repr(value)
    if len(text) <= limit:
        return text
    half = limit // 2 - 2
    return f"{text[:half]} ... {text[-half:]} ({len(text):,} characters)"


def describe(err: Mapping[str, Any]) -> str:
    """One pydantic error's problem, in the words of the scenario file."""
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
                f" (got {short_repr(err['input'].get('dist'))})"
                if isinstance(err.get("input"), dict) and "dist" in err["input"]
                else ""
            )
        )
    if (kind == "model_type" and (err.get("ctx") or {}).get("class_name") == "Source") or (
        kind == "literal_error" and (err.get("ctx") or {}).get("expected") == "'unlimited'"
    ):
        # financing.sources.own: unlimted, or bank: 37
        return f"a funding source is 'unlimited' or its terms, e.g. {{supply: 37}} (got {short_repr(err.get('input'))})"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"must be a section of keys, got {short_repr(err.get('input'))}"
    if msg.startswith("Value error, "):
        return msg[len("Value error, ") :]
    if msg.startswith("Assertion failed, "):
        msg = msg[len("Assertion failed, ") :]
    value = err.get("input")
    if isinstance(value, (dict, list)):
        return msg
    hint = percent_hint(value) if kind in ("float_parsing", "float_type") else ""
    return f"{msg} (got {short_repr(value)}){hint}"


_PERCENT = re.compile(r"\s*([+-]?(?:\d+\.?\d*|\.\d+))\s*[%\uff05]\s*")


def percent_hint(value: Any) -> str:
    """': write 3% as 0.03' when ``value`` is text like ``3%``; else nothing."""
    m = _PERCENT.fullmatch(value) if isinstance(value, str) else None
    if m is None:
        return ""
    return f": a percentage is written as a fraction, {value.strip()} as {float(m.group(1)) / 100:g}"


def lookalike_note(*texts: Any) -> str:
    """'; ... has the full-width colon '：' (U+FF1A) where YAML needs ':' ...' for the first
    of ``texts`` (keys or values as read) that has an :data:`IN_VALUES` character."""
    for text in texts:
        found = first_lookalike(text) if isinstance(text, str) else None
        if found is not None:
            index, char = found
            return (
                f"; {short_repr(text)} has {lookalike(char)} at character {index + 1} where YAML "
                f"needs the ASCII {IN_VALUES[char]!r} (a Chinese input method types it)"
            )
    return ""


def problem(err: Mapping[str, Any], data: Any) -> str:
    """One pydantic error on ``data`` described (:func:`describe`) with what helps fix it:
    the allowed key nearest an unknown key, a full-width character YAML read as text."""
    path = error_path(err, data)
    message = describe(err)
    if err["type"] == "extra_forbidden":
        message += _suggest(path)
    value = err.get("input")
    return message + lookalike_note(path[-1] if path else None, value if isinstance(value, str) else None)


def dotted_path(path: Iterable[Any]) -> str:
    """``a.b.c`` of a key path; a key that is not printable text is shown as its repr."""
    return ".".join(
        p if isinstance(p, str) and p and p.isprintable() and len(p) <= 100 else short_repr(p) for p in path
    )


def error_path(err: Mapping[str, Any], data: Any) -> KeyPath:
    """The key path of the user's data that one pydantic error is about: its ``loc``
    (:func:`key_path`), or the key a check across sections named (:class:`KeyPathError`)."""
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, KeyPathError):
        return cause.path
    return key_path(data, tuple(err["loc"]))


def key_path(data: Any, loc: KeyPath) -> KeyPath:
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


def _suggestion(path: KeyPath) -> str | None:
    """The allowed key closest to an unknown key, if one is close."""
    if not path:
        return None
    schema = ScenarioConfig.model_json_schema()
    allowed = _allowed_keys(schema, schema, list(path[:-1]))
    close = difflib.get_close_matches(str(path[-1]), allowed, n=1)
    return close[0] if close else None


def _suggest(path: KeyPath) -> str:
    """' (did you mean ...?)' for an unknown key, from the keys the schema allows."""
    close = _suggestion(path)
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


def validation_error(e: ValidationError, data: dict[str, Any], locate: Locate) -> ScenarioError:
    """The :class:`ScenarioError` for pydantic's errors on ``data``: one line each."""
    lines = []
    first: ScenarioError | None = None
    errors = e.errors()
    # a misspelt key shows as 'unknown key' and 'required key is missing': say the first,
    # which has the line and the suggestion, and drop the missing key it stands for
    unknown = {}
    for err in errors:
        if err["type"] == "extra_forbidden":
            path = key_path(data, tuple(err["loc"]))
            unknown[path] = _suggestion(path)
    suggested = {(*path[:-1], s) for path, s in unknown.items() if s}
    errors = [
        err
        for err in errors
        if not (err["type"] == "missing" and key_path(data, tuple(err["loc"])) in suggested)
    ]
    errors.sort(key=lambda err: err["type"] != "extra_forbidden")
    for err in errors:
        path = error_path(err, data)
        message = problem(err, data)
        file, line = locate(path)
        se = ScenarioError(message, file=file, path=dotted_path(path) or None, line=line)
        lines.append(str(se))
        first = first or se
    assert first is not None
    if len(lines) > 1:
        return ScenarioError(
            first.message + "".join(f"\n{x}" for x in lines[1:]),
            file=first.file,
            path=first.path,
            line=first.line,
        )
    return first


def locate_in(files: list[SourceFile], set_paths: list[KeyPath]) -> Locate:
    """Where a key path was written: by ``--set`` (one of ``set_paths``) or in the
    deepest of ``files`` (the scenario and those it extends) that has it."""

    def locate(path: KeyPath) -> tuple[str, int | None]:
        return _locate(path, files, set_paths)

    return locate


def _locate(path: KeyPath, files: list[SourceFile], set_paths: list[KeyPath]) -> tuple[str, int | None]:
    in_files = max(_depth(f, path) for f in files)
    parts = [str(p) for p in path]
    for sp in set_paths:
        sp_parts = [str(p) for p in sp]
        common = 0
        for a, b in zip(sp_parts, parts, strict=False):
            if a != b:
                break
            common += 1
        # blame --set when it wrote the key, or a section the files do not have
        if common == len(sp_parts) or common == len(parts) or common > in_files:
            return "--set", None
    best: tuple[int, SourceFile] | None = None
    for f in files:
        line = f.line_of(path)
        if line is not None and (best is None or _depth(f, path) > best[0]):
            best = (_depth(f, path), f)
    if best is None:
        return str(files[0].path), None
    return str(best[1].path), best[1].line_of(path)


def _depth(f: SourceFile, path: KeyPath) -> int:
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
