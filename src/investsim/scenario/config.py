"""The scenario file format: pydantic models that validate it once, at the boundary.

Every model forbids unknown keys (they catch typos). Durations are in months, rates
per year, money in the scenario's ``money_unit``. Loading files (``extends``,
``--set``, the in-flight projects CSV) lives in :mod:`investsim.scenario.loading`; this module
only says what a valid scenario is.
"""

from __future__ import annotations

import datetime
import functools
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import (
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from investsim.scenario.base import StrictModel
from investsim.scenario.distributions import (
    Fixed,
    SpendingProfile,
)
from investsim.scenario.ranges import (
    MAX_COUNT,
    MAX_FACTOR,
    MAX_MONEY,
    MAX_MONTHS,
    MAX_PROJECTS,
    Duration,
    Factor,
    Growth,
    GrowthDistribution,
    Money,
    Probability,
    Size,
)

ZERO = Fixed(dist="fixed", value=0.0)


class Arrivals(StrictModel):
    """New projects a year: a Poisson process with rate ``rate * (1 + growth)^k`` in year k."""

    rate: float = Field(ge=0, le=1e5, allow_inf_nan=False, description="new projects a year")
    growth: Growth = Field(0.0, description="yearly growth of the rate")


class ApprovalSteps(StrictModel):
    """Approval as named sub-steps done in series (sum) or in parallel (max)."""

    mode: Literal["serial", "parallel"]
    steps: dict[str, Duration] = Field(min_length=1)


def _approval_form(value: Any) -> str:
    if isinstance(value, dict):
        # triangular and pert have a 'mode' key too: only 'dist' tells them apart
        return "distribution" if "dist" in value else "sub-steps"
    return "sub-steps" if isinstance(value, ApprovalSteps) else "distribution"


Approval = Annotated[
    Annotated[Duration, Tag("distribution")] | Annotated[ApprovalSteps, Tag("sub-steps")],
    Discriminator(_approval_form),
]
"""Approval: one duration distribution, or named sub-steps in series or in parallel."""


class LandDispute(StrictModel):
    """A demolition dispute that adds a second delay to land acquisition."""

    probability: Probability
    delay: Duration


class Cancel(StrictModel):
    """Probability of dropping out at the end of each stage."""

    approval: Probability = 0.0
    land: Probability = 0.0
    financing: Probability = 0.0


class Beta(StrictModel):
    """Spending profile ``{beta: [a, b]}``: F(u) = I_u(a, b)."""

    beta: tuple[
        # beyond these the profile is a step at one end of the construction time
        Annotated[float, Field(ge=0.01, le=100, allow_inf_nan=False)],
        Annotated[float, Field(ge=0.01, le=100, allow_inf_nan=False)],
    ]


def _spending_form(value: Any) -> str:
    return "named" if isinstance(value, str) else "beta"


Spending = Annotated[
    Annotated[Literal["linear", "s_curve"], Tag("named")] | Annotated[Beta, Tag("beta")],
    Discriminator(_spending_form),
]
"""Spending profile: ``linear``, ``s_curve`` or ``{beta: [a, b]}``."""


@functools.lru_cache(maxsize=256)
def spending_profile(spec: Spending) -> SpendingProfile:
    """The :class:`SpendingProfile` a scenario's ``spending`` key names (one shared object
    per profile, so projects on the same profile are integrated together)."""
    if spec == "linear":
        return SpendingProfile()
    if spec == "s_curve":
        return SpendingProfile(2.0, 2.0)
    assert isinstance(spec, Beta)
    return SpendingProfile(*spec.beta)


class Sector(StrictModel):
    """How the projects of one sector arrive, how big they are and how they move."""

    arrivals: Arrivals = Arrivals(rate=0.0)
    size: Size = Field(description="total investment per project, in money_unit")
    approval: Approval = Field(ZERO, description="months, or {mode: serial|parallel, steps: {...}}")
    land: Duration = Field(ZERO, description="months")
    land_dispute: LandDispute | None = None
    construction: Duration = Field(description="months")
    overrun: Factor | None = Field(None, description="actual / estimated cost")
    cancel: Cancel = Cancel()
    funding: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=lambda: {"own": 1.0}, description="shares of cost by source, summing to 1"
    )
    spending: Spending = "linear"

    @field_validator("funding")
    @classmethod
    def _shares_sum_to_one(cls, funding: dict[str, float]) -> dict[str, float]:
        total = sum(funding.values())
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            shares = ", ".join(f"{k}: {v}" for k, v in funding.items())
            raise ValueError(f"funding shares must sum to 1, got {total:g} ({shares})")
        return funding


class Resources(StrictModel):
    """Capacities and pools shared by all projects."""

    approval_capacity: int | None = Field(
        None, ge=1, le=MAX_COUNT, description="approvals handled at once; null = unlimited"
    )
    service_secretaries: int = Field(0, ge=0, le=MAX_COUNT)
    secretary_effect: float = Field(1.0, gt=0, le=1)
    land_capacity: int | None = Field(
        None, ge=1, le=MAX_COUNT, description="land acquisitions worked on at once; null = unlimited"
    )
    land_budget: Money | None = None
    land_cost_share: float = Field(0.0, ge=0, lt=1)


class Source(StrictModel):
    """A constrained funding source: a yearly supply refilled on 1 January."""

    supply: Money = Field(description="money a year")
    growth: Growth = 0.0
    debt_ceiling: Money | None = Field(None, description="cap on outstanding commitments of this source")
    repayment_years: float | None = Field(
        None,
        gt=0,
        le=100,
        allow_inf_nan=False,
        description="commitments are repaid linearly over this many years",
    )

    @model_validator(mode="after")
    def _repayment_needs_ceiling(self) -> Source:
        if self.repayment_years is not None and self.debt_ceiling is None:
            raise ValueError("repayment_years only matters with a debt_ceiling: set one or remove it")
        return self


class GuaranteePool(StrictModel):
    """A loan guarantee pool adding ``capital * leverage`` of bank supply for some sectors."""

    capital: Money
    leverage: float = Field(ge=0, le=MAX_FACTOR, allow_inf_nan=False)
    sectors: list[str]


class Financing(StrictModel):
    """Funding sources and how projects wait for them."""

    max_wait: float | None = Field(
        None,
        ge=0,
        le=MAX_MONTHS,
        allow_inf_nan=False,
        description="months before a waiting project is cancelled",
    )
    priority: Literal["fifo", "key_first"] = "fifo"
    sources: dict[str, Source] = Field(default_factory=dict)
    guarantee_pool: GuaranteePool | None = None


class LastObserved(StrictModel):
    """The last observed year's investment: the base of the first year's growth."""

    year: int
    investment: float = Field(gt=0, le=MAX_MONEY, allow_inf_nan=False)


class Background(StrictModel):
    """Investment outside the modelled projects: ``level`` in the first year, then growth."""

    level: Money
    growth: GrowthDistribution


_MONTH = re.compile(r"^(\d{4})(?:-(\d{2}))?$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Policy(StrictModel):
    """Parameter changes that take effect at a time (a year or ``YYYY-MM``; a date on the
    first of a month, ``YYYY-MM-01``, is read as its month)."""

    name: str = Field(min_length=1)
    from_: int | str = Field(alias="from")
    set: dict[str, Any] = Field(min_length=1)

    model_config = ConfigDict(populate_by_name=True)  # added to StrictModel's

    @field_validator("from_", mode="before")
    @classmethod
    def _from_a_date(cls, value: Any) -> Any:
        # YAML reads 2025-07-01 as a date: the first of a month is that month, any other
        # day is refused (policies take effect on the first of a month)
        if isinstance(value, str) and _DAY.match(value):
            try:
                value = datetime.date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"from(={value!r}) must be a year or YYYY-MM") from None
        if isinstance(value, datetime.date):
            day = value.date() if isinstance(value, datetime.datetime) else value
            if day.day != 1 or (isinstance(value, datetime.datetime) and value.time() != datetime.time()):
                after = datetime.date(day.year + day.month // 12, day.month % 12 + 1, 1)
                raise ValueError(
                    f"from(={value.isoformat()}) must be a year or YYYY-MM: a policy takes effect on "
                    f"the first of a month; write {day:%Y-%m} or {after:%Y-%m}"
                )
            return f"{day:%Y-%m}"
        return value

    @field_validator("from_")
    @classmethod
    def _check_from(cls, value: int | str) -> int | str:
        m = _MONTH.match(str(value))
        if not m or (m.group(2) and not 1 <= int(m.group(2)) <= 12):
            raise ValueError(f"from(={value!r}) must be a year or YYYY-MM")
        return value

    def time(self, start_year: int) -> float:
        """When the policy takes effect, in years since 1 January of ``start_year``."""
        m = _MONTH.match(str(self.from_))
        assert m is not None
        return int(m.group(1)) - start_year + (int(m.group(2) or 1) - 1) / 12


class ScenarioConfig(StrictModel):
    """A scenario file, validated. See docs/model.md (appendix) for the meaning of every key."""

    name: str = Field(min_length=1, description="also the default results folder's name")
    description: str = ""
    start_year: int = Field(ge=1900, le=2200)
    horizon_years: int = Field(ge=1, le=100)
    warmup_years: int = Field(
        0,
        ge=0,
        le=50,
        description="years simulated before start_year so that the pipeline is full at the start "
        "(new projects arrive from start_year - warmup_years; only start_year on is reported)",
    )
    money_unit: str = "亿元"
    seed: int = Field(0, ge=0, le=2**63 - 1)
    replications: int = Field(100, ge=1, le=10_000_000)
    extends: str | None = None
    key_project_threshold: float | None = Field(
        None, gt=0, le=MAX_MONEY, allow_inf_nan=False, description="projects at or above this size are key"
    )
    large_project_threshold: float | None = Field(
        None,
        gt=0,
        le=MAX_MONEY,
        allow_inf_nan=False,
        description="also report starts_large and started_investment_large: projects at or above this "
        "total investment starting construction (e.g. 1 for a statistic of projects >= 1 亿)",
    )
    projects: str | None = Field(None, description="CSV of projects in flight at the start")
    sectors: dict[str, Sector] = Field(min_length=1)
    resources: Resources = Resources()
    financing: Financing = Financing()
    last_observed: LastObserved | None = None
    background: Background | None = None
    policies: list[Policy] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _name_is_a_folder_name(cls, name: str) -> str:
        # the name becomes results/<name>/: it must not climb out of results/
        if any(unicodedata.category(c) == "Cc" for c in name):
            raise ValueError(f"name(={name!r}) must not contain control characters")
        if name.strip() in (".", "..") or any(c in name for c in "/\\\0"):
            raise ValueError(f"name(={name!r}) names the results folder: no '/', '\\', '.' or '..'")
        return name

    @model_validator(mode="after")
    def _cross_checks(self) -> ScenarioConfig:
        gp = self.financing.guarantee_pool
        if gp is not None:
            if "bank" not in self.financing.sources:
                raise ValueError(
                    "financing.guarantee_pool adds to bank credit: financing.sources needs a 'bank' source"
                )
            unknown = [s for s in gp.sectors if s not in self.sectors]
            if unknown:
                raise ValueError(
                    f"financing.guarantee_pool.sectors names unknown sector(s) {unknown}; "
                    f"the scenario has {list(self.sectors)}"
                )
            if not any(self.sectors[s].funding.get("bank", 0.0) > 0 for s in gp.sectors):
                raise ValueError(
                    f"financing.guarantee_pool.sectors {gp.sectors} borrow nothing from 'bank' (their "
                    "funding has no bank share), so the pool would do nothing: name a sector that "
                    "borrows from the bank"
                )
        self._check_funding_names()
        self._check_project_count()
        if self.last_observed is not None and self.last_observed.year != self.start_year - 1:
            raise ValueError(
                f"last_observed.year(={self.last_observed.year}) must be the year before "
                f"start_year(={self.start_year})"
            )
        return self

    def _check_funding_names(self) -> None:
        """A funding source one letter away from a declared one is a typo: an undeclared
        source is unconstrained, so a misspelt 'bamk' would be free money."""
        declared = list(self.financing.sources)
        for name, sector in self.sectors.items():
            for source in sector.funding:
                if source in declared:
                    continue
                near = [d for d in declared if _one_edit_apart(source, d)]
                if near:
                    raise ValueError(
                        f"sectors.{name}.funding names {source!r}, not a source of financing.sources: "
                        f"did you mean {near[0]!r}? (a source not declared there is unconstrained: "
                        f"declare {source!r} under financing.sources if it is another source)"
                    )

    def expected_projects(self) -> dict[str, float]:
        """Expected new projects per replication of each sector, over warm-up and horizon."""
        years = range(-self.warmup_years, self.horizon_years)
        return {
            name: sum(s.arrivals.rate * (1 + s.arrivals.growth) ** k for k in years)
            for name, s in self.sectors.items()
        }

    def _check_project_count(self) -> None:
        expected = self.expected_projects()
        total = sum(expected.values())
        if total > MAX_PROJECTS:
            top = sorted(expected.items(), key=lambda kv: -kv[1])[:3]
            drivers = "; ".join(
                f"sectors.{name}.arrivals (rate {self.sectors[name].arrivals.rate:g} a year, "
                f"growth {self.sectors[name].arrivals.growth:g}): about {n:,.0f}"
                for name, n in top
            )
            raise ValueError(
                f"the scenario would create about {total:,.0f} new projects in each replication over "
                f"warmup_years + horizon_years = {self.warmup_years} + {self.horizon_years} years, more "
                f"than the {MAX_PROJECTS:,} that fit in memory; {drivers}. Lower the rates or growths, "
                "or the years"
            )


@dataclass(frozen=True)
class InFlightProject:
    """A project already in the pipeline at the start, from the projects CSV."""

    id: str
    sector: str
    total_investment: float
    stage: str  # one of STAGES or "completed"
    progress: float


POLICY_FIXED_KEYS = (
    "name",
    "description",
    "start_year",
    "horizon_years",
    "warmup_years",
    "large_project_threshold",
    "money_unit",
    "seed",
    "replications",
    "extends",
    "projects",
    "policies",
    "last_observed",
    "background",
)
"""Top-level keys a timed policy can't change: they define the run, not the pipeline."""


@dataclass(frozen=True)
class PolicyChange:
    """A policy taking effect: from ``time`` (years since 1 January of start_year) on,
    ``config`` is the configuration in force."""

    name: str
    start: str
    time: float
    paths: tuple[str, ...]
    config: ScenarioConfig


@dataclass(frozen=True)
class Scenario:
    """A loaded scenario: the validated configuration plus the data it names.

    This is everything the model needs, and nothing that refers to the disk: it can be
    sent to worker processes or machines as it is.
    """

    config: ScenarioConfig
    in_flight: tuple[InFlightProject, ...] = ()
    changes: tuple[PolicyChange, ...] = ()
    source: str = "<memory>"
    resolved: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def name(self) -> str:
        """The scenario's name."""
        return self.config.name

    def __repr__(self) -> str:
        c = self.config
        return (
            f"Scenario({c.name!r}, {c.start_year}-{c.start_year + c.horizon_years - 1}, "
            f"{len(c.sectors)} sectors, {len(c.policies)} policies, from {self.source!r})"
        )

    @property
    def years(self) -> list[int]:
        """Calendar years of the forecast."""
        c = self.config
        return list(range(c.start_year, c.start_year + c.horizon_years))

    @property
    def sector_names(self) -> list[str]:
        """Sector names in the order of the scenario file."""
        return list(self.config.sectors)

    def with_overrides(self, values: Mapping[str, Any]) -> Scenario:
        """This scenario with ``values`` set, validated again: for code that changes a
        loaded scenario many times (a sweep, a calibration) without text or files.

        ``values`` maps dotted key paths to values, as ``--set dotted.path=value`` does:
        ``*`` is every key at its level, a missing optional section is created, and the
        values are set in the mapping's order on the scenario's merged data (its files
        and the overrides it was loaded with). Values are Python values, not YAML text:
        ``60.0`` stays a float, ``"2020"`` stays text, a mapping or list replaces the key's
        value whole. For example::

            scenario.with_overrides({
                "financing.sources.bank.supply": 60.0,
                "sectors.*.approval": {"dist": "fixed", "value": 4},
            })

        The result equals what :func:`~investsim.scenario.loading.load_scenario` gives for
        the same values given as ``--set`` (configuration, the configurations in force
        after each policy, projects in flight, and so the sha256), without reading the
        scenario's files again; the projects register is read again only when
        ``projects`` or the sectors it needs change. A bad path or value raises the
        :class:`~investsim.errors.ScenarioError` loading would, naming the scenario's file
        (``source``) and the key path.
        """
        # loading builds scenarios and so imports this module: import it only when used
        from investsim.scenario.loading import with_values

        return with_values(self, values)

    @property
    def source_names(self) -> list[str]:
        """Every funding source named in a sector's ``funding`` or in
        ``financing.sources`` (before or after any policy), in first-seen order."""
        names: dict[str, None] = {}
        for cfg in (self.config, *(ch.config for ch in self.changes)):
            for s in cfg.sectors.values():
                names.update(dict.fromkeys(s.funding))
        for cfg in (self.config, *(ch.config for ch in self.changes)):
            names.update(dict.fromkeys(cfg.financing.sources))
        return list(names)


def _one_edit_apart(a: str, b: str) -> bool:
    """Whether ``a`` becomes ``b`` by one substitution, insertion, deletion or swap of
    neighbours (names of three letters or more: 'own' and 'bond' are not typos of each other)."""
    if min(len(a), len(b)) < 3 or abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))
