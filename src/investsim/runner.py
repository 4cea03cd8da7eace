"""Run many replications of a scenario, in this process or in a pool of worker processes.

Replication ``r`` is always simulated from the streams keyed by ``(seed, r)``, so the
results are the same whatever the number of workers and however replications are
batched. Workers receive the loaded scenario as data (it holds no file paths).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from functools import partial

from investsim.model import ReplicationResult, simulate_replication
from investsim.scenario import Scenario


def _run_batch(
    scenario: Scenario, seed: int, replications: Sequence[int], project_log: bool = False
) -> list[ReplicationResult]:
    return [simulate_replication(scenario, seed, r, project_log) for r in replications]


def batches(replications: int, jobs: int) -> list[range]:
    """Split ``range(replications)`` into batches: a few per worker, so they stay balanced
    while each task carries enough work to hide the cost of sending it."""
    size = replications if jobs <= 1 else max(1, min(20, -(-replications // (jobs * 4))))
    return [range(i, min(i + size, replications)) for i in range(0, replications, size)]


def default_jobs() -> int:
    """Worker processes to use when the user does not say: one per core."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def run_replications(
    scenario: Scenario,
    replications: int,
    seed: int,
    jobs: int = 1,
    project_log: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> list[ReplicationResult]:
    """Simulate replications ``0 .. replications-1`` and return them in order.

    ``jobs > 1`` uses that many worker processes. ``on_progress(k)`` is called as ``k``
    more replications finish.
    """
    if replications < 1:
        raise ValueError(f"replications(={replications}) must be >= 1.")
    if jobs < 1:
        raise ValueError(f"jobs(={jobs}) must be >= 1.")
    results: list[ReplicationResult] = []
    if jobs == 1 or replications == 1:
        for r in range(replications):
            results.append(simulate_replication(scenario, seed, r, project_log))
            if on_progress:
                on_progress(1)
        return results
    for batch in _pooled(scenario, seed, replications, jobs, project_log, on_progress):
        results.extend(batch)
    results.sort(key=lambda x: x.replication)
    return results


def _worker_signals() -> None:
    # Ctrl-C reaches every process of the terminal's group: the parent alone decides to
    # stop, and then terminates the workers (SIGTERM, default action: no traceback)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _pooled(
    scenario: Scenario,
    seed: int,
    replications: int,
    jobs: int,
    project_log: bool,
    on_progress: Callable[[int], None] | None,
) -> Iterator[list[ReplicationResult]]:
    work = partial(_run_batch, scenario, seed, project_log=project_log)
    pool = multiprocessing.Pool(jobs, initializer=_worker_signals)
    try:
        for batch in pool.imap_unordered(work, batches(replications, jobs)):
            if on_progress:
                on_progress(len(batch))
            yield batch
        pool.close()
    except BaseException:
        # on an error, Ctrl-C or SIGTERM, stop the workers now instead of finishing batches
        pool.terminate()
        raise
    finally:
        pool.join()
