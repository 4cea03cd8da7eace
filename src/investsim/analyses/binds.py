"""What binds: which resource holds investment back in a year of a run's replications.

From the bottleneck measures every replication records (``binding_{resource}``, the share
of the year a resource bound), or, for folders written before them, from proxies (demand
over supply, capacity in use while projects wait). Goal seeking and calibration use it to
say what stops a target from being reached ("out of reach ... what binds instead is").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Binding:
    """What binds in a year: a resource key (``source_bank``, ``land_budget``,
    ``approval_capacity``, ``land_capacity``, ``secretaries``; None: nothing), how much
    (a share, 0-1), and the sentence."""

    resource: str | None
    share: float
    text: str


BINDING_PREFIX = "binding_"
"""Columns ``binding_{resource}``: the share of the year a resource was binding."""
_MIN_SHARE = 0.05
"""Below this share of the year (or proxy), a resource is not said to bind."""


def resource_name(resource: str) -> str:
    """A binding resource in words: ``source_bank`` -> ``bank money``."""
    if resource.startswith("source_"):
        return f"{resource[len('source_') :]} money"
    return {
        "land_budget": "the land budget",
        "approval_capacity": "approval capacity",
        "land_capacity": "land-acquisition capacity",
        "secretaries": "service secretaries",
    }.get(resource, resource.replace("_", " "))


def lever_resource(path: str) -> str | None:
    """The resource a lever (a scenario key path) adds to, in :class:`Binding`'s keys."""
    found = re.search(r"(?:^|\.)financing\.sources\.([^.]+)\.", path)
    if found:
        return f"source_{found[1]}"
    if re.search(r"(?:^|\.)financing\.guarantee_pool(?:\.|$)", path):
        return "source_bank"
    for key, resource in (
        ("land_budget", "land_budget"),
        ("approval_capacity", "approval_capacity"),
        ("land_capacity", "land_capacity"),
        ("service_secretaries", "secretaries"),
    ):
        if re.search(rf"(?:^|\.)resources\.{key}$", path):
            return resource
    return None


def _means(rows: pd.DataFrame, columns: Sequence[str]) -> dict[str, float]:
    return {c: float(rows[c].mean()) for c in columns if c in rows.columns}


def binding(replications: pd.DataFrame, year: int) -> Binding:
    """What binds in ``year`` of ``replications`` (the mean over replications).

    With the binding-measure columns ``binding_{resource}`` (the share of the year a
    resource was binding), the one with the highest mean share. Without them, proxies
    from the older columns, each a share where about 1 means binding:

    - a funding source: the money its claims asked that year over its supply
      (``financing_demand_{s} / financing_supply_{s}``), or the share of its supply
      committed (``financing_committed_{s}``) when projects still wait for money at the
      year end;
    - the land budget: the land money asked over its supply;
    - approval and land-acquisition capacity: the share of places in use, when projects
      waited for the stage that year (``{stage}_wait_months`` > 0).

    The highest proxy of at least 0.95 binds; below that, nothing does.
    """
    rows = replications[replications["year"] == year]
    if rows.empty:
        raise ValueError(f"year(={year}) is not in the replications.")
    shares = _means(rows, [c for c in rows.columns if c.startswith(BINDING_PREFIX)])
    if shares:
        column, share = max(shares.items(), key=lambda kv: kv[1])
        if share < _MIN_SHARE:
            return Binding(None, share, f"nothing binds in {year} (no resource binds for 5% of the year)")
        resource = column[len(BINDING_PREFIX) :]
        return Binding(resource, share, f"{resource_name(resource)} (binding {share:.0%} of {year})")
    return _binding_from_proxies(rows, year)


def _binding_from_proxies(rows: pd.DataFrame, year: int) -> Binding:
    """:func:`binding` from demand, supply, utilisation and waits (see there)."""
    found: list[tuple[float, str, str]] = []
    waiting = float(rows["in_financing_at_year_end"].mean()) if "in_financing_at_year_end" in rows else 0.0
    for column in rows.columns:
        if not column.startswith("financing_supply_"):
            continue
        source = column[len("financing_supply_") :]
        m = _means(rows, [column, f"financing_demand_{source}", f"financing_committed_{source}"])
        supply, demand = m[column], m.get(f"financing_demand_{source}", 0.0)
        committed = m.get(f"financing_committed_{source}", 0.0)
        if supply <= 0:
            proxy = 1.0 if demand > 0 else 0.0
        else:
            proxy = max(demand / supply, committed / supply if waiting > 0 else 0.0)
        text = f"{source} money (asked {demand:,.1f}, supply {supply:,.1f}, committed {committed:,.1f} in {year})"
        found.append((proxy, f"source_{source}", text))
    if {"land_budget_supply", "land_budget_demand"} <= set(rows.columns):
        m = _means(rows, ["land_budget_supply", "land_budget_demand"])
        supply, demand = m["land_budget_supply"], m["land_budget_demand"]
        proxy = demand / supply if supply > 0 else (1.0 if demand > 0 else 0.0)
        found.append(
            (proxy, "land_budget", f"the land budget (asked {demand:,.1f}, supply {supply:,.1f} in {year})")
        )
    for stage, column, resource in (
        ("approval", "approval_utilisation", "approval_capacity"),
        ("land", "land_utilisation", "land_capacity"),
    ):
        if column in rows.columns:
            used = float(rows[column].mean())
            wait = float(rows[f"{stage}_wait_months"].mean()) if f"{stage}_wait_months" in rows else 0.0
            proxy = used if wait > 0 else 0.0
            text = (
                f"{resource_name(resource)} ({used:.0%} in use in {year}; projects waited {wait:.1f} months)"
            )
            found.append((proxy, resource, text))
    proxy, resource, text = max(found, default=(0.0, "", ""))
    if proxy < 0.95:
        return Binding(None, proxy, f"nothing binds in {year}: no money is short and no capacity is full")
    return Binding(resource, min(proxy, 1.0), text)


def what_binds(replications: pd.DataFrame, year: int) -> str:
    """What binds in ``year`` of ``replications``, in words (see :func:`binding`):
    e.g. ``government money (asked 10.0, supply 3.0, committed 3.0 in 2020)``."""
    return binding(replications, year).text


def binding_over(replications: pd.DataFrame, years: Sequence[int]) -> tuple[Binding, int]:
    """What binds most often over ``years`` (ties: the later year), and that year."""
    found = [(binding(replications, y), y) for y in years]
    counts: dict[str | None, int] = {}
    for b, _ in found:
        counts[b.resource] = counts.get(b.resource, 0) + 1
    top = max(counts.values())
    return next((b, y) for b, y in reversed(found) if counts[b.resource] == top)
