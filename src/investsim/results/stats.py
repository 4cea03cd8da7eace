"""Intervals of means and of differences of means: the one place for interval arithmetic.

Every analysis that reports a mean over replications with its uncertainty (a forecast's
precision, the sweep's points, compare's differences, attribution's shares) asks this
module, so they all mean the same thing by "95 % interval".

The quantiles are scipy's: :func:`scipy.special.stdtrit` is the function behind
``scipy.stats.t.ppf`` and behind the intervals of ``scipy.stats.ttest_1samp`` and
``ttest_ind(equal_var=False)`` (whose Welch-Satterthwaite degrees of freedom are
computed here the same way). It is called directly because ``scipy.stats`` takes half a
second to import, which every command would pay at start-up; the tests check these
intervals against ``scipy.stats``. The arithmetic keeps the order the results were first
computed in (half width = t x s / sqrt(n)), so results files stay byte-identical.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

LEVEL = 0.95
"""The confidence level of every interval investsim reports."""

NAN = float("nan")


@dataclass(frozen=True)
class Interval:
    """A mean (or a difference of means) and its two-sided interval ``mean ± half``.

    ``n`` counts the observations used (pairs for a paired difference, both samples for
    Welch's); ``se`` is the standard error and ``dof`` the t distribution's degrees of
    freedom. With too few observations the undefined parts are NaN.
    """

    mean: float
    half: float
    se: float
    dof: float
    n: int

    @property
    def low(self) -> float:
        """The lower end, ``mean - half``."""
        return self.mean - self.half

    @property
    def high(self) -> float:
        """The upper end, ``mean + half``."""
        return self.mean + self.half


def t_quantile(dof: float, level: float = LEVEL) -> float:
    """The t quantile whose two-sided interval has confidence ``level`` (``dof`` > 0)."""
    return float(special.stdtrit(dof, 0.5 + level / 2))


def normal_quantile(level: float = LEVEL) -> float:
    """The standard normal quantile whose two-sided interval has confidence ``level``."""
    return float(special.ndtri(0.5 + level / 2))


def standard_error(values: NDArray[np.float64], axis: int = 0) -> NDArray[np.float64]:
    """The standard error of the mean along ``axis``: sample standard deviation / sqrt(n)."""
    return values.std(axis=axis, ddof=1) / math.sqrt(values.shape[axis])


def mean_interval(values: ArrayLike, level: float = LEVEL) -> Interval:
    """The mean of ``values`` (NaNs skipped) with its t interval (Student, n - 1 dof).

    The mean is NaN without values; the interval and standard error need two.
    """
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    n = len(v)
    mean = float(v.mean()) if n else NAN
    if n < 2:
        return Interval(mean, NAN, NAN, NAN, n)
    s = v.std(ddof=1)
    # t x s / sqrt(n) rather than t x se: the order these results were first computed in
    half = float(t_quantile(n - 1, level) * s / np.sqrt(n))
    return Interval(mean, half, float(s / np.sqrt(n)), float(n - 1), n)


def paired_difference(base: ArrayLike, other: ArrayLike, level: float = LEVEL) -> Interval:
    """The mean of ``other - base`` over the pairs where both are known, with its t
    interval: for runs that shared their random numbers (replication r of one against
    replication r of the other)."""
    b, o = np.asarray(base, dtype=float), np.asarray(other, dtype=float)
    ok = ~np.isnan(b) & ~np.isnan(o)
    return mean_interval(o[ok] - b[ok], level)


def welch_difference(base: ArrayLike, other: ArrayLike, level: float = LEVEL) -> Interval:
    """``mean(other) - mean(base)`` (NaNs skipped) with Welch's interval, for independent
    samples of possibly different sizes and variances; all NaN unless each sample has two
    values.

    Degrees of freedom by Welch-Satterthwaite; 1 when both variances are 0 (the interval
    is then the point), as in ``scipy.stats.ttest_ind(equal_var=False)``.
    """
    b, o = np.asarray(base, dtype=float), np.asarray(other, dtype=float)
    b, o = b[~np.isnan(b)], o[~np.isnan(o)]
    if min(len(b), len(o)) < 2:
        return Interval(NAN, NAN, NAN, NAN, len(b) + len(o))
    mean = float(o.mean() - b.mean())
    vb, vo = b.var(ddof=1) / len(b), o.var(ddof=1) / len(o)
    se = np.sqrt(vb + vo)
    dof = (vb + vo) ** 2 / (vb**2 / (len(b) - 1) + vo**2 / (len(o) - 1)) if se > 0 else 1.0
    half = float(t_quantile(dof, level) * se)
    return Interval(mean, half, float(se), float(dof), len(b) + len(o))
