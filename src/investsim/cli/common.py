"""What the commands share: the consoles, their options, the backend and progress bar,
and how a command says what it left behind when it is stopped."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from investsim.errors import InputError
from investsim.runs.runner import Backend, default_jobs
from investsim.scenario.config import Scenario
from investsim.scenario.loading import default_scenario_path, load_scenario

F = TypeVar("F", bound=Callable[..., Any])

# wide enough for the tables when the output is piped (rich assumes 80 columns then)
out_console = Console(width=None if sys.stdout.isatty() else 120, emoji=False)
err_console = Console(stderr=True, emoji=False)

INTERRUPT_NOTE = "investsim.interrupt_note"
"""``ctx.meta`` key: what a command leaves behind when it is stopped (default below)."""
NOTHING_WRITTEN = "stopped before the results were complete; nothing was written"


def say(text: str) -> None:
    """Print a line of plain text (paths and names are never read as markup)."""
    out_console.print(text, highlight=False, markup=False, soft_wrap=True)


def command_line() -> list[str]:
    """The command as typed, for the manifest."""
    return ["investsim", *sys.argv[1:]]


def load(path: str | None, overrides: tuple[str, ...]) -> Scenario:
    """The scenario at ``path`` (default: the bundled baseline) with ``--set`` overrides;
    what is legal in it but probably not meant is printed as warnings on standard error."""
    scenario = load_scenario(path if path else default_scenario_path(), overrides)
    for warning in scenario.warnings:
        err_console.print(f"warning: {warning}", highlight=False, markup=False, soft_wrap=True)
    return scenario


def backend(jobs: int | None, scheduler: str | None, replications: int | None = None) -> Backend:
    """Where to run: --jobs local processes (at most one per replication), or Dask."""
    workers = jobs or default_jobs()
    if replications is not None and scheduler is None:
        workers = min(workers, replications)
    if scheduler is not None and scheduler != "local" and "://" not in scheduler:
        raise InputError(f"--scheduler {scheduler!r}: use 'local' or an address such as tcp://host:8786")
    return Backend(workers, scheduler)


@contextmanager
def progress(workers: Backend, description: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """Run on ``workers`` (closed at the end) under a progress bar on standard error, shown
    only on a terminal; yields the ``on_progress`` callback that advances it."""
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    )
    with workers, bar:
        task = bar.add_task(description, total=total)
        yield lambda k: bar.advance(task, k)


# ---------------------------------------------------------------------------- options

scenario_argument = click.argument("scenario", type=click.Path(dir_okay=False))
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
lang_option = click.option(
    "--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True, help="Language of the report."
)


def replications_option(minimum: int, help: str, default: int | None = None) -> Callable[[F], F]:
    """``-n/--replications``: at least ``minimum``, with a default shown in --help if any."""
    return click.option(
        "-n",
        "--replications",
        type=click.IntRange(min=minimum),
        default=default,
        show_default=default is not None,
        help=help,
    )


def seed_option(help: str = "Seed (default: the scenario's).") -> Callable[[F], F]:
    """``--seed``."""
    return click.option("--seed", type=click.IntRange(min=0), help=help)


def out_option(help: str) -> Callable[[F], F]:
    """``--out``: the results folder."""
    return click.option("--out", type=click.Path(file_okay=False), help=help)


def param_option(help: str) -> Callable[[F], F]:
    """``--param PATH=LOW:HIGH``, repeatable and required."""
    return click.option("--param", "params", multiple=True, required=True, metavar="PATH=LOW:HIGH", help=help)


def analysis_options(command: F) -> F:
    """--jobs, --scheduler and --set, in that order: the options every analysis of one
    scenario takes."""
    return jobs_option(scheduler_option(overrides_option(command)))
