"""The what-if page's engine, without a browser: controls validated as files are, answers
refined as replications arrive and equal to a run of that many, cancelling, the saved
scenario, the Host/Origin guard and the limits on what the browser may ask.

The page itself, in Chromium, is tested in ``test_serve_browser.py``.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

import investsim
from investsim.analyses.params import apply_from
from investsim.serve.engine import OTHER, PAGE_POLICY, ControlError, WhatIf
from investsim.serve.guard import HostGuard, allowed_hosts
from investsim.serve.workers import Store, Workers

pytest.importorskip("nicegui")

SMALL = ["replications=6", "horizon_years=4", "warmup_years=3"]


@pytest.fixture(scope="module")
def workers() -> Iterator[Workers]:
    w = Workers(2)
    try:
        yield w
    finally:
        w.close()


@pytest.fixture(scope="module")
def whatif(workers: Workers) -> WhatIf:
    return WhatIf.start(investsim.default_scenario_path(), SMALL, workers)


def _all(whatif: WhatIf, values: dict[str, Any]) -> list[dict[str, Any]]:
    async def collect() -> list[dict[str, Any]]:
        return [a async for a in whatif.answers(whatif.question(values))]

    # in a thread of its own: Playwright's sync API (the browser tests, in the same
    # session) keeps an event loop running in this one
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, collect()).result()


def test_a_bad_value_gets_the_validators_message_at_its_control(whatif: WhatIf) -> None:
    with pytest.raises(ControlError) as e:
        whatif.question({"financing.sources.bank.supply": -5})
    assert e.value.control == "financing.sources.bank.supply"
    assert "greater than or equal to 0" in e.value.message
    assert "-5" in e.value.message
    with pytest.raises(ControlError) as e:
        whatif.question({OTHER: "financing.sources.bank.supplyy=3"})
    assert e.value.control == OTHER
    assert "supplyy" in e.value.message
    with pytest.raises(ControlError) as e:
        whatif.question({"pool.capital": 3.0, "pool.sectors": ["nowhere"]})
    assert e.value.control == "pool.capital"


def test_answers_arrive_in_steps_and_end_as_a_run_of_that_many(whatif: WhatIf) -> None:
    values = {"financing.sources.bank.supply": 60.0, "financing.max_wait": 12.0}
    answers = _all(whatif, values)
    counts = [a["replications"] for a in answers]
    assert counts[0] < 6
    assert counts[-1] == 6
    assert counts == sorted(counts)
    # the page's values hold from start_year, as a sweep's or seek's (the warm-up as it was)
    scenario = apply_from(whatif.base, values, whatif.base.config.start_year)
    forecast = investsim.simulate(scenario)
    assert [r["investment_p50"] for r in answers[-1]["annual"]] == forecast.annual["investment_p50"].tolist()
    # the difference is paired: replication r of the change against replication r of the base
    base = investsim.simulate(whatif.base)
    totals = [f.replications.groupby("replication")["investment"].sum().to_numpy() for f in (base, forecast)]
    differences = totals[1] - totals[0]
    half = stats.t.ppf(0.975, len(differences) - 1) * differences.std(ddof=1) / np.sqrt(len(differences))
    total = answers[-1]["total"]
    assert total["mean"] == pytest.approx(float(differences.mean()), rel=1e-12)
    # the interval of the paired differences (unpaired replications give another width)
    assert total["high"] - total["low"] == pytest.approx(2 * half, rel=1e-9)


def test_a_replication_is_the_same_alone_or_in_a_batch(workers: Workers, whatif: WhatIf) -> None:
    from investsim.model.pipeline import simulate_replication

    alone = workers.submit(whatif.base, 11, range(3, 4)).result()[0]
    batch = workers.submit(whatif.base, 11, range(0, 5)).result()[3]
    here = simulate_replication(whatif.base, 11, 3)
    for got in (alone, batch):
        assert np.array_equal(got.investment_by_sector, here.investment_by_sector)
        assert np.array_equal(got.background, here.background)


def test_cancel_drops_the_work_not_started(workers: Workers, whatif: WhatIf) -> None:
    scenario = whatif.base.with_overrides({"financing.sources.bank.supply": 50.0})
    store = Store(workers, scenario, 1)
    futures = [f for r in range(40) for f in store.ensure(range(r, r + 1))]
    store.cancel()
    assert sum(f.cancelled() for f in futures) >= 30  # all but those the workers had taken
    assert store.made(40) < 40


def test_no_change_answers_the_base_with_no_difference(whatif: WhatIf) -> None:
    answers = _all(whatif, {})
    assert answers[-1]["total"]["mean"] == 0.0
    assert not whatif.question({}).changed


def test_the_guarantee_pool_from_a_later_year_is_a_policy_of_its_own(whatif: WhatIf) -> None:
    q = whatif.question({"pool.capital": 3.0, "pool.sectors": ["industry"], "pool.from": 2021})
    (policy,) = [p for p in q.scenario.config.policies if "financing.guarantee_pool" in p.set]
    assert policy.from_ == 2021
    assert q.scenario.config.financing.guarantee_pool is None
    now = whatif.question({"pool.capital": 3.0, "pool.sectors": ["industry"]})
    (policy,) = [p for p in now.scenario.config.policies if "financing.guarantee_pool" in p.set]
    assert (policy.name, policy.from_) == (PAGE_POLICY, whatif.base.config.start_year)


def test_the_pages_values_hold_from_the_first_reported_year_not_the_warm_up(whatif: WhatIf) -> None:
    """More bank credit over the whole simulation would clear, in the warm-up, the backlog the
    base starts the forecast with: fewer projects to start in the reported years, and less
    investment over them (docs/model.md 5.9). The page asks what the lever does from now on."""
    start = whatif.base.config.start_year
    q = whatif.question({"financing.sources.bank.supply": 55.0, "pool.capital": 3.0, OTHER: "replications=4"})
    assert (
        q.scenario.config.financing.sources["bank"].supply
        == whatif.base.config.financing.sources["bank"].supply
    )
    assert q.scenario.config.financing.guarantee_pool is None
    assert q.scenario.config.replications == 4  # a key that defines the run: the whole run
    (policy,) = q.scenario.config.policies
    assert (policy.name, policy.from_) == (PAGE_POLICY, start)
    assert policy.set["financing.sources.bank.supply"] == 55.0
    # the same replications as a sweep's or seek's value from start_year
    expected = apply_from(
        whatif.base,
        {
            "financing.sources.bank.supply": 55.0,
            "financing.guarantee_pool": policy.set["financing.guarantee_pool"],
        },
        start,
    )
    got, want = (
        investsim.simulate(s, 2, 1).replications["investment"].to_numpy() for s in (q.scenario, expected)
    )
    np.testing.assert_array_equal(got, want)
    # a bad value inside the page's policy is still shown at its control
    with pytest.raises(ControlError) as e:
        whatif.question({"financing.sources.bank.growth": 9.0})
    assert e.value.control == "financing.sources.bank.growth"


def test_replications_are_capped(workers: Workers) -> None:
    capped = WhatIf.start(investsim.default_scenario_path(), SMALL, workers, max_replications=10)
    with pytest.raises(ControlError, match="more than this page runs") as e:
        capped.question({"replications": 11})
    assert e.value.control == "replications"
    with pytest.raises(investsim.InputError, match="max-replications"):
        WhatIf.start(investsim.default_scenario_path(), [], workers, max_replications=10)


def test_no_file_is_read_outside_the_scenarios_folder(whatif: WhatIf) -> None:
    with pytest.raises(ControlError, match="only inside the scenario's folder"):
        whatif.question({OTHER: "projects=/etc/passwd"})
    with pytest.raises(ControlError, match="only inside the scenario's folder"):
        whatif.question({OTHER: "projects=../../../../etc/hosts"})
    with pytest.raises(ControlError, match="extends"):
        whatif.question({OTHER: "extends=/etc/passwd"})


def test_saved_scenario_extends_the_base_and_holds_only_the_changes(whatif: WhatIf, tmp_path: Path) -> None:
    q = whatif.question(
        {"financing.sources.government.supply": 45.0, "pool.capital": 2.0, "pool.sectors": ["emerging"]}
    )
    text = whatif.scenario_text(q, "mine", tmp_path)
    path = tmp_path / "mine.yaml"
    path.write_text(text, encoding="utf-8")
    import yaml

    data = yaml.safe_load(text)
    assert Path(tmp_path / data["extends"]).resolve() == investsim.default_scenario_path().resolve()
    assert set(data) == {
        "name",
        "description",
        "extends",
        "replications",
        "horizon_years",
        "warmup_years",
        "policies",
    }
    assert data["policies"] == [
        {
            "name": PAGE_POLICY,
            "from": whatif.base.config.start_year,
            "set": {
                "financing.sources.government.supply": 45.0,
                "financing.guarantee_pool": {"capital": 2.0, "leverage": 5.0, "sectors": ["emerging"]},
            },
        }
    ]
    saved = investsim.load_scenario(path)
    assert saved.config.model_dump(
        exclude={"name", "description", "extends"}
    ) == q.scenario.config.model_dump(exclude={"name", "description", "extends"})


@pytest.mark.parametrize(
    ("headers", "allowed"),
    [
        ({"host": "127.0.0.1:8000"}, True),
        ({"host": "localhost:8000", "origin": "http://localhost:8000"}, True),
        ({"host": "evil.example:8000"}, False),
        ({"host": "127.0.0.1:8001"}, False),
        ({"host": "127.0.0.1:8000", "origin": "http://evil.example"}, False),
        ({"host": "127.0.0.1:8000", "origin": "null"}, False),
        ({}, False),
    ],
)
def test_the_guard_lets_only_this_servers_host_and_origin_in(headers: dict[str, str], allowed: bool) -> None:
    guard = HostGuard(lambda *a: None, allowed_hosts("127.0.0.1", 8000))  # type: ignore[arg-type,return-value]
    assert guard.allows(headers) is allowed


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("0.0.0.0", False), ("192.0.2.7", False)],
)
def test_only_loopback_addresses_pass_without_a_warning(host: str, loopback: bool) -> None:
    from investsim.serve import is_loopback

    assert is_loopback(host) is loopback


def test_the_workbook_download_is_runs_workbook() -> None:
    """The zip of the results folder is tested in the browser (test_serve_browser.py)."""
    import io

    import openpyxl

    from investsim.serve.workers import results_file

    scenario = investsim.load_scenario(investsim.default_scenario_path(), [*SMALL, "replications=2"])
    name, data = results_file(scenario, "en", "xlsx")
    assert name == "liaoyuan-baseline.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert len(book.sheetnames) > 1


def test_the_answer_says_where_the_difference_comes_from_as_compare_does(whatif: WhatIf) -> None:
    """By sector and by funding source (adding up to the total difference), money committed
    and months waited by stage, and the timing shift: the same numbers as ``compare`` of
    the page's scenario against the base (the same replications, the same paired statistics)."""
    from investsim.analyses.timing import detect_timing_shift

    values = {"financing.sources.bank.supply": 90.0}
    last = _all(whatif, values)[-1]
    found, total = last["explanation"], last["total"]
    assert found is not None
    assert found.investment.diff == pytest.approx(total["mean"], rel=1e-12)
    for breakdown in ("sector", "source"):
        parts = found.of(breakdown, "investment")
        assert {p.item for p in parts} >= (
            {"industry", "services"} if breakdown == "sector" else {"own", "bank"}
        )
        assert sum(p.diff for p in parts) == pytest.approx(total["mean"], abs=1e-9)
    assert {p.item for p in found.of("source", "committed")} >= {"bank", "government"}
    assert {p.item for p in found.of("stage", "months_waited")} >= {"approval", "financing"}
    assert any(p.diff != 0 for p in found.of("source", "committed"))
    done = investsim.compare(whatif.base, whatif.question(values).scenario)
    (name,) = set(done.table["scenario"])
    theirs = done.explanation(name)
    assert theirs is not None
    assert found.parts.keys() == theirs.parts.keys()
    for key, parts in found.parts.items():
        assert [p.item for p in parts] == [p.item for p in theirs.parts[key]]
        mine = [x for p in parts for x in (p.diff, p.low, p.high)]
        assert mine == pytest.approx(
            [x for p in theirs.parts[key] for x in (p.diff, p.low, p.high)], abs=1e-9
        )
    shift = detect_timing_shift(done.table, name)
    assert (last["timing"] is None) == (shift is None)
    if shift is not None:  # compare's sentence, word for word
        assert dataclasses.replace(last["timing"], scenario=name).text() == shift.text()
    # no change: nothing to explain
    assert _all(whatif, {})[-1]["explanation"] is None
