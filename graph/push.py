"""The export leaving the process: to a file or stream, or into any SPARQL 1.1 Graph Store Protocol endpoint."""

from __future__ import annotations

import json
import sqlite3
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from rdflib import Graph

from councilkg.graph import rdf, store
from councilkg.graph.instance import instance_id
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


# ---- a data directory's own named graph in a shared store (`ingest/harvest --push URL`) ------------------------

GRAPH_BASE = "https://w3id.org/councilkg/graph/"


def graph_iri(con: sqlite3.Connection) -> str:
    """The named graph this data directory owns in any store it pushes to: one per data directory, never another's."""
    return GRAPH_BASE + instance_id(con)


@dataclass
class Pushed:
    """Where the committed generation went (sent=0 when the store already held it)."""

    url: str
    graph: str
    generation: int
    sent: int | None = None


def recorded(data_dir: str | Path) -> str | None:
    """The push URL recorded in the data directory (read-only: a run that pushes nowhere writes nothing)."""
    if not (Path(data_dir) / store.DB_NAME).exists():
        return None
    con = store.connect(data_dir, readonly=True)
    try:
        return store.get_state(con, "push")
    finally:
        con.close()


def sync(data_dir: str | Path, url: str | None = None, *, forget: bool = False) -> Pushed | None:
    """Replace this data directory's named graph in the store at url (or the recorded one) unless it already holds
    the committed generation; records the URL and, only on success, what was pushed. The caller holds the ingest lock."""
    if not (Path(data_dir) / store.DB_NAME).exists():
        return None
    con = store.connect(data_dir)
    try:
        if forget:
            con.execute("DELETE FROM state WHERE key IN ('push', 'pushed')")
            return None
        if url:
            store.set_state(con, "push", url)
        url = store.get_state(con, "push")
        if not url:
            return None
        done = Pushed(url, graph_iri(con), int(store.get_state(con, "generation", "0")))
        if json.loads(store.get_state(con, "pushed") or "{}") == {"url": url, "graph": done.graph, "generation": done.generation}:
            done.sent = 0
            return done
        done.sent = push(con, url, graph_iri=done.graph)
        store.set_state(con, "pushed", json.dumps({"url": url, "graph": done.graph, "generation": done.generation}))
        return done
    finally:
        con.close()


def state(con: sqlite3.Connection) -> dict | None:
    """The recorded push (for `stats`): URL, named graph, generation held there and whether a push is pending; None if none."""
    url = store.get_state(con, "push")
    if not url:
        return None
    done = json.loads(store.get_state(con, "pushed") or "{}")
    held = done.get("generation") if done.get("url") == url else None
    graph = GRAPH_BASE + (store.get_state(con, "instance") or "?")
    return {"url": url, "graph": graph, "generation": held, "pending": held != int(store.get_state(con, "generation", "0"))}
