"""Properties the model must have, over randomly drawn scenarios with common random numbers
(issue #14), and the two effects that bound them, each shown alone.

**(a) More supply never lowers what one binding source pays for.** In a scenario with one
constrained funding source and nothing else that binds (tests/one_source.py), a timed
policy raising that source's supply from a date must not lower the expected cumulative
investment over the horizon, nor the money committed from the source
(``financing_committed_bank``, summed over the horizon). Each scenario is run with and
without the policy with the same seed (common random numbers), so each replication gives a
paired difference. The property fails for a scenario when the mean difference is
significantly below zero: when the upper bound of its one-sided Student t interval,
mean + t x se at level ``ALPHA`` divided by the number of checks of the test (Bonferroni),
is below zero (less a rounding tolerance of 1e-9 of the base). Where the property holds,
the chance that any check of a test fails anyway is at most ``ALPHA`` = 0.001 (as far as
the t approximation holds for 20 replications). The seeds are fixed: the outcome changes
only when the model's numbers do.

It holds within two bounds, found with this generator (over 1,500 scenarios each way)
and shown alone below with numbers worked out by hand:

1. **The money goes to the first claims in line, not to those that bring the most
   investment.** More supply lets a claim that could not fit before (first fit let the
   claims behind it pass) take the money ahead of them. When the projects differ in the
   investment a unit of the source's money brings within the horizon — a sector that
   borrows all its cost from the bank and one that borrows a quarter, or a plant built
   over ten years and shops built at once — more money can buy less investment, even
   for good. So the investment property is tested on scenarios whose sectors take the
   same share from the source and build alike (``alike``: they still differ in arrivals,
   sizes, approval, land and cancellation); the committed-money property on any.
2. **A cap is packed differently.** Under a debt ceiling that is never repaid, the total
   a source can ever commit is fixed, and claims are met whole or not at all: with more
   supply the cap fills sooner, with other claims, and can be left with a larger gap that
   no waiting claim fits. Both properties are tested with ceilings repaid over 1 to 8
   years, not with caps (``caps=False``): there the room an earlier commitment frees by
   its repayments outweighs the gap (with repayment over 100 years, it does not).

**(b) A lever that does nothing changes nothing.** A supply never exhausted, a debt
ceiling never reached, a land budget never exhausted, an approval or land capacity never
full — set at the least value that is never binding, measured on a run without the
lever — and that lever raised from a date, give replications and project logs identical to
the bit to the run without it (but for the columns that report the lever itself: its
supply, the financing gap, the utilisation of the capacity). A supply never exhausted also
gives what an unconstrained source gives, and a land budget never exhausted what no land
budget gives.
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

import investsim
from helpers import write_scenario
from one_source import SOURCE, OneSource, one_source_scenario

ALPHA = 0.001
"""The chance that a test of property (a) fails somewhere although the property holds."""
PROPERTY_SEED = 20260114
SCENARIOS = 50
REPLICATIONS = 20
COMMITTED = f"financing_committed_{SOURCE}"


# -- (a) more supply from a date ------------------------------------------------------------


def _draw(number: int, *, alike: bool) -> tuple[OneSource, int]:
    """Scenario ``number`` of a property test and its simulation seed (each scenario can be
    drawn alone: ``one_source_scenario(np.random.default_rng([PROPERTY_SEED, alike,
    number]), ...)``)."""
    rng = np.random.default_rng([PROPERTY_SEED, int(alike), number])
    drawn = one_source_scenario(rng, f"property-{number:03d}", alike=alike)
    return drawn, int(rng.integers(0, 2**31))


def _cumulative(replications: pd.DataFrame, column: str) -> np.ndarray:
    """Each replication's ``column`` summed over the horizon, in replication order."""
    return replications.groupby("replication")[column].sum().sort_index().to_numpy(dtype=float)


def _check_raise(tmp_path: Path, number: int, *, alike: bool, columns: tuple[str, ...]) -> None:
    drawn, seed = _draw(number, alike=alike)
    path = write_scenario(tmp_path, drawn.data, drawn.csv)
    base = investsim.load_scenario(path)
    raised = base.with_overrides({"policies": [drawn.policy()]})
    before = investsim.simulate(base, REPLICATIONS, seed).replications
    after = investsim.simulate(raised, REPLICATIONS, seed).replications
    checks = SCENARIOS * len(columns)  # the family of the test (Bonferroni)
    quantile = float(stats.t.ppf(1 - ALPHA / checks, REPLICATIONS - 1))
    failed = []
    for column in columns:
        b, a = _cumulative(before, column), _cumulative(after, column)
        d = a - b
        se = float(d.std(ddof=1)) / np.sqrt(REPLICATIONS)
        # the one-sided upper confidence bound of the expected difference: below zero, the
        # runs show that more supply lowers it (a difference of a rounding error is none)
        high = float(d.mean()) + quantile * se
        tolerance = 1e-9 * max(1.0, float(np.abs(b).mean()))
        if high < -tolerance:
            failed.append(
                f"{column}: base {b.mean():.4f}, raised {a.mean():.4f}, difference {d.mean():+.4f} "
                f"(se {se:.4f}; upper bound {high:+.4f} at one-sided level {ALPHA / checks:.1e})"
            )
    if failed:
        # the raised scenario as a file (without its policy: the base)
        shown = {**drawn.data, "policies": [drawn.policy()]}
        if drawn.csv is not None:
            shown["projects"] = "projects.csv"
        text = yaml.safe_dump(shown, allow_unicode=True, sort_keys=False)
        pytest.fail(
            f"supply {drawn.supply:.4f} -> {drawn.raised:.4f} from {drawn.when} lowers\n"
            + "\n".join(failed)
            + f"\nseed {seed}, {REPLICATIONS} replications\n--- scenario.yaml ---\n{text}"
            + f"--- projects.csv ---\n{drawn.csv}"
        )


@pytest.mark.parametrize("number", range(SCENARIOS), ids=lambda n: f"scenario-{n:03d}")
def test_more_supply_never_lowers_the_money_committed(tmp_path: Path, number: int) -> None:
    """Sectors with any shares and ways of building: more supply from a date never lowers
    the expected money committed from the source over the horizon."""
    _check_raise(tmp_path, number, alike=False, columns=(COMMITTED,))


@pytest.mark.parametrize("number", range(SCENARIOS), ids=lambda n: f"scenario-{n:03d}")
def test_more_supply_never_lowers_cumulative_investment(tmp_path: Path, number: int) -> None:
    """Sectors alike in what the source's money buys (finding 1): more supply from a date
    never lowers expected cumulative investment, nor the money committed."""
    _check_raise(tmp_path, number, alike=True, columns=("investment", COMMITTED))


# -- the two bounds, each alone ------------------------------------------------------------


def _plants_and_shops(
    tmp_path: Path, supply: float, credit: float | None, *, slow: bool = False, years: int = 4
) -> investsim.Forecast:
    """2020-2023 (or ``years`` from 2020). Each year a plant (cost 3, all of it from the bank) reaches financing on
    day 0.01 of the year, then 8 shops on days 0.02, 0.12, ... 0.72, each asking the bank
    for 0.25: they cost 1, a quarter from the bank. Everything is built at once
    (construction 0 months: investment is the cost of the projects starting). ``slow``:
    the shops cost 0.25, all from the bank, and the plants are built over 120 months
    (linearly: 0.3 a year). The bank gives ``supply`` a year, ``credit`` from 2021 if
    given. Arrival times come from a 30-year approval at the progress that leaves the time
    wanted."""
    at = lambda t: repr(1 - t / 30)  # noqa: E731 - the progress that reaches financing at t
    shop_cost = 0.25 if slow else 1
    rows = []
    for year in range(years):
        rows.append(f"plant{year},plant,3,approval,{at(year + 0.01)}")
        rows += [f"shop{year}{j},shop,{shop_cost},approval,{at(year + 0.02 + j / 10)}" for j in range(8)]
    sector = {
        "arrivals": {"rate": 0},
        "size": {"dist": "fixed", "value": 1},
        "approval": {"dist": "fixed", "value": 360},
        "construction": {"dist": "fixed", "value": 0},
    }
    data: dict[str, Any] = {
        "name": "plants-and-shops",
        "start_year": 2020,
        "horizon_years": years,
        "sectors": {
            "plant": {
                **sector,
                "funding": {"bank": 1.0},
                "construction": {"dist": "fixed", "value": 120 if slow else 0},
            },
            "shop": {**sector, "funding": {"bank": 1.0} if slow else {"bank": 0.25, "own": 0.75}},
        },
        "financing": {"sources": {"bank": {"supply": supply}, "own": "unlimited"}},
    }
    if credit is not None:
        data["policies"] = [
            {"name": "more credit", "from": 2021, "set": {"financing.sources.bank.supply": credit}}
        ]
    path = write_scenario(tmp_path, data, rows, name=f"plants-{supply}-{credit}-{slow}-{years}.yaml")
    return investsim.simulate(investsim.load_scenario(path), 1, 1)


def _yearly(forecast: investsim.Forecast, column: str) -> list[float]:
    return forecast.replications.sort_values("year")[column].tolist()


def test_more_money_can_reach_the_claims_that_bring_less_investment_first(tmp_path: Path) -> None:
    """Finding 1. Base (2 a year): a plant's claim (3) never fits, and first fit lets each
    year's eight shops' claims (0.25 each, 2 in all) pass it: 8 shops start a year, 8 of
    investment. With 3 a year from 2021, on 1 January 2021 the waiting plant is first in
    line and takes all 3, and the shops of 2021 wait behind it; so does the plant of 2021,
    which reached financing before them, on 1 January 2022. On 1 January 2023 the shops of
    2021 are first: they start (2), and 4 of the shops of 2022 (1). Over 2020-2023 the bank
    commits 11 instead of 8 and buys 26 of investment instead of 32. With 5 a year a plant
    and the shops all start each year: 11 a year.

    Not a timing shift that the base makes up later: the base never funds a plant. Once
    the claims are served in the order they come, 3 a year pays for 3/5 of each year's
    claims (a plant, 3, and eight shops, 2), which bring 11: 6.6 of investment a year,
    against 8."""
    base = _plants_and_shops(tmp_path, 2, None)
    assert _yearly(base, "starts") == [8, 8, 8, 8]
    assert _yearly(base, "investment") == [8, 8, 8, 8]
    assert _yearly(base, COMMITTED) == [2, 2, 2, 2]
    credit = _plants_and_shops(tmp_path, 2, 3)
    assert _yearly(credit, "starts") == [8, 1, 1, 12]
    assert _yearly(credit, "investment") == [8, 3, 3, 12]  # 26 in all, against 32
    assert _yearly(credit, COMMITTED) == [2, 3, 3, 3]  # 11 in all, against 8
    assert _yearly(credit, "in_financing_at_year_end") == [1, 9, 17, 14]
    more = _plants_and_shops(tmp_path, 2, 5)
    assert _yearly(more, "investment") == [8, 11, 11, 11]
    long = _yearly(_plants_and_shops(tmp_path, 2, 3, years=20), "investment")
    assert sum(long[10:]) == pytest.approx(66, abs=1e-9)  # 2030-2039: 6.6 a year


def test_more_money_can_reach_the_projects_that_spend_it_later_first(tmp_path: Path) -> None:
    """Finding 1 with every project borrowing all its cost: the same claims and the same
    starts, but the plants spend 0.3 a year. Base: 8 shops a year, 2 of investment.
    Credit: 2020 as the base (2); a plant spends 0.3 in 2021, two 0.6 in 2022; in 2023 the
    two plants 0.6 and the twelve shops 3. 6.5 of investment over 2020-2023 instead of 8,
    for 11 of bank money instead of 8."""
    base = _plants_and_shops(tmp_path, 2, None, slow=True)
    assert _yearly(base, "investment") == [2, 2, 2, 2]
    credit = _plants_and_shops(tmp_path, 2, 3, slow=True)
    assert _yearly(credit, "starts") == [8, 1, 1, 12]
    np.testing.assert_allclose(_yearly(credit, "investment"), [2, 0.3, 0.6, 3.6], rtol=1e-12)
    assert _yearly(credit, COMMITTED) == [2, 3, 3, 3]


def _cap(tmp_path: Path, credit: float | None) -> investsim.Forecast:
    """2020-2022, one sector borrowing all its cost from the bank, built at once; the bank
    gives 2 a year (``credit`` from 2021 if given) under a debt ceiling of 3 that is never
    repaid. Three projects reach financing early in 2021, in this order: X (cost 2.5) on
    day 0.01, Y (1.5) on day 0.02, Z (1.5) on day 0.03."""
    rows = [
        f"{name},plant,{cost},approval,{1 - (1 + day) / 10!r}"
        for name, cost, day in (("X", 2.5, 0.01), ("Y", 1.5, 0.02), ("Z", 1.5, 0.03))
    ]
    data: dict[str, Any] = {
        "name": "cap",
        "start_year": 2020,
        "horizon_years": 3,
        "sectors": {
            "plant": {
                "arrivals": {"rate": 0},
                "size": {"dist": "fixed", "value": 1},
                "approval": {"dist": "fixed", "value": 120},
                "construction": {"dist": "fixed", "value": 0},
                "funding": {"bank": 1.0},
            }
        },
        "financing": {"sources": {"bank": {"supply": 2, "debt_ceiling": 3}}},
    }
    if credit is not None:
        data["policies"] = [
            {"name": "more credit", "from": 2021, "set": {"financing.sources.bank.supply": credit}}
        ]
    path = write_scenario(tmp_path, data, rows, name=f"cap-{credit}.yaml")
    return investsim.simulate(investsim.load_scenario(path), 1, 1)


def test_a_cap_can_be_left_with_a_larger_gap_when_money_comes_sooner(tmp_path: Path) -> None:
    """Finding 2. Base (2 a year): X (2.5) does not fit, Y (1.5) does; Z waits for 2022 and
    then fits the room left under the cap exactly: 1.5 + 1.5 = 3 committed. With 3 a year
    from 2021, X fits first and leaves 0.5 of room, which neither Y nor Z will ever fit: 2.5
    committed, 2.5 invested instead of 3."""
    base = _cap(tmp_path, None)
    assert _yearly(base, COMMITTED) == [0, 1.5, 1.5]
    assert _yearly(base, "investment") == [0, 1.5, 1.5]
    credit = _cap(tmp_path, 3)
    assert _yearly(credit, COMMITTED) == [0, 2.5, 0]
    assert _yearly(credit, "investment") == [0, 2.5, 0]
    assert _yearly(credit, "in_financing_at_year_end") == [0, 2, 2]


# -- (b) a lever that does nothing ----------------------------------------------------------

IDLE_SEED = 20260115
IDLE_SCENARIOS = 6
IDLE_REPLICATIONS = 4
NEVER = 1e9
"""A supply or budget that never binds (the largest amount of money a scenario accepts)."""
TIGHT = 1 + 1e-6
"""How far above the most ever needed the lever is set: just out of reach."""


def _run(scenario: investsim.Scenario, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Replications and project log."""
    forecast = investsim.simulate(scenario, IDLE_REPLICATIONS, seed, project_log=True)
    assert forecast.projects is not None
    return forecast.replications, forecast.projects


def _identical(
    a: tuple[pd.DataFrame, pd.DataFrame], b: tuple[pd.DataFrame, pd.DataFrame], lever: set[str], what: str
) -> None:
    """Replications and project logs the same to the bit, but for the columns in ``lever``
    (which report the lever itself, and may be in one run only)."""
    extra = set(a[0].columns) ^ set(b[0].columns)
    assert extra <= lever, f"{what}: columns in one run only: {sorted(extra - lever)}"
    columns = [c for c in a[0].columns if c not in lever and c not in extra]
    pd.testing.assert_frame_equal(a[0][columns], b[0][columns], check_exact=True, obj=f"{what}: replications")
    pd.testing.assert_frame_equal(a[1], b[1], check_exact=True, obj=f"{what}: project log")


def _most_at_once(projects: pd.DataFrame, start: str, end: str) -> int:
    """The most places ever needed at once in a replication by the stays between ``start``
    and ``end`` of the project log.

    At one moment, stays that end give their place back before stays that start take one
    (a replaced warm-up project leaves on the first day of start_year, time 0 of the log,
    before the register project replacing it enters), and a stay of no length needs one
    place more than the stays then under way, given back at once; a project still there
    when the run ends stays."""
    most = 0
    for _, log in projects.groupby("replication"):
        begun = log[log[start].notna()]
        ended = begun[end].where(begun[end].notna() | ~begun["replaced"], 0.0)
        moments = []  # (time, 0: an end, 1: a start, 2: a stay of no length)
        for s, e in zip(begun[start], ended, strict=True):
            moments += [(s, 2)] if s == e else [(s, 1)] + ([(e, 0)] if e == e else [])
        now = 0
        for _, kind in sorted(moments):
            now += {0: -1, 1: 1, 2: 0}[kind]
            most = max(most, now + (kind == 2))
    return most


def _idle_case(tmp_path: Path, number: int, lever: str) -> None:
    rng = np.random.default_rng([IDLE_SEED, number])
    drawn = one_source_scenario(rng, f"idle-{number:03d}")
    seed = int(rng.integers(0, 2**31))
    data = copy.deepcopy(drawn.data)
    if lever in ("supply", "ceiling", "land_budget"):
        data["warmup_years"] = 0  # so that the outputs show all the money ever asked
    if lever in ("supply", "ceiling"):
        # a claim must fit before its project may drop out (taking nothing), so with
        # cancellations in financing the money asked overstates the least level that
        # never binds: without them, it is that level
        for sector in data["sectors"].values():
            sector["cancel"] = {**sector.get("cancel", {}), "financing": 0.0}
    if lever in ("land_budget", "land_capacity"):
        data["resources"] = {"land_cost_share": float(rng.uniform(0.05, 0.3))}
        for sector in data["sectors"].values():
            sector.setdefault("land", {"dist": "fixed", "value": 3.0})
    drawn = dataclasses.replace(drawn, data=data)
    terms = {k: v for k, v in drawn.terms.items() if k in ("supply", "growth")}

    def load(data: dict[str, Any], name: str) -> investsim.Scenario:
        return investsim.load_scenario(write_scenario(tmp_path, data, drawn.csv, name=f"{name}.yaml"))

    if lever == "supply":
        free = _run(load(drawn.with_terms({**terms, "supply": NEVER}), "free"), seed)
        demand = free[0].pivot(index="replication", columns="year", values=f"financing_demand_{SOURCE}")
        growth = (1 + terms.get("growth", 0.0)) ** np.arange(demand.shape[1])
        value = float((demand.to_numpy() / growth).max()) * TIGHT
        path, shown = f"financing.sources.{SOURCE}.supply", {f"financing_supply_{SOURCE}", "financing_gap"}
        # the binding measures of the source are there only when it is constrained
        binding = {f"binding_source_{SOURCE}", f"waiting_source_{SOURCE}"}
        tight = load(drawn.with_terms({**terms, "supply": value}), "tight")
        # and a supply never exhausted is no constraint at all
        financing = {c for c in free[0].columns if c.startswith("financing_")} | binding
        _identical(_run(load(drawn.with_terms(None), "none"), seed), free, financing, "unconstrained")
    elif lever == "ceiling":
        # the supply never binds either, so that every claim is met as it is made; and the
        # ceiling is never repaid, so that just above all the money ever asked it is just
        # never in the way of a claim
        terms = {"supply": NEVER}
        free = _run(load(drawn.with_terms(terms), "free"), seed)
        value = float(free[0].groupby("replication")[f"financing_demand_{SOURCE}"].sum().max()) * TIGHT
        path, shown = f"financing.sources.{SOURCE}.debt_ceiling", set()
        tight = load(drawn.with_terms({**terms, "debt_ceiling": value}), "tight")
    elif lever == "land_budget":
        free = _run(
            load({**drawn.data, "resources": {**data["resources"], "land_budget": NEVER}}, "free"), seed
        )
        value = float(free[0]["land_budget_demand"].max()) * TIGHT
        path, shown = "resources.land_budget", {"land_budget_supply", "land_budget_demand"}
        shown |= {"binding_land_budget", "waiting_land_budget"}  # with a budget only
        tight = load({**drawn.data, "resources": {**data["resources"], "land_budget": value}}, "tight")
        _identical(_run(load(drawn.data, "none"), seed), free, shown, "no land budget")
    else:
        stage = "approval" if lever == "approval_capacity" else "land"
        free = _run(load(drawn.data, "free"), seed)
        value = max(1, _most_at_once(free[1], f"{stage}_start", f"{stage}_end"))
        path, shown = f"resources.{lever}", {f"{stage}_utilisation", f"binding_{lever}", f"waiting_{lever}"}
        tight = load({**drawn.data, "resources": {**data.get("resources", {}), lever: value}}, "tight")
    _identical(free, _run(tight, seed), shown, f"{lever} {value!r}, never binding")
    more = value + int(rng.integers(1, 5)) if "capacity" in lever else value * float(rng.uniform(1.1, 3))
    raised = tight.with_overrides({"policies": [drawn.policy(path, more)]})
    _identical(free, _run(raised, seed), shown, f"{lever} {value!r} raised to {more!r} from {drawn.when}")


@pytest.mark.parametrize("lever", ["supply", "ceiling", "land_budget", "approval_capacity", "land_capacity"])
@pytest.mark.parametrize("number", range(IDLE_SCENARIOS), ids=lambda n: f"scenario-{n:03d}")
def test_a_lever_that_does_nothing_changes_nothing(tmp_path: Path, number: int, lever: str) -> None:
    """A lever set just above the most it is ever asked for (measured on a run without
    it), then raised from a date, leaves every replication and project as they were."""
    _idle_case(tmp_path, number, lever)
