"""The analyses' charts for Python: the report's chart of a result, drawn from the tables
it would save, as a matplotlib ``Figure`` that shows itself in a notebook.

The package root hands :func:`plot` to the analyses (``analyses.saving.set_plotter``),
which never import reporting; each result's ``.plot(...)`` comes here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from investsim.analyses import explain
from investsim.reporting.charts import reforecast as given_charts
from investsim.reporting.charts.analyses import (
    difference_chart,
    explanation_chart,
    fit_chart,
    month_attribution_chart,
    month_difference_chart,
    sweep_heatmap,
    sweep_line_chart,
    tornado_chart,
    waterfall_chart,
)
from investsim.reporting.charts.base import set_title
from investsim.reporting.charts.bottlenecks import bottleneck_heatmap
from investsim.reporting.charts.seek import seek_chart
from investsim.reporting.labels import Labels, metric_label
from investsim.reporting.seek_report import quantity_label

KINDS = (
    "difference",
    "explanation",
    "waterfall",
    "months",
    "months_attribution",
    "sweep",
    "tornado",
    "fit",
    "seek",
    "bottlenecks",
    "given_fan",
    "given_ytd",
)


def plot(
    kind: str, tables: Mapping[str, pd.DataFrame], manifest: Mapping[str, Any], lang: str, **options: Any
) -> Figure:
    """The chart ``kind`` (one of :data:`KINDS`) from an analysis's ``tables`` (by file
    name, as saved) and ``manifest``, titled as in the report, in ``lang``.

    Options: ``scenario`` (compare: which other scenario; default the first), ``period``
    (waterfall: ``total`` or the window), ``metric`` (sweep: default the first)."""
    unit = str(manifest.get("money_unit") or "")
    labels = Labels(lang, unit=unit)
    fig = _draw(kind, tables, dict(manifest), labels, options)
    if fig is None:
        raise ValueError(f"the {kind} chart has nothing to show for these results")
    return fig


def _draw(
    kind: str,
    tables: Mapping[str, pd.DataFrame],
    manifest: dict[str, Any],
    labels: Labels,
    options: dict[str, Any],
) -> Figure | None:
    if kind in ("difference", "explanation", "waterfall", "months", "months_attribution"):
        return _comparison(kind, tables, manifest, labels, options)
    if kind == "sweep":
        return _sweep(tables["sweep.csv"], manifest, labels, options.get("metric"))
    if kind == "tornado":
        metric = str(manifest.get("metric") or "cumulative_investment")
        fig = tornado_chart(tables["sensitivity.csv"], labels, metric)
        morris = "mu_star" in tables["sensitivity.csv"].columns
        method = labels.text("morris") if morris else labels.text("sobol")
        return _titled(fig, labels, "tornado_title", metric=metric_label(labels, metric), method=method)
    if kind == "fit":
        return _titled(fit_chart(tables["fit.csv"], labels), labels, "fit_title")
    if kind == "seek":
        quantity = quantity_label(manifest.get("target") or {}, labels)
        fig = seek_chart(tables["seek.csv"], manifest, labels, quantity)
        return _titled(fig, labels, "seek_title", quantity=quantity)
    if kind == "bottlenecks":
        data = tables["bottlenecks.csv"].copy()
        data["reading"] = data["reading"].fillna("")
        labels.register(str(r) for r in data.loc[data["kind"] == "source", "resource"])
        return _titled(bottleneck_heatmap(data, labels), labels, "bn_title")
    if kind in ("given_fan", "given_ytd"):
        return _given(kind, tables, manifest, labels)
    raise ValueError(f"kind(={kind!r}) must be one of {', '.join(KINDS)}")


def _given(kind: str, tables: Mapping[str, pd.DataFrame], manifest: dict[str, Any], labels: Labels) -> Figure:
    """The re-forecast's charts (``run --actuals``), as its report draws them."""
    year = int(manifest["actuals"]["current_year"])
    months = tables["reforecast_monthly.csv"]
    if kind == "given_fan":
        return given_charts.given_fan_chart(
            tables["annual.csv"], tables["reforecast_annual.csv"], labels, year
        )
    return given_charts.given_ytd_chart(tables.get("monthly.csv", months), months, labels, year)


def _titled(fig: Figure | None, labels: Labels, key: str, **values: Any) -> Figure | None:
    if fig is not None:
        set_title(fig, labels.chart(labels.text(key, **values)))
    return fig


def _comparison(
    kind: str,
    tables: Mapping[str, pd.DataFrame],
    manifest: dict[str, Any],
    labels: Labels,
    options: dict[str, Any],
) -> Figure | None:
    comparison = tables["comparison.csv"]
    base = str(manifest.get("base") or "base")
    unit = bool(labels.unit)
    scenarios = list(dict.fromkeys(comparison["scenario"].astype(str)))
    name = str(options.get("scenario") or scenarios[0])
    if name not in scenarios:
        raise ValueError(
            f"scenario(={name!r}) is not compared here; the scenarios are {', '.join(scenarios)}"
        )
    if kind == "difference":
        return _titled(difference_chart(comparison, labels, base, unit=unit), labels, "diff_title", base=base)
    if kind == "explanation":
        if explain.explain(comparison, name) is None:
            return None
        fig = explanation_chart(comparison, name, labels, base, unit)
        return _titled(fig, labels, "explain_title", scenario=name, base=base)
    if kind == "months":
        fig = month_difference_chart(comparison, labels, base, unit)
        if fig is None:
            raise ValueError("no months compared: compare with months=YEAR (or --months)")
        return fig
    attribution = tables.get("attribution.csv")
    if attribution is None or not len(attribution):
        raise ValueError("no attribution: compare with attribute=True")
    if kind == "months_attribution":
        rows = attribution[
            (attribution["scenario"].astype(str) == name)
            & (attribution["metric"] == "investment")
            & (attribution["period_kind"].astype(str) == "month")
        ]
        if rows.empty:
            raise ValueError("no months attributed: compare with attribute=True and months=YEAR")
        title = labels.chart(labels.text("months_attr_title", scenario=name))
        return month_attribution_chart(rows, labels, title, unit)
    rows = attribution[
        (attribution["scenario"].astype(str) == name) & (attribution["metric"] == "investment")
    ]
    period = str(options.get("period") or "total")
    rows = rows[rows["period"].astype(str) == period]
    if rows.empty:
        raise ValueError(
            f"period(={period!r}): the attribution has 'total', the window and the months (YYYY-MM), if any"
        )
    when = labels.text("horizon") if period == "total" else period
    title = labels.chart(labels.text("waterfall_title", scenario=name, period=when))
    return waterfall_chart(rows, labels, title, unit)


def _sweep(
    sweep: pd.DataFrame, manifest: dict[str, Any], labels: Labels, metric: str | None
) -> Figure | None:
    cols = list(sweep.columns)
    params = cols[: cols.index("replications")]
    metrics = list(manifest.get("metrics") or [])
    chosen = metric if metric is not None else metrics[0]
    if chosen not in metrics:
        raise ValueError(f"metric(={chosen!r}) is not one of the sweep's metrics: {', '.join(metrics)}")
    shown = metric_label(labels, chosen)
    if len(params) == 1:
        fig = sweep_line_chart(sweep, params[0], chosen, labels)
        return _titled(fig, labels, "sweep_title", metric=shown)
    fig = sweep_heatmap(sweep, params[1], params[0], chosen, labels)
    return _titled(fig, labels, "heatmap_title", metric=shown)
