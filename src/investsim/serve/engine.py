"""What the what-if page computes, without the web framework: the controls a scenario
offers, the scenario they make (validated as files are), the answers as replications
arrive, and the scenario file that keeps what was changed.

A :class:`WhatIf` is one server's state (the base scenario, the worker processes, the
base's replications, shared by every page); a :class:`Question` is one set of control
values: its scenario, and :meth:`WhatIf.answers` yields its answers while replications
are added.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from investsim import columns
from investsim.analyses.compare import Run, compare_runs
from investsim.analyses.explain import explain
from investsim.analyses.timing import detect_timing_shift
from investsim.errors import InputError, ScenarioError
from investsim.model.collect import ReplicationResult
from investsim.results.forecast import annual_summary, replications_frame
from investsim.results.monthly import monthly_frame, target_probabilities
from investsim.results.stats import paired_difference
from investsim.scenario.config import POLICY_FIXED_KEYS, GuaranteePool, Scenario, Source
from investsim.scenario.loading import load_scenario
from investsim.scenario.overrides import is_policy_path, parse_override, unshare
from investsim.serve.workers import Store, Workers

POOL = "financing.guarantee_pool"
NEW_POOL_POLICY = "guarantee pool (what-if)"
PAGE_POLICY = "what-if page"
"""The timed policy that holds the page's values from 1 January of ``start_year``: the
warm-up, which builds the pipeline of that day, is not rewritten (as ``sweep`` and
``seek``, ``analyses/params.py``; docs/model.md 5.9)."""
OTHER = "other"
"""The control of free ``dotted.path=value`` lines."""
FIRST_SINGLE = 2
"""Replications per worker sent one at a time first, so that the first answer comes soon."""
CHUNK = 2
"""Replications per task after those: small, so that moving a control waits little."""
PUBLISH_EVERY = 0.25
"""Seconds between two answers while replications arrive, at least (the last one always
comes); at least three times the time the last summary took, too, so that summarising
takes little of the processor from the replications."""


@dataclass(frozen=True)
class Control:
    """One control of the page: the scenario key it sets and its value in the base."""

    key: str
    """A dotted path (``financing.sources.bank.supply``), or a ``pool.*`` field, or ``other``."""
    kind: str
    """``number``, ``whole`` (a whole number), ``choice``, ``choices`` (several) or ``lines``."""
    group: str
    label: str
    """A wording key (``serve/wording.toml``) or a name shown as it is (a source, a policy)."""
    base: Any
    options: tuple[str, ...] = ()
    optional: bool = False
    """Empty means none (no debt ceiling, no pool, no limit on waiting)."""


@dataclass(frozen=True)
class Question:
    """One set of control values: the overrides they make and the scenario."""

    values: Mapping[str, Any]
    overrides: Mapping[str, Any]
    scenario: Scenario

    @property
    def changed(self) -> bool:
        """Whether the scenario differs from the base."""
        return bool(self.overrides)


class ControlError(InputError):
    """A control's value the scenario refuses: the message and the control it is about."""

    def __init__(self, message: str, control: str) -> None:
        super().__init__(message)
        self.control = control


@dataclass
class WhatIf:
    """One server's state: the scenario as started, its controls, the worker processes
    and the base's replications (shared by every page)."""

    path: Path
    base: Scenario
    workers: Workers
    max_replications: int = 2000
    file_data: dict[str, Any] = field(default_factory=dict)
    controls: list[Control] = field(default_factory=list)
    _bases: dict[int, Store] = field(default_factory=dict)

    @classmethod
    def start(
        cls, path: Path, overrides: Sequence[str], workers: Workers, max_replications: int = 2000
    ) -> WhatIf:
        """The page's state over the scenario file ``path`` with ``--set`` ``overrides``."""
        base = load_scenario(path, overrides)
        if base.config.replications > max_replications:
            raise InputError(
                f"the scenario runs {base.config.replications} replications, more than the page runs "
                f"at once (--max-replications {max_replications}): lower it with --set replications=N"
            )
        # the file as written: what a saved scenario adds to by `extends`
        file_data = unshare(load_scenario(path).resolved)
        return cls(
            path=path.resolve(),
            base=base,
            workers=workers,
            max_replications=max_replications,
            file_data=file_data,
            controls=controls_of(base),
        )

    # -- questions ------------------------------------------------------------------------

    def question(self, values: Mapping[str, Any]) -> Question:
        """The scenario of the control ``values`` (by :attr:`Control.key`; missing ones keep
        the base's). Raises :class:`ControlError` naming the control a bad value is at."""
        overrides = self._overrides(values)
        for key, value in overrides.items():
            self._check_safe(key, value)
        whole, later = _when(overrides)
        try:
            scenario = self.base.with_overrides(whole) if whole else self.base
            if later:
                scenario = scenario.with_overrides({"policies": self._with_page_policy(scenario, later)})
        except ScenarioError as e:
            raise ControlError(_message(e), self._control_of(e.path or "", overrides)) from None
        n = scenario.config.replications
        if n > self.max_replications:
            raise ControlError(
                f"replications(={n}) is more than this page runs at once "
                f"(investsim serve --max-replications {self.max_replications})",
                "replications" if "replications" in overrides else OTHER,
            )
        return Question(dict(values), overrides, scenario)

    def _with_page_policy(self, scenario: Scenario, later: Mapping[str, Any]) -> list[Any]:
        """``scenario``'s policies and one more, :data:`PAGE_POLICY`, setting ``later``
        from 1 January of ``start_year`` (a later policy of the scenario that sets the same
        key still takes over at its date)."""
        policies = list(unshare(scenario.resolved.get("policies") or []))
        taken = {p.get("name") for p in policies if isinstance(p, Mapping)}
        name = PAGE_POLICY
        while name in taken:  # a scenario saved from the page has one already
            name += "'"
        return [*policies, {"name": name, "from": scenario.config.start_year, "set": dict(later)}]

    def _overrides(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """What the control ``values`` change, by key path (the pool as the key or policy
        it is set in); :func:`_when` says which hold from ``start_year``."""
        out: dict[str, Any] = {}
        by_key = {c.key: c for c in self.controls}
        for key, value in values.items():
            control = by_key.get(key)
            if control is None or key.startswith("pool.") or key == OTHER:
                continue
            value = _typed(control, value)
            if value != control.base:
                out[key] = value
        out.update(self._pool_overrides(values))
        for line in str(values.get(OTHER) or "").splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            try:
                path, value = parse_override(line.strip())
            except ScenarioError as e:
                raise ControlError(e.message, OTHER) from None
            out[path] = value
        return out

    def _pool_overrides(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The guarantee pool's controls as the key (or policy) they change."""
        by_key = {c.key: c for c in self.controls}
        fields = {
            k: _typed(by_key[k], values.get(k, by_key[k].base)) for k in by_key if k.startswith("pool.")
        }
        if all(fields[k] == by_key[k].base for k in fields):
            return {}
        where, _ = pool_home(self.base)
        capital = fields["pool.capital"]
        pool = (
            None
            if capital is None
            else {
                "capital": capital,
                "leverage": fields["pool.leverage"],
                "sectors": list(fields["pool.sectors"]),
            }
        )
        start = fields["pool.from"]
        if where.startswith("policies."):
            policy = next(p for p in self.base.config.policies if f"policies.{p.name}.set.{POOL}" == where)
            name = policy.name
            out: dict[str, Any] = {f"policies.{name}.set.{POOL}": pool}
            if start != by_key["pool.from"].base:
                out[f"policies.{name}.from"] = start if start is not None else self.base.config.start_year
            return out
        if start is None or int(start) == self.base.config.start_year or pool is None:
            return {POOL: pool}
        # a pool from a later year is a policy of its own, added to the scenario's
        policies = list(unshare(self.base.resolved.get("policies") or []))
        policies.append({"name": NEW_POOL_POLICY, "from": int(start), "set": {POOL: pool}})
        return {"policies": policies}

    def _check_safe(self, key: str, value: Any) -> None:
        """The page reads no file outside the scenario's folder, and changes no file names
        but the projects register's (inside that folder)."""
        last = key.rsplit(".", 1)[-1]
        if last == "extends" or key.startswith("extends"):
            raise ControlError("extends cannot be changed on the page: start it on another file", OTHER)
        if last == "projects" or key == "projects":
            if value is None:
                return
            folder = self.path.parent
            target = (folder / str(value)).resolve()
            if not target.is_relative_to(folder):
                raise ControlError(
                    f"projects={value!r}: the page reads files only inside the scenario's folder {folder}",
                    OTHER,
                )

    def _control_of(self, path: str, overrides: Mapping[str, Any]) -> str:
        """The control an error's key path is about (the free lines if none is)."""
        path = re.sub(r"^policies\[\d+\] '([^']*)': ", r"policies.\1.set.", path)
        path = re.sub(rf"^policies\.{re.escape(PAGE_POLICY)}'*\.set\.", "", path)
        best = ""
        for c in self.controls:
            key = c.key
            if key.startswith("pool."):
                key = pool_home(self.base)[0]
            if (path == key or path.startswith(key + ".")) and len(key) > len(best):
                best = c.key
        if best.startswith("pool.") or POOL in path or NEW_POOL_POLICY in path:
            return "pool.capital"
        if best and best in overrides:
            return best
        if best and not any(k.startswith(("policies", OTHER)) for k in overrides if k != best):
            return best
        return best or OTHER

    # -- answers --------------------------------------------------------------------------

    def warm(self) -> None:
        """Make the base's first replication and summarise it once (the first summary
        imports what the statistics need, a second or so), before any page asks."""
        store = self.base_store(self.base.config.seed)
        for f in store.ensure(range(1)):
            f.result()
        summarise(self.base, store.results(1), store.results(1), 1)

    def base_store(self, seed: int) -> Store:
        """The base scenario's replications with ``seed`` (shared by every page)."""
        if seed not in self._bases:
            self._bases[seed] = Store(self.workers, self.base, seed)
        return self._bases[seed]

    async def answers(self, question: Question) -> AsyncIterator[dict[str, Any]]:
        """The answers to ``question`` as replications arrive: the first soon, then about
        every :data:`PUBLISH_EVERY` seconds, the last at the scenario's replication count.

        Cancelling the iteration drops the replications of this question not started.
        """
        c = question.scenario.config
        n, seed = c.replications, c.seed
        base = self.base_store(seed)
        mine = Store(self.workers, question.scenario, seed) if question.changed else None
        stores = [s for s in (mine, base) if s is not None]
        window = 2 * self.workers.jobs
        waiting: dict[int, asyncio.Future[Any]] = {}
        handed, shown, last, pause = 0, 0, 0.0, PUBLISH_EVERY
        try:
            while shown < n:
                while handed < n and len(waiting) < window * len(stores):
                    size = 1 if handed < FIRST_SINGLE * self.workers.jobs else CHUNK
                    reps = range(handed, min(n, handed + size))
                    handed = reps.stop
                    for store in stores:
                        for f in store.ensure(reps):
                            if not f.done() and id(f) not in waiting:
                                waiting[id(f)] = asyncio.wrap_future(f)
                if waiting:
                    done, _ = await asyncio.wait(list(waiting.values()), return_when=asyncio.FIRST_COMPLETED)
                    for key in [k for k, w in waiting.items() if w in done]:
                        error = waiting.pop(key).exception()
                        if error is not None:
                            raise error
                k = min(s.made(n) for s in stores)
                now = time.monotonic()
                if k > shown and (k == n or now - last >= pause or shown == 0):
                    shown = k
                    variant = (mine or base).results(k)
                    answer = await asyncio.to_thread(
                        summarise, question.scenario, variant, base.results(k), n
                    )
                    last = time.monotonic()
                    pause = max(PUBLISH_EVERY, 3 * (last - now))
                    yield answer
        finally:
            if mine is not None:
                mine.cancel()

    # -- keeping --------------------------------------------------------------------------

    def scenario_text(self, question: Question, name: str, folder: Path) -> str:
        """A scenario file, to be written in ``folder``, that ``extends`` the scenario the
        page started on and holds only what differs from it: the page's changes and the
        ``--set`` values it was started with."""
        changed = _difference(self.file_data, unshare(question.scenario.resolved))
        changed.pop("extends", None)
        changed.pop("name", None)
        changed.pop("description", None)
        parent = Path(_relative(self.path, folder))
        head = {
            "name": name,
            "description": f"{self.base.name} with the changes made on the what-if page",
            "extends": parent.as_posix(),
        }
        body = yaml.safe_dump({**head, **changed}, allow_unicode=True, sort_keys=False)
        return "# written by the investsim what-if page (investsim serve)\n" + body


def _relative(target: Path, folder: Path) -> str:
    import os

    try:
        return os.path.relpath(target, folder.resolve())
    except ValueError:  # another drive
        return str(target)


def _difference(base: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """What of ``new`` differs from ``base``, as a file that ``extends`` it would hold:
    mappings by key, anything else (lists, distributions) whole."""
    out: dict[str, Any] = {}
    for key, value in new.items():
        old = base.get(key, _MISSING)
        if old == value:
            continue
        if (
            isinstance(value, Mapping)
            and isinstance(old, Mapping)
            and "dist" not in value
            and "steps" not in value
            and not set(old) - set(value)
        ):
            out[key] = _difference(old, value)
        else:
            out[key] = value
    for key in base:
        if key not in new and key not in ("extends",):
            # a key the change removed: set it to nothing (optional keys only)
            out[key] = None
    return out


_MISSING = object()


def _message(e: ScenarioError) -> str:
    return f"{e.path}: {e.message}" if e.path else e.message


def _typed(control: Control, value: Any) -> Any:
    """A control's value as the scenario key wants it."""
    if control.kind in ("number", "whole"):
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                return value  # the validator says what is wrong with it
        if (
            isinstance(value, float)
            and value.is_integer()
            and (control.kind == "whole" or isinstance(control.base, int))
        ):
            return int(value)
        return value
    if control.kind == "choices":
        return list(value or [])
    if control.kind == "choice" and value in ("", None):
        return None
    return value


def _when(overrides: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``overrides`` split into those that hold for the whole run and those the page's
    policy sets from 1 January of ``start_year``. The whole run: what a policy can't change
    (``replications``, ``targets``, ... : they define the run) and what is already a
    policy's (its values, its date, or a policy of its own). The rest, the pipeline's
    levers, from ``start_year``: a planner's "what if credit were 55" is about the
    forecast, not a history in which it had always been 55 (with it from the warm-up, a
    backlog waiting for money is cleared before the first reported year, and the
    forecast starts with fewer projects to start: docs/model.md 5.9)."""
    whole: dict[str, Any] = {}
    later: dict[str, Any] = {}
    for key, value in overrides.items():
        top = key.split(".")[0]
        fixed = top in POLICY_FIXED_KEYS or is_policy_path(key)
        (whole if fixed else later)[key] = value
    return whole, later


def pool_home(scenario: Scenario) -> tuple[str, Any]:
    """Where the scenario's guarantee pool is set (a key path) and its start (``None`` for
    the start of the forecast)."""
    for policy in scenario.config.policies:
        if POOL in policy.set:
            return f"policies.{policy.name}.set.{POOL}", policy.from_
    return POOL, None


def controls_of(scenario: Scenario) -> list[Control]:
    """The page's controls for ``scenario``: financing first, then the policies' dates,
    the growth target, the replications and free ``dotted.path=value`` lines."""
    c = scenario.config
    out: list[Control] = []
    for name, spec in c.financing.sources.items():
        if not isinstance(spec, Source):
            continue
        p = f"financing.sources.{name}"
        out += [
            Control(f"{p}.supply", "number", f"source:{name}", "supply", spec.supply),
            Control(f"{p}.growth", "number", f"source:{name}", "growth", spec.growth),
            Control(
                f"{p}.debt_ceiling",
                "number",
                f"source:{name}",
                "debt_ceiling",
                spec.debt_ceiling,
                optional=True,
            ),
            Control(
                f"{p}.repayment_years",
                "number",
                f"source:{name}",
                "repayment_years",
                spec.repayment_years,
                optional=True,
            ),
        ]
    where, start = pool_home(scenario)
    pool = _pool_value(scenario, where)
    out += [
        Control(
            "pool.capital", "number", "pool", "pool_capital", pool.capital if pool else None, optional=True
        ),
        Control("pool.leverage", "number", "pool", "pool_leverage", pool.leverage if pool else 5.0),
        Control(
            "pool.sectors",
            "choices",
            "pool",
            "pool_sectors",
            # a new pool is for the sectors that borrow from banks, as the bundled one
            list(pool.sectors) if pool else [n for n, s in c.sectors.items() if s.funding.get("bank")],
            tuple(c.sectors),
        ),
        Control("pool.from", "whole", "pool", "pool_from", start, optional=True),
        Control(
            "resources.land_budget", "number", "land", "land_budget", c.resources.land_budget, optional=True
        ),
        Control(
            "resources.land_cost_share", "number", "land", "land_cost_share", c.resources.land_cost_share
        ),
        Control("financing.max_wait", "number", "waiting", "max_wait", c.financing.max_wait, optional=True),
        Control(
            "financing.priority", "choice", "waiting", "priority", c.financing.priority, ("fifo", "key_first")
        ),
    ]
    for policy in c.policies:
        if where == f"policies.{policy.name}.set.{POOL}":
            continue  # its date is the pool's
        out.append(Control(f"policies.{policy.name}.from", "whole", "policies", policy.name, policy.from_))
    every = _every_year_target(scenario)
    if every is not _MISSING:
        out.append(Control("targets.growth", "number", "answer", "target", every, optional=True))
    out.append(Control("replications", "whole", "answer", "replications", c.replications))
    out.append(Control(OTHER, "lines", "other", "other", ""))
    return out


def _pool_value(scenario: Scenario, where: str) -> GuaranteePool | None:
    if where == POOL:
        return scenario.config.financing.guarantee_pool
    for policy in scenario.config.policies:
        if POOL in policy.set:
            value = policy.set[POOL]
            return GuaranteePool.model_validate(unshare(value)) if value is not None else None
    return None


def _every_year_target(scenario: Scenario) -> Any:
    """The growth target for every year, ``None`` without one, or nothing (a target set
    year by year is changed through the free lines)."""
    targets = scenario.resolved.get("targets")
    if targets is None:
        return None
    growth = targets.get("growth") if isinstance(targets, Mapping) else None
    return growth if isinstance(growth, (int, float)) else _MISSING


# -- the answers ----------------------------------------------------------------------------

STAGES = ("approval", "land", "financing")


def summarise(
    scenario: Scenario, variant: list[ReplicationResult], base: list[ReplicationResult], wanted: int
) -> dict[str, Any]:
    """The page's answers from ``variant``'s and ``base``'s replications 0..k-1 (paired
    replication by replication: common random numbers)."""
    full = replications_frame(scenario, variant)
    full_base = full if variant is base else replications_frame(scenario, base)
    table = _needed(full)
    base_table = table if variant is base else _needed(full_base)
    annual = annual_summary(table)
    base_annual = annual if variant is base else annual_summary(base_table)
    years = [int(y) for y in annual["year"]]

    def col(frame: pd.DataFrame, name: str) -> list[float | None]:
        return [_num(v) for v in frame[name]] if name in frame else [None] * len(years)

    diffs = []
    for year in years:
        b = base_table.loc[base_table["year"] == year, "investment"].to_numpy(dtype=float)
        v = table.loc[table["year"] == year, "investment"].to_numpy(dtype=float)
        diffs.append(paired_difference(b, v))
    totals = [t.groupby("replication")["investment"].sum().to_numpy(dtype=float) for t in (base_table, table)]
    total = paired_difference(totals[0], totals[1])
    out: dict[str, Any] = {
        "replications": len(variant),
        "wanted": wanted,
        "years": years,
        "unit": scenario.config.money_unit,
        "fan": {
            "p10": col(annual, "investment_p10"),
            "p50": col(annual, "investment_p50"),
            "p90": col(annual, "investment_p90"),
            "base_p50": col(base_annual, "investment_p50"),
        },
        "growth": {
            "p10": col(annual, "growth_p10"),
            "p50": col(annual, "growth_p50"),
            "p90": col(annual, "growth_p90"),
            "base_p50": col(base_annual, "growth_p50"),
        },
        "difference": {
            "mean": [_num(d.mean) for d in diffs],
            "low": [_num(d.low) for d in diffs],
            "high": [_num(d.high) for d in diffs],
        },
        "total": {"mean": _num(total.mean), "low": _num(total.low), "high": _num(total.high), "n": total.n},
        "annual": [
            {
                "year": y,
                "investment_mean": _num(m),
                "investment_p10": _num(p10),
                "investment_p50": _num(p50),
                "investment_p90": _num(p90),
                "growth_p50": _num(g),
            }
            for y, m, p10, p50, p90, g in zip(
                years,
                annual["investment_mean"],
                annual["investment_p10"],
                annual["investment_p50"],
                annual["investment_p90"],
                annual["growth_p50"],
                strict=True,
            )
        ],
        "targets": _targets(scenario, table),
        "waits": _waits(table, base_table),
        "binding": _binding(table, years),
        "monthly": _monthly(scenario, variant, base),
        # the base's own replications (no change): nothing to explain
        **_explained(scenario, full, full_base, all(v is b for v, b in zip(variant, base, strict=True))),
    }
    return out


WHATIF = "what-if"
"""The scenario's name in the page's comparison table (and in its timing sentence)."""


def _explained(
    scenario: Scenario, table: pd.DataFrame, base_table: pd.DataFrame, same: bool
) -> dict[str, Any]:
    """Where the difference over the horizon comes from, as ``compare`` says it: the
    comparison table of the two runs (``compare_runs``: the same paired statistics), read by
    :func:`~investsim.analyses.explain.explain` (investment by sector and by funding source,
    money committed by source, months waited by stage) and
    :func:`~investsim.analyses.timing.detect_timing_shift`. None for no change or a single
    replication (no interval)."""
    if same or table["replication"].nunique() < 2:
        return {"explanation": None, "timing": None}
    seed = scenario.config.seed
    comparison = compare_runs(Run("base", seed, base_table), [Run(WHATIF, seed, table)])
    return {"explanation": explain(comparison, WHATIF), "timing": detect_timing_shift(comparison, WHATIF)}


def _needed(table: pd.DataFrame) -> pd.DataFrame:
    """The columns the page shows (each summarised as the yearly summary does)."""
    keep = ["replication", "year", "investment", "growth"]
    keep += [c for c in table.columns if str(c).endswith("_wait_months") or str(c).startswith("binding_")]
    return table[keep]


def _num(value: Any) -> float | None:
    x = float(value)
    return None if math.isnan(x) or math.isinf(x) else x


def _targets(scenario: Scenario, table: pd.DataFrame) -> list[dict[str, Any]]:
    targets = scenario.config.growth_targets
    if not targets:
        return []
    found = target_probabilities(table, targets)
    return [
        {
            "year": int(r["year"]),
            "target": _num(r["growth_target"]),
            "probability": _num(r["probability"]),
            "low": _num(r["ci_low"]),
            "high": _num(r["ci_high"]),
        }
        for r in found.to_dict(orient="records")
    ]


def _waits(table: pd.DataFrame, base_table: pd.DataFrame) -> dict[str, Any]:
    """Months waited per stage (mean over the years and replications)."""
    names = [s for s in STAGES if f"{s}_wait_months" in table]
    return {
        "stages": names,
        "variant": [_num(np.nanmean(table[f"{s}_wait_months"].to_numpy(dtype=float))) for s in names],
        "base": [_num(np.nanmean(base_table[f"{s}_wait_months"].to_numpy(dtype=float))) for s in names],
    }


def _binding(table: pd.DataFrame, years: list[int]) -> dict[str, Any]:
    """Which resource holds projects up when: each ``binding_*`` column's yearly mean."""
    names = [c for c in table.columns if str(c).startswith("binding_")]
    means = table.groupby("year")[names].mean() if names else pd.DataFrame()
    return {
        "resources": names,
        "values": [[_num(means.loc[y, name]) for y in years] for name in names],
    }


def _monthly(
    scenario: Scenario, variant: list[ReplicationResult], base: list[ReplicationResult]
) -> dict[str, Any]:
    """Investment by month and year-to-date growth (median, P10 and P90; the base's median)."""
    months = monthly_frame(scenario, variant)
    if months is None:
        return {}
    base_months = months if variant is base else monthly_frame(scenario, base)
    assert base_months is not None
    g = months.groupby(["year", "month"], sort=True)
    gb = base_months.groupby(["year", "month"], sort=True)
    labels = [f"{y}-{m:02d}" for y, m in g.size().index]
    return {
        "labels": labels,
        "p50": [_num(v) for v in g["investment"].median()],
        "base_p50": [_num(v) for v in gb["investment"].median()],
        "p10": [_num(v) for v in g["investment"].quantile(0.1)],
        "p90": [_num(v) for v in g["investment"].quantile(0.9)],
        "ytd_growth_p10": [_num(v) for v in g["ytd_growth"].quantile(0.1)],
        "ytd_growth_p90": [_num(v) for v in g["ytd_growth"].quantile(0.9)],
        "ytd_growth_p50": [_num(v) for v in g["ytd_growth"].median()],
        "base_ytd_growth_p50": [_num(v) for v in gb["ytd_growth"].median()],
    }


def binding_label(name: str, zh: bool, show: Callable[[str], str]) -> str:
    """The resource a ``binding_*`` column is about, in English or Chinese (``show``
    gives a source's name)."""
    found = columns.find(name)
    if found is None:
        return name
    column, members = found
    text = column.label(zh, "", **{k: show(v) for k, v in members.items()})
    return re.split(r"[:：]", text)[0]
