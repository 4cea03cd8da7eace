"""The "Key assumptions" section of a forecast's report: the resolved scenario's sectors,
resources, financing, policies and other settings as tables.

Distributions are shown by their mean with their form below it (:func:`dist_mean`,
:func:`dist_text`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from investsim.reporting.html import esc, heading, num, pct, plain, table
from investsim.reporting.labels import Labels


def _distribution(spec: Any) -> Any:
    from pydantic import TypeAdapter

    from investsim.scenario.distributions import Distribution

    return TypeAdapter(Distribution).validate_python(spec)


def dist_mean(spec: Any) -> float | None:
    """The mean of a distribution as written in a scenario (``{dist: ..., ...}``), or of an
    approval given as sub-steps (``{mode: serial|parallel, steps: {...}}``: the sum of the
    steps' means, or the mean of their maximum, estimated from 20,000 fixed draws);
    ``None`` if it can't be read."""
    if not isinstance(spec, dict):
        return None
    try:
        if "dist" in spec:
            return float(_distribution(spec).mean)
        steps = [_distribution(s) for s in (spec.get("steps") or {}).values()]
        if not steps:
            return None
        if spec.get("mode") == "serial":
            return float(sum(s.mean for s in steps))
        u = np.random.default_rng(0).random((len(steps), 20_000))
        return float(np.max([s.ppf(u[i]) for i, s in enumerate(steps)], axis=0).mean())
    except Exception:  # a distribution this version can't read: show it without a mean
        return None


def dist_text(spec: Any, labels: Labels | None = None) -> str:
    """A short description of a distribution (``lognormal: median 9, p90 15``; in Chinese
    with ``labels`` that are: ``对数正态分布：中位数 9，P90 15``) or of approval sub-steps
    (``parallel: 4 steps``)."""
    word = labels.setting if labels is not None else str
    colon, comma = ("：", "，") if labels is not None and labels.zh else (": ", ", ")
    if not isinstance(spec, dict):
        return "" if spec is None else str(spec)
    if "dist" in spec:
        rest = comma.join(f"{word(str(k))} {plain(v)}" for k, v in spec.items() if k != "dist")
        return f"{word(str(spec['dist']))}{colon}{rest}" if rest else word(str(spec["dist"]))
    steps = spec.get("steps") or {}
    return f"{word(str(spec.get('mode', '')))}{colon}{comma.join(map(str, steps))}"


def _dist_cell(spec: Any, labels: Labels, digits: int = 1) -> str:
    mean = dist_mean(spec)
    if mean is None:
        return esc(dist_text(spec, labels))
    return f"{num(mean, digits)}<small>{esc(dist_text(spec, labels))}</small>"


def _settings_table(labels: Labels, items: Sequence[tuple[str, str]], left: int = 1) -> str:
    """A two-column table of settings: the wording of each key, and its value."""
    rows = [[esc(labels.word(k)), esc(v)] for k, v in items]
    return table([labels.word("parameter"), labels.word("value")], rows, left=left)


SECTOR_COLUMNS = (
    "sector",
    "arrivals_rate",
    "rate_growth",
    "mean_size",
    "approval_months",
    "land_months",
    "dispute",
    "construction_months",
    "overrun",
    "funding",
)
"""Columns of the sectors table (keys of the page wording)."""


def _sector_row(name: str, s: dict[str, Any], labels: Labels) -> list[str]:
    arrivals = s.get("arrivals") or {}
    dispute = s.get("land_dispute")
    dispute_text = (
        f"{pct(dispute.get('probability'), 0, False)}<small>{esc(dist_text(dispute.get('delay'), labels))}</small>"
        if isinstance(dispute, dict)
        else esc(labels.word("none"))
    )
    funding = ("、" if labels.zh else ", ").join(
        f"{labels.name(k)} {v:.0%}" for k, v in (s.get("funding") or {}).items()
    )
    return [
        esc(labels.name(name)),
        num(arrivals.get("rate"), 1),
        pct(arrivals.get("growth"), 1),
        _dist_cell(s.get("size"), labels, 2),
        _dist_cell(s.get("approval"), labels),
        _dist_cell(s.get("land"), labels),
        dispute_text,
        _dist_cell(s.get("construction"), labels),
        _dist_cell(s.get("overrun"), labels, 2) if s.get("overrun") else esc(labels.word("none")),
        esc(funding),
    ]


def _sectors(scn: dict[str, Any], labels: Labels) -> list[str]:
    rows = [_sector_row(name, s, labels) for name, s in (scn.get("sectors") or {}).items()]
    if not rows:
        return []
    return [
        heading(labels.word("sectors"), 3),
        table([labels.word(h) for h in SECTOR_COLUMNS], rows, wrap=[len(SECTOR_COLUMNS) - 1]),
        f'<p class="note">{esc(labels.word("months_note"))}</p>',
    ]


def _resources(scn: dict[str, Any], labels: Labels) -> list[str]:
    res = scn.get("resources") or {}
    unlimited = labels.word("unlimited")
    items = [
        ("approval_capacity", plain(res.get("approval_capacity")) or unlimited),
        ("service_secretaries", plain(res.get("service_secretaries"))),
        ("secretary_effect", plain(res.get("secretary_effect"))),
        ("land_capacity", plain(res.get("land_capacity")) or unlimited),
        ("land_budget", plain(res.get("land_budget")) or unlimited),
        ("land_cost_share", pct(res.get("land_cost_share"), 0, False)),
        ("key_threshold", plain(scn.get("key_project_threshold"))),
    ]
    season = scn.get("construction_season")
    if isinstance(season, dict):  # shown only when the scenario has one
        own = season.get("sectors") or {}
        text = f"{season.get('opens')} – {season.get('closes')}" + "".join(
            f"; {labels.name(name)}: "
            + (
                labels.word("all_year")
                if not isinstance(s, dict)
                else f"{s.get('opens')} – {s.get('closes')}"
            )
            for name, s in own.items()
        )
        items.append(("construction_season", text))
    early = scn.get("early_start")
    if isinstance(early, dict):
        items.append(
            ("early_start", f"{plain(early.get('list_threshold'))}; {plain(early.get('winter_effect'))}")
        )
    return [heading(labels.word("resources"), 3), _settings_table(labels, items)]


def _sources_table(fin: dict[str, Any], labels: Labels) -> list[str]:
    rows = [
        [
            esc(labels.name(name)),
            num(s.get("supply"), 1),
            pct(s.get("growth"), 1),
            num(s.get("debt_ceiling"), 1) if s.get("debt_ceiling") is not None else "",
            plain(s.get("repayment_years")),
        ]
        if isinstance(s, dict)
        else [esc(labels.name(name)), labels.word("unlimited"), "", "", ""]  # `own: unlimited`
        for name, s in (fin.get("sources") or {}).items()
    ]
    if not rows:
        return []
    heads = ["source", "supply", "supply_growth", "debt_ceiling", "repayment_years"]
    return [table([labels.word(h) for h in heads], rows)]


def _financing(scn: dict[str, Any], labels: Labels) -> list[str]:
    fin = scn.get("financing") or {}
    pool = fin.get("guarantee_pool")
    pool_text = (
        labels.word(
            "pool_text",
            capital=plain(pool.get("capital")),
            leverage=plain(pool.get("leverage")),
            sectors=", ".join(labels.name(s) for s in pool.get("sectors") or []),
        )
        if isinstance(pool, dict)
        else labels.word("none")
    )
    items = [
        ("max_wait", plain(fin.get("max_wait")) or labels.word("unlimited")),
        ("priority", labels.setting(plain(fin.get("priority")))),
        ("guarantee_pool", pool_text),
    ]
    return [
        heading(labels.word("financing"), 3),
        *_sources_table(fin, labels),
        _settings_table(labels, items),
        f'<p class="note">{esc(labels.word("unconstrained"))}</p>',
    ]


def _policies(scn: dict[str, Any], labels: Labels) -> list[str]:
    policies = scn.get("policies") or []
    if not policies:
        return [heading(labels.word("policies"), 3), f"<p>{esc(labels.word('no_policies'))}</p>"]
    rows = []
    for p in policies:
        changes = "<br>".join(
            f"{esc(k)} = {esc(json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else plain(v))}"
            for k, v in (p.get("set") or {}).items()
        )
        rows.append([esc(p.get("name", "")), esc(p.get("from", "")), changes])
    heads = [labels.word("policy"), labels.word("from"), labels.word("sets")]
    return [heading(labels.word("policies"), 3), table(heads, rows, left=3)]


def _other(scn: dict[str, Any], labels: Labels) -> list[str]:
    bg = scn.get("background")
    last = scn.get("last_observed")
    none = labels.word("none")
    items = [
        (
            "background",
            labels.word(
                "background_text", level=plain(bg.get("level")), growth=dist_text(bg.get("growth"), labels)
            )
            if isinstance(bg, dict)
            else none,
        ),
        (
            "last_observed",
            f"{last.get('year')}: {plain(last.get('investment'))}" if isinstance(last, dict) else none,
        ),
        ("warmup", plain(scn.get("warmup_years"))),
        ("in_flight_file", _register_name(scn.get("projects")) or none),
    ]
    return [heading(labels.word("other"), 3), _settings_table(labels, items, left=2)]


def _register_name(register: Any) -> str:
    """The projects register's file name, and its sheet when one is named: ``r.xlsx [项目]``."""
    if isinstance(register, dict):
        sheet = register.get("sheet")
        name = Path(str(register.get("file") or "")).name
        return f"{name} [{sheet}]" if sheet else name
    return Path(str(register)).name if register else ""


def assumptions_html(scn: dict[str, Any], labels: Labels) -> str:
    """The key assumptions of the resolved scenario ``scn``: a heading, then sectors,
    resources, financing, policies and other settings."""
    parts = [heading(labels.word("assumptions"))]
    for section in (_sectors, _resources, _financing, _policies, _other):
        parts += section(scn, labels)
    return "\n".join(parts)
