"""What a loaded scenario holds, in a few figures: the summary ``investsim validate`` prints,
as an object for Python (``Scenario.summary()``).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import pandas as pd

from investsim.scenario.config import ApprovalSteps, Scenario, ScenarioConfig
from investsim.scenario.policies import PolicyTiming, policy_timeline

SECTOR_COLUMNS = (
    "arrivals_per_year",
    "arrivals_growth",
    "mean_size",
    "approval_months",
    "approval_steps",
    "land_months",
    "construction_months",
    "construction_season",
)
"""The columns of :attr:`ScenarioSummary.sectors`, one row per sector."""


@dataclass(frozen=True)
class ScenarioSummary:
    """A loaded scenario in a few figures (what ``investsim validate`` prints).

    ``sectors`` has one row per sector (indexed by its name, in the file's order): new
    projects a year and their yearly growth, mean project size (``money_unit``), and the
    analytic mean months of approval, land and construction, and the construction season
    (``"04-01 to 10-31"``, or ``"all year"``; with a season, construction months are
    working months: months of the season). Approval given as sub-steps
    in series has the sum of their means; in parallel the mean of their maximum has no
    closed form, so ``approval_months`` is NaN there and ``approval_steps`` says
    ``"parallel, 3 steps"``. ``in_flight_*`` count the register's projects not yet
    completed; ``construction_to_spend`` is what those under construction have left to
    spend. ``policies`` are in the order they take effect.
    """

    source: str
    name: str
    first_year: int
    last_year: int
    replications: int
    seed: int
    money_unit: str
    sectors: pd.DataFrame
    in_flight_projects: int
    in_flight_investment: float
    construction_to_spend: float
    policies: tuple[PolicyTiming, ...]
    warnings: tuple[str, ...]

    @property
    def seasonal(self) -> bool:
        """Whether some sector builds only in a season (its construction months are then
        working months)."""
        return bool((self.sectors["construction_season"] != ALL_YEAR_TEXT).any())

    @property
    def expected_new_projects(self) -> float:
        """New projects expected in the first year, over every sector."""
        return float(self.sectors["arrivals_per_year"].sum())

    def lines(self) -> list[str]:
        """The summary as the lines ``investsim validate`` prints around its sector table."""
        unit = self.money_unit
        out = [
            f"{self.name}: {self.first_year}-{self.last_year}, {self.replications} replications, "
            f"seed {self.seed}",
            f"expected new projects a year: {self.expected_new_projects:g} in {len(self.sectors)} sectors",
            f"in flight at the start: {self.in_flight_projects} projects, {self.in_flight_investment:,.2f} "
            f"{unit} total investment ({self.construction_to_spend:,.2f} {unit} still to spend in construction)",
            f"policies: {len(self.policies) or 'none (current policies throughout)'}",
        ]
        if self.seasonal:
            seasons = self.sectors.groupby("construction_season", sort=False).groups
            said = "; ".join(f"{season}: {', '.join(map(str, names))}" for season, names in seasons.items())
            if len(seasons) == 1:
                said = f"{next(iter(seasons))} in every sector"
            out.insert(1, f"construction season: {said} (construction months are working months)")
        out += [f"  {p.summary}" for p in self.policies]
        return out

    def sector_rows(self) -> list[tuple[str, ...]]:
        """The sector table's cells as ``validate`` shows them: sector, arrivals a year, mean
        size, approval, land, construction."""
        rows: list[tuple[str, ...]] = []
        for name, s in self.sectors.iterrows():
            approval = (
                f"{s['approval_months']:.1f} mo" if pd.notna(s["approval_months"]) else s["approval_steps"]
            )
            rows.append(
                (
                    str(name),
                    f"{s['arrivals_per_year']:g}",
                    f"{s['mean_size']:.2f} {self.money_unit}",
                    approval,
                    f"{s['land_months']:.1f} mo",
                    f"{s['construction_months']:.1f} mo",
                )
            )
        return rows

    def __str__(self) -> str:
        head = ("sector", "arrivals/yr", "mean size", "approval", "land", "construction")
        table = [head, *self.sector_rows()]
        widths = [max(len(r[i]) for r in table) for i in range(len(head))]
        body = [
            "  "
            + "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
            for r in table
        ]
        lines = self.lines()
        return "\n".join([lines[0], *body, *lines[1:]])

    def __repr__(self) -> str:
        return (
            f"ScenarioSummary({self.name!r}, {self.first_year}-{self.last_year}, {len(self.sectors)} sectors, "
            f"{self.in_flight_projects} projects in flight, {len(self.policies)} policies)"
        )

    def _repr_html_(self) -> str:
        """The lines and the sector table, for notebooks."""
        lines = "".join(f"<li>{html.escape(line.strip())}</li>" for line in self.lines()[1:])
        head = f"<p><b>{html.escape(self.name)}</b>: {self.first_year}-{self.last_year}</p>"
        return head + f"<ul>{lines}</ul>" + self.sectors.to_html(float_format=lambda x: f"{x:,.2f}")


ALL_YEAR_TEXT = "all year"


def _season_text(config: ScenarioConfig, sector: str) -> str:
    season = config.construction_season.of(sector) if config.construction_season else None
    return ALL_YEAR_TEXT if season is None else f"{season.opens} to {season.closes}"


def summarize(scenario: Scenario) -> ScenarioSummary:
    """The :class:`ScenarioSummary` of a loaded scenario."""
    c = scenario.config
    rows = {}
    for name, s in c.sectors.items():
        approval = s.approval
        if isinstance(approval, ApprovalSteps):
            steps = f"{approval.mode}, {len(approval.steps)} steps"
            months = (
                sum(d.mean for d in approval.steps.values()) if approval.mode == "serial" else float("nan")
            )
        else:
            steps, months = "", approval.mean
        rows[name] = {
            "arrivals_per_year": s.arrivals.rate,
            "arrivals_growth": s.arrivals.growth,
            "mean_size": s.size.mean,
            "approval_months": months,
            "approval_steps": steps,
            "land_months": s.land.mean,
            "construction_months": s.construction.mean,
            "construction_season": _season_text(c, name),
        }
    sectors = pd.DataFrame.from_dict(rows, orient="index", columns=list(SECTOR_COLUMNS))
    sectors.index.name = "sector"
    live = [p for p in scenario.in_flight if p.stage != "completed"]
    return ScenarioSummary(
        source=scenario.source,
        name=c.name,
        first_year=c.start_year,
        last_year=c.start_year + c.horizon_years - 1,
        replications=c.replications,
        seed=c.seed,
        money_unit=c.money_unit,
        sectors=sectors,
        in_flight_projects=len(live),
        in_flight_investment=sum(p.total_investment for p in live),
        construction_to_spend=sum(
            p.total_investment * (1 - p.progress) for p in live if p.stage == "construction"
        ),
        policies=policy_timeline(scenario),
        warnings=tuple(scenario.warnings),
    )
