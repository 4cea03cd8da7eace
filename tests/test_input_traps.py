"""Traps new users fell into on the input side (issue 17): each is now one clear message.

Policies dated outside the simulated years, a projects register in 万元 under a scenario
in 亿元, a total row under the register, an Excel workbook named as the register,
full-width punctuation typed by a Chinese input method, ``from: 2025-07-01``, ``3%`` for
a fraction and a misspelt key inside a policy's ``set``. docs/errors.md shows each message.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

import investsim
from investsim.scenario.loading import scenario_sha256
from investsim.scenario.policies import policy_timeline

SCENARIO = """\
name: traps
start_year: 2024
horizon_years: 7
warmup_years: 2
sectors:
  industry:
    arrivals: {rate: 25}
    size: {dist: lognormal, median: 2.0, p90: 9.0}
    approval: {dist: lognormal, median: 7, p90: 14}
    construction: {dist: gamma, mean: 18, cv: 0.4}
  services:
    arrivals: {rate: 10}
    size: {dist: fixed, value: 1.5}
    construction: {dist: fixed, value: 12}
resources:
  approval_capacity: 20
"""

HEADER = "id,sector,total_investment,stage,progress\n"


def write(
    folder: Path, text: str, projects: str | bytes | None = None, *, name: str = "projects.csv"
) -> Path:
    """``text`` as folder/s.yaml; ``projects`` (CSV text or raw bytes) as folder/``name``."""
    folder.mkdir(parents=True, exist_ok=True)
    if projects is not None:
        target = folder / name
        if isinstance(projects, bytes):
            target.write_bytes(projects)
        else:
            target.write_text(projects, encoding="utf-8")
        text += f"projects: {name}\n"
    path = folder / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return path.resolve()


def policy(when: str, change: str = "resources.approval_capacity: 30", name: str = "reform") -> str:
    """A ``policies:`` section with one policy."""
    return f"policies:\n  - name: {name}\n    from: {when}\n    set: {{{change}}}\n"


def error_of(path: Path, overrides: list[str] | None = None) -> str:
    """The one-line message loading ``path`` raises."""
    with pytest.raises(investsim.ScenarioError) as info:
        investsim.load_scenario(path, overrides or [])
    message = str(info.value)
    assert len(message.splitlines()) == 1, message
    return message


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line of ``text`` containing ``needle``."""
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


# --------------------------------------------------------------------------------------
# policies dated outside the simulated years


def test_a_policy_after_the_run_is_refused(tmp_path: Path) -> None:
    text = SCENARIO + policy("2035")
    path = write(tmp_path, text)
    message = error_of(path)
    assert message.startswith(f"{path}:{line_of(text, 'from:')}: policies[0] 'reform': from: 2035 is after")
    assert "the run's last year, 2030" in message
    assert "never take effect" in message
    assert "up to 2030-12" in message


def test_a_policy_the_year_after_the_run_is_refused(tmp_path: Path) -> None:
    # 1 January 2031 is the instant the run ends: the policy is never in force
    assert "2031 is after the run's last year, 2030" in error_of(write(tmp_path, SCENARIO + policy("2031")))


def test_a_policy_before_the_simulation_starts_is_refused(tmp_path: Path) -> None:
    text = SCENARIO + policy("2015")
    path = write(tmp_path, text)
    message = error_of(path)
    assert message.startswith(f"{path}:{line_of(text, 'from:')}: policies[0] 'reform': from: 2015 is before")
    assert "1 January 2022: start_year 2024 - warmup_years 2" in message
    assert "set its values in the scenario, or give a date from 2022 on" in message


def test_a_policy_before_the_start_without_warm_up(tmp_path: Path) -> None:
    message = error_of(
        write(tmp_path, SCENARIO.replace("warmup_years: 2", "warmup_years: 0") + policy("2023-12"))
    )
    assert (
        "2023-12 is before the simulation starts (1 January 2024: start_year 2024, no warmup_years)"
        in message
    )


@pytest.mark.parametrize("when", ["2022", "2022-01", "2023-06", "2024", "2030-12"])
def test_policies_within_the_simulated_years_are_accepted(tmp_path: Path, when: str) -> None:
    scenario = investsim.load_scenario(write(tmp_path, SCENARIO + policy(when)))
    assert [c.start for c in scenario.changes] == [when]


def test_a_policy_date_is_checked_again_when_the_run_changes(tmp_path: Path) -> None:
    path = write(tmp_path, SCENARIO + policy("2029"))
    scenario = investsim.load_scenario(path)
    with pytest.raises(investsim.ScenarioError, match=r"2029 is after the run's last year, 2027"):
        scenario.with_overrides({"horizon_years": 4})
    message = error_of(path, ["horizon_years=4"])
    assert "policies[0] 'reform': from: 2029 is after the run's last year, 2027" in message


def test_the_timeline_lists_each_policy_and_when_it_takes_effect(tmp_path: Path) -> None:
    text = SCENARIO + (
        "policies:\n"
        "  - {name: credit, from: 2026-07, set: {resources.approval_capacity: 30}}\n"
        "  - {name: early, from: 2023, set: {sectors.*.arrivals.rate: 12}}\n"
    )
    timeline = policy_timeline(investsim.load_scenario(write(tmp_path, text)))
    assert [(t.name, t.written, t.takes_effect, t.before_start) for t in timeline] == [
        ("early", "2023", datetime.date(2023, 1, 1), True),
        ("credit", "2026-07", datetime.date(2026, 7, 1), False),
    ]
    assert timeline[0].paths == ("sectors.industry.arrivals.rate", "sectors.services.arrivals.rate")
    assert timeline[1].summary == "'credit' from 2026-07 (1 July 2026): sets resources.approval_capacity"
    assert timeline[0].summary.startswith("'early' from 2023 (1 January 2023, during the warm-up): sets ")


# --------------------------------------------------------------------------------------
# from: as a full date


@pytest.mark.parametrize("when", ["2025-07-01", "'2025-07-01'", "2025-07-01 00:00:00"])
def test_a_date_on_the_first_of_a_month_is_read_as_its_month(tmp_path: Path, when: str) -> None:
    as_date = investsim.load_scenario(write(tmp_path / "a", SCENARIO + policy(when)))
    as_month = investsim.load_scenario(write(tmp_path / "b", SCENARIO + policy("2025-07")))
    assert [(c.start, c.time) for c in as_date.changes] == [("2025-07", 1.5)]
    assert as_date.config == as_month.config
    assert scenario_sha256(as_date) == scenario_sha256(as_month)


def test_a_date_on_another_day_is_one_message(tmp_path: Path) -> None:
    text = SCENARIO + policy("2025-07-15")
    path = write(tmp_path, text)
    assert error_of(path) == (
        f"{path}:{line_of(text, 'from:')}: policies.0.from: from(=2025-07-15) must be a year or YYYY-MM: "
        "a policy takes effect on the first of a month; write 2025-07 or 2025-08"
    )


def test_a_december_date_suggests_january_of_the_next_year(tmp_path: Path) -> None:
    assert "write 2025-12 or 2026-01" in error_of(write(tmp_path, SCENARIO + policy("2025-12-24")))


def test_a_date_that_does_not_exist_names_its_line(tmp_path: Path) -> None:
    text = SCENARIO + policy("2025-02-30")
    path = write(tmp_path, text)
    assert error_of(path) == (
        f"{path}:{line_of(text, 'from:')}: not valid YAML: '2025-02-30' is not a date "
        "(day is out of range for month)"
    )


# --------------------------------------------------------------------------------------
# full-width punctuation


def test_a_full_width_comma_in_braces(tmp_path: Path) -> None:
    text = SCENARIO.replace("arrivals: {rate: 25}", "arrivals: {rate: 25，growth: 0.03}")
    path = write(tmp_path, text)
    assert error_of(path) == (
        f"{path}:7: not valid YAML: the full-width comma '，' (U+FF0C) at column 24 must be the ASCII ',' "
        "(a Chinese input method types it; YAML said: expected ',' or '}', but got ':')"
    )


def test_a_full_width_colon_after_a_key(tmp_path: Path) -> None:
    path = write(tmp_path, SCENARIO.replace("horizon_years: 7", "horizon_years：7"))
    assert error_of(path).startswith(
        f"{path}:3: not valid YAML: the full-width colon '：' (U+FF1A) at column 14 must be the ASCII ':'"
    )


def test_a_full_width_colon_ending_a_line(tmp_path: Path) -> None:
    path = write(tmp_path, SCENARIO.replace("  industry:", "  industry："))
    assert error_of(path).startswith(
        f"{path}:6: not valid YAML: the full-width colon '：' (U+FF1A) at column 11 must be the ASCII ':'"
    )


def test_full_width_text_in_comments_and_quotes_is_not_blamed(tmp_path: Path) -> None:
    text = SCENARIO.replace("name: traps", 'name: "辽源，城市"  # 说明：好').replace(
        "start_year: 2024", "start_year: 2024: 1"
    )
    path = write(tmp_path, text)
    assert error_of(path) == f"{path}:2: not valid YAML: mapping values are not allowed here"


def test_full_width_text_in_a_valid_scenario_is_kept(tmp_path: Path) -> None:
    text = SCENARIO.replace("name: traps", "name: 辽源，城市\ndescription: 说明：工业、服务业")
    assert investsim.load_scenario(write(tmp_path, text)).config.description == "说明：工业、服务业"


def test_a_full_width_colon_read_as_a_key(tmp_path: Path) -> None:
    path = write(tmp_path, SCENARIO.replace("{rate: 25}", "{rate：25}"))
    message = error_of(path)
    assert message == (
        f"{path}:7: sectors.industry.arrivals.rate：25: unknown key (did you mean 'rate'?); 'rate：25' has "
        "the full-width colon '：' (U+FF1A) at character 5 where YAML needs the ASCII ':' (a Chinese input "
        "method types it)"
    )


def test_a_full_width_colon_read_as_a_value(tmp_path: Path) -> None:
    path = write(tmp_path, SCENARIO.replace("arrivals: {rate: 25}", "arrivals:\n      rate：25"))
    assert error_of(path).endswith(
        "sectors.industry.arrivals: must be a section of keys, got 'rate：25'; 'rate：25' has the full-width "
        "colon '：' (U+FF1A) at character 5 where YAML needs the ASCII ':' (a Chinese input method types it)"
    )


def test_a_full_width_point_in_a_number(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, SCENARIO.replace("{rate: 25}", "{rate: 25, growth: 0．03}")))
    assert "(got '0．03'); '0．03' has the full-width full stop '．' (U+FF0E) at character 2" in message


def test_full_width_digits_are_named(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, SCENARIO.replace("start_year: 2024", "start_year: ２０２４")))
    assert message.endswith(
        "(got '２０２４'); '２０２４' has the full-width digit two '２' (U+FF12) at character 1 where YAML "
        "needs the ASCII '2' (a Chinese input method types it)"
    )


def test_a_curly_quote_ending_a_line_is_not_blamed_for_the_next(tmp_path: Path) -> None:
    text = SCENARIO.replace("name: traps", "name: “traps”").replace("start_year: 2024", "start_year: 2024: 1")
    path = write(tmp_path, text)
    assert error_of(path) == f"{path}:2: not valid YAML: mapping values are not allowed here"


# --------------------------------------------------------------------------------------
# 3% for 0.03


def test_a_percentage_gets_the_fraction(tmp_path: Path) -> None:
    path = write(tmp_path, SCENARIO.replace("{rate: 25}", "{rate: 25, growth: 3%}"))
    assert error_of(path) == (
        f"{path}:7: sectors.industry.arrivals.growth: Input should be a valid number, unable to parse "
        "string as a number (got '3%'): a percentage is written as a fraction, 3% as 0.03"
    )


@pytest.mark.parametrize(("written", "fraction"), [("2.5%", "0.025"), ("-3 %", "-0.03"), ("12％", "0.12")])
def test_percentages_in_other_forms(tmp_path: Path, written: str, fraction: str) -> None:
    message = error_of(write(tmp_path, SCENARIO), [f"sectors.industry.arrivals.growth={written}"])
    assert message.startswith("--set: sectors.industry.arrivals.growth: ")
    assert message.endswith(f"a percentage is written as a fraction, {written} as {fraction}")


def test_a_percentage_in_a_policy(tmp_path: Path) -> None:
    text = SCENARIO + policy("2026", "sectors.industry.arrivals.growth: 5%")
    message = error_of(write(tmp_path, text))
    assert "policies[0] 'reform': sectors.industry.arrivals.growth: " in message
    assert message.endswith("a percentage is written as a fraction, 5% as 0.05")


def test_words_get_no_percentage_hint(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, SCENARIO), ["sectors.industry.arrivals.growth=lots"])
    assert "percentage" not in message


# --------------------------------------------------------------------------------------
# a misspelt key inside a policy


@pytest.mark.parametrize(
    ("change", "shown", "suggested"),
    [
        ("sectors.industry.aproval: {dist: fixed, value: 3}", "sectors.industry.aproval", "approval"),
        ("resources.approval_capacty: 30", "resources.approval_capacty", "approval_capacity"),
        ("resource.approval_capacity: 30", "resource.approval_capacity: resource", "resources"),
        (
            "sectors.*.aproval: {dist: fixed, value: 3}",
            "sectors.*.aproval: sectors.industry.aproval",
            "approval",
        ),
    ],
)
def test_a_misspelt_key_in_a_policy_gets_a_suggestion(
    tmp_path: Path, change: str, shown: str, suggested: str
) -> None:
    text = SCENARIO + policy("2026", change)
    path = write(tmp_path, text)
    assert error_of(path) == (
        f"{path}:{line_of(text, 'set:')}: policies[0] 'reform': {shown}: unknown key (did you mean {suggested!r}?)"
    )
