"""The `councilkg` command: the click group, expected errors as one line, and `run`; the commands live in data, query and measure, heavy imports inside them."""

from __future__ import annotations

import atexit
import os
import sys

import click

from councilkg.corpus.model import InputError
from councilkg.graph.store import StoreError
from councilkg.web.cli import data, measure, query


# Expected failures of any stage: shown as one line, never a traceback.
EXPECTED = (InputError, StoreError, OSError)


def _expected_errors() -> tuple[type[BaseException], ...]:
    """Typed errors of later stages, looked up lazily so `stats` never imports them."""
    extra = []
    for mod, name in (
        ("councilkg.embed.encoder", "EncoderError"),
        ("councilkg.embed.pipeline", "IngestBusy"),
        ("councilkg.embed.harvest", "HarvestBusy"),
        ("councilkg.embed.search", "SearchError"),
        ("councilkg.graph.sparql", "QueryError"),
        ("councilkg.graph.push", "PushError"),
        ("councilkg.graph.rdf", "ExportError"),
        ("councilkg.web.bench.load", "BenchError"),
    ):
        m = sys.modules.get(mod)
        if m is not None and hasattr(m, name):
            extra.append(getattr(m, name))
    return EXPECTED + tuple(extra)


class Group(click.Group):
    """Turns the project's typed errors into one-line ClickExceptions."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.ClickException:
            raise
        except _expected_errors() as e:
            raise click.ClickException(str(e).splitlines()[0] if str(e) else type(e).__name__) from None


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="councilkg")
def main():
    """Knowledge-graph search over the minutes of UK councils."""


for command in (*data.COMMANDS, *query.COMMANDS, *measure.COMMANDS):
    main.add_command(command)


_exit_code: int | None = None


def run() -> None:
    """The console script: `main`, then, if torch was loaded, an exit that skips tearing its modules down."""
    global _exit_code
    atexit.register(_exit_without_teardown)  # registered first, so it runs after every other exit handler
    try:
        main(prog_name="councilkg")
    except SystemExit as e:
        _exit_code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        raise


def _exit_without_teardown() -> None:
    """Unloading torch's thousands of modules costs ~1.5 s of every `search`; output is flushed and the work is done."""
    if _exit_code is None or "torch" not in sys.modules:
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can reach it anyway
            pass
    os._exit(_exit_code)
