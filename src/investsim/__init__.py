"""investsim: forecast a region's fixed-asset investment pipeline with a SimPy model.

The public API: :func:`load_scenario` (a validated scenario, with overrides),
:func:`simulate` (replications -> a :class:`Forecast` of tidy DataFrames).
"""

from importlib import metadata
from pathlib import Path

from investsim.errors import InputError, ScenarioError
from investsim.results.folders import set_report_writer
from investsim.results.forecast import Forecast
from investsim.runs.simulate import simulate
from investsim.scenario.config import Scenario, ScenarioConfig
from investsim.scenario.loading import default_scenario_path, load_scenario


def _write_report(folder: Path, lang: str) -> None:
    # matplotlib and the report code load only when a report is written
    from investsim.reporting.report import write_report

    write_report(folder, lang)


# results folders get their report from the reporting layer, which results never imports
set_report_writer(_write_report)

try:
    __version__ = metadata.version("investsim")
except metadata.PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0"

__all__ = [
    "Forecast",
    "InputError",
    "Scenario",
    "ScenarioConfig",
    "ScenarioError",
    "__version__",
    "default_scenario_path",
    "load_scenario",
    "simulate",
]
