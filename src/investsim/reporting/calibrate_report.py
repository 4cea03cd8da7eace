"""The report of a calibration folder (``investsim calibrate``): the fitted parameters with
their intervals, how the simulation at the estimate matches each observed figure (a chart
and a table), and, when years were held out, the backtest against simple forecasts."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from investsim.reporting.built import Built, LabelsFor, make_chart
from investsim.reporting.charts import fit_chart
from investsim.reporting.html import display_name, esc, figure, heading, num, page, pct, plain, table
from investsim.reporting.labels import Labels
from investsim.reporting.manifest import analysis_version, command_text, read_manifest
from investsim.reporting.wording import WORDS


def _finite(v: Any) -> bool:
    try:
        return math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def parameter_note(r: Mapping[Any, Any], labels: Labels) -> str:
    """What a parameter's position in its range means: at a bound with the fit still
    improving (widen), at a bound where it is flat (widening won't help), on a plateau
    (every value on it fits alike). Folders written before ``position`` existed say
    only "at a bound"."""
    if "position" not in r:
        return labels.word("at_bound") if str(r.get("at_bound")).lower() == "true" else ""
    edge = str(r.get("edge") or "")
    at_low = edge == "low" if edge in ("low", "high") else math.isclose(float(r["estimate"]), float(r["low"]))
    bound = labels.word("bound_low") if at_low else labels.word("bound_high")
    notes = []
    if str(r.get("edge_better_than_estimate")).lower() == "true":
        mape = pct(r.get("edge_mape"), 1, False)
        notes.append(
            labels.word("edge_better", bound=bound, value=f"{float(r['edge_value']):.4g}", mape=mape)
        )
    if r["position"] == "widen":
        trend = f"{float(r['trend_best']):.4g}" if _finite(r.get("trend_best")) else "?"
        notes.append(labels.word("at_bound_widen", bound=bound, trend=trend))
    elif r["position"] == "improving_short":
        trend = f"{float(r['trend_best']):.4g}" if _finite(r.get("trend_best")) else "?"
        notes.append(
            labels.word("at_bound_short", bound=bound, trend=trend, mape=pct(r.get("trend_mape"), 1, False))
        )
    elif r["position"] == "flat_at_bound" or (
        r["position"] == "plateau" and str(r.get("at_bound")).lower() == "true"
    ):
        notes.append(labels.word("at_bound_flat", bound=bound))
    if _finite(r.get("plateau_low")):
        notes.append(
            labels.word(
                "plateau", low=f"{float(r['plateau_low']):.4g}", high=f"{float(r['plateau_high']):.4g}"
            )
        )
    return labels.word("note_sep").join(notes)


def _parameters_table(parameters: pd.DataFrame, labels: Labels) -> str:
    """The estimates: value, 95% interval, the range searched, and what a position at a
    bound or on a plateau means."""
    heads = [labels.word(k) for k in ("parameter", "estimate", "ci_calibrate", "range_searched", "note")]
    rows = [
        [
            esc(r["parameter"]),
            esc(f"{r['estimate']:.4g}"),
            esc(f"{r['ci_low']:.4g} … {r['ci_high']:.4g}"),
            esc(f"{r['low']:g} … {r['high']:g}"),
            esc(parameter_note(r, labels)),
        ]
        for r in parameters.to_dict("records")
    ]
    return table(heads, rows, left=1, wrap=[4])


def _binds_text(reach: dict[str, Any], labels: Labels) -> str:
    """What binds at the estimate, in the report's language (the resource's name)."""
    resource = reach.get("binds_resource")
    if not resource:
        return labels.word("binds_nothing", year=reach.get("binds_year", ""))
    return labels.word(
        "binds_at_estimate", resource=resource_label(str(resource), labels), year=reach.get("binds_year", "")
    )


def resource_label(resource: str, labels: Labels) -> str:
    """A binding resource (``source_bank``, ``land_budget``, ...) in the report's language."""
    if resource.startswith("source_"):
        return labels.word("resource_source", source=labels.name(resource[len("source_") :]))
    key = f"resource_{resource}"
    return labels.word(key) if key in WORDS else resource.replace("_", " ")


def _reach(manifest: dict[str, Any], fit: pd.DataFrame, labels: Labels) -> str:
    """Whether the targets are within reach: widen the range, or out of reach (the best
    fit, the figure it misses most, what binds)."""
    reach = manifest.get("reach") or {}
    verdict = reach.get("verdict")
    if verdict == "widen":
        return f'<p class="note">{esc(labels.word("reach_widen"))}</p>'
    if verdict != "out_of_reach":
        return ""
    rows = fit[fit["target"] == reach.get("worst_figure")]
    worst = rows.iloc[0] if len(rows) else None
    text = labels.word("reach_out", mape=pct(manifest.get("mape"), 1, False))
    if worst is not None:
        text += labels.word(
            "reach_worst",
            figure=str(worst["target"]),
            simulated=f"{float(worst['simulated_mean']):,.4g}",
            observed=f"{float(worst['observed']):,.4g}",
            error=pct(worst["relative_error"]),
        )
    text += _binds_text(reach, labels)
    return f'<p class="note">{esc(text)}</p>'


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
        _reach(manifest, fit, labels),
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
