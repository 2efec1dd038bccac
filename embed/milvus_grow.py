"""A data directory's Milvus collections grown in place by each ingest, and the generation readers see published after its commit.

Rows carry the generation that added them and the one that retired them (milvus.LIVE while none has); a reader of
generation G filters `gen_added <= G and gen_retired > G` (milvus.live), so rows written for a generation not yet
committed, or retired by it, change nothing it sees. The generation every stateless reader uses is the points
collection's property `ckg.generation` (with its counts), set only after the database commit; a data directory's own
Searcher reads it from its database. Rows retired before the previous generation are deleted by the next ingest, when
no reader can still be on a generation that holds them. Not yet whole: a retirement is a partial upsert of a row readers
see (Milvus: delete + insert), so a search running meanwhile can see a mixture (docs/milvus-in-place.md, Not done)."""

from __future__ import annotations

import sqlite3

from councilkg.embed import milvus as mv
from councilkg.embed import milvus_build as mb

CHUNK = 1_000  # ids per `in [...]` expression
PUBLISHED = ("generation", "points", "passages", "length")  # the properties `publish` sets


def _set_retired(client, uri: str, name: str, key: str, keys: list[int], gen: int) -> int:
    """Set gen_retired of the rows `keys` (partial upserts: nothing else of the rows is sent); their count."""
    for start in range(0, len(keys), mb.BATCH_ROWS):
        rows = [{key: k, "gen_retired": gen} for k in keys[start:start + mb.BATCH_ROWS]]
        mv.call(uri, f"refused rows of {name}", client.upsert, name, rows, partial_update=True)
    return len(keys)


def _delete(client, uri: str, name: str, expr: str) -> int:
    """Delete the rows matching `expr`; their count (counted first: a delete by filter does not say)."""
    n = mv.call(uri, f"cannot read {name}", client.query, name, filter=expr, output_fields=["count(*)"])[0]["count(*)"]
    if n:
        mv.call(uri, f"cannot delete rows of {name}", client.delete, name, filter=expr)
    return int(n)


def grow(con: sqlite3.Connection, uri: str, gen: int, before: dict, change) -> dict:
    """Generation `gen` written into the collections `before` (the committed generation's info) names: crash leftovers
    undone, rows retired before gen - 2 deleted, `change.retired` retired and `change.added` added. The caller commits."""
    client = mv.connect(uri)
    pname = mv.collection(before["instance"], before["base"])
    qname = mv.passages_of(pname)
    committed = gen - 1
    deleted = 0
    for name, key in ((pname, "pos"), (qname, "id")):
        mv.call(uri, f"cannot load {name}", client.load_collection, name)
        # what an interrupted run wrote for a generation never committed: its rows go, its retirements are undone
        deleted += _delete(client, uri, name, f"gen_added > {committed}")
        undo = [r[key] for r in mv.rows(client, uri, name, f"gen_retired > {committed} and gen_retired < {mv.LIVE}", [key])]
        _set_retired(client, uri, name, key, undo, mv.LIVE)
        deleted += _delete(client, uri, name, f"gen_retired <= {committed - 1}")  # no reader can be on a generation holding them
    gone = sorted(change.retired)
    old: list[dict] = []
    for start in range(0, len(gone), CHUNK):
        old += mv.rows(client, uri, pname, mv.both(mv.in_list("point_id", gone[start:start + CHUNK]),
                                                 f"gen_retired == {mv.LIVE}"), ["pos", "lex"])
    positions = [r["pos"] for r in old]
    passages = []
    for start in range(0, len(positions), CHUNK):
        chunk = positions[start:start + CHUNK]
        passages += [r["id"] for r in mv.rows(client, uri, qname, mv.both(mv.only(chunk), f"gen_retired == {mv.LIVE}"), ["id"])]
    _set_retired(client, uri, pname, "pos", positions, gen)
    _set_retired(client, uri, qname, "id", passages, gen)
    points = mb.point_rows(con, uri, gen, sorted(change.added)) if change.added else []
    added = mb.add(client, uri, pname, points, con)
    for name in (pname, qname):
        mv.call(uri, f"cannot flush {name}", client.flush, name)
    info = dict(before, generation=gen, points=before["points"] + added[0] - len(old),
                passages=before["passages"] + added[1] - len(passages),
                length=before["length"] + mb.length(points) - mb.length(old))
    return info | {"written": {"points": added[0], "passages": added[1], "retired": len(old) + len(passages),
                               "deleted": deleted}}


def published(client, instance: str) -> tuple[str | None, int]:
    """(the points collection the alias names, the generation published on it); (None, 0) when there is no alias."""
    name = mv.alias(instance)
    if name not in client.list_aliases().get("aliases", []):
        return None, 0
    target = client.describe_alias(name)["collection_name"]
    return target, int(mv.generation_info(client, target).get("generation", 0))


def publish(uri: str, info: dict, client=None, writer: bool = True) -> bool:
    """After the commit: generation `info` is what readers see (properties first, then the alias); True when it changed.

    The writer publishes whatever was there and drops this instance's other collections except the ones the previous
    generation used (a reader may still be on it) and any built for a generation never committed. A reader only brings
    a lagging publication up and drops nothing: its snapshot may already be older than the database."""
    client = client or mv.connect(uri)
    instance, gen = info["instance"], int(info["generation"])
    target = mv.collection(instance, int(info["base"]))
    try:
        at, at_gen = published(client, instance)
        changed = (at, at_gen) != (target, gen) if writer else at_gen < gen
        if changed and client.has_collection(target):
            client.alter_collection_properties(target, properties={f"ckg.{k}": str(info[k]) for k in PUBLISHED})
            if at is None:
                client.create_alias(target, mv.alias(instance))
            elif at != target:
                client.alter_alias(target, mv.alias(instance))
        if writer:
            mine = sorted(f[1] for n in client.list_collections() if (f := mv.parse_collection(n)) and f[0] == instance)
            older = [b for b in mine if b < info["base"]]
            keep = {info["base"]} | ({older[-1]} if older and info["base"] == gen else set())
            for base in mine:
                if base not in keep:
                    for kind in (mv.POINTS, mv.PASSAGES):
                        if client.has_collection(mv.collection(instance, base, kind)):
                            client.drop_collection(mv.collection(instance, base, kind))
        return changed
    except Exception as e:
        raise mv.fail(uri, f"cannot publish generation {gen} on {target}", e) from None


def present(uri: str, info: dict) -> bool:
    """Whether the collections `info` names hold its generation whole, in this format (else a rebuild is due)."""
    client = mv.connect(uri)
    pname = mv.collection(info["instance"], int(info["base"]))
    try:
        if not (client.has_collection(pname) and client.has_collection(mv.passages_of(pname))):
            return False
        if mv.generation_info(client, pname).get("format") != mv.FORMAT:  # built by another councilkg
            return False
        client.load_collection(pname)
        got = client.query(pname, filter=mv.live(int(info["generation"])), output_fields=["count(*)"])[0]["count(*)"]
        return got == info.get("points")
    except Exception as e:
        raise mv.fail(uri, f"cannot read {pname}", e) from None


def retire(uri: str, instance: str) -> None:
    """A data directory leaving this Milvus: drop its alias and collections, so no stateless reader serves stale points."""
    client = mv.connect(uri)
    try:
        if mv.alias(instance) in client.list_aliases().get("aliases", []):
            client.drop_alias(mv.alias(instance))
        for name in client.list_collections():
            found = mv.parse_collection(name)
            if found and found[0] == instance:
                client.drop_collection(name)
    except Exception as e:
        raise mv.fail(uri, f"cannot drop the collections of {mv.alias(instance)}", e) from None
