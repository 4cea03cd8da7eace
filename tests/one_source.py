"""Random scenarios with one constrained funding source and nothing else that binds, and a
timed policy that raises that source's supply from a date: the scenarios of the property
tests (tests/test_properties.py).

Everything else is left unconstrained: no approval or land capacity, no land budget, no
service secretaries (a secretary is handed back when its project starts construction, which
would tie the money desk to other projects' approval times), no guarantee pool, and every
other source a sector draws on is unconstrained. Distributions are drawn with the soak
test's helpers (tests/test_soak.py), so every family, and zero durations, occur.

Two switches, for the two findings of tests/test_properties.py that bound the properties:

- ``alike``: the sectors take the same share of their cost from the constrained source and
  build alike (construction months, spending profile, overrun), so that a unit of its money
  brings the same investment, as soon, whichever project gets it; they still differ in
  arrivals, sizes, approval, land and cancellation;
- ``caps``: a debt ceiling may come without ``repayment_years`` (a cumulative cap).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from test_soak import cancel, duration, positive, spending

SOURCE = "bank"
"""The one constrained source."""
FREE = ("own", "government")
"""Sources the sectors may also draw on, all unconstrained."""
SECTOR_NAMES = ("industry", "infrastructure", "services")


def financing_block(
    constrained: dict[str, dict[str, Any]], unconstrained: list[str], **desk: Any
) -> dict[str, Any]:
    """The scenario's ``financing``: the constrained sources with their terms, the
    unconstrained ones, and the desk's rules (``max_wait``, ``priority``).

    Every source a sector names is declared: the unconstrained ones as ``NAME: unlimited``."""
    sources = {**constrained, **dict.fromkeys(unconstrained, "unlimited")}
    return {"sources": sources, **desk}


@dataclass(frozen=True)
class OneSource:
    """A drawn scenario and the raise of its source's supply.

    ``data`` is the scenario without the raise (add :meth:`policy`), ``csv`` its projects
    register or None; ``terms`` the source's terms, ``desk`` the desk's rules and ``free``
    the unconstrained sources named by the sectors."""

    data: dict[str, Any]
    csv: str | None
    terms: dict[str, Any]
    desk: dict[str, Any]
    free: list[str]
    raised: float  # the supply from ``when`` on
    when: int | str  # a year, or "YYYY-MM"

    @property
    def supply(self) -> float:
        """The source's supply in the file."""
        return float(self.terms["supply"])

    def policy(self, path: str = f"financing.sources.{SOURCE}.supply", value: Any = None) -> dict[str, Any]:
        """A timed policy from ``when`` setting ``path`` to ``value`` (by default: the
        supply raised)."""
        return {
            "name": "the lever",
            "from": self.when,
            "set": {path: self.raised if value is None else value},
        }

    def with_terms(self, terms: dict[str, Any] | None) -> dict[str, Any]:
        """``data`` with other terms for the source, or with the source unconstrained (None)."""
        constrained = {} if terms is None else {SOURCE: terms}
        free = self.free if terms is not None else [SOURCE, *self.free]
        return {**self.data, "financing": financing_block(constrained, free, **self.desk)}


def _share(rng: np.random.Generator) -> int:
    """A share of the constrained source, in percent: all of the cost sometimes."""
    return 100 if rng.random() < 0.15 else int(rng.integers(1, 100))


def _funding(rng: np.random.Generator, share: int) -> dict[str, float]:
    """``share`` percent from the constrained source, the rest split in whole percentages
    over some of the free ones (a free share can be 0)."""
    if share == 100:
        return {SOURCE: 1.0}
    free = [str(x) for x in rng.choice(FREE, size=rng.integers(1, len(FREE) + 1), replace=False)]
    cuts = np.sort(rng.integers(0, 101 - share, size=len(free) - 1))
    percent = np.diff(np.concatenate([[0], cuts, [100 - share]]))
    return {SOURCE: share / 100, **{n: int(p) / 100 for n, p in zip(free, percent, strict=True)}}


def _build(rng: np.random.Generator) -> dict[str, Any]:
    """How a sector's projects are built: construction months, spending profile, overrun."""
    out = {"construction": duration(rng, float(rng.uniform(1, 36))), "spending": spending(rng)}
    if rng.random() < 0.3:
        out["overrun"] = positive(rng, float(rng.uniform(0.9, 1.3)), spread=0.3)
    return out


def one_source_scenario(
    rng: np.random.Generator, name: str, *, alike: bool = False, caps: bool = False
) -> OneSource:
    """A random scenario with one constrained source (``SOURCE``) and the raise of its supply
    from a random date of the horizon, on the first day of a year or of a month.

    The supply is drawn around the expected yearly demand for the source (0.3 to 1.5 times
    it), so that it binds in some scenarios and years and not in others; the raise adds 5 %
    to 200 % to it. Sometimes: a growth of the supply, a debt ceiling (repaid over 1 to 8
    years; with ``caps``, sometimes never), ``max_wait``, key projects served first,
    projects in the register (waiting for money on the first day, or in other stages),
    land costs (paid outside the desk), overruns and cancellations."""
    start = 2020
    horizon = int(rng.integers(3, 9))
    warmup = int(rng.integers(0, 4))
    names = list(SECTOR_NAMES[: int(rng.integers(1, 4))])
    sectors: dict[str, Any] = {}
    demand = 0.0  # expected money asked of the source a year, at the start
    land_share = float(rng.uniform(0, 0.3)) if rng.random() < 0.3 else 0.0
    share = _share(rng)  # every sector's, when they are alike
    build = _build(rng)
    for s in names:
        rate = float(rng.uniform(3, 20) / len(names))
        mean_size = float(rng.uniform(0.3, 5))
        # drawn either way, so that alike or not, the other draws are the same
        own_share, own_build = _share(rng), _build(rng)
        shares = _funding(rng, share if alike else own_share)
        sector: dict[str, Any] = {
            "arrivals": {"rate": rate, "growth": float(rng.uniform(-0.1, 0.15))},
            "size": positive(rng, mean_size),
            "funding": shares,
            **(build if alike else own_build),
        }
        if rng.random() < 0.8:
            sector["approval"] = duration(rng, float(rng.uniform(0.5, 12)))
        if rng.random() < 0.6:
            sector["land"] = duration(rng, float(rng.uniform(0.2, 8)))
        if rng.random() < 0.6:
            sector["cancel"] = cancel(rng)
        sectors[s] = sector
        demand += rate * mean_size * (1 - land_share) * shares[SOURCE]
    supply = demand * float(rng.uniform(0.3, 1.5))
    terms: dict[str, Any] = {"supply": supply}
    if rng.random() < 0.4:
        terms["growth"] = float(rng.uniform(-0.1, 0.1))
    if rng.random() < 0.2:
        terms["debt_ceiling"] = supply * float(rng.uniform(1, 5))
        if rng.random() < 0.7 or not caps:
            terms["repayment_years"] = float(rng.uniform(1, 8))
    desk: dict[str, Any] = {}
    if rng.random() < 0.4:
        desk["max_wait"] = float(rng.uniform(1, 36))
    if rng.random() < 0.4:
        desk["priority"] = "key_first"
    free = [f for f in FREE if any(f in sec["funding"] for sec in sectors.values())]
    data: dict[str, Any] = {
        "name": name,
        "start_year": start,
        "horizon_years": horizon,
        "warmup_years": warmup,
        "sectors": sectors,
        "financing": financing_block({SOURCE: terms}, free, **desk),
    }
    if land_share:
        data["resources"] = {"land_cost_share": land_share}
    if rng.random() < 0.6:
        data["key_project_threshold"] = float(rng.uniform(0.5, 5))
    csv = None
    if rng.random() < 0.5:
        rows = ["id,sector,total_investment,stage,progress"]
        for i in range(int(rng.integers(1, 30))):
            stage = str(rng.choice(["financing", "financing", "approval", "land", "construction"]))
            progress = 0.0 if stage == "financing" else float(rng.random())
            rows.append(f"P{i},{rng.choice(names)},{float(rng.uniform(0.1, 8))!r},{stage},{progress!r}")
        csv = "\n".join(rows) + "\n"
    year = int(rng.integers(start, start + horizon))
    when: int | str = year if rng.random() < 0.5 else f"{year}-{int(rng.integers(1, 13)):02d}"
    raised = supply * float(1 + rng.uniform(0.05, 2))
    return OneSource(data, csv, terms, desk, free, raised, when)
