"""What an analyst writes in a notebook, type-checked with mypy --strict by
tests/test_python_api.py: the package ships py.typed, so nothing here is Any."""

from __future__ import annotations

import pandas as pd

import investsim


def bank_supply_effect(path: str, supply: float, replications: int = 4) -> float:
    """Mean paired difference of 2020 investment when the bank lends ``supply`` a year."""
    base: investsim.Scenario = investsim.load_scenario(path)
    more = base.with_overrides({"financing.sources.bank.supply": supply})
    a: investsim.Forecast = investsim.simulate(base, replications=replications, seed=1)
    b = investsim.simulate(more, replications=replications, seed=1)
    table: pd.DataFrame = a.annual
    first: int = int(table["year"].iloc[0])
    diff = (
        b.replications[b.replications.year == first]["investment"].to_numpy()
        - a.replications[a.replications.year == first]["investment"].to_numpy()
    )
    return float(diff.mean())
