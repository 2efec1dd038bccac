"""Commands that ask the data: hybrid search, SPARQL, topics, and the web UI that serves all three."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from councilkg.web.cli.common import data_option


@click.command()
@click.argument("query", required=False, default="")
@data_option
@click.option("--k", type=click.IntRange(1, 1000), default=10, show_default=True, help="How many debate points.")
@click.option("--council", help="Only this council (name or GSS code).")
@click.option("--exclude-council", multiple=True, help="Leave out this council (repeatable).")
@click.option("--theme", help="Only points on this theme (id or label).")
@click.option("--committee", help="Only meetings of committees whose name contains this.")
@click.option("--since", help="Meetings on or after YYYY-MM-DD.")
@click.option("--until", help="Meetings on or before YYYY-MM-DD.")
@click.option("--grade", help="Only councils whose Ofsted grade in force at the meeting date was this (e.g. inadequate).")
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


@click.command()
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


@click.command()
@data_option
@click.option("--index", "index", metavar="milvus:URI",
              help="Serve without a data directory: search every data directory's shard in this shared Milvus.")
@click.option("--sparql", "sparql", metavar="URL",
              help="With --index: the SPARQL store's query endpoint that entity pages and /sparql read.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=5000, show_default=True)
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True)
@click.pass_context
def serve(ctx, data_dir, index, sparql, host, port, threads):
    """The web UI, JSON API and /sparql endpoint on waitress (a production WSGI server)."""
    from councilkg.web.serve import serve as run

    given = ctx.get_parameter_source("data_dir") is click.core.ParameterSource.COMMANDLINE
    if index and given:
        raise click.UsageError("give --data DIR or --index milvus:URI, not both (a data directory records its own index)")
    if bool(index) != bool(sparql):
        raise click.UsageError("--index and --sparql go together: a server without a data directory needs both engines")
    what = f"{index} and {sparql}" if index else str(data_dir)
    click.echo(f"councilkg: serving {what} on http://{host}:{port}/ (Ctrl-C to stop)", err=True)
    run(None if index else data_dir, host=host, port=port, threads=threads, index=index, sparql=sparql)


@click.command()
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


@click.command()
@data_option
@click.option("--council", help="Only this council (name or GSS code), with the councils it replaced.")
@click.option("--grade", help="Only inspections with this overall grade (e.g. inadequate, requires improvement).")
@click.option("--year", help="Only inspections of this year (YYYY).")
@click.option("--framework", help="Only this type: ilacs, sif, slac, cpi, tlac, focused-visit, monitoring-visit.")
@click.option("--json", "as_json", is_flag=True, help="The JSON of /api/inspections.")
def inspections(data_dir, council, grade, year, framework, as_json):
    """Ofsted's inspections of the councils held, newest first, with the meetings whose minutes discussed each."""
    from councilkg.graph import store
    from councilkg.graph.councils import resolve
    from councilkg.graph.ofsted import family
    from councilkg.web.errors import WebError
    from councilkg.web.inspections import check_filters, listing

    try:
        f = check_filters(grade, year, framework)
    except WebError as e:
        raise click.ClickException(str(e)) from None
    ids = None
    if council:
        found = resolve(council)
        if not found:
            raise click.ClickException(f"unknown council {council!r}")
        ids = family(found["gss"])
    found = listing(store.connect(data_dir, readonly=True), ids, f)
    if as_json:
        click.echo(json.dumps(found, indent=1, ensure_ascii=False))
        return
    for e in found["inspections"]:
        click.echo(f"{e['start'] or e['published']}  {e['council']['name'] or e['council']['id']}: {e['type_label']}"
                   f"{' (' + e['framework'] + ')' if e['framework'] else ''}  {e['overall'] or '-'}  "
                   f"discussed in {len(e['discussed_in'])} meeting(s)")
    click.echo(f"{found['count']} inspection(s)")


COMMANDS = (search, sparql, topics, serve, inspections)
