"""Where a difference between two scenarios comes from: by sector, by funding source and
by stage.

``compare`` differences more than the headline metrics: every member of the families
in :data:`BREAKDOWNS` (investment of each sector and of each funding source, the money
each source committed, the months projects waited, the projects in each stage at year
end, the cancellations of each stage), with the same paired statistics, as rows of
``comparison.csv`` tagged with their ``breakdown`` (``sector``, ``source``, ``stage``),
``measure`` and ``item``. :func:`explain` reads those rows back for one scenario and
period, and :func:`explanation_lines` names the largest contributors in a few lines.

The investment of the sectors and the investment outside the modelled projects
(``background``) add up to ``investment`` in every replication, and so do the funding
sources and the background: their mean differences therefore add up to the mean
difference of investment (the mean is linear), whatever the pairing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from investsim import columns
from investsim.stages import STAGES

BACKGROUND = "background"
"""The item of ``investment_background`` in the sector and source breakdowns."""

HEADLINE = "total"
"""The ``breakdown`` of the headline rows (investment, growth, starts, completions);
their ``item`` is :data:`ALL`."""

ALL = "all"
"""The ``item`` of the headline rows."""


@dataclass(frozen=True)
class Breakdown:
    """A family of output columns that compare differences member by member."""

    breakdown: str
    """``sector``, ``source`` or ``stage``: what the difference is split by."""
    measure: str
    """What is compared: ``investment``, ``committed``, ``months_waited``, ``at_year_end``
    or ``cancelled``."""
    family: columns.Column
    """The columns (one per sector, source or stage) in the replications table."""
    over_years: str
    """How a period of several years is summarised per replication: ``sum`` (flows: money,
    cancellations) or ``mean`` (a yearly mean or a year-end count: the mean of its years,
    skipping years without a value)."""
    with_background: bool = False
    """Whether ``investment_background`` is an item too, so that the items add up to
    ``investment``."""


BREAKDOWNS: tuple[Breakdown, ...] = (
    Breakdown("sector", "investment", columns.SECTOR_INVESTMENT, "sum", with_background=True),
    Breakdown("source", "investment", columns.SOURCE_INVESTMENT, "sum", with_background=True),
    Breakdown("source", "committed", columns.FINANCING_COMMITTED, "sum"),
    Breakdown("stage", "months_waited", columns.WAIT_MONTHS, "mean"),
    Breakdown("stage", "at_year_end", columns.IN_STAGE_AT_YEAR_END, "mean"),
    Breakdown("stage", "cancelled", columns.CANCELLED, "sum"),
)
"""What ``compare`` splits a difference by, in the order of ``comparison.csv``."""


@dataclass(frozen=True)
class BreakdownMetric:
    """One column of the replications table that compare differences as a breakdown row."""

    metric: str
    breakdown: str
    measure: str
    item: str
    over_years: str


def breakdown_metrics(names: Iterable[str]) -> list[BreakdownMetric]:
    """The breakdown rows of a comparison whose replications tables have the columns
    ``names`` (the union of both scenarios' columns), in the order of :data:`BREAKDOWNS`."""
    names = list(dict.fromkeys(names))
    out = []
    for b in BREAKDOWNS:
        for name, member in columns.members(names, b.family):
            (item,) = member.values()
            out.append(BreakdownMetric(name, b.breakdown, b.measure, item, b.over_years))
        if b.with_background and columns.INVESTMENT_BACKGROUND.name in names:
            out.append(
                BreakdownMetric(columns.INVESTMENT_BACKGROUND.name, b.breakdown, b.measure, BACKGROUND, "sum")
            )
    return out


@dataclass(frozen=True)
class Part:
    """One item's difference over a period: the means of the base and the other scenario,
    the mean difference and its 95% interval."""

    item: str
    metric: str
    base: float
    other: float
    diff: float
    low: float
    high: float

    @property
    def sure(self) -> bool:
        """Whether the 95% interval excludes 0."""
        return bool(self.low > 0 or self.high < 0)


@dataclass(frozen=True)
class Explanation:
    """Where one scenario's difference from the base comes from, over one period (the
    background is left out where both scenarios have none)."""

    scenario: str
    period: str
    investment: Part
    starts: Part | None
    parts: dict[tuple[str, str], list[Part]]
    """``(breakdown, measure)`` -> one :class:`Part` per item, in the table's order."""

    def __repr__(self) -> str:
        top, _ = self.largest("sector", "investment", 2)
        sectors = ", ".join(f"{p.item} {p.diff:+,.1f}" for p in top)
        return (
            f"Explanation({self.scenario!r}, {self.period}: investment {self.investment.diff:+,.1f} "
            f"({self.investment.low:+,.1f} to {self.investment.high:+,.1f})"
            + (f"; largest by sector: {sectors}" if sectors else "")
            + f"; {sum(len(v) for v in self.parts.values())} parts)"
        )

    def of(self, breakdown: str, measure: str) -> list[Part]:
        """The items of one breakdown and measure (empty if the table has none)."""
        return self.parts.get((breakdown, measure), [])

    def largest(self, breakdown: str, measure: str, count: int = 3) -> tuple[list[Part], list[Part]]:
        """The ``count`` items with the largest absolute difference, largest first, and
        the others (in the table's order). Items that differ by exactly 0 are left out
        of the first list."""
        items = self.of(breakdown, measure)
        ranked = sorted((p for p in items if p.diff != 0), key=lambda p: -abs(p.diff))[:count]
        # the items that make up what the first list leaves over
        rest = [p for p in items if p not in ranked]
        return ranked, rest

    def residual(self, breakdown: str) -> float:
        """The items' investment differences summed, less the investment difference (0 up
        to rounding: the items add up to the total)."""
        return math.fsum(p.diff for p in self.of(breakdown, "investment")) - self.investment.diff

    def sure_stages(self) -> list[tuple[str, list[tuple[str, Part]]]]:
        """Per stage (in pipeline order), the stage measures whose interval excludes 0 and
        whose difference is at least 0.05 (shown as 0.0 with one decimal otherwise)."""
        out = []
        for stage in STAGES:
            found = [
                (measure, p)
                for measure in ("months_waited", "at_year_end", "cancelled")
                for p in self.of("stage", measure)
                if p.item == stage and p.sure and abs(p.diff) >= 0.05
            ]
            if found:
                out.append((stage, found))
        return out


def signed_years(yearly: pd.DataFrame) -> list[tuple[str, str]]:
    """The periods (years) of ``yearly`` whose 95% interval excludes 0, in year order,
    each with the sign of its difference: ``[("2020", "+"), ("2027", "−")]``."""
    rows = yearly.assign(period=yearly["period"].astype(str)).sort_values("period", kind="stable")
    return [
        (str(r["period"]), "+" if r["diff_ci_low"] > 0 else "−")
        for r in rows.to_dict("records")
        if r["diff_ci_low"] > 0 or r["diff_ci_high"] < 0
    ]


def _part(row: pd.Series) -> Part:
    return Part(
        str(row["item"]),
        str(row["metric"]),
        float(row["base_mean"]),
        float(row["other_mean"]),
        float(row["diff_mean"]),
        float(row["diff_ci_low"]),
        float(row["diff_ci_high"]),
    )


def explain(table: pd.DataFrame, scenario: str, period: str = "total") -> Explanation | None:
    """The breakdown of ``scenario``'s difference in ``period`` from a comparison table
    (:func:`~investsim.analyses.compare.compare_runs`, or ``comparison.csv`` read back);
    None if the table has no breakdown rows (written before they existed) or no such
    scenario and period."""
    if "breakdown" not in table.columns:
        return None
    rows = table[(table["scenario"].astype(str) == scenario) & (table["period"].astype(str) == period)]
    headline = {
        str(r["metric"]): pd.Series(r) for r in rows[rows["breakdown"] == HEADLINE].to_dict("records")
    }
    if "investment" not in headline:
        return None
    starts = _part(headline["starts"]) if "starts" in headline else None
    parts: dict[tuple[str, str], list[Part]] = {}
    for r in rows[rows["breakdown"] != HEADLINE].to_dict("records"):
        part = _part(pd.Series(r))
        if part.item == BACKGROUND and part.base == part.other == part.diff == 0:
            continue  # a scenario without background investment: nothing to show
        parts.setdefault((str(r["breakdown"]), str(r["measure"])), []).append(part)
    if not parts:
        return None
    investment = _part(headline["investment"])
    return Explanation(scenario, period, investment, starts, parts)


MEASURE_WORDS = {
    "months_waited": "months waited",
    "at_year_end": "projects at year end",
    "cancelled": "cancelled",
}
"""The stage measures as the terminal names them."""


def _signed(value: float) -> str:
    """A signed number with one decimal, a true minus sign, and +0.0 for a rounded 0."""
    text = f"{round(value, 1) + 0.0:+,.1f}"
    return text.replace("-", "−")


def _listed(parts: list[Part], rest: list[Part]) -> str:
    text = ", ".join(f"{p.item} {_signed(p.diff)}" for p in parts)
    if rest:
        others = math.fsum(p.diff for p in rest)
        word = "the other" if len(rest) == 1 else f"the other {len(rest)}"
        text += f"{', ' if text else ''}{word} {_signed(others)}"
    return text or "none"


def explanation_lines(explanation: Explanation, unit: str = "") -> list[str]:
    """A few lines naming the largest contributors to the difference (means of the paired
    differences over the period): by sector and by funding source (the parts add up to
    the total), the money each source committed, and per stage what changed surely (95%
    interval excluding 0)."""
    e = explanation
    when = "over the horizon" if e.period == "total" else f"in {e.period}"
    money = f" {unit}" if unit else ""
    starts = f", {_signed(e.starts.diff)} projects started" if e.starts is not None else ""
    lines = [
        f"{e.scenario}: where the {_signed(e.investment.diff)}{money} {when} comes from "
        f"(mean differences{starts})"
    ]
    for breakdown, label in (("sector", "by sector"), ("source", "by funding source")):
        if e.of(breakdown, "investment"):
            lines.append(f"  {label}: {_listed(*e.largest(breakdown, 'investment'))}")
    if e.of("source", "committed"):
        lines.append(f"  money committed: {_listed(*e.largest('source', 'committed'))}")
    if e.of("stage", "months_waited") or e.of("stage", "cancelled"):
        stages = e.sure_stages()
        text = "; ".join(
            f"{stage} " + ", ".join(f"{_signed(p.diff)} {MEASURE_WORDS[m]}" for m, p in found)
            for stage, found in stages
        )
        lines.append(f"  by stage, where surely different: {text or 'none'}")
    return lines
