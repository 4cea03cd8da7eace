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


def compare_and_sweep(path: str, folder: str) -> tuple[float, int]:
    """The analyses from the package root, typed: objects in, result objects out."""
    from matplotlib.figure import Figure

    base = investsim.load_scenario(path)
    more = base.with_overrides({"financing.sources.bank.supply": 60.0})
    comparison = investsim.compare(base, [more], replications=4, window=(2020, 2021))
    chart: Figure = comparison.plot()
    comparison.save(folder)
    table: pd.DataFrame = comparison.table
    swept = investsim.sweep(base, {"financing.sources.bank.supply": [40, 60]}, "growth:2020", replications=4)
    found = investsim.seek(base, "financing.sources.bank.supply", (37, 150), "growth:2020", 0.05)
    answer: float = found.answer
    chart = swept.plot()
    return float(table["diff_mean"].iloc[0]) + answer, len(swept.table) + len(chart.axes)
