"""Named outcome metrics of a run, one value per replication, and their summaries.

Sweeps, sensitivity analysis and calibration all ask for "a number per replication":

- ``cumulative_investment`` (the whole horizon) or ``cumulative_investment:Y1:Y2``;
- ``investment:Y``, ``growth:Y``, ``starts:Y``, ``completions:Y``, ``financing_gap:Y``;
- by month (from the run's months, :mod:`investsim.results.monthly`): ``investment:Y-MM``
  (the month's investment), ``ytd_investment:Y-MM`` (January to the month) and
  ``ytd_growth:Y-MM`` (on the same months of the year before).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from investsim.errors import InputError
from investsim.results.stats import mean_interval
from investsim.scenario.config import Scenario

YEARLY = ("investment", "growth", "starts", "completions", "financing_gap")
MONTHLY = ("investment", "ytd_investment", "ytd_growth")
"""Metrics of one month, ``name:Y-MM``."""
METRIC_HELP = (
    "cumulative_investment[:Y1:Y2], investment:Y, growth:Y, starts:Y, completions:Y, financing_gap:Y, "
    "or by month investment:Y-MM, ytd_investment:Y-MM, ytd_growth:Y-MM"
)
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


@dataclass(frozen=True)
class Metric:
    """A metric: ``column`` summed over the years ``first .. last`` of each replication,
    or, with ``month``, ``column`` of the months table in that month of year ``first``."""

    name: str
    column: str
    first: int
    last: int
    month: int | None = None

    def values(self, replications: pd.DataFrame, monthly: pd.DataFrame | None = None) -> NDArray[np.float64]:
        """One value per replication (in replication order); a metric of a month reads
        ``monthly``, the run's months (:attr:`investsim.Forecast.monthly`)."""
        if self.month is not None:
            if monthly is None:
                raise ValueError(
                    f"metric {self.name!r} is a month's: give the run's months (Forecast.monthly)"
                )
            one = monthly[(monthly["year"] == self.first) & (monthly["month"] == self.month)]
            return one.sort_values("replication")[self.column].to_numpy(dtype=float)
        rows = replications[(replications["year"] >= self.first) & (replications["year"] <= self.last)]
        by_rep = rows.groupby("replication", sort=True)[self.column].sum(min_count=1)
        return by_rep.to_numpy(dtype=float)


def metric_columns(scenario: Scenario) -> set[str]:
    """The columns a run of ``scenario`` has for metrics (``financing_gap`` needs sources)."""
    columns = {"investment", "growth", "starts", "completions"}
    if scenario.config.financing.constrained:
        columns.add("financing_gap")
    return columns


def parse_metric(
    text: str, years: list[int], columns: set[str] | None = None, months: bool = False
) -> Metric:
    """The metric named ``text`` for a run over ``years``; ``InputError`` if it is not one.

    ``columns``, if given, are the columns a run has (``financing_gap`` needs sources).
    ``months``: whether the caller reads metrics of a month (``ytd_growth:2021-06``).
    """
    name, *parts = text.strip().split(":")
    first_year, last_year = years[0], years[-1]
    where = f"--metric {text!r}"
    dated = _YEAR_MONTH.match(parts[0]) if len(parts) == 1 else None
    if dated or (name in MONTHLY and name != "investment"):
        return _monthly_metric(text, name, parts, dated, years, months)
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


def _monthly_metric(
    text: str, name: str, parts: list[str], dated: re.Match[str] | None, years: list[int], months: bool
) -> Metric:
    """A metric of one month, ``name:Y-MM``."""
    where = f"--metric {text!r}"
    example = f"{name if name in MONTHLY else 'ytd_growth'}:{years[-1]}-06"
    if name not in MONTHLY:
        raise InputError(f"{where}: by month the metrics are {', '.join(MONTHLY)} (e.g. {example})")
    if dated is None:
        raise InputError(f"{where}: write {name}:Y-MM with a year and a month, e.g. {example}")
    year, month = int(dated.group(1)), int(dated.group(2))
    if not 1 <= month <= 12:
        raise InputError(f"{where}: month {month} is not 1-12")
    if not years[0] <= year <= years[-1]:
        raise InputError(f"{where}: year {year} is outside the run's years {years[0]}-{years[-1]}")
    if not months:
        raise InputError(f"{where}: a month's metric is for sweep; here give a year's ({METRIC_HELP})")
    return Metric(text.strip(), name, year, year, month)


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
