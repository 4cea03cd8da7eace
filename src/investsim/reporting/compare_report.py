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
from investsim.reporting.built import Built, Chart, LabelsFor, make_chart
from investsim.reporting.charts import difference_chart, waterfall_chart
from investsim.reporting.charts.analyses import identical
from investsim.reporting.html import esc, figure, heading, num, page, pct, table
from investsim.reporting.labels import Labels
from investsim.reporting.manifest import analysis_version, command_text, read_manifest


def _diff_text(r: pd.Series) -> str:
    return f"{num(r['diff_mean'], 1, True)} ({num(r['diff_ci_low'], 1, True)} … {num(r['diff_ci_high'], 1, True)})"


def _prob_text(r: Any, labels: Labels) -> str:
    """P(other higher) as a percentage, or "same" where the two are identical (a
    probability of 0% there would read as "certainly lower")."""
    return esc(labels.word("same")) if identical(r) else pct(r["prob_other_higher"], 0, False)


def signed_years(years: pd.DataFrame, labels: Labels) -> str:
    """The years whose 95% interval excludes 0, by sign: ``higher: 2020, 2021; lower:
    2024`` ("" for none)."""
    higher = years[years["diff_ci_low"] > 0]["period"].astype(str).tolist()
    lower = years[years["diff_ci_high"] < 0]["period"].astype(str).tolist()
    parts = [
        labels.word(key, years=", ".join(found))
        for key, found in (("higher_in", higher), ("lower_in", lower))
        if found
    ]
    return "; ".join(parts)


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
            metrics = list(dict.fromkeys(sub["metric"]))
            rows = [
                [
                    esc(labels.name(policy) if policy == "total" else policy),
                    *(num(values.loc[policy, m], 2, sign=True) for m in metrics),
                ]
                for policy in dict.fromkeys(sub["policy"])
            ]
            when = labels.word("total_diff") if period == "total" else period
            heads = [labels.word("policy"), *(_metric_heading(m, labels) for m in metrics)]
            out.append(
                f"{heading(labels.word('attribution', scenario=name, period=when))}{table(heads, rows)}"
            )
    return out


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
    inv = comparison[comparison["metric"] == "investment"].assign(period=lambda d: d["period"].astype(str))
    diff = make_chart(
        "difference",
        labels.text("diff_title", base=base),
        labels.word("cap_diff"),
        lambda: difference_chart(comparison, labels, base, unit=bool(labels.unit)),
        labels,
    )
    if attribution is not None:
        attribution = attribution.assign(period=lambda d: d["period"].astype(str))
    waterfalls = _waterfalls(attribution, labels) if attribution is not None else []
    timing = [
        f'<p class="note">{esc(name)}: {esc(text)}</p>'
        for name, text in (manifest.get("timing") or {}).items()
        if text
    ]
    body = [
        _headline(comparison, inv, scenarios, labels),
        *timing,
        heading(labels.word("charts")),
        figure(diff) if diff is not None else "",
        *(figure(c) for c in waterfalls),
        *_per_year_tables(inv, scenarios, labels),
        *(_attribution_tables(attribution, labels) if attribution is not None else []),
    ]
    others = ", ".join(map(str, manifest.get("others") or scenarios))
    title = labels.word("compare_title", others=others, base=base)
    html = page(
        labels, title, "", _compare_meta(manifest, base, labels), "\n".join(body), analysis_version(manifest)
    )
    charts = [c for c in (diff, *waterfalls) if c is not None]
    return html, charts, None
