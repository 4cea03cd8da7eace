"""What common random numbers buy: interval widths, paired vs independent streams.

For every shipped scenario of the Liaoyuan library, compares it with the baseline twice at
the same replication count: with common random numbers (the default) and with unrelated
streams (``--independent``), and reports the ratio of the 95% interval widths of the
cumulative investment difference (over the horizon and over a window).

    python benchmarks/bench_crn.py [--reps 40] [--seed 2019] [--jobs 2] [--window 2020:2022]
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

import investsim
from investsim.analyses.compare import compare_scenarios

LIBRARY = investsim.default_scenario_path().parent


def _width(table: pd.DataFrame, scenario: str, period: str) -> tuple[float, float]:
    row = table[
        (table["scenario"] == scenario) & (table["period"] == period) & (table["metric"] == "investment")
    ]
    r = row.iloc[0]
    return float(r["diff_mean"]), float(r["diff_ci_high"] - r["diff_ci_low"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=40)
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--window", default="2020:2022")
    args = parser.parse_args()
    y1, y2 = (int(x) for x in args.window.split(":"))
    base = LIBRARY / "baseline.yaml"
    others = sorted(p for p in LIBRARY.glob("*.yaml") if p.name != "baseline.yaml")
    started = time.perf_counter()
    kw = {"replications": args.reps, "seed": args.seed, "jobs": args.jobs, "window": (y1, y2)}
    paired, runs = compare_scenarios(base, others, **kw)
    independent, _ = compare_scenarios(base, others, independent=True, **kw)
    names = [r.name for r in runs[1:]]
    print(f"{args.reps} replications, seed {args.seed}; 95% interval width of the investment difference")
    print(
        f"{'scenario':34} {'diff total':>11} {'paired':>8} {'indep':>8} {'ratio':>6}  "
        f"{'diff ' + args.window:>15} {'paired':>8} {'indep':>8} {'ratio':>6}"
    )
    window = f"{y1}-{y2}"
    for name in names:
        d, wp = _width(paired, name, "total")
        _, wi = _width(independent, name, "total")
        dw, wpw = _width(paired, name, window)
        _, wiw = _width(independent, name, window)
        print(
            f"{name:34} {d:+11.1f} {wp:8.1f} {wi:8.1f} {wi / wp:6.1f}  {dw:+15.1f} {wpw:8.1f} {wiw:8.1f} {wiw / wpw:6.1f}"
        )
    print(f"wall time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
