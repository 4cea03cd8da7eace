"""A saved run read back: the results folder of ``investsim run`` or ``Forecast.save`` as
a :class:`~investsim.results.forecast.Forecast`.

The replications come from ``replications.parquet`` (exact; ``replications.csv`` has ten
significant digits, and is read only for folders written before the Parquet copy
existed). The scenario is rebuilt from the manifest's ``resolved_scenario`` by the
scenario layer and must be the one that was run: its sha256 is checked against the
manifest's. A projects register that has moved or changed since the run cannot rebuild
it, so loading then asks for the scenario, loaded by the caller and checked the same way.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from pydantic import BaseModel

from investsim import columns
from investsim.errors import InputError
from investsim.scenario.config import RegisterFile, Scenario
from investsim.scenario.loading import scenario_from_data, scenario_sha256

if TYPE_CHECKING:
    from investsim.results.forecast import Forecast

PARTIAL = ".partial-"
"""In the name of a folder being written (see ``results.folders.atomic_folder``)."""


def _manifest(path: Path) -> dict[str, Any]:
    """The manifest of the folder ``path``; clear errors for a folder that is not a
    finished results folder."""
    if not path.is_dir():
        raise InputError("is not a folder", file=str(path))
    manifest_file = path / "manifest.json"
    if not manifest_file.is_file():
        if PARTIAL in path.name or any((path / n).exists() for n in ("replications.csv", "annual.csv")):
            raise InputError(
                "is an unfinished results folder: manifest.json, written last, is missing (the run "
                "was stopped while writing, or the folder was changed since); run it again",
                file=str(path),
            )
        raise InputError("is not a results folder (no manifest.json)", file=str(path))
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"manifest.json cannot be read ({e})", file=str(path)) from None
    if not isinstance(manifest, dict):
        raise InputError("manifest.json is not a JSON object", file=str(path))
    if "resolved_scenario" not in manifest or not (path / "replications.csv").is_file():
        raise InputError(
            "is not a run's results folder (no replications.csv and resolved scenario): "
            "Forecast.load reads what investsim run or Forecast.save writes",
            file=str(path),
        )
    return manifest


def _was_run(scenario: Scenario, data: Any, recorded: str) -> bool:
    """Whether ``scenario`` is the one run (sha256 ``recorded``), wherever its projects
    register now lies: its configuration with the register's path as recorded, and its
    projects in flight, hash to the manifest's sha256."""
    register = data.get("projects") if isinstance(data, dict) else None
    if isinstance(register, dict):  # {file, sheet}: as the configuration holds it
        register = RegisterFile.model_validate(register)
    # only for hashing: the path the run read, in place of where the register lies now
    # (pydantic's own copy: the scenario's refuses unchecked updates)
    recorded_path = BaseModel.model_copy(scenario.config, update={"projects": register})
    return scenario_sha256(dataclasses.replace(scenario, config=recorded_path)) == recorded


def _scenario(path: Path, manifest: dict[str, Any], given: Scenario | None) -> Scenario:
    """The scenario that was run: ``given`` if it is that one, else rebuilt from the
    manifest."""
    recorded = manifest.get("scenario_sha256")
    if given is not None:
        if not isinstance(given, Scenario):
            raise TypeError(
                f"scenario must be a Scenario from investsim.load_scenario, got {type(given).__name__}"
            )
        if recorded is not None and not _was_run(given, manifest["resolved_scenario"], recorded):
            raise InputError(
                "the scenario given is not the one this folder was run with (its sha256 differs from "
                "the manifest's scenario_sha256)",
                file=str(path),
            )
        return given
    data = manifest["resolved_scenario"]
    how = "pass the scenario it was run with: Forecast.load(folder, scenario=investsim.load_scenario(...))"
    register = data.get("projects") if isinstance(data, dict) else None
    if isinstance(register, dict):  # {file: ..., sheet: ...}
        register = register.get("file")
    if isinstance(register, str) and not Path(register).is_file():
        raise InputError(
            f"the projects register the run read, {register}, is no longer there: {how}", file=str(path)
        )
    source = str(manifest.get("scenario_file") or path / "manifest.json")
    scenario = scenario_from_data(data, source)
    if recorded is not None and scenario_sha256(scenario) != recorded:
        raise InputError(
            f"the scenario rebuilt from the manifest is not the one that was run (the projects register "
            f"{register} has changed since?): {how}",
            file=str(path),
        )
    return scenario


def _from_csv(path: Path) -> pd.DataFrame:
    """``replications.csv`` with each column's type as a run makes it (the registry's)."""
    table = pd.read_csv(path)
    for name in table.columns:
        found = columns.find(name)
        if name not in ("replication", "year") and found is not None and not found[0].integer:
            table[name] = table[name].astype(float)
    return table


def load_forecast(folder: str | Path, scenario: Scenario | None = None) -> Forecast:
    """The run saved in ``folder`` (see the module docstring)."""
    from investsim.results.forecast import Forecast

    if not isinstance(folder, (str, Path)):
        raise TypeError(f"folder must be a results folder's path (str or Path), got {type(folder).__name__}")
    path = Path(folder)
    manifest = _manifest(path)
    run = _scenario(path, manifest, scenario)
    exact = path / "replications.parquet"
    replications = pd.read_parquet(exact) if exact.is_file() else _from_csv(path / "replications.csv")
    log = path / "projects.parquet"
    projects = pd.read_parquet(log) if log.is_file() else None
    months = path / "monthly.parquet"  # the per-replication months (runs made before months: none)
    monthly = pd.read_parquet(months) if months.is_file() else None
    return Forecast(run, replications, projects, manifest, monthly)
