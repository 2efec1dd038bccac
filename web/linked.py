"""Linked data: each resource at its IRI's path as HTML, Turtle, N-Triples or JSON-LD by Accept (or ?format=), and whole-graph exports."""

from __future__ import annotations

import re
import tempfile
from urllib.parse import unquote

from flask import Blueprint, current_app, request, send_file

from councilkg.graph import rdf
from councilkg.graph.vocab import ID, PREFIXES, iri
from councilkg.web.entities import Entity, Entry
from councilkg.web.errors import BadRequest, NeedsDataDir, NotFound
from councilkg.web.graph_store import graph_store, page_store, stateless
from councilkg.web.present import Link
from councilkg.web.loaders import load
from councilkg.web.views import entity_page

bp = Blueprint("linked", __name__)

ID_RE = re.compile(r"^[A-Za-z0-9._~%-]{1,120}$")
KIND_RE = re.compile(r"^[a-z][a-z-]{1,30}$")
LABELS = ("http://www.w3.org/2004/02/skos/core#prefLabel", "http://www.w3.org/2000/01/rdf-schema#label")
MAX_TRIPLES = 5_000  # per resource description; a council with more neighbours is cut (the SPARQL endpoint has them all)

# ?format= names and media types -> our format name ("html" or an rdf.FORMATS key)
FORMAT_NAMES = {"html": "html", "ttl": "turtle", "turtle": "turtle", "nt": "nt", "ntriples": "nt", "jsonld": "jsonld",
                "json-ld": "jsonld", "json": "jsonld"}
MEDIA = {"text/html": "html", "application/xhtml+xml": "html", "text/turtle": "turtle", "application/x-turtle": "turtle",
         "application/n-triples": "nt", "application/ld+json": "jsonld", "application/json": "jsonld"}


def negotiate() -> str:
    """html, turtle, nt or jsonld: ?format= wins, then the Accept header, then HTML."""
    asked = request.args.get("format")
    if asked:
        if asked.lower() not in FORMAT_NAMES:
            raise BadRequest(f"unknown format {asked!r} (choose from html, turtle, nt, jsonld)")
        return FORMAT_NAMES[asked.lower()]
    best = request.accept_mimetypes.best_match(list(MEDIA), default="text/html")
    return MEDIA[best]


def ox_store():
    from councilkg.graph.sparql import open_store

    return open_store(current_app.config["DATA_DIR"])


def describe(subject: str) -> list:
    """The resource's triples, outgoing and incoming, capped; empty when the graph does not know it."""
    import pyoxigraph as ox

    if stateless():
        return remote_describe(subject)
    node = ox.NamedNode(subject)
    st = ox_store()
    out = []
    for q in st.quads_for_pattern(node, None, None):  # every graph: each triple is in one
        out.append(ox.Triple(q.subject, q.predicate, q.object))
        if len(out) >= MAX_TRIPLES:
            return out
    if not out:
        return out
    for q in st.quads_for_pattern(None, None, node):
        out.append(ox.Triple(q.subject, q.predicate, q.object))
        if len(out) >= MAX_TRIPLES:
            break
    return out


def remote_describe(subject: str) -> list:
    """describe() over the shared store: one CONSTRUCT, the resource's own triples first."""
    s = f"<{subject}>"
    found = graph_store().construct(f"CONSTRUCT {{ {s} ?p ?o . ?x ?q {s} }} WHERE {{ {{ {s} ?p ?o }} UNION "
                                    f"{{ {{ SELECT ?x ?q WHERE {{ ?x ?q {s} }} LIMIT {MAX_TRIPLES} }} }} }}")
    own = [t for t in found if t.subject.value == subject]
    return (own + [t for t in found if t.subject.value != subject])[:MAX_TRIPLES] if own else []


def _local(term) -> Link | None:
    value = getattr(term, "value", "")
    if type(term).__name__ == "NamedNode" and value.startswith(str(ID)):
        kind, _, ident = value[len(str(ID)):].partition("/")
        return Link(kind, unquote(ident), unquote(ident))
    return None


def _short(iri_: str) -> str:
    for p, ns in PREFIXES.items():
        if iri_.startswith(str(ns)):
            return f"{p}:{iri_[len(str(ns)):]}"
    return iri_


def from_graph(kind: str, ident: str) -> Entity:
    """An HTML view of a resource only the RDF graph knows: its triples as facts and incoming links."""
    subject = str(iri(kind, ident))
    triples = describe(subject)
    if not triples:
        raise NotFound(f"No resource {kind}/{ident}")
    out = [t for t in triples if t.subject.value == subject]
    label = next((t.object.value for t in out if t.predicate.value in LABELS), ident)
    e = Entity(kind, ident, label)
    e.facts = [(_short(t.predicate.value), _local(t.object) or t.object.value) for t in out]
    e.group("Linked from", [Entry(link) for t in triples if t.subject.value != subject and (link := _local(t.subject))])
    return e


def rdf_bytes(triples: list, fmt: str) -> bytes:
    import pyoxigraph as ox

    prefixes = {p: str(ns) for p, ns in PREFIXES.items()}
    return ox.serialize(triples, format=getattr(ox.RdfFormat, rdf.FORMATS[fmt][1]), prefixes=prefixes)


@bp.get("/id/<kind>/<ident>")
def resource(kind: str, ident: str):
    """One resource: HTML from the store, RDF from the graph, both at the IRI's own path."""
    if not KIND_RE.match(kind) or not ID_RE.match(ident):
        raise NotFound("No such resource.")
    fmt = negotiate()
    if fmt == "html":
        try:
            e = load(page_store(), kind, ident)
        except NotFound:
            e = from_graph(kind, ident)  # a vocabulary concept (grade, inspection type…) the data does not use yet
        resp = current_app.make_response(entity_page(e))
    else:
        triples = describe(str(iri(kind, ident)))
        if not triples:
            raise NotFound(f"No resource {kind}/{ident} in the graph.")
        resp = current_app.make_response(rdf_bytes(triples, fmt))
        resp.mimetype = rdf.media_type(fmt)
    resp.vary.add("Accept")
    return resp


@bp.get("/export.<ext>")
def export(ext: str):
    """The whole graph (vocabulary, themes and data) as a download."""
    if stateless():
        raise NeedsDataDir("The whole-graph export needs a data directory; this server's store answers /sparql "
                           "(CONSTRUCT) and its Graph Store protocol.")
    fmt = {"ttl": "turtle", "nt": "nt", "jsonld": "jsonld"}.get(ext)
    if fmt is None:
        raise NotFound("Exports are /export.ttl, /export.nt and /export.jsonld.")
    import pyoxigraph as ox

    out = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)
    prefixes = {p: str(ns) for p, ns in PREFIXES.items()} if fmt != "nt" else None
    ox.serialize((q.triple for q in ox_store()), out, format=getattr(ox.RdfFormat, rdf.FORMATS[fmt][1]), prefixes=prefixes)
    out.seek(0)
    return send_file(out, mimetype=rdf.media_type(fmt), as_attachment=True, download_name=f"councilkg.{ext}", max_age=0)
