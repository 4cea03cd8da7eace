"""Loading a scenario: its files (``extends``), ``--set`` overrides, validation, policies.

Everything that can go wrong with a user's files is turned into a :class:`ScenarioError`
naming the file, the line where it can be had, the key path and what is wrong. Reading
YAML is :mod:`~investsim.scenario.yaml_source`, changing data by key path
:mod:`~investsim.scenario.overrides`, the wording of errors
:mod:`~investsim.scenario.messages` and the projects register
:mod:`~investsim.scenario.projects`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from investsim.errors import ScenarioError
from investsim.scenario.config import (
    POLICY_FIXED_KEYS,
    UNLIMITED,
    InFlightProject,
    PolicyChange,
    Scenario,
    ScenarioConfig,
)
from investsim.scenario.messages import (
    KeyPath,
    Locate,
    dotted_path,
    error_path,
    locate_in,
    problem,
    short_repr,
    show_path,
    validation_error,
)
from investsim.scenario.overrides import (
    apply_override,
    deep_merge,
    override_key_path,
    parse_override,
    unshare,
)
from investsim.scenario.policies import check_policy_dates
from investsim.scenario.projects import implausible, load_projects
from investsim.scenario.yaml_source import MAX_SCENARIO_BYTES, SourceFile

__all__ = [
    "MAX_SCENARIO_BYTES",
    "apply_override",
    "bundled_scenario_list",
    "bundled_scenarios_folder",
    "default_scenario_path",
    "load_scenario",
    "scenario_sha256",
    "with_values",
]

# Keys whose values are file paths: resolved relative to the file that names them.
_PATH_KEYS = ("projects",)


def _read_chain(path: Path, seen: tuple[Path, ...] = ()) -> tuple[dict[str, Any], list[SourceFile]]:
    """Merged data of ``path`` and the files it extends (nearest file first in the list)."""
    path = _resolve(path, file=str(path))
    if path in seen:
        loop = " -> ".join(str(p) for p in (*seen, path))
        last = SourceFile(seen[-1])
        raise ScenarioError(
            f"extends loops back on itself: {loop}",
            file=str(seen[-1]),
            path="extends",
            line=last.line_of(("extends",)),
        )
    src = SourceFile(path)
    data = unshare(src.data)
    for key in _PATH_KEYS:
        if isinstance(data.get(key), str):
            where: dict[str, Any] = {"file": str(path), "path": key, "line": src.line_of((key,))}
            data[key] = str(_resolve(path.parent / data[key], **where))
        elif isinstance(data.get(key), dict) and isinstance(data[key].get("file"), str):
            # {file: register.xlsx, sheet: 项目}: the file is read from the folder of the scenario
            where = {"file": str(path), "path": f"{key}.file", "line": src.line_of((key, "file"))}
            data[key]["file"] = str(_resolve(path.parent / data[key]["file"], **where))
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
        raise ScenarioError(f"the file it names does not exist: {show_path(base_path)}", **where)
    if base_path.is_dir():
        raise ScenarioError(f"names a folder, not a scenario file: {show_path(base_path)}", **where)
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
            f"not a usable file name: {short_repr(str(target))} ({reason})",
            file=file if path else short_repr(file)[1:-1],
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


def load_scenario(path: str | Path, overrides: Iterable[str] = ()) -> Scenario:
    """Load, merge (``extends``), override (``dotted.path=value``) and validate a scenario.

    Raises :class:`ScenarioError` naming the file, line, key path and problem.
    """
    if isinstance(overrides, (str, bytes)):
        # a bare string would be read letter by letter
        raise TypeError(
            f"overrides must be a list of 'dotted.path=value' strings, e.g. [{overrides!r}], "
            f"not the string {overrides!r}"
        )
    if not isinstance(path, (str, Path)):
        raise TypeError(f"path must be the scenario file's path (str or Path), got {type(path).__name__}")
    try:
        return _load_scenario(path, overrides)
    except RecursionError:
        # the parser refuses deep nesting itself; this catches what it let through and a
        # later step (merging, copying, validating) could not take
        raise ScenarioError("values nested too deeply to read", file=str(path)) from None


def _load_scenario(path: str | Path, overrides: Iterable[str]) -> Scenario:
    data, files = _read_chain(Path(path))
    set_paths: list[KeyPath] = []
    for text in overrides:
        dotted, value = parse_override(text)
        set_paths += [override_key_path(data, p) for p in _set_value(data, dotted, value, origin="--set")]
    return _build(data, str(files[0].path), locate_in(files, set_paths))


def with_values(scenario: Scenario, values: Mapping[str, Any]) -> Scenario:
    """``scenario`` with ``values`` set, as :meth:`Scenario.with_overrides` describes."""
    origin = scenario.source
    try:
        data = unshare(scenario.resolved) if scenario.resolved else _data_of(scenario.config)
        for key, value in values.items():
            _set_value(data, _checked_path(key, origin), unshare(value), origin=origin)
        # no file was read: every problem is the scenario's, at the key path it names
        return _build(data, origin, lambda path: (origin, None), before=scenario)
    except RecursionError:
        raise ScenarioError("values nested too deeply to read", file=origin) from None


def scenario_from_data(data: Mapping[str, Any], source: str) -> Scenario:
    """The scenario of ``data`` (a scenario's keys, as a manifest's ``resolved_scenario``
    records them), validated and with its policies and projects in flight derived as
    loading a file does; errors name ``source`` and the key path."""
    try:
        return _build(unshare(dict(data)), source, lambda path: (source, None))
    except RecursionError:
        raise ScenarioError("values nested too deeply to read", file=source) from None


def _data_of(config: ScenarioConfig) -> dict[str, Any]:
    """The keys a configuration was made with, as a scenario file would hold them (for a
    :class:`Scenario` made in code, which has no resolved data)."""
    return config.model_dump(mode="json", by_alias=True, exclude_unset=True)


def _checked_path(key: Any, origin: str) -> str:
    """A dotted key path of :meth:`Scenario.with_overrides`, checked like ``--set``'s."""
    path = key.strip() if isinstance(key, str) else ""
    if not path or any(not p for p in path.split(".")):
        raise ScenarioError(f"{key!r}: the key path is empty or has an empty part", file=origin)
    return path


def _set_value(data: dict[str, Any], dotted: str, value: Any, *, origin: str) -> list[str]:
    """:func:`apply_override`; a file path set this way is taken from the working folder."""
    paths = apply_override(data, dotted, value, origin=origin)
    key, _, part = dotted.partition(".")
    if key in _PATH_KEYS:
        found = data.get(key)
        if isinstance(found, str) and not part:
            data[key] = str(_resolve(Path(found), file=origin, path=key))
        elif isinstance(found, dict) and isinstance(found.get("file"), str) and part in ("", "file"):
            found["file"] = str(_resolve(Path(found["file"]), file=origin, path=f"{key}.file"))
    return paths


def _build(data: dict[str, Any], source: str, locate: Locate, before: Scenario | None = None) -> Scenario:
    """The :class:`Scenario` of merged, overridden ``data``: validated, with its policies'
    configurations and the projects in flight (those of ``before`` when they still hold)."""
    try:
        config = ScenarioConfig.model_validate(data)
    except ValidationError as e:
        raise validation_error(e, data, locate) from e
    check_policy_dates(config, locate)
    changes = _policy_changes(config, data, locate)
    in_flight = _in_flight(config, locate, before)
    return Scenario(config=config, in_flight=in_flight, changes=changes, source=source, resolved=data)


def _in_flight(
    config: ScenarioConfig, locate: Locate, before: Scenario | None
) -> tuple[InFlightProject, ...]:
    """The projects register ``config`` names, read and checked against its sectors."""
    register = config.projects_file
    if not register:
        return ()
    if (
        before is not None
        and before.config.projects == config.projects
        and all(p.sector in config.sectors for p in before.in_flight)
        and not implausible(before.in_flight, config.sectors)
    ):
        return before.in_flight  # read already: reading it again would give the same rows
    key: KeyPath = ("projects",) if isinstance(config.projects, str) else ("projects", "file")
    if not _is_file(Path(register)):
        file, line = locate(key)
        raise ScenarioError(
            f"projects file not found: {show_path(register)}",
            file=file,
            path=dotted_path(key),
            line=line,
        )
    return load_projects(register, config.sectors, config.money_unit, sheet=config.projects_sheet)


def _policy_changes(config: ScenarioConfig, data: dict[str, Any], locate: Locate) -> tuple[PolicyChange, ...]:
    """The configuration in force after each policy, in the order they take effect.

    Each policy's ``set`` is applied on top of the previous ones and validated like the
    file, so a path that does not exist or a bad value is an error now, naming the policy.
    """
    if not config.policies:
        return ()
    current = unshare({k: v for k, v in data.items() if k != "policies"})
    order = sorted(range(len(config.policies)), key=lambda k: config.policies[k].time(config.start_year))
    changes = []
    for k in order:
        policy = config.policies[k]
        raw_set = data["policies"][k]["set"]

        def fail(message: str, dotted: str, k: int = k, policy: Any = policy) -> ScenarioError:
            file, line = locate(("policies", k, "set", dotted))
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
                source = _unlimited_source_on(current, str(dotted))
                raise fail(_cannot_limit(source) if source else e.message, dotted) from None
        try:
            after = ScenarioConfig.model_validate(current)
        except ValidationError as e:
            err = e.errors()[0]
            where = dotted_path(error_path(err, current))
            dotted = next(
                (d for d in raw_set if where.startswith(_glob_prefix(str(d)))), str(next(iter(raw_set)))
            )
            what = problem(err, current)
            what = what if where in ("", dotted) else f"{where}: {what}"
            raise fail(what, dotted) from None
        if list(after.sectors) != list(config.sectors):
            raise fail("a policy can't add or remove sectors", str(next(iter(raw_set))))
        key = _source_key(raw_set)
        _check_sources_kept(config, after, lambda message, key=key: fail(message, key))
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


def _source_key(raw_set: dict[str, Any]) -> str:
    """The key of a policy's ``set`` that changes funding sources (for the message)."""
    return next((str(d) for d in raw_set if str(d).startswith("financing")), str(next(iter(raw_set))))


def _unlimited_source_on(data: dict[str, Any], dotted: str) -> str | None:
    """The ``unlimited`` source a policy's key path walks into (``financing.sources.own.supply``),
    if it does."""
    parts = dotted.split(".")
    sources = (data.get("financing") or {}).get("sources") or {}
    if len(parts) < 4 or parts[:2] != ["financing", "sources"] or not isinstance(sources, dict):
        return None
    return parts[2] if sources.get(parts[2]) == UNLIMITED else None


def _cannot_limit(source: str) -> str:
    return (
        f"financing.sources.{source} is 'unlimited' in the scenario and a policy can't give it a "
        f"limit (the money desk holds the same limited sources all the run): give {source!r} a "
        "supply in the scenario, one that does not bind before the policy, and change that supply here"
    )


def _check_sources_kept(before: ScenarioConfig, after: ScenarioConfig, fail: Any) -> None:
    """A policy keeps the scenario's funding sources, and which of them are unlimited."""
    old, new = list(before.financing.sources), list(after.financing.sources)
    added = [n for n in new if n not in old]
    if added:
        raise fail(
            f"a policy can't add a funding source ({', '.join(repr(n) for n in added)}): declare it "
            "under the scenario's financing.sources ('NAME: unlimited', or a supply) and change it here"
        )
    if new != old:
        raise fail("a policy can't remove funding sources")
    for name in new:
        was, now = before.financing.sources[name], after.financing.sources[name]
        if was == UNLIMITED and now != UNLIMITED:
            raise fail(_cannot_limit(name))
        if was != UNLIMITED and now == UNLIMITED:
            raise fail(
                f"a policy can't make financing.sources.{name} unlimited (the money desk holds the "
                "same limited sources all the run): to lift its limit from a date, raise its supply "
                "(and any debt_ceiling) so far that it never binds"
            )


def _glob_prefix(dotted: str) -> str:
    """The part of a policy path before any ``*``."""
    return dotted.split("*")[0]


def scenario_sha256(scenario: Scenario) -> str:
    """Fingerprint of the resolved scenario (configuration and in-flight projects).

    The projects register counts by its rows and its file's name, not by the folder it is
    in, so the same scenario has the same fingerprint on every machine and checkout."""
    config = scenario.config.model_dump(mode="json", by_alias=True)
    register = config.get("projects")
    if isinstance(register, str) and register:
        config["projects"] = Path(register).name
    elif isinstance(register, dict):  # {file, sheet}: the sheet counts, the folder does not
        config["projects"] = {**register, "file": Path(register["file"]).name}
    payload = {
        "config": config,
        "in_flight": [vars(p) for p in scenario.in_flight],
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def bundled_scenarios_folder() -> Path:
    """Folder of the scenarios shipped with investsim (in the wheel or the source tree)."""
    package = Path(__file__).resolve().parents[1]
    # installed: investsim/scenarios; in the source tree: <repository>/scenarios
    for candidate in (package / "scenarios", package.parents[1] / "scenarios"):
        if (candidate / "liaoyuan" / "baseline.yaml").exists():
            return candidate
    raise FileNotFoundError("the bundled scenarios are missing from this installation")


def default_scenario_path() -> Path:
    """The bundled Liaoyuan baseline, run when no scenario is named."""
    return bundled_scenarios_folder() / "liaoyuan" / "baseline.yaml"


def bundled_scenario_list() -> list[tuple[str, Path, str]]:
    """Every scenario shipped with investsim, as (name, path, description), by path. Each
    is loaded (its name and description may come from the file it ``extends``)."""
    out = []
    for path in sorted(bundled_scenarios_folder().rglob("*.yaml")):
        config = load_scenario(path).config
        out.append((config.name, path, " ".join(config.description.split())))
    return out
