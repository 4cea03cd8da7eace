"""The report of a results folder: ``report.html``, ``charts/*.png`` and, for a forecast,
``forecast.xlsx``.

:func:`write_report` finds out what kind of folder it is given from the files in it:

- a forecast (``investsim run``: ``annual.csv``, ``replications.csv``, ``manifest.json``):
  fan chart, growth, investment by sector and by funding source, projects in each stage,
  months per stage (waiting and working), the financing gap, the annual figures and the
  key assumptions of the resolved scenario; and ``forecast.xlsx``;
- a comparison (``comparison.csv``, optional ``attribution.csv``): the difference per year
  with its interval, and the attribution waterfall of each scenario;
- a sweep (``sweep.csv``): a line chart (one grid) or a heat map (two or more grids) of the
  first metric's mean;
- a sensitivity analysis (``sensitivity.csv``): a tornado chart.

``report.html`` is one self-contained file: the charts are embedded as PNG data URIs,
the style is inline, and a Content-Security-Policy forbids loading anything else, so it
opens anywhere without network access. Every file is written through a temporary file
renamed into place, so an interrupted rewrite leaves the earlier file whole.
"""

from __future__ import annotations

import base64
import functools
import html
import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

import numpy as np
import pandas as pd

from investsim.errors import InputError
from investsim.reporting.charts import (
    DPI,
    STAGES,
    Labels,
    difference_chart,
    fan_chart,
    financing_gap_chart,
    growth_chart,
    in_flight_summary,
    metric_label,
    png_bytes,
    sector_chart,
    source_chart,
    stage_months_chart,
    stages_chart,
    sweep_heatmap,
    sweep_line_chart,
    tornado_chart,
    waterfall_chart,
)
from investsim.results.folders import write_file_atomic

KINDS = ("run", "compare", "sweep", "sensitivity")
"""Kinds of results folder :func:`write_report` knows."""

WORDS: dict[str, tuple[str, str]] = {
    "run_title": ("Investment forecast: {name}", "固定资产投资预测：{name}"),
    "compare_title": ("Scenario comparison: {others} against {base}", "情景比较：{others} 对比 {base}"),
    "sweep_title": ("Sweep: {name}", "参数扫描：{name}"),
    "sensitivity_title": ("Sensitivity: {name}", "敏感性分析：{name}"),
    "seed": ("seed", "随机种子"),
    "replications": ("replications", "重复次数"),
    "horizon": ("horizon", "预测期"),
    "money_unit": ("money unit", "货币单位"),
    "created": ("created", "生成时间"),
    "version": ("investsim version", "investsim 版本"),
    "command": ("command", "命令"),
    "scenario_file": ("scenario file", "情景文件"),
    "headline": ("Headline figures", "主要数字"),
    "first_year": ("Investment in {year}", "{year} 年投资"),
    "last_year": ("Investment in {year}", "{year} 年投资"),
    "cumulative": ("Total over {y1}–{y2}", "{y1}–{y2} 年累计"),
    "p50_range": ("median; P10 {p10} – P90 {p90}", "中位数；P10 {p10} – P90 {p90}"),
    "pipeline_share": ("Pipeline known at the start", "期初已知项目管道"),
    "pipeline_share_note": (
        "share of {year} investment spent by projects already in the pipeline on 1 January {start} (median)",
        "{year} 年投资中由 {start} 年 1 月 1 日已在管道中的项目完成的比重（中位数）",
    ),
    "charts": ("Charts", "图表"),
    "annual_figures": ("Annual figures", "年度数据"),
    "assumptions": ("Key assumptions", "主要假设"),
    "year": ("year", "年份"),
    "p10": ("P10", "P10"),
    "p50": ("P50", "P50"),
    "p90": ("P90", "P90"),
    "mean": ("mean", "均值"),
    "growth_p50": ("growth P50", "增速 P50"),
    "growth_band": ("growth P10 – P90", "增速 P10 – P90"),
    "in_flight_p50": ("start pipeline P50 (share)", "期初管道 P50（比重）"),
    "starts": ("starts", "开工"),
    "completions": ("completions", "竣工"),
    "arrivals": ("new projects", "新增项目"),
    "gap_p50": ("financing gap P50", "融资缺口 P50"),
    "money_note": ("Money in {unit}.", "金额单位：{unit}。"),
    "sectors": ("Sectors", "行业"),
    "sector": ("sector", "行业"),
    "arrivals_rate": ("new projects a year", "年新增项目"),
    "rate_growth": ("yearly growth of the rate", "年增长率"),
    "mean_size": ("mean size ({unit})", "平均规模（{unit}）"),
    "approval_months": ("approval (months)", "审批（月）"),
    "land_months": ("land (months)", "用地（月）"),
    "dispute": ("land dispute", "征地纠纷"),
    "construction_months": ("construction (months)", "建设（月）"),
    "overrun": ("cost overrun (mean)", "超支系数（均值）"),
    "funding": ("funding shares", "资金来源构成"),
    "months_note": (
        "Durations are means of the scenario's distributions, in months; the distribution is "
        "given below each mean.",
        "工期为情景分布的均值（月），其下为分布形式。",
    ),
    "resources": ("Resources", "资源"),
    "approval_capacity": ("approvals handled at once", "同时办理审批数"),
    "service_secretaries": ("service secretaries", "项目服务秘书"),
    "secretary_effect": ("secretary effect on approval and land months", "服务秘书对审批、用地工期的系数"),
    "land_budget": ("land compensation budget a year ({unit})", "年度征地补偿资金（{unit}）"),
    "land_cost_share": ("share of cost spent on land", "用地费用占比"),
    "key_threshold": ("key-project threshold ({unit})", "重点项目门槛（{unit}）"),
    "unlimited": ("unlimited", "不限"),
    "financing": ("Financing", "融资"),
    "source": ("source", "资金来源"),
    "supply": ("supply a year ({unit})", "年供给（{unit}）"),
    "supply_growth": ("yearly growth", "年增长率"),
    "debt_ceiling": ("debt ceiling ({unit})", "债务上限（{unit}）"),
    "repayment_years": ("repayment years", "偿还年限"),
    "max_wait": ("longest wait for funds (months)", "资金最长等待（月）"),
    "priority": ("priority", "分配顺序"),
    "guarantee_pool": ("loan guarantee pool", "贷款担保池"),
    "pool_text": (
        "capital {capital} × leverage {leverage} for {sectors}",
        "资本金 {capital} × 放大倍数 {leverage}，适用于 {sectors}",
    ),
    "unconstrained": (
        "Sources not listed (e.g. own funds) are unconstrained.",
        "未列出的来源（如自有资金）不受限。",
    ),
    "policies": ("Policies", "政策"),
    "policy": ("policy", "政策"),
    "from": ("from", "起始时间"),
    "sets": ("changes", "调整内容"),
    "no_policies": ("No timed policies: current policies throughout.", "无定时政策：全程维持现行政策。"),
    "other": ("Other", "其他"),
    "background": ("investment outside the modelled projects", "模型外投资"),
    "background_text": ("{level} in the first year, growth {growth}", "首年 {level}，增速 {growth}"),
    "none": ("none", "无"),
    "last_observed": ("last observed investment", "上年实际投资"),
    "warmup": ("warm-up years before the start", "预热年数"),
    "in_flight_file": ("projects in flight at the start", "期初在建及储备项目"),
    "files": ("Files", "文件"),
    "files_text": (
        "Beside this report: {files}. The charts are also in charts/ as PNG files ({px} pixels).",
        "本报告旁：{files}。图表另存于 charts/（PNG，{px} 像素）。",
    ),
    "generated": ("Generated by investsim {version}.", "由 investsim {version} 生成。"),
    # chart captions
    "cap_fan": (
        "Money spent in each calendar year: the band holds 80% of the replications (P10 to P90), "
        "the line is the median. The orange area is what projects already in the pipeline at the "
        "start spend, with its share of each year's total.",
        "各年实际完成投资：带状区间覆盖 80% 的模拟（P10 至 P90），实线为中位数。"
        "橙色部分为期初已在管道中的项目所完成的投资及其占当年比重。",
    ),
    "cap_growth": (
        "Growth on the year before, computed per replication and then summarised.",
        "同比增速：先按每次模拟计算，再汇总。",
    ),
    "cap_sector": (
        "Mean investment by sector; the parts add up to the mean total.",
        "分行业投资均值，各部分之和为总投资均值。",
    ),
    "cap_source": (
        "Mean investment of the modelled projects by funding source.",
        "模型内项目按资金来源划分的投资均值。",
    ),
    "cap_stages": (
        "Projects in each stage just before midnight on 31 December (mean over replications).",
        "12 月 31 日末各阶段在办项目数（模拟均值）。",
    ),
    "cap_months": (
        "Mean months of the projects finishing each stage: waiting for approval capacity or money, "
        "and working.",
        "完成各阶段的项目平均耗时：等待（审批能力或资金）与办理。",
    ),
    "cap_gap": (
        "Money asked by projects entering financing minus the supply of the constrained sources. "
        "Above zero, projects wait or are cancelled.",
        "进入融资阶段的项目资金需求减受限来源供给。大于零时项目需等待或被取消。",
    ),
    # compare
    "base": ("base", "基准"),
    "scenario": ("scenario", "情景"),
    "pairing": ("pairing", "配对"),
    "window": ("window", "时段"),
    "difference": ("difference (95% interval)", "差异（95% 置信区间）"),
    "total_diff": ("over the horizon", "整个预测期"),
    "window_diff": ("{period}", "{period}"),
    "prob_higher": ("P(other higher)", "高于基准的概率"),
    "years_excluding": ("years whose interval excludes 0", "置信区间不含 0 的年份"),
    "cap_diff": (
        "Bars: mean difference of each year's investment from the base; whiskers: its 95% interval; "
        "grey ticks: P10 and P90 of the replication-by-replication difference.",
        "柱：各年投资与基准之差的均值；须线：95% 置信区间；灰色刻度：逐次模拟差异的 P10 与 P90。",
    ),
    "cap_waterfall": (
        "Shapley split of the difference across the scenario's policies ({method}); whiskers: 95% "
        "intervals. The parts add up to the total.",
        "按 Shapley 值把差异分解到各项政策（{method}）；须线：95% 置信区间。各部分之和等于合计。",
    ),
    "per_year": ("Difference per year: {scenario}", "逐年差异：{scenario}"),
    "attribution": ("By policy and stage: {scenario}, {period}", "按政策与阶段：{scenario}，{period}"),
    "base_mean": ("base mean", "基准均值"),
    "other_mean": ("scenario mean", "情景均值"),
    # sweep
    "grid": ("grid", "网格"),
    "points": ("points", "网格点"),
    "metric": ("metric", "指标"),
    "rank": ("rank", "排名"),
    "ci": ("95% interval", "95% 置信区间"),
    "ranked_points": ("Points ranked by {metric}", "按 {metric} 排序的网格点"),
    "cap_sweep_line": (
        "Mean of {metric} at each value (line), the 95% interval of the mean (band) and the P10–P90 of "
        "the replications (dashed). Every point uses the same random numbers.",
        "各取值下 {metric} 的均值（线）、均值的 95% 置信区间（带）和模拟的 P10–P90（虚线）。各点使用相同随机数。",
    ),
    "cap_heatmap": (
        "Mean of {metric} at every grid point. Every point uses the same random numbers.",
        "各网格点 {metric} 的均值。各点使用相同随机数。",
    ),
    "cap_heatmap_more": (" Averaged over {others}.", " 已对 {others} 取平均。"),
    # sensitivity
    "method": ("method", "方法"),
    "samples": ("samples", "样本"),
    "parameter_sets": ("parameter sets", "参数组"),
    "per_set": ("replications per set", "每组重复次数"),
    "parameter": ("parameter", "参数"),
    "range": ("range", "范围"),
    "ranking": ("Ranking", "排序"),
    "cap_tornado_morris": (
        "Morris elementary effects: mu* (bar, with its 95% bootstrap interval) is how much the "
        "metric moves over the parameter's range; sigma (diamond) shows interactions or a "
        "non-linear effect.",
        "Morris 基本效应：μ*（条，含 95% 自助置信区间）表示参数在其范围内变动时指标的变化幅度；σ（菱形）反映交互作用或非线性。",
    ),
    "cap_tornado_sobol": (
        "Sobol indices: ST (bar) is the share of the metric's variance the parameter is involved in, "
        "S1 (inner bar) the share it explains alone.",
        "Sobol 指数：ST（条）为参数参与解释的方差比重，S1（内条）为其单独解释的比重。",
    ),
    # excel
    "sheet_annual": ("Annual summary", "年度汇总"),
    "sheet_sector": ("By sector", "分行业"),
    "sheet_source": ("By source", "分资金来源"),
    "sheet_stages": ("Stage statistics", "阶段统计"),
    "sheet_parameters": ("Scenario parameters", "情景参数"),
    "sheet_run": ("Run", "运行信息"),
    "key": ("key", "键"),
    "value": ("value", "值"),
}


def _w(labels: Labels, key: str, **values: Any) -> str:
    en, zh = WORDS[key]
    return (zh if labels.zh else en).format(unit=labels.unit, **values)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


# ---------------------------------------------------------------- files


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file beside it."""
    write_file_atomic(path, lambda tmp: tmp.write_bytes(data))


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / "manifest.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise InputError(f"manifest.json can't be read: {e}", file=str(folder)) from None
    return data if isinstance(data, dict) else {}


def detect_kind(folder: Path) -> str:
    """The kind of results folder (one of :data:`KINDS`), from the files in it; an
    ``InputError`` for a folder that is none of them."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("is not a folder", file=str(folder))
    if (folder / "comparison.csv").is_file():
        return "compare"
    if (folder / "sweep.csv").is_file():
        return "sweep"
    if (folder / "sensitivity.csv").is_file():
        return "sensitivity"
    if (folder / "annual.csv").is_file() and (folder / "replications.csv").is_file():
        return "run"
    if (folder / "fit.csv").is_file():
        raise InputError(
            "is a calibration folder: it has no report (see fit.csv and parameters.csv)", file=str(folder)
        )
    raise InputError(
        "is not a results folder investsim can report on: expected annual.csv and replications.csv "
        "(run), comparison.csv (compare), sweep.csv (sweep) or sensitivity.csv (sensitivity)",
        file=str(folder),
    )


@dataclass
class _Chart:
    name: str
    title: str
    caption: str
    png: bytes


_Built = tuple[str, list[_Chart], Callable[[Path], Path] | None]
"""A report built in memory: the page, its charts, and what writes its workbook (if any)."""


def _chart(name: str, title: str, caption: str, make: Callable[[], Any], labels: Labels) -> _Chart | None:
    fig = make()
    if fig is None:
        return None
    return _Chart(name, title, caption, png_bytes(fig, labels))


def _write_charts(folder: Path, charts: Sequence[_Chart]) -> list[Path]:
    out = folder / "charts"
    out.mkdir(exist_ok=True)
    written = []
    for c in charts:
        path = out / f"{c.name}.png"
        _write_atomic(path, c.png)
        written.append(path)
    # charts of an earlier report that this one no longer has
    for old in out.glob("*.png"):
        if old not in written:
            old.unlink(missing_ok=True)
    return written


# ---------------------------------------------------------------- html

CSS = """
:root { --ink: #1d2733; --muted: #5f6b7a; --line: #dfe3e8; --accent: #1f4e79; --soft: #f4f6f9; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.5;
  font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC", "Source Han Sans SC",
    "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 28px 24px 48px; }
h1 { font-size: 1.7rem; margin: 0 0 6px; color: var(--accent); }
h2 { font-size: 1.25rem; margin: 36px 0 12px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 1.05rem; margin: 22px 0 8px; }
p.desc { margin: 0 0 12px; color: var(--muted); max-width: 80ch; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 10px 0 0;
  font-size: .9rem; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(230px, 1fr)); gap: 12px; }
.card { background: var(--soft); border-radius: 8px; padding: 12px 14px; }
.card .label { font-size: .85rem; color: var(--muted); }
.card .value { font-size: 1.5rem; font-weight: 700; color: var(--accent); }
.card .note { font-size: .8rem; color: var(--muted); }
figure { margin: 18px 0 26px; }
figure img { display: block; width: 100%; max-width: 1000px; height: auto; border: 1px solid var(--line);
  border-radius: 4px; }
figcaption { font-size: .88rem; color: var(--muted); margin-top: 6px; max-width: 1000px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: .88rem; margin: 6px 0 10px; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th { background: var(--soft); font-weight: 600; position: sticky; top: 0; }
td.l, th.l { text-align: left; white-space: normal; }
td.l:first-child { white-space: nowrap; }
td small, .small { color: var(--muted); font-size: .78rem; display: block; white-space: normal; min-width: 8em; }
p.note { font-size: .85rem; color: var(--muted); }
footer { margin-top: 40px; font-size: .8rem; color: var(--muted); }
@media print { h2 { break-after: avoid; } figure { break-inside: avoid; } }
"""

PAGE = Template(
    """<!DOCTYPE html>
<html lang="$lang">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="generator" content="investsim $version">
<title>$title</title>
<style>$css</style>
</head>
<body>
<main>
<header>
<h1>$title</h1>
$description
$meta
</header>
$body
<footer>$footer</footer>
</main>
</body>
</html>
"""
)


def _page(
    labels: Labels, title: str, description: str, meta: Sequence[tuple[str, str]], body: str, version: str
) -> str:
    desc = f'<p class="desc">{_e(description)}</p>' if description else ""
    items = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in meta if v not in ("", None))
    return PAGE.substitute(
        lang="zh-CN" if labels.zh else "en",
        version=_e(version),
        title=_e(title),
        css=CSS,
        description=desc,
        meta=f'<dl class="meta">{items}</dl>' if items else "",
        body=body,
        footer=_e(_w(labels, "generated", version=version)),
    )


def _figure(chart: _Chart) -> str:
    data = base64.b64encode(chart.png).decode("ascii")
    return (
        f'<figure id="chart-{_e(chart.name)}">'
        f'<img src="data:image/png;base64,{data}" alt="{_e(chart.title)}" width="1000" height="560" '
        f'data-chart="{_e(chart.name)}">'
        f"<figcaption>{_e(chart.caption)}</figcaption></figure>"
    )


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], left: int = 1) -> str:
    """An HTML table; cells are HTML already (escape them with :func:`_e`); the first
    ``left`` columns are left-aligned."""

    def cls(i: int) -> str:
        return ' class="l"' if i < left else ""

    head = "".join(f"<th{cls(i)}>{_e(h)}</th>" for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(f"<td{cls(i)}>{c}</td>" for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _num(value: Any, digits: int = 1, sign: bool = False) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return _e(value) if value is not None else ""
    if not math.isfinite(v):
        return ""
    return f"{v:{'+' if sign else ''},.{digits}f}"


def _pct(value: Any, digits: int = 1, sign: bool = True) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return ""
    return f"{v:{'+' if sign else ''}.{digits}%}" if math.isfinite(v) else ""


def _g(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10000 else str(value)
    return str(value)


# ---------------------------------------------------------------- scenario assumptions


def _distribution(spec: Any) -> Any:
    from pydantic import TypeAdapter

    from investsim.scenario.distributions import Distribution

    return TypeAdapter(Distribution).validate_python(spec)


def dist_mean(spec: Any) -> float | None:
    """The mean of a distribution as written in a scenario (``{dist: ..., ...}``), or of an
    approval given as sub-steps (``{mode: serial|parallel, steps: {...}}``: the sum of the
    steps' means, or the mean of their maximum, estimated from 20,000 fixed draws);
    ``None`` if it can't be read."""
    if not isinstance(spec, dict):
        return None
    try:
        if "dist" in spec:
            return float(_distribution(spec).mean)
        steps = [_distribution(s) for s in (spec.get("steps") or {}).values()]
        if not steps:
            return None
        if spec.get("mode") == "serial":
            return float(sum(s.mean for s in steps))
        u = np.random.default_rng(0).random((len(steps), 20_000))
        return float(np.max([s.ppf(u[i]) for i, s in enumerate(steps)], axis=0).mean())
    except Exception:  # a distribution this version can't read: show it without a mean
        return None


def dist_text(spec: Any) -> str:
    """A short description of a distribution (``lognormal: median 9, p90 15``) or of
    approval sub-steps (``parallel: 4 steps``)."""
    if not isinstance(spec, dict):
        return "" if spec is None else str(spec)
    if "dist" in spec:
        rest = ", ".join(f"{k} {_g(v)}" for k, v in spec.items() if k != "dist")
        return f"{spec['dist']}: {rest}" if rest else str(spec["dist"])
    steps = spec.get("steps") or {}
    return f"{spec.get('mode', '')}: {', '.join(map(str, steps))}"


def _dist_cell(spec: Any, digits: int = 1) -> str:
    mean = dist_mean(spec)
    if mean is None:
        return _e(dist_text(spec))
    return f"{_num(mean, digits)}<small>{_e(dist_text(spec))}</small>"


def _assumptions(scn: dict[str, Any], labels: Labels) -> str:
    parts = [f"<h2>{_e(_w(labels, 'assumptions'))}</h2>"]
    # sectors
    rows = []
    for name, s in (scn.get("sectors") or {}).items():
        arrivals = s.get("arrivals") or {}
        dispute = s.get("land_dispute")
        dispute_text = (
            f"{_pct(dispute.get('probability'), 0, False)}<small>{_e(dist_text(dispute.get('delay')))}</small>"
            if isinstance(dispute, dict)
            else _e(_w(labels, "none"))
        )
        funding = ", ".join(f"{labels.name(k)} {v:.0%}" for k, v in (s.get("funding") or {}).items())
        rows.append(
            [
                _e(labels.name(name)),
                _num(arrivals.get("rate"), 1),
                _pct(arrivals.get("growth"), 1),
                _dist_cell(s.get("size"), 2),
                _dist_cell(s.get("approval")),
                _dist_cell(s.get("land")),
                dispute_text,
                _dist_cell(s.get("construction")),
                _dist_cell(s.get("overrun"), 2) if s.get("overrun") else _e(_w(labels, "none")),
                _e(funding),
            ]
        )
    if rows:
        parts.append(f"<h3>{_e(_w(labels, 'sectors'))}</h3>")
        heads = [
            "sector",
            "arrivals_rate",
            "rate_growth",
            "mean_size",
            "approval_months",
            "land_months",
            "dispute",
            "construction_months",
            "overrun",
            "funding",
        ]
        parts.append(_table([_w(labels, h) for h in heads], rows))
        parts.append(f'<p class="note">{_e(_w(labels, "months_note"))}</p>')
    # resources
    res = scn.get("resources") or {}
    unlimited = _w(labels, "unlimited")
    items = [
        ("approval_capacity", _g(res.get("approval_capacity")) or unlimited),
        ("service_secretaries", _g(res.get("service_secretaries"))),
        ("secretary_effect", _g(res.get("secretary_effect"))),
        ("land_budget", _g(res.get("land_budget")) or unlimited),
        ("land_cost_share", _pct(res.get("land_cost_share"), 0, False)),
        ("key_threshold", _g(scn.get("key_project_threshold"))),
    ]
    parts.append(f"<h3>{_e(_w(labels, 'resources'))}</h3>")
    parts.append(
        _table([_w(labels, "parameter"), _w(labels, "value")], [[_e(_w(labels, k)), _e(v)] for k, v in items])
    )
    # financing
    fin = scn.get("financing") or {}
    parts.append(f"<h3>{_e(_w(labels, 'financing'))}</h3>")
    src_rows = [
        [
            _e(labels.name(name)),
            _num(s.get("supply"), 1),
            _pct(s.get("growth"), 1),
            _num(s.get("debt_ceiling"), 1) if s.get("debt_ceiling") is not None else "",
            _g(s.get("repayment_years")),
        ]
        for name, s in (fin.get("sources") or {}).items()
    ]
    if src_rows:
        heads = ["source", "supply", "supply_growth", "debt_ceiling", "repayment_years"]
        parts.append(_table([_w(labels, h) for h in heads], src_rows))
    pool = fin.get("guarantee_pool")
    pool_text = (
        _w(
            labels,
            "pool_text",
            capital=_g(pool.get("capital")),
            leverage=_g(pool.get("leverage")),
            sectors=", ".join(labels.name(s) for s in pool.get("sectors") or []),
        )
        if isinstance(pool, dict)
        else _w(labels, "none")
    )
    fin_items = [
        ("max_wait", _g(fin.get("max_wait")) or unlimited),
        ("priority", _g(fin.get("priority"))),
        ("guarantee_pool", pool_text),
    ]
    parts.append(
        _table(
            [_w(labels, "parameter"), _w(labels, "value")], [[_e(_w(labels, k)), _e(v)] for k, v in fin_items]
        )
    )
    parts.append(f'<p class="note">{_e(_w(labels, "unconstrained"))}</p>')
    # policies
    parts.append(f"<h3>{_e(_w(labels, 'policies'))}</h3>")
    policies = scn.get("policies") or []
    if policies:
        prow = []
        for p in policies:
            changes = "<br>".join(
                f"{_e(k)} = {_e(json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else _g(v))}"
                for k, v in (p.get("set") or {}).items()
            )
            prow.append([_e(p.get("name", "")), _e(p.get("from", "")), changes])
        parts.append(_table([_w(labels, "policy"), _w(labels, "from"), _w(labels, "sets")], prow, left=3))
    else:
        parts.append(f"<p>{_e(_w(labels, 'no_policies'))}</p>")
    # other
    bg = scn.get("background")
    last = scn.get("last_observed")
    other = [
        (
            "background",
            _w(labels, "background_text", level=_g(bg.get("level")), growth=dist_text(bg.get("growth")))
            if isinstance(bg, dict)
            else _w(labels, "none"),
        ),
        (
            "last_observed",
            f"{last.get('year')}: {_g(last.get('investment'))}"
            if isinstance(last, dict)
            else _w(labels, "none"),
        ),
        ("warmup", _g(scn.get("warmup_years"))),
        ("in_flight_file", Path(str(scn["projects"])).name if scn.get("projects") else _w(labels, "none")),
    ]
    parts.append(f"<h3>{_e(_w(labels, 'other'))}</h3>")
    parts.append(
        _table(
            [_w(labels, "parameter"), _w(labels, "value")],
            [[_e(_w(labels, k)), _e(v)] for k, v in other],
            left=2,
        )
    )
    return "\n".join(parts)


# ---------------------------------------------------------------- run folders


def _run_meta(manifest: dict[str, Any], scn: dict[str, Any], labels: Labels) -> list[tuple[str, str]]:
    start = manifest.get("start_year", scn.get("start_year"))
    horizon = manifest.get("horizon_years", scn.get("horizon_years"))
    span = f"{start}–{int(start) + int(horizon) - 1}" if start is not None and horizon is not None else ""
    return [
        (_w(labels, "seed"), _g(manifest.get("seed", scn.get("seed")))),
        (_w(labels, "replications"), _g(manifest.get("replications", scn.get("replications")))),
        (_w(labels, "horizon"), span),
        (_w(labels, "money_unit"), labels.unit),
        (_w(labels, "scenario_file"), _g(manifest.get("scenario_file"))),
        (_w(labels, "created"), _g(manifest.get("created"))),
        (_w(labels, "command"), " ".join(map(str, manifest.get("command") or []))),
    ]


def _cards(annual: pd.DataFrame, replications: pd.DataFrame, labels: Labels, start: int | None) -> str:
    def card(label: str, value: str, note: str) -> str:
        return (
            f'<div class="card"><div class="label">{_e(label)}</div><div class="value">{_e(value)}</div>'
            f'<div class="note">{_e(note)}</div></div>'
        )

    first, last = annual.iloc[0], annual.iloc[-1]
    out = []
    for key, row in (("first_year", first), ("last_year", last))[: 1 if len(annual) == 1 else 2]:
        out.append(
            card(
                _w(labels, key, year=int(row["year"])),
                f"{_num(row['investment_p50'])} {labels.unit}",
                _w(labels, "p50_range", p10=_num(row["investment_p10"]), p90=_num(row["investment_p90"])),
            )
        )
    total = replications.groupby("replication")["investment"].sum()
    y1, y2 = (int(y) for y in annual["year"].to_numpy()[[0, -1]])
    out.append(
        card(
            _w(labels, "cumulative", y1=y1, y2=y2),
            f"{_num(total.quantile(0.5), 0)} {labels.unit}",
            _w(labels, "p50_range", p10=_num(total.quantile(0.1), 0), p90=_num(total.quantile(0.9), 0)),
        )
    )
    flight = in_flight_summary(replications)
    if flight is not None and len(flight):
        out.append(
            card(
                _w(labels, "pipeline_share"),
                _pct(flight["share_p50"].iloc[0], 0, False),
                _w(labels, "pipeline_share_note", year=y1, start=start if start is not None else y1),
            )
        )
    return f'<h2>{_e(_w(labels, "headline"))}</h2><div class="cards">{"".join(out)}</div>'


def _annual_table(annual: pd.DataFrame, replications: pd.DataFrame, labels: Labels) -> str:
    flight = in_flight_summary(replications)
    flight_by_year = (
        {}
        if flight is None
        else {int(y): r for y, r in zip(flight["year"], flight.itertuples(index=False), strict=True)}
    )
    gap = (
        replications.groupby("year")["financing_gap"].quantile(0.5).to_dict()
        if "financing_gap" in replications.columns
        else None
    )
    heads = [
        "year",
        "p10",
        "p50",
        "p90",
        "mean",
        "growth_p50",
        "growth_band",
        "in_flight_p50",
        "arrivals",
        "starts",
        "completions",
    ]
    if gap is not None:
        heads.append("gap_p50")
    rows = []
    for r in annual.to_dict("records"):
        year = int(r["year"])
        band = (
            f"{_pct(r['growth_p10'])} – {_pct(r['growth_p90'])}"
            if math.isfinite(float(r["growth_p10"])) and math.isfinite(float(r["growth_p90"]))
            else ""
        )
        f = flight_by_year.get(year)
        flight_text = f"{_num(f.in_flight_p50)} ({_pct(f.share_p50, 0, False)})" if f is not None else ""
        row = [
            str(year),
            _num(r["investment_p10"]),
            _num(r["investment_p50"]),
            _num(r["investment_p90"]),
            _num(r["investment_mean"]),
            _pct(r["growth_p50"]),
            band,
            flight_text,
            _num(r.get("arrivals_mean")),
            _num(r.get("starts_mean")),
            _num(r.get("completions_mean")),
        ]
        if gap is not None:
            row.append(_num(gap.get(year), 1, sign=True))
        rows.append(row)
    note = f'<p class="note">{_e(_w(labels, "money_note"))}</p>'
    return f"<h2>{_e(_w(labels, 'annual_figures'))}</h2>{_table([_w(labels, h) for h in heads], rows)}{note}"


def _run_report(folder: Path, labels_for: Callable[[str], Labels]) -> _Built:
    manifest = _read_manifest(folder)
    scn: dict[str, Any] = manifest.get("resolved_scenario") or {}
    labels = labels_for(str(manifest.get("money_unit") or scn.get("money_unit") or "亿元"))
    annual = pd.read_csv(folder / "annual.csv")
    replications = pd.read_csv(folder / "replications.csv")
    labels.register(
        c.split("_", 2)[2]
        for c in replications.columns
        if c.startswith(("investment_sector_", "investment_source_"))
    )
    name = str(manifest.get("scenario") or scn.get("name") or folder.name)
    last = scn.get("last_observed")
    last_observed = (int(last["year"]), float(last["investment"])) if isinstance(last, dict) else None
    t = labels.text
    specs: list[tuple[str, str, str, Callable[[], Any]]] = [
        (
            "fan",
            t("fan_title"),
            _w(labels, "cap_fan"),
            lambda: fan_chart(annual, replications, labels, last_observed, name),
        ),
        ("growth", t("growth_title"), _w(labels, "cap_growth"), lambda: growth_chart(annual, labels)),
        (
            "by_sector",
            t("sector_title"),
            _w(labels, "cap_sector"),
            lambda: sector_chart(replications, labels),
        ),
        (
            "by_source",
            t("source_title"),
            _w(labels, "cap_source"),
            lambda: source_chart(replications, labels),
        ),
        ("stages", t("stages_title"), _w(labels, "cap_stages"), lambda: stages_chart(annual, labels)),
        (
            "stage_months",
            t("months_title"),
            _w(labels, "cap_months"),
            lambda: stage_months_chart(replications, labels),
        ),
        (
            "financing_gap",
            t("gap_title"),
            _w(labels, "cap_gap"),
            lambda: financing_gap_chart(replications, labels),
        ),
    ]
    charts = [c for c in (_chart(n, ti, ca, mk, labels) for n, ti, ca, mk in specs) if c is not None]
    start = manifest.get("start_year", scn.get("start_year"))
    body = [
        _cards(annual, replications, labels, int(start) if start is not None else None),
        f"<h2>{_e(_w(labels, 'charts'))}</h2>",
        *(_figure(c) for c in charts),
        _annual_table(annual, replications, labels),
        _assumptions(scn, labels) if scn else "",
        f"<h2>{_e(_w(labels, 'files'))}</h2><p>"
        + _e(
            _w(
                labels,
                "files_text",
                files="annual.csv, replications.csv, forecast.xlsx, manifest.json",
                px=f"{int(10 * DPI)} × {int(5.6 * DPI)}",
            )
        )
        + "</p>",
    ]
    page = _page(
        labels,
        _w(labels, "run_title", name=name),
        str(scn.get("description") or ""),
        _run_meta(manifest, scn, labels),
        "\n".join(body),
        str(manifest.get("investsim_version") or _version()),
    )

    def excel(target: Path) -> Path:
        return write_workbook(target, annual, replications, manifest, labels)

    return page, charts, excel


# ---------------------------------------------------------------- excel


MONEY_FMT = "#,##0.00"
COUNT_FMT = "#,##0.0"
PCT_FMT = "0.0%"
MONTHS_FMT = "0.0"
YEAR_FMT = "0"


@dataclass
class Column:
    """A column of a worksheet: its key (the CSV column name), heading and number format."""

    key: str
    label: str
    fmt: str


def flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Nested mappings and lists as ``(dotted.key, value)`` pairs: mappings by key, lists
    of mappings by index, lists of plain values kept whole (as JSON text)."""
    if isinstance(value, dict):
        if not value:
            return [(prefix, "{}")] if prefix else []
        out: list[tuple[str, Any]] = []
        for k, v in value.items():
            out += flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    if isinstance(value, list):
        if any(isinstance(v, dict | list) for v in value):
            out = []
            for i, v in enumerate(value):
                out += flatten(v, f"{prefix}.{i}")
            return out
        return [(prefix, json.dumps(value, ensure_ascii=False))]
    return [(prefix, value)]


def _cell_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool | str | int):
        return value
    if isinstance(value, np.integer):
        return int(value)
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    return v if math.isfinite(v) else None


def _text_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _sheet(wb: Any, title: str, frame: pd.DataFrame, columns: Sequence[Column], key_row: bool = True) -> None:
    """A worksheet: a row of headings, a row of column keys (when ``key_row``), frozen,
    then ``frame``'s rows with number formats and fitted column widths."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    head_font = Font(bold=True)
    fill = PatternFill("solid", fgColor="E8EEF5")
    ws.append([c.label for c in columns])
    for cell in ws[1]:
        cell.font = head_font
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    if key_row:
        ws.append([c.key for c in columns])
        for cell in ws[2]:
            cell.font = Font(italic=True, color="7F7F7F", size=9)
            cell.fill = fill
    first = 3 if key_row else 2
    for record in frame.itertuples(index=False):
        ws.append([_cell_value(v) for v in record])
    lines = 1
    for j, col in enumerate(columns, start=1):
        letter = get_column_letter(j)
        for row in ws.iter_rows(min_row=first, min_col=j, max_col=j):
            row[0].number_format = col.fmt
        if col.fmt in ("@", "General"):  # text: as wide as the longest value, within limits
            values = [str(v) for v in frame.iloc[:, j - 1].head(500)] if len(frame) else []
            width: float = min(max([_text_width(col.label), *(_text_width(v) for v in values)]) + 2, 70)
        else:  # numbers: room for the key (small type) and about half the heading (it wraps)
            width = min(max(len(col.key) * 0.85, _text_width(col.label) * 0.6, 10) + 2, 40)
        ws.column_dimensions[letter].width = float(width)
        lines = max(lines, math.ceil(_text_width(col.label) / max(width - 2, 1)))
    ws.row_dimensions[1].height = 15.0 * lines
    ws.freeze_panes = ws.cell(row=first, column=2 if key_row else 1)


def _fmt_of(key: str) -> str:
    if key == "year":
        return YEAR_FMT
    if key.startswith("growth") or key.endswith(("utilisation_mean", "share_p50")):
        return PCT_FMT
    if "months" in key:
        return MONTHS_FMT
    if key.startswith(("investment", "financing_", "land_budget", "started_investment")):
        return MONEY_FMT
    if key == "replications":
        return "0"
    return COUNT_FMT


def _column_label(key: str, labels: Labels) -> str:
    """A readable heading for an annual.csv column (or one computed alike)."""
    zh = labels.zh
    unit = labels.unit
    stat = ""
    base = key
    for suffix in ("_mean", "_p10", "_p50", "_p90"):
        if key.endswith(suffix):
            base, stat = key[: -len(suffix)], suffix[1:]
            break
    stat_text = {"mean": "均值" if zh else "mean", "p10": "P10", "p50": "P50", "p90": "P90", "": ""}[stat]
    names = {
        "year": ("year", "年份"),
        "investment": (f"investment ({unit})", f"投资（{unit}）"),
        "growth": ("growth", "增速"),
        "starts": ("starts", "开工项目"),
        "completions": ("completions", "竣工项目"),
        "arrivals": ("new projects", "新增项目"),
        "investment_projects": (f"modelled projects ({unit})", f"模型内项目（{unit}）"),
        "investment_background": (f"outside the modelled projects ({unit})", f"模型外投资（{unit}）"),
        "investment_in_flight": (f"start pipeline ({unit})", f"期初管道（{unit}）"),
        "in_flight_share": ("start pipeline share", "期初管道占比"),
        "started_investment": (f"investment of projects starting ({unit})", f"新开工项目总投资（{unit}）"),
        "financing_gap": (f"financing gap ({unit})", f"融资缺口（{unit}）"),
        "approval_utilisation": ("approval capacity in use", "审批能力利用率"),
        "secretary_utilisation": ("secretaries in use", "服务秘书利用率"),
        "land_budget_supply": (f"land budget supply ({unit})", f"征地资金供给（{unit}）"),
        "land_budget_demand": (f"land budget demand ({unit})", f"征地资金需求（{unit}）"),
        "replications": ("replications", "重复次数"),
    }
    if base in names:
        text = names[base][1 if zh else 0]
    else:
        m = re.match(r"^(investment_sector_|investment_source_)(.+)$", base)
        m2 = re.match(r"^financing_(supply|demand|committed)_(.+)$", base)
        m3 = re.match(r"^in_(\w+)_at_year_end$", base)
        m4 = re.match(r"^(approval|land|financing|construction)_(entering|wait_months|work_months)$", base)
        m5 = re.match(r"^cancelled_(\w+)$", base)
        if m:
            text = f"{labels.name(m.group(2))} ({unit})" if not zh else f"{labels.name(m.group(2))}（{unit}）"
        elif m2:
            what = {
                "supply": ("supply", "供给"),
                "demand": ("demand", "需求"),
                "committed": ("committed", "已落实"),
            }[m2.group(1)]
            text = f"{labels.name(m2.group(2))} {what[1 if zh else 0]}"
        elif m3:
            text = (
                f"{labels.name(m3.group(1))}：年末在办"
                if zh
                else f"in {labels.name(m3.group(1))} at year end"
            )
        elif m4:
            what = {
                "entering": ("entering", "进入"),
                "wait_months": ("months waiting", "等待月数"),
                "work_months": ("months working", "办理月数"),
            }[m4.group(2)]
            text = (
                f"{labels.name(m4.group(1))}：{what[1]}" if zh else f"{labels.name(m4.group(1))}: {what[0]}"
            )
        elif m5:
            text = f"{labels.name(m5.group(1))}：取消" if zh else f"cancelled in {labels.name(m5.group(1))}"
        else:
            text = base.replace("_", " ")
    return f"{text} {stat_text}".strip()


def _annual_columns(
    annual: pd.DataFrame, keys: Sequence[str], labels: Labels
) -> tuple[pd.DataFrame, list[Column]]:
    present = [k for k in keys if k in annual.columns]
    return annual[present], [Column(k, _column_label(k, labels), _fmt_of(k)) for k in present]


def write_workbook(
    target: Path, annual: pd.DataFrame, replications: pd.DataFrame, manifest: dict[str, Any], labels: Labels
) -> Path:
    """Write ``forecast.xlsx``: annual summary, by sector, by source, stage statistics, the
    resolved scenario's parameters (dotted keys) and the run's manifest. Every sheet has a
    row of headings and a row of the CSV column keys, both frozen; numbers are numbers with
    number formats. Returns ``target``."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    frame = annual.copy()
    flight = in_flight_summary(replications)
    if flight is not None:
        frame = frame.merge(
            flight.rename(
                columns={"in_flight_p50": "investment_in_flight_p50", "share_p50": "in_flight_share_p50"}
            ),
            on="year",
            how="left",
        )
    # annual summary
    keys = [
        "year",
        "investment_mean",
        "investment_p10",
        "investment_p50",
        "investment_p90",
        "growth_p10",
        "growth_p50",
        "growth_p90",
        "investment_projects_p50",
        "investment_background_p50",
        "investment_in_flight_p50",
        "in_flight_share_p50",
        "arrivals_mean",
        "starts_mean",
        "completions_mean",
        "started_investment_mean",
        "financing_gap_mean",
        "replications",
    ]
    _sheet(wb, _w(labels, "sheet_annual"), *_annual_columns(frame, keys, labels))
    # by sector / by source: P50 from annual.csv, and the mean (the means add up to the total)
    for sheet, prefix, extra in (
        ("sheet_sector", "investment_sector_", ["investment_background"]),
        ("sheet_source", "investment_source_", []),
    ):
        cols = [c for c in replications.columns if c.startswith(prefix)] + [
            c for c in extra if c in replications.columns
        ]
        means = replications.groupby("year", sort=True)[cols].mean().add_suffix("_mean").reset_index()
        part = frame.merge(means, on="year", how="left")
        keys = ["year"]
        for c in cols:
            keys += [f"{c}_p50", f"{c}_mean"]
        if prefix == "investment_source_":
            for kind in ("supply", "demand", "committed"):
                keys += [c for c in annual.columns if c.startswith(f"financing_{kind}_")]
            keys += ["financing_gap_mean"]
        _sheet(wb, _w(labels, sheet), *_annual_columns(part, keys, labels))
    # stage statistics
    keys = ["year"]
    for stage in STAGES:
        keys += [
            f"{stage}_entering_mean",
            f"in_{stage}_at_year_end_mean",
            f"{stage}_wait_months_mean",
            f"{stage}_work_months_mean",
            f"cancelled_{stage}_mean",
        ]
    keys += [
        "approval_utilisation_mean",
        "secretary_utilisation_mean",
        "land_budget_supply_mean",
        "land_budget_demand_mean",
    ]
    _sheet(wb, _w(labels, "sheet_stages"), *_annual_columns(frame, keys, labels))
    # parameters and run
    head = [Column("key", _w(labels, "key"), "@"), Column("value", _w(labels, "value"), "General")]
    params = flatten(manifest.get("resolved_scenario") or {})
    values = [(k, "null" if v is None else v) for k, v in params]
    _sheet(
        wb,
        _w(labels, "sheet_parameters"),
        pd.DataFrame(values, columns=["key", "value"]),
        head,
        key_row=False,
    )
    run = {k: v for k, v in manifest.items() if k != "resolved_scenario"}
    if isinstance(run.get("command"), list):
        run["command"] = " ".join(map(str, run["command"]))
    values = [(k, "null" if v is None else v) for k, v in flatten(run)]
    _sheet(wb, _w(labels, "sheet_run"), pd.DataFrame(values, columns=["key", "value"]), head, key_row=False)
    for ws in wb.worksheets[-2:]:
        for row in ws.iter_rows(min_row=2, min_col=2, max_col=2):
            if isinstance(row[0].value, float):
                row[0].number_format = "General"
    write_file_atomic(target, lambda tmp: wb.save(tmp))
    return target


# ---------------------------------------------------------------- compare folders


def _compare_report(folder: Path, labels_for: Callable[[str], Labels]) -> _Built:
    manifest = _read_manifest(folder)
    labels = labels_for("")
    comparison = pd.read_csv(folder / "comparison.csv")
    attribution = pd.read_csv(folder / "attribution.csv") if (folder / "attribution.csv").is_file() else None
    base = str(manifest.get("base") or "base")
    scenarios = list(dict.fromkeys(comparison["scenario"].astype(str)))
    charts: list[_Chart] = []
    diff = _chart(
        "difference",
        labels.text("diff_title", base=base),
        _w(labels, "cap_diff"),
        lambda: difference_chart(comparison, labels, base),
        labels,
    )
    if diff is not None:
        charts.append(diff)
    body: list[str] = []
    # headline: each scenario's total and window difference
    periods = [p for p in dict.fromkeys(comparison["period"].astype(str)) if not p.isdigit()]
    inv = comparison[comparison["metric"] == "investment"].assign(period=lambda d: d["period"].astype(str))
    heads = [_w(labels, "scenario"), _w(labels, "pairing")]
    heads += [
        f"{_w(labels, 'total_diff') if p == 'total' else p}: {_w(labels, 'difference')}" for p in periods
    ]
    heads += [_w(labels, "prob_higher"), _w(labels, "years_excluding")]
    rows = []
    for name in scenarios:
        part = inv[inv["scenario"].astype(str) == name]
        row = [_e(name), _e(", ".join(dict.fromkeys(part["pairing"].astype(str))))]
        for p in periods:
            r = part[part["period"] == p]
            row.append(_diff_text(r.iloc[0]) if len(r) else "")
        total = part[part["period"] == "total"]
        row.append(_pct(total["prob_other_higher"].iloc[0], 0, False) if len(total) else "")
        years = part[part["period"].str.isdigit()]
        excl = years[(years["diff_ci_low"] > 0) | (years["diff_ci_high"] < 0)]["period"]
        row.append(_e(", ".join(excl)))
        rows.append(row)
    body.append(f"<h2>{_e(_w(labels, 'headline'))}</h2>{_table(heads, rows, left=2)}")
    body.append(f"<h2>{_e(_w(labels, 'charts'))}</h2>")
    body.append(_figure(charts[0]) if charts else "")
    if attribution is not None and len(attribution):
        attribution = attribution.assign(period=lambda d: d["period"].astype(str))
        for i, name in enumerate(dict.fromkeys(attribution["scenario"].astype(str)), start=1):
            part = attribution[
                (attribution["scenario"].astype(str) == name) & (attribution["metric"] == "investment")
            ]
            for period in dict.fromkeys(part["period"]):
                rows_p = part[part["period"] == period]
                method = str(rows_p["method"].iloc[0]) if "method" in rows_p.columns else ""
                when = labels.text("horizon") if period == "total" else period
                title = labels.text("waterfall_title", scenario=name, period=when)
                chart = _chart(
                    f"waterfall_{i}_{_slug(period)}",
                    title,
                    _w(labels, "cap_waterfall", method=method),
                    functools.partial(waterfall_chart, rows_p, labels, labels.chart(title)),
                    labels,
                )
                if chart is not None:
                    charts.append(chart)
                    body.append(_figure(chart))
    # tables
    for name in scenarios:
        part = inv[(inv["scenario"].astype(str) == name) & inv["period"].str.isdigit()]
        rows = [
            [
                _e(r["period"]),
                _num(r["base_mean"]),
                _num(r["other_mean"]),
                _diff_text(pd.Series(r)),
                _pct(r["prob_other_higher"], 0, False),
            ]
            for r in part.to_dict("records")
        ]
        heads = [
            _w(labels, "year"),
            _w(labels, "base_mean"),
            _w(labels, "other_mean"),
            _w(labels, "difference"),
            _w(labels, "prob_higher"),
        ]
        body.append(f"<h2>{_e(_w(labels, 'per_year', scenario=name))}</h2>{_table(heads, rows)}")
    if attribution is not None and len(attribution):
        for name in dict.fromkeys(attribution["scenario"].astype(str)):
            part = attribution[attribution["scenario"].astype(str) == name]
            for period in dict.fromkeys(part["period"]):
                sub = part[part["period"] == period]
                table = sub.pivot_table(index="policy", columns="metric", values="value_mean", sort=False)
                metrics = list(dict.fromkeys(sub["metric"]))
                rows = [
                    [
                        _e(labels.name(policy) if policy == "total" else policy),
                        *(_num(table.loc[policy, m], 2, sign=True) for m in metrics),
                    ]
                    for policy in dict.fromkeys(sub["policy"])
                ]
                when = _w(labels, "total_diff") if period == "total" else period
                body.append(
                    f"<h2>{_e(_w(labels, 'attribution', scenario=name, period=when))}</h2>"
                    + _table([_w(labels, "policy"), *(_metric_heading(m, labels) for m in metrics)], rows)
                )
    others = ", ".join(map(str, manifest.get("others") or scenarios))
    meta = [
        (_w(labels, "base"), base),
        (_w(labels, "seed"), ", ".join(map(str, manifest.get("seeds") or []))),
        (_w(labels, "replications"), ", ".join(map(str, manifest.get("replications") or []))),
        (_w(labels, "pairing"), ", ".join(map(str, manifest.get("pairing") or []))),
        (_w(labels, "window"), "–".join(map(str, manifest.get("window") or []))),
        (_w(labels, "command"), " ".join(map(str, manifest.get("command") or []))),
    ]
    version = str((manifest.get("versions") or {}).get("investsim") or _version())
    page = _page(
        labels, _w(labels, "compare_title", others=others, base=base), "", meta, "\n".join(body), version
    )
    return page, charts, None


def _diff_text(r: pd.Series) -> str:
    return f"{_num(r['diff_mean'], 1, True)} ({_num(r['diff_ci_low'], 1, True)} … {_num(r['diff_ci_high'], 1, True)})"


def _metric_heading(metric: str, labels: Labels) -> str:
    m = re.match(r"^(approval|land|financing|construction)_(wait|work)_months$", metric)
    if m:
        what = ("等待月数", "办理月数") if labels.zh else ("months waiting", "months working")
        return f"{labels.name(m.group(1))} {what[0] if m.group(2) == 'wait' else what[1]}"
    m = re.match(r"^cancelled_(\w+)$", metric)
    if m:
        return f"{labels.name(m.group(1))}取消" if labels.zh else f"cancelled in {m.group(1)}"
    return labels.name(metric)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_") or "x"


# ---------------------------------------------------------------- sweep folders


def _sweep_report(folder: Path, labels_for: Callable[[str], Labels]) -> _Built:
    manifest = _read_manifest(folder)
    labels = labels_for("")
    sweep = pd.read_csv(folder / "sweep.csv")
    cols = list(sweep.columns)
    params = (
        cols[: cols.index("replications")] if "replications" in cols else list(manifest.get("grid") or {})
    )
    metrics = list(manifest.get("metrics") or [c[: -len("_mean")] for c in cols if c.endswith("_mean")])
    metric = metrics[0]
    metric_text = metric_label(labels, metric)
    if len(params) == 1:
        chart = _chart(
            "sweep",
            labels.text("sweep_title", metric=metric_text),
            _w(labels, "cap_sweep_line", metric=metric_text),
            lambda: sweep_line_chart(sweep, params[0], metric, labels),
            labels,
        )
    else:
        caption = _w(labels, "cap_heatmap", metric=metric_text)
        if len(params) > 2:
            caption += _w(labels, "cap_heatmap_more", others=", ".join(params[2:]))
        chart = _chart(
            "sweep",
            labels.text("heatmap_title", metric=metric_text),
            caption,
            lambda: sweep_heatmap(sweep, params[1], params[0], metric, labels),
            labels,
        )
    charts = [chart] if chart is not None else []
    ranked = sweep.sort_values(f"{metric}_mean", ascending=False, kind="stable")
    heads = [_w(labels, "rank"), *params, _w(labels, "mean"), _w(labels, "ci"), "P10", "P50", "P90"]
    rows = []
    for k, r in enumerate(ranked.to_dict("records"), start=1):
        ci = ""
        if f"{metric}_ci_low" in r:
            ci = f"{_num(r[f'{metric}_ci_low'])} … {_num(r[f'{metric}_ci_high'])}"
        rows.append(
            [
                str(k),
                *(_e(_g(r[p])) for p in params),
                _num(r[f"{metric}_mean"]),
                ci,
                *(_num(r.get(f"{metric}_{q}")) for q in ("p10", "p50", "p90")),
            ]
        )
    body = [
        f"<h2>{_e(_w(labels, 'charts'))}</h2>",
        *(_figure(c) for c in charts),
        f"<h2>{_e(_w(labels, 'ranked_points', metric=metric_text))}</h2>",
        _table(heads, rows, left=1),
    ]
    name = Path(str(manifest.get("scenario_file") or folder.name)).stem
    grid = manifest.get("grid") or {p: sorted(set(sweep[p])) for p in params}
    meta = [
        (_w(labels, "scenario_file"), _g(manifest.get("scenario_file"))),
        (_w(labels, "grid"), "; ".join(f"{k} = {', '.join(map(_g, v))}" for k, v in grid.items())),
        (_w(labels, "points"), str(len(sweep))),
        (_w(labels, "metric"), ", ".join(metrics)),
        (_w(labels, "seed"), _g(manifest.get("seed"))),
        (_w(labels, "replications"), _g(manifest.get("replications"))),
        (_w(labels, "command"), " ".join(map(str, manifest.get("command") or []))),
    ]
    version = str((manifest.get("versions") or {}).get("investsim") or _version())
    return (
        _page(labels, _w(labels, "sweep_title", name=name), "", meta, "\n".join(body), version),
        charts,
        None,
    )


# ---------------------------------------------------------------- sensitivity folders


def _sensitivity_report(folder: Path, labels_for: Callable[[str], Labels]) -> _Built:
    manifest = _read_manifest(folder)
    labels = labels_for("")
    table = pd.read_csv(folder / "sensitivity.csv")
    morris = "mu_star" in table.columns
    metric = str(manifest.get("metric") or "cumulative_investment")
    metric_text = metric_label(labels, metric)
    method = labels.text("morris") if morris else labels.text("sobol")
    chart = _chart(
        "tornado",
        labels.text("tornado_title", metric=metric_text, method=method),
        _w(labels, "cap_tornado_morris" if morris else "cap_tornado_sobol"),
        lambda: tornado_chart(table, labels, metric),
        labels,
    )
    charts = [chart] if chart is not None else []
    stats = (
        ["mu_star", "mu_star_conf", "sigma", "sigma_conf", "mu"]
        if morris
        else ["S1", "S1_conf", "ST", "ST_conf"]
    )
    stats = [s for s in stats if s in table.columns]
    heads = [_w(labels, "rank"), _w(labels, "parameter"), _w(labels, "range"), *stats]
    rows = [
        [
            _e(r.get("rank", "")),
            _e(r["parameter"]),
            f"{_g(r.get('low'))} – {_g(r.get('high'))}",
            *(_num(r[s], 3 if not morris else 1) for s in stats),
        ]
        for r in table.to_dict("records")
    ]
    body = [
        f"<h2>{_e(_w(labels, 'charts'))}</h2>",
        *(_figure(c) for c in charts),
        f"<h2>{_e(_w(labels, 'ranking'))}</h2>",
        _table(heads, rows, left=2),
    ]
    name = Path(str(manifest.get("scenario_file") or folder.name)).stem
    meta = [
        (_w(labels, "scenario_file"), _g(manifest.get("scenario_file"))),
        (_w(labels, "method"), _g(manifest.get("method") or ("morris" if morris else "sobol"))),
        (_w(labels, "metric"), metric),
        (_w(labels, "samples"), _g(manifest.get("samples"))),
        (_w(labels, "parameter_sets"), _g(manifest.get("parameter_sets"))),
        (_w(labels, "per_set"), _g(manifest.get("replications_per_set"))),
        (_w(labels, "seed"), _g(manifest.get("seed"))),
        (_w(labels, "command"), " ".join(map(str, manifest.get("command") or []))),
    ]
    version = str((manifest.get("versions") or {}).get("investsim") or _version())
    return (
        _page(labels, _w(labels, "sensitivity_title", name=name), "", meta, "\n".join(body), version),
        charts,
        None,
    )


# ---------------------------------------------------------------- entry point


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("investsim")
    except PackageNotFoundError:
        return "unknown"


def write_report(folder: Path, lang: str = "en") -> list[Path]:
    """Write (or rewrite) the report of the results folder ``folder``: ``report.html``,
    ``charts/*.png`` and, for a forecast, ``forecast.xlsx``; returns the paths written.

    The kind of folder (forecast, comparison, sweep, sensitivity) is found from its files
    (:func:`detect_kind`). ``lang`` is ``en`` or ``zh``; Chinese needs a CJK font for the
    charts, and without one the report is in English (one warning on standard error).
    Raises ``InputError`` for a folder that is not a results folder.
    """
    folder = Path(folder)
    if lang not in ("en", "zh"):
        raise InputError(f"--lang must be en or zh, got {lang!r}")
    kind = detect_kind(folder)

    def labels_for(unit: str) -> Labels:
        return Labels(lang, unit=unit or "")

    build = {
        "run": _run_report,
        "compare": _compare_report,
        "sweep": _sweep_report,
        "sensitivity": _sensitivity_report,
    }
    page, charts, excel = build[kind](folder, labels_for)
    written = _write_charts(folder, charts)
    if excel is not None:
        written.append(excel(folder / "forecast.xlsx"))
    report = folder / "report.html"
    _write_atomic(report, page.encode("utf-8"))
    return [report, *written]
