"""Full-factorial sweeps of scenario parameters, with common random numbers, resumable.

Every point is the scenario with ``--set path=value`` for each grid, run with the same
seed and replication count, so differences between points are not sampling noise. Each
point's replications are saved in ``DIR/points/`` as soon as the point finishes; the
file name is a hash of the resolved scenario, seed and replication count, so running
the same sweep again skips the points already done, and a changed scenario never reuses
a stale point. ``sweep.csv`` and ``manifest.json`` are written only when every point is
done: a folder without them is a sweep in progress, not a result.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from investsim.analyses.metrics import Metric, metric_columns, parse_metric, summarise
from investsim.analyses.params import apply_from, from_text, parse_from
from investsim.analyses.saving import FLOAT_FORMAT
from investsim.errors import InputError
from investsim.results.folders import write_file_atomic, write_report_or_warn
from investsim.results.forecast import replications_frame
from investsim.results.monthly import monthly_frame
from investsim.runs.runner import Backend, Job, run_jobs
from investsim.scenario.config import Scenario
from investsim.scenario.loading import load_scenario, scenario_sha256

POINTS = "points"
MONTHS = "months"
"""Under ``points/``: each point's per-replication months (for metrics of a month)."""
STATS = ("mean", "p10", "p50", "p90", "ci_low", "ci_high")


def parse_grid(text: str) -> tuple[str, list[Any]]:
    """``path=v1,v2,...`` (values read as YAML) or ``path=low:high:steps`` (evenly spaced,
    both ends included) -> (path, values)."""
    path, sep, spec = text.partition("=")
    path = path.strip()
    where = f"--grid {text!r}"
    if not sep or not path or not spec.strip():
        raise InputError(f"{where}: write path=v1,v2,... or path=low:high:steps")
    if ":" in spec and "," not in spec:
        parts = spec.split(":")
        try:
            low, high = float(parts[0]), float(parts[1])
            steps = int(parts[2]) if len(parts) == 3 else -1
        except (ValueError, IndexError):
            raise InputError(
                f"{where}: write path=low:high:steps with numbers, e.g. {path}=20:40:5"
            ) from None
        if len(parts) != 3 or steps < 2:
            raise InputError(f"{where}: low:high:steps needs steps >= 2, e.g. {path}=20:40:5")
        if not (np.isfinite(low) and np.isfinite(high)):
            raise InputError(f"{where}: low and high must be finite numbers")
        # whole numbers stay whole, so that counts (capacities, secretaries) read naturally
        return path, [int(v) if float(v).is_integer() else float(v) for v in np.linspace(low, high, steps)]
    values = []
    for item in spec.split(","):
        if not item.strip():
            raise InputError(f"{where}: an empty value between commas")
        try:
            values.append(yaml.safe_load(item))
        except yaml.YAMLError:
            values.append(item.strip())
    if len(set(map(repr, values))) != len(values):
        raise InputError(f"{where}: a value appears twice")
    return path, values


def grid_points(grids: Sequence[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
    """Every combination of the grids' values (the first grid varies slowest)."""
    paths = [p for p, _ in grids]
    if len(set(paths)) != len(paths):
        raise InputError(f"--grid: a path is given twice ({', '.join(paths)})")
    return [dict(zip(paths, combo, strict=True)) for combo in itertools.product(*(v for _, v in grids))]


def point_key(scenario: Scenario, seed: int, replications: int) -> str:
    """Name of a point's saved replications: what determines them, hashed."""
    text = f"{scenario_sha256(scenario)}:{seed}:{replications}"
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def check_sweep_dir(out: str | Path) -> Path:
    """Check before any work that ``out`` can hold a sweep: new, empty or an earlier
    sweep (finished or not)."""
    path = Path(out).resolve()
    if path.exists() and not path.is_dir():
        raise InputError("is a file, not a folder: choose another --out", file=str(out))
    if path.is_dir() and any(path.iterdir()) and not (path / POINTS).is_dir():
        raise InputError(
            "the folder exists and is not a sweep folder (no points/); choose a new or empty folder",
            file=str(out),
        )
    return path


@dataclass
class SweepResult:
    """A finished sweep: one row per point in ``table``, and how the points were obtained."""

    table: pd.DataFrame
    metrics: list[Metric]
    paths: list[str]
    ran: int
    reused: int
    manifest: dict[str, Any] = field(default_factory=dict)


@dataclass
class SweepPlan:
    """A validated sweep, ready to run: every point's scenario is loaded and checked."""

    source: str
    grids: list[tuple[str, list[Any]]]
    points: list[dict[str, Any]]
    scenarios: list[Scenario]
    keys: list[str]
    metrics: list[Metric]
    replications: int
    seed: int
    out: Path
    start: int | None = None
    """From when the points' values hold (None: the whole simulation)."""

    @property
    def applied_from(self) -> str:
        """From when the points' values hold, in words (a value inside a policy: its date)."""
        return from_text(self.start, [path for path, _ in self.grids])

    def missing(self) -> list[int]:
        """Points whose replications (and months, if a metric needs them) are not saved yet."""
        months = any(m.month is not None for m in self.metrics)
        return [
            i
            for i, k in enumerate(self.keys)
            if not (self.out / POINTS / f"{k}.parquet").is_file()
            or (months and not (self.out / POINTS / MONTHS / f"{k}.parquet").is_file())
        ]


def plan_sweep(
    scenario: str | Path,
    grids: Sequence[str],
    metrics: Sequence[str],
    out: str | Path,
    replications: int | None = None,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    start: int | str | None = None,
) -> SweepPlan:
    """Parse the grids and metrics and load every point's scenario; ``InputError`` on any
    problem, before anything runs.

    Each point's values are in force from 1 January of ``start`` (default: ``start_year``,
    so the warm-up that builds the first year's pipeline is not rewritten), or over the
    whole simulation with ``start="whole"``."""
    if not grids:
        raise InputError("give at least one --grid path=values")
    parsed = [parse_grid(g) for g in grids]
    points = grid_points(parsed)
    base = load_scenario(scenario, overrides)
    n = replications or base.config.replications
    s = base.config.seed if seed is None else seed
    applied = parse_from(start, base, [path for path, _ in parsed])
    scenarios = []
    for point in points:
        try:  # validated values, not text: the file is read once
            scenarios.append(apply_from(base, point, applied))
        except InputError as e:
            raise InputError(f"grid point {json.dumps(point, ensure_ascii=False)}: {e}") from None
    wanted = [
        parse_metric(m, base.years, metric_columns(base), months=True)
        for m in (metrics or ["cumulative_investment"])
    ]
    keys = [point_key(scn, s, n) for scn in scenarios]
    return SweepPlan(
        str(scenario), parsed, points, scenarios, keys, wanted, n, s, check_sweep_dir(out), applied
    )


def run_sweep(
    plan: SweepPlan,
    jobs: int | Backend = 1,
    on_progress: Callable[[int], None] | None = None,
    command: Sequence[str] | None = None,
    lang: str = "en",
) -> SweepResult:
    """Run the points of ``plan`` not saved yet, save each as it finishes, then write
    ``sweep.csv``, ``manifest.json`` (last: the sweep is done) and the report in ``lang``
    (a report that fails is a warning). ``command`` is recorded in the manifest.

    A sweep folder is written in place as the sweep runs (that is what lets a stopped
    sweep resume), so unlike the other analyses' results there is nothing left to save.
    """
    from investsim.runs.simulate import package_versions

    folder = plan.out / POINTS
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MONTHS).mkdir(exist_ok=True)
    # the folder is being changed: an older sweep.csv no longer describes it
    for stale in ("manifest.json", "sweep.csv"):
        (plan.out / stale).unlink(missing_ok=True)
    todo = plan.missing()
    work = [Job(plan.scenarios[i], plan.replications, plan.seed) for i in todo]
    for k, results in run_jobs(work, jobs, on_progress):
        i = todo[k]
        frame = replications_frame(plan.scenarios[i], results)
        months = monthly_frame(plan.scenarios[i], results)
        # the months first: a point counts as saved once its replications are
        write_file_atomic(
            folder / MONTHS / f"{plan.keys[i]}.parquet", partial(months.to_parquet, index=False)
        )
        write_file_atomic(folder / f"{plan.keys[i]}.parquet", partial(frame.to_parquet, index=False))
    rows = []
    for point, key in zip(plan.points, plan.keys, strict=True):
        reps = pd.read_parquet(folder / f"{key}.parquet")
        saved = folder / MONTHS / f"{key}.parquet"
        monthly = pd.read_parquet(saved) if saved.is_file() else None
        row: dict[str, Any] = {**point, "replications": int(reps["replication"].nunique())}
        for metric in plan.metrics:
            summary = summarise(metric.values(reps, monthly))
            row.update({f"{metric.name}_{stat}": summary[stat] for stat in STATS})
        rows.append(row)
    table = pd.DataFrame(rows)
    paths = list(plan.points[0])
    manifest = {
        "command": list(command) if command is not None else None,
        "scenario_file": plan.source,
        "seed": plan.seed,
        "replications": plan.replications,
        "grid": dict(plan.grids),
        "applied_from": plan.applied_from,
        "points": len(plan.points),
        "points_run": len(todo),
        "points_reused": len(plan.points) - len(todo),
        "metrics": [m.name for m in plan.metrics],
        "versions": package_versions(),
    }
    write_file_atomic(
        plan.out / "sweep.csv", lambda p: table.to_csv(p, index=False, float_format=FLOAT_FORMAT)
    )
    write_file_atomic(
        plan.out / "manifest.json",
        lambda p: p.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"),
    )
    write_report_or_warn(plan.out, lang)
    return SweepResult(table, plan.metrics, paths, len(todo), len(plan.points) - len(todo), manifest)
