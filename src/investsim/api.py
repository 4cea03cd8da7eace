"""The Python API: what the command line calls, for notebooks and scripts too.

>>> import investsim
>>> scenario = investsim.load_scenario("scenarios/liaoyuan/baseline.yaml", ["seed=7"])
>>> forecast = investsim.simulate(scenario, replications=100, jobs=2)
>>> forecast.annual          # yearly P10/P50/P90 of investment and growth
>>> forecast.replications    # one row per replication and year
"""

from __future__ import annotations

import json
import platform
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from investsim.compare import Run, attribute, compare_runs, independent_seed
from investsim.errors import InputError
from investsim.loading import load_scenario, scenario_sha256
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


def load_run(folder: str | Path) -> Run:
    """A finished results folder (written by ``run``) as one side of a comparison."""
    path = Path(folder)
    manifest_file, table = path / "manifest.json", path / "replications.csv"
    if not manifest_file.is_file() or not table.is_file():
        raise InputError("not a results folder (needs manifest.json and replications.csv)", file=str(path))
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    return Run(str(manifest.get("scenario", path.name)), int(manifest.get("seed", -1)), pd.read_csv(table))


def compare_scenarios(
    base: str | Path,
    others: Sequence[str | Path],
    replications: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
    independent: bool = False,
    window: tuple[int, int] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> tuple[pd.DataFrame, list[Run]]:
    """Compare ``others`` with ``base``: each a scenario file or a results folder.

    Scenario files are run with the base's seed and replication count (common random
    numbers), or with unrelated streams with ``independent=True``. Returns the table of
    :func:`investsim.compare.compare_runs` and the runs (base first).
    """
    runs: list[Run] = []
    first_seed = seed
    n = replications
    for i, item in enumerate([base, *others]):
        path = Path(item)
        if path.is_dir():
            runs.append(load_run(path))
            continue
        scn = load_scenario(path)
        if n is None:
            n = scn.config.replications
        if first_seed is None:
            first_seed = scn.config.seed
        s = independent_seed(first_seed + i) if (independent and i > 0) else first_seed
        forecast = simulate(scn, replications=n, seed=s, jobs=jobs, on_progress=on_progress)
        runs.append(Run(scn.name, s, forecast.replications))
    return compare_runs(runs[0], runs[1:], window), runs


def attribute_policies(
    scenario: str | Path,
    replications: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
    window: tuple[int, int] | None = None,
    overrides: Sequence[str] = (),
) -> pd.DataFrame:
    """Shapley attribution of a scenario's difference from the same scenario without its
    policies: every subset of its policies is run with the same seed (common random
    numbers). At most 6 policies (64 runs)."""
    full = load_scenario(scenario, overrides)
    raw = full.resolved.get("policies") or []
    if not raw:
        raise InputError("has no policies to attribute", file=str(scenario), path="policies")
    if len(raw) > 6:
        raise InputError(
            f"has {len(raw)} policies; attribution runs every subset, at most 6",
            file=str(scenario),
            path="policies",
        )
    n = replications or full.config.replications
    s = full.config.seed if seed is None else seed
    runs: dict[frozenset[int], pd.DataFrame] = {}
    for mask in range(2 ** len(raw)):
        subset = [k for k in range(len(raw)) if mask >> k & 1]
        chosen = json.dumps([raw[k] for k in subset], ensure_ascii=False)
        scn = load_scenario(scenario, [*overrides, f"policies={chosen}"])
        runs[frozenset(subset)] = simulate(scn, replications=n, seed=s, jobs=jobs).replications
    years = full.years
    periods = [("total", years)]
    if window is not None:
        periods.append((f"{window[0]}-{window[1]}", [y for y in years if window[0] <= y <= window[1]]))
    names = [str(p.get("name", f"policy {k}")) for k, p in enumerate(raw)]
    return pd.concat([attribute(runs, names, p) for p in periods], ignore_index=True)
