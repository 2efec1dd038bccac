"""A generation of a data directory's index, read: its live segments one after another as one array of point positions.

A generation directory (index/gen-NNNNNN/info.json) names its segments (index/seg-*/, immutable, shared between
generations) and, per segment, the file of its points that later documents retired. Searcher and everything after it
work on positions in `point_ids` (the segments' points in manifest order, retired ones masked out by `live`); BM25 is
scored here with statistics over the live points of all segments, as one index of the same points would score."""

from __future__ import annotations

import json
import math
import sqlite3
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from councilkg.embed.segment import (APPROX_THRESHOLD, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_M, Segment,  # noqa: F401
                                     lexical_text, stemmer, tokenize)
from councilkg.embed.table import PointTable

INDEX_DIR = "index"
FORMAT = 4  # 4: segments; 3 and before held one whole index per generation (upgraded by the next writer)
K1, B = 1.5, 0.75  # bm25s's defaults ("lucene" method), as the index was scored before segments


class OldFormat(Exception):
    """A generation written by an older councilkg (one whole index): the next writer upgrades it."""


def gen_dir(data_dir: Path, gen: int) -> Path:
    return Path(data_dir) / INDEX_DIR / f"gen-{gen:06d}"


def seg_dir(data_dir: Path, name: str) -> Path:
    return Path(data_dir) / INDEX_DIR / name


def manifest(data_dir: Path, gen: int) -> dict:
    """Generation `gen`'s info.json; OldFormat when an older councilkg wrote it."""
    info = json.loads((gen_dir(data_dir, gen) / "info.json").read_text())
    if info.get("format") != FORMAT:
        raise OldFormat(f"{gen_dir(data_dir, gen)}: index format {info.get('format')}, not {FORMAT}")
    return info


def retired_rows(data_dir: Path, entry: dict) -> np.ndarray:
    """A manifest entry's retired local positions (sorted)."""
    if not entry.get("retired"):
        return np.zeros(0, np.int64)
    return np.load(seg_dir(data_dir, entry["name"]) / entry["retired"])


def positions(point_ids: np.ndarray, ids: list[str]) -> np.ndarray:
    """Positions in sorted `point_ids` of the given ids (ids not among them are dropped)."""
    want = np.array(ids, dtype="S16")
    pos = np.searchsorted(point_ids, want)
    pos = np.clip(pos, 0, max(len(point_ids) - 1, 0))
    ok = len(point_ids) > 0 and point_ids[pos] == want
    return pos[ok] if len(point_ids) else pos[:0]


@dataclass
class Part:
    """One live segment within a generation: where its points start, and which of them are retired."""

    seg: Segment
    offset: int
    retired: np.ndarray
    key: str | None  # the retirement file's name, for cached statistics

    def __post_init__(self):
        self.retired_rows = self.seg.rows_of(self.retired) if len(self.retired) else None  # their passage rows


def _empty() -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(0, np.int64), np.zeros(0, np.float32)


class Indexes:
    """One loaded generation: its segments' points as one position space, vector and BM25 search over them."""

    def __init__(self, gen: int, info: dict, parts: list[Part]):
        self.gen, self.info, self.parts = gen, info, parts
        self.point_ids = np.concatenate([p.seg.point_ids for p in parts]) if parts else np.zeros(0, "S16")
        self.live = np.ones(len(self.point_ids), dtype=bool)
        for p in parts:
            self.live[p.offset + p.retired] = False
        self.points = int(self.live.sum())
        self.length = sum(float(p.seg.length.sum()) - p.seg.retired_stats(p.key, p.retired)[1] for p in parts)

    @classmethod
    def load(cls, data_dir: Path, gen: int, previous: Indexes | None = None) -> Indexes:
        """Generation `gen`, reusing the segments `previous` (the generation loaded before) already holds."""
        info = manifest(data_dir, gen)
        have = {p.seg.name: p.seg for p in previous.parts} if isinstance(previous, Indexes) else {}
        parts, offset = [], 0
        for entry in info["segments"]:
            seg = have.get(entry["name"]) or Segment.load(seg_dir(data_dir, entry["name"]))
            parts.append(Part(seg, offset, retired_rows(data_dir, entry), entry.get("retired")))
            offset += len(seg.point_ids)
        return cls(gen, info, parts)

    def table(self, con: sqlite3.Connection) -> PointTable:
        """Facets and hit themes over this generation's positions, with today's labels."""
        return PointTable.assemble(con, [(p.seg.rows, self.live[p.offset:p.offset + len(p.seg.point_ids)]) for p in self.parts])

    def index_of(self, ids: list[str]) -> np.ndarray:
        """Live point positions for ids (ids not live in this generation are dropped)."""
        want = np.array(ids, dtype="S16")
        found = [p.offset + p.seg.local(want)[0] for p in self.parts]
        pos = np.concatenate(found) if found else np.zeros(0, np.int64)
        return pos[self.live[pos]]

    # --- the interface Searcher, example and rank use (shared with milvus_index.MilvusIndexes) -------------------

    def restrict(self, con: sqlite3.Connection, f, exclude_docs=()) -> np.ndarray | None:
        """The filters (a filters.Filters) as a bool mask over points; None when nothing is filtered."""
        from councilkg.embed.filters import allowed_mask

        return allowed_mask(con, self, f, exclude_docs=exclude_docs)

    def only(self, pts) -> np.ndarray:
        """A restriction to the points at positions `pts`."""
        allowed = np.zeros(len(self.point_ids), dtype=bool)
        allowed[np.asarray(pts, dtype=np.int64)] = True
        return allowed

    def doc_freq(self, stems: list[str]) -> tuple[int, dict[str, int]]:
        """(live points, live points holding each stem) over all segments."""
        df: Counter = Counter()
        for p in self.parts:
            ptr, gone = p.seg.postings.indptr, p.seg.retired_stats(p.key, p.retired)[0]
            for s in stems:
                if (c := p.seg.terms.get(s)) is not None:
                    df[s] += int(ptr[c + 1] - ptr[c] - gone[c])
        return self.points, {s: n for s, n in df.items() if n}

    def vector_search(self, qvec: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Best points by cosine (max over a point's passages), optionally only among `allowed` (bool mask over points)."""
        fetch, rows_in_all = k * 3, 0
        mask = self.live if allowed is None else allowed & self.live
        found = []
        for p in self.parts:
            seg = p.seg
            if seg.vectors.ntotal == 0:
                continue
            rows = None
            if allowed is not None:
                rows = np.flatnonzero(mask[p.offset:p.offset + len(seg.point_ids)][seg.row_point]).astype(np.int64)
                if not len(rows):
                    continue
            gone = 0 if p.retired_rows is None else len(p.retired_rows)
            avail = seg.vectors.ntotal - gone if rows is None else len(rows)
            if avail <= 0:
                continue
            rows_in_all += avail
            local, scores = seg.search(qvec, min(avail, fetch), rows, None if rows is not None else p.retired_rows)
            found.append((local.astype(np.int64) + p.offset, scores))
        if not found:
            return _empty()
        points, scores = np.concatenate([f[0] for f in found]), np.concatenate([f[1] for f in found])
        best = np.lexsort((self.point_ids[points], -scores))[:min(rows_in_all, fetch)]  # as one index of all: ties by id
        points, scores = points[best], scores[best]
        _, first = np.unique(points, return_index=True)  # a point with several passages: its best passage
        first = np.sort(first)[:k]
        return points[first], scores[first]

    def lexical_search(self, query: str, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Best points by BM25 (bm25s's "lucene" formula over all live points), optionally only among `allowed`."""
        terms = Counter(tokenize([query])[0])  # a term counts once per occurrence in the query, as in bm25s
        n, df = self.doc_freq(list(terms))
        if not df or not n:
            return _empty()
        avgdl = self.length / n
        idf = {t: math.log(1.0 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        pos, val = [], []
        for p in self.parts:
            post, length = p.seg.postings, p.seg.length
            for t, w in idf.items():
                if (c := p.seg.terms.get(t)) is None:
                    continue
                a, b = post.indptr[c], post.indptr[c + 1]
                local, tf = post.indices[a:b], post.data[a:b].astype(np.float64)
                pos.append(local.astype(np.int64) + p.offset)
                val.append(terms[t] * w * tf / (tf + K1 * (1.0 - B + B * length[local] / avgdl)))
        if not pos:
            return _empty()
        points, inverse = np.unique(np.concatenate(pos), return_inverse=True)
        scores = np.bincount(inverse, weights=np.concatenate(val)).astype(np.float32)
        keep = self.live[points] & (scores > 0)
        if allowed is not None:
            keep &= allowed[points]
        points, scores = points[keep], scores[keep]
        top = np.lexsort((self.point_ids[points], -scores))[:k]  # ties by point id, however the segments fall
        return points[top], scores[top]
