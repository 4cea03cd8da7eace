"""A Forecast is a value: its tables cannot be changed behind its manifest's back, and its
long view holds exactly the numbers of the wide table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import investsim
import investsim.results.monthly
from investsim.results.forecast import LONG_COLUMNS


@pytest.fixture(scope="module")
def forecast(baseline: investsim.Scenario) -> investsim.Forecast:
    return investsim.simulate(baseline, replications=3, seed=1, jobs=1)


def test_editing_a_table_leaves_the_forecast_as_it_was(forecast: investsim.Forecast) -> None:
    before = forecast.replications["investment"].to_numpy().copy()
    table = forecast.replications
    table["investment"] *= 2
    table.loc[0, "starts"] = -1
    np.testing.assert_array_equal(forecast.replications["investment"].to_numpy(), before)
    assert forecast.replications.loc[0, "starts"] >= 0
    annual = forecast.annual
    annual["investment_mean"] = 0.0
    assert (forecast.annual["investment_mean"] > 0).all()
    manifest = forecast.manifest
    manifest["seed"] = 99
    assert forecast.manifest["seed"] == 1


def test_a_forecast_refuses_new_values(forecast: investsim.Forecast) -> None:
    with pytest.raises(AttributeError, match="cannot be changed"):
        forecast.replications = pd.DataFrame()  # type: ignore[misc]
    with pytest.raises(AttributeError, match="cannot be changed"):
        forecast.anything = 1  # type: ignore[attr-defined]


def test_the_yearly_summary_is_computed_once(forecast: investsim.Forecast) -> None:
    assert forecast._annual is forecast._annual
    # with the growth targets' columns (the baseline states a target)
    summary = investsim.results.forecast.annual_summary(forecast.replications)
    expected = investsim.results.monthly.with_targets(summary, forecast.replications, forecast.growth_targets)
    pd.testing.assert_frame_equal(forecast.annual_table(), expected)
    # in Python the summary is indexed by year
    pd.testing.assert_frame_equal(forecast.annual, expected.set_index("year"))
    assert forecast.annual.loc[2020, "investment_p50"] == expected.loc[1, "investment_p50"]


def test_long_view_holds_every_number_of_the_wide_table(forecast: investsim.Forecast) -> None:
    wide = forecast.replications
    long = forecast.to_long()
    assert tuple(long.columns) == LONG_COLUMNS
    value_columns = [c for c in wide.columns if c not in ("replication", "year")]
    assert len(long) == len(wide) * len(value_columns)
    industry = long[(long.metric == "investment_sector") & (long.sector == "industry")]
    np.testing.assert_array_equal(
        industry.sort_values(["replication", "year"])["value"].to_numpy(),
        wide.sort_values(["replication", "year"])["investment_sector_industry"].to_numpy(),
    )
    waits = long[long.metric == "wait_months"]
    assert set(waits.stage) >= {"approval", "land", "financing"}
    assert (waits.sector == "").all()
    assert (waits.unit == "months").all()
    # by sector, the long view adds up to the total investment of each replication and year
    by_sector = long[long.metric == "investment_sector"].groupby(["replication", "year"])["value"].sum()
    projects = wide.set_index(["replication", "year"])["investment_projects"]
    np.testing.assert_allclose(by_sector.loc[projects.index].to_numpy(), projects.to_numpy(), rtol=1e-12)
