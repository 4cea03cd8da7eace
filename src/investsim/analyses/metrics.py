"""Named outcome metrics of a run, one value per replication, and their summaries.

Sweeps, sensitivity analysis and calibration all ask for "a number per replication":

- ``cumulative_investment`` (the whole horizon) or ``cumulative_investment:Y1:Y2``;
- ``investment:Y``, ``growth:Y``, ``starts:Y``, ``completions:Y``, ``financing_gap:Y``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from investsim.errors import InputError
from investsim.results.stats import mean_interval
from investsim.scenario.config import Scenario

YEARLY = ("investment", "growth", "starts", "completions", "financing_gap")
METRIC_HELP = (
    "cumulative_investment[:Y1:Y2], investment:Y, growth:Y, starts:Y, completions:Y or financing_gap:Y"
)


@dataclass(frozen=True)
class Metric:
    """A metric: ``column`` summed over the years ``first .. last`` of each replication."""

    name: str
    column: str
    first: int
    last: int

    def values(self, replications: pd.DataFrame) -> NDArray[np.float64]:
        """One value per replication (in replication order)."""
        rows = replications[(replications["year"] >= self.first) & (replications["year"] <= self.last)]
        by_rep = rows.groupby("replication", sort=True)[self.column].sum(min_count=1)
        return by_rep.to_numpy(dtype=float)


def metric_columns(scenario: Scenario) -> set[str]:
    """The columns a run of ``scenario`` has for metrics (``financing_gap`` needs sources)."""
    columns = {"investment", "growth", "starts", "completions"}
    if scenario.config.financing.constrained:
        columns.add("financing_gap")
    return columns


def parse_metric(text: str, years: list[int], columns: set[str] | None = None) -> Metric:
    """The metric named ``text`` for a run over ``years``; ``InputError`` if it is not one.

    ``columns``, if given, are the columns a run has (``financing_gap`` needs sources).
    """
    name, *parts = text.strip().split(":")
    first_year, last_year = years[0], years[-1]
    where = f"--metric {text!r}"
    try:
        numbers = [int(p) for p in parts]
    except ValueError:
        raise InputError(f"{where}: years must be whole numbers; metrics are {METRIC_HELP}") from None
    if name == "cumulative_investment":
        if not numbers:
            numbers = [first_year, last_year]
        if len(numbers) != 2 or numbers[0] > numbers[1]:
            raise InputError(
                f"{where}: write cumulative_investment or cumulative_investment:Y1:Y2 (Y1 <= Y2)"
            )
        column = "investment"
    elif name in YEARLY:
        if len(numbers) != 1:
            raise InputError(f"{where}: write {name}:Y with one year, e.g. {name}:{last_year}")
        numbers = [numbers[0], numbers[0]]
        column = name
    else:
        raise InputError(f"{where}: unknown metric {name!r}; metrics are {METRIC_HELP}")
    for y in numbers:
        if not first_year <= y <= last_year:
            raise InputError(f"{where}: year {y} is outside the run's years {first_year}-{last_year}")
    if columns is not None and column not in columns:
        raise InputError(f"{where}: this scenario has no {column} (it needs financing sources)")
    return Metric(text.strip(), column, numbers[0], numbers[1])


def summarise(values: NDArray[np.float64]) -> dict[str, float]:
    """Mean, P10/P50/P90 and the 95% t-interval of the mean of per-replication values."""
    interval = mean_interval(values)
    if interval.n == 0:
        return dict.fromkeys(("mean", "p10", "p50", "p90", "ci_low", "ci_high", "se"), float("nan"))
    p10, p50, p90 = (float(x) for x in np.quantile(values[~np.isnan(values)], [0.1, 0.5, 0.9]))
    return {
        "mean": interval.mean,
        "p10": p10,
        "p50": p50,
        "p90": p90,
        "ci_low": interval.low,
        "ci_high": interval.high,
        "se": interval.se,
    }
