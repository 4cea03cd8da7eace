"""A job the worker processes could not rebuild fails the run at once, in the caller,
instead of being lost by the pool (which would then wait for it for ever)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import investsim
    from investsim.runs.runner import run_replications


    def refuse():
        raise TypeError("this object cannot be rebuilt in another process")


    class Unrebuildable:
        def __reduce__(self):
            return (refuse, ())


    scenario = investsim.load_scenario(investsim.default_scenario_path())
    object.__setattr__(scenario, "resolved", Unrebuildable())
    try:
        run_replications(scenario, 4, 1, jobs=2)
    except TypeError as e:
        print("refused:", e)
    """
)


def test_a_job_workers_cannot_rebuild_fails_at_once() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "refused: this object cannot be rebuilt in another process" in proc.stdout
