"""Wording in English or Chinese, and the fonts to draw it with: :class:`Labels`.

Chinese text, and the money unit 亿元 in any language, needs a CJK font
(:mod:`investsim.reporting.fonts`). Without one, Chinese labels fall back to English with
one warning, and CJK characters in chart labels are replaced, so that no chart ever shows
empty boxes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib

from investsim.reporting import fonts
from investsim.reporting.wording import NAMES_ZH, SETTINGS_ZH, TEXT, UNITS_EN, WORDS


class Labels:
    """Chart and report wording in one language, and the fonts to draw it with.

    ``lang`` is what was asked for (``en`` or ``zh``); :attr:`lang` is what is used: ``zh``
    without a CJK font falls back to ``en`` (with one warning on standard error). ``font``
    overrides the CJK font lookup (``""`` = pretend none is installed; for tests).
    """

    def __init__(self, lang: str = "en", unit: str = "亿元", font: str | None = None) -> None:
        if lang not in ("en", "zh"):
            raise ValueError(f"lang must be 'en' or 'zh', got {lang!r}")
        self.requested = lang
        self.cjk: str | None = fonts.cjk_font() if font is None else (font or None)
        if lang == "zh" and self.cjk is None:
            fonts.warn_once(
                "no Chinese (CJK) font found for the charts (install e.g. fonts-noto-cjk): "
                "the report uses English labels"
            )
            lang = "en"
        self.lang = lang
        self.unit = unit
        self._raw: set[str] = set()

    @property
    def zh(self) -> bool:
        """Whether the labels are Chinese."""
        return self.lang == "zh"

    def _pick(self, table: dict[str, tuple[str, str]], key: str, values: dict[str, Any]) -> str:
        en, zh = table[key]
        return (zh if self.zh else en).format(unit=self.unit, **values)

    def text(self, key: str, **values: Any) -> str:
        """The chart wording of ``key`` in this language, with ``values`` filled in."""
        return self._pick(TEXT, key, values)

    def word(self, key: str, **values: Any) -> str:
        """The page and workbook wording of ``key`` in this language, with ``values``
        filled in."""
        return self._pick(WORDS, key, values)

    def name(self, key: str) -> str:
        """A stage, sector, funding source or metric name as shown: translated in Chinese
        where known, else the key with underscores as spaces."""
        if self.zh and key in NAMES_ZH and NAMES_ZH[key] not in self._raw:
            return NAMES_ZH[key]
        return key.replace("_", " ")

    def setting(self, word: str) -> str:
        """A word of the scenario file's settings (a distribution's form or parameter, an
        approval mode, the financing priority) in this language: as written in English."""
        return SETTINGS_ZH.get(word, word) if self.zh else word

    def register(self, keys: Iterable[str]) -> None:
        """Note names used as they are in the data (sectors, sources): a known name whose
        translation is one of them is then shown untranslated, so two never look alike."""
        self._raw.update(keys)

    def chart(self, text: str) -> str:
        """``text`` made drawable: without a CJK font, known money units are spelled in
        English and other CJK characters replaced by ``?``."""
        if self.cjk is not None or not fonts.has_cjk(text):
            return text
        for unit, en in UNITS_EN.items():
            text = text.replace(unit, en)
        return fonts.replace_cjk(text)

    def t(self, key: str, **values: Any) -> str:
        """:meth:`text` made drawable (:meth:`chart`), for chart labels."""
        return self.chart(self.text(key, **values))

    def n(self, key: str) -> str:
        """:meth:`name` made drawable (:meth:`chart`), for chart labels."""
        return self.chart(self.name(key))

    def rc(self) -> dict[str, Any]:
        """The rcParams of every chart: fonts (with the CJK font as fallback) and style."""
        latin = ["DejaVu Sans"]
        families = latin if self.cjk is None else ([self.cjk, *latin] if self.zh else [*latin, self.cjk])
        return {
            "font.family": families,
            "font.size": 11,
            "axes.labelsize": 11,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "axes.axisbelow": True,
            "grid.color": "#d9d9d9",
            "grid.linewidth": 0.8,
            "legend.frameon": False,
            "legend.fontsize": 10,
            "figure.facecolor": "white",
            "savefig.facecolor": "white",
        }

    @contextmanager
    def style(self) -> Iterator[None]:
        """Apply :meth:`rc` for the duration of the block (building or saving a chart)."""
        rc: Any = self.rc()
        with matplotlib.rc_context(rc):
            yield


def metric_label(labels: Labels, metric: str) -> str:
    """A metric as shown on a chart: `cumulative_investment:2020:2022` as `cumulative investment 2020–2022`."""
    head, _, rest = metric.partition(":")
    name = labels.name(head)
    return labels.chart(f"{name} {rest.replace(':', '–')}".strip())
