"""Whether a difference between two scenarios is a timing shift: investment brought
forward (or put back) rather than gained or lost.

A lever that releases a backlog early shows a gain in its first years and years below
the base later, while the base works off the backlog the other scenario has already
cleared (docs/model.md 5.9). Read year by year, that looks like a gain followed by a
loss; read cumulatively, the later years only give back part of the earlier gain.
Cumulative starts tell how much of it: when they are equal by the last year (their
interval includes 0), the same projects started, only at other times — a timing shift
and nothing else; when they still differ, part of the difference is projects the base
has not started (yet) by then.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class TimingShift:
    """A difference whose years change sign: surely above the base, then surely below it
    (investment ``earlier``), or the reverse (``later``). Money and starts are the other
    scenario's less the base's; cumulative figures are sums of the yearly mean differences
    from the first year."""

    scenario: str
    direction: str
    """``earlier`` or ``later``."""
    first_years: list[int]
    """Years whose interval lies on the side of the direction (above the base for earlier)."""
    then_years: list[int]
    """Later years whose interval lies on the other side."""
    peak: float
    """The cumulative investment difference at its furthest from 0 in the direction."""
    peak_at: int
    final: float
    """The cumulative investment difference in the last year."""
    last: int
    starts_peak: float | None = None
    """The cumulative difference in starts at its furthest in the direction (None: no starts)."""
    starts_peak_at: int | None = None
    starts_final: float | None = None
    """The difference in starts over the horizon, with its 95% interval below."""
    starts_low: float | None = None
    starts_high: float | None = None

    @property
    def complete(self) -> bool:
        """Whether cumulative starts are the same by the last year (their 95% interval
        includes 0): the same projects start, only at other times."""
        if self.starts_low is None or self.starts_high is None:
            return False
        return bool(self.starts_low <= 0 <= self.starts_high)

    @property
    def caught_up(self) -> float | None:
        """How many of the projects started earlier (later) at the peak of cumulative
        starts the other side has caught up with by the last year; None unless cumulative
        starts peak before the last year and still lie on the same side of 0 then."""
        if self.starts_peak is None or self.starts_final is None:
            return None
        sign = 1 if self.direction == "earlier" else -1
        caught = sign * (self.starts_peak - self.starts_final)
        return caught if caught >= 0.05 and sign * self.starts_final > 0 else None

    def text(self) -> str:
        """The sentence ``compare`` prints, and keeps in its manifest under ``timing``."""
        above, below = ("above", "below") if self.direction == "earlier" else ("below", "above")
        then = ", ".join(map(str, self.then_years))
        # in the later years, the side that started first has fewer projects left to start
        first, second = (
            ("the base", self.scenario) if self.direction == "earlier" else (self.scenario, "the base")
        )
        out = (
            f"timing shift: investment comes {self.direction}. {above.capitalize()} the base from "
            f"{self.first_years[0]}, {below} it in {then}: {first} then starts projects "
            f"{second} has already started. The cumulative difference "
            f"{'peaks' if self.direction == 'earlier' else 'bottoms out'} at {self.peak:+,.1f} in "
            f"{self.peak_at} and is {self.final:+,.1f} by {self.last}"
        )
        if self.starts_final is not None and self.starts_low is not None and self.starts_high is not None:
            starts = (
                f"{_shown(self.starts_final):+,.1f} ({_shown(self.starts_low):+,.1f} to "
                f"{_shown(self.starts_high):+,.1f})"
            )
            if self.complete:
                out += (
                    f"; cumulative starts are the same by {self.last}, {starts}: the same "
                    f"projects start, only {self.direction}"
                )
            else:
                out += f"; cumulative starts differ by {starts} by {self.last}"
                if self.caught_up is not None and self.starts_peak is not None:
                    out += (
                        f", after {_shown(self.starts_peak):+,.1f} by {self.starts_peak_at}: "
                        f"{_shown(self.caught_up):,.1f} of those projects are caught up by "
                        f"{self.last}, {_shown(abs(self.starts_final)):,.1f} are a "
                        f"{'gain' if self.starts_final > 0 else 'loss'} so far"
                    )
        return out + "; read the lever by the cumulative figure, the yearly ones as timing"


def _yearly(table: pd.DataFrame, scenario: str, metric: str) -> pd.DataFrame:
    """The yearly rows of one scenario's headline ``metric``, by year."""
    rows = table[(table["scenario"].astype(str) == scenario) & (table["metric"] == metric)]
    if "breakdown" in rows.columns:
        rows = rows[rows["breakdown"] == "total"]
    yearly = rows[rows["period"].astype(str).str.fullmatch(r"\d{4}")].copy()
    yearly["year"] = yearly["period"].astype(int)
    return yearly.sort_values("year")


def _shown(value: float) -> float:
    """Rounded as shown, and +0.0 so that a rounding error below zero does not show as -0.0."""
    return round(float(value), 1) + 0.0


def detect_timing_shift(table: pd.DataFrame, scenario: str) -> TimingShift | None:
    """``scenario``'s investment difference from the base as a timing shift, or None.

    Earlier: there are years surely above the base and later years surely below it (95%
    intervals), and the cumulative difference ends below its peak. Later: the mirror
    image. ``table`` is a comparison table
    (:func:`~investsim.analyses.compare.compare_runs`); cumulative starts come from its
    yearly and ``total`` rows of ``starts``.
    """
    yearly = _yearly(table, scenario, "investment")
    if yearly.empty:
        return None
    for direction, sign in (("earlier", 1.0), ("later", -1.0)):
        # in the direction's terms: "above" is above the base for earlier, below it for later
        low = np.where(sign > 0, yearly["diff_ci_low"], -yearly["diff_ci_high"])
        high = np.where(sign > 0, yearly["diff_ci_high"], -yearly["diff_ci_low"])
        years = yearly["year"].to_numpy()
        first, then = years[low > 0], years[high < 0]
        cumulative = sign * yearly["diff_mean"].cumsum().to_numpy()
        at = int(cumulative.argmax())
        if len(first) and len(then) and first.min() < then.min() and cumulative[-1] < cumulative[at]:
            shift = TimingShift(
                scenario,
                direction,
                [int(y) for y in first],
                [int(y) for y in then],
                _shown(sign * cumulative[at]),
                int(years[at]),
                _shown(sign * cumulative[-1]),
                int(years[-1]),
            )
            return _with_starts(shift, table, sign)
    return None


def _with_starts(shift: TimingShift, table: pd.DataFrame, sign: float) -> TimingShift:
    """``shift`` with its cumulative starts: the peak of the yearly sums in the direction
    and the horizon's total with its interval."""
    yearly = _yearly(table, shift.scenario, "starts")
    rows = table[
        (table["scenario"].astype(str) == shift.scenario)
        & (table["metric"] == "starts")
        & (table["period"].astype(str) == "total")
    ]
    if yearly.empty or rows.empty:
        return shift
    cumulative = sign * yearly["diff_mean"].cumsum().to_numpy()
    at = int(cumulative.argmax())
    total = rows.iloc[0]
    return replace(
        shift,
        starts_peak=float(sign * cumulative[at]),
        starts_peak_at=int(yearly["year"].iloc[at]),
        starts_final=float(total["diff_mean"]),
        starts_low=float(total["diff_ci_low"]),
        starts_high=float(total["diff_ci_high"]),
    )


def timing_shift(table: pd.DataFrame, scenario: str) -> str | None:
    """A sentence saying that ``scenario``'s investment difference from the base is (in
    part) a timing shift, or None (see :func:`detect_timing_shift`)."""
    shift = detect_timing_shift(table, scenario)
    return shift.text() if shift is not None else None
