"""Results folders: checked before any work, written atomically, with their report.

A results folder is complete once its ``manifest.json`` is written (last); an interrupted
write leaves the folder as it was. The report is written by :mod:`investsim.reporting`,
which reads finished folders: this layer never imports it. The package wires the two
together with :func:`set_report_writer` (see ``investsim/__init__.py``), so a folder
written from Python gets the same report as one written from the command line.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from investsim.errors import InputError

ReportWriter = Callable[[Path, str], object]
"""Writes the report of a finished results folder in a language (``en`` or ``zh``)."""

_report_writer: ReportWriter | None = None


def set_report_writer(writer: ReportWriter | None) -> None:
    """Set what writes a results folder's report (``None``: folders get no report)."""
    global _report_writer
    _report_writer = writer


def write_report_or_warn(folder: Path, lang: str = "en", shown_as: Path | None = None) -> None:
    """Write ``folder``'s report; a report that fails is a warning, never lost results
    (``investsim report DIR`` writes it again)."""
    if _report_writer is None:
        return
    try:
        _report_writer(folder, lang)
    except Exception as e:
        where = shown_as if shown_as is not None else folder
        print(
            f"warning: the report could not be written ({e}); retry with: investsim report {where}",
            file=sys.stderr,
        )


def check_out_dir(out: str | Path) -> Path:
    """Check, before any work, that results can be written to ``out``; returns it resolved.

    Refused (``InputError``): a path that is a file or lies under a file, and an existing
    folder that is not empty and not an earlier results folder (one with a
    ``manifest.json``), since writing there replaces the folder whole.
    """
    path = Path(out).resolve()
    if path.exists() and not path.is_dir():
        raise InputError("is a file, not a folder: choose another --out", file=str(out))
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise InputError(f"{parent} is a file, so no folder can be made under it", file=str(out))
            break
    if path.is_dir() and any(path.iterdir()) and not (path / "manifest.json").is_file():
        raise InputError(
            "the folder exists and is not an investsim results folder (no manifest.json); "
            "results replace the folder whole, so choose a new or empty folder",
            file=str(out),
        )
    return path


@contextmanager
def atomic_folder(out: Path) -> Iterator[Path]:
    """A temporary folder beside ``out`` to write into; renamed to ``out`` when the block ends.

    An interrupted or failed write removes the temporary folder and leaves ``out`` as it
    was, so no folder that looks complete is ever half-written. An earlier results
    folder at ``out`` is replaced only once the new one is whole.
    """
    out = check_out_dir(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        # mkdtemp makes an owner-only folder; results follow the user's umask like any folder
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o777 & ~umask)
        yield tmp
        old = None
        if out.exists():
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            out.rename(old)
        tmp.rename(out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_file_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Write one file through a temporary beside it (``write(tmp)`` fills it), renamed
    into place when complete and given the user's usual permissions."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    """Write ``manifest.json`` (last: its presence marks a finished results folder)."""
    with open(folder / "manifest.json", "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
