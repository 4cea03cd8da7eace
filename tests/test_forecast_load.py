"""A saved run read back as a Forecast: the same replications to the last digit, the same
manifest and the scenario that was run; clear errors for folders that are not a finished
run's."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import investsim
from investsim.errors import InputError
from investsim.scenario.loading import scenario_sha256


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[investsim.Forecast, Path]:
    """A short run of a copy of the baseline, whose projects register lies beside it, saved."""
    folder = tmp_path_factory.mktemp("load")
    source = investsim.default_scenario_path()
    register = investsim.load_scenario(source).config.projects
    assert register is not None
    shutil.copy(register, folder / "register.csv")
    scenario = investsim.load_scenario(source).with_overrides(
        {"horizon_years": 3, "warmup_years": 1, "projects": str(folder / "register.csv")}
    )
    assert scenario.in_flight  # the register is read
    forecast = investsim.simulate(scenario, replications=3, seed=11, project_log=True)
    return forecast, forecast.save(folder / "run")


def test_a_saved_run_loads_back_as_it_was(saved: tuple[investsim.Forecast, Path]) -> None:
    forecast, folder = saved
    back = investsim.Forecast.load(folder)
    pd.testing.assert_frame_equal(back.replications, forecast.replications, check_exact=True)
    assert back.projects is not None
    assert forecast.projects is not None
    pd.testing.assert_frame_equal(back.projects, forecast.projects, check_exact=True)
    assert back.manifest == forecast.manifest
    assert back.scenario.config == forecast.scenario.config
    assert back.scenario.in_flight == forecast.scenario.in_flight
    assert scenario_sha256(back.scenario) == forecast.manifest["scenario_sha256"]
    # the scenario rebuilt is the one run: running it again gives the same numbers
    again = investsim.simulate(back.scenario, replications=3, seed=11)
    pd.testing.assert_frame_equal(again.replications, forecast.replications, check_exact=True)
    pd.testing.assert_frame_equal(back.annual, forecast.annual, check_exact=True)


def test_a_folder_without_the_exact_copy_loads_from_the_csv(
    saved: tuple[investsim.Forecast, Path], tmp_path: Path
) -> None:
    forecast, folder = saved
    older = shutil.copytree(folder, tmp_path / "older")
    (older / "replications.parquet").unlink()
    back = investsim.Forecast.load(older)
    pd.testing.assert_frame_equal(back.replications, forecast.replications, rtol=1e-9)


def test_unfinished_and_other_folders_are_refused(
    saved: tuple[investsim.Forecast, Path], tmp_path: Path
) -> None:
    forecast, folder = saved
    stopped = shutil.copytree(folder, tmp_path / "stopped")
    (stopped / "manifest.json").unlink()
    with pytest.raises(
        InputError, match=r"unfinished results folder: manifest\.json, written last, is missing"
    ):
        investsim.Forecast.load(stopped)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"empty: is not a results folder \(no manifest.json\)"):
        investsim.Forecast.load(tmp_path / "empty")
    with pytest.raises(InputError, match="is not a folder"):
        investsim.Forecast.load(tmp_path / "nothing")
    other = investsim.compare(forecast.scenario, forecast, replications=3, seed=11).save(
        tmp_path / "compared"
    )
    with pytest.raises(InputError, match="not a run's results folder"):
        investsim.Forecast.load(other)
    with pytest.raises(TypeError, match="folder must be a results folder's path"):
        investsim.Forecast.load(forecast)  # type: ignore[arg-type]


def test_a_moved_register_asks_for_the_scenario(
    saved: tuple[investsim.Forecast, Path], tmp_path: Path
) -> None:
    forecast, folder = saved
    register = Path(str(forecast.scenario.config.projects))
    moved = tmp_path / "moved.csv"
    shutil.move(register, moved)
    try:
        with pytest.raises(
            InputError, match=r"the projects register the run read, .*register.csv, is no longer there"
        ):
            investsim.Forecast.load(folder)
        scenario = forecast.scenario.with_overrides({"projects": str(moved)})
        back = investsim.Forecast.load(folder, scenario=scenario)
        assert back.scenario is scenario
        pd.testing.assert_frame_equal(back.replications, forecast.replications, check_exact=True)
        with pytest.raises(InputError, match="not the one this folder was run with"):
            investsim.Forecast.load(folder, scenario=scenario.with_overrides({"horizon_years": 2}))
        # a register changed since the run is found out by the scenario's sha256
        register.write_text(moved.read_text(encoding="utf-8").replace("LY19", "LY99"), encoding="utf-8")
        with pytest.raises(InputError, match="not the one that was run"):
            investsim.Forecast.load(folder)
    finally:
        shutil.copy(moved, register)
