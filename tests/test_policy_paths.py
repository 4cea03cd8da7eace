"""Policies addressed by name (issue 14): ``policies.NAME.set.KEY=VALUE`` and
``policies.NAME.from=YYYY[-MM]`` in ``--set``, ``--grid``, ``--param`` and
``Scenario.with_overrides``, with the policies' configurations derived again."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
import yaml

import investsim
from helpers import FIXED_SECTOR, LIBRARY, base, run_cli, sources, write_scenario
from investsim.analyses.calibrate import calibrated_yaml
from investsim.analyses.params import Param, apply_from, check_param, from_text, parse_from
from investsim.analyses.sensitivity import plan_sensitivity
from investsim.analyses.sweep import plan_sweep, run_sweep
from investsim.errors import InputError, ScenarioError
from investsim.scenario.loading import scenario_sha256

BANK = "policies.credit.set.financing.sources.bank.supply"


def _data(*policies: dict[str, Any]) -> dict[str, Any]:
    """2020-2023, sector 'a' half on a bank of 10 a year; ``policies`` (default: 'credit'
    raising the bank's supply to 20 from 2022, 'reform' limiting approvals from 2021)."""
    sector = {**FIXED_SECTOR, "arrivals": {"rate": 30}, "funding": {"own": 0.5, "bank": 0.5}}
    data = base(a=sector) | {"financing": {"sources": sources(bank={"supply": 10})}}
    data["policies"] = list(policies) or [
        {"name": "credit", "from": 2022, "set": {"financing.sources.bank.supply": 20}},
        {"name": "reform", "from": 2021, "set": {"resources.approval_capacity": 5}},
    ]
    return data


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    return write_scenario(tmp_path, _data())


def _bank(scenario: investsim.Scenario) -> dict[str, float]:
    """The bank's supply in force after each policy, by policy name."""
    return {ch.name: ch.config.financing.constrained["bank"].supply for ch in scenario.changes}


# --------------------------------------------------------------------------------------
# setting a policy's keys


def test_a_key_a_policy_sets_is_changed_and_its_configuration_derived_again(scenario_file: Path) -> None:
    scenario = investsim.load_scenario(scenario_file)
    changed = scenario.with_overrides({BANK: 40})
    assert _bank(scenario) == {"reform": 10, "credit": 20}
    assert _bank(changed) == {"reform": 10, "credit": 40}
    assert changed.config.policies[0].set == {"financing.sources.bank.supply": 40}
    # the same as --set, to the hash
    by_set = investsim.load_scenario(scenario_file, [f"{BANK}=40"])
    assert scenario_sha256(by_set) == scenario_sha256(changed)
    assert _bank(by_set) == _bank(changed)


def test_the_date_of_one_policy_or_every_policy(scenario_file: Path) -> None:
    scenario = investsim.load_scenario(scenario_file)
    one = scenario.with_overrides({"policies.credit.from": "2021-07"})
    assert [(ch.name, ch.start) for ch in one.changes] == [("reform", "2021"), ("credit", "2021-07")]
    every = scenario.with_overrides({"policies.*.from": 2023})
    assert {ch.start for ch in every.changes} == {"2023"}


def test_a_key_inside_a_section_the_policy_sets_or_a_new_key(tmp_path: Path) -> None:
    section = {
        "name": "credit",
        "from": 2022,
        "set": {"financing.sources.bank": {"supply": 20, "growth": 0.1}},
    }
    scenario = investsim.load_scenario(write_scenario(tmp_path, _data(section)))
    inside = scenario.with_overrides({BANK: 40})
    [change] = inside.changes
    assert change.config.financing.constrained["bank"].supply == 40
    assert change.config.financing.constrained["bank"].growth == 0.1  # the rest of the section stays
    added = scenario.with_overrides({"policies.credit.set.financing.max_wait": 6})
    assert added.changes[0].config.financing.max_wait == 6
    assert added.config.financing.max_wait is None
    assert added.changes[0].paths == ("financing.sources.bank", "financing.max_wait")


def test_a_whole_policy_and_a_name_with_dots(tmp_path: Path) -> None:
    dotted = {"name": "plan v1.2", "from": 2022, "set": {"financing.sources.bank.supply": 20}}
    short = {"name": "plan v1", "from": 2021, "set": {"resources.approval_capacity": 5}}
    scenario = investsim.load_scenario(write_scenario(tmp_path, _data(short, dotted)))
    # the longest name that fits is the one meant
    changed = scenario.with_overrides({"policies.plan v1.2.set.financing.sources.bank.supply": 30})
    assert _bank(changed) == {"plan v1": 10, "plan v1.2": 30}
    replaced = scenario.with_overrides(
        {"policies.plan v1": {"name": "plan v1", "from": 2023, "set": {"resources.approval_capacity": 9}}}
    )
    assert [(ch.name, ch.start) for ch in replaced.changes] == [("plan v1.2", "2022"), ("plan v1", "2023")]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            "policies.x.set.resources.approval_capacity",
            "no policy named 'x'; the scenario has 'credit', 'reform'",
        ),
        (
            "policies.0.set.financing.sources.bank.supply",
            "no policy named '0'; the scenario has 'credit', 'reform': a policy is addressed by its name, "
            "not its position (policies.NAME.set.KEY=VALUE)",
        ),
        ("policies.cred.from", "no policy named 'cred'; the scenario has 'credit', 'reform'"),
    ],
)
def test_an_unknown_policy_is_refused_with_the_names_there_are(
    scenario_file: Path, path: str, message: str
) -> None:
    with pytest.raises(ScenarioError) as info:
        investsim.load_scenario(scenario_file, [f"{path}=3"])
    assert (info.value.file, info.value.path, info.value.message) == ("--set", path, message)
    scenario = investsim.load_scenario(scenario_file)
    with pytest.raises(ScenarioError) as api:
        scenario.with_overrides({path: 3})
    assert (api.value.file, api.value.message) == (scenario.source, message)


def test_a_scenario_without_policies_says_so(tmp_path: Path) -> None:
    data = _data()
    del data["policies"]
    with pytest.raises(
        ScenarioError, match=r"^--set: policies\.x\.from: no policy named 'x'; the scenario has no policies$"
    ):
        investsim.load_scenario(write_scenario(tmp_path, data), ["policies.x.from=2022"])


def test_a_bad_value_set_in_a_policy_is_blamed_on_set(scenario_file: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        investsim.load_scenario(scenario_file, [f"{BANK}=-5"])
    assert str(info.value) == (
        "--set: policies[0] 'credit': financing.sources.bank.supply: Input should be greater than or "
        "equal to 0 (got -5)"
    )


def test_policy_names_are_unique(tmp_path: Path) -> None:
    twice = {"name": "credit", "from": 2023, "set": {"financing.sources.bank.supply": 30}}
    data = _data()
    data["policies"].append(twice)
    path = write_scenario(tmp_path, data)
    with pytest.raises(ScenarioError) as info:
        investsim.load_scenario(path)
    err = info.value
    assert (err.file, err.path) == (str(path), "policies.2.name")
    lines = [i for i, text in enumerate(path.read_text().splitlines(), 1) if text == "- name: credit"]
    assert err.line == lines[1]
    assert err.message == (
        "'credit' is also the name of policies[0]: give each policy its own name (--set, --grid and "
        "--param address a policy by name, policies.NAME.set.KEY=VALUE)"
    )


def test_the_bundled_policies_are_addressed_by_name() -> None:
    tightening = investsim.load_scenario(LIBRARY / "credit_tightening.yaml")
    changed = tightening.with_overrides({"policies.credit tightening.set.financing.sources.bank.supply": 33})
    assert _bank(changed) == {"credit tightening": 33}


# --------------------------------------------------------------------------------------
# sweeps, sensitivity and calibration


def test_a_sweep_over_a_policy_key_changes_bank_supply_from_the_policy_date(
    scenario_file: Path, tmp_path: Path
) -> None:
    plan = plan_sweep(scenario_file, [f"{BANK}=40,60"], [], tmp_path / "sweep", 1, 5)
    assert plan.start is None  # the policy keeps its date: nothing else is applied
    assert plan.applied_from == "the date of the policy each is in"
    run_sweep(plan)
    supplies = {}
    for value, key in zip((40, 60), plan.keys, strict=True):
        reps = pd.read_parquet(tmp_path / "sweep" / "points" / f"{key}.parquet")
        supplies[value] = reps.set_index("year")["financing_supply_bank"].to_dict()
    # before 2022 the scenario's 10 a year; from the policy's date the swept value
    assert supplies == {
        40: {2020: 10, 2021: 10, 2022: 40, 2023: 40},
        60: {2020: 10, 2021: 10, 2022: 60, 2023: 60},
    }
    manifest = (tmp_path / "sweep" / "manifest.json").read_text()
    assert '"applied_from": "the date of the policy each is in"' in manifest


def test_the_command_line_sweeps_a_policy_by_name_and_refuses_a_year_for_it(
    scenario_file: Path, tmp_path: Path
) -> None:
    grid = f"{BANK}=40,60"
    done = run_cli(
        "sweep", str(scenario_file), "--grid", grid, "--replications", "2", "--out", "s", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "values hold from the date of the policy each is in" in done.stdout
    refused = run_cli(
        "sweep", str(scenario_file), "--grid", grid, "--from", "2021", "--out", "t", cwd=tmp_path
    )
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        f"error: --from 2021: {BANK} is inside a policy, which takes effect at its own date: leave out "
        "--from, or vary when a policy takes effect with policies.NAME.from"
    )


def test_from_applies_to_the_keys_outside_policies_only(scenario_file: Path) -> None:
    scenario = investsim.load_scenario(scenario_file)
    paths = [BANK, "resources.approval_capacity"]
    assert parse_from(None, scenario, paths) == 2020
    assert parse_from(None, scenario, [BANK]) is None
    assert parse_from("whole", scenario, [BANK]) is None
    assert from_text(2021, paths) == f"1 January 2021; {BANK} from the date of the policy each is in"
    varied = apply_from(scenario, {BANK: 40, "resources.approval_capacity": 7}, 2021)
    assert [ch.name for ch in varied.changes] == ["reform", "varied from 2021", "credit"]
    assert varied.changes[1].config.resources.approval_capacity == 7
    assert varied.changes[1].paths == ("resources.approval_capacity",)
    assert _bank(varied)["credit"] == 40
    assert varied.config.resources.approval_capacity is None  # the warm-up, before 2021, is kept


def test_the_varied_policy_takes_a_name_no_policy_has(tmp_path: Path) -> None:
    taken = {"name": "varied from 2021", "from": 2022, "set": {"financing.sources.bank.supply": 20}}
    scenario = investsim.load_scenario(write_scenario(tmp_path, _data(taken)))
    varied = apply_from(scenario, {"resources.approval_capacity": 7}, 2021)
    assert [ch.name for ch in varied.changes] == ["varied from 2021'", "varied from 2021"]


def test_sensitivity_takes_a_policy_key(scenario_file: Path) -> None:
    plan = plan_sensitivity(scenario_file, [f"{BANK}=20:60"], samples=2, replications=1)
    assert plan.start is None
    assert plan.applied_from == "the date of the policy each is in"
    values = sorted({_bank(s)["credit"] for s in plan.scenarios})
    assert len(values) > 1
    assert all(20 <= v <= 60 for v in values)
    assert {s.config.financing.constrained["bank"].supply for s in plan.scenarios} == {10}
    assert check_param(investsim.load_scenario(scenario_file), Param(BANK, 20, 60)).whole is False


def test_a_calibrated_policy_value_is_written_with_the_policies(scenario_file: Path, tmp_path: Path) -> None:
    plan = SimpleNamespace(
        source=str(scenario_file), overrides=[], params=[Param(BANK, 20, 60)], targets=[], name="t", base=None
    )
    estimate = pd.DataFrame([{"parameter": BANK, "estimate": 33.0, "ci_low": 30.0, "ci_high": 36.0}])
    result = SimpleNamespace(estimate={BANK: 33.0}, summary={"mape": 0.01}, parameters=estimate)
    out = tmp_path / "cal"
    out.mkdir()
    text = calibrated_yaml(plan, result, out)  # type: ignore[arg-type]
    (out / "calibrated.yaml").write_text(text, encoding="utf-8")
    assert [p["name"] for p in yaml.safe_load(text)["policies"]] == ["credit", "reform"]
    assert _bank(investsim.load_scenario(out / "calibrated.yaml")) == {"reform": 10, "credit": 33}


def test_a_numeric_index_is_refused_where_it_once_was_tried(tmp_path: Path) -> None:
    library = LIBRARY / "credit_tightening.yaml"
    with pytest.raises(
        InputError, match="no policy named '0'; the scenario has 'credit tightening': a policy is"
    ):
        plan_sweep(library, ["policies.0.set.financing.sources.bank.supply=40,60"], [], tmp_path / "x", 1, 1)
