"""Global sensitivity of a metric to scenario parameters: Morris screening or Sobol indices.

SALib draws the parameter sets and analyses the results; investsim runs each set as the
scenario with ``--set path=value`` overrides, every set with the same seed (common random
numbers), so that a parameter that does not act on the metric has an index of exactly 0
rather than one lost in sampling noise. The model output of a set is the mean of the
metric over its replications.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from investsim.analyses.arguments import (
    jobs_argument,
    optional_whole_number,
    python_terms,
    ranges,
    scenario_argument,
    start_argument,
    whole_number,
)
from investsim.analyses.metrics import Metric, metric_columns, parse_metric
from investsim.analyses.params import (
    Param,
    apply_from,
    check_param,
    from_text,
    param_values,
    parse_from,
    parse_param,
)
from investsim.analyses.saving import plot, save_folder
from investsim.errors import InputError
from investsim.results.forecast import replications_frame
from investsim.results.stats import normal_quantile
from investsim.runs.runner import Backend, Job, run_jobs
from investsim.runs.simulate import package_versions
from investsim.scenario.config import Scenario
from investsim.scenario.loading import load_scenario

if TYPE_CHECKING:
    from matplotlib.figure import Figure

METHODS = ("morris", "sobol")
MORRIS_LEVELS = 4
BOOTSTRAP = 200


@dataclass
class SensitivityPlan:
    """A validated analysis: the SALib problem, its sample and one scenario per row."""

    source: str
    method: str
    params: list[Param]
    problem: dict[str, Any]
    design: NDArray[np.float64]
    """SALib's sample, which the analysis reads."""
    sample: NDArray[np.float64]
    """The values run: the design, with whole-number parameters rounded."""
    scenarios: list[Scenario]
    metric: Metric
    replications: int
    seed: int
    samples: int
    start: int | None = None
    """From when the parameters' values hold (None: the whole simulation)."""

    @property
    def applied_from(self) -> str:
        """From when the parameters' values hold, in words (a value inside a policy: its date)."""
        return from_text(self.start, [p.path for p in self.params])


def plan_sensitivity(
    scenario: str | Path,
    params: Sequence[str],
    method: str = "morris",
    samples: int | None = None,
    metric: str = "cumulative_investment",
    replications: int = 10,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    start: int | str | None = None,
) -> SensitivityPlan:
    """Parse and check everything, draw the sample; ``InputError`` before anything runs.

    ``samples`` is the number of Morris trajectories (default 10) or the Sobol base
    sample size N (a power of two; default 64): Morris runs samples x (D + 1) parameter
    sets, Sobol samples x (D + 2), each with ``replications`` replications.
    """
    if not params:
        raise InputError("give at least one --param path=low:high")
    parsed = [parse_param(p) for p in params]
    base = load_scenario(scenario, overrides)
    return plan_parameters(base, parsed, method, samples, metric, replications, seed, start, str(scenario))


def plan_parameters(
    base: Scenario,
    parsed: Sequence[Param],
    method: str = "morris",
    samples: int | None = None,
    metric: str = "cumulative_investment",
    replications: int = 10,
    seed: int | None = None,
    start: int | str | None = None,
    source: str | None = None,
) -> SensitivityPlan:
    """The analysis of ``base`` over the parameters ``parsed``, checked, with its sample
    drawn (see :func:`plan_sensitivity`); ``InputError`` before anything runs."""
    if method not in METHODS:
        raise InputError(f"--method {method!r}: use morris or sobol")
    paths = [p.path for p in parsed]
    if len(set(paths)) != len(paths):
        raise InputError("--param: a path is given twice")
    if method == "sobol" and len(parsed) < 2:
        raise InputError("--method sobol needs at least two --param")
    checked = [check_param(base, p) for p in parsed]
    wanted = parse_metric(metric, base.years, metric_columns(base))
    s = base.config.seed if seed is None else seed
    problem = {
        "num_vars": len(checked),
        "names": paths,
        "bounds": [[p.low, p.high] for p in checked],
    }
    if method == "morris":
        n = samples or 10
        if n < 2:
            raise InputError(f"--samples {n}: Morris needs at least 2 trajectories")
        x = morris_sample.sample(problem, n, num_levels=MORRIS_LEVELS, seed=s)
    else:
        n = samples or 64
        if n < 2 or n & (n - 1):
            raise InputError(f"--samples {n}: Sobol needs a power of two (e.g. 64, 128, 256)")
        x = sobol_sample.sample(problem, n, calc_second_order=False, seed=s)
    design = np.array(x, dtype=float)
    x = design.copy()
    for j, p in enumerate(checked):
        if p.whole:
            x[:, j] = np.round(x[:, j])
    # validated values, not text: the file is read once
    # from 1 January of start (default start_year: the warm-up is not rewritten)
    applied = parse_from(start, base, [p.path for p in checked])
    scenarios = [apply_from(base, param_values(checked, row), applied) for row in x]
    return SensitivityPlan(
        source if source is not None else base.source,
        method,
        checked,
        problem,
        design,
        x,
        scenarios,
        wanted,
        replications,
        s,
        n,
        applied,
    )


@dataclass
class SensitivityResult:
    """Indices per parameter (``table``, most important first), the model outputs of every
    parameter set, and the manifest."""

    table: pd.DataFrame
    outputs: pd.DataFrame
    method: str
    manifest: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"SensitivityResult({self.method}, {len(self.table)} rows in .table, {len(self.outputs)} runs)"

    def save(self, out: str | Path, lang: str = "en") -> Path:
        """Write the results folder atomically (``sensitivity.csv``, ``samples.csv``,
        ``manifest.json``), then its report in ``lang``; returns its path. A report that
        fails is a warning: the results are kept."""
        return save_folder(out, self._tables(), self.manifest, lang)

    def _tables(self) -> dict[str, pd.DataFrame]:
        return {"sensitivity.csv": self.table, "samples.csv": self.outputs}

    def plot(self, lang: str = "en") -> Figure:
        """The report's tornado chart: each parameter's index with its 95 % interval."""
        return plot("tornado", self._tables(), self.manifest, lang)


def run_sensitivity(
    plan: SensitivityPlan,
    jobs: int | Backend = 1,
    on_progress: Callable[[int], None] | None = None,
    command: Sequence[str] | None = None,
) -> SensitivityResult:
    """Run every parameter set and analyse the outputs with SALib; ``command`` is recorded
    in the manifest."""
    started = time.perf_counter()
    y = np.empty(len(plan.scenarios))
    work = [Job(scn, plan.replications, plan.seed) for scn in plan.scenarios]
    for k, results in run_jobs(work, jobs, on_progress):
        values = plan.metric.values(replications_frame(plan.scenarios[k], results))
        y[k] = float(np.nanmean(values)) if np.any(~np.isnan(values)) else np.nan
    if np.any(np.isnan(y)):
        raise InputError(
            f"the metric {plan.metric.name} is undefined for some parameter sets (e.g. a growth from 0)"
        )
    outputs = pd.DataFrame(plan.sample, columns=[p.path for p in plan.params])
    outputs[plan.metric.name] = y
    table = _morris(plan, y) if plan.method == "morris" else _sobol(plan, y)
    manifest = {
        "command": list(command) if command is not None else None,
        **manifest_of(plan),
        "wall_time_s": round(time.perf_counter() - started, 3),
        "versions": package_versions(),
    }
    return SensitivityResult(table, outputs, plan.method, manifest)


def _morris(plan: SensitivityPlan, y: NDArray[np.float64]) -> pd.DataFrame:
    kw = {"num_levels": MORRIS_LEVELS, "conf_level": 0.95, "num_resamples": BOOTSTRAP, "seed": plan.seed}
    res = morris_analyze.analyze(plan.problem, plan.design, y, **kw)
    # SALib gives a bootstrap interval for mu* only; sigma's comes from resampling whole
    # trajectories the same way
    d = len(plan.params)
    rng = np.random.default_rng(np.random.SeedSequence([plan.seed, 0x5E45]))
    sigmas = []
    for _ in range(BOOTSTRAP):
        pick = rng.integers(0, plan.samples, plan.samples)
        rows = (pick[:, None] * (d + 1) + np.arange(d + 1)[None, :]).ravel()
        boot = morris_analyze.analyze(plan.problem, plan.design[rows], y[rows], num_levels=MORRIS_LEVELS)
        sigmas.append(np.asarray(boot["sigma"], dtype=float))
    sigma_conf = normal_quantile() * np.nanstd(np.array(sigmas), axis=0, ddof=1)
    table = pd.DataFrame(
        {
            "parameter": [p.path for p in plan.params],
            "low": [p.low for p in plan.params],
            "high": [p.high for p in plan.params],
            "mu_star": np.asarray(res["mu_star"], dtype=float),
            "mu_star_conf": np.asarray(res["mu_star_conf"], dtype=float),
            "sigma": np.asarray(res["sigma"], dtype=float),
            "sigma_conf": sigma_conf,
            "mu": np.asarray(res["mu"], dtype=float),
        }
    )
    return _ranked(table, "mu_star")


def _sobol(plan: SensitivityPlan, y: NDArray[np.float64]) -> pd.DataFrame:
    if np.ptp(y) == 0:
        s1 = st = np.zeros(len(plan.params))
        s1c = stc = np.zeros(len(plan.params))
    else:
        res = sobol_analyze.analyze(
            plan.problem, y, calc_second_order=False, conf_level=0.95, num_resamples=BOOTSTRAP, seed=plan.seed
        )
        s1, s1c = np.asarray(res["S1"], dtype=float), np.asarray(res["S1_conf"], dtype=float)
        st, stc = np.asarray(res["ST"], dtype=float), np.asarray(res["ST_conf"], dtype=float)
    table = pd.DataFrame(
        {
            "parameter": [p.path for p in plan.params],
            "low": [p.low for p in plan.params],
            "high": [p.high for p in plan.params],
            "S1": s1,
            "S1_conf": s1c,
            "ST": st,
            "ST_conf": stc,
        }
    )
    return _ranked(table, "ST")


def _ranked(table: pd.DataFrame, by: str) -> pd.DataFrame:
    out = table.sort_values(by, ascending=False, kind="stable").reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out


def manifest_of(plan: SensitivityPlan) -> dict[str, Any]:
    """What a sensitivity folder's manifest records about the analysis."""
    return {
        "scenario_file": plan.source,
        "method": plan.method,
        "metric": plan.metric.name,
        "samples": plan.samples,
        "parameter_sets": len(plan.scenarios),
        "replications_per_set": plan.replications,
        "applied_from": plan.applied_from,
        "seed": plan.seed,
        "parameters": [
            {"path": p.path, "low": p.low, "high": p.high, "whole_numbers": p.whole} for p in plan.params
        ],
        "salib_problem": json.loads(json.dumps(plan.problem)),
    }


PYTHON_TERMS = {
    "--param": "params",
    "--method": "method",
    "--samples": "samples",
    "--metric": "metric",
    "--from whole": 'start="whole"',
    "--from": "start",
}
"""The analysis's option names in its checks' messages, as the Python arguments."""


def sensitivity(
    scenario: Scenario,
    params: Mapping[str, tuple[float, float]],
    metric: str = "cumulative_investment",
    *,
    method: str = "morris",
    samples: int | None = None,
    replications: int = 10,
    seed: int | None = None,
    start: int | str | None = None,
    jobs: int | Backend = 1,
    on_progress: Callable[[int], None] | None = None,
) -> SensitivityResult:
    """Rank which parameters of ``scenario`` move ``metric`` most: what ``investsim
    sensitivity`` does, from Python objects.

    ``params`` maps key paths to ``(low, high)`` ranges, e.g.
    ``{"financing.sources.bank.supply": (28, 46)}``. ``method`` is ``morris`` (screening;
    ``samples`` trajectories, default 10) or ``sobol`` (indices; ``samples`` a power of
    two, default 64; needs two parameters or more). Every parameter set runs
    ``replications`` replications with the same ``seed``; values hold from 1 January of
    ``start`` (default: the scenario's start_year) or with ``"whole"`` over the whole
    simulation.

    Returns a :class:`SensitivityResult`: ``table`` (``sensitivity.csv``), ``outputs``,
    ``plot()`` and ``save(folder)``.
    """
    base = scenario_argument(scenario)
    parsed = [Param(path, low, high) for path, (low, high) in ranges("params", params).items()]
    if not isinstance(metric, str):
        raise TypeError(f"metric must be a metric name (str), got {type(metric).__name__} {metric!r}")
    if method not in METHODS:
        raise ValueError(f"method(={method!r}) must be 'morris' or 'sobol'")
    n = optional_whole_number("samples", samples, 2)
    reps = whole_number("replications", replications, 1)
    s = optional_whole_number("seed", seed, 0)
    when = start_argument(start)
    workers = jobs_argument(jobs)
    try:
        plan = plan_parameters(base, parsed, method, n, metric, reps, s, when)
    except InputError as e:
        e.message = python_terms(e.message, PYTHON_TERMS)
        raise
    return run_sensitivity(plan, workers, on_progress)
