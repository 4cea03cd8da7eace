"""Golden results: a few replications (with project logs) of every bundled scenario.

A refactor must reproduce them exactly (``tests/test_golden.py``). A deliberate change of
the model regenerates them with one command, run from the repository root::

    python tests/golden.py

which rewrites ``tests/golden/`` and prints, per scenario, which columns changed and by
how much, for the commit message; review that diff in the commit like code.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pandas as pd

import investsim

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden"
SCENARIOS = sorted((ROOT / "scenarios").rglob("*.yaml"))
# the province example is ten times the city: one replication of it is enough
REPLICATIONS = {"province": 1}
DEFAULT_REPLICATIONS = 2


def key(path: Path) -> str:
    """The golden files' stem for a scenario file: its path under scenarios/, slashes as '--'."""
    return "--".join(path.relative_to(ROOT / "scenarios").with_suffix("").parts)


def produce(path: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The replications table, the project log and the per-replication months of
    ``path`` at its own seed."""
    scenario = investsim.load_scenario(path)
    n = REPLICATIONS.get(path.stem, DEFAULT_REPLICATIONS)
    forecast = investsim.simulate(scenario, n, scenario.config.seed, project_log=True)
    assert forecast.projects is not None
    assert forecast.monthly is not None
    return forecast.replications, forecast.projects, forecast.monthly


def files(path: Path) -> tuple[Path, Path, Path]:
    """Where the golden replications table, project log and months of ``path`` are stored."""
    stem = key(path)
    return (
        GOLDEN / f"{stem}.replications.csv",
        GOLDEN / f"{stem}.projects.csv.gz",
        GOLDEN / f"{stem}.monthly.csv.gz",
    )


def write(frame: pd.DataFrame, path: Path) -> None:
    # 17 significant digits tell every two float64 apart, so equal text is equal numbers
    # mtime 0: the same results give the same bytes, so git sees no change
    frame.to_csv(path, index=False, float_format="%.17g", compression={"method": "infer", "mtime": 0})


def read(path: Path | io.StringIO) -> pd.DataFrame:
    """A stored table as text, cell for cell (no float parsing, so nothing is rounded)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A fresh table as it would be stored, to compare with a stored one cell for cell."""
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, float_format="%.17g")
    buffer.seek(0)
    return read(buffer)


def _numbers(cells: pd.Series) -> np.ndarray | None:
    try:
        return np.array([float(x) if x != "" else np.nan for x in cells], dtype=float)
    except ValueError:
        return None


def differences(old: pd.DataFrame, new: pd.DataFrame) -> list[str]:
    """What differs between two stored tables, one line per column (empty when identical)."""
    if list(old.columns) != list(new.columns):
        gone = [c for c in old.columns if c not in new.columns]
        added = [c for c in new.columns if c not in old.columns]
        return [f"columns removed {gone}, added {added}"] if gone or added else ["columns reordered"]
    if len(old) != len(new):
        return [f"{len(old)} rows -> {len(new)} rows"]
    out = []
    for c in old.columns:
        changed = (old[c] != new[c]).to_numpy()
        if not changed.any():
            continue
        x, y = _numbers(old[c]), _numbers(new[c])
        line = f"{c}: {int(changed.sum())} of {len(changed)} values differ"
        if x is not None and y is not None:
            line += f", largest by {np.nanmax(np.abs(x - y)[changed], initial=0.0):.3g}"
        out.append(line)
    return out


def main() -> int:
    """Regenerate every golden file and print what changed."""
    GOLDEN.mkdir(exist_ok=True)
    for path in SCENARIOS:
        for frame, target in zip(produce(path), files(path), strict=True):
            new = as_text(frame)
            lines = differences(read(target), new) if target.exists() else ["new"]
            write(frame, target)
            for line in lines:
                print(f"{target.name}: {line}")
    print(f"golden results written to {GOLDEN.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
