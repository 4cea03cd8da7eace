"""One replication of the investment pipeline: a SimPy discrete-event model.

    arrival -> approval -> land acquisition -> financing close -> construction -> completed

No I/O and no printing here: :func:`simulate_replication` takes a loaded
:class:`~investsim.scenario.Scenario`, a seed and a replication number, and returns
yearly arrays (and, on request, one record per project).

Time runs in years from 1 January of ``start_year``; scenario durations are months and
are divided by 12 once, when drawn. Money spent during construction is not simulated
month by month: each project's spending profile is integrated exactly over every
calendar year at the end of the replication, which needs no events at all.

Random numbers: every project quantity is the inverse CDF of a uniform from a stream
keyed by (replication, sector, quantity), element ``i`` belonging to the sector's
``i``-th arrival; in-flight projects use streams keyed by (replication, "in_flight",
quantity), element ``i`` belonging to the CSV's ``i``-th row. See :mod:`investsim.model.streams`.

Timed policies: at each policy's moment the configuration in force is swapped. A
quantity is read from the configuration in force when it is drawn: a size on arrival,
an approval or land duration when the stage's work starts, a construction duration and
overrun when construction starts, funding shares on entering financing, and a
cancellation when the stage ends. Capacity, secretaries and money change at that moment.
"""

from __future__ import annotations

import gc
import math
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass
from itertools import chain
from operator import attrgetter
from typing import Any, cast

import numpy as np
import simpy
from numpy.typing import NDArray

from investsim.errors import ModelCheckError
from investsim.model.money import Claim, MoneyDesk, SourceTerms
from investsim.model.streams import Streams
from investsim.scenario.config import (
    STAGES,
    ApprovalSteps,
    Scenario,
    ScenarioConfig,
    Sector,
    spending_profile,
)
from investsim.scenario.distributions import SpendingProfile

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

CANCEL_STAGES = ("approval", "land", "financing")
_STAGE_NO = {stage: k for k, stage in enumerate(STAGES)}
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
LOG_COLUMNS = ("project", "sector", "cost", "key", "in_flight", "secretary", *LOG_TIMES, "cancelled_stage")


@dataclass
class ReplicationResult:
    """What one replication produced, as small yearly arrays.

    ``investment_by_sector`` and ``investment_by_source`` are (sectors x years) and
    (sources x years) project spending; ``yearly`` holds the other per-year series
    (counts, stage waits, utilisation, financing accounts) by column name.
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


class _Project:
    """A project moving through the pipeline; times are simulation years (NaN = not reached).

    Only what the model reads and what the results need is kept; see :data:`_FIELDS` for
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
        "land_u0",
        "name",
        "profile_no",
        "progress",
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
        # when it entered each stage (construction: construction_start)
        self.entered_approval = self.entered_land = self.entered_financing = nan
        self.construction = 0.0
        self.construction_cost = 0.0
        self.land_cost = 0.0
        self.land_duration = 0.0
        self.land_u0 = 0.0
        self.u0 = 0.0
        self.profile_no = -1  # in _Pipeline.profiles, once construction started
        self.shares_no = -1  # in _Pipeline.share_vectors, once its funding shares are known
        self.cancelled_in = -1  # index in STAGES of the stage it was cancelled in
        self.cancelled_at = nan
        self.carried = False  # in construction already at the start: not a start of the run
        self.stage = 0  # the stage it enters the pipeline at (index in STAGES)
        self.progress = 0.0  # how far through that stage it is then (a share)


class _Draws:
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
        self.u_cancel = [u("cancel", stage).tolist() for stage in CANCEL_STAGES]


class _Capacity:
    """A first-come-first-served pool of identical places whose size can change.

    A cut lets the projects already in finish; newcomers wait until fewer than the new
    capacity are in. A project that waited is handed to ``start`` when a place frees.
    """

    __slots__ = ("capacity", "in_use", "start", "waiting")

    def __init__(self, capacity: float, start: Callable[[_Project], None]) -> None:
        self.capacity = capacity
        self.in_use = 0
        self.start = start
        self.waiting: deque[_Project] = deque()

    def take(self, p: _Project) -> bool:
        """True when a place is free now (``p`` has it); else ``p`` waits for one."""
        if self.in_use < self.capacity and not self.waiting:
            self.in_use += 1
            return True
        self.waiting.append(p)
        return False

    def release(self) -> None:
        """Give a place back."""
        self.in_use -= 1
        self._grant()

    def resize(self, capacity: float) -> None:
        """Change the number of places (a policy)."""
        self.capacity = capacity
        self._grant()

    def _grant(self) -> None:
        while self.waiting and self.in_use < self.capacity:
            self.in_use += 1
            self.start(self.waiting.popleft())


class _Rules:
    """What the configuration in force says about one sector, looked up once per change
    rather than once per project."""

    __slots__ = ("cancel", "desk_shares", "pool_ok", "profile", "profile_no", "shares_no")

    def __init__(
        self,
        sector: Sector,
        name: str,
        pipe: _Pipeline,
    ) -> None:
        self.cancel = [getattr(sector.cancel, stage) for stage in CANCEL_STAGES]
        # funding shares over every source any configuration names (for the accounts), and
        # over the sources of the desk in force (for the claim)
        self.shares_no = _number(pipe.share_vectors, [sector.funding.get(n, 0.0) for n in pipe.all_sources])
        self.desk_shares = [sector.funding.get(n, 0.0) for n in pipe.source_names]
        self.pool_ok = name in pipe.pool_sectors
        self.profile = spending_profile(sector.spending)
        self.profile_no = _number(pipe.profiles, self.profile)


def _number(table: list[Any], item: Any) -> int:
    """The position of ``item`` in ``table``, appended if new (tables hold a few items)."""
    for i, x in enumerate(table):
        if x == item:
            return i
    table.append(item)
    return len(table) - 1


def _source_terms(cfg: ScenarioConfig) -> list[SourceTerms]:
    return [
        SourceTerms(s.supply, s.growth, s.debt_ceiling, s.repayment_years)
        for s in cfg.financing.sources.values()
    ]


def _pool(cfg: ScenarioConfig) -> tuple[float, int, frozenset[str]]:
    """Guarantee pool: money a year it adds, the index of the bank source, eligible sectors."""
    gp = cfg.financing.guarantee_pool
    if gp is None:
        return 0.0, -1, frozenset()
    return gp.capital * gp.leverage, list(cfg.financing.sources).index("bank"), frozenset(gp.sectors)


def _land_terms(cfg: ScenarioConfig) -> list[SourceTerms]:
    budget = cfg.resources.land_budget
    return [SourceTerms(math.inf if budget is None else budget)]


class _Pipeline:
    """The shared resources of one replication, and the life of a project as SimPy events.

    A project is not a SimPy process but a chain of callbacks on SimPy timeouts: arrival,
    the end of approval, the end of land acquisition. Waits for a place or for money end
    when the capacity or the money desk hands the project on. This is the same model as
    one generator per project, at less than half the cost: a process costs two extra
    events (its start and its end) and a generator resumption at every step.
    """

    def __init__(self, scenario: Scenario, streams: Streams) -> None:
        c = scenario.config
        self.env = simpy.Environment()
        self._timeout = self.env.timeout
        self.streams = streams
        # simulation time 0 is 1 January of start_year - warmup_years
        self.warmup = float(c.warmup_years)
        self.horizon = float(c.warmup_years + c.horizon_years)
        years = c.warmup_years + c.horizon_years
        # the configuration in force at the start, and the changes still to come
        self.cfg = c
        pending = []
        for change in scenario.changes:
            if change.time + self.warmup <= 0:
                self.cfg = change.config
            else:
                pending.append(change)
        cfg = self.cfg
        self.sectors = list(cfg.sectors.values())
        self.sector_names = list(cfg.sectors)
        self.source_names = list(cfg.financing.sources)
        self.all_sources = scenario.source_names
        self.blocks: dict[str, tuple[tuple[str, ...], int]] = {}
        # draws[block][sector]: a block's draws under a sector's parameters in force
        self.draws: dict[str, dict[int, _Draws]] = {}
        cap = cfg.resources.approval_capacity
        self.approval = _Capacity(math.inf if cap is None else cap, self._start_approval)
        self.capacity_changes: list[tuple[float, float]] = [(0.0, self.approval.capacity)]
        self.secretaries_free = cfg.resources.service_secretaries
        self.secretary_changes: list[tuple[float, float]] = [(0.0, float(self.secretaries_free))]
        self.desk: MoneyDesk | None = None
        self.pool_sectors: frozenset[str] = frozenset()
        if self.source_names:
            pool, pool_source, self.pool_sectors = _pool(cfg)
            self.desk = MoneyDesk(
                self.env,
                self.source_names,
                _source_terms(cfg),
                years,
                -c.warmup_years,
                cfg.financing.priority == "key_first",
                pool,
                pool_source,
                track_debt=any(
                    source.debt_ceiling is not None
                    for x in (c, *(ch.config for ch in scenario.changes))
                    for source in x.financing.sources.values()
                ),
            )
            self.desk.drops_out = self._drops_out_in_financing
        # the distinct funding-share vectors and spending profiles projects refer to by number
        self.share_vectors: list[list[float]] = []
        self.profiles: list[SpendingProfile] = []
        self.rules = self._rules()
        uses_land_budget = any(
            x.resources.land_budget is not None for x in (c, *(ch.config for ch in scenario.changes))
        )
        self.land_desk: MoneyDesk | None = None
        if uses_land_budget:
            self.land_desk = MoneyDesk(self.env, ["land"], _land_terms(cfg), years, -c.warmup_years)
        self.projects: list[_Project] = []
        # per block of new arrivals: its projects and their arrival times, in order
        self.arrivals: dict[str, tuple[list[_Project], list[float]]] = {}
        self.policy_log: list[tuple[str, float]] = []
        for change in pending:
            self.env.process(self._take_effect(change.name, change.time + self.warmup, change.config))

    def release(self) -> None:
        """Let go of the replication's projects, draws and accounts once collected.

        The callbacks still waiting in SimPy's event queue tie the pipeline and the queue
        into reference cycles, which only the cyclic garbage collector frees, and only
        now and then: dropping the bulk now lets reference counting free it at once, so
        the next replication reuses memory that is still in the cache.
        """
        self.projects = []
        self.arrivals = {}
        self.draws = {}
        self.streams = Streams(self.streams.seed, self.streams.replication)
        self.desk = self.land_desk = None
        self.approval.waiting.clear()

    def _rules(self) -> list[_Rules]:
        return [
            _Rules(sector, name, self) for sector, name in zip(self.sectors, self.sector_names, strict=True)
        ]

    # -- parameters in force -------------------------------------------------------------
    def add_block(self, block: str, prefix: tuple[str, ...], n: int, sectors: list[int]) -> None:
        """Register ``n`` projects whose draws come from the streams ``prefix``."""
        self.blocks[block] = (prefix, n)
        self.draws[block] = {s: _Draws(self.streams, n, prefix, self.sectors[s]) for s in sectors}

    def _take_effect(self, name: str, at: float, cfg: ScenarioConfig) -> Generator[simpy.Event, Any, None]:
        yield self.env.timeout(at - self.env.now)
        old = self.cfg
        self.cfg = cfg
        self.policy_log.append((name, at))
        for s, sector in enumerate(cfg.sectors.values()):
            if sector != self.sectors[s]:
                self.sectors[s] = sector
                for block, by_sector in self.draws.items():
                    if s in by_sector:
                        prefix, n = self.blocks[block]
                        by_sector[s] = _Draws(self.streams, n, prefix, sector)
        money_changed = self.desk is not None and cfg.financing != old.financing
        if money_changed:
            pool, pool_source, self.pool_sectors = _pool(cfg)
        # the new rules first: a place or money freed below hands projects on at once
        self.rules = self._rules()
        delta = cfg.resources.service_secretaries - old.resources.service_secretaries
        if delta:
            self.secretaries_free += delta
            self.secretary_changes.append((at, float(cfg.resources.service_secretaries)))
        cap = cfg.resources.approval_capacity
        new_cap = math.inf if cap is None else cap
        if new_cap != self.approval.capacity:
            self.approval.resize(new_cap)
            self.capacity_changes.append((at, new_cap))
        if money_changed:
            assert self.desk is not None
            self.desk.key_first = cfg.financing.priority == "key_first"
            self.desk.change_terms(_source_terms(cfg), pool, pool_source)
        if self.land_desk is not None and cfg.resources.land_budget != old.resources.land_budget:
            self.land_desk.change_terms(_land_terms(cfg), 0.0, -1)

    def _drops_out(self, p: _Project, stage: int) -> bool:
        prob = self.rules[p.sector].cancel[stage]
        return prob > 0 and self.draws[p.block][p.sector].u_cancel[stage][p.index] < prob

    def _drops_out_in_financing(self, p: _Project) -> bool:
        return self._drops_out(p, 2)

    # -- the life of a project -------------------------------------------------------------
    def arrive(self, p: _Project, stage: int, progress: float, delay: float) -> None:
        """Let ``p`` enter the pipeline at ``stage`` (index in STAGES) after ``delay`` years,
        ``progress`` (a share) through that stage."""
        p.stage = stage
        p.progress = progress
        self._timeout(delay, p).callbacks.append(self._arrived)

    def arrive_in_turn(self, block: str, projects: list[_Project], times: list[float]) -> None:
        """Let ``projects`` (of ``block``, in order of arrival) enter approval at ``times``.

        One arrival of the block is scheduled at a time, when the one before it happens:
        SimPy's queue then holds one pending arrival per block instead of thousands.
        """
        self.arrivals[block] = (projects, times)
        if projects:
            self._timeout(times[0], projects[0]).callbacks.append(self._arrived_in_turn)

    def _arrived_in_turn(self, ev: simpy.Event) -> None:
        p = cast(_Project, ev.value)
        projects, times = self.arrivals[p.block]
        k = p.index + 1
        if k < len(projects):
            self._timeout(_delay_to(self.env.now, times[k]), projects[k]).callbacks.append(
                self._arrived_in_turn
            )
        self._arrived(ev)

    def _arrived(self, ev: simpy.Event) -> None:
        p = cast(_Project, ev.value)
        now = self.env.now
        if not p.in_flight:
            p.cost = self.draws[p.block][p.sector].size[p.index]
        threshold = self.cfg.key_project_threshold
        p.key = threshold is not None and p.cost >= threshold
        p.arrived = now
        stage = p.stage
        if p.key and stage < 3 and self.secretaries_free > 0:
            self.secretaries_free -= 1
            p.secretary = True
        if stage == 0:
            p.entered_approval = now
            if self.approval.take(p):
                self._start_approval(p)
        elif stage == 1:
            self._enter_land(p)
        elif stage == 2:
            self._enter_financing(p)
        else:
            self._start_construction(p)

    def _start_approval(self, p: _Project) -> None:
        p.approval_start = self.env.now
        d = self.draws[p.block][p.sector].approval[p.index] * (1 - p.progress)
        if p.secretary:
            d *= self.cfg.resources.secretary_effect
        # always through an event, even when d is 0: a place freed hands the next project
        # its place at once, and a chain of zero-length approvals must not recurse
        self._timeout(d, p).callbacks.append(self._end_approval)

    def _end_approval(self, ev: simpy.Event) -> None:
        p = cast(_Project, ev.value)
        self.approval.release()
        p.approval_end = self.env.now
        if self._drops_out(p, 0):
            self._cancel(p, "approval")
            return
        p.progress = 0.0
        self._enter_land(p)

    def _enter_land(self, p: _Project) -> None:
        p.entered_land = self.env.now
        share = self.cfg.resources.land_cost_share * (1 - p.progress)
        if share > 0:
            p.land_cost = share * p.cost
            p.shares_no = self.rules[p.sector].shares_no
            desk = self.land_desk
            if desk is not None and isinstance(desk.request(p, [p.land_cost], then=self._land_paid), Claim):
                return  # waits for the land budget
        self._start_land(p)

    def _land_paid(self, p: _Project, ok: bool) -> None:
        self._start_land(p)  # the land budget has no cancellation of its own

    def _start_land(self, p: _Project) -> None:
        p.land_start = self.env.now
        d = self.draws[p.block][p.sector].land[p.index]
        p.land_u0 = p.progress
        if p.secretary:
            d *= self.cfg.resources.secretary_effect
        p.land_duration = d
        self._timeout(d * (1 - p.progress), p).callbacks.append(self._end_land)

    def _end_land(self, ev: simpy.Event) -> None:
        p = cast(_Project, ev.value)
        p.land_end = self.env.now
        if self._drops_out(p, 1):
            self._cancel(p, "land")
            return
        self._enter_financing(p)

    def _enter_financing(self, p: _Project) -> None:
        p.entered_financing = self.env.now
        rules = self.rules[p.sector]
        p.shares_no = rules.shares_no
        desk = self.desk
        if desk is not None:
            amount = p.cost - p.land_cost
            needs = [amount * share for share in rules.desk_shares]
            if max(needs) > 0:
                claim = desk.request(p, needs, p.key, rules.pool_ok, then=self._funded)
                if isinstance(claim, Claim):
                    max_wait = self.cfg.financing.max_wait
                    if max_wait is not None:
                        self._timeout(max_wait / 12, claim).callbacks.append(self._give_up)
                else:
                    self._funded(p, claim)
                return
        if self._drops_out(p, 2):
            self._cancel(p, "financing")
            return
        p.financing_end = self.env.now
        self._start_construction(p)

    def _funded(self, p: _Project, ok: bool) -> None:
        if not ok:  # dropped out as the money came
            self._cancel(p, "financing")
            return
        p.financing_end = self.env.now
        self._start_construction(p)

    def _give_up(self, ev: simpy.Event) -> None:
        claim = cast(Claim, ev.value)
        if claim.live:  # still waiting after max_wait
            assert self.desk is not None
            self.desk.withdraw(claim)
            self._cancel(claim.owner, "financing")

    def _start_construction(self, p: _Project) -> None:
        now = self.env.now
        p.construction_start = now
        if p.secretary:
            self.secretaries_free += 1
            p.secretary_until = now
        rules = self.rules[p.sector]
        p.profile_no = rules.profile_no
        if p.shares_no < 0:
            p.shares_no = rules.shares_no
        draws = self.draws[p.block][p.sector]
        if p.stage == 3:
            p.carried = True
            # in flight in construction: progress is the share of money already spent
            p.u0 = float(rules.profile.inverse(np.array(p.progress)))
        p.construction = draws.construction[p.index]
        p.construction_cost = (p.cost - p.land_cost) * draws.overrun[p.index]
        # construction needs no event: its spending is integrated after the run
        done = now + p.construction * (1 - p.u0)
        if done < self.horizon:
            p.completed = done

    def _cancel(self, p: _Project, stage: str) -> None:
        p.cancelled_in = _STAGE_NO[stage]
        p.cancelled_at = self.env.now
        if p.secretary:
            self.secretaries_free += 1
            p.secretary_until = self.env.now


def _delay_to(now: float, t: float) -> float:
    """The delay that SimPy adds to ``now`` to give exactly ``t`` (``t - now`` may be
    rounded, and ``now + (t - now)`` then miss ``t`` by a unit in the last place)."""
    d = t - now
    while now + d < t:
        d = math.nextafter(d, math.inf)
    while now + d > t:
        d = math.nextafter(d, -math.inf)
    return d


def _arrival_times(
    rates: list[tuple[float, float, float]], first_year: int, horizon: int, rng: np.random.Generator
) -> FloatArray:
    """Arrival times in [0, horizon) of a Poisson process whose rate is piecewise constant.

    ``rates`` lists (from time, rate, growth) in force from that simulation time on; in
    simulation year k the rate is ``rate * (1 + growth)^(k + first_year)`` (first_year is
    negative during warm-up). Unit-rate arrival epochs are mapped through the inverse of
    the cumulative intensity, so a higher rate gives the same projects earlier plus new
    ones at the end of the list: the i-th arrival keeps its identity (and its random
    numbers) across scenarios.
    """
    cuts = sorted({float(k) for k in range(horizon + 1)} | {t for t, _, _ in rates if 0 < t < horizon})
    bounds = np.array(cuts)
    starts = bounds[:-1]
    rate = np.zeros(len(starts))
    for i, t0 in enumerate(starts.tolist()):
        r, g = next((r, g) for t, r, g in reversed(rates) if t <= t0 + 1e-12)
        rate[i] = r * (1 + g) ** (math.floor(t0) + first_year)
    cum = np.concatenate([[0.0], np.cumsum(rate * np.diff(bounds))])
    total = float(cum[-1])
    if total <= 0:
        return np.empty(0)
    n = int(total + 6 * math.sqrt(total) + 10)
    epochs = np.cumsum(rng.exponential(size=n))
    while epochs[-1] < total:
        more = np.cumsum(rng.exponential(size=n)) + epochs[-1]
        epochs = np.concatenate([epochs, more])
    epochs = epochs[epochs < total]
    # invert the cumulative intensity segment by segment (flat segments have no arrivals)
    seg = np.searchsorted(cum, epochs, side="right") - 1
    seg = np.minimum(seg, len(rate) - 1)
    return starts[seg] + (epochs - cum[seg]) / rate[seg]


def _year_index(times: FloatArray, horizon: int) -> IntArray:
    t = times[~np.isnan(times)]
    t = t[(t >= 0) & (t < horizon)]
    return np.bincount(np.floor(t).astype(np.int64), minlength=horizon)[:horizon]


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


def _busy(starts: FloatArray, ends: FloatArray, horizon: int) -> FloatArray:
    """Time each year [k, k+1) covered by the intervals [start, end), summed."""
    if len(starts) == 0:
        return np.zeros(horizon)
    b = np.arange(horizon + 1, dtype=float)
    overlap = np.minimum(ends[:, None], b[None, 1:]) - np.maximum(starts[:, None], b[None, :-1])
    return np.clip(overlap, 0.0, None).sum(axis=0)


def _level_years(changes: list[tuple[float, float]], warmup: float, horizon: int) -> FloatArray:
    """Time integral over each reported year of a level that changes at given times."""
    out = np.zeros(horizon)
    times = [t - warmup for t, _ in changes] + [math.inf]
    for (_, level), t0, t1 in zip(changes, times[:-1], times[1:], strict=True):
        out += level * _busy(np.array([t0]), np.array([t1]), horizon)
    return out


def simulate_replication(
    scenario: Scenario, seed: int, replication: int, project_log: bool = False
) -> ReplicationResult:
    """Run one replication of ``scenario`` and return its yearly results."""
    # A replication allocates tens of thousands of short-lived objects (projects, their
    # generators, SimPy events); the cyclic garbage collector would traverse them all
    # again and again (about 20 % of the run). Reference counting frees almost all of
    # them; the few cycles are collected once the replication is over.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _simulate(scenario, seed, replication, project_log)
    finally:
        if enabled:
            gc.enable()


def _simulate(scenario: Scenario, seed: int, replication: int, project_log: bool) -> ReplicationResult:
    c = scenario.config
    horizon = c.horizon_years
    streams = Streams(seed, replication)
    pipe = _Pipeline(scenario, streams)
    env = pipe.env
    projects = pipe.projects
    sector_index = {name: i for i, name in enumerate(c.sectors)}

    # projects in flight at the start, in CSV order, enter first (they hold their places)
    live = [p for p in scenario.in_flight if p.stage != "completed"]
    if live:
        pipe.add_block("in_flight", ("in_flight",), len(live), sorted({sector_index[p.sector] for p in live}))
        for i, f in enumerate(live):
            proj = _Project(f.id, sector_index[f.sector], "in_flight", i, f.total_investment, True)
            projects.append(proj)
            pipe.arrive(proj, STAGES.index(f.stage), f.progress, pipe.warmup)

    for s_name in c.sectors:
        s = sector_index[s_name]
        rates = [(0.0, c.sectors[s_name].arrivals.rate, c.sectors[s_name].arrivals.growth)]
        for ch in scenario.changes:
            a = ch.config.sectors[s_name].arrivals
            rates.append((max(0.0, ch.time + pipe.warmup), a.rate, a.growth))
        rates.sort(key=lambda x: x[0])
        times = _arrival_times(
            rates, -c.warmup_years, c.warmup_years + horizon, streams.generator("sector", s_name, "arrivals")
        )
        n = len(times)
        if n == 0:
            continue
        pipe.add_block(s_name, ("sector", s_name), n, [s])
        block = [_Project(f"{s_name}-{i}", s, s_name, i, 0.0, False) for i in range(n)]
        projects += block
        pipe.arrive_in_turn(s_name, block, times.tolist())

    try:
        env.run(until=pipe.horizon)
        result = _collect(scenario, pipe, streams, replication, project_log)
        pipe.release()
        return result
    except ModelCheckError as e:
        raise ModelCheckError(
            f"self-check failed in replication {replication} with seed {seed} of scenario "
            f"{c.name!r} (this is a bug in investsim; `investsim run SCENARIO --seed {seed} "
            f"-n {replication + 1} --jobs 1` reproduces it): {e}"
        ) from e


_TIMES = (
    *LOG_TIMES,
    "cancelled_at",
    "secretary_until",
    "entered_approval",
    "entered_land",
    "entered_financing",
)
_FIELDS = (
    *_TIMES,
    "cost",
    "land_cost",
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
)
"""What is collected of every project at the end of a replication, as float columns
(times in years since 1 January of start_year; flags as 0/1; numbers as -1 for none)."""


def _columns(projects: list[_Project], warmup: float) -> dict[str, FloatArray]:
    """The :data:`_FIELDS` of every project as columns, read in one pass."""
    read = attrgetter(*_FIELDS)
    flat = np.fromiter(chain.from_iterable(map(read, projects)), float, count=len(projects) * len(_FIELDS))
    table = flat.reshape(len(projects), len(_FIELDS)).T.copy()
    table[: len(_TIMES)] -= warmup
    return dict(zip(_FIELDS, table, strict=True))


def _entered(col: dict[str, FloatArray]) -> FloatArray:
    """When each project entered each stage, (projects x STAGES); NaN = never."""
    return np.stack(
        [col["entered_approval"], col["entered_land"], col["entered_financing"], col["construction_start"]],
        axis=1,
    )


def _project_spending(
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
    return spend


def _collect(
    scenario: Scenario, pipe: _Pipeline, streams: Streams, replication: int, project_log: bool
) -> ReplicationResult:
    c = scenario.config
    horizon = c.horizon_years
    projects = pipe.projects
    n_sectors = len(c.sectors)
    n_sources = len(pipe.all_sources)
    w = pipe.warmup

    col = _columns(projects, w)
    entered = _entered(col)
    sector = col["sector"].astype(np.int64)
    in_flight = col["in_flight"] > 0
    carried = col["carried"] > 0
    # funding shares by number; row -1 (no shares yet) is all zeros
    vectors = np.zeros((len(pipe.share_vectors) + 1, n_sources))
    if pipe.share_vectors:
        vectors[:-1] = pipe.share_vectors
    shares = vectors[col["shares_no"].astype(np.int64)]

    # from a year before the earliest possible payment, so the self-check sees all of it
    spent = _project_spending(pipe.profiles, col, horizon, c.warmup_years + 1)
    spend = spent[:, c.warmup_years + 1 :]
    # projects in each stage at the end of each year (a stock, where entering is a flow)
    cancelled_in = col["cancelled_in"].astype(np.int64)
    year_ends = np.arange(1, horizon + 1, dtype=float)
    stock: dict[str, FloatArray] = {}
    for k, stage in enumerate(STAGES):
        begin = entered[:, k]
        leave = entered[:, k + 1] if k < 3 else col["completed"]
        leave = np.where(np.isnan(leave) & (cancelled_in == k), col["cancelled_at"], leave)
        leave = np.where(np.isnan(leave), np.inf, leave)
        # just before midnight: a project starting on 1 January (money refills then) is
        # counted in the new year, as its start is
        inside = (begin[:, None] < year_ends[None, :]) & (year_ends[None, :] <= leave[:, None])
        stock[f"in_{stage}_at_year_end"] = inside.sum(axis=0).astype(float)
    by_sector = np.zeros((n_sectors, horizon))
    np.add.at(by_sector, sector, spend)
    by_source = shares.T @ spend

    yearly: dict[str, FloatArray] = {}
    # the money spent by the projects already in the pipeline on 1 January of start_year
    # (named in the projects CSV or arrived during the warm-up): the known pipeline's share
    yearly["investment_in_flight"] = spend[in_flight | (col["arrived"] < 0)].sum(axis=0)
    yearly.update(stock)
    yearly["arrivals"] = _year_index(col["arrived"][~in_flight], horizon).astype(float)
    yearly["starts"] = _year_index(col["construction_start"][~carried], horizon).astype(float)
    # planned total investment (land included, before overrun) of the projects starting
    planned = col["cost"]
    begun = col["construction_start"]
    yearly["started_investment"] = _sum_by_year(begun[~carried], planned[~carried], horizon)
    if c.large_project_threshold is not None:
        large = ~carried & (planned >= c.large_project_threshold)
        yearly["starts_large"] = _year_index(begun[large], horizon).astype(float)
        yearly["started_investment_large"] = _sum_by_year(begun[large], planned[large], horizon)
    yearly["completions"] = _year_index(col["completed"], horizon).astype(float)
    for k, stage in enumerate(CANCEL_STAGES):
        yearly[f"cancelled_{stage}"] = _year_index(col["cancelled_at"][cancelled_in == k], horizon).astype(
            float
        )
    # per stage: projects entering, and mean months waited and worked by those finishing
    ends = {
        "approval": (col["approval_start"], col["approval_end"]),
        "land": (col["land_start"], col["land_end"]),
        "financing": (col["financing_end"], col["financing_end"]),
    }
    for k, stage in enumerate(STAGES):
        yearly[f"{stage}_entering"] = _year_index(entered[:, k], horizon).astype(float)
        if stage == "construction":
            done = ~np.isnan(col["completed"])
            work = (col["completed"] - col["construction_start"])[done]
            yearly["construction_work_months"] = _mean_by_year(col["completed"][done], 12 * work, horizon)
            continue
        begin, end = ends[stage]
        # a project that gave up waiting for money waited until it was cancelled
        if stage == "financing":
            gave_up = cancelled_in == _STAGE_NO["financing"]
            end = np.where(gave_up, col["cancelled_at"], end)
            begin = end
        finished = ~np.isnan(end) & ~np.isnan(entered[:, k])
        yearly[f"{stage}_wait_months"] = _mean_by_year(
            end[finished], 12 * (begin - entered[:, k])[finished], horizon
        )
        if stage != "financing":
            yearly[f"{stage}_work_months"] = _mean_by_year(
                end[finished], 12 * (end - begin)[finished], horizon
            )
    # utilisation: time in use over time available, per year
    busy = _busy(
        col["approval_start"][~np.isnan(col["approval_start"])],
        _fill(col["approval_end"], horizon)[~np.isnan(col["approval_start"])],
        horizon,
    )
    available = _level_years(pipe.capacity_changes, w, horizon)
    with np.errstate(divide="ignore", invalid="ignore"):
        yearly["approval_utilisation"] = np.where(
            np.isfinite(available) & (available > 0), busy / available, np.nan
        )
    helped = col["secretary"] > 0
    busy = _busy(col["arrived"][helped], _fill(col["secretary_until"], horizon)[helped], horizon)
    available = _level_years(pipe.secretary_changes, w, horizon)
    with np.errstate(divide="ignore", invalid="ignore"):
        yearly["secretary_utilisation"] = np.where(available > 0, busy / available, np.nan)
    if pipe.desk is not None:
        k0 = c.warmup_years
        supplied = pipe.desk.supplied[k0:]
        demanded = pipe.desk.demanded[k0:]
        committed = pipe.desk.committed[k0:]
        for j, name in enumerate(pipe.source_names):
            yearly[f"financing_supply_{name}"] = supplied[:, j].copy()
            yearly[f"financing_demand_{name}"] = demanded[:, j].copy()
            yearly[f"financing_committed_{name}"] = committed[:, j].copy()
        yearly["financing_gap"] = demanded.sum(axis=1) - supplied.sum(axis=1)
    if pipe.land_desk is not None:
        k0 = c.warmup_years
        yearly["land_budget_supply"] = pipe.land_desk.supplied[k0:, 0].copy()
        yearly["land_budget_demand"] = pipe.land_desk.demanded[k0:, 0].copy()

    background: FloatArray = np.zeros(horizon)
    if c.background is not None:
        # one uncertain growth rate per replication, kept for the whole horizon
        g = float(c.background.growth.ppf(streams.uniforms(1, "background", "growth"))[0])
        background = c.background.level * (1 + g) ** np.arange(horizon, dtype=float)

    _self_check(pipe, col, spent)
    log = None
    if project_log:
        log = {
            "project": [p.name for p in projects],
            "sector": [pipe.sector_names[p.sector] for p in projects],
            # the actual cost (after overrun) once construction started, else the estimate
            "cost": np.where(
                col["construction_cost"] != 0, col["land_cost"] + col["construction_cost"], col["cost"]
            ),
            "key": col["key"] > 0,
            "in_flight": in_flight,
            "secretary": helped,
            **{k: col[k] for k in LOG_TIMES},
            "cancelled_stage": [STAGES[k] if k >= 0 else None for k in cancelled_in.tolist()],
        }
    return ReplicationResult(
        replication=replication,
        investment_by_sector=by_sector,
        investment_by_source=by_source,
        background=background,
        yearly=yearly,
        key_projects=int(col["key"].sum()),
        key_with_secretary=int(helped.sum()),
        events=_events_processed(pipe.env),
        project_log=log,
    )


def _fill(ends: FloatArray, horizon: int) -> FloatArray:
    """Interval ends with 'not yet' (NaN) read as the end of the horizon."""
    return np.where(np.isnan(ends), float(horizon), ends)


def _sum_by_year(when: FloatArray, values: FloatArray, horizon: int) -> FloatArray:
    """Sum of ``values`` grouped by the year of ``when`` (NaN times and other years left out)."""
    ok = (when >= 0) & (when < horizon)
    year = np.floor(when[ok]).astype(np.int64)
    out = np.bincount(year, weights=values[ok], minlength=horizon)[:horizon].astype(float)
    return out


def _mean_by_year(when: FloatArray, values: FloatArray, horizon: int) -> FloatArray:
    """Mean of ``values`` grouped by the year of ``when`` (NaN for a year with none)."""
    ok = (when >= 0) & (when < horizon)
    year = np.floor(when[ok]).astype(np.int64)
    total = np.bincount(year, weights=values[ok], minlength=horizon)[:horizon]
    count = np.bincount(year, minlength=horizon)[:horizon]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _events_processed(env: simpy.Environment) -> int:
    eid = getattr(env, "_eid", None)
    return int(repr(eid)[6:-1]) if eid is not None else 0


def _self_check(pipe: _Pipeline, col: dict[str, FloatArray], spent: FloatArray) -> None:
    """Invariants checked at the end of every replication; a failure is a bug in the model.

    Every project is accounted for once (completed, cancelled or still in a stage), its
    stage times are in order, no resource went negative, and money is conserved: what a
    project spent from its construction start to the horizon is its cost after overrun
    once completed, and its cost times the spending profile at the horizon otherwise.
    ``col`` holds the projects' :data:`_FIELDS`; ``spent`` is (projects x years), from a
    year before the first payment to the horizon.
    """
    projects = pipe.projects
    horizon = pipe.cfg.horizon_years
    done = ~np.isnan(col["completed"])
    where = col["cancelled_in"].astype(np.int64)
    cancelled = where >= 0
    if np.any(done & cancelled):
        raise ModelCheckError(f"{int((done & cancelled).sum())} projects both completed and cancelled")
    # all arrivals fall before the horizon: every project has arrived, and is completed,
    # cancelled in the stage it last entered, or still in that stage
    if np.any(np.isnan(col["arrived"])):
        raise ModelCheckError(f"{int(np.isnan(col['arrived']).sum())} projects never arrived")
    if np.any(done & np.isnan(col["construction_start"])):
        raise ModelCheckError("a project completed without starting construction")
    entered = _entered(col)
    reached = np.where(np.isnan(entered), -1, np.arange(4)[None, :]).max(axis=1)
    if np.any(reached < 0):
        raise ModelCheckError(
            f"project {projects[int(np.argmin(reached))].name}: arrived but entered no stage"
        )
    wrong = cancelled & (where != reached)
    if np.any(wrong):
        k = int(np.flatnonzero(wrong)[0])
        raise ModelCheckError(
            f"project {projects[k].name}: cancelled in {STAGES[where[k]]} but last entered "
            f"{STAGES[reached[k]]}"
        )
    # stage times in order (NaN: not reached; in-flight projects skip the stages they passed)
    last = np.full(len(projects), -np.inf)
    for name in LOG_TIMES:
        t = col[name]
        if np.any(t < last - 1e-12):
            k = int(np.flatnonzero(t < last - 1e-12)[0])
            raise ModelCheckError(
                f"project {projects[k].name}: {name} at {t[k]:.6f} is before an earlier stage"
            )
        last = np.where(np.isnan(t), last, t)
    stopped = col["cancelled_at"]
    if np.any(stopped[cancelled] < col["arrived"][cancelled] - 1e-12):
        raise ModelCheckError("a project was cancelled before it arrived")
    # resources
    if pipe.approval.in_use < 0:
        raise ModelCheckError(f"approval places in use went negative ({pipe.approval.in_use})")
    # a policy that cuts secretaries does not take back those in use, so the free count
    # may go below zero; what always holds is free + in use = the number there are now
    held = int(((col["secretary"] > 0) & np.isnan(col["secretary_until"])).sum())
    if pipe.secretaries_free + held != pipe.cfg.resources.service_secretaries:
        raise ModelCheckError(
            f"secretaries: {pipe.secretaries_free} free + {held} in use != "
            f"{pipe.cfg.resources.service_secretaries} there are"
        )
    for desk in (pipe.desk, pipe.land_desk):
        if desk is not None and (min(desk.remaining, default=0.0) < -1e-9 or desk.pool_remaining < -1e-9):
            raise ModelCheckError("a funding source ended the replication below zero")
    # money: what each project spent from its first payment to the horizon, against what
    # it owes by then, computed from its stage times alone
    owed = np.zeros(len(projects))
    land_rows = np.flatnonzero((col["land_cost"] > 0) & ~np.isnan(col["land_start"]))
    if len(land_rows):
        cost = col["land_cost"][land_rows]
        duration = col["land_duration"][land_rows]
        u0 = col["land_u0"][land_rows]
        finished = ~np.isnan(col["land_end"][land_rows]) | (duration == 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            part = np.minimum(1.0, (horizon - col["land_start"][land_rows]) / duration / (1 - u0))
        owed[land_rows] += np.where(finished, cost, cost * part)
    started = ~np.isnan(col["construction_start"])
    for no, profile in enumerate(pipe.profiles):
        idx = np.flatnonzero(started & (col["profile_no"] == no))
        duration = col["construction"][idx]
        u0 = col["u0"][idx]
        finished = done[idx] | (duration == 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            at = np.where(finished, 1.0, u0 + (horizon - col["construction_start"][idx]) / duration)
        if np.any(at > 1.0 + 1e-9):
            k = int(idx[np.flatnonzero(at > 1.0 + 1e-9)[0]])
            raise ModelCheckError(
                f"project {projects[k].name}: finished before the horizon but not completed"
            )
        cost = col["construction_cost"][idx]
        owed[idx] += cost * (profile.cdf(np.minimum(at, 1.0)) - profile.cdf(u0))
    if np.any(started & (col["profile_no"] < 0)):
        raise ModelCheckError("a project started construction without a spending profile")
    gap = np.abs(spent.sum(axis=1) - owed)
    bad = gap > 1e-9 * np.maximum(1.0, owed)
    if np.any(bad):
        k = int(np.flatnonzero(bad)[0])
        raise ModelCheckError(
            f"project {projects[k].name}: spent {spent[k].sum():.10g} by the horizon, owes {owed[k]:.10g}"
        )
