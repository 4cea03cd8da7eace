"""Scenario parameters given as ``path=low:high`` ranges (sensitivity, calibration)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from investsim.errors import InputError
from investsim.scenario.loading import load_scenario


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


def check_param(scenario: str | Path, overrides: Sequence[str], p: Param) -> Param:
    """Check the scenario accepts ``p``'s bounds, and find whether it needs whole numbers."""
    for value in (p.low, p.high):
        text = int(value) if float(value).is_integer() else value
        try:
            load_scenario(scenario, [*overrides, f"{p.path}={text}"])
        except InputError as e:
            raise InputError(f"--param {p.path}: at {text}: {e}") from None
    middle = p.low + 0.37 * (p.high - p.low)
    if float(middle).is_integer():
        middle += 0.01
    try:
        load_scenario(scenario, [*overrides, f"{p.path}={middle}"])
    except InputError as e:
        if "valid integer" not in str(e):
            raise
        if p.high - p.low < 1:
            raise InputError(f"--param {p.path}: takes whole numbers; widen {p.low:g}:{p.high:g}") from None
        return Param(p.path, p.low, p.high, whole=True)
    return p


def param_overrides(params: Sequence[Param], values: Sequence[float] | NDArray[np.float64]) -> list[str]:
    """The ``--set`` overrides that give ``params`` these ``values`` (whole ones rounded)."""
    return [
        f"{p.path}={round(v) if p.whole else repr(float(v))}" for p, v in zip(params, values, strict=True)
    ]
