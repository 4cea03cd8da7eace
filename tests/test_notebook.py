"""docs/notebook.ipynb runs from top to bottom without an error, on this interpreter.

The notebook is kept without outputs; this executes it with nbclient in a kernel started
by ``sys.executable`` (the venv's Python, whatever ``python`` on the PATH is), so it runs
the investsim under test, and checks a few of its outputs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
kernelspec = pytest.importorskip("ipykernel.kernelspec")

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "notebook.ipynb"


def test_the_docs_notebook_runs_and_shows_its_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a kernelspec named python3 that runs this interpreter, found first on JUPYTER_PATH
    # (the one installed in a venv says `python`, which may be another interpreter)
    kernelspec.write_kernel_spec(tmp_path / "kernels" / "python3")
    spec = json.loads((tmp_path / "kernels" / "python3" / "kernel.json").read_text())
    assert spec["argv"][0] == sys.executable
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), (
        "commit the notebook without outputs"
    )
    client = nbclient.NotebookClient(
        nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError naming the cell on any error

    def outputs(source_start: str) -> list[dict[str, Any]]:
        cell = next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith(source_start))
        return list(cell.outputs)

    def text(out: dict[str, Any]) -> str:
        return str(out.get("text") or out.get("data", {}).get("text/plain", ""))

    # a Forecast shows itself as a table in a notebook
    shown = outputs("fc = investsim.simulate")
    assert "text/html" in shown[0]["data"]
    assert "10 replications" in text(shown[0])
    # the scenario refuses a change in place and says what to do
    assert "with_overrides" in text(outputs("try:\n    base.config")[0])
    # the changed copy has the new supply
    assert "supply=60.0" in text(outputs("more_credit = ")[0])
    # every .plot() cell shows an image
    plots = [c for c in nb.cells if c.cell_type == "code" and c.source.rstrip().endswith(".plot()")]
    assert len(plots) == 3
    for cell in plots:
        assert any("image/png" in o.get("data", {}) for o in cell.outputs), cell.source
    # seek answered with a value, not "out of reach"
    assert "financing.sources.government.supply = " in text(outputs("found = investsim.seek")[0])
    # the run was saved with its report, and loads back
    saved = text(outputs("import tempfile")[0])
    for name in ("manifest.json", "report.html", "replications.parquet"):
        assert name in saved
    assert text(outputs("investsim.Forecast.load")[0]).startswith("Forecast('liaoyuan-baseline'")
