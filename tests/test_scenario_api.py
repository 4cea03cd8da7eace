"""``Scenario.with_overrides``: changing a loaded scenario from Python, without text.

The contract: for the same values it gives exactly what ``load_scenario(path, ["k=v"])``
gives (configuration, each policy's configuration, projects in flight, sha256 and the
resolved data), the values are Python values (not YAML text), and a mistake raises the
``ScenarioError`` loading would, naming the scenario's file instead of ``--set``.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import pytest

from investsim.errors import ScenarioError
from investsim.scenario.config import Scenario
from investsim.scenario.loading import bundled_scenarios_folder, load_scenario, scenario_sha256

LIAOYUAN = bundled_scenarios_folder() / "liaoyuan"
BASELINE = LIAOYUAN / "baseline.yaml"
REFORM = LIAOYUAN / "reform_package.yaml"

BANK_AND_APPROVAL = {
    "financing.sources.bank.supply": 60.0,
    "sectors.*.approval": {"dist": "fixed", "value": 4},
}


def as_set(values: dict[str, Any]) -> list[str]:
    """``values`` as ``--set`` texts (JSON is YAML, and gives floats back to the bit)."""
    return [f"{key}={json.dumps(value, ensure_ascii=False)}" for key, value in values.items()]


def assert_same(got: Scenario, want: Scenario) -> None:
    """Every part of the two scenarios is equal, the resolved data included."""
    assert got == want
    assert got.config == want.config
    assert got.changes == want.changes
    assert got.in_flight == want.in_flight
    assert got.source == want.source
    assert got.resolved == want.resolved
    assert scenario_sha256(got) == scenario_sha256(want)


def error(call: Any) -> ScenarioError:
    """The ScenarioError that ``call()`` raises."""
    with pytest.raises(ScenarioError) as info:
        call()
    return info.value


# --------------------------------------------------------------------------------------
# the same scenario as loading with --set


@pytest.mark.parametrize("path", sorted(bundled_scenarios_folder().rglob("*.yaml")), ids=lambda p: p.stem)
def test_every_bundled_scenario_equals_loading_with_set(path: Path) -> None:
    base = load_scenario(path)
    assert_same(base.with_overrides(BANK_AND_APPROVAL), load_scenario(path, as_set(BANK_AND_APPROVAL)))


@pytest.mark.parametrize(
    "values",
    [
        {"financing.sources.bank.supply": 60.0},
        {"financing.sources.bank.supply": 0.1 + 0.2},  # 0.30000000000000004, to the bit
        {"sectors.*.approval": {"dist": "fixed", "value": 4}},
        {"sectors.industry.arrivals.rate": 41.5, "seed": 7, "replications": 3},
        {"resources.approval_capacity": 30, "financing.max_wait": None},
        {"sectors.*.land_dispute": {"probability": 0.5, "delay": {"dist": "fixed", "value": 2}}},
        {"sectors.industry.approval": {"mode": "parallel", "steps": {"a": {"dist": "fixed", "value": 3}}}},
        {"financing.guarantee_pool": {"capital": 1.0, "leverage": 2, "sectors": ["industry"]}},
        {"sectors.*.approval.median": 3, "sectors.*.approval.p90": 6},
        {"projects": None},
    ],
    ids=lambda v: ",".join(v),
)
def test_values_give_the_scenario_set_gives(values: dict[str, Any]) -> None:
    assert_same(load_scenario(BASELINE).with_overrides(values), load_scenario(BASELINE, as_set(values)))


def test_a_policys_configuration_follows_the_changed_values() -> None:
    base = load_scenario(REFORM)
    got = base.with_overrides({"financing.sources.bank.supply": 60.0})
    assert_same(got, load_scenario(REFORM, ["financing.sources.bank.supply=60.0"]))
    assert got.config.financing.sources["bank"].supply == 60.0
    assert len(got.changes) == len(base.changes) == 4
    for change, before in zip(got.changes, base.changes, strict=True):
        assert change.config.financing.sources["bank"].supply == 60.0
        assert before.config.financing.sources["bank"].supply == 37
        assert change.paths == before.paths
    # what the policies set is still theirs: the approval reform wins over the new value
    got = base.with_overrides({"sectors.*.approval": {"dist": "fixed", "value": 4}})
    assert got.config.sectors["industry"].approval.mean == 4
    reform = base.changes[0].config.sectors["industry"].approval
    assert got.changes[0].config.sectors["industry"].approval == reform
    assert_same(got, load_scenario(REFORM, ['sectors.*.approval={"dist": "fixed", "value": 4}']))


def test_policies_replaced_whole_as_attribution_does() -> None:
    base = load_scenario(REFORM)
    kept = [base.resolved["policies"][i] for i in (1, 3)]
    got = base.with_overrides({"policies": kept})
    assert [c.name for c in got.changes] == ["more service secretaries", "loan guarantee pool"]
    assert_same(got, load_scenario(REFORM, [f"policies={json.dumps(kept, ensure_ascii=False)}"]))
    assert_same(base.with_overrides({"policies": []}), load_scenario(REFORM, ["policies=[]"]))


def test_changes_add_up_on_top_of_the_overrides_a_scenario_was_loaded_with() -> None:
    first = ["seed=11", "financing.sources.bank.growth=0.1"]
    loaded = load_scenario(REFORM, first)
    got = loaded.with_overrides({"seed": 12}).with_overrides({"resources.land_budget": 80.0})
    assert_same(got, load_scenario(REFORM, [*first, "seed=12", "resources.land_budget=80.0"]))
    # in the order of the mapping, as --set options are
    values = {"sectors.*.arrivals.rate": 1.0, "sectors.industry.arrivals.rate": 2.0}
    got = loaded.with_overrides(values)
    assert got.config.sectors["industry"].arrivals.rate == 2.0
    assert got.config.sectors["services"].arrivals.rate == 1.0
    assert_same(got, load_scenario(REFORM, [*first, *as_set(values)]))


def test_nothing_to_change_gives_an_equal_scenario() -> None:
    base = load_scenario(REFORM)
    assert_same(base.with_overrides({}), base)


# --------------------------------------------------------------------------------------
# Python values, not text


def test_values_are_python_values_not_yaml_text() -> None:
    base = load_scenario(BASELINE)
    # as text, 2020 would be a number and null would be nothing
    got = base.with_overrides({"name": "2020", "description": "null"})
    assert got.config.name == "2020"
    assert got.config.description == "null"
    message = str(error(lambda: load_scenario(BASELINE, ["name=2020"])))
    assert message == "--set: name: Input should be a valid string (got 2020)"
    # a float stays the float it is (no round trip through text)
    x = 37.123456789012345
    assert (
        base.with_overrides({"financing.sources.bank.supply": x}).config.financing.sources["bank"].supply == x
    )


def test_tuples_and_mappings_are_taken_as_lists_and_sections() -> None:
    base = load_scenario(BASELINE)
    values = {
        "sectors.industry.size": {"dist": "empirical", "values": (1.0, 2.0, 4.0)},
        "sectors.industry.spending": {"beta": (2.0, 3.0)},
    }
    got = base.with_overrides(values)
    assert got.resolved["sectors"]["industry"]["size"]["values"] == [1.0, 2.0, 4.0]
    assert_same(got, load_scenario(BASELINE, as_set(values)))


def test_the_scenario_and_the_values_are_left_as_they_were() -> None:
    base = load_scenario(REFORM)
    resolved = json.dumps(base.resolved, sort_keys=True, default=str)
    approval = {"dist": "fixed", "value": 4}
    got = base.with_overrides({"sectors.*.approval": approval})
    assert json.dumps(base.resolved, sort_keys=True, default=str) == resolved
    assert base == load_scenario(REFORM)
    # the value is copied: changing it later changes nothing in the scenario, and the
    # scenario's own copy can't be changed (tests/test_frozen_scenario.py)
    approval["value"] = 5
    with pytest.raises(TypeError):
        got.resolved["sectors"]["industry"]["approval"]["value"] = 6
    assert got.resolved["sectors"]["industry"]["approval"] == {"dist": "fixed", "value": 4}
    assert got.resolved["sectors"]["services"]["approval"] == {"dist": "fixed", "value": 4}
    with pytest.raises(AttributeError):
        got.config = base.config  # type: ignore[misc]


def test_the_result_can_be_sent_to_a_worker_process() -> None:
    got = load_scenario(REFORM).with_overrides(BANK_AND_APPROVAL)
    assert_same(pickle.loads(pickle.dumps(got)), got)


def test_a_scenario_made_in_code_starts_from_its_configuration() -> None:
    for path in (BASELINE, REFORM):
        loaded = load_scenario(path)
        made = Scenario(config=loaded.config, in_flight=loaded.in_flight, source=loaded.source)
        got = made.with_overrides(BANK_AND_APPROVAL)
        want = load_scenario(path, as_set(BANK_AND_APPROVAL))
        assert got == want
        assert scenario_sha256(got) == scenario_sha256(want)


# --------------------------------------------------------------------------------------
# the projects register


def test_the_projects_register_is_not_read_again_when_it_stays(tmp_path: Path) -> None:
    base = load_scenario(BASELINE)
    assert base.in_flight
    assert base.with_overrides({"seed": 3}).in_flight is base.in_flight


def test_a_new_projects_register_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.csv").write_text(
        "id,sector,total_investment,stage,progress\nX1,industry,2.5,land,0.3\n", encoding="utf-8"
    )
    got = load_scenario(BASELINE).with_overrides({"projects": "p.csv"})  # from the working folder
    assert [(p.id, p.stage) for p in got.in_flight] == [("X1", "land")]
    assert got.config.projects == str(tmp_path / "p.csv")
    assert_same(got, load_scenario(BASELINE, ["projects=p.csv"]))
    assert load_scenario(BASELINE).with_overrides({"projects": None}).in_flight == ()


def test_a_register_whose_sector_is_gone_is_refused_as_loading_refuses_it() -> None:
    base = load_scenario(BASELINE)
    only = {"industry": base.resolved["sectors"]["industry"]}
    got = error(lambda: base.with_overrides({"sectors": only}))
    want = error(lambda: load_scenario(BASELINE, [f"sectors={json.dumps(only)}"]))
    assert str(got) == str(want)
    assert "unknown sector 'agriculture'" in got.message


# --------------------------------------------------------------------------------------
# mistakes: the messages of --set, naming the scenario's file


@pytest.mark.parametrize(
    "values",
    [
        {"financing.sources.bank.supply": -1.0},
        {"sectors.industry.arivals": {"rate": 3}},
        {"sectors.industry.approval": {"dist": "nope"}},
        {"seed.x": 1},
        {"resources.*": 1},
        {"name": 2020},
        {"sectors.industry.arrivals.rate": True},
        {"financing.sources.bank": "unlimited"},  # the guarantee pool of a policy needs a bank with a supply
        {"sectors.industry.funding": {"own": 0.5}},
        {"policies.0.name": "x"},  # --set goes through sections, not lists
        {"projects": "no/such/file.csv"},
    ],
    ids=lambda v: ",".join(v),
)
def test_a_mistake_is_the_one_set_gives_naming_the_file(values: dict[str, Any]) -> None:
    base = load_scenario(REFORM)
    got = error(lambda: base.with_overrides(values))
    want = error(lambda: load_scenario(REFORM, as_set(values)))
    assert got.file == base.source
    assert got.line is None
    assert got.path == want.path
    assert got.message == want.message
    if want.file == "--set":
        assert str(got) == str(want).replace("--set", base.source)


def test_an_unknown_key_gets_a_suggestion() -> None:
    got = error(lambda: load_scenario(BASELINE).with_overrides({"sectors.industry.arivals.rate": 3}))
    assert str(got) == f"{BASELINE}: sectors.industry.arivals: unknown key (did you mean 'arrivals'?)"


def test_a_policy_broken_by_the_values_is_named() -> None:
    base = load_scenario(REFORM)
    got = error(lambda: base.with_overrides({"financing.sources.bank": "unlimited"}))
    assert str(got) == (
        f"{REFORM}: policies[3] 'loan guarantee pool': financing.guarantee_pool: adds to bank credit: "
        "financing.sources needs a 'bank' source with a supply, not 'unlimited'"
    )


@pytest.mark.parametrize("key", ["", " ", "a..b", ".seed", "seed.", 3])
def test_a_key_that_is_not_a_path_is_refused(key: Any) -> None:
    got = error(lambda: load_scenario(BASELINE).with_overrides({key: 1}))
    assert str(got) == f"{BASELINE}: {key!r}: the key path is empty or has an empty part"


def test_values_nested_too_deeply_are_refused() -> None:
    deep: dict[str, Any] = {}
    inner = deep
    for _ in range(100_000):
        inner["x"] = {}
        inner = inner["x"]
    got = error(lambda: load_scenario(BASELINE).with_overrides({"description": deep}))
    assert str(got) == f"{BASELINE}: values nested too deeply to read"


def test_the_fingerprint_does_not_depend_on_where_the_scenario_is(tmp_path: Path) -> None:
    import shutil

    for where in ("a", "b/deeper"):
        shutil.copytree(bundled_scenarios_folder() / "liaoyuan", tmp_path / where / "liaoyuan")
    first = load_scenario(tmp_path / "a" / "liaoyuan" / "baseline.yaml")
    second = load_scenario(tmp_path / "b" / "deeper" / "liaoyuan" / "baseline.yaml")
    assert first.config.projects != second.config.projects  # two folders
    assert scenario_sha256(first) == scenario_sha256(second)
    # the register's rows still count: one project fewer is another scenario
    register = Path(str(second.config.projects))
    rows = register.read_text(encoding="utf-8").rstrip("\n").split("\n")
    register.write_text("\n".join(rows[:-1]) + "\n", encoding="utf-8")
    fewer = load_scenario(tmp_path / "b" / "deeper" / "liaoyuan" / "baseline.yaml")
    assert len(fewer.in_flight) == len(first.in_flight) - 1
    assert scenario_sha256(fewer) != scenario_sha256(first)
