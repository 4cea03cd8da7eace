"""The results folders the report tests look at, one of each kind, made once per test
session through the command line in this process, and the headless Chromium they are
opened in (fixtures ``folders`` and ``browser`` in ``conftest.py``).

Every folder is tiny (4 years, 2 warm-up years, a handful of replications): ``run``
writes its report, ``report DIR`` writes the others'. Chromium is driven with Playwright
using the system's ``/usr/bin/chromium`` (Debian packages ``chromium chromium-driver``; no
``playwright install``). Chinese labels need a CJK font (Debian package
``fonts-noto-cjk``).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from investsim.cli import cli
from investsim.scenario.loading import default_scenario_path

TINY = ["--set", "horizon_years=4", "--set", "warmup_years=2"]
RUN_CHARTS = {
    "fan",
    "growth",
    "monthly",
    "ytd_growth",
    "by_sector",
    "by_source",
    "stages",
    "stage_months",
    "financing_gap",
}
CHROMIUM = Path(os.environ.get("INVESTSIM_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LIBRARY = default_scenario_path().parent

CHINESE = """\
name: 辽源-中文
description: 中文的行业、资金来源和政策名称
start_year: 2020
horizon_years: 3
seed: 7
replications: 3
last_observed: {year: 2019, investment: 20}
sectors:
  工业:
    arrivals: {rate: 10}
    size: {dist: lognormal, median: 1.0, p90: 3.0}
    approval: {dist: lognormal, median: 4, p90: 8}
    construction: {dist: gamma, mean: 12, cv: 0.3}
    funding: {自有资金: 0.7, 银行贷款: 0.3}
  基础设施:
    arrivals: {rate: 5}
    size: {dist: triangular, low: 0.5, mode: 1, high: 2}
    construction: {dist: uniform, low: 6, high: 12}
    funding: {自有资金: 1.0}
financing:
  sources:
    自有资金: unlimited
    银行贷款: {supply: 5}
policies:
  - name: 审批改革
    from: 2021
    set: {sectors.*.approval: {dist: fixed, value: 2}}
"""


GLYPH_WARNINGS: list[str] = []


def cli_output(*args: Any) -> str:
    """Run the command line in this process; its output (it must succeed)."""
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def glyph_warnings(record: list[warnings.WarningMessage]) -> list[str]:
    """Matplotlib's warnings about characters missing from the fonts."""
    return [str(w.message) for w in record if "missing from font" in str(w.message)]


def make_folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One results folder of each kind, each with its report (English; the Chinese-named
    scenario in Chinese). Matplotlib's warnings while they are written are kept in
    ``GLYPH_WARNINGS``."""
    root = tmp_path_factory.mktemp("report")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        out = _make_folders(root)
    GLYPH_WARNINGS.extend(glyph_warnings(record))
    return out


def _make_folders(root: Path) -> dict[str, Path]:
    kinds = ("run", "compare", "sweep", "sweep1", "sensitivity", "calibrate", "chinese")
    out = {name: root / name for name in kinds}
    cli_output("run", *TINY, "-n", 4, "--jobs", 1, "--out", out["run"])
    # compare --attribute: the bundled base and reform package, made tiny
    for name, source in (("base", "baseline.yaml"), ("reform", "reform_package.yaml")):
        text = f"extends: {LIBRARY / source}\nhorizon_years: 4\nwarmup_years: 2\n"
        (root / f"{name}.yaml").write_text(text, encoding="utf-8")
    cli_output(
        "compare",
        root / "base.yaml",
        root / "reform.yaml",
        "-n",
        3,  # 2 give no year whose interval excludes 0, and the headline table's signed years go untested
        "--jobs",
        1,
        "--attribute",
        "--window",
        "2020:2021",
        "--out",
        out["compare"],
    )
    base = root / "base.yaml"
    cli_output(
        "sweep",
        base,
        "--grid",
        "financing.sources.bank.supply=30,45",
        "--grid",
        "resources.approval_capacity=80,120",
        "--metric",
        "cumulative_investment",
        "--metric",
        "growth:2021",
        "-n",
        2,
        "--jobs",
        1,
        "--out",
        out["sweep"],
    )
    cli_output(
        "sweep",
        base,
        "--grid",
        "financing.sources.bank.supply=30:45:3",
        "-n",
        2,
        "--jobs",
        1,
        "--out",
        out["sweep1"],
    )
    cli_output(
        "sensitivity",
        base,
        "--param",
        "financing.sources.bank.supply=28:46",
        "--param",
        "resources.approval_capacity=60:140",
        "--samples",
        2,
        "-n",
        2,
        "--jobs",
        1,
        "--out",
        out["sensitivity"],
    )
    _calibration(out["calibrate"])
    for kind in ("compare", "sweep", "sweep1", "sensitivity", "calibrate"):
        assert "report written to" in cli_output("report", out[kind])
    (root / "chinese.yaml").write_text(CHINESE, encoding="utf-8")
    cli_output("run", root / "chinese.yaml", "--jobs", 1, "--out", out["chinese"], "--lang", "zh")
    return out


def _calibration(out: Path) -> None:
    """A calibration folder: the shipped Liaoyuan example, one parameter, made tiny."""
    calibration = LIBRARY / "calibration"
    cli_output(
        "calibrate",
        calibration / "liaoyuan_2014_2018.yaml",
        "--history",
        calibration / "targets_2014_2018.csv",
        "--param",
        "sectors.industry.arrivals.rate=25:65",
        "-n",
        2,
        "--design",
        6,
        "--jobs",
        1,
        "--out",
        out,
    )


def open_chromium() -> Iterator[Any]:
    """Headless Chromium (the system's) through Playwright; skips the test without them."""
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    if not CHROMIUM.is_file():
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium chromium-driver")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
