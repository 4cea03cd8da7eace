"""What the report takes from a results folder's ``manifest.json``: the manifest itself,
the investsim version that wrote the results, and the command that made them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from investsim.errors import InputError


def read_manifest(folder: Path) -> dict[str, Any]:
    """The folder's ``manifest.json`` as a mapping; ``{}`` without one (or when it holds no
    mapping); an ``InputError`` when it can't be read."""
    path = folder / "manifest.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise InputError(f"manifest.json can't be read: {e}", file=str(folder)) from None
    return data if isinstance(data, dict) else {}


def installed_version() -> str:
    """The installed investsim's version, or ``unknown`` when running uninstalled."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("investsim")
    except PackageNotFoundError:
        return "unknown"


def analysis_version(manifest: dict[str, Any]) -> str:
    """The investsim version an analysis (compare, sweep, sensitivity) was made with: from
    its manifest's ``versions``, else the installed one."""
    return str((manifest.get("versions") or {}).get("investsim") or installed_version())


def command_text(manifest: dict[str, Any]) -> str:
    """The command line that made the results, as one line ("" when not recorded)."""
    return " ".join(map(str, manifest.get("command") or []))
