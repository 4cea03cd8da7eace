"""Goal seeking (``investsim seek``): answers worked out by hand on deterministic
pipelines, a decreasing lever, a whole-number lever, out of reach with what binds instead,
a relation that is not monotone, the interval's coverage where the truth is known
exactly, what binds, and bad arguments."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.special import gammaincinv

from helpers import LIBRARY, fixed, run_cli, write_scenario
from investsim.analyses.binds import binding, lever_resource, what_binds
from investsim.analyses.seek import (
    BELOW_RANGE,
    FOUND,
    NON_MONOTONE,
    OUT_OF_REACH,
    parse_target,
    plan_seek,
    run_seek,
)
from investsim.errors import InputError
from investsim.scenario.loading import load_scenario


def _firm(**over: Any) -> dict[str, Any]:
    """A sector with no new projects: only the register's, each of size 1, approval 120
    months (never reached), built in 12 months from the day it starts (linear)."""
    return {
        "arrivals": {"rate": 0},
        "size": fixed(1),
        "approval": fixed(120),
        "construction": fixed(12),
        **over,
    }


def _scenario(tmp_path: Path, name: str, data: dict[str, Any], rows: list[str]) -> Path:
    return write_scenario(
        tmp_path / name, {"name": name, "start_year": 2020, "horizon_years": 2, **data}, rows
    )


def _waiting(n: int, size: float = 1) -> list[str]:
    """``n`` register projects waiting for money on 1 January 2020."""
    return [f"P{i:02d},firm,{size},financing,0" for i in range(n)]


def test_supply_that_starts_six_projects_is_six(tmp_path: Path) -> None:
    """10 projects of 1, all bank money, wait on 1 January 2020; the bank gives S a year.
    First fit meets floor(S) of them on 1 January, each built within 2020: investment in
    2020 is min(floor(S), 10). It reaches 6 at S = 6 exactly (a step: found to the root
    finder's precision, from above, so the estimate there is 6)."""
    path = _supply(tmp_path)
    plan = plan_seek(path, "financing.sources.bank.supply=1:12", "investment:2020=6", replications=2)
    result = run_seek(plan)
    assert result.status == FOUND
    assert result.direction == 1
    assert 6 <= result.answer <= 6 + plan.xtol
    # deterministic: every replication alike, so the interval is the answer itself
    assert result.ci_low == result.ci_high == result.answer
    at = result.evaluations.set_index("value").loc[result.answer]
    assert at["estimate"] == 6
    assert bool(at["met"])
    assert result.text.startswith("financing.sources.bank.supply = 6.00 (95% interval 6.00 to 6.00)")
    # common random numbers: the same value, run again, gives the same estimate
    again = run_seek(
        plan_seek(path, "financing.sources.bank.supply=1:12", "investment:2020=6", replications=2)
    )
    pd.testing.assert_frame_equal(again.evaluations, result.evaluations)


def test_debt_ceiling_answer_is_exact_on_a_smooth_relation(tmp_path: Path) -> None:
    """Two projects of 1 on 1 January 2020; the bank has money enough but a debt ceiling K
    with commitments repaid over one year. A starts at once (owing 1 - t at time t); B
    needs 1 of room: 1 - t <= K - 1, so it starts at t = 2 - K and spends K - 1 in 2020.
    For K in [1, 2], investment in 2020 = K: it is 1.6 at K = 1.6, which root finding
    on a linear relation finds to the last digit."""
    sources = {"bank": {"supply": 100, "debt_ceiling": 1.2, "repayment_years": 1}}
    path = _scenario(
        tmp_path,
        "ceiling",
        {"sectors": {"firm": _firm(funding={"bank": 1.0})}, "financing": {"sources": sources}},
        _waiting(2),
    )
    result = run_seek(plan_seek(path, "financing.sources.bank.debt_ceiling=1:2", "investment:2020=1.6"))
    assert result.status == FOUND
    assert result.answer == pytest.approx(1.6, abs=1e-9)
    assert result.ci_low == pytest.approx(1.6, abs=1e-9)
    assert result.ci_high == pytest.approx(1.6, abs=1e-9)


def test_a_decreasing_lever(tmp_path: Path) -> None:
    """One project of 12 (own money) starts on 1 January 2020 and is built over D months,
    linearly: it spends 12 x min(1, 12 / D) in 2020, less the longer D. Down to 8 at
    D = 18."""
    path = _scenario(tmp_path, "duration", {"sectors": {"firm": _firm()}}, _waiting(1, size=12))
    plan = plan_seek(path, "sectors.firm.construction.value=6:36", "investment:2020=8", replications=2)
    result = run_seek(plan)
    assert result.status == FOUND
    assert result.direction == -1
    assert 18 <= result.answer <= 18 + plan.xtol
    assert "is down to 8" in result.text
    assert "falls as the lever rises" in result.text
    # a target already passed at the low end, and one beyond the high end
    below = run_seek(
        plan_seek(path, "sectors.firm.construction.value=20:36", "investment:2020=8", replications=2)
    )
    assert below.status == BELOW_RANGE
    assert "lies below 20.00" in below.text
    beyond = run_seek(
        plan_seek(path, "sectors.firm.construction.value=6:15", "investment:2020=8", replications=2)
    )
    assert beyond.status == OUT_OF_REACH
    assert beyond.best["estimate"] == pytest.approx(12 * 12 / 15)


def test_a_whole_number_lever(tmp_path: Path) -> None:
    """10 projects start approval (12 months) on 1 January 2020, c at a time: c finish
    on 1 January 2021 and start construction then, the rest a year later. 7 starts in
    2021 need c = 7."""
    data = {
        "horizon_years": 3,
        "sectors": {"firm": _firm(approval=fixed(12))},
        "resources": {"approval_capacity": 1},
    }
    rows = [f"A{i},firm,1,approval,0" for i in range(10)]
    path = _scenario(tmp_path, "capacity", data, rows)
    plan = plan_seek(path, "resources.approval_capacity=1:10", "starts:2021=7", replications=2)
    assert plan.param.whole
    result = run_seek(plan)
    assert (result.status, result.answer, result.ci_low, result.ci_high) == (FOUND, 7, 7, 7)
    assert set(result.evaluations["value"]) <= set(range(1, 11))


def _two_sources(tmp_path: Path) -> Path:
    """20 projects of 1, half bank and half government money, wait on 1 January 2020;
    government gives 3, so at most 6 start in 2020 whatever the bank gives."""
    data = {
        "sectors": {"firm": _firm(funding={"bank": 0.5, "government": 0.5})},
        "financing": {"sources": {"bank": {"supply": 1}, "government": {"supply": 3}}},
    }
    return _scenario(tmp_path, "two", data, _waiting(20))


def test_out_of_reach_says_the_best_and_what_binds_instead(tmp_path: Path) -> None:
    path = _two_sources(tmp_path)
    plan = plan_seek(path, "financing.sources.bank.supply=1:20", "starts:2020=10", replications=2)
    result = run_seek(plan)
    assert result.status == OUT_OF_REACH
    # 6 starts from a bank supply of 3 (each takes 0.5 of it) up: found where it begins
    assert result.best["estimate"] == 6
    assert 3 <= result.best["at"] <= 3 + plan.xtol
    assert result.binds is not None
    assert result.binds.resource == "source_government"
    # the binding measures: 14 claims wait all 2020, each short of government money
    assert "what binds instead is government money (binding 100% of 2020)" in result.text
    assert "widen" not in result.text
    # a range where the bank itself still binds at its high end: widen it
    narrow = run_seek(
        plan_seek(path, "financing.sources.bank.supply=1:2.5", "starts:2020=10", replications=2)
    )
    assert narrow.status == OUT_OF_REACH
    assert narrow.binds is not None
    assert narrow.binds.resource == "source_bank"
    assert "the lever itself still binds at 2.500, so widen the range" in narrow.text


def test_a_relation_that_is_not_monotone_has_no_single_answer(tmp_path: Path) -> None:
    """One project of 12 built over D months from 1 January 2020 spends, in 2021,
    12 (1 - 12/D) for D in [12, 24] (rising to 6) and 144 / D beyond (falling to 3 at 48):
    4.5 is reached at D = 19.2 and lost again at D = 32. The grid sees both crossings."""
    path = _scenario(tmp_path, "shape", {"sectors": {"firm": _firm()}}, _waiting(1, size=12))
    result = run_seek(
        plan_seek(path, "sectors.firm.construction.value=6:48", "investment:2021=4.5", replications=2)
    )
    assert result.status == NON_MONOTONE
    assert np.isnan(result.answer)
    assert result.met_ranges == [(21.75, 27.0)]
    assert result.text.startswith("no single answer")
    # and the fall after 24 months is reported as a reversal of the rise
    assert [r["from"] for r in result.reversals] == [21.75, 27.0, 32.25, 37.5, 42.75]


@pytest.mark.slow
def test_the_interval_covers_the_true_answer(tmp_path: Path) -> None:
    """Poisson arrivals at rate r, each starting construction on arrival: starts in 2020
    are Poisson(r). The mean reaches 30 at r = 30; P(starts >= 30) = P(Gamma(30) <= r)
    reaches 0.8 at r = gammaincinv(30, 0.8) = 34.49. Over seeds, the 95 % intervals must
    hold the truth about 95 % of the time: at least 6 of 8 for the mean (a 0.6 % chance
    to fail if the coverage were 95 %) and 3 of 5 for the probability (0.1 %)."""
    data = {
        "horizon_years": 1,
        "sectors": {
            "firm": {"arrivals": {"rate": 20}, "size": fixed(1), "approval": fixed(0), "land": fixed(0)}
            | {"construction": fixed(12)}
        },
    }
    path = write_scenario(tmp_path, {"name": "poisson", "start_year": 2020, **data})
    lever = "sectors.firm.arrivals.rate=10:60"
    means = [run_seek(plan_seek(path, lever, "starts:2020=30", replications=10, seed=s)) for s in range(8)]
    assert all(r.status == FOUND for r in means)
    assert sum(r.ci_low <= 30 <= r.ci_high for r in means) >= 6, [(r.ci_low, r.ci_high) for r in means]
    # the answers centre on the truth: their mean within 3 standard errors of it
    answers = np.array([r.answer for r in means])
    assert abs(answers.mean() - 30) < 3 * answers.std(ddof=1) / np.sqrt(len(answers)), answers
    truth = float(gammaincinv(30, 0.8))
    shares = [
        run_seek(plan_seek(path, lever, "P(starts:2020>=30)=0.8", replications=20, seed=s)) for s in range(5)
    ]
    assert sum(r.ci_low <= truth <= r.ci_high for r in shares) >= 3, [(r.ci_low, r.ci_high) for r in shares]


def test_what_binds_reads_the_binding_measures_when_there_are_any() -> None:
    frame = pd.DataFrame(
        {
            "replication": [0, 1, 0, 1],
            "year": [2020, 2020, 2021, 2021],
            "binding_source_bank": [0.2, 0.4, 0.9, 0.7],
            "binding_land_budget": [0.5, 0.5, 0.1, 0.1],
            # the older columns would say bank, but the binding measures win
            "financing_supply_bank": [1.0, 1.0, 1.0, 1.0],
            "financing_demand_bank": [9.0, 9.0, 9.0, 9.0],
        }
    )
    assert what_binds(frame, 2020) == "the land budget (binding 50% of 2020)"
    assert binding(frame, 2021).resource == "source_bank"
    quiet = frame.assign(binding_source_bank=0.0, binding_land_budget=0.01)
    assert binding(quiet, 2020).resource is None


def test_what_binds_falls_back_on_demand_supply_and_utilisation() -> None:
    frame = pd.DataFrame(
        {
            "replication": [0, 1],
            "year": [2024, 2024],
            "in_financing_at_year_end": [0, 0],
            "financing_supply_bank": [40.0, 40.0],
            "financing_demand_bank": [30.0, 34.0],
            "financing_committed_bank": [30.0, 34.0],
            "financing_supply_government": [10.0, 10.0],
            "financing_demand_government": [14.0, 16.0],
            "financing_committed_government": [10.0, 10.0],
            "approval_utilisation": [1.0, 1.0],
            "approval_wait_months": [0.0, 0.0],
        }
    )
    found = binding(frame, 2024)
    assert found.resource == "source_government"
    assert found.text == "government money (asked 15.0, supply 10.0, committed 10.0 in 2024)"
    # with government's claims within its supply, the full approval places that projects
    # waited for bind
    busy = frame.assign(approval_wait_months=2.0, financing_demand_government=9.0)
    assert binding(busy, 2024).resource == "approval_capacity"
    idle = busy.assign(approval_wait_months=0.0)
    assert binding(idle, 2024).resource is None
    assert what_binds(idle, 2024).startswith("nothing binds in 2024")


@pytest.mark.parametrize(
    ("path", "resource"),
    [
        ("financing.sources.bank.supply", "source_bank"),
        ("policies.0.set.financing.sources.government.supply", "source_government"),
        ("financing.guarantee_pool.capital", "source_bank"),
        ("resources.land_budget", "land_budget"),
        ("resources.approval_capacity", "approval_capacity"),
        ("resources.service_secretaries", "secretaries"),
        ("sectors.industry.arrivals.rate", None),
    ],
)
def test_the_resource_a_lever_adds_to(path: str, resource: str | None) -> None:
    assert lever_resource(path) == resource


def test_targets_are_parsed(baseline: Any) -> None:
    t = parse_target("growth:2021=0.06", baseline)
    assert (t.metric.name, t.value, t.op, t.probability) == ("growth:2021", 0.06, None, False)
    p = parse_target(" P( growth:2021 >= 0.06 ) = 0.8", baseline)
    assert (p.metric.name, p.op, p.threshold, p.value, p.probability) == (
        "growth:2021",
        ">=",
        0.06,
        0.8,
        True,
    )
    assert p.quantity == "P(growth:2021 >= 0.06)"
    values = p.per_replication(
        pd.DataFrame({"replication": [0, 1], "year": [2021, 2021], "growth": [0.06, 0.05]})
    )
    assert values.tolist() == [1.0, 0.0]


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("growth:2021", "write METRIC=VALUE"),
        ("growth:2021=abc", "the value 'abc' is not a number"),
        ("growth:2021=nan", "must be a finite number"),
        ("P(growth:2021>=0.06)=1.2", "between 0 and 1"),
        ("P(growth:2021>=x)=0.8", "the threshold 'x' is not a number"),
        ("growth:2040=0.06", "year 2040 is outside the run's years 2019-2028"),
        ("profit:2021=3", "unknown metric 'profit'"),
    ],
)
def test_bad_targets_are_refused(baseline: Any, target: str, words: str) -> None:
    with pytest.raises(InputError, match=words) as err:
        parse_target(target, baseline)
    assert str(err.value).startswith(f"--target {target!r}: ")


def _supply(tmp_path: Path) -> Path:
    """10 projects of 1, all bank money, waiting on 1 January 2020 (see the first test)."""
    data = {
        "sectors": {"firm": _firm(funding={"bank": 1.0})},
        "financing": {"sources": {"bank": {"supply": 2}}},
    }
    return _scenario(tmp_path, "supply", data, _waiting(10))


def test_the_command_writes_the_folder_and_prints_the_answer(tmp_path: Path) -> None:
    path = _supply(tmp_path)
    proc = run_cli(
        "seek", str(path), "--param", "financing.sources.bank.supply=1:12", "--target", "investment:2020=6",
        "-n", "2", "--jobs", "1", "--out", "out", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0].startswith("financing.sources.bank.supply from 1 January 2020; 2 replications")
    assert lines[1].startswith("financing.sources.bank.supply = 6.00 (95% interval 6.00 to 6.00)")
    assert len(lines) <= 4
    folder = tmp_path / "out"
    for name in ("seek.csv", "manifest.json", "report.html", "charts/seek.png"):
        assert (folder / name).is_file(), name
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["status"] == "found"
    assert manifest["answer"] == pytest.approx(6, abs=0.01)
    assert manifest["applied_from"] == "1 January 2020"
    assert manifest["common_random_numbers"] is True
    assert len(manifest["evaluations"]) == len(pd.read_csv(folder / "seek.csv"))
    assert (
        "= 6.00 is the smallest value at which the mean of investment 2020 reaches 6; its 95% interval"
        in (folder / "report.html").read_text(encoding="utf-8")
    )
    # the report is rewritten from the folder alone, in either language
    again = run_cli("report", "out", "--lang", "zh", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert (folder / "report.html").read_text(encoding="utf-8").count(
        "financing.sources.bank.supply = 6.00"
    ) == 1


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--target", "starts:2020"], "--target 'starts:2020': write METRIC=VALUE"),
        (["--target", "P(starts:2020>=3)=2"], "a probability target must lie between 0 and 1"),
        (["--target", "starts:2020=5", "--from", "2025"], "the simulation runs 2020-2021"),
        (["--target", "starts:2020=5", "--from", "soon"], "--from 'soon': give a year"),
        (
            ["--target", "starts:2020=5", "--from", "2021"],
            "after the metric's last year 2020: it cannot move it",
        ),
        (["--target", "starts:2020=5", "-n", "1"], "Invalid value for '-n'"),
    ],
)
def test_bad_arguments_exit_2_with_one_message(tmp_path: Path, extra: list[str], words: str) -> None:
    path = _supply(tmp_path)
    proc = run_cli("seek", str(path), "--param", "financing.sources.bank.supply=1:20", *extra,
                   "--out", "out", cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert words in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_a_bad_lever_exits_2(tmp_path: Path) -> None:
    path = _supply(tmp_path)
    for param, words in (
        ("financing.sources.bank.supply=5", "write path=low:high"),
        ("financing.sources.bank.supply=-3:5", "at -3"),
        ("resources.approval_capacity=1:1.5", "at 1.5"),
    ):
        proc = run_cli("seek", str(path), "--param", param, "--target", "starts:2020=5", cwd=tmp_path)
        assert proc.returncode == 2, param
        assert words in proc.stderr, (param, proc.stderr)
        assert "Traceback" not in proc.stderr


def test_from_whole_applies_the_lever_from_the_first_day(tmp_path: Path) -> None:
    path = _supply(tmp_path)
    plan = plan_seek(
        path, "financing.sources.bank.supply=1:12", "investment:2020=6", replications=2, start="whole"
    )
    assert plan.start is None
    assert plan.scenario(7.0).config.financing.sources["bank"].supply == 7.0
    result = run_seek(plan)
    assert result.status == FOUND
    assert 6 <= result.answer <= 6 + plan.xtol
    assert result.manifest["applied_from"] == "the whole simulation (warm-up included)"
    assert load_scenario(path).config.financing.sources["bank"].supply == 2


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc, signals process groups")
@pytest.mark.parametrize(
    ("sig", "group", "status"), [(signal.SIGINT, True, 130), (signal.SIGTERM, False, 143)]
)
def test_a_stopped_seek_leaves_nothing(tmp_path: Path, sig: signal.Signals, group: bool, status: int) -> None:
    """Stopped while its values run: one line, the status, no folder (tests/test_interrupts.py)."""
    from test_interrupts import _stop_midway

    args = ["seek", str(LIBRARY / "baseline.yaml"), "--param", "financing.sources.bank.supply=37:80"]
    args += ["--target", "investment:2020=440", "-n", "20", "--jobs", "2", "--out", "out"]
    code, stdout, stderr = _stop_midway(args, tmp_path, sig, group)
    assert code == status, stdout + stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "nothing was written" in lines[0]
    assert "Traceback" not in stderr
    assert list(tmp_path.iterdir()) == []


def test_a_lever_inside_a_policy_keeps_the_policys_date(tmp_path: Path) -> None:
    """The bank gives 2 in 2020, then what the policy 'credit' says from 2021: 2 of the 10
    start in 2020, floor(S) of the other 8 in 2021. 5 more in 2021 need S = 5."""
    data = {
        "horizon_years": 2,
        "sectors": {"firm": _firm(funding={"bank": 1.0})},
        "financing": {"sources": {"bank": {"supply": 2}}},
        "policies": [{"name": "credit", "from": 2021, "set": {"financing.sources.bank.supply": 3}}],
    }
    path = _scenario(tmp_path, "policy", data, _waiting(10))
    plan = plan_seek(
        path, "policies.credit.set.financing.sources.bank.supply=1:12", "starts:2021=5", replications=2
    )
    assert plan.applied_from == "the date of the policy each is in"
    result = run_seek(plan)
    assert result.status == FOUND
    assert 5 <= result.answer <= 5 + plan.xtol
    assert result.manifest["applied_from"] == "the date of the policy each is in"
    with pytest.raises(InputError, match="inside a policy"):
        plan_seek(path, "policies.credit.set.financing.sources.bank.supply=1:12", "starts:2021=5", start=2020)
