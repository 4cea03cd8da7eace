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
run at the estimate gives the fit (observed against simulated P10/P50/P90, RMSE, MAPE).

The objective is the sum of squared relative errors of the targets (so investment in
money and counts of projects weigh alike). Every simulation uses the same seed.
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import qmc

from investsim.analyses.history import Target, read_history
from investsim.analyses.params import Param, check_param, param_values, parse_param
from investsim.analyses.saving import save_folder
from investsim.analyses.surface import FloatArray, Surface, loo_r2, minimise, objective
from investsim.errors import InputError
from investsim.results.folders import check_out_dir
from investsim.results.forecast import replications_frame
from investsim.results.stats import standard_error
from investsim.runs.runner import Backend, Job, run_jobs
from investsim.runs.simulate import package_versions
from investsim.scenario.config import Scenario
from investsim.scenario.loading import apply_override, load_scenario
from investsim.scenario.overrides import is_policy_path

BOOTSTRAP = 200


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
    histories: Sequence[str | Path],
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
    years = base.years
    for t in targets:
        if t.first < years[0] or t.last > years[-1]:
            raise InputError(
                f"history figure {t.label} is outside the scenario's years {years[0]}-{years[-1]}; "
                "set start_year and horizon_years to cover the history (e.g. --set start_year=...)"
            )
    parsed = [parse_param(p) for p in params]
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
    sources = [str(h) for h in histories]
    return CalibrationPlan(
        str(scenario),
        extra,
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


def _read_histories(histories: Sequence[str | Path]) -> tuple[list[Target], float | None]:
    """The targets of every history file, and the one ``min_size`` of their large ones."""
    targets: list[Target] = []
    min_size: float | None = None
    for h in histories:
        found, m = read_history(h)
        if m is not None:
            if min_size is not None and m != min_size:
                raise InputError("every *_large target must use the same min_size", file=str(h))
            min_size = m
        targets.extend(found)
    return targets, min_size


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


def calibrate(
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
    parameters = _parameters_table(plan, estimate_values, boot)
    design = _design_table(plan, search)
    # the check run: the estimate itself, simulated
    check = evaluate(((estimate_values - low) / (high - low))[None, :])[0]
    fit = _fit_table(plan, search, check)
    summary = _summary(plan, search, fit, check)
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
    figures = plan.figures
    values = low + units * (high - low)
    scenarios = [_scenario(plan, v) for v in values]
    out = np.empty((len(units), plan.replications, len(figures)))
    work = [Job(s, plan.replications, plan.seed) for s in scenarios]
    for k, results in run_jobs(work, jobs, on_progress):
        frame = replications_frame(scenarios[k], results)
        out[k] = np.column_stack([t.values(frame) for t in figures])
    return out


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


def _parameters_table(plan: CalibrationPlan, estimate: FloatArray, boot: FloatArray) -> pd.DataFrame:
    """parameters.csv: each estimate with its bootstrap interval and the range searched."""
    low, high = plan.bounds()
    return pd.DataFrame(
        {
            "parameter": [p.path for p in plan.params],
            "estimate": estimate,
            "ci_low": np.quantile(boot, 0.025, axis=0),
            "ci_high": np.quantile(boot, 0.975, axis=0),
            "bootstrap_se": boot.std(axis=0, ddof=1),
            "low": low,
            "high": high,
            "at_bound": [
                bool(np.isclose(v, lo_) or np.isclose(v, hi_))
                for v, lo_, hi_ in zip(estimate, low, high, strict=True)
            ],
        }
    )


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
    summary["targets_reached"] = bool(float(used["relative_error"].abs().mean()) < 0.05)
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

    base = load_scenario(plan.source, plan.overrides)
    data: dict[str, Any] = {}
    resolved = copy.deepcopy(base.resolved)
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
    lines = [
        f"# Calibrated by investsim from {Path(plan.source).name}: see fit.csv and parameters.csv beside it.",
        f"# Targets: {', '.join(t.label for t in plan.targets)}.",
        f"# MAPE over the fitted figures {result.summary['mape']:.2%}; estimates with 95% bootstrap intervals:",
    ]
    for r in result.parameters.to_dict("records"):
        lines.append(f"#   {r['parameter']} = {r['estimate']:.6g} ({r['ci_low']:.6g} to {r['ci_high']:.6g})")
    doc = {"extends": relative, "name": f"{plan.name}-calibrated", **data}
    return "\n".join(lines) + "\n" + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
