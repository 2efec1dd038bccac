"""Commands over the data directory itself: minutes in (ingest, harvest), what it holds (stats), the graph out (export)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from councilkg.web.cli.common import Bars, SiteBars, data_option, device_option, index_option

PUSH_HELP = ("After the commit, bring this data directory's own named graph https://w3id.org/councilkg/graph/<instance> "
             "in a SPARQL 1.1 Graph Store (e.g. http://host:7878/store) up to date: only the changes, by SPARQL Update at "
             "the /update beside /store, when the store's graph is at a generation this directory still knows. Recorded: later runs push there too, and retry "
             "a push that failed even when nothing changed, until --no-push.")


def push_options(f):
    f = click.option("--no-push", "no_push", is_flag=True, help="Forget the recorded --push URL; push nothing.")(f)
    return click.option("--push", "push_url", metavar="URL", help=PUSH_HELP)(f)


def check_push(push_url: str | None, no_push: bool) -> None:
    """Before any work: a --push that could never succeed is refused."""
    if push_url and no_push:
        raise click.UsageError("--push and --no-push exclude each other")
    if push_url and not push_url.lower().startswith(("http://", "https://")):
        raise click.BadParameter(f"{push_url!r} is not an http(s) Graph Store endpoint", param_hint="--push")


def push_after_commit(data_dir: Path, push_url: str | None, no_push: bool) -> None:
    """The committed generation into the store (if one is given or recorded); a failure is one line and exit 1."""
    from councilkg.embed.pipeline import exclusive
    from councilkg.graph import push

    if not push_url and not push.recorded(data_dir):
        return  # nothing to push to (and nothing to forget)
    with exclusive(Path(data_dir)):  # no ingest commits between reading the generation and exporting it
        try:
            done = push.sync(data_dir, push_url, forget=no_push)
        except push.PushError as e:
            raise click.ClickException(f"push to {e}; the data directory keeps its commit and the next run pushes again") from None
    if done and (done.sent or done.since is not None):
        how = f"the changes since generation {done.since}" if done.since is not None else "the whole graph"
        if done.resumed:
            gen, held = done.resumed
            how = f"generation {gen}'s interrupted whole push finished after the {held} parts the store held" + (
                f", then {how}" if gen != done.generation else "")
        click.echo(f"pushed generation {done.generation} ({done.sent} triples: {how}) to {done.url} as <{done.graph}>", err=True)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str, readable=False))
@data_option
@index_option
@device_option
@click.option("--max-bytes", type=int, default=50_000_000, show_default=True, help="Refuse files larger than this.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@push_options
def ingest(paths, data_dir, index, max_bytes, as_json, push_url, no_push):
    """Read minutes (.txt .md .html .pdf, folders recursively) into the graph and the search index."""
    from councilkg.embed.pipeline import ingest as run

    check_push(push_url, no_push)
    bars = Bars()

    def on_error(path, reason):
        bars.close()
        click.echo(f"error: {path}: {reason}", err=True)

    def on_skip(path, reason):
        bars.close()
        click.echo(f"skipped: {path}: not minutes ({reason})", err=True)

    try:
        report = run(list(paths), data_dir, max_bytes=max_bytes, progress=bars, on_error=on_error, on_skip=on_skip,
                     index=index)
    finally:
        bars.close()
    if as_json:
        click.echo(json.dumps(report.__dict__, indent=1))
    else:
        click.echo(report.summary())
    push_after_commit(data_dir, push_url, no_push)
    if report.failed:
        sys.exit(1)


@click.command()
@click.argument("sites", nargs=-1)
@data_option
@index_option
@device_option
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
@click.option("--all", "every", is_flag=True, help="Every site of the shipped register in service (resumes an unfinished one).")
@click.option("--sites-file", type=click.File("r", encoding="utf-8"), help="Sites to harvest, one per line (code, name or URL); # comments.")
@click.option("--jobs", type=click.IntRange(1, 256), default=64, show_default=True, help="Sites gathered at once (each host still one request at a time).")
@click.option("--batch", type=click.IntRange(1), default=200, show_default=True, help="Commit once this many gathered meetings wait.")
@click.option("--batch-seconds", type=click.FloatRange(1), default=300.0, show_default=True, help="Commit once the oldest gathered meeting has waited this long.")
@click.option("--offline", is_flag=True, help="No network: re-read the raw answers cached in the data directory.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@push_options
def harvest(sites, data_dir, index, council, since, until, committee, delay, timeout, retries, backoff, max_wait, recheck_days,
            every, sites_file, jobs, batch, batch_seconds, offline, as_json, push_url, no_push):
    """Gather minutes from ModernGov sites (register code, council name or base URL) into the graph, incrementally."""
    from councilkg.corpus.harvest import Options
    from councilkg.corpus.meta import check_date
    from councilkg.corpus.mgclient import Client
    from councilkg.embed.harvest import Batching, harvest as run

    check_push(push_url, no_push)
    for name, value in (("--since", since), ("--until", until)):
        if value and (len(value) != 10 or check_date(value, name) != value):
            raise click.BadParameter(f"{value!r} is not a date YYYY-MM-DD", param_hint=name)
    opts = Options(since=since, until=until, committee=committee, offline=offline, recheck_days=recheck_days)
    chosen, sweep = choose_sites(data_dir, sites, council, every, sites_file, opts.today)
    client = Client(delay=delay, timeout=timeout, retries=retries, backoff=backoff, max_wait=max_wait)
    bars = SiteBars(len(chosen))

    def on_error(name, meeting, reason):
        bars.close()
        click.echo(f"error: {name}: " + (f"meeting {meeting}: " if meeting != "-" else "") + reason, err=True)

    def on_skip(path, reason):
        bars.close()
        click.echo(f"skipped: {path}: not minutes ({reason})", err=True)

    try:
        report = run(chosen, data_dir, opts, client, progress=bars, on_error=on_error, on_skip=on_skip, index=index,
                     jobs=jobs, batching=Batching(batch, batch_seconds), sweep=sweep)
    finally:
        bars.close()
    click.echo(json.dumps(report.__dict__, indent=1) if as_json else report.summary())
    push_after_commit(data_dir, push_url, no_push)
    if report.failed:
        sys.exit(1)


def choose_sites(data_dir: Path, given, council, every: bool, sites_file, today: str):
    """The sites named, listed in a file, or the whole register; a many-site harvest is a sweep a rerun resumes."""
    from councilkg.corpus.registry import find, in_service
    from councilkg.embed.harvest import plan_sweep

    if sum(map(bool, (given, every, sites_file))) != 1:
        raise click.UsageError("name the sites, or give --all or --sites-file (one of them)")
    if every:
        chosen, scope = in_service(today), "all"
    else:
        lines = [ln.split("#")[0].strip() for ln in sites_file] if sites_file else list(given)
        chosen = [find(s, council) for s in lines if s]
        scope = "sites: " + " ".join(sorted(s.code for s in chosen))
    if not (every or sites_file):
        return chosen, None
    sweep, todo = plan_sweep(data_dir, chosen, scope)
    if len(todo) < len(chosen):
        click.echo(f"resuming the harvest of {len(chosen)} sites started {sweep.started}: "
                   f"{len(chosen) - len(todo)} done, {len(todo)} to go", err=True)
    return todo, sweep


@click.command()
@data_option
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def stats(data_dir, as_json):
    """What the data directory holds, the files that failed, and each harvested site's coverage."""
    from councilkg.corpus.ledger import all_ledgers, load_sweep
    from councilkg.graph import push, store

    con = store.connect(data_dir, readonly=True)
    c = store.counts(con)
    c["sources"] = [led.summary() for led in all_ledgers(data_dir)]
    sweep = load_sweep(data_dir)
    c["sweep"] = sweep.summary() if sweep else None
    c["push"] = push.state(con)
    c["index"] = {"spec": store.get_state(con, "index") or "faiss", "instance": store.get_state(con, "instance")}
    if as_json:
        click.echo(json.dumps(c, indent=1))
        return
    for k, v in c.items():
        if k not in ("failed", "date_range", "sources", "push", "index", "sweep"):
            click.echo(f"{k:>20}: {v}")
    lo, hi = c["date_range"]
    click.echo(f"{'date range':>20}: {lo or '?'} .. {hi or '?'}")
    click.echo(f"{'failed files':>20}: {len(c['failed'])}")
    for f in c["failed"]:
        click.echo(f"{'':>22}{f['file']}: {f['reason']}")
    click.echo(f"{'search index':>20}: {c['index']['spec']}" + (f" (shard ckg_{c['index']['instance']})"
                                                                 if c["index"]["spec"].startswith("milvus:") else ""))
    if c["push"]:
        p = c["push"]
        click.echo(f"{'pushed to':>20}: {p['url']} <{p['graph']}> generation {p['generation'] or 'none'}"
                   f"{' (push pending: the next ingest or harvest retries it)' if p['pending'] else ''}")
    click.echo(f"{'harvested sites':>20}: {len(c['sources'])}")
    for s in c["sources"]:
        click.echo(f"{'':>22}{s['site']} {s['council'] or s['base_url']}: last harvest {s['last_harvest'] or 'never'}; "
                   f"{s['meetings_held']} meetings, {s['items_held']} items held; "
                   f"{len(s['minutes_awaited'])} awaiting minutes; {len(s['failures'])} failures")
        for f in s["failures"]:
            click.echo(f"{'':>24}meeting {f['meeting']}: {f['reason']}")
    if c["sweep"]:
        w = c["sweep"]
        click.echo(f"{'sweep':>20}: {w['scope'][:60]}, started {w['started']}: {w['done']} done, {w['pending']} pending, "
                   f"{w['failing']} failing" + ("" if w["finished"] else " (unfinished: the same command resumes it)"))
        for f in w["failures"]:
            click.echo(f"{'':>22}{f['site']}: {f['reason']}")


@click.command()
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


@click.command()
@data_option
def compact(data_dir):
    """Merge the search index's segments into one (a new generation; searches go on meanwhile)."""
    from councilkg.embed.compact import compact as run

    from councilkg.graph.store import DB_NAME

    if not (Path(data_dir) / DB_NAME).exists():
        raise click.ClickException(f"{data_dir}: no data directory here")
    gen, before = run(data_dir)
    if not before:
        click.echo(f"{data_dir}: nothing to compact (generation {gen})")
    else:
        click.echo(f"generation {gen}: {before} segment{'s' if before != 1 else ''} merged into one")


COMMANDS = (ingest, harvest, stats, export, compact)
