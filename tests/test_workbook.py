"""forecast.xlsx as a planner uses it: a summary first (key numbers, investment and growth
by year, native charts that stay editable), and a print setup on every sheet; printed by
LibreOffice (when installed) it comes out as a few pages."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd
import pytest


def _summary_rows(ws: Any) -> dict[str, list[Any]]:
    """The summary's rows by their first cell (text cells only)."""
    return {str(r[0]): list(r[1:]) for r in ws.iter_rows(values_only=True) if isinstance(r[0], str)}


def test_summary_sheet_comes_first_with_the_key_numbers(folders: dict[str, Path]) -> None:
    from openpyxl import load_workbook

    folder = folders["run"]
    annual = pd.read_csv(folder / "annual.csv")
    replications = pd.read_csv(folder / "replications.csv")
    wb = load_workbook(folder / "forecast.xlsx")
    assert wb.sheetnames[0] == "Summary"
    ws = wb["Summary"]
    assert str(ws["A1"].value).startswith("Investment forecast: Liaoyuan baseline")
    rows = _summary_rows(ws)
    y1, y2 = int(annual["year"].iloc[0]), int(annual["year"].iloc[-1])
    total = replications.groupby("replication")["investment"].sum()
    p50, p10, p90 = rows[f"Total over {y1}–{y2} (亿元)"][:3]
    assert p50 == pytest.approx(total.quantile(0.5))
    assert p10 == pytest.approx(total.quantile(0.1))
    assert p90 == pytest.approx(total.quantile(0.9))
    first = rows[f"Investment in {y1} (亿元)"][:3]
    assert first == pytest.approx(annual[["investment_p50", "investment_p10", "investment_p90"]].iloc[0])
    assert f"Average yearly growth {y1}–{y2}" in rows
    # the table by year: P50, P10, P90, mean, growth P50/P10/P90 and the band's width
    head = next(r for r in ws.iter_rows(min_row=1) if r[0].value == "year")
    assert [c.value for c in head] == [
        "year",
        "P50",
        "P10",
        "P90",
        "mean",
        "growth P50",
        "growth P10",
        "growth P90",
        "P90 − P10",
    ]
    years = [r for r in ws.iter_rows(min_row=head[0].row + 1, values_only=True) if isinstance(r[0], int)]
    assert [r[0] for r in years] == annual["year"].tolist()
    for r, (_, a) in zip(years, annual.iterrows(), strict=True):
        assert r[1:4] == pytest.approx((a["investment_p50"], a["investment_p10"], a["investment_p90"]))
        assert r[8] == pytest.approx(a["investment_p90"] - a["investment_p10"])
    growth_cell = ws.cell(row=head[0].row + 2, column=6)
    assert growth_cell.number_format == "0.0%"
    assert growth_cell.value == pytest.approx(annual["growth_p50"].iloc[1])


def test_summary_has_native_fan_and_growth_charts(folders: dict[str, Path]) -> None:
    from openpyxl import load_workbook
    from openpyxl.chart import AreaChart, LineChart

    wb = load_workbook(folders["run"] / "forecast.xlsx")
    ws = wb["Summary"]
    charts = ws._charts
    assert len(charts) == 2
    fan, growth = charts
    # the fan: P10 and the band's width stacked as areas, P50 and the mean as lines over them
    assert isinstance(fan, AreaChart)
    assert fan.grouping == "stacked"
    assert len(fan.series) == 2
    assert fan.series[0].graphicalProperties.noFill
    lines = [c for c in fan._charts if isinstance(c, LineChart)]
    assert len(lines) == 1
    assert len(lines[0].series) == 2
    assert isinstance(growth, LineChart)
    assert len(growth.series) == 3
    # every series reads its numbers from the summary sheet's table (editable there)
    refs = [s.val.numRef.f for c in (fan, *lines, growth) for s in c.series]
    assert all(r.startswith("'Summary'!$") or r.startswith("Summary!$") for r in refs), refs
    assert not fan.x_axis.delete
    assert not fan.y_axis.delete


def test_every_sheet_prints_landscape_one_page_wide(folders: dict[str, Path]) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(folders["run"] / "forecast.xlsx")
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert int(ws.page_setup.fitToWidth) == 1, ws.title
        assert int(ws.page_setup.fitToHeight) == 0, ws.title
    titles = {ws.title: ws.print_title_rows for ws in wb.worksheets}
    for sheet in ("Annual summary", "By sector", "By source", "Stage statistics"):
        assert titles[sheet] == "$1:$2", sheet  # the headings and the column keys on every page
    for sheet in ("Scenario parameters", "Run"):
        assert titles[sheet] == "$1:$1", sheet


def test_chinese_workbook_has_a_chinese_summary(folders: dict[str, Path]) -> None:
    from openpyxl import load_workbook

    from investsim.reporting import fonts

    if fonts.cjk_font() is None:
        pytest.skip("no CJK font: the Chinese report falls back to English")
    wb = load_workbook(folders["chinese"] / "forecast.xlsx")
    assert wb.sheetnames[0] == "摘要"
    assert "主要数字" in _summary_rows(wb["摘要"])


def test_libreoffice_prints_a_few_pages(folders: dict[str, Path], tmp_path: Path) -> None:
    soffice = shutil.which("soffice")
    pdfinfo = shutil.which("pdfinfo")
    if soffice is None or pdfinfo is None:
        pytest.skip("LibreOffice (libreoffice-calc) and pdfinfo (poppler-utils) are not installed")
    source = tmp_path / "forecast.xlsx"
    shutil.copy(folders["run"] / "forecast.xlsx", source)
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    info = subprocess.run(
        [pdfinfo, str(tmp_path / "forecast.pdf")], check=True, capture_output=True, text=True
    )
    pages = int(next(line.split()[-1] for line in info.stdout.splitlines() if line.startswith("Pages:")))
    # summary (2), four tables one page wide (1 each at 4 years), parameters (3), run (1)
    assert 7 <= pages <= 12, pages
