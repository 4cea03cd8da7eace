"""Model semantics: exact results of small deterministic cases, reproducibility and CRN."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import special

import investsim
from helpers import FIXED_SECTOR, base, fixed, simulate_file, write_scenario
from investsim.model.pipeline import simulate_replication
from investsim.runs.runner import batches, run_replications


def test_secretary_halves_fixed_approval_and_land(tmp_path: Path) -> None:
    sector = {**FIXED_SECTOR, "approval": fixed(8), "land": fixed(4)}
    data = base(a=sector) | {
        "key_project_threshold": 5,
        "resources": {"service_secretaries": 1, "secretary_effect": 0.5},
    }
    f = simulate_file(
        write_scenario(tmp_path, data, "K1,a,6,approval,0\nK2,a,7,approval,0\nS,a,2,approval,0\n")
    )
    log = f.projects.set_index("project")
    # K1 gets the only secretary: 4 + 2 months; K2 (key, none free) and S (not key): 8 + 4
    assert log.loc["K1", "secretary"]
    assert not log.loc["K2", "secretary"]
    assert not log.loc["S", "secretary"]
    assert log.loc["K1", "approval_end"] == pytest.approx(4 / 12, abs=1e-12)
    assert log.loc["K1", "land_end"] == pytest.approx(6 / 12, abs=1e-12)
    assert log.loc["K2", "land_end"] == pytest.approx(1.0, abs=1e-12)
    assert log.loc["S", "construction_start"] == pytest.approx(1.0, abs=1e-12)
    assert f.manifest["key_projects_with_secretary_mean"] == 1


def test_one_secretary_serves_one_key_project_at_a_time(tmp_path: Path) -> None:
    sector = {"arrivals": {"rate": 6}, "size": fixed(2), "approval": fixed(6), "construction": fixed(12)}
    data = base(a=sector) | {
        "key_project_threshold": 1,
        "resources": {"service_secretaries": 1, "secretary_effect": 0.5},
    }
    log = simulate_file(write_scenario(tmp_path, data), replications=3).projects
    for _, rep in log.groupby("replication"):
        helped = rep[rep["secretary"]].sort_values("arrived")
        assert len(helped) > 3  # the secretary is handed on when construction starts
        # intervals [arrived, construction_start) of helped projects never overlap
        assert (helped["arrived"].to_numpy()[1:] >= helped["construction_start"].to_numpy()[:-1]).all()
        done = helped[helped["approval_end"].notna()]
        np.testing.assert_allclose((done["approval_end"] - done["approval_start"]) * 12, 3, atol=1e-9)
        others = rep[~rep["secretary"] & rep["approval_end"].notna()]
        np.testing.assert_allclose((others["approval_end"] - others["approval_start"]) * 12, 6, atol=1e-9)


def test_in_flight_progress_shortens_the_current_stage(tmp_path: Path) -> None:
    data = base(a={**FIXED_SECTOR, "approval": fixed(12), "land": fixed(6)})
    csv = "A,a,1,approval,0.25\nL,a,1,land,0.5\nF,a,1,financing,0\nC,a,1,construction,0.25\n"
    log = simulate_file(write_scenario(tmp_path, data, csv)).projects.set_index("project")
    assert log.loc["A", "construction_start"] == pytest.approx(0.75 + 0.5)
    assert log.loc["L", "construction_start"] == pytest.approx(0.25)
    assert log.loc["F", "construction_start"] == 0
    assert log.loc["C", "completed"] == pytest.approx(0.75)  # linear: time share = money share


def test_s_curve_in_flight_construction_spends_the_rest_of_its_profile(tmp_path: Path) -> None:
    data = base(a={**FIXED_SECTOR, "construction": fixed(24), "spending": "s_curve"})
    f = simulate_file(write_scenario(tmp_path, data, "C,a,10,construction,0.5\n"))
    # F = I_u(2, 2) is symmetric: half the money is spent at u = 0.5, one year left
    u0 = 0.5
    expected = [
        10 * (special.betainc(2, 2, u0 + 0.5) - 0.5),
        10 * (1 - special.betainc(2, 2, u0 + 0.5)),
        0,
        0,
    ]
    np.testing.assert_allclose(f.replications["investment"], expected, atol=1e-9)
    assert f.replications["investment"].sum() == pytest.approx(5.0, abs=1e-9)
    assert f.replications["starts"].sum() == 0  # already under construction: not a start


def test_overrun_multiplies_spending_not_funding_needs(tmp_path: Path) -> None:
    sector = {**FIXED_SECTOR, "overrun": fixed(1.5), "funding": {"bank": 1.0}}
    data = base(a=sector) | {"financing": {"sources": {"bank": {"supply": 2}}}}
    f = simulate_file(write_scenario(tmp_path, data, "P1,a,2,financing,0\nP2,a,2,financing,0\n"))
    # the supply covers exactly one project's estimated cost a year
    log = f.projects.set_index("project")
    assert log.loc["P1", "construction_start"] == 0
    assert log.loc["P2", "construction_start"] == 1
    np.testing.assert_allclose(f.replications["investment"], [3, 3, 0, 0], atol=1e-9)


def test_a_project_waiting_for_one_source_does_not_stop_another(tmp_path: Path) -> None:
    """A project waiting for one source does not stop another source lending to others."""
    sectors = {
        "public": {**FIXED_SECTOR, "funding": {"government": 1.0}},
        "infra": {**FIXED_SECTOR, "funding": {"government": 0.5, "bank": 0.5}},
        "industry": {**FIXED_SECTOR, "funding": {"bank": 1.0}},
    }
    data = base(**sectors) | {"financing": {"sources": {"bank": {"supply": 10}, "government": {"supply": 1}}}}
    # G takes the year's government money; I waits a year for government (holding no bank
    # money); J, behind I, still gets its bank loan at once
    csv = "G,public,1,financing,0\nI,infra,2,financing,0\nJ,industry,3,financing,0\n"
    log = simulate_file(write_scenario(tmp_path, data, csv)).projects.set_index("project")
    assert log.loc["G", "construction_start"] == 0
    assert log.loc["I", "construction_start"] == 1
    assert log.loc["J", "construction_start"] == 0


def test_share_larger_than_a_years_supply_never_blocks_the_queue(tmp_path: Path) -> None:
    sector = {**FIXED_SECTOR, "funding": {"bank": 1.0}}
    data = base(a=sector) | {"financing": {"sources": {"bank": {"supply": 5}}}}
    log = simulate_file(
        write_scenario(tmp_path, data, "BIG,a,6,financing,0\nS,a,1,financing,0\n")
    ).projects.set_index("project")
    assert math.isnan(log.loc["BIG", "construction_start"])
    assert log.loc["S", "construction_start"] == 0


def test_key_first_priority(tmp_path: Path) -> None:
    sector = {**FIXED_SECTOR, "funding": {"bank": 1.0}}
    data = base(a=sector) | {
        "key_project_threshold": 2,
        "financing": {"priority": "key_first", "sources": {"bank": {"supply": 2}}},
    }
    # year 0: N1 funded at once; N2 waits; K (key) arrives later in the queue but jumps N2
    csv = "N1,a,1,financing,0\nN2,a,1.5,financing,0\nK,a,2,financing,0\n"
    log = simulate_file(write_scenario(tmp_path, data, csv)).projects.set_index("project")
    assert log.loc["N1", "construction_start"] == 0
    assert log.loc["K", "construction_start"] == 1
    assert log.loc["N2", "construction_start"] == 2
    fifo = simulate_file(
        write_scenario(tmp_path, data, csv), overrides=["financing.priority=fifo"]
    ).projects.set_index("project")
    assert fifo.loc["N2", "construction_start"] == 1
    assert fifo.loc["K", "construction_start"] == 2


def test_max_wait_cancels_and_a_waiting_project_holds_no_money(tmp_path: Path) -> None:
    sectors = {
        "a": {**FIXED_SECTOR, "funding": {"bank": 0.5, "government": 0.5}},
        "b": {**FIXED_SECTOR, "land": fixed(6), "funding": {"bank": 1.0}},
    }
    data = base(**sectors) | {
        "financing": {"max_wait": 6, "sources": {"bank": {"supply": 1}, "government": {"supply": 0.5}}}
    }
    # W's government share (1 > 0.5 a year) can never be met: it waits, holding none of the
    # bank money, and is cancelled after 6 months. X reaches financing at 3 months and
    # takes the bank money at once.
    f = simulate_file(write_scenario(tmp_path, data, "W,a,2,financing,0\nX,b,1,land,0.5\n"))
    log = f.projects.set_index("project")
    assert log.loc["W", "cancelled_stage"] == "financing"
    assert log.loc["X", "land_end"] == pytest.approx(0.25)
    assert log.loc["X", "construction_start"] == pytest.approx(0.25)
    # W never starts, and gives up after exactly max_wait: of the two leaving financing in
    # 2020, W waited 6 months (0 to its cancellation) and X none
    assert math.isnan(log.loc["W", "construction_start"])
    np.testing.assert_array_equal(f.replications["cancelled_financing"], [1, 0, 0, 0])
    assert f.replications["financing_wait_months"].iloc[0] == pytest.approx((6 + 0) / 2, abs=1e-12)


def test_background_and_last_observed_growth(tmp_path: Path) -> None:
    data = base(a={**FIXED_SECTOR}) | {
        "background": {"level": 100, "growth": fixed(0.1)},
        "last_observed": {"year": 2019, "investment": 80},
    }
    f = simulate_file(write_scenario(tmp_path, data, "P,a,20,approval,0\n"), project_log=False)
    r = f.replications
    np.testing.assert_allclose(r["investment_background"], [100, 110, 121, 133.1])
    np.testing.assert_allclose(r["investment"], [120, 110, 121, 133.1])
    np.testing.assert_allclose(r["growth"], [120 / 80 - 1, 110 / 120 - 1, 0.1, 0.1])
    assert f.annual["growth_p50"].iloc[0] == pytest.approx(0.5)


def test_first_growth_is_empty_without_last_observed(tmp_path: Path) -> None:
    f = simulate_file(write_scenario(tmp_path, base(a=FIXED_SECTOR), "P,a,2,approval,0\n"), project_log=False)
    assert f.annual["growth_p50"].isna().iloc[0]


def test_approval_steps_serial_sum_and_parallel_max(tmp_path: Path) -> None:
    steps = {"filing": fixed(1), "eia": fixed(3), "planning": fixed(2)}
    sector = {**FIXED_SECTOR, "approval": {"mode": "serial", "steps": steps}}
    path = write_scenario(tmp_path, base(a=sector), "P,a,1,approval,0\n")
    assert simulate_file(path).projects["approval_end"].iloc[0] == pytest.approx(0.5)
    par = simulate_file(path, overrides=["sectors.a.approval.mode=parallel"]).projects
    assert par["approval_end"].iloc[0] == pytest.approx(0.25)


def test_warmup_fills_the_pipeline_and_reports_from_start_year(tmp_path: Path) -> None:
    sector = {"arrivals": {"rate": 20}, "size": fixed(1), "construction": fixed(24)}
    path = write_scenario(tmp_path, base(a=sector) | {"warmup_years": 2})
    f = simulate_file(path, replications=200, project_log=False)
    assert list(f.annual.index) == [2020, 2021, 2022, 2023]
    # M/G/inf already in steady state: lambda * S = 20 a year from the first year on
    means = f.replications.groupby("year")["investment"].agg(["mean", "sem"])
    assert (abs(means["mean"] - 20) < 4 * means["sem"]).all()


def test_cancellation_share_matches_probability(tmp_path: Path) -> None:
    sector = {
        "arrivals": {"rate": 200},
        "size": fixed(1),
        "construction": fixed(1),
        "cancel": {"approval": 0.1, "land": 0.2, "financing": 0.25},
    }
    f = simulate_file(write_scenario(tmp_path, base(a=sector)), replications=20, project_log=True)
    log = f.projects
    n = len(log)
    for stage, p, reached in (("approval", 0.1, 1.0), ("land", 0.2, 0.9), ("financing", 0.25, 0.72)):
        share = (log["cancelled_stage"] == stage).sum() / n
        expected = p * reached
        se = math.sqrt(expected * (1 - expected) / n)
        assert abs(share - expected) < 4 * se, (stage, share, expected)


def test_same_seed_same_numbers_and_jobs_do_not_matter(tmp_path: Path, baseline: investsim.Scenario) -> None:
    scn = baseline.with_overrides({"warmup_years": 2})
    one = run_replications(scn, 6, seed=5, jobs=1)
    two = run_replications(scn, 6, seed=5, jobs=2)
    again = simulate_replication(scn, 5, 3)
    for a, b in zip(one, two, strict=True):
        np.testing.assert_array_equal(a.investment_by_sector, b.investment_by_sector)
        np.testing.assert_array_equal(a.yearly["starts"], b.yearly["starts"])
    np.testing.assert_array_equal(one[3].investment_by_sector, again.investment_by_sector)
    other = simulate_replication(scn, 6, 3)
    assert not np.array_equal(other.investment_by_sector, again.investment_by_sector)


def test_batches_cover_every_replication_once() -> None:
    for reps, jobs in ((1, 2), (7, 2), (200, 2), (1000, 8), (5, 1)):
        covered = [r for b in batches(reps, jobs) for r in b]
        assert covered == list(range(reps))
    assert [r for b in batches(30, 2, first=100, left=90) for r in b] == list(range(100, 130))


def test_batches_shrink_to_single_replications_at_the_end() -> None:
    # guided self-scheduling: no worker waits long for another's last big batch
    sizes = [len(b) for b in batches(200, 2)]
    assert sizes[0] == 20
    assert max(sizes) <= 20
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[-3:] == [1, 1, 1]
    assert len(sizes) < 60


def test_changing_one_sector_leaves_other_sectors_untouched(tmp_path: Path) -> None:
    """Common random numbers: without a shared constrained resource, sector b's projects
    keep identical timestamps when sector a's parameters change."""
    sector = {
        "arrivals": {"rate": 30},
        "size": {"dist": "lognormal", "median": 1, "p90": 3},
        "approval": {"dist": "gamma", "mean": 6, "cv": 0.5},
        "land": {"dist": "exponential", "mean": 3},
        "construction": {"dist": "gamma", "mean": 12, "cv": 0.3},
        "cancel": {"approval": 0.1},
    }
    path = write_scenario(tmp_path, base(a=sector, b=sector))
    one = simulate_file(path, replications=3).projects
    two = simulate_file(
        path, replications=3, overrides=["sectors.a.approval.mean=3", "sectors.a.arrivals.rate=45"]
    ).projects
    b1 = one[one["sector"] == "b"].reset_index(drop=True)
    b2 = two[two["sector"] == "b"].reset_index(drop=True)
    pd.testing.assert_frame_equal(b1, b2)
    # in sector a, the first projects are the same projects, with shorter approvals
    a1 = one[(one["sector"] == "a") & (one["replication"] == 0)].set_index("project")
    a2 = two[(two["sector"] == "a") & (two["replication"] == 0)].set_index("project")
    shared = a1.index.intersection(a2.index)
    assert len(shared) > 50
    np.testing.assert_array_equal(a1.loc[shared, "cost"], a2.loc[shared, "cost"])
    wait1 = a1.loc[shared, "approval_end"] - a1.loc[shared, "approval_start"]
    wait2 = a2.loc[shared, "approval_end"] - a2.loc[shared, "approval_start"]
    both = wait1.notna() & wait2.notna()
    assert both.sum() > 50
    np.testing.assert_allclose(wait2[both], wait1[both] / 2, rtol=1e-12)
