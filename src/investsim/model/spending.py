"""Money spent and things counted per calendar year, integrated exactly from project times.

Construction spending is not simulated month by month: each project's spending profile
is integrated exactly over every calendar year at the end of the replication, which
needs no events at all.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from investsim.scenario.distributions import SpendingProfile

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def yearly_spending(
    start: FloatArray,
    duration: FloatArray,
    u0: FloatArray,
    cost: FloatArray,
    profile: SpendingProfile,
    horizon: int,
) -> FloatArray:
    """Money spent in each year [k, k+1) by projects under construction, integrated exactly.

    A project starting at ``start`` (years) with total construction time ``duration``,
    already at time share ``u0`` of its profile, has spent
    ``cost * (F(u0 + (t - start) / duration) - F(u0))`` by time t. Returns (projects x years).
    """
    bounds = np.arange(horizon + 1, dtype=float)
    # in place, on one (projects x years) array: this runs on every replication, and
    # fewer big temporaries keep it in the cache
    u = bounds[None, :] - start[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        u /= duration[:, None]
    u += u0[:, None]
    instant = duration == 0
    if np.any(instant):
        # a zero duration spends everything at the start: at a bound t, done iff t > start
        u[instant] = np.where(bounds[None, :] > start[instant, None], 1.0, u0[instant, None])
    np.clip(u, u0[:, None], 1.0, out=u)
    spent = profile.cdf(u)
    spent *= cost[:, None]
    return np.diff(spent, axis=1)


def project_spending(
    profiles: list[SpendingProfile], col: dict[str, FloatArray], horizon: int, before: int = 0
) -> FloatArray:
    """Money each project spent in each year [k, k+1), k = -before .. horizon-1: land over
    the land stage, construction along its spending profile. Returns (projects x years)."""
    shift = float(before)
    spend = np.zeros((len(col["cost"]), horizon + before))
    started = ~np.isnan(col["construction_start"])
    for no, profile in enumerate(profiles):
        idx = np.flatnonzero(started & (col["profile_no"] == no))
        if len(idx):
            spend[idx] += yearly_spending(
                col["construction_start"][idx] + shift,
                col["construction"][idx],
                col["u0"][idx],
                col["construction_cost"][idx],
                profile,
                horizon + before,
            )
    idx = np.flatnonzero((col["land_cost"] > 0) & ~np.isnan(col["land_start"]))
    if len(idx):
        u0 = col["land_u0"][idx]
        # linear over the land stage; an in-flight project pays what is left of it
        spend[idx] += yearly_spending(
            col["land_start"][idx] + shift,
            col["land_duration"][idx],
            u0,
            col["land_cost"][idx] / (1 - u0),
            SpendingProfile(),
            horizon + before,
        )
    # a warm-up project a register project stands for spends nothing from that day on
    # (1 January of start_year: a year boundary, so whole years are dropped exactly)
    for k in np.flatnonzero(col["replaced"] > 0):
        spend[k, int(col["cancelled_at"][k]) + before :] = 0.0
    return spend


def count_by_year(times: FloatArray, horizon: int) -> IntArray:
    """How many of ``times`` fall in each year [k, k+1) of the horizon (NaN: never)."""
    t = times[~np.isnan(times)]
    t = t[(t >= 0) & (t < horizon)]
    return np.bincount(np.floor(t).astype(np.int64), minlength=horizon)[:horizon]


def sum_by_year(when: FloatArray, values: FloatArray, horizon: int) -> FloatArray:
    """Sum of ``values`` grouped by the year of ``when`` (NaN times and other years left out)."""
    ok = (when >= 0) & (when < horizon)
    year = np.floor(when[ok]).astype(np.int64)
    out = np.bincount(year, weights=values[ok], minlength=horizon)[:horizon].astype(float)
    return out


def mean_by_year(when: FloatArray, values: FloatArray, horizon: int) -> FloatArray:
    """Mean of ``values`` grouped by the year of ``when`` (NaN for a year with none)."""
    ok = (when >= 0) & (when < horizon)
    year = np.floor(when[ok]).astype(np.int64)
    total = np.bincount(year, weights=values[ok], minlength=horizon)[:horizon]
    count = np.bincount(year, minlength=horizon)[:horizon]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)
