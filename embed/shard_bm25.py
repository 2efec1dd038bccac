"""BM25 with corpus-wide statistics over several shards: each shard's Milvus finds candidates, scored again as one bm25s index over all.

Milvus scores BM25 with each collection's own document frequencies and average length, so the same point scores
differently in a shard of 30 points than in one data directory of 52, and scores from two shards do not compare.
As Elasticsearch's dfs_query_then_fetch does, the candidates are scored again here with the terms' document
frequencies summed over the shards (a TEXT_MATCH count per shard and term, kept: a collection never changes) and
the average length of all shards, by bm25s's own formula (method "lucene", k1 1.5, b 0.75)."""

from __future__ import annotations

import math
import threading
from collections import Counter


K1, B = 1.5, 0.75  # bm25s's defaults, as the points collections' BM25 index is built with
SCAN_BATCH = 2_000


class CorpusStats:
    """Per collection: its total number of stems and its committees, read from Milvus once (term counts are kept by
    each shard's MilvusIndexes)."""

    def __init__(self, client, call):
        self.client = client
        self._call = call  # (what, fn, *args, **kw): one Milvus call, failures as one line
        self._scanned: dict[str, tuple[int, Counter]] = {}
        self._lock = threading.Lock()

    def length(self, points: str, info: dict) -> int:
        """The collection's total number of stems: its writer's record when it made one, else counted once here."""
        if "lex_tokens" in info:
            return int(info["lex_tokens"])
        return self._scan(points)[0]

    def committees(self, points: str) -> Counter:
        """The collection's committee names (each shard's shown form) with their points."""
        return self._scan(points)[1]

    def _scan(self, points: str) -> tuple[int, Counter]:
        """One pass over a collection's stems and committees, kept: its contents never change."""
        if points not in self._scanned:
            it = self._call(f"cannot read {points}", self.client.query_iterator, points, batch_size=SCAN_BATCH,
                            filter="", output_fields=["lex", "committee"])
            total, names = 0, Counter()
            try:
                while batch := self._call(f"cannot read {points}", it.next):
                    total += sum(len(r["lex"].split()) for r in batch)
                    names.update(r["committee"] for r in batch if r["committee"])
            finally:
                it.close()
            with self._lock:
                self._scanned[points] = (total, names)
        return self._scanned[points]


def scorer(stats: CorpusStats, shards: list, tokens: list[str]):
    """A function from a candidate's `lex` (its stems) to its BM25 score over all `shards` together."""
    n_docs = sum(int(s.info.get("points", 0)) for s in shards)
    if not n_docs or not tokens:
        return lambda lex: 0.0
    avgdl = sum(stats.length(s.points, s.info) for s in shards) / n_docs
    terms = Counter(tokens)  # bm25s adds a term's score once per occurrence in the query
    df: Counter = Counter()
    for s in shards:  # MilvusIndexes.doc_freq: a TEXT_MATCH count per term, kept with the shard
        df.update(s.idx.doc_freq(list(terms))[1])
    idf = {t: math.log(1.0 + (n_docs - df[t] + 0.5) / (df[t] + 0.5)) for t in terms if df[t]}

    def score(lex: str) -> float:
        words = lex.split()
        tf = Counter(words)
        norm = K1 * (1.0 - B + B * len(words) / avgdl) if avgdl else K1
        return sum(q * idf[t] * tf[t] / (tf[t] + norm) for t, q in terms.items() if t in idf and tf[t])

    return score
