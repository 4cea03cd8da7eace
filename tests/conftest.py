"""Fixtures shared by the test files. Plain helper functions (scenario writers, the CLI
runner) are in ``helpers.py``; what is loaded once and shared read-only is here."""

from __future__ import annotations

import pytest

import investsim


@pytest.fixture(scope="session")
def baseline() -> investsim.Scenario:
    """The bundled Liaoyuan baseline, loaded once. A Scenario is immutable: a test that
    needs a variant derives one with ``baseline.with_overrides({...})``."""
    return investsim.load_scenario(investsim.default_scenario_path())
