"""The non-monetary resources a project needs: approval and land-acquisition places, and
service secretaries.

Every resource of the model, monetary or not, is a *lever* (:class:`Lever`): an object
that owns its state, takes every timed policy through one method (``take_effect``, which
changes the resource only when its own part of the configuration changed), produces its
own yearly outputs and checks its own invariants at the end of a replication. The money
levers (funding sources, debt ceilings, the guarantee pool, the land budget) live in
:mod:`investsim.model.money`.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from numpy.typing import NDArray

from investsim import columns as cols
from investsim.errors import ModelCheckError
from investsim.model.binding import WaitMeter, when_both
from investsim.scenario.config import ScenarioConfig

if TYPE_CHECKING:
    import simpy

    from investsim.model.project import Project

FloatArray = NDArray[np.float64]


class Lever(Protocol):
    """A resource of the pipeline that scenarios and policies set."""

    def take_effect(self, at: float, cfg: ScenarioConfig) -> None:
        """A policy puts ``cfg`` in force at simulation time ``at``."""

    def outputs(self, col: dict[str, FloatArray], warmup_years: int, horizon: int) -> dict[str, FloatArray]:
        """Yearly output columns over the reported years (``col``: the collected projects)."""

    def check(self, col: dict[str, FloatArray]) -> None:
        """Raise :class:`~investsim.errors.ModelCheckError` if an invariant is broken."""


def busy_time(starts: FloatArray, ends: FloatArray, horizon: int) -> FloatArray:
    """Time each year [k, k+1) covered by the intervals [start, end), summed."""
    if len(starts) == 0:
        return np.zeros(horizon)
    b = np.arange(horizon + 1, dtype=float)
    overlap = np.minimum(ends[:, None], b[None, 1:]) - np.maximum(starts[:, None], b[None, :-1])
    return np.clip(overlap, 0.0, None).sum(axis=0)


def level_years(changes: list[tuple[float, float]], warmup: float, horizon: int) -> FloatArray:
    """Time integral over each reported year of a level that changes at given times."""
    out = np.zeros(horizon)
    times = [t - warmup for t, _ in changes] + [math.inf]
    for (_, level), t0, t1 in zip(changes, times[:-1], times[1:], strict=True):
        busy = busy_time(np.array([t0]), np.array([t1]), horizon)
        # a level in force for none of a year adds nothing (an unlimited one would add NaN)
        out += np.where(busy > 0, level * np.where(busy > 0, busy, 1.0), 0.0)
    return out


def fill_open(ends: FloatArray, horizon: int) -> FloatArray:
    """Interval ends with 'not yet' (NaN) read as the end of the horizon."""
    return np.where(np.isnan(ends), float(horizon), ends)


def _utilisation(busy: FloatArray, available: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.isfinite(available) & (available > 0), busy / available, np.nan)


class StageCapacity:
    """How many projects a stage can work on at once (``resources.approval_capacity``,
    ``resources.land_capacity``; None: no limit): a first-come-first-served pool of
    identical places whose size can change.

    A cut lets the projects already in finish; newcomers wait until fewer than the new
    capacity are in. A project that waited is handed to ``start`` when a place frees.

    The capacity binds while a project waits for a place: then every place is taken
    (a place that frees goes to the first waiting project at once).
    """

    __slots__ = ("capacity", "changes", "env", "in_use", "key", "meter", "start", "utilisation", "waiting")

    def __init__(
        self,
        env: simpy.Environment,
        cfg: ScenarioConfig,
        key: str,
        utilisation: cols.Column,
        start: Callable[[Project], None],
        years: int,
    ) -> None:
        self.env = env
        self.key = key  # the field of ``resources`` that sets the number of places
        self.utilisation = utilisation  # the output column of the share of places in use
        self.capacity = self._places(cfg)
        self.in_use = 0
        self.start = start
        self.waiting: deque[Project] = deque()
        self.changes: list[tuple[float, float]] = [(0.0, self.capacity)]
        self.meter = WaitMeter(1, years)  # how many wait for a place (model.binding)

    def _places(self, cfg: ScenarioConfig) -> float:
        cap: int | None = getattr(cfg.resources, self.key)
        return math.inf if cap is None else cap

    def take(self, p: Project) -> bool:
        """True when a place is free now (``p`` has it); else ``p`` waits for one."""
        if self.in_use < self.capacity and not self.waiting:
            self.in_use += 1
            return True
        self.waiting.append(p)
        self._count()
        return False

    def leave(self, p: Project) -> None:
        """``p`` stops waiting for a place (a register project stands in for it)."""
        self.waiting.remove(p)
        self._count()

    def _count(self) -> None:
        self.meter.set(0, len(self.waiting), self.env.now)

    def release(self) -> None:
        """Give a place back."""
        self.in_use -= 1
        self._grant()

    def take_effect(self, at: float, cfg: ScenarioConfig) -> None:
        """A policy: a new number of places (a waiting project may start at once)."""
        new = self._places(cfg)
        if new != self.capacity:
            self.capacity = new
            self._grant()
            self.changes.append((at, new))

    def _grant(self) -> None:
        if not self.waiting:
            return
        while self.waiting and self.in_use < self.capacity:
            self.in_use += 1
            self.start(self.waiting.popleft())
        self._count()

    def outputs(self, col: dict[str, FloatArray], warmup_years: int, horizon: int) -> dict[str, FloatArray]:
        """The share of places in use: time they were in use over time they were available."""
        stage = self.key.removesuffix("_capacity")
        begun = col[f"{stage}_start"]
        started = ~np.isnan(begun)
        busy = busy_time(begun[started], fill_open(col[f"{stage}_end"], horizon)[started], horizon)
        available = level_years(self.changes, float(warmup_years), horizon)
        bound, waiting = self.meter.years_of(0)
        return {
            self.utilisation.name: _utilisation(busy, available),
            f"binding_{self.key}": bound[warmup_years:],
            f"waiting_{self.key}": waiting[warmup_years:],
        }

    def check(self, col: dict[str, FloatArray]) -> None:
        """No place was given back twice."""
        if self.in_use < 0:
            raise ModelCheckError(
                f"{self.key.removesuffix('_capacity')} places in use went negative ({self.in_use})"
            )
        if self.meter.waiting[0] != len(self.waiting) or (self.waiting and self.in_use < self.capacity):
            raise ModelCheckError(
                f"{self.key.removesuffix('_capacity')}: {self.meter.waiting[0]} counted as waiting for "
                f"a place, {len(self.waiting)} are, with {self.in_use} of {self.capacity} places taken"
            )

    def release_waiting(self) -> None:
        """Forget the projects still waiting (the replication is over: the count, kept in
        step, changes at the horizon, where it adds to no year)."""
        self.waiting.clear()
        self._count()


class ServiceSecretaries:
    """Service secretaries (``resources.service_secretaries``): each accompanies one key
    project from its arrival until it starts construction or drops out, and shortens its
    approval and land stages by ``resources.secretary_effect``."""

    __slots__ = ("changes", "count", "free")

    def __init__(self, cfg: ScenarioConfig) -> None:
        self.count = cfg.resources.service_secretaries
        self.free = self.count
        self.changes: list[tuple[float, float]] = [(0.0, float(self.free))]

    def assign(self, p: Any) -> None:
        """Give ``p`` (a key project entering before construction) a secretary if one is free."""
        if self.free > 0:
            self.free -= 1
            p.secretary = True

    def hand_back(self, p: Any, now: float) -> None:
        """``p`` no longer needs its secretary (it started construction or dropped out)."""
        self.free += 1
        p.secretary_until = now

    def take_effect(self, at: float, cfg: ScenarioConfig) -> None:
        """A policy: more or fewer secretaries (a cut takes none back from their projects)."""
        new = cfg.resources.service_secretaries
        delta = new - self.count
        if delta:
            self.free += delta
            self.count = new
            self.changes.append((at, float(new)))

    def outputs(self, col: dict[str, FloatArray], warmup_years: int, horizon: int) -> dict[str, FloatArray]:
        """``secretary_utilisation``: time secretaries were with a project over time there were."""
        helped = col["secretary"] > 0
        with_one = col["arrived"][helped], fill_open(col["secretary_until"], horizon)[helped]
        busy = busy_time(*with_one, horizon)
        available = level_years(self.changes, float(warmup_years), horizon)
        # a key project that found no secretary free goes without one until it starts
        # construction or leaves (one is given only on arrival)
        lacking = (col["key"] > 0) & ~helped & ~np.isnan(col["arrived"])
        left = np.where(
            np.isnan(col["entered_construction"]), col["cancelled_at"], col["entered_construction"]
        )
        without = col["arrived"][lacking], fill_open(left, horizon)[lacking]
        times = np.array([t - warmup_years for t, _ in self.changes])
        levels = np.array([n for _, n in self.changes])
        # binding: no secretary free while some key project goes without one
        bound = busy_time(*when_both(with_one, without, (times, levels)), horizon)
        with np.errstate(divide="ignore", invalid="ignore"):
            return {
                cols.SECRETARY_UTILISATION.name: np.where(available > 0, busy / available, np.nan),
                cols.BINDING_SECRETARIES.name: np.clip(bound, 0.0, 1.0),
                cols.WAITING_SECRETARIES.name: busy_time(*without, horizon),
            }

    def check(self, col: dict[str, FloatArray]) -> None:
        """Free + with a project = the number there are now (a cut may leave free below zero)."""
        held = int(((col["secretary"] > 0) & np.isnan(col["secretary_until"])).sum())
        if self.free + held != self.count:
            raise ModelCheckError(f"secretaries: {self.free} free + {held} in use != {self.count} there are")
