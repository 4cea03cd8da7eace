"""The construction season (construction works only from its opening to its closing day,
durations are working months) and the "三早" winter campaign (early_start)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import investsim
from helpers import LIBRARY, base, fixed, investsim_cmd, simulate_file, write_scenario
from investsim.model.season import Season, SeasonArrays

APRIL_TO_OCTOBER = {"opens": "04-01", "closes": "10-31"}


def _one_project(tmp_path: Path, sector: dict[str, Any], row: str, **extra: Any) -> Path:
    """A scenario 2020-2022 with one sector ``a`` and one register project ``row``."""
    data = {**base(a=sector), "horizon_years": 3, **extra}
    return write_scenario(tmp_path, data, [row])


def _months(forecast: investsim.Forecast) -> np.ndarray:
    """Investment of every month of 2020-2022 (replication 0), January 2020 first."""
    m = forecast.monthly
    assert m is not None
    m = m[(m["replication"] == 0) & (m["year"] >= 2020)].sort_values(["year", "month"])
    return m["investment"].to_numpy()


# ----------------------------------------------------------------------------------------------
# the season's arithmetic


def test_working_time_and_finish_by_hand() -> None:
    s = Season(3 / 12, 10 / 12)  # 1 April to 31 October: 7/12 of a year works
    assert s.length == pytest.approx(7 / 12, abs=1e-15)
    # W(t): nothing worked before 1 April, all of the season by 1 November, 7/12 a year
    assert s.working(0.2) == 0.0
    assert s.working(0.5) == pytest.approx(0.25, abs=1e-15)
    assert s.working(0.95) == pytest.approx(7 / 12, abs=1e-15)
    assert s.working(2.5) == pytest.approx(2 * 7 / 12 + 0.25, abs=1e-15)
    assert s.next_open(11.5 / 12) == pytest.approx(1.25, abs=1e-15)  # mid-December -> 1 April
    assert s.next_open(0.5) == 0.5
    # 10 working months from 1 April: April-October, then April-June: done 1 July of the next year
    assert s.finish(0.25, 10 / 12) == pytest.approx(1.5, abs=1e-12)
    # work ending with the season ends on its closing day, not at the next opening
    assert s.finish(0.25, 7 / 12) == pytest.approx(10 / 12, abs=1e-12)
    arrays = SeasonArrays(np.array([3 / 12]), np.array([s.length]))
    assert arrays.finish(np.array([0.25]), np.array([10 / 12]))[0] == pytest.approx(1.5, abs=1e-12)
    # the winter campaign: 8 months of work from 1 January at twice the speed in winter:
    # January-March does 6 months of it, April and May the last 2: done 1 June
    assert s.campaign_finish(0.0, 8 / 12, 0.5) == pytest.approx(5 / 12, abs=1e-12)
    assert s.campaign_finish(0.0, 4 / 12, 0.5) == pytest.approx(2 / 12, abs=1e-12)
    # started in the season, ending in the winter: 1 October + 3 months = October in the
    # season (1 month), then 2 months of work in November at double speed
    assert s.campaign_finish(9 / 12, 3 / 12, 0.5) == pytest.approx(11 / 12, abs=1e-12)


def test_a_whole_year_season_is_calendar_time_to_the_bit() -> None:
    whole = Season(0.0, 1.0)
    for t in (0.0, 0.3, 7.999999999, 12.25, 17.0 - 1e-13):
        assert whole.working(t) == t
        assert whole.next_open(t) == t
        assert whole.finish(t, 1.37) == t + 1.37


# ----------------------------------------------------------------------------------------------
# a project worked out by hand


def test_a_project_spends_the_hand_computed_amount_in_every_month(tmp_path: Path) -> None:
    # One register project in financing on 1 January 2020: cost 12, own money (unlimited),
    # no land, linear spending, 10 working months, season 1 April - 31 October.
    # Financing closes on 1 January (t = 0); the season is closed, so construction starts
    # on 1 April 2020 (t = 0.25), after a wait of 3 months. It works 12/10 = 1.2 a working
    # month: April-October 2020 (7 months, 8.4), nothing November-March, April-June 2021
    # (3 months, 3.6), and completes on 1 July 2021 (t = 1.5). 2022: nothing.
    path = _one_project(
        tmp_path,
        {"size": fixed(12), "construction": fixed(10)},
        "p,a,12,financing,0",
        construction_season=APRIL_TO_OCTOBER,
    )
    fc = simulate_file(path)
    expected = np.zeros(36)
    expected[3:10] = 1.2  # April-October 2020
    expected[15:18] = 1.2  # April-June 2021
    np.testing.assert_allclose(_months(fc), expected, rtol=0, atol=1e-12)
    r = fc.replications.set_index("year")
    np.testing.assert_allclose(r["investment"], [8.4, 3.6, 0.0], rtol=0, atol=1e-12)
    assert r["starts"].tolist() == [1, 0, 0]
    assert r.loc[2020, "construction_wait_months"] == pytest.approx(3.0, abs=1e-12)
    assert r.loc[2021, "completions"] == 1
    # waiting for the season counts in construction (the money is committed): at the end
    # of 2020 the project is in construction, having entered it on 1 January
    assert r.loc[2020, "construction_entering"] == 1
    assert r.loc[2020, "in_construction_at_year_end"] == 1
    log = fc.projects
    assert log is not None
    assert log["financing_end"].iloc[0] == 0.0
    assert log["construction_start"].iloc[0] == pytest.approx(0.25, abs=1e-15)
    assert log["completed"].iloc[0] == pytest.approx(1.5, abs=1e-12)


def test_an_s_curve_over_two_seasons_by_hand(tmp_path: Path) -> None:
    # The same project on the S-curve F(u) = 3u^2 - 2u^3: after m working months u = m/10,
    # so the month that takes u from (m-1)/10 to m/10 spends 12 (F(m/10) - F((m-1)/10)):
    # working months 1-7 are April-October 2020, 8-10 April-June 2021.
    path = _one_project(
        tmp_path,
        {"size": fixed(12), "construction": fixed(10), "spending": "s_curve"},
        "p,a,12,financing,0",
        construction_season=APRIL_TO_OCTOBER,
    )
    u = np.arange(11) / 10
    per_working_month = 12 * np.diff(3 * u**2 - 2 * u**3)
    expected = np.zeros(36)
    expected[3:10] = per_working_month[:7]
    expected[15:18] = per_working_month[7:]
    np.testing.assert_allclose(_months(simulate_file(path)), expected, rtol=0, atol=1e-12)


def test_a_project_ready_in_december_waits_until_the_opening(tmp_path: Path) -> None:
    # in approval on 1 January 2020 for 11.5 months: ready on 16 December 2020 (t = 11.5/12),
    # the season opens on 1 April 2021 (t = 1.25): 3.5 months waited, counted in 2021
    path = _one_project(
        tmp_path,
        {"size": fixed(1), "approval": fixed(11.5), "construction": fixed(6)},
        "p,a,1,approval,0",
        construction_season=APRIL_TO_OCTOBER,
    )
    fc = simulate_file(path)
    r = fc.replications.set_index("year")
    assert r.loc[2021, "construction_wait_months"] == pytest.approx(3.5, abs=1e-12)
    assert r["starts"].tolist() == [0, 1, 0]
    assert np.isnan(r.loc[2020, "construction_wait_months"])  # nobody started in 2020
    assert fc.projects is not None
    assert fc.projects["construction_start"].iloc[0] == pytest.approx(1.25, abs=1e-15)


def test_a_project_in_construction_at_the_start_resumes_when_the_season_opens(tmp_path: Path) -> None:
    # half its construction money spent (linear: u0 = 0.5), 6 working months in all: the
    # other 3 are April-June 2020, 1 of the 2 left a month; it is not a start
    path = _one_project(
        tmp_path,
        {"size": fixed(4), "construction": fixed(6)},
        "p,a,4,construction,0.5",
        construction_season=APRIL_TO_OCTOBER,
    )
    fc = simulate_file(path)
    expected = np.zeros(36)
    expected[3:6] = 2 / 3
    np.testing.assert_allclose(_months(fc), expected, rtol=0, atol=1e-12)
    assert fc.replications["starts"].sum() == 0
    assert fc.projects is not None
    assert fc.projects["completed"].iloc[0] == pytest.approx(0.5, abs=1e-12)


def test_a_sector_can_build_all_year_under_a_season(tmp_path: Path) -> None:
    # sector b builds all year: its project starts on 1 January and spends 1 a month
    data = {
        **base(
            a={"size": fixed(6), "construction": fixed(6)}, b={"size": fixed(6), "construction": fixed(6)}
        ),
        "construction_season": {**APRIL_TO_OCTOBER, "sectors": {"b": "all_year"}},
    }
    path = write_scenario(tmp_path, data, ["pa,a,6,financing,0", "pb,b,6,financing,0"])
    m = simulate_file(path).monthly
    assert m is not None
    y = m[(m["replication"] == 0) & (m["year"] == 2020)].sort_values("month")
    np.testing.assert_allclose(y["investment_sector_b"].to_numpy()[:6], 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(y["investment_sector_a"].to_numpy()[3:9], 1.0, rtol=0, atol=1e-12)
    assert y["investment_sector_a"].to_numpy()[:3].sum() == 0.0


# ----------------------------------------------------------------------------------------------
# the default stays what it was; the months add up


def test_a_whole_year_season_gives_the_results_of_no_season() -> None:
    scenario = investsim.load_scenario(LIBRARY / "baseline.yaml", ["construction_season=null"])
    whole = scenario.with_overrides({"construction_season": {"opens": "01-01", "closes": "12-31"}})
    a = investsim.simulate(scenario, 2, 7, project_log=True)
    b = investsim.simulate(whole, 2, 7, project_log=True)
    # one column more (the wait for the season, none), every other value to the bit
    assert set(b.replications.columns) - set(a.replications.columns) == {"construction_wait_months"}
    assert (b.replications["construction_wait_months"].dropna() == 0).all()
    pd.testing.assert_frame_equal(a.replications, b.replications[a.replications.columns], check_exact=True)
    assert a.projects is not None
    assert b.projects is not None
    assert a.monthly is not None
    pd.testing.assert_frame_equal(a.projects, b.projects, check_exact=True)
    pd.testing.assert_frame_equal(a.monthly, b.monthly, check_exact=True)


def test_months_add_up_to_the_years_with_a_season() -> None:
    # without land money (spent in any month), nothing at all is spent November-March
    overrides = ["construction_season={opens: 04-01, closes: 10-31}", "resources.land_cost_share=0"]
    scenario = investsim.load_scenario(LIBRARY / "baseline.yaml", overrides)
    fc = investsim.simulate(scenario, 2, 3)
    assert fc.monthly is not None
    months = fc.monthly.groupby(["replication", "year"])["investment"].sum()
    years = fc.replications.set_index(["replication", "year"])["investment"]
    np.testing.assert_allclose(months.loc[years.index], years, rtol=1e-12, atol=1e-9)
    by_month = fc.monthly.groupby("month")["investment"].agg(["min", "max"])
    assert by_month.loc[[1, 2, 3, 11, 12], "max"].max() < 1e-9  # rounding of the month bounds
    assert by_month.loc[[4, 5, 6, 7, 8, 9, 10], "min"].min() > 10


# ----------------------------------------------------------------------------------------------
# the "三早" winter campaign


def _campaign(tmp_path: Path, approval: float, cost: float, effect: float | None) -> investsim.Forecast:
    extra: dict[str, Any] = {"construction_season": APRIL_TO_OCTOBER}
    if effect is not None:
        extra["early_start"] = {"list_threshold": 0.5, "winter_effect": effect}
    path = _one_project(
        tmp_path,
        {"size": fixed(cost), "approval": fixed(approval), "construction": fixed(6)},
        f"p,a,{cost},approval,0",
        **extra,
    )
    fc = simulate_file(path)
    assert fc.projects is not None
    return fc


def test_a_listed_project_ready_in_january_starts_on_the_opening_day(tmp_path: Path) -> None:
    # 4 months of approval from 1 January: without the campaign it ends on 1 May and the
    # project starts then; at twice the speed in winter it ends on 1 March, and the project
    # starts on the season's first day, 1 April
    without = _campaign(tmp_path / "without", 4, 1.0, None)
    with_it = _campaign(tmp_path / "with", 4, 1.0, 0.5)
    assert without.projects is not None
    assert with_it.projects is not None
    assert without.projects["construction_start"].iloc[0] == pytest.approx(4 / 12, abs=1e-12)
    assert with_it.projects["approval_end"].iloc[0] == pytest.approx(2 / 12, abs=1e-12)
    assert with_it.projects["construction_start"].iloc[0] == pytest.approx(3 / 12, abs=1e-12)
    # April's spending: a full month of work with the campaign, none without
    assert _months(with_it)[3] == pytest.approx(1 / 6, abs=1e-12)
    assert _months(without)[3] == 0.0


def test_the_campaign_works_only_in_winter_and_only_for_the_list(tmp_path: Path) -> None:
    # 8 months: January-March at twice the speed do 6 of them, April-May the rest: 1 June
    listed = _campaign(tmp_path / "listed", 8, 1.0, 0.5)
    assert listed.projects is not None
    assert listed.projects["approval_end"].iloc[0] == pytest.approx(5 / 12, abs=1e-12)
    # a project below the list's threshold (0.4 < 0.5) is not helped: 1 September
    small = _campaign(tmp_path / "small", 8, 0.4, 0.5)
    assert small.projects is not None
    assert small.projects["approval_end"].iloc[0] == pytest.approx(8 / 12, abs=1e-12)


def test_the_campaign_from_a_policy_date(tmp_path: Path) -> None:
    # from 2021: a project entering approval on 1 January 2020 is not helped
    path = _one_project(
        tmp_path,
        {"size": fixed(1), "approval": fixed(4), "construction": fixed(6)},
        "p,a,1,approval,0",
        construction_season=APRIL_TO_OCTOBER,
        policies=[
            {
                "name": "三早",
                "from": 2021,
                "set": {"early_start": {"list_threshold": 0.5, "winter_effect": 0.5}},
            }
        ],
    )
    log = simulate_file(path).projects
    assert log is not None
    assert log["approval_end"].iloc[0] == pytest.approx(4 / 12, abs=1e-12)


# ----------------------------------------------------------------------------------------------
# what the scenario file may say


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "{opens: 04-01, closes: 02-30}",
            "construction_season.closes: closes(='02-30') is not a day of the year",
        ),
        ("{opens: 4-1, closes: 10-31}", "construction_season.opens: opens(='4-1') must be a day of the year"),
        ("{opens: 11-01, closes: 03-31}", "a season across the new year is not supported"),
        (
            "{opens: 04-01, closes: 10-31, sectors: {b: all_year}}",
            "construction_season.sectors.b: names unknown",
        ),
    ],
)
def test_a_bad_season_is_refused_naming_the_key_and_value(tmp_path: Path, value: str, message: str) -> None:
    path = write_scenario(tmp_path, base(a={"size": fixed(1), "construction": fixed(6)}))
    with pytest.raises(investsim.ScenarioError, match=message.replace("(", r"\(").replace(")", r"\)")):
        investsim.load_scenario(path, [f"construction_season={value}"])


def test_early_start_needs_a_season_and_a_policy_cannot_change_the_season(tmp_path: Path) -> None:
    data = base(a={"size": fixed(1), "construction": fixed(6)})
    path = write_scenario(tmp_path, {**data, "early_start": {"list_threshold": 0.5, "winter_effect": 0.5}})
    with pytest.raises(
        investsim.ScenarioError,
        match='early_start: the "三早" campaign works while the construction season is closed',
    ):
        investsim.load_scenario(path)
    policy = {"name": "winter works", "from": 2021, "set": {"construction_season": APRIL_TO_OCTOBER}}
    path = write_scenario(tmp_path, {**data, "construction_season": APRIL_TO_OCTOBER, "policies": [policy]})
    with pytest.raises(investsim.ScenarioError, match="a policy can't change 'construction_season'"):
        investsim.load_scenario(path)


def test_a_bad_season_exits_with_status_2(tmp_path: Path) -> None:
    path = write_scenario(
        tmp_path,
        {
            **base(a={"size": fixed(1), "construction": fixed(6)}),
            "construction_season": {"opens": "13-01", "closes": "10-31"},
        },
    )
    done = subprocess.run(investsim_cmd("validate", str(path)), capture_output=True, text=True, check=False)
    assert done.returncode == 2, done.stderr
    assert "construction_season.opens" in done.stderr
    assert "'13-01'" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_report_states_the_season_and_the_campaign() -> None:
    from investsim.reporting.assumptions import assumptions_html
    from investsim.reporting.labels import Labels

    scn = {
        "construction_season": {"opens": "04-01", "closes": "10-31", "sectors": {"services": "all_year"}},
        "early_start": {"list_threshold": 0.5, "winter_effect": 0.5},
    }
    html = assumptions_html(scn, Labels("en"))
    assert "construction months are working months" in html
    assert "04-01 – 10-31; services: all year" in html
    assert "三早" in html
    zh = assumptions_html(scn, Labels("zh"))
    assert "施工季" in zh
    assert "全年" in zh
    assert "construction season" not in assumptions_html({}, Labels("en"))
