"""What a money desk is made of: funding sources, their debt ledgers, the guarantee pool.

Each object owns its state and its yearly accounts; :class:`~investsim.model.money.MoneyDesk`
decides which claims they meet. A source's supply is refilled on 1 January (unused
supply does not carry over) and grows by ``growth`` a year. A change of supply by a timed
policy takes effect at once, pro rata for the rest of the year: the money still
available this year changes by (new - old) x (share of the year left).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from investsim.errors import ModelCheckError


@dataclass(frozen=True)
class SourceTerms:
    """What a source offers: supply a year, its growth, and an optional debt ceiling."""

    supply: float
    growth: float = 0.0
    debt_ceiling: float | None = None
    repayment_years: float | None = None


class DebtLedger:
    """Every commitment of one source, so that a debt ceiling on the outstanding amount
    (repaid linearly over ``repayment_years``) can be enforced, even one a policy sets later.
    The ceiling and repayment period are the source's terms in force, passed in."""

    __slots__ = ("amounts", "room_cache", "times", "wake_at")

    def __init__(self) -> None:
        self.times: list[float] = []
        self.amounts: list[float] = []
        self.wake_at = math.inf  # when the desk will next look again because of repayments
        self.room_cache: tuple[tuple[float, int, float, float | None], float] | None = None

    def record(self, at: float, amount: float) -> None:
        """A commitment of ``amount`` at time ``at``."""
        self.times.append(at)
        self.amounts.append(amount)

    def outstanding(self, at: float, years: float | None) -> float:
        """What is still owed at time ``at`` (``years``: the repayment period, None: never)."""
        if not self.amounts:
            return 0.0
        x = np.asarray(self.amounts)
        if years is None:
            return float(x.sum())
        t = np.asarray(self.times)
        return float((x * np.clip(1 - (at - t) / years, 0.0, 1.0)).sum())

    def room(self, now: float, terms: SourceTerms) -> float:
        """How much more may be committed now under ``terms``' ceiling (inf without one)."""
        ceiling = terms.debt_ceiling
        if ceiling is None:
            return math.inf
        # the outstanding amount changes only with time and new commitments: cache it
        key = (now, len(self.amounts), ceiling, terms.repayment_years)
        cached = self.room_cache
        if cached is not None and cached[0] == key:
            return cached[1]
        # a hair of tolerance: repayments computed in floating point must not leave a
        # project one rounding error short of the room it is waiting for
        room = ceiling * (1 + 1e-9) - self.outstanding(now, terms.repayment_years)
        self.room_cache = (key, room)
        return room

    def time_outstanding_falls_to(self, now: float, target: float, years: float) -> float:
        """The first time from ``now`` on when the outstanding amount is <= ``target``,
        commitments being repaid over ``years``.

        Each commitment x made at t0 is outstanding x (1 - (t - t0) / years) until it is
        repaid at t0 + years, so the total is piecewise linear between repayment dates.
        """
        x = np.asarray(self.amounts)
        ends = np.asarray(self.times) + years
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


class FundingSource:
    """One source of money: its terms, the money left this year, and its yearly accounts
    (supply made available, demand asked, money committed)."""

    __slots__ = (
        "committed",
        "demanded",
        "first_year",
        "full",
        "ledger",
        "name",
        "remaining",
        "supplied",
        "terms",
    )

    def __init__(self, name: str, terms: SourceTerms, years: int, first_year: int, track_debt: bool) -> None:
        self.name = name
        self.terms = terms
        self.first_year = first_year  # calendar year index of simulation year 0
        self.full = self.supply_in(0)
        self.remaining = self.full
        # every commitment when a debt ceiling is or will be set; otherwise none is kept
        self.ledger = DebtLedger() if track_debt else None
        self.supplied = [0.0] * years
        self.demanded = [0.0] * years
        self.committed = [0.0] * years

    @property
    def ceiling(self) -> float | None:
        """The debt ceiling in force (None: none)."""
        return self.terms.debt_ceiling

    def supply_in(self, year: int) -> float:
        """The yearly supply in simulation year ``year`` under the terms in force."""
        t = self.terms
        if math.isinf(t.supply):
            return math.inf
        return t.supply * (1 + t.growth) ** (year + self.first_year)

    def available(self, now: float) -> float:
        """Money that can be committed now: this year's rest, within the debt ceiling."""
        if self.terms.debt_ceiling is None:
            return self.remaining
        assert self.ledger is not None
        return min(self.remaining, self.ledger.room(now, self.terms))

    def room(self, now: float) -> float:
        """Room under the debt ceiling now (inf without one)."""
        return math.inf if self.ledger is None else self.ledger.room(now, self.terms)

    def refill(self, year: int) -> None:
        """1 January: this year's supply, unused money of last year lost."""
        self.full = self.supply_in(year)
        self.remaining = self.full

    def change(self, terms: SourceTerms, year: int, left: float) -> None:
        """New terms from a policy, with ``left`` (a share) of the year still to come."""
        self.terms = terms
        old_full, new_full = self.full, self.supply_in(year)
        if math.isinf(new_full):
            self.remaining = math.inf
        elif math.isinf(old_full):
            # unlimited until now: the year's supply is what the new limit makes available
            self.remaining = new_full * left
            self.supplied[year] = new_full * left
        else:
            self.remaining = max(0.0, self.remaining + (new_full - old_full) * left)
            self.supplied[year] += (new_full - old_full) * left
        self.full = new_full
        if terms.debt_ceiling is not None and self.ledger is None:
            raise ModelCheckError("a debt ceiling was set on a desk that does not track commitments")

    def check(self) -> None:
        """Self-check: the source never went below zero."""
        if self.remaining < -1e-9:
            raise ModelCheckError(f"funding source {self.name!r} ended the replication below zero")


class GuaranteePool:
    """Guarantee pool: capital x leverage of extra money a year from one source (``bank``),
    for eligible sectors only, used after that source's own supply."""

    __slots__ = ("full", "remaining", "sectors", "source")

    def __init__(self, money: float = 0.0, source: int = -1, sectors: frozenset[str] = frozenset()) -> None:
        self.full = money
        self.remaining = money
        self.source = source  # index of the source it adds to; -1: no pool
        self.sectors = sectors

    def refill(self) -> None:
        """1 January: a full pool again."""
        self.remaining = self.full

    def change(self, money: float, source: int, left: float) -> float:
        """New pool terms from a policy; returns the change of this year's supply."""
        if source != self.source:
            self.remaining = 0.0
            self.full = 0.0
        self.remaining = max(0.0, self.remaining + (money - self.full) * left)
        delta = (money - self.full) * left
        self.full = money
        self.source = source
        return delta

    def check(self) -> None:
        """Self-check: the pool never went below zero."""
        if self.remaining < -1e-9:
            raise ModelCheckError("the guarantee pool ended the replication below zero")
