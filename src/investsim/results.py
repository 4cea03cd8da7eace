"""Results of a run: tidy DataFrames, the yearly summary, and the results folder.

``replications`` is the one source of truth: a long table with one row per replication
and year. The yearly summary (``annual``) is computed from it, never kept alongside.
Growth is computed per replication (I_y / I_{y-1} - 1) and only then summarised, so a
median growth is a median of growths.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from investsim.errors import InputError
from investsim.model import CANCEL_STAGES, LOG_COLUMNS, ReplicationResult
from investsim.scenario import Scenario

QUANTILES = {"p10": 0.10, "p50": 0.50, "p90": 0.90}


def sector_column(name: str) -> str:
    """Column of a sector's investment in the results tables."""
    return f"investment_sector_{name}"


def source_column(name: str) -> str:
    """Column of a funding source's investment in the results tables."""
    return f"investment_source_{name}"


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
    for col in ("arrivals", "starts", "completions", *(f"cancelled_{s}" for s in CANCEL_STAGES)):
        df[col] = df[col].astype(np.int64)
    return df


def annual_summary(replications: pd.DataFrame) -> pd.DataFrame:
    """The yearly forecast: mean and P10/P50/P90 of investment, growth quantiles, mean counts."""
    g = replications.groupby("year", sort=True)
    out = pd.DataFrame(index=g.size().index)
    out["investment_mean"] = g["investment"].mean()
    for label, q in QUANTILES.items():
        out[f"investment_{label}"] = g["investment"].quantile(q)
    for label, q in QUANTILES.items():
        out[f"growth_{label}"] = g["growth"].quantile(q)
    for col in ("starts", "completions", "arrivals"):
        out[f"{col}_mean"] = g[col].mean()
    out["investment_projects_p50"] = g["investment_projects"].quantile(0.5)
    out["investment_background_p50"] = g["investment_background"].quantile(0.5)
    for col in replications.columns:
        if col.startswith(("investment_sector_", "investment_source_")):
            out[f"{col}_p50"] = g[col].quantile(0.5)
    # every other yearly series: its mean over replications (skipping years without data,
    # e.g. a stage no project finished that year)
    done = {"replication", "year", "investment", "growth", "starts", "completions", "arrivals"}
    for col in replications.columns:
        if col not in done and not col.startswith("investment"):
            out[f"{col}_mean"] = g[col].mean()
    out["replications"] = g.size()
    return out.reset_index()


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


@dataclass
class Forecast:
    """A finished run: the scenario, its tidy tables and the manifest describing the run."""

    scenario: Scenario
    replications: pd.DataFrame
    projects: pd.DataFrame | None = None
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def annual(self) -> pd.DataFrame:
        """The yearly summary, computed from ``replications``."""
        return annual_summary(self.replications)

    def save(self, out: str | Path, lang: str = "en") -> Path:
        """Write the results folder atomically, with its report in ``lang`` (``en`` or
        ``zh``); returns its path."""
        return write_results(self, Path(out), lang)


def check_out_dir(out: str | Path) -> Path:
    """Check, before any work, that results can be written to ``out``; returns it resolved.

    Refused (``InputError``): a path that is a file or lies under a file, and an existing
    folder that is not empty and not an earlier results folder (one with a
    ``manifest.json``), since writing there replaces the folder whole.
    """
    path = Path(out).resolve()
    if path.exists() and not path.is_dir():
        raise InputError("is a file, not a folder: choose another --out", file=str(out))
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise InputError(f"{parent} is a file, so no folder can be made under it", file=str(out))
            break
    if path.is_dir() and any(path.iterdir()) and not (path / "manifest.json").is_file():
        raise InputError(
            "the folder exists and is not an investsim results folder (no manifest.json); "
            "results replace the folder whole, so choose a new or empty folder",
            file=str(out),
        )
    return path


@contextmanager
def atomic_folder(out: Path) -> Iterator[Path]:
    """A temporary folder beside ``out`` to write into; renamed to ``out`` when the block ends.

    An interrupted or failed write removes the temporary folder and leaves ``out`` as it
    was, so no folder that looks complete is ever half-written. An earlier results
    folder at ``out`` is replaced only once the new one is whole.
    """
    out = check_out_dir(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        # mkdtemp makes an owner-only folder; results follow the user's umask like any folder
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o777 & ~umask)
        yield tmp
        old = None
        if out.exists():
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            out.rename(old)
        tmp.rename(out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_file_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Write one file through a temporary beside it (``write(tmp)`` fills it), renamed
    into place when complete and given the user's usual permissions."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    """Write ``manifest.json`` (last: its presence marks a finished results folder)."""
    with open(folder / "manifest.json", "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())


def write_results(forecast: Forecast, out: Path, lang: str = "en") -> Path:
    """Write ``annual.csv``, ``replications.csv``, ``manifest.json`` (and ``projects.parquet``)
    and the report (``report.html``, ``charts/``, ``forecast.xlsx``, in ``lang``) atomically
    (see :func:`atomic_folder`). A report that fails is a warning: the results are kept."""
    with atomic_folder(out) as tmp:
        forecast.annual.to_csv(tmp / "annual.csv", index=False, float_format="%.10g")
        forecast.replications.to_csv(tmp / "replications.csv", index=False, float_format="%.10g")
        if forecast.projects is not None:
            forecast.projects.to_parquet(tmp / "projects.parquet", index=False)
        (tmp / "charts").mkdir()
        write_manifest(tmp, forecast.manifest)
        try:
            from investsim.report import write_report  # matplotlib only when a report is written

            write_report(tmp, lang)
        except Exception as e:
            print(f"warning: report not written ({e}); retry with: investsim report {out}", file=sys.stderr)
    return check_out_dir(out)
