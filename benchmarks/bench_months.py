"""What the months cost: the share of a run's time per replication spent on monthly output.

Issue #15 asks that monthly output cost at most 15 % more time per replication than a run
without it. The months are computed in two places, both timed here inside the same run:

- in each replication (the model layer): the spending integrated over calendar months
  (``spending.project_months``) and its self-check against the years
  (``checks.check_months``);
- once per run (the results layer): the table of months per replication
  (``monthly.monthly_frame``) and ``monthly.csv``'s summary (``monthly.monthly_summary``).

The rest of the run is the replication itself and the yearly tables (the replications
table and ``annual.csv``'s summary). The cost is

    (months in the replications + months tables) / (everything else), per replication

measured over ``--reps`` replications in one process, ``--rounds`` times (this VM's speed
drifts, so the rounds and their median are printed).

    python benchmarks/bench_months.py [SCENARIO] [--reps 100] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import investsim
from investsim.model import checks, collect
from investsim.model.pipeline import simulate_replication
from investsim.results.forecast import annual_summary, replications_frame
from investsim.results.monthly import monthly_frame, monthly_summary


def _timed(spent: list[float], fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*a: Any, **k: Any) -> Any:
        t = time.perf_counter()
        out = fn(*a, **k)
        spent.append(time.perf_counter() - t)
        return out

    return wrapper


def one_round(scenario: investsim.Scenario, reps: int) -> dict[str, float]:
    """Seconds per replication of each part, over ``reps`` replications."""
    in_model: list[float] = []
    project_months, check_months = collect.project_months, checks.check_months
    collect.project_months = _timed(in_model, project_months)  # type: ignore[assignment]
    checks.check_months = _timed(in_model, check_months)  # type: ignore[assignment]
    try:
        t = time.perf_counter()
        results = [simulate_replication(scenario, 0, r) for r in range(reps)]
        replications = time.perf_counter() - t
    finally:
        collect.project_months, checks.check_months = project_months, check_months
    t = time.perf_counter()
    frame = replications_frame(scenario, results)
    annual_summary(frame)
    yearly_tables = time.perf_counter() - t
    t = time.perf_counter()
    months = monthly_frame(scenario, results)
    monthly_summary(months, scenario.config.growth_targets)
    monthly_tables = time.perf_counter() - t
    months_in_model = sum(in_model)
    rest = replications - months_in_model + yearly_tables
    return {
        "rest": rest / reps,
        "months_in_model": months_in_model / reps,
        "months_tables": monthly_tables / reps,
        "cost": (months_in_model + monthly_tables) / rest,
    }


def main() -> None:
    """Run the benchmark and print one line per round and the median cost."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario", nargs="?", default=str(investsim.default_scenario_path()))
    ap.add_argument("--reps", type=int, default=100, help="replications per round")
    ap.add_argument("--rounds", type=int, default=3, help="rounds")
    args = ap.parse_args()
    scenario = investsim.load_scenario(args.scenario)
    simulate_replication(scenario, 0, 0)  # warm caches and imports
    rounds = [one_round(scenario, args.reps) for _ in range(args.rounds)]
    print(f"{scenario.name}, {args.reps} replications a round, ms per replication:")
    print("round  rest of the run  months in the replication  months tables  cost of the months")
    for k, r in enumerate(rounds, 1):
        print(
            f"{k:>5}  {r['rest'] * 1e3:>15.2f}  {r['months_in_model'] * 1e3:>25.2f}  "
            f"{r['months_tables'] * 1e3:>13.2f}  {r['cost']:>18.1%}"
        )
    print(
        f"median cost of the months: {statistics.median(r['cost'] for r in rounds):.1%} (target: at most 15%)"
    )


if __name__ == "__main__":
    main()
