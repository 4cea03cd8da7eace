"""The report of a calibration folder (``investsim calibrate``): the fitted parameters with
their intervals, how the simulation at the estimate matches each observed figure (a chart
and a table), and, when years were held out, the backtest against simple forecasts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from investsim.reporting.built import Built, LabelsFor, make_chart
from investsim.reporting.charts import fit_chart
from investsim.reporting.html import display_name, esc, figure, heading, num, page, pct, plain, table
from investsim.reporting.labels import Labels
from investsim.reporting.manifest import analysis_version, command_text, read_manifest


def _parameters_table(parameters: pd.DataFrame, labels: Labels) -> str:
    """The estimates: value, 95% bootstrap interval, the range searched, and a warning
    for an estimate at a bound of its range."""
    heads = [labels.word(k) for k in ("parameter", "estimate", "ci_bootstrap", "range_searched", "note")]
    rows = [
        [
            esc(r["parameter"]),
            esc(f"{r['estimate']:.4g}"),
            esc(f"{r['ci_low']:.4g} … {r['ci_high']:.4g}"),
            esc(f"{r['low']:g} … {r['high']:g}"),
            esc(labels.word("at_bound") if str(r.get("at_bound")).lower() == "true" else ""),
        ]
        for r in parameters.to_dict("records")
    ]
    return table(heads, rows, left=1, wrap=[4])


def _fit_table(fit: pd.DataFrame, labels: Labels) -> str:
    """Each observed figure against the simulation at the estimate (P10, P50, P90) and the
    relative error of the simulated mean."""
    heads = [labels.word(k) for k in ("figure", "used", "observed", "p10", "p50", "p90", "rel_error")]
    rows = [
        [
            esc(r["target"]),
            esc(labels.word("used_fit") if r["used"] == "fit" else labels.word("used_held_out")),
            num(r["observed"]),
            num(r["simulated_p10"]),
            num(r["simulated_p50"]),
            num(r["simulated_p90"]),
            pct(r["relative_error"]),
        ]
        for r in fit.to_dict("records")
    ]
    return table(heads, rows, left=2)


def _backtest_table(backtest: pd.DataFrame, labels: Labels) -> str:
    """Held-out years: the calibrated model, the last value and a linear trend, each with
    its relative error."""
    methods = ("calibrated", "last_value", "linear_trend")
    heads = [labels.word("metric"), labels.word("year"), labels.word("observed")]
    heads += [labels.word(m) for m in methods]
    rows = [
        [
            esc(labels.name(str(r["metric"]))),
            esc(r["year"]),
            num(r["observed"]),
            *(f"{num(r[m])} ({pct(r[f'{m}_relative_error'])})" for m in methods),
        ]
        for r in backtest.to_dict("records")
    ]
    return f"{heading(labels.word('backtest'))}{table(heads, rows, left=2)}"


def _notes(manifest: dict[str, Any], labels: Labels) -> str:
    """The fit in one line (MAPE), and a warning where the surface missed the targets."""
    out = [f"<p>{esc(labels.word('mape_text', mape=pct(manifest.get('mape'), 2, False)))}</p>"]
    misses = manifest.get("surface_misses") or []
    if misses:
        out.append(f'<p class="note">{esc(labels.word("surface_misses", figures=", ".join(misses)))}</p>')
    return "".join(out)


def _calibrate_meta(manifest: dict[str, Any], labels: Labels) -> list[tuple[str, str]]:
    return [
        (labels.word("scenario_file"), plain(manifest.get("scenario_file"))),
        (labels.word("history"), ", ".join(map(str, manifest.get("histories") or []))),
        (labels.word("seed"), plain(manifest.get("seed"))),
        (labels.word("per_point"), plain(manifest.get("replications_per_point"))),
        (labels.word("design_points"), plain(manifest.get("design_points_per_round"))),
        (labels.word("holdout"), plain(manifest.get("holdout_years"))),
        (labels.word("command"), command_text(manifest)),
    ]


def calibrate_report(folder: Path, labels_for: LabelsFor) -> Built:
    """Build the report of the calibration in ``folder`` (``parameters.csv``, ``fit.csv``,
    optional ``backtest.csv``); it has no workbook (``calibrated.yaml`` is the result)."""
    manifest = read_manifest(folder)
    labels = labels_for("")
    parameters = pd.read_csv(folder / "parameters.csv")
    fit = pd.read_csv(folder / "fit.csv")
    backtest = pd.read_csv(folder / "backtest.csv") if (folder / "backtest.csv").is_file() else None
    chart = make_chart(
        "fit", labels.text("fit_title"), labels.word("cap_fit"), lambda: fit_chart(fit, labels), labels
    )
    charts = [chart] if chart is not None else []
    body = [
        heading(labels.word("fitted_parameters")),
        _parameters_table(parameters, labels),
        _notes(manifest, labels),
        heading(labels.word("charts")),
        *(figure(c) for c in charts),
        heading(labels.word("fit_heading")),
        _fit_table(fit, labels),
        _backtest_table(backtest, labels) if backtest is not None and len(backtest) else "",
        f'<p class="note">{esc(labels.word("calibrated_note"))}</p>',
    ]
    name = display_name(Path(str(manifest.get("scenario_file") or folder.name)).stem)
    title = labels.word("calibrate_title", name=name)
    meta = _calibrate_meta(manifest, labels)
    return page(labels, title, "", meta, "\n".join(body), analysis_version(manifest)), charts, None
