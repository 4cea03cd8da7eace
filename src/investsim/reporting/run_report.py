"""The report of a forecast folder (``investsim run``): headline cards, the charts, the
annual figures, the key assumptions of the resolved scenario, and ``forecast.xlsx``."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from investsim import columns
from investsim.reporting import charts
from investsim.reporting.assumptions import assumptions_html
from investsim.reporting.built import Built, Chart, LabelsFor, make_chart
from investsim.reporting.charts import reforecast as given_charts
from investsim.reporting.fonts import has_cjk
from investsim.reporting.html import (
    display_name,
    drop_citations,
    esc,
    figure,
    heading,
    num,
    page,
    pct,
    plain,
    table,
)
from investsim.reporting.labels import Labels
from investsim.reporting.manifest import command_text, installed_version, read_manifest
from investsim.reporting.workbook import write_workbook
from investsim.results.monthly import target_sentence

ANNUAL_COLUMNS = (
    "year",
    "p10",
    "p50",
    "p90",
    "mean",
    "growth_p50",
    "growth_band",
    "in_flight_p50",
    "arrivals",
    "starts",
    "completions",
)
"""Columns of the annual figures table (keys of the page wording), before the financing
gap (when the results have one)."""


def _run_meta(manifest: dict[str, Any], scn: dict[str, Any], labels: Labels) -> list[tuple[str, str]]:
    start = manifest.get("start_year", scn.get("start_year"))
    horizon = manifest.get("horizon_years", scn.get("horizon_years"))
    span = f"{start}–{int(start) + int(horizon) - 1}" if start is not None and horizon is not None else ""
    return [
        (labels.word("scenario"), plain(manifest.get("scenario") or scn.get("name"))),
        (labels.word("seed"), plain(manifest.get("seed", scn.get("seed")))),
        (labels.word("replications"), plain(manifest.get("replications", scn.get("replications")))),
        (labels.word("horizon"), span),
        (labels.word("money_unit"), labels.unit),
        (labels.word("scenario_file"), plain(manifest.get("scenario_file"))),
        (labels.word("created"), plain(manifest.get("created"))),
        (labels.word("command"), command_text(manifest)),
    ]


def _card(label: str, value: str, note: str) -> str:
    return (
        f'<div class="card"><div class="label">{esc(label)}</div><div class="value">{esc(value)}</div>'
        f'<div class="note">{esc(note)}</div></div>'
    )


def _cards(annual: pd.DataFrame, replications: pd.DataFrame, labels: Labels, start: int | None) -> str:
    """Headline figures: investment in the first and last year, the total over the
    horizon, and the share of the first year spent by the pipeline known at the start."""
    first, last = annual.iloc[0], annual.iloc[-1]
    out = []
    for key, row in (("first_year", first), ("last_year", last))[: 1 if len(annual) == 1 else 2]:
        out.append(
            _card(
                labels.word(key, year=int(row["year"])),
                f"{num(row['investment_p50'])} {labels.unit}",
                labels.word("p50_range", p10=num(row["investment_p10"]), p90=num(row["investment_p90"])),
            )
        )
    total = replications.groupby("replication")["investment"].sum()
    y1, y2 = (int(y) for y in annual["year"].to_numpy()[[0, -1]])
    out.append(
        _card(
            labels.word("cumulative", y1=y1, y2=y2),
            f"{num(total.quantile(0.5), 0)} {labels.unit}",
            labels.word("p50_range", p10=num(total.quantile(0.1), 0), p90=num(total.quantile(0.9), 0)),
        )
    )
    flight = charts.in_flight_summary(replications)
    if flight is not None and len(flight):
        out.append(
            _card(
                labels.word("pipeline_share"),
                pct(flight["share_p50"].iloc[0], 0, False),
                labels.word("pipeline_share_note", year=y1, start=start if start is not None else y1),
            )
        )
    return f'{heading(labels.word("headline"))}<div class="cards">{"".join(out)}</div>'


def _annual_row(r: dict[Any, Any], flight: Any, gap: dict[Any, float] | None) -> list[str]:
    """One year of the annual figures; ``flight`` is its row of :func:`charts.in_flight_summary`
    (or ``None``), ``gap`` the financing gap's P50 by year (``None`` without one)."""
    year = int(r["year"])
    band = (
        f"{pct(r['growth_p10'])} – {pct(r['growth_p90'])}"
        if math.isfinite(float(r["growth_p10"])) and math.isfinite(float(r["growth_p90"]))
        else ""
    )
    flight_text = (
        f"{num(flight.in_flight_p50)} ({pct(flight.share_p50, 0, False)})" if flight is not None else ""
    )
    row = [
        str(year),
        num(r["investment_p10"]),
        num(r["investment_p50"]),
        num(r["investment_p90"]),
        num(r["investment_mean"]),
        pct(r["growth_p50"]),
        band,
        flight_text,
        num(r.get("arrivals_mean")),
        num(r.get("starts_mean")),
        num(r.get("completions_mean")),
    ]
    if gap is not None:
        row.append(num(gap.get(year), 1, sign=True))
    return row


def _annual_table(annual: pd.DataFrame, replications: pd.DataFrame, labels: Labels) -> str:
    flight = charts.in_flight_summary(replications)
    flight_by_year = (
        {}
        if flight is None
        else {int(y): r for y, r in zip(flight["year"], flight.itertuples(index=False), strict=True)}
    )
    gap = (
        replications.groupby("year")["financing_gap"].quantile(0.5).to_dict()
        if "financing_gap" in replications.columns
        else None
    )
    heads = [*ANNUAL_COLUMNS, *(["gap_p50"] if gap is not None else [])]
    rows = [_annual_row(r, flight_by_year.get(int(r["year"])), gap) for r in annual.to_dict("records")]
    note = f'<p class="note">{esc(labels.word("money_note"))}</p>'
    return f"{heading(labels.word('annual_figures'))}{table([labels.word(h) for h in heads], rows)}{note}"


def _run_charts(
    annual: pd.DataFrame,
    replications: pd.DataFrame,
    labels: Labels,
    last_observed: tuple[int, float] | None,
    name: str,
    monthly: pd.DataFrame | None = None,
) -> list[Chart]:
    """The charts of a forecast, in the page's order; those the results can't show are
    left out."""
    t, w = labels.text, labels.word
    specs: list[tuple[str, str, str, Callable[[], Any]]] = [
        (
            "fan",
            t("fan_title"),
            w("cap_fan"),
            lambda: charts.fan_chart(annual, replications, labels, last_observed, name),
        ),
        ("growth", t("growth_title"), w("cap_growth"), lambda: charts.growth_chart(annual, labels)),
        ("by_sector", t("sector_title"), w("cap_sector"), lambda: charts.sector_chart(replications, labels)),
        ("by_source", t("source_title"), w("cap_source"), lambda: charts.source_chart(replications, labels)),
        ("stages", t("stages_title"), w("cap_stages"), lambda: charts.stages_chart(annual, labels)),
        (
            "stage_months",
            t("months_title"),
            w("cap_months"),
            lambda: charts.stage_months_chart(replications, labels),
        ),
        (
            "financing_gap",
            t("gap_title"),
            w("cap_gap"),
            lambda: charts.financing_gap_chart(replications, labels),
        ),
    ]
    if monthly is not None:
        specs[2:2] = [
            ("monthly", t("monthly_title"), w("cap_monthly"), lambda: charts.monthly_chart(monthly, labels)),
            ("ytd_growth", t("ytd_title"), w("cap_ytd"), lambda: charts.ytd_growth_chart(monthly, labels)),
        ]
    return [c for c in (make_chart(n, ti, ca, mk, labels) for n, ti, ca, mk in specs) if c is not None]


def _targets_html(manifest: dict[str, Any], labels: Labels) -> str:
    """One line per growth target: the probability of meeting it (from the manifest)."""
    rows = manifest.get("targets") or []
    if not rows:
        return ""
    lines = "".join(
        f"<li>{esc(target_sentence({k: math.nan if v is None else v for k, v in r.items()}, labels.zh))}</li>"
        for r in rows
    )
    note = f'<p class="note">{esc(labels.word("targets_note"))}</p>'
    return f'{heading(labels.word("targets_heading"))}<ul class="targets">{lines}</ul>{note}'


def _given_tables(folder: Path, manifest: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """``reforecast_annual.csv`` and ``reforecast_monthly.csv`` of a run with ``--actuals``
    (None for a run without)."""
    if not isinstance(manifest.get("actuals"), dict) or not (folder / "reforecast_annual.csv").is_file():
        return None
    return pd.read_csv(folder / "reforecast_annual.csv"), pd.read_csv(folder / "reforecast_monthly.csv")


def _given(
    tables: tuple[pd.DataFrame, pd.DataFrame] | None,
    manifest: dict[str, Any],
    labels: Labels,
    annual: pd.DataFrame,
    monthly: pd.DataFrame | None,
) -> tuple[str, list[Chart]]:
    """The in-year re-forecast (``run --actuals``): its one line, the years and the current
    year's periods given the published figures (``tables``, see :func:`_given_tables`),
    and its warnings; nothing for a run without actuals."""
    if tables is None:
        return "", []
    part: dict[str, Any] = manifest["actuals"]
    given, months = tables
    year = int(part["current_year"])
    charts = [
        c
        for c in (
            make_chart(
                "given_fan",
                labels.text("given_fan_title"),
                labels.word("cap_given_fan"),
                lambda: given_charts.given_fan_chart(annual, given, labels, year),
                labels,
            ),
            make_chart(
                "given_ytd",
                labels.text("given_ytd_title", year=year),
                labels.word("cap_given_ytd"),
                lambda: given_charts.given_ytd_chart(
                    monthly if monthly is not None else months, months, labels, year
                ),
                labels,
            ),
        )
        if c is not None
    ]
    zh = labels.zh
    lines = [
        part.get("sentence_zh" if zh else "sentence", ""),
        part.get("year_line_zh" if zh else "year_line", ""),
    ]
    head = "".join(f"<p><b>{esc(line)}</b></p>" for line in lines if line)
    rows = []
    for r in months[months["year"] == year].to_dict("records"):
        shown = [
            text
            for text in (pct(r.get("published_ytd_growth")), num(r.get("published_ytd_investment")))
            if text
        ]
        p = r.get("ytd_target_probability")
        rows.append(
            [
                esc(r["period"] if zh else r["period_en"]),
                " / ".join(shown),
                pct(r["ytd_growth_p10"]),
                pct(r["ytd_growth_p50"]),
                pct(r["ytd_growth_p90"]),
                num(r["ytd_investment_p50"]),
                "" if p is None or p != p else f"{float(p):.2f}",
            ]
        )
    heads = labels.word("given_cols").split("|")
    warnings = part.get("warnings") or []
    warned = (
        f"{heading(labels.word('given_warnings'), 3)}<ul>{''.join(f'<li>{esc(w)}</li>' for w in warnings)}</ul>"
        if warnings
        else ""
    )
    sigma = f"{float(part.get('measurement_error', 0)):.0%}"
    note = f'<p class="note">{esc(labels.word("given_note", sigma=sigma))}</p>'
    html = (
        heading(labels.word("given_heading"))
        + head
        + warned
        + "".join(figure(c) for c in charts)
        + heading(labels.word("given_table", year=year), 3)
        + table(heads, rows)
        + note
    )
    return html, charts


def _files_note(labels: Labels, monthly: bool = False) -> str:
    files = (
        "annual.csv, replications.csv, "
        + ("monthly.csv, " if monthly else "")
        + "forecast.xlsx, manifest.json"
    )
    text = labels.word("files_text", files=files, px=f"{int(10 * charts.DPI)} × {int(5.6 * charts.DPI)}")
    return f"{heading(labels.word('files'))}<p>{esc(text)}</p>"


def _mostly_latin(text: str) -> bool:
    """Whether ``text`` is written mostly in Latin letters (a description not in Chinese,
    though it may name a unit such as 亿)."""
    latin = sum(ch.isascii() and ch.isalpha() for ch in text)
    return latin > 0 and latin > 2 * sum(has_cjk(ch) for ch in text)


def run_report(folder: Path, labels_for: LabelsFor) -> Built:
    """Build the report of the forecast in ``folder`` (``annual.csv``,
    ``replications.csv``, ``manifest.json``), with its workbook."""
    manifest = read_manifest(folder)
    scn: dict[str, Any] = manifest.get("resolved_scenario") or {}
    labels = labels_for(str(manifest.get("money_unit") or scn.get("money_unit") or "亿元"))
    annual = pd.read_csv(folder / "annual.csv")
    replications = pd.read_csv(folder / "replications.csv")
    monthly = pd.read_csv(folder / "monthly.csv") if (folder / "monthly.csv").is_file() else None
    labels.register(
        name
        for family in (columns.SECTOR_INVESTMENT, columns.SOURCE_INVESTMENT)
        for _, named in columns.members(replications.columns, family)
        for name in named.values()
    )
    name = str(manifest.get("scenario") or scn.get("name") or folder.name)
    last = scn.get("last_observed")
    last_observed = (int(last["year"]), float(last["investment"])) if isinstance(last, dict) else None
    charts = _run_charts(annual, replications, labels, last_observed, display_name(name), monthly)
    given_tables = _given_tables(folder, manifest)
    given_html, given = _given(given_tables, manifest, labels, annual, monthly)
    charts = [*given, *charts]
    start = manifest.get("start_year", scn.get("start_year"))
    body = [
        _cards(annual, replications, labels, int(start) if start is not None else None),
        _targets_html(manifest, labels),
        given_html,
        heading(labels.word("charts")),
        *(figure(c) for c in charts[len(given) :]),
        _annual_table(annual, replications, labels),
        assumptions_html(scn, labels) if scn else "",
        _files_note(labels, monthly is not None),
    ]
    description = drop_citations(str(scn.get("description") or ""))
    shown, first = description, description
    if labels.zh and _mostly_latin(description):  # the scenario file's own words, said so
        shown, first = labels.word("description_as_written", text=description), ""
    html = page(
        labels,
        labels.word("run_title", name=display_name(name, first)),
        shown,
        _run_meta(manifest, scn, labels),
        "\n".join(body),
        str(manifest.get("investsim_version") or installed_version()),
    )

    def excel(target: Path) -> Path:
        return write_workbook(target, annual, replications, manifest, labels, monthly, given_tables)

    return html, charts, excel
