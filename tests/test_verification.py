"""Verification of the model against results known from mathematics.

Each test builds a small scenario whose answer is known exactly (deterministic cases) or in
expectation (queueing theory, Poisson processes, distribution moments), runs it with a fixed
seed, and compares. Statistical tolerances are a few standard errors estimated from the
replications themselves (replications are independent), so a test fails when the model is
wrong by more than its own noise, not because the seed is unlucky.

Times in the project log are years since 1 January of ``start_year``; scenario durations are
months.
"""

from __future__ import annotations

import heapq
import io
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, special, stats

import investsim
from helpers import simulate_file, write_scenario
from investsim.scenario.distributions import (
    Empirical,
    Exponential,
    Fixed,
    Gamma,
    Lognormal,
    Pert,
    Triangular,
    Uniform,
)

Z = 4.0  # tolerance in standard errors for the statistical checks


# ----------------------------------------------------------------------------------------------
# helpers


def run(
    tmp_path: Path,
    config: dict[str, Any],
    replications: int,
    seed: int,
    projects: str | None = None,
    project_log: bool = False,
) -> investsim.Forecast:
    """Write ``config`` (with the in-flight projects CSV text) into ``tmp_path`` and simulate it."""
    path = write_scenario(tmp_path, config, projects, name=f"{config['name']}.yaml")
    return simulate_file(path, replications, seed, project_log=project_log)


def mean_and_se(x: Any) -> tuple[float, float]:
    """Sample mean and its standard error (independent observations)."""
    a = np.asarray(x, dtype=float)
    return float(a.mean()), float(a.std(ddof=1) / math.sqrt(len(a)))


def assert_mean_close(x: Any, expected: float, what: str, z: float = Z) -> None:
    m, se = mean_and_se(x)
    assert se > 0, f"{what}: no variation, the check would be meaningless"
    assert abs(m - expected) <= z * se, (
        f"{what}: mean {m:.6g} vs expected {expected:.6g} (SE {se:.3g}, {abs(m - expected) / se:.2f} SE off)"
    )


def s_curve(u: Any) -> Any:
    """The s_curve profile I_u(2, 2) written out as a polynomial (independent of scipy)."""
    u = np.clip(u, 0.0, 1.0)
    return 3 * u**2 - 2 * u**3


def by_year(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """(replications x years) table of one column of ``Forecast.replications``."""
    return frame.pivot(index="replication", columns="year", values=column)


# ----------------------------------------------------------------------------------------------
# 1. a deterministic pipeline, integrated by hand

DETERMINISTIC_CSV = """id,sector,total_investment,stage,progress
L1,lin,6,approval,0
L2,lin,6,land,0
L3,lin,6,construction,0.5
L4,lin,3,financing,0
L5,lin,12,approval,0.5
L6,lin,50,completed,1
L7,lin,3,land,0.5
S1,sc,10,approval,0
S2,sc,8,construction,0.3
B1,bt,20,approval,0
"""


def test_deterministic_pipeline_is_integrated_exactly(tmp_path: Path) -> None:
    config = {
        "name": "det",
        "start_year": 2020,
        "horizon_years": 4,
        "sectors": {
            # approval 9 + land 3 months: a project entering approval at 0 starts on 1 January
            "lin": {
                "size": {"dist": "fixed", "value": 1},
                "approval": {"dist": "fixed", "value": 9},
                "land": {"dist": "fixed", "value": 3},
                "construction": {"dist": "fixed", "value": 18},
                "spending": "linear",
            },
            "sc": {
                "size": {"dist": "fixed", "value": 1},
                "approval": {"dist": "fixed", "value": 6},
                "construction": {"dist": "fixed", "value": 27},
                "spending": "s_curve",
            },
            "bt": {
                "size": {"dist": "fixed", "value": 1},
                "construction": {"dist": "fixed", "value": 60},
                "spending": {"beta": [2, 5]},
            },
        },
    }
    fc = run(tmp_path, config, replications=2, seed=11, projects=DETERMINISTIC_CSV, project_log=True)

    years = 4
    lin = np.zeros(years)
    # L1: approval 0.75 + land 0.25 -> starts exactly 1.0 (1 January 2021), 1.5 years -> ends 2.5
    lin += 6 * np.array([0, 1 / 1.5, 0.5 / 1.5, 0])
    # L2: land 0.25 -> construction [0.25, 1.75): straddles the year boundary
    lin += 6 * np.array([0.75 / 1.5, 0.75 / 1.5, 0, 0])
    # L3: in construction, half spent (linear: half the time gone) -> the other half over 0.75 y
    lin += np.array([3.0, 0, 0, 0])
    # L4: financing with no constrained source -> construction [0, 1.5)
    lin += 3 * np.array([1 / 1.5, 0.5 / 1.5, 0, 0])
    # L5: half of approval left (4.5 months) + land 3 -> construction [0.625, 2.125)
    lin += 12 * np.array([0.375 / 1.5, 1 / 1.5, 0.125 / 1.5, 0])
    # L6 is completed: nothing more to spend
    # L7: half of land left (1.5 months) -> construction [0.125, 1.625)
    lin += 3 * np.array([0.875 / 1.5, 0.625 / 1.5, 0, 0])

    sc = np.zeros(years)
    # S1: approval 0.5 -> construction [0.5, 2.75), s_curve
    d = 27 / 12
    bounds = np.arange(years + 1, dtype=float)
    sc += 10 * np.diff(s_curve((bounds - 0.5) / d))
    # S2: 30% of the money spent: u0 solves 3u^2 - 2u^3 = 0.3; the remaining time share runs from 0
    u0 = optimize.brentq(lambda u: s_curve(u) - 0.3, 0, 1, xtol=1e-15)
    s2_end = d * (1 - u0)
    sc += 8 * np.diff(s_curve(u0 + bounds / d))
    assert 1 < s2_end < 2

    # B1: beta(2, 5), construction 5 years from 0: never completes in the horizon
    bt = 20 * np.diff(special.betainc(2, 5, bounds / 5))

    reps = fc.replications
    for r in (0, 1):
        one = reps[reps.replication == r].sort_values("year")
        np.testing.assert_allclose(one["investment_sector_lin"], lin, rtol=0, atol=1e-9)
        np.testing.assert_allclose(one["investment_sector_sc"], sc, rtol=0, atol=1e-9)
        np.testing.assert_allclose(one["investment_sector_bt"], bt, rtol=0, atol=1e-9)
        np.testing.assert_allclose(one["investment"], lin + sc + bt, rtol=0, atol=1e-9)
        # starts: L2, L4, L5, L7, S1, B1 in 2020; L1 on 1 January 2021 (L3, S2 were building already)
        assert one["starts"].tolist() == [6, 1, 0, 0]
        # completions: L3 (0.75); L2 (1.75), L4 (1.5), L7 (1.625), S2 (~1.41); L1 (2.5), L5 (2.125),
        # S1 (2.75); B1 (5.0) is after the horizon
        assert one["completions"].tolist() == [1, 4, 3, 0]
        assert one["arrivals"].tolist() == [0, 0, 0, 0]
        assert one["year"].tolist() == [2020, 2021, 2022, 2023]

    log = fc.projects.set_index(["replication", "project"])
    expected_times = {
        "L1": (1.0, 2.5),
        "L2": (0.25, 1.75),
        "L3": (0.0, 0.75),
        "L4": (0.0, 1.5),
        "L5": (0.625, 2.125),
        "L7": (0.125, 1.625),
        "S1": (0.5, 2.75),
        "S2": (0.0, s2_end),
        "B1": (0.0, math.nan),
    }
    for pid, (start, end) in expected_times.items():
        row = log.loc[(0, pid)]
        assert row["construction_start"] == pytest.approx(start, abs=1e-12), pid
        if math.isnan(end):
            assert math.isnan(row["completed"]), pid
        else:
            assert row["completed"] == pytest.approx(end, abs=1e-12), pid
    assert log.loc[(0, "L1"), "construction_start"] == 1.0  # exactly 1 January, not a hair before


# ----------------------------------------------------------------------------------------------
# 2. M/G/infinity ramp-up of investment


def test_mginf_ramp_of_annual_investment(tmp_path: Path) -> None:
    lam, size = 20.0, 2.0
    config = {
        "name": "ramp",
        "start_year": 2020,
        "horizon_years": 4,
        "sectors": {
            "a": {
                "arrivals": {"rate": lam},
                "size": {"dist": "fixed", "value": size},
                "construction": {"dist": "fixed", "value": 24},
            }
        },
    }
    fc = run(tmp_path, config, replications=300, seed=2020)
    reps = fc.replications
    inv = by_year(reps, "investment")
    # a project arriving at t spends S/2 a year over [t, t + 2): E[I_y] = lam S (1/4, 3/4, 1, 1)
    expected = lam * size * np.array([0.25, 0.75, 1.0, 1.0])
    for k, year in enumerate(inv.columns):
        assert_mean_close(inv[year], expected[k], f"investment in {year}")
    # arrivals are Poisson(lam) a year
    arrivals = by_year(reps, "arrivals")
    for year in arrivals.columns:
        assert_mean_close(arrivals[year], lam, f"arrivals in {year}")
    # dispersion of a Poisson count: variance = mean (SE of a sample variance ~ sqrt(2/n) var)
    counts = arrivals.to_numpy().ravel()
    assert abs(counts.var(ddof=1) - lam) <= Z * lam * math.sqrt(2 / len(counts) + 1 / (lam * len(counts)))
    # no delay before construction: every arrival starts at once; D = 2 years exactly
    starts = by_year(reps, "starts")
    completions = by_year(reps, "completions")
    assert (starts.to_numpy() == arrivals.to_numpy()).all()
    cols = list(arrivals.columns)
    np.testing.assert_array_equal(completions[cols[2]], arrivals[cols[0]])
    np.testing.assert_array_equal(completions[cols[3]], arrivals[cols[1]])
    assert (completions[cols[0]] == 0).all()
    assert (completions[cols[1]] == 0).all()


# ----------------------------------------------------------------------------------------------
# 3. Erlang C: the approval desk as an M/M/c queue


def erlang_c(lam: float, mu: float, c: int) -> tuple[float, float]:
    """Probability of waiting and mean wait in queue of an M/M/c queue (Erlang C)."""
    a = lam / mu
    rho = a / c
    assert rho < 1
    top = a**c / math.factorial(c) / (1 - rho)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait, p_wait / (c * mu - lam)


def test_erlang_c_helper_reduces_to_mm1() -> None:
    p, wq = erlang_c(3.0, 4.0, 1)
    assert p == pytest.approx(0.75)
    assert wq == pytest.approx(0.75 / (4.0 - 3.0))


def fifo_servers(arrived: np.ndarray, service: np.ndarray, c: int) -> np.ndarray:
    """Start times of service at ``c`` first-come-first-served servers (arrivals sorted);
    a NaN service time is a service still going on at the end (the server stays busy)."""
    free = [-math.inf] * c
    starts = np.empty(len(arrived))
    for i, (t, s) in enumerate(zip(arrived, service, strict=True)):
        start = max(t, heapq.heappop(free))
        starts[i] = start
        heapq.heappush(free, math.inf if math.isnan(s) else start + s)
    return starts


def test_approval_queue_matches_erlang_c(tmp_path: Path) -> None:
    c, service_months, lam = 3, 1.0, 27.0  # mu = 12 a year per desk; utilisation 0.75
    mu = 12 / service_months
    horizon, reps_n = 15, 150
    config = {
        "name": "erlang",
        "start_year": 2020,
        "horizon_years": horizon,
        "warmup_years": 8,  # the queue starts empty eight years before 2020: steady state by then
        "resources": {"approval_capacity": c},
        "sectors": {
            "a": {
                "arrivals": {"rate": lam},
                "size": {"dist": "fixed", "value": 1},
                "approval": {"dist": "exponential", "mean": service_months},
                "construction": {"dist": "fixed", "value": 0},
            }
        },
    }
    fc = run(tmp_path, config, replications=reps_n, seed=7, project_log=True)
    log = fc.projects
    # zero construction time: each project spends its whole cost (1) the moment it starts
    reps = fc.replications
    np.testing.assert_allclose(reps.investment, reps.starts.astype(float), rtol=0, atol=1e-9)
    assert (reps.starts == reps.completions).all()

    # the desk is exactly a FIFO queue with c servers (checked on the whole history, warm-up too)
    for r, one in log.groupby("replication"):
        one = one.sort_values("arrived")
        t = one.arrived.to_numpy()
        service = (one.approval_end - one.approval_start).to_numpy()
        want = fifo_servers(t, service, c)
        got = one.approval_start.to_numpy()
        late = want >= horizon
        assert np.isnan(got[late]).all(), f"replication {r}"
        np.testing.assert_allclose(got[~late], want[~late], rtol=0, atol=1e-9, err_msg=f"replication {r}")

    # arrivals from 2020 on (steady state), and not in the last year (all of them are served);
    # one mean per replication: independent, so their spread gives the standard error
    sel = log[(log.arrived >= 0) & (log.arrived < horizon - 1)]
    assert sel.approval_start.notna().all()
    wait = sel.approval_start - sel.arrived
    p_wait, wq = erlang_c(lam, mu, c)
    assert_mean_close(wait.groupby(sel.replication).mean(), wq, "mean wait for approval (years)")
    assert_mean_close((wait > 0).groupby(sel.replication).mean(), p_wait, "probability of waiting")
    # the inputs of the formula: Poisson arrivals at rate lam, exponential service with mean 1/mu
    arrivals = sel.groupby("replication").size() / (horizon - 1)
    assert_mean_close(arrivals, lam, "arrivals a year")
    service = (sel.approval_end - sel.approval_start).dropna()
    assert_mean_close(service.groupby(sel.replication).mean(), 1 / mu, "approval time (years)")
    assert stats.kstest(service.to_numpy()[:5000] * mu, "expon").pvalue > 1e-3


# ----------------------------------------------------------------------------------------------
# 4. Little's law for projects in construction


def test_littles_law_in_construction(tmp_path: Path) -> None:
    lam = 24.0
    construction = {"dist": "gamma", "mean": 12, "cv": 0.5}
    mean_years = Gamma.model_validate(construction).mean / 12
    horizon, t1, t2 = 8, 4.0, 8.0
    config = {
        "name": "little",
        "start_year": 2020,
        "horizon_years": horizon,
        "sectors": {
            "a": {
                "arrivals": {"rate": lam},
                "size": {"dist": "lognormal", "median": 1, "p90": 3},
                "approval": {"dist": "exponential", "mean": 3},
                "land": {"dist": "uniform", "low": 0, "high": 4},
                "construction": construction,
                "spending": "s_curve",
            }
        },
    }
    fc = run(tmp_path, config, replications=100, seed=31, project_log=True)
    log = fc.projects
    started = log[log.construction_start.notna()]
    end = started.completed.fillna(float(horizon))  # still building at the end of the horizon
    overlap = (np.minimum(end, t2) - np.maximum(started.construction_start, t1)).clip(lower=0)
    in_construction = overlap.groupby(started.replication).sum() / (t2 - t1)
    in_construction = in_construction.reindex(range(100), fill_value=0.0)
    assert_mean_close(in_construction, lam * mean_years, "time-average number in construction")
    # and the durations themselves have the gamma's mean (projects started early enough to finish)
    early = started[started.construction_start < horizon - 4]
    assert early.completed.notna().all()
    d = early.completed - early.construction_start
    assert_mean_close(d.groupby(early.replication).mean(), mean_years, "construction time (years)")


# ----------------------------------------------------------------------------------------------
# 5. distributions: sample means, ppf against scipy

DISTRIBUTIONS: list[tuple[Any, dict[str, Any], Any]] = [
    (Fixed, {"dist": "fixed", "value": 3.5}, None),
    (Uniform, {"dist": "uniform", "low": 2, "high": 7}, stats.uniform(loc=2, scale=5)),
    (
        Triangular,
        {"dist": "triangular", "low": 1, "mode": 2, "high": 10},
        stats.triang(1 / 9, loc=1, scale=9),
    ),
    (Triangular, {"dist": "triangular", "low": 0, "mode": 0, "high": 4}, stats.triang(0, loc=0, scale=4)),
    (Triangular, {"dist": "triangular", "low": 0, "mode": 4, "high": 4}, stats.triang(1, loc=0, scale=4)),
    (
        Pert,
        {"dist": "pert", "low": 1, "mode": 2, "high": 10},
        stats.beta(1 + 4 * 1 / 9, 1 + 4 * 8 / 9, loc=1, scale=9),
    ),
    (
        Lognormal,
        {"dist": "lognormal", "median": 2, "p90": 5},
        stats.lognorm(math.log(5 / 2) / 1.2815516, scale=2),
    ),
    (Gamma, {"dist": "gamma", "mean": 18, "cv": 0.4}, stats.gamma(1 / 0.4**2, scale=18 * 0.4**2)),
    (Exponential, {"dist": "exponential", "mean": 4}, stats.expon(scale=4)),
    (
        Empirical,
        {"dist": "empirical", "values": [1, 2, 2, 7]},
        stats.rv_discrete(values=([1, 2, 7], [0.25, 0.5, 0.25])),
    ),
]
IDS = [f"{spec['dist']}-{i}" for i, (_, spec, _) in enumerate(DISTRIBUTIONS)]


@pytest.mark.parametrize(("cls", "spec", "ref"), DISTRIBUTIONS, ids=IDS)
def test_distribution_sample_mean(cls: Any, spec: dict[str, Any], ref: Any) -> None:
    d = cls.model_validate(spec)
    x = d.sample(np.random.default_rng(12345), 200_000)
    if ref is None:  # fixed
        assert (x == spec["value"]).all()
        assert d.mean == spec["value"]
        return
    # analytic mean against scipy's, then the sample against the analytic mean
    assert d.mean == pytest.approx(ref.mean(), rel=1e-12)
    se = ref.std() / math.sqrt(len(x))
    assert abs(x.mean() - d.mean) <= Z * se, f"{spec}: sample mean {x.mean()} vs {d.mean} (SE {se})"
    # and the spread (SE of a sample variance ~ var * sqrt((kurtosis - 1) / n))
    kurt = ref.stats(moments="k") + 3
    se_var = ref.var() * math.sqrt((kurt - 1) / len(x))
    assert abs(x.var(ddof=1) - ref.var()) <= Z * se_var, f"{spec}: sample variance"


@pytest.mark.parametrize(("cls", "spec", "ref"), DISTRIBUTIONS, ids=IDS)
def test_distribution_ppf_matches_scipy(cls: Any, spec: dict[str, Any], ref: Any) -> None:
    d = cls.model_validate(spec)
    u = np.array([0.001, 0.05, 0.1, 0.3, 0.5, 0.6, 0.8, 0.9, 0.99])
    got = d.ppf(u)
    if ref is None:
        np.testing.assert_array_equal(got, np.full(u.shape, spec["value"]))
        return
    np.testing.assert_allclose(got, ref.ppf(u), rtol=1e-9, atol=1e-12)
    assert np.all(np.diff(got) >= 0), "a ppf is non-decreasing"


def test_lognormal_hits_its_median_and_p90() -> None:
    d = Lognormal.model_validate({"dist": "lognormal", "median": 2, "p90": 5})
    np.testing.assert_allclose(d.ppf(np.array([0.5, 0.9])), [2.0, 5.0], rtol=1e-6)


def test_empirical_samples_each_value_equally_often() -> None:
    d = Empirical.model_validate({"dist": "empirical", "values": [7, 1, 2, 2]})
    n = 100_000
    x = d.sample(np.random.default_rng(99), n)
    for v, p in ((1, 0.25), (2, 0.5), (7, 0.25)):
        share = np.mean(x == v)
        assert abs(share - p) <= Z * math.sqrt(p * (1 - p) / n), f"value {v}: {share} vs {p}"


def test_empirical_ppf_is_inverse_cdf_for_unsorted_values() -> None:
    # ppf is documented as the inverse CDF (and the model relies on it being monotone for its
    # common-random-number coupling); the order values are listed in must not matter
    d = Empirical.model_validate({"dist": "empirical", "values": [7, 1, 2, 2]})
    ref = stats.rv_discrete(values=([1, 2, 7], [0.25, 0.5, 0.25]))
    u = np.array([0.1, 0.3, 0.6, 0.8, 0.99])
    np.testing.assert_array_equal(d.ppf(u), ref.ppf(u))


APPROVAL_FORMS = [
    {"dist": "lognormal", "median": 4, "p90": 9},
    {"dist": "triangular", "low": 1, "mode": 3, "high": 12},
    {"dist": "pert", "low": 1, "mode": 3, "high": 12},
    {"dist": "uniform", "low": 1, "high": 12},
]


@pytest.mark.parametrize("approval", APPROVAL_FORMS, ids=[a["dist"] for a in APPROVAL_FORMS])
def test_approval_takes_every_distribution_form(tmp_path: Path, approval: dict[str, Any]) -> None:
    # docs/model.md: approval is "either one duration distribution, or named sub-steps"; any of the
    # eight forms is a duration distribution (triangular and pert have a key named `mode`)
    config = {
        "name": "approval",
        "start_year": 2020,
        "horizon_years": 3,
        "sectors": {
            "a": {
                "arrivals": {"rate": 200},
                "size": {"dist": "fixed", "value": 1},
                "approval": approval,
                "construction": {"dist": "fixed", "value": 6},
            }
        },
    }
    fc = run(tmp_path, config, replications=10, seed=3, project_log=True)
    log = fc.projects
    done = log[log.approval_end.notna() & (log.arrived < 1)]
    months = 12 * (done.approval_end - done.approval_start)
    dist = {"lognormal": Lognormal, "triangular": Triangular, "pert": Pert, "uniform": Uniform}[
        approval["dist"]
    ]
    assert_mean_close(months, dist.model_validate(approval).mean, f"{approval['dist']} approval months")


# ----------------------------------------------------------------------------------------------
# 6. financing: a yearly supply rations starts


def financing_config(
    max_wait: float | None, supply: float = 25.0, size: float = 2.5, growth: float = 0.0
) -> dict[str, Any]:
    financing: dict[str, Any] = {"sources": {"bank": {"supply": supply, "growth": growth}}}
    if max_wait is not None:
        financing["max_wait"] = max_wait
    return {
        "name": "fin",
        "start_year": 2020,
        "horizon_years": 5,
        "financing": financing,
        "sectors": {
            "a": {
                # four times as many projects a year as the first year's supply can fund
                "arrivals": {"rate": 4 * supply / size},
                "size": {"dist": "fixed", "value": size},
                "construction": {"dist": "fixed", "value": 12},
                "funding": {"bank": 1.0},
            }
        },
    }


@pytest.mark.parametrize(
    ("supply", "size", "growth", "per_year"),
    [
        (25.0, 2.5, 0.0, [10] * 5),
        (6.0, 0.3, 0.0, [20] * 5),  # amounts that are not exact in binary
        (3.3, 1.1, 0.0, [3] * 5),
        (10.0, 1.0, 0.5, [10, 15, 22, 33, 50]),  # 10 * 1.5^k a year; unused money does not carry over
    ],
)
def test_financing_supply_caps_starts_exactly(
    tmp_path: Path, supply: float, size: float, growth: float, per_year: list[int]
) -> None:
    fc = run(
        tmp_path, financing_config(None, supply, size, growth), replications=20, seed=5, project_log=True
    )
    reps = fc.replications
    starts = by_year(reps, "starts")
    assert (starts.to_numpy() == np.array(per_year)[None, :]).all(), starts
    # the bank pays for everything that is built
    np.testing.assert_allclose(reps["investment_source_bank"], reps["investment"], rtol=0, atol=1e-9)
    assert (reps["cancelled_financing"] == 0).all()
    # funds go first come, first served: the funded are the earliest arrivals
    log = fc.projects
    for _, one in log.groupby("replication"):
        one = one.sort_values("arrived")
        funded = one.financing_end.notna().to_numpy()
        assert funded.sum() == sum(per_year)
        assert funded[: sum(per_year)].all()


def simulate_fifo_rationing(
    arrivals: np.ndarray, per_year: int, wait: float, horizon: int
) -> tuple[np.ndarray, np.ndarray]:
    """Funding times (NaN = not funded) and cancellation times (NaN = not cancelled) of
    projects arriving at ``arrivals`` (sorted) at a desk funding ``per_year`` projects a year,
    first come first served, each giving up after waiting ``wait`` years."""
    n = len(arrivals)
    funded = np.full(n, np.nan)
    cancelled = np.full(n, np.nan)
    queue: list[int] = []
    slots = per_year
    year = 0

    def expire(now: float) -> None:
        while queue and arrivals[queue[0]] + wait < now:
            i = queue.pop(0)
            cancelled[i] = arrivals[i] + wait

    for i, t in enumerate(arrivals):
        while year + 1 <= t:  # refills on 1 January before this arrival
            year += 1
            expire(year)
            slots = per_year
            while queue and slots > 0:
                funded[queue.pop(0)] = year
                slots -= 1
        expire(t)
        if not queue and slots > 0:
            funded[i] = t
            slots -= 1
        else:
            queue.append(i)
    while year + 1 < horizon:
        year += 1
        expire(year)
        slots = per_year
        while queue and slots > 0:
            funded[queue.pop(0)] = year
            slots -= 1
    expire(horizon)
    return funded, cancelled


def test_financing_max_wait_cancels_and_caps_waits(tmp_path: Path) -> None:
    fc = run(tmp_path, financing_config(6.0), replications=30, seed=6, project_log=True)
    log = fc.projects
    reps = fc.replications
    assert reps["cancelled_financing"].sum() > 0
    assert (log.cancelled_stage == "financing").sum() == reps["cancelled_financing"].sum()
    funded = log[log.financing_end.notna()]
    waited = funded.financing_end - funded.land_end
    assert waited.max() <= 0.5 + 1e-12, "nobody waits longer than max_wait"
    assert (by_year(reps, "starts").to_numpy() <= 10).all()
    # the whole history agrees with first come, first served rationing done by hand
    for r, one in log.groupby("replication"):
        one = one.sort_values("arrived")
        t = one.arrived.to_numpy()
        got_funded = one.financing_end.to_numpy()
        want_funded, want_cancelled = simulate_fifo_rationing(t, 10, 0.5, 5)
        np.testing.assert_allclose(got_funded, want_funded, rtol=0, atol=1e-12, err_msg=f"replication {r}")
        np.testing.assert_array_equal(
            (one.cancelled_stage == "financing").to_numpy(), ~np.isnan(want_cancelled)
        )
        counts = np.bincount(np.floor(want_cancelled[~np.isnan(want_cancelled)]).astype(int), minlength=5)
        np.testing.assert_array_equal(
            reps[reps.replication == r].sort_values("year").cancelled_financing, counts
        )


# ----------------------------------------------------------------------------------------------
# 7. spending conservation with stochastic durations and an S-curve

CONSERVATION_CSV = """id,sector,total_investment,stage,progress
F1,b,4,approval,0.2
F2,b,7,land,0.5
F3,b,3,financing,0
F4,b,9,construction,0.25
F5,b,5,construction,0.9
F6,b,2,completed,1
"""


def test_spending_is_conserved(tmp_path: Path) -> None:
    horizon = 8
    config = {
        "name": "conserve",
        "start_year": 2020,
        "horizon_years": horizon,
        "sectors": {
            "a": {
                # new projects in the first year only (a policy stops them from 2021)
                "arrivals": {"rate": 30},
                "size": {"dist": "lognormal", "median": 2, "p90": 6},
                "approval": {"dist": "lognormal", "median": 4, "p90": 9},
                "land": {"dist": "pert", "low": 0, "mode": 2, "high": 8},
                "land_dispute": {"probability": 0.2, "delay": {"dist": "uniform", "low": 1, "high": 6}},
                "construction": {"dist": "gamma", "mean": 18, "cv": 0.4},
                "cancel": {"approval": 0.1},
                "spending": "s_curve",
            },
            "b": {
                "size": {"dist": "fixed", "value": 1},
                "approval": {"dist": "uniform", "low": 2, "high": 10},
                "land": {"dist": "exponential", "mean": 2},
                "construction": {"dist": "uniform", "low": 6, "high": 30},
                "spending": {"beta": [3, 1.5]},
            },
        },
        "policies": [{"name": "no more arrivals", "from": 2021, "set": {"sectors.a.arrivals.rate": 0}}],
    }
    reps_n = 40
    fc = run(tmp_path, config, replications=reps_n, seed=17, projects=CONSERVATION_CSV, project_log=True)
    log = fc.projects
    reps = fc.replications
    assert (log[~log.in_flight].arrived < 1).all()
    started = log[log.construction_start.notna()].copy()
    assert started.completed.notna().all(), "every project finishes within the horizon"
    # a tenth of new projects drop out when approval ends, and spend nothing
    new = log[~log.in_flight]
    dropped = new.cancelled_stage == "approval"
    assert abs(dropped.mean() - 0.1) <= Z * math.sqrt(0.1 * 0.9 / len(new))
    assert new[dropped].construction_start.isna().all()
    assert (log.cancelled_stage.isna() | dropped.reindex(log.index, fill_value=False)).all()

    # what is left to spend: the cost, less the share an in-flight project has spent already
    csv = pd.read_csv(io.StringIO(CONSERVATION_CSV))
    building = csv[csv.stage == "construction"].set_index("id").progress
    spent_before = started.project.map(building).where(started.in_flight, 0.0).fillna(0.0)
    remaining = started.cost * (1 - spent_before)
    total = reps.groupby("replication").investment.sum()
    expected_total = remaining.groupby(started.replication).sum()
    np.testing.assert_allclose(total.to_numpy(), expected_total.reindex(total.index).to_numpy(), rtol=1e-10)
    assert int(reps.completions.sum()) == len(started)

    # year by year: each project's money integrated by hand from its start and end in the log
    bounds = np.arange(horizon + 1, dtype=float)
    profiles = {"a": s_curve, "b": lambda u: special.betainc(3, 1.5, np.clip(u, 0, 1))}
    for sector, profile in profiles.items():
        hand = np.zeros((reps_n, horizon))
        for (_, p), done in zip(started.iterrows(), spent_before, strict=True):
            if p.sector != sector:
                continue
            u0 = (
                0.0 if done == 0 else optimize.brentq(lambda u, d=done, f=profile: f(u) - d, 0, 1, xtol=1e-15)
            )
            length = (p.completed - p.construction_start) / (1 - u0)  # the whole construction time
            u = np.clip(u0 + (bounds - p.construction_start) / length, u0, 1)
            hand[int(p.replication)] += p.cost * np.diff(profile(u))
        model = by_year(reps, f"investment_sector_{sector}").to_numpy()
        np.testing.assert_allclose(model, hand, rtol=0, atol=1e-8)
