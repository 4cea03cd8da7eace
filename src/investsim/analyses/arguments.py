"""The Python API's arguments, checked at the boundary in Python's terms.

``investsim.compare``, ``sweep``, ``sensitivity``, ``calibrate``, ``seek`` and
``bottlenecks`` take loaded objects and Python values; a wrong type is a ``TypeError``
saying what to pass (a path where a loaded scenario is expected says how to load it), an
impossible value a ``ValueError`` naming the argument, before anything runs.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from investsim.runs.runner import Backend
from investsim.scenario.config import Scenario


def scenario_argument(value: object, name: str = "scenario") -> Scenario:
    """``value`` if it is a loaded :class:`Scenario`; a ``TypeError`` saying how to load one
    otherwise (a path is not loaded here: one way to load, with its errors, is
    ``investsim.load_scenario``)."""
    if isinstance(value, Scenario):
        return value
    hint = ""
    if isinstance(value, (str, Path)):
        hint = f": load it first, investsim.load_scenario({str(value)!r})"
        if Path(value).is_dir():
            hint = f": a results folder is loaded with investsim.Forecast.load({str(value)!r})"
    raise TypeError(
        f"{name} must be a Scenario from investsim.load_scenario, got {type(value).__name__}{hint}"
    )


def whole_number(name: str, value: object, low: int = 0) -> int:
    """``value`` as an ``int`` (numpy integers too) of at least ``low``."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name} must be a whole number (int), got {type(value).__name__} {value!r}")
    if not low <= int(value) <= 2**63 - 1:
        raise ValueError(f"{name}(={value}) must be between {low} and 2**63 - 1")
    return int(value)


def optional_whole_number(name: str, value: object, low: int = 0) -> int | None:
    """``None``, or ``value`` as :func:`whole_number` checks it."""
    return None if value is None else whole_number(name, value, low)


def real_number(name: str, value: object) -> float:
    """``value`` as a finite ``float`` (a ``TypeError`` for text, a ``ValueError`` for NaN)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    if not math.isfinite(float(value)):
        raise ValueError(f"{name}(={value}) must be a finite number")
    return float(value)


def jobs_argument(value: object) -> int | Backend:
    """Worker processes (an int >= 1) or a :class:`Backend`."""
    if isinstance(value, Backend):
        return value
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or int(value) < 1:
        raise TypeError(f"jobs must be a number of worker processes >= 1 or a Backend, got {value!r}")
    return int(value)


def names(name: str, value: object, default: Sequence[str] = ()) -> list[str]:
    """One name or a list of names: a single string is one name, never its letters."""
    if value is None:
        return list(default)
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
        items = list(value)
        bad = [v for v in items if not isinstance(v, str)]
        if not bad:
            return items
    raise TypeError(f"{name} must be a string or a list of strings, got {type(value).__name__} {value!r}")


def bounds(name: str, value: object) -> tuple[float, float]:
    """A ``(low, high)`` pair of numbers with low < high."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != 2:
        raise TypeError(f"{name} must be a (low, high) pair of numbers, got {value!r}")
    low, high = (real_number(name, v) for v in value)
    if not low < high:
        raise ValueError(f"{name}(={value!r}): low must be below high")
    return low, high


def ranges(name: str, value: object) -> dict[str, tuple[float, float]]:
    """A mapping of scenario key paths to ``(low, high)`` ranges, at least one."""
    if not isinstance(value, Mapping) or not value:
        raise TypeError(
            f"{name} must be a mapping of key paths to (low, high), e.g. "
            f"{{'financing.sources.bank.supply': (28, 46)}}, got {value!r}"
        )
    out = {}
    for path, pair in value.items():
        if not isinstance(path, str):
            raise TypeError(f"{name}: a key path must be a string, got {path!r}")
        out[path] = bounds(f"{name}[{path!r}]", pair)
    return out


def start_argument(value: object) -> int | str | None:
    """``start``: a year, ``"whole"`` or ``None`` (the scenario's start_year)."""
    if value is None or value == "whole":
        return None if value is None else "whole"
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    raise TypeError(f"start must be a year (int), 'whole' or None, got {type(value).__name__} {value!r}")


def lang_argument(value: object) -> str:
    """``en`` or ``zh``."""
    if value not in ("en", "zh"):
        raise ValueError(f"lang(={value!r}) must be 'en' or 'zh'")
    return str(value)


def python_terms(message: str, options: Mapping[str, str]) -> str:
    """An analysis's message with its command-line option names said as the Python
    arguments (``--metric`` -> ``metric``): messages come from the same checks whichever
    way the analysis is called."""
    for option, argument in options.items():
        message = message.replace(option, argument)
    return message
