"""The stages of the pipeline, in order: one definition for every layer.

    arrival -> approval -> land -> financing -> construction -> completed

A project can be cancelled at the end of each of the first three stages.
"""

from __future__ import annotations

from enum import IntEnum


class Stage(IntEnum):
    """A pipeline stage; its value is its position, so stages compare in pipeline order."""

    APPROVAL = 0
    LAND = 1
    FINANCING = 2
    CONSTRUCTION = 3

    @property
    def label(self) -> str:
        """The stage's name in scenario files and output columns (``"approval"``, ...)."""
        return self.name.lower()

    @classmethod
    def of(cls, label: str) -> Stage:
        """The stage called ``label`` (``"land"`` -> ``Stage.LAND``)."""
        return cls[label.upper()]


STAGES: tuple[str, ...] = tuple(stage.label for stage in Stage)
"""The stages' labels in order: approval, land, financing, construction."""

CANCEL_STAGES: tuple[Stage, ...] = (Stage.APPROVAL, Stage.LAND, Stage.FINANCING)
"""The stages at whose end a project can drop out."""
