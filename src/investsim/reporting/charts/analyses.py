"""Charts of the analyses: a comparison's difference per year, where it comes from (by
sector, funding source and stage) and its attribution waterfall, a sweep's line chart or
heat map, a sensitivity analysis's tornado, a calibration's fit."""

from __future__ import annotations

import math
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import PercentFormatter

from investsim.reporting.charts.base import (
    BAND,
    BLUE,
    FIGSIZE,
    GREEN,
    GREY,
    ORANGE,
    PALETTE,
    RED,
    ChartFigure,
    interval,
    legend_below,
    money_ticks,
    new_figure,
    set_title,
    value_note,
    wrap_label,
    year_ticks,
)
from investsim.reporting.labels import Labels, metric_label

SAME_COLUMNS = ("diff_mean", "diff_ci_low", "diff_ci_high", "diff_p10", "diff_p90")
"""Columns that are all exactly 0 where the two scenarios are the same (every paired
replication equal)."""


def identical(r: Any) -> bool:
    """Whether a row of ``comparison.csv`` compares two identical sets of replications:
    every difference (mean, interval, P10, P90) exactly 0."""
    values = [r.get(c) for c in SAME_COLUMNS if c in r]
    return bool(values) and all(v == 0 for v in values)


def _same_notes(ax: Any, x: Any, part: pd.DataFrame, labels: Labels) -> None:
    """ "same" over the bars of the years where the scenario is identical to the base."""
    for xi, row in zip(x, part.to_dict("records"), strict=True):
        if identical(row):
            ax.annotate(
                labels.t("same"),
                (xi, 0),
                textcoords="offset points",
                xytext=(0, 4),
                ha="center",
                va="bottom",
                fontsize=9,
                color=GREY,
                rotation=90,
            )


def difference_chart(comparison: pd.DataFrame, labels: Labels, base: str, unit: bool = False) -> Figure:
    """Per year, each scenario's mean difference in investment from the base, with its
    95% interval (whiskers) and the P10-P90 of the paired difference (grey ticks); "same"
    over the years where a scenario is identical to the base. ``unit``: the axis names
    the money unit of ``labels``."""
    rows = comparison[(comparison["metric"] == "investment") & comparison["period"].astype(str).str.isdigit()]
    scenarios = list(dict.fromkeys(rows["scenario"]))
    fig, ax = new_figure(labels)
    with labels.style():
        width = 0.8 / max(1, len(scenarios))
        all_years: list[int] = []
        for i, name in enumerate(scenarios):
            part = rows[rows["scenario"] == name]
            years = part["period"].astype(int).to_numpy()
            all_years += years.tolist()
            x = years + (i - (len(scenarios) - 1) / 2) * width
            color = PALETTE[i % len(PALETTE)]
            mean = part["diff_mean"].to_numpy(dtype=float)
            ax.bar(x, mean, width=width * 0.85, color=color, alpha=0.85, label=labels.chart(str(name)))
            _same_notes(ax, x, part, labels)
            lo, hi = part["diff_ci_low"].to_numpy(dtype=float), part["diff_ci_high"].to_numpy(dtype=float)
            ax.errorbar(
                x,
                mean,
                yerr=[mean - lo, hi - mean],
                fmt="none",
                ecolor="black",
                elinewidth=1.4,
                capsize=4,
                label=labels.t("ci95") if i == 0 else None,
            )
            if "diff_p10" in part.columns:
                ax.scatter(x, part["diff_p10"], marker="_", s=120, color=GREY, zorder=3)
                ax.scatter(
                    x,
                    part["diff_p90"],
                    marker="_",
                    s=120,
                    color=GREY,
                    zorder=3,
                    label=labels.t("p10p90_diff") if i == 0 else None,
                )
        ax.axhline(0, color="black", lw=0.8)
        year_ticks(ax, sorted(set(all_years)))
        money_ticks(ax)
        set_title(fig, labels.t("diff_title", base=labels.chart(base)))
        ax.set_ylabel(labels.t("diff_axis") if unit else labels.t("diff_axis_nounit"))
        legend_below(fig, ax)
    return fig


def waterfall_chart(attribution: pd.DataFrame, labels: Labels, title: str, unit: bool = False) -> Figure:
    """Attribution waterfall: each policy's part of the difference (Shapley value, with its
    95% interval) stacked from zero to the total, which is drawn last.

    ``attribution`` holds the rows of one scenario, period and metric, with ``policy``,
    ``value_mean``, ``ci_low``, ``ci_high``; the row whose policy is ``total`` is the total.
    """
    parts = attribution[attribution["policy"] != "total"]
    total_rows = attribution[attribution["policy"] == "total"]
    total = float(
        total_rows["value_mean"].to_numpy(dtype=float)[0] if len(total_rows) else parts["value_mean"].sum()
    )
    fig, ax = new_figure(labels)
    with labels.style():
        start = 0.0
        names: list[str] = []
        values = parts[["value_mean", "ci_low", "ci_high"]].to_numpy(dtype=float)
        for i, (policy, (value, low, high)) in enumerate(zip(parts["policy"], values, strict=True)):
            ax.bar(i, value, bottom=start, color=GREEN if value >= 0 else RED, width=0.62)
            end = start + value
            interval(ax, i, end, value, low, high)
            value_note(ax, i, max(start, end), value)
            ax.plot([i + 0.31, i + 0.69], [end, end], color=GREY, lw=0.8, ls=":")
            start = end
            names.append(wrap_label(labels.chart(str(policy))))
        k = len(parts)
        ax.bar(k, total, color=BLUE, width=0.62)
        if len(total_rows):
            low, high = total_rows[["ci_low", "ci_high"]].to_numpy(dtype=float)[0]
            interval(ax, k, total, total, low, high)
        value_note(ax, k, max(0.0, total), total)
        names.append(labels.t("total"))
        ax.set_xticks(range(k + 1), names, fontsize=9 if k > 5 else 10)
        ax.axhline(0, color="black", lw=0.8)
        ax.grid(axis="x", visible=False)
        money_ticks(ax)
        set_title(fig, title)
        ax.set_ylabel(labels.t("diff_axis") if unit else labels.t("diff_axis_nounit"))
    return fig


def _yearly_parts(comparison: pd.DataFrame, scenario: str, breakdown: str, measure: str) -> pd.DataFrame:
    """Per year (rows) and item (columns): the mean difference of one breakdown of
    ``scenario`` in ``comparison.csv``; items that differ by exactly 0 in every year are
    left out."""
    rows = comparison[
        (comparison["scenario"].astype(str) == scenario)
        & (comparison["breakdown"] == breakdown)
        & (comparison["measure"] == measure)
        & comparison["period"].astype(str).str.isdigit()
    ]
    wide = rows.pivot_table(index="period", columns="item", values="diff_mean", sort=False, dropna=False)
    wide.index = wide.index.astype(int)
    wide = wide.sort_index()[list(dict.fromkeys(rows["item"].astype(str)))]
    return wide.loc[:, (wide.fillna(0) != 0).any()]


def _item_name(item: str, labels: Labels) -> str:
    return labels.t("background") if item == "background" else labels.n(item)


def explanation_chart(
    comparison: pd.DataFrame, scenario: str, labels: Labels, base: str, unit: bool = False
) -> Figure | None:
    """Where ``scenario``'s difference from the base comes from, year by year (means of the
    paired differences, from the breakdown rows of ``comparison.csv``): on top the
    investment difference by sector, stacked (gains above 0, losses below, so each year's
    bars add up to the black dot: the investment difference, with its 95% interval);
    under it, left, the money committed by each funding source; right, the months a
    project waited in each stage. ``None`` when the table has no breakdown rows."""
    if "breakdown" not in comparison.columns:
        return None
    sectors = _yearly_parts(comparison, scenario, "sector", "investment")
    committed = _yearly_parts(comparison, scenario, "source", "committed")
    waits = _yearly_parts(comparison, scenario, "stage", "months_waited")
    total = comparison[
        (comparison["scenario"].astype(str) == scenario)
        & (comparison["metric"] == "investment")
        & (comparison["breakdown"] == "total")
        & comparison["period"].astype(str).str.isdigit()
    ].assign(year=lambda d: d["period"].astype(int))
    if total.empty:
        return None
    years = sorted(total["year"])
    with labels.style():
        fig = ChartFigure(figsize=(FIGSIZE[0], 8.4), layout="constrained")
        fig.labels = labels
        FigureCanvasAgg(fig)
        grid = fig.add_gridspec(2, 2, height_ratios=[3, 2])
        top = fig.add_subplot(grid[0, :])
        left, right = fig.add_subplot(grid[1, 0]), fig.add_subplot(grid[1, 1])
        up, down = np.zeros(len(sectors)), np.zeros(len(sectors))
        for i, item in enumerate(sectors.columns):
            values = sectors[item].fillna(0).to_numpy(dtype=float)
            bottom = np.where(values >= 0, up, down)
            top.bar(
                sectors.index,
                values,
                bottom=bottom,
                width=0.7,
                color=PALETTE[i % len(PALETTE)],
                label=_item_name(str(item), labels),
            )
            up, down = up + np.clip(values, 0, None), down + np.clip(values, None, 0)
        mean = total["diff_mean"].to_numpy(dtype=float)
        lo, hi = total["diff_ci_low"].to_numpy(dtype=float), total["diff_ci_high"].to_numpy(dtype=float)
        top.errorbar(
            total["year"],
            mean,
            yerr=[mean - lo, hi - mean],
            fmt="o",
            color="black",
            ms=6,
            capsize=4,
            elinewidth=1.4,
            zorder=4,
            label=labels.t("explain_total"),
        )
        top.axhline(0, color="black", lw=0.8)
        top.set_title(labels.t("explain_sectors"), loc="left", fontsize=12)
        top.set_ylabel(labels.t("diff_axis") if unit else labels.t("explain_axis_nounit"))
        top.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
        money_ticks(top)
        of_scenario = comparison[comparison["scenario"].astype(str) == scenario]
        constrained = bool((of_scenario["measure"] == "committed").any())
        for ax, data, key, names in (
            (left, committed, "explain_committed", "source"),
            (right, waits, "explain_waits", "stage"),
        ):
            for i, item in enumerate(data.columns):
                ax.plot(
                    data.index,
                    data[item].to_numpy(dtype=float),
                    lw=2,
                    marker="o",
                    ms=4,
                    color=PALETTE[(i + (3 if names == "stage" else 0)) % len(PALETTE)],
                    label=_item_name(str(item), labels),
                )
            ax.axhline(0, color="black", lw=0.8)
            ax.set_title(labels.t(key), loc="left", fontsize=12)
            if len(data.columns):
                ax.legend(loc="best", fontsize=9)
            else:  # nothing to draw: say why, and no scale
                none = "explain_no_sources" if names == "source" and not constrained else "explain_same"
                ax.text(
                    0.5, 0.5, labels.t(none), ha="center", va="center", transform=ax.transAxes, color=GREY
                )
                ax.set_yticks([])
            year_ticks(ax, years)
            ax.tick_params(axis="x", labelsize=9, labelrotation=90 if len(years) > 8 else 0)
        money_ticks(left)
        left.set_ylabel(labels.t("diff_axis") if unit else labels.t("explain_axis_nounit"))
        right.set_ylabel(labels.t("explain_months_axis"))
        year_ticks(top, years)
        set_title(fig, labels.t("explain_title", scenario=labels.chart(scenario), base=labels.chart(base)))
    return fig


def _numeric(values: pd.Series) -> bool:
    return bool(pd.to_numeric(values, errors="coerce").notna().all())


def is_share(metric: str) -> bool:
    """Whether a sweep or sensitivity metric is a share (growth), shown as a percentage."""
    return metric.partition(":")[0] == "growth"


def metric_text(metric: str, value: float, digits: int = 1) -> str:
    """A value of ``metric`` as shown: growth as a signed percentage, others with
    thousands separators; "" for a missing one."""
    if not math.isfinite(value):
        return ""
    return f"{value:+.{digits}%}" if is_share(metric) else f"{value:,.{digits}f}"


def _metric_ticks(ax: Any, metric: str, which: str = "y") -> None:
    """Tick labels of a metric's axis: percentages for growth, else money-like numbers."""
    if is_share(metric):
        (ax.yaxis if which == "y" else ax.xaxis).set_major_formatter(PercentFormatter(1.0, decimals=1))
    else:
        money_ticks(ax, which)


def sweep_line_chart(sweep: pd.DataFrame, param: str, metric: str, labels: Labels) -> Figure:
    """A one-grid sweep: the metric's mean at each value of ``param``, with the 95%
    interval of the mean (band) and the P10-P90 of the replications (dashed); growth on a
    percentage axis."""
    data = sweep.sort_values(param, kind="stable") if _numeric(sweep[param]) else sweep
    fig, ax = new_figure(labels)
    with labels.style():
        x = data[param].astype(float).to_numpy() if _numeric(data[param]) else np.arange(len(data))
        mean = data[f"{metric}_mean"].to_numpy(dtype=float)
        if f"{metric}_ci_low" in data.columns:
            ax.fill_between(
                x,
                data[f"{metric}_ci_low"],
                data[f"{metric}_ci_high"],
                color=BAND,
                alpha=0.7,
                lw=0,
                label=labels.t("ci95_mean"),
            )
        if f"{metric}_p10" in data.columns:
            ax.plot(x, data[f"{metric}_p10"], color=GREY, ls="--", lw=1, label=labels.t("p10p90"))
            ax.plot(x, data[f"{metric}_p90"], color=GREY, ls="--", lw=1)
        ax.plot(x, mean, color=BLUE, lw=2.4, marker="o", ms=6, label=labels.t("mean"))
        if not _numeric(data[param]):
            ax.set_xticks(x, [labels.chart(str(v)) for v in data[param]])
        _metric_ticks(ax, metric)
        ax.set_xlabel(labels.chart(param))
        ax.set_ylabel(metric_label(labels, metric))
        set_title(fig, labels.t("sweep_title", metric=metric_label(labels, metric)))
        legend_below(fig, ax)
    return fig


def _grid(sweep: pd.DataFrame, rows: str, cols: str, column: str) -> pd.DataFrame:
    """``column`` on the grid of ``rows`` by ``cols`` (averaged over further grids)."""
    return sweep.pivot_table(index=rows, columns=cols, values=column, aggfunc="mean", sort=True)


def heat_values(sweep: pd.DataFrame, rows: str, cols: str, metric: str) -> dict[str, np.ndarray]:
    """What the heat map draws, each on the grid: ``mean``, ``diff`` (the mean less the
    highest point's), ``same`` (the point's 95% interval overlaps the highest point's: not
    told apart from it with these replications) and ``best`` (the highest point)."""
    mean = _grid(sweep, rows, cols, f"{metric}_mean").to_numpy(dtype=float)
    finite = np.isfinite(mean)
    best = np.zeros_like(finite)
    if finite.any():
        best.flat[int(np.nanargmax(mean))] = True
    same = best.copy()
    if f"{metric}_ci_low" in sweep.columns and finite.any():
        low = _grid(sweep, rows, cols, f"{metric}_ci_low").to_numpy(dtype=float)
        high = _grid(sweep, rows, cols, f"{metric}_ci_high").to_numpy(dtype=float)
        same |= finite & (high >= low[best][0])
    top = float(mean[best][0]) if finite.any() else math.nan
    return {"mean": mean, "diff": mean - top, "same": same, "best": best}


def sweep_heatmap(sweep: pd.DataFrame, rows: str, cols: str, metric: str, labels: Labels) -> Figure:
    """A two-grid sweep as a heat map (``rows`` on the vertical axis, ``cols`` on the
    horizontal), each cell labelled with the metric's mean. The colour is scaled by what
    the replications can tell apart: the highest point is outlined, the points whose 95%
    interval overlaps its interval are grey (not distinguishable from it), and the others
    are coloured by how far their mean lies below it. Points repeated over further grid
    columns are averaged."""
    table = _grid(sweep, rows, cols, f"{metric}_mean")
    heat = heat_values(sweep, rows, cols, metric)
    fig, ax = new_figure(labels)
    with labels.style():
        apart = np.where(heat["same"], np.nan, heat["diff"])
        lowest = float(np.nanmin(apart)) if np.isfinite(apart).any() else -1.0
        cmap = matplotlib.colormaps["viridis"].with_extremes(bad="#d9d9d9")
        image = ax.imshow(apart, cmap=cmap, aspect="auto", origin="lower", vmin=lowest, vmax=0)
        if np.isfinite(apart).any():  # else every point is as high as the highest: no scale
            bar = fig.colorbar(image, ax=ax, label=labels.t("heat_diff", metric=metric_label(labels, metric)))
            _metric_ticks(bar.ax, metric)
        for (i, j), v in np.ndenumerate(heat["mean"]):
            if math.isfinite(v):
                dark = not heat["same"][i, j] and apart[i, j] < lowest / 2
                note = "highest" if heat["best"][i, j] else "same_as_best" if heat["same"][i, j] else ""
                text = metric_text(metric, v) + (f"\n{labels.t(note)}" if note else "")
                ax.text(j, i, text, ha="center", va="center", fontsize=10, color="white" if dark else "black")
            if heat["best"][i, j]:
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, lw=3, ec="black"))
        ax.set_xticks(
            range(len(table.columns)),
            [labels.chart(f"{c:g}" if isinstance(c, float) else str(c)) for c in table.columns],
        )
        ax.set_yticks(
            range(len(table.index)),
            [labels.chart(f"{c:g}" if isinstance(c, float) else str(c)) for c in table.index],
        )
        ax.grid(False)
        ax.set_xlabel(labels.chart(cols))
        ax.set_ylabel(labels.chart(rows))
        set_title(fig, labels.t("heatmap_title", metric=metric_label(labels, metric)))
    return fig


def tornado_chart(sensitivity: pd.DataFrame, labels: Labels, metric: str) -> Figure:
    """Tornado chart of a sensitivity analysis, most important parameter on top: Morris
    mu* with its 95% interval and sigma, or Sobol total-order ST with S1 inside it."""
    morris = "mu_star" in sensitivity.columns
    key = "mu_star" if morris else "ST"
    data = sensitivity.sort_values(key, ascending=True, kind="stable")
    fig, ax = new_figure(labels, (FIGSIZE[0], max(FIGSIZE[1], 1.6 + 0.55 * len(data))))
    with labels.style():
        y = np.arange(len(data))
        names = []
        for r in data.itertuples(index=False):
            rng = f" ({r.low:g}–{r.high:g})" if hasattr(r, "low") else ""
            names.append(labels.chart(f"{r.parameter}{rng}"))
        value = data[key].to_numpy(dtype=float)
        conf = data[f"{key}_conf"].to_numpy(dtype=float) if f"{key}_conf" in data.columns else None
        ax.barh(y, value, color=BLUE, height=0.6, label=labels.t("mu_star") if morris else labels.t("st"))
        if conf is not None:
            ax.errorbar(value, y, xerr=conf, fmt="none", ecolor="black", capsize=4, elinewidth=1.2)
        if morris and "sigma" in data.columns:
            ax.scatter(data["sigma"], y, marker="D", color=ORANGE, zorder=3, label=labels.t("sigma"))
        if not morris and "S1" in data.columns:
            ax.barh(y, data["S1"].clip(lower=0), color=ORANGE, height=0.3, label=labels.t("s1"))
        ax.set_yticks(y, names)
        ax.grid(axis="y", visible=False)
        ax.axvline(0, color="black", lw=0.8)
        if morris:
            money_ticks(ax, "x")
        ax.set_xlabel(metric_label(labels, metric) if morris else labels.t("index_axis"))
        method = labels.t("morris") if morris else labels.t("sobol")
        set_title(fig, labels.t("tornado_title", metric=metric_label(labels, metric), method=method))
        legend_below(fig, ax)
    return fig


def fit_chart(fit: pd.DataFrame, labels: Labels) -> Figure:
    """A calibration's fit: for each observed figure (a row), the simulation at the
    estimate relative to the observed value: P10-P90 (bar) and P50 (dot), on one
    percentage axis so that figures of any size compare; held-out figures in orange."""
    data = fit.iloc[::-1]
    fig, ax = new_figure(labels, (FIGSIZE[0], max(FIGSIZE[1], 1.8 + 0.5 * len(data))))
    with labels.style():
        observed = data["observed"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = {
                q: data[f"simulated_{q}"].to_numpy(dtype=float) / observed - 1 for q in ("p10", "p50", "p90")
            }
        y = np.arange(len(data))
        held = (data["used"] != "fit").to_numpy()
        colors = np.where(held, ORANGE, BLUE)
        ax.barh(y, rel["p90"] - rel["p10"], left=rel["p10"], color=colors, alpha=0.35, height=0.5)
        ax.scatter(rel["p50"], y, color=colors, zorder=3, s=40)
        ax.axvline(0, color="black", lw=1.2)
        ax.set_yticks(y, [wrap_label(labels.chart(str(t)), 30) for t in data["target"]])
        ax.grid(axis="y", visible=False)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_xlabel(labels.t("fit_axis"))
        ax.scatter([], [], color=BLUE, label=labels.t("fit_used"))
        if held.any():
            ax.scatter([], [], color=ORANGE, label=labels.t("fit_held_out"))
        set_title(fig, labels.t("fit_title"))
        legend_below(fig, ax)
    return fig


def _month_x(rows: pd.DataFrame) -> np.ndarray:
    """The x of each month row: its year plus the month's start as a fraction of the year."""
    return rows["first_year"].to_numpy(dtype=float) + (rows["month"].to_numpy(dtype=float) - 1) / 12


def _month_ticks(ax: Any, xs: np.ndarray, labels: Labels) -> None:
    """Each month named (``2021-06``) up to two years of months, else whole years."""
    xs = np.unique(np.round(xs, 9))
    if len(xs) <= 24:
        names = [f"{int(x + 1e-9)}-{round((x - int(x + 1e-9)) * 12) + 1:02d}" for x in xs]
        ax.set_xticks(xs, names, rotation=90, fontsize=8)
    else:
        year_ticks(ax, sorted({int(x + 1e-9) for x in xs}))


def month_difference_chart(
    comparison: pd.DataFrame, labels: Labels, base: str, unit: bool = False
) -> Figure | None:
    """Month by month (the rows of ``period_kind`` ``month``): above, each scenario's mean
    difference in the month's investment from the base with its 95% interval; below, the
    difference in year-to-date growth (percentage points), its 95% interval as a band.
    None without month rows."""
    if "period_kind" not in comparison.columns:
        return None
    rows = comparison[comparison["period_kind"].astype(str) == "month"]
    if "breakdown" in rows.columns:
        rows = rows[rows["breakdown"] == "total"]
    if rows.empty:
        return None
    scenarios = list(dict.fromkeys(rows["scenario"].astype(str)))
    with labels.style():
        fig = ChartFigure(figsize=(FIGSIZE[0], 8.0), layout="constrained")
        fig.labels = labels
        FigureCanvasAgg(fig)
        top = fig.add_subplot(2, 1, 1)
        bottom = fig.add_subplot(2, 1, 2, sharex=top)
        width = 1 / 12 * 0.8 / max(1, len(scenarios))
        for i, name in enumerate(scenarios):
            color = PALETTE[i % len(PALETTE)]
            part = rows[rows["scenario"].astype(str) == name]
            money = part[part["metric"] == "investment"]
            x = _month_x(money) + (i - (len(scenarios) - 1) / 2) * width
            mean = money["diff_mean"].to_numpy(dtype=float)
            lo, hi = money["diff_ci_low"].to_numpy(dtype=float), money["diff_ci_high"].to_numpy(dtype=float)
            top.bar(x, mean, width=width * 0.9, color=color, alpha=0.85, label=labels.chart(name))
            top.errorbar(
                x,
                mean,
                yerr=[mean - lo, hi - mean],
                fmt="none",
                ecolor="black",
                elinewidth=1.0,
                capsize=2,
                label=labels.t("ci95") if i == 0 else None,
            )
            growth = part[part["metric"] == "ytd_growth"]
            gx = _month_x(growth)
            bottom.fill_between(
                gx,
                growth["diff_ci_low"].to_numpy(dtype=float),
                growth["diff_ci_high"].to_numpy(dtype=float),
                color=color,
                alpha=0.2,
                lw=0,
            )
            bottom.plot(
                gx, growth["diff_mean"].to_numpy(dtype=float), color=color, lw=1.6, marker="o", ms=2.5
            )
        for ax in (top, bottom):
            ax.axhline(0, color="black", lw=0.8)
            _month_ticks(ax, _month_x(rows), labels)
        money_ticks(top)
        top.set_ylabel(labels.t("months_diff_axis") if unit else labels.t("diff_axis_nounit"))
        bottom.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _p: f"{v * 100:+.1f}"))
        bottom.set_ylabel(labels.t("months_growth_axis"))
        set_title(fig, labels.t("months_diff_title", base=labels.chart(base)))
        legend_below(fig, top)
    return fig


def month_attribution_chart(
    attribution: pd.DataFrame, labels: Labels, title: str, unit: bool = False
) -> Figure:
    """Month by month, each policy's Shapley part of the difference in the month's
    investment (stacked bars: parts above and below zero stacked apart) and the total
    difference (black dots with their 95% interval): the parts add up to the dot.
    ``attribution``: the month rows of one scenario and metric."""
    policies = [p for p in dict.fromkeys(attribution["policy"].astype(str)) if p != "total"]
    total = attribution[attribution["policy"].astype(str) == "total"]
    x = _month_x(total)
    fig, ax = new_figure(labels)
    with labels.style():
        up, down = np.zeros(len(total)), np.zeros(len(total))
        for i, policy in enumerate(policies):
            part = attribution[attribution["policy"].astype(str) == policy]
            values = part["value_mean"].to_numpy(dtype=float)
            bottom = np.where(values >= 0, up, down)
            ax.bar(
                x,
                values,
                width=0.07,
                bottom=bottom,
                color=PALETTE[i % len(PALETTE)],
                alpha=0.85,
                label=labels.chart(policy),
            )
            up, down = up + np.maximum(values, 0), down + np.minimum(values, 0)
        mean = total["value_mean"].to_numpy(dtype=float)
        lo, hi = total["ci_low"].to_numpy(dtype=float), total["ci_high"].to_numpy(dtype=float)
        ax.errorbar(
            x,
            mean,
            yerr=[mean - lo, hi - mean],
            fmt="o",
            color="black",
            ms=4,
            capsize=2,
            label=labels.chart(labels.name("total")),
        )
        ax.axhline(0, color="black", lw=0.8)
        _month_ticks(ax, x, labels)
        money_ticks(ax)
        ax.set_ylabel(labels.t("months_diff_axis") if unit else labels.t("diff_axis_nounit"))
        set_title(fig, title)
        legend_below(fig, ax)
    return fig
