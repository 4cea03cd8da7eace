"""Calibration at the edge of what its parameters can do: an interval that matches its
bootstrap, a target out of reach (with what binds instead) told apart from a range that
is too narrow, and the Liaoyuan example of issue 14 (bank supply for 5 % growth a year)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from helpers import LIBRARY, fixed, write_scenario
from investsim.analyses.calibrate import interval_of, plan_calibration, run_calibration
from investsim.results.stats import normal_quantile


def test_a_bootstrap_spread_never_comes_with_a_zero_width_interval() -> None:
    """The example of issue 14: most resamples pile up at the bound 37, four land near 68.
    The percentile interval alone is 37 to 37 while the bootstrap SE is about 4.4; the
    interval reaches at least 1.96 SE above the estimate."""
    boot = np.array([37.0] * 196 + [68.6] * 4)
    se = boot.std(ddof=1)
    assert np.quantile(boot, [0.025, 0.975]).tolist() == [37.0, 37.0]
    low, high = interval_of(37.0, boot, 37.0, 150.0)
    assert low == 37.0
    assert high == pytest.approx(37.0 + normal_quantile() * se)
    assert high - low > 8


def test_the_interval_is_the_percentile_one_when_that_is_wider_and_stays_in_the_range() -> None:
    rng = np.random.default_rng(1)
    boot = np.concatenate([rng.normal(50, 1, 180), rng.normal(58, 1, 20)])  # skewed up
    low, high = interval_of(50.0, boot, 0.0, 100.0)
    se = boot.std(ddof=1)
    assert high == pytest.approx(np.quantile(boot, 0.975))  # the long tail: percentile
    assert low == pytest.approx(50.0 - normal_quantile() * se)  # the short one: normal
    assert interval_of(99.0, boot, 0.0, 100.0)[1] == 100.0  # clipped to the range
    # a plateau widens it: every value on it fits alike
    assert interval_of(50.0, boot, 0.0, 100.0, (20.0, 90.0)) == (20.0, 90.0)
    assert interval_of(50.0, np.full(200, 50.0), 0.0, 100.0) == (50.0, 50.0)


def _two_sources(tmp_path: Path) -> Path:
    """20 projects of 1, half bank and half government money, wait on 1 January 2020;
    government gives 3 a year, so at most 6 start in 2020 whatever the bank gives (each
    takes 0.5 of the bank: a bank supply of 3 is enough for them)."""
    rows = [f"P{i:02d},firm,1,financing,0" for i in range(20)]
    data: dict[str, Any] = {
        "name": "two",
        "start_year": 2020,
        "horizon_years": 2,
        "sectors": {
            "firm": {
                "arrivals": {"rate": 0},
                "size": fixed(1),
                "approval": fixed(120),
                "construction": fixed(12),
                "funding": {"bank": 0.5, "government": 0.5},
            }
        },
        "financing": {"sources": {"bank": {"supply": 1}, "government": {"supply": 3}}},
    }
    path = write_scenario(tmp_path, data, rows)
    (tmp_path / "history.csv").write_text("year,starts\n2020,10\n")
    return path


def test_out_of_reach_is_told_apart_from_a_range_too_narrow(tmp_path: Path) -> None:
    """10 starts in 2020 are out of reach of the bank: from a supply of 3 up, government
    money binds at 6. Over 1-20 the fit is flat from 3 on: out of reach, widening won't
    help, what binds is government money, and the interval covers the flat stretch. Over
    1-2.5 the bank itself binds and the fit still improves at 2.5: widen the range."""
    path = _two_sources(tmp_path)
    history = [tmp_path / "history.csv"]
    wide = run_calibration(
        plan_calibration(path, history, ["financing.sources.bank.supply=1:20"], replications=2)
    )
    row = wide.parameters.iloc[0]
    reach = wide.summary["reach"]
    assert reach["verdict"] == "out_of_reach"
    assert reach["binds_resource"] == "source_government"
    assert "widening the ranges will not help" in reach["text"]
    assert "the simulation misses starts 2020 most: 6 against 10 observed (-40.0%)" in reach["text"]
    assert "government money" in reach["text"]
    assert row["position"] in ("plateau", "flat_at_bound")
    assert "widen the range" not in row["note"]
    # every replication is alike, so the bootstrap is a point, but every value from about
    # 3 to 20 fits as well: the interval covers the plateau of the values run
    assert row["bootstrap_se"] == pytest.approx(0, abs=1e-9)
    assert row["ci_low"] <= max(3.5, row["estimate"])
    assert row["ci_high"] >= 15
    assert row["ci_low"] >= 3  # below 3 fewer than 6 start: a worse fit
    narrow = run_calibration(
        plan_calibration(path, history, ["financing.sources.bank.supply=1:2.5"], replications=2)
    )
    row = narrow.parameters.iloc[0]
    assert narrow.summary["reach"]["verdict"] == "widen"
    assert row["position"] == "widen"
    # the quadratic surface smooths the steps of 0.5 and puts the estimate inside one
    # (4 starts); the run at the high end (5) shows it fits better there
    assert row["estimate"] < 2.5
    assert row["edge"] == "high"
    assert row["edge_better_than_estimate"]
    assert row["note"].startswith(
        "at the high bound (2.5), which fits better than the estimate (MAPE 50.0%; the surface missed it), "
        "the fit still improves beyond it: widen the range"
    )
    # 5 starts at 2.5, 4 at 2.35: each 0.15 more starts one more; 10 would need 5 steps
    assert row["trend_best"] == pytest.approx(3.25)
    # the design, the check run, both ends and the step inside
    assert narrow.summary["simulations"] == (2 * narrow.plan.design_size + 4) * 2


@pytest.mark.slow
def test_issue_14_bank_supply_for_five_percent_growth_is_out_of_reach(tmp_path: Path) -> None:
    """Issue 14: asked for the bank supply (37-150) that gives 5 % growth a year, calibrate
    said "at a bound: widen the range" with an interval of zero width. Above about 90 the
    bank's money is no longer all used: the figures are identical, the target out of reach."""
    history = tmp_path / "growth.csv"
    history.write_text("year,investment\n" + "".join(f"{2019 + k},{420 * 1.05**k:.1f}\n" for k in range(10)))
    plan = plan_calibration(
        LIBRARY / "baseline.yaml", [history], ["financing.sources.bank.supply=37:150"], replications=10
    )
    result = run_calibration(plan, jobs=2)
    row = result.parameters.iloc[0]
    reach = result.summary["reach"]
    assert reach["verdict"] == "out_of_reach"
    assert reach["binds_resource"] != "source_bank"
    assert "widen the range" not in row["note"]
    assert row["ci_high"] - row["ci_low"] > 20  # the plateau, not a point
    assert not math.isnan(row["plateau_low"])
    assert row["plateau_high"] - row["plateau_low"] > 20
