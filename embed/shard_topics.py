"""Topic clustering's inputs read from every shard of one Milvus, so a server without a data directory clusters as one would."""

from __future__ import annotations

import numpy as np

from councilkg.embed import milvus as mv

PAGE = 10_000  # rows per query, under Milvus's window of 16,384
FIELDS = ["pos", "point_id", "text", "doc_id", "council_id", "date", "themes"]


def _query(client, uri: str, name: str, expr: str, fields: list[str], limit: int) -> list[dict]:
    return mv.call(uri, f"cannot read {name}", client.query, name, filter=expr, output_fields=fields, limit=limit)


def _infos(client, uri: str, shards: tuple[tuple[str, int], ...]) -> dict[str, dict]:
    """Each shard's generation info; a shard of an older format, or shards of different encoders, cannot be clustered."""
    infos = {}
    for name, _ in shards:
        infos[name] = mv.call(uri, f"cannot describe {name}", mv.generation_info, client, name)
        if infos[name].get("format", 1) < 2:
            raise mv.MilvusError(f"milvus:{uri}: {name} was built before topics could be read from Milvus "
                                 f"(format {infos[name].get('format', 1)}): run an ingest of its data directory again")
    if len({i.get("model") for i in infos.values()}) > 1:
        seen = ", ".join(f"{n}: {i.get('model')}" for n, i in infos.items())
        raise mv.MilvusError(f"milvus:{uri}: the shards were embedded with different encoders ({seen}); re-ingest them with one")
    return infos


def shard_topic_inputs(uri: str, shards: tuple[tuple[str, int], ...], max_points: int,
                       theme_vectors: np.ndarray | None) -> dict | None:
    """What `emerging.topic_inputs` reads from a data directory, from the points collections of `shards` ((name,
    generation) pairs: only the rows that generation holds) and their passages: the newest `max_points`
    non-procedural points over all of them, each by its first passage's vector.
    `theme_vectors`: the shipped scheme's, encoded by the shards' model (a data directory stores them; Milvus does not)."""
    client = mv.connect(uri)
    infos = _infos(client, uri, shards)
    model = next((i.get("model") for i in infos.values()), None)
    rows: list[tuple[dict, str]] = []
    for name, gen in shards:
        live = mv.live_in(client, uri, name, gen)
        rows += [(r, name) for r in mv.rows(client, uri, name, mv.both(live, "procedural == false"), FIELDS, PAGE)]
    rows.sort(key=lambda rn: rn[0]["point_id"])
    rows.sort(key=lambda rn: rn[0]["date"], reverse=True)  # stable: newest first, then by id (a data directory's order)
    rows = rows[:max_points]
    if not rows or not model:
        return None
    vecs = _first_vectors(client, uri, rows)
    from councilkg.graph.themes import load_scheme

    return dict(
        vectors=np.stack([vecs[n, r["pos"]] for r, n in rows]), point_ids=[r["point_id"] for r, _ in rows],
        councils=[r["council_id"] or None for r, _ in rows], assigned_themes=[list(r["themes"]) for r, _ in rows],
        texts=[r["text"] for r, _ in rows], documents=[r["doc_id"] for r, _ in rows],
        theme_vectors=theme_vectors, theme_ids=[t.id for t in load_scheme()] if theme_vectors is not None else None,
    )


def _first_vectors(client, uri: str, rows: list[tuple[dict, str]]) -> dict[tuple[str, int], np.ndarray]:
    """(points collection, position) -> the vector of that point's first passage."""
    wanted: dict[str, list[int]] = {}
    for r, name in rows:
        wanted.setdefault(name, []).append(int(r["pos"]))
    out = {}
    for name, positions in wanted.items():
        for start in range(0, len(positions), PAGE):
            chunk = positions[start:start + PAGE]
            for r in _query(client, uri, mv.passages_of(name), f"seq == 0 and {mv.only(chunk)}", ["pos", "vec"], len(chunk)):
                out[name, int(r["pos"])] = np.asarray(r["vec"], dtype=np.float32)
    return out


def texts_and_names(client, uri: str, shards: list[tuple[str, int]], ids: list[str], councils: set[str]) -> tuple[dict, dict]:
    """The texts of points `ids` and the names of `councils`, from whichever shards ((name, generation) pairs) hold them
    (for the topics page)."""
    texts, names = {}, {}
    for name, gen in shards:
        expr = mv.both(mv.live_in(client, uri, name, gen), mv.in_list("point_id", ids)) if ids else ""
        for r in _query(client, uri, name, expr, ["point_id", "text", "council_id", "council_name"], len(ids)) if ids else ():
            texts[r["point_id"]] = r["text"]
            names[r["council_id"]] = r["council_name"]
    for cid in sorted(councils - set(names)):  # councils none of the examples come from: one row of each names it
        for name, _ in shards:
            got = _query(client, uri, name, f"council_id == {mv.lit(cid)}", ["council_name"], 1)
            if got:
                names[cid] = got[0]["council_name"]
                break
    return texts, names
