"""When a scenario's policies take effect: checked against the simulated time, and listed.

A policy's ``from`` is a year (1 January) or ``YYYY-MM`` (the first of that month). The
simulation runs from 1 January of ``start_year - warmup_years`` to the end of the run's
last year, ``start_year + horizon_years - 1``; a policy dated outside that span is
refused, because it would either never take effect (after the run) or be in force from
the first day (before the simulation starts) - which is the scenario itself, written in
a way that hides it.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from investsim.errors import ScenarioError
from investsim.scenario.config import Scenario, ScenarioConfig
from investsim.scenario.messages import Locate

_MONTH = re.compile(r"^(\d{4})(?:-(\d{2}))?$")

_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _first_day(start: str) -> datetime.date:
    """The day a validated ``from`` (``YYYY`` or ``YYYY-MM``) stands for."""
    m = _MONTH.match(start)
    assert m is not None, start  # the configuration validated it
    return datetime.date(int(m.group(1)), int(m.group(2) or 1), 1)


def long_date(day: datetime.date) -> str:
    """``1 July 2021``: English month names whatever the locale."""
    return f"{day.day} {_MONTH_NAMES[day.month - 1]} {day.year}"


@dataclass(frozen=True)
class PolicyTiming:
    """One policy of a loaded scenario: what it is called, when it takes effect, what it sets.

    ``written`` is ``from`` as the scenario gives it (a date on the first of a month is
    read as its month, ``2021-07``); ``takes_effect`` the day it takes effect;
    ``before_start`` says it takes effect during the warm-up, so that it is already in
    force in the first reported year; ``paths`` are the key paths it sets (a ``*`` in the
    scenario expanded to every key it matched).
    """

    name: str
    written: str
    takes_effect: datetime.date
    before_start: bool
    paths: tuple[str, ...]

    @property
    def summary(self) -> str:
        """One line for a listing: ``'reform' from 2021-07 (1 July 2021): sets a, b``."""
        when = long_date(self.takes_effect)
        if self.before_start:
            when += ", during the warm-up"
        return f"{self.name!r} from {self.written} ({when}): sets {', '.join(self.paths)}"


def policy_timeline(scenario: Scenario) -> tuple[PolicyTiming, ...]:
    """The scenario's policies in the order they take effect (what ``investsim validate``
    can list under the scenario's summary)."""
    start = scenario.config.start_year
    return tuple(
        PolicyTiming(
            name=ch.name,
            written=ch.start,
            takes_effect=_first_day(ch.start),
            before_start=_first_day(ch.start).year < start,
            paths=ch.paths,
        )
        for ch in scenario.changes
    )


def check_policy_dates(config: ScenarioConfig, locate: Locate) -> None:
    """Refuse a policy dated after the run's last year or before the simulation starts."""
    first = config.start_year - config.warmup_years  # the simulation starts on 1 January
    last = config.start_year + config.horizon_years - 1  # the last year reported
    for k, policy in enumerate(config.policies):
        start = str(policy.from_)
        day = _first_day(start)
        if first <= day.year <= last:
            continue
        if day.year > last:
            problem = (
                f"{start} is after the run's last year, {last} (start_year {config.start_year}, "
                f"horizon_years {config.horizon_years}): the policy would never take effect; give a "
                f"date up to {last}-12, or more horizon_years"
            )
        else:
            since = (
                f"start_year {config.start_year} - warmup_years {config.warmup_years}"
                if config.warmup_years
                else f"start_year {config.start_year}, no warmup_years"
            )
            problem = (
                f"{start} is before the simulation starts (1 January {first}: {since}): the policy "
                f"would be in force from the first day, which is the scenario itself; set its values "
                f"in the scenario, or give a date from {first} on"
            )
        file, line = locate(("policies", k, "from"))
        raise ScenarioError(problem, file=file, line=line, path=f"policies[{k}] {policy.name!r}: from")
