"""Emerging topics: cluster the stored point vectors across councils and show what no theme covers."""

from __future__ import annotations

import sqlite3
from dataclasses import asdict
from pathlib import Path

import numpy as np

from councilkg.embed.passages import read_vectors, theme_keys
from councilkg.graph import store
from councilkg.graph.themes import load_scheme
from councilkg.graph.topics import Topic, discover

# Community detection on a k-NN graph is superlinear in Python: cluster at most this many points (the newest).
MAX_POINTS = 20_000


def _stack(blobs: list[bytes]) -> np.ndarray:
    return np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), -1)


def load_topics(data_dir: str | Path, *, k: int = 10, min_size: int = 3, max_points: int = MAX_POINTS) -> list[Topic]:
    """Topics over the newest `max_points` non-procedural points, each point by its first passage's vector."""
    return _at_generation(data_dir, k=k, min_size=min_size, max_points=max_points)[1]


def generation_topics(data_dir: str | None, uri: str = "", shards: tuple[str, ...] = (), theme_vectors=None) -> tuple:
    """(generation, topics as dicts): what a server's worker process sends back. Without a data directory the
    generation is the tuple of (points collection, published generation) `shards` in the Milvus at `uri`, and the
    server gives the theme vectors it searches with."""
    if data_dir is None:
        from councilkg.embed.shard_topics import shard_topic_inputs

        inputs = shard_topic_inputs(uri, tuple(shards), MAX_POINTS, theme_vectors)
        return tuple(shards), as_dicts(_discover(inputs))
    gen, topics = _at_generation(data_dir)
    return gen, as_dicts(topics)


def _discover(inputs: dict | None, k: int = 10, min_size: int = 3) -> list[Topic]:
    return discover(**inputs, k=k, min_size=min_size) if inputs else []


def _at_generation(data_dir: str | Path, k: int = 10, min_size: int = 3, max_points: int = MAX_POINTS) -> tuple[str, list[Topic]]:
    con = store.connect(data_dir, readonly=True)
    try:
        con.execute("BEGIN")  # one generation's points, whatever an ingest lands meanwhile
        gen = store.get_state(con, "generation", "0") or "0"
        return gen, _discover(topic_inputs(con, max_points), k, min_size)
    finally:
        con.close()


def topic_inputs(con: sqlite3.Connection, max_points: int = MAX_POINTS) -> dict | None:
    """The arguments `graph.topics.discover` takes, read from what ingest stored (None when nothing is embedded)."""
    model = store.get_state(con, "model")
    rows = con.execute(
        "SELECT p.id, p.text, p.doc_id, m.council_id, v.vec FROM points p"
        " JOIN items i ON i.id = p.item_id AND i.procedural = 0"
        " LEFT JOIN meetings m ON m.id = i.meeting_id"
        " JOIN passages s ON s.point_id = p.id AND s.seq = 0 JOIN vectors v ON v.key = s.vec_key"
        " ORDER BY m.date DESC, p.id LIMIT ?",
        (max_points,),
    ).fetchall()
    if not rows or not model:
        return None
    assigned: dict[str, list[str]] = {}
    for pid, theme in con.execute("SELECT point_id, theme FROM point_themes"):
        assigned.setdefault(pid, []).append(theme)
    scheme = load_scheme()
    theme_vecs = read_vectors(con, theme_keys(model))
    return dict(
        vectors=_stack([r[4] for r in rows]), point_ids=[r[0] for r in rows], councils=[r[3] for r in rows],
        assigned_themes=[assigned.get(r[0], []) for r in rows], texts=[r[1] for r in rows],
        documents=[r[2] for r in rows], theme_vectors=theme_vecs,
        theme_ids=[t.id for t in scheme] if theme_vecs is not None else None,
    )


def as_dicts(topics: list[Topic]) -> list[dict]:
    return [asdict(t) for t in topics]


def format_topics(topics: list[Topic], only_uncovered: bool = False) -> str:
    """One block per cluster: its label, size, councils and whether a theme covers it."""
    shown = [t for t in topics if t.uncovered or not only_uncovered]
    if not shown:
        return "no cross-council clusters" + (" that no theme covers" if only_uncovered else "")
    lines = []
    for t in shown:
        flag = "EMERGING (no theme covers it)" if t.uncovered else f"covered: {', '.join(sorted(t.themes, key=t.themes.get, reverse=True)[:3])}"
        lines.append(f"{t.label}  [{t.size} points, {len(t.councils)} councils]  {flag}")
        lines.append(f"    terms: {', '.join(t.terms[:8])}")
    return "\n".join(lines)
