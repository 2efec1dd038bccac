"""The export in Oxigraph, kept current in place: each document, meeting, council and undeclared concept in its own named graph.

Layout under <data>/rdf/ (only the process holding rdf/.lock writes any of it):
  store/        the primary store, opened read-write only by the updater
  state.json    what the primary reflects: {"format", "generation"}, rewritten after each update is flushed
  snap-<gen>/   an immutable checkpoint of the primary at generation gen (RocksDB hard links, cheap), which readers
                open read-only: a reader never sees the primary mid-update, and the updater never waits for a reader

Each commit writes which documents, meetings and councils it changed into SQLite's change log (graph/store.py,
triggers, same transaction). An update replays only those owners: drop its graph, write its triples afresh from
SQLite. A replay is idempotent, so a crash anywhere leaves either the old state.json (replayed again) or the new
one. The store is rebuilt only when missing, of another format, or behind by more than the log holds.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote

import pyoxigraph as ox

from councilkg.graph import rdf, store
from councilkg.graph.vocab import BASE

FORMAT = "6"  # bump when what the store holds or how it is laid out changes: an older store is rebuilt
SNAP_KEEP = 2  # snapshots kept: the newest and the one a serving process may still be reading
PIN = "rdf_pin"  # state: generations whose snapshots are kept past SNAP_KEEP (the one a remote store holds: push diffs from it)
STORE, STATE, LOCK = "store", "state.json", ".lock"
_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_VOCAB = ox.NamedNode(rdf.VOCABULARY)
_CONCEPTS = tuple(f"{BASE}{kind}/" for kind in rdf.CONCEPT_KINDS)


def fingerprint() -> str:
    """What a store's content depends on besides the data: this format and the shipped vocabulary files."""
    h = hashlib.sha256(FORMAT.encode())
    for path in (rdf.ONTOLOGY, rdf.THEMES):
        h.update(path.read_bytes() if path.exists() else b"-")
    return f"{FORMAT}-{h.hexdigest()[:12]}"


def generation(con: sqlite3.Connection) -> int:
    """The RDF generation (graph/store.py): the data's generation, moved again by derived rows written after its commit."""
    return int(store.get_state(con, "rdf_generation", None) or store.get_state(con, "generation", "0"))


# ---- the change log ---------------------------------------------------------------------------------------------

def replayable(con: sqlite3.Connection, since: int, gen: int) -> bool:
    """Whether the change log still holds every generation after `since` up to `gen`."""
    try:
        start = int(store.get_state(con, "rdf_log_since") or gen + 1)
    except sqlite3.OperationalError:
        return False
    return max(start, gen - store.LOG_KEEP) <= since <= gen


def changes(con: sqlite3.Connection, since: int, gen: int) -> list[tuple[str, str]]:
    """(kind, id) of every council, meeting and document written or deleted after generation `since` up to `gen`."""
    return con.execute("SELECT DISTINCT kind, id FROM rdf_log WHERE generation > ? AND generation <= ? ORDER BY kind, id",
                       (since, gen)).fetchall()


# ---- writing a store: in full, or only what changed -------------------------------------------------------------

def load_all(st: ox.Store, con: sqlite3.Connection, bulk: bool = False) -> None:
    """The whole export into an empty store, each triple in its owner's graph (bulk: straight to disk files)."""
    rdf.load_chunks(st.bulk_load if bulk else st.load, rdf.owned_nquads(con), ox.RdfFormat.N_QUADS)


def replay(st: ox.Store, con: sqlite3.Connection, owners: Iterable[tuple[str, str]], batch: int = 500) -> int:
    """Rewrite each owner's graph from SQLite (gone from SQLite: its graph goes), then the concepts those graphs used.

    A few transactions per `batch` owners (drop, then load), not one per owner: each transaction costs a disk write."""
    owners = list(owners)
    for start in range(0, len(owners), batch):
        part = owners[start:start + batch]
        graphs = [str(rdf.iri(kind, ident)) for kind, ident in part]
        concepts = concepts_in(st, graphs)
        st.update("".join(f"DROP SILENT GRAPH <{g}> ;\n" for g in graphs))
        quads = (rdf.in_graph(rdf.owned_ntriples(con, kind, ident), g) for (kind, ident), g in zip(part, graphs))
        rdf.load_chunks(st.load, quads, ox.RdfFormat.N_QUADS)
        for concept in concepts | concepts_in(st, graphs):
            _declare_if_used(st, concept)
    return len(owners)


def concepts_in(st: ox.Store, graphs: list[str]) -> set[str]:
    """The concepts (themes, grades, inspection and intervention types) these graphs link to."""
    starts = " || ".join(f'STRSTARTS(STR(?o), "{prefix}")' for prefix in _CONCEPTS)
    q = (f"SELECT DISTINCT ?o WHERE {{ VALUES ?g {{ {' '.join(f'<{g}>' for g in graphs)} }} GRAPH ?g {{ ?s ?p ?o }} "
         f"FILTER(isIRI(?o) && ({starts})) }}")
    return {row[0].value for row in st.query(q)}


def _declare_if_used(st: ox.Store, concept: str) -> None:
    """A concept no shipped scheme declares has its own graph declaring it exactly while some data links to it."""
    node = ox.NamedNode(concept)
    if next(st.quads_for_pattern(node, _TYPE, None, _VOCAB), None) is not None:
        return
    used = any(q.graph_name != _VOCAB for q in st.quads_for_pattern(None, None, node))
    st.remove_graph(node)
    if used:
        kind, _, ident = concept[len(BASE):].partition("/")
        st.load(rdf.concept_ntriples(kind, unquote(ident)).encode("utf-8"), format=ox.RdfFormat.N_TRIPLES, to_graph=node)


# ---- the on-disk primary and its snapshots ------------------------------------------------------------------------

def rdf_dir(data_dir: str | Path) -> Path:
    return Path(data_dir) / "rdf"


def snapshot_path(data_dir: str | Path, gen: int) -> Path:
    """Named by generation and fingerprint, so a reader never opens a snapshot of another format or vocabulary."""
    return rdf_dir(data_dir) / f"snap-{gen}-{fingerprint()}"


def recorded(data_dir: str | Path) -> dict | None:
    """What the primary store reflects, or None when there is none this code can update."""
    root = rdf_dir(data_dir)
    try:
        state = json.loads((root / STATE).read_text())
    except (OSError, ValueError):
        return None
    ok = state.get("fingerprint") == fingerprint() and (root / STORE).is_dir()
    return state if ok else None


class Busy(Exception):
    """Another process is updating the store."""


@contextmanager
def _locked(root: Path, wait: bool):
    root.mkdir(parents=True, exist_ok=True)
    with open(root / LOCK, "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy(f"{root}: another process is updating the RDF store") from None
        yield


def sync(data_dir: str | Path, *, build: bool = True, wait: bool = True) -> tuple[int, Path] | None:
    """Bring the primary to the database's generation and snapshot it; returns (generation, snapshot).

    Replays the change log when it can; otherwise rebuilds, unless build=False (then None: the next reader builds).
    wait=False: None at once when another process holds the store (it will leave it current, or the next reader will)."""
    root = rdf_dir(data_dir)
    if not build and recorded(data_dir) is None:
        return None
    try:
        with _locked(root, wait):
            con = store.connect(data_dir, readonly=True)
            try:
                con.execute("BEGIN")  # one consistent state of the database for the whole update
                return _sync(data_dir, root, con, build)
            finally:
                con.close()
    except Busy:
        return None


def _sync(data_dir, root: Path, con: sqlite3.Connection, build: bool) -> tuple[int, Path] | None:
    gen = generation(con)
    state = recorded(data_dir)
    snap = snapshot_path(data_dir, gen)
    if state is not None and state["generation"] == gen and snap.is_dir():
        return gen, snap
    if state is None or not replayable(con, state["generation"], gen):
        if not build:
            return None
        _rebuild(root, con, gen)
        state = {"generation": gen}
    st = ox.Store(str(root / STORE))
    try:
        if state["generation"] != gen:
            replay(st, con, changes(con, state["generation"], gen))
            st.flush()
            _mark(root, gen)
        if not snap.is_dir():
            tmp = root / f".snap-{os.getpid()}"
            shutil.rmtree(tmp, ignore_errors=True)
            st.backup(str(tmp))
            os.rename(tmp, snap)
    finally:
        del st
    _prune(root, snap, pinned(con))
    return gen, snap


def _rebuild(root: Path, con: sqlite3.Connection, gen: int) -> None:
    """The whole store afresh beside the old one, then swapped in; state.json goes first so a crash mid-swap rebuilds."""
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=root))
    st = ox.Store(str(tmp / STORE))
    load_all(st, con, bulk=True)
    st.flush()
    del st
    (root / STATE).unlink(missing_ok=True)
    shutil.rmtree(root / STORE, ignore_errors=True)
    os.rename(tmp / STORE, root / STORE)
    shutil.rmtree(tmp, ignore_errors=True)
    _mark(root, gen)


def _mark(root: Path, gen: int) -> None:
    tmp = root / f".{STATE}.{os.getpid()}"
    tmp.write_text(json.dumps({"fingerprint": fingerprint(), "generation": gen}))
    store.replace_file(tmp, root / STATE)


def pin(con: sqlite3.Connection, gens: Iterable[int]) -> None:
    """Keep these generations' snapshots (this fingerprint's) until the pin moves: a caller will diff from them."""
    store.set_state(con, PIN, json.dumps(sorted(set(gens))))


def pinned(con: sqlite3.Connection) -> set[int]:
    return set(json.loads(store.get_state(con, PIN) or "[]"))


def _prune(root: Path, keep: Path, pins: set[int] = frozenset()) -> None:
    """Older snapshots past SNAP_KEEP but the pinned ones, unfinished builds of killed runs, and older versions' caches."""
    snaps = sorted(root.glob("snap-*"), key=lambda p: (int(p.name.split("-")[1]), p.stat().st_mtime))
    kept = {keep.name, *(f"snap-{g}-{fingerprint()}" for g in pins)}
    for old in [*snaps[:-SNAP_KEEP], *root.glob(".build-*"), *root.glob(".snap-*"), *root.glob("gen-*")]:
        if old.name not in kept:
            shutil.rmtree(old, ignore_errors=True)
