"""The analyses that vary a scenario's parameters: sweep, sensitivity, calibrate and seek.

Each imports its analysis when it runs (SALib and scipy.stats are slow to import), so
that the other commands start fast.
"""

from __future__ import annotations

from pathlib import Path

import click

from investsim.analyses.metrics import METRIC_HELP
from investsim.cli.common import (
    INTERRUPT_NOTE,
    analysis_options,
    backend,
    command_line,
    lang_option,
    load,
    out_option,
    param_option,
    progress,
    replications_option,
    say,
    scenario_argument,
    seed_option,
)
from investsim.cli.printing import print_calibration, print_seek, print_sweep, print_tornado
from investsim.results.folders import check_out_dir
from investsim.scenario.loading import default_scenario_path

FROM_OPTION = click.option(
    "--from",
    "start",
    metavar="YEAR|whole",
    help="From when the varied values hold: a year (default: the scenario's start_year, so the "
    "warm-up that builds the first year's pipeline is not rewritten) or 'whole' for the whole "
    "simulation, warm-up included.",
)


@click.command()
@scenario_argument
@click.option(
    "--grid",
    "grids",
    multiple=True,
    required=True,
    metavar="PATH=V1,V2,...|PATH=LOW:HIGH:STEPS",
    help="Values of one scenario key; repeat for a full factorial.",
)
@replications_option(2, "Replications per point.")
@seed_option("Seed of every point (default: the scenario's).")
@click.option(
    "--metric",
    "metrics",
    multiple=True,
    metavar="M",
    help=f"Repeatable; the first ranks the points. {METRIC_HELP} (default: cumulative_investment).",
)
@out_option("Sweep folder (default: results/<name>-sweep).")
@FROM_OPTION
@analysis_options
@lang_option
@click.pass_context
def sweep(
    ctx: click.Context,
    scenario: str,
    grids: tuple[str, ...],
    replications: int | None,
    seed: int | None,
    metrics: tuple[str, ...],
    out: str | None,
    start: str | None,
    jobs: int | None,
    scheduler: str | None,
    overrides: tuple[str, ...],
    lang: str,
) -> None:
    """Run SCENARIO at every combination of the --grid values (common random numbers).

    Each point is saved as it finishes: after an interruption, the same command runs only
    the points still missing.
    """
    from investsim.analyses.sweep import plan_sweep, run_sweep

    name = load(scenario, overrides).name
    target = Path(out) if out else Path("results") / f"{name}-sweep"
    plan = plan_sweep(scenario, grids, metrics, target, replications, seed, overrides, start)
    say(f"values hold from {plan.applied_from}")
    missing = plan.missing()
    if len(missing) < len(plan.points):
        say(
            f"{len(plan.points) - len(missing)} of {len(plan.points)} points already done in {plan.out}; "
            f"running {len(missing)}"
        )
    ctx.meta[INTERRUPT_NOTE] = (
        f"the points finished so far are kept in {target.resolve() / 'points'}; "
        "run the same command again to run only the missing ones"
    )
    workers = backend(jobs, scheduler)
    with progress(workers, f"{name}: {len(missing)} points", len(missing) * plan.replications) as advance:
        result = run_sweep(plan, workers, advance, command_line(), lang)
    print_sweep(result, name)
    say(f"sweep written to {plan.out}")


@click.command()
@scenario_argument
@param_option("A scenario key and its range; repeatable.")
@click.option("--method", type=click.Choice(["morris", "sobol"]), default="morris", show_default=True)
@click.option(
    "--samples",
    type=click.IntRange(min=2),
    help="Morris trajectories (default 10) or Sobol base size, a power of two (default 64).",
)
@click.option("--metric", default="cumulative_investment", show_default=True, help=METRIC_HELP)
@replications_option(1, "Per parameter set.", default=10)
@seed_option()
@out_option("Folder (default: results/<name>-sensitivity).")
@FROM_OPTION
@analysis_options
@lang_option
def sensitivity(
    scenario: str,
    params: tuple[str, ...],
    method: str,
    samples: int | None,
    metric: str,
    replications: int,
    seed: int | None,
    out: str | None,
    start: str | None,
    jobs: int | None,
    scheduler: str | None,
    overrides: tuple[str, ...],
    lang: str,
) -> None:
    """Rank which parameters of SCENARIO move METRIC most (SALib: Morris or Sobol)."""
    from investsim.analyses.sensitivity import plan_sensitivity, run_sensitivity

    name = load(scenario, overrides).name
    target = check_out_dir(Path(out) if out else Path("results") / f"{name}-sensitivity")
    plan = plan_sensitivity(scenario, params, method, samples, metric, replications, seed, overrides, start)
    say(f"parameter values hold from {plan.applied_from}")
    workers = backend(jobs, scheduler)
    sets = len(plan.scenarios)
    with progress(workers, f"{name}: {sets} parameter sets", sets * plan.replications) as advance:
        result = run_sensitivity(plan, workers, advance, command_line())
    result.save(target, lang)
    print_tornado(result, plan.metric.name, name)
    say(f"sensitivity written to {target}")


@click.command()
@scenario_argument
@click.option(
    "--history",
    "histories",
    multiple=True,
    required=True,
    type=click.Path(dir_okay=False),
    help="CSV of observed figures: yearly (year, investment, starts, ...) or aggregate "
    "(from_year, to_year, metric, value[, min_size]); repeatable.",
)
@param_option("A parameter to fit.")
@replications_option(2, "Per point.", default=20)
@click.option(
    "--design",
    type=click.IntRange(min=3),
    help="Points per design round (default: 2 x the surface's terms, >= 10).",
)
@click.option(
    "--holdout", type=click.IntRange(min=0), default=0, show_default=True, help="Hold out the last K years."
)
@seed_option()
@out_option("Folder (default: results/<name>-calibration).")
@analysis_options
@lang_option
def calibrate(
    scenario: str,
    histories: tuple[str, ...],
    params: tuple[str, ...],
    replications: int,
    design: int | None,
    holdout: int,
    seed: int | None,
    out: str | None,
    jobs: int | None,
    scheduler: str | None,
    overrides: tuple[str, ...],
    lang: str,
) -> None:
    """Fit parameters of SCENARIO to observed history; write calibrated.yaml, the fit and
    its report."""
    from investsim.analyses.calibrate import plan_calibration, run_calibration

    plan = plan_calibration(scenario, histories, params, replications, seed, overrides, holdout, design)
    target = check_out_dir(Path(out) if out else Path("results") / f"{plan.name}-calibration")
    say(
        "the parameters are fitted over the whole simulation, warm-up included: it is the history being fitted"
    )
    workers = backend(jobs, scheduler)
    # the design rounds and the check run (step 6's few runs at the ends are not counted)
    total = (2 * plan.design_size + 1) * plan.replications
    with progress(workers, f"{plan.name}: calibrating", total) as advance:
        result = run_calibration(plan, workers, advance, command_line())
    result.save(target, lang)
    print_calibration(result)
    say(f"calibration written to {target}")


@click.command()
@click.argument("scenario", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--param",
    "param",
    required=True,
    metavar="PATH=LOW:HIGH",
    help="The lever: a scenario key and the range to search, e.g. financing.sources.bank.supply=37:150.",
)
@click.option(
    "--target",
    required=True,
    metavar="METRIC=VALUE|P(METRIC>=X)=PROB",
    help="What to reach: the mean of a metric (e.g. growth:2021=0.06), or the probability that "
    "it is at least X (e.g. 'P(growth:2021>=0.06)=0.8'; also >, <=, <). "
    f"Metrics: {METRIC_HELP}.",
)
@FROM_OPTION
@replications_option(2, "Replications of every value tried, all with the same seed.", default=20)
@seed_option("Seed of every value tried (default: the scenario's).")
@out_option("Folder (default: results/<name>-seek).")
@analysis_options
@lang_option
def seek(
    scenario: str | None,
    param: str,
    target: str,
    start: str | None,
    replications: int,
    seed: int | None,
    out: str | None,
    jobs: int | None,
    scheduler: str | None,
    overrides: tuple[str, ...],
    lang: str,
) -> None:
    """Find the smallest value of a lever (--param, applied from --from) at which a metric
    of SCENARIO (default: the bundled baseline) reaches --target, with its 95% interval;
    or say it is out of reach in the range, and what binds instead."""
    from investsim.analyses.seek import plan_seek, run_seek

    source = scenario if scenario else default_scenario_path()
    plan = plan_seek(source, param, target, replications, seed, overrides, start)
    folder = check_out_dir(Path(out) if out else Path("results") / f"{plan.base.name}-seek")
    say(
        f"{plan.param.path} from {plan.applied_from}; {plan.replications} replications of every value "
        f"tried, all with seed {plan.seed} (common random numbers)"
    )
    workers = backend(jobs, scheduler)
    with progress(workers, f"{plan.base.name}: seeking", None) as advance:
        result = run_seek(plan, workers, advance, command_line())
    result.save(folder, lang)
    print_seek(result)
    say(f"seek written to {folder}")
