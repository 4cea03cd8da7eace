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
import itertools
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import optimize
from scipy.stats import qmc

from investsim.analyses.params import Param, check_param, param_overrides, parse_param
from investsim.errors import InputError
from investsim.results.forecast import replications_frame
from investsim.results.stats import standard_error
from investsim.runs.runner import Backend, Job, run_jobs
from investsim.scenario.config import Scenario
from investsim.scenario.loading import apply_override, load_scenario

YEARLY_COLUMNS = ("investment", "starts", "completions", "started_investment")
AGGREGATE_METRICS = (*YEARLY_COLUMNS, "starts_large", "started_investment_large")
BOOTSTRAP = 200
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Target:
    """An observed figure: ``metric`` summed over the years ``first .. last``."""

    metric: str
    first: int
    last: int
    observed: float

    @property
    def label(self) -> str:
        """``investment 2016`` or ``starts_large 2014-2018``."""
        years = str(self.first) if self.first == self.last else f"{self.first}-{self.last}"
        return f"{self.metric} {years}"

    def values(self, replications: pd.DataFrame) -> FloatArray:
        """The simulated figure, one value per replication."""
        rows = replications[(replications["year"] >= self.first) & (replications["year"] <= self.last)]
        return rows.groupby("replication", sort=True)[self.metric].sum().to_numpy(dtype=float)


def read_history(path: str | Path) -> tuple[list[Target], float | None]:
    """Targets from a history CSV, and the project size its ``*_large`` targets count from.

    Two layouts: yearly (``year`` and any of investment, starts, completions,
    started_investment; blank cells are missing values) or aggregate
    (``from_year, to_year, metric, value`` and optionally ``min_size``).
    """
    file = str(path)
    try:
        df = pd.read_csv(path, encoding="utf-8-sig", thousands=",", skip_blank_lines=True, dtype=str)
    except FileNotFoundError:
        raise InputError("no such history file", file=file) from None
    except UnicodeDecodeError:
        raise InputError("is not UTF-8 text: save the CSV as UTF-8", file=file) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise InputError(f"cannot read the CSV: {str(e).strip()}", file=file) from None
    df.columns = [str(c).strip() for c in df.columns]

    def number(value: Any, line: int, column: str) -> float:
        try:
            x = float(str(value).replace(",", "").strip())
        except ValueError:
            raise InputError(f"{column}: {value!r} is not a number", file=file, line=line) from None
        if not math.isfinite(x) or x < 0:
            raise InputError(f"{column}: {value!r} must be a finite number >= 0", file=file, line=line)
        return x

    def year(value: Any, line: int, column: str) -> int:
        x = number(value, line, column)
        if not x.is_integer():
            raise InputError(f"{column}: {value!r} is not a year", file=file, line=line)
        return int(x)

    targets: list[Target] = []
    min_size: float | None = None
    if "year" in df.columns:
        metrics = [c for c in df.columns if c != "year"]
        unknown = [c for c in metrics if c not in YEARLY_COLUMNS]
        if unknown or not metrics:
            raise InputError(
                f"yearly history columns are year and any of {', '.join(YEARLY_COLUMNS)}; got {list(df.columns)}",
                file=file,
            )
        seen: set[int] = set()
        for i, row in enumerate(df.to_dict("records")):
            line = i + 2
            y = year(row["year"], line, "year")
            if y in seen:
                raise InputError(f"year {y} appears twice", file=file, line=line)
            seen.add(y)
            for m in metrics:
                if pd.isna(row[m]) or not str(row[m]).strip():
                    continue
                targets.append(Target(m, y, y, number(row[m], line, m)))
    elif {"from_year", "to_year", "metric", "value"} <= set(df.columns):
        extra = set(df.columns) - {"from_year", "to_year", "metric", "value", "min_size", "source"}
        if extra:
            raise InputError(f"unknown column(s) {sorted(extra)}", file=file)
        for i, row in enumerate(df.to_dict("records")):
            line = i + 2
            metric = str(row["metric"]).strip()
            if metric not in AGGREGATE_METRICS:
                raise InputError(
                    f"metric {metric!r}: use one of {', '.join(AGGREGATE_METRICS)}", file=file, line=line
                )
            first, last = year(row["from_year"], line, "from_year"), year(row["to_year"], line, "to_year")
            if last < first:
                raise InputError("to_year is before from_year", file=file, line=line)
            size = row.get("min_size")
            if metric.endswith("_large"):
                if size is None or pd.isna(size) or not str(size).strip():
                    raise InputError(
                        f"{metric} needs min_size (the project size it counts from)", file=file, line=line
                    )
                s = number(size, line, "min_size")
                if min_size is not None and s != min_size:
                    raise InputError("every *_large target must use the same min_size", file=file, line=line)
                min_size = s
            targets.append(Target(metric, first, last, number(row["value"], line, "value")))
    else:
        raise InputError(
            "a history CSV has a 'year' column (yearly figures) or from_year, to_year, metric, value "
            f"(aggregates); got {list(df.columns)}",
            file=file,
        )
    if not targets:
        raise InputError("has no figures", file=file)
    return targets, min_size


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
    targets: list[Target] = []
    min_size: float | None = None
    for h in histories:
        found, m = read_history(h)
        if m is not None:
            if min_size is not None and m != min_size:
                raise InputError("every *_large target must use the same min_size", file=str(h))
            min_size = m
        targets.extend(found)
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
    checked = [check_param(scenario, extra, p) for p in parsed]
    held: list[Target] = []
    if holdout:
        yearly_years = sorted({t.first for t in targets if t.first == t.last})
        if holdout >= len(yearly_years):
            raise InputError(
                f"--holdout {holdout}: the history has {len(yearly_years)} years; keep at least one to fit"
            )
        cut = yearly_years[-holdout]
        held = [t for t in targets if t.first == t.last and t.first >= cut]
        targets = [t for t in targets if t not in held]
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
    return CalibrationPlan(str(scenario), extra, checked, targets, held, replications, s, m, base.name, years)


def _quadratic_features(x: FloatArray) -> FloatArray:
    """1, x_i and x_i x_j (i <= j) for each row of ``x`` (scaled to [0, 1])."""
    cols = [np.ones(len(x))] + [x[:, i] for i in range(x.shape[1])]
    cols += [x[:, i] * x[:, j] for i, j in itertools.combinations_with_replacement(range(x.shape[1]), 2)]
    return np.column_stack(cols)


@dataclass
class Surface:
    """Quadratic response surfaces of every target over the unit box."""

    coef: FloatArray  # (features, targets)

    @classmethod
    def fit(cls, u: FloatArray, y: FloatArray) -> Surface:
        """Least squares fit of ``y`` (points x targets) on the points ``u`` (unit box)."""
        coef, *_ = np.linalg.lstsq(_quadratic_features(u), y, rcond=None)
        return cls(np.asarray(coef, dtype=float))

    def predict(self, u: FloatArray) -> FloatArray:
        """Predicted targets at the points ``u``."""
        return _quadratic_features(np.atleast_2d(u)) @ self.coef


def _objective(pred: FloatArray, observed: FloatArray) -> FloatArray:
    scale = np.where(observed != 0, np.abs(observed), 1.0)
    return (((pred - observed) / scale) ** 2).sum(axis=-1)


def _minimise(
    surface: Surface, observed: FloatArray, lo: FloatArray, hi: FloatArray, starts: FloatArray
) -> FloatArray:
    """The point of the box [lo, hi] (unit coordinates) where the surface fits best."""
    best_u, best_f = starts[0], math.inf
    for u0 in starts:
        res = optimize.minimize(
            lambda u: float(_objective(surface.predict(u)[0], observed)),
            np.clip(u0, lo, hi),
            method="L-BFGS-B",
            bounds=list(zip(lo, hi, strict=True)),
        )
        if res.fun < best_f:
            best_u, best_f = res.x, float(res.fun)
    return np.asarray(best_u, dtype=float)


@dataclass
class CalibrationResult:
    """Estimates (``parameters``), the fit at them (``fit``), the evaluated ``design``, and
    the backtest when some years were held out."""

    parameters: pd.DataFrame
    fit: pd.DataFrame
    design: pd.DataFrame
    backtest: pd.DataFrame | None
    estimate: dict[str, float]
    summary: dict[str, Any] = field(default_factory=dict)


def calibrate(
    plan: CalibrationPlan, jobs: int | Backend = 1, on_progress: Callable[[int], None] | None = None
) -> CalibrationResult:
    """Fit ``plan``'s parameters to its targets (see the module docstring for the method)."""
    d = len(plan.params)
    low = np.array([p.low for p in plan.params])
    high = np.array([p.high for p in plan.params])
    observed = np.array([t.observed for t in plan.targets])
    everything = [*plan.targets, *plan.holdout]

    def evaluate(units: FloatArray) -> FloatArray:
        """Simulated targets (points x replications x targets) at unit-box points."""
        values = low + units * (high - low)
        scenarios = [_scenario(plan, v) for v in values]
        out = np.empty((len(units), plan.replications, len(everything)))
        work = [Job(s, plan.replications, plan.seed) for s in scenarios]
        for k, results in run_jobs(work, jobs, on_progress):
            frame = replications_frame(scenarios[k], results)
            out[k] = np.column_stack([t.values(frame) for t in everything])
        return out

    sampler = qmc.LatinHypercube(d=d, seed=np.random.default_rng([plan.seed, 0xCA1]))
    u1 = sampler.random(plan.design_size)
    y1 = evaluate(u1)
    k = len(plan.targets)
    first = Surface.fit(u1, y1[:, :, :k].mean(axis=1))
    starts = np.vstack([u1[np.argmin(_objective(y1[:, :, :k].mean(axis=1), observed))], np.full(d, 0.5)])
    centre = _minimise(first, observed, np.zeros(d), np.ones(d), starts)
    # a local design, half as wide, around the first estimate (clipped to the box)
    lo = np.clip(centre - 0.25, 0.0, 1.0)
    hi = np.clip(centre + 0.25, 0.0, 1.0)
    lo, hi = np.minimum(lo, np.maximum(0.0, hi - 0.5)), np.maximum(hi, np.minimum(1.0, lo + 0.5))
    u2 = lo + sampler.random(plan.design_size) * (hi - lo)
    y2 = evaluate(u2)
    means = y2[:, :, :k].mean(axis=1)
    local = Surface.fit(u2, means)
    best = _minimise(local, observed, lo, hi, np.vstack([centre, u2[np.argmin(_objective(means, observed))]]))
    # bootstrap: resample replications, refit, re-minimise (no new simulation)
    rng = np.random.default_rng([plan.seed, 0xB007])
    boots = []
    for _ in range(BOOTSTRAP):
        pick = rng.integers(0, plan.replications, plan.replications)
        surface = Surface.fit(u2, y2[:, pick, :k].mean(axis=1))
        boots.append(_minimise(surface, observed, lo, hi, best[None, :]))
    boot = low + np.array(boots) * (high - low)
    estimate_values = low + best * (high - low)
    estimate_values = np.array(
        [round(v) if p.whole else float(v) for p, v in zip(plan.params, estimate_values, strict=True)]
    )
    # surface quality: leave-one-out R^2 on the local design, per target
    r2 = _loo_r2(u2, means)
    parameters = pd.DataFrame(
        {
            "parameter": [p.path for p in plan.params],
            "estimate": estimate_values,
            "ci_low": np.quantile(boot, 0.025, axis=0),
            "ci_high": np.quantile(boot, 0.975, axis=0),
            "bootstrap_se": boot.std(axis=0, ddof=1),
            "low": low,
            "high": high,
            "at_bound": [
                bool(np.isclose(v, lo_) or np.isclose(v, hi_))
                for v, lo_, hi_ in zip(estimate_values, low, high, strict=True)
            ],
        }
    )
    design_rows = []
    for stage, units, ys in (("global", u1, y1), ("local", u2, y2)):
        for u, y in zip(units, ys, strict=True):
            row: dict[str, Any] = {"design": stage}
            row.update({p.path: float(v) for p, v in zip(plan.params, low + u * (high - low), strict=True)})
            row.update({t.label: float(y[:, j].mean()) for j, t in enumerate(everything)})
            design_rows.append(row)
    design = pd.DataFrame(design_rows)
    # the check run: the estimate itself, simulated
    check = evaluate(((estimate_values - low) / (high - low))[None, :])[0]
    predicted = local.predict(best)[0]
    fit_rows = []
    for j, t in enumerate(everything):
        v = check[:, j]
        fit_rows.append(
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
    fit = pd.DataFrame(fit_rows)
    used = fit[fit["used"] == "fit"]
    summary = {
        "rmse_by_metric": {m: float(np.sqrt((g["error"] ** 2).mean())) for m, g in used.groupby("metric")},
        "mape": float(used["relative_error"].abs().mean()),
        "objective": float(_objective(used["simulated_mean"].to_numpy(), used["observed"].to_numpy())),
        "simulations": int((2 * plan.design_size + 1) * plan.replications),
    }
    # the surface is only a guide: when the simulation at the estimate misses what the
    # surface promised by more than its noise, say so rather than report a false fit
    se = standard_error(check[:, :k])
    summary["surface_misses"] = [
        t.label
        for j, t in enumerate(plan.targets)
        if abs(check[:, j].mean() - predicted[j]) > 4 * se[j] + 1e-9
    ]
    summary["targets_reached"] = bool(float(used["relative_error"].abs().mean()) < 0.05)
    backtest = _backtest(plan, fit) if plan.holdout else None
    if backtest is not None:
        summary["backtest_mape"] = {
            c: float(backtest[f"{c}_relative_error"].abs().mean())
            for c in ("calibrated", "last_value", "linear_trend")
        }
    estimate = {p.path: float(v) for p, v in zip(plan.params, estimate_values, strict=True)}
    return CalibrationResult(parameters, fit, design, backtest, estimate, summary)


def _scenario(plan: CalibrationPlan, values: FloatArray) -> Scenario:
    return load_scenario(plan.source, [*plan.overrides, *param_overrides(plan.params, values)])


def _loo_r2(u: FloatArray, y: FloatArray) -> FloatArray:
    """Leave-one-out R^2 of the quadratic surface, per target column of ``y``."""
    x = _quadratic_features(u)
    hat = x @ np.linalg.pinv(x)
    resid = y - hat @ y
    leverage = np.clip(1 - np.diag(hat), 1e-12, None)
    press = ((resid / leverage[:, None]) ** 2).sum(axis=0)
    total = ((y - y.mean(axis=0)) ** 2).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, 1 - press / total, np.nan)


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
            apply_override(data, concrete, given)
    for p in plan.params:
        fitted: float | int = result.estimate[p.path]
        fitted = int(fitted) if p.whole else float(fitted)
        for concrete in apply_override(resolved, p.path, fitted):
            apply_override(data, concrete, fitted)
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
