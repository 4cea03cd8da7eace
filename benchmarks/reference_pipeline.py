"""The baseline's event sequence in bare SimPy, for measuring investsim's overhead.

One investsim replication is run with its project log; the reference then replays the
same projects through the same stages in plain SimPy — arrival, an approval
``simpy.Resource`` of the same capacity, the approval time, the land time, the wait for
money as a plain timeout, construction — with no draws, no money desk, no bookkeeping
and no results. What is left is the cost SimPy itself charges for such a pipeline; the
benchmark divides investsim's time by it.

    python benchmarks/reference_pipeline.py [--reps 10]
"""

from __future__ import annotations

import argparse
import gc
import math
import statistics
import time
from collections.abc import Generator
from typing import Any

import numpy as np
import pandas as pd
import simpy

import investsim
from investsim.loading import load_scenario
from investsim.model import LOG_TIMES, simulate_replication
from investsim.scenario import Scenario


def replay_plan(scenario: Scenario, seed: int, replication: int) -> pd.DataFrame:
    """Per project: arrival and the time spent in each stage, from investsim's own log
    (simulation time, warm-up included)."""
    log = simulate_replication(scenario, seed, replication, project_log=True).project_log
    assert log is not None
    df = pd.DataFrame({k: log[k] for k in LOG_TIMES})
    df = df + scenario.config.warmup_years
    horizon = float(scenario.config.warmup_years + scenario.config.horizon_years)
    return pd.DataFrame(
        {
            "arrived": df["arrived"],
            "approval": (df["approval_end"] - df["approval_start"]).fillna(0.0),
            "land": (df["land_end"] - df["land_start"]).fillna(0.0),
            "financing": (df["construction_start"] - df["land_end"]).fillna(0.0).clip(lower=0.0),
            "construction": (df["completed"].fillna(horizon) - df["construction_start"]).fillna(0.0),
            "horizon": horizon,
        }
    )


def reference_replication(plan: pd.DataFrame, capacity: int | None) -> int:
    """Run the bare pipeline; returns the number of events SimPy processed."""
    env = simpy.Environment()
    approval = simpy.Resource(env, capacity if capacity else 10**9)
    horizon = float(plan["horizon"].iloc[0])

    def project(arrive: float, a: float, land: float, fin: float, build: float) -> Generator[Any, Any, None]:
        yield env.timeout(arrive)
        with approval.request() as req:
            yield req
            if a > 0:
                yield env.timeout(a)
        if land > 0:
            yield env.timeout(land)
        if fin > 0:
            yield env.timeout(fin)
        if build > 0:
            yield env.timeout(build)

    for row in plan.itertuples(index=False):
        if not math.isnan(row.arrived):
            env.process(project(row.arrived, row.approval, row.land, row.financing, row.construction))
    env.run(until=horizon)
    return int(repr(env._eid)[6:-1])  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--scenario", default=str(investsim.default_scenario_path()))
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    capacity = scenario.config.resources.approval_capacity
    plans = [replay_plan(scenario, 1, r) for r in range(args.reps)]
    ours, ref, ours_events, ref_events = [], [], [], []
    simulate_replication(scenario, 1, 0)
    for r in range(args.reps):  # interleaved: both see the same machine state
        gc.collect()
        t = time.perf_counter()
        res = simulate_replication(scenario, 1, r)
        ours.append(time.perf_counter() - t)
        ours_events.append(res.events)
        gc.collect()
        t = time.perf_counter()
        ref_events.append(reference_replication(plans[r], capacity))
        ref.append(time.perf_counter() - t)
    a, b = statistics.median(ours), statistics.median(ref)
    ea, eb = float(np.mean(ours_events)), float(np.mean(ref_events))
    print(f"investsim: {a * 1000:.1f} ms per replication, {ea:.0f} events, {a / ea * 1e6:.2f} us per event")
    print(f"reference: {b * 1000:.1f} ms per replication, {eb:.0f} events, {b / eb * 1e6:.2f} us per event")
    print(f"ratio (time per replication): {a / b:.2f}; per event: {(a / ea) / (b / eb):.2f}")


if __name__ == "__main__":
    main()
