"""Read-only SPARQL over the export: Oxigraph, cached on disk per database generation and queried from an in-memory copy."""

from __future__ import annotations

import gc
import hashlib
import os
import re
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from councilkg.graph import rdf, store
from councilkg.graph.sparql_formats import GRAPH_FORMATS, RESULT_FORMATS, graph_bytes
from councilkg.graph.vocab import PREFIXES

CACHE_VERSION = "6"  # bump when the export's shape changes, so old cached stores are not served
KEEP = 2  # cached generations kept on disk: the newest and the one a serving process may still hold
STORE, TRIPLES = "store", "triples.nt"  # in each generation's cache dir: the on-disk store and the export it was loaded from
_open: dict[str, ox.Store] = {}  # cache dir -> on-disk store (lookups: linked data, the server)
_memory: dict[str, ox.Store] = {}  # cache dir -> in-memory copy (SPARQL queries)
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
    """What the cached store depends on: the generation, table sizes, and the shipped vocabulary files."""
    h = hashlib.sha256(CACHE_VERSION.encode())
    h.update(str(store.get_state(con, "generation", "0")).encode())
    for table in ("documents", "councils", "meetings", "points", "actions", "inspections", "judgements",
                  "interventions", "practices", "mentions", "point_themes", "item_themes"):
        h.update(f"{table}={con.execute(f'SELECT count(*) FROM {table}').fetchone()[0]};".encode())
    h.update(str(con.execute("SELECT max(ingested_at) FROM documents").fetchone()[0]).encode())
    for path in (rdf.ONTOLOGY, rdf.THEMES):
        h.update(path.read_bytes() if path.exists() else b"-")
    return h.hexdigest()[:16]


def cache_dir(data_dir: str | Path, con) -> Path:
    gen = store.get_state(con, "generation", "0")
    return Path(data_dir) / "rdf" / f"gen-{gen}-{fingerprint(con)}"


def _build(data_dir: Path, con, final: Path) -> None:
    """Write the export once as N-Triples and bulk-load it on disk, in a temp dir renamed into place (atomic; losers of a race discard theirs)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=final.parent))
    try:
        with open(tmp / TRIPLES, "w", encoding="utf-8") as out:
            for chunk in rdf.ntriples(con):
                out.write(chunk)
        st = ox.Store(str(tmp / STORE))
        st.bulk_load(path=str(tmp / TRIPLES), format=ox.RdfFormat.N_TRIPLES)
        st.flush()
        del st
        gc.collect()
        os.chmod(tmp, 0o755)  # mkdtemp made it private; the cache is as readable as the data dir
        os.rename(tmp, final)
    except OSError:
        if not final.exists():
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _prune(final)


def _prune(keep: Path) -> None:
    gens = sorted((p for p in keep.parent.glob("gen-*") if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in gens[KEEP:]:
        if old != keep and str(old) not in _open and str(old) not in _memory:
            shutil.rmtree(old, ignore_errors=True)


def _current(data_dir: str | Path, held: dict, make) -> ox.Store:
    """This generation's store from `held`, made (and the cache built) on first use; older generations are let go."""
    con = store.connect(data_dir, readonly=True)
    try:
        with _lock:
            path = cache_dir(data_dir, con)
            if str(path) not in held:
                if not (path / TRIPLES).exists():
                    _build(Path(data_dir), con, path)
                for stale in [k for k in held if Path(k).parent == path.parent]:
                    del held[stale]
                held[str(path)] = make(path)
            return held[str(path)]
    finally:
        con.close()


def open_store(data_dir: str | Path) -> ox.Store:
    """The read-only on-disk Oxigraph store of the database's current state, for lookups: cheap to open, slower to query."""
    return _current(data_dir, _open, lambda path: ox.Store.read_only(str(path / STORE)))


def _load_memory(path: Path) -> ox.Store:
    st = ox.Store()
    st.load(path=str(path / TRIPLES), format=ox.RdfFormat.N_TRIPLES)
    return st


def memory_store(data_dir: str | Path) -> ox.Store:
    """The current state in memory, loaded once per generation per process from the cached N-Triples (about 5-10x faster queries than on disk)."""
    return _current(data_dir, _memory, _load_memory)


def open_graph(data_dir: str | Path) -> Graph:
    """The export as an rdflib Graph over the cached Oxigraph store (rdflib API, Rust speed)."""
    from oxrdflib import OxigraphStore
    from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

    from councilkg.graph.vocab import bind_prefixes

    return bind_prefixes(Graph(store=OxigraphStore(store=open_store(data_dir)), identifier=DATASET_DEFAULT_GRAPH_ID))


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
    return memory_store(source)


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
        res = st.query(q, prefixes=prefixes)
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
