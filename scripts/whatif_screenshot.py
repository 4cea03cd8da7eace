"""Re-take the README's screenshot of the what-if page (docs/whatif.png).

Starts `investsim serve` on the bundled baseline, types the values the caption describes
(bank credit 55 亿 a year and a 3 亿 guarantee pool), waits until all the scenario's
replications are in, prints what the page says (the difference, the timing sentence, the
breakdown) so the caption can be checked against it, and saves the screenshot. Needs the
system Chromium (/usr/bin/chromium), as the browser tests do.

    python scripts/whatif_screenshot.py [docs/whatif.png]
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time

from playwright.sync_api import sync_playwright

VALUES = (("financing-sources-bank-supply", "55"), ("pool-capital", "3"))


def main() -> None:
    """Serve, type the values, wait for every replication, print and save."""
    out = sys.argv[1] if len(sys.argv) > 1 else "docs/whatif.png"
    server = subprocess.Popen(
        [sys.executable, "-m", "investsim", "serve", "--jobs", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert server.stdout is not None
    url = next(m.group(1) for line in server.stdout if (m := re.search(r"on (http://\S+/)", line)))
    try:
        with sync_playwright() as p:
            chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = chromium.new_page(viewport={"width": 1400, "height": 1150})
            page.goto(url)
            page.wait_for_selector("[data-testid=status][data-done=yes]", timeout=300_000)
            for key, value in VALUES:
                field = page.locator(f"input[data-testid=control-{key}]")
                field.fill(value)
                field.press("Enter")
                time.sleep(1.0)
            page.wait_for_function(
                "() => document.querySelector('[data-testid=difference]').getAttribute('data-mean') !== '0.0'"
            )
            page.wait_for_selector("[data-testid=status][data-replications='200'][data-done=yes]", timeout=600_000)
            time.sleep(1.5)  # the last redraw
            page.locator("input[data-testid=control-financing-sources-bank-supply]").focus()
            page.evaluate("window.scrollTo(0, 0)")
            time.sleep(0.5)
            for part in ("difference", "timing", "explanation"):
                print(page.locator(f"[data-testid={part}]").inner_text())
            page.screenshot(path=out)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(30)


if __name__ == "__main__":
    main()
