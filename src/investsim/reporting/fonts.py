"""CJK fonts for the charts: which installed font can draw Chinese, and how to tell
whether a text needs one.

A CJK font is looked up with matplotlib's font manager (Noto Sans CJK, Source Han Sans,
WenQuanYi, ...), once per process. Fonts installed after matplotlib built its font cache
are found by their file names and registered.
"""

from __future__ import annotations

import functools
import re
import sys
from pathlib import Path

from matplotlib import font_manager

# Families tried in this order; the first installed one that has CJK glyphs is used.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "Source Han Sans",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Sarasa Gothic SC",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Heiti SC",
    "Noto Serif CJK SC",
    "Droid Sans Fallback",
    "AR PL UMing CN",
)
# File names that suggest a CJK font, for fonts installed after matplotlib built its cache.
_CJK_FILE_HINTS = (
    "cjk",
    "wqy",
    "wenquanyi",
    "sourcehan",
    "droidsansfallback",
    "notosanssc",
    "simhei",
    "msyh",
)
_CJK_RE = re.compile(
    "[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff]+"
)


def has_cjk(text: str) -> bool:
    """Whether ``text`` has Chinese (or other CJK) characters."""
    return _CJK_RE.search(text) is not None


def replace_cjk(text: str, by: str = "?") -> str:
    """``text`` with each run of CJK characters replaced by ``by``."""
    return _CJK_RE.sub(by, text)


def _covers_cjk(family: str) -> bool:
    """Whether the font matplotlib picks for ``family`` has CJK glyphs."""
    from matplotlib.ft2font import FT2Font

    try:
        path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
        return bool(FT2Font(path).get_char_index(ord("亿")))
    except Exception:  # no such font, or a file FreeType can't read
        return False


def _installed_cjk() -> str | None:
    names = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in names and _covers_cjk(family):
            return family
    return None


@functools.cache
def cjk_font() -> str | None:
    """The family name of an installed CJK font matplotlib can use, or ``None``.

    Fonts installed after matplotlib built its font cache are not in it; files whose names
    look like CJK fonts are then registered with the font manager and tried too.
    """
    found = _installed_cjk()
    if found is not None:
        return found
    added = False
    for path in font_manager.findSystemFonts():
        name = Path(path).name.lower().replace("-", "").replace("_", "")
        if any(hint in name for hint in _CJK_FILE_HINTS):
            try:
                font_manager.fontManager.addfont(path)
                added = True
            except Exception:  # unreadable font file: skip it
                continue
    return _installed_cjk() if added else None


_warned: set[str] = set()


def warn_once(message: str) -> None:
    """Print ``warning: message`` on standard error, once per process for each message
    (every chart of every report would otherwise repeat it)."""
    if message not in _warned:
        _warned.add(message)
        print(f"warning: {message}", file=sys.stderr)
