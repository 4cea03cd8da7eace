"""Run many replications of one or many scenarios, in this process or in a pool of worker
processes.

Replication ``r`` is always simulated from the streams keyed by ``(seed, r)``, so the
results are the same whatever the number of workers and however replications are
batched. Workers receive the loaded scenario as data (it holds no file paths).
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import pickle
import signal
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from investsim.model.collect import ReplicationResult
from investsim.model.pipeline import simulate_replication
from investsim.scenario.config import Scenario

MAX_BATCH = 20
"""Replications per task at most: small enough to balance workers and keep progress moving."""


@dataclass(frozen=True)
class Job:
    """Replications ``first .. first+replications-1`` of ``scenario`` with ``seed``."""

    scenario: Scenario
    replications: int
    seed: int
    project_log: bool = False
    first: int = 0


@dataclass
class Backend:
    """Where replications run: ``jobs`` local worker processes, or a Dask cluster.

    ``scheduler`` is ``None`` (a local process pool), ``"local"`` (a ``dask.distributed``
    LocalCluster of ``jobs`` single-threaded worker processes, started on first use) or
    the address of a running scheduler (``tcp://host:8786``). Use it as a context
    manager so that a cluster it started is shut down. Tasks carry the loaded scenario
    as data, so workers need only the investsim package, not the scenario's files.
    """

    jobs: int = 1
    scheduler: str | None = None
    _client: Any = field(default=None, repr=False)
    _cluster: Any = field(default=None, repr=False)

    def client(self) -> Any:
        """The Dask client (connecting, or starting the LocalCluster, on first use)."""
        if self._client is None:
            from distributed import Client, LocalCluster

            if self.scheduler == "local":
                self._cluster = LocalCluster(
                    n_workers=self.jobs,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
                self._client = Client(self._cluster)
            else:
                self._client = Client(self.scheduler, timeout="20s")
            # import the model on every worker now (a second or so each), not inside the
            # first task of each
            self._client.run(_import_model)
        return self._client

    def workers(self) -> int:
        """How many tasks can run at once."""
        if self.scheduler is None:
            return self.jobs
        return max(
            1, sum(int(w.get("nthreads", 1)) for w in self.client().scheduler_info()["workers"].values())
        )

    def close(self) -> None:
        """Disconnect, and stop a LocalCluster this backend started."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _import_model() -> None:
    import investsim.model.pipeline  # noqa: F401


def _run_batch(task: tuple[int, Job, range]) -> tuple[int, list[ReplicationResult]]:
    k, job, reps = task
    return k, [simulate_replication(job.scenario, job.seed, r, job.project_log) for r in reps]


def batches(replications: int, jobs: int, first: int = 0, left: int | None = None) -> list[range]:
    """Split replications ``first .. first+replications-1`` into tasks for ``jobs`` workers.

    Guided self-scheduling: each task takes about a ``4 * jobs``-th of the work still to
    hand out (at most :data:`MAX_BATCH`), so early tasks are big enough to hide the cost
    of sending them (under a millisecond) and the last ones are single replications:
    no worker sits idle at the end while another finishes a big batch. ``left`` is the
    work still to hand out including these replications (for several jobs in one pool).
    """
    if jobs <= 1:
        return [range(first, first + replications)]
    left = replications if left is None else left
    out = []
    i = 0
    while i < replications:
        size = max(1, min(MAX_BATCH, -(-left // (jobs * 4)), replications - i))
        out.append(range(first + i, first + i + size))
        i += size
        left -= size
    return out


def default_jobs() -> int:
    """Worker processes to use when the user does not say: one per core."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def run_replications(
    scenario: Scenario,
    replications: int,
    seed: int,
    jobs: int | Backend = 1,
    project_log: bool = False,
    on_progress: Callable[[int], None] | None = None,
    first: int = 0,
) -> list[ReplicationResult]:
    """Simulate replications ``first .. first+replications-1`` and return them in order.

    ``jobs > 1`` uses that many worker processes. ``on_progress(k)`` is called as ``k``
    more replications finish.
    """
    if replications < 1:
        raise ValueError(f"replications(={replications}) must be >= 1.")
    return dict(run_jobs([Job(scenario, replications, seed, project_log, first)], jobs, on_progress))[0]


def run_jobs(
    work: Sequence[Job], jobs: int | Backend = 1, on_progress: Callable[[int], None] | None = None
) -> Iterator[tuple[int, list[ReplicationResult]]]:
    """Simulate every job and yield ``(index in work, its results in replication order)``
    as each job finishes (in any order with ``jobs > 1``).

    All the jobs share one pool of ``jobs`` worker processes, so a sweep of many small
    scenarios keeps every worker busy. Stopping the iteration (an error, Ctrl-C, SIGTERM)
    terminates the workers at once; the jobs already yielded are whole.
    """
    backend = jobs if isinstance(jobs, Backend) else Backend(jobs)
    if backend.jobs < 1:
        raise ValueError(f"jobs(={backend.jobs}) must be >= 1.")
    if any(j.replications < 1 for j in work):
        raise ValueError("every job needs replications >= 1.")
    if backend.scheduler is not None:
        yield from _on_dask(work, backend, on_progress)
        return
    jobs = backend.jobs
    if jobs == 1 or sum(j.replications for j in work) == 1:
        for k, job in enumerate(work):
            results = []
            for r in range(job.first, job.first + job.replications):
                results.append(simulate_replication(job.scenario, job.seed, r, job.project_log))
                if on_progress:
                    on_progress(1)
            yield k, results
        return
    yield from _pooled(work, jobs, on_progress)


def _whole_jobs(
    batches: Iterable[tuple[int, list[ReplicationResult]]],
    work: Sequence[Job],
    on_progress: Callable[[int], None] | None,
) -> Iterator[tuple[int, list[ReplicationResult]]]:
    """Batches as they finish (job index, results) -> each job once all its batches are in."""
    pending: dict[int, list[ReplicationResult]] = {}
    for k, batch in batches:
        if on_progress:
            on_progress(len(batch))
        got = pending.setdefault(k, [])
        got.extend(batch)
        if len(got) == work[k].replications:
            got.sort(key=lambda x: x.replication)
            yield k, pending.pop(k)


def _worker_signals() -> None:
    # Ctrl-C reaches every process of the terminal's group: the parent alone decides to
    # stop, and then terminates the workers (SIGTERM, default action: no traceback)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _tasks(work: Sequence[Job], jobs: int) -> list[tuple[int, Job, range]]:
    left = sum(j.replications for j in work)
    tasks = []
    for k, job in enumerate(work):
        tasks += [(k, job, reps) for reps in batches(job.replications, jobs, job.first, left)]
        left -= job.replications
    return tasks


def _check_sendable(work: Sequence[Job]) -> None:
    """Rebuild each job here as a worker would: a task a worker fails to rebuild is lost
    by the pool, which then waits for its result for ever; here the error is raised to
    the caller at once (one pickling of the scenario, a few kilobytes)."""
    for job in work:
        pickle.loads(pickle.dumps(job))


def _pooled(
    work: Sequence[Job], jobs: int, on_progress: Callable[[int], None] | None
) -> Iterator[tuple[int, list[ReplicationResult]]]:
    # the workers are forked: frozen objects are skipped by their garbage collector, so
    # it does not touch (and copy) every page inherited from this process
    _check_sendable(work)
    gc.freeze()
    pool = multiprocessing.Pool(jobs, initializer=_worker_signals)
    try:
        yield from _whole_jobs(pool.imap_unordered(_run_batch, _tasks(work, jobs)), work, on_progress)
        pool.close()
    except BaseException:
        # on an error, Ctrl-C or SIGTERM, stop the workers now instead of finishing batches
        pool.terminate()
        raise
    finally:
        pool.join()
        gc.unfreeze()


def _on_dask(
    work: Sequence[Job], backend: Backend, on_progress: Callable[[int], None] | None
) -> Iterator[tuple[int, list[ReplicationResult]]]:
    from distributed import as_completed

    client = backend.client()
    futures = [client.submit(_run_batch, task, pure=False) for task in _tasks(work, backend.workers())]
    try:
        yield from _whole_jobs((f.result() for f in as_completed(futures)), work, on_progress)
    finally:
        # on an error or an interrupt, nothing more is computed for this call
        client.cancel([f for f in futures if not f.done()])
