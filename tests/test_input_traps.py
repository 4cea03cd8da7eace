"""Traps new users fell into on the input side (issue 17): each is now one clear message.

Policies dated outside the simulated years, a projects register in 万元 under a scenario
in 亿元, a total row under the register, an Excel workbook named as the register,
full-width punctuation typed by a Chinese input method, ``from: 2025-07-01``, ``3%`` for
a fraction and a misspelt key inside a policy's ``set``. docs/errors.md shows each message.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import investsim

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
