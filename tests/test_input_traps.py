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
import yaml

import investsim
from helpers import LIBRARY, run_cli
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
# the projects register


def test_a_register_in_wan_yuan_is_refused_with_a_hint(tmp_path: Path) -> None:
    rows = "A,industry,250000,construction,0.5\nB,industry,800000,approval,0\nC,services,2.5,land,0\n"
    path = write(tmp_path, SCENARIO, HEADER + rows)
    message = error_of(path)
    csv = tmp_path / "projects.csv"
    assert message.startswith(f"{csv.resolve()}:2: row 1, total_investment: 250,000 亿元 is 27,778 times")
    assert "industry's sizes in the scenario (9 亿元)" in message
    assert "2 of 3 rows are over 1000 times theirs" in message
    assert "is the file in 万元? 1 亿元 = 10,000 万元: divide total_investment by 10,000" in message


def test_the_register_size_check_names_other_units(tmp_path: Path) -> None:
    text = SCENARIO.replace("resources:", "money_unit: 万元\nresources:")
    message = error_of(write(tmp_path, text, HEADER + "A,services,90000,construction,0.5\n"))
    assert "90,000 万元 is 60,000 times" in message
    assert "is the file in 元? 1 万元 = 10,000 元" in message
    message = error_of(
        write(tmp_path, text.replace("万元", "million yuan"), HEADER + "A,services,9000,land,0\n")
    )
    assert "another unit than the scenario's money_unit (million yuan)" in message


def test_large_projects_within_the_limit_are_accepted(tmp_path: Path) -> None:
    # 1000 x the P90 is the limit: a project of 8,999 亿 in industry (P90 9) still loads
    rows = 'A,industry,8999,construction,0.5\nB,services,1500,approval,0\nC,industry,"1,234.5",land,0\n'
    scenario = investsim.load_scenario(write(tmp_path, SCENARIO, HEADER + rows))
    assert [p.total_investment for p in scenario.in_flight] == [8999.0, 1500.0, 1234.5]


def test_thousands_separators_in_a_register_of_large_numbers(tmp_path: Path) -> None:
    text = SCENARIO.replace("median: 2.0, p90: 9.0", "median: 20000, p90: 90000")
    scenario = investsim.load_scenario(write(tmp_path, text, HEADER + 'A,industry,"12,345,678.25",land,0\n'))
    assert scenario.in_flight[0].total_investment == 12345678.25


def test_the_size_check_holds_when_a_scenario_is_changed_in_code(tmp_path: Path) -> None:
    path = write(tmp_path, SCENARIO, HEADER + "A,services,1000,construction,0.5\n")
    scenario = investsim.load_scenario(path)  # 1000 <= 1000 x 1.5
    change = "sectors.services.size.value"
    with pytest.raises(investsim.ScenarioError) as info:
        scenario.with_overrides({change: 0.5})
    assert "row 1, total_investment: 1,000 亿元 is 2,000 times" in str(info.value)
    assert "row 1, total_investment: 1,000 亿元 is 2,000 times" in error_of(path, [f"{change}=0.5"])


@pytest.mark.parametrize(
    ("row", "column", "label"),
    [
        ("合计,,10.5,,", "id", "'合计'"),
        (",industry,10.5,,", None, None),  # the same row without a label: an unknown stage
        ("Total,,10.5,,", "id", "'Total'"),
        (" 合  计： ,,10.5,,", "id", "'合  计：'"),
        ("X,总计,10.5,,", "sector", "'总计'"),
        ("X,industry,10.5,construction,0.5,Grand total", "field 6", "'Grand total'"),
    ],
)
def test_a_total_row_is_named(tmp_path: Path, row: str, column: str | None, label: str | None) -> None:
    rows = "A,industry,2.5,construction,0.5\nB,services,8,approval,0\n" + row + "\n"
    message = error_of(write(tmp_path, SCENARIO, HEADER + rows))
    if label is None:
        assert "total row" not in message
        return
    csv = (tmp_path / "projects.csv").resolve()
    assert message == (
        f"{csv}:4: row 3, {column}: {label} makes this a total row, not a project: delete the row "
        "(investsim adds the projects up itself; a total would count them twice)"
    )


def test_a_total_under_a_named_column(tmp_path: Path) -> None:
    text = "id,name_zh,sector,total_investment,stage,progress\nA,一号厂房,industry,2.5,land,0\n,合计,,2.5,,\n"
    message = error_of(write(tmp_path, SCENARIO, text))
    assert ":3: row 2, name_zh: '合计' makes this a total row" in message


@pytest.mark.parametrize(
    ("name", "magic", "kind"),
    [
        ("projects.csv", b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xd9\x8a", "a zip file (an Excel"),
        ("projects.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00\x00\xd9", "an old-format Excel workbook"),
        ("projects.ods", b"PK\x03\x04\x14\x00\x00\x08\x00\x00mimetype", "an OpenDocument spreadsheet"),
    ],
)
def test_a_workbook_is_not_read_as_csv(tmp_path: Path, name: str, magic: bytes, kind: str) -> None:
    message = error_of(write(tmp_path, SCENARIO, magic + bytes(range(256)), name=name))
    assert message.startswith(f"{(tmp_path / name).resolve()}: this is {kind}")
    assert (
        "not a CSV file: open it in Excel and use File > Save As, 'CSV UTF-8 (Comma delimited) (*.csv)'"
        in message
    )
    assert "not UTF-8" not in message


def test_a_broken_workbook_says_so(tmp_path: Path) -> None:
    # a register named .xlsx is read as a workbook: one that is not one is refused as such
    message = error_of(
        write(tmp_path, SCENARIO, b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)), name="projects.xlsx")
    )
    assert message.startswith(
        f"{(tmp_path / 'projects.xlsx').resolve()}: can't read this as an Excel workbook ("
    )
    assert "save it again as an Excel workbook (.xlsx)" in message


def test_progress_as_a_percentage_gets_the_fraction(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, SCENARIO, HEADER + "A,industry,2.5,construction,40%\n"))
    assert message.endswith(
        "row 1, progress: must be a number from 0 to 1, got '40%': a percentage is written as a fraction, 40% as 0.4"
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


# --------------------------------------------------------------------------------------
# the command line


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("late-policy", "policies[0] 'reform': from: 2035 is after the run's last year, 2030"),
        ("workbook", "can't read this as an Excel workbook (File is not a zip file)"),
        ("full-width", "the full-width comma '，' (U+FF0C) at column 24"),
    ],
)
def test_cli_traps_are_one_message(tmp_path: Path, case: str, expected: str) -> None:
    if case == "late-policy":
        write(tmp_path, SCENARIO + policy("2035"))
    elif case == "workbook":
        write(tmp_path, SCENARIO, b"PK\x03\x04\x14\x00\x06\x00\xd9\xd9", name="projects.xlsx")
    else:
        write(tmp_path, SCENARIO.replace("{rate: 25}", "{rate: 25，growth: 0.03}"))
    proc = run_cli("validate", "s.yaml", cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    assert expected in lines[0]


def test_validate_lists_the_policies_and_when_each_takes_effect(tmp_path: Path) -> None:
    proc = run_cli("validate", str(LIBRARY / "reform_package.yaml"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = " ".join(proc.stdout.split())  # the console wraps long lines
    assert "policies: 4" in out
    assert "'loan guarantee pool' from 2020 (1 January 2020): sets financing.guarantee_pool" in out
    plain = run_cli("validate", str(LIBRARY / "baseline.yaml"), cwd=tmp_path)
    assert "policies: none (current policies throughout)" in plain.stdout


def test_a_first_year_far_from_last_observed_is_warned_about(tmp_path: Path) -> None:
    far = run_cli(
        "run", "-n", "4", "--set", "last_observed={year: 2018, investment: 650}", "--out", "far", cwd=tmp_path
    )
    assert far.returncode == 0, far.stderr
    text = " ".join(far.stderr.split())
    assert "warning: the median growth of 2019 over last_observed (2018: 650 亿元) is -" in text
    assert (tmp_path / "far" / "annual.csv").is_file()  # a warning, not a refusal
    near = run_cli(
        "run",
        "-n",
        "4",
        "--set",
        "last_observed={year: 2018, investment: 420}",
        "--out",
        "near",
        cwd=tmp_path,
    )
    assert near.returncode == 0
    assert "warning" not in near.stderr


def _financing_scenario(
    tmp_path: Path, funding: dict[str, float], pool_sectors: list[str] | None = None
) -> Path:
    data: dict[str, object] = {
        "name": "money",
        "start_year": 2020,
        "horizon_years": 2,
        "sectors": {
            "a": {
                "size": {"dist": "fixed", "value": 1},
                "construction": {"dist": "fixed", "value": 12},
                "funding": funding,
            },
            "b": {"size": {"dist": "fixed", "value": 1}, "construction": {"dist": "fixed", "value": 12}},
        },
        "financing": {"sources": {"own": "unlimited", "bank": {"supply": 10}, "bonds": {"supply": 5}}},
    }
    if pool_sectors is not None:
        data["financing"]["guarantee_pool"] = {"capital": 1, "leverage": 5, "sectors": pool_sectors}  # type: ignore[index]
    path = tmp_path / "money.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("typo", ["bamk", "bnak", "banks", "bonsd"])
def test_a_misspelt_funding_source_is_refused_with_the_source_it_means(tmp_path: Path, typo: str) -> None:
    with pytest.raises(
        investsim.ScenarioError,
        match=rf"sectors\.a\.funding\.{typo}: '{typo}' is not a source of financing\.sources .*: did you mean",
    ):
        investsim.load_scenario(_financing_scenario(tmp_path, {"own": 0.8, typo: 0.2}))


@pytest.mark.parametrize("other", ["equity", "loans", "ppp"])
def test_other_undeclared_sources_are_refused_too(tmp_path: Path, other: str) -> None:
    # no longer free money: every source a sector draws on is declared (tests/test_source_names.py)
    with pytest.raises(
        investsim.ScenarioError, match=rf"declare it under financing\.sources \('{other}: unlimited'"
    ):
        investsim.load_scenario(_financing_scenario(tmp_path, {"bank": 0.5, other: 0.5}))


def test_a_guarantee_pool_for_sectors_that_borrow_nothing_from_the_bank_is_refused(tmp_path: Path) -> None:
    with pytest.raises(
        investsim.ScenarioError, match=r"borrow nothing from 'bank'.*the pool would do nothing"
    ):
        investsim.load_scenario(_financing_scenario(tmp_path, {"own": 1.0}, pool_sectors=["a", "b"]))
    ok = investsim.load_scenario(
        _financing_scenario(tmp_path, {"own": 0.5, "bank": 0.5}, pool_sectors=["a", "b"])
    )
    assert ok.config.financing.guarantee_pool is not None
