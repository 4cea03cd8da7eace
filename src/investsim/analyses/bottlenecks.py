"""The bottleneck map: which resource holds the pipeline up each year, and what one more
unit of it in that year is worth.

For every reported year *y* and every constrained resource (each limited funding source,
the land budget, approval places, land places when limited, service secretaries), two
things:

- **how binding it is**, from the scenario's own replications: the mean share of the
  year it held a project up and the mean number it held up (``binding_*`` and
  ``waiting_*``, docs/model.md 7.5);
- **its marginal value**: the scenario is run again with ``step`` more of the resource in
  year *y* only (money: ``step`` more of that year's supply, from 1 January *y* to
  1 January *y + 1*; places: ``step`` more places in that year), with the same seed, so
  that replication *r* of both runs shares its random numbers; the gain in cumulative
  investment over the horizon, divided by ``step``, is the value of one more unit, and
  its 95% interval is the paired t interval of the per-replication gains.

A resource that held no project up at any moment of year *y* in any replication is not
run again: its extra units would have found no taker (unused money is lost at the end
of the year, unused places and secretaries are taken back), so the run would be
identical and its marginal value is exactly 0. (``tests/test_bottlenecks.py`` checks this
by running such cells anyway.) The one exception, run anyway, is a source with both a
debt ceiling and the guarantee pool: more of its own supply lets eligible claims borrow
less from the pool and more under the ceiling, which can change later years.

>>> plan = plan_bottlenecks("baseline.yaml", replications=40)
>>> result = run_bottlenecks(plan, jobs=2)
>>> result.save("results/baseline-bottlenecks")  # what `investsim bottlenecks` writes
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from investsim import columns as cols
from investsim.analyses.arguments import (
    jobs_argument,
    optional_whole_number,
    python_terms,
    real_number,
    scenario_argument,
    whole_number,
)
from investsim.analyses.saving import plot, save_folder
from investsim.errors import InputError
from investsim.results.forecast import replications_frame
from investsim.results.stats import paired_difference
from investsim.runs.runner import Backend, Job, run_jobs
from investsim.runs.simulate import package_versions
from investsim.scenario.config import Scenario, ScenarioConfig
from investsim.scenario.loading import load_scenario

if TYPE_CHECKING:
    from matplotlib.figure import Figure

STEP = 0.05
"""The default step: a twentieth of the amount in force in the year (a year's supply, or
the places there are), whole places rounded up. Smaller steps measure the next unit more
closely but their gains are lumpier (a project needs its whole share), so noisier per
unit; larger ones average over more of the curve. docs/model.md 7.6 has the numbers."""

MONEY, PLACE = "money", "place"

# how each kind of resource is read from a configuration and changed by a policy
_RESOURCES_KEYS = {
    "land_budget": "resources.land_budget",
    "approval_capacity": "resources.approval_capacity",
    "land_capacity": "resources.land_capacity",
    "secretaries": "resources.service_secretaries",
}

GAIN, TIMING, ZERO, NO_GAIN, LOSS = "gain", "timing", "zero", "none", "loss"
"""What a measured marginal value says: a gain by the end of the horizon (its interval
above 0); investment brought forward only (the cumulative gain surely above 0 in some
year, surely lower by the end, and not told apart from 0 then); exactly 0 (every
replication the same as the scenario's: no project could use the extra alone, those it
holds up waiting for another resource too or needing more than the step); no gain told
apart from 0 with these replications; a loss (its interval below 0)."""

MEASURED, NEVER_BINDS, UNLIMITED = "measured", "never binds", "unlimited"

COLUMNS = (
    "year",
    "resource",
    "kind",
    "unit",
    "binding",
    "binding_replications",
    "waiting",
    "amount",
    "step",
    "status",
    "marginal",
    "marginal_low",
    "marginal_high",
    "reading",
    "peak",
    "peak_low",
    "peak_high",
    "peak_year",
    "replications",
)
"""The columns of ``bottlenecks.csv``, one row per year and resource."""


@dataclass(frozen=True)
class Resource:
    """A constrained resource: ``name`` as the table shows it (a source's name, or
    ``land_budget``, ``approval_capacity``, ``land_capacity``, ``secretaries``)."""

    name: str
    kind: str
    """``source`` or the name itself for the others."""
    path: str
    """The scenario key a policy changes to add some of it."""
    unit: str
    """``money`` or ``place``."""

    @property
    def binding_column(self) -> str:
        """Its share-of-the-year-binding column in the replications table."""
        if self.kind == "source":
            return cols.BINDING_SOURCE.of(source=self.name)
        return f"binding_{self.name}"

    @property
    def waiting_column(self) -> str:
        """Its number-held-up column in the replications table."""
        if self.kind == "source":
            return cols.WAITING_SOURCE.of(source=self.name)
        return f"waiting_{self.name}"


def resources_of(scenario: Scenario) -> list[Resource]:
    """The scenario's constrained resources, in the order of the bottleneck map: the
    funding sources with a supply limit in some configuration, then the land budget,
    approval places and land places where some configuration limits them, and service
    secretaries where there are key projects."""
    configs = [scenario.config, *(ch.config for ch in scenario.changes)]
    out = []
    for name in scenario.config.financing.sources:
        if any(_source_terms(cfg, name) is not None for cfg in configs):
            out.append(Resource(name, "source", f"financing.sources.{name}.supply", MONEY))
    for name, path in _RESOURCES_KEYS.items():
        # null (unlimited) in every configuration: nothing to add
        if any(_read(cfg, path) is not None for cfg in configs):
            out.append(Resource(name, name, path, MONEY if name == "land_budget" else PLACE))
    if all(cfg.key_project_threshold is None for cfg in configs):
        out = [r for r in out if r.name != "secretaries"]  # no key project ever has one
    return out


def _read(cfg: ScenarioConfig, path: str) -> Any:
    value: Any = cfg
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else getattr(value, part, None)
        if value is None:
            return None
    return value


def _source_terms(cfg: ScenarioConfig, name: str) -> tuple[float, float] | None:
    """(supply, growth) of a source with a finite supply in ``cfg``; None if unlimited."""
    source = cfg.financing.sources.get(name)
    supply = getattr(source, "supply", None)
    if not isinstance(supply, int | float) or not math.isfinite(supply):
        return None
    return float(supply), float(getattr(source, "growth", 0.0) or 0.0)


def config_at(scenario: Scenario, t: float) -> ScenarioConfig:
    """The configuration in force at ``t`` (years since 1 January of start_year), every
    policy dated ``t`` included."""
    cfg = scenario.config
    for change in scenario.changes:  # in the order they take effect
        if change.time <= t + 1e-12:
            cfg = change.config
    return cfg


def amount_in(cfg: ScenarioConfig, resource: Resource, year: int, start_year: int) -> float | None:
    """How much of ``resource`` ``cfg`` gives in calendar ``year``: the year's supply of
    money, or the places there are; None when unlimited."""
    if resource.kind == "source":
        terms = _source_terms(cfg, resource.name)
        if terms is None:
            return None
        supply, growth = terms
        return supply * (1 + growth) ** (year - start_year)
    value = _read(cfg, resource.path)
    return None if value is None else float(value)


def _setting(cfg: ScenarioConfig, resource: Resource, year: int, start_year: int, extra: float) -> Any:
    """The value of ``resource.path`` that gives ``extra`` more of it in ``year`` than
    ``cfg`` does (None: unlimited there)."""
    if resource.kind == "source":
        terms = _source_terms(cfg, resource.name)
        if terms is None:
            return None
        supply, growth = terms
        # the year's money is supply x (1 + growth)^k: the supply that gives `extra` more
        return supply + extra / (1 + growth) ** (year - start_year)
    value = _read(cfg, resource.path)
    if value is None:
        return None
    return int(value + extra) if resource.unit == PLACE else float(value) + extra


def with_more(scenario: Scenario, resource: Resource, year: int, extra: float) -> Scenario:
    """``scenario`` with ``extra`` more of ``resource`` in calendar ``year`` only.

    Added as timed policies after the scenario's own: from 1 January ``year``, the amount
    in force plus ``extra``; at each policy of the scenario during that year that changes
    the resource, its new value plus ``extra`` (so the extra is not undone mid-year); and
    from 1 January ``year + 1`` (if within the horizon), the scenario's own value again.
    A change of supply counts pro rata for the rest of the year (docs/model.md 5.5), so
    the year's money is exactly ``extra`` more."""
    c = scenario.config
    t0 = float(year - c.start_year)
    mine: list[dict[str, Any]] = []

    def add(start: str | int, cfg: ScenarioConfig, more: float, what: str) -> None:
        value = _setting(cfg, resource, year, c.start_year, more)
        if value is not None or more == 0:
            mine.append({"name": f"bottleneck map: {what}", "from": start, "set": {resource.path: value}})

    add(year, config_at(scenario, t0), extra, f"{resource.name} +{extra:g} in {year}")
    for k, change in enumerate(scenario.changes):
        if t0 < change.time < t0 + 1 - 1e-12:
            add(change.start, change.config, extra, f"{resource.name} +{extra:g} in {year} ({k})")
    if year + 1 < c.start_year + c.horizon_years:
        add(year + 1, config_at(scenario, t0 + 1), 0.0, f"{resource.name} back after {year}")
    policies = list(scenario.resolved.get("policies") or [])
    return scenario.with_overrides({"policies": [*policies, *mine]})


def step_of(resource: Resource, amount: float, step: float, steps: Mapping[str, float]) -> float:
    """The extra amount to add: ``steps[resource.name]`` if given (in the resource's unit),
    else ``step`` times ``amount``; whole places, at least one; one money unit where the
    amount is 0."""
    extra = steps[resource.name] if resource.name in steps else step * amount
    if resource.unit == PLACE:
        return float(max(1, math.ceil(extra - 1e-9)))
    return extra if extra > 0 else 1.0  # a source with no money this year: one unit


def parse_steps(texts: Sequence[str]) -> tuple[float, dict[str, float]]:
    """``--step``: a fraction of the amount in force (``0.05``), or ``RESOURCE=AMOUNT`` in
    the resource's unit (``bank=2``, ``approval_capacity=5``); repeatable."""
    fraction = STEP
    fixed: dict[str, float] = {}
    for text in texts:
        name, sep, value = text.partition("=")
        try:
            number = float(value if sep else name)
        except ValueError:
            raise InputError(
                f"--step {text!r}: give a fraction of the year's amount (e.g. 0.05) or RESOURCE=AMOUNT "
                "(e.g. bank=2)"
            ) from None
        if not math.isfinite(number) or number <= 0:
            raise InputError(f"--step {text!r}: the step must be a positive number")
        if sep:
            fixed[name.strip()] = number
        elif number > 1:
            raise InputError(
                f"--step {text!r}: a fraction of the year's amount is at most 1 (0.05 = a twentieth)"
            )
        else:
            fraction = number
    return fraction, fixed


@dataclass
class BottleneckPlan:
    """A validated bottleneck map, ready to run."""

    source: str
    scenario: Scenario
    resources: list[Resource]
    replications: int
    seed: int
    step: float
    steps: dict[str, float] = field(default_factory=dict)

    @property
    def years(self) -> list[int]:
        """The reported years."""
        return self.scenario.years

    @property
    def most_runs(self) -> int:
        """Replications run at most: the scenario's, and one run per year and resource."""
        return self.replications * (1 + len(self.resources) * len(self.years))


def plan_bottlenecks(
    scenario: str | Path,
    replications: int = 40,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    steps: Sequence[str] = (),
) -> BottleneckPlan:
    """Load the scenario and check the options; ``InputError`` before anything runs."""
    if replications < 2:
        raise InputError(f"-n {replications}: the intervals need at least 2 replications")
    base = load_scenario(scenario, overrides)
    step, fixed = parse_steps(steps)
    return plan_map(base, replications, seed, step, fixed, str(scenario))


def plan_map(
    base: Scenario,
    replications: int = 40,
    seed: int | None = None,
    step: float = STEP,
    fixed: Mapping[str, float] | None = None,
    source: str | None = None,
) -> BottleneckPlan:
    """The bottleneck map of ``base``: ``step`` a fraction of each year's amount, ``fixed``
    steps by resource in its unit; ``InputError`` before anything runs."""
    fixed = dict(fixed or {})
    resources = resources_of(base)
    known = {r.name for r in resources}
    for name in fixed:
        if name not in known:
            raise InputError(
                f"--step {name}=...: not a constrained resource of this scenario; there are "
                f"{', '.join(sorted(known)) or 'none'}"
            )
    s = base.config.seed if seed is None else seed
    return BottleneckPlan(
        source if source is not None else base.source, base, resources, replications, s, step, fixed
    )


@dataclass
class BottleneckResult:
    """The bottleneck map (``table``, one row per year and resource), one line per year
    for the terminal, and the manifest."""

    table: pd.DataFrame
    lines: list[str]
    manifest: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"BottleneckResult({len(self.table)} rows in .table; {len(self.lines)} lines in .lines)"

    def save(self, out: str | Path, lang: str = "en") -> Path:
        """Write the results folder atomically (``bottlenecks.csv``, ``manifest.json``),
        then its report in ``lang``; returns its path. A report that fails is a warning."""
        return save_folder(out, {"bottlenecks.csv": self.table}, self.manifest, lang)

    def plot(self, lang: str = "en") -> Figure:
        """The report's heat map: per year and resource, how binding it was and the
        investment one more unit of it adds."""
        return plot("bottlenecks", {"bottlenecks.csv": self.table}, self.manifest, lang)


@dataclass
class _Cell:
    year: int
    resource: Resource
    amount: float | None
    step: float
    binding: float
    binding_replications: float
    waiting: float
    status: str


def _cumulative(frame: pd.DataFrame, years: list[int]) -> np.ndarray:
    """(replications x years) cumulative investment from the first reported year."""
    wide = frame.pivot(index="replication", columns="year", values="investment")[years]
    return wide.sort_index().to_numpy(dtype=float).cumsum(axis=1)


def run_bottlenecks(
    plan: BottleneckPlan,
    jobs: int | Backend = 1,
    on_progress: Callable[[int], None] | None = None,
    command: Sequence[str] | None = None,
) -> BottleneckResult:
    """Run the scenario, then every (year, resource) that binds with a step more of it,
    and build the map. ``on_progress(k)`` is called as ``k`` more replications are done
    (the runs not needed count as done); ``command`` is recorded in the manifest."""
    started = time.perf_counter()
    base = plan.scenario
    c = base.config
    years = plan.years
    n = plan.replications
    [(_, results)] = list(run_jobs([Job(base, n, plan.seed)], jobs, on_progress))
    reps = replications_frame(base, results)
    by_year = reps.groupby("year")
    cells = []
    for year in years:
        t0 = float(year - c.start_year)
        rows = by_year.get_group(year)
        for resource in plan.resources:
            amount = amount_in(config_at(base, t0), resource, year, c.start_year)
            bound = (
                rows[resource.binding_column].to_numpy(dtype=float)
                if resource.binding_column in rows
                else None
            )
            waited = (
                rows[resource.waiting_column].to_numpy(dtype=float)
                if resource.waiting_column in rows
                else None
            )
            share = float(np.mean(bound)) if bound is not None else 0.0
            anywhere = float(np.mean(bound > 0)) if bound is not None else 0.0
            status = MEASURED
            if amount is None:
                status = UNLIMITED
            elif anywhere == 0 and not _always_run(base, resource):
                status = NEVER_BINDS
            step = step_of(resource, amount, plan.step, plan.steps) if amount is not None else math.nan
            mean_waiting = float(np.mean(waited)) if waited is not None else 0.0
            cells.append(_Cell(year, resource, amount, step, share, anywhere, mean_waiting, status))
    todo = [cell for cell in cells if cell.status == MEASURED]
    if on_progress:
        on_progress(n * (len(cells) - len(todo)))
    work = [Job(with_more(base, cell.resource, cell.year, cell.step), n, plan.seed) for cell in todo]
    base_cum = _cumulative(reps, years)
    gains: dict[int, np.ndarray] = {}
    for k, more in run_jobs(work, jobs, on_progress):
        gains[k] = (_cumulative(replications_frame(work[k].scenario, more), years) - base_cum) / todo[k].step
    rows_out = []
    for cell in cells:
        row = _row(cell, years, n)
        if cell.status == MEASURED:
            row.update(_measured(gains[todo.index(cell)], years, cell.year))
        rows_out.append(row)
    table = pd.DataFrame(rows_out, columns=list(COLUMNS))
    lines = year_lines(table, c.money_unit, years)
    manifest = {
        "command": list(command) if command is not None else None,
        "scenario_file": plan.source,
        "scenario": c.name,
        "money_unit": c.money_unit,
        "seed": plan.seed,
        "replications": n,
        "step": plan.step,
        "steps": plan.steps,
        "resources": [r.name for r in plan.resources],
        "runs": 1 + len(todo),
        "runs_skipped": len(cells) - len(todo),
        "metric": f"cumulative investment {years[0]}-{years[-1]}",
        "lines": lines,
        "wall_time_s": round(time.perf_counter() - started, 3),
        "versions": package_versions(),
    }
    return BottleneckResult(table, lines, manifest)


def _always_run(scenario: Scenario, resource: Resource) -> bool:
    """A source with a debt ceiling and the guarantee pool: its extra supply can change
    later years even where it held no project up (see the module docstring)."""
    if resource.kind != "source":
        return False
    configs = [scenario.config, *(ch.config for ch in scenario.changes)]
    ceiling = any(getattr(cfg.financing.sources.get(resource.name), "debt_ceiling", None) for cfg in configs)
    pool = any(cfg.financing.guarantee_pool is not None and resource.name == "bank" for cfg in configs)
    return bool(ceiling and pool)


def _row(cell: _Cell, years: list[int], n: int) -> dict[str, Any]:
    r = cell.resource
    return {
        "year": cell.year,
        "resource": r.name,
        "kind": r.kind,
        "unit": r.unit,
        "binding": cell.binding,
        "binding_replications": cell.binding_replications,
        "waiting": cell.waiting,
        "amount": cell.amount if cell.amount is not None else math.inf,
        "step": cell.step,
        "status": cell.status,
        # an extra unit that finds no taker changes nothing: exactly 0
        "marginal": 0.0 if cell.status == NEVER_BINDS else math.nan,
        "marginal_low": 0.0 if cell.status == NEVER_BINDS else math.nan,
        "marginal_high": 0.0 if cell.status == NEVER_BINDS else math.nan,
        "reading": "",
        "peak": math.nan,
        "peak_low": math.nan,
        "peak_high": math.nan,
        "peak_year": pd.NA,
        "replications": n,
    }


def _measured(gain: np.ndarray, years: list[int], year: int) -> dict[str, Any]:
    """The marginal value (gain by the last year, per unit) and its reading, from the
    per-replication cumulative gains (replications x years)."""
    zeros = np.zeros(len(gain))
    final = paired_difference(zeros, gain[:, -1])
    # the furthest the cumulative gain goes from the year of the extra on, and its interval
    mean = gain.mean(axis=0)
    first = years.index(year)
    at = first + int(np.argmax(mean[first:]))
    peak = paired_difference(zeros, gain[:, at])
    given_back = paired_difference(gain[:, -1], gain[:, at])  # peak less final, paired
    if not gain.any():
        reading = ZERO
    elif final.low > 0:
        reading = GAIN
    elif final.high < 0:
        reading = LOSS
    elif peak.low > 0 and given_back.low > 0:
        reading = TIMING
    else:
        reading = NO_GAIN
    return {
        "marginal": final.mean,
        "marginal_low": final.low,
        "marginal_high": final.high,
        "reading": reading,
        "peak": peak.mean,
        "peak_low": peak.low,
        "peak_high": peak.high,
        "peak_year": years[at],
    }


# ------------------------------------------------------------------------------- wording


def resource_text(name: str, kind: str) -> str:
    """How the terminal names a resource: ``government money``, ``the land budget``..."""
    return {
        "land_budget": "the land budget",
        "approval_capacity": "approval places",
        "land_capacity": "land places",
        "secretaries": "service secretaries",
    }.get(kind, f"{name} money")


def unit_text(unit: str, money_unit: str) -> str:
    """One unit of a resource: ``1 亿元`` of money, ``1 place``."""
    return f"1 {money_unit}" if unit == MONEY else "1 place"


def _value(row: Mapping[Any, Any], money_unit: str) -> str:
    return (
        f"{row['marginal']:+,.2f} {money_unit} ({row['marginal_low']:+,.2f} to {row['marginal_high']:+,.2f})"
    )


def headline(table: pd.DataFrame, year: int) -> tuple[dict[Any, Any] | None, dict[Any, Any] | None]:
    """The row of the resource that binds most in ``year`` (largest share of the year
    binding, then most projects held up; None when none binds), and the row of another
    resource of the same unit whose marginal value is surely higher than its (None if
    none is)."""
    rows = table[table["year"] == year]
    binding = rows[rows["binding"] > 0].sort_values(["binding", "waiting"], ascending=False, kind="stable")
    if binding.empty:
        return None, None
    top = binding.iloc[0].to_dict()
    same_unit = rows[(rows["unit"] == top["unit"]) & (rows["resource"] != top["resource"])]
    high = top["marginal_high"] if math.isfinite(top["marginal_high"]) else math.inf
    better = same_unit[same_unit["marginal_low"] > high]
    if better.empty:
        return top, None
    return top, better.sort_values("marginal", ascending=False, kind="stable").iloc[0].to_dict()


def year_lines(table: pd.DataFrame, money_unit: str, years: list[int]) -> list[str]:
    """One line per year: the most binding resource, what one more unit of it adds by the
    last year, and a resource worth surely more where there is one."""
    lines = []
    last = years[-1]
    for year in years:
        top, better = headline(table, year)
        if top is None:
            lines.append(f"{year}: nothing binds; one more unit of any resource adds nothing")
            continue
        what = resource_text(str(top["resource"]), str(top["kind"]))
        line = (
            f"{year}: {what} binds ({top['binding']:.0%} of the year, {top['waiting']:,.1f} projects "
            f"held up); +{unit_text(str(top['unit']), money_unit)} of it adds "
            f"{_value(top, money_unit)} by {last}"
        )
        if top["reading"] == TIMING:
            line += (
                f": it brings investment forward ({top['peak']:+,.2f} by {int(top['peak_year'])}); "
                f"by {last} the gain is not told apart from 0"
            )
        elif top["reading"] == NO_GAIN:
            line += ": not told apart from 0 with these replications"
        elif top["reading"] == ZERO:
            line += (
                ": exactly 0, no project could use the extra alone (those it holds up wait for "
                "another resource too, or need more than the step)"
            )
        if better is not None:
            line += (
                f"; {resource_text(str(better['resource']), str(better['kind']))} is worth more: "
                f"{_value(better, money_unit)}"
            )
        lines.append(line)
    return lines


def bottlenecks(
    scenario: Scenario,
    *,
    replications: int = 40,
    seed: int | None = None,
    step: float = STEP,
    steps: Mapping[str, float] | None = None,
    jobs: int | Backend = 1,
    on_progress: Callable[[int], None] | None = None,
) -> BottleneckResult:
    """The bottleneck map of ``scenario``: what ``investsim bottlenecks`` does, from Python
    objects. For each year and constrained resource, how much it held projects up and the
    investment gained by the last year per unit added in that year only (paired runs,
    common random numbers).

    ``step`` is how much is added, as a fraction of the year's amount (default 0.05);
    ``steps`` gives some resources a step in their own unit instead, e.g.
    ``{"bank": 2, "approval_capacity": 5}``.

    Returns a :class:`BottleneckResult`: ``table`` (``bottlenecks.csv``), ``lines`` (a
    sentence a year), ``plot()`` and ``save(folder)``.
    """
    base = scenario_argument(scenario)
    n = whole_number("replications", replications, 2)
    s = optional_whole_number("seed", seed, 0)
    fraction = real_number("step", step)
    if not 0 < fraction <= 1:
        raise ValueError(f"step(={step}) must be a fraction of the year's amount, above 0 and at most 1")
    if steps is not None and not isinstance(steps, Mapping):
        raise TypeError(
            f"steps must be a mapping of resource names to amounts, e.g. {{'bank': 2}}, got {steps!r}"
        )
    fixed = {}
    for name, amount in (steps or {}).items():
        fixed[str(name)] = real_number(f"steps[{name!r}]", amount)
        if fixed[str(name)] <= 0:
            raise ValueError(f"steps[{name!r}](={amount}) must be a positive amount")
    workers = jobs_argument(jobs)
    try:
        plan = plan_map(base, n, s, fraction, fixed)
    except InputError as e:
        e.message = python_terms(e.message, {"--step ": "steps: "})
        raise
    return run_bottlenecks(plan, workers, on_progress)
