"""Charts of the report: one function per chart, each taking DataFrames and returning a
matplotlib :class:`~matplotlib.figure.Figure`.

No pyplot: every figure is a plain ``Figure`` on an Agg canvas, so nothing is registered
in pyplot's global figure list and nothing needs closing; fonts and style are applied with
``matplotlib.rc_context`` (see :meth:`Labels.style`) around building and saving only, so
the caller's rcParams are left as they were.

Labels come in English or Chinese (:class:`Labels`). Chinese text, and the money unit
亿元 in any language, needs a CJK font: one is looked up with matplotlib's font manager
(Noto Sans CJK, Source Han Sans, WenQuanYi, ...). Without one, Chinese labels fall back to
English with one warning, and CJK characters in names are replaced, so that no chart ever
shows empty boxes.
"""

from __future__ import annotations

import functools
import io
import math
import re
import sys
import textwrap
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, MultipleLocator, PercentFormatter

STAGES = ("approval", "land", "financing", "construction")
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

# Families tried in this order; the first installed one that has CJK glyphs is used.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "Source Han Sans",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Sarasa Gothic SC",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Heiti SC",
    "Noto Serif CJK SC",
    "Droid Sans Fallback",
    "AR PL UMing CN",
)
# File names that suggest a CJK font, for fonts installed after matplotlib built its cache.
_CJK_FILE_HINTS = (
    "cjk",
    "wqy",
    "wenquanyi",
    "sourcehan",
    "droidsansfallback",
    "notosanssc",
    "simhei",
    "msyh",
)
_CJK_RE = re.compile(
    "[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff]+"
)
_UNITS_EN = {"亿元": "100m yuan", "万元": "10k yuan", "元": "yuan", "亿": "100m"}

TEXT: dict[str, tuple[str, str]] = {
    # charts: run
    "fan_title": ("Annual investment", "年度固定资产投资"),
    "band": ("P10–P90 range", "P10–P90 区间"),
    "median": ("median (P50)", "中位数（P50）"),
    "mean": ("mean", "均值"),
    "in_flight": (
        "of which: projects in the pipeline at the start (P50; share of each year's total)",
        "其中：期初已在管道中的项目（P50；占当年比重）",
    ),
    "observed": ("observed", "实际值"),
    "money_axis": ("{unit}", "{unit}"),
    "investment_axis": ("investment ({unit})", "投资额（{unit}）"),
    "year": ("year", "年份"),
    "growth_title": ("Growth of annual investment (median, P10–P90)", "年度投资增速（中位数，P10–P90）"),
    "growth_axis": ("on the year before", "同比"),
    "no_growth": (
        "no growth to show: the first year needs last_observed in the scenario",
        "无增速数据：首年增速需要情景中的 last_observed",
    ),
    "sector_title": ("Investment by sector (mean)", "分行业投资（均值）"),
    "source_title": ("Investment by funding source (mean)", "分资金来源投资（均值）"),
    "background": ("outside the modelled projects", "模型外投资"),
    "stages_title": ("Projects in each stage at year end (mean)", "年末各阶段项目数（均值）"),
    "projects_axis": ("projects", "项目数（个）"),
    "months_title": (
        "Months per stage: waiting vs working (mean over the horizon)",
        "各阶段耗时：等待与办理（预测期均值）",
    ),
    "waiting": ("waiting (for capacity or money)", "等待（审批能力或资金）"),
    "working": ("working", "办理"),
    "months_axis": ("months", "月"),
    "gap_title": (
        "Financing gap: money asked minus supply, all constrained sources",
        "融资缺口：资金需求减供给（全部受限来源）",
    ),
    "gap_p50": ("gap, median (P50)", "缺口中位数（P50）"),
    "supply": ("supply (mean)", "供给（均值）"),
    "demand": ("demand (mean)", "需求（均值）"),
    # charts: compare
    "diff_title": ("Difference in annual investment from {base}", "与 {base} 相比的年度投资差异"),
    "diff_axis": ("difference ({unit})", "差异（{unit}）"),
    "diff_axis_nounit": ("difference in investment", "投资差异"),
    "ci95": ("95% interval of the mean difference", "平均差异的 95% 置信区间"),
    "ci95_mean": ("95% interval of the mean", "均值的 95% 置信区间"),
    "p10p90_diff": ("P10–P90 of the paired difference", "配对差异的 P10–P90"),
    "waterfall_title": ("{scenario}: difference by policy, {period}", "{scenario}：各政策贡献，{period}"),
    "total": ("total", "合计"),
    "horizon": ("whole horizon", "整个预测期"),
    # charts: sweep and sensitivity
    "sweep_title": ("{metric} (mean, 95% interval)", "{metric}（均值，95% 置信区间）"),
    "heatmap_title": ("{metric}: mean at each grid point", "{metric}：各网格点均值"),
    "p10p90": ("P10–P90", "P10–P90"),
    "tornado_title": ("What moves {metric}: {method}", "参数敏感性：{metric}（{method}）"),
    "morris": ("Morris mu* with 95% interval; ◆ sigma", "Morris μ*（95% 区间）；◆ σ"),
    "sobol": ("Sobol total-order ST (bar) and first-order S1", "Sobol 总效应 ST（条）与一阶效应 S1"),
    "mu_star": ("mu* (mean absolute elementary effect)", "μ*（基本效应绝对值均值）"),
    "sigma": ("sigma", "σ"),
    "index_axis": ("index", "指数"),
    "s1": ("first-order S1", "一阶效应 S1"),
    "st": ("total-order ST", "总效应 ST"),
}

NAMES_ZH: dict[str, str] = {
    # stages
    "approval": "审批",
    "land": "用地",
    "financing": "融资",
    "construction": "建设",
    # sectors of the Liaoyuan scenarios
    "industry": "工业",
    "infrastructure": "基础设施",
    "services": "服务业",
    "agriculture": "农业",
    "emerging": "新兴产业",
    "real_estate": "房地产",
    # funding sources
    "own": "自有资金",
    "bank": "银行贷款",
    "government": "财政资金",
    "bonds": "专项债券",
    "infrastructure_loans": "基础设施贷款",
    "ppp": "PPP/社会资本",
    "private": "民间资本",
    "background": "模型外投资",
    # metrics
    "cumulative_investment": "累计投资",
    "investment": "投资",
    "growth": "增速",
    "starts": "开工项目",
    "completions": "竣工项目",
    "financing_gap": "融资缺口",
    "total": "合计",
}


def has_cjk(text: str) -> bool:
    """Whether ``text`` has Chinese (or other CJK) characters."""
    return _CJK_RE.search(text) is not None


def _covers_cjk(family: str) -> bool:
    """Whether the font matplotlib picks for ``family`` has CJK glyphs."""
    from matplotlib.ft2font import FT2Font

    try:
        path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
        return bool(FT2Font(path).get_char_index(ord("亿")))
    except Exception:  # no such font, or a file FreeType can't read
        return False


def _installed_cjk() -> str | None:
    names = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in names and _covers_cjk(family):
            return family
    return None


@functools.cache
def cjk_font() -> str | None:
    """The family name of an installed CJK font matplotlib can use, or ``None``.

    Fonts installed after matplotlib built its font cache are not in it; files whose names
    look like CJK fonts are then registered with the font manager and tried too.
    """
    found = _installed_cjk()
    if found is not None:
        return found
    added = False
    for path in font_manager.findSystemFonts():
        name = Path(path).name.lower().replace("-", "").replace("_", "")
        if any(hint in name for hint in _CJK_FILE_HINTS):
            try:
                font_manager.fontManager.addfont(path)
                added = True
            except Exception:  # unreadable font file: skip it
                continue
    return _installed_cjk() if added else None


_warned: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        print(f"warning: {message}", file=sys.stderr)


class Labels:
    """Chart and report wording in one language, and the fonts to draw it with.

    ``lang`` is what was asked for (``en`` or ``zh``); :attr:`lang` is what is used: ``zh``
    without a CJK font falls back to ``en`` (with one warning on standard error). ``font``
    overrides the CJK font lookup (``""`` = pretend none is installed; for tests).
    """

    def __init__(self, lang: str = "en", unit: str = "亿元", font: str | None = None) -> None:
        if lang not in ("en", "zh"):
            raise ValueError(f"lang must be 'en' or 'zh', got {lang!r}")
        self.requested = lang
        self.cjk: str | None = cjk_font() if font is None else (font or None)
        if lang == "zh" and self.cjk is None:
            _warn_once(
                "no Chinese (CJK) font found for the charts (install e.g. fonts-noto-cjk): "
                "the report uses English labels"
            )
            lang = "en"
        self.lang = lang
        self.unit = unit
        self._raw: set[str] = set()

    @property
    def zh(self) -> bool:
        """Whether the labels are Chinese."""
        return self.lang == "zh"

    def text(self, key: str, **values: Any) -> str:
        """The wording of ``key`` in this language, with ``values`` filled in."""
        en, zh = TEXT[key]
        return (zh if self.zh else en).format(unit=self.unit, **values)

    def name(self, key: str) -> str:
        """A stage, sector, funding source or metric name as shown: translated in Chinese
        where known, else the key with underscores as spaces."""
        if self.zh and key in NAMES_ZH and NAMES_ZH[key] not in self._raw:
            return NAMES_ZH[key]
        return key.replace("_", " ")

    def register(self, keys: Iterable[str]) -> None:
        """Note names used as they are in the data (sectors, sources): a known name whose
        translation is one of them is then shown untranslated, so two never look alike."""
        self._raw.update(keys)

    def chart(self, text: str) -> str:
        """``text`` made drawable: without a CJK font, known money units are spelled in
        English and other CJK characters replaced by ``?``."""
        if self.cjk is not None or not has_cjk(text):
            return text
        for unit, en in _UNITS_EN.items():
            text = text.replace(unit, en)
        return _CJK_RE.sub("?", text)

    def t(self, key: str, **values: Any) -> str:
        """:meth:`text` made drawable (:meth:`chart`), for chart labels."""
        return self.chart(self.text(key, **values))

    def n(self, key: str) -> str:
        """:meth:`name` made drawable (:meth:`chart`), for chart labels."""
        return self.chart(self.name(key))

    def rc(self) -> dict[str, Any]:
        """The rcParams of every chart: fonts (with the CJK font as fallback) and style."""
        latin = ["DejaVu Sans"]
        families = latin if self.cjk is None else ([self.cjk, *latin] if self.zh else [*latin, self.cjk])
        return {
            "font.family": families,
            "font.size": 11,
            "axes.labelsize": 11,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "axes.axisbelow": True,
            "grid.color": "#d9d9d9",
            "grid.linewidth": 0.8,
            "legend.frameon": False,
            "legend.fontsize": 10,
            "figure.facecolor": "white",
            "savefig.facecolor": "white",
        }

    @contextmanager
    def style(self) -> Iterator[None]:
        """Apply :meth:`rc` for the duration of the block (building or saving a chart)."""
        rc: Any = self.rc()
        with matplotlib.rc_context(rc):
            yield


def new_figure(labels: Labels, size: tuple[float, float] = FIGSIZE) -> tuple[Figure, Axes]:
    """A figure of ``size`` inches with one axes, on an Agg canvas (never pyplot)."""
    with labels.style():
        fig = Figure(figsize=size, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
    return fig, ax


def png_bytes(fig: Figure, labels: Labels, dpi: int = DPI) -> bytes:
    """The figure as PNG bytes at ``dpi``, drawn with the fonts of ``labels``."""
    buf = io.BytesIO()
    with labels.style():
        fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _money(ax: Axes, which: str = "y") -> None:
    fmt = FuncFormatter(lambda v, _pos: f"{v:,.10g}")
    (ax.yaxis if which == "y" else ax.xaxis).set_major_formatter(fmt)


def _years(ax: Axes, years: Sequence[int]) -> None:
    if len(set(years)) <= 15:
        ax.xaxis.set_major_locator(MultipleLocator(1))
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=12))
    if len(years):
        ax.set_xlim(min(years) - 0.6, max(years) + 0.6)


def _title(fig: Figure, text: str) -> None:
    """The chart's title, at the top left of the figure (room for long y tick labels)."""
    fig.suptitle(text, x=0.01, ha="left", fontsize=14, fontweight="bold")


def _legend_below(fig: Figure, ax: Axes) -> None:
    """The axes' legend under the chart, in one row if it fits (else two columns)."""
    handles, texts = ax.get_legend_handles_labels()
    if not handles:
        return
    width = sum(sum(2 if has_cjk(ch) else 1 for ch in t) + 6 for t in texts)
    ncols = len(handles) if width <= 130 else min(len(handles), 2)
    fig.legend(handles, texts, loc="outside lower center", ncols=ncols)


def _no_data(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color=GREY, wrap=True)
    ax.set_xticks([])
    ax.set_yticks([])


def _wrap(text: str, width: int = 18) -> str:
    """``text`` in lines of about ``width`` Latin letters: at spaces, or for CJK text
    without spaces every ``width / 2`` characters (each is about two letters wide)."""
    if " " not in text.strip() and has_cjk(text):
        step = max(4, width // 2)
        return "\n".join(text[i : i + step] for i in range(0, len(text), step))
    return "\n".join(textwrap.wrap(text, width, break_long_words=False)) or text


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
        flight = in_flight_summary(replications) if replications is not None else None
        if flight is not None:
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
                        ax.annotate(
                            f"{s:.0%}",
                            (y, v),
                            textcoords="offset points",
                            xytext=(0, 4),
                            ha="center",
                            fontsize=9,
                            color="#9a5412",
                        )
        if last_observed is not None:
            ax.plot(
                [last_observed[0]], [last_observed[1]], "D", color="black", ms=6, label=labels.t("observed")
            )
            years = [last_observed[0], *years]
        ax.set_ylim(bottom=0, top=float(np.nanmax(annual["investment_p90"].to_numpy(dtype=float))) * 1.15)
        _years(ax, years)
        _money(ax)
        _title(fig, labels.t("fan_title") + (f": {labels.chart(name)}" if name else ""))
        ax.set_ylabel(labels.t("investment_axis"))
        _legend_below(fig, ax)
    return fig


def growth_chart(annual: pd.DataFrame, labels: Labels) -> Figure:
    """Growth of annual investment on the year before: median with its P10-P90 band."""
    fig, ax = new_figure(labels)
    with labels.style():
        _title(fig, labels.t("growth_title"))
        data = annual[["year", "growth_p10", "growth_p50", "growth_p90"]].dropna()
        if data.empty:
            _no_data(ax, labels.t("no_growth"))
            return fig
        years = data["year"].astype(int).tolist()
        ax.fill_between(
            years, data["growth_p10"], data["growth_p90"], color=BAND, alpha=0.7, lw=0, label=labels.t("band")
        )
        ax.plot(years, data["growth_p50"], color=BLUE, lw=2.4, marker="o", ms=4, label=labels.t("median"))
        ax.axhline(0, color="black", lw=0.8)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        _years(ax, annual["year"].astype(int).tolist())
        ax.set_ylabel(labels.t("growth_axis"))
        _legend_below(fig, ax)
    return fig


def _stacked_by(
    replications: pd.DataFrame, prefix: str, labels: Labels, title: str, background: bool
) -> Figure:
    cols = [c for c in replications.columns if c.startswith(prefix)]
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
        names = [c if c == "background" else c[len(prefix) :] for c in order]
        labels.register(n for n in names if n != "background")
        for i, (col, name) in enumerate(zip(order, names, strict=True)):
            values = means[col].to_numpy(dtype=float)
            color = "#bdbdbd" if col == "background" else PALETTE[i % len(PALETTE)]
            ax.bar(years, values, bottom=bottom, color=color, width=0.72, label=labels.n(name))
            bottom += values
        _years(ax, years)
        _money(ax)
        _title(fig, title)
        ax.set_ylabel(labels.t("investment_axis"))
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def sector_chart(replications: pd.DataFrame, labels: Labels) -> Figure:
    """Mean annual investment by sector (stacked; plus investment outside the modelled
    projects when there is any): the means add up to the mean total."""
    return _stacked_by(replications, "investment_sector_", labels, labels.t("sector_title"), True)


def source_chart(replications: pd.DataFrame, labels: Labels) -> Figure:
    """Mean annual investment by funding source (stacked) of the modelled projects."""
    return _stacked_by(replications, "investment_source_", labels, labels.t("source_title"), False)


def stages_chart(annual: pd.DataFrame, labels: Labels) -> Figure | None:
    """Projects in each stage just before the end of each year (mean over replications);
    ``None`` for results without the ``in_<stage>_at_year_end_mean`` columns."""
    if not any(f"in_{stage}_at_year_end_mean" in annual.columns for stage in STAGES):
        return None
    fig, ax = new_figure(labels)
    with labels.style():
        years = annual["year"].astype(int).tolist()
        for i, stage in enumerate(STAGES):
            col = f"in_{stage}_at_year_end_mean"
            if col in annual.columns:
                ax.plot(years, annual[col], lw=2.2, marker="o", ms=4, color=PALETTE[i], label=labels.n(stage))
        ax.set_ylim(bottom=0)
        _years(ax, years)
        _title(fig, labels.t("stages_title"))
        ax.set_ylabel(labels.t("projects_axis"))
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def stage_months(replications: pd.DataFrame) -> pd.DataFrame:
    """Per stage: mean months waiting and working, over every replication and year with
    projects finishing the stage (0 where a stage has no such column)."""
    rows = []
    for stage in STAGES:
        row: dict[str, Any] = {"stage": stage}
        for part in ("wait", "work"):
            col = f"{stage}_{part}_months"
            value = replications[col].mean() if col in replications.columns else 0.0
            row[part] = 0.0 if pd.isna(value) else float(value)
        rows.append(row)
    return pd.DataFrame(rows)


def stage_months_chart(replications: pd.DataFrame, labels: Labels) -> Figure | None:
    """Months spent in each stage, waiting (for approval capacity or money) and working,
    as stacked horizontal bars (mean over the horizon); ``None`` for results without the
    ``<stage>_wait_months`` and ``<stage>_work_months`` columns."""
    if not any(c.endswith(("_wait_months", "_work_months")) for c in replications.columns):
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
        _title(fig, labels.t("months_title"))
        _legend_below(fig, ax)
    return fig


def financing_gap_chart(replications: pd.DataFrame, labels: Labels) -> Figure | None:
    """The financing gap (money asked by projects entering financing minus supply, all
    constrained sources) per year: P10-P90 band and P50, with mean supply and demand as
    bars; ``None`` when the results have no ``financing_gap``."""
    if "financing_gap" not in replications.columns:
        return None
    g = replications.groupby("year", sort=True)
    gap = pd.DataFrame({q: g["financing_gap"].quantile(q) for q in (0.1, 0.5, 0.9)})
    supply = g[[c for c in replications.columns if c.startswith("financing_supply_")]].mean().sum(axis=1)
    demand = g[[c for c in replications.columns if c.startswith("financing_demand_")]].mean().sum(axis=1)
    fig, ax = new_figure(labels)
    with labels.style():
        years = gap.index.astype(int).to_numpy()
        ax.bar(years - 0.18, supply.to_numpy(), width=0.36, color="#c6dbef", label=labels.t("supply"))
        ax.bar(years + 0.18, demand.to_numpy(), width=0.36, color="#fdd0a2", label=labels.t("demand"))
        ax.fill_between(years, gap[0.1], gap[0.9], color=RED, alpha=0.15, lw=0, label=labels.t("band"))
        ax.plot(years, gap[0.5], color=RED, lw=2.4, marker="o", ms=4, label=labels.t("gap_p50"))
        ax.axhline(0, color="black", lw=0.8)
        _years(ax, years.tolist())
        _money(ax)
        _title(fig, labels.t("gap_title"))
        ax.set_ylabel(labels.t("investment_axis"))
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def difference_chart(comparison: pd.DataFrame, labels: Labels, base: str, unit: bool = False) -> Figure:
    """Per year, each scenario's mean difference in investment from the base, with its
    95% interval (whiskers) and the P10-P90 of the paired difference (light bar)."""
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
        _years(ax, sorted(set(all_years)))
        _money(ax)
        _title(fig, labels.t("diff_title", base=labels.chart(base)))
        ax.set_ylabel(labels.t("diff_axis") if unit else labels.t("diff_axis_nounit"))
        _legend_below(fig, ax)
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
            ax.errorbar(
                i,
                end,
                yerr=[[value - low], [high - value]],
                fmt="none",
                ecolor="black",
                capsize=4,
                elinewidth=1.2,
            )
            ax.annotate(
                f"{value:+,.1f}", (i, max(start, end)), textcoords="offset points", xytext=(8, 3), fontsize=10
            )
            ax.plot([i + 0.31, i + 0.69], [end, end], color=GREY, lw=0.8, ls=":")
            start = end
            names.append(_wrap(labels.chart(str(policy))))
        k = len(parts)
        ax.bar(k, total, color=BLUE, width=0.62)
        if len(total_rows):
            low, high = total_rows[["ci_low", "ci_high"]].to_numpy(dtype=float)[0]
            ax.errorbar(
                k,
                total,
                yerr=[[total - low], [high - total]],
                fmt="none",
                ecolor="black",
                capsize=4,
                elinewidth=1.2,
            )
        ax.annotate(
            f"{total:+,.1f}", (k, max(0.0, total)), textcoords="offset points", xytext=(8, 3), fontsize=10
        )
        names.append(labels.t("total"))
        ax.set_xticks(range(k + 1), names, fontsize=9 if k > 5 else 10)
        ax.axhline(0, color="black", lw=0.8)
        ax.grid(axis="x", visible=False)
        _money(ax)
        _title(fig, title)
        ax.set_ylabel(labels.t("diff_axis") if unit else labels.t("diff_axis_nounit"))
    return fig


def metric_label(labels: Labels, metric: str) -> str:
    """A metric as shown on a chart: `cumulative_investment:2020:2022` as `cumulative investment 2020–2022`."""
    head, _, rest = metric.partition(":")
    name = labels.name(head)
    return labels.chart(f"{name} {rest.replace(':', '–')}".strip())


def _numeric(values: pd.Series) -> bool:
    return bool(pd.to_numeric(values, errors="coerce").notna().all())


def sweep_line_chart(sweep: pd.DataFrame, param: str, metric: str, labels: Labels) -> Figure:
    """A one-grid sweep: the metric's mean at each value of ``param``, with the 95%
    interval of the mean (band) and the P10-P90 of the replications (dashed)."""
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
        _money(ax)
        ax.set_xlabel(labels.chart(param))
        ax.set_ylabel(metric_label(labels, metric))
        _title(fig, labels.t("sweep_title", metric=metric_label(labels, metric)))
        _legend_below(fig, ax)
    return fig


def sweep_heatmap(sweep: pd.DataFrame, rows: str, cols: str, metric: str, labels: Labels) -> Figure:
    """A two-grid sweep: the metric's mean at every point as a heat map (``rows`` on the
    vertical axis, ``cols`` on the horizontal), each cell labelled with its value. Points
    repeated over further grid columns are averaged."""
    table = sweep.pivot_table(index=rows, columns=cols, values=f"{metric}_mean", aggfunc="mean", sort=True)
    fig, ax = new_figure(labels)
    with labels.style():
        values = table.to_numpy(dtype=float)
        image = ax.imshow(values, cmap="viridis", aspect="auto", origin="lower")
        fig.colorbar(
            image, ax=ax, label=metric_label(labels, metric), format=FuncFormatter(lambda v, _: f"{v:,.0f}")
        )
        finite = values[np.isfinite(values)]
        middle = float(np.mean([finite.min(), finite.max()])) if finite.size else 0.0
        for (i, j), v in np.ndenumerate(values):
            if math.isfinite(v):
                ax.text(
                    j,
                    i,
                    f"{v:,.1f}",
                    ha="center",
                    va="center",
                    fontsize=10,
                    color="white" if v < middle else "black",
                )
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
        _title(fig, labels.t("heatmap_title", metric=metric_label(labels, metric)))
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
            _money(ax, "x")
        ax.set_xlabel(metric_label(labels, metric) if morris else labels.t("index_axis"))
        method = labels.t("morris") if morris else labels.t("sobol")
        _title(fig, labels.t("tornado_title", metric=metric_label(labels, metric), method=method))
        _legend_below(fig, ax)
    return fig
