"""A report built in memory, before anything is written: its page, its charts (PNG bytes)
and what writes its workbook, if it has one.

Each kind of results folder has a builder, ``build(folder, labels_for) -> Built``, that
reads the folder and returns this; :func:`investsim.reporting.report.write_report`
writes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from investsim.reporting.charts import png_bytes
from investsim.reporting.labels import Labels


@dataclass
class Chart:
    """A chart of the report: its file name (without ``.png``), title, caption and PNG."""

    name: str
    title: str
    caption: str
    png: bytes


Built = tuple[str, list[Chart], Callable[[Path], Path] | None]
"""A report built in memory: the page, its charts, and what writes its workbook (if any)."""

LabelsFor = Callable[[str], Labels]
"""What gives a builder its :class:`Labels` for a money unit ("" when it has none)."""


def make_chart(name: str, title: str, caption: str, make: Callable[[], Any], labels: Labels) -> Chart | None:
    """The chart ``make()`` draws, as PNG with the fonts of ``labels``; ``None`` when
    ``make`` returns no figure (the results lack what it shows)."""
    fig = make()
    if fig is None:
        return None
    return Chart(name, title, caption, png_bytes(fig, labels))
