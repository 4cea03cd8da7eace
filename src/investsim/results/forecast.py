"""Results of a run: tidy DataFrames, the yearly summary, and the results folder.

``replications`` is the one source of truth: a long table with one row per replication
and year. The yearly summary (``annual``) is computed from it, never kept alongside.
Growth is computed per replication (I_y / I_{y-1} - 1) and only then summarised, so a
median growth is a median of growths.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from investsim import columns
from investsim.model.collect import ReplicationResult
from investsim.model.project import LOG_COLUMNS
from investsim.results.folders import atomic_folder, check_out_dir, write_manifest, write_report_or_warn
from investsim.results.monthly import monthly_summary, target_probabilities, with_targets
from investsim.scenario.config import Scenario

FIRST_YEAR_JUMP = 0.25
"""A first-year median growth beyond ±25 % over ``last_observed`` is worth a warning: a
city's investment rarely moves that much in a year, while a level in the wrong unit or a
pipeline that counts other projects does."""

QUANTILES = {"p10": 0.10, "p50": 0.50, "p90": 0.90}


def sector_column(name: str) -> str:
    """Column of a sector's investment in the results tables."""
    return columns.SECTOR_INVESTMENT.of(sector=name)


def source_column(name: str) -> str:
    """Column of a funding source's investment in the results tables."""
    return columns.SOURCE_INVESTMENT.of(source=name)


def replications_frame(scenario: Scenario, results: list[ReplicationResult]) -> pd.DataFrame:
    """One row per replication and year: totals, counts, stage statistics, and investment
    by sector and by funding source."""
    c = scenario.config
    years = np.array(scenario.years)
    horizon = len(years)
    n = len(results)
    by_sector = np.stack([r.investment_by_sector for r in results])  # (reps, sectors, years)
    by_source = np.stack([r.investment_by_source for r in results])  # (reps, sources, years)
    projects = by_sector.sum(axis=1)
    background = np.stack([r.background for r in results])
    total = projects + background
    base = np.full((n, 1), np.nan if c.last_observed is None else c.last_observed.investment)
    previous = np.concatenate([base, total[:, :-1]], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = np.where(previous > 0, total / previous - 1, np.nan)
    data: dict[str, Any] = {
        "replication": np.repeat([r.replication for r in results], horizon),
        "year": np.tile(years, n),
        "investment": total.ravel(),
        "growth": growth.ravel(),
        "investment_projects": projects.ravel(),
        "investment_background": background.ravel(),
    }
    for name in results[0].yearly:
        data[name] = np.stack([r.yearly[name] for r in results]).ravel()
    for s, name in enumerate(scenario.sector_names):
        data[sector_column(name)] = by_sector[:, s, :].ravel()
    for f, name in enumerate(scenario.source_names):
        data[source_column(name)] = by_source[:, f, :].ravel()
    df = pd.DataFrame(data)
    for name in df.columns:
        found = columns.find(name)
        if found is None:  # a new output must be defined in investsim.columns first
            raise ValueError(f"column {name!r} is not in the column registry (investsim.columns)")
        if found[0].integer:
            df[name] = df[name].astype(np.int64)
    return df


def annual_summary(replications: pd.DataFrame) -> pd.DataFrame:
    """The yearly forecast: each column summarised over replications as the column
    registry (:mod:`investsim.columns`) says: the headline columns first (investment,
    growth, counts, by sector and source), then every other column in table order."""
    g = replications.groupby("year", sort=True)
    out = pd.DataFrame(index=g.size().index)
    described = [(name, columns.find(name)) for name in replications.columns]
    headline = [
        name
        for column in columns.REGISTRY
        if column.headline
        for name, found in described
        if found is not None and found[0] is column
    ]
    rest = [name for name, found in described if found is not None and not found[0].headline]
    for name in headline + rest:
        found = columns.find(name)
        assert found is not None
        for stat in found[0].summary:
            # the mean skips years without data (e.g. a stage no project finished that year)
            out[f"{name}_{stat}"] = g[name].mean() if stat == "mean" else g[name].quantile(QUANTILES[stat])
    out["replications"] = g.size()
    return out.reset_index()


LONG_COLUMNS = ("replication", "year", "metric", "sector", "source", "stage", "value", "unit")
"""Columns of :meth:`Forecast.to_long`."""

_MEMBER_COLUMN = {"sector": "sector", "source": "source", "stage": "stage", "cancel_stage": "stage"}


def metric_name(template: str) -> str:
    """A registry name without its family member: ``investment_sector_{sector}`` ->
    ``investment_sector``, ``{stage}_wait_months`` -> ``wait_months``."""
    return re.sub(r"_\{\w+\}_", "_", re.sub(r"^\{\w+\}_|_\{\w+\}$", "", template))


def long_table(replications: pd.DataFrame) -> pd.DataFrame:
    """``replications`` (one row per replication and year) as one value per row, with the
    sector, source or stage a column is about in columns of their own (see
    :meth:`Forecast.to_long`)."""
    value_columns = [c for c in replications.columns if c not in ("replication", "year")]
    long = replications.melt(id_vars=["replication", "year"], value_vars=value_columns, var_name="column")
    described = {}
    for name in value_columns:
        found = columns.find(name)
        if found is None:
            raise ValueError(f"column(={name!r}) is not in the column registry")
        column, member = found
        parts = {
            "metric": metric_name(column.name),
            "sector": "",
            "source": "",
            "stage": "",
            "unit": column.unit,
        }
        for fld, value in member.items():
            parts[_MEMBER_COLUMN[fld]] = value
        described[name] = parts
    about = pd.DataFrame.from_dict(described, orient="index")
    long = long.join(about, on="column").drop(columns="column")
    long["value"] = long["value"].astype(float)
    return long[list(LONG_COLUMNS)].sort_values(["replication", "year"], kind="stable", ignore_index=True)


def project_frame(scenario: Scenario, results: list[ReplicationResult]) -> pd.DataFrame | None:
    """One row per project and replication (times in years since the start), if logged."""
    frames = []
    for r in results:
        if r.project_log is None:
            return None
        df = pd.DataFrame(r.project_log, columns=list(LOG_COLUMNS))
        df.insert(0, "replication", r.replication)
        frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else None


class Forecast:
    """A finished run: the scenario, its tidy tables and the manifest describing the run.

    A forecast cannot be changed after it is made, so its tables always match its manifest:
    ``replications``, ``projects`` and ``manifest`` give copies (pandas copy-on-write makes
    the table copies cheap until they are written to), and ``annual`` is computed once.
    Edit a copy freely: ``df = fc.replications; df["investment"] *= 2`` leaves ``fc`` as it was.
    """

    _scenario: Scenario
    _replications: pd.DataFrame
    _projects: pd.DataFrame | None
    _manifest: dict[str, Any]
    _monthly: pd.DataFrame | None

    def __init__(
        self,
        scenario: Scenario,
        replications: pd.DataFrame,
        projects: pd.DataFrame | None = None,
        manifest: dict[str, Any] | None = None,
        monthly: pd.DataFrame | None = None,
    ) -> None:
        object.__setattr__(self, "_monthly", None if monthly is None else monthly.copy())
        object.__setattr__(self, "_scenario", scenario)
        object.__setattr__(self, "_replications", replications.copy())
        object.__setattr__(self, "_projects", None if projects is None else projects.copy())
        object.__setattr__(self, "_manifest", copy.deepcopy(dict(manifest or {})))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a Forecast cannot be changed (setting {name!r}): make a new one")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"a Forecast cannot be changed (deleting {name!r})")

    @property
    def scenario(self) -> Scenario:
        """The scenario that was run (itself frozen)."""
        return self._scenario

    @property
    def replications(self) -> pd.DataFrame:
        """One row per replication and year (a copy: editing it leaves the forecast as it was)."""
        return self._replications.copy(deep=False)

    @property
    def projects(self) -> pd.DataFrame | None:
        """One row per project and replication, if the run kept the project log (a copy)."""
        return None if self._projects is None else self._projects.copy(deep=False)

    @property
    def manifest(self) -> dict[str, Any]:
        """What was run, how and with what (a copy)."""
        return copy.deepcopy(self._manifest)

    @functools.cached_property
    def _annual(self) -> pd.DataFrame:
        return with_targets(annual_summary(self._replications), self._replications, self.growth_targets)

    @property
    def monthly(self) -> pd.DataFrame | None:
        """One row per replication, year and calendar month (``investment`` in the month,
        ``ytd_investment``, ``ytd_growth`` and the month's investment by sector; see
        :mod:`investsim.results.monthly`), or None for a forecast made without months
        (a copy)."""
        return None if self._monthly is None else self._monthly.copy(deep=False)

    @functools.cached_property
    def _monthly_summary(self) -> pd.DataFrame | None:
        if self._monthly is None:
            return None
        return monthly_summary(self._monthly, self.growth_targets)

    @property
    def monthly_summary(self) -> pd.DataFrame | None:
        """``monthly.csv``: one row per year and the bureau's period (1-2月 … 1-12月), the
        period's investment, the year-to-date total and growth summarised over
        replications, and the probability of being at or above the year's growth target
        (a copy; None without months)."""
        return None if self._monthly_summary is None else self._monthly_summary.copy(deep=False)

    @property
    def growth_targets(self) -> dict[int, float]:
        """The growth target of each year that has one (scenario key ``targets``)."""
        return self.scenario.config.growth_targets

    @property
    def targets(self) -> pd.DataFrame:
        """Per target year: the target, the probability of meeting it (growth at or above
        it) over the replications and its 95 % Wilson interval (empty without targets)."""
        return target_probabilities(self._replications, self.growth_targets)

    @property
    def annual(self) -> pd.DataFrame:
        """The yearly summary indexed by year (``fc.annual.loc[2021, "investment_p50"]``),
        computed from ``replications`` once (a copy). :meth:`annual_table` has the year as
        a column, as ``annual.csv`` does."""
        return self._annual.set_index("year")

    def annual_table(self) -> pd.DataFrame:
        """The yearly summary with ``year`` as its first column, as written to ``annual.csv`` (a copy)."""
        return self._annual.copy(deep=False)

    def to_long(self) -> pd.DataFrame:
        """The replications as one value per row: ``replication``, ``year``, ``metric``
        (the output without its sector, source or stage: ``investment_sector``, ``wait_months``,
        ...), ``sector``, ``source``, ``stage``, ``value`` (the parts a metric does not have
        are empty), and ``unit``. For example the investment of industry in 2021 is the row
        with ``metric == "investment_sector"``, ``sector == "industry"``, ``year == 2021``."""
        return long_table(self._replications)

    @property
    def warnings(self) -> list[str]:
        """What a planner should look at before trusting the numbers (legal input, odd result)."""
        out = []
        last = self.scenario.config.last_observed
        growth = self.replications.groupby("year")["growth"].median()
        if last is not None and len(growth) and abs(float(growth.iloc[0])) > FIRST_YEAR_JUMP:
            first = int(growth.index[0])
            out.append(
                f"the median growth of {first} over last_observed ({last.year}: {last.investment:g} "
                f"{self.scenario.config.money_unit}) is {float(growth.iloc[0]):+.1%}: check that last_observed "
                "and the scenario's level (sizes, arrival rates, background) are in the same unit and "
                "count the same projects"
            )
        return out

    @classmethod
    def load(cls, folder: str | Path, scenario: Scenario | None = None) -> Forecast:
        """The run saved in ``folder`` (by ``investsim run`` or :meth:`save`), as it was:
        the replications to the last digit (from ``replications.parquet``), the manifest,
        the project log if kept, and the scenario rebuilt from the manifest's resolved
        scenario. If the projects register has moved or changed since, pass the
        ``scenario`` the run used (checked against the manifest's sha256). ``InputError``
        for a folder that is not a finished run's results folder."""
        from investsim.results.saved import load_forecast

        return load_forecast(folder, scenario)

    def save(self, out: str | Path, lang: str = "en") -> Path:
        """Write the results folder atomically, with its report in ``lang`` (``en`` or
        ``zh``); returns its path."""
        if lang not in ("en", "zh"):
            raise ValueError(f"lang(={lang!r}) must be 'en' or 'zh'")
        return write_results(self, Path(out), lang)

    def _median_investment(self) -> pd.Series:
        return self.replications.groupby("year")["investment"].median()

    def __repr__(self) -> str:
        p50 = self._median_investment()
        years = f"{int(p50.index[0])}-{int(p50.index[-1])}" if len(p50) else "no years"
        span = f", investment P50 {p50.iloc[0]:,.1f} … {p50.iloc[-1]:,.1f}" if len(p50) else ""
        reps = self.replications["replication"].nunique()
        return (
            f"Forecast({self.scenario.name!r}, {years}, {reps} replications, "
            f"seed {self.manifest.get('seed')}{span} {self.scenario.config.money_unit})"
        )

    def _repr_html_(self) -> str:
        """The yearly P10 / P50 / P90 of investment and growth, for notebooks."""
        a = self.annual
        table = pd.DataFrame(
            {
                f"investment P10 ({self.scenario.config.money_unit})": a["investment_p10"],
                "P50": a["investment_p50"],
                "P90": a["investment_p90"],
                "growth P50": a["growth_p50"].map(lambda g: "" if pd.isna(g) else f"{g:+.1%}"),
            }
        )
        head = (
            f"<p><b>{self.scenario.name}</b>: {self.replications['replication'].nunique()} replications</p>"
        )
        return head + table.to_html(float_format=lambda x: f"{x:,.1f}")


def write_results(
    forecast: Forecast,
    out: Path,
    lang: str = "en",
    extra: Mapping[str, pd.DataFrame] | None = None,
    manifest: dict[str, Any] | None = None,
) -> Path:
    """Write ``annual.csv``, ``replications.csv`` and ``.parquet``, ``monthly.csv`` (and the
    per-replication months, ``monthly.parquet``), ``manifest.json`` (and ``projects.parquet``)
    and the report (``report.html``, ``charts/``, ``forecast.xlsx``, in ``lang``) atomically
    (see :func:`atomic_folder`). A report that fails is a warning: the results are kept.
    ``extra`` tables are written beside (as CSV, by file name) and ``manifest`` replaces
    the forecast's (the in-year re-forecast adds its own files and part)."""
    with atomic_folder(out) as tmp:
        for name, table in (extra or {}).items():
            table.to_csv(tmp / name, index=False, float_format="%.10g")
        forecast.annual_table().to_csv(tmp / "annual.csv", index=False, float_format="%.10g")
        forecast.replications.to_csv(tmp / "replications.csv", index=False, float_format="%.10g")
        # the exact numbers, for Forecast.load (the CSV has ten significant digits)
        forecast.replications.to_parquet(tmp / "replications.parquet", index=False)
        months = forecast.monthly_summary
        if months is not None:
            months.to_csv(tmp / "monthly.csv", index=False, float_format="%.10g")
        per_replication = forecast.monthly
        if per_replication is not None:
            per_replication.to_parquet(tmp / "monthly.parquet", index=False)
        if forecast.projects is not None:
            forecast.projects.to_parquet(tmp / "projects.parquet", index=False)
        (tmp / "charts").mkdir()
        write_manifest(tmp, forecast.manifest if manifest is None else manifest)
        write_report_or_warn(tmp, lang, shown_as=out)
    return check_out_dir(out)
