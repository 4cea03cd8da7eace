"""The report of a comparison folder (``investsim compare``): each scenario's difference
from the base over the horizon and per year, and, with ``attribution.csv``, the split of
the difference across each scenario's policies (waterfall charts and tables)."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import pandas as pd

from investsim import columns
from investsim.analyses import explain
from investsim.analyses.timing import TimingShift, detect_timing_shift
from investsim.reporting.built import Built, Chart, LabelsFor, make_chart
from investsim.reporting.charts import difference_chart, explanation_chart, waterfall_chart
from investsim.reporting.charts.analyses import identical, month_attribution_chart, month_difference_chart
from investsim.reporting.html import esc, figure, heading, num, page, pct, table
from investsim.reporting.labels import Labels
from investsim.reporting.manifest import analysis_version, command_text, read_manifest


def _diff_text(r: pd.Series) -> str:
    return f"{num(r['diff_mean'], 1, True)} ({num(r['diff_ci_low'], 1, True)} … {num(r['diff_ci_high'], 1, True)})"


def _prob_text(r: Any, labels: Labels) -> str:
    """P(other higher) as a percentage, or "same" where the two are identical (a
    probability of 0% there would read as "certainly lower")."""
    return esc(labels.word("same")) if identical(r) else pct(r["prob_other_higher"], 0, False)


def _joined(items: list[str], labels: Labels) -> str:
    return ("、" if labels.zh else ", ").join(items)


def signed_years(years: pd.DataFrame, labels: Labels) -> str:
    """The years whose 95% interval excludes 0, in order, each with the sign of its
    difference: ``2020 +, 2021 +, 2027 −`` ("" for none)."""
    return _joined([f"{year} {sign}" for year, sign in explain.signed_years(years)], labels)


def _metric_heading(metric: str, labels: Labels) -> str:
    if columns.find(metric) is not None and metric not in ("investment", "starts"):
        return columns.heading(metric, labels.zh, labels.unit, labels.name)
    return labels.name(metric)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_") or "x"


def _of(frame: pd.DataFrame, scenario: str) -> pd.DataFrame:
    """The rows of ``scenario``."""
    return frame[frame["scenario"].astype(str) == scenario]


def _headline(comparison: pd.DataFrame, inv: pd.DataFrame, scenarios: list[str], labels: Labels) -> str:
    """Each scenario's difference over the horizon and the window, the probability that
    it is higher than the base, and the years whose interval excludes 0."""
    periods = [p for p in dict.fromkeys(comparison["period"].astype(str)) if not p.isdigit()]
    heads = [labels.word("scenario"), labels.word("pairing")]
    heads += [
        f"{labels.word('total_diff') if p == 'total' else p}: {labels.word('difference')}" for p in periods
    ]
    heads += [labels.word("prob_higher"), labels.word("years_excluding")]
    rows = []
    for name in scenarios:
        part = _of(inv, name)
        row = [esc(name), esc(", ".join(dict.fromkeys(part["pairing"].astype(str))))]
        for p in periods:
            r = part[part["period"] == p]
            row.append(_diff_text(r.iloc[0]) if len(r) else "")
        total = part[part["period"] == "total"]
        row.append(_prob_text(total.iloc[0], labels) if len(total) else "")
        row.append(esc(signed_years(part[part["period"].str.isdigit()], labels)))
        rows.append(row)
    return f"{heading(labels.word('headline'))}{table(heads, rows, left=2, wrap=[len(heads) - 1])}"


def _waterfalls(attribution: pd.DataFrame, labels: Labels) -> list[Chart]:
    """A waterfall of the investment difference by policy, for each scenario and period."""
    charts = []
    for i, name in enumerate(dict.fromkeys(attribution["scenario"].astype(str)), start=1):
        scenario = _of(attribution, name)
        part = scenario[scenario["metric"] == "investment"]
        for period in dict.fromkeys(part["period"]):
            rows = part[part["period"] == period]
            method = str(rows["method"].iloc[0]) if "method" in rows.columns else ""
            when = labels.text("horizon") if period == "total" else period
            title = labels.text("waterfall_title", scenario=name, period=when)
            chart = make_chart(
                f"waterfall_{i}_{_slug(period)}",
                title,
                labels.word("cap_waterfall", method=method),
                functools.partial(waterfall_chart, rows, labels, labels.chart(title), bool(labels.unit)),
                labels,
            )
            if chart is not None:
                charts.append(chart)
    return charts


def _per_year_tables(inv: pd.DataFrame, scenarios: list[str], labels: Labels) -> list[str]:
    """For each scenario, the base's and its mean investment each year and the difference."""
    heads = [
        labels.word("year"),
        labels.word("base_mean"),
        labels.word("other_mean"),
        labels.word("difference"),
        labels.word("prob_higher"),
    ]
    out = []
    for name in scenarios:
        part = _of(inv, name)
        rows = [
            [
                esc(r["period"]),
                num(r["base_mean"]),
                num(r["other_mean"]),
                _diff_text(pd.Series(r)),
                _prob_text(r, labels),
            ]
            for r in part[part["period"].str.isdigit()].to_dict("records")
        ]
        out.append(f"{heading(labels.word('per_year', scenario=name))}{table(heads, rows)}")
    return out


def _attribution_tables(attribution: pd.DataFrame, labels: Labels) -> list[str]:
    """For each scenario and period, every metric's difference split by policy."""
    out = []
    for name in dict.fromkeys(attribution["scenario"].astype(str)):
        part = _of(attribution, name)
        for period in dict.fromkeys(part["period"]):
            sub = part[part["period"] == period]
            values = sub.pivot_table(index="policy", columns="metric", values="value_mean", sort=False)
            every = list(dict.fromkeys(sub["metric"]))
            # outcomes, then months waited and worked: one table of every metric is too wide
            # for the page once a season adds its wait
            tables = []
            for metrics in (
                [m for m in every if not m.endswith("_months")],
                [m for m in every if m.endswith("_months")],
            ):
                if not metrics:
                    continue
                rows = [
                    [
                        esc(labels.name(policy) if policy == "total" else policy),
                        *(num(values.loc[policy, m], 2, sign=True) for m in metrics),
                    ]
                    for policy in dict.fromkeys(sub["policy"])
                ]
                heads = [labels.word("policy"), *(_metric_heading(m, labels) for m in metrics)]
                tables.append(table(heads, rows))
            when = labels.word("total_diff") if period == "total" else period
            out.append(f"{heading(labels.word('attribution', scenario=name, period=when))}{''.join(tables)}")
    return out


def _month_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``frame`` without its rows of a month, and those rows (``period_kind`` ``month``)."""
    if "period_kind" not in frame.columns:
        return frame, frame.iloc[0:0]
    month = frame["period_kind"].astype(str) == "month"
    return frame[~month], frame[month]


def _per_month_tables(months: pd.DataFrame, scenarios: list[str], labels: Labels) -> list[str]:
    """For each scenario, month by month: the difference in the month's investment, in
    the year-to-date total and in year-to-date growth (percentage points)."""
    if months.empty:
        return []
    heads = [
        labels.word("month"),
        labels.name("investment"),
        labels.word("ytd_total"),
        labels.word("ytd_growth_pp"),
    ]
    out = []
    for name in scenarios:
        part = _of(months, name)
        if "breakdown" in part.columns:
            part = part[part["breakdown"] == explain.HEADLINE]
        wide = part.set_index(["period", "metric"])
        rows = []
        for period in dict.fromkeys(part["period"]):
            cells = [esc(period)]
            for metric in ("investment", "ytd_investment"):
                cells.append(_diff_text(wide.loc[(period, metric)]) if (period, metric) in wide.index else "")
            if (period, "ytd_growth") in wide.index:
                g = wide.loc[(period, "ytd_growth")] * 100
                cells.append(_diff_text(g) if pd.notna(g["diff_mean"]) else "")
            else:
                cells.append("")
            rows.append(cells)
        out.append(f"{heading(labels.word('per_month', scenario=name))}{table(heads, rows)}")
    return out


def _month_attributions(attribution: pd.DataFrame, labels: Labels) -> list[Chart]:
    """Per scenario: each policy's part of the difference in each month's investment."""
    charts = []
    for i, name in enumerate(dict.fromkeys(attribution["scenario"].astype(str)), start=1):
        rows = _of(attribution, name)
        rows = rows[rows["metric"] == "investment"]
        if rows.empty:
            continue
        method = str(rows["method"].iloc[0]) if "method" in rows.columns else ""
        title = labels.text("months_attr_title", scenario=name)
        chart = make_chart(
            f"months_attribution_{i}",
            title,
            labels.word("cap_months_attr", method=method),
            functools.partial(month_attribution_chart, rows, labels, labels.chart(title), bool(labels.unit)),
            labels,
        )
        if chart is not None:
            charts.append(chart)
    return charts


def _signed(value: float | None) -> str:
    """A signed number with one decimal, "+0.0" for a rounded 0."""
    return num(round(float(value or 0.0), 1) + 0.0, 1, True)


def timing_text(shift: TimingShift, labels: Labels) -> str:
    """The timing-shift note of a scenario, worded (the terminal's sentence in English)."""
    out = [
        labels.word(
            f"timing_{shift.direction}",
            first=shift.first_years[0],
            then=_joined([str(y) for y in shift.then_years], labels),
            scenario=shift.scenario,
            peak=_signed(shift.peak),
            peak_at=shift.peak_at,
            final=_signed(shift.final),
            last=shift.last,
        )
    ]
    if shift.starts_final is not None:
        starts = f"{_signed(shift.starts_final)} ({_signed(shift.starts_low)} … {_signed(shift.starts_high)})"
        if shift.complete:
            direction = labels.word(shift.direction)
            out.append(labels.word("timing_same_starts", last=shift.last, starts=starts, direction=direction))
        else:
            out.append(labels.word("timing_starts_differ", starts=starts, last=shift.last))
            if shift.caught_up is not None:
                out.append(
                    labels.word(
                        "timing_caught_up",
                        peak=_signed(shift.starts_peak),
                        peak_at=shift.starts_peak_at,
                        caught=num(shift.caught_up, 1),
                        last=shift.last,
                        rest=num(abs(shift.starts_final), 1),
                        gain=labels.word("gain" if shift.starts_final > 0 else "loss"),
                    )
                )
    out.append(labels.word("timing_read"))
    return ("" if labels.zh else " ").join(out)


MEASURES = (
    ("sector", "investment", "measure_sector"),
    ("source", "investment", "measure_source"),
    ("source", "committed", "measure_committed"),
    ("stage", "months_waited", "measure_months_waited"),
    ("stage", "at_year_end", "measure_at_year_end"),
    ("stage", "cancelled", "measure_cancelled"),
)
"""The breakdowns of the explanation table, in order, with their wording."""


def _part_cells(part: explain.Part, digits: int) -> list[str]:
    """Base mean, scenario mean and the difference with its interval, in bold where the
    interval excludes 0; rounded first, so that no -0.0 shows."""

    def shown(value: float, sign: bool = False) -> str:
        return num(round(value, digits) + 0.0, digits, sign)

    diff = f"{shown(part.diff, True)} ({shown(part.low, True)} … {shown(part.high, True)})"
    return [shown(part.base), shown(part.other), f"<b>{diff}</b>" if part.sure else diff]


def _explanation_table(found: explain.Explanation, labels: Labels) -> str:
    """Over the horizon, every part of the difference: investment by sector and by source,
    money committed, and per stage the months waited, year-end counts and cancellations."""
    heads = [
        labels.word("metric"),
        labels.word("part"),
        labels.word("base_mean"),
        labels.word("other_mean"),
        labels.word("difference"),
    ]
    rows = [
        [esc(labels.name("investment")), esc(labels.word("all_parts")), *_part_cells(found.investment, 1)]
    ]
    if found.starts is not None:
        rows.append(
            [esc(labels.word("starts_total")), esc(labels.word("all_parts")), *_part_cells(found.starts, 1)]
        )
    for breakdown, measure, key in MEASURES:
        digits = 2 if measure == "months_waited" else 1
        for i, part in enumerate(found.of(breakdown, measure)):
            name = labels.text("background") if part.item == explain.BACKGROUND else labels.name(part.item)
            rows.append([esc(labels.word(key)) if i == 0 else "", esc(name), *_part_cells(part, digits)])
    return table(heads, rows, left=2)


def explanation_table(found: explain.Explanation, labels: Labels) -> str:
    """The explanation table as the compare report shows it (HTML), for the what-if page."""
    return _explanation_table(found, labels)


def _explanations(
    comparison: pd.DataFrame, scenarios: list[str], base: str, labels: Labels
) -> tuple[list[str], list[Chart]]:
    """Per scenario, where its difference comes from: a chart year by year and a table
    over the horizon (nothing for a table written before the breakdown rows existed)."""
    body, charts = [], []
    for i, name in enumerate(scenarios, start=1):
        found = explain.explain(comparison, name)
        if found is None:
            continue
        chart = make_chart(
            f"explanation_{i}",
            labels.text("explain_title", scenario=name, base=base),
            labels.word("cap_explain"),
            functools.partial(explanation_chart, comparison, name, labels, base, bool(labels.unit)),
            labels,
        )
        body.append(heading(labels.word("explain_heading", scenario=name)))
        body.append(f'<p class="note">{esc(labels.word("explain_lead"))}</p>')
        if chart is not None:
            body.append(figure(chart))
            charts.append(chart)
        body.append(_explanation_table(found, labels))
    return body, charts


def _compare_meta(manifest: dict[str, Any], base: str, labels: Labels) -> list[tuple[str, str]]:
    def joined(key: str, sep: str = ", ") -> str:
        return sep.join(map(str, manifest.get(key) or []))

    return [
        (labels.word("base"), base),
        (labels.word("seed"), joined("seeds")),
        (labels.word("replications"), joined("replications")),
        (labels.word("pairing"), joined("pairing")),
        (labels.word("window"), joined("window", "–")),
        (labels.word("command"), command_text(manifest)),
    ]


def compare_report(folder: Path, labels_for: LabelsFor) -> Built:
    """Build the report of the comparison in ``folder`` (``comparison.csv``, optional
    ``attribution.csv``); it has no workbook."""
    manifest = read_manifest(folder)
    labels = labels_for(str(manifest.get("money_unit") or ""))
    comparison = pd.read_csv(folder / "comparison.csv")
    attribution = pd.read_csv(folder / "attribution.csv") if (folder / "attribution.csv").is_file() else None
    if attribution is not None and not len(attribution):
        attribution = None
    base = str(manifest.get("base") or "base")
    scenarios = list(dict.fromkeys(comparison["scenario"].astype(str)))
    comparison = comparison.assign(period=lambda d: d["period"].astype(str))
    # the months (with --months) have a chart and tables of their own
    comparison, months = _month_rows(comparison)
    inv = comparison[comparison["metric"] == "investment"]
    if "breakdown" in inv.columns:
        inv = inv[inv["breakdown"] == explain.HEADLINE]
    diff = make_chart(
        "difference",
        labels.text("diff_title", base=base),
        labels.word("cap_diff"),
        lambda: difference_chart(comparison, labels, base, unit=bool(labels.unit)),
        labels,
    )
    month_diff = make_chart(
        "months_difference",
        labels.text("months_diff_title", base=base),
        labels.word("cap_months_diff"),
        lambda: month_difference_chart(months, labels, base, unit=bool(labels.unit)),
        labels,
    )
    month_parts: list[Chart] = []
    if attribution is not None:
        attribution = attribution.assign(period=lambda d: d["period"].astype(str))
        attribution, attribution_months = _month_rows(attribution)
        month_parts = _month_attributions(attribution_months, labels)
    waterfalls = _waterfalls(attribution, labels) if attribution is not None else []
    shifts = [(name, detect_timing_shift(comparison, name)) for name in scenarios]
    timing = [
        f'<p class="note">{esc(name)}: {esc(timing_text(shift, labels))}</p>'
        for name, shift in shifts
        if shift is not None
    ]
    explanations, explanation_charts = _explanations(comparison, scenarios, base, labels)
    body = [
        _headline(comparison, inv, scenarios, labels),
        *timing,
        heading(labels.word("charts")),
        figure(diff) if diff is not None else "",
        *(figure(c) for c in waterfalls),
        *explanations,
        *_per_year_tables(inv, scenarios, labels),
        *(_attribution_tables(attribution, labels) if attribution is not None else []),
        *([heading(labels.word("month_heading"))] if month_diff is not None else []),
        figure(month_diff) if month_diff is not None else "",
        *(figure(c) for c in month_parts),
        *_per_month_tables(months, scenarios, labels),
    ]
    others = ", ".join(map(str, manifest.get("others") or scenarios))
    title = labels.word("compare_title", others=others, base=base)
    html = page(
        labels, title, "", _compare_meta(manifest, base, labels), "\n".join(body), analysis_version(manifest)
    )
    charts = [c for c in (diff, *waterfalls, *explanation_charts, month_diff, *month_parts) if c is not None]
    return html, charts, None
