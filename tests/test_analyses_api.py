"""The library behind the commands: interval statistics (``investsim.results.stats``) and
the analyses' result objects, which write the same folders as the command line."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from investsim.results.stats import (
    mean_interval,
    normal_quantile,
    paired_difference,
    standard_error,
    t_quantile,
    welch_difference,
)

# --------------------------------------------------------------------------------------
# intervals, against textbook values and scipy.stats


def test_mean_interval_textbook_example() -> None:
    """2, 4, 4, 4, 5, 5, 7, 9: mean 5, s = sqrt(32/7), t(7, 0.975) = 2.365 from the table."""
    x = [2, 4, 4, 4, 5, 5, 7, 9]
    interval = mean_interval(x)
    assert interval.mean == 5
    assert interval.n == 8
    assert interval.dof == 7
    assert interval.se == pytest.approx(math.sqrt(32 / 7) / math.sqrt(8), rel=1e-14)
    assert interval.half == pytest.approx(2.365 * math.sqrt(32 / 7) / math.sqrt(8), rel=1e-3)
    assert interval.low == 5 - interval.half
    assert interval.high == 5 + interval.half


@pytest.mark.parametrize("n", [2, 3, 10, 57, 400])
def test_mean_interval_is_scipys_one_sample_t_interval(n: int) -> None:
    x = np.random.default_rng(n).lognormal(3, 0.6, n)
    interval = mean_interval(x)
    expected = stats.ttest_1samp(x, 0).confidence_interval(0.95)
    assert interval.low == pytest.approx(expected.low, rel=1e-12)
    assert interval.high == pytest.approx(expected.high, rel=1e-12)
    assert interval.se == pytest.approx(stats.sem(x), rel=1e-12)
    ninety = mean_interval(x, level=0.9)
    assert ninety.half < interval.half
    assert ninety.low == pytest.approx(stats.ttest_1samp(x, 0).confidence_interval(0.9).low, rel=1e-12)


def test_mean_interval_skips_nans_and_needs_two_values() -> None:
    assert mean_interval([1.0, np.nan, 3.0]) == mean_interval([1.0, 3.0])
    one = mean_interval([np.nan, 4.0])
    assert (one.mean, one.n) == (4.0, 1)
    assert np.isnan([one.half, one.se, one.low, one.high]).all()
    none = mean_interval([np.nan])
    assert none.n == 0
    assert math.isnan(none.mean)
    constant = mean_interval([3.0, 3.0, 3.0])
    assert (constant.low, constant.high) == (3.0, 3.0)


def test_paired_difference_is_scipys_paired_t_interval() -> None:
    rng = np.random.default_rng(1)
    base = rng.normal(100, 10, 30)
    other = base + rng.normal(2, 1, 30)
    interval = paired_difference(base, other)
    expected = stats.ttest_rel(other, base).confidence_interval(0.95)
    assert interval.low == pytest.approx(expected.low, rel=1e-12)
    assert interval.high == pytest.approx(expected.high, rel=1e-12)
    assert interval.n == 30
    # a pair with a missing side is left out, whole
    base[3], other[7] = np.nan, np.nan
    kept = paired_difference(base, other)
    assert kept.n == 28
    assert kept == mean_interval(np.delete(other - base, [3, 7]))


def test_welch_difference_is_scipys_welch_interval() -> None:
    base, other = [10, 12, 11, 9], [15, 13, 17, 16, 14]
    interval = welch_difference(base, other)
    welch = stats.ttest_ind(other, base, equal_var=False)
    expected = welch.confidence_interval(0.95)
    assert interval.mean == 4.5
    assert interval.dof == pytest.approx(welch.df, rel=1e-12)
    assert interval.low == pytest.approx(expected.low, rel=1e-12)
    assert interval.high == pytest.approx(expected.high, rel=1e-12)
    assert interval.n == 9
    # Welch-Satterthwaite by hand: s2 = 5/3 and 5/2, n = 4 and 5
    vb, vo = (5 / 3) / 4, (5 / 2) / 5
    assert interval.dof == pytest.approx((vb + vo) ** 2 / (vb**2 / 3 + vo**2 / 4), rel=1e-14)
    assert interval.se == pytest.approx(math.sqrt(vb + vo), rel=1e-14)


def test_welch_difference_edge_cases() -> None:
    same = welch_difference([2.0, 2.0], [5.0, 5.0, 5.0])
    assert (same.mean, same.half, same.dof) == (3.0, 0.0, 1.0)
    short = welch_difference([1.0, np.nan], [2.0, 3.0])
    assert np.isnan([short.mean, short.half, short.low]).all()
    assert welch_difference([1.0, np.nan, 2.0, 4.0], [2.0, 3.0]) == welch_difference(
        [1.0, 2.0, 4.0], [2.0, 3.0]
    )


def test_quantiles_are_scipys() -> None:
    for dof in (1, 2, 7, 29.5, 1000):
        assert t_quantile(dof) == stats.t.ppf(0.975, dof)
    assert t_quantile(7) == pytest.approx(2.365, abs=5e-4)  # the textbook table
    assert t_quantile(7, 0.99) == stats.t.ppf(0.995, 7)
    assert normal_quantile() == stats.norm.ppf(0.975)
    assert normal_quantile() == pytest.approx(1.96, abs=5e-5)


def test_standard_error_along_an_axis() -> None:
    x = np.random.default_rng(2).normal(size=(12, 3))
    np.testing.assert_allclose(standard_error(x), stats.sem(x, axis=0), rtol=1e-12)
    np.testing.assert_allclose(standard_error(x, axis=1), stats.sem(x, axis=1), rtol=1e-12)
