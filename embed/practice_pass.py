"""Ingest's learned practice pass: the new points whose passage vectors (already computed) clear the model's gate are read
sentence by sentence, and the practices found join those the cue rules wrote for the same document."""

from __future__ import annotations

import json
from collections import defaultdict

from councilkg.embed.passages import read_vectors
from councilkg.graph import store
from councilkg.graph.councils import gazetteer
from councilkg.graph.practices import key
from councilkg.graph.practices_learned import find, model
from councilkg.graph.sentences import Sentence, split

SLICE = 2048


def gated(con, point_keys: list[list[str]], m) -> list[int]:
    """Positions (in `point_keys`) of the points one of whose passages scores at or above the gate."""
    flat = [k for keys in point_keys for k in keys]
    vecs = read_vectors(con, flat) if flat else None
    if vecs is None:
        return []
    probs = m.gate_probability(vecs)
    out, at = [], 0
    for n, keys in enumerate(point_keys):
        if probs[at:at + len(keys)].max(initial=0.0) >= m.gate:
            out.append(n)
        at += len(keys)
    return out


def add_learned_practices(con, rows, point_keys: list[list[str]], encoder) -> int:
    """Find and store the learned practices of the new points `rows` ((point id, text, title, item id) each); how many."""
    m = model()
    if m is None or not m.trusted or not rows:  # a model short of the precision bar is shipped, trained, but not applied
        return 0
    # in slices, so memory follows the slice, not the batch
    return sum(_add(con, rows[a:a + SLICE], point_keys[a:a + SLICE], encoder, m) for a in range(0, len(rows), SLICE))


def _add(con, rows, point_keys: list[list[str]], encoder, m) -> int:
    ids = [rows[n][0] for n in gated(con, point_keys, m)]
    if not ids:
        return 0
    found = con.execute(
        "SELECT p.id, p.doc_id, i.seq, p.seq, p.text, mt.council_id FROM points p JOIN items i ON i.id = p.item_id "
        "JOIN documents d ON d.id = p.doc_id LEFT JOIN meetings mt ON mt.id = d.meeting_id "
        "WHERE p.id IN (SELECT value FROM json_each(?)) ORDER BY p.doc_id, i.seq, p.seq", (json.dumps(ids),)).fetchall()
    by_doc: dict[str, list] = defaultdict(list)
    for r in found:
        by_doc[r[1]].append(r)
    encode = lambda texts: encoder().encode(texts)  # noqa: E731
    councils = gazetteer()
    added = 0
    for doc_id, points in by_doc.items():
        council_id = points[0][5]
        have = con.execute("SELECT label FROM practices WHERE doc_id=?", (doc_id,)).fetchall()
        units = [[Sentence(item_seq, point_seq, i, s) for i, s in enumerate(split(text))] for _, _, item_seq, point_seq, text, _ in points]
        practices = []
        for pr, other in find(units, encode, council_id, {key(r[0]) for r in have}, m):
            if other:
                pr.council_gss = other  # adopted by another council than the document's
            practices.append(pr)
        store.add_practices(con, doc_id, council_id, practices, councils, start=len(have))
        added += len(practices)
    return added
