"""Run many replications of a scenario, in this process or in a pool of worker processes.

Replication ``r`` is always simulated from the streams keyed by ``(seed, r)``, so the
results are the same whatever the number of workers and however replications are
batched. Workers receive the loaded scenario as data (it holds no file paths).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

from investsim.model import ReplicationResult, simulate_replication
from investsim.scenario import Scenario


def _run_batch(
    scenario: Scenario, seed: int, replications: Sequence[int], project_log: bool
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


def _pooled(
    scenario: Scenario,
    seed: int,
    replications: int,
    jobs: int,
    project_log: bool,
    on_progress: Callable[[int], None] | None,
) -> Iterator[list[ReplicationResult]]:
    pool = ProcessPoolExecutor(max_workers=jobs)
    try:
        pending: set[Future[list[ReplicationResult]]] = {
            pool.submit(_run_batch, scenario, seed, b, project_log) for b in batches(replications, jobs)
        }
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                batch = fut.result()
                if on_progress:
                    on_progress(len(batch))
                yield batch
    finally:
        # on an error or Ctrl-C, stop the workers instead of finishing queued batches
        pool.shutdown(wait=True, cancel_futures=True)
