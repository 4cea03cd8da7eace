"""Charts of a forecast (``investsim run``): annual investment (fan), growth, investment by
sector and by funding source, projects in each stage, months per stage, financing gap."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from investsim import columns
from investsim.reporting.charts.base import (
    BAND,
    BLUE,
    FIGSIZE,
    ORANGE,
    PALETTE,
    RED,
    legend_below,
    money_ticks,
    new_figure,
    no_data,
    set_title,
    year_ticks,
)
from investsim.reporting.labels import Labels
from investsim.stages import STAGES


def in_flight_summary(replications: pd.DataFrame) -> pd.DataFrame | None:
    """Per year: P50 of ``investment_in_flight`` and the median of its share of each
    replication's investment; ``None`` without that column."""
    if "investment_in_flight" not in replications.columns:
        return None
    df = replications[["year", "investment", "investment_in_flight"]].copy()
    df["share"] = np.where(df["investment"] > 0, df["investment_in_flight"] / df["investment"], np.nan)
    g = df.groupby("year", sort=True)
    return pd.DataFrame(
        {"in_flight_p50": g["investment_in_flight"].quantile(0.5), "share_p50": g["share"].quantile(0.5)}
    ).reset_index()


def _in_flight_area(ax: Axes, flight: pd.DataFrame, labels: Labels, top: float) -> None:
    """The part of each year's investment spent by projects in the pipeline at the start
    (P50, from :func:`in_flight_summary`), labelled with its share when there are at most
    15 years: inside the area, under its edge (clear of the median line, which runs just
    above it while the pipeline spends nearly everything), or over the edge where the area
    is too low to hold the label (``top`` is the axis's top)."""
    ax.fill_between(
        flight["year"],
        0,
        flight["in_flight_p50"],
        color=ORANGE,
        alpha=0.35,
        lw=0,
        label=labels.t("in_flight"),
        zorder=1,
    )
    if len(flight) <= 15:
        for y, v, s in zip(flight["year"], flight["in_flight_p50"], flight["share_p50"], strict=True):
            if v > 0 and math.isfinite(s) and s >= 0.005:
                inside = v >= 0.15 * top
                ax.annotate(
                    f"{s:.0%}",
                    (y, v),
                    textcoords="offset points",
                    xytext=(0, -5 if inside else 4),
                    ha="center",
                    va="top" if inside else "bottom",
                    fontsize=9,
                    color="#9a5412",
                    zorder=4,
                )


def fan_chart(
    annual: pd.DataFrame,
    replications: pd.DataFrame | None,
    labels: Labels,
    last_observed: tuple[int, float] | None = None,
    name: str = "",
) -> Figure:
    """Annual investment: the P10-P90 band, the P50 line and the mean, with the part spent
    by projects already in the pipeline at the start (P50 and its share of each year), and
    the last observed year's investment if given; ``name`` (the scenario's) goes in the
    title."""
    fig, ax = new_figure(labels)
    with labels.style():
        years = annual["year"].astype(int).tolist()
        ax.fill_between(
            years,
            annual["investment_p10"],
            annual["investment_p90"],
            color=BAND,
            alpha=0.7,
            lw=0,
            label=labels.t("band"),
            zorder=1.5,
        )
        ax.plot(
            years,
            annual["investment_p50"],
            color=BLUE,
            lw=2.6,
            marker="o",
            ms=4,
            label=labels.t("median"),
            zorder=3,
        )
        ax.plot(
            years, annual["investment_mean"], color=BLUE, lw=1.2, ls="--", label=labels.t("mean"), zorder=3
        )
        highest = float(np.nanmax(annual["investment_p90"].to_numpy(dtype=float)))
        if last_observed is not None and math.isfinite(last_observed[1]):
            highest = max(highest, last_observed[1])  # the observed point is always in view
        top = highest * 1.15 if highest > 0 else 1.0
        flight = in_flight_summary(replications) if replications is not None else None
        if flight is not None:
            _in_flight_area(ax, flight, labels, top)
        if last_observed is not None:
            ax.plot(
                [last_observed[0]], [last_observed[1]], "D", color="black", ms=6, label=labels.t("observed")
            )
            years = [last_observed[0], *years]
        ax.set_ylim(bottom=min(0.0, last_observed[1] * 1.15) if last_observed else 0, top=top)
        year_ticks(ax, years)
        money_ticks(ax)
        set_title(fig, labels.t("fan_title") + (f": {labels.chart(name)}" if name else ""))
        ax.set_ylabel(labels.t("investment_axis"))
        legend_below(fig, ax)
    return fig


def growth_chart(annual: pd.DataFrame, labels: Labels) -> Figure:
    """Growth of annual investment on the year before: median with its P10-P90 band."""
    fig, ax = new_figure(labels)
    with labels.style():
        set_title(fig, labels.t("growth_title"))
        data = annual[["year", "growth_p10", "growth_p50", "growth_p90"]].dropna()
        if data.empty:
            no_data(ax, labels.t("no_growth"))
            return fig
        years = data["year"].astype(int).tolist()
        ax.fill_between(
            years, data["growth_p10"], data["growth_p90"], color=BAND, alpha=0.7, lw=0, label=labels.t("band")
        )
        ax.plot(years, data["growth_p50"], color=BLUE, lw=2.4, marker="o", ms=4, label=labels.t("median"))
        ax.axhline(0, color="black", lw=0.8)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        year_ticks(ax, annual["year"].astype(int).tolist())
        ax.set_ylabel(labels.t("growth_axis"))
        legend_below(fig, ax)
    return fig


def _stacked_by(
    replications: pd.DataFrame, family: columns.Column, labels: Labels, title: str, background: bool
) -> Figure:
    """Mean annual investment of the ``family`` columns (one per sector or source)
    stacked, largest part at the bottom (with ``background``: investment outside the
    modelled projects on top)."""
    named = {c: next(iter(m.values())) for c, m in columns.members(replications.columns, family)}
    cols = list(named)
    means = replications.groupby("year", sort=True)[cols].mean()
    if background and "investment_background" in replications.columns:
        bg = replications.groupby("year", sort=True)["investment_background"].mean()
        if float(bg.abs().sum()) > 0:
            means["background"] = bg
    fig, ax = new_figure(labels)
    with labels.style():
        years = means.index.astype(int).tolist()
        bottom = np.zeros(len(years))
        totals = {str(c): float(v) for c, v in means.sum().items()}
        order = sorted(totals, key=lambda c: -totals[c] if c != "background" else math.inf)
        names = [c if c == "background" else named[c] for c in order]
        labels.register(n for n in names if n != "background")
        for i, (col, name) in enumerate(zip(order, names, strict=True)):
            values = means[col].to_numpy(dtype=float)
            color = "#bdbdbd" if col == "background" else PALETTE[i % len(PALETTE)]
            ax.bar(years, values, bottom=bottom, color=color, width=0.72, label=labels.n(name))
            bottom += values
        year_ticks(ax, years)
        money_ticks(ax)
        set_title(fig, title)
        ax.set_ylabel(labels.t("investment_axis"))
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def sector_chart(replications: pd.DataFrame, labels: Labels) -> Figure:
    """Mean annual investment by sector (stacked; plus investment outside the modelled
    projects when there is any): the means add up to the mean total."""
    return _stacked_by(replications, columns.SECTOR_INVESTMENT, labels, labels.t("sector_title"), True)


def source_chart(replications: pd.DataFrame, labels: Labels) -> Figure:
    """Mean annual investment by funding source (stacked) of the modelled projects."""
    return _stacked_by(replications, columns.SOURCE_INVESTMENT, labels, labels.t("source_title"), False)


def stages_chart(annual: pd.DataFrame, labels: Labels) -> Figure | None:
    """Projects in each stage just before the end of each year (mean over replications);
    ``None`` for results without the ``in_<stage>_at_year_end_mean`` columns."""
    if not columns.member_names(annual.columns, columns.IN_STAGE_AT_YEAR_END, "mean"):
        return None
    fig, ax = new_figure(labels)
    with labels.style():
        years = annual["year"].astype(int).tolist()
        for i, stage in enumerate(STAGES):
            col = f"{columns.IN_STAGE_AT_YEAR_END.of(stage=stage)}_mean"
            if col in annual.columns:
                ax.plot(years, annual[col], lw=2.2, marker="o", ms=4, color=PALETTE[i], label=labels.n(stage))
        ax.set_ylim(bottom=0)
        year_ticks(ax, years)
        set_title(fig, labels.t("stages_title"))
        ax.set_ylabel(labels.t("projects_axis"))
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def stage_months(replications: pd.DataFrame) -> pd.DataFrame:
    """Per stage: mean months waiting and working, over every replication and year with
    projects finishing the stage (0 where a stage has no such column)."""
    rows = []
    for stage in STAGES:
        row: dict[str, Any] = {"stage": stage}
        for part, family in (("wait", columns.WAIT_MONTHS), ("work", columns.WORK_MONTHS)):
            col = family.of(stage=stage)
            value = replications[col].mean() if col in replications.columns else 0.0
            row[part] = 0.0 if pd.isna(value) else float(value)
        rows.append(row)
    return pd.DataFrame(rows)


def stage_months_chart(replications: pd.DataFrame, labels: Labels) -> Figure | None:
    """Months spent in each stage, waiting (for approval capacity or money) and working,
    as stacked horizontal bars (mean over the horizon); ``None`` for results without the
    ``<stage>_wait_months`` and ``<stage>_work_months`` columns."""
    if not any(
        columns.member_names(replications.columns, f) for f in (columns.WAIT_MONTHS, columns.WORK_MONTHS)
    ):
        return None
    data = stage_months(replications)
    fig, ax = new_figure(labels)
    with labels.style():
        y = np.arange(len(data))[::-1]
        ax.barh(y, data["work"], color=BLUE, height=0.6, label=labels.t("working"))
        ax.barh(y, data["wait"], left=data["work"], color=ORANGE, height=0.6, label=labels.t("waiting"))
        for yi, work, wait in zip(y, data["work"], data["wait"], strict=True):
            total = work + wait
            if total > 0:
                ax.text(total, yi, f"  {total:.1f}", va="center", fontsize=10)
        ax.set_yticks(y, [labels.n(s) for s in data["stage"]])
        ax.grid(axis="y", visible=False)
        ax.set_xlim(0, max(1.0, float((data["work"] + data["wait"]).max())) * 1.12)
        ax.set_xlabel(labels.t("months_axis"))
        set_title(fig, labels.t("months_title"))
        legend_below(fig, ax)
    return fig


def source_gaps(replications: pd.DataFrame) -> pd.DataFrame:
    """Per year (rows) and constrained funding source (columns, by name): the median over
    replications of the money asked of the source less its supply."""
    gaps = {}
    for supply, named in columns.members(replications.columns, columns.FINANCING_SUPPLY):
        source = named["source"]
        demand = columns.FINANCING_DEMAND.of(source=source)
        if demand in replications.columns:
            gap = replications[demand] - replications[supply]
            gaps[source] = gap.groupby(replications["year"], sort=True).quantile(0.5)
    return pd.DataFrame(gaps)


def financing_gap_chart(replications: pd.DataFrame, labels: Labels) -> Figure | None:
    """The financing gap of each constrained source (money asked minus supply, P50) per
    year, with the gap of all of them together (dashed), and under it the mean months
    that projects finishing financing waited for money: a source short of money shows
    above zero, where the waits come from, even when the total is negative. ``None`` when
    the results have no financing gap."""
    if "financing_gap" not in replications.columns:
        return None
    gaps = source_gaps(replications)
    total = replications.groupby("year", sort=True)["financing_gap"].quantile(0.5)
    wait_col = columns.WAIT_MONTHS.of(stage="financing")
    with labels.style():
        fig = Figure(figsize=FIGSIZE, layout="constrained")
        FigureCanvasAgg(fig)
        ax, low = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1])
        years = total.index.astype(int).to_numpy()
        for i, source in enumerate(gaps.columns):
            ax.plot(
                years,
                gaps[source],
                lw=2.2,
                marker="o",
                ms=4,
                color=PALETTE[i % len(PALETTE)],
                label=labels.n(str(source)),
            )
        ax.plot(years, total, color="black", lw=1.4, ls="--", label=labels.t("gap_all"))
        ax.axhline(0, color="black", lw=0.8)
        bottom, top = ax.get_ylim()
        ax.axhspan(0, max(top, 0.0), color=RED, alpha=0.06, lw=0)  # short of money
        ax.set_ylim(bottom, top)
        ax.text(0.005, 0.98, labels.t("gap_short"), transform=ax.transAxes, va="top", fontsize=9, color=RED)
        money_ticks(ax)
        ax.set_ylabel(labels.t("gap_axis"))
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
        if wait_col in replications.columns:
            waits = replications.groupby("year", sort=True)[wait_col].mean()
            low.bar(waits.index.astype(int), waits.to_numpy(dtype=float), color=ORANGE, width=0.6)
        low.set_ylabel(labels.t("wait_axis"))
        low.set_ylim(bottom=0)
        year_ticks(low, years.tolist())
        set_title(fig, labels.t("gap_title"))
    return fig


def _month_axis(ax: Axes, monthly: pd.DataFrame) -> None:
    """Year ticks on an axis of months (x = year + (month - 1) / 12: a year's tick at its
    January)."""
    years = sorted(int(y) for y in monthly["year"].unique())
    year_ticks(ax, years)
    ax.set_xlim(years[0] - 0.1, years[-1] + 1.0)  # December ends at the next year's tick


def monthly_chart(monthly: pd.DataFrame, labels: Labels) -> Figure:
    """Investment in each calendar month: median with its P10-P90 band; 1-2月, which the
    bureau publishes as one period, is drawn as the mean of its two months."""
    fig, ax = new_figure(labels)
    with labels.style():
        set_title(fig, labels.t("monthly_title"))
        rows = []
        for r in monthly.to_dict("records"):
            months = (1, 2) if int(r["month"]) == 2 else (int(r["month"]),)
            for m in months:
                rows.append(
                    {
                        "x": int(r["year"]) + (m - 1) / 12,
                        **{s: r[f"investment_{s}"] / len(months) for s in ("p10", "p50", "p90")},
                    }
                )
        data = pd.DataFrame(rows).sort_values("x")
        ax.fill_between(
            data["x"], data["p10"], data["p90"], color=BAND, alpha=0.7, lw=0, label=labels.t("band")
        )
        ax.plot(data["x"], data["p50"], color=BLUE, lw=1.8, label=labels.t("median"))
        _month_axis(ax, monthly)
        ax.set_ylim(bottom=0)
        money_ticks(ax)
        ax.set_ylabel(labels.t("money_axis"))
        legend_below(fig, ax)
    return fig


def ytd_growth_chart(monthly: pd.DataFrame, labels: Labels) -> Figure:
    """Year-to-date growth in the bureau's periods (1-2月 … 1-12月 of each year): median
    with its P10-P90 band, and each year's growth target where the scenario has one."""
    fig, ax = new_figure(labels)
    with labels.style():
        set_title(fig, labels.t("ytd_title"))
        data = monthly.dropna(subset=["ytd_growth_p50"])
        if data.empty:
            no_data(ax, labels.t("no_growth"))
            return fig
        for _, year in data.groupby("year", sort=True):
            x = year["year"] + (year["month"] - 1) / 12
            first = bool(year["year"].iloc[0] == data["year"].iloc[0])
            ax.fill_between(
                x,
                year["ytd_growth_p10"],
                year["ytd_growth_p90"],
                color=BAND,
                alpha=0.7,
                lw=0,
                label=labels.t("band") if first else None,
            )
            ax.plot(
                x,
                year["ytd_growth_p50"],
                color=BLUE,
                lw=1.8,
                marker="o",
                ms=2.5,
                label=labels.t("median") if first else None,
            )
        if "growth_target" in monthly.columns:
            targets = monthly.dropna(subset=["growth_target"]).groupby("year")["growth_target"].first()
            for k, (y, target) in enumerate(zip(targets.index.astype(int), targets.to_numpy(), strict=True)):
                ax.hlines(
                    target,
                    y + 1 / 12,
                    y + 11 / 12,
                    color=RED,
                    lw=1.4,
                    ls="--",
                    label=labels.t("target") if k == 0 else "_nolegend_",
                )
        ax.axhline(0, color="black", lw=0.8)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        _month_axis(ax, monthly)
        ax.set_ylabel(labels.t("growth_axis"))
        legend_below(fig, ax)
    return fig
