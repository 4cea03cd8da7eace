"""Funding sources by name only: every source a sector draws on is declared under
``financing.sources``, those without a limit as ``unlimited`` (own funds included), so a
misspelt source is refused instead of becoming free money (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import investsim
from helpers import FIXED_SECTOR, base, run_cli, sources, write_scenario
from investsim.errors import ScenarioError
from investsim.scenario.config import Financing, Source


def _scenario(funding: dict[str, float], declared: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    """Sector 'a' funded by ``funding``; ``declared`` is financing.sources (None: no key)."""
    data = base(a={**FIXED_SECTOR, "arrivals": {"rate": 6}, "funding": funding}) | extra
    if declared is not None:
        data["financing"] = {**data.get("financing", {}), "sources": declared}
    return data


def _error(tmp_path: Path, data: dict[str, Any]) -> ScenarioError:
    path = write_scenario(tmp_path, data)
    with pytest.raises(ScenarioError) as info:
        investsim.load_scenario(path)
    return info.value


# --------------------------------------------------------------------------------------
# an undeclared source is refused, with what to do


@pytest.mark.parametrize(
    ("typo", "meant"),
    [("bamk", "bank"), ("bnak", "bank"), ("Bank", "bank"), ("onw", "own"), ("bonsd", "bonds")],
)
def test_a_misspelt_source_is_refused_with_the_source_it_means(tmp_path: Path, typo: str, meant: str) -> None:
    declared = sources(bank={"supply": 10}, bonds={"supply": 5})
    err = _error(
        tmp_path, _scenario({"own": 0.5, "bank": 0.3, typo: 0.2} if typo != "onw" else {typo: 1.0}, declared)
    )
    assert err.file == str(tmp_path / "scenario.yaml")
    assert err.path == f"sectors.a.funding.{typo}"
    assert err.line is not None  # the line of the funding key in the file
    assert err.message.endswith(f"did you mean {meant!r}?")


@pytest.mark.parametrize("other", ["equity", "loans", "ppp"])
def test_another_undeclared_source_is_refused_with_how_to_declare_it(tmp_path: Path, other: str) -> None:
    # 'loans' is not taken for 'bonds' (difflib puts them at 0.6, below the cut-off)
    err = _error(tmp_path, _scenario({"own": 0.5, other: 0.5}, sources(bonds={"supply": 5})))
    assert err.path == f"sectors.a.funding.{other}"
    assert err.message == (
        f"{other!r} is not a source of financing.sources (which has 'own', 'bonds'): declare it under "
        f"financing.sources ('{other}: unlimited' if it has no limit)"
    )


def test_own_funds_are_declared_too_once_sources_are_written(tmp_path: Path) -> None:
    err = _error(tmp_path, _scenario({"own": 0.5, "bank": 0.5}, {"bank": {"supply": 10}}))
    assert err.path == "sectors.a.funding.own"
    assert "('own: unlimited' if it has no limit)" in err.message


def test_a_sector_without_funding_is_told_it_draws_on_own(tmp_path: Path) -> None:
    data = base(a={**FIXED_SECTOR}) | {"financing": {"sources": {"bank": {"supply": 10}}}}
    err = _error(tmp_path, data)
    assert err.path == "sectors.a.funding.own"
    assert err.message.endswith("(sectors.a has no funding key: it draws all on 'own')")


def test_the_command_line_refuses_it_with_status_2(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, _scenario({"own": 0.8, "bamk": 0.2}, sources(bank={"supply": 10})))
    done = run_cli("validate", str(path), cwd=tmp_path)
    assert done.returncode == 2
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "bamk" in text)
    assert done.stderr.strip() == (
        f"error: {path}:{line}: sectors.a.funding.bamk: 'bamk' is not a source of financing.sources "
        "(which has 'own', 'bank'): did you mean 'bank'?"
    )
    assert "Traceback" not in done.stderr


def test_without_a_sources_key_own_funds_alone_are_declared(tmp_path: Path) -> None:
    scenario = investsim.load_scenario(write_scenario(tmp_path, base(a=FIXED_SECTOR)))
    assert scenario.config.financing.sources == {"own": "unlimited"}
    assert scenario.config.financing.constrained == {}
    assert scenario.warnings == []
    # an empty sources section is written: the full list, so 'own' is undeclared
    err = _error(tmp_path, base(a=FIXED_SECTOR) | {"financing": {"sources": {}}})
    assert "(which has none)" in err.message


# --------------------------------------------------------------------------------------
# what `unlimited` means: no money desk, no accounts, the same numbers


def test_the_form_of_a_source() -> None:
    fin = Financing.model_validate(
        {"sources": {"own": "unlimited", "bank": {"supply": 3}, "gov": "unlimited"}}
    )
    assert fin.constrained == {"bank": Source(supply=3)}
    assert fin.unlimited == ["own", "gov"]
    for bad, words in [("unlimted", "'unlimited'"), (None, "'unlimited'"), (37, "valid dictionary")]:
        with pytest.raises(ValueError, match=words):
            Financing.model_validate({"sources": {"own": bad}})


@pytest.mark.parametrize(("written", "shown"), [("unlimted", "'unlimted'"), (None, "None"), (37, "37")])
def test_a_source_neither_unlimited_nor_terms_says_what_it_can_be(
    tmp_path: Path, written: Any, shown: str
) -> None:
    err = _error(tmp_path, _scenario({"own": 1.0}, {"own": written}))
    assert (err.path, err.message) == (
        "financing.sources.own",
        f"a funding source is 'unlimited' or its terms, e.g. {{supply: 37}} (got {shown})",
    )


def test_unlimited_sources_have_no_desk_and_change_no_number(tmp_path: Path) -> None:
    """Declaring more unlimited sources, or in another order, changes nothing but a column
    of zeros; the money desk and its columns are the limited sources' alone."""
    sector = {
        **FIXED_SECTOR,
        "arrivals": {"rate": 20},
        "size": {"dist": "lognormal", "median": 1, "p90": 3},
        "funding": {"own": 0.6, "bank": 0.4},
    }
    runs = []
    for declared in (
        sources(bank={"supply": 4}),
        {"bank": {"supply": 4}, "own": "unlimited"},
        sources(bank={"supply": 4}, ppp="unlimited"),
    ):
        data = base(a=sector) | {"financing": {"sources": declared}}
        folder = tmp_path / str(len(runs))
        scenario = investsim.load_scenario(write_scenario(folder, data))
        runs.append(investsim.simulate(scenario, 3, 11).replications)
    first = runs[0]
    assert "financing_supply_bank" in first
    assert "financing_supply_own" not in first
    assert "investment_source_own" in first
    assert first["financing_demand_bank"].sum() > first["financing_supply_bank"].sum()  # the bank binds
    for other in runs[1:]:
        pd.testing.assert_frame_equal(first, other[first.columns], check_exact=True)
    assert (runs[2]["investment_source_ppp"] == 0).all()


def test_a_sector_on_unlimited_money_never_waits_for_it(tmp_path: Path) -> None:
    # 'a' borrows from a bank with no money at all; 'b' draws on two unlimited sources
    data = base(
        a={**FIXED_SECTOR, "arrivals": {"rate": 5}, "funding": {"bank": 1.0}},
        b={**FIXED_SECTOR, "arrivals": {"rate": 5}, "funding": {"own": 0.5, "ppp": 0.5}},
    ) | {"financing": {"sources": sources(bank={"supply": 0}, ppp="unlimited")}}
    forecast = investsim.simulate(
        investsim.load_scenario(write_scenario(tmp_path, data)), 2, 3, project_log=True
    )
    log = forecast.projects
    assert log is not None
    started = log[log["construction_start"].notna()]
    assert set(started["sector"]) == {"b"}  # nothing of 'a' gets bank money
    b = log[log["sector"] == "b"]
    np.testing.assert_array_equal(b["construction_start"], b["arrived"])  # no stage, no wait
    assert forecast.replications["investment_source_ppp"].sum() > 0


# --------------------------------------------------------------------------------------
# the guarantee pool, `*` and policies


def test_a_guarantee_pool_needs_a_bank_with_a_supply(tmp_path: Path) -> None:
    pool = {"capital": 1, "leverage": 5, "sectors": ["a"]}
    data = _scenario({"own": 0.5, "bank": 0.5}, sources(bank="unlimited"))
    data["financing"]["guarantee_pool"] = pool
    err = _error(tmp_path, data)
    assert err.path == "financing.guarantee_pool"
    assert err.message == (
        "adds to bank credit: financing.sources needs a 'bank' source with a supply, not 'unlimited'"
    )


def test_a_star_over_sources_skips_the_unlimited_ones(tmp_path: Path) -> None:
    data = _scenario(
        {"own": 0.5, "bank": 0.3, "bonds": 0.2}, sources(bank={"supply": 10}, bonds={"supply": 5})
    )
    path = write_scenario(tmp_path, data)
    scenario = investsim.load_scenario(path, ["financing.sources.*.supply=7"])
    assert scenario.config.financing.sources["own"] == "unlimited"
    assert {k: s.supply for k, s in scenario.config.financing.constrained.items()} == {"bank": 7, "bonds": 7}
    only_own = write_scenario(tmp_path / "own", _scenario({"own": 1.0}, {"own": "unlimited"}))
    with pytest.raises(
        ScenarioError, match=r"'\*' at financing.sources matches nothing \(every key there is 'unlimited'\)"
    ):
        investsim.load_scenario(only_own, ["financing.sources.*.supply=7"])


def test_set_says_how_to_give_an_unlimited_source_a_limit(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, _scenario({"own": 0.5, "bank": 0.5}, sources(bank={"supply": 10})))
    with pytest.raises(ScenarioError) as info:
        investsim.load_scenario(path, ["financing.sources.own.supply=50"])
    assert str(info.value) == (
        "--set: financing.sources.own.supply: financing.sources.own is 'unlimited', so it has no 'supply': "
        "to give it limits, set it whole, e.g. financing.sources.own={supply: 50}"
    )
    limited = investsim.load_scenario(path, ["financing.sources.own={supply: 50}"])
    assert list(limited.config.financing.constrained) == ["own", "bank"]


CANNOT_LIMIT = (
    "financing.sources.own is 'unlimited' in the scenario and a policy can't give it a limit (the money "
    "desk holds the same limited sources all the run): give 'own' a supply in the scenario, one that does "
    "not bind before the policy, and change that supply here"
)


@pytest.mark.parametrize(
    ("changes", "key", "message"),
    [
        ({"financing.sources.own.supply": 50}, "financing.sources.own.supply", CANNOT_LIMIT),
        ({"financing.sources.own": {"supply": 50}}, "financing.sources.own", CANNOT_LIMIT),
        (
            {"financing.sources.bank": "unlimited"},
            "financing.sources.bank",
            "a policy can't make financing.sources.bank unlimited (the money desk holds the same limited "
            "sources all the run): to lift its limit from a date, raise its supply (and any debt_ceiling) "
            "so far that it never binds",
        ),
        (
            {"financing.sources.ppp": "unlimited"},
            "financing.sources.ppp",
            "a policy can't add a funding source ('ppp'): declare it under the scenario's financing.sources "
            "('NAME: unlimited', or a supply) and change it here",
        ),
        (
            {"sectors.a.funding": {"own": 0.5, "ppp": 0.5}},
            "sectors.a.funding",
            "sectors.a.funding.ppp: 'ppp' is not a source of financing.sources (which has 'own', 'bank'): "
            "declare it under financing.sources ('ppp: unlimited' if it has no limit)",
        ),
    ],
    ids=[
        "supply-of-unlimited",
        "limits-for-unlimited",
        "unlimit-a-limited",
        "new-source",
        "undeclared-in-funding",
    ],
)
def test_a_policy_keeps_which_sources_are_limited(
    tmp_path: Path, changes: dict[str, Any], key: str, message: str
) -> None:
    data = _scenario({"own": 0.5, "bank": 0.5}, sources(bank={"supply": 10}))
    data["policies"] = [{"name": "p", "from": 2021, "set": changes}]
    err = _error(tmp_path, data)
    assert (err.path, err.message) == (f"policies[0] 'p': {key}", message)


def test_a_policy_may_move_a_sector_onto_a_declared_source(tmp_path: Path) -> None:
    data = _scenario({"own": 1.0}, sources(bank={"supply": 10}, ppp="unlimited"))
    data["policies"] = [{"name": "p", "from": 2021, "set": {"sectors.a.funding": {"bank": 0.5, "ppp": 0.5}}}]
    scenario = investsim.load_scenario(write_scenario(tmp_path, data))
    assert scenario.warnings == []  # bank and ppp are used after the policy
    reps = investsim.simulate(scenario, 1, 0).replications.set_index("year")
    assert reps.loc[2020, "investment_source_bank"] == 0
    assert reps.loc[2022, "investment_source_bank"] > 0


# --------------------------------------------------------------------------------------
# a declared source no sector uses: a warning


def test_a_source_no_sector_uses_is_a_warning(tmp_path: Path) -> None:
    data = _scenario({"own": 1.0}, sources(bank={"supply": 10}, ppp="unlimited"))
    path = write_scenario(tmp_path, data)
    scenario = investsim.load_scenario(path)
    assert scenario.unused_sources == ["bank", "ppp"]
    [warning] = scenario.warnings
    assert warning == (
        f"{path}: financing.sources declares 'bank', 'ppp', which no sector's funding names (in the "
        "scenario or after any policy): changing them changes nothing; add a share to a sector's "
        "funding, or remove the source"
    )
    done = run_cli("validate", str(path), cwd=tmp_path)
    assert done.returncode == 0
    assert done.stderr.strip() == f"warning: {warning}"
    clean = run_cli("validate", str(write_scenario(tmp_path / "ok", base(a=FIXED_SECTOR))), cwd=tmp_path)
    assert clean.returncode == 0
    assert clean.stderr == ""


def test_the_bundled_scenarios_use_every_source_they_declare() -> None:
    for path in sorted(investsim.default_scenario_path().parents[1].rglob("*.yaml")):
        scenario = investsim.load_scenario(path)
        assert scenario.warnings == [], path
        assert "own" in scenario.config.financing.unlimited, path


# --------------------------------------------------------------------------------------
# the schema and the report


def test_the_schema_offers_unlimited_or_terms(tmp_path: Path) -> None:
    done = run_cli("schema", cwd=tmp_path)
    doc = json.loads(done.stdout)
    sources_schema = doc["$defs"]["Financing"]["properties"]["sources"]
    assert "without this key, {own: unlimited}" in sources_schema["description"]
    forms = json.dumps(sources_schema["additionalProperties"])
    assert '"const": "unlimited"' in forms
    assert "Source" in forms


def test_the_report_lists_an_unlimited_source() -> None:
    from investsim.reporting.assumptions import assumptions_html
    from investsim.reporting.labels import Labels

    scn = investsim.load_scenario(investsim.default_scenario_path()).config.model_dump(
        mode="json", by_alias=True
    )
    html = assumptions_html(scn, Labels("en", font=""))
    row = html[html.index(">own<") :]
    assert row[: row.index("</tr>")].count("unlimited") == 1
