"""BM25 with corpus-wide statistics over several shards: each shard's Milvus finds candidates, scored again as one bm25s index over all.

Milvus scores BM25 with each collection's own document frequencies and average length, so the same point scores
differently in a shard of 30 points than in one data directory of 52, and scores from two shards do not compare.
As Elasticsearch's dfs_query_then_fetch does, the candidates are scored again here with the terms' document
frequencies summed over the shards and the average length of all shards (read once per collection: it never
changes), by bm25s's own formula (method "lucene", k1 1.5, b 0.75)."""

from __future__ import annotations

import math
import threading
from collections import Counter


K1, B = 1.5, 0.75  # bm25s's defaults, as the points collections' BM25 index is built with
SCAN_BATCH = 2_000


class CorpusStats:
    """Per collection: its total number of stems, each stem's document frequency and its committees, read in one pass.

    A collection never changes, so the pass is made once per process (at start-up by ShardSearcher.warm): ~90 ms per
    1,000 points on Milvus Lite. A TEXT_MATCH count per term instead costs ~70 ms per new term and shard, serialised by
    the server; at tens of millions of points the writer should record these statistics with the generation."""

    def __init__(self, client, call):
        self.client = client
        self._call = call  # (what, fn, *args, **kw): one Milvus call, failures as one line
        self._scanned: dict[str, tuple[int, Counter, Counter]] = {}
        self._lock = threading.Lock()

    def length(self, points: str) -> int:
        """The collection's total number of stems (bm25s's document lengths summed)."""
        return self._scan(points)[0]

    def df(self, points: str) -> Counter:
        """Stem -> how many of the collection's points hold it."""
        return self._scan(points)[1]

    def committees(self, points: str) -> Counter:
        """The collection's committee names (each shard's shown form) with their points."""
        return self._scan(points)[2]

    def _scan(self, points: str) -> tuple[int, Counter, Counter]:
        if points not in self._scanned:
            it = self._call(f"cannot read {points}", self.client.query_iterator, points, batch_size=SCAN_BATCH,
                            filter="", output_fields=["lex", "committee"])
            total, df, names = 0, Counter(), Counter()
            try:
                while batch := self._call(f"cannot read {points}", it.next):
                    for r in batch:
                        stems = r["lex"].split()
                        total += len(stems)
                        df.update(set(stems))
                    names.update(r["committee"] for r in batch if r["committee"])
            finally:
                it.close()
            with self._lock:
                self._scanned[points] = (total, df, names)
        return self._scanned[points]


def scorer(stats: CorpusStats, shards: list, tokens: list[str]):
    """A function from a candidate's `lex` (its stems) to its BM25 score over all `shards` together."""
    n_docs = sum(int(s.info.get("points", 0)) for s in shards)
    if not n_docs or not tokens:
        return lambda lex: 0.0
    avgdl = sum(stats.length(s.points) for s in shards) / n_docs
    terms = Counter(tokens)  # bm25s adds a term's score once per occurrence in the query
    df = {t: sum(stats.df(s.points)[t] for s in shards) for t in terms}
    idf = {t: math.log(1.0 + (n_docs - df[t] + 0.5) / (df[t] + 0.5)) for t in terms if df[t]}

    def score(lex: str) -> float:
        words = lex.split()
        tf = Counter(words)
        norm = K1 * (1.0 - B + B * len(words) / avgdl) if avgdl else K1
        return sum(q * idf[t] * tf[t] / (tf[t] + norm) for t, q in terms.items() if t in idf and tf[t])

    return score
