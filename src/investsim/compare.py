"""Compare scenarios: the difference from a base forecast, with its uncertainty.

Run with the same seed and replication count, two scenarios share their random numbers
(common random numbers), so replication r of one is paired with replication r of the
other and the interval of the difference comes from the paired differences — much
narrower than from two independent runs. When the runs are not paired (different seeds
or replication counts, or ``independent=True``), the interval is Welch's and the table
says ``unpaired``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

METRICS = ("investment", "growth", "starts", "completions")
"""Metrics compared year by year; all but growth are also summed over the horizon and window."""

COLUMNS = (
    "scenario",
    "pairing",
    "period",
    "metric",
    "base_mean",
    "other_mean",
    "diff_mean",
    "diff_ci_low",
    "diff_ci_high",
    "diff_p10",
    "diff_p50",
    "diff_p90",
    "prob_other_higher",
    "replications",
)


@dataclass(frozen=True)
class Run:
    """One side of a comparison: a scenario's name, seed and replications table."""

    name: str
    seed: int
    replications: pd.DataFrame


def is_paired(base: Run, other: Run) -> bool:
    """Whether replication r of ``other`` saw the same random numbers as that of ``base``."""
    b, o = base.replications, other.replications
    return (
        base.seed == other.seed
        and b["replication"].nunique() == o["replication"].nunique()
        and sorted(b["year"].unique()) == sorted(o["year"].unique())
    )


def _row(base: np.ndarray, other: np.ndarray, paired: bool) -> dict[str, float]:
    """Difference statistics of one metric in one period (arrays: one value per replication)."""
    ok_b, ok_o = ~np.isnan(base), ~np.isnan(other)
    if paired:
        ok = ok_b & ok_o
        diff = other[ok] - base[ok]
        n = len(diff)
        mean = float(diff.mean()) if n else np.nan
        half = float(special.stdtrit(n - 1, 0.975) * diff.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan
        higher = float((diff > 0).mean()) if n else np.nan
        quantiles = np.quantile(diff, [0.1, 0.5, 0.9]) if n else [np.nan] * 3
    elif min(ok_b.sum(), ok_o.sum()) < 2:
        n, mean, half, higher, quantiles = 0, np.nan, np.nan, np.nan, [np.nan] * 3
    else:
        b, o = base[ok_b], other[ok_o]
        n = min(len(b), len(o))
        mean = float(o.mean() - b.mean())
        vb, vo = b.var(ddof=1) / len(b), o.var(ddof=1) / len(o)
        se = np.sqrt(vb + vo)
        dof = (vb + vo) ** 2 / (vb**2 / (len(b) - 1) + vo**2 / (len(o) - 1)) if se > 0 else 1.0
        half = float(special.stdtrit(dof, 0.975) * se) if n > 1 else np.nan
        # with no pairing, the distribution of the difference is that of O - B for
        # independent draws: every pair counts
        pairs = o[:, None] - b[None, :]
        higher = float((pairs > 0).mean()) if n else np.nan
        quantiles = np.quantile(pairs, [0.1, 0.5, 0.9]) if n else [np.nan] * 3
    return {
        "base_mean": float(np.nanmean(base)) if ok_b.any() else np.nan,
        "other_mean": float(np.nanmean(other)) if ok_o.any() else np.nan,
        "diff_mean": mean,
        "diff_ci_low": mean - half,
        "diff_ci_high": mean + half,
        "diff_p10": float(quantiles[0]),
        "diff_p50": float(quantiles[1]),
        "diff_p90": float(quantiles[2]),
        "prob_other_higher": higher,
        "replications": n,
    }


def _per_replication(df: pd.DataFrame, metric: str, years: list[int] | None) -> np.ndarray:
    """One value per replication: the metric in one year, or summed over ``years``."""
    if years is None:
        raise ValueError("years(=None) must be given.")
    rows = df[df["year"].isin(years)]
    return rows.groupby("replication")[metric].sum(min_count=1).sort_index().to_numpy(dtype=float)


def compare_runs(base: Run, others: list[Run], window: tuple[int, int] | None = None) -> pd.DataFrame:
    """The comparison table: one row per other scenario, period and metric.

    ``period`` is a year, ``total`` (the whole horizon) or ``Y1-Y2`` (the window).
    """
    rows = []
    years = sorted(int(y) for y in base.replications["year"].unique())
    periods: list[tuple[str, list[int]]] = [(str(y), [y]) for y in years]
    periods.append(("total", years))
    if window is not None:
        periods.append((f"{window[0]}-{window[1]}", [y for y in years if window[0] <= y <= window[1]]))
    seen: dict[str, int] = {}
    for other in others:
        paired = is_paired(base, other)
        # scenarios with the same name (e.g. two runs of one file) stay apart in the table
        seen[other.name] = seen.get(other.name, 0) + 1
        name = other.name if seen[other.name] == 1 else f"{other.name} ({seen[other.name]})"
        for label, span in periods:
            for metric in METRICS:
                if metric == "growth" and len(span) > 1:
                    continue  # growths do not add up over years
                b = _per_replication(base.replications, metric, span)
                o = _per_replication(other.replications, metric, span)
                stats_ = _row(b, o, paired)
                rows.append(
                    {
                        "scenario": name,
                        "pairing": "paired" if paired else "unpaired",
                        "period": label,
                        "metric": metric,
                        **stats_,
                    }
                )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def independent_seed(seed: int) -> int:
    """A seed whose streams are unrelated to ``seed``'s (for demonstrating what common
    random numbers buy; never the default)."""
    return int(np.random.SeedSequence([seed, 0x1D5]).generate_state(1, np.uint32)[0])


ATTRIBUTION_METRICS = (
    "investment",
    "starts",
    "cancelled_approval",
    "cancelled_land",
    "cancelled_financing",
    "approval_wait_months",
    "land_wait_months",
    "financing_wait_months",
    "approval_work_months",
    "land_work_months",
)
"""Per replication: totals over the period, or for ``*_months`` the mean over its years."""


def _subset_value(df: pd.DataFrame, metric: str, years: list[int]) -> np.ndarray:
    rows = df[df["year"].isin(years)].groupby("replication")[metric]
    agg = rows.mean() if metric.endswith("_months") else rows.sum(min_count=1)
    return agg.sort_index().to_numpy(dtype=float)


def shapley(values: dict[frozenset[int], np.ndarray], n: int) -> list[np.ndarray]:
    """Exact Shapley values of ``n`` players from the value of every coalition.

    ``values[S]`` is an array (one value per replication) for coalition S; the result has
    one array per player, and the players' values add up to v(all) - v(none) exactly.
    """
    from math import factorial

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
    method = "exact" if permutations is None else f"sampled: {len(permutations)} permutations"
    rows = []
    for metric in ATTRIBUTION_METRICS:
        if metric not in runs[frozenset()].columns:
            continue
        values = {s: _subset_value(df, metric, years) for s, df in runs.items()}
        if permutations is None:
            parts = shapley(values, len(names))
        else:
            parts = sampled_shapley(values, len(names), permutations)
        everything = values[frozenset(range(len(names)))] - values[frozenset()]
        for name, phi in [*zip(names, parts, strict=True), ("total", everything)]:
            ok = ~np.isnan(phi)
            n = int(ok.sum())
            mean = float(phi[ok].mean()) if n else np.nan
            half = (
                float(special.stdtrit(n - 1, 0.975) * phi[ok].std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan
            )
            rows.append(
                {
                    "policy": name,
                    "period": label,
                    "metric": metric,
                    "value_mean": mean,
                    "ci_low": mean - half,
                    "ci_high": mean + half,
                    "replications": n,
                    "method": method,
                }
            )
    return pd.DataFrame(rows)
