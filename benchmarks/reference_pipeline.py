"""The baseline's event sequence in bare SimPy, for measuring investsim's overhead.

One investsim replication is run with its project log; the reference then replays the
same projects through the same stages in plain SimPy — arrival, an approval
``simpy.Resource`` of the same capacity, the approval time, the land time, the wait for
money as a plain timeout, construction — with no draws, no money desk, no bookkeeping
and no results. What is left is the cost SimPy itself charges for such a pipeline, written
the way SimPy's documentation writes one (a process per project); the benchmark divides
investsim's time by it.

investsim itself no longer runs a process per project but a chain of callbacks on SimPy
timeouts, which needs fewer than half the events. For a like-for-like floor the same
replay is also run that way (``callback_replication``: the same stages as bare callbacks,
nothing else), and the benchmark reports investsim's time over that too.

    python benchmarks/reference_pipeline.py [--reps 10]
"""

from __future__ import annotations

import argparse
import gc
import math
import statistics
import time
from collections import deque
from collections.abc import Generator
from typing import Any

import numpy as np
import pandas as pd
import simpy

import investsim
from investsim.model.pipeline import simulate_replication
from investsim.model.project import LOG_TIMES
from investsim.scenario.config import Scenario
from investsim.scenario.loading import load_scenario


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


def callback_replication(plan: pd.DataFrame, capacity: int | None) -> int:
    """The same replay as bare callbacks on SimPy timeouts (a FIFO approval queue, then
    land, the wait for money and construction); returns the events SimPy processed."""
    env = simpy.Environment()
    horizon = float(plan["horizon"].iloc[0])
    free = [capacity if capacity else 10**9]
    waiting: deque[Any] = deque()

    def arrive(ev: simpy.Event) -> None:
        if free[0] > 0:
            free[0] -= 1
            start_approval(ev.value)
        else:
            waiting.append(ev.value)

    def start_approval(row: Any) -> None:
        env.timeout(row.approval, row).callbacks.append(end_approval)

    def end_approval(ev: simpy.Event) -> None:
        if waiting:
            start_approval(waiting.popleft())
        else:
            free[0] += 1
        env.timeout(ev.value.land, ev.value).callbacks.append(end_land)

    def end_land(ev: simpy.Event) -> None:
        env.timeout(ev.value.financing, ev.value).callbacks.append(end_financing)

    def end_financing(ev: simpy.Event) -> None:
        env.timeout(ev.value.construction, ev.value)

    for row in plan.itertuples(index=False):
        if not math.isnan(row.arrived):
            env.timeout(row.arrived, row).callbacks.append(arrive)
    env.run(until=horizon)
    return int(repr(env._eid)[6:-1])  # type: ignore[attr-defined]


def compare(scenario: Scenario, reps: int) -> dict[str, tuple[float, float]]:
    """Median seconds and mean events per replication of investsim, the process reference
    and the callback floor, run interleaved on the same replications (seed 1)."""
    capacity = scenario.config.resources.approval_capacity
    plans = [replay_plan(scenario, 1, r) for r in range(reps)]
    runs: dict[str, Any] = {
        "investsim": lambda r: simulate_replication(scenario, 1, r).events,
        "reference": lambda r: reference_replication(plans[r], capacity),
        "callbacks": lambda r: callback_replication(plans[r], capacity),
    }
    times: dict[str, list[float]] = {k: [] for k in runs}
    events: dict[str, list[int]] = {k: [] for k in runs}
    simulate_replication(scenario, 1, 0)
    for r in range(reps):  # interleaved: all see the same machine state
        for name, run in runs.items():
            gc.collect()
            t = time.perf_counter()
            events[name].append(run(r))
            times[name].append(time.perf_counter() - t)
    return {k: (statistics.median(times[k]), float(np.mean(events[k]))) for k in runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--scenario", default=str(investsim.default_scenario_path()))
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    got = compare(scenario, args.reps)
    a, ea = got["investsim"]
    for name, (b, eb) in got.items():
        print(
            f"{name:<10} {b * 1000:6.1f} ms per replication, {eb:6.0f} events, {b / eb * 1e6:5.2f} us per event"
        )
    for name in ("reference", "callbacks"):
        b, eb = got[name]
        print(f"investsim / {name}: {a / b:.2f} per replication, {(a / ea) / (b / eb):.2f} per event")


if __name__ == "__main__":
    main()
