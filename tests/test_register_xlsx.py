"""The projects register from an Excel workbook (issue 15, part 6), and the Chinese column
names a planner's register has, in a workbook or a CSV: the same projects as the English
CSV, the same kind of messages with the row as Excel numbers it, and the traps of a real
register (a title above the header, a total row, merged cells, formulas never computed)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import Workbook

import investsim
from helpers import run_cli
from investsim.scenario.loading import scenario_sha256

SCENARIO: dict[str, Any] = {
    "name": "register",
    "start_year": 2024,
    "horizon_years": 3,
    "warmup_years": 1,
    "sectors": {
        "industry": {
            "arrivals": {"rate": 5},
            "size": {"dist": "lognormal", "median": 2.0, "p90": 9.0},
            "construction": {"dist": "fixed", "value": 12},
        },
        "infrastructure": {
            "arrivals": {"rate": 3},
            "size": {"dist": "fixed", "value": 4.0},
            "construction": {"dist": "fixed", "value": 18},
        },
    },
}

ENGLISH = ["id", "sector", "total_investment", "stage", "progress"]
CHINESE = ["项目编号", "行业", "总投资", "阶段", "进度"]
ROWS = [
    ["A1", "industry", 2.5, "construction", 0.4],
    ["A2", "infrastructure", 6, "land", 0],
    ["A3", "industry", 1.25, "approval", 0.5],
]
ROWS_ZH = [
    ["A1", "工业", 2.5, "在建", 0.4],
    ["A2", "基础设施", 6, "用地", 0],
    ["A3", "工业", 1.25, "审批", 0.5],
]
CSV = "id,sector,total_investment,stage,progress\n" + "".join(",".join(map(str, r)) + "\n" for r in ROWS)


def workbook(path: Path, rows: list[list[Any]], *, sheet: str = "项目", before: str | None = None) -> Path:
    """Write ``rows`` (the header first) to the sheet ``sheet`` of the workbook ``path``;
    ``before``, if given, is an earlier sheet of that name holding something else."""
    book = Workbook()
    first = book.active
    assert first is not None
    if before is not None:
        first.title = before
        first.append(["说明", "这一页不是项目表"])
        ws = book.create_sheet(sheet)
    else:
        first.title = sheet
        ws = first
    for row in rows:
        ws.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def scenario(folder: Path, projects: Any) -> Path:
    """The scenario in ``folder`` naming the register ``projects``."""
    path = folder / "s.yaml"
    data = {**SCENARIO, "projects": projects}
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(investsim.ScenarioError) as info:
        investsim.load_scenario(path)
    message = str(info.value)
    assert len(message.splitlines()) == 1, message
    return message


def in_flight(path: Path) -> list[tuple[Any, ...]]:
    return [tuple(vars(p).values()) for p in investsim.load_scenario(path).in_flight]


@pytest.fixture
def from_csv(tmp_path: Path) -> list[tuple[Any, ...]]:
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "projects.csv").write_text(CSV, encoding="utf-8")
    found = in_flight(scenario(folder, "projects.csv"))
    assert len(found) == 3
    return found


# --------------------------------------------------------------------------------------
# read as the CSV is


@pytest.mark.parametrize(("header", "rows"), [(ENGLISH, ROWS), (CHINESE, ROWS_ZH), (CHINESE, ROWS)])
def test_a_workbook_gives_the_projects_of_the_csv(
    tmp_path: Path, from_csv: list[tuple[Any, ...]], header: list[str], rows: list[list[Any]]
) -> None:
    workbook(tmp_path / "register.xlsx", [header, *rows])
    assert in_flight(scenario(tmp_path, "register.xlsx")) == from_csv


def test_a_planners_register_title_names_units_and_blank_rows(
    tmp_path: Path, from_csv: list[tuple[Any, ...]]
) -> None:
    # a title merged over the columns, a unit line, the Chinese header with the unit of
    # money, extra columns, a blank row inside and blank rows at the bottom; numbers as
    # text with thousands separators
    rows: list[list[Any]] = [
        ["辽源市在建项目表", None, None, None, None, None, None],
        ["单位：亿元", None, None, None, None, None, None],
        ["序号", "项目编号", "项目名称", "行业", "总投资（亿元）", "阶段", "进度"],
        [1, "A1", "一号厂房", "工业", "2.5", "在建", 0.4],
        [None] * 7,
        [2, "A2", "二号路", "基础设施", 6, "用地", 0],
        [3, "A3", "三号厂房", "工业", 1.25, "审批", "0.5"],
        [None] * 7,
        ["", "  ", None, None, None, None, None],
    ]
    path = workbook(tmp_path / "register.xlsx", rows)
    from openpyxl import load_workbook

    book = load_workbook(path)
    book["项目"].merge_cells("A1:G1")
    book.save(path)
    assert in_flight(scenario(tmp_path, "register.xlsx")) == from_csv


def test_the_sheet_option(tmp_path: Path, from_csv: list[tuple[Any, ...]]) -> None:
    workbook(tmp_path / "register.xlsx", [CHINESE, *ROWS_ZH], sheet="在建项目", before="封面")
    assert in_flight(scenario(tmp_path, {"file": "register.xlsx", "sheet": "在建项目"})) == from_csv
    # the first sheet is read when none is named: here the cover, which has no header
    message = error_of(scenario(tmp_path, "register.xlsx"))
    assert "register.xlsx: no header row in the first 20 rows of sheet '封面'" in message
    assert "row 1 has '说明', '这一页不是项目表'" in message
    message = error_of(scenario(tmp_path, {"file": "register.xlsx", "sheet": "项目"}))
    assert message.endswith(
        "the workbook has no sheet '项目'; its sheets are '封面', '在建项目' (projects.sheet names the sheet to read)"
    )


def test_the_sheet_option_is_for_a_workbook(tmp_path: Path) -> None:
    (tmp_path / "projects.csv").write_text(CSV, encoding="utf-8")
    message = error_of(scenario(tmp_path, {"file": "projects.csv", "sheet": "项目"}))
    assert "projects.sheet ('项目') is for an Excel workbook (.xlsx)" in message


def test_chinese_columns_in_a_csv(tmp_path: Path, from_csv: list[tuple[Any, ...]]) -> None:
    text = "项目编号,项目名称,行业,总投资（亿元）,阶段,进度\n" + "".join(
        f"{r[0]},名,{r[1]},{r[2]},{r[3]},{r[4]}\n" for r in ROWS_ZH
    )
    (tmp_path / "projects.csv").write_text(text, encoding="utf-8")
    assert in_flight(scenario(tmp_path, "projects.csv")) == from_csv


def test_overrides_name_another_sheet(tmp_path: Path, from_csv: list[tuple[Any, ...]]) -> None:
    workbook(tmp_path / "register.xlsx", [CHINESE, *ROWS_ZH], sheet="在建项目", before="封面")
    path = scenario(tmp_path, {"file": "register.xlsx", "sheet": "封面"})
    with pytest.raises(investsim.ScenarioError):
        investsim.load_scenario(path)
    loaded = investsim.load_scenario(path, ["projects.sheet=在建项目"])
    assert [tuple(vars(p).values()) for p in loaded.in_flight] == from_csv


# --------------------------------------------------------------------------------------
# refused, with the row as Excel numbers it


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            ["A9", "工业", "2.5亿", "在建", 0.4],
            "register.xlsx:6: 总投资 (项目!C6): must be a positive number, got '2.5亿'",
        ),
        (
            ["A9", "工业", 2.5, "开工", 0.4],
            "register.xlsx:6: 阶段 (项目!D6): unknown stage '开工'; one of approval",
        ),
        (["A9", "商业", 2.5, "在建", 0.4], "register.xlsx:6: 行业 (项目!B6): unknown sector '商业'"),
        (
            ["A9", "工业", 2.5, "在建", 40],
            "register.xlsx:6: 进度 (项目!E6): must be a number from 0 to 1, got '40'",
        ),
        (
            ["A1", "工业", 2.5, "在建", 0.4],
            "register.xlsx:6: 项目编号 (项目!A6): duplicate id 'A1' (first on line 3)",
        ),
        (
            ["合计", None, 9.75, None, None],
            "register.xlsx:6: 项目编号 (项目!A6): '合计' makes this a total row",
        ),
        (
            ["注：单位为亿元", None, None, None, None],
            "register.xlsx:6: 项目编号 (项目!A6): the row has one value, '注：单位为亿元': a note",
        ),
    ],
)
def test_a_bad_row_names_the_excel_row_and_cell(tmp_path: Path, row: list[Any], expected: str) -> None:
    # a title on row 1, the header on row 2, projects on rows 3-5, the bad row on 6
    workbook(tmp_path / "register.xlsx", [["在建项目"], CHINESE, *ROWS_ZH, row])
    message = error_of(scenario(tmp_path, "register.xlsx"))
    assert expected in message


def test_a_total_row_after_blank_rows_is_refused(tmp_path: Path) -> None:
    workbook(
        tmp_path / "register.xlsx", [CHINESE, *ROWS_ZH, [None] * 5, [None] * 5, ["总计", "", 9.75, "", ""]]
    )
    assert "register.xlsx:7: 项目编号 (项目!A7): '总计' makes this a total row" in error_of(
        scenario(tmp_path, "register.xlsx")
    )


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            ["id", "行业", "sector", "总投资", "阶段", "进度"],
            "columns '行业' (column B) and 'sector' (column C) both name sector (行业): keep one of them",
        ),
        (
            ["项目编号", "行业", "总投资（万元）", "阶段", "进度"],
            "header, 总投资（万元）: the column is in 万元 and the scenario's money_unit is 亿元",
        ),
        (["项目编号", "行业", "总投资", "阶段"], "missing column(s): progress (进度)"),
        (
            ["项目编号", "行业", "总投资", "阶段", "进度", "行业"],
            "column '行业' appears twice (columns B and F)",
        ),
    ],
)
def test_a_bad_header(tmp_path: Path, header: list[str], expected: str) -> None:
    workbook(tmp_path / "register.xlsx", [header, ["A1", "工业", 2.5, "在建", 0.4, "工业"]])
    message = error_of(scenario(tmp_path, "register.xlsx"))
    assert "register.xlsx:1: " in message
    assert expected in message


def test_chinese_and_english_names_of_one_column_in_a_csv(tmp_path: Path) -> None:
    (tmp_path / "projects.csv").write_text(
        "id,项目编号,sector,total_investment,stage,progress\n", encoding="utf-8"
    )
    message = error_of(scenario(tmp_path, "projects.csv"))
    assert (
        "projects.csv:1: header, 项目编号: columns 'id' (column 1) and '项目编号' (column 2) both name id"
        in message
    )


@pytest.mark.parametrize(
    ("merge", "expected"),
    [
        (
            "A1:A2",
            "register.xlsx:1: merged cells: cells 项目!A1:A2 are merged: the header spans several rows",
        ),
        (
            "B2:B3",
            "register.xlsx:2: merged cells: cells 项目!B2:B3 are merged: a value is merged over several cells",
        ),
    ],
)
def test_merged_cells_are_refused(tmp_path: Path, merge: str, expected: str) -> None:
    from openpyxl import load_workbook

    path = workbook(tmp_path / "register.xlsx", [CHINESE, *ROWS_ZH])
    book = load_workbook(path)
    book["项目"].merge_cells(merge)
    book.save(path)
    assert expected in error_of(scenario(tmp_path, "register.xlsx"))


def test_a_formula_never_computed(tmp_path: Path) -> None:
    # openpyxl writes formulas without their values, as other programs may
    workbook(tmp_path / "register.xlsx", [CHINESE, ["A1", "工业", "=1+1.5", "在建", 0.4]])
    message = error_of(scenario(tmp_path, "register.xlsx"))
    assert "register.xlsx:2: 总投资 (项目!C2): the cell holds the formula '=1+1.5' and no value" in message


def test_a_register_in_another_unit_names_the_cell(tmp_path: Path) -> None:
    workbook(tmp_path / "register.xlsx", [CHINESE, ["A1", "工业", 25000, "在建", 0.4]])
    message = error_of(scenario(tmp_path, "register.xlsx"))
    assert "register.xlsx:2: 总投资 (项目!C2): 25,000 亿元 is" in message
    assert "is the file in 万元?" in message


def test_an_empty_sheet(tmp_path: Path) -> None:
    workbook(tmp_path / "register.xlsx", [])
    assert "sheet '项目' is empty" in error_of(scenario(tmp_path, "register.xlsx"))


# --------------------------------------------------------------------------------------
# the fingerprint, and the command line


def test_the_fingerprint_does_not_depend_on_the_folder(tmp_path: Path) -> None:
    for folder in ("one", "two/deeper"):
        workbook(tmp_path / folder / "register.xlsx", [CHINESE, *ROWS_ZH], sheet="在建项目", before="封面")
        scenario(tmp_path / folder, {"file": "register.xlsx", "sheet": "在建项目"})
    one = investsim.load_scenario(tmp_path / "one" / "s.yaml")
    two = investsim.load_scenario(tmp_path / "two" / "deeper" / "s.yaml")
    assert scenario_sha256(one) == scenario_sha256(two)
    # the workbook's own bytes (its save time) do not count: the rows read do
    shutil.copy(tmp_path / "one" / "register.xlsx", tmp_path / "one" / "copy.xlsx")
    workbook(tmp_path / "one" / "register.xlsx", [CHINESE, *ROWS_ZH], sheet="在建项目", before="封面")
    assert scenario_sha256(investsim.load_scenario(tmp_path / "one" / "s.yaml")) == scenario_sha256(one)
    # another row is another scenario
    workbook(tmp_path / "one" / "register.xlsx", [CHINESE, *ROWS_ZH[:2]], sheet="在建项目", before="封面")
    assert scenario_sha256(investsim.load_scenario(tmp_path / "one" / "s.yaml")) != scenario_sha256(one)


def test_a_run_with_a_workbook_register_loads_back(tmp_path: Path) -> None:
    workbook(tmp_path / "register.xlsx", [CHINESE, *ROWS_ZH], sheet="在建项目", before="封面")
    loaded = investsim.load_scenario(scenario(tmp_path, {"file": "register.xlsx", "sheet": "在建项目"}))
    forecast = investsim.simulate(loaded, 2, 1)
    forecast.save(tmp_path / "out")
    back = investsim.Forecast.load(tmp_path / "out")
    assert scenario_sha256(back.scenario) == scenario_sha256(loaded)
    assert investsim.Forecast.load(tmp_path / "out", scenario=loaded).scenario is loaded


def test_cli_a_bad_workbook_is_one_message(tmp_path: Path) -> None:
    workbook(tmp_path / "register.xlsx", [CHINESE, *ROWS_ZH, ["A4", "工业", "两亿", "在建", 0.4]])
    scenario(tmp_path, "register.xlsx")
    proc = run_cli("validate", "s.yaml", cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    assert "register.xlsx:5: 总投资 (项目!C5): must be a positive number, got '两亿'" in lines[0]


def test_the_chinese_words_are_the_reports() -> None:
    # the register reads the words the report writes for the bundled sectors and stages
    import tomllib

    from investsim.scenario.projects import SECTORS_ZH, STAGES_ZH

    path = Path(investsim.__file__).parent / "reporting" / "wording.toml"
    names = tomllib.loads(path.read_text(encoding="utf-8"))["names_zh"]
    for english in {*SECTORS_ZH.values(), *(s for s in STAGES_ZH.values() if s != "completed")}:
        assert SECTORS_ZH.get(names[english], STAGES_ZH.get(names[english])) == english
