"""The column registry: every output column is defined once, and everything reads it."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from golden import SCENARIOS, files, read
from investsim import columns
from investsim.results.forecast import annual_summary, replications_frame
from investsim.runs.simulate import simulate
from investsim.scenario.config import Scenario


def _stored_columns() -> set[str]:
    names: set[str] = set()
    for path in SCENARIOS:
        names |= set(read(files(path)[0]).columns)
    return names


def test_every_column_of_every_bundled_scenario_is_registered() -> None:
    unknown = sorted(name for name in _stored_columns() if columns.find(name) is None)
    assert not unknown


def test_every_entry_has_both_labels_a_unit_and_a_format() -> None:
    for column in columns.REGISTRY:
        assert column.label_en, column.name
        assert column.label_zh, column.name
        assert column.unit in {"money", "count", "months", "share", "year", "none"}, column.name
        assert column.excel_format, column.name
        assert set(column.summary) <= set(columns.STATS), column.name
        # a label names the family member its column is about
        for field in column.fields:
            assert f"{{{field}}}" in column.label_en, column.name
            assert f"{{{field}}}" in column.label_zh, column.name


def test_family_members_are_found_with_their_names() -> None:
    assert columns.find(columns.CANCELLED.of(cancel_stage="land")) == (
        columns.CANCELLED,
        {"cancel_stage": "land"},
    )
    assert columns.find("investment_sector_新兴产业") == (columns.SECTOR_INVESTMENT, {"sector": "新兴产业"})
    assert columns.find("financing_gap") == (columns.FINANCING_GAP, {})  # not a source named "gap"
    assert columns.find("cancelled_construction") is None  # construction has no cancellation
    assert columns.find("investment_whatever") is None
    assert columns.split_stat("financing_supply_bank_mean") == ("financing_supply_bank", "mean")
    assert columns.split_stat("growth_p10") == ("growth", "p10")


def test_headings_and_formats_come_from_the_registry() -> None:
    def name(x: str) -> str:
        return {"bank": "银行贷款", "land": "用地"}.get(x, x)

    assert columns.heading("financing_supply_bank_mean", False, "亿元", str) == "bank supply mean"
    assert columns.heading("financing_supply_bank_mean", True, "亿元", name) == "银行贷款 供给 均值"
    assert columns.heading("investment_p50", False, "亿元", str) == "investment (亿元) P50"
    assert columns.heading("land_wait_months_mean", True, "亿元", name) == "用地：等待月数 均值"
    assert columns.excel_format("growth_p50") == columns.SHARE_FMT
    assert columns.excel_format("investment_sector_industry_p50") == columns.MONEY_FMT
    assert columns.excel_format("approval_wait_months_mean") == columns.MONTHS_FMT
    assert columns.excel_format("year") == columns.WHOLE_FMT


@pytest.fixture(scope="module")
def forecast_tables(baseline: Scenario) -> tuple[pd.DataFrame, pd.DataFrame]:
    scenario = baseline.with_overrides({"horizon_years": 3, "large_project_threshold": 10})
    replications = simulate(scenario, 3, 1).replications
    return replications, annual_summary(replications)


def _registered(replications: pd.DataFrame) -> list[tuple[str, columns.Column]]:
    """Every column of the replications table with its registry entry (all have one)."""
    out = []
    for name in replications.columns:
        found = columns.find(name)
        assert found is not None, name
        out.append((name, found[0]))
    return out


def test_the_annual_summary_summarises_every_column_as_registered(
    forecast_tables: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    replications, annual = forecast_tables
    for name, column in _registered(replications):
        for stat in column.summary:
            assert f"{name}_{stat}" in annual.columns
        if name not in ("replication", "year"):
            assert column.summary, f"{name} is not summarised"
    # an investment_* column that is not a headline one gets its mean (it once got none)
    mean = replications.groupby("year")["investment_in_flight"].mean().to_numpy()
    np.testing.assert_array_equal(annual["investment_in_flight_mean"].to_numpy(), mean)
    # headline columns first, in registry order: investment's four statistics, growth's three
    headline = ["year", *(f"investment_{s}" for s in ("mean", "p10", "p50", "p90"))]
    assert list(annual.columns[:5]) == headline
    assert [annual.columns.get_loc(c) for c in ("growth_p10", "starts_mean", "arrivals_mean")] == [5, 8, 10]


def test_counts_are_whole_numbers_where_the_registry_says_so(
    forecast_tables: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    replications, _ = forecast_tables
    for name, column in _registered(replications):
        if name not in ("replication", "year"):
            assert (replications[name].dtype == np.int64) == column.integer, name


def test_an_unregistered_output_is_refused_not_left_unsummarised(baseline: Scenario) -> None:
    scenario = baseline.with_overrides({"horizon_years": 2})
    from investsim.runs.runner import run_replications

    [result] = run_replications(scenario, 1, 0)
    extra = dataclasses.replace(result, yearly={**result.yearly, "investment_new_thing": np.zeros(2)})
    with pytest.raises(ValueError, match="'investment_new_thing' is not in the column registry"):
        replications_frame(scenario, [extra])
