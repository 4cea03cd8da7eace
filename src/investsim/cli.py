"""The ``investsim`` command line: parse, call the library, print.

Exit status: 0 done, 2 bad input (one clear message, no traceback), 1 anything else,
130 interrupted.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from investsim.api import simulate
from investsim.errors import InputError
from investsim.loading import default_scenario_path, load_scenario
from investsim.results import check_out_dir
from investsim.runner import default_jobs
from investsim.scenario import Scenario, ScenarioConfig

# wide enough for the tables when the output is piped (rich assumes 80 columns then)
out_console = Console(width=None if sys.stdout.isatty() else 120)
err_console = Console(stderr=True)


class _Group(click.Group):
    """Turns user errors into one line and status 2, interrupts into status 130."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InputError as e:
            err_console.print(f"error: {e}", highlight=False, markup=False, soft_wrap=True)
            ctx.exit(2)
        except KeyboardInterrupt:
            err_console.print("interrupted: no results were written", highlight=False)
            ctx.exit(130)


@click.group(cls=_Group)
@click.version_option(package_name="investsim")
def cli() -> None:
    """Forecast a region's fixed-asset investment pipeline from a scenario file."""


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
@click.option("--jobs", type=click.IntRange(min=1), help="Worker processes (default: one per core).")
@click.option(
    "--set", "overrides", multiple=True, metavar="PATH=VALUE", help="Override a scenario key; repeatable."
)
@click.option(
    "--project-log", is_flag=True, help="Also write projects.parquet (one row per project and replication)."
)
def run(
    scenario: str | None,
    replications: int | None,
    seed: int | None,
    out: str | None,
    jobs: int | None,
    overrides: tuple[str, ...],
    project_log: bool,
) -> None:
    """Run SCENARIO (default: the bundled Liaoyuan baseline) and write its forecast."""
    scn = _load(scenario, overrides)
    n = replications or scn.config.replications
    workers = min(jobs or default_jobs(), n)
    target = check_out_dir(Path(out) if out else Path("results") / scn.name)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    ) as bar:
        task = bar.add_task(f"{scn.name}: replications", total=n)
        forecast = simulate(
            scn,
            replications=n,
            seed=seed,
            jobs=workers,
            project_log=project_log,
            on_progress=lambda k: bar.advance(task, k),
            command=["investsim", *sys.argv[1:]],
        )
    written = forecast.save(target)
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
@click.option(
    "--set", "overrides", multiple=True, metavar="PATH=VALUE", help="Override a scenario key; repeatable."
)
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


@cli.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editors)."""
    doc = ScenarioConfig.model_json_schema(by_alias=True)
    doc["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    doc["title"] = "investsim scenario"
    click.echo(json.dumps(doc, indent=2, ensure_ascii=False))


def main() -> None:
    """Entry point of the console script."""
    cli(prog_name="investsim")
