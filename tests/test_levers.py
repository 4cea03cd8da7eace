"""Policy levers, each checked exactly in a small deterministic scenario."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from helpers import FIXED_SECTOR as SECTOR
from helpers import base, fixed, simulate_file, write_scenario


def scenario(tmp_path: Path, sectors: dict[str, Any], rows: list[str], **extra: Any) -> Path:
    """Write the scenario ``base(**sectors)`` plus ``extra`` with in-flight projects ``rows``
    ('id,sector,cost,stage,progress')."""
    return write_scenario(tmp_path, base(**sectors) | extra, rows)


def log_of(path: Path, overrides: list[str] | None = None, reps: int = 1) -> Any:
    f = simulate_file(path, reps, 0, overrides=overrides or [])
    return f.projects.set_index("project"), f


def test_policy_changes_only_draws_made_after_it(tmp_path: Path) -> None:
    sector = {**SECTOR, "approval": fixed(6), "land": fixed(12)}
    policy = {"name": "faster land", "from": "2020-04", "set": {"sectors.a.land.value": 3}}
    path = scenario(tmp_path, {"a": sector}, ["P1,a,1,approval,0", "P2,a,1,land,0"], policies=[policy])
    log, f = log_of(path)
    # P1's land is drawn at 6 months, after the policy: 3 months; P2's at 0, before: 12
    assert log.loc["P1", "land_end"] == pytest.approx(0.75, abs=1e-12)
    assert log.loc["P2", "land_end"] == pytest.approx(1.0, abs=1e-12)
    assert f.manifest["policies"] == [
        {
            "name": "faster land",
            "from": "2020-04",
            "years_after_start": 0.25,
            "sets": ["sectors.a.land.value"],
        }
    ]


def test_policy_on_every_sector_with_a_wildcard(tmp_path: Path) -> None:
    sector = {**SECTOR, "approval": fixed(12)}
    policy = {"name": "reform", "from": 2020, "set": {"sectors.*.approval.value": 6}}
    path = scenario(
        tmp_path, {"a": sector, "b": sector}, ["A,a,1,approval,0", "B,b,1,approval,0"], policies=[policy]
    )
    log, _ = log_of(path)
    assert log.loc["A", "approval_end"] == pytest.approx(0.5)
    assert log.loc["B", "approval_end"] == pytest.approx(0.5)


def test_capacity_cut_lets_running_approvals_finish(tmp_path: Path) -> None:
    sector = {**SECTOR, "approval": fixed(12)}
    rows = [f"P{i},a,1,approval,0" for i in range(1, 6)]
    policy = {"name": "cut", "from": "2020-04", "set": {"resources.approval_capacity": 1}}
    path = scenario(tmp_path, {"a": sector}, rows, resources={"approval_capacity": 3}, policies=[policy])
    log, f = log_of(path)
    # P1-P3 started at 0 and finish at 1 despite the cut; then one at a time
    np.testing.assert_allclose(log.loc[["P1", "P2", "P3"], "approval_end"], 1.0)
    assert log.loc["P4", "approval_start"] == pytest.approx(1.0)
    assert log.loc["P5", "approval_start"] == pytest.approx(2.0)
    # utilisation: 3 busy places of 3 for a quarter year, then 3 in use of 1 place
    util = f.replications["approval_utilisation"].to_numpy()
    assert util[0] == pytest.approx((3 * 1.0) / (3 * 0.25 + 1 * 0.75))
    assert util[1] == pytest.approx(1.0)


def test_capacity_rise_starts_waiting_approvals_at_once(tmp_path: Path) -> None:
    sector = {**SECTOR, "approval": fixed(12)}
    rows = [f"P{i},a,1,approval,0" for i in range(1, 4)]
    policy = {"name": "more staff", "from": "2020-07", "set": {"resources.approval_capacity": 3}}
    path = scenario(tmp_path, {"a": sector}, rows, resources={"approval_capacity": 1}, policies=[policy])
    log, _ = log_of(path)
    assert log.loc["P1", "approval_start"] == 0
    np.testing.assert_allclose(log.loc[["P2", "P3"], "approval_start"], 0.5)


def secretaries_by_replay(log: pd.DataFrame, in_force: Callable[[float], int]) -> pd.Series:
    """Who gets a secretary, replayed from the log: in order of arrival, a key project takes
    one if fewer than ``in_force(arrival)`` are held, and holds it until construction starts."""
    held_until: list[float] = []
    got = {}
    for name, p in log.sort_values("arrived", kind="stable").iterrows():
        t = p["arrived"]
        held_until = [u for u in held_until if u > t]
        got[name] = bool(p["key"]) and len(held_until) < in_force(t)
        if got[name]:
            start = p["construction_start"]
            held_until.append(math.inf if math.isnan(start) else start)
    return pd.Series(got)[log.index]


def test_more_secretaries_by_policy(tmp_path: Path) -> None:
    sector = {**SECTOR, "approval": fixed(8)}
    rows = ["K1,a,2,approval,0", "K2,a,2,land,0.5", "K3,a,2,approval,0"]
    # key projects keep arriving in sector b, before and after the policy
    arriving = {**sector, "arrivals": {"rate": 12}}
    policy = {"name": "more", "from": "2020-04", "set": {"resources.service_secretaries": 2}}
    extra = {
        "key_project_threshold": 1,
        "resources": {"service_secretaries": 1, "secretary_effect": 0.5},
        "policies": [policy],
    }
    log, f = log_of(scenario(tmp_path, {"a": sector, "b": arriving}, rows, **extra))
    # K1 takes the only secretary at 0: its fixed 8-month approval is halved
    assert log.loc["K1", "approval_end"] == pytest.approx(4 / 12)
    assert not log.loc["K3", "secretary"]
    assert log.loc["K3", "approval_end"] == pytest.approx(8 / 12)
    # the policy hands no secretary to a project already in the pipeline
    assert list(log.index[log["secretary"] & log["in_flight"]]) == ["K1"]
    # from April 2020 two secretaries serve the projects arriving, one before
    new = log[~log["in_flight"]]
    assert len(new) > 20
    assert new["key"].all()
    one_then_two = secretaries_by_replay(log, lambda t: 1 if t < 0.25 else 2)
    pd.testing.assert_series_equal(log["secretary"], one_then_two, check_names=False)
    helped = log[log["secretary"]]
    in_use = [
        ((helped["arrived"] <= t) & (t < helped["construction_start"].fillna(math.inf))).sum()
        for t in helped["arrived"]
    ]
    assert max(in_use) == 2
    assert max(n for n, t in zip(in_use, helped["arrived"], strict=True) if t < 0.25) == 1
    done = new[new["approval_end"].notna()]
    months = ((done["approval_end"] - done["approval_start"]) * 12).round(9)
    assert (months == np.where(done["secretary"], 4.0, 8.0)).all()
    assert f.manifest["key_projects_with_secretary_mean"] == log["secretary"].sum()


def test_land_budget_queues_projects_and_land_cost_is_investment(tmp_path: Path) -> None:
    sector = {"size": fixed(1), "land": fixed(6), "construction": fixed(12)}
    rows = ["L1,a,10,land,0", "L2,a,10,land,0", "L3,a,10,land,0"]
    extra = {"resources": {"land_budget": 1.5, "land_cost_share": 0.1}}
    log, f = log_of(scenario(tmp_path, {"a": sector}, rows, **extra))
    # each needs 1 of compensation money; 1.5 a year funds one a year
    np.testing.assert_allclose(log.loc[["L1", "L2", "L3"], "land_start"], [0, 1, 2])
    # L1: land money 1 over [0, 0.5), construction 9 over [0.5, 1.5)
    inv = f.replications["investment"].to_numpy()
    np.testing.assert_allclose(inv, [1 + 4.5, 4.5 + 1 + 4.5, 4.5 + 1 + 4.5, 4.5], atol=1e-9)
    assert inv.sum() == pytest.approx(30)  # every project's cost, land and construction
    assert f.replications["land_budget_demand"].iloc[0] == pytest.approx(3.0)


def test_land_cost_without_budget_is_spent_during_land(tmp_path: Path) -> None:
    sector = {
        "size": fixed(1),
        "land": fixed(12),
        "construction": fixed(12),
        "funding": {"own": 0.5, "bank": 0.5},
    }
    extra = {
        "resources": {"land_cost_share": 0.2},
        "financing": {"sources": {"own": "unlimited", "bank": {"supply": 4}}},
    }
    log, f = log_of(scenario(tmp_path, {"a": sector}, ["P,a,10,land,0"], **extra))
    # land 2 in year 0; financing needs 0.5 x 8 = 4 of bank (exactly the supply); 8 in year 1
    np.testing.assert_allclose(f.replications["investment"], [2, 8, 0, 0], atol=1e-9)
    assert log.loc["P", "construction_start"] == pytest.approx(1.0)
    assert f.replications["financing_demand_bank"].iloc[1] == pytest.approx(4.0)


def test_debt_ceiling_lets_exactly_three_start_until_repayments_free_room(tmp_path: Path) -> None:
    sector = {**SECTOR, "funding": {"government": 1.0}}
    rows = [f"G{i},a,30,financing,0" for i in range(1, 6)]
    sources = {"government": {"supply": 1000, "debt_ceiling": 100, "repayment_years": 10}}
    path = scenario(tmp_path, {"a": sector}, rows, financing={"sources": sources})
    log, _ = log_of(path, ["horizon_years=6"])
    starts = log.loc[[f"G{i}" for i in range(1, 6)], "construction_start"].to_numpy()
    np.testing.assert_allclose(starts[:3], 0.0)
    # outstanding 90 - 9 t falls to 70 (room for 30) at t = 20/9 years
    assert starts[3] == pytest.approx(20 / 9, abs=1e-9)
    # then 90 - 9t + 30 - 3 (t - 20/9) <= 70 at t = 170/36
    assert starts[4] == pytest.approx(170 / 36, abs=1e-9)


def test_debt_ceiling_without_repayment_is_a_cumulative_cap(tmp_path: Path) -> None:
    sector = {**SECTOR, "funding": {"government": 1.0}}
    rows = [f"G{i},a,30,financing,0" for i in range(1, 6)]
    sources = {"government": {"supply": 1000, "debt_ceiling": 100}}
    log, _ = log_of(scenario(tmp_path, {"a": sector}, rows, financing={"sources": sources}))
    assert log["construction_start"].notna().sum() == 3


def test_guarantee_pool_adds_capital_times_leverage_for_eligible_sectors_only(tmp_path: Path) -> None:
    sector = {"size": fixed(5), "construction": fixed(12), "funding": {"bank": 1.0}}
    financing = {
        "sources": {"bank": {"supply": 20}},
        "guarantee_pool": {"capital": 2, "leverage": 5, "sectors": ["eligible"]},
    }
    for name, per_year in (("eligible", 6), ("other", 4)):
        rows = [f"{name}{i},{name},5,financing,0" for i in range(30)]
        path = scenario(tmp_path, {"eligible": sector, "other": sector}, rows, financing=financing)
        _, f = log_of(path)
        # (20 + 2 x 5) / 5 = 6 a year for the eligible sector, 20 / 5 = 4 for the other
        assert list(f.replications["starts"]) == [per_year] * 4, name


def test_guarantee_pool_serves_eligible_projects_behind_a_blocked_one(tmp_path: Path) -> None:
    sector = {"size": fixed(5), "construction": fixed(12), "funding": {"bank": 1.0}}
    financing = {
        "sources": {"bank": {"supply": 4}},
        "guarantee_pool": {"capital": 1, "leverage": 5, "sectors": ["eligible"]},
    }
    rows = ["O1,other,5,financing,0", "E1,eligible,5,financing,0"]
    path = scenario(tmp_path, {"eligible": sector, "other": sector}, rows, financing=financing)
    log, _ = log_of(path)
    # O1 can't be met (5 > 4: it can never be, and is set aside); E1 takes the pool's 5
    assert math.isnan(log.loc["O1", "construction_start"])
    assert log.loc["E1", "construction_start"] == 0


def test_supply_change_is_pro_rata_for_the_rest_of_the_year(tmp_path: Path) -> None:
    sector = {**SECTOR, "funding": {"bank": 1.0}}
    rows = [f"P{i},a,1,financing,0" for i in range(100)]
    policy = {"name": "more credit", "from": "2020-07", "set": {"financing.sources.bank.supply": 24}}
    path = scenario(
        tmp_path, {"a": sector}, rows, financing={"sources": {"bank": {"supply": 12}}}, policies=[policy]
    )
    _, f = log_of(path)
    # 12 at once; at mid-year 6 more (half of the extra 12); then 24 a year
    assert list(f.replications["starts"]) == [18, 24, 24, 24]
    np.testing.assert_allclose(f.replications["financing_supply_bank"], [18, 24, 24, 24])


def test_attraction_campaign_raises_the_arrival_rate_from_its_date(tmp_path: Path) -> None:
    sector = {**SECTOR, "arrivals": {"rate": 10}}
    policy = {"name": "campaign", "from": "2021-07", "set": {"sectors.a.arrivals.rate": 30}}
    data = {
        "name": "t",
        "start_year": 2020,
        "horizon_years": 3,
        "sectors": {"a": sector},
        "policies": [policy],
    }
    f = simulate_file(write_scenario(tmp_path, data), 400, 1, project_log=False)
    stats = f.replications.groupby("year")["arrivals"].agg(["mean", "sem"])
    expected = [10, 0.5 * 10 + 0.5 * 30, 30]
    assert (abs(stats["mean"] - expected) < 4 * stats["sem"]).all(), stats


def test_stage_waits_and_work_are_reported_by_year(tmp_path: Path) -> None:
    sector = {**SECTOR, "approval": fixed(12)}
    rows = ["P1,a,1,approval,0", "P2,a,1,approval,0"]
    _, f = log_of(scenario(tmp_path, {"a": sector}, rows, resources={"approval_capacity": 1}))
    r = f.replications
    # P1 is approved on 1 Jan 2021 after no wait; P2 waits 12 months, approved 1 Jan 2022
    np.testing.assert_array_equal(r["approval_entering"], [2, 0, 0, 0])
    np.testing.assert_allclose(r["approval_wait_months"], [np.nan, 0, 12, np.nan])
    np.testing.assert_allclose(r["approval_work_months"], [np.nan, 12, 12, np.nan])
    np.testing.assert_allclose(r["construction_work_months"], [np.nan, np.nan, 12, 12])
    np.testing.assert_allclose(r["approval_utilisation"], [1, 1, 0, 0])
    annual = f.annual
    assert annual.loc[2022, "approval_wait_months_mean"] == 12


def test_land_dispute_adds_its_delay_to_disputed_projects(tmp_path: Path) -> None:
    sure = {**SECTOR, "land": fixed(4), "land_dispute": {"probability": 1.0, "delay": fixed(8)}}
    log, _ = log_of(scenario(tmp_path, {"a": sure}, ["P,a,1,land,0"]))
    assert log.loc["P", "land_end"] == pytest.approx(1.0)  # 4 + 8 months
    # with probability 0.3, about 30% of projects get the extra 8 months
    maybe = {
        "arrivals": {"rate": 100},
        "size": fixed(1),
        "land": fixed(4),
        "land_dispute": {"probability": 0.3, "delay": fixed(8)},
        "construction": fixed(1),
    }
    data = {"name": "d", "start_year": 2020, "horizon_years": 3, "sectors": {"a": maybe}}
    log = simulate_file(write_scenario(tmp_path, data, name="d.yaml"), 5, 3).projects
    # only projects that started land a year before the horizon: both kinds have finished
    early = log[log["land_start"] < 2]
    months = ((early["land_end"] - early["land_start"]) * 12).round(9)
    assert set(months.unique()) == {4.0, 12.0}
    share = (months == 12).mean()
    se = math.sqrt(0.3 * 0.7 / len(months))
    assert abs(share - 0.3) < 4 * se
