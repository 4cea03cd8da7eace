"""The Python API: what the command line calls, for notebooks and scripts too.

>>> import investsim
>>> scenario = investsim.load_scenario("scenarios/liaoyuan/baseline.yaml", ["seed=7"])
>>> forecast = investsim.simulate(scenario, replications=100, jobs=2)
>>> forecast.annual          # yearly P10/P50/P90 of investment and growth
>>> forecast.replications    # one row per replication and year
"""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

from investsim.loading import scenario_sha256
from investsim.results import Forecast, project_frame, replications_frame
from investsim.runner import run_replications
from investsim.scenario import Scenario

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
    jobs: int = 1,
    project_log: bool = False,
    on_progress: Callable[[int], None] | None = None,
    command: Sequence[str] | None = None,
) -> Forecast:
    """Run ``scenario`` and return its :class:`~investsim.results.Forecast`.

    ``replications`` and ``seed`` default to the scenario's own; ``jobs`` is the number
    of worker processes (the numbers do not depend on it); ``project_log`` keeps one row
    per project and replication (memory grows with replications x projects).
    """
    c = scenario.config
    n = c.replications if replications is None else replications
    s = c.seed if seed is None else seed
    started = time.perf_counter()
    results = run_replications(scenario, n, s, jobs=jobs, project_log=project_log, on_progress=on_progress)
    wall = time.perf_counter() - started
    manifest: dict[str, Any] = {
        "investsim_version": _version("investsim"),
        "scenario": c.name,
        "scenario_file": scenario.source,
        "scenario_sha256": scenario_sha256(scenario),
        "seed": s,
        "replications": n,
        "jobs": jobs,
        "project_log": project_log,
        "command": list(command) if command is not None else list(sys.argv),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_time_s": round(wall, 3),
        "money_unit": c.money_unit,
        "start_year": c.start_year,
        "horizon_years": c.horizon_years,
        "key_projects_mean": sum(r.key_projects for r in results) / n,
        "key_projects_with_secretary_mean": sum(r.key_with_secretary for r in results) / n,
        "events_per_replication_mean": sum(r.events for r in results) / n,
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
    return Forecast(
        scenario=scenario,
        replications=replications_frame(scenario, results),
        projects=project_frame(scenario, results) if project_log else None,
        manifest=manifest,
    )
