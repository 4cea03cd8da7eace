"""The ``investsim`` command line, run as a user runs it: the real console script in a subprocess.

The console script is looked up beside the interpreter (CI activates a virtualenv, so it
sits in the same ``bin`` folder); ``python -m investsim`` is tested too. Every run uses a
tiny scenario and a handful of replications so that the file stays fast.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

import investsim
from helpers import cli_env, investsim_cmd, run_cli

SMALL = """\
name: small
start_year: 2020
horizon_years: 3
seed: 7
replications: 3
key_project_threshold: 1.0
projects: data/projects.csv
sectors:
  industry:
    arrivals: {rate: 10}
    size: {dist: lognormal, median: 1.0, p90: 3.0}
    approval: {dist: lognormal, median: 4, p90: 8}
    land: {dist: fixed, value: 2}
    construction: {dist: gamma, mean: 12, cv: 0.3}
    funding: {own: 0.7, bank: 0.3}
  services:
    arrivals: {rate: 5}
    size: {dist: triangular, low: 0.5, mode: 1, high: 2}
    construction: {dist: uniform, low: 6, high: 12}
resources:
  approval_capacity: 20
  service_secretaries: 2
  secretary_effect: 0.8
financing:
  sources:
    own: unlimited
    bank: {supply: 5}
"""
SMALL_YEARS = [2020, 2021, 2022]
SMALL_SECTORS = ["industry", "services"]
SMALL_SOURCES = ["own", "bank"]

PROJECTS = """\
id,sector,total_investment,stage,progress
A1,industry,2.0,construction,0.5
A2,services,1.0,approval,0.2
"""

ANNUAL_COLUMNS = [
    "year",
    "investment_mean",
    "investment_p10",
    "investment_p50",
    "investment_p90",
    "growth_p10",
    "growth_p50",
    "growth_p90",
    "starts_mean",
    "completions_mean",
]
REPLICATION_COLUMNS = ["replication", "year", "investment", "starts", "completions"]
PROJECT_COLUMNS = [
    "replication",
    "project",
    "sector",
    "cost",
    "key",
    "arrived",
    "approval_start",
    "approval_end",
    "land_end",
    "financing_end",
    "construction_start",
    "completed",
    "cancelled_stage",
]
MANIFEST_KEYS = [
    "investsim_version",
    "scenario",
    "scenario_sha256",
    "seed",
    "replications",
    "jobs",
    "command",
    "wall_time_s",
    "versions",
]
RESULT_FILES = {"annual.csv", "replications.csv", "manifest.json"}


def assert_ok(proc: subprocess.CompletedProcess[str]) -> None:
    """Exit status 0 and no traceback anywhere."""
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr


def written_to(stdout: str) -> Path:
    """The folder named by the 'results written to DIR' line."""
    found = re.findall(r"^results written to (.+)$", stdout, flags=re.MULTILINE)
    assert len(found) == 1, stdout
    return Path(found[0].strip())


def table_years(stdout: str) -> list[int]:
    """Years of the rows of the printed forecast table, in order."""
    return [int(m.group(1)) for m in re.finditer(r"^\W*((?:19|20)\d\d)\W.*\d", stdout, flags=re.MULTILINE)]


def hidden_entries(folder: Path) -> list[str]:
    """Names starting with '.' in ``folder``: leftovers of an atomic write (temp or old folders)."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def make_small(folder: Path, text: str = SMALL) -> Path:
    """Write the small scenario and its projects CSV into ``folder``; returns the scenario path."""
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "data" / "projects.csv").write_text(PROJECTS, encoding="utf-8")
    path = folder / "small.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def check_results_folder(folder: Path, *, years: list[int], sectors: list[str], sources: list[str]) -> None:
    """The folder holds the documented files with their columns (and no projects.parquet)."""
    assert folder.is_dir()
    names = {p.name for p in folder.iterdir()}
    assert names >= RESULT_FILES, names
    assert not any(n.startswith(".") for n in names), names

    annual = pd.read_csv(folder / "annual.csv")
    assert list(annual.columns[: len(ANNUAL_COLUMNS)]) == ANNUAL_COLUMNS
    assert annual["year"].tolist() == years
    assert annual["investment_mean"].notna().all()
    assert (annual["investment_p10"] <= annual["investment_p50"]).all()
    assert (annual["investment_p50"] <= annual["investment_p90"]).all()

    reps = pd.read_csv(folder / "replications.csv")
    for col in REPLICATION_COLUMNS:
        assert col in reps.columns, col
    for name in sectors:
        assert f"investment_sector_{name}" in reps.columns, name
    for name in sources:
        assert f"investment_source_{name}" in reps.columns, name
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    n = manifest["replications"]
    assert len(reps) == n * len(years)
    assert sorted(reps["replication"].unique()) == list(range(n))
    assert sorted(reps["year"].unique()) == years
    # by-sector and by-source investment each add up to the projects' total
    by_sector = reps[[f"investment_sector_{s}" for s in sectors]].sum(axis=1)
    by_source = reps[[f"investment_source_{s}" for s in sources]].sum(axis=1)
    projects_total = reps["investment_projects"] if "investment_projects" in reps else reps["investment"]
    assert by_sector.to_numpy() == pytest.approx(projects_total.to_numpy(), rel=1e-6, abs=1e-6)
    assert by_source.to_numpy() == pytest.approx(projects_total.to_numpy(), rel=1e-6, abs=1e-6)

    for key in MANIFEST_KEYS:
        assert key in manifest, key
    assert manifest["investsim_version"] == investsim.__version__
    assert re.fullmatch(r"[0-9a-f]{64}", manifest["scenario_sha256"])
    assert isinstance(manifest["command"], list)
    assert "run" in manifest["command"]
    assert manifest["wall_time_s"] >= 0
    assert {"python", "numpy", "simpy", "pandas"} <= set(manifest["versions"])


# --------------------------------------------------------------------------------------
# the bundled default, help, version


def test_run_bundled_default(tmp_path: Path) -> None:
    """`investsim run` with no scenario forecasts the Liaoyuan baseline into results/<name>/."""
    proc = run_cli("run", "-n", "2", "--jobs", "1", cwd=tmp_path)
    assert_ok(proc)
    assert table_years(proc.stdout) == list(range(2019, 2029))
    assert "liaoyuan-baseline" in proc.stdout
    assert "2 replications" in proc.stdout
    assert "seed 2019" in proc.stdout

    folder = written_to(proc.stdout)
    assert folder.resolve() == (tmp_path / "results" / "liaoyuan-baseline").resolve()
    assert [p.name for p in (tmp_path / "results").iterdir()] == ["liaoyuan-baseline"]
    assert not (folder / "projects.parquet").exists()
    bundled = investsim.load_scenario(investsim.default_scenario_path())
    check_results_folder(
        folder,
        years=list(range(2019, 2029)),
        sectors=["industry", "infrastructure", "services", "agriculture", "emerging"],
        sources=bundled.source_names,  # every source a sector's funding names
    )
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["scenario"] == "liaoyuan-baseline"
    assert manifest["seed"] == 2019
    assert manifest["replications"] == 2
    assert manifest["jobs"] == 1
    annual = pd.read_csv(folder / "annual.csv")
    assert (annual["investment_mean"] > 0).all()


def test_python_m_investsim_help(tmp_path: Path) -> None:
    proc = run_cli("--help", cwd=tmp_path, module=True)
    assert_ok(proc)
    assert "Usage:" in proc.stdout
    for command in ("run", "validate", "schema"):
        assert re.search(rf"^\s+{command}\s", proc.stdout, flags=re.MULTILINE), proc.stdout
    assert list(tmp_path.iterdir()) == []


def test_version(tmp_path: Path) -> None:
    proc = run_cli("--version", cwd=tmp_path)
    assert_ok(proc)
    assert investsim.__version__ in proc.stdout


def test_python_m_investsim_validate(tmp_path: Path) -> None:
    scenario = make_small(tmp_path)
    proc = run_cli("validate", scenario.name, cwd=tmp_path, module=True)
    assert_ok(proc)
    assert "valid" in proc.stdout
    assert not (tmp_path / "results").exists()


# --------------------------------------------------------------------------------------
# options of `run` on a small scenario; the runs are started together to save time

RUNS: dict[str, list[str]] = {
    "seed11": ["-n", "4", "--seed", "11", "--jobs", "1"],
    "seed11_again": ["-n", "4", "--seed", "11", "--jobs", "1"],
    "seed11_jobs2": ["-n", "4", "--seed", "11", "--jobs", "2"],
    "seed12": ["-n", "4", "--seed", "12", "--jobs", "1"],
    "seed11_doubled": [
        "-n",
        "4",
        "--seed",
        "11",
        "--jobs",
        "1",
        "--set",
        "sectors.industry.arrivals.rate=20",
        "--set",
        "sectors.services.arrivals.rate=10",
    ],
    "project_log": ["-n", "2", "--seed", "11", "--jobs", "1", "--project-log"],
}


@pytest.fixture(scope="module")
def small_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    """Each of RUNS on the small scenario: name -> (results folder, stdout)."""
    root = tmp_path_factory.mktemp("small_runs")
    scenario = make_small(root)
    procs = {
        name: subprocess.Popen(
            investsim_cmd("run", scenario.name, *args, "--out", f"out/{name}"),
            cwd=root,
            env=cli_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        for name, args in RUNS.items()
    }
    out: dict[str, tuple[Path, str]] = {}
    for name, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=300)
        done = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
        assert_ok(done)
        out[name] = (root / "out" / name, stdout)
    return out


def manifest_of(folder: Path) -> dict[str, object]:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def test_run_options_recorded(small_runs: dict[str, tuple[Path, str]]) -> None:
    """-n, --seed, --jobs and --out are obeyed and recorded in the manifest."""
    folder, stdout = small_runs["seed11_jobs2"]
    assert written_to(stdout).resolve() == folder.resolve()
    assert table_years(stdout) == SMALL_YEARS
    assert "4 replications" in stdout
    assert "seed 11" in stdout
    check_results_folder(folder, years=SMALL_YEARS, sectors=SMALL_SECTORS, sources=SMALL_SOURCES)
    manifest = manifest_of(folder)
    assert manifest["scenario"] == "small"
    assert manifest["seed"] == 11
    assert manifest["replications"] == 4
    assert manifest["jobs"] == 2
    assert not (folder / "projects.parquet").exists()
    assert hidden_entries(folder.parent) == []


def test_set_changes_the_result(small_runs: dict[str, tuple[Path, str]]) -> None:
    """Doubling every sector's arrival rate with --set raises investment and is recorded."""
    base_dir, _ = small_runs["seed11"]
    doubled_dir, _ = small_runs["seed11_doubled"]
    base = pd.read_csv(base_dir / "replications.csv")
    doubled = pd.read_csv(doubled_dir / "replications.csv")
    assert doubled["arrivals"].sum() > 1.5 * base["arrivals"].sum()
    assert doubled["investment"].sum() > base["investment"].sum()
    assert doubled["starts"].sum() > base["starts"].sum()
    base_manifest, doubled_manifest = manifest_of(base_dir), manifest_of(doubled_dir)
    assert base_manifest["scenario_sha256"] != doubled_manifest["scenario_sha256"]
    assert "sectors.industry.arrivals.rate=20" in doubled_manifest["command"]
    resolved = doubled_manifest.get("resolved_scenario")
    if isinstance(resolved, dict):
        assert resolved["sectors"]["industry"]["arrivals"]["rate"] == 20
        assert resolved["sectors"]["services"]["arrivals"]["rate"] == 10


def test_project_log(small_runs: dict[str, tuple[Path, str]]) -> None:
    """--project-log adds projects.parquet with the documented columns; without it there is none."""
    folder, _ = small_runs["project_log"]
    check_results_folder(folder, years=SMALL_YEARS, sectors=SMALL_SECTORS, sources=SMALL_SOURCES)
    log = pd.read_parquet(folder / "projects.parquet")
    for col in PROJECT_COLUMNS:
        assert col in log.columns, col
    assert sorted(log["replication"].unique()) == [0, 1]
    assert set(log["sector"]) <= set(SMALL_SECTORS)
    assert (log["cost"] > 0).all()
    # the in-flight projects of the CSV are in every replication
    for rep in (0, 1):
        assert {"A1", "A2"} <= set(log.loc[log["replication"] == rep, "project"])
    # one row per project and replication
    assert not log.duplicated(["replication", "project"]).any()
    # times in years since the start: a completed project completed after it arrived
    done = log.dropna(subset=["completed"])
    assert len(done) > 0
    assert (done["completed"] >= done["construction_start"]).all()
    for name in ("seed11", "seed11_jobs2", "seed12", "seed11_doubled"):
        assert not (small_runs[name][0] / "projects.parquet").exists(), name


def test_same_seed_gives_identical_files(small_runs: dict[str, tuple[Path, str]]) -> None:
    a, _ = small_runs["seed11"]
    b, _ = small_runs["seed11_again"]
    for name in ("annual.csv", "replications.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_jobs_do_not_change_the_numbers(small_runs: dict[str, tuple[Path, str]]) -> None:
    one, _ = small_runs["seed11"]
    two, _ = small_runs["seed11_jobs2"]
    assert (one / "replications.csv").read_bytes() == (two / "replications.csv").read_bytes()
    assert (one / "annual.csv").read_bytes() == (two / "annual.csv").read_bytes()


def test_different_seed_gives_different_numbers(small_runs: dict[str, tuple[Path, str]]) -> None:
    a = pd.read_csv(small_runs["seed11"][0] / "replications.csv")
    b = pd.read_csv(small_runs["seed12"][0] / "replications.csv")
    assert a.shape == b.shape
    assert not a["investment"].equals(b["investment"])
    assert manifest_of(small_runs["seed12"][0])["seed"] == 12


def test_results_folder_respects_umask(small_runs: dict[str, tuple[Path, str]], tmp_path: Path) -> None:
    """The results folder gets the permissions of any folder the user creates (not 0700).

    Planners share results; a folder made with tempfile.mkdtemp and renamed into place
    keeps mkdtemp's owner-only mode.
    """
    folder, _ = small_runs["seed11"]
    plain = tmp_path / "plain"
    plain.mkdir()
    assert oct(folder.stat().st_mode & 0o777) == oct(plain.stat().st_mode & 0o777)


# --------------------------------------------------------------------------------------
# the results folder: replaced whole, never anything else


def test_rerun_replaces_out_whole(small_runs: dict[str, tuple[Path, str]], tmp_path: Path) -> None:
    """Re-running into an existing results folder replaces it: no stale file, no temp folder."""
    scenario = make_small(tmp_path)
    out = tmp_path / "out"
    shutil.copytree(small_runs["project_log"][0], out)  # an earlier run with --project-log
    (out / "charts").mkdir(exist_ok=True)
    (out / "charts" / "stale.png").write_bytes(b"stale")
    (out / "stale.txt").write_text("from an earlier run", encoding="utf-8")
    assert (out / "projects.parquet").exists()

    proc = run_cli(
        "run", scenario.name, "-n", "2", "--seed", "5", "--jobs", "1", "--out", "out", cwd=tmp_path
    )
    assert_ok(proc)
    assert written_to(proc.stdout).resolve() == out.resolve()
    assert not (out / "projects.parquet").exists()
    assert not (out / "stale.txt").exists()
    assert not (out / "charts" / "stale.png").exists()
    check_results_folder(out, years=SMALL_YEARS, sectors=SMALL_SECTORS, sources=SMALL_SOURCES)
    manifest = manifest_of(out)
    assert manifest["seed"] == 5
    assert manifest["replications"] == 2
    assert hidden_entries(tmp_path) == []


def test_out_never_replaces_a_folder_that_is_not_results(tmp_path: Path) -> None:
    """`--out` naming a folder of the user's own files must not wipe it.

    Here the folder holds the scenario's projects CSV and the user's notes. Replacing it
    whole would delete them; the run must refuse (bad input, exit 2) and touch nothing.
    """
    scenario = make_small(tmp_path)
    notes = tmp_path / "data" / "notes.txt"
    notes.write_text("keep me", encoding="utf-8")
    before = sorted(p.name for p in (tmp_path / "data").iterdir())

    proc = run_cli("run", scenario.name, "-n", "2", "--jobs", "1", "--out", "data", cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "data" in proc.stderr
    assert notes.read_text(encoding="utf-8") == "keep me"
    assert (tmp_path / "data" / "projects.csv").read_text(encoding="utf-8") == PROJECTS
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == before
    assert hidden_entries(tmp_path) == []


def test_out_under_a_file_is_bad_input(tmp_path: Path) -> None:
    """`--out` that can't be a folder (its parent is a file): exit 2, one message, no traceback."""
    scenario = make_small(tmp_path)
    (tmp_path / "afile").write_text("not a folder", encoding="utf-8")
    proc = run_cli("run", scenario.name, "-n", "2", "--jobs", "1", "--out", "afile/sub", cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "afile" in proc.stderr
    assert (tmp_path / "afile").read_text(encoding="utf-8") == "not a folder"
    assert hidden_entries(tmp_path) == []


def test_scenario_name_cannot_escape_results(tmp_path: Path) -> None:
    """A name that would take the default results/<name> out of results/ is bad input
    (docs/errors.md, *Name with a slash*): exit 2, one message, nothing written."""
    scenario = make_small(tmp_path / "work")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    proc = run_cli(
        "run", scenario.name, "-n", "2", "--jobs", "1", "--set", "name=../escaped", cwd=scenario.parent
    )
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: --set: name: "), lines[0]
    assert "'../escaped') names the results folder" in lines[0]
    assert not (tmp_path / "work" / "escaped").exists()
    assert not (tmp_path / "escaped").exists()
    assert not (tmp_path / "work" / "results").exists()
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


# --------------------------------------------------------------------------------------
# validate and schema


def test_validate_bundled_baseline(tmp_path: Path) -> None:
    baseline = investsim.default_scenario_path()
    proc = run_cli("validate", str(baseline), cwd=tmp_path)
    assert_ok(proc)
    text = " ".join(proc.stdout.split())  # undo rich's line wrapping
    assert "valid" in text
    assert "liaoyuan-baseline" in text
    scn = investsim.load_scenario(baseline)
    for name in scn.config.sectors:
        assert re.search(rf"\b{name}\b", text), name
    rate = sum(s.arrivals.rate for s in scn.config.sectors.values())
    assert f"expected new projects a year: {rate:g}" in text
    live = [p for p in scn.in_flight if p.stage != "completed"]
    assert f"in flight at the start: {len(live)} projects" in text
    assert f"{sum(p.total_investment for p in live):,.2f}" in text
    assert list(tmp_path.iterdir()) == []


def test_schema_is_json_schema(tmp_path: Path) -> None:
    proc = run_cli("schema", cwd=tmp_path)
    assert_ok(proc)
    doc = json.loads(proc.stdout)
    assert doc["type"] == "object"
    assert "json-schema.org" in doc["$schema"]
    props = doc["properties"]
    for key in ("name", "start_year", "horizon_years", "sectors", "resources", "financing", "projects"):
        assert key in props, key
    assert set(doc["required"]) >= {"name", "start_year", "horizon_years", "sectors"}
    assert doc.get("additionalProperties") is False
    assert list(tmp_path.iterdir()) == []
