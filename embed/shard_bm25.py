"""BM25 with corpus-wide statistics over several shards: each shard's Milvus finds candidates, scored again as one bm25s index over all.

Milvus scores BM25 with each collection's own document frequencies and average length, so the same point scores
differently in a shard of 30 points than in one data directory of 52, and scores from two shards do not compare.
As Elasticsearch's dfs_query_then_fetch does, the candidates are scored again here with the terms' document
frequencies summed over the shards and the average length of all shards (read once per shard and published
generation, over its live rows only: Milvus's own statistics also count rows retired but not yet deleted, so they only
choose candidates), by bm25s's own formula (method "lucene", k1 1.5, b 0.75)."""

from __future__ import annotations

import math
import threading
from collections import Counter

from councilkg.embed import milvus as mv


K1, B = 1.5, 0.75  # bm25s's defaults, as the points collections' BM25 index is built with
SCAN_BATCH = 2_000


class CorpusStats:
    """Per shard: its total number of stems, each stem's document frequency and its committees, read in one pass.

    A shard's published generation never changes, so the pass is made once per generation (at start-up by
    ShardSearcher.warm, then after each ingest it publishes): ~90 ms per 1,000 points on Milvus Lite. A TEXT_MATCH count per term instead costs ~70 ms per new term and shard, serialised by
    the server; at tens of millions of points the writer should record these statistics with the generation."""

    def __init__(self, client, call):
        self.client = client
        self._call = call  # (what, fn, *args, **kw): one Milvus call, failures as one line
        self._scanned: dict[tuple[str, int], tuple[int, Counter, Counter]] = {}
        self._lock = threading.Lock()

    def length(self, shard) -> int:
        """The shard's total number of stems (bm25s's document lengths summed) in its published generation."""
        return self._scan(shard)[0]

    def df(self, shard) -> Counter:
        """Stem -> how many of the shard's live points hold it."""
        return self._scan(shard)[1]

    def committees(self, shard) -> Counter:
        """The shard's committee names (as written) with their live points."""
        return self._scan(shard)[2]

    def _scan(self, shard) -> tuple[int, Counter, Counter]:
        points, gen = shard.points, int(shard.info.get("generation", 0))
        if (points, gen) not in self._scanned:
            it = self._call(f"cannot read {points}", self.client.query_iterator, points, batch_size=SCAN_BATCH,
                            filter=shard.idx.live, output_fields=["lex", "committee"])
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
                for old in [k for k in self._scanned if k[0] == points]:  # an older generation of the shard
                    del self._scanned[old]
                self._scanned[points, gen] = (total, df, names)
        return self._scanned[points, gen]


def scorer(stats: CorpusStats, shards: list, tokens: list[str]):
    """A function from a candidate's `lex` (its stems) to its BM25 score over all `shards` together."""
    terms = set(tokens)
    return bm25(sum(int(s.info.get("points", 0)) for s in shards), sum(stats.length(s) for s in shards),
                {t: sum(stats.df(s)[t] for s in shards) for t in terms}, tokens)


def bm25(n_docs: int, total_length: int, df: dict[str, int], tokens: list[str]):
    """A function from a point's `lex` to its BM25 score (bm25s's "lucene" formula) for `tokens`, given the corpus's
    points, stems and each token's document frequency."""
    if not n_docs or not tokens:
        return lambda lex: 0.0
    avgdl = total_length / n_docs
    terms = Counter(tokens)  # bm25s adds a term's score once per occurrence in the query
    idf = {t: math.log(1.0 + (n_docs - df[t] + 0.5) / (df[t] + 0.5)) for t in terms if df.get(t)}

    def score(lex: str) -> float:
        words = lex.split()
        tf = Counter(words)
        norm = K1 * (1.0 - B + B * len(words) / avgdl) if avgdl else K1
        return sum(q * idf[t] * tf[t] / (tf[t] + norm) for t, q in terms.items() if t in idf and tf[t])

    return score
