"""The report of a goal-seek folder (``investsim seek``): the answer in a sentence, the
chart of the estimated metric against the lever's value with its band, the target and
the answer's interval, and every value run."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from investsim.reporting.built import Built, LabelsFor, make_chart
from investsim.reporting.calibrate_report import resource_label
from investsim.reporting.charts.seek import seek_chart
from investsim.reporting.html import display_name, esc, figure, heading, page, plain, table
from investsim.reporting.labels import Labels, metric_label
from investsim.reporting.manifest import analysis_version, command_text, read_manifest


def _number(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def lever_text(v: Any, param: dict[str, Any]) -> str:
    """A value of the lever as shown: to a thousandth of its range (whole numbers whole)."""
    x = _number(v)
    if not math.isfinite(x):
        return ""
    if param.get("whole_numbers"):
        return f"{x:.0f}"
    span = _number(param.get("high")) - _number(param.get("low"))
    decimals = max(0, math.ceil(-math.log10(span / 1000))) if span > 0 else 4
    return f"{x:,.{decimals}f}"


def _estimate_text(v: Any, target: dict[str, Any]) -> str:
    x = _number(v)
    if not math.isfinite(x):
        return ""
    share = target.get("kind") == "probability" or str(target.get("metric", "")).startswith("growth")
    return f"{x:.1%}" if share else f"{x:,.4g}"


def quantity_label(target: dict[str, Any], labels: Labels) -> str:
    """What is estimated: the mean of the metric, or the probability of its condition."""
    metric = metric_label(labels, str(target.get("metric", "")))
    if target.get("kind") == "probability":
        return f"P({metric} {target.get('op')} {plain(target.get('threshold'))})"
    return labels.word("seek_mean_of", metric=metric)


def answer_text(manifest: dict[str, Any], labels: Labels) -> str:
    """The answer in the report's language, from the manifest."""
    param, target = manifest.get("param") or {}, manifest.get("target") or {}
    status = manifest.get("status")
    lever = str(param.get("path", ""))
    quantity = quantity_label(target, labels)
    goal = _estimate_text(target.get("value"), target)
    best = manifest.get("best") or {}

    def x(v: Any) -> str:
        return lever_text(v, param)

    if status == "found":
        low = x(manifest.get("ci_low"))
        if manifest.get("ci_low_at_range_end"):
            low = labels.word("seek_low_end", value=low)
        high = x(manifest.get("ci_high"))
        if manifest.get("ci_high_beyond_range"):
            high = labels.word("seek_beyond", value=x(param.get("high")))
        key = "seek_found" if (manifest.get("direction") or 0) > 0 else "seek_found_falls"
        return labels.word(key, lever=lever, answer=x(manifest.get("answer")), low=low, high=high,
                           quantity=quantity, target=goal)  # fmt: skip
    if status == "below_range":
        return labels.word("seek_below", lever=lever, low=x(param.get("low")), quantity=quantity, target=goal)
    if status == "non_monotone":
        spans = labels.word("note_sep").join(f"{x(a)}–{x(b)}" for a, b in manifest.get("met_ranges") or [])
        return labels.word("seek_non_monotone", lever=lever, quantity=quantity, target=goal, spans=spans)
    text = labels.word("seek_out", lever=lever, best=_estimate_text(best.get("estimate"), target),
                       at=x(best.get("at")), target=goal)  # fmt: skip
    if not manifest.get("direction"):
        text += labels.word("seek_no_effect")
    resource = manifest.get("binds_resource")
    if resource:
        text += labels.word("seek_binds", resource=resource_label(str(resource), labels))
        if manifest.get("binds_is_lever"):
            text += labels.word("seek_lever_binds", high=x(param.get("high")))
    elif manifest.get("binds") is not None:
        text += labels.word("seek_binds_nothing", high=x(param.get("high")))
    return text


def _values_table(seek: pd.DataFrame, manifest: dict[str, Any], labels: Labels) -> str:
    """Every lever value run: the estimate, its interval, and whether it meets the target."""
    param, target = manifest.get("param") or {}, manifest.get("target") or {}
    heads = [labels.word(k) for k in ("seek_value", "estimate", "ci", "seek_met")]
    rows = [
        [
            esc(lever_text(r["value"], param)),
            esc(_estimate_text(r["estimate"], target)),
            esc(f"{_estimate_text(r['ci_low'], target)} … {_estimate_text(r['ci_high'], target)}"),
            esc(labels.word("yes") if str(r.get("met")).lower() == "true" else ""),
        ]
        for r in seek.sort_values("value", kind="stable").to_dict("records")
    ]
    return table(heads, rows, left=1)


def _meta(manifest: dict[str, Any], labels: Labels) -> list[tuple[str, str]]:
    param, target = manifest.get("param") or {}, manifest.get("target") or {}
    return [
        (labels.word("scenario_file"), plain(manifest.get("scenario_file"))),
        (
            labels.word("seek_lever"),
            f"{param.get('path', '')} = {plain(param.get('low'))} … {plain(param.get('high'))}",
        ),
        (labels.word("seek_from"), plain(manifest.get("applied_from"))),
        (labels.word("seek_target_word"), plain(target.get("text"))),
        (labels.word("seed"), plain(manifest.get("seed"))),
        (labels.word("replications"), plain(manifest.get("replications"))),
        (labels.word("command"), command_text(manifest)),
    ]


def seek_report(folder: Path, labels_for: LabelsFor) -> Built:
    """Build the report of the goal seek in ``folder`` (``seek.csv``); it has no workbook."""
    manifest = read_manifest(folder)
    labels = labels_for("")
    seek = pd.read_csv(folder / "seek.csv")
    quantity = quantity_label(manifest.get("target") or {}, labels)
    chart = make_chart(
        "seek",
        labels.text("seek_title", quantity=quantity),
        labels.word("cap_seek"),
        lambda: seek_chart(seek, manifest, labels, quantity),
        labels,
    )
    charts = [chart] if chart is not None else []
    body = [
        heading(labels.word("seek_answer_heading")),
        f"<p>{esc(answer_text(manifest, labels))}</p>",
        f'<p class="note">{esc(labels.word("seek_method"))}</p>',
        heading(labels.word("charts")),
        *(figure(c) for c in charts),
        heading(labels.word("seek_values_heading")),
        _values_table(seek, manifest, labels),
    ]
    name = display_name(Path(str(manifest.get("scenario_file") or folder.name)).stem)
    title = labels.word("seek_page_title", name=name)
    return (
        page(labels, title, "", _meta(manifest, labels), "\n".join(body), analysis_version(manifest)),
        charts,
        None,
    )
