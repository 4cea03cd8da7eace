"""The end-of-replication self-checks (``investsim.checks.self_check``) can fail.

A tiny replication is run with ``_self_check`` wrapped so that its arguments are
captured; the untampered arguments must pass, and copies tampered with one violation
each (stage times out of order, completed and cancelled, cancelled in a stage never
entered, a resource below zero, money not conserved, construction over but not
completed) must raise :class:`ModelCheckError`. End to end, a bug injected into a model
internal must make ``simulate_replication`` fail with a message that names the
replication and the seed and says how to reproduce it.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from helpers import write_scenario
from investsim.errors import ModelCheckError
from investsim.model import checks, pipeline, resources, spending
from investsim.model.pipeline import simulate_replication
from investsim.scenario.config import Scenario
from investsim.scenario.loading import load_scenario
from investsim.stages import STAGES, Stage

SEED = 7
REPLICATION = 2

SCENARIO: dict[str, Any] = {
    "name": "selfcheck",
    "start_year": 2020,
    "horizon_years": 3,
    "warmup_years": 1,
    "key_project_threshold": 1.5,
    "sectors": {
        "industry": {
            "arrivals": {"rate": 40, "growth": 0.05},
            "size": {"dist": "lognormal", "median": 1.0, "p90": 3.0},
            "approval": {"dist": "lognormal", "median": 4, "p90": 8},
            "land": {"dist": "gamma", "mean": 3, "cv": 0.5},
            "construction": {"dist": "gamma", "mean": 10, "cv": 0.3},
            "overrun": {"dist": "lognormal", "median": 1.05, "p90": 1.3},
            "cancel": {"approval": 0.2, "land": 0.1, "financing": 0.1},
            "funding": {"own": 0.7, "bank": 0.3},
            "spending": "s_curve",
        },
    },
    "resources": {
        "approval_capacity": 8,
        "service_secretaries": 3,
        "secretary_effect": 0.8,
        "land_cost_share": 0.1,
        "land_budget": 10,
    },
    "financing": {"max_wait": 12, "sources": {"own": "unlimited", "bank": {"supply": 10}}},
}

IN_FLIGHT = """id,sector,total_investment,stage,progress
F1,industry,2.0,approval,0.5
F2,industry,3.0,land,0.3
F3,industry,1.0,financing,0.0
F4,industry,4.0,construction,0.6
F5,industry,1.0,completed,1.0
"""

Captured = tuple[Any, dict[str, np.ndarray], np.ndarray]


@pytest.fixture
def scenario(tmp_path: Path) -> Scenario:
    return load_scenario(write_scenario(tmp_path, SCENARIO, IN_FLIGHT))


@pytest.fixture
def captured(scenario: Scenario, monkeypatch: pytest.MonkeyPatch) -> Captured:
    """The arguments ``(pipe, col, spent)`` of ``_self_check`` in one replication."""
    calls: list[Captured] = []
    original = checks.self_check

    def recording(pipe: Any, col: dict[str, np.ndarray], spent: np.ndarray) -> None:
        # copies: the caller goes on using col after the check
        # the pipeline lets go of its projects after the replication: keep a copy
        calls.append((copy.copy(pipe), {k: v.copy() for k, v in col.items()}, spent.copy()))
        original(pipe, col, spent)

    monkeypatch.setattr(checks, "self_check", recording)
    simulate_replication(scenario, SEED, REPLICATION)
    assert len(calls) == 1
    return calls[0]


def _copies(c: Captured) -> Captured:
    """Copies of the captured arguments that can be tampered with freely: the pipeline
    (shallow) with its own list of copied projects and its own approval pool."""
    pipe, col, spent = c
    pipe2 = copy.copy(pipe)
    projects = []
    for p in pipe.projects:
        projects.append(copy.copy(p))
    pipe2.projects = projects
    pipe2.approval = copy.copy(pipe.approval)
    # the pipeline checks its levers through its list of them: the copy gets its own
    pipe2.levers = [pipe2.approval if lever is pipe.approval else lever for lever in pipe.levers]
    return pipe2, {k: v.copy() for k, v in col.items()}, spent.copy()


def _first(mask: np.ndarray, what: str) -> int:
    rows = np.flatnonzero(mask)
    assert len(rows), f"the test scenario has no project that {what}"
    return int(rows[0])


def _check(c: Captured, match: str) -> None:
    with pytest.raises(ModelCheckError, match=match):
        checks.self_check(*c)


def test_untampered_arguments_pass(captured: Captured) -> None:
    pipe, col, spent = captured
    # the scenario exercises what the tampering below needs
    assert len(pipe.projects) > 50
    assert np.any(~np.isnan(col["completed"]))
    assert set(col["cancelled_in"].tolist()) >= {STAGES.index(s) for s in ("approval", "land", "financing")}
    checks.self_check(*_copies(captured))
    checks.self_check(pipe, col, spent)


def test_stage_times_out_of_order(captured: Captured) -> None:
    pipe, col, spent = _copies(captured)
    k = _first(~np.isnan(col["approval_end"]) & ~np.isnan(col["approval_start"]), "finished approval")
    col["approval_end"][k] = col["approval_start"][k] - 0.1
    _check(
        (pipe, col, spent), rf"project {pipe.projects[k].name}: approval_end at .* before an earlier stage"
    )


def test_construction_start_before_financing_end(captured: Captured) -> None:
    pipe, col, spent = _copies(captured)
    k = _first(~np.isnan(col["construction_start"]) & ~np.isnan(col["financing_end"]), "started construction")
    col["construction_start"][k] = col["financing_end"][k] - 0.05
    _check((pipe, col, spent), "construction_start at .* before an earlier stage")


def test_project_both_completed_and_cancelled(captured: Captured) -> None:
    pipe, col, spent = _copies(captured)
    k = _first(~np.isnan(col["completed"]), "completed")
    col["cancelled_in"][k] = STAGES.index("financing")
    col["cancelled_at"][k] = col["completed"][k]
    _check((pipe, col, spent), "1 projects both completed and cancelled")


def test_cancelled_in_a_stage_it_never_entered(captured: Captured) -> None:
    pipe, col, spent = _copies(captured)
    still_in_approval = (
        ~np.isnan(col["entered_approval"]) & np.isnan(col["entered_land"]) & (col["cancelled_in"] < 0)
    )
    k = _first(still_in_approval, "is still in approval at the horizon")
    col["cancelled_in"][k] = STAGES.index("land")
    _check(
        (pipe, col, spent), rf"project {pipe.projects[k].name}: cancelled in land but last entered approval"
    )


def test_cancelled_in_an_earlier_stage_than_it_reached(captured: Captured) -> None:
    pipe, col, spent = _copies(captured)
    k = _first(col["cancelled_in"] == STAGES.index("financing"), "was cancelled in financing")
    col["cancelled_in"][k] = STAGES.index("approval")
    _check((pipe, col, spent), "cancelled in approval but last entered financing")


def test_approval_places_in_use_below_zero(captured: Captured) -> None:
    pipe, col, spent = _copies(captured)
    pipe.approval.in_use = -1
    _check((pipe, col, spent), r"approval places in use went negative \(-1\)")


@pytest.mark.parametrize("factor", [1.01, 0.5, 0.0])
def test_money_not_conserved(captured: Captured, factor: float) -> None:
    pipe, col, spent = _copies(captured)
    k = _first(spent.sum(axis=1) > 0.01, "spent money")
    spent[k] *= factor
    _check((pipe, col, spent), rf"project {pipe.projects[k].name}: spent .* by the horizon, owes")


def test_money_moved_between_projects(captured: Captured) -> None:
    # totals conserved, but one project's money booked to another
    pipe, col, spent = _copies(captured)
    rows = np.flatnonzero(spent.sum(axis=1) > 0.01)
    a, b = int(rows[0]), int(rows[1])
    moved = 0.1 * spent[a]
    spent[a] -= moved
    spent[b] += moved
    _check((pipe, col, spent), rf"project {pipe.projects[a].name}: spent")


def test_past_its_construction_time_but_not_completed(captured: Captured) -> None:
    pipe, col, spent = _copies(captured)
    horizon = pipe.cfg.horizon_years
    durations = col["construction"]
    k = _first((col["completed"] < horizon - 0.01) & (durations > 0), "completed a non-zero construction")
    col["completed"][k] = math.nan
    _check(
        (pipe, col, spent), rf"project {pipe.projects[k].name}: finished before the horizon but not completed"
    )


def _expect_reproducible_failure(scenario: Scenario, match: str) -> None:
    with pytest.raises(ModelCheckError) as info:
        simulate_replication(scenario, SEED, REPLICATION)
    message = str(info.value)
    assert f"replication {REPLICATION} with seed {SEED}" in message
    assert "'selfcheck'" in message
    assert f"--seed {SEED} -n {REPLICATION + 1} --jobs 1` reproduces it" in message
    assert "this is a bug in investsim" in message
    assert re.search(match, message), message


def test_lost_spending_fails_the_replication(scenario: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    original = spending.yearly_spending

    def lossy(*args: Any, **kwargs: Any) -> np.ndarray:
        return 0.99 * original(*args, **kwargs)

    monkeypatch.setattr(spending, "yearly_spending", lossy)
    _expect_reproducible_failure(scenario, r"spent .* by the horizon, owes")


def test_wrong_cancellation_stage_fails_the_replication(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    original: Callable[..., None] = pipeline.Pipeline._cancel

    def mislabelled(self: Any, p: Any, stage: int) -> None:
        original(self, p, Stage.LAND if stage == Stage.APPROVAL else stage)

    monkeypatch.setattr(pipeline.Pipeline, "_cancel", mislabelled)
    _expect_reproducible_failure(scenario, "cancelled in land but last entered approval")


def test_double_release_of_an_approval_place_fails_the_replication(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = resources.StageCapacity.release

    def twice(self: Any) -> None:
        self.in_use -= 1  # every place is given back twice
        original(self)

    monkeypatch.setattr(resources.StageCapacity, "release", twice)
    _expect_reproducible_failure(scenario, "approval places in use went negative")


def test_the_same_replication_passes_without_the_bug(scenario: Scenario) -> None:
    result = simulate_replication(scenario, SEED, REPLICATION)
    assert result.replication == REPLICATION
    assert result.investment_by_sector.sum() > 0
