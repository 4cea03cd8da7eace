"""The in-year re-forecast: the forecast given the year-to-date figures published so far.

>>> fc = investsim.simulate(investsim.load_scenario("scenarios/liaoyuan/baseline.yaml"))
>>> rf = investsim.reforecast(fc, "scenarios/liaoyuan/actuals_2021_example.csv")
>>> rf.sentence()   # 'given 1-6月 2021: P(2021 growth ≥ 6%) = 0.41 (ESS 183 of 400)'
>>> rf.annual       # the years, given the actuals (weighted P10/P50/P90)

Method (docs/model.md, "The in-year re-forecast"): each published figure is the true
year-to-date figure times a lognormal measurement error, ``log(published) = log(true) +
e``, ``e ~ N(0, sigma^2)``, independent between figures (``sigma`` =
``measurement_error``, 0.05 by default; a growth is compared as ``1 + growth``). A
replication's weight is the likelihood of all the published figures were it the truth
(importance sampling with the forecast as the prior); every summary is then a weighted
one (weighted quantiles: ``numpy.quantile(..., weights=, method="inverted_cdf")``). The
effective sample size ``ESS = (sum w)^2 / sum w^2`` says how many replications the
weighted ones are worth; below ``min_ess`` the run is made again with more replications
(the same seed, so its first replications are the forecast's own), up to
``max_replications``, and a warning names the figure the model is furthest from if it
stays small.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
from scipy import special, stats

from investsim.analyses.arguments import jobs_argument, optional_whole_number, real_number
from investsim.analyses.saving import plot
from investsim.errors import InputError
from investsim.results.actuals import Actuals, actuals_from_frame, read_actuals
from investsim.results.forecast import Forecast, write_results
from investsim.results.monthly import bureau_periods, period_label
from investsim.runs.runner import Backend
from investsim.runs.simulate import extend
from investsim.scenario.config import Scenario

if TYPE_CHECKING:
    from matplotlib.figure import Figure as ChartFigure  # Figure here is a published figure

MEASUREMENT_ERROR = 0.05
"""Default ``sigma`` of the lognormal error of a published figure (5 %). ASSUMPTION, the
planner's to tune (docs/model.md): the model's months are smooth, while a city's published
year-to-date figures move by a few points from one release to the next (revisions,
projects entering the statistics in lumps); lower it for figures the planner trusts."""

WINTER_FACTOR = 4.0
"""The error of a figure of a period that ends before construction opens in every sector
(1-2月 and 1-3月 with an April season) is ``WINTER_FACTOR`` times ``measurement_error``
(0.20 by default). In the model those months hold land money only, a few percent of the
year's; a city's winter figures also hold what the model does not (equipment bought,
projects entering the statistics in lumps), on that small base, so its early growth moves
by tens of points from year to year. Measured on the Liaoyuan baseline (docs/model.md
7.9): with 5 % on 1-2月 and 1-3月 the median ESS over 100 held-apart truths was 18 of 2000
and the 80 % interval of the year's growth covered the truth 73 times in 100; with 20 %,
105 and 88, and the year's interval about as wide as with those two figures left out."""

MIN_ESS = 100
"""Below this effective sample size replications are added: P10 and P90 of fewer than
~100 equally weighted replications move by several percentiles from run to run."""

MAX_FACTOR = 10
"""By default at most this many times the forecast's replications are run."""

UNIT_FACTOR = 1000
"""Published totals this many times the model's (or this many times smaller) are in
another unit: 万元 for 亿元 is 10,000."""

LEVEL_FAR = 2.0
"""Published totals more than twice (or under half) the model's are worth a warning: the
model may not count the projects the bureau counts."""

QUANTILES = {"p10": 0.10, "p50": 0.50, "p90": 0.90}

LEVEL, GROWTH = "ytd_investment", "ytd_growth"


@dataclass(frozen=True)
class Figure:
    """One published figure a replication is compared with."""

    year: int
    month: int
    figure: str  # LEVEL or GROWTH: the per-replication column it is compared with
    observed: float
    sigma: float
    row: str
    used_as: str
    row_number: int = 0


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The ``q`` quantile of ``values`` under ``weights`` (NaN values and their weights are
    left out; NaN if nothing is left): numpy's weighted inverted-CDF quantile."""
    ok = ~np.isnan(values) & (weights > 0)
    if not ok.any():
        return math.nan
    return float(np.quantile(values[ok], q, weights=weights[ok], method="inverted_cdf"))


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2`` (0 for no weight)."""
    total = float(np.sum(weights))
    return 0.0 if total <= 0 else total**2 / float(np.sum(weights**2))


def wilson_interval(p: float, n: float, level: float = 0.95) -> tuple[float, float]:
    """Wilson's interval of a proportion ``p`` of ``n`` observations, where ``n`` may be an
    effective sample size (not a whole number, so scipy's ``binomtest`` can't take it)."""
    if n <= 0 or math.isnan(p):
        return math.nan, math.nan
    z = float(stats.norm.ppf(0.5 + level / 2))
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def _by_replication(monthly: pd.DataFrame, column: str) -> pd.DataFrame:
    """``column`` of the per-replication months: one row per replication (in order), one
    column per (year, month)."""
    return monthly.pivot(index="replication", columns=["year", "month"], values=column).sort_index()


def by_replication(forecast: Forecast) -> dict[str, pd.DataFrame]:
    """The per-replication figures the re-forecast reads, one row per replication (in
    order): ``ytd_investment`` and ``ytd_growth`` with a column per (year, month), and
    the years' ``investment`` and ``growth`` with a column per year (made once)."""
    monthly = forecast.monthly
    if monthly is None:
        raise InputError("the forecast has no months (made before months existed): run it again")
    reps = forecast.replications
    return {
        LEVEL: _by_replication(monthly, LEVEL),
        GROWTH: _by_replication(monthly, GROWTH),
        "investment": reps.pivot(index="replication", columns="year", values="investment").sort_index(),
        "growth": reps.pivot(index="replication", columns="year", values="growth").sort_index(),
    }


def winter_months(scenario: Scenario) -> int:
    """The last month ``m`` such that no sector of ``scenario`` builds before the end of
    month ``m`` (3 for an April season in every sector; 0 without a season, or with a
    sector that builds all year): the periods 1-2月 … 1-m月 hold land money only."""
    season = scenario.config.construction_season
    if season is None:
        return 0
    opens = []
    for sector in scenario.config.sectors:
        own = season.of(sector)
        if own is None:
            return 0
        opens.append(own.start)
    return math.floor(min(opens) * 12 + 1e-9)


def figures(
    actuals: Actuals,
    forecast: Forecast,
    tables: Mapping[str, pd.DataFrame],
    winter_factor: float = WINTER_FACTOR,
) -> list[Figure]:
    """The published figures the replications are weighed against. A growth is compared
    as a growth where the model has the year before; otherwise (the first year without
    ``last_observed``) it is turned into a total with the year before's published total
    of the same period (sigma times sqrt 2: two figures' errors), and refused if there is
    none. Figures of the year before ``start_year`` only serve as such a base. A figure of
    a period that ends before construction opens (:func:`winter_months`) has its error
    times ``winter_factor``."""
    first = forecast.scenario.years[0]
    winter = winter_months(forecast.scenario)
    growth = tables[GROWTH]
    table = actuals.table
    base = {
        (int(r["year"]), int(r["month"])): float(r[LEVEL])
        for r in table.to_dict("records")
        if not math.isnan(r[LEVEL])
    }
    out: list[Figure] = []
    for r in table.to_dict("records"):
        year, month, row, number = int(r["year"]), int(r["month"]), str(r["row"]), int(r["row_number"])
        if year < first:
            continue
        k = winter_factor if month <= winter else 1.0
        if not math.isnan(r[LEVEL]):
            out.append(Figure(year, month, LEVEL, float(r[LEVEL]), k, row, LEVEL, number))
        if math.isnan(r[GROWTH]):
            continue
        if growth[(year, month)].notna().any():
            out.append(Figure(year, month, GROWTH, float(r[GROWTH]), k, row, GROWTH, number))
        elif not math.isnan(r[LEVEL]):
            continue  # the total itself is compared; its growth on a base the model lacks adds nothing
        elif (year - 1, month) in base:
            level = base[(year - 1, month)] * (1 + float(r[GROWTH]))
            out.append(
                Figure(
                    year, month, LEVEL, level, k * math.sqrt(2), row, "ytd_investment from ytd_growth", number
                )
            )
        else:
            file, _, line = row.rpartition(":")
            raise InputError(
                f"the model has no year before {year} to grow from (the scenario has no "
                f"last_observed): give the year-to-date total of {period_label(month)} {year - 1} "
                f"too (a row of year {year - 1}), or ytd_investment of {period_label(month)} {year}",
                file=file,
                line=int(line) if line.isdigit() else None,
                path=f"row {r['row_number']}, {GROWTH}",
            )
    return out


def _check_units(found: list[Figure], levels: pd.DataFrame, unit: str) -> list[str]:
    """Refuse totals in another unit (万元 for 亿元); warn about totals far from the model's."""
    ratios = []
    for f in found:
        if f.figure != LEVEL or f.used_as != LEVEL:
            continue
        median = float(np.nanmedian(levels[(f.year, f.month)].to_numpy(dtype=float)))
        if median > 0:
            ratios.append((f.observed / median, f, median))
    if not ratios:
        return []
    ratio, f, median = sorted(ratios, key=lambda t: t[0])[len(ratios) // 2]
    file, _, line = f.row.rpartition(":")
    where = f"{period_label(f.month)} {f.year}"
    if ratio >= UNIT_FACTOR or ratio <= 1 / UNIT_FACTOR:
        hint = (
            " Is the file in 万元? Divide ytd_investment by 10,000 for 亿元."
            if ratio >= UNIT_FACTOR and unit == "亿元"
            else f" Give ytd_investment in the scenario's money unit, {unit}."
        )
        raise InputError(
            f"ytd_investment(={f.observed:,.10g}) is {ratio:,.0f} times the model's median for {where} "
            f"({median:,.1f} {unit}): another unit.{hint}",
            file=file,
            line=int(line) if line.isdigit() else None,
            path=f"row {f.row_number}, {LEVEL}",
        )
    if ratio >= LEVEL_FAR or ratio <= 1 / LEVEL_FAR:
        return [
            f"the published year-to-date totals are {ratio:.2f} times the model's (median, e.g. "
            f"{f.observed:g} against {median:,.1f} {unit} for {where}): the model may not count the "
            "projects the bureau counts; its level can be set with background.level, or give only "
            "ytd_growth"
        ]
    return []


def log_likelihoods(found: list[Figure], tables: Mapping[str, pd.DataFrame], sigma: float) -> np.ndarray:
    """Per replication (in replication order), the log-likelihood of the published figures
    were the replication the truth: the sum over figures of ``-z^2/2``, ``z = (log
    published - log simulated) / (sigma * f.sigma)`` (a growth as ``1 + growth``);
    ``-inf`` for a replication whose figure is not positive."""
    total = np.zeros(len(tables[LEVEL]))
    for f in found:
        sim = tables[f.figure][(f.year, f.month)].to_numpy(dtype=float)
        obs = f.observed
        if f.figure == GROWTH:
            sim, obs = 1 + sim, 1 + obs
        with np.errstate(divide="ignore", invalid="ignore"):
            z = (math.log(obs) - np.log(sim)) / (sigma * f.sigma)
        total += np.where(np.isfinite(z), -0.5 * z * z, -np.inf)
    return total


def normalised(log_lik: np.ndarray) -> np.ndarray:
    """Weights summing to 1 from log-likelihoods (computed with logsumexp, so figures far
    from every replication do not underflow to 0/0)."""
    if not np.isfinite(log_lik).any():
        return np.zeros_like(log_lik)
    return np.asarray(np.exp(log_lik - special.logsumexp(log_lik)))


def _fit(
    found: list[Figure], tables: Mapping[str, pd.DataFrame], weights: np.ndarray, sigma: float
) -> pd.DataFrame:
    """How each published figure compares with the model, before and given the actuals."""
    rows = []
    for f in found:
        sim = tables[f.figure][(f.year, f.month)].to_numpy(dtype=float)
        known = sim[~np.isnan(sim)]
        sim_log = np.log1p(known) if f.figure == GROWTH else np.log(known[known > 0])
        obs_log = math.log1p(f.observed) if f.figure == GROWTH else math.log(f.observed)
        spread = math.sqrt(float(np.var(sim_log)) + (sigma * f.sigma) ** 2)
        rows.append(
            {
                "year": f.year,
                "month": f.month,
                "period": period_label(f.month),
                "figure": f.figure,
                "used_as": f.used_as,
                "observed": f.observed,
                "sigma": sigma * f.sigma,
                "model_p10": float(np.quantile(known, 0.1)),
                "model_p50": float(np.quantile(known, 0.5)),
                "model_p90": float(np.quantile(known, 0.9)),
                "model_percentile": float(np.mean(known <= f.observed)),
                "z": (obs_log - float(np.mean(sim_log))) / spread if spread > 0 else math.nan,
                "given_p50": weighted_quantile(sim, weights, 0.5),
                "row": f.row,
            }
        )
    return pd.DataFrame(rows)


def _weighted_stats(
    values: np.ndarray, weights: np.ndarray, prefix: str, mean: bool = True
) -> dict[str, float]:
    ok = ~np.isnan(values)
    out: dict[str, float] = {}
    if mean:
        out[f"{prefix}_mean"] = (
            float(np.average(values[ok], weights=weights[ok])) if weights[ok].sum() > 0 else math.nan
        )
    for stat, q in QUANTILES.items():
        out[f"{prefix}_{stat}"] = weighted_quantile(values, weights, q)
    return out


def _target(values: np.ndarray, weights: np.ndarray, target: float) -> tuple[float, float, float, float]:
    """(probability, its Wilson interval's ends, the ESS it rests on) of ``values >= target``."""
    ok = ~np.isnan(values)
    w = weights[ok]
    if w.sum() <= 0:
        return math.nan, math.nan, math.nan, 0.0
    p = float(w[values[ok] >= target].sum() / w.sum())
    n = effective_sample_size(w)
    low, high = wilson_interval(p, n)
    return p, low, high, n


def weighted_annual(
    forecast: Forecast, weights: np.ndarray, tables: Mapping[str, pd.DataFrame]
) -> pd.DataFrame:
    """The yearly investment and growth given the actuals (weighted mean and P10/P50/P90),
    the growth target and the probability of meeting it where the year has one."""
    investment, growth = tables["investment"], tables["growth"]
    targets = forecast.growth_targets
    rows = []
    for year in investment.columns:
        row: dict[str, Any] = {"year": int(year)}
        row.update(_weighted_stats(investment[year].to_numpy(dtype=float), weights, "investment"))
        row.update(_weighted_stats(growth[year].to_numpy(dtype=float), weights, "growth", mean=False))
        if int(year) in targets:
            p, *_ = _target(growth[year].to_numpy(dtype=float), weights, targets[int(year)])
            row["growth_target"], row["target_probability"] = targets[int(year)], p
        rows.append(row)
    return pd.DataFrame(rows)


def weighted_monthly(forecast: Forecast, weights: np.ndarray, actuals: Actuals) -> pd.DataFrame:
    """``monthly.csv`` given the actuals: per year and the bureau's period, the period's
    investment, the year-to-date total and growth (weighted), the probability that the
    year-to-date growth is at or above the year's target, and the published figures."""
    monthly = forecast.monthly
    assert monthly is not None
    periods = bureau_periods(monthly)
    targets = forecast.growth_targets
    by = {
        name: periods.pivot(index="replication", columns=["year", "month"], values=name).sort_index()
        for name in ("investment", LEVEL, GROWTH)
    }
    published: dict[tuple[int, int], dict[Any, Any]] = {
        (int(r["year"]), int(r["month"])): r for r in actuals.table.to_dict("records")
    }
    rows = []
    for column in by["investment"].columns:
        year, month = cast(tuple[int, int], column)
        row: dict[str, Any] = {
            "year": int(year),
            "month": int(month),
            "period": period_label(int(month)),
            "period_en": period_label(int(month), zh=False),
        }
        row.update(
            _weighted_stats(by["investment"][(year, month)].to_numpy(dtype=float), weights, "investment")
        )
        row.update(_weighted_stats(by[LEVEL][(year, month)].to_numpy(dtype=float), weights, LEVEL))
        g = by[GROWTH][(year, month)].to_numpy(dtype=float)
        row.update(_weighted_stats(g, weights, GROWTH, mean=False))
        if int(year) in targets:
            row["growth_target"] = targets[int(year)]
            row["ytd_target_probability"] = _target(g, weights, targets[int(year)])[0]
        seen = published.get((int(year), int(month)))
        row["published_ytd_investment"] = math.nan if seen is None else float(seen[LEVEL])
        row["published_ytd_growth"] = math.nan if seen is None else float(seen[GROWTH])
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass(frozen=True, eq=False)
class Reforecast:
    """A forecast given the year-to-date figures published so far: the run (with any
    replications added), each replication's weight, and the summaries given the actuals."""

    forecast: Forecast
    """The run the weights belong to (more replications than asked if the ESS was small)."""
    actuals: Actuals
    weights: pd.Series
    """Per replication (the index), its weight; they sum to 1."""
    log_likelihood: pd.Series
    ess: float
    measurement_error: float
    annual: pd.DataFrame
    """Per year (the index): investment (mean, P10/P50/P90), growth (P10/P50/P90), the
    target and the probability of meeting it, given the actuals."""
    targets: pd.DataFrame
    """Per target year: the target, the probability of meeting it given the actuals, its
    95 % Wilson interval with the ESS as the number of observations, and that ESS."""
    fit: pd.DataFrame
    """Per published figure used: the figure, the model's P10/P50/P90 and its percentile
    there before the actuals, ``z`` (how far off, in the model's spread and the error), and
    the P50 given the actuals."""
    warnings: tuple[str, ...]
    manifest: dict[str, Any] = field(repr=False)

    @functools.cached_property
    def monthly_summary(self) -> pd.DataFrame:
        """``monthly.csv`` given the actuals, with the published figures beside (computed
        when first asked for)."""
        return weighted_monthly(self.forecast, self.weights.to_numpy(), self.actuals)

    @property
    def replications(self) -> int:
        """The number of replications weighed."""
        return len(self.weights)

    def sentence(self, lang: str = "en") -> str:
        """One line: ``given 1-6月 2021: P(2021 growth ≥ 6%) = 0.41 (ESS 183 of 400)``,
        or, for a year without a target, its investment and growth given the actuals."""
        zh = lang == "zh"
        year = self.actuals.current_year
        lead = (
            f"已知 {year}年{period_label(self.actuals.last_month)}" if zh else f"given {self.actuals.given}"
        )
        ess = (
            f"（有效样本 {self.ess:.0f}/{self.replications}）"
            if zh
            else f" (ESS {self.ess:.0f} of {self.replications})"
        )
        t: dict[int, dict[Any, Any]] = {int(r["year"]): r for r in self.targets.to_dict("records")}
        if year in t:
            share = f"{t[year]['growth_target']:.1%}".replace(".0%", "%")
            claim = f"P({year}年增速 ≥ {share})" if zh else f"P({year} growth ≥ {share})"
            return (
                f"{lead}：{claim} = {t[year]['probability']:.2f}{ess}"
                if zh
                else (f"{lead}: {claim} = {t[year]['probability']:.2f}{ess}")
            )
        return f"{lead}{'：' if zh else ': '}{self.year_line(lang)}{ess}"

    def year_line(self, lang: str = "en") -> str:
        """The current year's investment and growth given the actuals, in words."""
        year = self.actuals.current_year
        a: dict[Any, Any] = self.annual.loc[year].to_dict()
        unit = self.forecast.scenario.config.money_unit
        growth = "" if math.isnan(a["growth_p50"]) else f"{a['growth_p50']:+.1%}"
        if lang == "zh":
            g = f"，增速 {growth}（P10 {a['growth_p10']:+.1%}，P90 {a['growth_p90']:+.1%}）" if growth else ""
            return (
                f"{year}年投资 {a['investment_p50']:,.1f} {unit}（P10 {a['investment_p10']:,.1f}，"
                f"P90 {a['investment_p90']:,.1f}）{g}"
            )
        g = f", growth {growth} (P10 {a['growth_p10']:+.1%}, P90 {a['growth_p90']:+.1%})" if growth else ""
        return (
            f"{year} investment {a['investment_p50']:,.1f} {unit} (P10 {a['investment_p10']:,.1f}, "
            f"P90 {a['investment_p90']:,.1f}){g}"
        )

    def __repr__(self) -> str:
        return f"Reforecast({self.forecast.scenario.name!r}, {self.sentence()})"

    def plot(self, kind: str = "fan", lang: str = "en") -> ChartFigure:
        """The report's chart: ``fan``, annual investment before and given the published
        figures; ``ytd``, the current year's year-to-date growth, 1-2月 … 1-12月, before and
        given them, with the published figures and the target."""
        kinds = {"fan": "given_fan", "ytd": "given_ytd"}
        if kind not in kinds:
            raise ValueError(f"kind(={kind!r}) must be 'fan' or 'ytd'")
        monthly = self.forecast.monthly_summary
        tables = {
            "annual.csv": self.forecast.annual_table(),
            "reforecast_annual.csv": self.annual.reset_index(),
            "reforecast_monthly.csv": self.monthly_summary,
            **({"monthly.csv": monthly} if monthly is not None else {}),
        }
        return plot(kinds[kind], tables, self.manifest, lang)

    def save(self, out: str | Path, lang: str = "en") -> Path:
        """Write the results folder atomically: the run's files (``annual.csv``,
        ``monthly.csv``, ... of every replication, unweighted) and, given the actuals,
        ``reforecast_annual.csv``, ``reforecast_monthly.csv``, ``reforecast_fit.csv``,
        ``weights.csv`` and ``actuals.csv``, the weights and ESS in ``manifest.json``'s
        ``actuals``; then the report in ``lang``. Returns the folder's path."""
        if lang not in ("en", "zh"):
            raise ValueError(f"lang(={lang!r}) must be 'en' or 'zh'")
        extra = {
            "reforecast_annual.csv": self.annual.reset_index(),
            "reforecast_monthly.csv": self.monthly_summary,
            "reforecast_fit.csv": self.fit,
            "weights.csv": pd.DataFrame(
                {
                    "replication": self.weights.index,
                    "weight": self.weights.to_numpy(),
                    "log_likelihood": self.log_likelihood.to_numpy(),
                }
            ),
            "actuals.csv": self.actuals.table,
        }
        return write_results(self.forecast, Path(out), lang, extra=extra, manifest=self.manifest)


def _actuals_argument(value: object, sheet: str | None) -> Actuals:
    if isinstance(value, Actuals):
        return value
    if isinstance(value, (str, Path)):
        return read_actuals(value, sheet)
    if isinstance(value, pd.DataFrame):
        return actuals_from_frame(value)
    raise TypeError(
        f"actuals must be a file path, a DataFrame or investsim.read_actuals(...), got {type(value).__name__}"
    )


def reforecast(
    forecast: Forecast,
    actuals: Actuals | str | Path | pd.DataFrame,
    measurement_error: float = MEASUREMENT_ERROR,
    min_ess: float = MIN_ESS,
    max_replications: int | None = None,
    jobs: int | Backend = 1,
    on_progress: Callable[[int], None] | None = None,
    sheet: str | None = None,
    winter_factor: float = WINTER_FACTOR,
) -> Reforecast:
    """``forecast`` given the published year-to-date figures ``actuals`` (a CSV or Excel
    file, a DataFrame with its columns, or :func:`read_actuals`'s result).

    Each replication is weighted by the likelihood of the figures under a lognormal
    ``measurement_error`` (module docstring); if the effective sample size is under
    ``min_ess``, the scenario is run again with more replications of the same seed (at
    most ``max_replications``, by default 10 times the forecast's), and a warning says
    if it stays small. Figures of periods before construction opens count with
    ``winter_factor`` times the error (:data:`WINTER_FACTOR`). ``InputError`` for actuals that can't be used (a year outside the
    forecast, totals in another unit, a growth with no base)."""
    if not isinstance(forecast, Forecast):
        raise TypeError(f"forecast must be a Forecast from investsim.simulate, got {type(forecast).__name__}")
    found_actuals = _actuals_argument(actuals, sheet)
    sigma = real_number("measurement_error", measurement_error)
    if not 0 < sigma <= 1:
        raise ValueError(f"measurement_error(={sigma}) must be a share > 0 and <= 1, e.g. 0.02")
    winter = real_number("winter_factor", winter_factor)
    if winter < 1:
        raise ValueError(f"winter_factor(={winter}) must be >= 1: winter figures are no surer than others")
    least = real_number("min_ess", min_ess)
    if least < 1:
        raise ValueError(f"min_ess(={least}) must be >= 1")
    jobs = jobs_argument(jobs)
    first = forecast.replications["replication"].nunique()
    cap = optional_whole_number("max_replications", max_replications, 1) or MAX_FACTOR * first
    found_actuals.check_years(forecast.scenario)
    tables = by_replication(forecast)
    found = figures(found_actuals, forecast, tables, winter)
    if not found:
        raise InputError(
            f"no figure of the forecast's years ({forecast.scenario.years[0]} on): the rows of the year "
            "before only serve as a base",
            file=found_actuals.file,
        )
    notes = list(found_actuals.warnings) + _check_units(
        found, tables[LEVEL], forecast.scenario.config.money_unit
    )
    log_lik = log_likelihoods(found, tables, sigma)
    weights = normalised(log_lik)
    ess = effective_sample_size(weights)
    while ess < least and len(weights) < cap:
        # ESS grows about in proportion to the replications: aim a quarter above the need
        n = min(cap, max(len(weights) + 1, math.ceil(len(weights) * least / max(ess, 1.0) * 1.25)))
        # only the new replications run: replication r is the same in any batch
        forecast = extend(forecast, n, jobs=jobs, on_progress=on_progress)
        tables = by_replication(forecast)
        log_lik = log_likelihoods(found, tables, sigma)
        weights = normalised(log_lik)
        ess = effective_sample_size(weights)
    if not weights.any():
        raise InputError(
            "no replication can produce the published figures (a year-to-date total or growth the model "
            "has as empty or not positive)",
            file=found_actuals.file,
        )
    fit = _fit(found, tables, weights, sigma)
    if ess < least:
        far: dict[Any, Any] = fit.iloc[int(np.nanargmax(fit["z"].abs().to_numpy()))].to_dict()
        shown = f"{far['observed']:+.1%}" if far["figure"] == GROWTH else f"{far['observed']:,.1f}"
        shown_model = (
            f"{far['model_p10']:+.1%} to {far['model_p90']:+.1%}"
            if far["figure"] == GROWTH
            else f"{far['model_p10']:,.1f} to {far['model_p90']:,.1f}"
        )
        notes.append(
            f"the effective sample size is {ess:.1f} of {len(weights)} replications (under {least:g}, "
            f"with {len(weights) - first} added, the most allowed): few replications come near the published "
            f"figures, so the intervals rest on few; furthest off is {far['period']} {int(far['year'])} "
            f"{far['figure']} {shown} (the model's P10-P90 {shown_model}, at its "
            f"{far['model_percentile']:.0%} percentile): the model may not reproduce what was observed"
        )
    index = pd.Index(tables[LEVEL].index.to_numpy(), name="replication")
    annual = weighted_annual(forecast, weights, tables).set_index("year")
    target_rows = []
    growth = tables["growth"]
    for year, target in sorted(forecast.growth_targets.items()):
        if year not in growth.columns:
            continue
        p, low, high, eff = _target(growth[year].to_numpy(dtype=float), weights, target)
        target_rows.append(
            {
                "year": year,
                "growth_target": target,
                "probability": p,
                "ci_low": low,
                "ci_high": high,
                "ess": eff,
            }
        )
    targets = pd.DataFrame(
        target_rows, columns=["year", "growth_target", "probability", "ci_low", "ci_high", "ess"]
    )
    result = Reforecast(
        forecast=forecast,
        actuals=found_actuals,
        weights=pd.Series(weights, index=index, name="weight"),
        log_likelihood=pd.Series(log_lik, index=index, name="log_likelihood"),
        ess=ess,
        measurement_error=sigma,
        annual=annual,
        targets=targets,
        fit=fit,
        warnings=tuple(notes),
        manifest={},
    )
    manifest = forecast.manifest
    manifest["actuals"] = _manifest_part(result, first, least, cap, winter)
    return dataclasses.replace(result, manifest=manifest)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (np.floating, np.integer)):
        return _clean(value.item())
    return value


def _manifest_part(
    result: Reforecast, first: int, least: float, cap: int, winter_factor: float
) -> dict[str, Any]:
    a = result.actuals
    records: list[Mapping[str, Any]] = result.targets.to_dict("records")  # type: ignore[assignment]
    return {
        "file": a.file,
        "current_year": a.current_year,
        "last_month": a.last_month,
        "given": a.given,
        "figures": len(result.fit),
        "measurement_error": result.measurement_error,
        "winter_months": winter_months(result.forecast.scenario),
        "winter_factor": winter_factor,
        "min_ess": least,
        "max_replications": cap,
        "replications_asked": first,
        "replications": result.replications,
        "ess": result.ess,
        "sentence": result.sentence("en"),
        "sentence_zh": result.sentence("zh"),
        "year_line": result.year_line("en"),
        "year_line_zh": result.year_line("zh"),
        "targets": [{k: _clean(v) for k, v in r.items()} for r in records],
        "warnings": list(result.warnings),
        "weights": [float(w) for w in result.weights.to_numpy()],
    }
