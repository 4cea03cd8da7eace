"""The range of every number in a scenario, and the typed fields that carry it.

Each bound is what the model can compute exactly and what a planner could mean; the
reasons are listed in docs/input-files.md ("The range of every number").
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field

from investsim.scenario.distributions import Distribution, Exponential, Gamma, Lognormal

MAX_MONTHS = 1200.0
"""Longest duration a scenario may give (100 years, the longest horizon): more is a typo."""
MAX_MONEY = 1e9
"""Largest amount of money a key may hold: no region's yearly pipeline comes near 1e9
(亿元, or any unit a planner uses), and sums over a million projects and 150 years of it
stay exact to well below a unit."""
MAX_FACTOR = 100.0
"""Largest cost overrun factor and guarantee-pool leverage: a hundredfold is a typo."""
MAX_GROWTH = 1.0
"""Largest yearly growth (100 %): a growth of 100 means 10,000 % a year, a typo for 1.00
or 0.01; compounded over 150 years even 100 % stays a finite number."""
MIN_GROWTH = -0.9
"""Largest yearly decline (−90 %): at −100 % or below a rate or a supply turns zero or
negative."""
MAX_COUNT = 1_000_000
"""Largest number of places, secretaries and the like: more than any city has."""
MAX_PROJECTS = 1_000_000
"""Most new projects a replication may create, over warm-up and horizon together: each
takes about a kilobyte while it runs, so a million is about 1 GB in every worker."""

Growth = Annotated[float, Field(ge=MIN_GROWTH, le=MAX_GROWTH, allow_inf_nan=False)]
"""A yearly growth rate, as a share (0.03 for 3 %)."""
Money = Annotated[float, Field(ge=0, le=MAX_MONEY, allow_inf_nan=False)]


def _target_share(value: float) -> float:
    if not MIN_GROWTH <= value <= MAX_GROWTH:
        raise ValueError(
            f"a growth target(={value:g}) is a share of the year before's investment, from "
            f"{MIN_GROWTH:g} to {MAX_GROWTH:g}: write 0.08 for 8 %"
        )
    return value


GrowthTarget = Annotated[float, Field(allow_inf_nan=False), AfterValidator(_target_share)]
"""A yearly growth target, as a share (0.08 for 8 %), within the range of a growth."""
"""An amount of money in the scenario's money_unit."""


def _at_most(limit: float, what: str) -> Any:
    def check(d: Any) -> Any:
        if d.scale > limit:
            raise ValueError(f"{what} must be at most {limit:g}: this distribution is given by {d.scale:g}")
        return d

    return AfterValidator(check)


def _growth_rate(d: Any) -> Any:
    if d.low_bound < MIN_GROWTH or d.scale > MAX_GROWTH:
        raise ValueError(
            f"a yearly growth must stay within {MIN_GROWTH:g} and {MAX_GROWTH:g} (−90 % to +100 %; "
            f"write 0.03 for 3 %): this distribution spans {d.low_bound:g} to {d.scale:g}"
        )
    return d


def _non_negative(d: Any) -> Any:
    if d.low_bound < 0:
        raise ValueError(f"a duration can't be negative: this distribution reaches {d.low_bound}")
    return d


def _positive(d: Any) -> Any:
    # lognormal, gamma and exponential approach 0 but never reach it
    if d.low_bound < 0 or (d.low_bound == 0 and not isinstance(d, (Lognormal, Gamma, Exponential))):
        raise ValueError(f"must be > 0 everywhere: this distribution reaches {d.low_bound}")
    return d


Duration = Annotated[
    Distribution, AfterValidator(_non_negative), _at_most(MAX_MONTHS, "a duration in months")
]
"""A distribution of months that can't go below zero (zero skips the stage)."""
Size = Annotated[Distribution, AfterValidator(_positive), _at_most(MAX_MONEY, "a project's size")]
"""A distribution of project sizes: strictly positive money."""
Factor = Annotated[Distribution, AfterValidator(_positive), _at_most(MAX_FACTOR, "a cost factor")]
"""A distribution of strictly positive cost factors (actual / estimated cost)."""
GrowthDistribution = Annotated[Distribution, AfterValidator(_growth_rate)]
"""A distribution of yearly growth rates."""
Probability = Annotated[float, Field(ge=0, le=1)]
