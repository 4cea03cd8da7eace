"""The land-acquisition capacity lever (``resources.land_capacity``): a first-come-first-
served pool of places on the land stage, like approval's, checked against exact queueing
results; the worked example of docs/architecture.md."""

from __future__ import annotations

import heapq
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

import investsim
from investsim.errors import ScenarioError

Z = 4.0  # tolerance in standard errors


def _scenario(tmp_path: Path, **extra: Any) -> investsim.Scenario:
    config: dict[str, Any] = {
        "name": "land-places",
        "start_year": 2020,
        "horizon_years": 12,
        "warmup_years": 6,  # the queue starts empty six years before 2020: steady state by then
        "resources": {"land_capacity": 3},
        "sectors": {
            "a": {
                "arrivals": {"rate": 27.0},
                "size": {"dist": "fixed", "value": 1},
                "approval": {"dist": "fixed", "value": 0},
                "land": {"dist": "exponential", "mean": 1.0},  # mu = 12 a year per place
                "construction": {"dist": "fixed", "value": 0},
            }
        },
    } | extra
    path = tmp_path / "land.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return investsim.load_scenario(path)


def _erlang_c(lam: float, mu: float, c: int) -> tuple[float, float]:
    """Probability of waiting and mean wait in queue of an M/M/c queue."""
    a = lam / mu
    top = a**c / math.factorial(c) / (1 - a / c)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait, p_wait / (c * mu - lam)


def _fifo_starts(arrived: np.ndarray, service: np.ndarray, c: int) -> np.ndarray:
    """Start times at ``c`` first-come-first-served servers (NaN service: still going on)."""
    free = [-math.inf] * c
    starts = np.empty(len(arrived))
    for i, (t, s) in enumerate(zip(arrived, service, strict=True)):
        starts[i] = max(t, heapq.heappop(free))
        heapq.heappush(free, math.inf if math.isnan(s) else starts[i] + s)
    return starts


def _close(values: Any, expected: float, what: str) -> None:
    x = np.asarray(values, dtype=float)
    mean, se = float(x.mean()), float(x.std(ddof=1) / math.sqrt(len(x)))
    assert se > 0, what
    assert abs(mean - expected) <= Z * se, f"{what}: {mean:.6g} vs {expected:.6g} (SE {se:.3g})"


@pytest.fixture(scope="module")
def forecast(tmp_path_factory: pytest.TempPathFactory) -> investsim.Forecast:
    scenario = _scenario(tmp_path_factory.mktemp("land"))
    return investsim.simulate(scenario, replications=60, seed=5, project_log=True)


def test_land_places_are_a_fifo_queue_with_c_servers(forecast: investsim.Forecast) -> None:
    assert forecast.projects is not None
    horizon = 12
    for r, one in forecast.projects.groupby("replication"):
        one = one.sort_values("arrived")  # approval takes no time: land is entered on arrival
        service = (one.land_end - one.land_start).to_numpy()
        want = _fifo_starts(one.arrived.to_numpy(), service, 3)
        got = one.land_start.to_numpy()
        late = want >= horizon
        assert np.isnan(got[late]).all(), f"replication {r}"
        np.testing.assert_allclose(got[~late], want[~late], rtol=0, atol=1e-9, err_msg=f"replication {r}")


def test_the_wait_for_a_land_place_matches_erlang_c(forecast: investsim.Forecast) -> None:
    assert forecast.projects is not None
    log = forecast.projects
    lam, mu, c = 27.0, 12.0, 3
    sel = log[(log.arrived >= 0) & (log.arrived < 11)]
    assert sel.land_start.notna().all()
    wait = sel.land_start - sel.arrived
    p_wait, wq = _erlang_c(lam, mu, c)
    _close(wait.groupby(sel.replication).mean(), wq, "mean wait for a land place (years)")
    _close((wait > 0).groupby(sel.replication).mean(), p_wait, "probability of waiting")
    # the waits are reported as land's waiting months, places in use as utilisation lam / (c mu)
    reps = forecast.replications
    _close(reps.groupby("replication").land_wait_months.mean(), 12 * wq, "land_wait_months")
    _close(reps.groupby("replication").land_utilisation.mean(), lam / (c * mu), "land_utilisation")


def test_without_a_limit_nobody_waits_for_land_and_there_is_no_output(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, resources={})
    forecast = investsim.simulate(scenario, replications=2, seed=5, project_log=True)
    assert forecast.projects is not None
    started = forecast.projects.dropna(subset=["land_start"])
    np.testing.assert_array_equal(started.land_start.to_numpy(), started.arrived.to_numpy())
    assert "land_utilisation" not in forecast.replications.columns


def test_a_policy_sets_the_number_of_places_from_its_date(tmp_path: Path) -> None:
    # one place until 2024, then ten: the queue built up with one place empties at once
    scenario = _scenario(
        tmp_path,
        resources={"land_capacity": 1},
        policies=[{"name": "more land teams", "from": 2024, "set": {"resources": {"land_capacity": 10}}}],
    )
    forecast = investsim.simulate(scenario, replications=4, seed=5, project_log=True)
    assert forecast.projects is not None
    log = forecast.projects
    t = 4.0  # 2024 in years since 1 January 2020
    for _, one in log.groupby("replication"):
        # before the policy at most one land acquisition at a time
        before = one[one.land_start < t]
        ends = before.land_end.fillna(np.inf).to_numpy()
        order = np.argsort(before.land_start.to_numpy())
        assert (before.land_start.to_numpy()[order][1:] >= ends[order][:-1] - 1e-9).all()
        # everyone waiting on the day of the policy starts that day (ten places are plenty)
        waiting = one[(one.arrived < t) & ((one.land_start >= t) | one.land_start.isna())]
        assert len(waiting) > 3
        assert (waiting.land_start == t).sum() >= min(len(waiting), 9)
    reps = forecast.replications
    wait = reps.groupby("year").land_wait_months.mean()
    assert wait.loc[2022] > 6 * wait.loc[2026]


def test_land_capacity_must_be_a_positive_whole_number(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"resources\.land_capacity"):
        _scenario(tmp_path, resources={"land_capacity": 0})
