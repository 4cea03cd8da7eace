"""The tables and lines the commands print (rich); they only read results."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pandas as pd
from rich.markup import escape
from rich.table import Table

from investsim import columns
from investsim.cli.common import out_console, say
from investsim.results.forecast import Forecast
from investsim.results.monthly import target_sentence
from investsim.scenario.config import Scenario

if TYPE_CHECKING:  # the analyses are imported only by the commands that run them
    from investsim.analyses.calibrate import CalibrationResult
    from investsim.analyses.compare import Comparison
    from investsim.analyses.reforecast import Reforecast
    from investsim.analyses.seek import SeekResult
    from investsim.analyses.sensitivity import SensitivityResult
    from investsim.analyses.sweep import SweepResult


def print_precision(reached: dict[str, Any], precision: float, maximum: int) -> None:
    """How precise ``run --precision`` got, and after how many replications."""
    out_console.print(
        f"precision: the 95% interval of cumulative investment is ±{reached['half_width_share']:.2%} "
        f"of its mean after {reached['replications_needed']} replications (target ±{precision:.2%}"
        + ("" if reached["reached"] else f"; not reached within {maximum}")
        + ")",
        highlight=False,
    )


FORECAST_WORDS = {
    "en": (
        "{name}: annual investment ({unit}), {n} replications, seed {seed}",
        ("year", "P10", "P50", "P90", "mean", "growth P50", "starts", "completions"),
    ),
    "zh": (
        "{name}：年度投资（{unit}），{n} 次模拟，随机种子 {seed}",
        ("年份", "P10", "P50", "P90", "均值", "增速 P50", "开工", "竣工"),
    ),
}
"""The title and column headings of the forecast table in each language of ``--lang``."""


def print_forecast(forecast: Forecast, lang: str = "en") -> None:
    """The yearly forecast: investment quantiles, growth, starts and completions, headed
    in ``lang`` (``en`` or ``zh``)."""
    scn, manifest = forecast.scenario, forecast.manifest
    annual: Any = forecast.annual_table()  # its rows' fields are columns, which pandas-stubs cannot know
    title, heads = FORECAST_WORDS.get(lang, FORECAST_WORDS["en"])
    table = Table(
        title=escape(
            title.format(
                name=scn.name, unit=scn.config.money_unit, n=manifest["replications"], seed=manifest["seed"]
            )
        ),
        title_justify="left",
    )
    for col in heads:
        table.add_column(col, justify="right")
    for row in annual.itertuples():
        growth = "" if row.growth_p50 != row.growth_p50 else f"{row.growth_p50:+.1%}"
        table.add_row(
            str(row.year),
            f"{row.investment_p10:,.1f}",
            f"{row.investment_p50:,.1f}",
            f"{row.investment_p90:,.1f}",
            f"{row.investment_mean:,.1f}",
            growth,
            f"{row.starts_mean:,.1f}",
            f"{row.completions_mean:,.1f}",
        )
    out_console.print(table)
    print_binding(forecast, lang)


def target_lines(forecast: Forecast, lang: str = "en") -> list[str]:
    """One line per target year: ``P(2021 growth ≥ 8%) = 0.34`` with its 95 % interval
    (Wilson, binomial) and the number of replications, in ``lang``."""
    rows: list[dict[str, Any]] = forecast.targets.to_dict("records")  # type: ignore[assignment]
    return [target_sentence(row, lang == "zh") for row in rows]


def print_targets(forecast: Forecast, lang: str = "en") -> None:
    """The probability of meeting each year's growth target, one line a year."""
    for line in target_lines(forecast, lang):
        out_console.print(line, highlight=False, markup=False)


def print_scenario(scn: Scenario) -> None:
    """What ``validate`` shows of a valid scenario (``Scenario.summary()``): years, sectors
    and projects in flight, policies."""
    summary = scn.summary()
    head, *rest = summary.lines()
    say(f"{scn.source}: valid")
    out_console.print(f"  {head}", highlight=False, markup=False)
    table = Table(show_edge=False)
    for col in ("sector", "arrivals/yr", "mean size", "approval", "land", "construction"):
        table.add_column(col, justify="right" if col != "sector" else "left")
    for row in summary.sector_rows():
        table.add_row(*(escape(cell) for cell in row))
    out_console.print(table)
    for line in rest:
        out_console.print(f"  {line}", highlight=False, markup=False)


def print_comparison(comparison: Comparison) -> None:
    """The difference of each scenario's investment from the base's, then each attribution."""
    span = comparison.window
    periods = ["total"] + ([f"{span[0]}-{span[1]}"] if span else [])
    view = Table(
        title=escape(f"investment difference from {comparison.runs[0].name} (95% interval)"),
        title_justify="left",
    )
    view.add_column("scenario")
    view.add_column("pairing")
    for p in periods:
        view.add_column(p, justify="right")
    view.add_column("years where the interval excludes 0")
    table = comparison.table
    inv = table[table["metric"] == "investment"]
    for name, rows in inv.groupby("scenario", sort=False):
        cells = []
        for p in periods:
            r = rows[rows["period"] == p].iloc[0]
            cells.append(f"{r.diff_mean:+,.1f} ({r.diff_ci_low:+,.1f} to {r.diff_ci_high:+,.1f})")
        yearly = rows[rows["period"].str.fullmatch(r"\d{4}")]
        view.add_row(escape(str(name)), rows["pairing"].iloc[0], *cells, _signed_years(yearly) or "none")
    out_console.print(view)
    for name, text in (comparison.manifest.get("timing") or {}).items():
        if text:
            out_console.print(f"{name}: {text}", highlight=False, markup=False)
    for lines in (comparison.manifest.get("explanation") or {}).values():
        for line in lines:
            out_console.print(line, highlight=False, markup=False)
    for part in comparison.attributions:
        _print_attribution(part)


def _signed_years(yearly: pd.DataFrame) -> str:
    """The years whose interval excludes 0, in order, each with the sign of its
    difference: ``2020 +, 2021 +, 2027 −``."""
    from investsim.analyses.explain import signed_years

    return ", ".join(f"{year} {sign}" for year, sign in signed_years(yearly))


def _print_attribution(part: pd.DataFrame) -> None:
    rows = part[(part["period"] == "total") & (part["metric"] == "investment")]
    view = Table(
        title=escape(
            f"{part['scenario'].iloc[0]}: investment over the horizon by policy "
            f"(Shapley, {part['method'].iloc[0]}, 95% interval)"
        ),
        title_justify="left",
    )
    waits = part[part["period"] == "total"].set_index(["policy", "metric"])["value_mean"]
    shown = [
        (metric, heading)
        for metric, heading in (
            ("land_wait_months", "land wait months"),
            ("financing_wait_months", "financing wait months"),
            ("construction_wait_months", "season wait months"),
        )
        if metric in set(part["metric"])
    ]
    for col in ("policy", "share of the difference", *(heading for _, heading in shown)):
        view.add_column(col, justify="left" if col == "policy" else "right")
    for r in rows.itertuples():
        view.add_row(
            escape(str(r.policy)),
            f"{r.value_mean:+,.1f} ({r.ci_low:+,.1f} to {r.ci_high:+,.1f})",
            *(f"{waits.get((r.policy, metric), float('nan')):+.2f}" for metric, _ in shown),
        )
    out_console.print(view)


def print_sweep(result: SweepResult, name: str) -> None:
    """The points ranked by the first metric (the best and worst five of many)."""
    metric = result.metrics[0].name

    def value(v: float) -> str:  # growth as a percentage
        return f"{v:+.1%}" if metric.partition(":")[0] in ("growth", "ytd_growth") else f"{v:,.1f}"

    table = result.table.sort_values(f"{metric}_mean", ascending=False, kind="stable")
    shown = table if len(table) <= 20 else pd.concat([table.head(5), table.tail(5)])
    view = Table(
        title=escape(
            f"{name}: {metric} by point, best first ({len(table)} points, "
            f"{result.manifest['replications']} replications each, seed {result.manifest['seed']})"
        ),
        title_justify="left",
    )
    view.add_column("")
    for p in result.paths:
        view.add_column(escape(p), justify="right")
    for col in ("mean", "95% interval", "P10", "P90"):
        view.add_column(col, justify="right")
    for rank, rec in enumerate(shown.to_dict("records")):
        label = "best" if rank == 0 else ("worst" if rank == len(shown) - 1 else "")
        view.add_row(
            label,
            *(escape(json.dumps(rec[p], ensure_ascii=False)) for p in result.paths),
            value(rec[f"{metric}_mean"]),
            f"{value(rec[f'{metric}_ci_low'])} to {value(rec[f'{metric}_ci_high'])}",
            value(rec[f"{metric}_p10"]),
            value(rec[f"{metric}_p90"]),
        )
    out_console.print(view)
    if result.reused:
        out_console.print(
            f"{result.reused} points reused from an earlier run, {result.ran} run now", highlight=False
        )


def print_tornado(result: SensitivityResult, metric: str, name: str) -> None:
    """The parameters by importance, with a bar each (a text tornado chart)."""
    key, conf = ("mu_star", "mu_star_conf") if result.method == "morris" else ("ST", "ST_conf")
    label = "mu*" if result.method == "morris" else "total-order index ST"
    table = result.table
    top = float(table[key].abs().max()) or 1.0
    view = Table(
        title=escape(f"{name}: what moves {metric} ({result.method}, {label})"), title_justify="left"
    )
    view.add_column("#", justify="right")
    view.add_column("parameter")
    view.add_column("range", justify="right")
    view.add_column(label, justify="right")
    view.add_column("")
    extra = ("sigma", "sigma_conf") if result.method == "morris" else ("S1", "S1_conf")
    view.add_column(extra[0], justify="right")
    for rec in table.to_dict("records"):
        bar = "█" * round(30 * abs(rec[key]) / top)
        view.add_row(
            str(rec["rank"]),
            escape(str(rec["parameter"])),
            f"{rec['low']:g} to {rec['high']:g}",
            f"{rec[key]:,.3g} ± {rec[conf]:,.2g}",
            bar,
            f"{rec[extra[0]]:,.3g} ± {rec[extra[1]]:,.2g}",
        )
    out_console.print(view)


def print_calibration(result: CalibrationResult) -> None:
    """The estimates, the fit at them, and warnings where the fit is doubtful."""
    name = result.plan.name
    view = Table(title=escape(f"{name}: fitted parameters (95% bootstrap interval)"), title_justify="left")
    for col in ("parameter", "estimate", "interval", "range searched", ""):
        view.add_column(col, justify="left" if col in ("parameter", "") else "right")
    for r in result.parameters.to_dict("records"):
        view.add_row(
            escape(str(r["parameter"])),
            f"{r['estimate']:.4g}",
            f"{r['ci_low']:.4g} to {r['ci_high']:.4g}",
            f"{r['low']:g} to {r['high']:g}",
            escape(str(r.get("note") or "")),
        )
    out_console.print(view)
    fit = Table(title="fit: observed against simulated at the estimate", title_justify="left")
    for col in ("figure", "used", "observed", "P10", "P50", "P90", "error"):
        fit.add_column(col, justify="left" if col in ("figure", "used") else "right")
    for r in result.fit.to_dict("records"):
        fit.add_row(
            escape(str(r["target"])),
            str(r["used"]),
            f"{r['observed']:,.1f}",
            f"{r['simulated_p10']:,.1f}",
            f"{r['simulated_p50']:,.1f}",
            f"{r['simulated_p90']:,.1f}",
            f"{r['relative_error']:+.1%}",
        )
    out_console.print(fit)
    _print_calibration_notes(result)


def _print_calibration_notes(result: CalibrationResult) -> None:
    summary = result.summary
    out_console.print(f"MAPE of the fitted figures: {summary['mape']:.2%}", highlight=False)
    reach = summary.get("reach") or {}
    if reach.get("verdict") in ("widen", "out_of_reach"):
        say(str(reach["text"]))
    misses = summary["surface_misses"]
    if misses:
        say(
            f"warning: at the estimate the simulation misses what the fitted surface predicted for "
            f"{', '.join(misses)}: these parameters may not be able to reach the targets within their "
            "ranges (see design.csv), or need a wider or narrower range"
        )
    if result.backtest is not None:
        out_console.print(
            "held-out years, MAPE: calibrated model {calibrated:.2%}, last value {last_value:.2%}, "
            "linear trend {linear_trend:.2%}".format(**summary["backtest_mape"]),
            highlight=False,
        )


def print_seek(result: SeekResult) -> None:
    """The answer of a goal seek in a few lines: the value and its interval, or why there
    is none; the reversals of a relation that is not monotone; how many values were run."""
    say(result.text)
    for r in result.reversals:
        say(
            f"warning: the estimate moves against the overall direction between {r['from']:.4g} and "
            f"{r['to']:.4g} ({r['change']:+.4g}, 95% {r['ci_low']:+.4g} to {r['ci_high']:+.4g}); the "
            "interval assumes it does not"
        )
    n = len(result.evaluations)
    say(f"{n} values run, {n * result.plan.replications} replications")


BINDING_WORDS = {
    "en": (
        "binds most (mean share of the year): {parts}; what one more unit is worth: investsim bottlenecks",
        "nothing binds in any year",
        "{source} money",
        {
            "land_budget": "the land budget",
            "approval_capacity": "approval places",
            "land_capacity": "land places",
            "secretaries": "service secretaries",
        },
    ),
    "zh": (
        "最紧缺的资源（全年受限时间比重均值）：{parts}；每增加一个单位的价值见 investsim bottlenecks",
        "各年均无资源紧缺",
        "{source}",
        {
            "land_budget": "征地资金",
            "approval_capacity": "审批名额",
            "land_capacity": "征地名额",
            "secretaries": "服务秘书",
        },
    ),
}
"""The line under the forecast table on what binds most, in each language of ``--lang``."""


def print_binding(forecast: Forecast, lang: str = "en") -> None:
    """One line: the resource that binds the largest share of each year (docs/model.md
    7.5), years in a row with the same one grouped: ``government money 2019-2028 (86-100%)``."""
    from investsim.reporting.wording import NAMES_ZH

    annual = forecast.annual_table()
    line, nothing, source_text, names = BINDING_WORDS.get(lang, BINDING_WORDS["en"])
    found = [
        (name, members)
        for family in columns.BINDING_COLUMNS
        for name, members in columns.members(annual.columns, family, "mean")
    ]
    if not found:
        return

    def shown(name: str, members: dict[str, str]) -> str:
        if "source" in members:
            source = members["source"]
            return source_text.format(source=NAMES_ZH.get(source, source) if lang == "zh" else source)
        return names.get(columns.split_stat(name)[0].removeprefix("binding_"), name)

    shares = annual[[name for name, _ in found]].to_numpy(dtype=float)
    runs: list[tuple[str, int, int, float, float]] = []  # (resource, first, last year, min, max share)
    for year, row in zip(annual["year"].astype(int), shares, strict=True):
        k = int(row.argmax())
        if not row[k] > 0:
            continue
        what = shown(*found[k])
        if runs and runs[-1][0] == what and runs[-1][2] == year - 1:
            _, first, _, low, high = runs[-1]
            runs[-1] = (what, first, year, min(low, row[k]), max(high, row[k]))
        else:
            runs.append((what, year, year, row[k], row[k]))
    if not runs:
        say(nothing)
        return
    parts = []
    for what, first, last, low, high in runs:
        years = str(first) if first == last else f"{first}-{last}"
        share = f"{low:.0%}" if round(low, 2) == round(high, 2) else f"{low:.0%}-{high:.0%}"
        parts.append(f"{what} {years} ({share})")
    say(line.format(parts=", ".join(parts)))


REFORECAST_WORDS = {
    "en": (
        "{year} given the published figures ({unit}; ESS {ess:.0f} of {n} replications)",
        ("period", "published", "growth P10", "P50", "P90", "ytd total P50", "P(≥ target)"),
    ),
    "zh": (
        "{year}年，已知公布数（{unit}；有效样本 {ess:.0f}/{n}）",
        ("期间", "公布数", "累计增速 P10", "P50", "P90", "累计投资 P50", "达标概率"),
    ),
}
"""The title and headings of the re-forecast's table of the current year's periods."""


def print_reforecast(given: Reforecast, lang: str = "en") -> None:
    """The in-year re-forecast: one line (the probability of meeting the current year's
    target, with the ESS), the year's investment and growth given the actuals, and a row
    per period of the year: the published figure or, after it, the forecast given it."""
    out_console.print(given.sentence(lang), highlight=False, markup=False)
    out_console.print(given.year_line(lang), highlight=False, markup=False)
    year = given.actuals.current_year
    months = given.monthly_summary
    months = months[months["year"] == year]
    title, heads = REFORECAST_WORDS.get(lang, REFORECAST_WORDS["en"])
    unit = given.forecast.scenario.config.money_unit
    table = Table(
        title=escape(title.format(year=year, unit=unit, ess=given.ess, n=given.replications)),
        title_justify="left",
    )
    for col in heads:
        table.add_column(col, justify="right")
    for r in months.to_dict("records"):
        shown = []
        if r["published_ytd_growth"] == r["published_ytd_growth"]:
            shown.append(f"{r['published_ytd_growth']:+.1%}")
        if r["published_ytd_investment"] == r["published_ytd_investment"]:
            shown.append(f"{r['published_ytd_investment']:,.1f}")
        p = r.get("ytd_target_probability")
        table.add_row(
            str(r["period"] if lang == "zh" else r["period_en"]),
            " / ".join(shown),
            _share(r["ytd_growth_p10"]),
            _share(r["ytd_growth_p50"]),
            _share(r["ytd_growth_p90"]),
            f"{r['ytd_investment_p50']:,.1f}",
            "" if p is None or p != p else f"{p:.2f}",
        )
    out_console.print(table)


def _share(value: float) -> str:
    return "" if value != value else f"{value:+.1%}"
