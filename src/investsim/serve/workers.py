"""The what-if page's worker processes, and the replications they hold or are making.

The page never simulates in the server's own process: replications run in a pool of
spawned worker processes (a server with threads must not fork). Replication ``r`` of a
scenario and seed is the same in any process and whatever the batches
(:mod:`investsim.model.streams`), so the page can show the first replications at once
and add the rest, and two scenarios' replication ``r`` share their random numbers.
"""

from __future__ import annotations

import io
import multiprocessing
import signal
import tempfile
import zipfile
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from investsim.model.collect import ReplicationResult
from investsim.model.pipeline import simulate_replication
from investsim.runs.simulate import simulate
from investsim.scenario.config import Scenario

T = TypeVar("T")


def _ignore_interrupts() -> None:
    # Ctrl-C reaches every process of the terminal's group: the server alone decides to
    # stop, and then shuts the pool down
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _warm() -> None:
    """Nothing: a first task makes the pool start its processes and import the model."""


def _replications(scenario: Scenario, seed: int, first: int, stop: int) -> list[ReplicationResult]:
    return [simulate_replication(scenario, seed, r) for r in range(first, stop)]


def results_file(scenario: Scenario, lang: str, kind: str) -> tuple[str, bytes]:
    """What ``investsim run`` writes for ``scenario``, as one file: the results folder
    zipped (``kind="zip"``) or its workbook (``"xlsx"``). Run in a worker."""
    forecast = simulate(scenario, command=["investsim", "serve", "(download from the what-if page)"])
    with tempfile.TemporaryDirectory(prefix="investsim-serve-") as tmp:
        folder = forecast.save(Path(tmp) / scenario.name, lang=lang)
        if kind == "xlsx":
            return f"{scenario.name}.xlsx", (folder / "forecast.xlsx").read_bytes()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    z.write(path, Path(scenario.name) / path.relative_to(folder))
        return f"{scenario.name}.zip", buffer.getvalue()


class Workers:
    """``jobs`` spawned worker processes that ignore Ctrl-C; :meth:`close` ends them."""

    def __init__(self, jobs: int) -> None:
        if jobs < 1:
            raise ValueError(f"jobs(={jobs}) must be >= 1.")
        self.jobs = jobs
        self._pool = ProcessPoolExecutor(
            jobs, mp_context=multiprocessing.get_context("spawn"), initializer=_ignore_interrupts
        )

    def warm(self) -> None:
        """Start every process now (each imports the model, a second or so), not at the
        first question."""
        for f in [self._pool.submit(_warm) for _ in range(self.jobs)]:
            f.result()

    def submit(self, scenario: Scenario, seed: int, reps: range) -> Future[list[ReplicationResult]]:
        """Replications ``reps`` of ``scenario`` with ``seed``, made in a worker."""
        return self._pool.submit(_replications, scenario, seed, reps.start, reps.stop)

    def call(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """``fn(*args)`` in a worker (a module-level function: it is sent by name)."""
        return self._pool.submit(fn, *args)

    def close(self) -> None:
        """Drop the work not started, wait for the replications under way (a fraction of
        a second) and end the processes."""
        self._pool.shutdown(wait=True, cancel_futures=True)


@dataclass
class Store:
    """The replications of one scenario and seed: made, or under way in the workers."""

    workers: Workers
    scenario: Scenario
    seed: int
    _parts: dict[int, tuple[Future[list[ReplicationResult]], int]] = field(default_factory=dict)

    def ensure(self, reps: range) -> list[Future[list[ReplicationResult]]]:
        """Start the replications of ``reps`` that are neither made nor under way; the
        futures that will hold all of ``reps``."""
        missing = [r for r in reps if r not in self._parts or self._parts[r][0].cancelled()]
        runs: list[range] = []
        for r in missing:
            if runs and runs[-1].stop == r:
                runs[-1] = range(runs[-1].start, r + 1)
            else:
                runs.append(range(r, r + 1))
        for run in runs:
            future = self.workers.submit(self.scenario, self.seed, run)
            for r in run:
                self._parts[r] = (future, r - run.start)
        out: dict[int, Future[list[ReplicationResult]]] = {}
        for r in reps:
            future = self._parts[r][0]
            out[id(future)] = future
        return list(out.values())

    def done(self, r: int) -> bool:
        """Whether replication ``r`` is made (and did not fail)."""
        part = self._parts.get(r)
        return part is not None and part[0].done() and not part[0].cancelled() and part[0].exception() is None

    def made(self, n: int) -> int:
        """How many replications from 0 on are made, without a gap, up to ``n``."""
        k = 0
        while k < n and self.done(k):
            k += 1
        return k

    def results(self, n: int) -> list[ReplicationResult]:
        """Replications ``0 .. n-1``, which must be made."""
        out = []
        for r in range(n):
            future, offset = self._parts[r]
            out.append(future.result()[offset])
        return out

    def cancel(self) -> None:
        """Drop the replications not started yet (those under way finish and are kept)."""
        for r, (future, _) in list(self._parts.items()):
            if future.cancel():
                del self._parts[r]
