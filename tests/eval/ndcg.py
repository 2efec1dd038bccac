"""nDCG over whole items, so search variants can be compared on the labelled set in queries.json."""

from __future__ import annotations

import json
import math
from pathlib import Path

QUERIES = Path(__file__).with_name("queries.json")


def load_queries(path: Path = QUERIES) -> list[dict]:
    """The labelled queries: [{"id", "query", "relevant": {file: grade}}]."""
    return json.loads(path.read_text(encoding="utf-8"))


def dcg(grades: list[int]) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(grades))


def ndcg_at_k(ranked_files: list[str], relevant: dict[str, int], k: int = 5) -> float:
    """nDCG@k with linear gain; repeated files (several points of one item) count once, at their first rank."""
    seen: list[str] = []
    for f in ranked_files:
        name = Path(f).name
        if name not in seen:
            seen.append(name)
    gains = [relevant.get(f, 0) for f in seen[:k]]
    ideal = dcg(sorted(relevant.values(), reverse=True)[:k])
    return dcg(gains) / ideal if ideal > 0 else 0.0


def mean_ndcg(run: dict[str, list[str]], queries: list[dict], k: int = 5) -> float:
    """Mean nDCG@k of a run {query id: ranked files} over the labelled queries (a missing run scores 0)."""
    return sum(ndcg_at_k(run.get(q["id"], []), q["relevant"], k) for q in queries) / len(queries)
