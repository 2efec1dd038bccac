"""A data directory's Milvus collections grown in place by each ingest, and the generation readers see published after its commit.

A row is written once and never rewritten (Milvus carries out an update as delete + insert, and a reader between the two
sees the row missing or twice). Each row carries the generation that added it; retiring a point is a row of the
`_retired` collection beside the pair, (its pos, the generation that retired it). A reader of generation G takes the rows
`gen_added <= G` outside the positions retired at or before G (milvus.live), so rows and retirements written for a
generation not yet committed change nothing it sees. The generation every stateless reader uses is the points
collection's property `ckg.generation` (with its counts), set only after the database commit; a data directory's own
Searcher reads it from its database. Points retired before the previous generation are deleted by the next ingest, rows
first, then their retirements, when no reader can still be on a generation that holds them."""

from __future__ import annotations

import sqlite3

from councilkg.embed import milvus as mv
from councilkg.embed import milvus_build as mb

CHUNK = 1_000  # ids per `in [...]` expression
# Points one increment may retire in place. Readers exclude the retirements of the last two generations by one
# `pos not in [...]` list on every Milvus call, and each listed position costs a call about 3 µs (measured on Milvus
# Lite: 10,000 add 32 ms to a search over 50,000 rows): at most 10,000 listed keeps that under a warm search's budget.
# A larger change (a re-read of a whole council, a PIPELINE_VERSION bump) builds a new base whole instead.
RETIRE_MAX = 5_000
PUBLISHED = ("generation", "points", "passages", "length")  # the properties `publish` sets
WRITING = "writing"  # property: the generation a writer began writing rows for, "0" once the writer has published


def _count(client, uri: str, name: str, expr: str) -> int:
    return int(mv.call(uri, f"cannot read {name}", client.query, name, filter=expr, output_fields=["count(*)"])[0]["count(*)"])


def _delete(client, uri: str, name: str, expr: str) -> int:
    """Delete the rows matching `expr`; their count (counted first: a delete by filter does not say)."""
    n = _count(client, uri, name, expr)
    if n:
        mv.call(uri, f"cannot delete rows of {name}", client.delete, name, filter=expr)
    return n


def _chunks(positions: list[int]):
    for start in range(0, len(positions), CHUNK):
        yield mv.only(positions[start:start + CHUNK])


def fits(change) -> bool:
    """Whether `change` may grow the collections in place (else the increment builds them whole: see RETIRE_MAX)."""
    return len(change.retired) <= RETIRE_MAX


def grow(con: sqlite3.Connection, uri: str, gen: int, before: dict, change) -> dict:
    """Generation `gen` written into the collections `before` (the committed generation's info) names: crash leftovers
    undone, points retired before gen - 1 deleted, `change.retired` retired and `change.added` added. The caller commits."""
    client = mv.connect(uri)
    pname = mv.collection(before["instance"], before["base"])
    qname, rname = mv.passages_of(pname), mv.retired_of(pname)
    committed = gen - 1
    deleted = 0
    for name in (pname, qname, rname):
        mv.call(uri, f"cannot load {name}", client.load_collection, name)
    # what an interrupted run wrote for a generation never committed: no reader sees its rows or its retirements. Looked
    # for only when a run began writing one (its mark, set before its first row, is cleared by the writer's publish):
    # the filter scans the shard (5.5 s at 1M points), so an increment after a clean run does not pay it
    if int(mv.generation_info(client, pname).get(WRITING, 0) or 0) > committed:
        for name in (pname, qname):
            deleted += _delete(client, uri, name, f"gen_added > {committed}")
        _delete(client, uri, rname, f"gen_retired > {committed}")
    mv.call(uri, f"cannot mark {pname}", client.alter_collection_properties, pname, properties={f"ckg.{WRITING}": str(gen)})
    # points retired at or before committed - 1: no reader can be on a generation that holds them; their retirements
    # go last, so a kill in between leaves them retired, to be deleted again by the next run
    stale = mv.retired_by(client, uri, pname, committed - 1)
    for expr in _chunks(stale):
        deleted += _delete(client, uri, pname, expr) + _delete(client, uri, qname, expr)
        _delete(client, uri, rname, expr)
    retired = set(mv.retired_by(client, uri, pname, committed))
    gone = sorted(change.retired)
    old: list[dict] = []
    for start in range(0, len(gone), CHUNK):
        got = mv.rows(client, uri, pname, mv.in_list("point_id", gone[start:start + CHUNK]), ["pos", "lex"])
        old += [r for r in got if r["pos"] not in retired]
    positions = sorted(r["pos"] for r in old)
    old_passages = sum(_count(client, uri, qname, expr) for expr in _chunks(positions))
    mb.insert(client, uri, rname, ({"pos": p, "gen_retired": gen, "v": [0.0, 0.0]} for p in positions))
    points = mb.point_rows(con, uri, gen, sorted(change.added)) if change.added else []
    added = mb.add(client, uri, pname, points, con)
    for name in (pname, qname, rname):
        mv.call(uri, f"cannot flush {name}", client.flush, name)
    info = dict(before, generation=gen, points=before["points"] + added[0] - len(old),
                passages=before["passages"] + added[1] - old_passages,
                length=before["length"] + mb.length(points) - mb.length(old))
    return info | {"written": {"points": added[0], "passages": added[1], "retired": len(old),
                               "retired_passages": old_passages, "deleted": deleted}}


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
        if writer and client.has_collection(target):  # committed: nothing of an interrupted run is left to look for
            client.alter_collection_properties(target, properties={f"ckg.{WRITING}": "0"})
        if writer:
            mine = sorted(f[1] for n in client.list_collections() if (f := mv.parse_collection(n)) and f[0] == instance)
            older = [b for b in mine if b < info["base"]]
            keep = {info["base"]} | ({older[-1]} if older and info["base"] == gen else set())
            for base in mine:
                if base not in keep:
                    for kind in mv.KINDS:
                        if client.has_collection(mv.collection(instance, base, kind)):
                            client.drop_collection(mv.collection(instance, base, kind))
        return changed
    except Exception as e:
        raise mv.fail(uri, f"cannot publish generation {gen} on {target}", e) from None


def present(uri: str, info: dict) -> bool:
    """Whether the collections `info` names hold its generation, in this format (else a rebuild is due), from what they
    record, not by counting rows (a count over the live filter scanned the shard: 50 s of a 1M-point increment): all
    three exist, the format is ours, the generation published on them is this one or, after a kill between the commit
    and the publication, the one before (its rows are written before the commit; publish then brings it up), and
    Milvus holds at least this generation's live rows."""
    client = mv.connect(uri)
    pname = mv.collection(info["instance"], int(info["base"]))
    try:
        if not all(client.has_collection(name) for name in (pname, mv.passages_of(pname), mv.retired_of(pname))):
            return False
        recorded = mv.generation_info(client, pname)
        if recorded.get("format") != mv.FORMAT:  # built by another councilkg
            return False
        gen = int(info["generation"])
        if recorded.get("generation", 0) not in (gen, gen - 1):
            return False
        return int(client.get_collection_stats(pname).get("row_count", 0)) >= int(info.get("points", 0))
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
