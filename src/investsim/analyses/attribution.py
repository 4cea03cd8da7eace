"""Attribution: split a scenario's difference from the same scenario without its policies
across its policies by Shapley values, every coalition run with common random numbers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from math import factorial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from investsim.errors import InputError
from investsim.results.stats import mean_interval
from investsim.runs.runner import Backend
from investsim.runs.simulate import simulate
from investsim.scenario.config import Scenario
from investsim.scenario.loading import load_scenario

ATTRIBUTION_METRICS = (
    "investment",
    "starts",
    "cancelled_approval",
    "cancelled_land",
    "cancelled_financing",
    "approval_wait_months",
    "land_wait_months",
    "financing_wait_months",
    "construction_wait_months",  # the wait for the construction season to open (only with a season)
    "approval_work_months",
    "land_work_months",
)
"""Per replication: totals over the period, or for ``*_months`` the mean over its years
(a metric the runs do not have, such as the season's wait without a season, is left out)."""


def _subset_value(df: pd.DataFrame, metric: str, years: list[int]) -> np.ndarray:
    rows = df[df["year"].isin(years)].groupby("replication")[metric]
    agg = rows.mean() if metric.endswith("_months") else rows.sum(min_count=1)
    return agg.sort_index().to_numpy(dtype=float)


def shapley(values: dict[frozenset[int], np.ndarray], n: int) -> list[np.ndarray]:
    """Exact Shapley values of ``n`` players from the value of every coalition.

    ``values[S]`` is an array (one value per replication) for coalition S; the result has
    one array per player, and the players' values add up to v(all) - v(none) exactly.
    """
    out = []
    for i in range(n):
        phi = np.zeros_like(values[frozenset()])
        for s, v in values.items():
            if i in s:
                continue
            weight = factorial(len(s)) * factorial(n - len(s) - 1) / factorial(n)
            phi = phi + weight * (values[s | {i}] - v)
        out.append(phi)
    return out


def sampled_shapley(
    values: dict[frozenset[int], np.ndarray], n: int, permutations: Sequence[Sequence[int]]
) -> list[np.ndarray]:
    """Shapley values of ``n`` players estimated from sampled orders of arrival.

    Each permutation adds the players one by one; a player's value is the mean of its
    marginal contributions. Within each permutation the contributions telescope to
    v(all) - v(none), so the estimates still add up to the total exactly.
    ``values`` must hold every prefix coalition of every permutation.
    """
    out = [np.zeros_like(values[frozenset()]) for _ in range(n)]
    for order in permutations:
        before: frozenset[int] = frozenset()
        for i in order:
            after = before | {i}
            out[i] = out[i] + (values[after] - values[before])
            before = after
    return [phi / len(permutations) for phi in out]


def sample_permutations(n: int, count: int, seed: int) -> list[list[int]]:
    """``count`` orders of ``n`` players in antithetic pairs (an order and its reverse),
    which cancels much of the sampling noise of position effects."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5A4]))
    out: list[list[int]] = []
    while len(out) < count:
        order = [int(i) for i in rng.permutation(n)]
        out.append(order)
        if len(out) < count:
            out.append(order[::-1])
    return out


def prefix_coalitions(permutations: Sequence[Sequence[int]]) -> set[frozenset[int]]:
    """Every coalition that ``sampled_shapley`` needs for these permutations."""
    needed: set[frozenset[int]] = {frozenset()}
    for order in permutations:
        for k in range(1, len(order) + 1):
            needed.add(frozenset(order[:k]))
    return needed


def month_period(year: int, month: int) -> dict[str, Any]:
    """The period columns of a month's rows in comparison.csv and attribution.csv."""
    return {
        "period": f"{year}-{month:02d}",
        "period_kind": "month",
        "first_year": year,
        "last_year": year,
        "month": month,
    }


MONTH_ATTRIBUTION_METRICS = ("investment", "ytd_investment", "ytd_growth")
"""Attributed month by month (with ``months``): the month's investment, the year-to-date
total and year-to-date growth, each of one replication in one month."""


def _split(
    values: dict[frozenset[int], np.ndarray], n: int, permutations: Sequence[Sequence[int]] | None
) -> list[np.ndarray]:
    """Each player's Shapley values: exact, or over the sampled ``permutations``."""
    return shapley(values, n) if permutations is None else sampled_shapley(values, n, permutations)


def _rows(
    names: list[str],
    parts: list[np.ndarray],
    everything: np.ndarray,
    when: dict[str, Any],
    metric: str,
    method: str,
) -> list[dict[str, Any]]:
    """One row per policy and the ``total``: the mean of the per-replication values and
    their 95% interval."""
    rows = []
    for name, phi in [*zip(names, parts, strict=True), ("total", everything)]:
        interval = mean_interval(phi)
        rows.append(
            {
                "policy": name,
                **when,
                "metric": metric,
                "value_mean": interval.mean,
                "ci_low": interval.low,
                "ci_high": interval.high,
                "replications": interval.n,
                "method": method,
            }
        )
    return rows


def _method(permutations: Sequence[Sequence[int]] | None) -> str:
    return "exact" if permutations is None else f"sampled: {len(permutations)} permutations"


def attribute_months(
    months: dict[frozenset[int], pd.DataFrame],
    names: list[str],
    years: list[int],
    permutations: Sequence[Sequence[int]] | None = None,
) -> pd.DataFrame:
    """Split each month's difference between all policies and none across the policies
    (Shapley), for every month of ``years``: ``months`` maps each coalition to its
    per-replication months (:attr:`investsim.Forecast.monthly`), all run with the same
    seed. One row per policy, month and metric (:data:`MONTH_ATTRIBUTION_METRICS`), with
    ``period`` ``Y-MM`` and ``period_kind`` ``month``, plus a ``total`` row; in every
    month the policies' values add up to the total (Shapley's efficiency), so an effect
    that moves investment from one month to another shows as a part that is negative in
    some months and positive in others."""
    method = _method(permutations)
    none: frozenset[int] = frozenset()
    everyone = frozenset(range(len(names)))
    rows = []
    for year in years:
        for month in range(1, 13):
            chosen = {s: m[(m["year"] == year) & (m["month"] == month)] for s, m in months.items()}
            when = month_period(year, month)
            for metric in MONTH_ATTRIBUTION_METRICS:
                values = {
                    s: one.sort_values("replication")[metric].to_numpy(dtype=float)
                    for s, one in chosen.items()
                }
                parts = _split(values, len(names), permutations)
                rows += _rows(names, parts, values[everyone] - values[none], when, metric, method)
    return pd.DataFrame(rows)


def attribute(
    runs: dict[frozenset[int], pd.DataFrame],
    names: list[str],
    period: tuple[str, list[int]],
    permutations: Sequence[Sequence[int]] | None = None,
) -> pd.DataFrame:
    """Split the difference between all policies and none across the policies (Shapley).

    ``runs`` maps each subset of policy indices to its replications table (all run with
    the same seed: common random numbers): every subset for exact values, or the prefix
    coalitions of ``permutations`` for sampled ones. One row per policy and metric, with
    the mean of the per-replication Shapley value and its 95% interval, plus a ``total``
    row.
    """
    label, years = period
    method = _method(permutations)
    when = {
        "period": label,
        "period_kind": "total" if label == "total" else "window",
        "first_year": min(years),
        "last_year": max(years),
        "month": None,
    }
    rows = []
    for metric in ATTRIBUTION_METRICS:
        if metric not in runs[frozenset()].columns:
            continue
        values = {s: _subset_value(df, metric, years) for s, df in runs.items()}
        parts = _split(values, len(names), permutations)
        everything = values[frozenset(range(len(names)))] - values[frozenset()]
        rows += _rows(names, parts, everything, when, metric, method)
    return pd.DataFrame(rows)


EXACT_ATTRIBUTION_MAX = 6
"""Up to this many policies, attribution runs every subset (2^k runs); beyond it, it
samples permutations."""


def attribute_policies(
    scenario: Scenario | str | Path,
    replications: int | None = None,
    seed: int | None = None,
    jobs: int | Backend = 1,
    window: tuple[int, int] | None = None,
    overrides: Sequence[str] = (),
    permutations: int = 12,
    on_progress: Callable[[int], None] | None = None,
    months: tuple[int, int] | None = None,
) -> pd.DataFrame:
    """Shapley attribution of a scenario's difference from the same scenario without its
    policies, all runs with the same seed (common random numbers).

    With at most :data:`EXACT_ATTRIBUTION_MAX` policies every subset is run and the values
    are exact; with more, ``permutations`` orders of the policies are sampled (antithetic
    pairs) and only their prefix coalitions are run. Either way the parts add up to the
    total difference exactly; the ``method`` column says which was used. With ``months``
    ``(Y1, Y2)``, each month of those years is attributed too (:func:`attribute_months`).
    """
    full = _loaded(scenario, overrides)
    raw = full.resolved.get("policies") or []
    if not raw:
        raise InputError("has no policies to attribute", file=full.source, path="policies")
    if permutations < 2:
        raise InputError(f"permutations(={permutations}) must be >= 2")
    n = replications or full.config.replications
    s = full.config.seed if seed is None else seed
    k = len(raw)
    orders: list[list[int]] | None = None
    if k <= EXACT_ATTRIBUTION_MAX:
        coalitions = [frozenset(i for i in range(k) if mask >> i & 1) for mask in range(2**k)]
    else:
        orders = sample_permutations(k, permutations, s)
        coalitions = sorted(prefix_coalitions(orders), key=lambda c: (len(c), sorted(c)))
    runs: dict[frozenset[int], pd.DataFrame] = {}
    month_runs: dict[frozenset[int], pd.DataFrame] = {}
    for subset in coalitions:
        scn = full.with_overrides({"policies": [raw[i] for i in sorted(subset)]})
        forecast = simulate(scn, replications=n, seed=s, jobs=jobs, on_progress=on_progress)
        runs[subset] = forecast.replications
        if months is not None and forecast.monthly is not None:
            month_runs[subset] = forecast.monthly
    years = full.years
    periods = [("total", years)]
    if window is not None:
        periods.append((f"{window[0]}-{window[1]}", [y for y in years if window[0] <= y <= window[1]]))
    names = [str(p.get("name", f"policy {i}")) for i, p in enumerate(raw)]
    parts = [attribute(runs, names, p, orders) for p in periods]
    if months is not None:
        chosen = [y for y in years if months[0] <= y <= months[1]]
        parts.append(attribute_months(month_runs, names, chosen, orders))
    table = pd.concat(parts, ignore_index=True)
    return table.astype({"first_year": "Int64", "last_year": "Int64", "month": "Int64"})


def attribution_runs(scenario: Scenario | str | Path, permutations: int = 12, seed: int | None = None) -> int:
    """How many scenario runs :func:`attribute_policies` makes (for progress bars)."""
    scn = _loaded(scenario)
    k = len(scn.resolved.get("policies") or [])
    if k <= EXACT_ATTRIBUTION_MAX:
        return 2**k
    s = scn.config.seed if seed is None else seed
    return len(prefix_coalitions(sample_permutations(k, permutations, s)))


def _loaded(scenario: Scenario | str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """A loaded scenario as it is, or the scenario file loaded with ``--set`` ``overrides``."""
    if isinstance(scenario, Scenario):
        if overrides:
            raise TypeError("overrides are for a scenario file: change a Scenario with with_overrides({...})")
        return scenario
    return load_scenario(scenario, overrides)
