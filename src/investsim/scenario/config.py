"""The scenario file format: pydantic models that validate it once, at the boundary.

Every model forbids unknown keys (they catch typos). Durations are in months, rates
per year, money in the scenario's ``money_unit``. Loading files (``extends``,
``--set``, the in-flight projects CSV) lives in :mod:`investsim.scenario.loading`; this module
only says what a valid scenario is.
"""

from __future__ import annotations

import datetime
import difflib
import functools
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from investsim.scenario.base import KeyPathError, StrictModel
from investsim.scenario.distributions import (
    Fixed,
    SpendingProfile,
)
from investsim.scenario.frozen import freeze, refuse_changes
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
    GrowthTarget,
    Money,
    Probability,
    Size,
)

if TYPE_CHECKING:
    from investsim.scenario.summary import ScenarioSummary

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


UNLIMITED: Literal["unlimited"] = "unlimited"
"""A funding source declared with no limit: ``financing.sources.own: unlimited``."""


def _source_form(value: Any) -> str:
    # a word (or nothing, as `own:` reads) can only mean `unlimited`: say so rather than
    # that a section of keys was expected
    return "unlimited" if value is None or isinstance(value, str) else "limited"


SourceSpec = Annotated[
    Annotated[Literal["unlimited"], Tag("unlimited")] | Annotated[Source, Tag("limited")],
    Discriminator(_source_form),
]
"""A funding source: ``unlimited``, or its yearly supply and limits."""


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
    sources: dict[str, SourceSpec] = Field(
        default_factory=lambda: dict[str, SourceSpec](own=UNLIMITED),
        description="every source a sector's funding names: 'unlimited', or {supply, growth, "
        "debt_ceiling, repayment_years}; without this key, {own: unlimited}",
    )
    guarantee_pool: GuaranteePool | None = None

    @property
    def constrained(self) -> dict[str, Source]:
        """The sources with a yearly supply (those the money desk holds), in the file's order."""
        return {name: s for name, s in self.sources.items() if isinstance(s, Source)}

    @property
    def unlimited(self) -> list[str]:
        """The sources declared ``unlimited``, in the file's order."""
        return [name for name, s in self.sources.items() if not isinstance(s, Source)]


class LastObserved(StrictModel):
    """The last observed year's investment: the base of the first year's growth."""

    year: int
    investment: float = Field(gt=0, le=MAX_MONEY, allow_inf_nan=False)


class Background(StrictModel):
    """Investment outside the modelled projects: ``level`` in the first year, then growth."""

    level: Money
    growth: GrowthDistribution


def _target_form(value: Any) -> str:
    return "per year" if isinstance(value, dict) else "every year"


class Targets(StrictModel):
    """What the city is asked to reach: the yearly growth of investment, one target for
    every reported year or one per year (``{2021: 0.08, 2022: 0.07}``)."""

    growth: Annotated[
        Annotated[GrowthTarget, Tag("every year")] | Annotated[dict[int, GrowthTarget], Tag("per year")],
        Discriminator(_target_form),
    ] = Field(description="growth target as a share (0.08 for 8 %): one for every year, or per year")


_MONTH = re.compile(r"^(\d{4})(?:-(\d{2}))?$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _month_day(value: Any, key: str) -> tuple[int, int]:
    """A day of the year written ``MM-DD`` (no year: the same day every year)."""
    m = _MONTH_DAY.match(value) if isinstance(value, str) else None
    if m is None:
        raise ValueError(f"{key}(={value!r}) must be a day of the year written MM-DD, e.g. '04-01'")
    month, day = int(m.group(1)), int(m.group(2))
    if not 1 <= month <= 12 or not 1 <= day <= _DAYS_IN_MONTH[month - 1]:
        raise ValueError(f"{key}(={value!r}) is not a day of the year (MM-DD; 29 February is refused)")
    return month, day


class Season(StrictModel):
    """When construction works each year: from the day ``opens`` to the day ``closes``,
    both included (``MM-DD``). A month is a twelfth of a year and a day a share of its
    month, so ``{opens: 04-01, closes: 10-31}`` is exactly 7/12 of the year."""

    opens: str = Field(description="first day of the season, MM-DD")
    closes: str = Field(description="last day of the season, MM-DD (within the same year)")

    @field_validator("opens", "closes", mode="before")
    @classmethod
    def _a_day(cls, value: Any, info: Any) -> Any:
        _month_day(value, info.field_name)
        return value

    @model_validator(mode="after")
    def _opens_before_it_closes(self) -> Season:
        if self.start >= self.end:
            raise ValueError(
                f"closes(={self.closes!r}) must come after opens(={self.opens!r}) in the same year: a "
                "season across the new year is not supported"
            )
        return self

    @property
    def start(self) -> float:
        """When it opens, in years since 1 January (the start of the day ``opens``)."""
        month, day = _month_day(self.opens, "opens")
        return (month - 1 + (day - 1) / _DAYS_IN_MONTH[month - 1]) / 12

    @property
    def end(self) -> float:
        """When it closes, in years since 1 January (the end of the day ``closes``)."""
        month, day = _month_day(self.closes, "closes")
        return (month - 1 + day / _DAYS_IN_MONTH[month - 1]) / 12


ALL_YEAR: Literal["all_year"] = "all_year"
"""A sector whose construction works all year although the scenario has a season."""


def _sector_season_form(value: Any) -> str:
    return "all year" if value is None or isinstance(value, str) else "season"


SectorSeason = Annotated[
    Annotated[Literal["all_year"], Tag("all year")] | Annotated[Season, Tag("season")],
    Discriminator(_sector_season_form),
]


class ConstructionSeason(Season):
    """The construction season of every sector, and of some sectors their own
    (``sectors: {agriculture: {opens: 04-15, closes: 10-15}, services: all_year}``)."""

    sectors: dict[str, SectorSeason] = Field(
        default_factory=dict, description="a sector's own season, or all_year"
    )

    def of(self, sector: str) -> Season | None:
        """The season of ``sector`` (None: it builds all year)."""
        own = self.sectors.get(sector)
        if own is None:
            return Season(opens=self.opens, closes=self.closes)
        return None if own == ALL_YEAR else own


class EarlyStart(StrictModel):
    """The province's "三早" action (early planning, early approval, early start): while
    the construction season is closed, a campaign works the approval and land procedures
    of the projects on the list faster, so that they are ready when the season opens."""

    list_threshold: float = Field(
        gt=0,
        le=MAX_MONEY,
        allow_inf_nan=False,
        description="projects of at least this total investment are on the list (money)",
    )
    winter_effect: float = Field(
        gt=0,
        le=1,
        description="factor on the approval and land work time a listed project does while the season "
        "is closed (0.5: twice as fast)",
    )


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


class RegisterFile(StrictModel):
    """The projects register as ``{file: ..., sheet: ...}``: the file, and for an Excel
    workbook the sheet to read (by default its first)."""

    file: str = Field(min_length=1, description="the register: a CSV or an Excel workbook (.xlsx)")
    sheet: str | None = Field(
        None, min_length=1, description="of an Excel workbook: the sheet to read (default: the first)"
    )


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
    projects: str | RegisterFile | None = Field(
        None,
        description="projects in flight at the start: a CSV or Excel (.xlsx) file, or {file: ..., sheet: ...}",
    )
    sectors: dict[str, Sector] = Field(min_length=1)
    resources: Resources = Resources()
    financing: Financing = Financing()
    last_observed: LastObserved | None = None
    background: Background | None = None
    targets: Targets | None = None
    construction_season: ConstructionSeason | None = Field(
        None, description="when construction works each year; none = all year"
    )
    early_start: EarlyStart | None = Field(
        None, description='the winter campaign of the "三早" action; needs construction_season'
    )
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
        self._check_funding_names()
        self._check_guarantee_pool()
        self._check_policy_names()
        self._check_project_count()
        self._check_target_years()
        self._check_season()
        if self.last_observed is not None and self.last_observed.year != self.start_year - 1:
            raise ValueError(
                f"last_observed.year(={self.last_observed.year}) must be the year before "
                f"start_year(={self.start_year})"
            )
        return self

    def _check_funding_names(self) -> None:
        """Every source a sector draws on is declared under ``financing.sources``: a source
        that is not would be unconstrained, so a misspelt 'bamk' would be free money."""
        declared = list(self.financing.sources)
        for name, sector in self.sectors.items():
            for source in sector.funding:
                if source not in declared:
                    message = _undeclared(source, declared)
                    if "funding" not in sector.model_fields_set:
                        message += f" (sectors.{name} has no funding key: it draws all on 'own')"
                    raise KeyPathError(message, ("sectors", name, "funding", source))

    def _check_guarantee_pool(self) -> None:
        gp = self.financing.guarantee_pool
        if gp is None:
            return
        where = ("financing", "guarantee_pool")
        if not isinstance(self.financing.sources.get("bank"), Source):
            raise KeyPathError(
                "adds to bank credit: financing.sources needs a 'bank' source with a supply"
                + (", not 'unlimited'" if "bank" in self.financing.sources else ""),
                where,
            )
        unknown = [s for s in gp.sectors if s not in self.sectors]
        if unknown:
            raise KeyPathError(
                f"names unknown sector(s) {unknown}; the scenario has {list(self.sectors)}",
                (*where, "sectors"),
            )
        if not any(self.sectors[s].funding.get("bank", 0.0) > 0 for s in gp.sectors):
            raise KeyPathError(
                f"{gp.sectors} borrow nothing from 'bank' (their funding has no bank share), so the "
                "pool would do nothing: name a sector that borrows from the bank",
                (*where, "sectors"),
            )

    def _check_policy_names(self) -> None:
        """Policy names are unique: ``policies.NAME.set.KEY=VALUE`` addresses one by name."""
        seen: dict[str, int] = {}
        for k, policy in enumerate(self.policies):
            if policy.name in seen:
                raise KeyPathError(
                    f"{policy.name!r} is also the name of policies[{seen[policy.name]}]: give each "
                    "policy its own name (--set, --grid and --param address a policy by name, "
                    "policies.NAME.set.KEY=VALUE)",
                    ("policies", k, "name"),
                )
            seen[policy.name] = k

    def _check_season(self) -> None:
        """A sector's own season names a sector of the scenario; the "三早" campaign works
        while the season is closed, so it needs one."""
        season = self.construction_season
        if season is not None:
            for name in season.sectors:
                if name not in self.sectors:
                    raise KeyPathError(
                        f"names unknown sector {name!r}; the scenario has {list(self.sectors)}",
                        ("construction_season", "sectors", name),
                    )
        if self.early_start is not None and season is None:
            raise KeyPathError(
                'the "三早" campaign works while the construction season is closed, and the scenario '
                "has no season: set construction_season too",
                ("early_start",),
            )

    def _check_target_years(self) -> None:
        """A target per year names reported years (a target for another year would never
        be checked against anything)."""
        if self.targets is None or not isinstance(self.targets.growth, dict):
            return
        last = self.start_year + self.horizon_years - 1
        for year in self.targets.growth:
            if not self.start_year <= year <= last:
                raise KeyPathError(
                    f"year(={year}) is not one of the run's years, {self.start_year}-{last}",
                    ("targets", "growth", year),
                )

    @property
    def growth_targets(self) -> dict[int, float]:
        """The growth target of each reported year that has one (empty without ``targets``)."""
        if self.targets is None:
            return {}
        growth = self.targets.growth
        if isinstance(growth, dict):
            return dict(sorted(growth.items()))
        return {year: float(growth) for year in range(self.start_year, self.start_year + self.horizon_years)}

    @property
    def projects_file(self) -> str | None:
        """The projects register's file (``projects`` or ``projects.file``), or None."""
        return self.projects.file if isinstance(self.projects, RegisterFile) else self.projects

    @property
    def projects_sheet(self) -> str | None:
        """The sheet of an Excel register ``projects.sheet`` names, or None (the first)."""
        return self.projects.sheet if isinstance(self.projects, RegisterFile) else None

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


@refuse_changes
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
    "targets",
    "construction_season",
)
"""Top-level keys a timed policy can't change: they define the run, not the pipeline."""


@refuse_changes
@dataclass(frozen=True)
class PolicyChange:
    """A policy taking effect: from ``time`` (years since 1 January of start_year) on,
    ``config`` is the configuration in force."""

    name: str
    start: str
    time: float
    paths: tuple[str, ...]
    config: ScenarioConfig


@refuse_changes
@dataclass(frozen=True)
class Scenario:
    """A loaded scenario: the validated configuration plus the data it names.

    This is everything the model needs, and nothing that refers to the disk: it can be
    sent to worker processes or machines as it is. It can't be changed, down to its
    mappings and lists (a change raises ``TypeError``): its policies' configurations and
    sha256 were derived from its values, so a changed scenario is made with
    :meth:`with_overrides`, which derives them again.
    """

    config: ScenarioConfig
    in_flight: tuple[InFlightProject, ...] = ()
    changes: tuple[PolicyChange, ...] = ()
    source: str = "<memory>"
    resolved: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        # the merged data with_overrides starts from: read-only, as the configuration is
        object.__setattr__(self, "resolved", freeze(self.resolved))

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

    def _repr_html_(self) -> str:
        """The scenario's summary (what ``investsim validate`` prints), for notebooks."""
        return self.summary()._repr_html_()

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
        and the overrides it was loaded with). A policy is addressed by its name:
        ``policies.NAME.set.KEY`` (a key it sets, or a new one), ``policies.NAME.from``;
        the configurations in force after each policy are derived again, so the value
        holds from the policy's date. Values are Python values, not YAML text:
        ``60.0`` stays a float, ``"2020"`` stays text, a mapping or list replaces the key's
        value whole. For example::

            scenario.with_overrides({
                "financing.sources.bank.supply": 60.0,
                "sectors.*.approval": {"dist": "fixed", "value": 4},
                "policies.credit tightening.set.financing.sources.bank.supply": 30.0,
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

    def summary(self) -> ScenarioSummary:
        """The scenario in a few figures, as ``investsim validate`` prints it: years,
        replications, one row per sector (arrivals, mean size, mean months of each stage),
        projects in flight, policies in the order they take effect, warnings. Its
        ``sectors`` is a DataFrame; ``print()`` shows the text ``validate`` prints."""
        # the summary reads policies' dates, which import this module: import when used
        from investsim.scenario.summary import summarize

        return summarize(self)

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

    @property
    def unused_sources(self) -> list[str]:
        """Sources declared under ``financing.sources`` that no sector's funding names, in
        the scenario or after any policy: a lever that does nothing (a source left
        declared when a derived scenario stops using it, or a sector's funding that
        forgot it). Worth a warning, not an error: a scenario that ``extends`` another
        can't remove a key it inherits."""
        configs = (self.config, *(ch.config for ch in self.changes))
        used = {source for cfg in configs for s in cfg.sectors.values() for source in s.funding}
        return [name for name in self.config.financing.sources if name not in used]

    @property
    def warnings(self) -> list[str]:
        """What is legal in this scenario but probably not meant (``investsim`` prints
        these as warnings when it loads the scenario)."""
        unused = self.unused_sources
        if not unused:
            return []
        names = ", ".join(repr(u) for u in unused)
        return [
            f"{self.source}: financing.sources declares {names}, which no sector's funding names "
            "(in the scenario or after any policy): changing "
            + ("it" if len(unused) == 1 else "them")
            + " changes nothing; add a share to a sector's funding, or remove the source"
        ]


def _undeclared(source: str, declared: list[str]) -> str:
    """What to say of a sector's funding source that ``financing.sources`` does not declare."""
    # 0.65 takes 'bamk', 'bnak', 'owm' and 'infra_loans' for what they mean, and not
    # 'loans' for 'bonds' (0.6)
    near = [d for d in declared if d.casefold() == source.casefold()]
    near = near or difflib.get_close_matches(source, declared, n=1, cutoff=0.65)
    has = ", ".join(repr(d) for d in declared) or "none"
    if near:
        return f"{source!r} is not a source of financing.sources (which has {has}): did you mean {near[0]!r}?"
    return (
        f"{source!r} is not a source of financing.sources (which has {has}): declare it under "
        f"financing.sources ('{source}: unlimited' if it has no limit)"
    )
