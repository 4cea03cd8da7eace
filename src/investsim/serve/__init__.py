"""The what-if page: a local web page over a scenario where the financing assumptions are
controls and the forecast answers while they move (``investsim serve``).

From Python (under ``if __name__ == "__main__":``, as any code that starts worker
processes)::

    from investsim.serve import serve
    serve("scenarios/liaoyuan/baseline.yaml", port=8765)

It sits at the top of the package beside the command line: it uses the scenario, the
model (in worker processes), the results and the reports, and nothing below imports it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from investsim.errors import InputError
from investsim.runs.runner import default_jobs
from investsim.scenario.loading import default_scenario_path

LOCAL = "127.0.0.1"
MAX_REPLICATIONS = 2000
"""Replications one question may ask at most, unless ``--max-replications`` says otherwise."""


def free_port(host: str = LOCAL) -> int:
    """A port free on ``host`` now (the system's choice)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable only from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    scenario: str | Path | None = None,
    overrides: Sequence[str] = (),
    host: str = LOCAL,
    port: int | None = None,
    jobs: int | None = None,
    lang: str = "en",
    save_dir: str | Path = ".",
    max_replications: int = MAX_REPLICATIONS,
    allow_hosts: Sequence[str] = (),
    say: Callable[[str], None] = print,
) -> None:
    """Serve the what-if page over ``scenario`` (default: the bundled Liaoyuan baseline)
    until Ctrl-C; returns when the server and its worker processes have stopped.

    ``host`` is where it listens (loopback by default; any other address is reachable from
    the network and is warned about); ``port`` defaults to a free one. ``jobs`` worker
    processes simulate (default: one per core). "Save as scenario" writes into
    ``save_dir``. Requests whose Host or Origin is not this server's (or one of
    ``allow_hosts``) are refused.
    """
    if lang not in ("en", "zh"):
        raise ValueError(f"lang(={lang!r}) must be 'en' or 'zh'")
    folder = Path(save_dir)
    if not folder.is_dir():
        raise InputError(f"--save-dir {str(folder)!r}: no such folder")
    # the web framework loads only when a page is served
    from nicegui import app, background_tasks, ui

    from investsim.serve.engine import WhatIf
    from investsim.serve.guard import HostGuard, allowed_hosts
    from investsim.serve.page import Page, Settings
    from investsim.serve.workers import Workers

    path = Path(scenario) if scenario is not None else default_scenario_path()
    workers = Workers(jobs or default_jobs())
    try:
        whatif = WhatIf.start(path, overrides, workers, max_replications)
        workers.warm()
        whatif.warm()
    except BaseException:
        workers.close()
        raise
    settings = Settings(whatif=whatif, lang=lang, save_dir=folder.resolve())
    chosen = port or free_port(host)

    def root() -> None:
        page = Page(settings)
        # deleted: closed for good (a tab that reconnects within seconds keeps its answers)
        ui.context.client.on_delete(page.cancel)

    app.add_middleware(HostGuard, hosts=allowed_hosts(host, chosen, allow_hosts))
    app.on_shutdown(workers.close)
    if not is_loopback(host):
        say(
            f"warning: listening on {host}, reachable from other machines: anyone who can reach "
            "it can run simulations and save scenario files here"
        )
    shown = f"[{host}]" if ":" in host else host

    async def tell_when_listening() -> None:
        # uvicorn listens only after the application's startup: say the address once a
        # connection to it succeeds, so that whoever reads it can open it at once
        while True:
            try:
                _, writer = await asyncio.open_connection("::1" if host == "::" else host, chosen)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            writer.close()
            break
        say(f"investsim what-if page on http://{shown}:{chosen}/ ({whatif.base.name}; Ctrl-C to stop)")
        sys.stdout.flush()

    def on_startup() -> None:
        background_tasks.create(tell_when_listening(), name="tell the address")

    app.on_startup(on_startup)
    try:
        ui.run(
            root,
            host=host,
            port=chosen,
            title="investsim",
            reload=False,
            show=False,
            show_welcome_message=False,
            language="zh-CN" if lang == "zh" else "en-US",
            favicon="📈",
            uvicorn_logging_level="warning",
            timeout_graceful_shutdown=2,
        )
    finally:
        workers.close()
