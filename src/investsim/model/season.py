"""The construction season: working time, and the "三早" winter campaign's faster time.

With a season from ``a`` to ``b`` (years since 1 January: ``{opens: 04-01, closes: 10-31}``
is a = 3/12, b = 10/12), construction works only inside ``[k + a, k + b)`` of every year k,
and construction durations are *working* time. The working time from an origin on a
1 January to time t is

    W(t) = floor(t) * w + clip(t - floor(t) - a, 0, w),     w = b - a,

which is exact for any origin on a 1 January (simulation time starts on one, and results
time too): the two frames differ by a whole number of years. W is piecewise linear, so
a project's spending, ``C * F(u0 + (W(t) - W(s)) / D)``, stays an exact function of
calendar time and every yearly and monthly integral stays exact. For a season of the
whole year (a = 0, w = 1) W(t) = t to the last bit (``floor(t) + (t - floor(t))`` is t),
so results equal those without a season.

The winter campaign speeds listed projects' approval and land work while the season is
closed: work done per unit of time is 1 in the season and ``1 / effect`` outside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from investsim.scenario.config import ScenarioConfig

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Season:
    """One sector's construction season: open in ``[k + opens, k + closes)`` of every year k
    (years since a 1 January)."""

    opens: float
    closes: float

    @property
    def length(self) -> float:
        """Working time in a year (years)."""
        return self.closes - self.opens

    def is_open(self, t: float) -> bool:
        """Whether construction works at ``t``."""
        f = t - math.floor(t)
        return self.opens <= f < self.closes

    def next_open(self, t: float) -> float:
        """``t`` if the season is open then, else when it next opens."""
        k = math.floor(t)
        f = t - k
        if f < self.opens:
            return k + self.opens
        if f < self.closes:
            return t
        return k + 1 + self.opens

    def working(self, t: float) -> float:
        """Working time from the origin's 1 January to ``t`` (W above)."""
        k = math.floor(t)
        return k * self.length + min(max(t - k - self.opens, 0.0), self.length)

    def finish(self, start: float, work: float) -> float:
        """When ``work`` (> 0) years of working time begun at ``start`` are done: the first
        instant at which W reaches W(start) + work (a job ending with a season ends on
        its closing day, not at the next opening)."""
        w = self.length
        target = self.working(start) + work
        k = math.ceil(target / w) - 1
        # the last season is year k's: the remaining work falls in (0, w] of it
        return max(start, k + self.opens + (target - k * w))

    def campaign_finish(self, start: float, work: float, effect: float) -> float:
        """When ``work`` years of approval or land work begun at ``start`` are done, with
        work while the season is closed going ``1 / effect`` times as fast."""
        if work <= 0:
            return start
        rate = 1.0 / effect
        w = self.length
        per_year = w + rate * (1.0 - w)

        def done_by(t: float) -> float:
            # work done from the origin to t: all of it in the season, rate times it outside
            inside = self.working(t)
            return inside + rate * (t - inside)

        target = done_by(start) + work
        k = math.floor(target / per_year)
        left = target - k * per_year
        # year k: closed [0, a) at rate, open [a, b) at 1, closed [b, 1) at rate
        first = rate * self.opens
        if left <= first:
            t = k + left / rate
        elif left <= first + w:
            t = k + self.opens + (left - first)
        else:
            t = k + self.closes + (left - first - w) / rate
        return max(start, t)


def sector_seasons(config: ScenarioConfig) -> list[Season | None]:
    """Each sector's season, in the scenario's sector order (None: it builds all year)."""
    season = config.construction_season
    out: list[Season | None] = []
    for name in config.sectors:
        own = season.of(name) if season is not None else None
        out.append(None if own is None else Season(own.start, own.end))
    return out


@dataclass(frozen=True)
class SeasonArrays:
    """Seasons of many projects at once: ``opens`` and ``length`` per project (a project
    building all year has 0 and 1, for which W(t) is t exactly)."""

    opens: FloatArray
    length: FloatArray

    def take(self, idx: NDArray[np.int64]) -> SeasonArrays:
        """The seasons of the projects ``idx``."""
        return SeasonArrays(self.opens[idx], self.length[idx])

    def working(self, t: FloatArray) -> FloatArray:
        """W(t) elementwise (``t`` broadcast against the projects)."""
        k = np.floor(t)
        return k * self.length + np.clip(t - k - self.opens, 0.0, self.length)

    def finish(self, start: FloatArray, work: FloatArray) -> FloatArray:
        """Vectorised :meth:`Season.finish` (``start`` itself where ``work`` is 0)."""
        target = self.working(start) + work
        k = np.ceil(target / self.length) - 1
        return np.where(work > 0, np.maximum(start, k + self.opens + (target - k * self.length)), start)


def project_seasons(seasons: list[Season | None], sector: NDArray[np.int64]) -> SeasonArrays | None:
    """The season arrays of projects of ``sector`` (None when no sector has a season)."""
    if all(s is None for s in seasons):
        return None
    opens = np.array([0.0 if s is None else s.opens for s in seasons])
    length = np.array([1.0 if s is None else s.length for s in seasons])
    return SeasonArrays(opens[sector], length[sector])
