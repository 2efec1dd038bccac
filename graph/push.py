"""The export leaving the process: to a file or stream, or into any SPARQL 1.1 Graph Store Protocol endpoint."""

from __future__ import annotations

import sqlite3
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import IO

from rdflib import Graph

from councilkg.graph import rdf, store
from councilkg.graph.vocab import PREFIXES


class PushError(Exception):
    """The SPARQL store refused the graph or could not be reached."""


def _connect(source: str | Path | sqlite3.Connection) -> tuple[sqlite3.Connection, bool]:
    if isinstance(source, sqlite3.Connection):
        return source, False
    return store.connect(source, readonly=True), True


def export(source: str | Path | sqlite3.Connection, fmt: str, out: IO[bytes]) -> int:
    """Write the whole export (data dir or connection) to a binary stream; N-Triples streams, turtle/jsonld go through pyoxigraph. Returns triples."""
    import pyoxigraph as ox

    rdf.media_type(fmt)  # unknown formats fail before any work
    con, mine = _connect(source)
    try:
        if fmt == "nt":
            n = 0
            for chunk in rdf.ntriples(con):
                out.write(chunk.encode("utf-8"))
                n += chunk.count(" .\n")
            return n
        st = rdf.to_oxigraph(con)
        ox_format = getattr(ox.RdfFormat, rdf.FORMATS[fmt][1])
        st.dump(out, format=ox_format, from_graph=ox.DefaultGraph(), prefixes={p: str(ns) for p, ns in PREFIXES.items()})
        return len(st)
    finally:
        if mine:
            con.close()


def _target(url: str, graph_iri: str | None) -> str:
    """The Graph Store Protocol address of the named graph, or of the default graph."""
    sep = "&" if urllib.parse.urlsplit(url).query else "?"
    return f"{url}{sep}graph={urllib.parse.quote(graph_iri, safe='')}" if graph_iri else f"{url}{sep}default"


def push(source: Graph | str | Path | sqlite3.Connection, url: str, graph_iri: str | None = None,
         replace: bool = True, timeout: float = 600.0) -> int:
    """Load the export into a Graph Store endpoint (e.g. Oxigraph's /store): PUT replaces the graph, POST (replace=False) adds. Returns triples sent."""
    if not urllib.parse.urlsplit(url).scheme in ("http", "https"):
        raise PushError(f"{url}: not an http(s) Graph Store endpoint")
    with tempfile.TemporaryFile() as body:  # spooled to disk: a million triples never sit in memory twice
        if isinstance(source, Graph):
            data = source.serialize(format="nt", encoding="utf-8")
            body.write(data)
            n = data.count(b" .\n")
        else:
            n = export(source, "nt", body)
        size = body.tell()
        body.seek(0)
        req = urllib.request.Request(_target(url, graph_iri), data=body, method="PUT" if replace else "POST",
                                     headers={"Content-Type": "application/n-triples", "Content-Length": str(size)})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                resp.read()
        except urllib.error.HTTPError as err:
            detail = err.read(300).decode("utf-8", "replace").strip().splitlines()
            raise PushError(f"{url}: HTTP {err.code} {err.reason}{': ' + detail[0] if detail else ''}") from None
        except (urllib.error.URLError, OSError) as err:
            raise PushError(f"{url}: {getattr(err, 'reason', err)}") from None
    return n
