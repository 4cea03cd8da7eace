"""The bottleneck map as a heat map: years across, resources down, coloured by the share of
the year each resource held projects up, each cell labelled with what one more unit of it
in that year adds by the last year."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import PercentFormatter

from investsim.reporting.charts.base import FIGSIZE, GREY, new_figure, set_title
from investsim.reporting.labels import Labels

BINDS_MUCH = 0.5
"""A resource binding at least this share of the year whose extra unit only brings
investment forward, or changes nothing at all, is outlined: it binds, but more of it
alone does not add investment by the end."""


def resource_label(labels: Labels, resource: str, kind: str, unit: str) -> str:
    """A resource as the map's rows name it, with the unit its values are per."""
    if kind == "source":
        name = labels.text("bn_source", source=labels.name(resource))
    else:
        name = labels.text(f"bn_{kind}")
    per = labels.text("bn_per_money") if unit == "money" else labels.text("bn_per_place")
    return labels.chart(f"{name}\n{per}")


def _shown(value: object) -> float:
    """A value as drawn to one decimal, with -0.0 shown as 0.0."""
    v = float(value) if isinstance(value, int | float) else math.nan
    return round(v, 1) + 0.0 if math.isfinite(v) else v


def binds_without_value(row: Mapping[Any, Any]) -> bool:
    """Whether a measured cell binds much (:data:`BINDS_MUCH`) while its extra units only
    move investment in time (``timing``) or change nothing at all (``zero``: the projects
    it holds up wait for another resource too)."""
    binding = row.get("binding", 0)
    return (
        row.get("status") == "measured"
        and float(binding if isinstance(binding, int | float) else 0) >= BINDS_MUCH
        and row.get("reading") in ("timing", "zero")
    )


def bottleneck_heatmap(table: pd.DataFrame, labels: Labels) -> Figure:
    """Years across, resources down; colour: the mean share of the year the resource bound;
    text: its marginal value (mean, and the 95% interval below), ``0`` in grey where it
    never bound (no extra unit could be used), nothing where it was unlimited; a dashed
    outline where it bound at least half the year yet its extra units only brought
    investment forward or changed nothing (:func:`binds_without_value`)."""
    years = sorted(int(y) for y in table["year"].unique())
    names = list(dict.fromkeys(table["resource"]))
    rows = {name: table[table["resource"] == name].set_index("year") for name in names}
    share = np.array([[rows[n]["binding"].get(y, math.nan) for y in years] for n in names], dtype=float)
    height = max(FIGSIZE[1], 1.6 + 0.75 * len(names))
    fig, ax = new_figure(labels, (FIGSIZE[0], height))
    with labels.style():
        cmap = matplotlib.colormaps["YlOrRd"]
        image = ax.imshow(share, cmap=cmap, vmin=0, vmax=1, aspect="auto")
        bar = fig.colorbar(image, ax=ax, label=labels.t("bn_share_axis"))
        bar.ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        for i, name in enumerate(names):
            for j, year in enumerate(years):
                if year not in rows[name].index:
                    continue
                row = rows[name].loc[year].to_dict()
                dark = share[i, j] > 0.6
                colour = "white" if dark else "black"
                if row["status"] == "unlimited":
                    continue
                if row["status"] == "never binds":
                    ax.text(j, i, "0", ha="center", va="center", fontsize=10, color=GREY)
                    continue
                if row["reading"] == "zero":  # every replication the same: no interval to show
                    ax.text(
                        j,
                        i,
                        f"0\n{labels.t('bn_exactly')}",
                        ha="center",
                        va="center",
                        fontsize=8,
                        color=colour,
                    )
                else:
                    value, low, high = (_shown(row[k]) for k in ("marginal", "marginal_low", "marginal_high"))
                    text = f"{value:+.1f}"
                    if math.isfinite(low) and math.isfinite(high):
                        text += f"\n{low:.1f}…{high:.1f}"
                    weight = "bold" if row["reading"] == "gain" else "normal"
                    ax.text(j, i, text, ha="center", va="center", fontsize=8, color=colour, fontweight=weight)
                if binds_without_value(row):
                    ax.add_patch(
                        Rectangle((j - 0.47, i - 0.47), 0.94, 0.94, fill=False, lw=1.6, ls="--", ec="black")
                    )
        ax.set_xticks(range(len(years)), [str(y) for y in years])
        first = table.drop_duplicates("resource").set_index("resource")
        ax.set_yticks(
            range(len(names)),
            [resource_label(labels, n, str(first.loc[n, "kind"]), str(first.loc[n, "unit"])) for n in names],
        )
        ax.tick_params(axis="y", labelsize=9)
        ax.grid(False)
        set_title(fig, labels.t("bn_title"))
    return fig
