"""Charts of the report: one function per chart, each taking DataFrames and returning a
matplotlib :class:`~matplotlib.figure.Figure`.

No pyplot: every figure is a plain ``Figure`` on an Agg canvas, so nothing is registered
in pyplot's global figure list and nothing needs closing; fonts and style are applied with
``matplotlib.rc_context`` (see :meth:`~investsim.reporting.labels.Labels.style`) around
building and saving only, so the caller's rcParams are left as they were.

The charts of a forecast are in :mod:`.run`, those of the analyses (compare, sweep,
sensitivity, calibrate) in :mod:`.analyses`, and what they share (size, colours, PNG bytes) in
:mod:`.base`; this package names them all.
"""

from investsim.reporting.charts.analyses import (
    difference_chart,
    explanation_chart,
    fit_chart,
    sweep_heatmap,
    sweep_line_chart,
    tornado_chart,
    waterfall_chart,
)
from investsim.reporting.charts.base import DPI, FIGSIZE, new_figure, png_bytes
from investsim.reporting.charts.run import (
    fan_chart,
    financing_gap_chart,
    growth_chart,
    in_flight_summary,
    monthly_chart,
    sector_chart,
    source_chart,
    stage_months,
    stage_months_chart,
    stages_chart,
    ytd_growth_chart,
)
from investsim.stages import STAGES

__all__ = [
    "DPI",
    "FIGSIZE",
    "STAGES",
    "difference_chart",
    "explanation_chart",
    "fan_chart",
    "financing_gap_chart",
    "fit_chart",
    "growth_chart",
    "in_flight_summary",
    "monthly_chart",
    "new_figure",
    "png_bytes",
    "sector_chart",
    "source_chart",
    "stage_months",
    "stage_months_chart",
    "stages_chart",
    "sweep_heatmap",
    "sweep_line_chart",
    "tornado_chart",
    "waterfall_chart",
    "ytd_growth_chart",
]
