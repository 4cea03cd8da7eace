"""The report: report.html (opened in headless Chromium), charts/*.png and forecast.xlsx.

The results folders (one of each kind, tiny) and Chromium are the session fixtures
``folders`` and ``browser`` (``reportkit.py``, ``conftest.py``).
"""

from __future__ import annotations

import math
import os
import shutil
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

from investsim.cli import cli
from investsim.reporting import charts, fonts
from investsim.reporting.labels import Labels
from investsim.reporting.report import detect_kind, write_report
from investsim.scenario.loading import default_scenario_path
from reportkit import GLYPH_WARNINGS, RUN_CHARTS, glyph_warnings


def test_kinds_detected(folders: dict[str, Path]) -> None:
    kinds = {
        "run": "run",
        "compare": "compare",
        "sweep": "sweep",
        "sweep1": "sweep",
        "sensitivity": "sensitivity",
        "calibrate": "calibrate",
    }
    for name, kind in kinds.items():
        assert detect_kind(folders[name]) == kind


def test_report_of_a_folder_that_is_not_results(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["report", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a results folder" in result.output


def test_charts_are_slide_sized_and_not_blank(folders: dict[str, Path]) -> None:
    from PIL import Image, ImageStat

    assert {p.stem for p in (folders["run"] / "charts").glob("*.png")} == RUN_CHARTS
    expected = {
        "compare": {"difference", "waterfall_1_total", "waterfall_1_2020_2021", "explanation_1"},
        "sweep": {"sweep", "sweep_2"},  # one chart per metric
        "sweep1": {"sweep"},
        "sensitivity": {"tornado"},
        "calibrate": {"fit"},
    }
    for kind, names in expected.items():
        assert {p.stem for p in (folders[kind] / "charts").glob("*.png")} == names, kind
    for png in folders["run"].glob("charts/*.png"):
        with Image.open(png) as image:
            assert image.size == (2000, 1120), png.name
            assert max(ImageStat.Stat(image.convert("L")).stddev) > 10, f"{png.name} looks blank"


@pytest.mark.parametrize("kind", ["run", "chinese", "compare", "sweep", "sweep1", "sensitivity", "calibrate"])
def test_report_opens_offline_with_every_chart(
    kind: str, folders: dict[str, Path], browser: Any, tmp_path: Path
) -> None:
    from PIL import Image, ImageStat

    folder = folders[kind]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    requests: list[str] = []
    url = (folder / "report.html").as_uri()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: errors.append(f"failed: {r.url}"))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url, wait_until="load")
    images = page.eval_on_selector_all(
        "img",
        """els => els.map(e => {
            const r = e.getBoundingClientRect();
            return {chart: e.dataset.chart, done: e.complete, width: e.naturalWidth,
                    box: [r.left + window.scrollX, r.top + window.scrollY, r.right + window.scrollX,
                          r.bottom + window.scrollY]};
        })""",
    )
    shot = tmp_path / f"report-{kind}.png"
    page.screenshot(path=str(shot), full_page=True)
    title = page.title()
    page.close()
    print(f"screenshot of the {kind} report: {shot}")
    if os.environ.get("INVESTSIM_ARTIFACTS"):
        keep = Path(os.environ["INVESTSIM_ARTIFACTS"])
        keep.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, keep / shot.name)

    assert errors == []
    assert [r for r in requests if r != url] == [], "the report loaded something beside itself"
    pngs = {p.stem for p in (folder / "charts").glob("*.png")}
    assert {i["chart"] for i in images} == pngs
    assert all(i["done"] and i["width"] == 2000 for i in images), images
    assert shot.stat().st_size > 10_000
    # the screenshot is the whole page at the viewport's width, and every chart is painted
    # in it where the page put it (a chart hidden, empty or not drawn shows as a flat box)
    with Image.open(shot) as image:
        assert image.width == 1280
        assert image.height >= max(900, *(math.ceil(i["box"][3]) for i in images))
        gray = image.convert("L")
    assert ImageStat.Stat(gray).stddev[0] > 10, "the page looks blank"
    for i in images:
        left, top, right, bottom = (round(v) for v in i["box"])
        assert right - left >= 600, i
        assert bottom - top >= 300, i
        chart = gray.crop((left, top, right, bottom))
        assert ImageStat.Stat(chart).stddev[0] > 10, f"chart {i['chart']} looks blank in the page"
    assert title


def test_html_is_self_contained(folders: dict[str, Path]) -> None:
    for kind in ("run", "compare", "sweep", "sensitivity"):
        text = (folders[kind] / "report.html").read_text(encoding="utf-8")
        assert "<script" not in text
        assert "http://" not in text
        assert "https://" not in text
        assert "Content-Security-Policy" in text
    text = (folders["run"] / "report.html").read_text(encoding="utf-8")
    manifest = investsim_manifest(folders["run"])
    for fact in ("liaoyuan-baseline", "Current policies", "seed", str(manifest["seed"]), "Key assumptions"):
        assert fact in text
    for assumption in ("industry", "38.0", "bank", "approvals handled at once", "No timed policies"):
        assert assumption in text


def investsim_manifest(folder: Path) -> dict[str, Any]:
    import json

    return dict(json.loads((folder / "manifest.json").read_text(encoding="utf-8")))


def _same(a: Any, b: Any) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    return b is not None and float(a) == pytest.approx(float(b), rel=1e-12, abs=1e-12)


def test_workbook_matches_annual_csv(folders: dict[str, Path]) -> None:
    from openpyxl import load_workbook

    folder = folders["run"]
    annual = pd.read_csv(folder / "annual.csv")
    replications = pd.read_csv(folder / "replications.csv")
    wb = load_workbook(folder / "forecast.xlsx")
    assert wb.sheetnames == [
        "Summary",
        "Annual summary",
        "By sector",
        "By source",
        "Stage statistics",
        "Monthly (YTD)",
        "Scenario parameters",
        "Run",
    ]
    checked = 0
    for ws in wb.worksheets[1:5]:
        assert ws.freeze_panes == "B3", ws.title
        keys = [c.value for c in ws[2]]
        assert keys[0] == "year"
        rows = list(ws.iter_rows(min_row=3, values_only=True))
        assert [r[0] for r in rows] == annual["year"].tolist()
        for j, key in enumerate(keys):
            assert ws.cell(row=1, column=j + 1).value, "every column has a heading"
            assert ws.column_dimensions[ws.cell(row=1, column=j + 1).column_letter].width >= 10
            if key in annual.columns:
                for r, expected in zip(rows, annual[key], strict=True):
                    assert _same(expected, r[j]), (ws.title, key, r[0], expected, r[j])
                    checked += 1
            elif key.startswith(("investment_sector_", "investment_source_")) and key.endswith("_mean"):
                means = replications.groupby("year")[key[: -len("_mean")]].mean()
                for r, expected in zip(rows, means, strict=True):
                    assert _same(expected, r[j]), (ws.title, key)
        formats = {key: ws.cell(row=3, column=j + 1).number_format for j, key in enumerate(keys)}
        assert formats["year"] == "0"
        for key, fmt in formats.items():
            if key.startswith("growth"):
                assert fmt == "0.0%"
            elif key.startswith("investment_"):
                assert fmt == "#,##0.00"
            elif key.endswith("_months_mean"):
                assert fmt == "0.0"
    assert checked > 100
    summary = wb["Annual summary"]
    p50 = [c.value for c in summary[2]].index("investment_p50") + 1
    assert isinstance(summary.cell(row=3, column=p50).value, float)
    params = {r[0]: r[1] for r in wb["Scenario parameters"].iter_rows(min_row=2, values_only=True)}
    scenario = investsim_manifest(folder)["resolved_scenario"]
    assert params["sectors.industry.arrivals.rate"] == scenario["sectors"]["industry"]["arrivals"]["rate"]
    assert params["financing.sources.bank.supply"] == pytest.approx(37.0)  # a number, not text
    assert params["horizon_years"] == 4
    assert params["last_observed"] == "null"
    assert wb["Scenario parameters"].freeze_panes == "A2"


def test_chinese_report_has_no_missing_glyphs(folders: dict[str, Path], tmp_path: Path) -> None:
    if fonts.cjk_font() is None:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk): Chinese charts can't be checked")
    # English reports, and the scenario with Chinese names in Chinese, made by the fixture
    assert GLYPH_WARNINGS == []
    for kind in ("run", "compare", "sweep", "sensitivity", "calibrate"):
        copy = tmp_path / kind
        shutil.copytree(folders[kind], copy)
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            write_report(copy, "zh")
        assert glyph_warnings(record) == [], kind
        assert '<html lang="zh-CN">' in (copy / "report.html").read_text(encoding="utf-8")
    text = (folders["chinese"] / "report.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in text
    for name in ("工业", "基础设施", "银行贷款", "审批改革", "年度固定资产投资"):
        assert name in text


def test_without_a_cjk_font_chinese_falls_back_to_english(
    folders: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(fonts, "cjk_font", lambda: None)
    monkeypatch.setattr(fonts, "_warned", set())
    copy = tmp_path / "chinese"
    shutil.copytree(folders["chinese"], copy)
    shutil.copytree(folders["sensitivity"], tmp_path / "sensitivity")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        write_report(copy, "zh")
        write_report(tmp_path / "sensitivity", "zh")
    assert glyph_warnings(record) == [], "CJK names must not be drawn as empty boxes"
    assert capsys.readouterr().err.count("no Chinese (CJK) font") == 1
    text = (copy / "report.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in text
    assert "Annual investment" in text


def test_report_failure_keeps_the_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import investsim
    import investsim.reporting.report

    def broken(folder: Path, lang: str = "en") -> list[Path]:
        raise RuntimeError("chart trouble")

    scenario = investsim.load_scenario(default_scenario_path(), ["horizon_years=2", "warmup_years=1"])
    forecast = investsim.simulate(scenario, replications=2, jobs=1)
    monkeypatch.setattr(investsim.reporting.report, "write_report", broken)
    out = forecast.save(tmp_path / "out")
    assert (out / "annual.csv").is_file()
    assert (out / "manifest.json").is_file()
    assert not (out / "report.html").exists()


def test_chart_functions_on_other_shapes_of_results() -> None:
    """Sobol indices, a sweep over words, three grids, no growth, two scenarios, a policy
    that lowers investment: every chart draws without a warning, and without touching
    pyplot's figures or the caller's rcParams."""
    import matplotlib
    import matplotlib.pyplot as plt

    family = list(matplotlib.rcParams["font.family"])
    labels = Labels("en")
    sobol = pd.DataFrame(
        {
            "rank": [1, 2],
            "parameter": ["resources.approval_capacity", "financing.priority"],
            "low": [60, 0],
            "high": [140, 1],
            "S1": [0.6, -0.01],
            "S1_conf": [0.1, 0.02],
            "ST": [0.7, 0.05],
            "ST_conf": [0.1, 0.03],
        }
    )
    words = pd.DataFrame(
        {"financing.priority": ["fifo", "key_first"], "replications": [2, 2], "m_mean": [5.0, 6.0]}
    )
    grid = [(a, b, c) for a in (1, 2) for b in (10, 20) for c in ("x", "y")]
    three = pd.DataFrame(grid, columns=["a", "b", "c"]).assign(replications=2)
    three["m_mean"] = three["a"] * 10 + three["b"]
    annual = pd.DataFrame(
        {
            "year": [2020, 2021],
            "growth_p10": [math.nan] * 2,
            "growth_p50": [math.nan] * 2,
            "growth_p90": [math.nan] * 2,
        }
    )
    comparison = pd.DataFrame(
        [
            (name, str(year), "investment", d, d - 1, d + 1, d - 2, d + 2)
            for name, d in (("A", 3.0), ("B", -2.0))
            for year in (2020, 2021)
        ],
        columns=[
            "scenario",
            "period",
            "metric",
            "diff_mean",
            "diff_ci_low",
            "diff_ci_high",
            "diff_p10",
            "diff_p90",
        ],
    )
    parts = pd.DataFrame(
        {
            "policy": ["faster approval", "credit tightening", "total"],
            "value_mean": [5.0, -8.0, -3.0],
            "ci_low": [4.0, -9.0, -5.0],
            "ci_high": [6.0, -7.0, -1.0],
        }
    )
    figures = [
        charts.tornado_chart(sobol, labels, "cumulative_investment"),
        charts.sweep_line_chart(words, "financing.priority", "m", labels),
        charts.sweep_heatmap(three, "b", "a", "m", labels),
        charts.growth_chart(annual, labels),
        charts.difference_chart(comparison, labels, "base"),
        charts.waterfall_chart(parts, labels, "by policy"),
    ]
    assert charts.stages_chart(annual, labels) is None
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        sizes = [len(charts.png_bytes(fig, labels, dpi=40)) for fig in figures]
    assert [str(w.message) for w in record] == []
    assert all(size > 2_000 for size in sizes)
    assert plt.get_fignums() == []
    assert list(matplotlib.rcParams["font.family"]) == family
