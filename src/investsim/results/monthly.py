"""Months: investment per calendar month, the year-to-date total and year-to-date growth,
per replication and summarised in the statistics bureau's form; and growth targets.

The bureau publishes fixed-asset investment monthly as year-to-date totals and their
growth on the same months of the year before (累计同比), in rows "1-2月" (January and
February together: January alone is not published), "1-3月", ... "1-12月".

``monthly_frame`` is the per-replication table (one row per replication, year and
month, all twelve months); ``monthly_summary`` is ``monthly.csv``: one row per year and
bureau period, each column summarised over replications. Year-to-date growth, like
yearly growth, is computed within each replication and only then summarised.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from investsim import columns
from investsim.model.spending import MONTHS
from investsim.scenario.config import Scenario

if TYPE_CHECKING:
    from investsim.model.collect import ReplicationResult

QUANTILES = {"p10": 0.10, "p50": 0.50, "p90": 0.90}
MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
FIRST_PERIOD_END = 2
"""The bureau's first period ends in February: January is published with it, as 1-2月."""


def period_label(month: int, zh: bool = True) -> str:
    """The bureau's label of the year-to-date period ending in ``month``: ``1-6月`` (or
    ``Jan-Jun``); January alone is not a period the bureau publishes."""
    if not FIRST_PERIOD_END <= month <= MONTHS:
        raise ValueError(
            f"month(={month}) must be from {FIRST_PERIOD_END} to {MONTHS}: the bureau's periods are 1-2月 … 1-12月"
        )
    return f"1-{month}月" if zh else f"Jan-{MONTH_ABBR[month - 1]}"


def year_before_months(scenario: Scenario, results: list[ReplicationResult]) -> np.ndarray:
    """Investment in each month of the year before ``start_year``, per replication
    (replications x 12): the base of the first year's year-to-date growth.

    The warm-up is simulated, so the model has those months: the modelled projects'
    spending plus a twelfth of the year's background in each. With ``last_observed``,
    which gives only the year's level, the simulated months are scaled to add up to it
    (so the first year's 1-12月 growth is its yearly growth); a replication whose
    simulated year spent nothing gets the level evenly over the months. Without
    ``last_observed`` the first year has no yearly growth, and none by month either
    (NaN)."""
    c = scenario.config
    n = len(results)
    if c.last_observed is None:
        return np.full((n, MONTHS), np.nan)
    months = np.stack([_months(r)[:MONTHS] for r in results]) + np.array(
        [[r.background_before / MONTHS] for r in results]
    )
    total = months.sum(axis=1, keepdims=True)
    level = c.last_observed.investment
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        scaled = months * (level / total)
    # a year too small to scale (nothing spent, or next to nothing): the level evenly
    even = ~np.all(np.isfinite(scaled), axis=1, keepdims=True) | (total <= 0)
    return np.where(even, level / MONTHS, scaled)


def _by_sector(r: ReplicationResult) -> np.ndarray:
    """The replication's project spending by sector and month, year before first."""
    assert r.months_by_sector is not None, "a replication without months (made before months existed)"
    return r.months_by_sector


def _months(r: ReplicationResult) -> np.ndarray:
    """The replication's project spending by month (all sectors), year before first."""
    return _by_sector(r).sum(axis=0)


def monthly_frame(scenario: Scenario, results: list[ReplicationResult]) -> pd.DataFrame:
    """One row per replication, year and calendar month: ``investment`` in the month
    (modelled projects plus a twelfth of the year's background), ``ytd_investment`` (from
    January to the month), ``ytd_growth`` (on the same months of the year before, within
    the replication) and the month's investment by sector."""
    years = scenario.years
    horizon = len(years)
    n = len(results)
    by_sector = np.stack([_by_sector(r) for r in results])  # (reps, sectors, 12 (years + 1))
    projects = by_sector.sum(axis=1)
    background = np.stack([r.background for r in results])  # (reps, years)
    month_total = projects[:, MONTHS:].reshape(n, horizon, MONTHS) + background[:, :, None] / MONTHS
    before = year_before_months(scenario, results)[:, None, :]
    ytd = np.cumsum(month_total, axis=2)
    ytd_before = np.cumsum(np.concatenate([before, month_total[:, :-1, :]], axis=1), axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = np.where(ytd_before > 0, ytd / ytd_before - 1, np.nan)
    data: dict[str, Any] = {
        "replication": np.repeat([r.replication for r in results], horizon * MONTHS),
        "year": np.tile(np.repeat(years, MONTHS), n),
        "month": np.tile(np.arange(1, MONTHS + 1), n * horizon),
        "investment": month_total.ravel(),
        "ytd_investment": ytd.ravel(),
        "ytd_growth": growth.ravel(),
    }
    for s, name in enumerate(scenario.sector_names):
        data[columns.SECTOR_INVESTMENT.of(sector=name)] = by_sector[:, s, MONTHS:].ravel()
    return pd.DataFrame(data)


def bureau_periods(monthly: pd.DataFrame) -> pd.DataFrame:
    """The per-replication months in the bureau's periods: the rows of February to
    December, February's investment (and its sectors') being January's and February's
    together, as the bureau publishes 1-2月."""
    money = ["investment", *columns.member_names(monthly.columns, columns.SECTOR_INVESTMENT)]
    january = monthly[monthly["month"] == 1].set_index(["replication", "year"])[money]
    out = monthly[monthly["month"] >= FIRST_PERIOD_END].copy()
    feb = out["month"] == FIRST_PERIOD_END
    keys = pd.MultiIndex.from_frame(out.loc[feb, ["replication", "year"]])
    out.loc[feb, money] = out.loc[feb, money].to_numpy() + january.reindex(keys).to_numpy()
    return out.reset_index(drop=True)


def monthly_summary(monthly: pd.DataFrame, targets: dict[int, float] | None = None) -> pd.DataFrame:
    """``monthly.csv``: one row per year and bureau period (1-2月 … 1-12月), with the
    period's investment, the year-to-date total and year-to-date growth summarised over
    replications as the column registry says, and, for a year with a growth target, the
    target and the share of replications whose year-to-date growth is at or above it."""
    periods = bureau_periods(monthly)
    g = periods.groupby(["year", "month"], sort=True)
    out = pd.DataFrame(index=g.size().index)
    for name in periods.columns:
        found = columns.find(name)
        if name in ("replication", "year", "month") or found is None:
            continue
        for stat in found[0].summary:
            out[f"{name}_{stat}"] = g[name].mean() if stat == "mean" else g[name].quantile(QUANTILES[stat])
    out["replications"] = g.size()
    out = out.reset_index()
    out.insert(2, "period", [period_label(int(m)) for m in out["month"]])
    out.insert(3, "period_en", [period_label(int(m), zh=False) for m in out["month"]])
    if targets:
        target = out["year"].map(targets)
        out["growth_target"] = target
        met = periods.assign(target=periods["year"].map(targets))
        known = met["ytd_growth"].notna() & met["target"].notna()
        at = (met["ytd_growth"] >= met["target"]).astype(float).where(known)
        share = at.groupby([met["year"], met["month"]]).mean()
        out["ytd_target_probability"] = share.reindex(
            pd.MultiIndex.from_frame(out[["year", "month"]])
        ).to_numpy()
    return out


def target_probabilities(replications: pd.DataFrame, targets: dict[int, float]) -> pd.DataFrame:
    """Per target year: the target, the number of replications with a growth, how many
    met it (growth at or above the target), the probability and its 95 % Wilson interval
    (a binomial proportion of independent replications). A year whose growth is unknown
    (the first year without ``last_observed``) has no probability."""
    rows = []
    for year, target in sorted(targets.items()):
        growth = replications.loc[replications["year"] == year, "growth"].to_numpy(dtype=float)
        growth = growth[~np.isnan(growth)]
        n, k = len(growth), int((growth >= target).sum())
        low, high = (float("nan"), float("nan"))
        if n:
            ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
            low, high = float(ci.low), float(ci.high)
        rows.append(
            {
                "year": year,
                "growth_target": target,
                "replications": n,
                "met": k,
                "probability": k / n if n else float("nan"),
                "ci_low": low,
                "ci_high": high,
            }
        )
    return pd.DataFrame(
        rows, columns=["year", "growth_target", "replications", "met", "probability", "ci_low", "ci_high"]
    )


def with_targets(annual: pd.DataFrame, replications: pd.DataFrame, targets: dict[int, float]) -> pd.DataFrame:
    """The yearly summary with, for each year that has a growth target, the target and
    the probability of meeting it (the share of replications whose growth is at or above
    it); empty for the other years."""
    if not targets:
        return annual
    found = target_probabilities(replications, targets).set_index("year")
    out = annual.copy()
    out["growth_target"] = out["year"].map(found["growth_target"])
    out["target_probability"] = out["year"].map(found["probability"])
    return out


def target_sentence(row: dict[str, Any], zh: bool = False) -> str:
    """One target year in one line, from a row of :func:`target_probabilities` (or the
    manifest's ``targets``): ``P(2021 growth ≥ 8%) = 0.34 (95% interval 0.28-0.41, 200
    replications)``."""
    year, target, n = int(row["year"]), float(row["growth_target"]), int(row["replications"])
    share = f"{target:.1%}".replace(".0%", "%")
    claim = f"P({year}年增速 ≥ {share})" if zh else f"P({year} growth ≥ {share})"
    if n == 0:
        if zh:
            return f"{claim}：未知（{year} 年无增速：情景没有 last_observed）"
        return f"{claim}: unknown (no growth for {year}: the scenario has no last_observed)"
    p, low, high = float(row["probability"]), float(row["ci_low"]), float(row["ci_high"])
    if zh:
        return f"{claim} = {p:.2f}（95% 区间 {low:.2f}–{high:.2f}，{n} 次模拟）"
    return f"{claim} = {p:.2f} (95% interval {low:.2f}-{high:.2f}, {n} replications)"
