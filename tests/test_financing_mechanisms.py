"""What more money does, shown alone: a minimal scenario for each mechanism behind a
financing result a planner might not expect (docs/model.md, "More money, earlier").

More bank credit from 2020 on a pipeline whose bank supply would catch up with its
backlog anyway brings projects forward: a gain in the first years, then years *below*
the base while the base works off the backlog the credit run has already cleared, and
the same cumulative investment once it has. Worked out by hand in the docstring of
each test; the simulation must agree to the last digit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import investsim
from helpers import write_scenario

YEARS = list(range(2019, 2027))


def _pipeline(tmp_path: Path, supply: float, credit: float | None) -> investsim.Forecast:
    """30 projects of 1 waiting for the bank on 1 January 2019, and 10 a year reaching
    financing evenly through each year 2019-2026 (from approval, 120 months long, at the
    progress that makes project i reach financing (i + 0.5) / 10 years in); built in 12
    months; the bank gives ``supply`` a year, ``credit`` from 2020 if given."""
    rows = [f"B{i:02d},firm,1,financing,0" for i in range(30)]
    rows += [f"F{i:02d},firm,1,approval,{1 - (i + 0.5) / 100!r}" for i in range(80)]
    data: dict[str, Any] = {
        "name": "backlog",
        "start_year": 2019,
        "horizon_years": len(YEARS),
        "sectors": {
            "firm": {
                "arrivals": {"rate": 0},
                "size": {"dist": "fixed", "value": 1},
                "approval": {"dist": "fixed", "value": 120},
                "construction": {"dist": "fixed", "value": 12},
                "funding": {"bank": 1.0},
            }
        },
        "financing": {"sources": {"bank": {"supply": supply}}},
    }
    if credit is not None:
        data["policies"] = [
            {"name": "more bank credit", "from": 2020, "set": {"financing.sources.bank.supply": credit}}
        ]
    path = write_scenario(tmp_path, data, rows, name=f"s{supply}-{credit}.yaml")
    return investsim.simulate(investsim.load_scenario(path), 1, 1)


def _series(forecast: investsim.Forecast, column: str) -> np.ndarray:
    return forecast.replications.set_index("year")[column].reindex(YEARS).to_numpy(dtype=float)


def test_more_credit_brings_a_backlog_forward_and_the_base_catches_up(tmp_path: Path) -> None:
    """Base: 15 a year for a queue of 30 + 10 a year: 15 start each year until the queue is
    gone (end of 2024), then 10. Credit 40 from 2020: all 25 waiting and the 10 new start
    in 2020, then the 10 new each year. Starts differ by +20 in 2020, -5 in 2021-2024."""
    base = _pipeline(tmp_path, 15, None)
    credit = _pipeline(tmp_path, 15, 40)
    np.testing.assert_array_equal(_series(base, "starts"), [15, 15, 15, 15, 15, 15, 10, 10])
    np.testing.assert_array_equal(_series(credit, "starts"), [15, 35, 10, 10, 10, 10, 10, 10])
    diff = _series(credit, "investment") - _series(base, "investment")
    np.testing.assert_allclose(diff, [0, 15, -5, -5, -3.75, -1.25, 0, 0], atol=1e-9)
    # a gain, then years below the base, and by 2024 the same cumulative investment:
    # a timing shift, not a gain followed by a loss
    np.testing.assert_allclose(np.cumsum(diff), [0, 15, 10, 5, 1.25, 0, 0, 0], atol=1e-9)
    # the credit run commits less bank money than the base from 2021 although it has 40
    # a year: its backlog is gone, the base is still working through its own
    assert _series(credit, "financing_committed_bank")[2:6].tolist() == [10.0] * 4
    assert _series(base, "financing_committed_bank")[2:6].tolist() == [15.0] * 4
    assert _series(base, "in_financing_at_year_end").tolist() == [25, 20, 15, 10, 5, 0, 0, 0]


def test_more_credit_is_a_lasting_gain_when_the_base_never_catches_up(tmp_path: Path) -> None:
    """Control: the base's supply (10) only matches the flow (10 a year), so its 30 waiting
    never start; credit starts them all in 2020 and keeps the gain."""
    base = _pipeline(tmp_path, 10, None)
    credit = _pipeline(tmp_path, 10, 40)
    starts = _series(credit, "starts") - _series(base, "starts")
    np.testing.assert_array_equal(np.cumsum(starts), [0, 30, 30, 30, 30, 30, 30, 30])
    assert _series(base, "in_financing_at_year_end").tolist() == [30] * len(YEARS)
    diff = _series(credit, "investment") - _series(base, "investment")
    # 30 more projects, 30 more spent in the end; by 2026 it is 25: the base starts its
    # 10 of 2026 on 1 January (built within the year), the credit run as they come (half
    # of their money is spent in 2027)
    assert np.cumsum(diff)[-1] == pytest.approx(25.0, abs=1e-9)


def test_compare_says_when_a_difference_is_a_timing_shift(tmp_path: Path) -> None:
    from investsim.analyses.compare import Run, compare_runs
    from investsim.analyses.timing import timing_shift

    # three replications (all alike: the pipeline is deterministic), so intervals exist
    base = investsim.simulate(_pipeline(tmp_path, 15, None).scenario, 3, 1).replications
    credit = investsim.simulate(_pipeline(tmp_path, 15, 40).scenario, 3, 1).replications
    table = compare_runs(Run("base", 1, base), [Run("credit", 1, credit)])
    text = timing_shift(table, "credit")
    assert text is not None
    assert text.startswith("timing shift: investment comes earlier. Above the base from 2020, below it in ")
    assert "peaks at +15.0 in 2020 and is +0.0 by 2026" in text
    # a lasting gain is not called a timing shift
    lasting = investsim.simulate(_pipeline(tmp_path, 10, 40).scenario, 3, 1).replications
    steady = investsim.simulate(_pipeline(tmp_path, 10, None).scenario, 3, 1).replications
    assert timing_shift(compare_runs(Run("b", 1, steady), [Run("c", 1, lasting)]), "c") is None


def _warm(tmp_path: Path, policy_from: int | None) -> investsim.Forecast:
    """12 projects of 1 a year (Poisson) that borrow all their cost from a bank giving 10
    in 2019, growing 15 % a year: 5.7 to 8.7 in the warm-up 2015-2018, so a backlog of about
    20 waits on 1 January 2019, and the bank overtakes demand from 2021 (13.2). With
    ``policy_from``, the bank gives 20 a year (no growth) from 1 January of that year."""
    data: dict[str, Any] = {
        "name": f"warm-{policy_from}",
        "start_year": 2019,
        "horizon_years": 6,
        "warmup_years": 4,
        "replications": 20,
        "sectors": {
            "firm": {
                "arrivals": {"rate": 12},
                "size": {"dist": "fixed", "value": 1},
                "approval": {"dist": "fixed", "value": 1},
                "construction": {"dist": "fixed", "value": 12},
                "funding": {"bank": 1.0},
            }
        },
        "financing": {"sources": {"bank": {"supply": 10, "growth": 0.15}}},
    }
    if policy_from is not None:
        data["policies"] = [
            {
                "name": "more bank credit",
                "from": policy_from,
                "set": {"financing.sources.bank.supply": 20, "financing.sources.bank.growth": 0.0},
            }
        ]
    path = write_scenario(tmp_path, data, name=f"warm-{policy_from}.yaml")
    return investsim.simulate(investsim.load_scenario(path), seed=7)


def test_more_credit_from_the_warm_up_releases_the_backlog_before_the_forecast(tmp_path: Path) -> None:
    """The same lever, dated 1 January 2019 or from the simulation's first day (2015: what
    `--set` and, before it set its values from start_year, the what-if page did). From 2019
    it starts the base's backlog at once: more investment over 2019-2024. From 2015 the
    backlog never forms: the early starts fall in the warm-up, which is not reported, and the
    reported years keep only the part below the base, while the base works off the backlog
    it starts 2019 with: *less* investment and fewer starts over 2019-2024 (docs/model.md 5.9)."""
    from investsim.results.stats import paired_difference

    def totals(f: investsim.Forecast, column: str) -> np.ndarray:
        return f.replications.groupby("replication")[column].sum().to_numpy(dtype=float)

    base, now, always = _warm(tmp_path, None), _warm(tmp_path, 2019), _warm(tmp_path, 2015)
    first = base.replications[base.replications["year"] == 2019]
    assert first["in_financing_at_year_end"].mean() > 5  # the base's backlog, still there
    for column in ("investment", "starts"):
        gain = paired_difference(totals(base, column), totals(now, column))
        loss = paired_difference(totals(base, column), totals(always, column))
        assert gain.low > 0, (column, gain)
        assert loss.high < 0, (column, loss)
    # from 2015 no backlog is left on 1 January 2019: the run starts its years with none
    early = always.replications[always.replications["year"] == 2019]
    assert early["in_financing_at_year_end"].max() <= 2
