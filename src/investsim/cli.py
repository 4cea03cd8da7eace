"""The ``investsim`` command line: parse, call the library, print.

Exit status: 0 done, 2 bad input (one clear message, no traceback), 1 anything else,
130 interrupted (Ctrl-C), 143 terminated (SIGTERM).
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from investsim.analyses.compare import plan_comparison, run_comparison
from investsim.analyses.metrics import METRIC_HELP
from investsim.errors import InputError
from investsim.results.folders import check_out_dir
from investsim.runs.runner import Backend, default_jobs
from investsim.runs.simulate import simulate
from investsim.scenario.config import Scenario, ScenarioConfig
from investsim.scenario.loading import default_scenario_path, load_scenario

if TYPE_CHECKING:  # the commands import their modules when run: `validate` starts fast
    from investsim.analyses.calibrate import CalibrationResult
    from investsim.analyses.sensitivity import SensitivityResult
    from investsim.analyses.sweep import SweepResult

# wide enough for the tables when the output is piped (rich assumes 80 columns then)
out_console = Console(width=None if sys.stdout.isatty() else 120, emoji=False)
err_console = Console(stderr=True, emoji=False)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every clean-up path runs."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


INTERRUPT_NOTE = "investsim.interrupt_note"
"""``ctx.meta`` key: what a command leaves behind when it is stopped (default below)."""
NOTHING_WRITTEN = "stopped before the results were complete; nothing was written"


class _Group(click.Group):
    """Turns user errors into one line and status 2; Ctrl-C into status 130 and SIGTERM
    into 143, each with one line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InputError as e:
            err_console.print(f"error: {e}", highlight=False, markup=False, soft_wrap=True)
            ctx.exit(2)
        except KeyboardInterrupt as e:
            terminated = isinstance(e, Terminated)
            what = "terminated (SIGTERM)" if terminated else "interrupted"
            err_console.print(
                f"{what}: {ctx.meta.get(INTERRUPT_NOTE, NOTHING_WRITTEN)}", highlight=False, soft_wrap=True
            )
            ctx.exit(143 if terminated else 130)


@click.group(cls=_Group)
@click.version_option(package_name="investsim")
def cli() -> None:
    """Forecast a region's fixed-asset investment pipeline from a scenario file."""


def _progress() -> Progress:
    """A progress bar on standard error, shown only on a terminal."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    )


jobs_option = click.option(
    "--jobs", type=click.IntRange(min=1), help="Worker processes (default: one per core)."
)
overrides_option = click.option(
    "--set", "overrides", multiple=True, metavar="PATH=VALUE", help="Override a scenario key; repeatable."
)
scheduler_option = click.option(
    "--scheduler",
    metavar="local|tcp://HOST:PORT",
    help="Run on Dask: 'local' starts a LocalCluster of --jobs workers; an address uses a running cluster.",
)


def _backend(jobs: int | None, scheduler: str | None, replications: int | None = None) -> Backend:
    """Where to run: --jobs local processes (at most one per replication), or Dask."""
    workers = jobs or default_jobs()
    if replications is not None and scheduler is None:
        workers = min(workers, replications)
    if scheduler is not None and scheduler != "local" and "://" not in scheduler:
        raise InputError(f"--scheduler {scheduler!r}: use 'local' or an address such as tcp://host:8786")
    return Backend(workers, scheduler)


def _load(path: str | None, overrides: tuple[str, ...]) -> Scenario:
    return load_scenario(path if path else default_scenario_path(), overrides)


@cli.command()
@click.argument("scenario", required=False, type=click.Path(dir_okay=False))
@click.option(
    "-n", "--replications", type=click.IntRange(min=1), help="Replications (default: the scenario's)."
)
@click.option("--seed", type=click.IntRange(min=0), help="Seed (default: the scenario's).")
@click.option(
    "--out", type=click.Path(file_okay=False), help="Results folder (default: results/<scenario name>)."
)
@jobs_option
@scheduler_option
@overrides_option
@click.option(
    "--project-log", is_flag=True, help="Also write projects.parquet (one row per project and replication)."
)
@click.option(
    "--precision",
    type=click.FloatRange(min=0, max=1, min_open=True, max_open=True),
    metavar="P",
    help="Add replications in batches until the 95%% interval of cumulative investment is within "
    "P of its mean (e.g. 0.005); -n is then the maximum (default 10000).",
)
@click.option(
    "--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True, help="Language of the report."
)
def run(
    scenario: str | None,
    replications: int | None,
    seed: int | None,
    out: str | None,
    jobs: int | None,
    overrides: tuple[str, ...],
    project_log: bool,
    scheduler: str | None,
    precision: float | None,
    lang: str,
) -> None:
    """Run SCENARIO (default: the bundled Liaoyuan baseline) and write its forecast."""
    scn = _load(scenario, overrides)
    n = replications or (10_000 if precision else scn.config.replications)
    workers = _backend(jobs, scheduler, n)
    target = check_out_dir(Path(out) if out else Path("results") / scn.name)
    with workers, _progress() as bar:
        task = bar.add_task(f"{scn.name}: replications", total=None if precision else n)
        forecast = simulate(
            scn,
            replications=n,
            seed=seed,
            jobs=workers,
            project_log=project_log,
            on_progress=lambda k: bar.advance(task, k),
            command=["investsim", *sys.argv[1:]],
            precision=precision,
        )
    written = forecast.save(target, lang=lang)
    reached = forecast.manifest.get("precision")
    if reached:
        out_console.print(
            f"precision: the 95% interval of cumulative investment is ±{reached['half_width_share']:.2%} "
            f"of its mean after {reached['replications_needed']} replications (target ±{precision:.2%}"
            + ("" if reached["reached"] else f"; not reached within {n}")
            + ")",
            highlight=False,
        )
    _print_forecast(scn, forecast.annual, forecast.manifest)
    out_console.print(f"results written to {written}", highlight=False, markup=False, soft_wrap=True)


def _print_forecast(scn: Scenario, annual: Any, manifest: dict[str, Any]) -> None:
    unit = scn.config.money_unit
    table = Table(
        title=escape(
            f"{scn.name}: annual investment ({unit}), {manifest['replications']} replications, "
            f"seed {manifest['seed']}"
        ),
        title_justify="left",
    )
    for col in ("year", "P10", "P50", "P90", "mean", "growth P50", "starts", "completions"):
        table.add_column(col, justify="right")
    for row in annual.itertuples():
        growth = "" if row.growth_p50 != row.growth_p50 else f"{row.growth_p50:+.1%}"
        table.add_row(
            str(row.year),
            f"{row.investment_p10:,.1f}",
            f"{row.investment_p50:,.1f}",
            f"{row.investment_p90:,.1f}",
            f"{row.investment_mean:,.1f}",
            growth,
            f"{row.starts_mean:,.1f}",
            f"{row.completions_mean:,.1f}",
        )
    out_console.print(table)


@cli.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@overrides_option
def validate(scenario: str, overrides: tuple[str, ...]) -> None:
    """Check SCENARIO and print a short summary of it."""
    scn = _load(scenario, overrides)
    c = scn.config
    unit = c.money_unit
    out_console.print(f"{scn.source}: valid", highlight=False, markup=False, soft_wrap=True)
    out_console.print(
        f"  {c.name}: {c.start_year}-{c.start_year + c.horizon_years - 1}, "
        f"{c.replications} replications, seed {c.seed}",
        highlight=False,
        markup=False,
    )
    table = Table(show_edge=False)
    for col in ("sector", "arrivals/yr", "mean size", "approval", "land", "construction"):
        table.add_column(col, justify="right" if col != "sector" else "left")
    total_rate = 0.0
    for name, s in c.sectors.items():
        total_rate += s.arrivals.rate
        approval = s.approval
        ap = f"{approval.mean:.1f} mo" if hasattr(approval, "mean") else f"{approval.mode} steps"
        table.add_row(
            escape(name),
            f"{s.arrivals.rate:g}",
            f"{s.size.mean:.2f} {unit}",
            ap,
            f"{s.land.mean:.1f} mo",
            f"{s.construction.mean:.1f} mo",
        )
    out_console.print(table)
    live = [p for p in scn.in_flight if p.stage != "completed"]
    out_console.print(
        f"  expected new projects a year: {total_rate:g} in {len(c.sectors)} sectors", highlight=False
    )
    out_console.print(
        f"  in flight at the start: {len(live)} projects, {sum(p.total_investment for p in live):,.2f} {unit} "
        f"total investment ({sum(p.total_investment * (1 - p.progress) for p in live if p.stage == 'construction'):,.2f} "
        f"{unit} still to spend in construction)",
        highlight=False,
    )


def _window(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    first, sep, last = text.partition(":")
    try:
        y1, y2 = int(first), int(last)
    except ValueError:
        raise InputError(f"--window must be Y1:Y2 (years), got {text!r}") from None
    if not sep or y2 < y1:
        raise InputError(f"--window must be Y1:Y2 with Y1 <= Y2, got {text!r}")
    return y1, y2


@cli.command()
@click.argument("base", type=click.Path(exists=False))
@click.argument("others", nargs=-1, required=True, type=click.Path(exists=False))
@click.option("-n", "--replications", type=click.IntRange(min=2), help="Replications (default: the base's).")
@click.option("--seed", type=click.IntRange(min=0), help="Seed (default: the base scenario's).")
@click.option("--out", type=click.Path(file_okay=False), help="Folder for comparison.csv.")
@jobs_option
@scheduler_option
@click.option("--window", help="Also compare the total over years Y1:Y2, e.g. 2020:2022.")
@click.option(
    "--independent", is_flag=True, help="Run the others with unrelated random numbers (not paired)."
)
@click.option(
    "--attribute",
    is_flag=True,
    help="Split each OTHER scenario file's difference across its policies (Shapley).",
)
@click.option(
    "--permutations",
    type=click.IntRange(min=2),
    default=12,
    show_default=True,
    help="With --attribute and more than 6 policies: sampled orders of the policies.",
)
def compare(
    base: str,
    others: tuple[str, ...],
    replications: int | None,
    seed: int | None,
    out: str | None,
    jobs: int | None,
    window: str | None,
    independent: bool,
    attribute: bool,
    permutations: int,
    scheduler: str | None,
) -> None:
    """Compare OTHERS with BASE: scenario files (run with common random numbers) or results folders."""
    span = _window(window)
    plan = plan_comparison(base, others, replications, seed, independent, span, attribute, permutations)
    target = check_out_dir(Path(out) if out else Path("results") / plan.default_name)
    with _backend(jobs, scheduler) as backend, _progress() as bar:
        task = bar.add_task("replications", total=plan.simulations or None)
        comparison = run_comparison(
            plan, backend, on_progress=lambda k: bar.advance(task, k), command=["investsim", *sys.argv[1:]]
        )
    comparison.save(target)
    _print_comparison(comparison.table, comparison.runs[0].name, span)
    for part in comparison.attributions:
        _print_attribution(part)
    out_console.print(f"comparison written to {target}", highlight=False, markup=False, soft_wrap=True)


def _print_comparison(table: Any, base: str, span: tuple[int, int] | None) -> None:
    periods = ["total"] + ([f"{span[0]}-{span[1]}"] if span else [])
    view = Table(title=escape(f"investment difference from {base} (95% interval)"), title_justify="left")
    view.add_column("scenario")
    view.add_column("pairing")
    for p in periods:
        view.add_column(p, justify="right")
    view.add_column("years where the interval excludes 0")
    inv = table[table["metric"] == "investment"]
    for name, rows in inv.groupby("scenario", sort=False):
        cells = []
        for p in periods:
            r = rows[rows["period"] == p].iloc[0]
            cells.append(f"{r.diff_mean:+,.1f} ({r.diff_ci_low:+,.1f} to {r.diff_ci_high:+,.1f})")
        yearly = rows[rows["period"].str.fullmatch(r"\d{4}")]
        sure = yearly[(yearly["diff_ci_low"] > 0) | (yearly["diff_ci_high"] < 0)]["period"].tolist()
        view.add_row(escape(str(name)), rows["pairing"].iloc[0], *cells, ", ".join(sure) or "none")
    out_console.print(view)


def _print_attribution(part: Any) -> None:
    rows = part[(part["period"] == "total") & (part["metric"] == "investment")]
    view = Table(
        title=escape(
            f"{part['scenario'].iloc[0]}: investment over the horizon by policy "
            f"(Shapley, {part['method'].iloc[0]}, 95% interval)"
        ),
        title_justify="left",
    )
    for col in ("policy", "share of the difference", "land wait months", "financing wait months"):
        view.add_column(col, justify="left" if col == "policy" else "right")
    waits = part[part["period"] == "total"].set_index(["policy", "metric"])["value_mean"]
    for r in rows.itertuples():
        view.add_row(
            escape(str(r.policy)),
            f"{r.value_mean:+,.1f} ({r.ci_low:+,.1f} to {r.ci_high:+,.1f})",
            f"{waits.get((r.policy, 'land_wait_months'), float('nan')):+.2f}",
            f"{waits.get((r.policy, 'financing_wait_months'), float('nan')):+.2f}",
        )
    out_console.print(view)


@cli.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option(
    "--grid",
    "grids",
    multiple=True,
    required=True,
    metavar="PATH=V1,V2,...|PATH=LOW:HIGH:STEPS",
    help="Values of one scenario key; repeat for a full factorial.",
)
@click.option("-n", "--replications", type=click.IntRange(min=2), help="Replications per point.")
@click.option("--seed", type=click.IntRange(min=0), help="Seed of every point (default: the scenario's).")
@click.option(
    "--metric",
    "metrics",
    multiple=True,
    metavar="M",
    help=f"Repeatable; the first ranks the points. {METRIC_HELP} (default: cumulative_investment).",
)
@click.option("--out", type=click.Path(file_okay=False), help="Sweep folder (default: results/<name>-sweep).")
@jobs_option
@scheduler_option
@overrides_option
@click.pass_context
def sweep(
    ctx: click.Context,
    scenario: str,
    grids: tuple[str, ...],
    replications: int | None,
    seed: int | None,
    metrics: tuple[str, ...],
    out: str | None,
    jobs: int | None,
    scheduler: str | None,
    overrides: tuple[str, ...],
) -> None:
    """Run SCENARIO at every combination of the --grid values (common random numbers).

    Each point is saved as it finishes: after an interruption, the same command runs only
    the points still missing.
    """
    from investsim.analyses.sweep import plan_sweep, run_sweep

    name = _load(scenario, overrides).name
    target = Path(out) if out else Path("results") / f"{name}-sweep"
    plan = plan_sweep(scenario, grids, metrics, target, replications, seed, overrides)
    missing = plan.missing()
    if len(missing) < len(plan.points):
        out_console.print(
            f"{len(plan.points) - len(missing)} of {len(plan.points)} points already done in {plan.out}; "
            f"running {len(missing)}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    ctx.meta[INTERRUPT_NOTE] = (
        f"the points finished so far are kept in {plan.out / 'points'}; "
        "run the same command again to run only the missing ones"
    )
    with _backend(jobs, scheduler) as backend, _progress() as bar:
        task = bar.add_task(f"{name}: {len(missing)} points", total=len(missing) * plan.replications)
        result = run_sweep(
            plan,
            backend,
            on_progress=lambda k: bar.advance(task, k),
            command=["investsim", *sys.argv[1:]],
        )
    _print_sweep(result, name)
    out_console.print(f"sweep written to {plan.out}", highlight=False, markup=False, soft_wrap=True)


def _print_sweep(result: SweepResult, name: str) -> None:
    metric = result.metrics[0].name
    table = result.table.sort_values(f"{metric}_mean", ascending=False, kind="stable")
    shown = table if len(table) <= 20 else pd.concat([table.head(5), table.tail(5)])
    view = Table(
        title=escape(
            f"{name}: {metric} by point, best first ({len(table)} points, "
            f"{result.manifest['replications']} replications each, seed {result.manifest['seed']})"
        ),
        title_justify="left",
    )
    view.add_column("")
    for p in result.paths:
        view.add_column(escape(p), justify="right")
    for col in ("mean", "95% interval", "P10", "P90"):
        view.add_column(col, justify="right")
    for rank, rec in enumerate(shown.to_dict("records")):
        label = "best" if rank == 0 else ("worst" if rank == len(shown) - 1 else "")
        view.add_row(
            label,
            *(escape(json.dumps(rec[p], ensure_ascii=False)) for p in result.paths),
            f"{rec[f'{metric}_mean']:,.1f}",
            f"{rec[f'{metric}_ci_low']:,.1f} to {rec[f'{metric}_ci_high']:,.1f}",
            f"{rec[f'{metric}_p10']:,.1f}",
            f"{rec[f'{metric}_p90']:,.1f}",
        )
    out_console.print(view)
    if result.reused:
        out_console.print(
            f"{result.reused} points reused from an earlier run, {result.ran} run now", highlight=False
        )


@cli.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option(
    "--param",
    "params",
    multiple=True,
    required=True,
    metavar="PATH=LOW:HIGH",
    help="A scenario key and its range; repeatable.",
)
@click.option("--method", type=click.Choice(["morris", "sobol"]), default="morris", show_default=True)
@click.option(
    "--samples",
    type=click.IntRange(min=2),
    help="Morris trajectories (default 10) or Sobol base size, a power of two (default 64).",
)
@click.option("--metric", default="cumulative_investment", show_default=True, help=METRIC_HELP)
@click.option(
    "-n",
    "--replications",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Per parameter set.",
)
@click.option("--seed", type=click.IntRange(min=0), help="Seed (default: the scenario's).")
@click.option("--out", type=click.Path(file_okay=False), help="Folder (default: results/<name>-sensitivity).")
@jobs_option
@scheduler_option
@overrides_option
def sensitivity(
    scenario: str,
    params: tuple[str, ...],
    method: str,
    samples: int | None,
    metric: str,
    replications: int,
    seed: int | None,
    out: str | None,
    jobs: int | None,
    scheduler: str | None,
    overrides: tuple[str, ...],
) -> None:
    """Rank which parameters of SCENARIO move METRIC most (SALib: Morris or Sobol)."""
    from investsim.analyses.sensitivity import plan_sensitivity, run_sensitivity

    name = _load(scenario, overrides).name
    target = check_out_dir(Path(out) if out else Path("results") / f"{name}-sensitivity")
    plan = plan_sensitivity(scenario, params, method, samples, metric, replications, seed, overrides)
    with _backend(jobs, scheduler) as backend, _progress() as bar:
        task = bar.add_task(
            f"{name}: {len(plan.scenarios)} parameter sets", total=len(plan.scenarios) * plan.replications
        )
        result = run_sensitivity(
            plan, backend, on_progress=lambda k: bar.advance(task, k), command=["investsim", *sys.argv[1:]]
        )
    result.save(target)
    _print_tornado(result, plan.metric.name, name)
    out_console.print(f"sensitivity written to {target}", highlight=False, markup=False, soft_wrap=True)


def _print_tornado(result: SensitivityResult, metric: str, name: str) -> None:
    key, conf = ("mu_star", "mu_star_conf") if result.method == "morris" else ("ST", "ST_conf")
    label = "mu*" if result.method == "morris" else "total-order index ST"
    table = result.table
    top = float(table[key].abs().max()) or 1.0
    view = Table(
        title=escape(f"{name}: what moves {metric} ({result.method}, {label})"), title_justify="left"
    )
    view.add_column("#", justify="right")
    view.add_column("parameter")
    view.add_column("range", justify="right")
    view.add_column(label, justify="right")
    view.add_column("")
    extra = ("sigma", "sigma_conf") if result.method == "morris" else ("S1", "S1_conf")
    view.add_column(extra[0], justify="right")
    for rec in table.to_dict("records"):
        bar = "█" * round(30 * abs(rec[key]) / top)
        view.add_row(
            str(rec["rank"]),
            escape(str(rec["parameter"])),
            f"{rec['low']:g} to {rec['high']:g}",
            f"{rec[key]:,.3g} ± {rec[conf]:,.2g}",
            bar,
            f"{rec[extra[0]]:,.3g} ± {rec[extra[1]]:,.2g}",
        )
    out_console.print(view)


@cli.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option(
    "--history",
    "histories",
    multiple=True,
    required=True,
    type=click.Path(dir_okay=False),
    help="CSV of observed figures: yearly (year, investment, starts, ...) or aggregate "
    "(from_year, to_year, metric, value[, min_size]); repeatable.",
)
@click.option(
    "--param", "params", multiple=True, required=True, metavar="PATH=LOW:HIGH", help="A parameter to fit."
)
@click.option(
    "-n", "--replications", type=click.IntRange(min=2), default=20, show_default=True, help="Per point."
)
@click.option(
    "--design",
    type=click.IntRange(min=3),
    help="Points per design round (default: 2 x the surface's terms, >= 10).",
)
@click.option(
    "--holdout", type=click.IntRange(min=0), default=0, show_default=True, help="Hold out the last K years."
)
@click.option("--seed", type=click.IntRange(min=0), help="Seed (default: the scenario's).")
@click.option("--out", type=click.Path(file_okay=False), help="Folder (default: results/<name>-calibration).")
@jobs_option
@scheduler_option
@overrides_option
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
) -> None:
    """Fit parameters of SCENARIO to observed history; write calibrated.yaml and the fit."""
    from investsim.analyses.calibrate import calibrate as run_calibration
    from investsim.analyses.calibrate import plan_calibration

    plan = plan_calibration(scenario, histories, params, replications, seed, overrides, holdout, design)
    target = check_out_dir(Path(out) if out else Path("results") / f"{plan.name}-calibration")
    with _backend(jobs, scheduler) as backend, _progress() as bar:
        task = bar.add_task(f"{plan.name}: calibrating", total=(2 * plan.design_size + 1) * plan.replications)
        result = run_calibration(
            plan, backend, on_progress=lambda k: bar.advance(task, k), command=["investsim", *sys.argv[1:]]
        )
    result.save(target)
    _print_calibration(result, plan.name)
    out_console.print(f"calibration written to {target}", highlight=False, markup=False, soft_wrap=True)


def _print_calibration(result: CalibrationResult, name: str) -> None:
    view = Table(title=escape(f"{name}: fitted parameters (95% bootstrap interval)"), title_justify="left")
    for col in ("parameter", "estimate", "interval", "range searched", ""):
        view.add_column(col, justify="left" if col == "parameter" else "right")
    for r in result.parameters.to_dict("records"):
        view.add_row(
            escape(str(r["parameter"])),
            f"{r['estimate']:.4g}",
            f"{r['ci_low']:.4g} to {r['ci_high']:.4g}",
            f"{r['low']:g} to {r['high']:g}",
            "at a bound: widen the range" if r["at_bound"] else "",
        )
    out_console.print(view)
    fit = Table(title="fit: observed against simulated at the estimate", title_justify="left")
    for col in ("figure", "used", "observed", "P10", "P50", "P90", "error"):
        fit.add_column(col, justify="left" if col in ("figure", "used") else "right")
    for r in result.fit.to_dict("records"):
        fit.add_row(
            escape(str(r["target"])),
            str(r["used"]),
            f"{r['observed']:,.1f}",
            f"{r['simulated_p10']:,.1f}",
            f"{r['simulated_p50']:,.1f}",
            f"{r['simulated_p90']:,.1f}",
            f"{r['relative_error']:+.1%}",
        )
    out_console.print(fit)
    out_console.print(f"MAPE of the fitted figures: {result.summary['mape']:.2%}", highlight=False)
    misses = result.summary["surface_misses"]
    if misses:
        out_console.print(
            f"warning: at the estimate the simulation misses what the fitted surface predicted for "
            f"{', '.join(misses)}: these parameters may not be able to reach the targets within their "
            "ranges (see design.csv), or need a wider or narrower range",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    if result.backtest is not None:
        mape = result.summary["backtest_mape"]
        out_console.print(
            "held-out years, MAPE: calibrated model {calibrated:.2%}, last value {last_value:.2%}, "
            "linear trend {linear_trend:.2%}".format(**mape),
            highlight=False,
        )


@cli.command()
@click.argument("folder", type=click.Path(file_okay=False))
@click.option(
    "--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True, help="Language of the report."
)
def report(folder: str, lang: str) -> None:
    """(Re)write the report of a results FOLDER: report.html and charts/ (and forecast.xlsx
    for a forecast). The kind of folder (run, compare, sweep, sensitivity) is found from its
    files."""
    from investsim.reporting.report import write_report  # matplotlib only when a report is written

    written = write_report(Path(folder), lang)
    out_console.print(f"report written to {written[0]}", highlight=False, markup=False, soft_wrap=True)


@cli.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editors)."""
    doc = ScenarioConfig.model_json_schema(by_alias=True)
    doc["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    doc["title"] = "investsim scenario"
    click.echo(json.dumps(doc, indent=2, ensure_ascii=False))


def main() -> None:
    """Entry point of the console script."""
    signal.signal(signal.SIGTERM, _on_sigterm)
    cli(prog_name="investsim")
