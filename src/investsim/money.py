"""Money with a yearly supply: funding sources and the land-compensation budget.

A :class:`MoneyDesk` holds one or more sources, each with a yearly supply refilled on
1 January (unused supply does not carry over), an optional debt ceiling on the
outstanding commitments (repaid linearly over ``repayment_years``) and, for the source
named ``bank``, an optional guarantee pool that adds money for eligible sectors only.

Projects ask for an amount from each source (a *claim*). Each source serves its own
queue in order — first come, first served, or key projects first — and commits a share
as soon as it can; the claim is met when every share is committed. A share larger than
a source's whole supply of the year (or its debt ceiling) can't be met that year and
does not hold up the queue behind it. A claim withdrawn (the project gave up waiting, or
dropped out as its financing closed) gives its committed money back to the source.

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
    """A project's request for money, one amount per source."""

    __slots__ = ("event", "key", "live", "missing", "needs", "owner", "pool_ok", "seq", "taken")

    def __init__(self, owner: Any, needs: list[float], key: bool, pool_ok: bool) -> None:
        self.owner = owner
        self.needs = needs
        self.key = key
        self.pool_ok = pool_ok
        # per source: (regular money, pool money, index in the debt ledger or -1)
        self.taken: list[tuple[float, float, int] | None] = [None] * len(needs)
        self.missing = sum(1 for n in needs if n > 0)
        self.event: simpy.Event | None = None
        self.live = True
        self.seq = 0


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
        self.queues: list[list[tuple[int, int, Claim]]] = [[] for _ in range(nsrc)]
        self.parked: list[list[tuple[int, int, Claim]]] = [[] for _ in range(nsrc)]
        self.seq = 0
        # debt ledger per source: commitment times and amounts (amount 0 once returned)
        self.debt_t: list[list[float]] = [[] for _ in range(nsrc)]
        self.debt_x: list[list[float]] = [[] for _ in range(nsrc)]
        self.wake_at = [math.inf] * nsrc
        # yearly accounts: supply made available, demand asked, money committed
        self.supplied = np.zeros((years, nsrc))
        self.demanded = np.zeros((years, nsrc))
        self.committed = np.zeros((years, nsrc))
        self.supplied[0] = [x + (pool if j == pool_source else 0.0) for j, x in enumerate(self.full)]
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
                self.supplied[k, j] = self.full[j] + (self.pool_full if j == self.pool_source else 0.0)
                self.queues[j].extend(self.parked[j])
                self.queues[j].sort(key=_order)
                self.parked[j] = []
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
            self.full[j] = new_full
            if not (math.isinf(new_full) or math.isinf(old_full)):
                self.supplied[self.year, j] += (new_full - old_full) * left
        if pool_source != self.pool_source and self.pool_source >= 0:
            self.pool_remaining = 0.0
        self.pool_remaining = max(0.0, self.pool_remaining + (pool - self.pool_full) * left)
        if pool_source >= 0:
            self.supplied[self.year, pool_source] += (pool - self.pool_full) * left
        self.pool_full = pool
        self.pool_source = pool_source
        self.serve_all()

    # -- claims -------------------------------------------------------------------------
    def request(
        self, owner: Any, needs: list[float], key: bool = False, pool_ok: bool = False
    ) -> Claim | bool:
        """Ask for ``needs`` (one amount per source).

        Returns True when every share is committed at once, False when the project drops
        out at once, else the :class:`Claim`, whose ``event`` fires with True (met) or
        False (dropped out as it was met).
        """
        nsrc = len(needs)
        year = min(self.year, self.years - 1)
        for j in range(nsrc):
            self.demanded[year, j] += needs[j]
        remaining = self.remaining
        if all(
            needs[j] <= 0
            or (not self.queues[j] and needs[j] <= remaining[j] * (1 + _EPS) and self._room(j) >= needs[j])
            for j in range(nsrc)
        ):
            # nobody waits ahead and there is money for every share: the common case
            if self.drops_out(owner):
                return False
            claim = Claim(owner, needs, key, pool_ok)
            for j in range(nsrc):
                if needs[j] > 0:
                    self._take(claim, j, needs[j], 0.0)
            return True
        claim = Claim(owner, needs, key, pool_ok)
        claim.event = self.env.event()
        self.seq += 1
        claim.seq = self.seq
        entry = (0 if (self.key_first and key) else 1, self.seq, claim)
        for j in range(nsrc):
            if needs[j] > 0:
                insort(self.queues[j], entry, key=_order)
        for j in range(nsrc):
            if needs[j] > 0:
                self._serve(j)
        return claim

    def withdraw(self, claim: Claim) -> None:
        """The project gave up waiting: drop the claim and give back what it had."""
        claim.live = False
        self._give_back(claim)

    def _give_back(self, claim: Claim, serving: int = -1) -> None:
        """Return the claim's money; serve the queues it was in (but ``serving``, whose
        loop is running and starts over itself)."""
        year = min(self.year, self.years - 1)
        for j, taken in enumerate(claim.taken):
            if taken is None:
                continue
            regular, pooled, debt = taken
            self.remaining[j] += regular
            if pooled:
                self.pool_remaining += pooled
            if debt >= 0:
                self.debt_x[j][debt] = 0.0
            self.committed[year, j] -= regular + pooled
            claim.taken[j] = None
        for j, need in enumerate(claim.needs):
            if need > 0 and j != serving:
                self._serve(j)

    def _take(self, claim: Claim, j: int, regular: float, pooled: float) -> None:
        self.remaining[j] -= regular
        self.pool_remaining -= pooled
        debt = -1
        if self.terms[j].debt_ceiling is not None and regular > 0:
            self.debt_t[j].append(self.env.now)
            self.debt_x[j].append(regular)
            debt = len(self.debt_x[j]) - 1
        claim.taken[j] = (regular, pooled, debt)
        self.committed[min(self.year, self.years - 1), j] += regular + pooled
        if self.remaining[j] < -1e-9 or self.pool_remaining < -1e-9:
            raise ModelCheckError(f"funding source {self.names[j]!r} went negative")

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
        return ceiling - self._outstanding(j, self.env.now)

    def _wake_when_room(self, j: int, need: float) -> None:
        """Serve source j again when repayments have freed ``need`` under its ceiling."""
        terms = self.terms[j]
        if terms.repayment_years is None or terms.debt_ceiling is None:
            return  # nothing is ever repaid: the room never grows
        target = terms.debt_ceiling - need
        lo, hi = self.env.now, self.env.now + terms.repayment_years
        for _ in range(60):
            mid = (lo + hi) / 2
            if self._outstanding(j, mid) <= target:
                hi = mid
            else:
                lo = mid
        if hi < self.wake_at[j]:
            self.wake_at[j] = hi
            self.env.process(self._wake(j, hi))

    def _wake(self, j: int, at: float) -> Generator[simpy.Event, Any, None]:
        yield self.env.timeout(at - self.env.now)
        if self.wake_at[j] == at:
            self.wake_at[j] = math.inf
        self._serve(j)

    # -- serving ------------------------------------------------------------------------
    def serve_all(self) -> None:
        """Serve every source's queue."""
        for j in range(len(self.names)):
            self._serve(j)

    def _serve(self, j: int) -> None:
        queue = self.queues[j]
        pool_here = j == self.pool_source and self.pool_full > 0
        ceiling = self.terms[j].debt_ceiling
        blocked = False  # the regular money is held for a claim ahead that can't be met yet
        i = 0
        while i < len(queue):
            claim = queue[i][2]
            if not claim.live:
                del queue[i]
                continue
            need = claim.needs[j]
            pool = self.pool_remaining if (pool_here and claim.pool_ok) else 0.0
            pool_full = self.pool_full if (pool_here and claim.pool_ok) else 0.0
            if need > (self.full[j] + pool_full) * (1 + _EPS) or (
                ceiling is not None and need > ceiling + pool_full
            ):
                self.parked[j].append(queue.pop(i))  # can't be met this year
                continue
            room = self._room(j) if ceiling is not None else math.inf
            regular = 0.0 if blocked else max(0.0, min(self.remaining[j], room))
            if need <= (regular + pool) * (1 + _EPS):
                from_regular = min(need, regular)
                queue.pop(i)
                self._take(claim, j, from_regular, need - from_regular)
                claim.missing -= 1
                if claim.missing == 0 and not self._met(claim, j):
                    # it dropped out and gave its money back: start the queue over
                    blocked = False
                    i = 0
                continue
            if not blocked:
                blocked = True
                if ceiling is not None and room < need <= self.remaining[j] + pool:
                    self._wake_when_room(j, need - pool)
            if not pool_here:
                break
            i += 1

    def _met(self, claim: Claim, serving: int) -> bool:
        """Every share is committed: the project closes its financing (True) or drops out
        and gives the money back (False)."""
        claim.live = False
        assert claim.event is not None
        if self.drops_out(claim.owner):
            claim.event.succeed(False)
            self._give_back(claim, serving)
            return False
        claim.event.succeed(True)
        return True


def _order(entry: tuple[int, int, Claim]) -> tuple[int, int]:
    return entry[0], entry[1]
