"""``investsim bottlenecks``: which resource binds each year, and what one more unit of it
in that year adds (the bottleneck map)."""

from __future__ import annotations

from pathlib import Path

import click

from investsim.cli.common import (
    analysis_options,
    backend,
    command_line,
    lang_option,
    out_option,
    progress,
    replications_option,
    say,
    seed_option,
)
from investsim.results.folders import check_out_dir
from investsim.scenario.loading import default_scenario_path

REPLICATIONS = 40
"""Replications of the scenario and of each run with more of a resource, by default."""


@click.command()
@click.argument("scenario", required=False, type=click.Path(dir_okay=False))
@replications_option(
    2, "Replications of the scenario and of each run with more of a resource.", default=REPLICATIONS
)
@seed_option()
@click.option(
    "--step",
    "steps",
    multiple=True,
    metavar="FRACTION|RESOURCE=AMOUNT",
    help="How much to add: a fraction of the year's amount (default 0.05), or RESOURCE=AMOUNT in "
    "its unit (bank=2, approval_capacity=5); repeatable.",
)
@out_option("Folder for bottlenecks.csv (default: results/<name>-bottlenecks).")
@analysis_options
@lang_option
def bottlenecks(
    scenario: str | None,
    replications: int,
    seed: int | None,
    steps: tuple[str, ...],
    out: str | None,
    jobs: int | None,
    scheduler: str | None,
    overrides: tuple[str, ...],
    lang: str,
) -> None:
    """Which money is short, when, and what one more unit of it is worth: for each year and
    each constrained resource of SCENARIO (default: the bundled baseline), the share of the
    year it held projects up, and the investment gained by the last year per unit added in
    that year only (paired runs, common random numbers)."""
    from investsim.analyses.bottlenecks import plan_bottlenecks, run_bottlenecks

    plan = plan_bottlenecks(scenario or default_scenario_path(), replications, seed, overrides, steps)
    name = plan.scenario.name
    target = check_out_dir(Path(out) if out else Path("results") / f"{name}-bottlenecks")
    workers = backend(jobs, scheduler)
    with progress(workers, f"{name}: bottleneck map", plan.most_runs) as advance:
        result = run_bottlenecks(plan, workers, advance, command_line())
    result.save(target, lang)
    m = result.manifest
    say(
        f"{name}: {m['runs']} runs of {plan.replications} replications (seed {plan.seed}); "
        f"{m['runs_skipped']} not needed (the resource never bound that year); "
        f"values are {m['metric']} gained per unit added in the year"
    )
    for line in result.lines:
        say(line)
    say(f"bottleneck map written to {target}")
