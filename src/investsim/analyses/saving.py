"""Writing an analysis's results folder: its tables, the manifest last, then the report."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from investsim.results.folders import atomic_folder, check_out_dir, write_manifest, write_report_or_warn

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
