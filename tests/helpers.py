"""Helpers shared by the test files: scenario writers, a simulate wrapper and the console script.

Plain functions rather than fixtures: they take the folder to write into (usually the
test's ``tmp_path``) and return what they made. pytest puts ``tests/`` on ``sys.path``,
so a test file imports them with ``from helpers import ...``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

import investsim

INVESTSIM = Path(sys.executable).parent / "investsim"
"""The console script, beside the interpreter (CI activates a virtualenv: the same ``bin``)."""
LIBRARY = investsim.default_scenario_path().parent
"""The bundled scenario library (baseline.yaml and the scenarios that extend it)."""
PROJECTS_HEADER = "id,sector,total_investment,stage,progress\n"
"""The header of a projects CSV with the required columns only."""


# --------------------------------------------------------------------------------------
# scenarios written from Python data


def fixed(value: float) -> dict[str, Any]:
    """A fixed distribution: always ``value`` (months, money or a factor)."""
    return {"dist": "fixed", "value": value}


FIXED_SECTOR: dict[str, Any] = {"size": fixed(1), "construction": fixed(12)}
"""A sector whose projects cost 1 and build in 12 months, with no other stage."""


def base(**sectors: dict[str, Any]) -> dict[str, Any]:
    """A four-year scenario from 2020 named 't' with ``sectors`` (name=sector) only (no
    ``financing.sources``: own funds alone, unlimited, the default funding)."""
    return {"name": "t", "start_year": 2020, "horizon_years": 4, "sectors": sectors}


def sources(**limited: dict[str, Any]) -> dict[str, Any]:
    """``financing.sources`` with own funds declared unlimited and the ``limited`` sources
    (name=terms, e.g. ``bank={"supply": 10}``): every source a sector draws on is declared."""
    return {"own": "unlimited", **limited}


def write_scenario(
    folder: Path,
    data: dict[str, Any],
    projects: str | Sequence[str] | None = None,
    *,
    name: str = "scenario.yaml",
) -> Path:
    """Write ``data`` as the scenario ``folder/name``; returns its path.

    ``projects``, if given, becomes ``folder/projects.csv`` and the scenario's
    ``projects``: CSV text (the header line is added when the text has none) or a list
    of rows ``id,sector,total_investment,stage,progress``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    if projects is not None:
        if isinstance(projects, str):
            text = projects if projects.startswith(PROJECTS_HEADER) else PROJECTS_HEADER + projects
        else:
            text = PROJECTS_HEADER + "".join(f"{row}\n" for row in projects)
        (folder / "projects.csv").write_text(text, encoding="utf-8")
        data = {**data, "projects": "projects.csv"}
    path = folder / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def simulate_file(
    path: Path,
    replications: int = 1,
    seed: int = 0,
    *,
    overrides: Sequence[str] = (),
    project_log: bool = True,
    jobs: int = 1,
) -> investsim.Forecast:
    """Load the scenario ``path`` with ``overrides`` and simulate it (with the project log
    unless ``project_log=False``)."""
    scenario = investsim.load_scenario(path, list(overrides))
    return investsim.simulate(scenario, replications, seed, jobs=jobs, project_log=project_log)


# --------------------------------------------------------------------------------------
# the command line, run as a user runs it


def cli_env() -> dict[str, str]:
    """The caller's environment, minus anything that makes rich colour or animate its output."""
    env = dict(os.environ)
    for key in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "CLICOLOR_FORCE"):
        env.pop(key, None)
    env["NO_COLOR"] = "1"
    return env


def investsim_cmd(*args: str, module: bool = False) -> list[str]:
    """The command line that runs ``investsim ARGS`` (the console script, or ``python -m``)."""
    if module:
        return [sys.executable, "-m", "investsim", *args]
    return [str(INVESTSIM), *args]


def run_cli(
    *args: str, cwd: Path, module: bool = False, errors: str = "strict"
) -> subprocess.CompletedProcess[str]:
    """Run ``investsim ARGS`` in ``cwd`` and return the finished process (UTF-8 text output,
    decoded with ``errors``)."""
    return subprocess.run(
        investsim_cmd(*args, module=module),
        cwd=cwd,
        env=cli_env(),
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors=errors,
        timeout=300,
        check=False,
    )
