"""The HTML of the report pages: one self-contained page (inline style, charts as PNG data
URIs, a Content-Security-Policy that forbids loading anything else), tables, headings, and
numbers formatted for the page.

Every function that takes text escapes it; :func:`table` takes cells that are HTML
already (made with :func:`esc`, :func:`num`, ...).
"""

from __future__ import annotations

import base64
import html
import math
import re
from collections.abc import Iterable, Sequence
from string import Template
from typing import Any

from investsim.reporting import fonts
from investsim.reporting.built import Chart
from investsim.reporting.labels import Labels

CSS = """
:root { --ink: #1d2733; --muted: #5f6b7a; --line: #dfe3e8; --accent: #1f4e79; --soft: #f4f6f9; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.5;
  font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC", "Source Han Sans SC",
    "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 28px 24px 48px; }
h1 { font-size: 1.7rem; margin: 0 0 6px; color: var(--accent); }
h2 { font-size: 1.25rem; margin: 36px 0 12px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 1.05rem; margin: 22px 0 8px; }
p.desc { margin: 0 0 12px; color: var(--muted); max-width: 80ch; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 10px 0 0;
  font-size: .9rem; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(230px, 1fr)); gap: 12px; }
.card { background: var(--soft); border-radius: 8px; padding: 12px 14px; }
.card .label { font-size: .85rem; color: var(--muted); }
.card .value { font-size: 1.5rem; font-weight: 700; color: var(--accent); }
.card .note { font-size: .8rem; color: var(--muted); }
figure { margin: 18px 0 26px; }
figure img { display: block; width: 100%; max-width: 1000px; height: auto; border: 1px solid var(--line);
  border-radius: 4px; }
figcaption { font-size: .88rem; color: var(--muted); margin-top: 6px; max-width: 1000px; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; font-size: .88rem; margin: 6px 0 10px; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th { background: var(--soft); font-weight: 600; position: sticky; top: 0; white-space: normal;
  vertical-align: bottom; min-width: 4.5em; }
td.l, th.l { text-align: left; white-space: normal; }
td.l:first-child { white-space: nowrap; }
td.w { white-space: normal; min-width: 10em; text-align: left; }
td small, .small { color: var(--muted); font-size: .78rem; display: block; white-space: normal; min-width: 7em; }
p.note { font-size: .85rem; color: var(--muted); }
footer { margin-top: 40px; font-size: .8rem; color: var(--muted); }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; } figure { break-inside: avoid; }
  .scroll { overflow: visible; }
  table { font-size: 8pt; width: 100%; }
  tr { break-inside: avoid; }
  th { position: static; min-width: 0; }
  th, td { padding: 2px 4px; white-space: normal; }
  td small, .small { min-width: 0; }
  figure img { max-width: 100%; }
}
"""

PAGE = Template(
    """<!DOCTYPE html>
<html lang="$lang">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="generator" content="investsim $version">
<title>$title</title>
<style>$css</style>
</head>
<body>
<main>
<header>
<h1>$title</h1>
$description
$meta
</header>
$body
<footer>$footer</footer>
</main>
</body>
</html>
"""
)


def esc(text: object) -> str:
    """``text`` escaped for HTML text and attribute values."""
    return html.escape(str(text), quote=True)


def heading(text: str, level: int = 2) -> str:
    """An ``<h2>`` (or ``<h{level}>``) heading of ``text``."""
    return f"<h{level}>{esc(text)}</h{level}>"


def page(
    labels: Labels, title: str, description: str, meta: Sequence[tuple[str, str]], body: str, version: str
) -> str:
    """The whole page: ``title``, the ``description`` under it, the ``meta`` list (items
    with an empty value left out), ``body`` (HTML) and a footer naming ``version``."""
    desc = f'<p class="desc">{esc(description)}</p>' if description else ""
    items = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in meta if v not in ("", None))
    return PAGE.substitute(
        lang="zh-CN" if labels.zh else "en",
        version=esc(version),
        title=esc(title),
        css=CSS,
        description=desc,
        meta=f'<dl class="meta">{items}</dl>' if items else "",
        body=body,
        footer=esc(labels.word("generated", version=version)),
    )


def figure(chart: Chart) -> str:
    """A chart as a figure: the PNG as a data URI, with its caption."""
    data = base64.b64encode(chart.png).decode("ascii")
    return (
        f'<figure id="chart-{esc(chart.name)}">'
        f'<img src="data:image/png;base64,{data}" alt="{esc(chart.title)}" width="1000" height="560" '
        f'data-chart="{esc(chart.name)}">'
        f"<figcaption>{esc(chart.caption)}</figcaption></figure>"
    )


def table(
    headers: Sequence[str], rows: Iterable[Sequence[str]], left: int = 1, wrap: Sequence[int] = ()
) -> str:
    """An HTML table; cells are HTML already (escape them with :func:`esc`); the first
    ``left`` columns are left-aligned, the columns ``wrap`` (lists of words) wrap. Headings
    wrap; the table scrolls sideways in its box only where a screen is too narrow for it,
    and is printed on A4 landscape whole."""

    def cls(i: int, cell: bool = True) -> str:
        if i < left:
            return ' class="l"'
        return ' class="w"' if cell and i in wrap else ""

    head = "".join(f"<th{cls(i, False)}>{esc(h)}</th>" for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(f"<td{cls(i)}>{c}</td>" for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def num(value: Any, digits: int = 1, sign: bool = False) -> str:
    """A number with thousands separators and ``digits`` decimals (``+`` on positive ones
    with ``sign``); "" for a missing or infinite one, other values escaped as they are."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return esc(value) if value is not None else ""
    if not math.isfinite(v):
        return ""
    return f"{v:{'+' if sign else ''},.{digits}f}"


def pct(value: Any, digits: int = 1, sign: bool = True) -> str:
    """A share as a percentage with ``digits`` decimals (signed unless ``sign`` is false);
    "" for anything that is not a finite number."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return ""
    return f"{v:{'+' if sign else ''}.{digits}%}" if math.isfinite(v) else ""


def plain(value: Any) -> str:
    """A scenario or manifest value as short text (not escaped): floats to 4 significant
    digits (large ones whole), large integers with thousands separators, booleans as
    ``true``/``false``, nothing for ``None``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10000 else str(value)
    return str(value)


CITATION = re.compile(r"\s*\[[A-Z][A-Z0-9-]*(?:\s*[,;]\s*[A-Z][A-Z0-9-]*)*\]")
"""A citation code as scenario files write them: ``[LY]``, ``[MOHURD]``, ``[MOHURD, SD]``."""


def drop_citations(text: str) -> str:
    """``text`` without bracketed citation codes (``[LY]``, ``[MOHURD, SD]``): a reader of
    the report can't resolve them (the sources are listed in the scenario file's comments)."""
    return re.sub(r"\s+([,;.:)])", r"\1", CITATION.sub("", text)).strip()


def display_name(name: str, description: str = "") -> str:
    """A scenario's name as a title: ``liaoyuan-baseline`` as ``Liaoyuan baseline`` (names
    with CJK characters as they are), followed by the description's first sentence when
    that is short (at most 60 characters)."""
    shown = name if fonts.has_cjk(name) else re.sub(r"[-_]+", " ", name).strip()
    shown = shown[:1].upper() + shown[1:]
    first = re.split(r"(?<=[.;])\s+|(?<=[。；])", drop_citations(description), maxsplit=1)[0].rstrip(".。;；")
    return f"{shown} — {first}" if first and len(first) <= 60 else shown
