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
quantity), element ``i`` belonging to the CSV's ``i``-th row. See :mod:`investsim.streams`.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy
from numpy.typing import NDArray

from investsim.distributions import SpendingProfile
from investsim.errors import ModelCheckError
from investsim.scenario import STAGES, ApprovalSteps, Scenario, Sector, spending_profile
from investsim.streams import Streams

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

CANCEL_STAGES = ("approval", "land", "financing")
LOG_COLUMNS = (
    "project",
    "sector",
    "cost",
    "key",
    "in_flight",
    "secretary",
    "arrived",
    "approval_start",
    "approval_end",
    "land_end",
    "financing_end",
    "construction_start",
    "completed",
    "cancelled_stage",
)


@dataclass
class ReplicationResult:
    """What one replication produced, as small yearly arrays.

    ``investment_by_sector`` is (sectors x years) project spending; investment by
    funding source and in total are derived from it (see :mod:`investsim.results`).
    """

    replication: int
    investment_by_sector: FloatArray
    background: FloatArray
    arrivals: IntArray
    starts: IntArray
    completions: IntArray
    cancelled: IntArray  # (len(CANCEL_STAGES) x years)
    key_projects: int
    key_with_secretary: int
    events: int
    project_log: dict[str, Any] | None = None


class _Project:
    """A project moving through the pipeline; times are years since the start (NaN = not reached)."""

    __slots__ = (
        "approval",
        "approval_end",
        "approval_start",
        "arrived",
        "cancel",
        "cancelled",
        "cancelled_at",
        "carried",
        "completed",
        "construction",
        "construction_start",
        "cost",
        "financing_end",
        "in_flight",
        "key",
        "land",
        "land_end",
        "name",
        "overrun",
        "secretary",
        "sector",
        "u0",
    )

    def __init__(
        self,
        name: str,
        sector: int,
        cost: float,
        key: bool,
        approval: float,
        land: float,
        construction: float,
        overrun: float,
        cancel: tuple[bool, bool, bool],
        in_flight: bool,
    ) -> None:
        nan = math.nan
        self.name = name
        self.sector = sector
        self.cost = cost
        self.key = key
        self.approval = approval
        self.land = land
        self.construction = construction
        self.overrun = overrun
        self.cancel = cancel
        self.in_flight = in_flight
        self.secretary = False
        self.arrived = self.approval_start = self.approval_end = self.land_end = nan
        self.financing_end = self.construction_start = self.completed = nan
        self.u0 = 0.0
        self.cancelled = ""
        self.cancelled_at = nan
        self.carried = False  # in construction already at the start: not a start of the run


class _Claim:
    """A project's request for money from the constrained sources, share by share."""

    __slots__ = ("event", "live", "missing", "needs", "project", "secured")

    def __init__(self, project: _Project, needs: list[float], event: simpy.Event | None) -> None:
        self.project = project
        self.needs = needs
        self.secured = [False] * len(needs)
        self.missing = sum(1 for n in needs if n > 0)
        self.event = event
        self.live = True


class _FinancingDesk:
    """Constrained funding sources with a yearly supply, refilled on 1 January.

    Each source serves its own queue in order (``fifo``, or key projects first with
    ``key_first``) and commits a project's share as soon as it can; a project closes its
    financing when every share is secured. A share larger than the source's whole supply
    of the year can't be met that year and does not hold up the queue behind it. Unused
    supply does not carry over; money committed to a project that then gives up waiting
    goes back to the source.
    """

    def __init__(self, env: simpy.Environment, supplies: FloatArray, key_first: bool) -> None:
        self.env = env
        self.supplies = supplies  # (years x sources)
        self.year = 0
        self.remaining = supplies[0].tolist()
        self.key_first = key_first
        nsrc = supplies.shape[1]
        self.queues: list[list[tuple[int, int, _Claim]]] = [[] for _ in range(nsrc)]
        self.parked: list[list[tuple[int, int, _Claim]]] = [[] for _ in range(nsrc)]
        self.seq = 0
        env.process(self._refill())

    def _refill(self) -> Generator[simpy.Event, Any, None]:
        for k in range(1, len(self.supplies)):
            yield self.env.timeout(k - self.env.now)
            self.year = k
            self.remaining = self.supplies[k].tolist()
            for j in range(len(self.remaining)):
                for item in self.parked[j]:
                    heapq.heappush(self.queues[j], item)
                self.parked[j] = []
                self._serve(j)

    def request(self, p: _Project, needs: list[float]) -> _Claim | bool:
        """Ask for ``needs`` (one amount per source) for ``p``.

        Returns True when every share is secured at once, False when the project drops
        out at once (its financing-stage cancellation), else the claim whose event fires
        (with True, or False for a drop-out) when the last share is secured.
        """
        remaining = self.remaining
        nsrc = len(needs)
        if all(needs[j] <= 0 or (not self.queues[j] and needs[j] <= remaining[j]) for j in range(nsrc)):
            # nobody waits ahead and there is money for every share: the common case
            if p.cancel[2]:
                return False
            for j in range(nsrc):
                remaining[j] -= needs[j]
            return True
        claim = _Claim(p, needs, self.env.event())
        prio = 0 if (self.key_first and p.key) else 1
        self.seq += 1
        for j in range(nsrc):
            if needs[j] > 0:
                heapq.heappush(self.queues[j], (prio, self.seq, claim))
        for j in range(nsrc):
            if needs[j] > 0:
                self._serve(j)
        return claim

    def withdraw(self, claim: _Claim) -> None:
        """A project gave up waiting: drop its claim and give back what it had secured."""
        claim.live = False
        self._release(claim)

    def _release(self, claim: _Claim) -> None:
        for j, got in enumerate(claim.secured):
            if got:
                self.remaining[j] += claim.needs[j]
                claim.secured[j] = False
        for j, need in enumerate(claim.needs):
            if need > 0:
                self._serve(j)

    def _serve(self, j: int) -> None:
        queue = self.queues[j]
        full = self.supplies[self.year, j]
        while queue:
            claim = queue[0][2]
            if not claim.live:
                heapq.heappop(queue)
                continue
            need = claim.needs[j]
            if need > full * (1 + 1e-12):
                self.parked[j].append(heapq.heappop(queue))  # can't be met this year
                continue
            if need > self.remaining[j] * (1 + 1e-12):
                return
            heapq.heappop(queue)
            self.remaining[j] -= need
            claim.secured[j] = True
            claim.missing -= 1
            if claim.missing == 0:
                claim.live = False
                assert claim.event is not None
                if claim.project.cancel[2]:
                    # drops out as its financing closes: the money goes back
                    claim.event.succeed(False)
                    self._release(claim)
                else:
                    claim.event.succeed(True)
        if self.remaining[j] < -1e-9:
            raise ModelCheckError(f"funding source {j} went negative: {self.remaining[j]}")


class _Pipeline:
    """The SimPy processes and shared resources of one replication."""

    def __init__(self, scenario: Scenario, streams: Streams) -> None:
        c = scenario.config
        self.env = simpy.Environment()
        # simulation time 0 is 1 January of start_year - warmup_years
        self.warmup = float(c.warmup_years)
        self.horizon = float(c.warmup_years + c.horizon_years)
        cap = c.resources.approval_capacity
        self.approval_desk = simpy.Resource(self.env, cap) if cap is not None else None
        self.secretaries_free = c.resources.service_secretaries
        self.secretary_effect = c.resources.secretary_effect
        self.max_wait = None if c.financing.max_wait is None else c.financing.max_wait / 12
        self.sectors = list(c.sectors.values())
        # constrained sources and, per sector, the share of cost each one pays
        self.source_names = list(c.financing.sources)
        years = np.arange(-c.warmup_years, c.horizon_years)
        supplies = np.array(
            [[s.supply * (1 + s.growth) ** k for s in c.financing.sources.values()] for k in years]
        ).reshape(len(years), len(self.source_names))
        self.shares = [[s.funding.get(n, 0.0) for n in self.source_names] for s in self.sectors]
        self.desk = (
            _FinancingDesk(self.env, supplies, c.financing.priority == "key_first")
            if self.source_names
            else None
        )
        self.projects: list[_Project] = []
        self.streams = streams
        self.threshold = c.key_project_threshold

    def is_key(self, cost: float) -> bool:
        return self.threshold is not None and cost >= self.threshold

    def run(
        self, p: _Project, stage: int, progress: float, delay: float
    ) -> Generator[simpy.Event, Any, None]:
        """The life of one project, entering at ``stage`` (index in STAGES) after ``delay`` years."""
        env = self.env
        if delay > 0:
            yield env.timeout(delay)
        p.arrived = env.now
        effect = 1.0
        if p.key and stage < 3 and self.secretaries_free > 0:
            self.secretaries_free -= 1
            p.secretary = True
            effect = self.secretary_effect
        if stage == 0:
            d = p.approval * effect * (1 - progress)
            desk = self.approval_desk
            if desk is not None:
                req = desk.request()
                yield req
                p.approval_start = env.now
                if d > 0:
                    yield env.timeout(d)
                desk.release(req)
            else:
                p.approval_start = env.now
                if d > 0:
                    yield env.timeout(d)
            p.approval_end = env.now
            if p.cancel[0]:
                self._cancel(p, "approval")
                return
            progress = 0.0
        if stage <= 1:
            d = p.land * effect * (1 - progress)
            if d > 0:
                yield env.timeout(d)
            p.land_end = env.now
            if p.cancel[1]:
                self._cancel(p, "land")
                return
        if stage <= 2:
            shares = self.shares[p.sector]
            needs = [p.cost * s for s in shares]
            if self.desk is not None and any(n > 0 for n in needs):
                entry = self.desk.request(p, needs)
                if isinstance(entry, bool):
                    ok = entry
                else:
                    funded = entry.event
                    assert funded is not None
                    if self.max_wait is None:
                        yield funded
                    else:
                        yield funded | env.timeout(self.max_wait)
                    if not funded.triggered:
                        self.desk.withdraw(entry)
                        self._cancel(p, "financing")
                        return
                    ok = bool(funded.value)
                if not ok:
                    self._cancel(p, "financing")
                    return
            elif p.cancel[2]:
                self._cancel(p, "financing")
                return
            p.financing_end = env.now
        p.construction_start = env.now
        if p.secretary:
            self.secretaries_free += 1
        if stage == 3:
            p.carried = True
            # in flight in construction: progress is the share of money already spent
            p.u0 = float(self._profile(p).inverse(np.array(progress)))
        p.cost *= p.overrun
        done = env.now + p.construction * (1 - p.u0)
        if done < self.horizon:
            p.completed = done

    def _cancel(self, p: _Project, stage: str) -> None:
        p.cancelled = stage
        p.cancelled_at = self.env.now
        if p.secretary:
            self.secretaries_free += 1

    def _profile(self, p: _Project) -> SpendingProfile:
        return spending_profile(self.sectors[p.sector].spending)


def _arrival_times(
    rate: float, growth: float, first_year: int, horizon: int, rng: np.random.Generator
) -> FloatArray:
    """Arrival times in [0, horizon) of a Poisson process with rate ``rate * (1 + growth)^k``
    in year k, where simulation year 0 is year ``first_year`` of the run (negative in warm-up).

    Unit-rate arrival epochs are mapped through the inverse of the cumulative intensity,
    so a higher rate gives the same projects earlier plus new ones at the end of the
    list: the i-th arrival keeps its identity (and its random numbers) across scenarios.
    """
    if rate <= 0:
        return np.empty(0)
    cum = np.concatenate(
        [[0.0], np.cumsum(rate * (1 + growth) ** np.arange(first_year, first_year + horizon))]
    )
    total = cum[-1]
    n = int(total + 6 * math.sqrt(total) + 10)
    epochs = np.cumsum(rng.exponential(size=n))
    while epochs[-1] < total:
        more = np.cumsum(rng.exponential(size=n)) + epochs[-1]
        epochs = np.concatenate([epochs, more])
    epochs = epochs[epochs < total]
    return np.interp(epochs, cum, np.arange(horizon + 1, dtype=float))


def _draws(streams: Streams, n: int, prefix: tuple[str, ...], sector: Sector) -> dict[str, FloatArray]:
    """Every per-project random quantity of a block of ``n`` projects (durations in years)."""

    def u(*name: str) -> FloatArray:
        return streams.uniforms(n, *prefix, *name)

    out: dict[str, FloatArray] = {"size": sector.size.ppf(u("size"))}
    ap = sector.approval
    if isinstance(ap, ApprovalSteps):
        steps = [d.ppf(u("approval", step)) for step, d in ap.steps.items()]
        months = np.sum(steps, axis=0) if ap.mode == "serial" else np.max(steps, axis=0)
    else:
        months = ap.ppf(u("approval"))
    out["approval"] = months / 12
    land = sector.land.ppf(u("land"))
    if sector.land_dispute is not None and sector.land_dispute.probability > 0:
        disputed = u("land_dispute") < sector.land_dispute.probability
        land = land + np.where(disputed, sector.land_dispute.delay.ppf(u("land_dispute", "delay")), 0.0)
    out["land"] = land / 12
    out["construction"] = sector.construction.ppf(u("construction")) / 12
    out["overrun"] = sector.overrun.ppf(u("overrun")) if sector.overrun is not None else np.ones(n)
    for stage in CANCEL_STAGES:
        p = getattr(sector.cancel, stage)
        out["cancel_" + stage] = (u("cancel", stage) < p) if p > 0 else np.zeros(n, dtype=bool)
    return out


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
    with np.errstate(divide="ignore", invalid="ignore"):
        u = u0[:, None] + (bounds[None, :] - start[:, None]) / duration[:, None]
    # a zero duration spends everything at the start: at a bound t, done iff t > start
    instant = duration[:, None] == 0
    u = np.where(instant, np.where(bounds[None, :] > start[:, None], 1.0, u0[:, None]), u)
    u = np.clip(u, u0[:, None], 1.0)
    spent = cost[:, None] * profile.cdf(u)
    return np.diff(spent, axis=1)


def simulate_replication(
    scenario: Scenario, seed: int, replication: int, project_log: bool = False
) -> ReplicationResult:
    """Run one replication of ``scenario`` and return its yearly results."""
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
        draws_by_sector: dict[str, dict[str, FloatArray]] = {}
        n_live = len(live)
        for name in {p.sector for p in live}:
            draws_by_sector[name] = _draws(streams, n_live, ("in_flight",), c.sectors[name])
        for i, f in enumerate(live):
            d = draws_by_sector[f.sector]
            proj = _Project(
                f.id,
                sector_index[f.sector],
                f.total_investment,
                pipe.is_key(f.total_investment),
                float(d["approval"][i]),
                float(d["land"][i]),
                float(d["construction"][i]),
                float(d["overrun"][i]),
                (bool(d["cancel_approval"][i]), bool(d["cancel_land"][i]), bool(d["cancel_financing"][i])),
                True,
            )
            projects.append(proj)
            env.process(pipe.run(proj, STAGES.index(f.stage), f.progress, pipe.warmup))

    for s_name, sector in c.sectors.items():
        s = sector_index[s_name]
        times = _arrival_times(
            sector.arrivals.rate,
            sector.arrivals.growth,
            -c.warmup_years,
            c.warmup_years + horizon,
            streams.generator("sector", s_name, "arrivals"),
        )
        n = len(times)
        if n == 0:
            continue
        d = _draws(streams, n, ("sector", s_name), sector)
        size, ap, land, cons, over = (
            d[k].tolist() for k in ("size", "approval", "land", "construction", "overrun")
        )
        ca, cl, cf = (d["cancel_" + k].tolist() for k in CANCEL_STAGES)
        for i, t in enumerate(times.tolist()):
            proj = _Project(
                f"{s_name}-{i}",
                s,
                size[i],
                pipe.is_key(size[i]),
                ap[i],
                land[i],
                cons[i],
                over[i],
                (ca[i], cl[i], cf[i]),
                False,
            )
            projects.append(proj)
            env.process(pipe.run(proj, 0, 0.0, t))

    env.run(until=pipe.horizon)
    return _collect(scenario, pipe, streams, replication, project_log)


def _collect(
    scenario: Scenario, pipe: _Pipeline, streams: Streams, replication: int, project_log: bool
) -> ReplicationResult:
    c = scenario.config
    horizon = c.horizon_years
    projects = pipe.projects
    n_sectors = len(c.sectors)

    col = {
        name: np.array([getattr(p, name) for p in projects], dtype=float)
        for name in (
            "arrived",
            "construction_start",
            "completed",
            "construction",
            "u0",
            "cost",
        )
    }
    # report in years since 1 January of start_year (warm-up times are negative)
    for name in ("arrived", "construction_start", "completed"):
        col[name] -= pipe.warmup
    sector = np.array([p.sector for p in projects], dtype=np.int64)
    in_flight = np.array([p.in_flight for p in projects], dtype=bool)
    cancelled = np.array([p.cancelled for p in projects], dtype=object)

    by_sector = np.zeros((n_sectors, horizon))
    started = ~np.isnan(col["construction_start"])
    for s, sec in enumerate(c.sectors.values()):
        m = started & (sector == s)
        if m.any():
            spend = yearly_spending(
                col["construction_start"][m],
                col["construction"][m],
                col["u0"][m],
                col["cost"][m],
                spending_profile(sec.spending),
                horizon,
            )
            by_sector[s] = spend.sum(axis=0)

    new = ~in_flight
    carried = np.array([p.carried for p in projects], dtype=bool)
    starts = _year_index(col["construction_start"][~carried], horizon)
    cancels = np.array(
        [
            _year_index(
                np.array([p.cancelled_at for p in projects if p.cancelled == st]) - pipe.warmup, horizon
            )
            for st in CANCEL_STAGES
        ]
    ).reshape(len(CANCEL_STAGES), horizon)

    background: FloatArray = np.zeros(horizon)
    if c.background is not None:
        # one uncertain growth rate per replication, kept for the whole horizon
        g = float(c.background.growth.ppf(streams.uniforms(1, "background", "growth"))[0])
        background = c.background.level * (1 + g) ** np.arange(horizon, dtype=float)

    _self_check(pipe, col, cancelled, replication)
    log = None
    if project_log:
        log = {
            "project": [p.name for p in projects],
            "sector": [list(c.sectors)[p.sector] for p in projects],
            "cost": col["cost"],
            "key": np.array([p.key for p in projects], dtype=bool),
            "in_flight": in_flight,
            "secretary": np.array([p.secretary for p in projects], dtype=bool),
            **{
                k: np.array([getattr(p, k) for p in projects], dtype=float) - pipe.warmup
                for k in (
                    "arrived",
                    "approval_start",
                    "approval_end",
                    "land_end",
                    "financing_end",
                    "construction_start",
                    "completed",
                )
            },
            "cancelled_stage": [p.cancelled or None for p in projects],
        }
    return ReplicationResult(
        replication=replication,
        investment_by_sector=by_sector,
        background=background,
        arrivals=_year_index(col["arrived"][new], horizon),
        starts=starts,
        completions=_year_index(col["completed"], horizon),
        cancelled=cancels,
        key_projects=int(sum(p.key for p in projects)),
        key_with_secretary=int(sum(p.secretary for p in projects)),
        events=_events_processed(pipe.env),
        project_log=log,
    )


def _events_processed(env: simpy.Environment) -> int:
    eid = getattr(env, "_eid", None)
    return int(repr(eid)[6:-1]) if eid is not None else 0


def _self_check(
    pipe: _Pipeline, col: dict[str, FloatArray], cancelled: NDArray[Any], replication: int
) -> None:
    """Cheap invariants checked at the end of every replication (a failure is a bug)."""
    c = pipe
    if c.secretaries_free < 0:
        raise ModelCheckError(f"replication {replication}: secretaries went negative")
    order = col["construction_start"] >= col["arrived"]
    if not np.all(order | np.isnan(col["construction_start"])):
        raise ModelCheckError(f"replication {replication}: a project started before it arrived")
    done = col["completed"]
    if not np.all(np.isnan(done) | (done >= col["construction_start"])):
        raise ModelCheckError(f"replication {replication}: a project completed before it started")
