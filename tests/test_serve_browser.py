"""The what-if page in a real browser (the system's Chromium through Playwright, as the
report tests), against ``investsim serve`` started as a user starts it.

The scenario is the bundled baseline with 8 replications, so that each answer takes a
fraction of a second.
"""

from __future__ import annotations

import http.client
import os
import re
import selectors
import signal
import subprocess
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

import investsim
from helpers import cli_env, investsim_cmd
from investsim.cli import cli

pytest.importorskip("nicegui")

REPLICATIONS = 8
BANK = "financing-sources-bank-supply"


@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str
    port: int
    save_dir: Path
    said: str = ""
    """What it printed until it gave its address (warnings included)."""


def start_server(save_dir: Path, *args: str) -> Server:
    env = cli_env()
    # NiceGUI takes itself to be under pytest (and listens elsewhere) when it sees this
    env.pop("PYTEST_CURRENT_TEST", None)
    process = subprocess.Popen(
        investsim_cmd(
            "serve",
            "--jobs",
            "2",
            "--set",
            f"replications={REPLICATIONS}",
            "--save-dir",
            str(save_dir),
            *args,
            module=True,
        ),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # a Ctrl-C of the test run is not the server's
    )
    assert process.stdout is not None
    picker = selectors.DefaultSelector()
    picker.register(process.stdout, selectors.EVENT_READ)
    seen = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not picker.select(timeout=1):
            continue
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        found = re.search(r"page on (http://[^/]+:(\d+)/)", line)
        if found:
            server = Server(process, found.group(1), int(found.group(2)), save_dir)
            server.said = "".join(seen)
            return server
    process.kill()
    raise AssertionError("investsim serve did not start:\n" + "".join(seen))


def stop(server: Server) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGINT)
        try:
            server.process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = start_server(tmp_path_factory.mktemp("saved"))
    try:
        yield s
    finally:
        stop(s)


@dataclass
class Tab:
    page: Any
    errors: list[str]
    requests: list[str]


@pytest.fixture
def tab(browser: Any, server: Server) -> Iterator[Tab]:
    yield from _open(browser, server)


def _open(browser: Any, server: Server) -> Iterator[Tab]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    out = Tab(page, [], [])
    page.on("console", lambda m: out.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: out.errors.append(str(e)))
    page.on("request", lambda r: out.requests.append(r.url))
    page.goto(server.url)
    _wait_done(page)
    try:
        yield out
    finally:
        context.close()


def _wait_done(page: Any, changed_from: str | None = None) -> None:
    """Wait until every replication is in (and the difference is not ``changed_from``)."""
    page.wait_for_selector(f"[data-testid=status][data-replications='{REPLICATIONS}'][data-done=yes]")
    if changed_from is not None:
        page.wait_for_function(
            "old => { const e = document.querySelector('[data-testid=difference]');"
            " return e && e.getAttribute('data-mean') !== old; }",
            arg=changed_from,
        )
        page.wait_for_selector(f"[data-testid=status][data-replications='{REPLICATIONS}'][data-done=yes]")


def _set(page: Any, key: str, value: str) -> None:
    # Quasar puts the attribute on the <input> itself
    field = page.locator(f"input[data-testid=control-{key}]")
    field.fill(value)
    field.press("Enter")


def _numbers(page: Any) -> dict[str, float]:
    cells = page.locator("[data-testid=numbers] td[data-key]")
    return {
        cells.nth(i).get_attribute("data-key"): float(cells.nth(i).get_attribute("data-exact"))
        for i in range(cells.count())
        if cells.nth(i).get_attribute("data-exact")
    }


def _exact(annual: pd.DataFrame) -> dict[str, float]:
    """The figures the page shows, from a results folder's yearly summary."""
    return {
        f"{int(row['year'])}-{k}": float(row[k])
        for _, row in annual.iterrows()
        for k in ("investment_mean", "investment_p10", "investment_p50", "investment_p90", "growth_p50")
        if not pd.isna(row[k])
    }


def _mean(page: Any) -> str:
    return str(page.locator("[data-testid=difference]").get_attribute("data-mean"))


def test_moving_a_financing_control_redraws_the_chart_and_the_difference(tab: Tab, server: Server) -> None:
    page = tab.page
    assert _mean(page) == "0.0"
    before_chart = page.locator("[data-testid=fan]").screenshot()
    before = _numbers(page)
    _set(page, BANK, "90")
    _wait_done(page, changed_from="0.0")
    assert float(_mean(page)) != 0.0
    assert re.search(r"[+-]\d", page.locator("[data-testid=difference]").inner_text())
    after = _numbers(page)
    assert after.keys() == before.keys()
    assert after != before
    assert page.locator("[data-testid=fan]").screenshot() != before_chart
    # where the difference comes from, as compare's report says it: by sector, by source,
    # money committed and by stage (the engine's test checks that the parts add up)
    explanation = page.locator("[data-testid=explanation]").inner_text()
    for words in ("Where the difference comes from", "investment by sector", "industry", "money committed"):
        assert words in explanation
    assert not tab.errors, tab.errors
    local = f"http://127.0.0.1:{server.port}/"
    assert tab.requests
    away = [u for u in tab.requests if not u.startswith((local, f"ws://127.0.0.1:{server.port}/"))]
    assert not away


def test_a_bad_value_shows_the_message_beside_its_control(tab: Tab) -> None:
    page = tab.page
    _set(page, BANK, "-5")
    message = page.locator(f"[data-testid=error-{BANK}]")
    message.wait_for(state="visible")
    page.wait_for_function(f"() => document.querySelector('[data-testid=error-{BANK}]').innerText.length > 0")
    assert "greater than or equal to 0" in message.inner_text()
    assert "fix the value" in page.locator("[data-testid=status]").inner_text()
    _set(page, BANK, "40")
    page.wait_for_function(f"() => document.querySelector('[data-testid=error-{BANK}]').innerText === ''")
    assert not tab.errors, tab.errors


def test_saved_scenario_runs_to_the_pages_numbers_exactly(tab: Tab, server: Server, tmp_path: Path) -> None:
    page = tab.page
    _set(page, "financing-sources-government-supply", "45")
    _wait_done(page, changed_from="0.0")
    shown = _numbers(page)
    page.locator("input[data-testid=save-name]").fill("from-the-page")
    page.locator("[data-testid=save]").click()
    page.wait_for_function("() => document.querySelector('[data-testid=saved]').innerText.length > 0")
    saved = server.save_dir / "from-the-page.yaml"
    assert str(saved) in page.locator("[data-testid=saved]").inner_text()
    # the command itself, in this process (its imports are paid for already)
    done = CliRunner().invoke(cli, ["run", str(saved), "--out", str(tmp_path / "out"), "--jobs", "1"])
    assert done.exit_code == 0, done.output
    # annual.csv rounds to 10 digits: the summary of the saved replications has them all
    annual = investsim.Forecast.load(tmp_path / "out").annual.reset_index()
    assert _exact(annual) == shown


def test_download_gives_the_results_folder_run_writes(tab: Tab, tmp_path: Path) -> None:
    page = tab.page
    # government money binds (from start_year; more bonds alone would change nothing)
    _set(page, "financing-sources-government-supply", "50")
    _wait_done(page, changed_from="0.0")
    shown = _numbers(page)
    with page.expect_download(timeout=120_000) as got:
        page.locator("[data-testid=download-zip]").click()
    path = tmp_path / "results.zip"
    got.value.save_as(path)
    assert got.value.suggested_filename == "liaoyuan-baseline.zip"
    with zipfile.ZipFile(path) as z:
        z.extractall(tmp_path)
    folder = tmp_path / "liaoyuan-baseline"
    for name in ("annual.csv", "replications.parquet", "manifest.json", "report.html", "forecast.xlsx"):
        assert (folder / name).is_file(), name
    annual = investsim.Forecast.load(folder).annual.reset_index()
    assert _exact(annual) == shown
    assert not tab.errors


def test_two_tabs_are_independent(browser: Any, server: Server) -> None:
    first, second = _open(browser, server), _open(browser, server)
    a, b = next(first), next(second)
    try:
        untouched = _numbers(b.page)
        _set(a.page, BANK, "95")
        _wait_done(a.page, changed_from="0.0")
        assert _numbers(a.page) != untouched
        assert _mean(b.page) == "0.0"
        assert _numbers(b.page) == untouched
        assert not a.errors
        assert not b.errors
    finally:
        for gen in (first, second):
            next(gen, None)


@pytest.mark.parametrize(
    "headers",
    [{"Host": "evil.example"}, {"Host": "127.0.0.1:{port}", "Origin": "http://evil.example"}],
)
def test_a_request_for_another_host_or_from_another_origin_is_refused(
    server: Server, headers: dict[str, str]
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", "/", headers={k: v.format(port=server.port) for k, v in headers.items()})
    response = connection.getresponse()
    assert response.status == 403
    assert b"refused" in response.read()
    connection.request("GET", "/", headers={"Host": f"127.0.0.1:{server.port}"})
    assert connection.getresponse().status == 200


def test_the_page_in_chinese(browser: Any, tmp_path: Path) -> None:
    zh = start_server(tmp_path, "--lang", "zh")
    try:
        gen = _open(browser, zh)
        tab = next(gen)
        page = tab.page
        assert "情景推演" in page.title()
        assert "融资假设" in page.locator("body").inner_text()
        _set(page, BANK, "90")
        _wait_done(page, changed_from="0.0")
        explanation = page.locator("[data-testid=explanation]").inner_text()
        assert "差异来源" in explanation
        assert "分行业投资" in explanation
        assert "工业" in explanation  # the sector's Chinese name
        assert not tab.errors, tab.errors
        next(gen, None)
    finally:
        stop(zh)


def test_listening_beyond_loopback_prints_a_warning(server: Server, tmp_path: Path) -> None:
    assert "warning" not in server.said  # on loopback: none
    wide = start_server(tmp_path, "--host", "0.0.0.0")
    try:
        assert "warning: listening on 0.0.0.0, reachable from other machines" in wide.said
    finally:
        stop(wide)


def _descendants(pid: int) -> set[int]:
    out: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            out |= {child, *_descendants(child)}
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_ctrl_c_stops_the_server_and_every_worker(server: Server) -> None:
    """Last in this file: it stops the module's server (which the other tests used)."""
    if not Path("/proc/self/task").is_dir():
        pytest.skip("needs /proc to list the server's children")
    children = _descendants(server.process.pid)
    assert len(children) >= 2  # the worker processes
    server.process.send_signal(signal.SIGINT)
    assert server.process.wait(20) in (0, 130)
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in children if _alive(p)]
