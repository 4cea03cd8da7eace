"""Invariants checked at the end of every replication; a failure is a bug in the model.

Every project is accounted for once (completed, cancelled or still in a stage), its
stage times are in order, no lever broke its own invariants (each checks itself), and
money is conserved: what a project spent from its first payment to the horizon is what
it owes by then, computed from its stage times alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from investsim.errors import ModelCheckError
from investsim.model.project import LOG_TIMES, entered
from investsim.model.season import SeasonArrays, project_seasons
from investsim.stages import STAGES

if TYPE_CHECKING:
    from investsim.model.pipeline import Pipeline

FloatArray = NDArray[np.float64]


def self_check(pipe: Pipeline, col: dict[str, FloatArray], spent: FloatArray) -> None:
    """Check a finished replication. ``col`` holds the projects' collected fields;
    ``spent`` is (projects x years), from a year before the first payment to the horizon."""
    # construction counts working time only where a sector has a season
    season = project_seasons(pipe.seasons, col["sector"].astype(np.int64))
    _check_accounted_for(pipe, col)
    _check_stage_order(pipe, col)
    for lever in pipe.levers:
        lever.check(col)
    _check_money(pipe, col, spent, season)


MONTHS_TOLERANCE = 1e-9
"""Months and years are integrated separately: they agree to rounding (relative to the
year's money), far inside this."""


def check_months(months: FloatArray, years: FloatArray) -> None:
    """The months of each year add up to the year: ``months`` is (groups x 12 * years),
    ``years`` (groups x years), both from 1 January of the same year."""
    summed = months.reshape(len(months), -1, 12).sum(axis=2)
    gap = np.abs(summed - years)
    if np.any(gap > MONTHS_TOLERANCE * np.maximum(1.0, np.abs(years))):
        g, k = np.unravel_index(int(np.argmax(gap)), gap.shape)
        raise ModelCheckError(
            f"the months of year {k} (from the year before start_year) of group {g} add up to "
            f"{summed[g, k]:.17g}, the year is {years[g, k]:.17g}"
        )


def _check_accounted_for(pipe: Pipeline, col: dict[str, FloatArray]) -> None:
    """Completed, cancelled in the stage it last entered, or still in that stage."""
    projects = pipe.projects
    done = ~np.isnan(col["completed"])
    where = col["cancelled_in"].astype(np.int64)
    cancelled = where >= 0
    if np.any(done & cancelled):
        raise ModelCheckError(f"{int((done & cancelled).sum())} projects both completed and cancelled")
    # all arrivals fall before the horizon: every project has arrived
    if np.any(np.isnan(col["arrived"])):
        raise ModelCheckError(f"{int(np.isnan(col['arrived']).sum())} projects never arrived")
    if np.any(done & np.isnan(col["construction_start"])):
        raise ModelCheckError("a project completed without starting construction")
    reached = np.where(np.isnan(entered(col)), -1, np.arange(4)[None, :]).max(axis=1)
    if np.any(reached < 0):
        raise ModelCheckError(
            f"project {projects[int(np.argmin(reached))].name}: arrived but entered no stage"
        )
    wrong = cancelled & (where != reached)
    if np.any(wrong):
        k = int(np.flatnonzero(wrong)[0])
        raise ModelCheckError(
            f"project {projects[k].name}: cancelled in {STAGES[where[k]]} but last entered {STAGES[reached[k]]}"
        )


def _check_stage_order(pipe: Pipeline, col: dict[str, FloatArray]) -> None:
    """Stage times in order (NaN: not reached; in-flight projects skip the stages they passed)."""
    projects = pipe.projects
    last = np.full(len(projects), -np.inf)
    for name in LOG_TIMES:
        t = col[name]
        if np.any(t < last - 1e-12):
            k = int(np.flatnonzero(t < last - 1e-12)[0])
            raise ModelCheckError(
                f"project {projects[k].name}: {name} at {t[k]:.6f} is before an earlier stage"
            )
        last = np.where(np.isnan(t), last, t)
    cancelled = col["cancelled_in"] >= 0
    if np.any(col["cancelled_at"][cancelled] < col["arrived"][cancelled] - 1e-12):
        raise ModelCheckError("a project was cancelled before it arrived")


def _owed(pipe: Pipeline, col: dict[str, FloatArray], season: SeasonArrays | None) -> FloatArray:
    """What each project owes by the horizon (or by when it left the pipeline, for one a
    register project stood in for), from its stage times alone."""
    until = np.where(col["replaced"] > 0, col["cancelled_at"], float(pipe.cfg.horizon_years))
    owed = np.zeros(len(col["cost"]))
    land_rows = np.flatnonzero((col["land_cost"] > 0) & ~np.isnan(col["land_start"]))
    if len(land_rows):
        cost = col["land_cost"][land_rows]
        duration = col["land_duration"][land_rows]
        u0 = col["land_u0"][land_rows]
        start = col["land_start"][land_rows]
        # an instant land acquisition pays at its start, if that is before ``until``
        finished = ~np.isnan(col["land_end"][land_rows]) | ((duration == 0) & (start < until[land_rows]))
        with np.errstate(divide="ignore", invalid="ignore"):
            part = np.where(
                duration > 0, np.minimum(1.0, (until[land_rows] - start) / duration / (1 - u0)), 0.0
            )
        owed[land_rows] += np.where(finished, cost, cost * part)
    done = ~np.isnan(col["completed"])
    started = ~np.isnan(col["construction_start"])
    for no, profile in enumerate(pipe.profiles):
        idx = np.flatnonzero(started & (col["profile_no"] == no))
        duration = col["construction"][idx]
        u0 = col["u0"][idx]
        finished = done[idx] | (duration == 0)
        start = col["construction_start"][idx]
        if season is None:
            worked = until[idx] - start
        else:  # working time only
            theirs = season.take(idx)
            worked = theirs.working(until[idx]) - theirs.working(start)
        with np.errstate(divide="ignore", invalid="ignore"):
            at = np.where(finished, 1.0, u0 + worked / duration)
        if np.any(at > 1.0 + 1e-9):
            k = int(idx[np.flatnonzero(at > 1.0 + 1e-9)[0]])
            raise ModelCheckError(
                f"project {pipe.projects[k].name}: finished before the horizon but not completed"
            )
        cost = col["construction_cost"][idx]
        owed[idx] += cost * (profile.cdf(np.minimum(at, 1.0)) - profile.cdf(u0))
    if np.any(started & (col["profile_no"] < 0)):
        raise ModelCheckError("a project started construction without a spending profile")
    return owed


def _check_money(
    pipe: Pipeline, col: dict[str, FloatArray], spent: FloatArray, season: SeasonArrays | None
) -> None:
    """What each project spent from its first payment to the horizon is what it owes."""
    owed = _owed(pipe, col, season)
    gap = np.abs(spent.sum(axis=1) - owed)
    bad = gap > 1e-9 * np.maximum(1.0, owed)
    if np.any(bad):
        k = int(np.flatnonzero(bad)[0])
        raise ModelCheckError(
            f"project {pipe.projects[k].name}: spent {spent[k].sum():.10g} by the horizon, owes {owed[k]:.10g}"
        )
