"""Probability distributions and spending profiles used in scenario files.

Each distribution is a small frozen (hashable) pydantic model: it validates its own
parameters when a scenario is loaded, and then offers

- ``ppf(u)``: the inverse CDF, vectorised. The model draws every random quantity by
  inverse transform of a uniform taken from a named stream, so that two scenarios that
  differ only in a distribution's parameters still see the *same* uniform for the same
  project (common random numbers, and a monotone coupling: a shorter median gives every
  project a shorter duration);
- ``sample(rng, n)``: ``n`` draws from a ``numpy.random.Generator``;
- ``mean``: the analytic mean;
- ``low_bound``: the smallest value the distribution can take (used to refuse negative
  durations at load time).

The exact meaning of every form is fixed by docs/model.md (section 6.1, "Distribution forms").
"""

from __future__ import annotations

import math
from typing import Annotated, Literal, Self

import numpy as np
from numpy.typing import NDArray
from pydantic import ConfigDict, Field, model_validator
from scipy import special

from investsim.scenario.base import StrictModel

# z such that Phi(z) = 0.9; docs/model.md (6.1) fixes the lognormal's sigma with this constant.
Z90 = 1.2815516

FloatArray = NDArray[np.float64]


class _Dist(StrictModel):
    dist: str  # each form narrows it to its own name, by which a scenario file chooses it

    def ppf(self, u: FloatArray) -> FloatArray:
        """Inverse CDF at the uniforms ``u`` (an array of values in [0, 1))."""
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        """Draw ``n`` values using the generator ``rng``."""
        return self.ppf(rng.random(n))

    @property
    def mean(self) -> float:
        """Analytic mean."""
        raise NotImplementedError

    @property
    def low_bound(self) -> float:
        """Smallest value the distribution can take."""
        raise NotImplementedError

    @property
    def scale(self) -> float:
        """The largest value the distribution is given by (its upper end, or for the
        unbounded forms the parameter that sets where most of it lies: the lognormal's
        P90, the gamma's and exponential's mean); checked against each key's range."""
        raise NotImplementedError


class Fixed(_Dist):
    """Always ``value``."""

    dist: Literal["fixed"]
    value: float = Field(allow_inf_nan=False)

    def ppf(self, u: FloatArray) -> FloatArray:
        return np.full(np.shape(u), self.value, dtype=float)

    @property
    def mean(self) -> float:
        return self.value

    @property
    def low_bound(self) -> float:
        return self.value

    @property
    def scale(self) -> float:
        return self.value


class Uniform(_Dist):
    """Uniform on [low, high]."""

    dist: Literal["uniform"]
    low: float = Field(allow_inf_nan=False)
    high: float = Field(allow_inf_nan=False)

    @model_validator(mode="after")
    def _check(self) -> Uniform:
        if not self.low <= self.high:
            raise ValueError(f"low(={self.low}) must be <= high(={self.high})")
        return self

    def ppf(self, u: FloatArray) -> FloatArray:
        return self.low + (self.high - self.low) * np.asarray(u, dtype=float)

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    @property
    def low_bound(self) -> float:
        return self.low

    @property
    def scale(self) -> float:
        return self.high


class _LowModeHigh(_Dist):
    """A distribution on [low, high] whose density peaks at ``mode``."""

    low: float = Field(allow_inf_nan=False)
    mode: float = Field(allow_inf_nan=False)
    high: float = Field(allow_inf_nan=False)

    @model_validator(mode="after")
    def _mode_within(self) -> Self:
        if not self.low <= self.mode <= self.high:
            raise ValueError(f"low(={self.low}) <= mode(={self.mode}) <= high(={self.high}) must hold")
        return self

    @property
    def low_bound(self) -> float:
        return self.low

    @property
    def scale(self) -> float:
        return self.high


class Triangular(_LowModeHigh):
    """Triangular with the given low, mode and high."""

    dist: Literal["triangular"]

    def ppf(self, u: FloatArray) -> FloatArray:
        u = np.asarray(u, dtype=float)
        a, c, b = self.low, self.mode, self.high
        if b == a:
            return np.full(u.shape, a)
        fc = (c - a) / (b - a)
        left = a + np.sqrt(u * (b - a) * (c - a))
        right = b - np.sqrt((1 - u) * (b - a) * (b - c))
        return np.where(u < fc, left, right)

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3


class Pert(_LowModeHigh):
    """Beta-PERT (weight 4) on [low, high] with the given mode."""

    dist: Literal["pert"]

    @model_validator(mode="after")
    def _not_a_point(self) -> Pert:
        # runs after _mode_within, so low <= mode <= high holds here
        if self.low == self.high:
            raise ValueError(f"low(={self.low}) must be < high(={self.high})")
        return self

    @property
    def _shape(self) -> tuple[float, float]:
        span = self.high - self.low
        return (
            1 + 4 * (self.mode - self.low) / span,
            1 + 4 * (self.high - self.mode) / span,
        )

    def ppf(self, u: FloatArray) -> FloatArray:
        a, b = self._shape
        return self.low + (self.high - self.low) * special.betaincinv(a, b, u)

    @property
    def mean(self) -> float:
        return (self.low + 4 * self.mode + self.high) / 6


class Lognormal(_Dist):
    """Log-normal with the given median and 90th percentile."""

    dist: Literal["lognormal"]
    median: float = Field(gt=0, allow_inf_nan=False)
    p90: float = Field(gt=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _check(self) -> Lognormal:
        if not self.p90 > self.median:
            raise ValueError(f"p90(={self.p90}) must be > median(={self.median})")
        if self.p90 > 1000 * self.median:
            # beyond this the mean is dominated by draws no planner means (and overflows)
            raise ValueError(f"p90(={self.p90}) must be at most 1000 x median(={self.median})")
        return self

    @property
    def sigma(self) -> float:
        """Standard deviation of the log."""
        return math.log(self.p90 / self.median) / Z90

    def ppf(self, u: FloatArray) -> FloatArray:
        return self.median * np.exp(self.sigma * special.ndtri(u))

    @property
    def mean(self) -> float:
        return self.median * math.exp(self.sigma**2 / 2)

    @property
    def low_bound(self) -> float:
        return 0.0

    @property
    def scale(self) -> float:
        return self.p90


class _ByMean(_Dist):
    """A distribution of positive values given by its ``mean`` (``mean_`` in Python, where
    ``mean`` is the property every distribution has)."""

    mean_: float = Field(alias="mean", gt=0, allow_inf_nan=False)

    model_config = ConfigDict(populate_by_name=True)  # added to StrictModel's

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def low_bound(self) -> float:
        return 0.0

    @property
    def scale(self) -> float:
        return self.mean_


class Gamma(_ByMean):
    """Gamma with the given mean and coefficient of variation."""

    dist: Literal["gamma"]
    # below 0.01 the gamma is a fixed value for any planner's purpose (and a cv near 0
    # overflows its shape 1/cv^2); above 10 nearly all of it sits at 0 with rare huge draws
    cv: float = Field(ge=0.01, le=10, allow_inf_nan=False)

    def ppf(self, u: FloatArray) -> FloatArray:
        shape = 1 / self.cv**2
        return self.mean_ * self.cv**2 * special.gammaincinv(shape, u)


class Exponential(_ByMean):
    """Exponential with the given mean."""

    dist: Literal["exponential"]

    def ppf(self, u: FloatArray) -> FloatArray:
        return -self.mean_ * np.log1p(-np.asarray(u, dtype=float))


class Empirical(_Dist):
    """One of ``values``, each with equal probability."""

    dist: Literal["empirical"]
    values: tuple[Annotated[float, Field(allow_inf_nan=False)], ...] = Field(min_length=1)

    def ppf(self, u: FloatArray) -> FloatArray:
        vals = np.sort(np.asarray(self.values, dtype=float))  # sorted: ppf is the inverse CDF
        idx = np.minimum((np.asarray(u) * len(vals)).astype(np.int64), len(vals) - 1)
        return vals[idx]

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    @property
    def low_bound(self) -> float:
        return min(self.values)

    @property
    def scale(self) -> float:
        return max(self.values)


Distribution = Annotated[
    Fixed | Uniform | Triangular | Pert | Lognormal | Gamma | Exponential | Empirical,
    Field(discriminator="dist"),
]
"""Any of the eight distribution forms, chosen by its ``dist`` key."""


class SpendingProfile:
    """Share of a project's money spent by the share ``u`` of its construction time.

    ``linear`` is F(u) = u; ``beta(a, b)`` is the regularised incomplete beta function
    I_u(a, b); ``s_curve`` is beta(2, 2).
    """

    __slots__ = ("a", "b")

    def __init__(self, a: float | None = None, b: float | None = None) -> None:
        # a = b = None means linear: cheaper than beta(1, 1) and exact.
        self.a = a
        self.b = b

    def cdf(self, u: FloatArray) -> FloatArray:
        """Share of money spent by time share ``u`` (clipped to [0, 1])."""
        u = np.clip(u, 0.0, 1.0)
        if self.a is None or self.b is None:
            return u
        return special.betainc(self.a, self.b, u)

    def inverse(self, p: FloatArray) -> FloatArray:
        """Time share by which the money share ``p`` is spent."""
        p = np.clip(p, 0.0, 1.0)
        if self.a is None or self.b is None:
            return p
        return special.betaincinv(self.a, self.b, p)

    def __repr__(self) -> str:
        return "linear" if self.a is None else f"beta({self.a}, {self.b})"
