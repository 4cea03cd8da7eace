"""Golden regression: every bundled scenario reproduces its stored results exactly.

The stored results are a few replications with project logs and months (``tests/golden.py`` says
which). A refactor must leave them bit-identical; a deliberate model change regenerates
them with ``python tests/golden.py`` and the diff is reviewed in the commit.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from golden import SCENARIOS, as_text, differences, files, key, produce, read


def test_every_bundled_scenario_has_golden_results() -> None:
    assert len(SCENARIOS) >= 12  # the ten library scenarios, calibration, province
    for path in SCENARIOS:
        for target in files(path):
            assert target.is_file(), f"no golden results for {path.name}: run python tests/golden.py"


@pytest.mark.parametrize("path", SCENARIOS, ids=key)
def test_results_are_bit_identical_to_the_golden_ones(path: Path) -> None:
    for frame, target in zip(produce(path), files(path), strict=True):
        changed = differences(read(target), as_text(frame))
        assert not changed, f"{target.name} differs from the golden results:\n" + "\n".join(changed)


def test_the_comparison_sees_a_change_in_the_last_digit() -> None:
    # the check itself must be able to fail: one value moved by one unit in the last place
    path = SCENARIOS[0]
    stored = read(files(path)[0])
    moved = stored.copy()
    moved.loc[0, "investment"] = repr(math.nextafter(float(moved.loc[0, "investment"]), math.inf))
    [line] = differences(stored, moved)
    assert line.startswith(f"investment: 1 of {len(stored)} values differ, largest by ")
    assert not differences(stored, as_text(read(files(path)[0])))
