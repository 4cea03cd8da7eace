"""``investsim compare``: differences from a base scenario, and their attribution."""

from __future__ import annotations

from pathlib import Path

import click

from investsim.analyses.compare import plan_comparison, run_comparison
from investsim.cli.common import (
    backend,
    command_line,
    jobs_option,
    lang_option,
    out_option,
    progress,
    replications_option,
    say,
    scheduler_option,
    seed_option,
)
from investsim.cli.printing import print_comparison
from investsim.errors import InputError
from investsim.results.folders import check_out_dir


def parse_window(text: str | None) -> tuple[int, int] | None:
    """``--window Y1:Y2`` -> (Y1, Y2); ``InputError`` if it is not that."""
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


def parse_months(text: str | None) -> tuple[int, int] | bool:
    """``--months Y``, ``Y1:Y2`` or ``all`` -> (Y1, Y2), or True (every year of the run);
    False without it; ``InputError`` if it is none of those."""
    if text is None:
        return False
    if text.strip().lower() == "all":
        return True
    if ":" in text:
        try:
            span = parse_window(text)
            assert span is not None  # text is given
            return span
        except InputError:
            raise InputError(f"--months must be a year, Y1:Y2 or all, got {text!r}") from None
    try:
        year = int(text)
    except ValueError:
        raise InputError(f"--months must be a year, Y1:Y2 or all, got {text!r}") from None
    return year, year


@click.command()
@click.argument("base", type=click.Path(exists=False))
@click.argument("others", nargs=-1, required=True, type=click.Path(exists=False))
@replications_option(2, "Replications (default: the base's).")
@seed_option("Seed (default: the base scenario's).")
@out_option("Folder for comparison.csv.")
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
@click.option(
    "--months",
    metavar="Y|Y1:Y2|all",
    help="Also compare each month of these years (investment, year-to-date total and growth); "
    "with --attribute, attribute each month too.",
)
@lang_option
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
    months: str | None,
    scheduler: str | None,
    lang: str,
) -> None:
    """Compare OTHERS with BASE: scenario files (run with common random numbers) or results folders."""
    span = parse_window(window)
    by_month = parse_months(months)
    plan = plan_comparison(
        base, others, replications, seed, independent, span, attribute, permutations, by_month
    )
    target = check_out_dir(Path(out) if out else Path("results") / plan.default_name)
    workers = backend(jobs, scheduler)
    with progress(workers, "replications", plan.simulations or None) as advance:
        comparison = run_comparison(plan, workers, advance, command_line())
    comparison.save(target, lang)
    print_comparison(comparison)
    say(f"comparison written to {target}")
