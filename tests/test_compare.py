"""Comparing scenarios: paired differences under common random numbers, and the fallback."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers import LIBRARY, run_cli
from investsim.analyses.attribution import attribute_policies
from investsim.analyses.compare import COLUMNS, Run, compare_runs, compare_scenarios


def toy(values: list[list[float]]) -> pd.DataFrame:
    """A replications table: values[r][k] is the investment of replication r in year 2020 + k."""
    rows = [
        {"replication": r, "year": 2020 + k, "investment": v, "growth": np.nan, "starts": 1, "completions": 0}
        for r, row in enumerate(values)
        for k, v in enumerate(row)
    ]
    return pd.DataFrame(rows)


def test_paired_interval_is_the_t_interval_of_the_differences() -> None:
    base = toy([[10, 20], [12, 21], [11, 25], [9, 18]])
    other = toy([[11, 22], [14, 22], [11, 29], [10, 19]])
    table = compare_runs(Run("b", 1, base), [Run("o", 1, other)], window=(2021, 2021))
    row = table[(table["period"] == "total") & (table["metric"] == "investment")].iloc[0]
    d = np.array([3, 3, 4, 2], dtype=float)  # per-replication differences of the totals
    half = stats.t.ppf(0.975, 3) * d.std(ddof=1) / 2
    assert row["pairing"] == "paired"
    assert row["diff_mean"] == pytest.approx(3.0)
    assert row["diff_ci_low"] == pytest.approx(3 - half)
    assert row["diff_ci_high"] == pytest.approx(3 + half)
    assert row["prob_other_higher"] == 1.0
    assert list(table.columns) == list(COLUMNS)
    assert set(table["period"]) == {"2020", "2021", "total", "2021-2021"}
    # for code, the period's kind and its years as integers
    kinds = table.drop_duplicates("period").set_index("period")
    assert kinds.loc["2020", "period_kind"] == "year"
    assert kinds.loc["total", "period_kind"] == "total"
    assert kinds.loc["2021-2021", "period_kind"] == "window"
    assert (kinds.loc["total", "first_year"], kinds.loc["total", "last_year"]) == (2020, 2021)
    assert (kinds.loc["2020", "first_year"], kinds.loc["2020", "last_year"]) == (2020, 2020)
    assert str(table["first_year"].dtype) == "Int64"


def test_unpaired_runs_fall_back_to_welch_and_say_so() -> None:
    base = toy([[10], [12], [11], [9]])
    other = toy([[15], [13], [17], [16], [14]])
    table = compare_runs(Run("b", 1, base), [Run("o", 2, other)])
    row = table[(table["period"] == "2020") & (table["metric"] == "investment")].iloc[0]
    welch = stats.ttest_ind([15, 13, 17, 16, 14], [10, 12, 11, 9], equal_var=False)
    half = row["diff_ci_high"] - row["diff_mean"]
    assert row["pairing"] == "unpaired"
    assert row["diff_mean"] == pytest.approx(4.5)
    assert row["diff_mean"] / (half / stats.t.ppf(0.975, welch.df)) == pytest.approx(welch.statistic)


def test_a_scenario_compared_with_itself_differs_by_exactly_zero() -> None:
    path = LIBRARY / "approval_reform.yaml"
    table, _ = compare_scenarios(path, [path], replications=3, seed=4, window=(2020, 2022))
    defined = table.dropna(subset=["diff_mean"])
    assert len(defined) > 30
    for col in ("diff_mean", "diff_ci_low", "diff_ci_high", "diff_p10", "diff_p50", "diff_p90"):
        assert (defined[col] == 0).all(), col
    assert (defined["prob_other_higher"] == 0).all()


def test_common_random_numbers_narrow_the_interval() -> None:
    """Measured at 40 replications: 3.1x narrower over the horizon, 2.8x over 2020-2022
    (see the closing notes); here, with 12, at least 2x."""
    base, reform = LIBRARY / "baseline.yaml", LIBRARY / "approval_reform.yaml"
    kw = {"replications": 12, "seed": 5, "jobs": 2}
    paired, _ = compare_scenarios(base, [reform], **kw)
    independent, _ = compare_scenarios(base, [reform], independent=True, **kw)

    def width(table: pd.DataFrame) -> float:
        row = table[(table["period"] == "total") & (table["metric"] == "investment")].iloc[0]
        return float(row["diff_ci_high"] - row["diff_ci_low"])

    assert set(paired["pairing"]) == {"paired"}
    assert set(independent["pairing"]) == {"unpaired"}
    assert width(independent) > 2 * width(paired), (width(independent), width(paired))


def test_compare_results_folders_paired_or_not(tmp_path: Path) -> None:
    scn = str(LIBRARY / "baseline.yaml")
    sets = ["--set", "horizon_years=3", "--set", "warmup_years=2", "-n", "3", "--jobs", "1"]
    for name, seed in (("a", "1"), ("b", "1"), ("c", "2")):
        proc = run_cli("run", scn, *sets, "--seed", seed, "--out", name, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
    proc = run_cli("compare", "a", "b", "c", "--out", "cmp", "--window", "2019:2020", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(tmp_path / "cmp" / "comparison.csv")
    assert list(table.columns) == list(COLUMNS)
    # b has a's seed and replications: paired, and identical; c has another seed: unpaired
    first, second = table.iloc[: len(table) // 2], table.iloc[len(table) // 2 :]
    assert set(first["pairing"]) == {"paired"}
    assert set(second["pairing"]) == {"unpaired"}
    assert (first["diff_mean"].dropna() == 0).all()
    assert set(table["period"]) == {"2019", "2020", "2021", "total", "2019-2020"}
    manifest = json.loads((tmp_path / "cmp" / "manifest.json").read_text())
    assert manifest["seeds"] == [1, 1, 2]
    assert "unpaired" in proc.stdout
    assert "paired" in proc.stdout


def test_compare_bad_input_exits_2_and_runs_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nstart_year: 2020\nhorizon_years: 2\nsectors: {}\n")
    proc = run_cli("compare", str(LIBRARY / "baseline.yaml"), str(bad), "--out", "cmp", cwd=tmp_path)
    assert proc.returncode == 2
    assert "bad.yaml" in proc.stderr
    assert "sectors" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "cmp").exists()
    proc = run_cli(
        "compare",
        str(LIBRARY / "baseline.yaml"),
        str(LIBRARY / "baseline.yaml"),
        "--window",
        "2022:2020",
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert "--window" in proc.stderr
    assert not (tmp_path / "results").exists()


def test_shapley_of_an_additive_game_is_each_players_own_effect() -> None:
    from investsim.analyses.attribution import shapley

    effect = [np.array([1.0, 2.0]), np.array([10.0, 20.0]), np.array([100.0, 300.0])]
    values = {}
    for mask in range(8):
        s = frozenset(k for k in range(3) if mask >> k & 1)
        values[s] = sum((effect[k] for k in s), np.zeros(2))
    # an interaction: players 0 and 1 together add 6 more, split evenly between them
    for s in values:
        if {0, 1} <= s:
            values[s] = values[s] + 6
    parts = shapley(values, 3)
    np.testing.assert_allclose(parts[0], effect[0] + 3)
    np.testing.assert_allclose(parts[1], effect[1] + 3)
    np.testing.assert_allclose(parts[2], effect[2])


POLICY_SCENARIO = """\
name: two-levers
start_year: 2020
horizon_years: 4
seed: 3
replications: 4
sectors:
  a:
    arrivals: {rate: 30}
    size: {dist: lognormal, median: 1, p90: 3}
    approval: {dist: gamma, mean: 9, cv: 0.5}
    land: {dist: exponential, mean: 4}
    construction: {dist: gamma, mean: 12, cv: 0.3}
    funding: {own: 0.5, bank: 0.5}
resources: {approval_capacity: 15}
financing:
  max_wait: 12
  sources: {own: unlimited, bank: {supply: 12}}
policies:
  - {name: faster approval, from: 2021, set: {sectors.a.approval.mean: 4}}
  - {name: more credit, from: 2021-07, set: {financing.sources.bank.supply: 20}}
"""


def test_attribution_parts_add_up_to_the_total_exactly(tmp_path: Path) -> None:
    path = tmp_path / "two.yaml"
    path.write_text(POLICY_SCENARIO)
    base = tmp_path / "base.yaml"
    base.write_text(POLICY_SCENARIO.split("policies:")[0])
    proc = run_cli(
        "compare", str(base), str(path), "--attribute", "--out", "cmp", "--window", "2021:2022", cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(tmp_path / "cmp" / "attribution.csv")
    assert set(table["policy"]) == {"faster approval", "more credit", "total"}
    window = table[table["period"] == "2021-2022"]
    assert set(window["period_kind"]) == {"window"}
    assert set(window["first_year"]) == {2021}
    assert set(window["last_year"]) == {2022}
    assert set(table[table["period"] == "total"]["period_kind"]) == {"total"}
    for (_, _), rows in table.groupby(["period", "metric"]):
        parts = rows[rows["policy"] != "total"]["value_mean"].sum()
        total = rows[rows["policy"] == "total"]["value_mean"].iloc[0]
        assert parts == pytest.approx(total, rel=1e-8, abs=1e-8)  # as written, 10 digits
    # the total is the paired difference compare reports against the base without policies
    comparison = pd.read_csv(tmp_path / "cmp" / "comparison.csv")
    diff = comparison[(comparison["period"] == "total") & (comparison["metric"] == "investment")]["diff_mean"]
    total = table[
        (table["policy"] == "total") & (table["period"] == "total") & (table["metric"] == "investment")
    ]
    assert total["value_mean"].iloc[0] == pytest.approx(float(diff.iloc[0]), abs=1e-6)
    assert "faster approval" in proc.stdout
    # in memory, before rounding for the file, the parts add up exactly
    exact = attribute_policies(path, replications=3, seed=1)
    for (_, _), rows in exact.groupby(["period", "metric"]):
        parts = rows[rows["policy"] != "total"]["value_mean"].sum()
        assert parts == pytest.approx(rows[rows["policy"] == "total"]["value_mean"].iloc[0], abs=1e-9)


def test_attribution_splits_the_wait_for_the_season_only_when_there_is_one(tmp_path: Path) -> None:
    path = tmp_path / "two.yaml"
    path.write_text(POLICY_SCENARIO)
    plain = attribute_policies(path, replications=2, seed=1)
    assert "construction_wait_months" not in set(plain["metric"])
    seasonal = attribute_policies(
        path, replications=2, seed=1, overrides=["construction_season={opens: 04-01, closes: 10-31}"]
    )
    waits = seasonal[(seasonal["metric"] == "construction_wait_months") & (seasonal["period"] == "total")]
    assert set(waits["policy"]) == {"faster approval", "more credit", "total"}
    parts = waits[waits["policy"] != "total"]["value_mean"].sum()
    total = waits[waits["policy"] == "total"]["value_mean"].iloc[0]
    assert parts == pytest.approx(total, abs=1e-9)


def test_sampled_shapley_with_every_order_is_the_exact_value() -> None:
    from itertools import permutations

    from investsim.analyses.attribution import (
        prefix_coalitions,
        sample_permutations,
        sampled_shapley,
        shapley,
    )

    rng = np.random.default_rng(8)
    values = {frozenset(k for k in range(4) if m >> k & 1): rng.normal(size=3) for m in range(16)}
    values[frozenset()] = np.zeros(3)
    exact = shapley(values, 4)
    every = sampled_shapley(values, 4, list(permutations(range(4))))
    for a, b in zip(exact, every, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-12)
    # a few sampled orders: not the exact values, but they still add up to the total exactly
    orders = sample_permutations(4, 3, seed=1)
    assert orders[1] == orders[0][::-1]  # antithetic pairs
    assert len(orders) == 3
    needed = prefix_coalitions(orders)
    some = sampled_shapley({s: values[s] for s in needed}, 4, orders)
    np.testing.assert_allclose(sum(some), values[frozenset(range(4))] - values[frozenset()], atol=1e-12)


def test_more_than_six_policies_are_attributed_by_sampled_permutations(tmp_path: Path) -> None:
    head = POLICY_SCENARIO.split("policies:")[0].replace("horizon_years: 4", "horizon_years: 3")
    levers = "".join(
        f"  - {{name: lever {k}, from: 2021, set: {{sectors.a.approval.mean: {9 - k}}}}}\n" for k in range(7)
    )
    path = tmp_path / "seven.yaml"
    path.write_text(head + "policies:\n" + levers)
    table = attribute_policies(path, replications=2, seed=1, permutations=4)
    assert set(table["method"]) == {"sampled: 4 permutations"}
    assert set(table["policy"]) == {*(f"lever {k}" for k in range(7)), "total"}
    for (_, _), rows in table.groupby(["period", "metric"]):
        parts = rows[rows["policy"] != "total"]["value_mean"].sum()
        assert parts == pytest.approx(rows[rows["policy"] == "total"]["value_mean"].iloc[0], abs=1e-9)
