"""investsim: forecast a region's fixed-asset investment pipeline with a SimPy model.

The public API: :func:`load_scenario` (a validated scenario, with overrides),
:func:`simulate` (replications -> a :class:`Forecast` of tidy DataFrames), and the
analyses, which take loaded objects and return results with tidy tables, ``.plot(...)``
and ``.save(folder)``: :func:`compare`, :func:`sweep`, :func:`sensitivity`,
:func:`calibrate`, :func:`seek`, :func:`bottlenecks`; and the in-year re-forecast,
:func:`reforecast` (a forecast given the year-to-date figures :func:`read_actuals` reads).
"""

from __future__ import annotations

import importlib
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from investsim.analyses.saving import set_plotter
from investsim.errors import InputError, ScenarioError
from investsim.results.actuals import Actuals, read_actuals
from investsim.results.folders import set_report_writer
from investsim.results.forecast import Forecast
from investsim.runs.simulate import simulate
from investsim.scenario.config import Scenario, ScenarioConfig
from investsim.scenario.loading import default_scenario_path, load_scenario


def bundled_scenarios() -> pd.DataFrame:
    """The scenarios shipped with investsim: one row each, with its ``name``, ``path``
    (load it with :func:`load_scenario`) and ``description``."""
    import pandas as pd

    from investsim.scenario.loading import bundled_scenario_list

    rows = bundled_scenario_list()
    return pd.DataFrame(rows, columns=["name", "path", "description"])


def _write_report(folder: Path, lang: str) -> None:
    # matplotlib and the report code load only when a report is written
    from investsim.reporting.report import write_report

    write_report(folder, lang)


def _plot(kind: str, tables: Any, manifest: Any, lang: str, **options: Any) -> Any:
    # matplotlib loads only when a chart is drawn
    from investsim.reporting.plots import plot

    return plot(kind, tables, manifest, lang, **options)


# results folders get their report, and analyses their charts, from the reporting layer,
# which results and analyses never import
set_report_writer(_write_report)
set_plotter(_plot)

# the analyses load when first used (SALib and scipy.stats are slow to import), so that
# ``import investsim`` stays fast
_LAZY = {
    "compare": "investsim.analyses.compare",
    "sweep": "investsim.analyses.sweep",
    "sensitivity": "investsim.analyses.sensitivity",
    "calibrate": "investsim.analyses.calibrate",
    "seek": "investsim.analyses.seek",
    "bottlenecks": "investsim.analyses.bottlenecks",
    "reforecast": "investsim.analyses.reforecast",
}

if TYPE_CHECKING:
    import pandas as pd

    from investsim.analyses.bottlenecks import bottlenecks
    from investsim.analyses.calibrate import calibrate
    from investsim.analyses.compare import compare
    from investsim.analyses.reforecast import reforecast
    from investsim.analyses.seek import seek
    from investsim.analyses.sensitivity import sensitivity
    from investsim.analyses.sweep import sweep


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'investsim' has no attribute {name!r}")


try:
    __version__ = metadata.version("investsim")
except metadata.PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0"

__all__ = [
    "Actuals",
    "Forecast",
    "InputError",
    "Scenario",
    "ScenarioConfig",
    "ScenarioError",
    "__version__",
    "bottlenecks",
    "bundled_scenarios",
    "calibrate",
    "compare",
    "default_scenario_path",
    "load_scenario",
    "read_actuals",
    "reforecast",
    "seek",
    "sensitivity",
    "simulate",
    "sweep",
]
