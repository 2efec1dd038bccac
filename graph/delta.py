"""What a copy of the export at one generation must lose and gain to be the next: the changed owners' triples, from two snapshots.

Work and memory are proportional to the owners changed between the generations times their triples, never to the corpus:
each owner's graph is read from the old snapshot and the new one, and only their difference is kept. A triple an owner
dropped is deleted only if no graph of the new store still holds it (the remote copy is one graph: the union)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from councilkg.graph import rdf, rdf_store

BATCH = 500  # graphs per concept lookup


@dataclass
class Delta:
    """The triples to delete and to insert, and how many owners' graphs were compared."""

    delete: set = field(default_factory=set)
    insert: set = field(default_factory=set)
    owners: int = 0

    def __len__(self) -> int:
        return len(self.delete) + len(self.insert)


def between(data_dir: str | Path, con: sqlite3.Connection, since: int, gen: int) -> Delta:
    """The delta from generation `since` to `gen` (both snapshots on disk, the change log covering both)."""
    old = ox.Store.read_only(str(rdf_store.snapshot_path(data_dir, since)))
    new = ox.Store.read_only(str(rdf_store.snapshot_path(data_dir, gen)))
    graphs = [str(rdf.iri(kind, ident)) for kind, ident in rdf_store.changes(con, since, gen)]
    concepts: set[str] = set()
    for start in range(0, len(graphs), BATCH):  # undeclared concepts have graphs of their own, changed with their users
        part = graphs[start:start + BATCH]
        concepts |= rdf_store.concepts_in(old, part) | rdf_store.concepts_in(new, part)
    out = Delta()
    for g in [*graphs, *sorted(concepts - set(graphs))]:
        before, after = _graph(old, g), _graph(new, g)
        out.insert |= after - before
        out.delete |= {t for t in before - after if next(new.quads_for_pattern(t.subject, t.predicate, t.object, None), None) is None}
        out.owners += 1
    return out


def _graph(st: ox.Store, graph: str) -> set:
    return {q.triple for q in st.quads_for_pattern(None, None, None, ox.NamedNode(graph))}


def has_blank_nodes(delta: Delta) -> bool:
    """SPARQL's DELETE DATA cannot name a blank node: such a delta is sent as a whole replacement instead."""
    return any(isinstance(term, ox.BlankNode) for t in (*delta.delete, *delta.insert) for term in (t.subject, t.object))


def update(delta: Delta, graph: str, marker: tuple[str, str] | None = None) -> bytes:
    """One SPARQL 1.1 Update request (one transaction in the store): delete, insert, and the marker graph rewritten."""
    parts = []
    for verb, triples in (("DELETE", delta.delete), ("INSERT", delta.insert)):
        if triples:
            body = "".join(f"{t.subject} {t.predicate} {t.object} .\n" for t in triples)
            parts.append(f"{verb} DATA {{ GRAPH <{graph}> {{\n{body}}} }}")
    if marker:
        parts.append(f"DROP SILENT GRAPH <{marker[0]}>")
        parts.append(f"INSERT DATA {{ GRAPH <{marker[0]}> {{ {marker[1]} }} }}")
    return " ;\n".join(parts).encode("utf-8")
