"""The report of a sweep folder (``investsim sweep``): a line chart (one grid) or a heat
map (two or more grids) of the first metric's mean, and the grid points ranked by it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from investsim.reporting.built import Built, Chart, LabelsFor, make_chart
from investsim.reporting.charts import sweep_heatmap, sweep_line_chart
from investsim.reporting.html import esc, figure, heading, num, page, plain, table
from investsim.reporting.labels import Labels, metric_label
from investsim.reporting.manifest import analysis_version, command_text, read_manifest


def _sweep_chart(sweep: pd.DataFrame, params: list[str], metric: str, labels: Labels) -> Chart | None:
    """The line chart over the one grid, or the heat map of the first two grids."""
    metric_text = metric_label(labels, metric)
    if len(params) == 1:
        return make_chart(
            "sweep",
            labels.text("sweep_title", metric=metric_text),
            labels.word("cap_sweep_line", metric=metric_text),
            lambda: sweep_line_chart(sweep, params[0], metric, labels),
            labels,
        )
    caption = labels.word("cap_heatmap", metric=metric_text)
    if len(params) > 2:
        caption += labels.word("cap_heatmap_more", others=", ".join(params[2:]))
    return make_chart(
        "sweep",
        labels.text("heatmap_title", metric=metric_text),
        caption,
        lambda: sweep_heatmap(sweep, params[1], params[0], metric, labels),
        labels,
    )


def _ranked_table(sweep: pd.DataFrame, params: list[str], metric: str, labels: Labels) -> str:
    """The grid points, highest mean of ``metric`` first, with its interval and quantiles."""
    ranked = sweep.sort_values(f"{metric}_mean", ascending=False, kind="stable")
    heads = [labels.word("rank"), *params, labels.word("mean"), labels.word("ci"), "P10", "P50", "P90"]
    rows = []
    for k, r in enumerate(ranked.to_dict("records"), start=1):
        ci = ""
        if f"{metric}_ci_low" in r:
            ci = f"{num(r[f'{metric}_ci_low'])} … {num(r[f'{metric}_ci_high'])}"
        rows.append(
            [
                str(k),
                *(esc(plain(r[p])) for p in params),
                num(r[f"{metric}_mean"]),
                ci,
                *(num(r.get(f"{metric}_{q}")) for q in ("p10", "p50", "p90")),
            ]
        )
    return table(heads, rows, left=1)


def _sweep_meta(
    manifest: dict[str, Any], sweep: pd.DataFrame, params: list[str], metrics: list[str], labels: Labels
) -> list[tuple[str, str]]:
    grid = manifest.get("grid") or {p: sorted(set(sweep[p])) for p in params}
    return [
        (labels.word("scenario_file"), plain(manifest.get("scenario_file"))),
        (labels.word("grid"), "; ".join(f"{k} = {', '.join(map(plain, v))}" for k, v in grid.items())),
        (labels.word("points"), str(len(sweep))),
        (labels.word("metric"), ", ".join(metrics)),
        (labels.word("seed"), plain(manifest.get("seed"))),
        (labels.word("replications"), plain(manifest.get("replications"))),
        (labels.word("command"), command_text(manifest)),
    ]


def sweep_report(folder: Path, labels_for: LabelsFor) -> Built:
    """Build the report of the sweep in ``folder`` (``sweep.csv``); it has no workbook."""
    manifest = read_manifest(folder)
    labels = labels_for("")
    sweep = pd.read_csv(folder / "sweep.csv")
    cols = list(sweep.columns)
    params = (
        cols[: cols.index("replications")] if "replications" in cols else list(manifest.get("grid") or {})
    )
    metrics = list(manifest.get("metrics") or [c[: -len("_mean")] for c in cols if c.endswith("_mean")])
    metric = metrics[0]
    chart = _sweep_chart(sweep, params, metric, labels)
    charts = [chart] if chart is not None else []
    body = [
        heading(labels.word("charts")),
        *(figure(c) for c in charts),
        heading(labels.word("ranked_points", metric=metric_label(labels, metric))),
        _ranked_table(sweep, params, metric, labels),
    ]
    name = Path(str(manifest.get("scenario_file") or folder.name)).stem
    meta = _sweep_meta(manifest, sweep, params, metrics, labels)
    title = labels.word("sweep_title", name=name)
    return page(labels, title, "", meta, "\n".join(body), analysis_version(manifest)), charts, None
