"""The chart of a goal seek: the estimated metric against the lever's value, with its 95 %
band, the target line, and the answer with its interval."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from investsim.reporting.charts.base import (
    BAND,
    BLUE,
    GREEN,
    ORANGE,
    RED,
    legend_below,
    money_ticks,
    new_figure,
    set_title,
)
from investsim.reporting.labels import Labels


def seek_chart(seek: pd.DataFrame, manifest: dict[str, Any], labels: Labels, quantity: str) -> Figure:
    """Every lever value run (dots, joined) with the 95 % interval of its estimate (band),
    the target (dashed), and, when found, the answer (a vertical line) and its interval
    (a shaded span). ``quantity`` labels the vertical axis; a probability or a growth is
    shown in percent."""
    data = seek.sort_values("value", kind="stable")
    target = manifest.get("target") or {}
    share = target.get("kind") == "probability" or str(target.get("metric", "")).startswith("growth")
    fig, ax = new_figure(labels)
    with labels.style():
        x = data["value"].to_numpy(dtype=float)
        ax.fill_between(
            x, data["ci_low"], data["ci_high"], color=BAND, alpha=0.7, lw=0, label=labels.t("seek_band")
        )
        ax.plot(x, data["estimate"], color=BLUE, lw=1.8, marker="o", ms=4, label=labels.t("seek_estimate"))
        if target.get("value") is not None:
            ax.axhline(float(target["value"]), color=RED, ls="--", lw=1.4, label=labels.t("seek_target"))
        answer = manifest.get("answer")
        if manifest.get("status") == "found" and answer is not None:
            low, high = manifest.get("ci_low"), manifest.get("ci_high")
            if low is not None and high is not None:
                ax.axvspan(
                    float(low), float(high), color=GREEN, alpha=0.15, lw=0, label=labels.t("seek_interval")
                )
            ax.axvline(float(answer), color=GREEN, lw=2, label=labels.t("seek_answer"))
        best = manifest.get("best") or {}
        if manifest.get("status") == "out_of_reach" and best.get("at") is not None:
            ax.scatter(
                [best["at"]], [best["estimate"]], s=90, color=ORANGE, zorder=4, label=labels.t("seek_best")
            )
        if share:
            ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
        else:
            money_ticks(ax)
        param = manifest.get("param") or {}
        ax.set_xlabel(labels.chart(str(param.get("path", ""))))
        ax.set_ylabel(quantity)
        if len(x):
            pad = 0.02 * float(np.ptp(x) or 1.0)
            ax.set_xlim(float(x.min()) - pad, float(x.max()) + pad)
        set_title(fig, labels.t("seek_title", quantity=quantity))
        legend_below(fig, ax)
    return fig
