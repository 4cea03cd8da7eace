"""How binding a resource is, year by year: the time it held projects up, and how many.

A resource *binds* while at least one project waits for it that it cannot serve now (the
definitions per resource are in docs/model.md, "The bottleneck map"). What a lever
tracks is the number of projects waiting for it, a step function of time; binding is
that number being above zero. Both are integrated exactly over each calendar year.

A lever notes each change of the number waiting (when, which resource, by how much) as
it happens, which costs one list append on the model's busiest paths, and the yearly
integrals are computed once, after the run: a change by ``d`` at time ``t`` of year
``k`` (``k <= t < k + 1``) adds ``d`` to the year's net change and ``d * (k + 1 - t)``
to its weighted change; the integral over year ``k`` is the number waiting on
1 January of year ``k`` (the net changes of the years before, summed) plus the weighted
changes of year ``k``. The same holds for the indicator "binding" (the number above
zero), whose changes are read from the running count.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


class WaitMeter:
    """The number of projects waiting for each of ``n`` resources, with every change
    noted, integrated over each of ``years`` simulation years on request."""

    __slots__ = ("changes", "table", "waiting", "years")

    def __init__(self, n: int, years: int) -> None:
        self.years = years
        self.waiting = [0] * n  # the number waiting now, per resource
        # time, resource, change of the number waiting, ... flat, in the order they
        # happened; the busiest callers extend it themselves, keeping ``waiting`` in step
        self.changes: list[float] = []
        self.table: FloatArray | None = None  # the changes as rows, once the run is over

    def set(self, k: int, waiting: int, now: float) -> None:
        """From ``now`` on, ``waiting`` projects wait for resource ``k``."""
        old = self.waiting[k]
        if waiting != old:
            self.waiting[k] = waiting
            self.changes += (now, k, waiting - old)

    def years_of(self, k: int) -> tuple[FloatArray, FloatArray]:
        """Per simulation year, for resource ``k``: the time it bound (a share of the year)
        and the time-average number of projects waiting for it."""
        if self.table is None or len(self.table) * 3 != len(self.changes):
            self.table = np.array(self.changes, dtype=float).reshape(-1, 3)
        mine = self.table[self.table[:, 1] == k]
        t, d = mine[:, 0], mine[:, 2]
        count = np.cumsum(d)
        bound = (count > 0).astype(float)
        return (
            _integral(t, np.diff(bound, prepend=0.0), self.years, top=1.0),
            _integral(t, d, self.years),
        )


def _integral(t: FloatArray, d: FloatArray, years: int, top: float = np.inf) -> FloatArray:
    """Per year, the integral of a step function that starts at 0 and changes by ``d[i]``
    at ``t[i]``."""
    year = np.floor(t).astype(np.int64)
    keep = (year >= 0) & (year < years)  # a change at the horizon ends nothing in the run
    year, t, d = year[keep], t[keep], d[keep]
    net = np.bincount(year, weights=d, minlength=years)
    weighted = np.bincount(year, weights=d * (year + 1 - t), minlength=years)
    at_start = np.concatenate([[0.0], np.cumsum(net)[:-1]])
    # rounding of the weights must not show as a share of -1e-17 or of 1 + 1e-16
    return np.clip(at_start + weighted, 0.0, top)


def when_both(
    first: tuple[FloatArray, FloatArray],
    second: tuple[FloatArray, FloatArray],
    level: tuple[FloatArray, FloatArray],
) -> tuple[FloatArray, FloatArray]:
    """The intervals during which the intervals ``first`` (starts, ends) cover at least as
    many moments as ``level`` says and ``second`` covers at least one: that is, during
    which at least ``level`` of the first kind and at least one of the second overlap.

    ``level`` is (times, values): a step function taking ``values[i]`` from ``times[i]``
    on (0 before). Returns (starts, ends) of the intervals where the condition holds.
    """
    (s1, e1), (s2, e2), (lt, lv) = first, second, level
    times = np.concatenate([s1, e1, s2, e2, lt])
    n1, n2 = len(s1), len(s2)
    d1 = np.concatenate([np.ones(n1), -np.ones(n1), np.zeros(2 * n2 + len(lt))])
    d2 = np.concatenate([np.zeros(2 * n1), np.ones(n2), -np.ones(n2), np.zeros(len(lt))])
    dl = np.concatenate([np.zeros(2 * (n1 + n2)), np.diff(lv, prepend=0.0)])
    order = np.argsort(times, kind="stable")
    t = times[order]
    c1, c2, cl = np.cumsum(d1[order]), np.cumsum(d2[order]), np.cumsum(dl[order])
    # the levels after the i-th change hold on [t[i], t[i+1]): changes at one instant
    # make intervals of zero length, whatever their order
    holds = ((c1 >= cl) & (c2 > 0))[:-1]
    return t[:-1][holds], t[1:][holds]
