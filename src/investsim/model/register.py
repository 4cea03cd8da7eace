"""The register and the warm-up share the pipeline.

With ``warmup_years``, the model builds the whole pipeline of 1 January of ``start_year``
statistically: projects arrive during the warm-up years and are, on that day, in every
stage. The register names some of those projects. So that they are not counted twice,
each register project *stands in* for one warm-up project: on that day (before anything
else arrives, see :mod:`investsim.model.clock`), for each register project in register
order, the warm-up project of the same sector, in the same stage, closest to it in size
(by the ratio of their costs) leaves the pipeline: it gives back its approval or land
place, its claim for money and its secretary, and spends nothing from that day on. The
register project then enters its stage as usual. A register project with no warm-up
project of its sector in its stage replaces none (the manifest counts them).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from typing import TYPE_CHECKING

import simpy

from investsim.stages import Stage

if TYPE_CHECKING:
    from investsim.model.pipeline import Pipeline
    from investsim.model.project import Project


def stage_at(p: Project, now: float) -> Stage | None:
    """The stage ``p`` is in at ``now`` (None: not in the pipeline: cancelled, completed,
    replaced or not arrived)."""
    if p.cancelled_in >= 0 or math.isnan(p.arrived):
        return None
    if not math.isnan(p.entered_construction):  # working, or waiting for the season
        return None if p.completed <= now else Stage.CONSTRUCTION
    if not math.isnan(p.entered_financing):
        return Stage.FINANCING
    if not math.isnan(p.entered_land):
        return Stage.LAND
    return Stage.APPROVAL


def _closeness(p: Project, cost: float) -> float:
    return abs(math.log(max(p.cost, 1e-12) / max(cost, 1e-12)))


def stand_in(pipe: Pipeline, register: list[Project], ev: simpy.Event) -> None:
    """On 1 January of start_year: each register project replaces its closest warm-up
    project (same sector and stage)."""
    now = pipe.env.now
    candidates: dict[tuple[int, Stage], list[Project]] = {}
    for projects, times in pipe.arrivals.values():
        # each block arrives in time order: only those arrived by now can be in the pipeline
        for p in projects[: bisect_right(times, now)]:
            stage = stage_at(p, now)
            if stage is not None:
                candidates.setdefault((p.sector, stage), []).append(p)
    for r in register:
        pool = candidates.get((r.sector, Stage(r.stage)))
        if not pool:
            continue
        best = min(pool, key=lambda p: _closeness(p, r.cost))
        pool.remove(best)
        _leave(pipe, best, Stage(r.stage), now)
        pipe.replaced += 1


def _leave(pipe: Pipeline, p: Project, stage: Stage, now: float) -> None:
    """``p`` leaves the pipeline now, handing back whatever it holds."""
    if stage is Stage.APPROVAL:
        if math.isnan(p.approval_start):
            pipe.approval.leave(p)
        else:  # in approval work: its place frees
            pipe.approval.release()
    elif stage is Stage.LAND:
        places = pipe.land_places
        if not math.isnan(p.land_start):
            if places is not None:  # in land work: its place frees
                places.release()
        elif places is not None and p in places.waiting:
            places.leave(p)
        elif pipe.land_budget is not None:
            pipe.land_budget.withdraw(p)
    elif stage is Stage.FINANCING and pipe.desk is not None:
        pipe.desk.withdraw(p)
    if p.secretary and math.isnan(p.secretary_until):
        pipe.secretaries.hand_back(p, now)
    # it never completes: its spending stops now (model.spending)
    p.completed = math.nan
    p.replaced = True
    p.cancelled_in = stage
    p.cancelled_at = now
