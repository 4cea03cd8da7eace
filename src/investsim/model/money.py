"""The money desk: claims for money from sources with a yearly supply.

A :class:`MoneyDesk` holds one or more :class:`~investsim.model.sources.FundingSource`
(each with a yearly supply refilled on 1 January and an optional debt ceiling) and, for
the source named ``bank``, an optional :class:`~investsim.model.sources.GuaranteePool`
that adds money for eligible sectors only. The funding sources of a scenario form one
desk; the land-compensation budget is a desk of its own (:class:`LandBudget`).

Projects ask for an amount from each source (a :class:`Claim`), and a claim is met when
every share can be committed at once: no money is tied up by a project still waiting for
another source. Waiting claims are served in order — first come, first served, or key
projects first — whenever money appears (the yearly refill, a policy, repayments under
a debt ceiling). A claim that can't be met does not hold up smaller ones behind it
(first fit), so no money that someone could use is left idle; and since money within a
year only runs down, a newcomer never takes money that an earlier claim could have used.

A source *binds* while some waiting claim's share from it is more than it can commit
now; a claim short of several sources counts for each. The desk keeps, per source, the
number of waiting claims it is short for, recounted whenever money or the claims change
(:class:`~investsim.model.binding.WaitMeter` integrates it over each year).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any, cast

import numpy as np
import simpy
from numpy.typing import NDArray

from investsim import columns as cols
from investsim.errors import ModelCheckError
from investsim.model.binding import WaitMeter
from investsim.model.clock import SERVE, YEAR_START, At
from investsim.model.sources import FundingSource, GuaranteePool, SourceTerms
from investsim.scenario.config import ScenarioConfig

FloatArray = NDArray[np.float64]
_EPS = 1e-12


class ClaimStatus(Enum):
    """Where a claim for money stands."""

    WAITING = "waiting"
    MET = "met"
    DROPPED_OUT = "dropped out"  # its project dropped out as the money came
    GAVE_UP = "gave up"  # its project stopped waiting (max_wait)


WAITING, MET, DROPPED_OUT, GAVE_UP = ClaimStatus


@dataclass(slots=True)
class Claim:
    """A project's request for money that could not be met at once, one amount per source.

    ``then(owner, status)`` is called when it stops waiting (see :meth:`MoneyDesk.request`).
    """

    owner: Any
    needs: list[float]
    key: bool
    pool_ok: bool
    then: Callable[[Any, ClaimStatus], None]
    since: float  # when it started waiting
    status: ClaimStatus = WAITING
    timer: object = None  # the give-up timer in force (a policy changing max_wait replaces it)
    # while it waits: the one source it draws on, or (the desk's sorted list of shares it
    # is in, its share there) per source it draws on (MoneyDesk._queued)
    parts: int | list[tuple[list[float], float]] = -1


def source_terms(cfg: ScenarioConfig) -> list[SourceTerms]:
    """The terms of every funding source of ``cfg``, in order."""
    return [
        SourceTerms(s.supply, s.growth, s.debt_ceiling, s.repayment_years)
        for s in cfg.financing.constrained.values()
    ]


def guarantee_pool(cfg: ScenarioConfig) -> GuaranteePool:
    """The guarantee pool of ``cfg``: money a year, the index of the bank source, eligible sectors."""
    gp = cfg.financing.guarantee_pool
    if gp is None:
        return GuaranteePool()
    return GuaranteePool(
        gp.capital * gp.leverage, list(cfg.financing.constrained).index("bank"), frozenset(gp.sectors)
    )


class MoneyDesk:
    """Sources with a yearly supply; see the module docstring for the rules."""

    def __init__(
        self,
        env: simpy.Environment,
        names: list[str],
        terms: list[SourceTerms],
        years: int,
        first_year: int,
        key_first: bool = False,
        pool: GuaranteePool | None = None,
        track_debt: bool = False,
    ) -> None:
        self.env = env
        self.years = years
        self.key_first = key_first
        self.max_wait: float | None = None  # years a claim waits before it gives up
        self.year = 0
        # every commitment is recorded when a debt ceiling is or will be set
        track = track_debt or any(t.debt_ceiling is not None for t in terms)
        self.sources = [
            FundingSource(n, t, years, first_year, track) for n, t in zip(names, terms, strict=True)
        ]
        self.pool = pool if pool is not None else GuaranteePool()
        self.queue: list[tuple[int, int, Claim]] = []
        self.seq = 0
        self.ceilings = any(t.debt_ceiling is not None for t in terms)
        for j, source in enumerate(self.sources):
            source.supplied[0] = source.full + (self.pool.full if j == self.pool.source else 0.0)
        self._demanded = [source.demanded for source in self.sources]
        # how binding each source is (model.binding). A waiting claim that draws on one
        # source only is short of it by definition (it would be met otherwise): those are
        # just counted. The shares of the others are kept sorted per source (those that
        # may draw on the guarantee pool apart), so that the ones a source cannot meet
        # now are counted by bisection.
        self.meter = WaitMeter(len(self.sources), years)
        self._solo = [0] * len(self.sources)
        self._needs: list[list[float]] = [[] for _ in self.sources]
        self._pooled_needs: list[float] = []
        self._n_waiting = 0
        self._n_shared = 0  # waiting claims that draw on several sources
        # decides, when a claim is met, whether its project drops out instead
        self.drops_out: Callable[[Any], bool] = lambda owner: False
        env.process(self._refill())

    @property
    def names(self) -> list[str]:
        """The sources' names, in order."""
        return [s.name for s in self.sources]

    # -- supply -------------------------------------------------------------------------
    def _refill(self) -> Generator[simpy.Event, Any, None]:
        for k in range(1, self.years):
            # first at its instant: claims made on 1 January see the new year's money
            yield At(self.env, k - self.env.now, YEAR_START)
            self.year = k
            pool = self.pool
            for source in self.sources:
                source.refill(k)
            pool.refill()
            for j, source in enumerate(self.sources):
                source.supplied[k] = source.full + (pool.full if j == pool.source else 0.0)
            self._recount(range(len(self.sources)))
            # the claims waiting are served after the policies of the day (model.clock)
            yield At(self.env, 0.0, SERVE)
            self.serve_all()

    def change_terms(self, terms: list[SourceTerms], pool: GuaranteePool) -> None:
        """A policy changed the sources: new supplies count pro rata for the rest of the year.
        The claims waiting are served afterwards, once every policy of the instant is in
        force (the pipeline calls :meth:`serve_all` at ``SERVE``)."""
        left = max(0.0, self.year + 1 - self.env.now)
        for source, new in zip(self.sources, terms, strict=True):
            source.change(new, self.year, left)
        self.ceilings = any(t.debt_ceiling is not None for t in terms)
        moved = pool.source != self.pool.source
        delta = self.pool.change(pool.full, pool.source, left)
        self.pool.sectors = pool.sectors
        if pool.source >= 0:
            self.sources[pool.source].supplied[self.year] += delta
        if moved:
            self._sort_needs()
        self._recount(range(len(self.sources)))

    # -- claims -------------------------------------------------------------------------
    def request(
        self,
        owner: Any,
        needs: list[float],
        key: bool = False,
        pool_ok: bool = False,
        *,
        then: Callable[[Any, ClaimStatus], None],
    ) -> ClaimStatus:
        """Ask for ``needs`` (one amount per source) on behalf of ``owner``.

        Returns MET when the claim is met at once, DROPPED_OUT when the owner drops out as
        it would be met, else WAITING: the claim then waits, and ``then(owner, status)`` is
        called once it is met (MET), its owner drops out as it is met (DROPPED_OUT), or it
        has waited the desk's ``max_wait`` years (GAVE_UP; it holds no money meanwhile).
        """
        year = self.year
        demanded = self._demanded  # the sources' own accounts, held here for speed
        for j, need in enumerate(needs):
            demanded[j][year] += need
        if self._fits(needs, pool_ok):
            if not self._meet(owner, needs):
                return DROPPED_OUT
            if self._n_shared:  # less money now: waiting claims may be short of it too
                self._recount_for(needs)
            return MET
        claim = Claim(owner, needs, key, pool_ok, then, self.env.now)
        self.seq += 1
        # (priority, arrival number) is unique: the claim itself is never compared
        insort(self.queue, (0 if (self.key_first and key) else 1, self.seq, claim))
        self._queued(claim)
        if self.ceilings:
            self._wake_for(claim)
        if self.max_wait is not None:
            self._set_timer(claim, self.max_wait)
        return WAITING

    def _set_timer(self, claim: Claim, delay: float) -> None:
        claim.timer = timer = self.env.timeout(delay, claim)
        timer.callbacks.append(self._give_up)

    def _give_up(self, ev: simpy.Event) -> None:
        claim = cast(Claim, ev.value)
        if claim.status is WAITING and claim.timer is ev:  # still waiting after max_wait
            claim.status = GAVE_UP
            self._drop_needs(claim)
            claim.then(claim.owner, GAVE_UP)

    def withdraw(self, owner: Any) -> bool:
        """Drop ``owner``'s waiting claim without calling it back (it holds no money);
        False if it has none."""
        for _, _, claim in self.queue:
            if claim.owner is owner and claim.status is WAITING:
                claim.status = GAVE_UP
                self._drop_needs(claim)
                return True
        return False

    def waiting(self) -> list[Claim]:
        """The claims waiting now, in the order they are served."""
        return [claim for _, _, claim in self.queue if claim.status is WAITING]

    def reconsider(self, eligible: Callable[[Any], bool], max_wait: float | None) -> None:
        """New rules for the claims already waiting (a policy): their priority class under
        ``key_first``, their eligibility for the guarantee pool, and their ``max_wait``
        counted from when they started waiting (one already past it gives up now)."""
        self.queue = sorted(
            ((0 if (self.key_first and claim.key) else 1, seq, claim) for _, seq, claim in self.queue),
            key=lambda entry: (entry[0], entry[1]),
        )
        for claim in self.waiting():
            claim.pool_ok = eligible(claim.owner)
        self._sort_needs()
        self._recount(range(len(self.sources)))
        if max_wait != self.max_wait:
            self.max_wait = max_wait
            for claim in self.waiting():
                if max_wait is None:
                    claim.timer = None
                else:
                    self._set_timer(claim, max(0.0, claim.since + max_wait - self.env.now))

    def _fits(self, needs: list[float], pool_ok: bool) -> bool:
        sources = self.sources
        pool = self.pool
        pooled = pool.source if pool_ok else -1
        for j, need in enumerate(needs):
            if need > 0:
                source = sources[j]
                money = source.remaining
                if self.ceilings:
                    money = min(money, source.room(self.env.now))
                if j == pooled:
                    money += pool.remaining
                if need > money * (1 + _EPS):
                    return False
        return True

    def _meet(self, owner: Any, needs: list[float]) -> bool:
        """Commit every share of ``needs`` (True), or drop the owner out with nothing
        taken (False)."""
        if self.drops_out(owner):
            return False
        year = self.year
        sources = self.sources
        for j, need in enumerate(needs):
            if need <= 0:
                continue
            source = sources[j]
            money = source.remaining
            if self.ceilings:
                money = min(money, source.room(self.env.now))
            if need <= money:
                regular = need
            else:  # the rest from the guarantee pool (_fits allows a rounding error more)
                regular = money if money > 0 else 0.0
                self.pool.remaining -= need - regular
                if self.pool.remaining < -1e-9:
                    raise ModelCheckError(f"the guarantee pool went negative paying {source.name!r}")
            source.remaining -= regular
            if source.ledger is not None and regular > 0:
                source.ledger.record(self.env.now, regular)
            source.committed[year] += need
            if source.remaining < -1e-9:
                raise ModelCheckError(f"funding source {source.name!r} went negative")
        return True

    # -- debt ceiling -------------------------------------------------------------------
    def _blocked_by_ceiling(self, claim: Claim) -> list[tuple[int, float]]:
        """(source, room needed) for each share that only a debt ceiling stops now."""
        out = []
        now = self.env.now
        for j, need in enumerate(claim.needs):
            source = self.sources[j]
            if need <= 0 or source.ceiling is None:
                continue
            pool = self.pool.remaining if (j == self.pool.source and claim.pool_ok) else 0.0
            if source.room(now) + pool < need <= source.remaining + pool:
                out.append((j, need - pool))
        return out

    def _wake_for(self, claim: Claim) -> None:
        """If a debt ceiling (not the supply) stops ``claim``, serve again when repayments
        make room for it."""
        for j, need in self._blocked_by_ceiling(claim):
            self._wake_when_room(j, need)

    def _wake_when_room(self, j: int, need: float) -> None:
        source = self.sources[j]
        ledger, years, ceiling = source.ledger, source.terms.repayment_years, source.terms.debt_ceiling
        assert ledger is not None
        if years is None or ceiling is None:
            return  # nothing is ever repaid: the room never grows
        at = ledger.time_outstanding_falls_to(self.env.now, ceiling - need, years)
        at = max(at, self.env.now + 1e-9)  # never wake at the same moment again
        if at < ledger.wake_at:
            ledger.wake_at = at
            self.env.process(self._wake(j, at))

    def _wake(self, j: int, at: float) -> Generator[simpy.Event, Any, None]:
        yield self.env.timeout(at - self.env.now)
        ledger = self.sources[j].ledger
        assert ledger is not None
        if ledger.wake_at == at:
            ledger.wake_at = math.inf
        self.serve_all()

    # -- serving ------------------------------------------------------------------------
    def serve_all(self) -> None:
        """Meet every waiting claim that can be met now, in order."""
        keep = []
        smallest: dict[int, float] = {}  # per source, the least room a waiting claim needs
        for entry in self.queue:
            claim = entry[2]
            if claim.status is not WAITING:
                continue
            if self._fits(claim.needs, claim.pool_ok):
                # the project goes on at once (it never asks this desk again at this moment)
                claim.status = MET if self._meet(claim.owner, claim.needs) else DROPPED_OUT
                self._remove_needs(claim)
                claim.then(claim.owner, claim.status)
            else:
                keep.append(entry)
                if self.ceilings:
                    for j, need in self._blocked_by_ceiling(claim):
                        smallest[j] = min(need, smallest.get(j, math.inf))
        self.queue = keep
        self._recount(range(len(self.sources)))
        for j, need in smallest.items():
            self._wake_when_room(j, need)

    # -- how binding each source is (model.binding) ------------------------------------------
    def _queued(self, claim: Claim) -> None:
        """``claim`` starts waiting. The money being as it was, it adds one to the count of
        each source it is short of, and no other claim's count changes. (:meth:`short_of`
        written out: this runs for every claim that waits.)"""
        now, meter = self.env.now, self.meter
        counts, changes = meter.waiting, meter.changes
        needs = claim.needs
        self._n_waiting += 1
        if len(needs) - needs.count(0.0) == 1:  # one source: short of it
            j = 0
            while needs[j] <= 0:
                j += 1
            claim.parts = j
            self._solo[j] += 1
            counts[j] += 1
            changes += (now, j, 1)
            return
        self._n_shared += 1
        sources, pool = self.sources, self.pool
        pooled = pool.source if claim.pool_ok else -1
        parts = []
        for j, need in enumerate(needs):
            if need <= 0:
                continue
            source = sources[j]
            money = source.available(now)
            if j == pooled:
                money += pool.remaining
                shares = self._pooled_needs
            else:
                shares = self._needs[j]
            insort(shares, need)
            parts.append((shares, need))
            if need > money * (1 + _EPS):
                counts[j] += 1
                changes += (now, j, 1)
        claim.parts = parts

    def _remove_needs(self, claim: Claim) -> None:
        """``claim`` stops waiting (the counts are redone by the caller)."""
        self._n_waiting -= 1
        parts = claim.parts
        if isinstance(parts, int):
            self._solo[parts] -= 1
            return
        self._n_shared -= 1
        for shares, need in parts:
            del shares[bisect_left(shares, need)]

    def _drop_needs(self, claim: Claim) -> None:
        """``claim`` stops waiting without money changing hands."""
        self._remove_needs(claim)
        self._recount_for(claim.needs)

    def _sort_needs(self) -> None:
        """File the waiting claims again (who may use the pool changed); the caller
        recounts."""
        meter = self.meter
        counts, noted = list(meter.waiting), len(meter.changes)
        self._solo = [0] * len(self.sources)
        self._needs = [[] for _ in self.sources]
        self._pooled_needs = []
        self._n_waiting = self._n_shared = 0
        for claim in self.waiting():
            self._queued(claim)
        # filing them counted them again, as if they had just come: undo that
        meter.waiting[:] = counts
        del meter.changes[noted:]

    def short_of(self, j: int) -> int:
        """How many waiting claims source ``j`` cannot meet now: their share from it is
        more than it can commit now (within any debt ceiling, with the guarantee pool for
        the claims that may use it), the test :meth:`_fits` makes."""
        source = self.sources[j]
        money = source.remaining
        if self.ceilings:
            money = min(money, source.room(self.env.now))
        needs = self._needs[j]
        short = self._solo[j]
        if needs:
            short += len(needs) - bisect_right(needs, money * (1 + _EPS))
        pooled = self._pooled_needs
        if pooled and j == self.pool.source:
            short += len(pooled) - bisect_right(pooled, (money + self.pool.remaining) * (1 + _EPS))
        return short

    def _recount(self, sources: Iterable[int]) -> None:
        now, meter = self.env.now, self.meter
        for j in sources:
            meter.set(j, self.short_of(j), now)

    def _recount_for(self, needs: list[float]) -> None:
        """Count again the sources a claim with ``needs`` draws on (:meth:`short_of`,
        written out: this runs at almost every claim)."""
        now, meter = self.env.now, self.meter
        counts, changes, sources, pool = meter.waiting, meter.changes, self.sources, self.pool
        pooled, solo = self._pooled_needs, self._solo
        for j, need in enumerate(needs):
            if need <= 0:
                continue
            source = sources[j]
            money = source.available(now)
            plain = self._needs[j]
            short = solo[j] + len(plain) - bisect_right(plain, money * (1 + _EPS))
            if pooled and j == pool.source:
                short += len(pooled) - bisect_right(pooled, (money + pool.remaining) * (1 + _EPS))
            if short != counts[j]:  # WaitMeter.set, written out
                changes += (now, j, short - counts[j])
                counts[j] = short

    def check(self, col: dict[str, FloatArray]) -> None:
        """Self-check: no source and no pool ended below zero, and the claims counted as
        waiting for each source are those a claim-by-claim test finds (``col`` is not needed)."""
        for source in self.sources:
            source.check()
        self.pool.check()
        waiting = self.waiting()
        if self._n_waiting != len(waiting):
            raise ModelCheckError(f"{self._n_waiting} claims counted as waiting, {len(waiting)} are")
        for j, source in enumerate(self.sources):
            short = sum(1 for claim in waiting if self._short_by(claim, j))
            kept = self.meter.waiting[j]
            # under a debt ceiling the room grows between events, so a claim short of it
            # at the last event may not be now (the desk would serve it at that moment)
            wrong = short > kept if source.ceiling is not None else short != kept or short != self.short_of(j)
            if wrong:
                raise ModelCheckError(
                    f"funding source {source.name!r}: {kept} waiting claims counted as short of it, "
                    f"{short} are"
                )

    def _short_by(self, claim: Claim, j: int) -> bool:
        """Whether source ``j`` alone stops ``claim`` now (the one-share test of :meth:`_fits`)."""
        need = claim.needs[j]
        if need <= 0:
            return False
        source = self.sources[j]
        money = source.remaining
        if self.ceilings:
            money = min(money, source.room(self.env.now))
        if claim.pool_ok and j == self.pool.source:
            money += self.pool.remaining
        return need > money * (1 + _EPS)

    # -- accounts -----------------------------------------------------------------------
    def _accounts(self, which: str) -> FloatArray:
        if not self.sources:
            return np.zeros((self.years, 0))
        return np.array([getattr(s, which) for s in self.sources], dtype=float).T.copy()

    @property
    def supplied(self) -> FloatArray:
        """Money made available each year, (years x sources)."""
        return self._accounts("supplied")

    @property
    def demanded(self) -> FloatArray:
        """Money asked for each year, (years x sources)."""
        return self._accounts("demanded")

    @property
    def committed(self) -> FloatArray:
        """Money committed each year, (years x sources)."""
        return self._accounts("committed")


class Financing(MoneyDesk):
    """The scenario's funding sources, their debt ceilings and the guarantee pool, as one
    lever: a policy that changes anything under ``financing`` takes effect here."""

    def __init__(
        self, env: simpy.Environment, cfg: ScenarioConfig, years: int, first_year: int, track_debt: bool
    ) -> None:
        self.financing = cfg.financing
        # whether a claim's owner may use the guarantee pool (the rules in force decide)
        self.pool_eligible: Callable[[Any], bool] = lambda owner: False
        super().__init__(
            env,
            list(cfg.financing.constrained),
            source_terms(cfg),
            years,
            first_year,
            cfg.financing.priority == "key_first",
            guarantee_pool(cfg),
            track_debt=track_debt,
        )
        self.max_wait = _years(cfg.financing.max_wait)

    def take_effect(self, at: float, cfg: ScenarioConfig) -> None:
        """A policy: new priority, supplies, ceilings, pool or ``max_wait``, from now on,
        for the claims already waiting too."""
        if cfg.financing == self.financing:
            return
        self.financing = cfg.financing
        self.key_first = cfg.financing.priority == "key_first"
        self.reconsider(self.pool_eligible, _years(cfg.financing.max_wait))
        self.change_terms(source_terms(cfg), guarantee_pool(cfg))

    def outputs(self, col: dict[str, FloatArray], warmup_years: int, horizon: int) -> dict[str, FloatArray]:
        """Per source and reported year: supply, demand and money committed; and the gap."""
        k0 = warmup_years
        supplied, demanded, committed = self.supplied[k0:], self.demanded[k0:], self.committed[k0:]
        out: dict[str, FloatArray] = {}
        for j, name in enumerate(self.names):
            out[cols.FINANCING_SUPPLY.of(source=name)] = supplied[:, j].copy()
            out[cols.FINANCING_DEMAND.of(source=name)] = demanded[:, j].copy()
            out[cols.FINANCING_COMMITTED.of(source=name)] = committed[:, j].copy()
            bound, waiting = self.meter.years_of(j)
            out[cols.BINDING_SOURCE.of(source=name)] = bound[k0:]
            out[cols.WAITING_SOURCE.of(source=name)] = waiting[k0:]
        out[cols.FINANCING_GAP.name] = demanded.sum(axis=1) - supplied.sum(axis=1)
        return out


def _years(months: float | None) -> float | None:
    return None if months is None else months / 12


def _land_terms(cfg: ScenarioConfig) -> list[SourceTerms]:
    budget = cfg.resources.land_budget
    return [SourceTerms(math.inf if budget is None else budget)]


class LandBudget(MoneyDesk):
    """The yearly land-compensation budget (``resources.land_budget``): projects pay their
    land cost from it before land acquisition starts."""

    def __init__(self, env: simpy.Environment, cfg: ScenarioConfig, years: int, first_year: int) -> None:
        self.budget = cfg.resources.land_budget
        super().__init__(env, ["land"], _land_terms(cfg), years, first_year)

    def take_effect(self, at: float, cfg: ScenarioConfig) -> None:
        """A policy: a new yearly budget, pro rata for the rest of the year."""
        if cfg.resources.land_budget == self.budget:
            return
        self.budget = cfg.resources.land_budget
        self.change_terms(_land_terms(cfg), GuaranteePool())

    def outputs(self, col: dict[str, FloatArray], warmup_years: int, horizon: int) -> dict[str, FloatArray]:
        """Per reported year: the budget made available and the land money asked."""
        k0 = warmup_years
        bound, waiting = self.meter.years_of(0)
        return {
            cols.LAND_BUDGET_SUPPLY.name: self.supplied[k0:, 0].copy(),
            cols.LAND_BUDGET_DEMAND.name: self.demanded[k0:, 0].copy(),
            cols.BINDING_LAND_BUDGET.name: bound[k0:],
            cols.WAITING_LAND_BUDGET.name: waiting[k0:],
        }
