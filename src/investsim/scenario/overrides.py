"""Changing a scenario's data by key path: ``--set dotted.path=value``, ``extends`` merging.

The data is what YAML reads (mappings, lists and plain values), before validation. A
policy is addressed by its name: ``policies.NAME.from``, ``policies.NAME.set.KEY`` (``KEY``
one of the dotted keys the policy sets, or a new one), ``policies.NAME`` (the whole policy);
``policies.*.…`` is every policy.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from investsim.errors import ScenarioError
from investsim.scenario.config import UNLIMITED
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
    A path under ``policies`` names a policy (see the module's docstring).
    """
    if is_policy_path(dotted):
        return _apply_to_policies(data, dotted, value, origin)
    parts = dotted.split(".")
    done: list[str] = []

    def walk(node: dict[str, Any], i: int, prefix: list[str]) -> None:
        key = parts[i]
        if key == "*":
            keys: Iterable[str] = list(node)
            if i < len(parts) - 1:
                # `financing.sources.*.supply`: every source that has a supply, not those
                # declared unlimited
                keys = [k for k in node if node[k] != UNLIMITED]
            if not keys:
                unlimited = " (every key there is 'unlimited')" if node else ""
                raise ScenarioError(
                    f"'*' at {'.'.join(prefix) or 'the top'} matches nothing{unlimited}",
                    file=origin,
                    path=dotted,
                )
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
                here = ".".join([*prefix, k])
                if child == UNLIMITED:
                    # `financing.sources.own.supply=50` with own unlimited
                    raise ScenarioError(
                        f"{here} is 'unlimited', so it has no {parts[i + 1]!r}: to give it limits, "
                        f"set it whole, e.g. {here}={{supply: 50}}",
                        file=origin,
                        path=dotted,
                    )
                raise ScenarioError(f"{here} is {child!r}, not a section with keys", file=origin, path=dotted)
            walk(child, i + 1, [*prefix, k])

    walk(data, 0, [])
    return done


POLICIES = "policies"


def is_policy_path(dotted: str) -> bool:
    """Whether ``dotted`` addresses (a part of) one policy: ``policies.NAME…``."""
    return dotted.startswith(POLICIES + ".")


def _policy_list(data: dict[str, Any], origin: str, dotted: str) -> list[Any]:
    policies = data.get(POLICIES)
    if policies is None:
        return []
    if not isinstance(policies, list):
        raise ScenarioError(f"policies is {policies!r}, not a list of policies", file=origin, path=dotted)
    return policies


def _names(policies: list[Any]) -> list[str]:
    return [p["name"] for p in policies if isinstance(p, dict) and isinstance(p.get("name"), str)]


def find_policy(policies: list[Any], rest: str) -> tuple[int, str] | None:
    """The policy ``rest`` (a path after ``policies.``) starts with, and the rest of the
    path after its name (``''`` for the whole policy); the longest name wins, so a name
    may hold dots."""
    best: tuple[int, str] | None = None
    for k, p in enumerate(policies):
        name = p.get("name") if isinstance(p, dict) else None
        if not isinstance(name, str) or not (rest == name or rest.startswith(name + ".")):
            continue
        if best is None or len(name) > len(policies[best[0]]["name"]):
            best = (k, rest[len(name) + 1 :])
    return best


def _no_policy(rest: str, policies: list[Any], origin: str, dotted: str) -> ScenarioError:
    parts = rest.split(".")
    # the name is what comes before the first key of a policy (its set, from or name)
    cut = next((i for i, part in enumerate(parts) if i and part in ("set", "from", "name")), len(parts))
    name = ".".join(parts[:cut])
    names = _names(policies)
    has = "has " + ", ".join(repr(n) for n in names) if names else "has no policies"
    hint = ""
    if name.isdigit():
        hint = ": a policy is addressed by its name, not its position (policies.NAME.set.KEY=VALUE)"
    return ScenarioError(f"no policy named {name!r}; the scenario {has}{hint}", file=origin, path=dotted)


def _apply_to_policies(data: dict[str, Any], dotted: str, value: Any, origin: str) -> list[str]:
    """:func:`apply_override` of a path under ``policies``: set a key of the named policy."""
    policies = _policy_list(data, origin, dotted)
    rest = dotted[len(POLICIES) + 1 :]
    if rest == "*" or rest.startswith("*."):
        if not policies:
            raise ScenarioError(
                "'*' at policies matches nothing: the scenario has no policies", file=origin, path=dotted
            )
        targets = [(k, rest[2:]) for k in range(len(policies))]
    else:
        found = find_policy(policies, rest)
        if found is None:
            raise _no_policy(rest, policies, origin, dotted)
        targets = [found]
    done = []
    for k, tail in targets:
        policy = policies[k]
        if not isinstance(policy, dict):
            raise ScenarioError(f"policies[{k}] is {policy!r}, not a policy", file=origin, path=dotted)
        name = policy.get("name")
        if not tail:
            policies[k] = copy.deepcopy(value)
        elif tail.startswith("set.") and isinstance(policy.get("set"), dict):
            _set_in_policy(policy["set"], tail[4:], value, origin, dotted)
        else:
            apply_override(policy, tail, value, origin=origin)
        done.append(".".join(x for x in (POLICIES, str(name), tail) if x))
    return done


def _set_in_policy(changes: dict[str, Any], key: str, value: Any, origin: str, dotted: str) -> None:
    """Set ``key`` among a policy's ``set``: the key itself when the policy sets it, inside
    the section of a key it sets (``financing.sources.bank: {supply: 28}``), else a new key."""
    if key in changes:
        changes[key] = copy.deepcopy(value)
        return
    holders = [k for k in changes if isinstance(k, str) and key.startswith(k + ".")]
    if not holders:
        changes[key] = copy.deepcopy(value)
        return
    holder = max(holders, key=len)
    section = changes[holder]
    if not isinstance(section, dict):
        raise ScenarioError(
            f"the policy sets {holder} to {section!r}, not a section with keys", file=origin, path=dotted
        )
    apply_override(section, key[len(holder) + 1 :], value, origin=origin)


def override_key_path(data: dict[str, Any], concrete: str) -> tuple[str | int, ...]:
    """The key path in ``data`` of a path :func:`apply_override` set (for line numbers):
    a policy's by its position, and a key of its ``set`` as the one key it is there."""
    if not is_policy_path(concrete):
        return tuple(concrete.split("."))
    policies = data.get(POLICIES)
    if not isinstance(policies, list):
        return (POLICIES,)
    found = find_policy(policies, concrete[len(POLICIES) + 1 :])
    if found is None:
        return (POLICIES,)
    k, tail = found
    changes = policies[k].get("set") if isinstance(policies[k], dict) else None
    if not tail.startswith("set.") or not isinstance(changes, dict):
        return (POLICIES, k, *tail.split(".")) if tail else (POLICIES, k)
    key = tail[4:]
    holders = [h for h in changes if isinstance(h, str) and (key == h or key.startswith(h + "."))]
    if not holders:
        return (POLICIES, k, "set", key)
    holder = max(holders, key=len)
    inner = key[len(holder) + 1 :]
    return (POLICIES, k, "set", holder, *(inner.split(".") if inner else ()))
