"""Random streams keyed by name, derived from one seed with ``numpy.random.SeedSequence``.

A stream is named by the replication and a tuple of names, e.g.
``(replication, "sector", "industry", "approval")``. Names are hashed to integers and
used as the SeedSequence's ``spawn_key``, so:

- a stream does not depend on which other streams exist or in which order they are
  drawn (adding a stage does not shift any other stream);
- a replication's numbers do not depend on which worker or machine runs it;
- two scenarios run with the same seed share every stream they both use (common random
  numbers).
"""

from __future__ import annotations

import hashlib

import numpy as np
from numpy.typing import NDArray


def name_key(name: str | int) -> int:
    """A stable 64-bit integer for a stream name (Python's ``hash`` is salted per process)."""
    if isinstance(name, int):
        return name
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


def generator(seed: int, replication: int, *names: str | int) -> np.random.Generator:
    """The generator of the stream ``names`` in ``replication``."""
    key = (replication, *(name_key(n) for n in names))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


class Streams:
    """The streams of one replication, with per-project uniforms drawn in blocks.

    ``uniforms(n, *names)`` gives ``n`` uniforms of the stream ``names``; element ``i``
    belongs to the ``i``-th project of that stream (e.g. the i-th arrival of a sector), so
    a project keeps its numbers whatever happens to other projects.
    """

    __slots__ = ("_cache", "replication", "seed")

    def __init__(self, seed: int, replication: int) -> None:
        self.seed = seed
        self.replication = replication
        self._cache: dict[tuple[str | int, ...], NDArray[np.float64]] = {}

    def generator(self, *names: str | int) -> np.random.Generator:
        """A fresh generator for the stream ``names`` of this replication."""
        return generator(self.seed, self.replication, *names)

    def uniforms(self, n: int, *names: str | int) -> NDArray[np.float64]:
        """The first ``n`` uniforms in [0, 1) of the stream ``names`` (cached)."""
        cached = self._cache.get(names)
        if cached is None or len(cached) < n:
            # a stream is always drawn from its start, so a longer request extends a shorter
            # one exactly: the first elements are the same numbers
            cached = self.generator(*names).random(max(n, 1))
            self._cache[names] = cached
        return cached[:n]
