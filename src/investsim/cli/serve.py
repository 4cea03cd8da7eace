"""``investsim serve``: the what-if page over a scenario."""

from __future__ import annotations

import click

from investsim.cli.common import err_console, jobs_option, lang_option, overrides_option, say
from investsim.serve import LOCAL, MAX_REPLICATIONS
from investsim.serve import serve as serve_page


@click.command()
@click.argument("scenario", required=False, type=click.Path(dir_okay=False))
@overrides_option
@click.option(
    "--host", default=LOCAL, show_default=True, help="Address to listen on (other than loopback: warned)."
)
@click.option("--port", type=click.IntRange(min=1, max=65535), help="Port (default: a free one).")
@jobs_option
@click.option(
    "--save-dir",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="Folder where 'save as scenario' writes its files.",
)
@click.option(
    "--max-replications",
    type=click.IntRange(min=1),
    default=MAX_REPLICATIONS,
    show_default=True,
    help="Replications one question may ask at most.",
)
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="NAME",
    help="Another name the page may be reached by (its Host header); repeatable.",
)
@lang_option
def serve(
    scenario: str | None,
    overrides: tuple[str, ...],
    host: str,
    port: int | None,
    jobs: int | None,
    save_dir: str,
    max_replications: int,
    allow_hosts: tuple[str, ...],
    lang: str,
) -> None:
    """Start the what-if page over SCENARIO (default: the bundled Liaoyuan baseline): the
    financing assumptions are controls and the forecast answers while you move them.
    Prints the address; stop it with Ctrl-C."""

    def tell(text: str) -> None:
        if text.startswith("warning:"):
            err_console.print(text, highlight=False, markup=False, soft_wrap=True)
        else:
            say(text)

    serve_page(
        scenario,
        overrides,
        host=host,
        port=port,
        jobs=jobs,
        lang=lang,
        save_dir=save_dir,
        max_replications=max_replications,
        allow_hosts=allow_hosts,
        say=tell,
    )
