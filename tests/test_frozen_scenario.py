"""A loaded scenario can't be changed in place, down to its mappings and lists.

Its policies' configurations and its sha256 are derived from its values when it is
loaded; a value changed afterwards (``config.financing.sources["bank"] = ...``) would
run a scenario that is neither the file nor what the manifest says. Every attempt is
refused with a message naming ``scenario.with_overrides``, which derives them again.
"""

from __future__ import annotations

import copy
import json
import pickle
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest
import yaml

import investsim
from investsim.scenario.config import Scenario, ScenarioConfig
from investsim.scenario.loading import bundled_scenarios_folder, load_scenario, scenario_sha256

LIAOYUAN = bundled_scenarios_folder() / "liaoyuan"
BASELINE = LIAOYUAN / "baseline.yaml"  # has projects in flight
REFORM = LIAOYUAN / "reform_package.yaml"  # has policies
POOL = LIAOYUAN / "guarantee_pool.yaml"  # has a guarantee pool (a list of sectors)


@pytest.fixture(scope="module")
def base() -> Scenario:
    return load_scenario(BASELINE)


@pytest.fixture(scope="module")
def reform() -> Scenario:
    return load_scenario(REFORM)


def _in_place_changes(sc: Scenario) -> dict[str, Callable[[], Any]]:
    """Changes in place, each through a mapping or list the scenario holds."""
    cfg = sc.config
    industry = cfg.sectors["industry"]
    return {
        "financing.sources[bank] =": lambda: cfg.financing.sources.__setitem__("bank", "unlimited"),
        "sectors[x] =": lambda: cfg.sectors.__setitem__("x", industry),
        "del sectors[industry]": lambda: cfg.sectors.__delitem__("industry"),
        "sectors.pop": lambda: cfg.sectors.pop("industry"),
        "sectors.update": lambda: cfg.sectors.update(x=industry),
        "sectors |=": lambda: cfg.sectors.__ior__({"x": industry}),
        "sectors.setdefault": lambda: cfg.sectors.setdefault("x", industry),
        "sectors.clear": lambda: cfg.sectors.clear(),
        "policies.append": lambda: cfg.policies.append(cfg.policies[0]),
        "policies.extend": lambda: cfg.policies.extend([]),
        "policies +=": lambda: cfg.policies.__iadd__([]),
        "policies[0] =": lambda: cfg.policies.__setitem__(0, cfg.policies[0]),
        "policies.sort": lambda: cfg.policies.sort(key=lambda p: p.name),
        "policies[0].set[k] =": lambda: cfg.policies[0].set.__setitem__("seed", 1),
        "sectors[industry].funding[bank] =": lambda: industry.funding.__setitem__("bank", 0.5),
        "resolved[seed] =": lambda: sc.resolved.__setitem__("seed", 1),
        "resolved.sectors.industry.size =": lambda: sc.resolved["sectors"]["industry"].__setitem__("size", 1),
        "resolved.policies.append": lambda: sc.resolved["policies"].append({}),
    }


CHANGES = list(_in_place_changes(load_scenario(REFORM)))


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_in_place_is_refused_naming_with_overrides(reform: Scenario, change: str) -> None:
    before = scenario_sha256(reform)
    dump = reform.config.model_dump(mode="json")
    resolved = json.dumps(reform.resolved, sort_keys=True)
    with pytest.raises(TypeError, match=r"scenario\.with_overrides\(\{"):
        _in_place_changes(reform)[change]()
    assert scenario_sha256(reform) == before
    assert reform.config.model_dump(mode="json") == dump
    assert json.dumps(reform.resolved, sort_keys=True) == resolved


def test_the_guarantee_pools_sectors_and_approval_steps_are_read_only() -> None:
    # the pool comes with a policy: in force after it, and in the policy's `set`
    sc = load_scenario(POOL)
    pool = sc.changes[0].config.financing.guarantee_pool
    assert pool is not None
    with pytest.raises(TypeError, match="with_overrides"):
        pool.sectors.append("services")
    with pytest.raises(TypeError, match="with_overrides"):
        sc.config.policies[0].set["financing.guarantee_pool"]["sectors"].append("services")
    steps = (
        load_scenario(
            BASELINE,
            ['sectors.industry.approval={"mode": "serial", "steps": {"a": {"dist": "fixed", "value": 1}}}'],
        )
        .config.sectors["industry"]
        .approval
    )
    with pytest.raises(TypeError, match="with_overrides"):
        steps.steps["b"] = steps.steps["a"]  # type: ignore[union-attr]


def test_a_default_mapping_is_read_only_too() -> None:
    # defaults are not validated by pydantic: a sector without `funding` gets {"own": 1.0}
    cfg = ScenarioConfig.model_validate(
        {
            "name": "x",
            "start_year": 2020,
            "horizon_years": 1,
            "sectors": {
                "a": {"size": {"dist": "fixed", "value": 1}, "construction": {"dist": "fixed", "value": 1}}
            },
        }
    )
    assert cfg.sectors["a"].funding == {"own": 1.0}
    assert cfg.policies == []
    for change in (
        lambda: cfg.sectors["a"].funding.__setitem__("own", 0.5),
        lambda: cfg.financing.sources.__setitem__("bank", "unlimited"),
        lambda: cfg.policies.append(None),
    ):
        with pytest.raises(TypeError, match="with_overrides"):
            change()


def test_setting_an_attribute_is_refused_naming_with_overrides(base: Scenario) -> None:
    targets: list[tuple[Any, str]] = [
        (base, "config"),
        (base, "resolved"),
        (base.config, "seed"),
        (base.config.financing, "sources"),
        (base.config.sectors["industry"], "funding"),
        (base.in_flight[0], "progress"),
        (load_scenario(REFORM).changes[0], "config"),
    ]
    for obj, name in targets:
        with pytest.raises(AttributeError, match="with_overrides"):
            setattr(obj, name, None)
        with pytest.raises(AttributeError, match="with_overrides"):
            delattr(obj, name)


def test_with_overrides_still_changes_a_copy_which_is_read_only_too(reform: Scenario) -> None:
    bank = reform.config.financing.sources["bank"]
    got = reform.with_overrides({"financing.sources.bank.supply": 60.0})
    assert got.config.financing.sources["bank"].supply == 60.0  # type: ignore[union-attr]
    assert reform.config.financing.sources["bank"] == bank
    assert got == load_scenario(REFORM, ["financing.sources.bank.supply=60"])
    with pytest.raises(TypeError, match="with_overrides"):
        got.config.financing.sources["bank"] = bank
    # what is read out is a plain copy, free to change and validate again
    data = got.config.model_dump(mode="json", by_alias=True)
    data["financing"]["sources"]["bank"]["supply"] = 70.0
    data["policies"].pop()
    assert type(data["sectors"]) is dict
    assert type(data["policies"]) is list
    assert ScenarioConfig.model_validate(data).financing.sources["bank"].supply == 70.0  # type: ignore[union-attr]
    plain = dict(got.resolved)
    plain["name"] = "another"
    assert got.resolved["name"] == got.config.name != "another"


@pytest.mark.parametrize("path", [BASELINE, REFORM, POOL], ids=lambda p: p.stem)
def test_a_scenario_pickles_and_copies_as_it_was_and_stays_read_only(path: Any) -> None:
    sc = load_scenario(path)
    for again in (pickle.loads(pickle.dumps(sc)), copy.deepcopy(sc), copy.copy(sc)):
        assert again == sc
        assert again.config == sc.config
        assert again.changes == sc.changes
        assert again.in_flight == sc.in_flight
        assert again.resolved == sc.resolved
        assert scenario_sha256(again) == scenario_sha256(sc)
        with pytest.raises(TypeError, match="with_overrides"):
            again.config.sectors["x"] = again.config.sectors["industry"]
        with pytest.raises(TypeError, match="with_overrides"):
            again.resolved["seed"] = 1


def test_the_containers_compare_and_serialise_as_plain_ones(reform: Scenario) -> None:
    cfg = reform.config
    assert cfg.sectors == dict(cfg.sectors)
    assert cfg.policies == list(cfg.policies)
    assert repr(cfg.financing.sources).startswith("{")
    assert json.loads(json.dumps(reform.resolved)) == reform.resolved
    assert json.loads(cfg.model_dump_json(by_alias=True)) == cfg.model_dump(mode="json", by_alias=True)


def test_a_run_on_two_worker_processes_gives_the_same_numbers(reform: Scenario) -> None:
    # the scenario is pickled to the workers: they must get the same one
    one = investsim.simulate(reform, replications=4, seed=5, jobs=1).replications
    two = investsim.simulate(reform, replications=4, seed=5, jobs=2).replications
    pd.testing.assert_frame_equal(one, two)


def test_a_scenarios_data_dumps_to_yaml_as_plain_data(reform: Scenario) -> None:
    text = yaml.safe_dump(reform.resolved, allow_unicode=True, sort_keys=False)
    assert yaml.safe_load(text) == reform.resolved
    assert "!!python" not in text
