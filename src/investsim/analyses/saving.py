"""Writing an analysis's results folder (its tables, the manifest last, then the report),
and drawing an analysis's charts from Python (:func:`plot`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from investsim.results.folders import atomic_folder, check_out_dir, write_manifest, write_report_or_warn

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FLOAT_FORMAT = "%.10g"
"""Numbers in results CSVs: ten significant digits, as in every results file."""


def save_folder(
    out: str | Path,
    tables: Mapping[str, pd.DataFrame],
    manifest: dict[str, Any],
    lang: str | None = "en",
    texts: Mapping[str, str] | None = None,
) -> Path:
    """Write the results folder ``out`` atomically: each table as a CSV file named by its
    key, each of ``texts`` as a text file, and ``manifest.json``; then, unless ``lang`` is
    ``None``, its report in ``lang`` (a report that fails is a warning: the results are
    kept). Returns the folder's path."""
    target = check_out_dir(out)
    with atomic_folder(target) as tmp:
        for name, table in tables.items():
            table.to_csv(tmp / name, index=False, float_format=FLOAT_FORMAT)
        for name, text in (texts or {}).items():
            (tmp / name).write_text(text, encoding="utf-8")
        write_manifest(tmp, manifest)
    if lang is not None:
        write_report_or_warn(target, lang)
    return target


class Plotter(Protocol):
    """Draws the chart ``kind`` of an analysis from its tables and manifest."""

    def __call__(
        self,
        kind: str,
        tables: Mapping[str, pd.DataFrame],
        manifest: Mapping[str, Any],
        lang: str,
        **options: Any,
    ) -> Figure: ...


_plotter: Plotter | None = None


def set_plotter(plotter: Plotter | None) -> None:
    """Set what draws the analyses' charts: the reporting layer, which analyses never
    import (the package root wires it in, as it does the report writer)."""
    global _plotter
    _plotter = plotter


def plot(
    kind: str,
    tables: Mapping[str, pd.DataFrame],
    manifest: Mapping[str, Any],
    lang: str = "en",
    **options: Any,
) -> Figure:
    """The chart ``kind`` of an analysis (the report's chart, drawn from the tables it
    would save): a matplotlib ``Figure`` that shows itself in a notebook."""
    if lang not in ("en", "zh"):
        raise ValueError(f"lang(={lang!r}) must be 'en' or 'zh'")
    if _plotter is None:
        raise RuntimeError("no chart maker: import investsim (the package root wires the charts in)")
    return _plotter(kind, tables, manifest, lang, **options)
