"""The report of a results folder: ``report.html``, ``charts/*.png`` and, for a forecast,
``forecast.xlsx``.

:func:`write_report` finds out what kind of folder it is given from the files in it:

- a forecast (``investsim run``: ``annual.csv``, ``replications.csv``, ``manifest.json``):
  fan chart, growth, investment by sector and by funding source, projects in each stage,
  months per stage (waiting and working), the financing gap, the annual figures and the
  key assumptions of the resolved scenario; and ``forecast.xlsx``;
- a comparison (``comparison.csv``, optional ``attribution.csv``): the difference per year
  with its interval, and the attribution waterfall of each scenario;
- a sweep (``sweep.csv``): a line chart (one grid) or a heat map (two or more grids) of
  each metric's mean;
- a sensitivity analysis (``sensitivity.csv``): a tornado chart;
- a calibration (``fit.csv``, ``parameters.csv``): the fitted parameters, the fit of each
  observed figure (chart and table) and the backtest of held-out years;
- a goal seek (``seek.csv``): the answer, and the estimate against the lever's value with
  its band, the target and the answer's interval;
- a bottleneck map (``bottlenecks.csv``): a sentence per year on what binds most and what
  one more unit of it adds, the heat map of years and resources, and the whole map.

``report.html`` is one self-contained file: the charts are embedded as PNG data URIs,
the style is inline, and a Content-Security-Policy forbids loading anything else, so it
opens anywhere without network access. Every file is written through a temporary file
renamed into place, so an interrupted rewrite leaves the earlier file whole.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from investsim.errors import InputError
from investsim.reporting.bottleneck_report import bottleneck_report
from investsim.reporting.built import Built, Chart, LabelsFor
from investsim.reporting.calibrate_report import calibrate_report
from investsim.reporting.compare_report import compare_report
from investsim.reporting.labels import Labels
from investsim.reporting.run_report import run_report
from investsim.reporting.seek_report import seek_report
from investsim.reporting.sensitivity_report import sensitivity_report
from investsim.reporting.sweep_report import sweep_report
from investsim.results.folders import write_file_atomic

BUILDERS: dict[str, Callable[[Path, LabelsFor], Built]] = {
    "run": run_report,
    "compare": compare_report,
    "sweep": sweep_report,
    "sensitivity": sensitivity_report,
    "calibrate": calibrate_report,
    "seek": seek_report,
    "bottlenecks": bottleneck_report,
}
"""What builds the report of each kind of folder."""

KINDS = tuple(BUILDERS)
"""Kinds of results folder :func:`write_report` knows."""


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file beside it."""
    write_file_atomic(path, lambda tmp: tmp.write_bytes(data))


def detect_kind(folder: Path) -> str:
    """The kind of results folder (one of :data:`KINDS`), from the files in it; an
    ``InputError`` for a folder that is none of them."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("is not a folder", file=str(folder))
    if (folder / "comparison.csv").is_file():
        return "compare"
    if (folder / "sweep.csv").is_file():
        return "sweep"
    if (folder / "sensitivity.csv").is_file():
        return "sensitivity"
    if (folder / "seek.csv").is_file():
        return "seek"
    if (folder / "bottlenecks.csv").is_file():
        return "bottlenecks"
    if (folder / "annual.csv").is_file() and (folder / "replications.csv").is_file():
        return "run"
    if (folder / "fit.csv").is_file() and (folder / "parameters.csv").is_file():
        return "calibrate"
    raise InputError(
        "is not a results folder investsim can report on: expected annual.csv and replications.csv "
        "(run), comparison.csv (compare), sweep.csv (sweep), sensitivity.csv (sensitivity), "
        "fit.csv and parameters.csv (calibrate), seek.csv (seek) or bottlenecks.csv (bottlenecks)",
        file=str(folder),
    )


def _write_charts(folder: Path, charts: Sequence[Chart]) -> list[Path]:
    out = folder / "charts"
    out.mkdir(exist_ok=True)
    written = []
    for c in charts:
        path = out / f"{c.name}.png"
        _write_atomic(path, c.png)
        written.append(path)
    # charts of an earlier report that this one no longer has
    for old in out.glob("*.png"):
        if old not in written:
            old.unlink(missing_ok=True)
    return written


def write_report(folder: Path, lang: str = "en") -> list[Path]:
    """Write (or rewrite) the report of the results folder ``folder``: ``report.html``,
    ``charts/*.png`` and, for a forecast, ``forecast.xlsx``; returns the paths written.

    The kind of folder (forecast, comparison, sweep, sensitivity, calibration, goal seek,
    bottleneck map) is found from its files (:func:`detect_kind`). ``lang`` is ``en`` or ``zh``; Chinese needs a CJK font for the
    charts, and without one the report is in English (one warning on standard error).
    Raises ``InputError`` for a folder that is not a results folder.
    """
    folder = Path(folder)
    if lang not in ("en", "zh"):
        raise InputError(f"--lang must be en or zh, got {lang!r}")
    kind = detect_kind(folder)

    def labels_for(unit: str) -> Labels:
        return Labels(lang, unit=unit or "")

    page, charts, excel = BUILDERS[kind](folder, labels_for)
    written = _write_charts(folder, charts)
    if excel is not None:
        written.append(excel(folder / "forecast.xlsx"))
    report = folder / "report.html"
    _write_atomic(report, page.encode("utf-8"))
    return [report, *written]
