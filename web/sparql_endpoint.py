"""/sparql: the SPARQL 1.1 Protocol (queries only) with a time limit and a row cap, and an HTML page with worked examples."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, current_app, render_template, request

from councilkg.web.errors import MAX_SPARQL_CHARS, BadRequest, WebError, status_of
from councilkg.web.present import IRI_BASE
from councilkg.web.services import services

bp = Blueprint("sparql", __name__)

TIMEOUT_S = 10.0  # per query: past it the worker process running the query is killed
ROW_CAP = 10_000  # rows (or triples) returned at most; the answer says when it was cut
HTML_ROWS = 500  # rows shown in the page's table

QUERIES_MD = Path(__file__).resolve().parents[1] / "graph" / "QUERIES.md"

# Names a client may give in format=/output=/results= (SPARQLWrapper sends them) -> our format name
FORMAT_PARAMS = {"json": "json", "xml": "xml", "csv": "csv", "tsv": "tsv", "turtle": "turtle", "n3": "turtle", "nt": "nt",
                 "ntriples": "nt", "json-ld": "jsonld", "jsonld": "jsonld", "rdf+xml": "xml", "rdf": "xml", "html": "html"}
# Accept media types -> our format name; SELECT/ASK and CONSTRUCT/DESCRIBE read different ones
RESULT_MEDIA = {"application/sparql-results+json": "json", "application/json": "json", "application/sparql-results+xml": "xml",
                "application/xml": "xml", "text/xml": "xml", "text/csv": "csv", "text/tab-separated-values": "tsv",
                "text/plain": "table"}
GRAPH_MEDIA = {"text/turtle": "turtle", "application/x-turtle": "turtle", "text/n3": "turtle", "application/n-triples": "nt",
               "application/ld+json": "jsonld", "application/json": "jsonld", "application/rdf+xml": "xml", "text/plain": "nt"}
GRAPH_TYPES = {"turtle": "text/turtle", "nt": "application/n-triples", "jsonld": "application/ld+json", "xml": "application/rdf+xml"}


@dataclass(frozen=True)
class Example:
    title: str
    description: str
    query: str


@lru_cache(maxsize=1)
def examples() -> tuple[Example, ...]:
    """The research queries of graph/QUERIES.md: '## title', a paragraph, a ```sparql block; the first block is the prologue."""
    if not QUERIES_MD.exists():
        return ()
    text = QUERIES_MD.read_text(encoding="utf-8")
    blocks = list(re.finditer(r"```sparql\n(.*?)```", text, re.S))
    if not blocks:
        return ()
    prologue = blocks[0].group(1) if "SELECT" not in blocks[0].group(1).upper() else ""
    out = []
    for m in re.finditer(r"^## (.+?)\n(.*?)```sparql\n(.*?)```", text, re.S | re.M):
        title, desc, body = m.group(1).strip(), " ".join(m.group(2).split()), m.group(3)
        out.append(Example(re.sub(r"^\d+\.\s*", "", title), desc, prologue + "\n" + body.strip() + "\n"))
    return tuple(out)


def _protocol_query() -> str | None:
    """The query from GET query=, POST form query=, or a POST application/sparql-query body; updates are refused."""
    if request.method == "POST":
        ctype = (request.mimetype or "").lower()
        if ctype == "application/sparql-update" or "update" in request.form:
            raise WebError("SPARQL Update is not allowed: the graph is read-only", 400)
        if ctype == "application/sparql-query":
            return request.get_data(as_text=True)
        if "query" in request.form:
            return request.form["query"]
        if "query" not in request.args:
            raise BadRequest("POST a form with query=, or a body of type application/sparql-query")
    if "update" in request.args:
        raise WebError("SPARQL Update is not allowed: the graph is read-only", 400)
    return request.args.get("query")


def _asked_format() -> str | None:
    for param in ("format", "output", "results"):
        for value in request.values.getlist(param):
            if value.lower() in FORMAT_PARAMS:
                return FORMAT_PARAMS[value.lower()]
    return None


def wants_page() -> bool:
    """A browser (Accept names text/html before any results type) or ?format=html gets the HTML page."""
    asked = _asked_format()
    if asked:
        return asked == "html"
    offers = ["text/html", *RESULT_MEDIA, *GRAPH_MEDIA]
    return request.accept_mimetypes.best_match(offers) == "text/html" and "text/html" in request.headers.get("Accept", "")


def run(q: str):
    from councilkg.graph.sparql import open_store

    if len(q) > MAX_SPARQL_CHARS:
        raise BadRequest(f"query is too long ({len(q)} characters; the limit is {MAX_SPARQL_CHARS})")
    if not q.strip():
        raise BadRequest("empty query")
    data_dir = current_app.config["DATA_DIR"]
    if data_dir is None:  # no data directory: the shared store answers, with the same limits
        from councilkg.web.graph_store import forward, graph_store

        return forward(graph_store(), q, limit=ROW_CAP, timeout=TIMEOUT_S)
    open_store(data_dir)  # this generation's on-disk store, current for linked data (the worker replays into its memory copy)
    return services().sparql.query(data_dir, q, limit=ROW_CAP, timeout=TIMEOUT_S)


def respond(result):
    """Serialize by ?format= or Accept: SELECT/ASK as JSON, XML, CSV or TSV; CONSTRUCT/DESCRIBE as Turtle, N-Triples, JSON-LD or RDF/XML."""
    from councilkg.graph.sparql import RESULT_FORMATS

    graph = result.kind == "graph"
    media = GRAPH_MEDIA if graph else RESULT_MEDIA
    fmt = _asked_format()
    if fmt not in (GRAPH_TYPES if graph else RESULT_FORMATS):
        fmt = media[request.accept_mimetypes.best_match(list(media), default=next(iter(media)))]
    resp = current_app.make_response(result.serialize(fmt))
    resp.headers["Content-Type"] = GRAPH_TYPES[fmt] if graph else RESULT_FORMATS[fmt][1]
    if result.truncated:
        resp.headers["X-SPARQL-Truncated"] = f"results cut at {ROW_CAP} rows"
    resp.vary.add("Accept")
    return resp


def cell(term) -> dict:
    """One table cell: our own IRIs become local links, other IRIs links out, literals text."""
    if term is None:
        return {"text": ""}
    value = term.value
    kind = type(term).__name__
    if kind == "NamedNode":
        from councilkg.graph.vocab import PREFIXES

        if value.startswith(IRI_BASE + "/id/"):
            return {"text": value[len(IRI_BASE) + 4 :], "href": value[len(IRI_BASE) :]}
        for p, ns in PREFIXES.items():
            if value.startswith(str(ns)):
                return {"text": f"{p}:{value[len(str(ns)):]}", "href": value}
        return {"text": value, "href": value}
    return {"text": value}


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint():
    q = _protocol_query()
    if q is not None and not wants_page():
        return respond(run(q))
    example = request.args.get("example", "")
    exs = examples()
    if q is None and example.isdigit() and 1 <= int(example) <= len(exs):
        q = exs[int(example) - 1].query
    result, rows, error = None, [], None
    try:
        result = run(q) if q else None
    except Exception as e:  # noqa: BLE001 - expected errors are shown beside the query; others go to the error handler
        if status_of(e) is None:
            raise
        error = (str(e).splitlines() or [type(e).__name__])[0]
    if result is not None:
        if result.kind == "select":
            rows = [[cell(t) for t in row] for row in result.rows[:HTML_ROWS]]
        elif result.kind == "graph":
            rows = [[cell(t.subject), cell(t.predicate), cell(t.object)] for t in result.triples[:HTML_ROWS]]
    return render_template("sparql.html", q=q or (exs[0].query if exs else "SELECT * WHERE { ?s ?p ?o } LIMIT 10"),
                           ran=bool(q), result=result, error=error, rows=rows, examples=exs, html_rows=HTML_ROWS, row_cap=ROW_CAP,
                           timeout=TIMEOUT_S, max_chars=MAX_SPARQL_CHARS)
