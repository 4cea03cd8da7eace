"""The Python API: what the command line calls, for notebooks and scripts too.

>>> import investsim
>>> scenario = investsim.load_scenario("scenarios/liaoyuan/baseline.yaml", ["seed=7"])
>>> forecast = investsim.simulate(scenario, replications=100, jobs=2)
>>> forecast.annual          # yearly P10/P50/P90 of investment and growth
>>> forecast.replications    # one row per replication and year
"""

from __future__ import annotations

import json
import math
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
from scipy import special

from investsim.compare import (
    Run,
    attribute,
    compare_runs,
    independent_seed,
    prefix_coalitions,
    sample_permutations,
)
from investsim.errors import InputError
from investsim.loading import load_scenario, scenario_sha256
from investsim.model import ReplicationResult
from investsim.results import Forecast, project_frame, replications_frame
from investsim.runner import Backend, run_replications
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
    c = scenario.config
    n = c.replications if replications is None else replications
    s = c.seed if seed is None else seed
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
    manifest: dict[str, Any] = {
        "investsim_version": _version("investsim"),
        "scenario": c.name,
        "scenario_file": scenario.source,
        "scenario_sha256": scenario_sha256(scenario),
        "seed": s,
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
    if reached is not None:
        manifest["precision"] = reached
    return Forecast(
        scenario=scenario,
        replications=replications_frame(scenario, results),
        projects=project_frame(scenario, results) if project_log else None,
        manifest=manifest,
    )


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
    batch = max(20, 8 * workers)
    results: list[ReplicationResult] = []
    share = math.inf
    while len(results) < maximum:
        k = min(batch, maximum - len(results))
        results += run_replications(scenario, k, seed, jobs, project_log, on_progress, first=len(results))
        totals = np.array([r.investment_by_sector.sum() + r.background.sum() for r in results])
        if len(totals) >= 10 and totals.mean() != 0:
            half = special.stdtrit(len(totals) - 1, 0.975) * totals.std(ddof=1) / math.sqrt(len(totals))
            share = float(half / abs(totals.mean()))
            if share <= precision:
                break
    return results, {
        "target": precision,
        "half_width_share": share,
        "replications_needed": len(results),
        "reached": share <= precision,
        "maximum": maximum,
        "batch": batch,
    }


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
    jobs: int | Backend = 1,
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


EXACT_ATTRIBUTION_MAX = 6
"""Up to this many policies, attribution runs every subset (2^k runs); beyond it, it
samples permutations."""


def attribute_policies(
    scenario: str | Path,
    replications: int | None = None,
    seed: int | None = None,
    jobs: int | Backend = 1,
    window: tuple[int, int] | None = None,
    overrides: Sequence[str] = (),
    permutations: int = 12,
    on_progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Shapley attribution of a scenario's difference from the same scenario without its
    policies, all runs with the same seed (common random numbers).

    With at most :data:`EXACT_ATTRIBUTION_MAX` policies every subset is run and the values
    are exact; with more, ``permutations`` orders of the policies are sampled (antithetic
    pairs) and only their prefix coalitions are run. Either way the parts add up to the
    total difference exactly; the ``method`` column says which was used.
    """
    full = load_scenario(scenario, overrides)
    raw = full.resolved.get("policies") or []
    if not raw:
        raise InputError("has no policies to attribute", file=str(scenario), path="policies")
    if permutations < 2:
        raise InputError(f"permutations(={permutations}) must be >= 2")
    n = replications or full.config.replications
    s = full.config.seed if seed is None else seed
    k = len(raw)
    orders: list[list[int]] | None = None
    if k <= EXACT_ATTRIBUTION_MAX:
        coalitions = [frozenset(i for i in range(k) if mask >> i & 1) for mask in range(2**k)]
    else:
        orders = sample_permutations(k, permutations, s)
        coalitions = sorted(prefix_coalitions(orders), key=lambda c: (len(c), sorted(c)))
    runs: dict[frozenset[int], pd.DataFrame] = {}
    for subset in coalitions:
        chosen = json.dumps([raw[i] for i in sorted(subset)], ensure_ascii=False)
        scn = load_scenario(scenario, [*overrides, f"policies={chosen}"])
        runs[subset] = simulate(scn, replications=n, seed=s, jobs=jobs, on_progress=on_progress).replications
    years = full.years
    periods = [("total", years)]
    if window is not None:
        periods.append((f"{window[0]}-{window[1]}", [y for y in years if window[0] <= y <= window[1]]))
    names = [str(p.get("name", f"policy {i}")) for i, p in enumerate(raw)]
    return pd.concat([attribute(runs, names, p, orders) for p in periods], ignore_index=True)


def attribution_runs(scenario: str | Path, permutations: int = 12, seed: int | None = None) -> int:
    """How many scenario runs :func:`attribute_policies` makes (for progress bars)."""
    scn = load_scenario(scenario)
    k = len(scn.resolved.get("policies") or [])
    if k <= EXACT_ATTRIBUTION_MAX:
        return 2**k
    s = scn.config.seed if seed is None else seed
    return len(prefix_coalitions(sample_permutations(k, permutations, s)))
