"""What every chart shares: size, colours, a figure on an Agg canvas, PNG bytes, and the
axis, title and legend conventions.

No pyplot: every figure is a plain ``Figure`` on an Agg canvas, so nothing is registered
in pyplot's global figure list and nothing needs closing.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, MultipleLocator

from investsim.reporting.fonts import has_cjk
from investsim.reporting.labels import Labels

"""Pipeline stages, in order."""

FIGSIZE = (10.0, 5.6)
"""Inches: a 16:9 briefing slide's picture."""
DPI = 200
"""Resolution of the PNG files (2000 x 1120 pixels at :data:`FIGSIZE`)."""

BLUE = "#1f4e79"
BAND = "#9ecae1"
ORANGE = "#e6842a"
GREEN = "#2e8b57"
RED = "#c0392b"
GREY = "#6b6b6b"
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


SHOWN_DPI = 100
"""Resolution of a chart shown in a notebook."""


class ChartFigure(Figure):
    """A chart that shows itself in a notebook: IPython displays the PNG it draws, with
    the fonts of its labels, without pyplot or ``%matplotlib inline`` (a plain ``Figure``
    on an Agg canvas shows only as text there)."""

    labels: Labels | None = None

    def _repr_png_(self) -> bytes:
        labels = self.labels if self.labels is not None else Labels()
        return png_bytes(self, labels, dpi=SHOWN_DPI)


def new_figure(labels: Labels, size: tuple[float, float] = FIGSIZE) -> tuple[Figure, Axes]:
    """A figure of ``size`` inches with one axes, on an Agg canvas (never pyplot), that
    shows itself in a notebook (:class:`ChartFigure`)."""
    with labels.style():
        fig = ChartFigure(figsize=size, layout="constrained")
        fig.labels = labels
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
    return fig, ax


def png_bytes(fig: Figure, labels: Labels, dpi: int = DPI) -> bytes:
    """The figure as PNG bytes at ``dpi``, drawn with the fonts of ``labels``."""
    buf = io.BytesIO()
    with labels.style():
        fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def money_ticks(ax: Axes, which: str = "y") -> None:
    """Money tick labels on the ``which`` axis: thousands separated, no trailing zeros."""
    fmt = FuncFormatter(lambda v, _pos: f"{v:,.10g}")
    (ax.yaxis if which == "y" else ax.xaxis).set_major_formatter(fmt)


def year_ticks(ax: Axes, years: Sequence[int]) -> None:
    """Whole years on the x axis (every year up to 15 of them), with half a year of room
    at either end."""
    if len(set(years)) <= 15:
        ax.xaxis.set_major_locator(MultipleLocator(1))
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=12))
    if len(years):
        ax.set_xlim(min(years) - 0.6, max(years) + 0.6)


def set_title(fig: Figure, text: str) -> None:
    """The chart's title, at the top left of the figure (room for long y tick labels)."""
    fig.suptitle(text, x=0.01, ha="left", fontsize=14, fontweight="bold")


def legend_below(fig: Figure, ax: Axes) -> None:
    """The axes' legend under the chart, in one row if it fits (else two columns)."""
    handles, texts = ax.get_legend_handles_labels()
    if not handles:
        return
    width = sum(sum(2 if has_cjk(ch) else 1 for ch in t) + 6 for t in texts)
    ncols = len(handles) if width <= 130 else min(len(handles), 2)
    fig.legend(handles, texts, loc="outside lower center", ncols=ncols)


def no_data(ax: Axes, text: str) -> None:
    """``text`` in the middle of empty axes, instead of a chart."""
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color=GREY, wrap=True)
    ax.set_xticks([])
    ax.set_yticks([])


def wrap_label(text: str, width: int = 18) -> str:
    """``text`` in lines of about ``width`` Latin letters: at spaces, or for CJK text
    without spaces every ``width / 2`` characters (each is about two letters wide)."""
    if " " not in text.strip() and has_cjk(text):
        step = max(4, width // 2)
        return "\n".join(text[i : i + step] for i in range(0, len(text), step))
    return "\n".join(textwrap.wrap(text, width, break_long_words=False)) or text


def interval(ax: Axes, x: float, y: float, value: float, low: float, high: float) -> None:
    """A black whisker at ``(x, y)`` from ``low`` to ``high`` around ``value`` (the
    interval of the bar's value, drawn where the bar ends)."""
    ax.errorbar(
        x, y, yerr=[[value - low], [high - value]], fmt="none", ecolor="black", capsize=4, elinewidth=1.2
    )


def value_note(ax: Axes, x: float, top: float, value: float) -> None:
    """The signed value of a bar, just right of its top."""
    ax.annotate(f"{value:+,.1f}", (x, top), textcoords="offset points", xytext=(8, 3), fontsize=10)
