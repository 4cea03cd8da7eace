"""When new projects arrive: a Poisson process whose rate is piecewise constant."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def delay_to(now: float, t: float) -> float:
    """The delay that SimPy adds to ``now`` to give exactly ``t`` (``t - now`` may be
    rounded, and ``now + (t - now)`` then miss ``t`` by a unit in the last place)."""
    d = t - now
    while now + d < t:
        d = math.nextafter(d, math.inf)
    while now + d > t:
        d = math.nextafter(d, -math.inf)
    return d


def arrival_times(
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
