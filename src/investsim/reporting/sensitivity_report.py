"""The report of a sensitivity folder (``investsim sensitivity``): a tornado chart of the
parameters' Morris or Sobol indices, and their ranking."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from investsim.reporting.built import Built, LabelsFor, make_chart
from investsim.reporting.charts import tornado_chart
from investsim.reporting.html import display_name, esc, figure, heading, num, page, plain, table
from investsim.reporting.labels import Labels, metric_label
from investsim.reporting.manifest import analysis_version, command_text, read_manifest

MORRIS_STATS = ("mu_star", "mu_star_conf", "sigma", "sigma_conf", "mu")
SOBOL_STATS = ("S1", "S1_conf", "ST", "ST_conf")


def _ranking(data: pd.DataFrame, morris: bool, labels: Labels) -> str:
    """The parameters in rank order, with their range and the method's statistics."""
    stats = [s for s in (MORRIS_STATS if morris else SOBOL_STATS) if s in data.columns]
    heads = [labels.word("rank"), labels.word("parameter"), labels.word("range"), *stats]
    rows = [
        [
            esc(r.get("rank", "")),
            esc(r["parameter"]),
            f"{plain(r.get('low'))} – {plain(r.get('high'))}",
            *(num(r[s], 3 if not morris else 1) for s in stats),
        ]
        for r in data.to_dict("records")
    ]
    return table(heads, rows, left=2)


def _sensitivity_meta(
    manifest: dict[str, Any], metric: str, morris: bool, labels: Labels
) -> list[tuple[str, str]]:
    return [
        (labels.word("scenario_file"), plain(manifest.get("scenario_file"))),
        (labels.word("method"), plain(manifest.get("method") or ("morris" if morris else "sobol"))),
        (labels.word("metric"), metric),
        (labels.word("samples"), plain(manifest.get("samples"))),
        (labels.word("parameter_sets"), plain(manifest.get("parameter_sets"))),
        (labels.word("per_set"), plain(manifest.get("replications_per_set"))),
        (labels.word("seed"), plain(manifest.get("seed"))),
        (labels.word("command"), command_text(manifest)),
    ]


def sensitivity_report(folder: Path, labels_for: LabelsFor) -> Built:
    """Build the report of the sensitivity analysis in ``folder`` (``sensitivity.csv``);
    it has no workbook."""
    manifest = read_manifest(folder)
    labels = labels_for("")
    data = pd.read_csv(folder / "sensitivity.csv")
    morris = "mu_star" in data.columns
    metric = str(manifest.get("metric") or "cumulative_investment")
    method = labels.text("morris") if morris else labels.text("sobol")
    chart = make_chart(
        "tornado",
        labels.text("tornado_title", metric=metric_label(labels, metric), method=method),
        labels.word("cap_tornado_morris" if morris else "cap_tornado_sobol"),
        lambda: tornado_chart(data, labels, metric),
        labels,
    )
    charts = [chart] if chart is not None else []
    body = [
        heading(labels.word("charts")),
        *(figure(c) for c in charts),
        heading(labels.word("ranking")),
        _ranking(data, morris, labels),
    ]
    name = Path(str(manifest.get("scenario_file") or folder.name)).stem
    meta = _sensitivity_meta(manifest, metric, morris, labels)
    title = labels.word("sensitivity_title", name=display_name(name))
    return page(labels, title, "", meta, "\n".join(body), analysis_version(manifest)), charts, None
