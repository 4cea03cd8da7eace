"""Quadratic response surfaces for calibration: fitted to a design's mean outputs, they
smooth away the simulation's noise and are minimised exactly (see ``calibrate``)."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import optimize

FloatArray = NDArray[np.float64]


def quadratic_features(x: FloatArray) -> FloatArray:
    """1, x_i and x_i x_j (i <= j) for each row of ``x`` (scaled to [0, 1])."""
    cols = [np.ones(len(x))] + [x[:, i] for i in range(x.shape[1])]
    cols += [x[:, i] * x[:, j] for i, j in itertools.combinations_with_replacement(range(x.shape[1]), 2)]
    return np.column_stack(cols)


@dataclass
class Surface:
    """Quadratic response surfaces of every target over the unit box."""

    coef: FloatArray  # (features, targets)

    @classmethod
    def fit(cls, u: FloatArray, y: FloatArray) -> Surface:
        """Least squares fit of ``y`` (points x targets) on the points ``u`` (unit box)."""
        coef, *_ = np.linalg.lstsq(quadratic_features(u), y, rcond=None)
        return cls(np.asarray(coef, dtype=float))

    def predict(self, u: FloatArray) -> FloatArray:
        """Predicted targets at the points ``u``."""
        return quadratic_features(np.atleast_2d(u)) @ self.coef


def objective(pred: FloatArray, observed: FloatArray) -> FloatArray:
    """Sum of squared relative errors of ``pred`` against ``observed`` (over the last axis),
    so that money and counts weigh alike; an observed 0 counts the absolute error."""
    scale = np.where(observed != 0, np.abs(observed), 1.0)
    return (((pred - observed) / scale) ** 2).sum(axis=-1)


def minimise(
    surface: Surface, observed: FloatArray, lo: FloatArray, hi: FloatArray, starts: FloatArray
) -> FloatArray:
    """The point of the box [lo, hi] (unit coordinates) where the surface fits best."""
    best_u, best_f = starts[0], math.inf
    for u0 in starts:
        res = optimize.minimize(
            lambda u: float(objective(surface.predict(u)[0], observed)),
            np.clip(u0, lo, hi),
            method="L-BFGS-B",
            bounds=list(zip(lo, hi, strict=True)),
        )
        if res.fun < best_f:
            best_u, best_f = res.x, float(res.fun)
    return np.asarray(best_u, dtype=float)


def loo_r2(u: FloatArray, y: FloatArray) -> FloatArray:
    """Leave-one-out R^2 of the quadratic surface, per target column of ``y``."""
    x = quadratic_features(u)
    hat = x @ np.linalg.pinv(x)
    resid = y - hat @ y
    leverage = np.clip(1 - np.diag(hat), 1e-12, None)
    press = ((resid / leverage[:, None]) ** 2).sum(axis=0)
    total = ((y - y.mean(axis=0)) ** 2).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, 1 - press / total, np.nan)
