"""Simulate a scenario: run its replications and return a :class:`Forecast`.

>>> import investsim
>>> scenario = investsim.load_scenario("scenarios/liaoyuan/baseline.yaml", ["seed=7"])
>>> forecast = investsim.simulate(scenario, replications=100, jobs=2)
>>> forecast.annual          # yearly P10/P50/P90 of investment and growth
>>> forecast.replications    # one row per replication and year
"""

from __future__ import annotations

import math
import numbers
import platform
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from investsim.errors import InputError
from investsim.model.collect import ReplicationResult
from investsim.results.forecast import Forecast, project_frame, replications_frame
from investsim.results.monthly import monthly_frame, target_probabilities
from investsim.results.stats import mean_interval
from investsim.runs.runner import Backend, run_replications
from investsim.scenario.config import Scenario
from investsim.scenario.loading import scenario_sha256

KEY_PACKAGES = ("numpy", "scipy", "simpy", "pandas", "pydantic", "pyarrow")


def package_versions() -> dict[str, str]:
    """Versions of investsim, Python and the packages results depend on."""
    out = {"investsim": _version("investsim"), "python": platform.python_version()}
    out.update({name: _version(name) for name in KEY_PACKAGES})
    return out


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"


def simulate(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    jobs: int | Backend = 1,
    project_log: bool = False,
    on_progress: Callable[[int], None] | None = None,
    command: Sequence[str] | None = None,
    precision: float | None = None,
) -> Forecast:
    """Run ``scenario`` and return its :class:`~investsim.results.Forecast`.

    ``replications`` and ``seed`` default to the scenario's own; ``jobs`` is the number
    of worker processes or a :class:`~investsim.runner.Backend` (the numbers do not depend
    on it); ``project_log`` keeps one row per project and replication (memory grows with
    replications x projects).

    With ``precision`` (e.g. 0.005), replications are added in batches until the 95 %
    interval of the mean cumulative investment is narrower than ``precision`` of that
    mean on each side, or ``replications`` (the maximum) are done; the manifest says how
    many were needed. Replication r is the same whatever the batches, so the result is
    that of a run of that many replications.
    """
    _check_arguments(scenario, replications, seed, jobs, precision)
    c = scenario.config
    n = c.replications if replications is None else int(replications)
    s = c.seed if seed is None else int(seed)
    started = time.perf_counter()
    reached: dict[str, Any] | None = None
    if precision is None:
        results = run_replications(
            scenario, n, s, jobs=jobs, project_log=project_log, on_progress=on_progress
        )
    else:
        results, reached = _to_precision(scenario, precision, n, s, jobs, project_log, on_progress)
        n = len(results)
    wall = time.perf_counter() - started
    manifest = _manifest(scenario, n, s, jobs, _counts(results), command, wall, project_log)
    if reached is not None:
        manifest["precision"] = reached
    return _forecast(
        scenario,
        replications_frame(scenario, results),
        monthly_frame(scenario, results),
        project_frame(scenario, results) if project_log else None,
        manifest,
    )


def extend(
    forecast: Forecast,
    replications: int,
    jobs: int | Backend = 1,
    on_progress: Callable[[int], None] | None = None,
) -> Forecast:
    """``forecast`` with replications added, up to ``replications`` in all, with its seed:
    the same :class:`Forecast` a run of that many gives (replication r is the same in any
    batch), without running its own again; ``forecast`` itself if it has as many. The
    manifest is a new run's (``command`` kept, ``wall_time_s`` the two runs' together,
    no ``precision``: the count is no longer the one a precision rule chose)."""
    if not isinstance(forecast, Forecast):
        raise TypeError(f"forecast must be a Forecast, got {type(forecast).__name__}")
    _check_arguments(forecast.scenario, replications, None, jobs, None)
    first = int(forecast.replications["replication"].nunique())
    if replications <= first:
        return forecast
    scenario, before = forecast.scenario, forecast.manifest
    seed = int(before["seed"])
    project_log = forecast.projects is not None
    started = time.perf_counter()
    added = run_replications(
        scenario, replications - first, seed, jobs, project_log, on_progress, first=first
    )
    counts = {
        key: round(before[f"{key}_mean"] * first) + value  # sums of whole numbers: exact
        for key, value in _counts(added).items()
    }
    wall = float(before.get("wall_time_s") or 0.0) + time.perf_counter() - started
    manifest = _manifest(scenario, replications, seed, jobs, counts, before.get("command"), wall, project_log)
    monthly, projects = forecast.monthly, forecast.projects
    return _forecast(
        scenario,
        pd.concat([forecast.replications, replications_frame(scenario, added)], ignore_index=True),
        None if monthly is None else pd.concat([monthly, monthly_frame(scenario, added)], ignore_index=True),
        None
        if projects is None
        else pd.concat([projects, project_frame(scenario, added)], ignore_index=True),
        manifest,
    )


def _counts(results: Sequence[ReplicationResult]) -> dict[str, int]:
    """The whole numbers the manifest gives the mean of, summed over ``results``."""
    return {
        "key_projects": sum(r.key_projects for r in results),
        "key_projects_with_secretary": sum(r.key_with_secretary for r in results),
        "register_projects_replaced": sum(r.register_replaced for r in results),
        "events_per_replication": sum(r.events for r in results),
    }


def _manifest(
    scenario: Scenario,
    n: int,
    seed: int,
    jobs: int | Backend,
    counts: dict[str, int],
    command: Sequence[str] | None,
    wall: float,
    project_log: bool,
) -> dict[str, Any]:
    """What was run, how and with what: ``manifest.json`` of a run of ``n`` replications."""
    c = scenario.config
    return {
        "investsim_version": _version("investsim"),
        "scenario": c.name,
        "scenario_file": scenario.source,
        "scenario_sha256": scenario_sha256(scenario),
        "seed": seed,
        "replications": n,
        "jobs": jobs.jobs if isinstance(jobs, Backend) else jobs,
        "scheduler": jobs.scheduler if isinstance(jobs, Backend) else None,
        "project_log": project_log,
        "command": list(command) if command is not None else list(sys.argv),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_time_s": round(wall, 3),
        "money_unit": c.money_unit,
        "start_year": c.start_year,
        "horizon_years": c.horizon_years,
        **{f"{key}_mean": total / n for key, total in counts.items()},
        "policies": [
            {
                "name": ch.name,
                "from": ch.start,
                "years_after_start": round(ch.time, 6),
                "sets": list(ch.paths),
            }
            for ch in scenario.changes
        ],
        "versions": package_versions(),
        "resolved_scenario": c.model_dump(mode="json", by_alias=True),
    }


def _forecast(
    scenario: Scenario,
    table: pd.DataFrame,
    monthly: pd.DataFrame | None,
    projects: pd.DataFrame | None,
    manifest: dict[str, Any],
) -> Forecast:
    """The :class:`Forecast` of these tables, the targets' probabilities in its manifest."""
    targets = scenario.config.growth_targets
    if targets:
        found = target_probabilities(table, targets)
        manifest["targets"] = [
            {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
            for row in found.to_dict(orient="records")
        ]
    return Forecast(
        scenario=scenario, replications=table, projects=projects, manifest=manifest, monthly=monthly
    )


def _check_arguments(
    scenario: object, replications: object, seed: object, jobs: object, precision: object
) -> None:
    """Refuse wrong arguments here, in Python's terms, rather than deep in numpy or SimPy."""
    if not isinstance(scenario, Scenario):
        hint = (
            f": load it first, investsim.simulate(investsim.load_scenario({scenario!r}))"
            if isinstance(scenario, (str, Path))
            else ""
        )
        raise TypeError(
            f"scenario must be a Scenario from investsim.load_scenario, got {type(scenario).__name__}{hint}"
        )
    for name, value, low in (("replications", replications, 1), ("seed", seed, 0)):
        if value is None:
            continue
        if not isinstance(value, numbers.Integral) or isinstance(value, bool):
            raise TypeError(f"{name} must be a whole number (int), got {type(value).__name__} {value!r}")
        if not low <= int(value) <= 2**63 - 1:
            raise ValueError(f"{name}(={value}) must be between {low} and 2**63 - 1")
    if not isinstance(jobs, Backend) and (
        not isinstance(jobs, numbers.Integral) or isinstance(jobs, bool) or int(jobs) < 1
    ):
        raise TypeError(f"jobs must be a number of worker processes >= 1 or a Backend, got {jobs!r}")
    if precision is not None and (isinstance(precision, bool) or not isinstance(precision, numbers.Real)):
        raise TypeError(
            f"precision must be a share such as 0.005, got {type(precision).__name__} {precision!r}"
        )


PRECISION_STEP = 20
"""With ``precision``, the stopping rule is checked after every this many replications."""


def _to_precision(
    scenario: Scenario,
    precision: float,
    maximum: int,
    seed: int,
    jobs: int | Backend,
    project_log: bool,
    on_progress: Callable[[int], None] | None,
) -> tuple[list[ReplicationResult], dict[str, Any]]:
    if not 0 < precision < 1:
        raise InputError(f"--precision {precision}: give a share of the mean, e.g. 0.005 for 0.5 %")
    workers = jobs.workers() if isinstance(jobs, Backend) else jobs
    # batches big enough to keep every worker busy; the stopping rule is checked every
    # PRECISION_STEP replications whatever the batch, so the answer is the same for any
    # number of workers (replications past the first count that meets it are dropped)
    batch = PRECISION_STEP * max(1, math.ceil(8 * workers / PRECISION_STEP))
    results: list[ReplicationResult] = []
    share = math.inf
    checked = 0
    while len(results) < maximum:
        k = min(batch, maximum - len(results))
        results += run_replications(scenario, k, seed, jobs, project_log, on_progress, first=len(results))
        totals = np.array([r.investment_by_sector.sum() + r.background.sum() for r in results])
        counts = list(range(checked + PRECISION_STEP, len(results) + 1, PRECISION_STEP))
        if len(results) == maximum and (not counts or counts[-1] != maximum):
            counts.append(maximum)
        for n in counts:
            checked = n
            interval = mean_interval(totals[:n])
            if n >= 10 and interval.mean != 0:
                share = interval.half / abs(interval.mean)
                if share <= precision:
                    results = results[:n]
                    break
        if share <= precision:
            break
    return results, {
        "target": precision,
        "half_width_share": share,
        "replications_needed": len(results),
        "reached": share <= precision,
        "maximum": maximum,
        "checked_every": PRECISION_STEP,
    }
