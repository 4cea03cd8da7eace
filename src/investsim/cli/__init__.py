"""The ``investsim`` command line: parse, call the library, print.

Exit status: 0 done, 2 bad input (one clear message, no traceback), 1 anything else,
130 interrupted (Ctrl-C), 143 terminated (SIGTERM).
"""

from __future__ import annotations

import signal
from typing import Any

import click

from investsim.cli import bottlenecks, compare, run, serve, tuning
from investsim.cli.common import INTERRUPT_NOTE, NOTHING_WRITTEN, err_console
from investsim.errors import InputError


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every clean-up path runs."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


class _Group(click.Group):
    """Turns user errors into one line and status 2; Ctrl-C into status 130 and SIGTERM
    into 143, each with one line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InputError as e:
            err_console.print(f"error: {e}", highlight=False, markup=False, soft_wrap=True)
            ctx.exit(2)
        except KeyboardInterrupt as e:
            terminated = isinstance(e, Terminated)
            what = "terminated (SIGTERM)" if terminated else "interrupted"
            err_console.print(
                f"{what}: {ctx.meta.get(INTERRUPT_NOTE, NOTHING_WRITTEN)}", highlight=False, soft_wrap=True
            )
            ctx.exit(143 if terminated else 130)


@click.group(cls=_Group)
@click.version_option(package_name="investsim")
def cli() -> None:
    """Forecast a region's fixed-asset investment pipeline from a scenario file."""


for _command in (
    run.run,
    run.validate,
    compare.compare,
    tuning.sweep,
    tuning.sensitivity,
    tuning.calibrate,
    tuning.seek,
    bottlenecks.bottlenecks,
    run.report,
    serve.serve,
    run.schema,
):
    cli.add_command(_command)


def main() -> None:
    """Entry point of the console script."""
    signal.signal(signal.SIGTERM, _on_sigterm)
    cli(prog_name="investsim")
