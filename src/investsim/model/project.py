"""A project and its random draws, and how projects are read into columns at the end."""

from __future__ import annotations

import math
from itertools import chain
from operator import attrgetter

import numpy as np
from numpy.typing import NDArray

from investsim.model.streams import Streams
from investsim.scenario.config import ApprovalSteps, Sector
from investsim.stages import CANCEL_STAGES

FloatArray = NDArray[np.float64]

LOG_TIMES = (
    "arrived",
    "approval_start",
    "approval_end",
    "land_start",
    "land_end",
    "financing_end",
    "construction_start",
    "completed",
)
"""Stage times of the project log, in years since 1 January of start_year."""
LOG_COLUMNS = (
    "project",
    "sector",
    "cost",
    "key",
    "in_flight",
    "secretary",
    *LOG_TIMES,
    "cancelled_stage",
    "replaced",
)
"""The columns of the project log (one row per project and replication)."""


class Project:
    """A project moving through the pipeline; times are simulation years (NaN = not reached).

    Only what the model reads and what the results need is kept; see :data:`FIELDS` for
    what is collected at the end of the replication.
    """

    __slots__ = (
        "approval_end",
        "approval_start",
        "arrived",
        "block",
        "cancelled_at",
        "cancelled_in",
        "carried",
        "completed",
        "construction",
        "construction_cost",
        "construction_start",
        "cost",
        "entered_approval",
        "entered_construction",
        "entered_financing",
        "entered_land",
        "financing_end",
        "in_flight",
        "index",
        "key",
        "land_cost",
        "land_duration",
        "land_end",
        "land_start",
        "land_total",
        "land_u0",
        "name",
        "profile_no",
        "progress",
        "replaced",
        "secretary",
        "secretary_until",
        "sector",
        "shares_no",
        "stage",
        "u0",
    )

    def __init__(self, name: str, sector: int, block: str, index: int, cost: float, in_flight: bool) -> None:
        nan = math.nan
        self.name = name
        self.sector = sector
        self.block = block
        self.index = index
        self.cost = cost
        self.in_flight = in_flight
        self.key = False
        self.secretary = False
        self.secretary_until = nan
        self.arrived = self.approval_start = self.approval_end = self.land_start = self.land_end = nan
        self.financing_end = self.construction_start = self.completed = nan
        # when it entered each stage (construction: at financing close, or on arrival for a
        # register project in construction; work starts then, or when the season opens)
        self.entered_approval = self.entered_land = self.entered_financing = nan
        self.entered_construction = nan
        self.construction = 0.0
        self.construction_cost = 0.0
        self.land_cost = 0.0  # land money spent in the simulation
        self.land_total = 0.0  # the land part of its cost (some spent before the start)
        self.land_duration = 0.0
        self.land_u0 = 0.0
        self.u0 = 0.0
        self.profile_no = -1  # in Pipeline.profiles, once construction started
        self.shares_no = -1  # in Pipeline.share_vectors, once its funding shares are known
        self.cancelled_in = -1  # the Stage it was cancelled in
        self.cancelled_at = nan
        self.carried = False  # in construction already at the start: not a start of the run
        self.replaced = False  # a warm-up project a register project stands for (model.register)
        self.stage = 0  # the Stage it enters the pipeline at
        self.progress = 0.0  # how far through that stage it is then (a share)


class Draws:
    """Per-project values of one block of projects under one sector's parameters.

    Lists (not arrays): the model reads one element at a time, and list indexing is the
    cheapest way to do that in Python.
    """

    __slots__ = ("approval", "construction", "land", "overrun", "size", "u_cancel")

    def __init__(self, streams: Streams, n: int, prefix: tuple[str, ...], sector: Sector) -> None:
        def u(*name: str) -> FloatArray:
            return streams.uniforms(n, *prefix, *name)

        self.size = sector.size.ppf(u("size")).tolist()
        ap = sector.approval
        if isinstance(ap, ApprovalSteps):
            steps = [d.ppf(u("approval", step)) for step, d in ap.steps.items()]
            months = np.sum(steps, axis=0) if ap.mode == "serial" else np.max(steps, axis=0)
        else:
            months = ap.ppf(u("approval"))
        self.approval = (months / 12).tolist()
        land = sector.land.ppf(u("land"))
        if sector.land_dispute is not None and sector.land_dispute.probability > 0:
            disputed = u("land_dispute") < sector.land_dispute.probability
            land = land + np.where(disputed, sector.land_dispute.delay.ppf(u("land_dispute", "delay")), 0.0)
        self.land = (land / 12).tolist()
        self.construction = (sector.construction.ppf(u("construction")) / 12).tolist()
        self.overrun = sector.overrun.ppf(u("overrun")).tolist() if sector.overrun is not None else [1.0] * n
        # uniforms, compared with the probability in force when the stage ends
        self.u_cancel = [u("cancel", stage.label).tolist() for stage in CANCEL_STAGES]


TIMES = (
    *LOG_TIMES,
    "cancelled_at",
    "secretary_until",
    "entered_approval",
    "entered_land",
    "entered_financing",
    "entered_construction",
)
FIELDS = (
    *TIMES,
    "cost",
    "land_cost",
    "land_total",
    "land_duration",
    "land_u0",
    "construction",
    "construction_cost",
    "u0",
    "sector",
    "profile_no",
    "shares_no",
    "cancelled_in",
    "in_flight",
    "carried",
    "secretary",
    "key",
    "replaced",
)
"""What is collected of every project at the end of a replication, as float columns
(times in years since 1 January of start_year; flags as 0/1; numbers as -1 for none)."""


def columns(projects: list[Project], warmup: float) -> dict[str, FloatArray]:
    """The :data:`FIELDS` of every project as columns, read in one pass."""
    read = attrgetter(*FIELDS)
    flat = np.fromiter(chain.from_iterable(map(read, projects)), float, count=len(projects) * len(FIELDS))
    table = flat.reshape(len(projects), len(FIELDS)).T.copy()
    table[: len(TIMES)] -= warmup
    return dict(zip(FIELDS, table, strict=True))


def entered(col: dict[str, FloatArray]) -> FloatArray:
    """When each project entered each stage, (projects x stages); NaN = never."""
    return np.stack(
        [col["entered_approval"], col["entered_land"], col["entered_financing"], col["entered_construction"]],
        axis=1,
    )
