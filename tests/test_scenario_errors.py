"""Bad input: every mistake in a scenario, its projects CSV or a ``--set`` is one clear message.

The contract (docs/errors.md): ``file[:line]: key.path: what is wrong`` (``--set: key.path: ...``
for overrides), exit status 2, no traceback, and no results folder. Most cases go through
the library (``investsim.load_scenario`` raising ``investsim.ScenarioError``) for speed;
a representative set goes through the real console script.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

import investsim
from helpers import run_cli
from investsim.scenario.distributions import Fixed

SMALL = """\
name: small
start_year: 2020
horizon_years: 3
seed: 7
replications: 3
key_project_threshold: 1.0
projects: data/projects.csv
sectors:
  industry:
    arrivals: {rate: 10}
    size: {dist: lognormal, median: 1.0, p90: 3.0}
    approval: {dist: lognormal, median: 4, p90: 8}
    land: {dist: fixed, value: 2}
    construction: {dist: gamma, mean: 12, cv: 0.3}
    cancel: {approval: 0.05}
    funding: {own: 0.7, bank: 0.3}
  services:
    arrivals: {rate: 5}
    size: {dist: triangular, low: 0.5, mode: 1, high: 2}
    construction: {dist: uniform, low: 6, high: 12}
resources:
  approval_capacity: 20
financing:
  sources:
    own: unlimited
    bank: {supply: 5}
"""

HEADER = "id,sector,total_investment,stage,progress\n"
PROJECTS = HEADER + "A1,industry,2.0,construction,0.5\nA2,services,1.0,approval,0.2\n"


# --------------------------------------------------------------------------------------
# helpers


def edit(text: str, old: str, new: str) -> str:
    """``text`` with the one occurrence of ``old`` replaced by ``new``."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line number of the ``occurrence``-th line of ``text`` containing ``needle``."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(hits) >= occurrence, f"{needle!r} not found"
    return hits[occurrence - 1]


def write_scenario(
    folder: Path, text: str = SMALL, *, name: str = "scenario.yaml", projects: str | None = PROJECTS
) -> Path:
    """Write a scenario (and, unless ``projects`` is None, data/projects.csv) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    if projects is not None:
        (folder / "data").mkdir(exist_ok=True)
        (folder / "data" / "projects.csv").write_text(projects, encoding="utf-8")
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path.resolve()


def error_of(path: Path | str, overrides: Iterable[str] = ()) -> str:
    """The message of the ScenarioError that loading ``path`` with ``overrides`` raises."""
    with pytest.raises(investsim.ScenarioError) as info:
        investsim.load_scenario(path, list(overrides))
    message = str(info.value)
    assert message.strip(), "empty message"
    assert "Traceback" not in message
    assert isinstance(info.value, investsim.InputError)
    return message


def assert_where(message: str, file: Path | str, key: str | None, line: int | None = None) -> str:
    """The (first line of the) message starts with ``file[:line]: key: ``; returns that line.

    ``line=None`` accepts the message with or without a line number.
    """
    first = message.splitlines()[0]
    where = re.escape(str(file)) + (f":{line}" if line is not None else r"(?::\d+)?") + ": "
    if key is not None:
        where += re.escape(key) + ": "
    assert re.match(where, first), (
        f"expected {file}{':' + str(line) if line else ''}: {key}: ...\ngot: {message}"
    )
    return first


def assert_single(message: str) -> None:
    """One mistake, one message: a single line."""
    assert len(message.strip().splitlines()) == 1, message


# --------------------------------------------------------------------------------------
# the starting point is valid


def test_small_scenario_is_valid(tmp_path: Path) -> None:
    scn = investsim.load_scenario(write_scenario(tmp_path))
    assert scn.name == "small"
    assert [p.id for p in scn.in_flight] == ["A1", "A2"]


# --------------------------------------------------------------------------------------
# YAML itself


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    text = edit(SMALL, "horizon_years: 3", "horizon_years: 3: 4")
    path = write_scenario(tmp_path, text)
    message = error_of(path)
    assert_where(message, path, None, line_of(text, "horizon_years"))
    assert "yaml" in message.lower()
    assert_single(message)


def test_unclosed_bracket_names_file_and_a_line(tmp_path: Path) -> None:
    text = edit(SMALL, "arrivals: {rate: 5}", "arrivals: {rate: 5")
    path = write_scenario(tmp_path, text)
    message = error_of(path)
    assert re.match(re.escape(str(path)) + r":\d+: ", message), message
    assert "yaml" in message.lower()


def test_duplicate_key_is_refused(tmp_path: Path) -> None:
    text = SMALL + "seed: 8\n"
    path = write_scenario(tmp_path, text)
    message = error_of(path)
    assert_where(message, path, None, line_of(text, "seed:", occurrence=2))
    assert "duplicate" in message
    assert "'seed'" in message
    assert f"line {line_of(text, 'seed:')}" in message  # where the first one is


def test_duplicate_nested_key_is_refused(tmp_path: Path) -> None:
    text = edit(
        SMALL,
        "    land: {dist: fixed, value: 2}\n",
        "    land: {dist: fixed, value: 2}\n    land: {dist: fixed, value: 3}\n",
    )
    path = write_scenario(tmp_path, text)
    message = error_of(path)
    assert_where(message, path, None, line_of(text, "land:", occurrence=2))
    assert "duplicate" in message
    assert "'land'" in message


def test_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, "- name: small\n- start_year: 2020\n")
    message = error_of(path)
    assert message.startswith(f"{path}")
    assert "mapping" in message


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = write_scenario(tmp_path)
    path.write_bytes(SMALL.replace("name: small", "name: sm\xffall").encode("latin-1"))
    message = error_of(path)
    assert message.startswith(f"{path}")
    assert "UTF-8" in message


def test_missing_scenario_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    message = error_of(path)
    assert message.startswith(str(path.resolve()))
    assert "not found" in message
    assert_single(message)


# --------------------------------------------------------------------------------------
# keys


def test_unknown_top_level_key_with_suggestion(tmp_path: Path) -> None:
    text = SMALL + "horizen: 4\n"
    path = write_scenario(tmp_path, text)
    message = error_of(path)
    first = assert_where(message, path, "horizen", line_of(text, "horizen"))
    assert "unknown key" in first
    assert "did you mean 'horizon_years'" in first
    assert_single(message)


def test_unknown_nested_key_with_suggestion(tmp_path: Path) -> None:
    text = edit(SMALL, "cancel: {approval: 0.05}", "cancel: {aproval: 0.05}")
    path = write_scenario(tmp_path, text)
    message = error_of(path)
    first = assert_where(message, path, "sectors.industry.cancel.aproval", line_of(text, "aproval"))
    assert "unknown key" in first
    assert "did you mean 'approval'" in first
    assert_single(message)


def test_unknown_key_in_a_section(tmp_path: Path) -> None:
    text = edit(SMALL, "approval_capacity: 20", "aproval_capacity: 20")
    path = write_scenario(tmp_path, text)
    first = assert_where(
        error_of(path), path, "resources.aproval_capacity", line_of(text, "aproval_capacity")
    )
    assert "did you mean 'approval_capacity'" in first


def test_unknown_key_far_from_any_has_no_suggestion(tmp_path: Path) -> None:
    text = SMALL + "zzzzzz: 1\n"
    path = write_scenario(tmp_path, text)
    message = error_of(path)
    first = assert_where(message, path, "zzzzzz", line_of(text, "zzzzzz"))
    assert "unknown key" in first
    assert "did you mean" not in first


@pytest.mark.parametrize(
    ("old", "new", "typo", "key", "meant"),
    [
        ("horizon_years: 3", "horizon_yeras: 3", "horizon_yeras", "horizon_yeras", "horizon_years"),
        ("arrivals: {rate: 10}", "arrivals: {rat: 10}", "rat: 10", "sectors.industry.arrivals.rat", "rate"),
        (
            "    construction: {dist: gamma",
            "    constructoin: {dist: gamma",
            "constructoin",
            "sectors.industry.constructoin",
            "construction",
        ),
    ],
    ids=["top-level", "nested", "sector"],
)
def test_misspelt_required_key_is_reported_as_the_typo(
    tmp_path: Path, old: str, new: str, typo: str, key: str, meant: str
) -> None:
    """A misspelt required key is one mistake: the message leads with the typo and its fix.

    Leading with "<the real key>: required key is missing" (no line, or the section's line)
    sends the user looking for the wrong thing.
    """
    text = edit(SMALL, old, new)
    path = write_scenario(tmp_path, text)
    message = error_of(path)
    first = assert_where(message, path, key, line_of(text, typo))
    assert "unknown key" in first
    assert f"did you mean '{meant}'" in first


def test_missing_required_key(tmp_path: Path) -> None:
    text = edit(SMALL, "start_year: 2020\n", "")
    path = write_scenario(tmp_path, text)
    first = assert_where(error_of(path), path, "start_year")
    assert "missing" in first


# --------------------------------------------------------------------------------------
# values


@pytest.mark.parametrize(
    ("old", "new", "key", "shown"),
    [
        ("horizon_years: 3", "horizon_years: three", "horizon_years", "three"),
        ("arrivals: {rate: 10}", "arrivals: {rate: many}", "sectors.industry.arrivals.rate", "many"),
        ("approval_capacity: 20", "approval_capacity: [20]", "resources.approval_capacity", "integer"),
        ("seed: 7", "seed: 7.5", "seed", "7.5"),
    ],
    ids=["int", "float", "list-for-int", "fraction-for-int"],
)
def test_wrong_type(tmp_path: Path, old: str, new: str, key: str, shown: str) -> None:
    text = edit(SMALL, old, new)
    path = write_scenario(tmp_path, text)
    message = error_of(path)
    first = assert_where(message, path, key, line_of(text, new.split(":")[0].strip()))
    assert shown in first
    assert_single(message)


def test_section_that_is_not_a_mapping(tmp_path: Path) -> None:
    text = edit(SMALL, "resources:\n  approval_capacity: 20\n", "resources: 20\n")
    path = write_scenario(tmp_path, text)
    first = assert_where(error_of(path), path, "resources", line_of(text, "resources:"))
    assert "20" in first


def test_unknown_distribution(tmp_path: Path) -> None:
    text = edit(SMALL, "dist: gamma", "dist: gama")
    path = write_scenario(tmp_path, text)
    message = error_of(path)
    first = assert_where(message, path, None, line_of(text, "gama"))
    assert "sectors.industry.construction" in first
    assert "'gama'" in first
    assert "gamma" in first
    assert_single(message)


def test_unknown_spending_profile_is_one_message(tmp_path: Path) -> None:
    text = edit(
        SMALL, "funding: {own: 0.7, bank: 0.3}", "funding: {own: 0.7, bank: 0.3}\n    spending: scurve"
    )
    path = write_scenario(tmp_path, text)
    message = error_of(path)
    first = assert_where(message, path, "sectors.industry.spending", line_of(text, "scurve"))
    assert "'scurve'" in first
    assert "s_curve" in first
    assert_single(message)


@pytest.mark.parametrize(
    ("new", "reaches"),
    [
        ("land: {dist: fixed, value: -2}", "-2"),
        ("land: {dist: uniform, low: -1, high: 2}", "-1"),
        ("land: {dist: triangular, low: -3, mode: 1, high: 2}", "-3"),
        ("land: {dist: empirical, values: [1, -0.5, 3]}", "-0.5"),
    ],
    ids=["fixed", "uniform", "triangular", "empirical"],
)
def test_negative_duration(tmp_path: Path, new: str, reaches: str) -> None:
    text = edit(SMALL, "land: {dist: fixed, value: 2}", new)
    path = write_scenario(tmp_path, text)
    message = error_of(path)
    first = assert_where(message, path, "sectors.industry.land", line_of(text, "land:"))
    assert "negative" in first
    assert reaches in first
    assert_single(message)


def test_zero_duration_is_valid(tmp_path: Path) -> None:
    """`{dist: fixed, value: 0}` skips a stage: valid for every duration."""
    text = edit(SMALL, "land: {dist: fixed, value: 2}", "land: {dist: fixed, value: 0}")
    text = edit(text, "approval: {dist: lognormal, median: 4, p90: 8}", "approval: {dist: fixed, value: 0}")
    path = write_scenario(tmp_path, text)
    scn = investsim.load_scenario(path)
    industry = scn.config.sectors["industry"]
    assert industry.land == Fixed(dist="fixed", value=0.0)
    assert industry.approval == Fixed(dist="fixed", value=0.0)


@pytest.mark.parametrize(
    "new",
    [
        "{dist: lognormal, median: 4, p90: 4}",
        "{dist: lognormal, median: 4, p90: 3}",
    ],
    ids=["p90-equals-median", "p90-below-median"],
)
def test_lognormal_p90_must_exceed_median(tmp_path: Path, new: str) -> None:
    text = edit(SMALL, "approval: {dist: lognormal, median: 4, p90: 8}", f"approval: {new}")
    path = write_scenario(tmp_path, text)
    message = error_of(path)
    first = assert_where(message, path, None, line_of(text, "approval: {dist: lognormal"))
    assert "sectors.industry.approval" in first
    assert "p90" in first
    assert "median" in first
    assert_single(message)


def test_lognormal_median_must_be_positive(tmp_path: Path) -> None:
    text = edit(
        SMALL,
        "size: {dist: lognormal, median: 1.0, p90: 3.0}",
        "size: {dist: lognormal, median: 0, p90: 3.0}",
    )
    path = write_scenario(tmp_path, text)
    first = assert_where(error_of(path), path, None, line_of(text, "median: 0,"))
    assert "sectors.industry.size" in first
    assert "median" in first


@pytest.mark.parametrize(
    "new",
    [
        "{dist: triangular, low: 0.5, mode: 3, high: 2}",
        "{dist: triangular, low: 1.5, mode: 1, high: 2}",
        "{dist: triangular, low: 3, mode: 2.5, high: 2}",
        "{dist: pert, low: 0.5, mode: 3, high: 2}",
    ],
    ids=["mode-above-high", "low-above-mode", "low-above-high", "pert"],
)
def test_triangular_order_must_hold(tmp_path: Path, new: str) -> None:
    text = edit(SMALL, "size: {dist: triangular, low: 0.5, mode: 1, high: 2}", f"size: {new}")
    path = write_scenario(tmp_path, text)
    message = error_of(path)
    first = assert_where(message, path, None, line_of(text, new))
    assert "sectors.services.size" in first
    assert "low" in first
    assert "mode" in first
    assert "high" in first
    assert_single(message)


def test_funding_shares_must_sum_to_one(tmp_path: Path) -> None:
    """The message points at `funding` (key path and line), not just at the sector."""
    text = edit(SMALL, "funding: {own: 0.7, bank: 0.3}", "funding: {own: 0.7, bank: 0.2}")
    path = write_scenario(tmp_path, text)
    message = error_of(path)
    first = assert_where(message, path, "sectors.industry.funding", line_of(text, "funding:"))
    assert "sum to 1" in first
    assert "0.9" in first
    assert_single(message)


def test_funding_share_above_one(tmp_path: Path) -> None:
    text = edit(SMALL, "funding: {own: 0.7, bank: 0.3}", "funding: {own: 1.3, bank: -0.3}")
    path = write_scenario(tmp_path, text)
    message = error_of(path)
    assert_where(message, path, None, line_of(text, "funding:"))
    assert "sectors.industry.funding" in message.splitlines()[0]


def test_probability_above_one(tmp_path: Path) -> None:
    text = edit(SMALL, "cancel: {approval: 0.05}", "cancel: {approval: 1.5}")
    path = write_scenario(tmp_path, text)
    first = assert_where(error_of(path), path, "sectors.industry.cancel.approval", line_of(text, "cancel:"))
    assert "1.5" in first


# --------------------------------------------------------------------------------------
# timed policies: a bad path or value names the policy and the path


POLICY = "policies:\n  - name: reform\n    from: 2021-07\n    set: {SET}\n"


@pytest.mark.parametrize(
    ("set_", "path", "needle"),
    [
        ("{resources.approval_capacty: 30}", "resources.approval_capacty", "unknown key"),
        ("{sectors.industry.approval.median: -1}", "sectors.industry.approval.median", "greater than 0"),
        (
            "{financing.sources.bank.supply: -5}",
            "financing.sources.bank.supply",
            "greater than or equal to 0",
        ),
        ("{sectors.*.land.value: -2}", "sectors.*.land.value", "negative"),
        ("{start_year: 2021}", "start_year", "can't change"),
        ("{sectors.mining.size: {dist: fixed, value: 1}}", "sectors.mining.size", "required key is missing"),
        ("{financing.sources.bonds: {supply: 3}}", "financing.sources.bonds", "can't add a funding source"),
    ],
    ids=["unknown-key", "bad-value", "negative-supply", "wildcard", "fixed-key", "new-sector", "new-source"],
)
def test_bad_policy_names_the_policy_and_the_path(tmp_path: Path, set_: str, path: str, needle: str) -> None:
    text = SMALL + POLICY.replace("{SET}", set_)
    scenario = write_scenario(tmp_path, text)
    message = error_of(scenario)
    first = assert_where(message, scenario, f"policies[0] 'reform': {path}", line_of(text, "set:"))
    assert needle in first
    assert_single(message)


def test_bad_policy_from_is_refused(tmp_path: Path) -> None:
    text = SMALL + POLICY.replace("{SET}", "{resources.approval_capacity: 30}").replace("2021-07", "2021-13")
    scenario = write_scenario(tmp_path, text)
    first = assert_where(error_of(scenario), scenario, "policies.0.from")
    assert "YYYY-MM" in first


def test_guarantee_pool_needs_a_bank_source(tmp_path: Path) -> None:
    text = edit(
        SMALL,
        "  sources:\n",
        "  guarantee_pool: {capital: 2, leverage: 5, sectors: [industry]}\n  sources:\n",
    )
    text = text.replace("bank: {supply: 5}", "loans: {supply: 5}").replace("bank: 0.3}", "loans: 0.3}")
    message = error_of(write_scenario(tmp_path, text))
    assert "'bank' source" in message


# --------------------------------------------------------------------------------------
# the in-flight projects CSV


def _csv_path(folder: Path) -> Path:
    return (folder / "data" / "projects.csv").resolve()


@pytest.mark.parametrize(
    ("rows", "line", "column", "shown"),
    [
        ("A1,industry,2.0,construction,0.5\nA2,mining,1.0,approval,0.2\n", 3, "sector", "'mining'"),
        (
            "A1,industry,2.0,construction,0.5\nA2,services,lots,approval,0.2\n",
            3,
            "total_investment",
            "'lots'",
        ),
        ("A1,industry,-2.0,construction,0.5\n", 2, "total_investment", "'-2.0'"),
        ("A1,industry,2.0,construction,1.5\n", 2, "progress", "'1.5'"),
        ("A1,industry,2.0,construction,half\n", 2, "progress", "'half'"),
        ("A1,industry,2.0,building,0.5\n", 2, "stage", "'building'"),
        ("A1,industry,2.0,construction,0.5\nA1,services,1.0,approval,0.2\n", 3, "id", "'A1'"),
        (
            "A1,industry,2.0,construction,0.5\n\nA2,services,lots,approval,0.2\n",
            4,
            "total_investment",
            "'lots'",
        ),
    ],
    ids=[
        "unknown-sector",
        "money-not-a-number",
        "money-negative",
        "progress-above-one",
        "progress-not-a-number",
        "unknown-stage",
        "duplicate-id",
        "after-a-blank-line",
    ],
)
def test_bad_csv_row_names_file_line_and_column(
    tmp_path: Path, rows: str, line: int, column: str, shown: str
) -> None:
    path = write_scenario(tmp_path, projects=HEADER + rows)
    message = error_of(path)
    first = message.splitlines()[0]
    assert first.startswith(f"{_csv_path(tmp_path)}:{line}: "), message
    assert "row" in first
    assert column in first
    assert shown in first
    assert_single(message)


def test_csv_with_a_missing_column(tmp_path: Path) -> None:
    path = write_scenario(
        tmp_path, projects="id,sector,total_investment,stage\nA1,industry,2.0,construction\n"
    )
    message = error_of(path)
    assert message.startswith(f"{_csv_path(tmp_path)}:1: "), message
    assert "progress" in message


def test_csv_accepts_bom_blank_lines_and_extra_columns(tmp_path: Path) -> None:
    projects = (
        "\ufeffid,name,sector,total_investment,stage,progress\nA1,一号,industry,2.0,construction,0.5\n\n"
    )
    path = write_scenario(tmp_path, projects=projects)
    scn = investsim.load_scenario(path)
    assert [(p.id, p.sector, p.total_investment) for p in scn.in_flight] == [("A1", "industry", 2.0)]


def test_missing_projects_csv(tmp_path: Path) -> None:
    text = edit(SMALL, "projects: data/projects.csv", "projects: data/nope.csv")
    path = write_scenario(tmp_path, text)
    message = error_of(path)
    assert str((tmp_path / "data" / "nope.csv").resolve()) in message
    assert "not found" in message
    assert "projects" in message
    assert_single(message)


# --------------------------------------------------------------------------------------
# --set


def test_set_unknown_key(tmp_path: Path) -> None:
    path = write_scenario(tmp_path)
    message = error_of(path, ["sectors.industry.arrivals.rat=3"])
    first = assert_where(message, "--set", "sectors.industry.arrivals.rat")
    assert "unknown key" in first
    assert "did you mean 'rate'" in first
    assert_single(message)


def test_set_unknown_top_level_key(tmp_path: Path) -> None:
    path = write_scenario(tmp_path)
    first = assert_where(error_of(path, ["horizen=4"]), "--set", "horizen")
    assert "did you mean 'horizon_years'" in first


@pytest.mark.parametrize("text", ["seed", "seed 5", "sectors.industry.arrivals.rate:5"])
def test_set_without_equals(tmp_path: Path, text: str) -> None:
    path = write_scenario(tmp_path)
    message = error_of(path, [text])
    assert message.startswith("--set: "), message
    assert repr(text) in message or text in message
    assert "=" in message
    assert_single(message)


@pytest.mark.parametrize("text", ["=5", "sectors..industry=5", ".seed=5"])
def test_set_with_an_empty_path(tmp_path: Path, text: str) -> None:
    path = write_scenario(tmp_path)
    message = error_of(path, [text])
    assert message.startswith("--set: "), message
    assert_single(message)


def test_set_through_a_value_that_is_not_a_section(tmp_path: Path) -> None:
    path = write_scenario(tmp_path)
    message = error_of(path, ["seed.x=3"])
    assert_where(message, "--set", "seed.x")
    assert_single(message)


def test_set_wrong_type(tmp_path: Path) -> None:
    path = write_scenario(tmp_path)
    first = assert_where(error_of(path, ["horizon_years=abc"]), "--set", "horizon_years")
    assert "abc" in first


def test_set_negative_duration(tmp_path: Path) -> None:
    path = write_scenario(tmp_path)
    message = error_of(path, ["sectors.industry.land={dist: fixed, value: -1}"])
    first = assert_where(message, "--set", "sectors.industry.land")
    assert "negative" in first


def test_set_bad_policy_blames_set(tmp_path: Path) -> None:
    """A bad policy given with --set is blamed on --set, not on the file."""
    path = write_scenario(tmp_path)
    message = error_of(path, ["policies=[{name: x, from: 2021, set: {resources.approval_capacty: 30}}]"])
    first = assert_where(message, "--set", "policies[0] 'x': resources.approval_capacty")
    assert "unknown key" in first


def test_set_wildcard_applies_to_every_sector(tmp_path: Path) -> None:
    path = write_scenario(tmp_path)
    scn = investsim.load_scenario(path, ["sectors.*.approval={dist: fixed, value: 3}"])
    assert set(scn.config.sectors) == {"industry", "services"}
    for name, sector in scn.config.sectors.items():
        assert sector.approval == Fixed(dist="fixed", value=3.0), name
    # the rest of each sector is untouched
    assert scn.config.sectors["industry"].land == Fixed(dist="fixed", value=2.0)


def test_set_values_are_yaml(tmp_path: Path) -> None:
    path = write_scenario(tmp_path)
    scn = investsim.load_scenario(
        path, ["sectors.*.arrivals.rate=2.5", "resources.approval_capacity=null", "seed=3"]
    )
    assert [s.arrivals.rate for s in scn.config.sectors.values()] == [2.5, 2.5]
    assert scn.config.resources.approval_capacity is None
    assert scn.config.seed == 3


# --------------------------------------------------------------------------------------
# extends


def _base_and_child(tmp_path: Path, child_text: str, base_text: str = SMALL) -> tuple[Path, Path]:
    """base/base.yaml (with base/data/projects.csv) and child/child.yaml, in separate folders."""
    base = write_scenario(tmp_path / "base", base_text, name="base.yaml")
    child = write_scenario(tmp_path / "child", child_text, name="child.yaml", projects=None)
    return base, child


def test_extends_deep_merges_and_resolves_base_paths(tmp_path: Path) -> None:
    child_text = """\
extends: ../base/base.yaml
name: child
sectors:
  industry:
    arrivals: {rate: 20}
"""
    _, child = _base_and_child(tmp_path, child_text)
    scn = investsim.load_scenario(child)
    c = scn.config
    assert c.name == "child"
    assert c.horizon_years == 3  # from the base
    assert set(c.sectors) == {"industry", "services"}
    industry = c.sectors["industry"]
    assert industry.arrivals.rate == 20  # from the child
    assert industry.size.median == 1.0  # the rest of the sector from the base
    assert industry.land == Fixed(dist="fixed", value=2.0)
    assert industry.funding == {"own": 0.7, "bank": 0.3}
    assert c.sectors["services"].arrivals.rate == 5
    # the base's relative `projects:` is read from the base's folder
    assert Path(c.projects or "").resolve() == (tmp_path / "base" / "data" / "projects.csv").resolve()
    assert [p.id for p in scn.in_flight] == ["A1", "A2"]


def test_extends_child_projects_path_is_relative_to_the_child(tmp_path: Path) -> None:
    child_text = "extends: ../base/base.yaml\nname: child\nprojects: mine.csv\n"
    _, child = _base_and_child(tmp_path, child_text)
    (tmp_path / "child" / "mine.csv").write_text(HEADER + "C1,services,4.0,land,0.1\n", encoding="utf-8")
    scn = investsim.load_scenario(child)
    assert [p.id for p in scn.in_flight] == ["C1"]


def test_extends_child_can_replace_a_distribution_with_another_form(tmp_path: Path) -> None:
    """A child that writes a whole distribution replaces the base's, not merges into it.

    Merging `{dist: fixed, value: 3}` into `{dist: lognormal, median: 4, p90: 8}` key by key
    gives a distribution with both forms' keys, which no user can mean.
    """
    child_text = """\
extends: ../base/base.yaml
sectors:
  industry:
    approval: {dist: fixed, value: 3}
"""
    _, child = _base_and_child(tmp_path, child_text)
    scn = investsim.load_scenario(child)
    assert scn.config.sectors["industry"].approval == Fixed(dist="fixed", value=3.0)


def test_extends_error_in_the_child_names_the_child(tmp_path: Path) -> None:
    child_text = """\
extends: ../base/base.yaml
sectors:
  industry:
    land: {dist: fixed, value: -1}
"""
    _, child = _base_and_child(tmp_path, child_text)
    message = error_of(child)
    first = assert_where(message, child, "sectors.industry.land", line_of(child_text, "land:"))
    assert "negative" in first


def test_extends_error_in_the_base_names_the_base(tmp_path: Path) -> None:
    base_text = edit(SMALL, "cancel: {approval: 0.05}", "cancel: {aproval: 0.05}")
    base, child = _base_and_child(tmp_path, "extends: ../base/base.yaml\nname: child\n", base_text)
    message = error_of(child)
    assert_where(message, base, "sectors.industry.cancel.aproval", line_of(base_text, "aproval"))


def test_extends_a_missing_file(tmp_path: Path) -> None:
    child_text = "name: child\nextends: ../base/nope.yaml\n"
    child = write_scenario(tmp_path / "child", child_text, name="child.yaml", projects=None)
    message = error_of(child)
    first = assert_where(message, child, "extends", line_of(child_text, "extends"))
    assert "nope.yaml" in first
    assert_single(message)


def test_extends_a_loop(tmp_path: Path) -> None:
    one = write_scenario(tmp_path, "extends: two.yaml\nname: one\n", name="one.yaml", projects=None)
    two = write_scenario(tmp_path, "extends: one.yaml\nname: two\n", name="two.yaml", projects=None)
    message = error_of(one)
    # named where the loop closes: two.yaml's extends (line 1) points back to one.yaml
    first = assert_where(message, two, "extends", line=1)
    assert "loop" in first
    assert str(one) in first
    assert_single(message)


def test_extends_itself(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, "extends: self.yaml\nname: me\n", name="self.yaml", projects=None)
    first = assert_where(error_of(path), path, "extends")
    assert "loop" in first


def test_extends_not_a_path(tmp_path: Path) -> None:
    text = SMALL + "extends: [a.yaml]\n"
    path = write_scenario(tmp_path, text)
    assert_where(error_of(path), path, "extends", line_of(text, "extends"))


# --------------------------------------------------------------------------------------
# the same mistakes through the real command line: exit 2, one message on stderr,
# no traceback, nothing written


Setup = Callable[[Path], tuple[list[str], list[str]]]
"""Writes a case's files into a folder; returns (command-line arguments, expected parts of stderr)."""


def _cli_malformed_yaml(folder: Path) -> tuple[list[str], list[str]]:
    text = edit(SMALL, "horizon_years: 3", "horizon_years: 3: 4")
    path = write_scenario(folder, text)
    return ["run", path.name], [f"{path}:{line_of(text, 'horizon_years')}: "]


def _cli_unknown_key(folder: Path) -> tuple[list[str], list[str]]:
    text = SMALL + "horizen: 4\n"
    path = write_scenario(folder, text)
    return ["run", path.name], [
        f"{path}:{line_of(text, 'horizen')}: horizen: unknown key",
        "did you mean 'horizon_years'",
    ]


def _cli_negative_duration(folder: Path) -> tuple[list[str], list[str]]:
    text = edit(SMALL, "land: {dist: fixed, value: 2}", "land: {dist: fixed, value: -2}")
    path = write_scenario(folder, text)
    return ["run", path.name], [f"{path}:{line_of(text, 'land:')}: sectors.industry.land: ", "negative"]


def _cli_bad_csv_row(folder: Path) -> tuple[list[str], list[str]]:
    path = write_scenario(
        folder, projects=HEADER + "A1,industry,2.0,construction,0.5\nA2,services,lots,approval,0.2\n"
    )
    return ["run", path.name], [f"{_csv_path(folder)}:3: ", "total_investment", "'lots'"]


def _cli_missing_file(folder: Path) -> tuple[list[str], list[str]]:
    folder.mkdir(parents=True, exist_ok=True)
    return ["run", "nope.yaml"], [str((folder / "nope.yaml").resolve()), "not found"]


def _cli_set_unknown_key(folder: Path) -> tuple[list[str], list[str]]:
    path = write_scenario(folder)
    return ["run", path.name, "--set", "sectors.industry.arrivals.rat=3"], [
        "--set: sectors.industry.arrivals.rat: unknown key",
        "did you mean 'rate'",
    ]


def _cli_set_without_equals(folder: Path) -> tuple[list[str], list[str]]:
    path = write_scenario(folder)
    return ["run", path.name, "--set", "seed"], ["--set: ", "'seed'"]


def _cli_bad_policy(folder: Path) -> tuple[list[str], list[str]]:
    text = SMALL + "policies:\n  - {name: reform, from: 2021, set: {resources.approval_capacty: 30}}\n"
    path = write_scenario(folder, text)
    line = line_of(text, "- {name: reform")
    return ["run", path.name], [
        f"{path}:{line}: policies[0] 'reform': resources.approval_capacty: unknown key"
    ]


def _cli_extends_loop(folder: Path) -> tuple[list[str], list[str]]:
    one = write_scenario(folder, "extends: two.yaml\nname: one\n", name="one.yaml", projects=None)
    write_scenario(folder, "extends: one.yaml\nname: two\n", name="two.yaml", projects=None)
    return ["run", one.name], [f"{one}", "extends: ", "loop"]


def _cli_set_value_like_markup(folder: Path) -> tuple[list[str], list[str]]:
    """A value with square brackets is the user's text, not terminal markup."""
    path = write_scenario(folder)
    return ["run", path.name, "--set", "horizon_years=a[/b]"], ["--set: horizon_years: ", "a[/b]"]


def _cli_set_value_like_markup_tag(folder: Path) -> tuple[list[str], list[str]]:
    path = write_scenario(folder)
    return ["run", path.name, "--set", "horizon_years=[bold]3"], ["--set: horizon_years: ", "[bold]3"]


def _cli_validate_bad_file(folder: Path) -> tuple[list[str], list[str]]:
    text = edit(
        SMALL,
        "approval: {dist: lognormal, median: 4, p90: 8}",
        "approval: {dist: lognormal, median: 4, p90: 2}",
    )
    path = write_scenario(folder, text)
    return ["validate", path.name], [
        f"{path}:{line_of(text, 'p90: 2')}: ",
        "sectors.industry.approval",
        "p90",
    ]


CLI_CASES: dict[str, Setup] = {
    "malformed-yaml": _cli_malformed_yaml,
    "unknown-key": _cli_unknown_key,
    "negative-duration": _cli_negative_duration,
    "bad-csv-row": _cli_bad_csv_row,
    "missing-file": _cli_missing_file,
    "set-unknown-key": _cli_set_unknown_key,
    "set-without-equals": _cli_set_without_equals,
    "bad-policy": _cli_bad_policy,
    "extends-loop": _cli_extends_loop,
    "set-value-like-markup": _cli_set_value_like_markup,
    "set-value-like-markup-tag": _cli_set_value_like_markup_tag,
    "validate": _cli_validate_bad_file,
}


@dataclass
class CliCase:
    """One bad-input case run through the console script."""

    work: Path
    expected: list[str]
    before: list[str]
    proc: subprocess.CompletedProcess[str]


def _run_case(root: Path, case: str) -> CliCase:
    work = root / case
    args, expected = CLI_CASES[case](work)
    if args[0] == "run":
        args += ["-n", "2", "--jobs", "1", "--out", "out"]
    before = sorted(str(p.relative_to(work)) for p in work.rglob("*"))
    proc = run_cli(*args, cwd=work)
    return CliCase(work, expected, before, proc)


@pytest.fixture(scope="module")
def cli_cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CliCase]:
    """Every case of CLI_CASES, run a few at a time (each is mostly interpreter start-up)."""
    root = tmp_path_factory.mktemp("cli_bad_input")
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {case: pool.submit(_run_case, root, case) for case in CLI_CASES}
        return {case: fut.result() for case, fut in futures.items()}


@pytest.mark.parametrize("case", list(CLI_CASES))
def test_cli_bad_input(cli_cases: dict[str, CliCase], case: str) -> None:
    c = cli_cases[case]
    proc, work = c.proc, c.work
    output = proc.stdout + proc.stderr
    assert proc.returncode == 2, f"exit {proc.returncode}\n{output}"
    assert "Traceback" not in output, output
    assert proc.stdout == "", proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr  # one clear message
    for part in c.expected:
        assert part in lines[0], f"{part!r} not in {lines[0]!r}"
    # nothing written: no results folder, no partial or temporary folder
    assert not (work / "out").exists()
    assert not (work / "results").exists()
    assert sorted(str(p.relative_to(work)) for p in work.rglob("*")) == c.before
