"""The scale benchmarks in one table (not part of the test suite's pass/fail).

    python benchmarks/run.py [--quick]

Measures, on this machine, in one run:
- time per replication of the Liaoyuan baseline and of the province example (one process);
- the ratio of investsim's time to the bare-SimPy reference of the same event sequence
  (benchmarks/reference_pipeline.py: a process per project, as SimPy's documentation
  writes it, and the same replay as bare callbacks), interleaved in one process;
- the speed-up of 2 worker processes over 1 on 200 replications of the baseline, in three
  interleaved rounds (median and range: this VM's speed drifts by tens of percent within
  a minute), and beside it what two independent processes with no pool at all get on
  the same work at the same moment, for investsim and for the bare-SimPy reference (the
  machine's own ceiling, and what a toy model of the same shape gets on it);
- the same 200 replications on a Dask LocalCluster of 2 workers: speed-up over 1 process
  and overhead over the process pool (cluster start-up included);
- peak memory (RSS of the investsim process) of `investsim run` with 1,000 and 10,000
  replications of the baseline (with a 1-year warm-up to keep the time reasonable: what
  is kept per replication, yearly arrays over the 10-year horizon, is the same).
Ratios are measured within this one run: the machines are noisy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import investsim
from investsim.model.pipeline import simulate_replication
from investsim.runs.runner import Backend, run_replications
from investsim.scenario.loading import load_scenario

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from reference_pipeline import compare  # noqa: E402

PROVINCE = HERE.parent / "scenarios" / "examples" / "province.yaml"


def per_replication(scenario: investsim.Scenario, reps: int) -> tuple[float, float]:
    """Median seconds per replication and mean events per replication (one process)."""
    simulate_replication(scenario, 1, 0)
    times, events = [], []
    for r in range(reps):
        t = time.perf_counter()
        res = simulate_replication(scenario, 1, r)
        times.append(time.perf_counter() - t)
        events.append(res.events)
    return statistics.median(times), statistics.fmean(events)


def reference_ratio(scenario: investsim.Scenario, reps: int) -> dict[str, tuple[float, float]]:
    """investsim time / reference time, per replication and per event, for the process
    reference and the callback floor (interleaved in this process)."""
    got = compare(scenario, reps)
    a, ea = got["investsim"]
    return {k: (a / b, (a / ea) / (b / eb)) for k, (b, eb) in got.items() if k != "investsim"}


_LOOP = """
import sys, time, investsim
sys.path.insert(0, sys.argv[5])
from investsim.model.pipeline import simulate_replication
from reference_pipeline import reference_replication, replay_plan
scn = investsim.load_scenario(investsim.default_scenario_path())
if sys.argv[4] == "investsim":
    def one(r):
        simulate_replication(scn, 1, r)
else:  # the bare-SimPy reference on replays of investsim's replications
    plans = [replay_plan(scn, 1, r) for r in range(5)]
    def one(r):
        reference_replication(plans[r % 5], scn.config.resources.approval_capacity)
one(0)
while time.time() < float(sys.argv[3]):
    time.sleep(0.01)
t = time.perf_counter()
for r in range(int(sys.argv[1]), int(sys.argv[2])):
    one(r)
print(time.perf_counter() - t)
"""


def independent(reps: int, processes: int, model: str = "investsim") -> float:
    """Seconds for ``processes`` separate Python processes, started together after their
    imports, to run ``reps`` replications each (the slowest one) of investsim's baseline
    or of the bare-SimPy reference: no pool, no communication, so what is lost against
    one process is the machine's own."""
    start = time.time() + 6.0
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _LOOP, str(k * reps), str((k + 1) * reps), str(start), model, str(HERE)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for k in range(processes)
    ]
    return max(float(p.communicate()[0]) for p in procs)


def timed(scenario: investsim.Scenario, reps: int, jobs: int | Backend) -> float:
    t = time.perf_counter()
    run_replications(scenario, reps, 1, jobs=jobs)
    return time.perf_counter() - t


def peak_rss_mb(replications: int) -> tuple[float, float]:
    """Peak RSS (MB) of `investsim run` with this many replications, and its wall time.

    A fresh wrapper process runs it, so that the peak is this run's alone (getrusage of
    children reports the largest descendant ever waited for).
    """
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            str(Path(sys.executable).parent / "investsim"),
            "run",
            "-n",
            str(replications),
            "--set",
            "warmup_years=1",
            "--jobs",
            "2",
            "--out",
            os.path.join(tmp, "out"),
        ]
        wrapper = (
            "import resource, subprocess, sys; "
            f"subprocess.run({cmd!r}, check=True, capture_output=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
        )
        t = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", wrapper], check=True, capture_output=True, text=True)
        wall = time.perf_counter() - t
    return int(out.stdout.strip()) / 1024, wall  # kB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer replications everywhere (a smoke run)")
    args = parser.parse_args()
    q = args.quick
    baseline = load_scenario(investsim.default_scenario_path())
    province = load_scenario(PROVINCE)
    rows: list[tuple[str, str]] = []

    t_base, ev_base = per_replication(baseline, 5 if q else 20)
    t_prov, ev_prov = per_replication(province, 2 if q else 5)
    rows.append(("baseline: time per replication", f"{t_base * 1000:.0f} ms ({ev_base:,.0f} events)"))
    rows.append(("province: time per replication", f"{t_prov * 1000:.0f} ms ({ev_prov:,.0f} events)"))
    ratios = reference_ratio(baseline, 4 if q else 16)
    for name, label in (("reference", "a process per project"), ("callbacks", "bare callbacks")):
        ratio, per_event = ratios[name]
        rows.append(
            (
                f"baseline / bare-SimPy reference, {label}",
                f"{ratio:.2f} per replication, {per_event:.2f} per event",
            )
        )

    n = 20 if q else 200
    ones, twos = [], []
    for _ in range(1 if q else 3):  # interleaved: both see the same drift of the machine
        ones.append(timed(baseline, n, 1))
        twos.append(timed(baseline, n, 2))
    speedups = sorted(a / b for a, b in zip(ones, twos, strict=True))
    one, two = statistics.median(ones), statistics.median(twos)
    rows.append((f"{n} baseline replications, 1 process", f"{one:.1f} s (median of {len(ones)})"))
    rows.append(
        (
            f"{n} baseline replications, 2 processes",
            f"{two:.1f} s: speed-up {statistics.median(speedups):.2f}x "
            f"(rounds: {', '.join(f'{x:.2f}' for x in speedups)})",
        )
    )
    k = 10 if q else 50
    for model, label in (("investsim", "investsim"), ("reference", "the bare-SimPy reference")):
        alone = [independent(k, 1, model) for _ in range(1 if q else 2)]
        pair = [independent(k, 2, model) for _ in range(1 if q else 2)]
        rows.append(
            (
                f"two independent processes of {label}, {k} replications each",
                f"{min(pair):.1f} s vs {min(alone):.1f} s alone: {2 * min(alone) / min(pair):.2f}x "
                "(no pool: the machine's ceiling; best of each)",
            )
        )
    t = time.perf_counter()
    with Backend(2, "local") as dask:
        dask.client()
        started = time.perf_counter() - t
        on_dask = timed(baseline, n, dask)
    rows.append(
        (
            f"{n} baseline replications, Dask LocalCluster (2 workers)",
            f"{on_dask:.1f} s + {started:.1f} s start-up: speed-up {one / (on_dask + started):.2f}x "
            f"(without start-up {one / on_dask:.2f}x); overhead over the pool {on_dask / two - 1:+.0%}",
        )
    )
    k = 2 if q else 6
    prov_rate = k / timed(province, k, 2)
    rows.append((f"province: replications per second on 2 cores ({k} replications)", f"{prov_rate:.2f}"))
    for reps in (100, 1000) if q else (1000, 10_000):
        rss, wall = peak_rss_mb(reps)
        rows.append((f"peak memory, run -n {reps:,} (warm-up 1 year)", f"{rss:.0f} MB ({wall:.0f} s)"))

    width = max(len(k) for k, _ in rows)
    print(
        f"investsim {investsim.__version__ if hasattr(investsim, '__version__') else ''} on {os.cpu_count()} cores"
    )
    for k, v in rows:
        print(f"{k:<{width}}  {v}")


if __name__ == "__main__":
    main()
