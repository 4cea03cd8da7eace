"""Stopping a long command with Ctrl-C (SIGINT to the process group, as a terminal does) or
SIGTERM (to the main process, as a job scheduler does): a real subprocess and a real signal.

Each case waits until the worker processes exist, so the signal lands during the work,
then checks: the exit status (130 or 143), one line on standard error and no traceback,
no results folder and no temporary folder left, and no process of the group left alive.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import LIBRARY, cli_env, investsim_cmd

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc, signals process groups")


def _children(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []


def _group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes whose process group is ``pgid``."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            out.append(int(entry.name))
    return out


def _default_sigint() -> None:
    # a shell running the tests in the background leaves SIGINT ignored; a user's terminal does not
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _stop_midway(args: list[str], cwd: Path, sig: signal.Signals, group: bool) -> tuple[int, str, str]:
    proc = subprocess.Popen(
        investsim_cmd(*args),
        cwd=cwd,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        preexec_fn=_default_sigint,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    try:
        deadline = time.monotonic() + 60
        while not _children(proc.pid) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)  # wait for the worker processes: the replications have started
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.5)
        if group:
            os.killpg(proc.pid, sig)
        else:
            os.kill(proc.pid, sig)
        stdout, stderr = proc.communicate(timeout=60)
        time.sleep(0.2)
        left = _group_members(proc.pid)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert left == [], f"processes left behind: {left}"
    return proc.returncode, stdout, stderr


HISTORY = "year,investment,starts\n2019,400,100\n2020,410,105\n2021,420,110\n"

CASES = {
    "run": ["run", "-n", "200", "--jobs", "2", "--out", "out"],
    "compare": [
        "compare",
        str(LIBRARY / "baseline.yaml"),
        str(LIBRARY / "approval_reform.yaml"),
        "-n",
        "200",
        "--jobs",
        "2",
        "--out",
        "out",
    ],
    "calibrate": [
        "calibrate",
        str(LIBRARY / "baseline.yaml"),
        "--history",
        "{inputs}/history.csv",
        "--param",
        "sectors.industry.arrivals.rate=30:45",
        "-n",
        "20",
        "--jobs",
        "2",
        "--out",
        "out",
    ],
    "sweep": [
        "sweep",
        str(LIBRARY / "baseline.yaml"),
        "--grid",
        "financing.sources.bank.supply=20:60:10",
        "-n",
        "20",
        "--jobs",
        "2",
        "--out",
        "out",
    ],
}


@pytest.mark.parametrize(
    ("command", "sig", "group", "status"),
    [
        ("run", signal.SIGINT, True, 130),
        ("run", signal.SIGTERM, False, 143),
        ("compare", signal.SIGINT, True, 130),
        ("compare", signal.SIGTERM, False, 143),
        ("calibrate", signal.SIGINT, True, 130),
        ("calibrate", signal.SIGTERM, False, 143),
        ("sweep", signal.SIGTERM, False, 143),  # SIGINT: tests/test_sweep.py
    ],
)
def test_a_stopped_command_leaves_nothing(
    tmp_path: Path, command: str, sig: signal.Signals, group: bool, status: int
) -> None:
    inputs, work = tmp_path / "inputs", tmp_path / "work"
    inputs.mkdir()
    work.mkdir()
    (inputs / "history.csv").write_text(HISTORY)
    args = [a.replace("{inputs}", str(inputs)) for a in CASES[command]]
    code, stdout, stderr = _stop_midway(args, work, sig, group)
    assert code == status, stdout + stderr
    assert "Traceback" not in stdout + stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert ("terminated" if sig == signal.SIGTERM else "interrupted") in lines[0]
    assert "written to" not in stdout
    if command == "sweep":
        # the points finished so far are kept for the next run; no result is
        assert "run the same command again" in lines[0]
        assert sorted(p.name for p in (work / "out").iterdir()) == ["points"]
        assert not [p for p in (work / "out" / "points").iterdir() if p.name.startswith(".")]
    else:
        assert "nothing was written" in lines[0]
        assert list(work.iterdir()) == []
