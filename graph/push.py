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

from councilkg.graph import delta, rdf, rdf_store, store
from councilkg.graph.instance import instance_id
from councilkg.graph.vocab import PREFIXES


class PushError(Exception):
    """The SPARQL store refused the graph or could not be reached."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status  # the HTTP status of a refusal; None when the store was not reached


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


# Triples per request of a whole push: the store holds a request's triples in memory until it commits them (Oxigraph
# 0.5.13 took 15 GB for the 10 M triples of a 1M-point graph sent as one PUT, and was killed), so a big graph goes as a
# PUT of the first part and POSTs of the rest (the export has no blank nodes, which could not span two requests).
CHUNK_TRIPLES = 250_000


def push(source: Graph | str | Path | sqlite3.Connection, url: str, graph_iri: str | None = None,
         replace: bool = True, timeout: float = 600.0, chunk: int = CHUNK_TRIPLES) -> int:
    """Load the export into a Graph Store endpoint (e.g. Oxigraph's /store): PUT replaces the graph, POST (replace=False)
    adds; a graph of more than `chunk` triples goes in several requests, each spooled to disk. Returns triples sent."""
    if not urllib.parse.urlsplit(url).scheme in ("http", "https"):
        raise PushError(f"{url}: not an http(s) Graph Store endpoint")
    target = _target(url, graph_iri)
    with tempfile.TemporaryFile() as body:  # spooled to disk: a part never sits in memory twice
        parts = _Parts(body, lambda method, size: _send(url, target, body, method, "application/n-triples", size, timeout),
                       "PUT" if replace else "POST", chunk)
        if isinstance(source, Graph):  # already in memory, and may hold blank nodes: one write, so one request
            data = source.serialize(format="nt", encoding="utf-8")
            parts.write(data)
            n = data.count(b" .\n")
        else:
            n = export(source, "nt", parts)
        parts.close()
    return n


class _Parts:
    """The stream a push writes N-Triples to: what it holds is sent each time `chunk` triples are held and at close, the
    first request a PUT (when replacing) and the rest POSTs; one write is never split across two requests."""

    def __init__(self, body: IO[bytes], send, method: str, chunk: int):
        self.body, self.send, self.method, self.chunk, self.held = body, send, method, chunk, 0

    def write(self, data: bytes) -> None:
        self.body.write(data)
        self.held += data.count(b" .\n")
        if self.held >= self.chunk:
            self._flush()

    def close(self) -> None:
        if self.held or self.method == "PUT":  # the last part; an empty graph still replaces
            self._flush()

    def _flush(self) -> None:
        size = self.body.tell()
        self.body.seek(0)
        self.send(self.method, size)
        self.body.seek(0)
        self.body.truncate()
        self.method, self.held = "POST", 0  # the rest is added to what the first request replaced


def _send(url: str, target: str, body, method: str, media: str | None = None, size: int | None = None,
          timeout: float = 600.0, accept: str | None = None) -> bytes:
    """One HTTP request to the store; a refusal or an unreachable store is one PushError naming url."""
    headers = {"Content-Type": media, "Content-Length": str(size)} if media else {}
    req = urllib.request.Request(target, data=body, method=method, headers={**headers, **({"Accept": accept} if accept else {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.read()
    except urllib.error.HTTPError as err:
        detail = err.read(300).decode("utf-8", "replace").strip().splitlines()
        raise PushError(f"{url}: HTTP {err.code} {err.reason}{': ' + detail[0] if detail else ''}", err.code) from None
    except (urllib.error.URLError, OSError) as err:
        raise PushError(f"{url}: {getattr(err, 'reason', err)}") from None


# ---- a data directory's own named graph in a shared store (`ingest/harvest --push URL`) ------------------------

GRAPH_BASE = "https://w3id.org/councilkg/graph/"


def graph_iri(con: sqlite3.Connection) -> str:
    """The named graph this data directory owns in any store it pushes to: one per data directory, never another's."""
    return GRAPH_BASE + instance_id(con)


MARK_BASE = "https://w3id.org/councilkg/push/"  # outside GRAPH_BASE: readers never count it among the data's graphs
VERSION = "http://purl.org/dc/terms/hasVersion"


@dataclass
class Pushed:
    """Where the committed generation went: triples sent (0 when the store already held it), and the generation the
    store held before when only the changes since it were sent (None: the whole graph was replaced)."""

    url: str
    graph: str
    generation: int
    sent: int | None = None
    since: int | None = None


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
    """Bring this data directory's named graph in the store at url (or the recorded one) to the committed generation:
    the changes since the generation the store holds when they can be computed, else the whole graph. Records the URL
    and, only on success, what was pushed. The caller holds the ingest lock."""
    if not (Path(data_dir) / store.DB_NAME).exists():
        return None
    con = store.connect(data_dir)
    try:
        if forget:
            con.execute("DELETE FROM state WHERE key IN ('push', 'pushed', ?)", (rdf_store.PIN,))
            return None
        if url:
            store.set_state(con, "push", url)
        url = store.get_state(con, "push")
        if not url:
            return None
        done = Pushed(url, graph_iri(con), rdf_store.generation(con))
        if json.loads(store.get_state(con, "pushed") or "{}") == {"url": url, "graph": done.graph, "generation": done.generation}:
            done.sent = 0
            return done
        if _changes(data_dir, con, done) is None:
            done.since = None
            rdf_store.pin(con, {done.generation})
            _replace(con, done)
        store.set_state(con, "pushed", json.dumps({"url": url, "graph": done.graph, "generation": done.generation}))
        rdf_store.pin(con, {done.generation})  # the next push diffs from this generation's snapshot
        return done
    finally:
        con.close()


def _changes(data_dir, con: sqlite3.Connection, done: Pushed) -> int | None:
    """Send only what changed since the generation the store's graph holds (its marker says which); None when that
    cannot be done: no marker, another fingerprint, the log or the snapshot gone, no update endpoint, or refused."""
    gen, _ = rdf_store.sync(data_dir)  # this generation's snapshot, which the next push diffs from
    held, update_url = _held(done.url, done.graph), update_endpoint(done.url)
    if gen != done.generation or held is None or update_url is None or held > gen or not rdf_store.replayable(con, held, gen) \
            or not rdf_store.snapshot_path(data_dir, held).is_dir():
        return None
    done.since, done.sent = held, 0
    if held == gen:
        return 0  # the last push reached the store but was not recorded (killed, or the answer lost)
    rdf_store.pin(con, {held, gen})  # until recorded, the store holds one or the other
    d = delta.between(data_dir, con, held, gen)
    if delta.has_blank_nodes(d):
        return None
    body = delta.update(d, done.graph, (_mark_graph(done.graph), _marker(done.graph, gen)))
    try:
        _send(done.url, update_url, body, "POST", "application/sparql-update", len(body))
    except PushError as e:
        if e.status is None:
            raise
        return None  # an endpoint refusing updates: the whole graph instead
    done.sent = len(d)
    return done.sent


def _replace(con: sqlite3.Connection, done: Pushed) -> None:
    """The whole graph by one PUT; its marker is removed first and written after, so a kill between leaves none."""
    mark = _target(done.url, _mark_graph(done.graph))
    try:
        _send(done.url, mark, None, "DELETE")
    except PushError as e:
        if e.status != 404:
            raise
    done.sent = push(con, done.url, graph_iri=done.graph)
    body = (_marker(done.graph, done.generation) + "\n").encode("utf-8")
    _send(done.url, mark, body, "PUT", "application/n-triples", len(body))


def _mark_graph(graph: str) -> str:
    return MARK_BASE + graph[len(GRAPH_BASE):]


def _marker(graph: str, gen: int) -> str:
    """The triple saying which generation (of which store format and vocabulary) the graph holds."""
    return f'<{graph}> <{VERSION}> "{gen} {rdf_store.fingerprint()}" .'


def _held(url: str, graph: str) -> int | None:
    """The generation the store's graph holds by its marker, if of this fingerprint; None when absent or unreadable."""
    try:
        text = _send(url, _target(url, _mark_graph(graph)), None, "GET", accept="application/n-triples")
    except PushError as e:
        if e.status is None:
            raise  # the store is down: the push fails as a whole
        return None
    import pyoxigraph as ox

    for t in ox.parse(text, format=ox.RdfFormat.N_TRIPLES):
        gen, _, fp = t.object.value.partition(" ")
        if t.predicate.value == VERSION and t.subject.value == graph and fp == rdf_store.fingerprint() and gen.isdigit():
            return int(gen)
    return None


def update_endpoint(url: str) -> str | None:
    """The store's SPARQL Update endpoint beside its Graph Store one: Oxigraph's /store and Fuseki's /data become /update."""
    parts = urllib.parse.urlsplit(url)
    for tail in ("/store", "/data"):
        if parts.path.endswith(tail):
            return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path[:-len(tail)] + "/update", "", ""))
    return None


def state(con: sqlite3.Connection) -> dict | None:
    """The recorded push (for `stats`): URL, named graph, generation held there and whether a push is pending; None if none."""
    url = store.get_state(con, "push")
    if not url:
        return None
    done = json.loads(store.get_state(con, "pushed") or "{}")
    held = done.get("generation") if done.get("url") == url else None
    graph = GRAPH_BASE + (store.get_state(con, "instance") or "?")
    return {"url": url, "graph": graph, "generation": held, "pending": held != rdf_store.generation(con)}
