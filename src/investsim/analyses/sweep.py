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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml

from investsim.analyses.arguments import (
    jobs_argument,
    names,
    optional_whole_number,
    python_terms,
    scenario_argument,
    start_argument,
)
from investsim.analyses.metrics import Metric, metric_columns, parse_metric, summarise
from investsim.analyses.params import apply_from, from_text, parse_from
from investsim.analyses.saving import FLOAT_FORMAT, plot
from investsim.errors import InputError
from investsim.results.folders import (
    atomic_folder,
    check_out_dir,
    write_file_atomic,
    write_manifest,
    write_report_or_warn,
)
from investsim.results.forecast import replications_frame
from investsim.results.monthly import monthly_frame
from investsim.runs.runner import Backend, Job, run_jobs
from investsim.scenario.config import Scenario
from investsim.scenario.loading import load_scenario, scenario_sha256

if TYPE_CHECKING:
    from matplotlib.figure import Figure

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
    """A finished sweep: one row per point in ``table`` (``sweep.csv``), each point's
    replications (``frames``, by point key), and how the points were obtained."""

    table: pd.DataFrame
    metrics: list[Metric]
    paths: list[str]
    ran: int
    reused: int
    manifest: dict[str, Any] = field(default_factory=dict)
    frames: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    """Each point's replications table, by the name of its file in ``points/``."""
    months: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    """Each point's per-replication months (``points/months/``), by the same name."""

    def __repr__(self) -> str:
        metrics = ", ".join(m.name for m in self.metrics) if self.metrics else "no metric"
        return (
            f"SweepResult({len(self.table)} points over {', '.join(self.paths)}; {metrics}; "
            f"{self.ran} run, {self.reused} reused)"
        )

    @property
    def long(self) -> pd.DataFrame:
        """The table as one value per row: the point (one column per grid key),
        ``replications``, ``metric`` (its name, e.g. ``investment:2025``), ``column`` (what
        it sums), ``first_year`` and ``last_year`` (the years summed), ``statistic``
        (``mean``, ``p10``, ``p50``, ``p90``, ``ci_low``, ``ci_high``) and ``value``."""
        parts = []
        for metric in self.metrics:
            for stat in STATS:
                part = self.table[[*self.paths, "replications"]].copy()
                part["metric"] = metric.name
                part["column"] = metric.column
                part["first_year"] = metric.first
                part["last_year"] = metric.last
                part["statistic"] = stat
                part["value"] = self.table[f"{metric.name}_{stat}"].to_numpy(dtype=float)
                parts.append(part)
        return pd.concat(parts, ignore_index=True)

    def save(self, out: str | Path, lang: str = "en") -> Path:
        """Write the sweep folder atomically (``points/`` with each point's replications,
        ``sweep.csv``, ``manifest.json``): the folder ``investsim sweep`` writes, with its
        report in ``lang``; returns its path."""
        target = check_out_dir(out)
        with atomic_folder(target) as tmp:
            (tmp / POINTS / MONTHS).mkdir(parents=True)
            for key, frame in self.frames.items():
                frame.to_parquet(tmp / POINTS / f"{key}.parquet", index=False)
            for key, months in self.months.items():
                months.to_parquet(tmp / POINTS / MONTHS / f"{key}.parquet", index=False)
            self.table.to_csv(tmp / "sweep.csv", index=False, float_format=FLOAT_FORMAT)
            write_manifest(tmp, self.manifest)
        write_report_or_warn(target, lang)
        return target

    def plot(self, metric: str | None = None, lang: str = "en") -> Figure:
        """The report's chart of ``metric`` (default: the first): its mean with the 95 %
        interval over the one grid, or a heat map over the first two."""
        return plot("sweep", {"sweep.csv": self.table}, self.manifest, lang, metric=metric)


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
    out: Path | None
    """The sweep folder written as the points finish (``None``: kept in memory)."""
    start: int | None = None
    """From when the points' values hold (None: the whole simulation)."""

    @property
    def applied_from(self) -> str:
        """From when the points' values hold, in words (a value inside a policy: its date)."""
        return from_text(self.start, [path for path, _ in self.grids])

    def missing(self) -> list[int]:
        """Points whose replications (and months, if a metric needs them) are not saved yet."""
        if self.out is None:
            return list(range(len(self.points)))
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
    """Parse the grids (``path=values`` text) and metrics, load the scenario file and
    every point's scenario (:func:`plan_grid`); ``InputError`` on any problem, before
    anything runs."""
    if not grids:
        raise InputError("give at least one --grid path=values")
    parsed = [parse_grid(g) for g in grids]
    base = load_scenario(scenario, overrides)
    return plan_grid(base, parsed, metrics, out, replications, seed, start, source=str(scenario))


def plan_grid(
    base: Scenario,
    grids: Sequence[tuple[str, list[Any]]],
    metrics: Sequence[str],
    out: str | Path | None = None,
    replications: int | None = None,
    seed: int | None = None,
    start: int | str | None = None,
    source: str | None = None,
) -> SweepPlan:
    """The sweep of ``base`` over every combination of the ``grids``' values (key path,
    values), each point's scenario checked; ``InputError`` before anything runs.

    Each point's values are in force from 1 January of ``start`` (default: ``start_year``,
    so the warm-up that builds the first year's pipeline is not rewritten), or over the
    whole simulation with ``start="whole"``."""
    points = grid_points(grids)
    n = replications or base.config.replications
    s = base.config.seed if seed is None else seed
    applied = parse_from(start, base, [path for path, _ in grids])
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
    folder = check_sweep_dir(out) if out is not None else None
    return SweepPlan(
        source if source is not None else base.source,
        [(path, list(values)) for path, values in grids],
        points,
        scenarios,
        keys,
        wanted,
        n,
        s,
        folder,
        applied,
    )


def run_sweep(
    plan: SweepPlan,
    jobs: int | Backend = 1,
    on_progress: Callable[[int], None] | None = None,
    command: Sequence[str] | None = None,
    lang: str = "en",
) -> SweepResult:
    """Run the points of ``plan`` not saved yet and summarise every point.

    With a sweep folder (``plan.out``), each point is saved as it finishes, then
    ``sweep.csv``, ``manifest.json`` (last: the sweep is done) and the report in ``lang``
    are written (a report that fails is a warning): the folder is written in place as the
    sweep runs, which is what lets a stopped sweep resume. Without one, the points stay in
    memory until :meth:`SweepResult.save`. ``command`` is recorded in the manifest.
    """
    from investsim.runs.simulate import package_versions

    folder = plan.out / POINTS if plan.out is not None else None
    if plan.out is not None and folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / MONTHS).mkdir(exist_ok=True)
        # the folder is being changed: an older sweep.csv no longer describes it
        for stale in ("manifest.json", "sweep.csv"):
            (plan.out / stale).unlink(missing_ok=True)
    todo = plan.missing()
    work = [Job(plan.scenarios[i], plan.replications, plan.seed) for i in todo]
    frames: dict[str, pd.DataFrame] = {}
    month_frames: dict[str, pd.DataFrame] = {}
    for k, results in run_jobs(work, jobs, on_progress):
        i = todo[k]
        frame = replications_frame(plan.scenarios[i], results)
        months = monthly_frame(plan.scenarios[i], results)
        frames[plan.keys[i]] = frame
        month_frames[plan.keys[i]] = months
        if folder is not None:
            # the months first: a point counts as saved once its replications are
            write_file_atomic(
                folder / MONTHS / f"{plan.keys[i]}.parquet", partial(months.to_parquet, index=False)
            )
            write_file_atomic(folder / f"{plan.keys[i]}.parquet", partial(frame.to_parquet, index=False))
    rows = []
    for point, key in zip(plan.points, plan.keys, strict=True):
        if folder is not None:
            # as saved: a resumed sweep summarises what the folder holds
            frames[key] = pd.read_parquet(folder / f"{key}.parquet")
            saved = folder / MONTHS / f"{key}.parquet"
            if saved.is_file():
                month_frames[key] = pd.read_parquet(saved)
        reps = frames[key]
        monthly = month_frames.get(key)
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
    ordered = {key: frames[key] for key in dict.fromkeys(plan.keys)}
    saved_months = {key: month_frames[key] for key in dict.fromkeys(plan.keys) if key in month_frames}
    result = SweepResult(
        table, plan.metrics, paths, len(todo), len(plan.points) - len(todo), manifest, ordered, saved_months
    )
    if plan.out is not None:
        write_file_atomic(
            plan.out / "sweep.csv", lambda p: table.to_csv(p, index=False, float_format=FLOAT_FORMAT)
        )
        write_file_atomic(
            plan.out / "manifest.json",
            lambda p: p.write_text(
                json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            ),
        )
        write_report_or_warn(plan.out, lang)
    return result


def _grid_argument(grid: object) -> list[tuple[str, list[Any]]]:
    """``grid`` (a mapping of key paths to lists of values) as (path, values) pairs."""
    example = "{'financing.sources.bank.supply': [40, 50, 60]}"
    if not isinstance(grid, Mapping) or not grid:
        raise TypeError(
            f"grid must be a mapping of key paths to lists of values, e.g. {example}, got {grid!r}"
        )
    out = []
    for path, values in grid.items():
        if not isinstance(path, str) or not path.strip():
            raise TypeError(f"grid: a key path must be a non-empty string, got {path!r}")
        if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
            raise TypeError(f"grid[{path!r}] must be a list of values, e.g. {example}, got {values!r}")
        # numpy numbers as Python ones: the manifest is JSON
        items = [v.item() if isinstance(v, np.generic) else v for v in values]
        if not items:
            raise ValueError(f"grid[{path!r}] is empty: give at least one value")
        if len(set(map(repr, items))) != len(items):
            raise ValueError(f"grid[{path!r}]: a value appears twice")
        out.append((path.strip(), items))
    return out


PYTHON_TERMS = {"--metric": "metric", "--from whole": 'start="whole"', "--from": "start", "--grid": "grid"}
"""The sweep's option names in its checks' messages, as the Python arguments."""


def sweep(
    scenario: Scenario,
    grid: Mapping[str, Sequence[Any]],
    metrics: str | Sequence[str] = "cumulative_investment",
    *,
    replications: int | None = None,
    seed: int | None = None,
    start: int | str | None = None,
    out: str | Path | None = None,
    jobs: int | Backend = 1,
    on_progress: Callable[[int], None] | None = None,
) -> SweepResult:
    """Run ``scenario`` at every combination of the ``grid``'s values: what ``investsim
    sweep`` does, from Python objects.

    ``grid`` maps key paths to lists of values (Python values, as
    :meth:`~investsim.Scenario.with_overrides` takes), e.g.
    ``{"financing.sources.bank.supply": [40, 50, 60]}``; several keys make a full
    factorial (the first varies slowest). ``metrics`` is one metric name or a list
    (``cumulative_investment``, ``cumulative_investment:Y1:Y2``, ``investment:Y``,
    ``growth:Y``, ``starts:Y``, ``completions:Y``, ``financing_gap:Y``). Every point runs
    with the same ``seed`` and ``replications`` (common random numbers). The values hold
    from 1 January of ``start`` (default: the scenario's start_year) or, with
    ``"whole"``, over the whole simulation. With ``out``, each point is saved in that
    folder as it finishes and a stopped sweep resumes there, as on the command line.

    Returns a :class:`SweepResult`: ``table`` (``sweep.csv``), ``long`` (one value per
    row), ``plot(...)`` and ``save(folder)``.
    """
    base = scenario_argument(scenario)
    grids = _grid_argument(grid)
    wanted = names("metrics", metrics)
    n = optional_whole_number("replications", replications, 2)
    s = optional_whole_number("seed", seed, 0)
    when = start_argument(start)
    workers = jobs_argument(jobs)
    try:
        plan = plan_grid(base, grids, wanted, out, n, s, when)
    except InputError as e:
        e.message = python_terms(e.message, PYTHON_TERMS)
        raise
    return run_sweep(plan, workers, on_progress)
