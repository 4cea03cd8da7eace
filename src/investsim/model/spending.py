"""Money spent and things counted per calendar year, integrated exactly from project times.

Construction spending is not simulated month by month: each project's spending profile
is integrated exactly over every calendar year at the end of the replication, which
needs no events at all.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from investsim.model.season import SeasonArrays
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
    season: SeasonArrays | None = None,
) -> FloatArray:
    """Money spent in each year [k, k+1) by projects under construction, integrated exactly.

    A project starting at ``start`` (years) with total construction time ``duration``,
    already at time share ``u0`` of its profile, has spent
    ``cost * (F(u0 + (t - start) / duration) - F(u0))`` by time t; with a construction
    ``season``, ``t - start`` is the working time between them, ``W(t) - W(start)``
    (:mod:`investsim.model.season`). Returns (projects x years).
    """
    bounds = np.arange(horizon + 1, dtype=float)
    # in place, on one (projects x years) array: this runs on every replication, and
    # fewer big temporaries keep it in the cache
    if season is None:
        u = bounds[None, :] - start[:, None]
    else:
        per_row = SeasonArrays(season.opens[:, None], season.length[:, None])
        u = per_row.working(bounds[None, :]) - season.working(start)[:, None]
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
    profiles: list[SpendingProfile],
    col: dict[str, FloatArray],
    horizon: int,
    before: int = 0,
    season: SeasonArrays | None = None,
) -> FloatArray:
    """Money each project spent in each year [k, k+1), k = -before .. horizon-1: land over
    the land stage, construction along its spending profile (in working time, with the
    projects' construction ``season``). Returns (projects x years)."""
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
                None if season is None else season.take(idx),
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


MONTHS = 12
"""Calendar months in a year; a month is exactly 1/12 of a year (docs/model.md, section 2)."""


def share_reached(
    t: FloatArray,
    start: FloatArray,
    duration: FloatArray,
    u0: FloatArray,
    season: SeasonArrays | None = None,
) -> FloatArray:
    """Share of its spending profile's time a project has reached at calendar time ``t``
    (clipped to [u0, 1]); a zero duration is done just after its start.

    Every monthly integral goes through this one function: with a construction
    ``season`` (time that does not count) ``t - start`` is the working time between them.
    """
    elapsed = t - start if season is None else season.working(t) - season.working(start)
    with np.errstate(divide="ignore", invalid="ignore"):
        u = elapsed / duration + u0
    u = np.where(duration == 0, np.where(t > start, 1.0, u0), u)
    return np.clip(u, u0, 1.0)


def monthly_spending(
    start: FloatArray,
    end: FloatArray,
    duration: FloatArray,
    u0: FloatArray,
    cost: FloatArray,
    profile: SpendingProfile,
    first: float,
    months: int,
    season: SeasonArrays | None = None,
) -> tuple[IntArray, IntArray, FloatArray]:
    """Money each project spent in each calendar month, integrated exactly, over the
    ``months`` months from time ``first`` (years): month j is [first + j/12, first + (j+1)/12).

    A project spends ``cost * (F(u(t)) - F(u0))`` by time t (see :func:`yearly_spending`),
    so a month's money is the difference of that at the month's two ends. Only the bounds
    from one before ``start`` to one after ``end`` (when the project is done) are evaluated: a project spends in a couple of dozen
    months, not in all of them. Returns (project index, month, money), one entry per
    project and month it spent in (months outside the window left out).
    """
    x0 = MONTHS * (start - first)
    x1 = MONTHS * (end - first)
    # a bound more on each side: a start a hair before a month's first day can round onto
    # it in x0, and the bound must still be one where nothing is spent yet
    lo = np.clip(np.floor(x0) - 1, 0, months).astype(np.int64)
    hi = np.clip(np.ceil(x1) + 1, 0, months).astype(np.int64)
    bounds = np.maximum(hi - lo + 1, 1)  # lo == hi: outside the window, one bound, no month
    owner = np.repeat(np.arange(len(start)), bounds)
    # j: the bound's number in the window, lo .. hi of each project in turn
    offset = np.arange(len(owner)) - np.repeat(np.cumsum(bounds) - bounds, bounds)
    j = lo[owner] + offset
    # m / 12 rounded once, as a policy's or a whole number of months' time is (first is a
    # whole year): first + j / 12 would round twice, and put a start on the first of a month
    # a hair after the month's bound
    t = (j + MONTHS * first) / MONTHS
    u = share_reached(
        t, start[owner], duration[owner], u0[owner], None if season is None else season.take(owner)
    )
    spent = cost[owner] * (profile.cdf(u) - profile.cdf(u0[owner]))
    # a month is the difference of two consecutive bounds of the same project
    same = owner[1:] == owner[:-1]
    return owner[1:][same], j[:-1][same], np.diff(spent)[same]


def project_months(
    profiles: list[SpendingProfile],
    col: dict[str, FloatArray],
    group: IntArray,
    groups: int,
    first: float,
    months: int,
    season: SeasonArrays | None = None,
) -> FloatArray:
    """Money spent in each calendar month by each group of projects (e.g. sector):
    (groups x months), month j being [first + j/12, first + (j+1)/12) in years since
    1 January of start_year. What :func:`project_spending` gives by year, by month: land
    over the land stage, construction along its spending profile, nothing from the day a
    register project stood in for a warm-up one."""
    parts: list[tuple[IntArray, IntArray, FloatArray]] = []
    started = ~np.isnan(col["construction_start"])
    for no, profile in enumerate(profiles):
        idx = np.flatnonzero(started & (col["profile_no"] == no))
        if len(idx):
            start, duration, u0 = col["construction_start"][idx], col["construction"][idx], col["u0"][idx]
            theirs = None if season is None else season.take(idx)
            who, month, money = monthly_spending(
                start,
                start + duration * (1 - u0) if theirs is None else theirs.finish(start, duration * (1 - u0)),
                duration,
                u0,
                col["construction_cost"][idx],
                profile,
                first,
                months,
                theirs,
            )
            parts.append((idx[who], month, money))
    idx = np.flatnonzero((col["land_cost"] > 0) & ~np.isnan(col["land_start"]))
    if len(idx):
        start, duration, u0 = col["land_start"][idx], col["land_duration"][idx], col["land_u0"][idx]
        who, month, money = monthly_spending(
            start,
            start + duration * (1 - u0),
            duration,
            u0,
            col["land_cost"][idx] / (1 - u0),
            SpendingProfile(),
            first,
            months,
        )
        parts.append((idx[who], month, money))
    out = np.zeros(groups * months)
    for who, month, money in parts:
        keep = np.ones(len(who), dtype=bool)
        replaced = col["replaced"][who] > 0
        if replaced.any():
            # stood in for on 1 January of a year: nothing from that month on
            cut = MONTHS * (col["cancelled_at"][who[replaced]] - first)
            keep[replaced] = month[replaced] < cut
        out += np.bincount(
            group[who[keep]] * months + month[keep], weights=money[keep], minlength=groups * months
        )
    return out.reshape(groups, months)
