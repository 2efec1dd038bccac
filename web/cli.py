"""The `councilkg` command: one click group, a command per stage plus `serve`; heavy imports stay inside commands."""

from __future__ import annotations

import atexit
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
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str, readable=False))
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

    def on_skip(path, reason):
        bars.close()
        click.echo(f"skipped: {path}: not minutes ({reason})", err=True)

    try:
        report = run(list(paths), data_dir, max_bytes=max_bytes, progress=bars, on_error=on_error, on_skip=on_skip)
    finally:
        bars.close()
    if as_json:
        click.echo(json.dumps(report.__dict__, indent=1))
    else:
        click.echo(report.summary())
    if report.failed:
        sys.exit(1)


@main.command()
@click.argument("sites", nargs=-1, required=True)
@data_option
@click.option("--council", help="Whose site a URL not in the register is (a council name).")
@click.option("--since", help="Meetings on or after YYYY-MM-DD (default: a year ago).")
@click.option("--until", help="Meetings on or before YYYY-MM-DD (default: today).")
@click.option("--committee", help="Only committees whose title contains this.")
@click.option("--delay", type=click.FloatRange(0), default=1.0, show_default=True, help="Seconds between requests to a host.")
@click.option("--timeout", type=click.FloatRange(0.1), default=60.0, show_default=True, help="Seconds to wait for an answer.")
@click.option("--retries", type=click.IntRange(0, 10), default=3, show_default=True, help="Retries of timeouts, dropped connections, 429 and 5xx.")
@click.option("--backoff", type=click.FloatRange(0), default=5.0, show_default=True, help="First retry's wait in seconds (then doubled).")
@click.option("--max-wait", type=click.FloatRange(0), default=120.0, show_default=True, help="Cap on any one wait, Retry-After included.")
@click.option("--recheck-days", type=click.IntRange(0), default=90, show_default=True, help="Fetch meetings this recent again (minutes get amended).")
@click.option("--offline", is_flag=True, help="No network: re-read the raw answers cached in the data directory.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def harvest(sites, data_dir, council, since, until, committee, delay, timeout, retries, backoff, max_wait, recheck_days,
            offline, as_json):
    """Gather minutes from ModernGov sites (register code, council name or base URL) into the graph, incrementally."""
    from councilkg.corpus.harvest import Options
    from councilkg.corpus.meta import check_date
    from councilkg.corpus.mgclient import Client
    from councilkg.corpus.registry import find
    from councilkg.embed.harvest import harvest as run

    for name, value in (("--since", since), ("--until", until)):
        if value and (len(value) != 10 or check_date(value, name) != value):
            raise click.BadParameter(f"{value!r} is not a date YYYY-MM-DD", param_hint=name)
    chosen = [find(s, council) for s in sites]
    client = Client(delay=delay, timeout=timeout, retries=retries, backoff=backoff, max_wait=max_wait)
    bars = _Bars()

    def on_error(name, meeting, reason):
        bars.close()
        click.echo(f"error: {name}: " + (f"meeting {meeting}: " if meeting != "-" else "") + reason, err=True)

    def on_skip(path, reason):
        bars.close()
        click.echo(f"skipped: {path}: not minutes ({reason})", err=True)

    opts = Options(since=since, until=until, committee=committee, offline=offline, recheck_days=recheck_days)
    try:
        report = run(chosen, data_dir, opts, client, progress=bars, on_error=on_error, on_skip=on_skip)
    finally:
        bars.close()
    click.echo(json.dumps(report.__dict__, indent=1) if as_json else report.summary())
    if report.failed:
        sys.exit(1)


@main.command()
@data_option
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def stats(data_dir, as_json):
    """What the data directory holds, the files that failed, and each harvested site's coverage."""
    from councilkg.corpus.ledger import all_ledgers
    from councilkg.graph import store

    con = store.connect(data_dir, readonly=True)
    c = store.counts(con)
    c["sources"] = [led.summary() for led in all_ledgers(data_dir)]
    if as_json:
        click.echo(json.dumps(c, indent=1))
        return
    for k, v in c.items():
        if k not in ("failed", "date_range", "sources"):
            click.echo(f"{k:>20}: {v}")
    lo, hi = c["date_range"]
    click.echo(f"{'date range':>20}: {lo or '?'} .. {hi or '?'}")
    click.echo(f"{'failed files':>20}: {len(c['failed'])}")
    for f in c["failed"]:
        click.echo(f"{'':>22}{f['file']}: {f['reason']}")
    click.echo(f"{'harvested sites':>20}: {len(c['sources'])}")
    for s in c["sources"]:
        click.echo(f"{'':>22}{s['site']} {s['council'] or s['base_url']}: last harvest {s['last_harvest'] or 'never'}; "
                   f"{s['meetings_held']} meetings, {s['items_held']} items held; "
                   f"{len(s['minutes_awaited'])} awaiting minutes; {len(s['failures'])} failures")
        for f in s["failures"]:
            click.echo(f"{'':>24}meeting {f['meeting']}: {f['reason']}")


@main.command()
@click.argument("query", required=False, default="")
@data_option
@click.option("--k", type=click.IntRange(1, 1000), default=10, show_default=True, help="How many debate points.")
@click.option("--council", help="Only this council (name or GSS code).")
@click.option("--exclude-council", multiple=True, help="Leave out this council (repeatable).")
@click.option("--theme", help="Only points on this theme (id or label).")
@click.option("--committee", help="Only meetings of committees whose name contains this.")
@click.option("--since", help="Meetings on or after YYYY-MM-DD.")
@click.option("--until", help="Meetings on or before YYYY-MM-DD.")
@click.option("--grade", help="Only councils whose latest inspection grade at the time was this (e.g. inadequate).")
@click.option("--like", "like", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Use a paragraph or a whole minutes file as the query; its own council is excluded.")
@click.option("--compare", is_flag=True, help="Group by council with each council's practices and actions.")
@click.option("--json", "as_json", is_flag=True, help="Contract JSON (§2).")
def search(query, data_dir, k, council, exclude_council, theme, committee, since, until, grade, like, compare, as_json):
    """Hybrid (semantic + lexical) search over debate points."""
    from councilkg.embed.search import SearchError, Searcher

    if not query and like is None:
        raise click.UsageError("give a QUERY or --like FILE")
    searcher = Searcher(data_dir)
    filters = dict(council=council, theme=theme, committee=committee, since=since, until=until,
                   exclude_council=exclude_council, grade=grade, like=like)
    try:
        if compare:
            from councilkg.embed.compare import compare as run_compare
            from councilkg.embed.render import format_compare

            groups = run_compare(searcher, query, **filters)
            click.echo(json.dumps({"query": query, "councils": groups}, indent=1) if as_json else format_compare(groups))
            return
        result = searcher.search(query, k=k, **filters)
    except SearchError as e:
        raise click.ClickException(str(e)) from None
    if as_json:
        click.echo(json.dumps(result, indent=1, ensure_ascii=False))
    else:
        from councilkg.embed.render import format_text

        click.echo(format_text(result))


@main.command()
@data_option
@click.option("--queries", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Labelled queries (JSON).")
@click.option("--json", "as_json", is_flag=True)
def evaluate(data_dir, queries, as_json):
    """nDCG@5 of lexical-only, vector-only and hybrid ranking on the labelled query set."""
    from councilkg.embed.evaluate import evaluate as run, format_table

    report = run(data_dir, queries)
    click.echo(json.dumps(report, indent=1) if as_json else format_table(report))


@main.command()
@data_option
@click.option("--format", "fmt", type=click.Choice(["turtle", "nt", "jsonld"]), default="turtle", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here (atomically) instead of stdout.")
@click.option("--to", "to_url", help="Load into a SPARQL 1.1 Graph Store Protocol endpoint instead, e.g. http://host:7878/store.")
@click.option("--graph", "graph_iri", help="With --to: the named graph to replace (default graph otherwise).")
def export(data_dir, fmt, output, to_url, graph_iri):
    """The whole knowledge graph as RDF, to stdout, a file, or a SPARQL store."""
    from councilkg.graph import push, store

    store.connect(data_dir, readonly=True).close()
    if to_url:
        n = push.push(data_dir, to_url, graph_iri=graph_iri)
        click.echo(f"{n} triples loaded into {to_url}", err=True)
        return
    if output is None:
        push.export(data_dir, fmt, sys.stdout.buffer)
        return
    tmp = output.with_name(f".{output.name}.tmp")
    with open(tmp, "wb") as fh:
        n = push.export(data_dir, fmt, fh)
    store.replace_file(tmp, output)
    click.echo(f"{n} triples written to {output}", err=True)


@main.command()
@click.argument("query", required=False)
@data_option
@click.option("--file", "qfile", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Read the query from a file.")
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "tsv", "xml", "table"]), default="table", show_default=True)
@click.option("--limit", type=int, default=None, help="Stop after this many rows.")
def sparql(query, data_dir, qfile, fmt, limit):
    """Run a read-only SPARQL 1.1 query on the knowledge graph."""
    from councilkg.graph import sparql as sp

    if bool(query) == bool(qfile):
        raise click.UsageError("give a QUERY or --file F (one of them)")
    text = qfile.read_text(encoding="utf-8") if qfile else query
    try:
        result = sp.query(data_dir, text, limit=limit)
    except sp.QueryError as e:
        raise click.ClickException(str(e).splitlines()[0]) from None
    sys.stdout.buffer.write(result.serialize(fmt))
    if fmt == "table":
        sys.stdout.buffer.write(b"\n")


@main.command()
@data_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=5000, show_default=True)
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True)
def serve(data_dir, host, port, threads):
    """The web UI, JSON API and /sparql endpoint on waitress (a production WSGI server)."""
    from councilkg.web.serve import serve as run

    click.echo(f"councilkg: serving {data_dir} on http://{host}:{port}/ (Ctrl-C to stop)", err=True)
    run(data_dir, host=host, port=port, threads=threads)


@main.command()
@data_option
@click.option("--k", type=click.IntRange(2, 50), default=10, show_default=True, help="Neighbours per point in the graph.")
@click.option("--min-size", type=click.IntRange(2, 1000), default=3, show_default=True, help="Smallest cluster shown.")
@click.option("--emerging", is_flag=True, help="Only clusters that no theme covers.")
@click.option("--json", "as_json", is_flag=True)
def topics(data_dir, k, min_size, emerging, as_json):
    """Clusters of debate points across councils (community detection on a nearest-neighbour graph)."""
    from councilkg.embed.emerging import as_dicts, format_topics, load_topics

    found = load_topics(data_dir, k=k, min_size=min_size)
    if as_json:
        click.echo(json.dumps([t for t in as_dicts(found) if t["uncovered"] or not emerging], indent=1))
    else:
        click.echo(format_topics(found, only_uncovered=emerging))


@main.command()
@click.option("--quick", is_flag=True, help="Small ingest sample, cached 100k search corpus, no load test or 1M study.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), help="Where the scaled corpora are built and cached.")
def bench(quick, as_json, workdir):
    """Measure ingest, search, memory, SPARQL and cold-start against the targets (see README, Performance)."""
    from councilkg.web.bench.run import bench as run, format_table

    result = run(quick=quick, workdir=workdir)
    click.echo(json.dumps(result, indent=1) if as_json else format_table(result))


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


if __name__ == "__main__":
    run()
