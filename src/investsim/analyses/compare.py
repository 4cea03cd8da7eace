"""Compare scenarios: the difference from a base forecast, with its uncertainty.

Run with the same seed and replication count, two scenarios share their random numbers
(common random numbers), so replication r of one is paired with replication r of the
other and the interval of the difference comes from the paired differences — much
narrower than from two independent runs. When the runs are not paired (different seeds
or replication counts, or ``independent=True``), the interval is Welch's and the table
says ``unpaired``.

>>> plan = plan_comparison("baseline.yaml", ["reform.yaml"], replications=100, attribute=True)
>>> comparison = run_comparison(plan, jobs=2)
>>> comparison.save(f"results/{plan.default_name}")  # what `investsim compare` writes
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from investsim.analyses.arguments import jobs_argument, optional_whole_number, scenario_argument, whole_number
from investsim.analyses.attribution import attribute_policies, attribution_runs, month_period
from investsim.analyses.explain import (
    ALL,
    HEADLINE,
    Explanation,
    breakdown_metrics,
    explain,
    explanation_lines,
)
from investsim.analyses.saving import plot, save_folder
from investsim.analyses.timing import timing_shift
from investsim.errors import InputError
from investsim.results.forecast import Forecast
from investsim.results.stats import paired_difference, welch_difference
from investsim.runs.runner import Backend
from investsim.runs.simulate import package_versions, simulate
from investsim.scenario.config import Scenario
from investsim.scenario.loading import load_scenario

if TYPE_CHECKING:
    from matplotlib.figure import Figure

METRICS = ("investment", "growth", "starts", "completions")
"""Metrics compared year by year; all but growth are also summed over the horizon and window."""

MONTH_METRICS = ("investment", "ytd_investment", "ytd_growth")
"""Metrics compared month by month (with ``months``): the month's investment, the
year-to-date total and year-to-date growth on the same months of the year before."""

COLUMNS = (
    "scenario",
    "pairing",
    "period",
    "period_kind",
    "first_year",
    "last_year",
    "month",
    "metric",
    "breakdown",
    "measure",
    "item",
    "base_mean",
    "other_mean",
    "diff_mean",
    "diff_ci_low",
    "diff_ci_high",
    "diff_p10",
    "diff_p50",
    "diff_p90",
    "prob_other_higher",
    "replications",
)


@dataclass(frozen=True)
class Run:
    """One side of a comparison: a scenario's name, seed and replications table, and the
    money unit of its figures ("" when not known); with its months, it can be compared
    month by month."""

    name: str
    seed: int
    replications: pd.DataFrame
    money_unit: str = ""
    monthly: pd.DataFrame | None = field(default=None, repr=False)
    """The run's per-replication months (:attr:`investsim.Forecast.monthly`), if known."""


def is_paired(base: Run, other: Run) -> bool:
    """Whether replication r of ``other`` saw the same random numbers as that of ``base``."""
    b, o = base.replications, other.replications
    return (
        base.seed == other.seed
        and b["replication"].nunique() == o["replication"].nunique()
        and sorted(b["year"].unique()) == sorted(o["year"].unique())
    )


def _row(base: np.ndarray, other: np.ndarray, paired: bool) -> dict[str, float]:
    """Difference statistics of one metric in one period (arrays: one value per replication)."""
    ok_b, ok_o = ~np.isnan(base), ~np.isnan(other)
    if paired:
        interval = paired_difference(base, other)
        n = interval.n
        diffs = other[ok_b & ok_o] - base[ok_b & ok_o]
    else:
        interval = welch_difference(base, other)
        b, o = base[ok_b], other[ok_o]
        n = min(len(b), len(o)) if min(len(b), len(o)) >= 2 else 0
        # with no pairing, the distribution of the difference is that of O - B for
        # independent draws: every pair counts
        diffs = (o[:, None] - b[None, :]).ravel()
    quantiles = np.quantile(diffs, [0.1, 0.5, 0.9]) if n else [np.nan] * 3
    return {
        "base_mean": float(np.nanmean(base)) if ok_b.any() else np.nan,
        "other_mean": float(np.nanmean(other)) if ok_o.any() else np.nan,
        "diff_mean": interval.mean,
        "diff_ci_low": interval.low,
        "diff_ci_high": interval.high,
        "diff_p10": float(quantiles[0]),
        "diff_p50": float(quantiles[1]),
        "diff_p90": float(quantiles[2]),
        "prob_other_higher": float((diffs > 0).mean()) if n else np.nan,
        "replications": n,
    }


class _PerReplication:
    """One value per replication of a replications table's metrics in a period: the
    metric in one year, or over the period's years summed (``over_years="sum"``) or
    averaged, skipping years without a value (``"mean"``). Each period's rows are grouped
    once; each column is aggregated on its own (as pandas sums one column, to the last
    bit). A column the table lacks (a sector or source the scenario does not have) is 0
    for a sum and unknown for a mean."""

    def __init__(self, df: pd.DataFrame) -> None:
        self.df = df
        self._groups: dict[str, Any] = {}

    def __call__(self, metric: str, period: tuple[str, list[int]], over_years: str = "sum") -> np.ndarray:
        label, years = period
        if label not in self._groups:
            self._groups[label] = self.df[self.df["year"].isin(years)].groupby("replication", sort=True)
        grouped = self._groups[label]
        if metric not in self.df.columns:
            count = grouped.ngroups
            return np.zeros(count) if over_years == "sum" else np.full(count, np.nan)
        column = grouped[metric]
        values = column.sum(min_count=1) if over_years == "sum" else column.mean()
        return values.to_numpy(dtype=float)


def month_values(monthly: pd.DataFrame, metric: str, year: int, month: int) -> np.ndarray:
    """One value per replication (in replication order) of ``metric`` of the months table
    in ``month`` of ``year``."""
    one = monthly[(monthly["year"] == year) & (monthly["month"] == month)]
    return one.sort_values("replication")[metric].to_numpy(dtype=float)


def month_years(months: tuple[int, int], years: list[int]) -> list[int]:
    """The run's years whose months are compared (``months``: first and last year)."""
    return [y for y in years if months[0] <= y <= months[1]]


def _months_of(run: Run) -> pd.DataFrame:
    if run.monthly is None:
        raise InputError(
            f"{run.name}: this run has no months to compare (a results folder written before "
            "months existed, or a Run made without its monthly table): run it again"
        )
    return run.monthly


def _month_rows(
    base: Run, other: Run, paired: bool, years: list[int], tags: dict[str, Any]
) -> list[dict[str, Any]]:
    """The rows of each month of ``years``: the month's investment, the year-to-date total
    and growth, base against ``other``."""
    of_base, of_other = _months_of(base), _months_of(other)
    rows = []
    for year in years:
        for month in range(1, 13):
            when = month_period(year, month)
            for metric in MONTH_METRICS:
                b = month_values(of_base, metric, year, month)
                o = month_values(of_other, metric, year, month)
                rows.append(
                    {**tags, **when, "metric": metric, "breakdown": HEADLINE, "measure": metric, "item": ALL}
                    | _row(b, o, paired)
                )
    return rows


def compare_runs(
    base: Run,
    others: list[Run],
    window: tuple[int, int] | None = None,
    months: tuple[int, int] | None = None,
) -> pd.DataFrame:
    """The comparison table: one row per other scenario, period and metric.

    ``period`` is a year, ``total`` (the whole horizon) or ``Y1-Y2`` (the window), as a
    planner reads it; ``period_kind`` (``year``, ``total`` or ``window``) and the integers
    ``first_year`` and ``last_year`` say the same for code. The
    headline metrics (:data:`METRICS`; ``breakdown`` is ``total``, ``item`` ``all``) come
    first, each period in turn; then, item by item, the breakdown metrics
    (:data:`~investsim.analyses.explain.BREAKDOWNS`: by sector, funding source and stage),
    with ``breakdown``, ``measure`` and ``item`` saying which part of the difference the
    row is. With ``months`` ``(Y1, Y2)``, each month of those years follows (``period``
    ``Y-MM``, ``period_kind`` ``month``, ``month`` 1-12): :data:`MONTH_METRICS`, from the
    runs' months, paired month by month as the years are.
    """
    rows = []
    years = sorted(int(y) for y in base.replications["year"].unique())
    periods: list[tuple[str, list[int]]] = [(str(y), [y]) for y in years]
    periods.append(("total", years))
    kinds = {str(y): "year" for y in years} | {"total": "total"}
    if window is not None:
        periods.append((f"{window[0]}-{window[1]}", [y for y in years if window[0] <= y <= window[1]]))
        kinds[periods[-1][0]] = "window"

    def when(period: tuple[str, list[int]]) -> dict[str, Any]:
        return {
            "period": period[0],
            "period_kind": kinds[period[0]],
            "first_year": min(period[1], default=None),
            "last_year": max(period[1], default=None),
        }

    seen: dict[str, int] = {}
    of_base = _PerReplication(base.replications)
    for other in others:
        of_other = _PerReplication(other.replications)
        paired = is_paired(base, other)
        # scenarios with the same name (e.g. two runs of one file) stay apart in the table
        seen[other.name] = seen.get(other.name, 0) + 1
        name = other.name if seen[other.name] == 1 else f"{other.name} ({seen[other.name]})"
        pairing = "paired" if paired else "unpaired"
        for period in periods:
            for metric in METRICS:
                if metric == "growth" and len(period[1]) > 1:
                    continue  # growths do not add up over years
                tags = {"breakdown": HEADLINE, "measure": metric, "item": ALL}
                rows.append(
                    {"scenario": name, "pairing": pairing, **when(period), "metric": metric, **tags}
                    | _row(of_base(metric, period), of_other(metric, period), paired)
                )
        # by item, then period: each item's years read down one block of the file
        for part in breakdown_metrics([*base.replications.columns, *other.replications.columns]):
            tags = {"breakdown": part.breakdown, "measure": part.measure, "item": part.item}
            for period in periods:
                b = of_base(part.metric, period, part.over_years)
                o = of_other(part.metric, period, part.over_years)
                rows.append(
                    {"scenario": name, "pairing": pairing, **when(period), "metric": part.metric, **tags}
                    | _row(b, o, paired)
                )
        if months is not None:
            rows += _month_rows(
                base, other, paired, month_years(months, years), {"scenario": name, "pairing": pairing}
            )
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    return table.astype({"first_year": "Int64", "last_year": "Int64", "month": "Int64"})


def independent_seed(seed: int) -> int:
    """A seed whose streams are unrelated to ``seed``'s (for demonstrating what common
    random numbers buy; never the default)."""
    return int(np.random.SeedSequence([seed, 0x1D5]).generate_state(1, np.uint32)[0])


def load_run(folder: str | Path) -> Run:
    """A finished results folder (written by ``run``) as one side of a comparison."""
    path = Path(folder)
    manifest_file, table = path / "manifest.json", path / "replications.csv"
    if not manifest_file.is_file() or not table.is_file():
        raise InputError("not a results folder (needs manifest.json and replications.csv)", file=str(path))
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    unit = manifest.get("money_unit") or (manifest.get("resolved_scenario") or {}).get("money_unit") or ""
    months = path / "monthly.parquet"
    return Run(
        str(manifest.get("scenario", path.name)),
        int(manifest.get("seed", -1)),
        pd.read_csv(table),
        str(unit),
        pd.read_parquet(months) if months.is_file() else None,
    )


Side = Scenario | Run
"""One side of a comparison, loaded: a scenario to run, or a finished run."""


def load_side(item: str | Path | Scenario | Run) -> Side:
    """A scenario file loaded, a results folder read (:func:`load_run`); a loaded
    scenario or a run as it is."""
    if isinstance(item, (Scenario, Run)):
        return item
    path = Path(item)
    return load_run(path) if path.is_dir() else load_scenario(path)


def compare_scenarios(
    base: str | Path | Side,
    others: Sequence[str | Path | Side],
    replications: int | None = None,
    seed: int | None = None,
    jobs: int | Backend = 1,
    independent: bool = False,
    window: tuple[int, int] | None = None,
    on_progress: Callable[[int], None] | None = None,
    months: tuple[int, int] | None = None,
) -> tuple[pd.DataFrame, list[Run]]:
    """Compare ``others`` with ``base``: each a scenario (a file or loaded) or a finished
    run (a results folder or a :class:`Run`).

    Scenarios are run with the base's seed and replication count (common random
    numbers), or with unrelated streams with ``independent=True``. Returns the table of
    :func:`investsim.compare.compare_runs` (month by month over the years ``months``, if
    given) and the runs (base first).
    """
    runs: list[Run] = []
    first_seed = seed
    n = replications
    for i, item in enumerate([base, *others]):
        side = load_side(item)
        if isinstance(side, Run):
            runs.append(side)
            continue
        if n is None:
            n = side.config.replications
        if first_seed is None:
            first_seed = side.config.seed
        s = independent_seed(first_seed + i) if (independent and i > 0) else first_seed
        forecast = simulate(side, replications=n, seed=s, jobs=jobs, on_progress=on_progress)
        runs.append(Run(side.name, s, forecast.replications, side.config.money_unit, forecast.monthly))
    return compare_runs(runs[0], runs[1:], window, months), runs


@dataclass(frozen=True)
class ComparisonPlan:
    """A checked comparison, ready to run: every input was loaded once, nothing has run."""

    base: Side
    others: list[Side]
    names: list[str]
    """The scenarios' names, base first."""
    replications: int | None
    """Per scenario: as given, else the first scenario's (``None``: only finished runs)."""
    seed: int | None
    independent: bool = False
    window: tuple[int, int] | None = None
    attribute: bool = False
    permutations: int = 12
    simulations: int = 0
    months: tuple[int, int] | None = None
    """The first and last year compared (and attributed) month by month, or None."""
    """Replications that running the plan simulates (for progress bars)."""

    @property
    def default_name(self) -> str:
        """The results folder's default name: ``base-vs-other`` or ``base-vs-K-scenarios``."""
        if len(self.names) == 2:
            return f"{self.names[0]}-vs-{self.names[1]}"
        return f"{self.names[0]}-vs-{len(self.names) - 1}-scenarios"


def plan_comparison(
    base: str | Path | Side,
    others: Sequence[str | Path | Side],
    replications: int | None = None,
    seed: int | None = None,
    independent: bool = False,
    window: tuple[int, int] | None = None,
    attribute: bool = False,
    permutations: int = 12,
    months: bool | int | tuple[int, int] | None = None,
) -> ComparisonPlan:
    """Load and check every input (scenario files or results folders, or loaded scenarios
    and runs) before any work starts; ``InputError`` on the first problem. ``attribute``
    also splits each other scenario's difference across its policies (see
    :func:`attribute_policies`); ``months`` (a year, ``(Y1, Y2)``, or ``True`` for every
    year) also compares (and attributes) each month of those years."""
    sides = [load_side(item) for item in (base, *others)]
    span = _months_argument(months, sides[0])
    if span is not None:
        _check_months(span, sides)
    scenarios = [s for s in sides if isinstance(s, Scenario)]
    if replications is None and scenarios:
        replications = scenarios[0].config.replications
    if attribute:
        for item, side in zip(others, sides[1:], strict=True):
            if isinstance(side, Run):
                raise InputError("--attribute needs scenario files, not results folders", file=str(item))
    n = replications or 0
    simulations = len(scenarios) * n
    if attribute:
        simulations += n * sum(
            attribution_runs(s, permutations, seed) for s in sides[1:] if isinstance(s, Scenario)
        )
    return ComparisonPlan(
        sides[0],
        sides[1:],
        [s.name for s in sides],
        replications,
        seed,
        independent,
        window,
        attribute,
        permutations,
        simulations,
        span,
    )


def _check_months(months: tuple[int, int], sides: list[Side]) -> None:
    """Refuse months outside the compared years, or a finished run without months."""
    first = sides[0]
    years = (
        first.years
        if isinstance(first, Scenario)
        else sorted(int(y) for y in first.replications["year"].unique())
    )
    if months[0] > months[1] or not month_years(months, years):
        raise InputError(
            f"months {months[0]}-{months[1]}: none of these years is one of the compared years "
            f"{years[0]}-{years[-1]}"
        )
    for side in sides:
        if isinstance(side, Run) and side.monthly is None:
            raise InputError(
                f"{side.name}: this results folder has no months (monthly.parquet): run it again to compare "
                "it month by month"
            )


@dataclass
class Comparison:
    """A finished comparison: the differences from the base (``table``, see
    :func:`compare_runs`), the runs compared (base first), per other scenario file the
    attribution of its difference to its policies, and the manifest."""

    table: pd.DataFrame
    runs: list[Run]
    window: tuple[int, int] | None = None
    attributions: list[pd.DataFrame] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        base, *others = [r.name for r in self.runs]
        reps = sorted({int(r.replications["replication"].nunique()) for r in self.runs})
        return (
            f"Comparison(base={base!r}, others={others!r}, replications={'/'.join(map(str, reps))}, "
            f"{len(self.table)} rows in .table)"
        )

    def explanation(self, scenario: str | None = None, period: str = "total") -> Explanation | None:
        """Where ``scenario``'s difference from the base comes from in ``period`` (default:
        the first other scenario, over the horizon): by sector, funding source and stage
        (see :func:`~investsim.analyses.explain.explain`)."""
        name = scenario if scenario is not None else str(self.table["scenario"].iloc[0])
        return explain(self.table, name, period)

    def save(self, out: str | Path, lang: str = "en") -> Path:
        """Write the results folder atomically (``comparison.csv``, ``attribution.csv``
        with attributions, ``manifest.json``), then its report in ``lang``; returns its
        path. A report that fails is a warning: the results are kept."""
        return save_folder(out, self._tables(), self.manifest, lang)

    def _tables(self) -> dict[str, pd.DataFrame]:
        tables = {"comparison.csv": self.table}
        if self.attributions:
            tables["attribution.csv"] = pd.concat(self.attributions, ignore_index=True)
        return tables

    def plot(
        self, kind: str = "difference", scenario: str | None = None, period: str = "total", lang: str = "en"
    ) -> Figure:
        """A chart of the report: ``difference`` (each scenario's yearly difference in
        investment, with its interval), ``explanation`` (where ``scenario``'s difference
        comes from, year by year; default the first other scenario) or ``waterfall``
        (``scenario``'s difference split across its policies over ``period``: ``total``,
        the window ``Y1-Y2`` or a month ``Y-MM``; needs ``attribute=True``), ``months``
        (each month's difference and that in year-to-date growth; needs ``months``) or
        ``months_attribution`` (``scenario``'s difference in each month's investment split
        across its policies; needs ``attribute=True`` and ``months``)."""
        return plot(kind, self._tables(), self.manifest, lang, scenario=scenario, period=period)


def _explanation(table: pd.DataFrame, scenario: str, unit: str) -> list[str]:
    """The lines naming the largest contributors to ``scenario``'s difference over the
    horizon (see :func:`~investsim.analyses.explain.explanation_lines`)."""
    found = explain(table, scenario)
    return explanation_lines(found, unit) if found is not None else []


def run_comparison(
    plan: ComparisonPlan,
    jobs: int | Backend = 1,
    on_progress: Callable[[int], None] | None = None,
    command: Sequence[str] | None = None,
) -> Comparison:
    """Run ``plan`` (see :func:`compare_scenarios` and :func:`attribute_policies`);
    ``command`` is recorded in the manifest."""
    started = time.perf_counter()
    table, runs = compare_scenarios(
        plan.base,
        plan.others,
        plan.replications,
        plan.seed,
        jobs,
        plan.independent,
        plan.window,
        on_progress=on_progress,
        months=plan.months,
    )
    parts = []
    if plan.attribute:
        for side, run in zip(plan.others, runs[1:], strict=True):
            assert isinstance(side, Scenario)  # the plan refused finished runs
            part = attribute_policies(
                side,
                plan.replications,
                plan.seed,
                jobs,
                plan.window,
                permutations=plan.permutations,
                on_progress=on_progress,
                months=plan.months,
            )
            part.insert(0, "scenario", run.name)
            parts.append(part)
    # as the table names them (two runs of one file are told apart there)
    names = list(dict.fromkeys(table["scenario"].astype(str)))
    manifest = {
        "command": list(command) if command is not None else None,
        "base": runs[0].name,
        "others": [r.name for r in runs[1:]],
        "seeds": [r.seed for r in runs],
        "replications": [int(r.replications["replication"].nunique()) for r in runs],
        "pairing": sorted(set(table["pairing"])),
        "window": list(plan.window) if plan.window else None,
        "months": list(plan.months) if plan.months else None,
        "money_unit": runs[0].money_unit or None,
        "timing": {name: timing_shift(table, name) for name in names},
        "explanation": {name: _explanation(table, name, runs[0].money_unit) for name in names},
        "wall_time_s": round(time.perf_counter() - started, 3),
        "versions": package_versions(),
    }
    return Comparison(table, runs, plan.window, parts, manifest)


def _side_argument(value: object, name: str) -> Side:
    """A loaded scenario, or a finished run as one side of a comparison."""
    if isinstance(value, Forecast):
        c = value.scenario.config
        return Run(
            value.scenario.name, int(value.manifest["seed"]), value.replications, c.money_unit, value.monthly
        )
    if isinstance(value, (Scenario, Run)):
        return value
    try:
        scenario_argument(value, name)
    except TypeError as e:
        raise TypeError(f"{e} (or a Forecast: a finished run)") from None
    raise AssertionError  # scenario_argument raised


def compare(
    base: Scenario | Forecast,
    others: Scenario | Forecast | Sequence[Scenario | Forecast],
    *,
    replications: int | None = None,
    seed: int | None = None,
    independent: bool = False,
    window: tuple[int, int] | None = None,
    attribute: bool = False,
    permutations: int = 12,
    months: bool | int | tuple[int, int] = False,
    jobs: int | Backend = 1,
    on_progress: Callable[[int], None] | None = None,
) -> Comparison:
    """Compare ``others`` (one or a list) with ``base``: what ``investsim compare`` does,
    from Python objects.

    Each side is a loaded :class:`~investsim.Scenario`, run here with the base's seed and
    replications (common random numbers: replication r of each sees the same random
    numbers, so the interval of a difference is a paired one), or a finished
    :class:`~investsim.Forecast`, used as it is (paired when its seed and replications
    match). ``replications`` and ``seed`` default to the first scenario's;
    ``independent`` runs the others with unrelated random numbers; ``window`` ``(Y1, Y2)``
    also compares the total over those years; ``attribute`` splits each other scenario's
    difference across its policies (Shapley values, exact up to 6 policies, else over
    ``permutations`` sampled orders); ``months`` (a year, a ``(Y1, Y2)`` pair, or ``True``
    for every year) also compares, and with ``attribute`` attributes, each month of
    those years: the month's investment, the year-to-date total and year-to-date growth.

    Returns a :class:`Comparison`: ``table`` (``comparison.csv``), ``explanation()``,
    ``plot(...)`` and ``save(folder)``, which writes the folder ``investsim compare`` writes.
    """
    items = [others] if isinstance(others, (Scenario, Forecast)) else others
    if isinstance(items, (str, bytes, Path)) or not isinstance(items, Sequence):
        _side_argument(items, "others")
    sides = [_side_argument(base, "base")]
    sides += [_side_argument(item, f"others[{i}]") for i, item in enumerate(items)]
    if len(sides) < 2:
        raise ValueError("others is empty: give at least one scenario or forecast to compare with base")
    n = optional_whole_number("replications", replications, 2)
    s = optional_whole_number("seed", seed, 0)
    p = whole_number("permutations", permutations, 2)
    if window is not None:
        if isinstance(window, (str, bytes)) or not isinstance(window, Sequence) or len(window) != 2:
            raise TypeError(f"window must be a (first year, last year) pair, got {window!r}")
        y1, y2 = (whole_number("window", y, 0) for y in window)
        if y2 < y1:
            raise ValueError(f"window(={tuple(window)!r}): the first year must not be after the last")
        window = (y1, y2)
    if attribute:
        for i, side in enumerate(sides[1:]):
            if not isinstance(side, Scenario):
                raise TypeError(f"attribute=True needs scenarios: others[{i}] is a finished run")
    span = _months_argument(months, sides[0])
    workers = jobs_argument(jobs)
    plan = plan_comparison(sides[0], sides[1:], n, s, bool(independent), window, bool(attribute), p, span)
    return run_comparison(plan, workers, on_progress)


def _months_argument(months: object, base: Side) -> tuple[int, int] | None:
    """``months`` of :func:`compare` as (first year, last year), or None."""
    if months is False or months is None:
        return None
    if months is True:
        years = base.years if isinstance(base, Scenario) else sorted(base.replications["year"].unique())
        return int(years[0]), int(years[-1])
    if isinstance(months, int):
        year = whole_number("months", months, 0)
        return year, year
    if isinstance(months, (str, bytes)) or not isinstance(months, Sequence) or len(months) != 2:
        raise TypeError(f"months must be True, a year or a (first year, last year) pair, got {months!r}")
    y1, y2 = (whole_number("months", y, 0) for y in months)
    if y2 < y1:
        raise ValueError(f"months(={tuple(months)!r}): the first year must not be after the last")
    return y1, y2
