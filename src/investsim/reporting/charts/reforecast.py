"""Charts of the in-year re-forecast (``investsim run --actuals``): the years and the
current year's year-to-date growth, before and given the published figures."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from investsim.reporting.charts.base import (
    BAND,
    BLUE,
    GREY,
    RED,
    legend_below,
    money_ticks,
    new_figure,
    no_data,
    set_title,
    year_ticks,
)
from investsim.reporting.labels import Labels


def given_fan_chart(annual: pd.DataFrame, given: pd.DataFrame, labels: Labels, year: int) -> Figure:
    """Annual investment: the forecast's P10-P90 band and median (grey) and, given the
    published figures, the weighted band and median (blue), with the current ``year``
    marked."""
    fig, ax = new_figure(labels)
    with labels.style():
        years = annual["year"].astype(int).tolist()
        ax.fill_between(
            years,
            annual["investment_p10"],
            annual["investment_p90"],
            color=GREY,
            alpha=0.18,
            lw=0,
            label=labels.t("before_band"),
        )
        ax.plot(years, annual["investment_p50"], color=GREY, lw=1.4, ls="--", label=labels.t("before_median"))
        g = given.sort_values("year")
        ax.fill_between(
            g["year"],
            g["investment_p10"],
            g["investment_p90"],
            color=BAND,
            alpha=0.7,
            lw=0,
            label=labels.t("given_band"),
            zorder=2,
        )
        ax.plot(
            g["year"],
            g["investment_p50"],
            color=BLUE,
            lw=2.6,
            marker="o",
            ms=4,
            label=labels.t("given_median"),
            zorder=3,
        )
        ax.axvline(year, color=RED, lw=1.0, ls=":", label=labels.t("current_year", year=year))
        top = float(max(annual["investment_p90"].max(), g["investment_p90"].max()))
        ax.set_ylim(bottom=0, top=top * 1.15 if top > 0 else 1.0)
        year_ticks(ax, years)
        money_ticks(ax)
        set_title(fig, labels.t("given_fan_title"))
        ax.set_ylabel(labels.t("investment_axis"))
        legend_below(fig, ax)
    return fig


def given_ytd_chart(monthly: pd.DataFrame, given: pd.DataFrame, labels: Labels, year: int) -> Figure:
    """The current ``year``'s year-to-date growth, 1-2月 … 1-12月: the forecast's band
    (grey), the band and median given the published figures (blue), the published
    figures (black) and the growth target."""
    fig, ax = new_figure(labels)
    with labels.style():
        set_title(fig, labels.t("given_ytd_title", year=year))
        before = monthly[monthly["year"] == year]
        after = given[given["year"] == year]
        if after["ytd_growth_p50"].isna().all():
            no_data(ax, labels.t("no_growth"))
            return fig
        ax.fill_between(
            before["month"],
            before["ytd_growth_p10"],
            before["ytd_growth_p90"],
            color=GREY,
            alpha=0.18,
            lw=0,
            label=labels.t("before_band"),
        )
        ax.fill_between(
            after["month"],
            after["ytd_growth_p10"],
            after["ytd_growth_p90"],
            color=BAND,
            alpha=0.7,
            lw=0,
            label=labels.t("given_band"),
        )
        ax.plot(
            after["month"],
            after["ytd_growth_p50"],
            color=BLUE,
            lw=2.2,
            marker="o",
            ms=3,
            label=labels.t("given_median"),
        )
        seen = after.dropna(subset=["published_ytd_growth"])
        if len(seen):
            ax.plot(
                seen["month"],
                seen["published_ytd_growth"],
                "D",
                color="black",
                ms=6,
                label=labels.t("published"),
            )
        if "growth_target" in after.columns and after["growth_target"].notna().any():
            ax.axhline(
                float(after["growth_target"].dropna().iloc[0]),
                color=RED,
                lw=1.4,
                ls="--",
                label=labels.t("target"),
            )
        ax.axhline(0, color="black", lw=0.8)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_xticks(list(after["month"]))
        ax.set_xticklabels(
            [str(p) for p in (after["period"] if labels.zh else after["period_en"])], rotation=45
        )
        ax.set_ylabel(labels.t("growth_axis"))
        legend_below(fig, ax)
    return fig
