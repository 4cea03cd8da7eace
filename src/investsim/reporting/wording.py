"""The en/zh wording of the charts and the report: data tables only.

Each entry is ``(English, Chinese)``; ``{unit}`` and other ``{fields}`` are filled in by
:class:`~investsim.reporting.labels.Labels`. The chart wording (:data:`TEXT`) and the
page wording (:data:`WORDS`) are separate tables because some keys (``sweep_title``,
``mean``, ...) mean different things on a chart and on the page.
"""

from __future__ import annotations

UNITS_EN = {"亿元": "100m yuan", "万元": "10k yuan", "元": "yuan", "亿": "100m"}
"""Money units spelled in English, for charts drawn without a CJK font."""

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
"""Chart wording: titles, legends, axes (also the chart titles on the page)."""


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
"""Chinese names of stages, the bundled sectors and funding sources, and metrics."""


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
"""Page and workbook wording: headings, table columns, captions, sheet names."""


COLUMN_NAMES: dict[str, tuple[str, str]] = {
    "year": ("year", "年份"),
    "investment": ("investment ({unit})", "投资（{unit}）"),
    "growth": ("growth", "增速"),
    "starts": ("starts", "开工项目"),
    "completions": ("completions", "竣工项目"),
    "arrivals": ("new projects", "新增项目"),
    "investment_projects": ("modelled projects ({unit})", "模型内项目（{unit}）"),
    "investment_background": ("outside the modelled projects ({unit})", "模型外投资（{unit}）"),
    "investment_in_flight": ("start pipeline ({unit})", "期初管道（{unit}）"),
    "in_flight_share": ("start pipeline share", "期初管道占比"),
    "started_investment": ("investment of projects starting ({unit})", "新开工项目总投资（{unit}）"),
    "financing_gap": ("financing gap ({unit})", "融资缺口（{unit}）"),
    "approval_utilisation": ("approval capacity in use", "审批能力利用率"),
    "secretary_utilisation": ("secretaries in use", "服务秘书利用率"),
    "land_budget_supply": ("land budget supply ({unit})", "征地资金供给（{unit}）"),
    "land_budget_demand": ("land budget demand ({unit})", "征地资金需求（{unit}）"),
    "replications": ("replications", "重复次数"),
}
"""Workbook headings of the annual.csv columns with a fixed name (without the statistic)."""

FINANCING_PARTS: dict[str, tuple[str, str]] = {
    "supply": ("supply", "供给"),
    "demand": ("demand", "需求"),
    "committed": ("committed", "已落实"),
}
"""What a ``financing_<part>_<source>`` column counts."""

STAGE_PARTS: dict[str, tuple[str, str]] = {
    "entering": ("entering", "进入"),
    "wait_months": ("months waiting", "等待月数"),
    "work_months": ("months working", "办理月数"),
}
"""What a ``<stage>_<part>`` column counts."""
