"""One replication of the investment pipeline: a SimPy discrete-event model.

    arrival -> approval -> land acquisition -> financing close -> construction -> completed

No I/O and no printing here: :func:`simulate_replication` takes a loaded
:class:`~investsim.scenario.config.Scenario`, a seed and a replication number, and
returns yearly arrays (and, on request, one record per project).

Time runs in years from 1 January of ``start_year - warmup_years``; scenario durations
are months and are divided by 12 once, when drawn. Spending is integrated after the run
(:mod:`investsim.model.spending`), so construction needs no events.

Random numbers: every project quantity is the inverse CDF of a uniform from a stream
keyed by (replication, sector, quantity), element ``i`` belonging to the sector's
``i``-th arrival; in-flight projects use streams keyed by (replication, "in_flight",
quantity), element ``i`` belonging to the register's ``i``-th row. See
:mod:`investsim.model.streams`.

Resources are levers (:class:`~investsim.model.resources.Lever`): the approval capacity,
the service secretaries, the funding sources with their debt ceilings and guarantee
pool, and the land budget. At each policy's moment the configuration in force is
swapped and every lever takes it (``take_effect``). A quantity is read from the
configuration in force when it is drawn: a size on arrival, an approval or land duration
when the stage's work starts, a construction duration and overrun when construction
starts, funding shares on entering financing, and a cancellation when the stage ends.
"""

from __future__ import annotations

import gc
from collections.abc import Generator
from functools import partial
from typing import Any, cast

import numpy as np
import simpy

from investsim import columns as cols
from investsim.errors import ModelCheckError
from investsim.model.arrivals import arrival_times, delay_to
from investsim.model.clock import POLICY, REGISTER, SERVE, At
from investsim.model.collect import ReplicationResult, collect
from investsim.model.money import MET, WAITING, ClaimStatus, Financing, LandBudget
from investsim.model.project import Draws, Project
from investsim.model.register import stand_in
from investsim.model.resources import Lever, ServiceSecretaries, StageCapacity
from investsim.model.season import Season, sector_seasons
from investsim.model.streams import Streams
from investsim.scenario.config import Scenario, ScenarioConfig, Sector, spending_profile
from investsim.scenario.distributions import SpendingProfile
from investsim.stages import CANCEL_STAGES, Stage

# plain ints on the hot path; Stage gives them their names
_APPROVAL, _LAND, _FINANCING, _CONSTRUCTION = (int(stage) for stage in Stage)


class Rules:
    """What the configuration in force says about one sector, looked up once per change
    rather than once per project."""

    __slots__ = ("cancel", "desk_shares", "pool_ok", "profile", "profile_no", "shares_no")

    def __init__(self, sector: Sector, name: str, cfg: ScenarioConfig, pipe: Pipeline) -> None:
        self.cancel = [getattr(sector.cancel, stage.label) for stage in CANCEL_STAGES]
        # funding shares over every source any configuration names (for the accounts), and
        # over the sources of the desk in force (for the claim)
        self.shares_no = _number(pipe.share_vectors, [sector.funding.get(n, 0.0) for n in pipe.all_sources])
        self.desk_shares = [sector.funding.get(n, 0.0) for n in pipe.source_names]
        pool = cfg.financing.guarantee_pool
        self.pool_ok = pool is not None and name in pool.sectors
        self.profile = spending_profile(sector.spending)
        self.profile_no = _number(pipe.profiles, self.profile)


def _number(table: list[Any], item: Any) -> int:
    """The position of ``item`` in ``table``, appended if new (tables hold a few items)."""
    for i, x in enumerate(table):
        if x == item:
            return i
    table.append(item)
    return len(table) - 1


def _any_config(scenario: Scenario) -> tuple[ScenarioConfig, ...]:
    """The scenario's configuration and every one a policy puts in force."""
    return (scenario.config, *(ch.config for ch in scenario.changes))


class Pipeline:
    """The levers of one replication, and the life of a project as SimPy events.

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
        # a policy can't change the seasons: they hold for the whole run
        self.seasons: list[Season | None] = sector_seasons(c)
        self.source_names = list(cfg.financing.constrained)
        self.all_sources = scenario.source_names
        self.blocks: dict[str, tuple[tuple[str, ...], int]] = {}
        # draws[block][sector]: a block's draws under a sector's parameters in force
        self.draws: dict[str, dict[int, Draws]] = {}
        self.approval = StageCapacity(
            self.env, cfg, "approval_capacity", cols.APPROVAL_UTILISATION, self._start_approval, years
        )
        # land places only when some configuration limits them: otherwise no output either
        self.land_places: StageCapacity | None = None
        if any(x.resources.land_capacity is not None for x in _any_config(scenario)):
            self.land_places = StageCapacity(
                self.env, cfg, "land_capacity", cols.LAND_UTILISATION, self._start_land, years
            )
        self.secretaries = ServiceSecretaries(cfg)
        self.desk: Financing | None = None
        if cfg.financing.constrained:
            track_debt = any(
                s.debt_ceiling is not None
                for x in _any_config(scenario)
                for s in x.financing.constrained.values()
            )
            self.desk = Financing(self.env, cfg, years, -c.warmup_years, track_debt)
            self.desk.drops_out = self._drops_out_in_financing
            self.desk.pool_eligible = self._pool_eligible
        # the distinct funding-share vectors and spending profiles projects refer to by number
        self.share_vectors: list[list[float]] = []
        self.profiles: list[SpendingProfile] = []
        self.rules = self._rules()
        self.land_budget: LandBudget | None = None
        if any(x.resources.land_budget is not None for x in _any_config(scenario)):
            self.land_budget = LandBudget(self.env, cfg, years, -c.warmup_years)
        # every lever takes every policy, in this order, and reports in this order
        self.levers: list[Lever] = [self.approval, self.secretaries]
        self.levers += [x for x in (self.desk, self.land_budget, self.land_places) if x is not None]
        self.projects: list[Project] = []
        # per block of new arrivals: its projects and their arrival times, in order
        self.arrivals: dict[str, tuple[list[Project], list[float]]] = {}
        self.policy_log: list[tuple[str, float]] = []
        self.replaced = 0  # warm-up projects the register's projects stand for
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
        self.desk = self.land_budget = None
        self.levers = []
        self.approval.release_waiting()
        if self.land_places is not None:
            self.land_places.release_waiting()

    def _rules(self) -> list[Rules]:
        return [
            Rules(sector, name, self.cfg, self)
            for sector, name in zip(self.sectors, self.sector_names, strict=True)
        ]

    # -- parameters in force -------------------------------------------------------------
    def add_block(self, block: str, prefix: tuple[str, ...], n: int, sectors: list[int]) -> None:
        """Register ``n`` projects whose draws come from the streams ``prefix``."""
        self.blocks[block] = (prefix, n)
        self.draws[block] = {s: Draws(self.streams, n, prefix, self.sectors[s]) for s in sectors}

    def _take_effect(self, name: str, at: float, cfg: ScenarioConfig) -> Generator[simpy.Event, Any, None]:
        # after that day's refill, before anything else at its instant (model.clock)
        yield At(self.env, at - self.env.now, POLICY)
        self.cfg = cfg
        self.policy_log.append((name, at))
        for s, sector in enumerate(cfg.sectors.values()):
            if sector != self.sectors[s]:
                self.sectors[s] = sector
                for block, by_sector in self.draws.items():
                    if s in by_sector:
                        prefix, n = self.blocks[block]
                        by_sector[s] = Draws(self.streams, n, prefix, sector)
        # the new rules first: a place freed below hands projects on at once
        self.rules = self._rules()
        for lever in self.levers:
            lever.take_effect(at, cfg)
        # money is handed out once every policy of this instant is in force (model.clock)
        yield At(self.env, 0.0, SERVE)
        for desk in (self.desk, self.land_budget):
            if desk is not None:
                desk.serve_all()

    def _drops_out(self, p: Project, stage: int) -> bool:
        prob = self.rules[p.sector].cancel[stage]
        return prob > 0 and self.draws[p.block][p.sector].u_cancel[stage][p.index] < prob

    def _drops_out_in_financing(self, p: Project) -> bool:
        return self._drops_out(p, _FINANCING)

    def _pool_eligible(self, p: Project) -> bool:
        return self.rules[p.sector].pool_ok

    # -- the life of a project -------------------------------------------------------------
    def arrive(self, p: Project, stage: int, progress: float, delay: float) -> None:
        """Let ``p`` enter the pipeline at ``stage`` after ``delay`` years, ``progress``
        (a share) through that stage."""
        p.stage = stage
        p.progress = progress
        self._timeout(delay, p).callbacks.append(self._arrived)

    def arrive_in_turn(self, block: str, projects: list[Project], times: list[float]) -> None:
        """Let ``projects`` (of ``block``, in order of arrival) enter approval at ``times``.

        One arrival of the block is scheduled at a time, when the one before it happens:
        SimPy's queue then holds one pending arrival per block instead of thousands.
        """
        self.arrivals[block] = (projects, times)
        if projects:
            self._timeout(times[0], projects[0]).callbacks.append(self._arrived_in_turn)

    def _arrived_in_turn(self, ev: simpy.Event) -> None:
        p = cast(Project, ev.value)
        projects, times = self.arrivals[p.block]
        k = p.index + 1
        if k < len(projects):
            self._timeout(delay_to(self.env.now, times[k]), projects[k]).callbacks.append(
                self._arrived_in_turn
            )
        self._arrived(ev)

    def _arrived(self, ev: simpy.Event) -> None:
        p = cast(Project, ev.value)
        now = self.env.now
        if not p.in_flight:
            p.cost = self.draws[p.block][p.sector].size[p.index]
        threshold = self.cfg.key_project_threshold
        p.key = threshold is not None and p.cost >= threshold
        p.arrived = now
        stage = p.stage
        if stage > _LAND:  # a register project past land paid its land part before the start
            p.land_total = self.cfg.resources.land_cost_share * p.cost
        if p.key and stage < _CONSTRUCTION and self.secretaries.free > 0:
            self.secretaries.assign(p)
        if stage == _APPROVAL:
            p.entered_approval = now
            if self.approval.take(p):
                self._start_approval(p)
        elif stage == _LAND:
            self._enter_land(p)
        elif stage == _FINANCING:
            self._enter_financing(p)
        else:
            self._start_construction(p)

    def _start_approval(self, p: Project) -> None:
        p.approval_start = self.env.now
        d = self.draws[p.block][p.sector].approval[p.index] * (1 - p.progress)
        if p.secretary:
            d *= self.cfg.resources.secretary_effect
        d = self._campaign(p, d)
        # always through an event, even when d is 0: a place freed hands the next project
        # its place at once, and a chain of zero-length approvals must not recurse
        self._timeout(d, p).callbacks.append(self._end_approval)

    def _end_approval(self, ev: simpy.Event) -> None:
        p = cast(Project, ev.value)
        if p.replaced:  # a register project stands for it (its place was handed back then)
            return
        self.approval.release()
        p.approval_end = self.env.now
        if self._drops_out(p, _APPROVAL):
            self._cancel(p, _APPROVAL)
            return
        p.progress = 0.0
        self._enter_land(p)

    def _enter_land(self, p: Project) -> None:
        p.entered_land = self.env.now
        p.land_total = self.cfg.resources.land_cost_share * p.cost
        # a register project part-way through land has spent the rest before the start
        share = self.cfg.resources.land_cost_share * (1 - p.progress)
        if share > 0:
            p.land_cost = share * p.cost
            p.shares_no = self.rules[p.sector].shares_no
            budget = self.land_budget
            if budget is not None and budget.request(p, [p.land_cost], then=self._land_paid) is WAITING:
                return  # waits for the land budget
        places = self.land_places
        if places is None or places.take(p):
            self._start_land(p)  # else a freed place starts it

    def _land_paid(self, p: Project, status: ClaimStatus) -> None:
        self._land_ready(p)  # the land budget has no cancellation of its own

    def _land_ready(self, p: Project) -> None:
        places = self.land_places
        if places is None or places.take(p):
            self._start_land(p)  # else a freed place starts it

    def _start_land(self, p: Project) -> None:
        p.land_start = self.env.now
        d = self.draws[p.block][p.sector].land[p.index]
        p.land_u0 = p.progress
        if p.secretary:
            d *= self.cfg.resources.secretary_effect
        left = d * (1 - p.progress)
        fast = self._campaign(p, left)
        if fast != left:  # the land money is spent evenly over the time the work takes
            d = fast / (1 - p.progress)
        p.land_duration = d
        self._timeout(fast, p).callbacks.append(self._end_land)

    def _campaign(self, p: Project, work: float) -> float:
        """How long ``work`` years of approval or land work starting now take: less for a
        project on the "三早" list while the season is closed (the winter campaign)."""
        early = self.cfg.early_start
        if early is None or work <= 0 or p.cost < early.list_threshold:
            return work
        season = self.seasons[p.sector]
        if season is None:  # its sector builds all year: nothing to be ready for
            return work
        now = self.env.now
        return season.campaign_finish(now, work, early.winter_effect) - now

    def _end_land(self, ev: simpy.Event) -> None:
        p = cast(Project, ev.value)
        if p.replaced:
            return
        if self.land_places is not None:
            self.land_places.release()
        p.land_end = self.env.now
        if self._drops_out(p, _LAND):
            self._cancel(p, _LAND)
            return
        self._enter_financing(p)

    def _enter_financing(self, p: Project) -> None:
        p.entered_financing = self.env.now
        rules = self.rules[p.sector]
        p.shares_no = rules.shares_no
        desk = self.desk
        if desk is not None:
            amount = p.cost - p.land_total
            needs = [amount * share for share in rules.desk_shares]
            if max(needs) > 0:
                status = desk.request(p, needs, p.key, rules.pool_ok, then=self._funded)
                if status is not WAITING:
                    self._funded(p, status)
                return
        if self._drops_out(p, _FINANCING):
            self._cancel(p, _FINANCING)
            return
        p.financing_end = self.env.now
        self._start_construction(p)

    def _funded(self, p: Project, status: ClaimStatus) -> None:
        if status is not MET:  # dropped out as the money came, or gave up waiting
            self._cancel(p, _FINANCING)
            return
        p.financing_end = self.env.now
        self._start_construction(p)

    def _start_construction(self, p: Project) -> None:
        now = self.env.now
        p.entered_construction = now
        if p.secretary:
            self.secretaries.hand_back(p, now)
        rules = self.rules[p.sector]
        p.profile_no = rules.profile_no
        if p.shares_no < 0:
            p.shares_no = rules.shares_no
        draws = self.draws[p.block][p.sector]
        if p.stage == _CONSTRUCTION:
            p.carried = True
            # in flight in construction: progress is the share of money already spent
            p.u0 = float(rules.profile.inverse(np.array(p.progress)))
        p.construction = draws.construction[p.index]
        p.construction_cost = (p.cost - p.land_total) * draws.overrun[p.index]
        # construction needs no event: its spending is integrated after the run
        season = self.seasons[p.sector]
        if season is None:
            p.construction_start = now
            done = now + p.construction * (1 - p.u0)
        else:
            # money committed now waits for the season; one in construction already
            # resumes when the season opens (its working time does not count till then)
            start = now if p.carried else season.next_open(now)
            if start >= self.horizon:
                return  # not started by the end of the run
            p.construction_start = start
            work = p.construction * (1 - p.u0)
            done = season.finish(start, work) if work > 0 else start
        if done < self.horizon:
            p.completed = done

    def _cancel(self, p: Project, stage: int) -> None:
        p.cancelled_in = stage
        p.cancelled_at = self.env.now
        if p.secretary:
            self.secretaries.hand_back(p, self.env.now)


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


def _add_in_flight(scenario: Scenario, pipe: Pipeline, sector_index: dict[str, int]) -> None:
    """Projects in flight at the start, in register order, enter first (they hold their
    places), each standing for the closest warm-up project of its sector and stage."""
    live = [p for p in scenario.in_flight if p.stage != "completed"]
    if not live:
        return
    pipe.add_block("in_flight", ("in_flight",), len(live), sorted({sector_index[p.sector] for p in live}))
    register = []
    for i, f in enumerate(live):
        proj = Project(f.id, sector_index[f.sector], "in_flight", i, f.total_investment, True)
        register.append(proj)
        pipe.projects.append(proj)
        pipe.arrive(proj, int(Stage.of(f.stage)), f.progress, pipe.warmup)
    if pipe.warmup > 0:
        At(pipe.env, pipe.warmup, REGISTER).callbacks.append(partial(stand_in, pipe, register))


def _add_arrivals(scenario: Scenario, pipe: Pipeline, streams: Streams, sector_index: dict[str, int]) -> None:
    """New projects of every sector, arriving as a Poisson process over warm-up and horizon."""
    c = scenario.config
    for s_name in c.sectors:
        s = sector_index[s_name]
        rates = [(0.0, c.sectors[s_name].arrivals.rate, c.sectors[s_name].arrivals.growth)]
        # a break only where a policy changes this sector's arrivals: a break that changes
        # nothing would still move later arrival times by a rounding unit, and with them
        # the pairing with the scenario without that policy
        for ch in scenario.changes:  # in time order
            a = ch.config.sectors[s_name].arrivals
            if (a.rate, a.growth) != rates[-1][1:]:
                rates.append((max(0.0, ch.time + pipe.warmup), a.rate, a.growth))
        times = arrival_times(
            rates,
            -c.warmup_years,
            c.warmup_years + c.horizon_years,
            streams.generator("sector", s_name, "arrivals"),
        )
        n = len(times)
        if n == 0:
            continue
        pipe.add_block(s_name, ("sector", s_name), n, [s])
        block = [Project(f"{s_name}-{i}", s, s_name, i, 0.0, False) for i in range(n)]
        pipe.projects += block
        pipe.arrive_in_turn(s_name, block, times.tolist())


def _simulate(scenario: Scenario, seed: int, replication: int, project_log: bool) -> ReplicationResult:
    c = scenario.config
    streams = Streams(seed, replication)
    pipe = Pipeline(scenario, streams)
    sector_index = {name: i for i, name in enumerate(c.sectors)}
    _add_in_flight(scenario, pipe, sector_index)
    _add_arrivals(scenario, pipe, streams, sector_index)
    try:
        pipe.env.run(until=pipe.horizon)
        result = collect(scenario, pipe, streams, replication, project_log)
        pipe.release()
        return result
    except ModelCheckError as e:
        raise ModelCheckError(
            f"self-check failed in replication {replication} with seed {seed} of scenario "
            f"{c.name!r} (this is a bug in investsim; `investsim run SCENARIO --seed {seed} "
            f"-n {replication + 1} --jobs 1` reproduces it): {e}"
        ) from e
