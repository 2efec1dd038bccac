"""The export leaving the process: to a file or stream, or into any SPARQL 1.1 Graph Store Protocol endpoint."""

from __future__ import annotations

import json
import sqlite3
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from rdflib import Graph

from councilkg.graph import delta, rdf, rdf_store, store
from councilkg.graph.instance import instance_id
from councilkg.graph.push_parts import Diverged, Parts, snapshot_stream
from councilkg.graph.vocab import PREFIXES


class PushError(Exception):
    """The SPARQL store refused the graph or could not be reached."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status  # the HTTP status of a refusal; None when the store was not reached


def export(source: str | Path | sqlite3.Connection, fmt: str, out: IO[bytes]) -> int:
    """Write the whole export (data dir or connection) to a binary stream; N-Triples streams, turtle/jsonld go through pyoxigraph. Returns triples."""
    import pyoxigraph as ox

    rdf.media_type(fmt)  # unknown formats fail before any work
    mine = not isinstance(source, sqlite3.Connection)
    con = store.connect(source, readonly=True) if mine else source
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
    with tempfile.TemporaryFile() as body:  # spooled to disk: a part never sits in memory twice
        whole = isinstance(source, Graph)  # already in memory, and may hold blank nodes: one request
        parts = Parts(body, _sender(url, _target(url, graph_iri), body, timeout), "PUT" if replace else "POST",
                      1 << 62 if whole else chunk)
        if whole:
            parts.write(source.serialize(format="nt", encoding="utf-8"))
        else:
            export(source, "nt", parts)
        parts.close()
    return parts.sent


def _sender(url: str, target: str, body: IO[bytes], timeout: float = 600.0):
    """What `Parts` calls to send the part in body to one graph."""
    return lambda method, size: _send(url, target, body, method, "application/n-triples", size, timeout)


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
READERS_TTL_S = 10.0  # how long a stateless reader keeps its list of graphs (web/graph_store.py)
PARTIAL = MARK_BASE + "partsHeld"  # a whole push under way: "<generation> <fingerprint> <chunk> <parts> <sha1 of their bytes>"


@dataclass
class Pushed:
    """Where the committed generation went: triples sent (0 when the store already held it), the generation the
    store held before when only the changes since it were sent (None: the whole graph was replaced), and, when a whole
    push an earlier run left unfinished was completed first, its generation and the parts the store already held."""

    url: str
    graph: str
    generation: int
    sent: int | None = None
    since: int | None = None
    resumed: tuple[int, int] | None = None


def recorded(data_dir: str | Path) -> str | None:
    """The push URL recorded in the data directory (read-only: a run that pushes nowhere writes nothing)."""
    if not (Path(data_dir) / store.DB_NAME).exists():
        return None
    con = store.connect(data_dir, readonly=True)
    try:
        return store.get_state(con, "push")
    finally:
        con.close()


def sync(data_dir: str | Path, url: str | None = None, *, forget: bool = False, chunk: int = CHUNK_TRIPLES,
         settle: float = READERS_TTL_S) -> Pushed | None:
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
            _whole(data_dir, done, done.generation, chunk, settle=settle)
        store.set_state(con, "pushed", json.dumps({"url": url, "graph": done.graph, "generation": done.generation}))
        rdf_store.pin(con, {done.generation})  # the next push diffs from this generation's snapshot
        return done
    finally:
        con.close()


def _changes(data_dir, con: sqlite3.Connection, done: Pushed) -> int | None:
    """Send only what changed since the generation the store's graph holds (its marker says which), after finishing a
    whole push left unfinished; None when that cannot be done: no marker, another fingerprint, the log or the snapshot
    gone, no update endpoint, or refused."""
    gen, _ = rdf_store.sync(data_dir)  # this generation's snapshot, which the next push diffs from
    (held, partial), update_url = marker_holds(done.url, done.graph), update_endpoint(done.url)
    done.sent = 0
    if partial and partial[0] <= gen and rdf_store.snapshot_path(data_dir, partial[0]).is_dir() and \
            (partial[0] == gen or (update_url and rdf_store.replayable(con, partial[0], gen))):
        rdf_store.pin(con, {partial[0], gen})  # the store holds part of the one, and is brought to the other
        try:
            _whole(data_dir, done, partial[0], partial[1], resume=partial[2:])
            held, done.resumed = partial[0], (partial[0], partial[2])
        except Diverged:
            pass
    if gen != done.generation or held is None or update_url is None or held > gen or not rdf_store.replayable(con, held, gen) \
            or not rdf_store.snapshot_path(data_dir, held).is_dir():
        return None
    done.since = held
    if held == gen:
        return done.sent  # the last push reached the store but was not recorded (killed, or the answer lost)
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
    done.sent += len(d)
    return done.sent


def _whole(data_dir, done: Pushed, gen: int, chunk: int, resume: tuple[int, str] | None = None,
           settle: float = 0.0) -> None:
    """Generation gen's whole graph from its snapshot, in parts; the marker records the parts the store holds (a kill
    or refusal leaves it saying how far the push got; readers leave such a graph out) and the generation once all are
    held. resume: (parts, sha1) already held, checked against the stream and not sent again (Diverged: they differ)."""
    mark = _target(done.url, _mark_graph(done.graph))
    if resume is None:
        try:
            _send(done.url, mark, None, "DELETE")
        except PushError as e:
            if e.status != 404:
                raise

    def held(parts: int, sha1: str) -> None:
        _put_mark(done.url, mark, f'<{done.graph}> <{PARTIAL}> "{gen} {rdf_store.fingerprint()} {chunk} {parts} {sha1}" .')
        if parts == 0 and resume is None:
            time.sleep(settle)  # readers' cached lists of graphs drop this one before its first part replaces it

    snap = rdf_store.snapshot_path(data_dir, gen)  # built by _changes' rdf_store.sync, or checked there when resumed
    with tempfile.TemporaryFile() as body:
        skip, expect = resume or (0, None)
        parts = Parts(body, _sender(done.url, _target(done.url, done.graph), body), "PUT", chunk, skip=skip, expect=expect,
                      on_part=held)
        snapshot_stream(snap, parts)
        parts.close()
    done.sent += parts.sent
    _put_mark(done.url, mark, _marker(done.graph, gen))


def _put_mark(url: str, mark: str, triple: str) -> None:
    body = (triple + "\n").encode("utf-8")
    _send(url, mark, body, "PUT", "application/n-triples", len(body))


def _mark_graph(graph: str) -> str:
    return MARK_BASE + graph[len(GRAPH_BASE):]


def _marker(graph: str, gen: int) -> str:
    """The triple saying which generation (of which store format and vocabulary) the graph holds."""
    return f'<{graph}> <{VERSION}> "{gen} {rdf_store.fingerprint()}" .'


def marker_holds(url: str, graph: str) -> tuple[int | None, tuple | None]:
    """What the store's graph holds by its marker, if of this fingerprint: the generation, or else how far a whole push
    got (generation, chunk, parts, sha1); Nones when absent or unreadable."""
    try:
        text = _send(url, _target(url, _mark_graph(graph)), None, "GET", accept="application/n-triples")
    except PushError as e:
        if e.status is None:
            raise  # the store is down: the push fails as a whole
        return None, None
    import pyoxigraph as ox

    gen, partial = None, None
    for t in ox.parse(text, format=ox.RdfFormat.N_TRIPLES):
        words = t.object.value.split(" ")
        if t.subject.value != graph or len(words) < 2 or words[1] != rdf_store.fingerprint() or not words[0].isdigit():
            continue
        if t.predicate.value == VERSION and len(words) == 2:
            gen = int(words[0])
        elif t.predicate.value == PARTIAL and len(words) == 5 and words[2].isdigit() and words[3].isdigit():
            partial = (int(words[0]), int(words[2]), int(words[3]), words[4])
    return gen, (None if gen is not None else partial)


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
