"""Read-only SPARQL over the export: Oxigraph on disk (graph/rdf_store.py) or a copy in memory, both kept current in place."""

from __future__ import annotations

import gc
import hashlib
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from councilkg.graph import rdf, rdf_store, store
from councilkg.graph.sparql_formats import GRAPH_FORMATS, RESULT_FORMATS, graph_bytes
from councilkg.graph.vocab import PREFIXES

CACHE_VERSION = "7"  # bump when the export's shape changes, so caches keyed by fingerprint() are not served
_open: dict[str, tuple[Path, ox.Store]] = {}  # data dir -> (snapshot, its read-only store): lookups, CLI queries
_memory: dict[str, "_Copy"] = {}  # data dir -> in-memory copy (the /sparql workers' queries)
_lock = threading.Lock()


class QueryError(Exception):
    """A SPARQL query that cannot be run: bad syntax, or something the endpoint does not allow."""


class UpdateRefused(QueryError):
    """SPARQL Update sent to a read-only graph."""


class ServiceRefused(QueryError):
    """A federated SERVICE call: the graph never reaches out to other endpoints."""


class QueryTimeout(QueryError):
    """The query ran past its time limit."""


@dataclass
class Result:
    """What a query gave: SELECT rows (pyoxigraph terms, None when unbound), an ASK boolean, or CONSTRUCT/DESCRIBE triples."""

    kind: str  # "select", "ask", "graph"
    vars: list[str] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)
    boolean: bool | None = None
    triples: list = field(default_factory=list)
    truncated: bool = False  # True when the row cap cut the answer short
    seconds: float = 0.0

    def __len__(self) -> int:
        return len(self.rows) if self.kind == "select" else len(self.triples) if self.kind == "graph" else 1

    def records(self) -> list[dict[str, str | None]]:
        """Rows as dicts of plain strings (IRIs and lexical forms), for templates and JSON APIs."""
        return [{v: (None if t is None else t.value) for v, t in zip(self.vars, row)} for row in self.rows]

    def serialize(self, fmt: str = "json") -> bytes:
        """W3C SPARQL 1.1 results as json, xml, csv, tsv, or a plain-text table; graph results as RDF."""
        formats = GRAPH_FORMATS if self.kind == "graph" else RESULT_FORMATS
        if fmt not in formats:
            kind = "graph" if self.kind == "graph" else "results"
            raise QueryError(f"unknown {kind} format {fmt!r} (choose from {', '.join(formats)})")
        return graph_bytes(self.triples, fmt) if self.kind == "graph" else RESULT_FORMATS[fmt][0](self)


def fingerprint(con) -> str:
    """What a per-generation cache of the graph depends on (graph/kg.py): the graph's generation (it moves with every commit
    and with follow-ups written after one: rdf_store.generation) and the vocabulary files; no table is counted, since a
    count is a scan of the corpus."""
    h = hashlib.sha256(CACHE_VERSION.encode())
    h.update(str(rdf_store.generation(con)).encode())
    for path in (rdf.ONTOLOGY, rdf.THEMES):
        h.update(path.read_bytes() if path.exists() else b"-")
    return h.hexdigest()[:16]


def open_store(data_dir: str | Path) -> ox.Store:
    """The current generation's snapshot on disk, read-only (lookups, `councilkg sparql`): opens in milliseconds, no load.

    Brought up to date first (graph/rdf_store.py: the change log replayed, or a build when there is no store)."""
    key = str(Path(data_dir).resolve())
    con = store.connect(data_dir, readonly=True)
    try:
        gen = rdf_store.generation(con)
    finally:
        con.close()
    with _lock:
        held = _open.get(key)
        snap = rdf_store.snapshot_path(data_dir, gen)
        if held is not None and held[0] == snap:
            return held[1]
        if not snap.is_dir():
            gen, snap = rdf_store.sync(data_dir)
        _open[key] = (snap, ox.Store.read_only(str(snap)))
        return _open[key][1]


@dataclass
class _Copy:
    generation: int
    fingerprint: str
    store: ox.Store


def memory_store(data_dir: str | Path) -> ox.Store:
    """The graph in this process's memory (whole-graph queries run 5-10x faster than on disk): loaded once, then kept
    current by replaying each new generation's changes, so the first query after an ingest costs what any query costs."""
    key = str(Path(data_dir).resolve())
    with _lock:
        con = store.connect(data_dir, readonly=True)
        try:
            con.execute("BEGIN")  # the generation and the rows replayed are of one state
            gen, fp = rdf_store.generation(con), rdf_store.fingerprint()
            held = _memory.get(key)
            if held is not None and held.fingerprint == fp and rdf_store.replayable(con, held.generation, gen):
                if held.generation != gen:
                    rdf_store.replay(held.store, con, rdf_store.changes(con, held.generation, gen))
                    held.generation = gen
                return held.store
            _memory.pop(key, None)  # the old copy goes before the new one is loaded
            gc.collect()
            st = ox.Store()
            rdf_store.load_all(st, con)
            _memory[key] = _Copy(gen, fp, st)
            return st
        finally:
            con.close()


def open_graph(data_dir: str | Path) -> Graph:
    """The export as an rdflib Dataset over the on-disk snapshot, its default graph the union (rdflib API, Rust speed)."""
    from oxrdflib import OxigraphStore
    from rdflib import Dataset

    from councilkg.graph.vocab import bind_prefixes

    return bind_prefixes(Dataset(store=OxigraphStore(store=open_store(data_dir)), default_union=True))


def _as_store(source) -> ox.Store:
    if isinstance(source, ox.Store):
        return source
    if isinstance(source, Graph):
        inner = getattr(source.store, "_inner", None)
        if isinstance(inner, ox.Store):
            return inner
        st = ox.Store()
        st.load(source.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
        return st
    return open_store(source)


_SKIP = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"\s]*>|#[^\n]*')
_SERVICE = re.compile(r"\bSERVICE\b", re.IGNORECASE)


def check_query(q: str) -> None:
    """Refuse updates and federated SERVICE calls before anything runs."""
    bare = _SKIP.sub(" ", q)
    if _SERVICE.search(bare):
        raise ServiceRefused("SERVICE (federated query) is not allowed here")


def refuse_or_raise(q: str, err: Exception) -> None:
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        parseUpdate(q)
    except Exception:
        msg = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise QueryError(f"SPARQL syntax error: {msg}") from None
    raise UpdateRefused("SPARQL Update is not allowed: the graph is read-only")


def query(source, q: str, *, limit: int | None = None, timeout: float | None = None) -> Result:
    """Run one SPARQL 1.1 query; source is a data dir, an rdflib Graph or a pyoxigraph Store. limit caps rows, timeout seconds.

    The time limit is checked while results stream; a single blocking step (a big ORDER BY) finishes before it is noticed."""
    check_query(q)
    st = _as_store(source)
    start = time.monotonic()
    prefixes = {p: str(ns) for p, ns in PREFIXES.items()}
    try:
        res = st.query(q, prefixes=prefixes, use_default_graph_as_union=True)  # every owner's graph
    except SyntaxError as err:
        refuse_or_raise(q, err)
    if isinstance(res, ox.QueryBoolean):
        return Result("ask", boolean=bool(res), seconds=time.monotonic() - start)
    out = Result("select" if isinstance(res, ox.QuerySolutions) else "graph")
    if out.kind == "select":
        out.vars = [v.value for v in res.variables]
    sink = out.rows if out.kind == "select" else out.triples
    width = len(out.vars)
    for n, item in enumerate(res):
        if limit is not None and n >= limit:
            out.truncated = True
            break
        if timeout is not None and n % 256 == 0 and time.monotonic() - start > timeout:
            raise QueryTimeout(f"query ran past its {timeout:g} s limit")
        sink.append(tuple(item[i] for i in range(width)) if out.kind == "select" else item)
    if timeout is not None and time.monotonic() - start > timeout:
        raise QueryTimeout(f"query ran past its {timeout:g} s limit")
    out.seconds = time.monotonic() - start
    return out
