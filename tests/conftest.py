"""Fixtures shared by the test files. Plain helper functions (scenario writers, the CLI
runner) are in ``helpers.py``; what is loaded once and shared read-only is here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import investsim


@pytest.fixture(scope="session")
def baseline() -> investsim.Scenario:
    """The bundled Liaoyuan baseline, loaded once. A Scenario is immutable: a test that
    needs a variant derives one with ``baseline.with_overrides({...})``."""
    return investsim.load_scenario(investsim.default_scenario_path())


@pytest.fixture(scope="session")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One results folder of each kind, each with its report, made once (``reportkit``)."""
    from reportkit import make_folders

    return make_folders(tmp_path_factory)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium (the system's), shared by the report tests."""
    from reportkit import open_chromium

    yield from open_chromium()
