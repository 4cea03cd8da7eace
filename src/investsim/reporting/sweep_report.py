"""The report of a sweep folder (``investsim sweep``): for every metric, a line chart (one
grid) or a heat map (two or more grids) of its mean; and the grid points ranked by the
first metric, with the others' means beside it. Growth is shown as percentages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from investsim.reporting.built import Built, Chart, LabelsFor, make_chart
from investsim.reporting.charts import sweep_heatmap, sweep_line_chart
from investsim.reporting.charts.analyses import metric_text
from investsim.reporting.html import display_name, esc, figure, heading, page, plain, table
from investsim.reporting.labels import Labels, metric_label
from investsim.reporting.manifest import analysis_version, command_text, read_manifest


def _sweep_chart(
    sweep: pd.DataFrame, params: list[str], metric: str, labels: Labels, name: str
) -> Chart | None:
    """The line chart over the one grid, or the heat map of the first two grids, of
    ``metric``, as the chart file ``name``."""
    shown = metric_label(labels, metric)
    if len(params) == 1:
        return make_chart(
            name,
            labels.text("sweep_title", metric=shown),
            labels.word("cap_sweep_line", metric=shown),
            lambda: sweep_line_chart(sweep, params[0], metric, labels),
            labels,
        )
    caption = labels.word("cap_heatmap", metric=shown)
    if len(params) > 2:
        caption += labels.word("cap_heatmap_more", others=", ".join(params[2:]))
    return make_chart(
        name,
        labels.text("heatmap_title", metric=shown),
        caption,
        lambda: sweep_heatmap(sweep, params[1], params[0], metric, labels),
        labels,
    )


def _ranked_table(sweep: pd.DataFrame, params: list[str], metrics: list[str], labels: Labels) -> str:
    """The grid points, highest mean of the first metric first, with its interval and
    quantiles, then the mean of every other metric."""
    metric, others = metrics[0], metrics[1:]
    ranked = sweep.sort_values(f"{metric}_mean", ascending=False, kind="stable")
    heads = [labels.word("rank"), *params, labels.word("mean"), labels.word("ci"), "P10", "P50", "P90"]
    heads += [f"{metric_label(labels, m)}: {labels.word('mean')}" for m in others]

    def shown(m: str, v: Any) -> str:
        return metric_text(m, float(v)) if v is not None else ""

    rows = []
    for k, r in enumerate(ranked.to_dict("records"), start=1):
        ci = ""
        if f"{metric}_ci_low" in r:
            ci = f"{shown(metric, r[f'{metric}_ci_low'])} … {shown(metric, r[f'{metric}_ci_high'])}"
        rows.append(
            [
                str(k),
                *(esc(plain(r[p])) for p in params),
                shown(metric, r[f"{metric}_mean"]),
                ci,
                *(shown(metric, r.get(f"{metric}_{q}")) for q in ("p10", "p50", "p90")),
                *(shown(m, r.get(f"{m}_mean")) for m in others),
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
    metrics = [m for m in metrics if f"{m}_mean" in sweep.columns]
    made = (
        _sweep_chart(sweep, params, m, labels, "sweep" if i == 1 else f"sweep_{i}")
        for i, m in enumerate(metrics, start=1)
    )
    charts = [c for c in made if c is not None]
    body = [
        heading(labels.word("charts")),
        *(figure(c) for c in charts),
        heading(labels.word("ranked_points", metric=metric_label(labels, metrics[0]))),
        _ranked_table(sweep, params, metrics, labels),
    ]
    name = Path(str(manifest.get("scenario_file") or folder.name)).stem
    meta = _sweep_meta(manifest, sweep, params, metrics, labels)
    title = labels.word("sweep_title", name=display_name(name))
    return page(labels, title, "", meta, "\n".join(body), analysis_version(manifest)), charts, None
