"""The commands on one scenario or one results folder: run, validate, report, schema."""

from __future__ import annotations

import json
from pathlib import Path

import click

from investsim.analyses.reforecast import MEASUREMENT_ERROR, MIN_ESS, WINTER_FACTOR, reforecast
from investsim.cli.common import (
    backend,
    command_line,
    err_console,
    jobs_option,
    lang_option,
    load,
    out_option,
    overrides_option,
    progress,
    replications_option,
    say,
    scenario_argument,
    scheduler_option,
    seed_option,
)
from investsim.cli.printing import (
    print_forecast,
    print_precision,
    print_reforecast,
    print_scenario,
    print_targets,
)
from investsim.errors import InputError
from investsim.results.actuals import read_actuals
from investsim.results.folders import check_out_dir
from investsim.runs.simulate import simulate
from investsim.scenario.config import Scenario, ScenarioConfig


def with_targets(scenario: Scenario, texts: tuple[str, ...]) -> Scenario:
    """``scenario`` with the growth targets of ``--target`` (``0.08`` for every year,
    ``2021=0.08`` for one; a year's own target wins over the one for every year)."""
    if not texts:
        return scenario
    every: float | None = None
    by_year: dict[int, float] = {}
    for text in texts:
        year, sep, value = text.rpartition("=")
        try:
            number = float(value)
            if sep:
                by_year[int(year)] = number
            else:
                every = number
        except ValueError:
            raise InputError(
                f"--target {text!r}: write a growth as a share, 0.08 for 8 % (every year), or YEAR=0.08"
            ) from None
    if every is not None and not by_year:
        return scenario.with_overrides({"targets": {"growth": every}})
    if every is not None:
        by_year = {y: by_year.get(y, every) for y in scenario.years}
    return scenario.with_overrides({"targets": {"growth": by_year}})


@click.command()
@click.argument("scenario", required=False, type=click.Path(dir_okay=False))
@replications_option(1, "Replications (default: the scenario's).")
@seed_option()
@out_option("Results folder (default: results/<scenario name>).")
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
    help="Add replications in batches until the 95% interval of cumulative investment is within "
    "P of its mean (e.g. 0.005); -n is then the maximum (default 10000).",
)
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="[YEAR=]G",
    help="Annual growth target, as a share: 0.08 for every year, 2021=0.08 for one (repeatable); "
    "the run gives the probability of meeting it.",
)
@click.option(
    "--actuals",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Published year-to-date figures (CSV or .xlsx: period, year, ytd_investment and/or "
    "ytd_growth): also give the forecast given them (the in-year re-forecast).",
)
@click.option(
    "--actuals-sheet", metavar="NAME", help="The sheet of an Excel --actuals file (default: the first)."
)
@click.option(
    "--measurement-error",
    type=click.FloatRange(min=0, max=1, min_open=True),
    default=MEASUREMENT_ERROR,
    show_default=True,
    metavar="S",
    help="With --actuals: the lognormal relative error of a published figure (0.05 = 5 %).",
)
@click.option(
    "--winter-factor",
    type=click.FloatRange(min=1),
    default=WINTER_FACTOR,
    show_default=True,
    metavar="K",
    help="With --actuals: a period that ends before construction opens (1-2月, 1-3月 with an April "
    "season) counts with K times the measurement error (its growth is on a small winter base).",
)
@click.option(
    "--min-ess",
    type=click.FloatRange(min=1),
    default=MIN_ESS,
    show_default=True,
    help="With --actuals: add replications while the effective sample size is below this.",
)
@click.option(
    "--max-replications",
    type=click.IntRange(min=1),
    help="With --actuals: replications at most when adding (default: 10 times -n).",
)
@lang_option
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
    targets: tuple[str, ...],
    actuals: str | None,
    actuals_sheet: str | None,
    measurement_error: float,
    winter_factor: float,
    min_ess: float,
    max_replications: int | None,
    lang: str,
) -> None:
    """Run SCENARIO (default: the bundled Liaoyuan baseline) and write its forecast; with
    --actuals, also the forecast given the figures published so far."""
    scn = with_targets(load(scenario, overrides), targets)
    published = None
    if actuals is not None:
        published = read_actuals(actuals, actuals_sheet)
        published.check_years(scn)  # before any work
    elif actuals_sheet is not None:
        raise InputError("--actuals-sheet needs --actuals FILE")
    n = replications or (10_000 if precision else scn.config.replications)
    workers = backend(jobs, scheduler, n)
    target = check_out_dir(Path(out) if out else Path("results") / scn.name)
    with progress(workers, f"{scn.name}: replications", None if precision else n) as advance:
        forecast = simulate(
            scn,
            replications=n,
            seed=seed,
            jobs=workers,
            project_log=project_log,
            on_progress=advance,
            command=command_line(),
            precision=precision,
        )
    given = None
    if published is not None:
        with progress(workers, f"{scn.name}: replications added for the actuals", None) as advance:
            given = reforecast(
                forecast,
                published,
                measurement_error=measurement_error,
                winter_factor=winter_factor,
                min_ess=min_ess,
                max_replications=max_replications,
                jobs=workers,
                on_progress=advance,
            )
        forecast = given.forecast
        written = given.save(target, lang=lang)
    else:
        written = forecast.save(target, lang=lang)
    reached = forecast.manifest.get("precision")
    if reached and precision:
        print_precision(reached, precision, n)
    print_forecast(forecast, lang)
    print_targets(forecast, lang)
    warnings = list(forecast.warnings)
    if given is not None:
        print_reforecast(given, lang)
        warnings += given.warnings
    for warning in warnings:
        err_console.print(f"warning: {warning}", highlight=False, markup=False, soft_wrap=True)
    say(f"results written to {written}")


@click.command()
@scenario_argument
@overrides_option
def validate(scenario: str, overrides: tuple[str, ...]) -> None:
    """Check SCENARIO and print a short summary of it."""
    print_scenario(load(scenario, overrides))


@click.command()
@click.argument("folder", type=click.Path(file_okay=False))
@lang_option
def report(folder: str, lang: str) -> None:
    """(Re)write the report of a results FOLDER: report.html and charts/ (and forecast.xlsx
    for a forecast). The kind of folder (run, compare, sweep, sensitivity, calibrate) is
    found from its files."""
    from investsim.reporting.report import write_report  # matplotlib only when a report is written

    written = write_report(Path(folder), lang)
    say(f"report written to {written[0]}")


@click.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editors)."""
    doc = ScenarioConfig.model_json_schema(by_alias=True)
    doc["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    doc["title"] = "investsim scenario"
    click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
