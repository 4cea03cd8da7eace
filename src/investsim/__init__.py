"""investsim: forecast a region's fixed-asset investment pipeline with a SimPy model.

The public API: :func:`load_scenario` (a validated scenario, with overrides),
:func:`simulate` (replications -> a :class:`Forecast` of tidy DataFrames).
"""

from importlib import metadata

from investsim.api import simulate
from investsim.errors import InputError, ScenarioError
from investsim.loading import default_scenario_path, load_scenario
from investsim.results import Forecast
from investsim.scenario import Scenario, ScenarioConfig

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
