"""What one replication produced: yearly arrays read from the projects and the levers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy
from numpy.typing import NDArray

from investsim import columns as cols
from investsim.model import checks
from investsim.model.project import LOG_TIMES, columns, entered
from investsim.model.season import project_seasons
from investsim.model.spending import (
    MONTHS,
    count_by_year,
    mean_by_year,
    project_months,
    project_spending,
    sum_by_year,
)
from investsim.model.streams import Streams
from investsim.scenario.config import Scenario
from investsim.stages import CANCEL_STAGES, STAGES, Stage

if TYPE_CHECKING:
    from investsim.model.pipeline import Pipeline

FloatArray = NDArray[np.float64]


@dataclass
class ReplicationResult:
    """What one replication produced, as small yearly arrays.

    ``investment_by_sector`` and ``investment_by_source`` are (sectors x years) and
    (sources x years) project spending; ``yearly`` holds the other per-year series
    (counts, stage waits, utilisation, financing accounts) by column name.

    ``months_by_sector`` is project spending by sector and calendar month, (sectors x
    12 * (years + 1)): the twelve months of the year before ``start_year`` first (the
    base of the first year's year-to-date growth), then those of every reported year.
    ``background_before`` is the background investment of the year before.
    """

    replication: int
    investment_by_sector: FloatArray
    investment_by_source: FloatArray
    background: FloatArray
    yearly: dict[str, FloatArray]
    key_projects: int
    key_with_secretary: int
    events: int
    project_log: dict[str, Any] | None = None
    register_replaced: int = 0  # warm-up projects the register's projects stood for
    months_by_sector: FloatArray | None = None
    background_before: float = 0.0


def collect(
    scenario: Scenario, pipe: Pipeline, streams: Streams, replication: int, project_log: bool
) -> ReplicationResult:
    """Read the finished replication into yearly arrays, after its self-checks pass."""
    c = scenario.config
    horizon = c.horizon_years
    col = columns(pipe.projects, pipe.warmup)
    sector = col["sector"].astype(np.int64)
    in_flight = col["in_flight"] > 0
    # funding shares by number; row -1 (no shares yet) is all zeros
    vectors = np.zeros((len(pipe.share_vectors) + 1, len(pipe.all_sources)))
    if pipe.share_vectors:
        vectors[:-1] = pipe.share_vectors
    shares = vectors[col["shares_no"].astype(np.int64)]

    # construction in working time where a sector has a season (None: all year everywhere)
    season = project_seasons(pipe.seasons, sector)
    # from a year before the earliest possible payment, so the self-check sees all of it
    spent = project_spending(pipe.profiles, col, horizon, c.warmup_years + 1, season)
    spend = spent[:, c.warmup_years + 1 :]
    by_sector = np.zeros((len(c.sectors), horizon))
    np.add.at(by_sector, sector, spend)
    # the same money by calendar month, from 1 January of the year before start_year
    months = project_months(pipe.profiles, col, sector, len(c.sectors), -1.0, MONTHS * (horizon + 1), season)

    yearly: dict[str, FloatArray] = {}
    # the money spent by the projects already in the pipeline on 1 January of start_year
    # (named in the projects register or arrived during the warm-up): the known pipeline's share
    yearly[cols.INVESTMENT_IN_FLIGHT.name] = spend[in_flight | (col["arrived"] < 0)].sum(axis=0)
    yearly.update(_stocks(col, horizon))
    yearly.update(_flows(col, horizon, c.large_project_threshold))
    yearly.update(_stage_times(col, horizon, c.construction_season is not None))
    for lever in pipe.levers:
        yearly.update(lever.outputs(col, c.warmup_years, horizon))

    checks.self_check(pipe, col, spent)
    before = np.bincount(sector, weights=spent[:, c.warmup_years], minlength=len(c.sectors))
    checks.check_months(months, np.column_stack([before, by_sector]))
    background = _background(scenario, streams)
    return ReplicationResult(
        replication=replication,
        investment_by_sector=by_sector,
        investment_by_source=shares.T @ spend,
        background=background[1:],
        yearly=yearly,
        key_projects=int(col["key"].sum()),
        key_with_secretary=int((col["secretary"] > 0).sum()),
        events=_events_processed(pipe.env),
        project_log=_project_log(pipe, col) if project_log else None,
        register_replaced=pipe.replaced,
        months_by_sector=months,
        background_before=float(background[0]),
    )


def _stocks(col: dict[str, FloatArray], horizon: int) -> dict[str, FloatArray]:
    """Projects in each stage at the end of each year (a stock, where entering is a flow)."""
    into = entered(col)
    cancelled_in = col["cancelled_in"].astype(np.int64)
    year_ends = np.arange(1, horizon + 1, dtype=float)
    out: dict[str, FloatArray] = {}
    for k, stage in enumerate(STAGES):
        begin = into[:, k]
        leave = into[:, k + 1] if k < 3 else col["completed"]
        leave = np.where(np.isnan(leave) & (cancelled_in == k), col["cancelled_at"], leave)
        leave = np.where(np.isnan(leave), np.inf, leave)
        # just before midnight: a project starting on 1 January (money refills then) is
        # counted in the new year, as its start is
        inside = (begin[:, None] < year_ends[None, :]) & (year_ends[None, :] <= leave[:, None])
        out[cols.IN_STAGE_AT_YEAR_END.of(stage=stage)] = inside.sum(axis=0).astype(float)
    return out


def _flows(col: dict[str, FloatArray], horizon: int, large_threshold: float | None) -> dict[str, FloatArray]:
    """Arrivals, starts (and the investment they plan), completions and cancellations per year."""
    in_flight = col["in_flight"] > 0
    carried = col["carried"] > 0
    cancelled_in = col["cancelled_in"].astype(np.int64)
    out: dict[str, FloatArray] = {}
    out[cols.ARRIVALS.name] = count_by_year(col["arrived"][~in_flight], horizon).astype(float)
    out[cols.STARTS.name] = count_by_year(col["construction_start"][~carried], horizon).astype(float)
    # planned total investment (land included, before overrun) of the projects starting
    planned = col["cost"]
    begun = col["construction_start"]
    out[cols.STARTED_INVESTMENT.name] = sum_by_year(begun[~carried], planned[~carried], horizon)
    if large_threshold is not None:
        large = ~carried & (planned >= large_threshold)
        out[cols.STARTS_LARGE.name] = count_by_year(begun[large], horizon).astype(float)
        out[cols.STARTED_INVESTMENT_LARGE.name] = sum_by_year(begun[large], planned[large], horizon)
    out[cols.COMPLETIONS.name] = count_by_year(col["completed"], horizon).astype(float)
    replaced = col["replaced"] > 0  # left when a register project stood in: not cancellations
    for stage in CANCEL_STAGES:
        when = col["cancelled_at"][(cancelled_in == stage) & ~replaced]
        out[cols.CANCELLED.of(cancel_stage=stage.label)] = count_by_year(when, horizon).astype(float)
    return out


def _stage_times(col: dict[str, FloatArray], horizon: int, season: bool) -> dict[str, FloatArray]:
    """Per stage and year: projects entering, and mean months waited and worked by those
    finishing the stage that year; with a construction ``season``, the months projects
    starting construction that year waited for the season to open."""
    into = entered(col)
    cancelled_in = col["cancelled_in"].astype(np.int64)
    ends = {
        Stage.APPROVAL: (col["approval_start"], col["approval_end"]),
        Stage.LAND: (col["land_start"], col["land_end"]),
        Stage.FINANCING: (col["financing_end"], col["financing_end"]),
    }
    out: dict[str, FloatArray] = {}
    for stage in Stage:
        k, name = int(stage), stage.label
        out[cols.ENTERING.of(stage=name)] = count_by_year(into[:, k], horizon).astype(float)
        if stage is Stage.CONSTRUCTION:
            if season:
                # counted when the wait ends (the start), as financing's wait is
                began = ~np.isnan(col["construction_start"]) & (col["carried"] == 0)
                waited = (col["construction_start"] - col["entered_construction"])[began]
                out[cols.WAIT_MONTHS.of(stage=name)] = mean_by_year(
                    col["construction_start"][began], 12 * waited, horizon
                )
            done = ~np.isnan(col["completed"])
            work = (col["completed"] - col["construction_start"])[done]
            out[cols.WORK_MONTHS.of(stage=name)] = mean_by_year(col["completed"][done], 12 * work, horizon)
            continue
        begin, end = ends[stage]
        # a project that gave up waiting for money waited until it was cancelled
        if stage is Stage.FINANCING:
            gave_up = (cancelled_in == k) & (col["replaced"] == 0)
            end = np.where(gave_up, col["cancelled_at"], end)
            begin = end
        finished = ~np.isnan(end) & ~np.isnan(into[:, k])
        out[cols.WAIT_MONTHS.of(stage=name)] = mean_by_year(
            end[finished], 12 * (begin - into[:, k])[finished], horizon
        )
        if stage is not Stage.FINANCING:
            out[cols.WORK_MONTHS.of(stage=name)] = mean_by_year(
                end[finished], 12 * (end - begin)[finished], horizon
            )
    return out


def _background(scenario: Scenario, streams: Streams) -> FloatArray:
    """Investment outside the modelled projects, growing at one uncertain rate per
    replication: the year before start_year (``level / (1 + g)``, the base of the first
    year's year-to-date growth), then every reported year."""
    c = scenario.config
    if c.background is None:
        return np.zeros(c.horizon_years + 1)
    g = float(c.background.growth.ppf(streams.uniforms(1, "background", "growth"))[0])
    return c.background.level * (1 + g) ** np.arange(-1, c.horizon_years, dtype=float)


def _project_log(pipe: Pipeline, col: dict[str, FloatArray]) -> dict[str, Any]:
    """One record per project: who, how big, and when it reached each stage."""
    projects = pipe.projects
    cancelled_in = col["cancelled_in"].astype(np.int64)
    return {
        "project": [p.name for p in projects],
        "sector": [pipe.sector_names[p.sector] for p in projects],
        # the actual cost (after overrun) once construction started, else the estimate
        "cost": np.where(
            col["construction_cost"] != 0, col["land_total"] + col["construction_cost"], col["cost"]
        ),
        "key": col["key"] > 0,
        "in_flight": col["in_flight"] > 0,
        "secretary": col["secretary"] > 0,
        **{k: col[k] for k in LOG_TIMES},
        "cancelled_stage": [
            STAGES[k] if k >= 0 and not r else None
            for k, r in zip(cancelled_in.tolist(), col["replaced"].tolist(), strict=True)
        ],
        "replaced": col["replaced"] > 0,
    }


def _events_processed(env: simpy.Environment) -> int:
    eid = getattr(env, "_eid", None)
    return int(repr(eid)[6:-1]) if eid is not None else 0
