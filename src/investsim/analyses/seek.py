"""Goal seeking: the value of one lever, applied from a date, at which a metric reaches a
target, with an interval; or why no value in the range does.

``investsim seek SCENARIO --param PATH=LOW:HIGH --target METRIC=VALUE`` (the mean of the
metric reaches VALUE) or ``--target 'P(METRIC>=X)=PROB'`` (the share of replications in
which the metric is at least X reaches PROB; also ``>``, ``<=``, ``<``).

Method:

1. **Common random numbers.** Every evaluation of a lever value runs the same replications
   with the same seed, so the estimated metric (the mean over replications, or the share
   meeting the threshold) is a deterministic function of the value: root finding on it
   is well posed, and two values differ only by what the lever does.
2. **A grid first.** Nine evenly spaced values (both ends included) are run together.
   They give the direction of the relation (the sign of the estimate at the high end
   less the estimate at the low end, where their paired 95 % interval excludes 0; else
   the lever has no clear effect), whether the target is met already at the low end
   or still not at the high end, and whether the estimate crosses the target more than
   once (a non-monotone estimate: then no single answer is returned, the ranges where
   it is met are). A step between neighbouring values whose paired 95 % interval lies
   wholly against the direction is reported as a reversal.
3. **Root finding.** "Met" means the estimate has reached the target coming from the low
   end: at or above it when the relation rises, at or below it when it falls. The answer
   is the smallest value that meets the target, found by :func:`scipy.optimize.brentq`
   on ``direction x (estimate - target)`` in the grid interval where it first changes
   sign (an estimate exactly at the target counts as met, so on a plateau at the target
   the left end is found). Lever values that must be whole numbers are searched on whole
   numbers. ``brentq`` stops within 1/10,000 of the range (its last estimate is run
   too); the answer is the smallest value run that meets the target, so the estimate
   there does meet it.
4. **The interval, by inverting the confidence bounds.** For a mean target, each value's
   estimate has its 95 % t interval ``[L(x), U(x)]``; for a probability target, the
   Wilson score interval of the share (:func:`scipy.stats.binomtest`). The interval of
   the answer is the set of values whose interval holds the target: from the smallest
   value where the optimistic bound meets the target (``U`` for a rising relation) to the
   smallest where the pessimistic bound does (``L``). Both ends are found by ``brentq``
   like the answer. At the true answer the metric's expectation equals the target, which
   its interval holds 95 % of the time, so the set covers the true answer with about 95 %
   probability. An end that the range cuts off is said so ("at the low end", "beyond the
   range").
5. **Out of reach.** When the high end still does not meet the target, the answer is the
   best the range gives (its value, and the smallest lever value whose estimate cannot be
   told apart from it by a paired 95 % interval) and what binds at the high end
   (:func:`investsim.analyses.binds.what_binds`).
"""

from __future__ import annotations

import itertools
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from investsim.analyses.arguments import (
    bounds,
    jobs_argument,
    optional_whole_number,
    python_terms,
    real_number,
    scenario_argument,
    start_argument,
    whole_number,
)
from investsim.analyses.binds import Binding, binding_over, lever_resource
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
from investsim.results.stats import LEVEL, mean_interval, paired_difference
from investsim.runs.runner import Backend, Job, run_jobs
from investsim.scenario.config import Scenario
from investsim.scenario.loading import load_scenario

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FloatArray = NDArray[np.float64]

GRID = 9
"""Lever values run first, evenly spaced over the range, both ends included."""
XTOL = 1e-4
"""Root finding stops within this share of the range."""
TARGET_HELP = (
    "METRIC=VALUE (the mean reaches VALUE, e.g. growth:2021=0.06) or 'P(METRIC>=X)=PROB' "
    "(the share of replications with METRIC >= X reaches PROB; also >, <=, <)"
)
_OPS: dict[str, Callable[[FloatArray, float], NDArray[np.bool_]]] = {
    ">=": np.greater_equal,
    ">": np.greater,
    "<=": np.less_equal,
    "<": np.less,
}
_PROBABILITY = re.compile(
    r"^\s*P\s*\((?P<metric>[^<>=]+?)\s*(?P<op>>=|<=|>|<)\s*(?P<threshold>[^)]*)\)\s*=\s*(?P<value>.*)$"
)

FOUND = "found"
OUT_OF_REACH = "out_of_reach"
BELOW_RANGE = "below_range"
NON_MONOTONE = "non_monotone"
STATUSES = (FOUND, OUT_OF_REACH, BELOW_RANGE, NON_MONOTONE)


# ------------------------------------------------------------------------------ target


@dataclass(frozen=True)
class SeekTarget:
    """What to reach: the mean of ``metric`` reaching ``value``, or (with ``op``) the share
    of replications in which ``metric op threshold`` reaching the probability ``value``."""

    text: str
    metric: Metric
    value: float
    op: str | None = None
    threshold: float | None = None

    @property
    def probability(self) -> bool:
        """Whether the target is a probability."""
        return self.op is not None

    @property
    def quantity(self) -> str:
        """What is estimated: ``mean of growth:2021`` or ``P(growth:2021 >= 0.06)``."""
        if self.op is None:
            return f"the mean of {self.metric.name}"
        return f"P({self.metric.name} {self.op} {self.threshold:g})"

    def per_replication(self, replications: pd.DataFrame) -> FloatArray:
        """What is averaged over replications: the metric, or 1 where it meets the threshold."""
        values = self.metric.values(replications)
        if self.op is None:
            return values
        assert self.threshold is not None
        return _OPS[self.op](values, self.threshold).astype(float)


def _number(text: str, what: str, where: str) -> float:
    try:
        x = float(text.strip())
    except ValueError:
        raise InputError(f"{where}: {what} {text.strip()!r} is not a number") from None
    if not math.isfinite(x):
        raise InputError(f"{where}: {what} must be a finite number, got {text.strip()!r}")
    return x


def parse_target(text: str, base: Scenario) -> SeekTarget:
    """``--target`` for a run of ``base``: ``METRIC=VALUE`` or ``P(METRIC>=X)=PROB``
    (``InputError`` if it is neither)."""
    where = f"--target {text!r}"
    found = _PROBABILITY.match(text)
    if found:
        metric_text, op = found["metric"], found["op"]
        threshold = _number(found["threshold"], "the threshold", where)
        value = _number(found["value"], "the probability", where)
        if not 0 < value < 1:
            raise InputError(
                f"{where}: a probability target must lie between 0 and 1 (exclusive), got {value:g}"
            )
    else:
        metric_text, sep, value_part = text.partition("=")
        if not sep or not metric_text.strip() or not value_part.strip() or "=" in value_part:
            raise InputError(f"{where}: write {TARGET_HELP}")
        op, threshold = None, None
        value = _number(value_part, "the value", where)
    try:
        metric = parse_metric(metric_text, base.years, metric_columns(base))
    except InputError as e:
        # parse_metric speaks of --metric: say which option was given
        raise InputError(f"{where}: {str(e).partition(': ')[2]}") from None
    return SeekTarget(text.strip(), metric, value, op, threshold)


# ------------------------------------------------------------------------------ plan


@dataclass
class SeekPlan:
    """A validated goal seek: the lever (``param``), the target, and how to run."""

    source: str
    base: Scenario
    param: Param
    target: SeekTarget
    replications: int
    seed: int
    start: int | None
    """From when the lever's value holds (None: the whole simulation)."""

    @property
    def applied_from(self) -> str:
        """From when the lever's value holds, in words (inside a policy: the policy's date)."""
        return from_text(self.start, [self.param.path])

    def scenario(self, value: float) -> Scenario:
        """The base scenario with the lever at ``value`` from ``start``."""
        return apply_from(self.base, param_values([self.param], [value]), self.start)

    @property
    def xtol(self) -> float:
        """How close root finding gets (whole-number levers: below one step)."""
        return 0.25 if self.param.whole else XTOL * (self.param.high - self.param.low)


def plan_seek(
    scenario: str | Path,
    param: str,
    target: str,
    replications: int = 20,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    start: int | str | None = None,
) -> SeekPlan:
    """Parse and check everything; ``InputError`` before anything runs.

    The lever ``param`` (``path=low:high``) holds from 1 January of ``start`` (default:
    ``start_year``; ``"whole"`` for the whole simulation), as in sweeps."""
    if replications < 2:
        raise InputError(f"-n {replications}: seek needs at least 2 replications (for an interval)")
    base = load_scenario(scenario, overrides)
    return plan_lever(base, parse_param(param), target, replications, seed, start, str(scenario))


def plan_lever(
    base: Scenario,
    param: Param,
    target: str,
    replications: int = 20,
    seed: int | None = None,
    start: int | str | None = None,
    source: str | None = None,
) -> SeekPlan:
    """The goal seek of ``base`` over the lever ``param`` towards ``target`` (text, see
    :func:`parse_target`), checked; ``InputError`` before anything runs."""
    lever = check_param(base, param)
    applied = parse_from(start, base, [lever.path])
    goal = parse_target(target, base)
    if lever.whole and lever.high - lever.low < 1:
        raise InputError(f"--param {lever.path}: takes whole numbers; widen {lever.low:g}:{lever.high:g}")
    c = base.config
    if goal.metric.column == "growth" and goal.metric.first == c.start_year and c.last_observed is None:
        raise InputError(
            f"--target {target!r}: the growth of the first year, {c.start_year}, needs last_observed in "
            "the scenario (the year before's investment)"
        )
    if applied is not None and goal.metric.last < applied:
        raise InputError(
            f"--target {target!r}: the lever holds from {applied} (--from), after the metric's "
            f"last year {goal.metric.last}: it cannot move it"
        )
    plan = SeekPlan(
        source if source is not None else base.source,
        base,
        lever,
        goal,
        replications,
        base.config.seed if seed is None else seed,
        applied,
    )
    for value in (lever.low, lever.high):
        try:
            plan.scenario(value)
        except InputError as e:
            raise InputError(f"--param {lever.path}: at {value:g}: {e}") from None
    return plan


# ------------------------------------------------------------------------------ evaluation


@dataclass
class Point:
    """One lever value, run: the per-replication values, the estimate and its interval."""

    value: float
    values: FloatArray
    """Per replication: the metric (mean target) or 1/0 (probability target)."""
    metric: FloatArray
    """Per replication: the metric itself."""
    estimate: float
    low: float
    high: float
    frame: pd.DataFrame
    phase: str


def _interval(target: SeekTarget, values: FloatArray) -> tuple[float, float, float]:
    """The estimate and its 95 % interval: t interval of the mean, or Wilson's for a share."""
    if target.op is None:
        iv = mean_interval(values)
        if iv.se == 0:  # every replication alike: the interval is the point
            return iv.mean, iv.mean, iv.mean
        return iv.mean, iv.low, iv.high
    from scipy.stats import binomtest

    k, n = int(values.sum()), len(values)
    ci = binomtest(k, n).proportion_ci(LEVEL, method="wilson")
    return k / n, float(ci.low), float(ci.high)


class _Seeker:
    """Runs lever values on demand (each once: a cache), all with the same seed."""

    def __init__(
        self, plan: SeekPlan, jobs: int | Backend, on_progress: Callable[[int], None] | None
    ) -> None:
        self.plan = plan
        self.jobs = jobs
        self.on_progress = on_progress
        self.points: dict[float, Point] = {}

    def key(self, x: float) -> float:
        """The value actually run for ``x``: whole-number levers round up, so that the
        step between two whole numbers sits just above the lower one."""
        if self.plan.param.whole:
            return float(math.ceil(x - 1e-9))
        return float(x)

    def run(self, xs: Sequence[float], phase: str) -> list[Point]:
        """The points at ``xs``, running those not run yet together."""
        keys = [self.key(x) for x in xs]
        todo = list(dict.fromkeys(k for k in keys if k not in self.points))
        scenarios = [self.plan.scenario(k) for k in todo]
        work = [Job(s, self.plan.replications, self.plan.seed) for s in scenarios]
        for i, results in run_jobs(work, self.jobs, self.on_progress):
            frame = replications_frame(scenarios[i], results)
            metric = self.plan.target.metric.values(frame)
            if np.isnan(metric).any():
                raise InputError(
                    f"--target {self.plan.target.text!r}: the metric is undefined at "
                    f"{self.plan.param.path}={todo[i]:g} (e.g. a growth from 0)"
                )
            values = self.plan.target.per_replication(frame)
            estimate, low, high = _interval(self.plan.target, values)
            self.points[todo[i]] = Point(todo[i], values, metric, estimate, low, high, frame, phase)
        return [self.points[k] for k in keys]

    def point(self, x: float, phase: str) -> Point:
        """The point at ``x``."""
        return self.run([x], phase)[0]


@dataclass(frozen=True)
class _Gap:
    """``direction x (statistic - target)``, met when >= 0: the statistic is the estimate,
    or the optimistic or pessimistic bound of its interval."""

    direction: int
    target: float
    which: str  # "estimate", "optimistic", "pessimistic"

    def __call__(self, p: Point) -> float:
        if self.which == "estimate":
            stat = p.estimate
        elif (self.which == "optimistic") == (self.direction > 0):
            stat = p.high
        else:
            stat = p.low
        return self.direction * (stat - self.target)

    def met(self, p: Point) -> bool:
        """Whether the target is met at ``p`` by this statistic."""
        return self(p) >= 0


def _smallest_met(seeker: _Seeker, gap: _Gap, a: float, b: float, phase: str) -> float:
    """The smallest lever value in ``[a, b]`` where ``gap`` is met, given it is not met at
    ``a`` and is at ``b``: :func:`scipy.optimize.brentq` on the gap (0 counts as met, so
    the left end of a plateau at the target is found), then the smallest value it ran that
    meets it above the largest it ran that does not."""
    from scipy.optimize import brentq

    def signed(x: float) -> float:
        g = gap(seeker.point(x, phase))
        return g if g != 0 else math.ulp(1.0)

    root = float(brentq(signed, a, b, xtol=seeker.plan.xtol, maxiter=200))
    # on a smooth estimate brentq's last interpolation is far closer than xtol: run it too
    seeker.point(root, phase)
    ran = [p for p in seeker.points.values() if a <= p.value <= b]
    below = max((p.value for p in ran if not gap.met(p) and p.value <= root), default=a)
    return min((p.value for p in ran if gap.met(p) and p.value > below), default=b)


# ------------------------------------------------------------------------------ result


@dataclass
class SeekResult:
    """The answer of a goal seek (``status`` one of :data:`STATUSES`), every value run
    (``evaluations``) and the manifest."""

    plan: SeekPlan
    status: str
    direction: int
    answer: float
    """The smallest value that meets the target (NaN unless found or below the range)."""
    ci_low: float
    ci_high: float
    ci_low_at_range_end: bool
    """The interval's lower end is the range's low end (the range cuts it off)."""
    ci_high_beyond_range: bool
    """The interval's upper end lies beyond the range's high end."""
    best: dict[str, float]
    """The best estimate the range gives (``estimate``, ``ci_low``, ``ci_high``), the
    lever value ``at`` which it is first reached, and ``high``: the value where it is."""
    binds: Binding | None
    met_ranges: list[tuple[float, float]]
    reversals: list[dict[str, float]]
    evaluations: pd.DataFrame
    text: str
    manifest: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        text = self.text if len(self.text) <= 160 else self.text[:157] + "..."
        return f"SeekResult({self.status}: {text})"

    def save(self, out: str | Path, lang: str = "en") -> Path:
        """Write the results folder atomically (``seek.csv``: every lever value run, and
        ``manifest.json``), then its report in ``lang``; returns its path. A report that
        fails is a warning: the results are kept."""
        return save_folder(out, {"seek.csv": self.evaluations}, self.manifest, lang)

    def plot(self, lang: str = "en") -> Figure:
        """The report's chart: the estimate at every lever value run, with its 95 %
        interval, the target and the answer."""
        return plot("seek", {"seek.csv": self.evaluations}, self.manifest, lang)


def run_seek(
    plan: SeekPlan,
    jobs: int | Backend = 1,
    on_progress: Callable[[int], None] | None = None,
    command: Sequence[str] | None = None,
) -> SeekResult:
    """Seek the lever value of ``plan`` that meets its target (module docstring: the
    method); ``command`` is recorded in the manifest."""
    started = time.perf_counter()
    seeker = _Seeker(plan, jobs, on_progress)
    p, t = plan.param, plan.target.value
    xs = np.linspace(p.low, p.high, GRID)
    grid = seeker.run(list(dict.fromkeys(seeker.key(x) for x in xs)), "grid")
    f = np.array([g.estimate for g in grid])
    ends = paired_difference(grid[0].values, grid[-1].values)
    # a direction only where the ends differ by more than the noise (paired 95 % interval)
    direction = int(np.sign(f[-1] - f[0])) if ends.low > 0 or ends.high < 0 else 0
    found = _Found(plan, grid)
    if direction == 0:
        # no clear effect: flat (out of reach, or met everywhere), or up and down
        if np.all(f == f[0]) and f[0] == t:
            found.status, found.answer = BELOW_RANGE, p.low
        else:
            found.met_ranges = _met_ranges(grid, _Gap(1 if t > f[0] else -1, t, "estimate"))
            found.status = NON_MONOTONE if found.met_ranges else OUT_OF_REACH
    else:
        _classify(seeker, found, direction)
    return _result(plan, seeker, found, direction, command, started)


@dataclass
class _Found:
    """What the search found, filled in step by step."""

    plan: SeekPlan
    grid: list[Point]
    status: str = FOUND
    answer: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    ci_low_at_range_end: bool = False
    ci_high_beyond_range: bool = False
    met_ranges: list[tuple[float, float]] = field(default_factory=list)


def _met_ranges(grid: list[Point], gap: _Gap) -> list[tuple[float, float]]:
    """The stretches of the grid where the target is met: (first value, last value)."""
    out: list[tuple[float, float]] = []
    for g in grid:
        if gap.met(g):
            if out and out[-1][1] == _previous(grid, g):
                out[-1] = (out[-1][0], g.value)
            else:
                out.append((g.value, g.value))
    return out


def _previous(grid: list[Point], g: Point) -> float:
    i = grid.index(g)
    return grid[i - 1].value if i else math.nan


def _classify(seeker: _Seeker, found: _Found, direction: int) -> None:
    """Steps 2-4 for a relation with a direction: where the target is met on the grid,
    the answer and its interval."""
    plan, grid, t = seeker.plan, found.grid, seeker.plan.target.value
    gap = _Gap(direction, t, "estimate")
    met = [gap.met(g) for g in grid]
    switches = sum(a != b for a, b in itertools.pairwise(met))
    if not any(met):
        found.status = OUT_OF_REACH
        return
    if met[0]:
        found.status = BELOW_RANGE if all(met) else NON_MONOTONE
        found.answer = plan.param.low if all(met) else math.nan
        found.met_ranges = _met_ranges(grid, gap)
        return
    if switches > 1:
        found.status = NON_MONOTONE
        found.met_ranges = _met_ranges(grid, gap)
        return
    i = met.index(True)
    found.answer = _smallest_met(seeker, gap, grid[i - 1].value, grid[i].value, "answer")
    at = seeker.point(found.answer, "answer")
    # the interval: where the optimistic bound first meets the target ...
    optimistic = _Gap(direction, t, "optimistic")
    j = next(k for k, g in enumerate([*grid[:i], at]) if optimistic.met(g))
    if j == 0:
        found.ci_low, found.ci_low_at_range_end = plan.param.low, True
    else:
        right = at.value if j == i else grid[j].value
        found.ci_low = _smallest_met(seeker, optimistic, grid[j - 1].value, right, "ci_low")
    # ... and where the pessimistic bound does
    pessimistic = _Gap(direction, t, "pessimistic")
    if pessimistic.met(at):
        found.ci_high = at.value
        return
    later = [g for g in grid if g.value > at.value]
    k = next((n for n, g in enumerate(later) if pessimistic.met(g)), None)
    if k is None:
        found.ci_high, found.ci_high_beyond_range = plan.param.high, True
    else:
        left = at.value if k == 0 else later[k - 1].value
        found.ci_high = _smallest_met(seeker, pessimistic, left, later[k].value, "ci_high")


def _reversals(grid: list[Point], direction: int) -> list[dict[str, float]]:
    """Steps between neighbouring grid values whose paired 95 % interval lies wholly
    against ``direction``."""
    out = []
    for a, b in itertools.pairwise(grid):
        d = paired_difference(a.values, b.values)
        against = d.high < 0 if direction > 0 else d.low > 0
        if d.n >= 2 and against:
            out.append({"from": a.value, "to": b.value, "change": d.mean, "ci_low": d.low, "ci_high": d.high})
    return out


def _same(a: Point, b: Point) -> bool:
    """Whether the estimates at two values cannot be told apart: identical replications,
    or a paired 95 % interval of the difference that holds 0."""
    if np.array_equal(a.values, b.values):
        return True
    d = paired_difference(a.values, b.values)
    return bool(d.se > 0 and d.low <= 0 <= d.high)


def _best(seeker: _Seeker, direction: int) -> dict[str, float]:
    """The best estimate among the values run (the furthest in the direction of the
    relation; with no clear direction, the nearest the target) at the value ``high``, and
    ``at``: with a direction, the smallest value whose estimate cannot be told from it
    (on a plateau of identical replications, found to the root finder's precision)."""
    t = seeker.plan.target.value
    points = sorted(seeker.points.values(), key=lambda q: q.value)
    if not direction:
        top = min(points, key=lambda q: (abs(q.estimate - t), q.value))
        return {
            "estimate": top.estimate,
            "ci_low": top.low,
            "ci_high": top.high,
            "at": top.value,
            "high": top.value,
        }
    top = max(points, key=lambda q: (direction * q.estimate, q.value))
    k = next(i for i, q in enumerate(points) if _same(q, top))
    at = points[k].value
    if k and np.array_equal(points[k].values, top.values):
        # a plateau under common random numbers: the estimate is exactly the best's from
        # somewhere between the value before and this one; find where
        at = _smallest_met(seeker, _Gap(direction, top.estimate, "estimate"), points[k - 1].value, at, "best")
    return {"estimate": top.estimate, "ci_low": top.low, "ci_high": top.high, "at": at, "high": top.value}


def _result(
    plan: SeekPlan,
    seeker: _Seeker,
    found: _Found,
    direction: int,
    command: Sequence[str] | None,
    started: float,
) -> SeekResult:
    from investsim.runs.simulate import package_versions

    best = _best(seeker, direction)
    binds: Binding | None = None
    if found.status == OUT_OF_REACH:
        high = seeker.point(plan.param.high, "grid")
        m = plan.target.metric
        binds, _ = binding_over(high.frame, list(range(m.first, m.last + 1)))
    reversals = _reversals(found.grid, direction) if direction else []
    evaluations = _evaluations(plan, seeker, direction)
    text = _text(plan, found, direction, best, binds)
    result = SeekResult(
        plan,
        found.status,
        direction,
        found.answer,
        found.ci_low,
        found.ci_high,
        found.ci_low_at_range_end,
        found.ci_high_beyond_range,
        best,
        binds,
        found.met_ranges,
        reversals,
        evaluations,
        text,
    )
    result.manifest = _manifest(result, command, started, package_versions())
    return result


def _evaluations(plan: SeekPlan, seeker: _Seeker, direction: int) -> pd.DataFrame:
    """seek.csv: one row per lever value run, by value."""
    gap = _Gap(direction or 1, plan.target.value, "estimate")
    rows = []
    for q in sorted(seeker.points.values(), key=lambda q: q.value):
        p10, p50, p90 = (float(v) for v in np.quantile(q.metric, [0.1, 0.5, 0.9]))
        rows.append(
            {
                "value": q.value,
                "estimate": q.estimate,
                "ci_low": q.low,
                "ci_high": q.high,
                "metric_mean": float(q.metric.mean()),
                "metric_p10": p10,
                "metric_p50": p50,
                "metric_p90": p90,
                "met": bool(direction) and gap.met(q),
                "phase": q.phase,
            }
        )
    return pd.DataFrame(rows)


def value_text(x: float, param: Param) -> str:
    """A value of the lever ``param`` as printed: to a thousandth of its range (root
    finding is finer than that), whole-number levers as whole numbers."""
    if param.whole:
        return f"{x:.0f}"
    decimals = max(0, math.ceil(-math.log10((param.high - param.low) / 1000)))
    return f"{x:,.{decimals}f}"


def estimate_text(target: SeekTarget, v: float) -> str:
    """An estimate as printed: a probability or growth as a percentage, else a number."""
    if target.probability or target.metric.column == "growth":
        return f"{v:.1%}"
    return f"{v:,.4g}"


def _text(
    plan: SeekPlan, found: _Found, direction: int, best: dict[str, float], binds: Binding | None
) -> str:
    """The answer in one or two sentences (English)."""
    p, goal = plan.param, plan.target

    def x(v: float) -> str:
        return value_text(v, p)

    t = estimate_text(goal, goal.value)
    way = "rises" if direction > 0 else "falls"
    if found.status == FOUND:
        low = x(found.ci_low) + (" (the low end)" if found.ci_low_at_range_end else "")
        high = f"beyond {x(p.high)}" if found.ci_high_beyond_range else x(found.ci_high)
        reaches = "reaches" if direction > 0 else "is down to"
        return (
            f"{p.path} = {x(found.answer)} (95% interval {low} to {high}): the smallest value at which "
            f"{goal.quantity} {reaches} {t} ({goal.metric.name} {way} as the lever rises)"
        )
    if found.status == BELOW_RANGE:
        at_low = estimate_text(goal, found.grid[0].estimate)
        if direction == 0:
            return f"{goal.quantity} is {at_low} whatever the value in {x(p.low)} to {x(p.high)}: the target holds"
        side = "above" if direction > 0 else "below"
        return (
            f"below the range: {goal.metric.name} {way} as the lever rises, and already at the low end "
            f"({p.path} = {x(p.low)}) {goal.quantity} is {at_low}, {side} the target {t}; the value where "
            f"it equals {t} lies below {x(p.low)} (raising the lever takes it further from the target)"
        )
    if found.status == NON_MONOTONE:
        spans = ", ".join(f"{x(a)} to {x(b)}" for a, b in found.met_ranges)
        return (
            f"no single answer: {goal.quantity} does not move one way with {p.path} over "
            f"{x(p.low)} to {x(p.high)}; among the values run it is at or past {t} from {spans}"
        )
    flat = ""
    if direction == 0:
        lo_, hi_ = found.grid[0], found.grid[-1]
        flat = (
            f" (the lever does not clearly move it in this range: {estimate_text(goal, lo_.estimate)} at "
            f"{x(lo_.value)}, {estimate_text(goal, hi_.estimate)} at {x(hi_.value)})"
        )
    same = f", the same from {x(best['at'])} to {x(best['high'])}" if best["at"] < best["high"] else ""
    text = (
        f"out of reach in this range: the best is {estimate_text(goal, best['estimate'])} at "
        f"{p.path} = {x(best['at'])}{same}{flat}, against the target {t}"
    )
    if binds is not None and binds.resource is None:
        text += (
            f"; at {x(p.high)}, {binds.text}, so the pipeline itself (its projects and their "
            "durations) limits it"
        )
    elif binds is not None:
        text += f"; what binds instead is {binds.text}"
        if binds.resource == lever_resource(p.path):
            text += f": the lever itself still binds at {x(p.high)}, so widen the range"
    return text


def _manifest(
    result: SeekResult, command: Sequence[str] | None, started: float, versions: dict[str, str]
) -> dict[str, Any]:
    plan = result.plan
    goal = plan.target

    def number(x: float) -> float | None:
        return None if not math.isfinite(x) else float(x)

    return {
        "command": list(command) if command is not None else None,
        "scenario_file": plan.source,
        "seed": plan.seed,
        "replications": plan.replications,
        "common_random_numbers": True,
        "applied_from": plan.applied_from,
        "param": {
            "path": plan.param.path,
            "low": plan.param.low,
            "high": plan.param.high,
            "whole_numbers": plan.param.whole,
        },
        "target": {
            "text": goal.text,
            "metric": goal.metric.name,
            "kind": "probability" if goal.probability else "mean",
            "value": goal.value,
            "op": goal.op,
            "threshold": goal.threshold,
        },
        "status": result.status,
        "direction": result.direction,
        "answer": number(result.answer),
        "ci_low": number(result.ci_low),
        "ci_high": number(result.ci_high),
        "ci_low_at_range_end": result.ci_low_at_range_end,
        "ci_high_beyond_range": result.ci_high_beyond_range,
        "interval_method": (
            "the lever values whose 95% interval of the estimate holds the target (inverted "
            + ("t intervals of the mean" if not goal.probability else "Wilson score intervals of the share")
            + ")"
        ),
        "best": {k: number(v) for k, v in result.best.items()},
        "binds": None if result.binds is None else result.binds.text,
        "binds_resource": None if result.binds is None else result.binds.resource,
        "binds_is_lever": result.binds is not None
        and result.binds.resource is not None
        and result.binds.resource == lever_resource(plan.param.path),
        "met_ranges": [list(r) for r in result.met_ranges],
        "reversals": result.reversals,
        "answer_text": result.text,
        "evaluations": result.evaluations[["value", "estimate", "ci_low", "ci_high", "met", "phase"]].to_dict(
            "records"
        ),
        "simulations": len(result.evaluations) * plan.replications,
        "wall_time_s": round(time.perf_counter() - started, 3),
        "versions": versions,
    }


PYTHON_TERMS = {
    "--param": "lever",
    "--target": "target",
    "--from whole": 'start="whole"',
    "--from": "start",
    "-n ": "replications=",
}
"""The goal seek's option names in its checks' messages, as the Python arguments."""


def seek(
    scenario: Scenario,
    lever: str,
    between: tuple[float, float],
    metric: str,
    value: float,
    *,
    threshold: float | None = None,
    op: str = ">=",
    replications: int = 20,
    seed: int | None = None,
    start: int | str | None = None,
    jobs: int | Backend = 1,
    on_progress: Callable[[int], None] | None = None,
) -> SeekResult:
    """The smallest value of ``lever`` (a key path) ``between`` (low, high) at which
    ``metric`` of ``scenario`` reaches ``value``: what ``investsim seek`` does, from
    Python objects.

    The target is the mean of ``metric`` reaching ``value`` (e.g. ``metric="growth:2021",
    value=0.06``), or with ``threshold`` the share of replications where ``metric op
    threshold`` reaching the probability ``value`` (``op`` one of ``>=``, ``>``, ``<=``,
    ``<``). Every value tried runs ``replications`` replications with the same ``seed``;
    the lever holds from 1 January of ``start`` (default: the scenario's start_year) or,
    with ``"whole"``, over the whole simulation.

    Returns a :class:`SeekResult`: ``status``, ``answer`` with ``ci_low``/``ci_high``,
    ``text``, ``evaluations`` (every value run), ``plot()`` and ``save(folder)``.
    """
    base = scenario_argument(scenario)
    if not isinstance(lever, str):
        raise TypeError(f"lever must be a key path (str), got {type(lever).__name__} {lever!r}")
    low, high = bounds("between", between)
    if not isinstance(metric, str):
        raise TypeError(f"metric must be a metric name (str), got {type(metric).__name__} {metric!r}")
    goal = real_number("value", value)
    if op not in _OPS:
        raise ValueError(f"op(={op!r}) must be one of {', '.join(_OPS)}")
    if threshold is None:
        text = f"{metric}={goal!r}"
    else:
        text = f"P({metric}{op}{real_number('threshold', threshold)!r})={goal!r}"
    reps = whole_number("replications", replications, 2)
    s = optional_whole_number("seed", seed, 0)
    when = start_argument(start)
    workers = jobs_argument(jobs)
    try:
        plan = plan_lever(base, Param(lever.strip(), low, high), text, reps, s, when)
    except InputError as e:
        e.message = python_terms(e.message, PYTHON_TERMS)
        raise
    return run_seek(plan, workers, on_progress)
