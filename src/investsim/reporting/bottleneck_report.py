"""The report of a bottleneck map (``investsim bottlenecks``): one sentence per year on the
resource that binds most and what one more unit of it adds, the heat map (years x
resources), the resources that bind but whose extra units add little, and the whole map."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from investsim.analyses.bottlenecks import MEASURED, NEVER_BINDS, UNLIMITED, headline
from investsim.reporting.built import Built, LabelsFor, make_chart
from investsim.reporting.charts.bottlenecks import binds_without_value, bottleneck_heatmap
from investsim.reporting.html import display_name, esc, figure, heading, num, page, pct, plain, table
from investsim.reporting.labels import Labels
from investsim.reporting.manifest import analysis_version, command_text, read_manifest


def resource_name(labels: Labels, row: Mapping[Any, Any]) -> str:
    """A resource as the page names it: ``government money``, ``approval places``..."""
    if row["kind"] == "source":
        return labels.text("bn_source", source=labels.name(str(row["resource"])))
    return labels.text(f"bn_{row['kind']}")


def _per(labels: Labels, unit: str) -> str:
    return labels.word("bn_unit_money") if unit == "money" else labels.word("bn_unit_place")


def _value(row: Mapping[Any, Any]) -> str:
    """The marginal value with its interval: ``+6.34 (+4.40 to +8.29)``."""
    low, high = row["marginal_low"], row["marginal_high"]
    text = num(row["marginal"], 2, sign=True)
    if math.isfinite(float(low)) and math.isfinite(float(high)):
        text += f" ({num(low, 2, sign=True)} … {num(high, 2, sign=True)})"
    return text


def reading(labels: Labels, row: Mapping[Any, Any]) -> str:
    """What a row's marginal value says, in words."""
    if row["status"] == NEVER_BINDS:
        return labels.word("bn_reading_never")
    if row["status"] == UNLIMITED:
        return labels.word("bn_reading_unlimited")
    if row["reading"] == "timing":
        return labels.word(
            "bn_reading_timing", peak=num(row["peak"], 2, sign=True), peak_year=int(row["peak_year"])
        )
    return labels.word(f"bn_reading_{row['reading']}") if row["reading"] else ""


def year_sentences(data: pd.DataFrame, labels: Labels, last: int) -> list[str]:
    """One sentence per year: the resource that binds most, what one more unit of it adds,
    and another worth surely more where there is one."""
    out = []
    for year in sorted(int(y) for y in data["year"].unique()):
        top, better = headline(data, year)
        if top is None:
            out.append(labels.word("bn_nothing", year=year))
            continue
        text = labels.word(
            "bn_line",
            year=year,
            resource=resource_name(labels, top),
            share=pct(top["binding"], 0, sign=False),
            waiting=num(top["waiting"], 1),
            per=_per(labels, str(top["unit"])),
            value=_value(top),
            last=last,
        )
        if top["reading"] == "timing":
            text += labels.word(
                "bn_timing_note",
                peak=num(top["peak"], 2, sign=True),
                peak_year=int(top["peak_year"]),
                last=last,
            )
        elif top["reading"] == "none":
            text += labels.word("bn_none_note")
        elif top["reading"] == "zero":
            text += labels.word("bn_zero_note")
        if better is not None:
            text += labels.word("bn_better", resource=resource_name(labels, better), value=_value(better))
        out.append(text)
    return out


def _binds_table(data: pd.DataFrame, labels: Labels, last: int) -> str:
    """The cells that bind at least half the year but whose extra unit adds nothing told
    apart from 0."""
    rows = [r for r in data.to_dict("records") if binds_without_value(r)]
    if not rows:
        return f"<p>{esc(labels.word('bn_binds_none'))}</p>"
    heads = [
        labels.word("year"),
        labels.word("bn_resource"),
        labels.word("bn_share"),
        labels.word("bn_waiting"),
        labels.word("bn_marginal", last=last),
        labels.word("bn_reading"),
    ]
    body = [
        [
            str(r["year"]),
            esc(resource_name(labels, r)),
            pct(r["binding"], 0, sign=False),
            num(r["waiting"], 1),
            _value(r),
            esc(reading(labels, r)),
        ]
        for r in rows
    ]
    intro = f"<p>{esc(labels.word('bn_binds_intro', last=last))}</p>"
    return intro + table(heads, body, left=2, wrap=(5,))


def _whole_table(data: pd.DataFrame, labels: Labels, last: int) -> str:
    heads = [
        labels.word("year"),
        labels.word("bn_resource"),
        labels.word("bn_share"),
        labels.word("bn_waiting"),
        labels.word("bn_amount"),
        labels.word("bn_step"),
        labels.word("bn_marginal", last=last),
        labels.word("bn_reading"),
    ]
    body = []
    for r in data.to_dict("records"):
        measured = r["status"] == MEASURED
        body.append(
            [
                str(r["year"]),
                esc(resource_name(labels, r)),
                pct(r["binding"], 0, sign=False),
                num(r["waiting"], 1),
                num(r["amount"], 2 if r["unit"] == "money" else 0),
                num(r["step"], 2 if r["unit"] == "money" else 0),
                _value(r) if measured or r["status"] == NEVER_BINDS else "",
                esc(reading(labels, r)),
            ]
        )
    return table(heads, body, left=2, wrap=(7,))


def _meta(manifest: dict[str, Any], labels: Labels) -> list[tuple[str, str]]:
    steps = manifest.get("steps") or {}
    fixed = "; " + ", ".join(f"{k} = {plain(v)}" for k, v in steps.items()) if steps else ""
    step = manifest.get("step")
    return [
        (labels.word("scenario_file"), plain(manifest.get("scenario_file"))),
        (labels.word("replications"), plain(manifest.get("replications"))),
        (labels.word("seed"), plain(manifest.get("seed"))),
        (
            labels.word("bn_steps"),
            labels.word("bn_step_text", step=float(step), fixed=fixed) if step is not None else "",
        ),
        (
            labels.word("bn_runs"),
            labels.word("bn_runs_text", runs=manifest.get("runs"), skipped=manifest.get("runs_skipped"))
            if manifest.get("runs") is not None
            else "",
        ),
        (labels.word("command"), command_text(manifest)),
    ]


def bottleneck_report(folder: Path, labels_for: LabelsFor) -> Built:
    """Build the report of the bottleneck map in ``folder`` (``bottlenecks.csv``); it has
    no workbook."""
    manifest = read_manifest(folder)
    labels = labels_for(str(manifest.get("money_unit") or ""))
    data = pd.read_csv(folder / "bottlenecks.csv", keep_default_na=True)
    data["reading"] = data["reading"].fillna("")
    labels.register(str(r) for r in data.loc[data["kind"] == "source", "resource"])
    last = int(data["year"].max())
    chart = make_chart(
        "bottlenecks",
        labels.text("bn_title"),
        labels.word("cap_bottlenecks", last=last),
        lambda: bottleneck_heatmap(data, labels),
        labels,
    )
    charts = [chart] if chart is not None else []
    step = manifest.get("step")
    step_text = f"{float(step):.0%}" if step is not None else ""
    sentences = "".join(f"<li>{esc(s)}</li>" for s in year_sentences(data, labels, last))
    body = [
        f"<p>{esc(labels.word('bn_intro', last=last, step=step_text))}</p>",
        heading(labels.word("bn_years")),
        f"<ul>{sentences}</ul>",
        heading(labels.word("charts")),
        *(figure(c) for c in charts),
        heading(labels.word("bn_binds_heading")),
        _binds_table(data, labels, last),
        heading(labels.word("bn_table")),
        _whole_table(data, labels, last),
    ]
    name = str(manifest.get("scenario") or Path(str(manifest.get("scenario_file") or folder.name)).stem)
    title = labels.word("bottlenecks_title", name=display_name(name))
    return (
        page(labels, title, "", _meta(manifest, labels), "\n".join(body), analysis_version(manifest)),
        charts,
        None,
    )
