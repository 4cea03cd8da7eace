"""Every number anywhere inside its accepted range (bounds included), in a file and in a
policy: a short simulation finishes, or the scenario is refused with an input error —
never a crash, an overflow or a failed self-check. The ranges are in docs/input-files.md."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import investsim
from helpers import write_scenario
from investsim.errors import InputError
from investsim.scenario.ranges import MAX_COUNT, MAX_FACTOR, MAX_GROWTH, MAX_MONEY, MAX_MONTHS, MIN_GROWTH


def _number(low: float, high: float, *, low_open: bool = False) -> st.SearchStrategy[float]:
    """Anywhere in [low, high], the bounds themselves often."""
    inside = st.floats(low, high, exclude_min=low_open, allow_nan=False, allow_infinity=False)
    ends = [high] if low_open else [low, high]
    return st.one_of(st.sampled_from(ends), inside)


def _spread(low: float, high: float) -> st.SearchStrategy[float]:
    """Like _number, but also spread over the orders of magnitude of a wide range."""
    if low > 0:
        logs = st.floats(math.log10(low), math.log10(high)).map(lambda x: min(high, max(low, 10**x)))
        return st.one_of(_number(low, high), logs)
    return st.one_of(_number(low, high), st.floats(-3, math.log10(high)).map(lambda x: min(high, 10**x)))


@st.composite
def _distribution(draw: st.DrawFn, low: float, high: float, *, positive: bool) -> dict[str, Any]:
    """Any of the eight forms with every parameter inside [low, high] (above 0 if ``positive``)."""
    values = _spread(max(low, 1e-9) if positive else low, high)
    form = draw(
        st.sampled_from(
            ["fixed", "uniform", "triangular", "pert", "lognormal", "gamma", "exponential", "empirical"]
        )
    )
    if form == "fixed":
        return {"dist": "fixed", "value": draw(values)}
    if form in ("uniform", "triangular", "pert"):
        a, b, c = sorted(draw(st.lists(values, min_size=3, max_size=3)))
        if form == "uniform":
            return {"dist": "uniform", "low": a, "high": c}
        return {"dist": form, "low": a, "mode": b, "high": c}
    if form == "lognormal":
        median = draw(_spread(1e-6, high / 1.001))
        return {
            "dist": "lognormal",
            "median": median,
            "p90": draw(_number(median, min(high, 1000 * median), low_open=True)),
        }
    if form == "gamma":
        return {"dist": "gamma", "mean": draw(_spread(1e-6, high)), "cv": draw(_number(0.01, 10))}
    if form == "exponential":
        return {"dist": "exponential", "mean": draw(_spread(1e-6, high))}
    return {"dist": "empirical", "values": draw(st.lists(values, min_size=1, max_size=4))}


def _months() -> st.SearchStrategy[dict[str, Any]]:
    return _distribution(0.0, MAX_MONTHS, positive=False)


@st.composite
def _sector(draw: st.DrawFn, rate: float) -> dict[str, Any]:
    bank = draw(_number(0, 1))
    return {
        "arrivals": {"rate": rate, "growth": draw(_number(MIN_GROWTH, MAX_GROWTH))},
        "size": draw(_distribution(0.0, MAX_MONEY, positive=True)),
        "approval": draw(_months()),
        "land": draw(_months()),
        "land_dispute": {"probability": draw(_number(0, 1)), "delay": draw(_months())},
        "construction": draw(_months()),
        "overrun": draw(_distribution(0.0, MAX_FACTOR, positive=True)),
        "cancel": {stage: draw(_number(0, 1)) for stage in ("approval", "land", "financing")},
        "funding": {"own": 1 - bank, "bank": bank},
        "spending": draw(
            st.one_of(
                st.sampled_from(["linear", "s_curve"]),
                st.builds(lambda a, b: {"beta": [a, b]}, _number(0.01, 100), _number(0.01, 100)),
            )
        ),
    }


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A scenario with every number drawn inside its range, and a policy changing some."""
    rate = draw(st.one_of(st.sampled_from([0.0, 1e5]), _number(0, 40)))
    big = rate > 1000  # the highest rates are simulated over the shortest run
    ceiling = draw(_maybe(_spread(0, MAX_MONEY)))
    policy_set = {
        "sectors.a.arrivals.growth": draw(_number(MIN_GROWTH, MAX_GROWTH)),
        "sectors.a.construction": draw(_months()),
        "financing.sources.bank.supply": draw(_spread(0, MAX_MONEY)),
        "financing.max_wait": draw(_maybe(_number(0, MAX_MONTHS))),
        "resources.land_budget": draw(_maybe(_spread(0, MAX_MONEY))),
        "resources.approval_capacity": draw(_maybe(st.integers(1, MAX_COUNT))),
    }
    return {
        "name": "bounds",
        "start_year": 2020,
        "horizon_years": 1 if big else draw(st.integers(1, 2)),
        "warmup_years": 0 if big else draw(st.integers(0, 1)),
        "key_project_threshold": draw(_maybe(_spread(1e-9, MAX_MONEY))),
        "large_project_threshold": draw(_maybe(_spread(1e-9, MAX_MONEY))),
        "sectors": {"a": draw(_sector(rate)), "b": draw(_sector(draw(_number(0, 20))))},
        "resources": {
            "approval_capacity": draw(_maybe(st.integers(1, MAX_COUNT))),
            "land_capacity": draw(_maybe(st.integers(1, MAX_COUNT))),
            "service_secretaries": draw(st.integers(0, MAX_COUNT)),
            "secretary_effect": draw(_number(0, 1, low_open=True)),
            "land_budget": draw(_maybe(_spread(0, MAX_MONEY))),
            "land_cost_share": draw(_number(0, 0.999999)),
        },
        "financing": {
            "max_wait": draw(_maybe(_number(0, MAX_MONTHS))),
            "priority": draw(st.sampled_from(["fifo", "key_first"])),
            "sources": {
                "own": "unlimited",
                "bank": {
                    "supply": draw(_spread(0, MAX_MONEY)),
                    "growth": draw(_number(MIN_GROWTH, MAX_GROWTH)),
                    "debt_ceiling": ceiling,
                    "repayment_years": draw(_maybe(_number(0, 100, low_open=True)))
                    if ceiling is not None
                    else None,
                },
            },
            "guarantee_pool": {
                "capital": draw(_spread(0, MAX_MONEY)),
                "leverage": draw(_number(0, MAX_FACTOR)),
                "sectors": ["a"],
            },
        },
        "last_observed": {"year": 2019, "investment": draw(_spread(1e-9, MAX_MONEY))},
        "background": {
            "level": draw(_spread(0, MAX_MONEY)),
            "growth": draw(_distribution(MIN_GROWTH, MAX_GROWTH, positive=False)),
        },
        "policies": [
            {"name": "change", "from": draw(st.sampled_from([2020, "2020-07", 2021])), "set": policy_set}
        ],
    }


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=scenarios())
def test_every_number_inside_its_range_simulates_or_is_refused_cleanly(
    tmp_path: Path, data: dict[str, Any]
) -> None:
    try:
        scenario = investsim.load_scenario(write_scenario(tmp_path, data))
    except InputError:
        return  # refused cleanly (e.g. a background growth distribution that leaves its range)
    forecast = investsim.simulate(scenario, 1, 0)
    assert forecast.replications["investment"].notna().all()


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("sectors.a.arrivals.growth", 100),
        ("sectors.a.arrivals.growth", 1e308),
        ("sectors.a.arrivals.growth", -0.95),
        ("sectors.a.construction.cv", 1e308),
        ("sectors.a.construction.cv", 1e-300),
        ("sectors.a.construction.mean", 5000),
        ("sectors.a.size.value", 2e9),
        ("sectors.a.overrun", {"dist": "fixed", "value": 1000}),
        ("financing.sources.bank.supply", 1e12),
        ("background.growth", {"dist": "uniform", "low": -2, "high": 0.1}),
        ("sectors.a.arrivals.rate", 90_000),  # 90,000 a year for 20 years: too many projects
    ],
)
def test_out_of_range_values_are_refused_in_files_and_policies(tmp_path: Path, path: str, value: Any) -> None:
    data = {
        "name": "edge",
        "start_year": 2020,
        "horizon_years": 12,
        "warmup_years": 8,
        "sectors": {
            "a": {
                "arrivals": {"rate": 10},
                "size": {"dist": "fixed", "value": 1},
                "construction": {"dist": "gamma", "mean": 18, "cv": 0.4},
            }
        },
        "financing": {"sources": {"own": "unlimited", "bank": {"supply": 10}}},
        "background": {"level": 1, "growth": {"dist": "fixed", "value": 0.02}},
    }
    scenario = investsim.load_scenario(write_scenario(tmp_path, data))
    with pytest.raises(InputError, match=re.escape(path.rsplit(".", 1)[0])):
        scenario.with_overrides({path: value})
    # the same value set by a policy is refused the same way
    policy = {"name": "p", "from": 2021, "set": {path: value}}
    with pytest.raises(InputError):
        investsim.load_scenario(write_scenario(tmp_path, {**data, "policies": [policy]}, name="p.yaml"))
