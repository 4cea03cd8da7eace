"""The Python API at its boundary: wrong types get an error in Python's terms, objects show
themselves briefly in a console and as a table in a notebook, and the package is typed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import investsim

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def forecast(baseline: investsim.Scenario) -> investsim.Forecast:
    return investsim.simulate(baseline.with_overrides({"horizon_years": 3, "warmup_years": 1}), 3, 1)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda s: investsim.simulate("file.yaml"), TypeError, r"investsim\.load_scenario\('file\.yaml'\)"),
        (
            lambda s: investsim.simulate(s, replications="20"),
            TypeError,
            "replications must be a whole number",
        ),
        (lambda s: investsim.simulate(s, replications=0), ValueError, r"replications\(=0\)"),
        (lambda s: investsim.simulate(s, seed=-1), ValueError, r"seed\(=-1\) must be between 0"),
        (lambda s: investsim.simulate(s, seed=1.5), TypeError, "seed must be a whole number"),
        (lambda s: investsim.simulate(s, jobs=0), TypeError, "jobs must be a number of worker processes"),
        (lambda s: investsim.simulate(s, precision="1%"), TypeError, "precision must be a share"),
        (
            lambda s: investsim.load_scenario(investsim.default_scenario_path(), "seed=7"),
            TypeError,
            r"a list of 'dotted.path=value' strings, e.g. \['seed=7'\]",
        ),
        (lambda s: investsim.load_scenario(42), TypeError, "path must be the scenario file's path"),  # type: ignore[arg-type]
    ],
)
def test_wrong_arguments_are_refused_in_python_terms(
    baseline: investsim.Scenario, call: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        call(baseline)  # type: ignore[operator]


def test_numpy_integers_are_whole_numbers(baseline: investsim.Scenario) -> None:
    short = baseline.with_overrides({"horizon_years": 1})
    f = investsim.simulate(short, replications=np.int64(2), seed=np.int64(3))
    assert f.replications["replication"].nunique() == 2
    assert type(f.manifest["seed"]) is int  # the manifest stays JSON


def test_save_refuses_an_unknown_language(forecast: investsim.Forecast, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"lang\(='fr'\) must be 'en' or 'zh'"):
        forecast.save(tmp_path / "out", lang="fr")
    assert not (tmp_path / "out").exists()


def test_objects_show_themselves_briefly(baseline: investsim.Scenario, forecast: investsim.Forecast) -> None:
    text = repr(baseline)
    assert text.startswith("Scenario('liaoyuan-baseline', 2019-2028, 5 sectors, 0 policies")
    assert len(text) < 200
    shown = repr(forecast)
    assert shown.startswith(
        "Forecast('liaoyuan-baseline', 2019-2021, 3 replications, seed 1, investment P50 "
    )
    assert shown.endswith("亿元)")
    assert len(shown) < 200
    html = forecast._repr_html_()
    assert "<table" in html
    assert html.count("<tr") == 2 + 3  # two heading rows, one row a year
    assert "investment P10 (亿元)" in html
    page = baseline._repr_html_()
    assert page.count("<tr") == 1 + 1 + len(baseline.sector_names)  # two heading rows, one per sector
    assert "industry" in page


def test_a_pydantic_copy_with_update_is_refused_naming_with_overrides(baseline: investsim.Scenario) -> None:
    """``model_copy(update=...)`` sets values unchecked (a seed of "banana" crashed deep in
    numpy) and leaves the policies derived from the old values (the issue's drift)."""
    for section, update in (
        (baseline.config, {"seed": "banana"}),
        (baseline.config.financing, {"sources": {}}),
    ):
        with pytest.raises(TypeError, match=r"model_copy\(update=...\) skips validation: .*with_overrides"):
            section.model_copy(update=update)
    assert baseline.config.model_copy(deep=True) == baseline.config


def test_a_typed_notebook_session_passes_mypy_strict() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            str(HERE / "typed" / "notebook_session.py"),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=HERE.parent,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_bundled_scenarios_are_listed_with_name_path_and_description() -> None:
    listed = investsim.bundled_scenarios()
    assert list(listed.columns) == ["name", "path", "description"]
    folder = investsim.default_scenario_path().parents[1]
    assert sorted(listed["path"]) == sorted(folder.rglob("*.yaml"))
    baseline = listed[listed["path"] == investsim.default_scenario_path()].iloc[0]
    assert baseline["name"] == "liaoyuan-baseline"
    assert baseline["description"] == " ".join(
        investsim.load_scenario(baseline["path"]).config.description.split()
    )
    assert baseline["description"]
    reform = listed[listed["name"] == "liaoyuan-reform-package"]
    assert len(reform) == 1
    assert "\n" not in "".join(listed["description"])


def test_a_comparison_and_its_explanation_show_themselves_in_one_line(baseline: investsim.Scenario) -> None:
    base = baseline.with_overrides({"horizon_years": 2})
    other = base.with_overrides({"name": "more-government", "financing.sources.government.supply": 45.0})
    comparison = investsim.compare(base, [other], replications=2, jobs=1)
    shown = repr(comparison)
    assert shown.startswith("Comparison(base='liaoyuan-baseline', others=['more-government'], replications=2")
    assert "\n" not in shown
    explained = repr(comparison.explanation())
    assert explained.startswith("Explanation('more-government', total: investment ")
    assert "\n" not in explained
    assert len(explained) < 300


def test_analysis_results_show_themselves_in_one_line(baseline: investsim.Scenario) -> None:
    base = baseline.with_overrides({"horizon_years": 2})
    sweep = investsim.sweep(
        base, {"financing.sources.bank.supply": [40, 50]}, "cumulative_investment", replications=2
    )
    assert repr(sweep) == (
        "SweepResult(2 points over financing.sources.bank.supply; cumulative_investment; 2 run, 0 reused)"
    )
    found = investsim.seek(
        base, "financing.sources.government.supply", (25, 45), "cumulative_investment", 800, replications=2
    )
    shown = repr(found)
    assert shown.startswith(f"SeekResult({found.status}: ")
    assert "\n" not in shown
    assert len(shown) < 200
