"""Calibrate scenario parameters to observed history: a design, a surrogate, a bootstrap.

Why a design and a surrogate rather than an optimiser driving the simulation: a
replication's output jumps when one project crosses a year boundary, so even with common
random numbers the simulated objective is rough at small scales and a local optimiser
stalls on it; a quadratic response surface fitted to a space-filling design smooths that
noise away, its optimum is found exactly, and it makes the uncertainty of the estimate
cheap to compute: resampling the replications (a bootstrap) and re-fitting the surface
needs no new simulation.

Steps: (1) a Latin hypercube over the parameter box; (2) a second, local hypercube in a box
half as wide around the first estimate; (3) a quadratic surface per target fitted to the
local design's mean outputs, minimised within the box; (4) 200 bootstrap resamples of the
replications, each re-fitted and re-minimised, give the estimate's interval; (5) a check
run at the estimate gives the fit (observed against simulated P10/P50/P90, RMSE, MAPE);
(6) whether the targets are within reach (below).

The interval (:func:`interval_of`) is the percentile interval of the bootstrap estimates,
widened to the estimate ± 1.96 bootstrap standard errors where that is wider (when most
resamples pile up on one value and a few land far away, the percentile interval alone
would be a point while the bootstrap says the estimate is uncertain), clipped to the
range; and widened to every value run whose simulated figures are identical to the
estimate's (a plateau: under common random numbers a lever with no effect gives the same
replications to the last bit, so every value on it fits exactly as well, which no
resample of the replications can show).

Within reach (step 6). Each parameter is run at both ends of its range, the others at the
estimate (an end the estimate sits at is the check run). The bound where the fit is best
is the estimate's, or an end that fits better than the estimate by more than the noise
(a paired bootstrap of the replications: the surface can miss a bound, as with a
response in steps). There the parameter is run once more a tenth of the range inside.
If the fit there is worse, by more than the noise, the fit still improves beyond the
bound; if moreover continuing the figures' trend over that tenth, for up to another whole
range and to a value the key accepts, would meet the targets (MAPE below 5 %): **widen
the range**. If it improves but the trend would not meet the targets, or the fit is
flat or saturating at the bound (or on a plateau that reaches it), widening will not
help.
When the targets are not met (MAPE of 5 % or more) and no parameter asks for a wider
range, the targets are **out of reach** of these parameters: the best fit, the figure it
misses most and what binds at the estimate (:func:`investsim.analyses.binds.what_binds`)
are reported.

The objective is the sum of squared relative errors of the targets (so investment in
money and counts of projects weigh alike). Every simulation uses the same seed.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.stats import qmc

from investsim.analyses.arguments import (
    jobs_argument,
    optional_whole_number,
    python_terms,
    ranges,
    scenario_argument,
    whole_number,
)
from investsim.analyses.binds import binding_over
from investsim.analyses.history import Target, history_from_frame, read_history
from investsim.analyses.params import Param, check_param, param_values, parse_param
from investsim.analyses.saving import plot, save_folder
from investsim.analyses.surface import FloatArray, Surface, loo_r2, minimise, objective
from investsim.errors import InputError
from investsim.results.folders import check_out_dir
from investsim.results.forecast import replications_frame
from investsim.results.stats import normal_quantile, standard_error
from investsim.runs.runner import Backend, Job, run_jobs
from investsim.runs.simulate import package_versions
from investsim.scenario.config import Scenario
from investsim.scenario.loading import apply_override, load_scenario, scenario_sha256
from investsim.scenario.overrides import is_policy_path, unshare

if TYPE_CHECKING:
    from matplotlib.figure import Figure

BOOTSTRAP = 200
REACHED_MAPE = 0.05
"""Targets whose mean absolute percentage error at the estimate is below this are met."""
STEP = 0.1
"""Share of the range a parameter at a bound is moved inside it to see whether the fit
still improves towards the bound."""


History = str | Path | pd.DataFrame
"""Observed history: a CSV file's path, or a DataFrame in one of its layouts."""


@dataclass
class CalibrationPlan:
    """A validated calibration: targets, parameters and the base overrides."""

    source: str
    overrides: list[str]
    params: list[Param]
    targets: list[Target]
    holdout: list[Target]
    replications: int
    seed: int
    design_size: int
    name: str
    years: list[int]
    histories: list[str] = field(default_factory=list)
    holdout_years: int = 0
    base: Scenario | None = None
    """The scenario with ``overrides``, loaded once: every design point derives from it."""

    def bounds(self) -> tuple[FloatArray, FloatArray]:
        """The parameters' lower and upper bounds."""
        return np.array([p.low for p in self.params]), np.array([p.high for p in self.params])

    @property
    def figures(self) -> list[Target]:
        """Every figure simulated: the targets, then the held-out ones."""
        return [*self.targets, *self.holdout]


def plan_calibration(
    scenario: str | Path,
    histories: Sequence[History],
    params: Sequence[str],
    replications: int = 20,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    holdout: int = 0,
    design: int | None = None,
) -> CalibrationPlan:
    """Read and check everything; ``InputError`` before anything runs."""
    if not histories:
        raise InputError("give --history FILE.csv")
    if not params:
        raise InputError("give at least one --param path=low:high")
    targets, min_size = _read_histories(histories)
    extra = list(overrides)
    if min_size is not None:
        extra.append(f"large_project_threshold={min_size!r}")
    base = load_scenario(scenario, extra)
    parsed = [parse_param(p) for p in params]
    return plan_fit(
        base, targets, histories, parsed, replications, seed, holdout, design, str(scenario), extra
    )


def plan_fit(
    base: Scenario,
    targets: list[Target],
    histories: Sequence[History],
    parsed: Sequence[Param],
    replications: int = 20,
    seed: int | None = None,
    holdout: int = 0,
    design: int | None = None,
    source: str | None = None,
    overrides: Sequence[str] = (),
) -> CalibrationPlan:
    """The calibration of ``base`` (loaded with ``overrides`` from ``source``, if from a
    file) to the ``targets`` read from ``histories``, over the parameters ``parsed``,
    checked; ``InputError`` before anything runs."""
    years = base.years
    for t in targets:
        if t.first < years[0] or t.last > years[-1]:
            raise InputError(
                f"history figure {t.label} is outside the scenario's years {years[0]}-{years[-1]}; "
                "set start_year and horizon_years to cover the history (e.g. --set start_year=...)"
            )
    if len({p.path for p in parsed}) != len(parsed):
        raise InputError("--param: a path is given twice")
    checked = [check_param(base, p) for p in parsed]
    targets, held = _hold_out(targets, holdout)
    if len(targets) < len(checked):
        raise InputError(
            f"{len(targets)} figures cannot identify {len(checked)} parameters: give more history or fewer --param"
        )
    d = len(checked)
    terms = 1 + d + d * (d + 1) // 2
    m = design or max(10, 2 * terms)
    if m < terms + 2:
        raise InputError(
            f"--design {m}: a quadratic surface in {d} parameters needs at least {terms + 2} points"
        )
    s = base.config.seed if seed is None else seed
    sources = [history_label(h, k) for k, h in enumerate(histories)]
    return CalibrationPlan(
        source if source is not None else base.source,
        list(overrides),
        checked,
        targets,
        held,
        replications,
        s,
        m,
        base.name,
        years,
        sources,
        holdout,
        base,
    )


def _read_histories(histories: Sequence[History]) -> tuple[list[Target], float | None]:
    """The targets of every history (a CSV file or a DataFrame), and the one ``min_size`` of
    their large ones."""
    targets: list[Target] = []
    min_size: float | None = None
    for k, h in enumerate(histories):
        label = history_label(h, k)
        found, m = history_from_frame(h, label) if isinstance(h, pd.DataFrame) else read_history(h)
        if m is not None:
            if min_size is not None and m != min_size:
                raise InputError("every *_large target must use the same min_size", file=label)
            min_size = m
        targets.extend(found)
    return targets, min_size


def history_label(history: History, k: int) -> str:
    """How messages and the manifest name a history: its file, or ``history[k]
    (DataFrame, N rows)``."""
    if isinstance(history, pd.DataFrame):
        return f"history[{k}] (DataFrame, {len(history)} rows)"
    return str(history)


def _hold_out(targets: list[Target], holdout: int) -> tuple[list[Target], list[Target]]:
    """The targets to fit, and those of the last ``holdout`` years to hold out."""
    if not holdout:
        return targets, []
    yearly_years = sorted({t.first for t in targets if t.first == t.last})
    if holdout >= len(yearly_years):
        raise InputError(
            f"--holdout {holdout}: the history has {len(yearly_years)} years; keep at least one to fit"
        )
    cut = yearly_years[-holdout]
    held = [t for t in targets if t.first == t.last and t.first >= cut]
    return [t for t in targets if t not in held], held


@dataclass
class CalibrationResult:
    """Estimates (``parameters``), the fit at them (``fit``), the evaluated ``design``, the
    backtest when some years were held out, and the manifest, for ``plan``."""

    plan: CalibrationPlan
    parameters: pd.DataFrame
    fit: pd.DataFrame
    design: pd.DataFrame
    backtest: pd.DataFrame | None
    estimate: dict[str, float]
    summary: dict[str, Any] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        estimate = ", ".join(f"{k} = {v:,.4g}" for k, v in self.estimate.items())
        return f"CalibrationResult({estimate})"

    def save(self, out: str | Path, lang: str = "en") -> Path:
        """Write the calibration folder atomically (``parameters.csv``, ``fit.csv``,
        ``design.csv``, ``backtest.csv`` with held-out years, ``calibrated.yaml`` and
        ``manifest.json``), then its report in ``lang``; returns its path. A report that
        fails is a warning: the results are kept."""
        target = check_out_dir(out)
        tables = {"parameters.csv": self.parameters, "fit.csv": self.fit, "design.csv": self.design}
        if self.backtest is not None:
            tables["backtest.csv"] = self.backtest
        texts = {"calibrated.yaml": calibrated_yaml(self.plan, self, target)}
        return save_folder(target, tables, self.manifest, lang=lang, texts=texts)

    def plot(self, lang: str = "en") -> Figure:
        """The report's chart of the fit: each observed figure against the simulated
        P10 / P50 / P90 at the estimate."""
        return plot("fit", {"fit.csv": self.fit}, self.manifest, lang)


@dataclass
class _Search:
    """The two design rounds (unit-box points ``u``, simulated figures ``y``: points x
    replications x figures), the local box, its surface and the best point on it."""

    u1: FloatArray
    y1: FloatArray
    u2: FloatArray
    y2: FloatArray
    lo: FloatArray
    hi: FloatArray
    local: Surface
    best: FloatArray


def run_calibration(
    plan: CalibrationPlan,
    jobs: int | Backend = 1,
    on_progress: Callable[[int], None] | None = None,
    command: Sequence[str] | None = None,
) -> CalibrationResult:
    """Fit ``plan``'s parameters to its targets (see the module docstring for the method);
    ``command`` is recorded in the manifest."""
    started = time.perf_counter()
    low, high = plan.bounds()
    evaluate = partial(_evaluate, plan, jobs, on_progress)
    search = _search(plan, evaluate)
    boot = _bootstrap(plan, search)
    estimate_values = low + search.best * (high - low)
    estimate_values = np.array(
        [round(v) if p.whole else float(v) for p, v in zip(plan.params, estimate_values, strict=True)]
    )
    design = _design_table(plan, search)
    # the check run: the estimate itself, simulated
    check_frame = _frames(plan, jobs, on_progress, estimate_values[None, :])[0]
    check = _figures(plan, check_frame)
    fit = _fit_table(plan, search, check)
    summary = _summary(plan, search, fit, check)
    # step 6: each parameter's ends, simulated (the others at the estimate)
    end_values = _end_values(plan, estimate_values)
    end_frames = _frames(plan, jobs, None, np.array([v for _, _, v in end_values])) if end_values else []
    ends = {(j, b): _figures(plan, f) for (j, b, _), f in zip(end_values, end_frames, strict=True)}
    points = [(low + u * (high - low), y) for u, y in zip(search.u1, search.y1, strict=True)]
    points += [(low + u * (high - low), y) for u, y in zip(search.u2, search.y2, strict=True)]
    points += [(v, ends[(j, b)]) for j, b, v in end_values]
    plateaus = _plateaus(plan, points, check, estimate_values)
    edges, steps = _edges(plan, jobs, estimate_values, check, ends, plateaus)
    parameters = _parameters_table(plan, estimate_values, boot, plateaus, edges)
    summary["reach"] = _reach(plan, parameters, fit, check_frame, summary)
    summary["simulations"] += (len(end_values) + steps) * plan.replications
    backtest = _backtest(plan, fit) if plan.holdout else None
    if backtest is not None:
        summary["backtest_mape"] = {
            c: float(backtest[f"{c}_relative_error"].abs().mean())
            for c in ("calibrated", "last_value", "linear_trend")
        }
    estimate = {p.path: float(v) for p, v in zip(plan.params, estimate_values, strict=True)}
    manifest = {
        "command": list(command) if command is not None else None,
        "scenario_file": plan.source,
        "histories": list(plan.histories),
        "seed": plan.seed,
        # history is fitted as a whole: the parameters hold from the first simulated day
        "applied_from": "the whole simulation (warm-up included)",
        "interval_method": INTERVAL_METHOD,
        "replications_per_point": plan.replications,
        "design_points_per_round": plan.design_size,
        "holdout_years": plan.holdout_years,
        "estimate": estimate,
        **summary,
        "wall_time_s": round(time.perf_counter() - started, 3),
        "versions": package_versions(),
    }
    return CalibrationResult(plan, parameters, fit, design, backtest, estimate, summary, manifest)


def _evaluate(
    plan: CalibrationPlan, jobs: int | Backend, on_progress: Callable[[int], None] | None, units: FloatArray
) -> FloatArray:
    """Simulated figures (points x replications x figures) at unit-box points."""
    low, high = plan.bounds()
    frames = _frames(plan, jobs, on_progress, low + units * (high - low))
    return np.stack([_figures(plan, f) for f in frames])


def _frames(
    plan: CalibrationPlan,
    jobs: int | Backend,
    on_progress: Callable[[int], None] | None,
    values: FloatArray,
) -> list[pd.DataFrame]:
    """The replications tables of the parameter values ``values`` (points x parameters)."""
    scenarios = [_scenario(plan, v) for v in values]
    frames: dict[int, pd.DataFrame] = {}
    work = [Job(s, plan.replications, plan.seed) for s in scenarios]
    for k, results in run_jobs(work, jobs, on_progress):
        frames[k] = replications_frame(scenarios[k], results)
    return [frames[k] for k in range(len(scenarios))]


def _figures(plan: CalibrationPlan, frame: pd.DataFrame) -> FloatArray:
    """Every figure of ``plan`` simulated in ``frame`` (replications x figures)."""
    return np.column_stack([t.values(frame) for t in plan.figures])


def _search(plan: CalibrationPlan, evaluate: Callable[[FloatArray], FloatArray]) -> _Search:
    """Steps 1-3 of the method: a global design, a local one around its estimate, and the
    best point of the local surface."""
    d, k = len(plan.params), len(plan.targets)
    observed = np.array([t.observed for t in plan.targets])
    sampler = qmc.LatinHypercube(d=d, seed=np.random.default_rng([plan.seed, 0xCA1]))
    u1 = sampler.random(plan.design_size)
    y1 = evaluate(u1)
    first = Surface.fit(u1, y1[:, :, :k].mean(axis=1))
    starts = np.vstack([u1[np.argmin(objective(y1[:, :, :k].mean(axis=1), observed))], np.full(d, 0.5)])
    centre = minimise(first, observed, np.zeros(d), np.ones(d), starts)
    # a local design, half as wide, around the first estimate (clipped to the box)
    lo = np.clip(centre - 0.25, 0.0, 1.0)
    hi = np.clip(centre + 0.25, 0.0, 1.0)
    lo, hi = np.minimum(lo, np.maximum(0.0, hi - 0.5)), np.maximum(hi, np.minimum(1.0, lo + 0.5))
    u2 = lo + sampler.random(plan.design_size) * (hi - lo)
    y2 = evaluate(u2)
    means = y2[:, :, :k].mean(axis=1)
    local = Surface.fit(u2, means)
    best = minimise(local, observed, lo, hi, np.vstack([centre, u2[np.argmin(objective(means, observed))]]))
    return _Search(u1, y1, u2, y2, lo, hi, local, best)


def _bootstrap(plan: CalibrationPlan, search: _Search) -> FloatArray:
    """Step 4: the estimates (parameter values) of bootstrap resamples of the replications,
    each surface re-fitted and re-minimised (no new simulation)."""
    k = len(plan.targets)
    low, high = plan.bounds()
    observed = np.array([t.observed for t in plan.targets])
    rng = np.random.default_rng([plan.seed, 0xB007])
    boots = []
    for _ in range(BOOTSTRAP):
        pick = rng.integers(0, plan.replications, plan.replications)
        surface = Surface.fit(search.u2, search.y2[:, pick, :k].mean(axis=1))
        boots.append(minimise(surface, observed, search.lo, search.hi, search.best[None, :]))
    return low + np.array(boots) * (high - low)


INTERVAL_METHOD = (
    "percentile interval (2.5%, 97.5%) of 200 bootstrap estimates, widened to the estimate "
    "± 1.96 bootstrap SE where that is wider, clipped to the range, and widened to every value "
    "run whose simulated figures equal the estimate's (a plateau)"
)
"""How parameters.csv's interval is made (also in the manifest)."""


def interval_of(
    estimate: float,
    boot: FloatArray,
    low: float,
    high: float,
    plateau: tuple[float, float] | None = None,
) -> tuple[float, float]:
    """The 95 % interval of one estimate from its bootstrap estimates ``boot`` (module
    docstring: the method): never narrower than the bootstrap's own spread, so a
    bootstrap standard error above 0 never comes with an interval of width 0."""
    se = float(boot.std(ddof=1)) if len(boot) > 1 else 0.0
    z = normal_quantile()
    lo = min(float(np.quantile(boot, 0.025)), estimate - z * se)
    hi = max(float(np.quantile(boot, 0.975)), estimate + z * se)
    if plateau is not None:
        lo, hi = min(lo, plateau[0]), max(hi, plateau[1])
    return max(lo, low), min(hi, high)


def _at_bound(value: float, low: float, high: float) -> str | None:
    """``low`` or ``high`` when ``value`` sits at that bound of its range."""
    tol = 1e-6 * (high - low)
    return "low" if value <= low + tol else "high" if value >= high - tol else None


def _plateaus(
    plan: CalibrationPlan,
    points: list[tuple[FloatArray, FloatArray]],
    check: FloatArray,
    estimate: FloatArray,
) -> list[tuple[float, float] | None]:
    """Per parameter, the span of the values run (``points``: parameter values and their
    figures) whose simulated target figures equal the check run's to the last bits (a
    plateau of the fit); None where there is none."""
    k = len(plan.targets)
    same = [estimate] + [v for v, y in points if np.allclose(y[:, :k], check[:, :k], rtol=1e-12, atol=1e-12)]
    spans = np.array(same)
    return [
        (float(spans[:, j].min()), float(spans[:, j].max())) if np.ptp(spans[:, j]) > 0 else None
        for j in range(len(plan.params))
    ]


def _worse(plan: CalibrationPlan, y_a: FloatArray, y_b: FloatArray, seed: int) -> tuple[float, float]:
    """95 % interval of how much worse the fit of ``y_a`` is than that of ``y_b``
    (objective of a less objective of b; replications x figures, paired), by a bootstrap
    of the replications."""
    k = len(plan.targets)
    observed = np.array([t.observed for t in plan.targets])
    rng = np.random.default_rng([plan.seed, seed])
    picks = rng.integers(0, plan.replications, (BOOTSTRAP, plan.replications))
    diffs = [
        float(objective(y_a[i, :k].mean(axis=0), observed) - objective(y_b[i, :k].mean(axis=0), observed))
        for i in picks
    ]
    lo, hi = np.quantile(diffs, [0.025, 0.975])
    return float(lo), float(hi)


@dataclass
class _Edge:
    """A parameter's ends, checked by simulation: the end where the fit is best if that is
    a bound (the estimate's, or one that fits better than the estimate), whether the fit
    still improves there, and where the figures' trend would fit best."""

    param: int
    bound: str
    value: float
    better_than_estimate: bool
    flat: bool
    mape: float = math.nan
    """The MAPE of the fitted figures at this end."""
    improving: bool = False
    """The fit is better at the bound than inside it, by more than the noise."""
    reaches: bool = False
    """Continuing the trend at the bound (to a valid value) would meet the targets."""
    trend_best: float = math.nan
    trend_mape: float = math.nan


def _end_values(plan: CalibrationPlan, estimate: FloatArray) -> list[tuple[int, str, FloatArray]]:
    """Each parameter's two ends, the others at the estimate (an end the estimate sits at
    is the check run, not run again)."""
    low, high = plan.bounds()
    out = []
    for j in range(len(plan.params)):
        for bound, value in (("low", low[j]), ("high", high[j])):
            if _at_bound(float(estimate[j]), float(low[j]), float(high[j])) != bound:
                at = estimate.copy()
                at[j] = value
                out.append((j, bound, at))
    return out


def _edges(
    plan: CalibrationPlan,
    jobs: int | Backend,
    estimate: FloatArray,
    check: FloatArray,
    ends: dict[tuple[int, str], FloatArray],
    plateaus: list[tuple[float, float] | None],
) -> tuple[list[_Edge], int]:
    """Step 6: for each parameter, the bound where the fit is best (the estimate's, or an
    end that fits better than the estimate by more than the noise), and there whether the
    fit still improves: run a tenth of the range inside and compare, paired; also how
    many runs that took."""
    low, high = plan.bounds()
    k = len(plan.targets)
    observed = np.array([t.observed for t in plan.targets])
    edges: list[_Edge] = []
    for j in range(len(plan.params)):
        bound = _at_bound(float(estimate[j]), float(low[j]), float(high[j]))
        # an end that fits better than the estimate, beyond the noise: the surface missed it
        found = [
            (float(objective(ends[(j, b)][:, :k].mean(axis=0), observed)), b)
            for b in ("low", "high")
            if (j, b) in ends and _worse(plan, ends[(j, b)], check, 0xE0 + 2 * j + (b == "high"))[1] < 0
        ]
        better = bool(found)
        if better:
            bound = min(found)[1]
        if bound is None:
            continue
        value = float(low[j] if bound == "low" else high[j])
        plateau = plateaus[j]
        flat = plateau is not None and plateau[0] <= value <= plateau[1]
        y = ends[(j, bound)] if better else check
        mape = float(
            np.abs((y[:, :k].mean(axis=0) - observed) / np.where(observed != 0, np.abs(observed), 1.0)).mean()
        )
        edges.append(_Edge(j, bound, value, better, flat, mape=mape))
    todo = [e for e in edges if not e.flat]
    insides = []
    for e in todo:
        p = plan.params[e.param]
        step = max(1.0, round(STEP * (p.high - p.low))) if p.whole else STEP * (p.high - p.low)
        at = estimate.copy()
        at[e.param] = e.value + (step if e.bound == "low" else -step)
        insides.append(at)
    runs = [_figures(plan, f) for f in _frames(plan, jobs, None, np.array(insides))] if todo else []
    for e, at, y_in in zip(todo, insides, runs, strict=True):
        y_b = check if not e.better_than_estimate else ends[(e.param, e.bound)]
        lo, _ = _worse(plan, y_in, y_b, 0x57E9 + e.param)
        # the figures' trend over the step, continued outwards for up to another whole range
        scale = np.where(observed != 0, np.abs(observed), 1.0)
        r0 = (y_b[:, :k].mean(axis=0) - observed) / scale
        r1 = (y_b[:, :k].mean(axis=0) - y_in[:, :k].mean(axis=0)) / scale
        s = float(np.clip(-(r0 @ r1) / (r1 @ r1), 0, 1 / STEP)) if r1 @ r1 > 0 else 0.0
        e.improving = bool(lo > 0)
        e.flat = not e.improving
        e.trend_best = e.value + s * (e.value - float(at[e.param]))
        e.trend_mape = float(np.abs(r0 + s * r1).mean())
        beyond = estimate.copy()
        beyond[e.param] = e.trend_best
        e.reaches = e.improving and e.trend_mape < REACHED_MAPE and _valid(plan, beyond)
    return edges, len(todo)


def _valid(plan: CalibrationPlan, values: FloatArray) -> bool:
    """Whether the scenario accepts the parameter values ``values`` (a trend continued
    beyond a bound may leave what a key allows, e.g. a negative supply)."""
    try:
        _scenario(plan, values)
    except InputError:
        return False
    return True


def _parameters_table(
    plan: CalibrationPlan,
    estimate: FloatArray,
    boot: FloatArray,
    plateaus: list[tuple[float, float] | None],
    edges: list[_Edge],
) -> pd.DataFrame:
    """parameters.csv: each estimate with its interval (:func:`interval_of`), the
    bootstrap's standard error, the range searched, and whether it sits at a bound, on a
    plateau, and what that means (``position``, ``note``)."""
    low, high = plan.bounds()
    by_param = {e.param: e for e in edges}
    rows = []
    for j, p in enumerate(plan.params):
        ci = interval_of(float(estimate[j]), boot[:, j], float(low[j]), float(high[j]), plateaus[j])
        edge = by_param.get(j)
        plateau = plateaus[j]
        position, note = "inside", ""
        if edge is not None:
            where = f"the {edge.bound} bound"
            if edge.better_than_estimate:
                where = (
                    f"the {edge.bound} bound ({edge.value:.4g}), which fits better than the estimate "
                    f"(MAPE {edge.mape:.1%}; the surface missed it),"
                )
            if edge.reaches:
                position = "widen"
                note = (
                    f"at {where} the fit still improves beyond it: widen the range "
                    f"(the trend points to about {edge.trend_best:.4g})"
                )
            elif edge.improving:
                position = "improving_short"
                note = (
                    f"at {where} the fit still improves beyond it, but continuing the trend for another "
                    f"whole range would not meet the targets (at best MAPE {edge.trend_mape:.1%}, near "
                    f"{edge.trend_best:.4g}): widening the range will not reach them"
                )
            else:
                position = "flat_at_bound"
                note = f"at {where} the fit is flat: widening the range will not help"
        if plateau is not None:
            position = "plateau" if position == "inside" else position
            same = f"any value from {plateau[0]:.4g} to {plateau[1]:.4g} fits alike (identical figures)"
            note = f"{note}; {same}" if note else same
        rows.append(
            {
                "parameter": p.path,
                "estimate": float(estimate[j]),
                "ci_low": ci[0],
                "ci_high": ci[1],
                "bootstrap_se": float(boot[:, j].std(ddof=1)),
                "low": float(low[j]),
                "high": float(high[j]),
                "at_bound": _at_bound(float(estimate[j]), float(low[j]), float(high[j])) is not None,
                "plateau_low": plateau[0] if plateau else np.nan,
                "plateau_high": plateau[1] if plateau else np.nan,
                "position": position,
                "edge": edge.bound if edge is not None else "",
                "edge_value": edge.value if edge is not None else np.nan,
                "edge_better_than_estimate": bool(edge is not None and edge.better_than_estimate),
                "edge_mape": edge.mape if edge is not None else np.nan,
                "trend_best": edge.trend_best if edge is not None and edge.improving else np.nan,
                "trend_mape": edge.trend_mape if edge is not None and edge.improving else np.nan,
                "note": note,
            }
        )
    return pd.DataFrame(rows)


def _reach(
    plan: CalibrationPlan,
    parameters: pd.DataFrame,
    fit: pd.DataFrame,
    check_frame: pd.DataFrame,
    summary: dict[str, Any],
) -> dict[str, Any]:
    """Step 6's verdict: ``reached``, ``widen`` (a parameter at a bound where the fit still
    improves), or ``out_of_reach`` (the best fit, the figure it misses most, and what
    binds at the estimate), with a sentence."""
    used = fit[fit["used"] == "fit"]
    misses = np.nan_to_num(used["relative_error"].abs().to_numpy(dtype=float), nan=-1.0)
    worst = used.iloc[int(np.argmax(misses))]
    widen = parameters[parameters["position"] == "widen"]
    estimates = ", ".join(f"{r['parameter']} = {r['estimate']:.4g}" for r in parameters.to_dict("records"))
    out: dict[str, Any] = {"worst_figure": str(worst["target"])}
    if len(widen):
        out["verdict"] = "widen"
        out["text"] = (
            f"the best fit lies beyond the range of {', '.join(widen['parameter'])}: widen it and run again"
        )
        return out
    if summary["targets_reached"]:
        out["verdict"] = "reached"
        out["text"] = f"the targets are met (MAPE {summary['mape']:.1%}) at {estimates}"
        return out
    target = next(t for t in plan.targets if t.label == worst["target"])
    found, year = binding_over(check_frame, list(range(target.first, target.last + 1)))
    positions = set(parameters["position"])
    if "improving_short" in positions:
        why = "the fit improves beyond a bound, but its trend would not meet the targets within another range"
    elif positions & {"flat_at_bound", "plateau"}:
        why = "the fit is flat at the bounds or on a plateau"
    else:
        why = "both ends of every range fit worse than the estimate"
    out.update(
        {
            "verdict": "out_of_reach",
            "binds": found.text,
            "binds_resource": found.resource,
            "binds_year": year,
            "text": (
                f"out of reach of these parameters: the best fit of the surface is at {estimates} "
                f"(MAPE {summary['mape']:.1%}), where the simulation misses {worst['target']} most: "
                f"{worst['simulated_mean']:,.4g} against {worst['observed']:,.4g} observed "
                f"({worst['relative_error']:+.1%}){_better_ends(parameters)}; widening the ranges will not "
                f"help ({why}); "
                + (
                    f"what binds at the estimate is {found.text}"
                    if found.resource is not None
                    else f"at the estimate {found.text}"
                )
            ),
        }
    )
    return out


def _better_ends(parameters: pd.DataFrame) -> str:
    """``; the simulation fits better at PATH = END (MAPE x%)`` for the ends that fit
    better than the estimate, or ""."""
    better = parameters[parameters["edge_better_than_estimate"]]
    if not len(better):
        return ""
    ends = ", ".join(
        f"{r['parameter']} = {r['edge_value']:.4g} (MAPE {r['edge_mape']:.1%})"
        for r in better.to_dict("records")
    )
    return f"; the simulation fits better at {ends}, which the surface missed"


def _design_table(plan: CalibrationPlan, search: _Search) -> pd.DataFrame:
    """design.csv: every design point run, with the mean of each figure there."""
    low, high = plan.bounds()
    rows = []
    for stage, units, ys in (("global", search.u1, search.y1), ("local", search.u2, search.y2)):
        for u, y in zip(units, ys, strict=True):
            row: dict[str, Any] = {"design": stage}
            row.update({p.path: float(v) for p, v in zip(plan.params, low + u * (high - low), strict=True)})
            row.update({t.label: float(y[:, j].mean()) for j, t in enumerate(plan.figures)})
            rows.append(row)
    return pd.DataFrame(rows)


def _fit_table(plan: CalibrationPlan, search: _Search, check: FloatArray) -> pd.DataFrame:
    """fit.csv: each figure observed against simulated at the estimate (``check``: the
    replications x figures of the check run), with what the surface predicted."""
    k = len(plan.targets)
    # surface quality: leave-one-out R^2 on the local design, per target
    r2 = loo_r2(search.u2, search.y2[:, :, :k].mean(axis=1))
    predicted = search.local.predict(search.best)[0]
    rows = []
    for j, t in enumerate(plan.figures):
        v = check[:, j]
        rows.append(
            {
                "target": t.label,
                "metric": t.metric,
                "from_year": t.first,
                "to_year": t.last,
                "used": "fit" if j < k else "holdout",
                "observed": t.observed,
                "simulated_mean": float(v.mean()),
                "simulated_p10": float(np.quantile(v, 0.1)),
                "simulated_p50": float(np.quantile(v, 0.5)),
                "simulated_p90": float(np.quantile(v, 0.9)),
                "error": float(v.mean() - t.observed),
                "relative_error": float((v.mean() - t.observed) / t.observed) if t.observed else np.nan,
                "surface_prediction": float(predicted[j]) if j < k else np.nan,
                "surface_loo_r2": float(r2[j]) if j < k else np.nan,
            }
        )
    return pd.DataFrame(rows)


def _summary(plan: CalibrationPlan, search: _Search, fit: pd.DataFrame, check: FloatArray) -> dict[str, Any]:
    """Step 5's figures of merit, and the targets where the surface misled the search."""
    k = len(plan.targets)
    used = fit[fit["used"] == "fit"]
    summary: dict[str, Any] = {
        "rmse_by_metric": {m: float(np.sqrt((g["error"] ** 2).mean())) for m, g in used.groupby("metric")},
        "mape": float(used["relative_error"].abs().mean()),
        "objective": float(objective(used["simulated_mean"].to_numpy(), used["observed"].to_numpy())),
        "simulations": int((2 * plan.design_size + 1) * plan.replications),
    }
    # the surface is only a guide: when the simulation at the estimate misses what the
    # surface promised by more than its noise, say so rather than report a false fit
    predicted = search.local.predict(search.best)[0]
    se = standard_error(check[:, :k])
    summary["surface_misses"] = [
        t.label
        for j, t in enumerate(plan.targets)
        if abs(check[:, j].mean() - predicted[j]) > 4 * se[j] + 1e-9
    ]
    summary["targets_reached"] = bool(float(used["relative_error"].abs().mean()) < REACHED_MAPE)
    return summary


def _scenario(plan: CalibrationPlan, values: FloatArray) -> Scenario:
    base = plan.base if plan.base is not None else load_scenario(plan.source, plan.overrides)
    return base.with_overrides(param_values(plan.params, values))


def _backtest(plan: CalibrationPlan, fit: pd.DataFrame) -> pd.DataFrame:
    """Held-out years: the calibrated model against last-value and linear-trend forecasts
    made from the years that were fitted."""
    rows = []
    for t in plan.holdout:
        known = sorted(
            (f.first, f.observed) for f in plan.targets if f.metric == t.metric and f.first == f.last
        )
        years = np.array([y for y, _ in known], dtype=float)
        values = np.array([v for _, v in known])
        last = float(values[-1])
        if len(known) >= 2:
            slope, intercept = np.polyfit(years, values, 1)
            trend = float(slope * t.first + intercept)
        else:
            trend = last
        model = float(fit[fit["target"] == t.label]["simulated_mean"].iloc[0])
        row: dict[str, Any] = {"metric": t.metric, "year": t.first, "observed": t.observed}
        for name, value in (("calibrated", model), ("last_value", last), ("linear_trend", trend)):
            row[name] = value
            row[f"{name}_relative_error"] = (value - t.observed) / t.observed if t.observed else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def calibrated_yaml(plan: CalibrationPlan, result: CalibrationResult, out: Path) -> str:
    """A scenario file that ``extends`` the input scenario and sets the fitted values (and
    the overrides the calibration ran with), to be written in the folder ``out``."""
    import yaml

    if plan.base is not None and not Path(plan.source).is_file():
        return _whole_yaml(plan, result)  # a scenario made in Python: no file to extend
    base = load_scenario(plan.source, plan.overrides)
    if plan.base is not None and scenario_sha256(plan.base) != scenario_sha256(base):
        return _whole_yaml(plan, result)
    data: dict[str, Any] = {}
    resolved = unshare(base.resolved)  # a changeable copy: the scenario's own is read-only
    for text in plan.overrides:
        path, _, raw = text.partition("=")
        given = yaml.safe_load(raw)
        for concrete in apply_override(resolved, path.strip(), given):
            if not is_policy_path(concrete):
                apply_override(data, concrete, given)
    for p in plan.params:
        fitted: float | int = result.estimate[p.path]
        fitted = int(fitted) if p.whole else float(fitted)
        for concrete in apply_override(resolved, p.path, fitted):
            if not is_policy_path(concrete):
                apply_override(data, concrete, fitted)
    if any(
        is_policy_path(x.partition("=")[0].strip()) for x in [*plan.overrides, *(p.path for p in plan.params)]
    ):
        # a file's policies replace those of the file it extends whole: write them all
        data["policies"] = resolved["policies"]
    relative = os.path.relpath(Path(plan.source).resolve(), out.resolve())
    lines = _comment_lines(plan, result, Path(plan.source).name)
    doc = {"extends": relative, "name": f"{plan.name}-calibrated", **data}
    return "\n".join(lines) + "\n" + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def _comment_lines(plan: CalibrationPlan, result: CalibrationResult, origin: str) -> list[str]:
    lines = [
        f"# Calibrated by investsim from {origin}: see fit.csv and parameters.csv beside it.",
        f"# Targets: {', '.join(t.label for t in plan.targets)}.",
        f"# MAPE over the fitted figures {result.summary['mape']:.2%}; estimates with 95% bootstrap intervals:",
    ]
    for r in result.parameters.to_dict("records"):
        lines.append(f"#   {r['parameter']} = {r['estimate']:.6g} ({r['ci_low']:.6g} to {r['ci_high']:.6g})")
    return lines


def _whole_yaml(plan: CalibrationPlan, result: CalibrationResult) -> str:
    """The calibrated scenario written whole, for a scenario changed in Python (its file
    no longer says what was calibrated, so extending it would be wrong)."""
    import yaml

    assert plan.base is not None
    fitted = {
        p.path: int(result.estimate[p.path]) if p.whole else float(result.estimate[p.path])
        for p in plan.params
    }
    calibrated = plan.base.with_overrides(fitted)
    doc = unshare(calibrated.resolved) or calibrated.config.model_dump(
        mode="json", by_alias=True, exclude_unset=True
    )
    doc.pop("extends", None)
    doc["name"] = f"{plan.name}-calibrated"
    lines = _comment_lines(plan, result, f"the scenario {plan.name!r} as changed in Python")
    return "\n".join(lines) + "\n" + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


PYTHON_TERMS = {"--param": "params", "--design": "design", "--holdout": "holdout", "--set ": ""}
"""The calibration's option names in its checks' messages, as the Python arguments."""


def calibrate(
    scenario: Scenario,
    history: History | Sequence[History],
    params: Mapping[str, tuple[float, float]],
    *,
    replications: int = 20,
    holdout: int = 0,
    design: int | None = None,
    seed: int | None = None,
    jobs: int | Backend = 1,
    on_progress: Callable[[int], None] | None = None,
) -> CalibrationResult:
    """Fit parameters of ``scenario`` to observed history: what ``investsim calibrate``
    does, from Python objects.

    ``history`` is one CSV file of observed figures or a DataFrame, or a list of them, in
    one of two layouts: yearly (a ``year`` column, or a DataFrame indexed by ``year``, and
    any of ``investment``, ``starts``, ``completions``, ``started_investment``; NaN is a
    missing figure) or aggregate (``from_year``, ``to_year``, ``metric``, ``value``, and
    ``min_size`` for the ``*_large`` metrics); ``params`` maps key paths to ``(low, high)`` ranges. ``holdout`` holds out
    the last K years for a backtest; ``design`` is the points per design round. The
    parameters hold over the whole simulation (it is the history being fitted).

    Returns a :class:`CalibrationResult`: ``parameters`` (estimates and intervals),
    ``fit``, ``design``, ``backtest``, ``plot()`` and ``save(folder)``, which also writes
    ``calibrated.yaml`` (extending the scenario's file, or the whole scenario if it was
    changed in Python).
    """
    base = scenario_argument(scenario)
    files: Sequence[History] = [history] if isinstance(history, (str, Path, pd.DataFrame)) else history
    if (
        not isinstance(files, Sequence)
        or not files
        or not all(isinstance(h, (str, Path, pd.DataFrame)) for h in files)
    ):
        raise TypeError(
            f"history must be a CSV file's path or a DataFrame, or a list of them, got {history!r}"
        )
    parsed = [Param(path, low, high) for path, (low, high) in ranges("params", params).items()]
    reps = whole_number("replications", replications, 2)
    held = whole_number("holdout", holdout, 0)
    points = optional_whole_number("design", design, 3)
    s = optional_whole_number("seed", seed, 0)
    workers = jobs_argument(jobs)
    try:
        targets, min_size = _read_histories(files)
        extra = []
        if min_size is not None:
            base = base.with_overrides({"large_project_threshold": min_size})
            extra.append(f"large_project_threshold={min_size!r}")
        plan = plan_fit(base, targets, files, parsed, reps, s, held, points, overrides=extra)
    except InputError as e:
        e.message = python_terms(e.message, PYTHON_TERMS)
        raise
    return run_calibration(plan, workers, on_progress)
