"""Whether a difference between two scenarios is a timing shift: investment brought
forward (or put back) rather than gained or lost.

A lever that releases a backlog early shows a gain in its first years and years below
the base later, while the base works off the backlog the other scenario has already
cleared (docs/model.md 5.9). Read year by year, that looks like a gain followed by a
loss; read cumulatively, the later years only give back part of the earlier gain.
"""

from __future__ import annotations

import pandas as pd


def timing_shift(table: pd.DataFrame, scenario: str) -> str | None:
    """A sentence saying that ``scenario``'s investment difference from the base is (in
    part) a timing shift, or None: there are years surely above the base and later years
    surely below it (95 % intervals), and the cumulative difference ends below its peak.
    ``table`` is a comparison table (:func:`~investsim.analyses.compare.compare_runs`)."""
    rows = table[(table["scenario"] == scenario) & (table["metric"] == "investment")]
    yearly = rows[rows["period"].astype(str).str.fullmatch(r"\d{4}")].copy()
    if yearly.empty:
        return None
    yearly["year"] = yearly["period"].astype(int)
    yearly = yearly.sort_values("year")
    above = yearly[yearly["diff_ci_low"] > 0]["year"]
    below = yearly[yearly["diff_ci_high"] < 0]["year"]
    cumulative = yearly["diff_mean"].cumsum()
    peak_at = int(yearly["year"].iloc[int(cumulative.to_numpy().argmax())])
    # rounded as shown, and +0.0 so that a rounding error below zero does not show as -0.0
    peak, final = round(float(cumulative.max()), 1) + 0.0, round(float(cumulative.iloc[-1]), 1) + 0.0
    last = int(yearly["year"].iloc[-1])
    if len(above) and len(below) and above.min() < below.min() and final < peak:
        lower = ", ".join(str(y) for y in below)
        return (
            f"timing shift: investment comes earlier. Above the base from {above.min()}, below it in "
            f"{lower}: the base then starts projects {scenario} has already started. The cumulative "
            f"difference peaks at {peak:+,.1f} in {peak_at} and is {final:+,.1f} by {last}; read the "
            "lever by the cumulative figure, the yearly ones as timing"
        )
    return None
