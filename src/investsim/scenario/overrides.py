"""Changing a scenario's data by key path: ``--set dotted.path=value``, ``extends`` merging.

The data is what YAML reads (mappings, lists and plain values), before validation.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from investsim.errors import ScenarioError
from investsim.scenario.yaml_source import YamlSyntaxError, parse_yaml


def unshare(value: Any) -> Any:
    """A copy in which no two places share an object, in the forms YAML reads: every
    mapping a ``dict``, every list or tuple a ``list``.

    YAML aliases (``b: *a``) load as one shared object; copying each place separately
    keeps an override of ``a`` from changing ``b`` too (``copy.deepcopy`` would keep
    the sharing).
    """
    if isinstance(value, Mapping):
        return {k: unshare(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [unshare(v) for v in value]
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


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``dotted.path=value`` and parse the value as YAML (``5.5``, ``null``, ``{...}``)."""
    if "=" not in text:
        raise ScenarioError(f"{text!r} must look like dotted.path=value", file="--set")
    path, _, value = text.partition("=")
    path = path.strip()
    if not path or any(not p for p in path.split(".")):
        raise ScenarioError(f"{text!r}: the path before '=' is empty or has an empty part", file="--set")
    try:
        parsed, _ = parse_yaml(value, file="--set") if value.strip() else (None, None)
    except YamlSyntaxError:
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
