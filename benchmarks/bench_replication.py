"""Time replications of a scenario (default: the bundled Liaoyuan baseline).

    python benchmarks/bench_replication.py [SCENARIO] [--reps N] [--jobs J] [--rounds K]

Prints the time per replication, SimPy events per replication and per second, and the
speed-up of a J-worker pool over one process on the same N replications, in K interleaved
rounds (one process, then J, K times) with their median: these machines are noisy, and
their speed drifts by tens of percent within minutes.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import investsim
from investsim.model import checks
from investsim.model.pipeline import simulate_replication
from investsim.runs.runner import run_replications


def main() -> None:
    """Run the benchmark and print one table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario", nargs="?", default=str(investsim.default_scenario_path()))
    ap.add_argument("--reps", type=int, default=200, help="replications per timing")
    ap.add_argument("--jobs", type=int, default=2, help="workers for the pool timing")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the pool timing")
    args = ap.parse_args()

    scn = investsim.load_scenario(args.scenario)
    simulate_replication(scn, 0, 0)  # warm caches and imports

    # the end-of-replication self-check, timed inside the same replications
    check_times: list[float] = []
    self_check = checks.self_check

    def timed_check(*a: Any) -> None:
        t = time.perf_counter()
        self_check(*a)
        check_times.append(time.perf_counter() - t)

    times, events = [], []
    checks.self_check = timed_check
    try:
        for r in range(args.reps):
            t = time.perf_counter()
            res = simulate_replication(scn, 0, r)
            times.append(time.perf_counter() - t)
            events.append(res.events)
    finally:
        checks.self_check = self_check
    per_rep = statistics.median(times)
    ev = statistics.mean(events)
    check = statistics.median(check_times)

    rounds = []
    for _ in range(args.rounds):
        t = time.perf_counter()
        run_replications(scn, args.reps, 0, jobs=1)
        serial = time.perf_counter() - t
        t = time.perf_counter()
        run_replications(scn, args.reps, 0, jobs=args.jobs)
        rounds.append((serial, time.perf_counter() - t))

    print(f"scenario                 {scn.name}")
    print(f"replications timed       {args.reps}")
    print(f"time per replication     {per_rep * 1e3:.1f} ms (median)")
    print(f"SimPy events per rep.    {ev:,.0f}")
    print(f"events per second        {ev / per_rep:,.0f}")
    print(f"µs per event (all work)  {per_rep / ev * 1e6:.2f}")
    print(f"self-check per rep.      {check * 1e3:.2f} ms ({check / per_rep:.1%} of it)")
    for k, (serial, pooled) in enumerate(rounds, 1):
        print(
            f"round {k}: {args.reps} reps, 1 process {serial:.2f} s, {args.jobs} processes {pooled:.2f} s "
            f"(speed-up {serial / pooled:.2f}x)"
        )
    print(f"median speed-up          {statistics.median(a / b for a, b in rounds):.2f}x")


if __name__ == "__main__":
    main()
