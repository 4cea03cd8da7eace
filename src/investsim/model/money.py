"""Money with a yearly supply: funding sources and the land-compensation budget.

A :class:`MoneyDesk` holds one or more sources, each with a yearly supply refilled on
1 January (unused supply does not carry over), an optional debt ceiling on the
outstanding commitments (repaid linearly over ``repayment_years``) and, for the source
named ``bank``, an optional guarantee pool that adds money for eligible sectors only.

Projects ask for an amount from each source (a *claim*), and a claim is met when every
share can be committed at once: no money is tied up by a project still waiting for
another source. Waiting claims are served in order — first come, first served, or key
projects first — whenever money appears (the yearly refill, a policy, repayments under
a debt ceiling). A claim that can't be met does not hold up smaller ones behind it
(first fit), so no money that someone could use is left idle; and since money within a
year only runs down, a newcomer never takes money that an earlier claim could have used.

A change of supply by a timed policy takes effect at once, pro rata for the rest of the
year: the money still available this year changes by (new - old) x (share of the year
left); later years use the new supply.
"""

from __future__ import annotations

import math
from bisect import insort
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy
from numpy.typing import NDArray

from investsim.errors import ModelCheckError

_EPS = 1e-12


@dataclass(frozen=True)
class SourceTerms:
    """What a source offers: supply a year, its growth, and an optional debt ceiling."""

    supply: float
    growth: float = 0.0
    debt_ceiling: float | None = None
    repayment_years: float | None = None


class Claim:
    """A project's request for money, one amount per source.

    ``then(owner, ok)`` is called when a waiting claim is met (ok) or its project drops
    out as it is met (not ok).
    """

    __slots__ = ("key", "live", "needs", "owner", "pool_ok", "then")

    def __init__(
        self, owner: Any, needs: list[float], key: bool, pool_ok: bool, then: Callable[[Any, bool], None]
    ) -> None:
        self.owner = owner
        self.needs = needs
        self.key = key
        self.pool_ok = pool_ok
        self.then = then
        self.live = True


def _has_ceiling(terms: list[SourceTerms]) -> bool:
    return any(t.debt_ceiling is not None for t in terms)


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
        pool: float = 0.0,
        pool_source: int = -1,
        track_debt: bool = False,
    ) -> None:
        self.env = env
        self.names = names
        self.terms = list(terms)
        self.first_year = first_year  # calendar year index of simulation year 0
        self.years = years
        self.key_first = key_first
        self.year = 0
        nsrc = len(names)
        self.full = [self._supply(j, 0) for j in range(nsrc)]
        self.remaining = list(self.full)
        self.pool_source = pool_source
        self.pool_full = pool
        self.pool_remaining = pool
        self.queue: list[tuple[int, int, Claim]] = []
        self.seq = 0
        # every commitment, so that a debt ceiling (even one a policy sets later) can count
        # them; without a ceiling now or to come (track_debt False) they are not needed
        self.track_debt = track_debt or _has_ceiling(terms)
        self.debt_t: list[list[float]] = [[] for _ in range(nsrc)]
        self.debt_x: list[list[float]] = [[] for _ in range(nsrc)]
        self.wake_at = [math.inf] * nsrc
        self.room_cache: list[tuple[tuple[float, int, float, float | None], float] | None] = [None] * nsrc
        # no source has a debt ceiling: the common case, checked fast
        self.ceilings = _has_ceiling(self.terms)
        # yearly accounts, (years x sources): supply made available, demand asked, money
        # committed (lists, as they are updated one number at a time)
        self._supplied = [[0.0] * nsrc for _ in range(years)]
        self._demanded = [[0.0] * nsrc for _ in range(years)]
        self._committed = [[0.0] * nsrc for _ in range(years)]
        self._supplied[0] = [x + (pool if j == pool_source else 0.0) for j, x in enumerate(self.full)]
        # decides, when a claim is met, whether its project drops out instead
        self.drops_out: Callable[[Any], bool] = lambda owner: False
        env.process(self._refill())

    # -- supply -------------------------------------------------------------------------
    def _supply(self, j: int, year: int) -> float:
        t = self.terms[j]
        if math.isinf(t.supply):
            return math.inf
        return t.supply * (1 + t.growth) ** (year + self.first_year)

    def _refill(self) -> Generator[simpy.Event, Any, None]:
        for k in range(1, self.years):
            yield self.env.timeout(k - self.env.now)
            self.year = k
            self.full = [self._supply(j, k) for j in range(len(self.names))]
            self.remaining = list(self.full)
            self.pool_remaining = self.pool_full
            for j in range(len(self.names)):
                self._supplied[k][j] = self.full[j] + (self.pool_full if j == self.pool_source else 0.0)
            self.serve_all()

    def change_terms(self, terms: list[SourceTerms], pool: float, pool_source: int) -> None:
        """A policy changed the sources: new supplies count pro rata for the rest of the year."""
        left = max(0.0, self.year + 1 - self.env.now)
        for j, new in enumerate(terms):
            self.terms[j] = new
            old_full, new_full = self.full[j], self._supply(j, self.year)
            if math.isinf(new_full):
                self.remaining[j] = math.inf
            elif math.isinf(old_full):
                self.remaining[j] = new_full * left
            else:
                self.remaining[j] = max(0.0, self.remaining[j] + (new_full - old_full) * left)
                self._supplied[self.year][j] += (new_full - old_full) * left
            self.full[j] = new_full
        self.ceilings = _has_ceiling(self.terms)
        if self.ceilings and not self.track_debt:
            raise ModelCheckError("a debt ceiling was set on a desk that does not track commitments")
        if pool_source != self.pool_source:
            self.pool_remaining = 0.0
            self.pool_full = 0.0
        self.pool_remaining = max(0.0, self.pool_remaining + (pool - self.pool_full) * left)
        if pool_source >= 0:
            self._supplied[self.year][pool_source] += (pool - self.pool_full) * left
        self.pool_full = pool
        self.pool_source = pool_source
        self.serve_all()

    # -- claims -------------------------------------------------------------------------
    def request(
        self,
        owner: Any,
        needs: list[float],
        key: bool = False,
        pool_ok: bool = False,
        *,
        then: Callable[[Any, bool], None],
    ) -> Claim | bool:
        """Ask for ``needs`` (one amount per source).

        Returns True when the claim is met at once, False when the project drops out at
        once, else the waiting :class:`Claim`; when it is met later, ``then(owner, ok)``
        is called with True (met) or False (dropped out as it was met).
        """
        demanded = self._demanded[self.year]
        for j, need in enumerate(needs):
            demanded[j] += need
        if self._fits(needs, pool_ok):
            return self._meet(owner, needs)
        claim = Claim(owner, needs, key, pool_ok, then)
        self.seq += 1
        # (priority, arrival number) is unique: the claim itself is never compared
        insort(self.queue, (0 if (self.key_first and key) else 1, self.seq, claim))
        if self.ceilings:
            self._wake_for(claim)
        return claim

    def withdraw(self, claim: Claim) -> None:
        """The project gave up waiting: drop its claim (it holds no money)."""
        claim.live = False

    def _fits(self, needs: list[float], pool_ok: bool) -> bool:
        remaining = self.remaining
        for j, need in enumerate(needs):
            if need > 0:
                money = remaining[j]
                if self.ceilings:
                    money = min(money, self._room(j))
                if j == self.pool_source and pool_ok:
                    money += self.pool_remaining
                if need > money * (1 + _EPS):
                    return False
        return True

    def _meet(self, owner: Any, needs: list[float]) -> bool:
        """Commit every share of ``needs`` (True), or drop the owner out with nothing
        taken (False)."""
        if self.drops_out(owner):
            return False
        committed = self._committed[self.year]
        remaining = self.remaining
        for j, need in enumerate(needs):
            if need <= 0:
                continue
            money = remaining[j]
            if self.ceilings:
                money = min(money, self._room(j))
            if need <= money:
                regular = need
            else:  # the rest from the guarantee pool (_fits allows a rounding error more)
                regular = money if money > 0 else 0.0
                self.pool_remaining -= need - regular
                if self.pool_remaining < -1e-9:
                    raise ModelCheckError(f"the guarantee pool went negative paying {self.names[j]!r}")
            remaining[j] -= regular
            if self.track_debt and regular > 0:
                self.debt_t[j].append(self.env.now)
                self.debt_x[j].append(regular)
            committed[j] += need
            if remaining[j] < -1e-9:
                raise ModelCheckError(f"funding source {self.names[j]!r} went negative")
        return True

    # -- debt ceiling -------------------------------------------------------------------
    def _outstanding(self, j: int, at: float) -> float:
        if not self.debt_x[j]:
            return 0.0
        x = np.asarray(self.debt_x[j])
        years = self.terms[j].repayment_years
        if years is None:
            return float(x.sum())
        t = np.asarray(self.debt_t[j])
        return float((x * np.clip(1 - (at - t) / years, 0.0, 1.0)).sum())

    def _room(self, j: int) -> float:
        ceiling = self.terms[j].debt_ceiling
        if ceiling is None:
            return math.inf
        # the outstanding amount changes only with time and new commitments: cache it
        key = (self.env.now, len(self.debt_x[j]), ceiling, self.terms[j].repayment_years)
        cached = self.room_cache[j]
        if cached is not None and cached[0] == key:
            return cached[1]
        # a hair of tolerance: repayments computed in floating point must not leave a
        # project one rounding error short of the room it is waiting for
        room = ceiling * (1 + 1e-9) - self._outstanding(j, self.env.now)
        self.room_cache[j] = (key, room)
        return room

    def _blocked_by_ceiling(self, claim: Claim) -> list[tuple[int, float]]:
        """(source, room needed) for each share that only a debt ceiling stops now."""
        out = []
        for j, need in enumerate(claim.needs):
            if need <= 0 or self.terms[j].debt_ceiling is None:
                continue
            pool = self.pool_remaining if (j == self.pool_source and claim.pool_ok) else 0.0
            if self._room(j) + pool < need <= self.remaining[j] + pool:
                out.append((j, need - pool))
        return out

    def _wake_for(self, claim: Claim) -> None:
        """If a debt ceiling (not the supply) stops ``claim``, serve again when repayments
        make room for it."""
        for j, need in self._blocked_by_ceiling(claim):
            self._wake_when_room(j, need)

    def _wake_when_room(self, j: int, need: float) -> None:
        terms = self.terms[j]
        if terms.repayment_years is None or terms.debt_ceiling is None:
            return  # nothing is ever repaid: the room never grows
        at = self._time_outstanding_falls_to(j, terms.debt_ceiling - need, terms.repayment_years)
        at = max(at, self.env.now + 1e-9)  # never wake at the same moment again
        if at < self.wake_at[j]:
            self.wake_at[j] = at
            self.env.process(self._wake(j, at))

    def _time_outstanding_falls_to(self, j: int, target: float, years: float) -> float:
        """The first time from now on when source j's outstanding commitments are <= target.

        Each commitment x made at t0 is outstanding x (1 - (t - t0) / years) until it is
        repaid at t0 + years, so the total is piecewise linear between repayment dates.
        """
        now = self.env.now
        x = np.asarray(self.debt_x[j])
        ends = np.asarray(self.debt_t[j]) + years
        live = (ends > now) & (x > 0)
        x, ends = x[live], ends[live]
        if target < 0:
            return math.inf
        if float((x * (ends - now)).sum()) / years <= target:
            return now
        order = np.argsort(ends)
        x, ends = x[order], ends[order]
        # on [ends[k-1], ends[k]) the commitments k.. are still outstanding:
        # O(t) = (sum x_i ends_i - t sum x_i) / years over i >= k
        sx = np.cumsum(x[::-1])[::-1]
        sxe = np.cumsum((x * ends)[::-1])[::-1]
        at_ends = np.append((sxe[1:] - ends[:-1] * sx[1:]) / years, 0.0)  # O at each repayment date
        k = int(np.argmax(at_ends <= target))  # the first repayment date by which O <= target
        t = (sxe[k] - target * years) / sx[k]  # solve O(t) = target on the segment ending there
        return float(min(max(t, now), ends[k]))

    def _wake(self, j: int, at: float) -> Generator[simpy.Event, Any, None]:
        yield self.env.timeout(at - self.env.now)
        if self.wake_at[j] == at:
            self.wake_at[j] = math.inf
        self.serve_all()

    # -- serving ------------------------------------------------------------------------
    def serve_all(self) -> None:
        """Meet every waiting claim that can be met now, in order."""
        keep = []
        smallest: dict[int, float] = {}  # per source, the least room a waiting claim needs
        for entry in self.queue:
            claim = entry[2]
            if not claim.live:
                continue
            if self._fits(claim.needs, claim.pool_ok):
                claim.live = False
                # the project goes on at once (it never asks this desk again at this moment)
                claim.then(claim.owner, self._meet(claim.owner, claim.needs))
            else:
                keep.append(entry)
                if self.ceilings:
                    for j, need in self._blocked_by_ceiling(claim):
                        smallest[j] = min(need, smallest.get(j, math.inf))
        self.queue = keep
        for j, need in smallest.items():
            self._wake_when_room(j, need)

    # -- accounts -----------------------------------------------------------------------
    @property
    def supplied(self) -> NDArray[np.float64]:
        """Money made available each year, (years x sources)."""
        return np.array(self._supplied, dtype=float)

    @property
    def demanded(self) -> NDArray[np.float64]:
        """Money asked for each year, (years x sources)."""
        return np.array(self._demanded, dtype=float)

    @property
    def committed(self) -> NDArray[np.float64]:
        """Money committed each year, (years x sources)."""
        return np.array(self._committed, dtype=float)
