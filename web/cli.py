"""The `councilkg` command: one click group, a command per stage plus `serve`; heavy imports stay inside commands."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from councilkg.corpus.model import InputError
from councilkg.graph.store import StoreError

# Expected failures of any stage: shown as one line, never a traceback.
EXPECTED = (InputError, StoreError, OSError)


def _expected_errors() -> tuple[type[BaseException], ...]:
    """Typed errors of later stages, looked up lazily so `stats` never imports them."""
    extra = []
    for mod, name in (
        ("councilkg.embed.encoder", "EncoderError"),
        ("councilkg.embed.pipeline", "IngestBusy"),
        ("councilkg.embed.search", "SearchError"),
        ("councilkg.graph.sparql", "SparqlError"),
        ("councilkg.graph.push", "PushError"),
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


def data_option(f):
    return click.option(
        "--data",
        "data_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=lambda: os.environ.get("COUNCILKG_DATA") or "data",
        show_default="$COUNCILKG_DATA or ./data",
        help="Data directory.",
    )(f)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="councilkg")
def main():
    """Knowledge-graph search over the minutes of UK councils."""


class _Bars:
    """A progress bar per pipeline stage, only when stderr is a terminal."""

    def __init__(self):
        self.tty = sys.stderr.isatty()
        self.bar = None
        self.stage = None

    def __call__(self, stage: str, done: int, total: int):
        if not self.tty or total == 0:
            return
        if stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = click.progressbar(length=total, label=f"{stage:>6}", file=sys.stderr)
            self.bar.__enter__()
            self.done = 0
        self.bar.update(done - self.done)
        self.done = done

    def close(self):
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@data_option
@click.option("--max-bytes", type=int, default=50_000_000, show_default=True, help="Refuse files larger than this.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def ingest(paths, data_dir, max_bytes, as_json):
    """Read minutes (.txt .md .html .pdf, folders recursively) into the graph and the search index."""
    from councilkg.embed.pipeline import ingest as run

    bars = _Bars()

    def on_error(path, reason):
        bars.close()
        click.echo(f"error: {path}: {reason}", err=True)

    try:
        report = run(list(paths), data_dir, max_bytes=max_bytes, progress=bars, on_error=on_error)
    finally:
        bars.close()
    if as_json:
        click.echo(json.dumps(report.__dict__, indent=1))
    else:
        click.echo(report.summary())
    if report.failed:
        sys.exit(1)


@main.command()
@data_option
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def stats(data_dir, as_json):
    """What the data directory holds, and the files that failed."""
    from councilkg.graph import store

    con = store.connect(data_dir, readonly=True)
    c = store.counts(con)
    if as_json:
        click.echo(json.dumps(c, indent=1))
        return
    for k, v in c.items():
        if k not in ("failed", "date_range"):
            click.echo(f"{k:>20}: {v}")
    lo, hi = c["date_range"]
    click.echo(f"{'date range':>20}: {lo or '?'} .. {hi or '?'}")
    click.echo(f"{'failed files':>20}: {len(c['failed'])}")
    for f in c["failed"]:
        click.echo(f"{'':>22}{f['file']}: {f['reason']}")
