"""Errors a user can cause and fix: each names where the problem is and what is wrong."""

from __future__ import annotations


class InputError(Exception):
    """Bad input from the user (a scenario file, a CSV, an option).

    The command line prints ``str(error)`` alone and exits with status 2.
    """

    def __init__(
        self, message: str, *, file: str | None = None, path: str | None = None, line: int | None = None
    ) -> None:
        self.message = message
        self.file = file
        self.path = path
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "") + ": "
        if self.path:
            where += self.path + ": "
        return where + self.message


class ScenarioError(InputError):
    """A scenario file (or an override of it) is not valid."""


class ModelCheckError(RuntimeError):
    """A replication broke one of the model's own invariants: a bug, not bad input."""
