"""The en/zh wording of the charts, the report pages and the workbook, read once from the
data file ``wording.toml`` beside this module.

Each table maps a key to ``(English, Chinese)`` (:data:`NAMES_ZH` and :data:`UNITS_EN`
map to one text); :class:`~investsim.reporting.labels.Labels` picks the language and
fills in ``{unit}`` and the other ``{fields}``.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any


def _load() -> dict[str, Any]:
    text = resources.files(__package__ or "investsim.reporting").joinpath("wording.toml").read_text("utf-8")
    return tomllib.loads(text)


def _texts(data: dict[str, Any], table: str) -> dict[str, str]:
    """``table`` of the data file, whose values are single texts."""
    out = data[table]
    if not all(isinstance(v, str) for v in out.values()):
        raise TypeError(f"wording.toml: every value of [{table}] must be a text")
    return dict(out)


def _pairs(data: dict[str, Any], table: str) -> dict[str, tuple[str, str]]:
    """``table`` of the data file, whose values are ``[English, Chinese]``."""
    out: dict[str, tuple[str, str]] = {}
    for key, value in data[table].items():
        if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
            raise TypeError(f"wording.toml: [{table}] {key} must be [English, Chinese]")
        out[key] = (value[0], value[1])
    return out


_DATA = _load()

UNITS_EN = _texts(_DATA, "units_en")
"""Money units spelled in English (tried in this order), for charts drawn without a CJK
font."""

TEXT = _pairs(_DATA, "text")
"""Chart wording: titles, legends, axes (also the chart titles on the page)."""

NAMES_ZH = _texts(_DATA, "names_zh")
"""Chinese names of stages, the bundled sectors and funding sources, and metrics."""

SETTINGS_ZH = _texts(_DATA, "settings_zh")
"""Chinese words of the scenario settings shown in the report: distribution forms and
their parameters, approval modes, the financing priority."""

WORDS = _pairs(_DATA, "words")
"""Page and workbook wording: headings, table columns, captions, sheet names."""
