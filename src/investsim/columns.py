"""The output columns, each defined once: name, what produces it, unit, how it is
summarised over replications, its English and Chinese label, its Excel number format.

The model (:mod:`investsim.model.collect` and the levers' ``outputs``) produces the
yearly columns of the replications table under these names; the yearly summary
(:func:`investsim.results.forecast.annual_summary`) summarises each column as its entry
says; the charts, the report and the workbook take headings and number formats from
here. A column the registry does not know is refused when the replications table is
built, so a new output cannot silently go unsummarised.

Some columns come in families, one per sector, funding source or stage: their names are
templates (``investment_sector_{sector}``) filled in with :meth:`Column.of`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache

from investsim.stages import CANCEL_STAGES, STAGES

MONEY_FMT = "#,##0.00"
COUNT_FMT = "#,##0.0"
SHARE_FMT = "0.0%"
MONTHS_FMT = "0.0"
WHOLE_FMT = "0"

STATS = ("mean", "p10", "p50", "p90")
"""Statistics a yearly summary can give a column: the mean over replications and quantiles."""

_FIELD_VALUES = {
    "stage": "|".join(STAGES),
    "cancel_stage": "|".join(s.label for s in CANCEL_STAGES),
    "sector": ".+",
    "source": ".+",
}


@dataclass(frozen=True)
class Column:
    """One output column (or a family of them, one per sector, source or stage)."""

    name: str
    """The column's name, or a template with ``{sector}``, ``{source}`` or ``{stage}``."""
    unit: str
    """``money`` (the scenario's money unit), ``count``, ``months``, ``share``, ``year`` or ``none``."""
    produced_by: str
    """What computes it, in a few words."""
    label_en: str
    """English heading; ``{unit}`` is the money unit, ``{sector}`` etc. the member's name."""
    label_zh: str
    """Chinese heading, likewise."""
    summary: tuple[str, ...] = ("mean",)
    """Statistics of the yearly summary (``annual.csv``), in order (empty: not summarised)."""
    headline: bool = False
    """Summarised first, in registry order; the others follow in the replications table's order."""
    integer: bool = False
    """A whole count per replication (stored as integers in the replications table)."""
    excel_format: str = COUNT_FMT
    """Excel number format of the column and of its statistics."""
    fields: tuple[str, ...] = field(default=(), init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", tuple(re.findall(r"\{(\w+)\}", self.name)))

    def of(self, **members: str) -> str:
        """The name of one member of a family: ``CANCELLED.of(stage="land")`` -> ``cancelled_land``."""
        return self.name.format(**members)

    def label(self, zh: bool, unit: str, **members: str) -> str:
        """The heading in English or Chinese, ``members`` being display names."""
        return (self.label_zh if zh else self.label_en).format(unit=unit, **members)


def _money(name: str, by: str, en: str, zh: str, **kw: object) -> Column:
    return Column(name, "money", by, en, zh, excel_format=MONEY_FMT, **kw)  # type: ignore[arg-type]


def _count(name: str, by: str, en: str, zh: str, **kw: object) -> Column:
    return Column(name, "count", by, en, zh, excel_format=COUNT_FMT, **kw)  # type: ignore[arg-type]


def _months(name: str, by: str, en: str, zh: str) -> Column:
    return Column(name, "months", by, en, zh, excel_format=MONTHS_FMT)


def _share(name: str, by: str, en: str, zh: str, **kw: object) -> Column:
    return Column(name, "share", by, en, zh, excel_format=SHARE_FMT, **kw)  # type: ignore[arg-type]


_QUANTILES = ("p10", "p50", "p90")

REPLICATION = Column("replication", "none", "runner", "replication", "模拟序号", (), excel_format=WHOLE_FMT)
YEAR = Column(
    "year", "year", "scenario: start_year .. + horizon_years", "year", "年份", (), excel_format=WHOLE_FMT
)
INVESTMENT = _money(
    "investment",
    "results: modelled projects + background",
    "investment ({unit})",
    "投资（{unit}）",
    summary=("mean", *_QUANTILES),
    headline=True,
)
GROWTH = _share(
    "growth",
    "results: investment / the year before's - 1, per replication",
    "growth",
    "增速",
    summary=_QUANTILES,
    headline=True,
)
STARTS = _count("starts", "model: construction starts", "starts", "开工项目", headline=True, integer=True)
COMPLETIONS = _count(
    "completions", "model: construction ends", "completions", "竣工项目", headline=True, integer=True
)
ARRIVALS = _count(
    "arrivals",
    "model: new projects entering approval",
    "new projects",
    "新增项目",
    headline=True,
    integer=True,
)
INVESTMENT_PROJECTS = _money(
    "investment_projects",
    "model: spending of the modelled projects",
    "modelled projects ({unit})",
    "模型内项目（{unit}）",
    summary=("p50",),
    headline=True,
)
INVESTMENT_BACKGROUND = _money(
    "investment_background",
    "model: scenario background level and growth",
    "outside the modelled projects ({unit})",
    "模型外投资（{unit}）",
    summary=("p50",),
    headline=True,
)
SECTOR_INVESTMENT = _money(
    "investment_sector_{sector}",
    "model: spending of the sector's projects",
    "{sector} ({unit})",
    "{sector}（{unit}）",
    summary=("p50",),
    headline=True,
)
SOURCE_INVESTMENT = _money(
    "investment_source_{source}",
    "model: spending times the sector's funding shares",
    "{source} ({unit})",
    "{source}（{unit}）",
    summary=("p50",),
    headline=True,
)
INVESTMENT_IN_FLIGHT = _money(
    "investment_in_flight",
    "model: spending of projects in the pipeline on 1 January of start_year",
    "start pipeline ({unit})",
    "期初管道（{unit}）",
)
IN_STAGE_AT_YEAR_END = _count(
    "in_{stage}_at_year_end",
    "model: projects in the stage on 31 December",
    "in {stage} at year end",
    "{stage}：年末在办",
)
STARTED_INVESTMENT = _money(
    "started_investment",
    "model: planned cost of the projects starting",
    "investment of projects starting ({unit})",
    "新开工项目总投资（{unit}）",
)
STARTS_LARGE = _count(
    "starts_large", "model: starts at or above large_project_threshold", "starts large", "大项目开工"
)
STARTED_INVESTMENT_LARGE = _money(
    "started_investment_large",
    "model: planned cost of the large projects starting",
    "started investment large",
    "大项目开工总投资（{unit}）",
)
CANCELLED = _count(
    "cancelled_{cancel_stage}",
    "model: projects dropping out at the end of the stage",
    "cancelled in {cancel_stage}",
    "{cancel_stage}：取消",
    integer=True,
)
ENTERING = _count(
    "{stage}_entering", "model: projects entering the stage", "{stage}: entering", "{stage}：进入"
)
WAIT_MONTHS = _months(
    "{stage}_wait_months",
    "model: mean months waited by the projects finishing the stage that year (construction: for the "
    "season to open, by the projects starting it that year)",
    "{stage}: months waiting",
    "{stage}：等待月数",
)
WORK_MONTHS = _months(
    "{stage}_work_months",
    "model: mean months worked by the projects finishing the stage that year",
    "{stage}: months working",
    "{stage}：办理月数",
)
APPROVAL_UTILISATION = _share(
    "approval_utilisation", "approval capacity lever", "approval capacity in use", "审批能力利用率"
)
LAND_UTILISATION = _share(
    "land_utilisation", "land capacity lever", "land acquisition capacity in use", "征地能力利用率"
)
SECRETARY_UTILISATION = _share(
    "secretary_utilisation", "service secretaries lever", "secretaries in use", "服务秘书利用率"
)
FINANCING_SUPPLY = _money(
    "financing_supply_{source}", "financing lever: money made available", "{source} supply", "{source} 供给"
)
FINANCING_DEMAND = _money(
    "financing_demand_{source}",
    "financing lever: money asked by claims made",
    "{source} demand",
    "{source} 需求",
)
FINANCING_COMMITTED = _money(
    "financing_committed_{source}",
    "financing lever: money committed",
    "{source} committed",
    "{source} 已落实",
)
FINANCING_GAP = _money(
    "financing_gap",
    "financing lever: demand - supply, all sources",
    "financing gap ({unit})",
    "融资缺口（{unit}）",
)
LAND_BUDGET_SUPPLY = _money(
    "land_budget_supply",
    "land budget lever: money made available",
    "land budget supply ({unit})",
    "征地资金供给（{unit}）",
)
LAND_BUDGET_DEMAND = _money(
    "land_budget_demand",
    "land budget lever: land money asked",
    "land budget demand ({unit})",
    "征地资金需求（{unit}）",
)
# how binding each resource is (model.binding; docs/model.md, "The bottleneck map"): the
# share of the calendar year it held a project up, and the time-average number it held up
BINDING_SOURCE = _share(
    "binding_source_{source}",
    "financing lever: share of the year some waiting claim's share from the source is more than it can commit",
    "{source}: share of the year binding",
    "{source}：资金紧缺时间占比",
)
WAITING_SOURCE = _count(
    "waiting_source_{source}",
    "financing lever: time-average number of waiting claims the source cannot meet now",
    "{source}: projects waiting for it",
    "{source}：等待该资金的项目数",
)
BINDING_LAND_BUDGET = _share(
    "binding_land_budget",
    "land budget lever: share of the year some waiting land claim is more than the budget left",
    "land budget: share of the year binding",
    "征地资金：紧缺时间占比",
)
WAITING_LAND_BUDGET = _count(
    "waiting_land_budget",
    "land budget lever: time-average number of projects waiting for land money",
    "land budget: projects waiting for it",
    "征地资金：等待的项目数",
)
BINDING_APPROVAL_CAPACITY = _share(
    "binding_approval_capacity",
    "approval capacity lever: share of the year every place is taken and a project waits",
    "approval capacity: share of the year binding",
    "审批能力：满负荷且有排队的时间占比",
)
WAITING_APPROVAL_CAPACITY = _count(
    "waiting_approval_capacity",
    "approval capacity lever: time-average number of projects waiting for an approval place",
    "approval capacity: projects waiting for a place",
    "审批能力：排队等待的项目数",
)
BINDING_LAND_CAPACITY = _share(
    "binding_land_capacity",
    "land capacity lever: share of the year every place is taken and a project waits",
    "land capacity: share of the year binding",
    "征地能力：满负荷且有排队的时间占比",
)
WAITING_LAND_CAPACITY = _count(
    "waiting_land_capacity",
    "land capacity lever: time-average number of projects waiting for a land-acquisition place",
    "land capacity: projects waiting for a place",
    "征地能力：排队等待的项目数",
)
BINDING_SECRETARIES = _share(
    "binding_secretaries",
    "service secretaries lever: share of the year none is free and a key project goes without one",
    "secretaries: share of the year binding",
    "服务秘书：无空闲且有重点项目缺秘书的时间占比",
)
WAITING_SECRETARIES = _count(
    "waiting_secretaries",
    "service secretaries lever: time-average number of key projects before construction without one",
    "secretaries: key projects without one",
    "服务秘书：缺秘书的重点项目数",
)
BINDING_COLUMNS = (
    BINDING_SOURCE,
    BINDING_LAND_BUDGET,
    BINDING_APPROVAL_CAPACITY,
    BINDING_LAND_CAPACITY,
    BINDING_SECRETARIES,
)
"""The binding shares, one per kind of resource (sources: one per source)."""
WAITING_COLUMNS = (
    WAITING_SOURCE,
    WAITING_LAND_BUDGET,
    WAITING_APPROVAL_CAPACITY,
    WAITING_LAND_CAPACITY,
    WAITING_SECRETARIES,
)
"""The numbers waiting, in the order of :data:`BINDING_COLUMNS`."""
# computed after the run, not by the model
REPLICATIONS = Column(
    "replications",
    "count",
    "results: replications summarised",
    "replications",
    "重复次数",
    (),
    excel_format=WHOLE_FMT,
)
IN_FLIGHT_SHARE = _share(
    "in_flight_share",
    "reporting: investment_in_flight / investment",
    "start pipeline share",
    "期初管道占比",
    summary=("p50",),
)
# months (results.monthly): the per-replication months and monthly.csv
MONTH = Column("month", "none", "results: calendar month, 1-12", "month", "月份", (), excel_format=WHOLE_FMT)
PERIOD = Column(
    "period", "none", "results: the bureau's year-to-date period, 1-2月 … 1-12月", "period", "时期", ()
)
PERIOD_EN = Column(
    "period_en", "none", "results: the period in English, Jan-Feb … Jan-Dec", "period", "时期", ()
)
YTD_INVESTMENT = _money(
    "ytd_investment",
    "results: investment from January to the month, per replication",
    "year to date ({unit})",
    "累计投资（{unit}）",
    summary=("mean", *_QUANTILES),
)
YTD_GROWTH = _share(
    "ytd_growth",
    "results: year-to-date investment / the same months of the year before - 1, per replication",
    "year-to-date growth",
    "累计同比增速",
    summary=_QUANTILES,
)
# growth targets (scenario key targets, or run --target)
GROWTH_TARGET = _share("growth_target", "scenario: targets.growth", "growth target", "增速目标", summary=())
TARGET_PROBABILITY = _share(
    "target_probability",
    "results: share of replications whose growth is at or above the target",
    "probability of meeting the target",
    "完成目标的概率",
    summary=(),
)
YTD_TARGET_PROBABILITY = _share(
    "ytd_target_probability",
    "results: share of replications whose year-to-date growth is at or above the year's target",
    "probability year-to-date growth is at or above the target",
    "累计增速达到目标的概率",
    summary=(),
)

REGISTRY: tuple[Column, ...] = (
    REPLICATION,
    YEAR,
    INVESTMENT,
    GROWTH,
    STARTS,
    COMPLETIONS,
    ARRIVALS,
    INVESTMENT_PROJECTS,
    INVESTMENT_BACKGROUND,
    SECTOR_INVESTMENT,
    SOURCE_INVESTMENT,
    INVESTMENT_IN_FLIGHT,
    IN_STAGE_AT_YEAR_END,
    STARTED_INVESTMENT,
    STARTS_LARGE,
    STARTED_INVESTMENT_LARGE,
    CANCELLED,
    ENTERING,
    WAIT_MONTHS,
    WORK_MONTHS,
    APPROVAL_UTILISATION,
    LAND_UTILISATION,
    SECRETARY_UTILISATION,
    FINANCING_SUPPLY,
    FINANCING_DEMAND,
    FINANCING_COMMITTED,
    FINANCING_GAP,
    LAND_BUDGET_SUPPLY,
    LAND_BUDGET_DEMAND,
    *BINDING_COLUMNS,
    *WAITING_COLUMNS,
    REPLICATIONS,
    IN_FLIGHT_SHARE,
    MONTH,
    PERIOD,
    PERIOD_EN,
    YTD_INVESTMENT,
    YTD_GROWTH,
    GROWTH_TARGET,
    TARGET_PROBABILITY,
    YTD_TARGET_PROBABILITY,
)
"""Every output column; the headline ones in the order the yearly summary gives them."""


@cache
def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part}>{_FIELD_VALUES[part]})"
        for i, part in enumerate(parts)
    )
    return re.compile(regex)


def find(name: str) -> tuple[Column, dict[str, str]] | None:
    """The registry entry of a column name, with the family members it names
    (``cancelled_land`` -> (CANCELLED, {"cancel_stage": "land"})); None if unknown."""
    for column in REGISTRY:
        if not column.fields and column.name == name:
            return column, {}
    for column in REGISTRY:
        if column.fields and (m := _pattern(column.name).fullmatch(name)):
            return column, m.groupdict()
    return None


def split_stat(key: str) -> tuple[str, str]:
    """A summary column's name as (column, statistic): ``investment_p50`` -> (``investment``, ``p50``);
    a name without a statistic gives ``""``."""
    for stat in STATS:
        if key.endswith(f"_{stat}") and find(key[: -len(stat) - 1]) is not None:
            return key[: -len(stat) - 1], stat
    return key, ""


def members(names: Iterable[str], family: Column, stat: str = "") -> list[tuple[str, dict[str, str]]]:
    """The names among ``names`` that belong to ``family`` (with statistic ``stat``, e.g.
    ``"mean"`` for summary columns), each with the members it names, in the given order."""
    out = []
    for name in names:
        base, found_stat = split_stat(name) if stat else (name, "")
        if found_stat != stat:
            continue
        found = find(base)
        if found is not None and found[0] is family:
            out.append((name, found[1]))
    return out


def member_names(names: Iterable[str], family: Column, stat: str = "") -> list[str]:
    """The names among ``names`` that belong to ``family`` (see :func:`members`)."""
    return [name for name, _ in members(names, family, stat)]


def heading(key: str, zh: bool, unit: str, name: Callable[[str], str]) -> str:
    """A readable heading for a results column, with its statistic if it has one
    (``financing_supply_bank_mean`` -> ``bank supply mean``); ``name`` shows a sector,
    source or stage name (translated in Chinese where known)."""
    base, stat = split_stat(key)
    found = find(base)
    if found is None:
        text = base.replace("_", " ")
    else:
        column, named = found
        text = column.label(zh, unit, **{k: name(v) for k, v in named.items()})
    stat_text = {"mean": "均值" if zh else "mean", "p10": "P10", "p50": "P50", "p90": "P90", "": ""}[stat]
    return f"{text} {stat_text}".strip()


def excel_format(key: str) -> str:
    """The Excel number format of a results column (or of one of its statistics)."""
    found = find(split_stat(key)[0])
    return found[0].excel_format if found is not None else COUNT_FMT
