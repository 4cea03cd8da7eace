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
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from investsim.errors import ScenarioError
from investsim.scenario import (
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
        try:
            self.text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise ScenarioError(f"not UTF-8 text (bad byte at offset {e.start})", file=str(path)) from None
        try:
            self.data = yaml.load(self.text, Loader=_UniqueKeyLoader)
            self.node = yaml.compose(self.text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            problem = getattr(e, "problem", None) or str(e)
            raise ScenarioError(
                f"not valid YAML: {problem}",
                file=str(path),
                line=mark.line + 1 if mark is not None else None,
            ) from None
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
    path = path.resolve()
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
            data[key] = str((path.parent / data[key]).resolve())
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
    base_path = path.parent / parent
    if not base_path.exists():
        raise ScenarioError(
            f"the file it names does not exist: {base_path}",
            file=str(path),
            path="extends",
            line=src.line_of(("extends",)),
        )
    base, chain = _read_chain(base_path, (*seen, path))
    merged = deep_merge(base, data)
    return merged, [src, *chain]


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``dotted.path=value`` and parse the value as YAML (``5.5``, ``null``, ``{...}``)."""
    if "=" not in text:
        raise ScenarioError(f"{text!r} must look like dotted.path=value", file="--set")
    path, _, value = text.partition("=")
    path = path.strip()
    if not path or any(not p for p in path.split(".")):
        raise ScenarioError(f"{text!r}: the path before '=' is empty or has an empty part", file="--set")
    try:
        parsed = yaml.safe_load(value) if value.strip() else None
    except yaml.YAMLError:
        parsed = value
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
                f" (got {err['input'].get('dist')!r})"
                if isinstance(err.get("input"), dict) and "dist" in err["input"]
                else ""
            )
        )
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"must be a section of keys, got {err.get('input')!r}"
    if msg.startswith("Value error, "):
        return msg[len("Value error, ") :]
    if msg.startswith("Assertion failed, "):
        msg = msg[len("Assertion failed, ") :]
    value = err.get("input")
    if isinstance(value, (dict, list)):
        return msg
    return f"{msg} (got {value!r})"


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
        dotted = ".".join(str(p) for p in path)
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


def load_projects(path: str, sectors: Iterable[str]) -> tuple[InFlightProject, ...]:
    """Read the in-flight projects CSV, checking every row.

    Accepted: a UTF-8 byte-order mark, blank lines, extra columns (ignored). Refused,
    with the row number: missing columns, an unknown sector or stage, a progress outside
    [0, 1], money that is not a positive number, a duplicated id.
    """
    p = Path(path)
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise ScenarioError("projects file not found", file=str(p)) from None
    except UnicodeDecodeError as e:
        raise ScenarioError(f"not UTF-8 text (bad byte at offset {e.start})", file=str(p)) from None
    reader = csv.DictReader(io.StringIO(text))
    need = ["id", "sector", "total_investment", "stage", "progress"]
    missing = [c for c in need if c not in (reader.fieldnames or [])]
    if missing:
        raise ScenarioError(f"missing column(s): {', '.join(missing)}", file=str(p), line=1)
    known = set(sectors)
    out: list[InFlightProject] = []
    ids: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if not any((v or "").strip() for v in row.values()):
            continue

        def bad(col: str, what: str, line: int = line) -> ScenarioError:
            return ScenarioError(what, file=str(p), path=f"row {line - 1}, {col}", line=line)

        short = [c for c in need if row.get(c) is None]
        if short:
            n_fields = len([v for v in row.values() if v is not None])
            raise bad(short[0], f"the row has {n_fields} fields, fewer than the header's {len(row)}")

        pid = (row["id"] or "").strip()
        if not pid:
            raise bad("id", "empty id")
        if pid in ids:
            raise bad("id", f"duplicate id {pid!r} (first on line {ids[pid]})")
        ids[pid] = line
        sector = (row["sector"] or "").strip()
        if sector not in known:
            raise bad("sector", f"unknown sector {sector!r}; the scenario has {sorted(known)}")
        stage = (row["stage"] or "").strip()
        if stage not in (*STAGES, "completed"):
            raise bad("stage", f"unknown stage {stage!r}; one of {', '.join((*STAGES, 'completed'))}")
        money = _number(row["total_investment"])
        if money is None or not money > 0:
            raise bad("total_investment", f"must be a positive number, got {row['total_investment']!r}")
        progress = _number(row["progress"])
        if progress is None or not 0 <= progress <= 1:
            raise bad("progress", f"must be a number from 0 to 1, got {row['progress']!r}")
        out.append(InFlightProject(pid, sector, money, stage, progress))
    return tuple(out)


def _number(text: str | None) -> float | None:
    try:
        x = float((text or "").strip())
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def load_scenario(path: str | Path, overrides: Iterable[str] = ()) -> Scenario:
    """Load, merge (``extends``), override (``dotted.path=value``) and validate a scenario.

    Raises :class:`ScenarioError` naming the file, line, key path and problem.
    """
    data, files = _read_chain(Path(path))
    set_paths: list[str] = []
    for text in overrides:
        dotted, value = parse_override(text)
        set_paths += apply_override(data, dotted, value)
        if dotted in _PATH_KEYS and isinstance(value, str):
            data[dotted] = str(Path(value).resolve())
    top = files[0]
    try:
        config = ScenarioConfig.model_validate(data)
    except ValidationError as e:
        _raise_validation(e, data, files, set_paths)
        raise  # unreachable: _raise_validation always raises
    changes = _policy_changes(config, data, files, set_paths)
    in_flight: tuple[InFlightProject, ...] = ()
    if config.projects:
        if not Path(config.projects).is_file():
            file, line = _locate(("projects",), "projects", files, set_paths)
            raise ScenarioError(
                f"projects file not found: {config.projects}", file=file, path="projects", line=line
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
            where = ".".join(str(x) for x in _key_path(current, tuple(err["loc"])))
            dotted = next(
                (d for d in raw_set if where.startswith(_glob_prefix(str(d)))), str(next(iter(raw_set)))
            )
            what = _describe(err) if where == dotted else f"{where}: {_describe(err)}"
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
    here = Path(__file__).resolve().parent
    for candidate in (here / "scenarios", here.parents[1] / "scenarios"):
        if (candidate / "liaoyuan" / "baseline.yaml").exists():
            return candidate
    raise FileNotFoundError("the bundled scenarios are missing from this installation")


def default_scenario_path() -> Path:
    """The bundled Liaoyuan baseline, run when no scenario is named."""
    return bundled_scenarios() / "liaoyuan" / "baseline.yaml"
