"""The layers of the package import only downwards, and reporting only reads folders.

    errors, stages, columns  (the vocabulary every layer shares)
    scenario -> model -> results -> runs -> analyses -> reporting -> serve -> cli -> investsim

A module may import from its own layer and the layers before it, never after it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import investsim

PACKAGE = Path(investsim.__file__).resolve().parent
LAYERS = [
    "errors",
    "stages",
    "columns",
    "scenario",
    "model",
    "results",
    "runs",
    "analyses",
    "reporting",
    "serve",
    "cli",
]
BASE = {"errors", "stages", "columns"}


def _layer(module: str) -> str:
    """The layer of a dotted module name inside investsim ("" for the package root)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _imports() -> list[tuple[str, str, int]]:
    """(importing module, imported module, line) for every import of investsim code,
    including those inside functions."""
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        module = ".".join(p for p in rel.parts if p != "__init__")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("investsim"):
                targets = [node.module]
                if node.module == "investsim":  # from investsim import columns
                    targets = [f"investsim.{a.name}" for a in node.names]
                out += [(module, t, node.lineno) for t in targets]
            elif isinstance(node, ast.Import):
                out += [(module, a.name, node.lineno) for a in node.names if a.name.startswith("investsim")]
    return out


def test_every_module_belongs_to_a_layer() -> None:
    for module, _, _ in _imports():
        layer = _layer(module)
        assert layer in LAYERS or layer in ("", "__main__"), f"{module} is in no layer"


def test_layers_import_only_downwards() -> None:
    wrong = []
    for module, target, line in _imports():
        source, dest = _layer(module), _layer(target)
        if source in ("", "__main__") or dest == "":
            if dest == "" and source not in ("", "__main__", "cli"):
                wrong.append(f"{module}:{line} imports the package root {target}")
            continue
        if dest in BASE and source not in BASE:
            continue
        if LAYERS.index(dest) > LAYERS.index(source):
            wrong.append(f"{module}:{line} ({source}) imports {target} ({dest})")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("layer", ["results", "runs", "analyses", "model", "scenario"])
def test_only_the_package_root_and_the_cli_wire_in_reporting(layer: str) -> None:
    for module, target, line in _imports():
        if _layer(module) == layer:
            assert _layer(target) != "reporting", f"{module}:{line} imports {target}"
