"""Scenario parameters given as ``path=low:high`` ranges (sensitivity, calibration)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from investsim.errors import InputError
from investsim.scenario.config import Scenario
from investsim.scenario.overrides import is_policy_path


@dataclass(frozen=True)
class Param:
    """A parameter varied between ``low`` and ``high``; ``whole`` ones take whole numbers."""

    path: str
    low: float
    high: float
    whole: bool = False


def parse_param(text: str) -> Param:
    """``path=low:high`` -> Param (``InputError`` if it is not that)."""
    path, sep, spec = text.partition("=")
    path = path.strip()
    low_text, colon, high_text = spec.partition(":")
    where = f"--param {text!r}"
    try:
        low, high = float(low_text), float(high_text)
    except ValueError:
        raise InputError(
            f"{where}: write path=low:high with numbers, e.g. financing.sources.bank.supply=28:46"
        ) from None
    if not sep or not path or not colon:
        raise InputError(f"{where}: write path=low:high")
    if not (np.isfinite(low) and np.isfinite(high)) or not low < high:
        raise InputError(f"{where}: low and high must be finite numbers with low < high")
    return Param(path, low, high)


def check_param(base: Scenario, p: Param) -> Param:
    """Check that the scenario ``base`` accepts ``p``'s bounds, and find whether it needs
    whole numbers."""
    for value in (p.low, p.high):
        number = int(value) if float(value).is_integer() else value
        try:
            base.with_overrides({p.path: number})
        except InputError as e:
            raise InputError(f"--param {p.path}: at {number}: {e}") from None
    middle = p.low + 0.37 * (p.high - p.low)
    if float(middle).is_integer():
        middle += 0.01
    try:
        base.with_overrides({p.path: middle})
    except InputError as e:
        if "valid integer" not in str(e):
            raise
        if p.high - p.low < 1:
            raise InputError(f"--param {p.path}: takes whole numbers; widen {p.low:g}:{p.high:g}") from None
        return Param(p.path, p.low, p.high, whole=True)
    return p


def param_values(params: Sequence[Param], values: Sequence[float] | NDArray[np.float64]) -> dict[str, float]:
    """The scenario values that give ``params`` these ``values`` (whole ones rounded), for
    :meth:`~investsim.scenario.config.Scenario.with_overrides`."""
    return {p.path: round(v) if p.whole else float(v) for p, v in zip(params, values, strict=True)}


WHOLE_RUN = "whole"
"""``--from whole``: the values hold over the whole simulation, warm-up years included."""


def in_policies(paths: Iterable[str]) -> list[str]:
    """The ``paths`` that are inside a policy (``policies.NAME.set.KEY``, ``policies.NAME.from``):
    a value there takes effect at the policy's date, whatever ``--from`` says."""
    return [p for p in paths if is_policy_path(p)]


def apply_from(base: Scenario, values: Mapping[str, Any], start: int | None) -> Scenario:
    """``base`` with ``values`` in force from 1 January of ``start``, as one more timed
    policy, so the years before it (the warm-up that builds the pipeline of the first
    reported year) stay as they are; with ``start`` None, over the whole simulation.

    A later policy of the scenario that sets the same key still takes over at its date.
    A value inside a policy (``policies.NAME.set.KEY``) changes that policy, which keeps
    its own date: ``start`` concerns the other values only."""
    inside = {p: v for p, v in values.items() if is_policy_path(p)}
    outside = {p: v for p, v in values.items() if not is_policy_path(p)}
    if start is None or not outside:
        return base.with_overrides(values)
    changed = base.with_overrides(inside) if inside else base
    policies = list(changed.resolved.get("policies") or [])
    taken = {p.get("name") for p in policies if isinstance(p, Mapping)}
    name = f"varied from {start}"
    while name in taken:  # policy names are unique: a scenario's own policy may have this one
        name += "'"
    varied = {"name": name, "from": start, "set": dict(outside)}
    try:
        return changed.with_overrides({"policies": [*policies, varied]})
    except InputError as e:
        raise InputError(
            f"{e} (the values are applied from {start} as a policy: a key a policy can't change "
            f"needs --from {WHOLE_RUN})"
        ) from None


def parse_from(text: str | int | None, base: Scenario, paths: Sequence[str] = ()) -> int | None:
    """``--from``: a year (default: the first reported year, start_year) or ``whole``.

    ``paths`` are the varied keys: when every one is inside a policy (which keeps its own
    date) a year is refused, since it would change nothing, and the default is ``whole``."""
    inside = in_policies(paths)
    if text is None:
        return None if paths and len(inside) == len(paths) else base.config.start_year
    if str(text).strip().lower() == WHOLE_RUN:
        return None
    try:
        year = int(str(text))
    except ValueError:
        raise InputError(
            f"--from {text!r}: give a year, e.g. {base.config.start_year}, or {WHOLE_RUN}"
        ) from None
    first = base.config.start_year - base.config.warmup_years
    last = base.config.start_year + base.config.horizon_years - 1
    if not first <= year <= last:
        raise InputError(f"--from {year}: the simulation runs {first}-{last} (warm-up included)")
    if paths and len(inside) == len(paths):
        raise InputError(
            f"--from {year}: {', '.join(inside)} "
            + (
                "is inside a policy, which takes effect at its own date"
                if len(inside) == 1
                else "are inside policies, which take effect at their own dates"
            )
            + ": leave out --from, or vary when a policy takes effect with policies.NAME.from"
        )
    return year


def from_text(start: int | None, paths: Sequence[str] = ()) -> str:
    """How ``--from`` is said in manifests and printouts (``paths``: the varied keys)."""
    inside = in_policies(paths)
    if paths and len(inside) == len(paths):
        return "the date of the policy each is in"
    when = "the whole simulation (warm-up included)" if start is None else f"1 January {start}"
    if inside:
        when += f"; {', '.join(inside)} from the date of the policy each is in"
    return when
