"""The what-if page's speed: after a control moves, time to the first answer and to the
scenario's full replication count, on the baseline.

    python benchmarks/bench_serve.py [SCENARIO] [--jobs 2] [--moves 5] [--browser]

Without ``--browser`` it times the page's engine (what the page runs when a control
moves: validation, replications in the worker processes, the summaries), with the base
scenario's replications already made as they are once the page has loaded. With
``--browser`` it starts ``investsim serve`` and times the same in Chromium (Playwright,
the system's /usr/bin/chromium), from typing the value to the page showing the answer.
Each move sets the bank credit supply to a new value; a last move is made while the
previous answer is still being refined (the work no longer wanted is cancelled).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import investsim
from investsim.serve.engine import WhatIf
from investsim.serve.workers import Workers

SUPPLIES = [45.0, 50.0, 55.0, 60.0, 65.0, 70.0, 75.0, 80.0, 85.0, 90.0]


async def _move(whatif: WhatIf, supply: float) -> tuple[float, float, int]:
    started = time.perf_counter()
    first = None
    n = 0
    async for answer in whatif.answers(whatif.question({"financing.sources.bank.supply": supply})):
        if first is None:
            first = time.perf_counter() - started
        n = answer["replications"]
    assert first is not None
    return first, time.perf_counter() - started, n


async def _interrupted(whatif: WhatIf) -> float:
    """Move a control while the previous answer is being refined: time to the new first answer."""
    old = whatif.answers(whatif.question({"financing.sources.bank.supply": 41.0}))
    await old.__anext__()
    started = time.perf_counter()
    await old.aclose()  # what the page does: cancel the old question's work
    new = whatif.answers(whatif.question({"financing.sources.bank.supply": 43.0}))
    await new.__anext__()
    took = time.perf_counter() - started
    await new.aclose()
    return took


async def engine(path: Path, jobs: int, moves: int) -> None:
    workers = Workers(jobs)
    try:
        started = time.perf_counter()
        workers.warm()
        print(f"worker processes started in {time.perf_counter() - started:.2f} s")
        whatif = WhatIf.start(path, [], workers)
        started = time.perf_counter()
        counts = [a["replications"] async for a in whatif.answers(whatif.question({}))]
        print(f"base: {counts[-1]} replications in {time.perf_counter() - started:.2f} s")
        firsts, fulls = [], []
        for supply in SUPPLIES[:moves]:
            first, full, n = await _move(whatif, supply)
            firsts.append(first)
            fulls.append(full)
            print(f"bank supply {supply:5.1f}: first answer {first:.3f} s, all {n} in {full:.2f} s")
        print(
            f"median over {moves} moves: first answer {statistics.median(firsts):.3f} s, "
            f"full count {statistics.median(fulls):.2f} s"
        )
        print(f"moved while refining: first answer of the new value {await _interrupted(whatif):.3f} s")
        # the same replication count through `investsim run`'s pool, for scale (the machine's
        # speed drifts: compare with the lines above, measured minutes apart)
        started = time.perf_counter()
        investsim.simulate(whatif.base.with_overrides({"financing.sources.bank.supply": 47.0}), jobs=jobs)
        print(
            f"reference: simulate() of the same count with {jobs} workers {time.perf_counter() - started:.2f} s"
        )
    finally:
        workers.close()


def browser(path: Path, jobs: int, moves: int) -> None:
    from playwright.sync_api import sync_playwright

    process = subprocess.Popen(
        [sys.executable, "-m", "investsim", "serve", str(path), "--jobs", str(jobs)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    started = time.perf_counter()
    url = None
    for line in process.stdout:
        found = re.search(r"on (http://\S+/)", line)
        if found:
            url = found.group(1)
            break
    assert url, "investsim serve did not start"
    print(f"server up in {time.perf_counter() - started:.2f} s")
    try:
        with sync_playwright() as p:
            chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = chromium.new_page()
            started = time.perf_counter()
            page.goto(url)
            page.wait_for_selector("[data-testid=status][data-done=yes]", timeout=120_000)
            print(f"page loaded and base answered in full in {time.perf_counter() - started:.2f} s")
            field = page.locator("input[data-testid=control-financing-sources-bank-supply]")
            firsts, fulls = [], []
            for supply in SUPPLIES[:moves]:
                old = page.locator("[data-testid=difference]").get_attribute("data-mean")
                field.fill(str(supply))
                started = time.perf_counter()
                field.press("Enter")
                page.wait_for_function(
                    "old => document.querySelector('[data-testid=difference]').getAttribute('data-mean') !== old",
                    arg=old,
                    polling=10,
                )
                first = time.perf_counter() - started
                page.wait_for_selector("[data-testid=status][data-done=yes]", timeout=120_000)
                full = time.perf_counter() - started
                firsts.append(first)
                fulls.append(full)
                print(f"bank supply {supply:5.1f}: first answer shown {first:.3f} s, full count {full:.2f} s")
            print(
                f"median over {moves} moves: first answer shown {statistics.median(firsts):.3f} s, "
                f"full count {statistics.median(fulls):.2f} s"
            )
            chromium.close()
    finally:
        process.terminate()
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=str(investsim.default_scenario_path()))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--moves", type=int, default=5)
    parser.add_argument("--browser", action="store_true", help="time the page in Chromium")
    args = parser.parse_args()
    if args.browser:
        browser(Path(args.scenario), args.jobs, args.moves)
    else:
        asyncio.run(engine(Path(args.scenario), args.jobs, args.moves))


if __name__ == "__main__":
    main()
