"""`councilkg evaluate`: nDCG@5 of lexical-only, vector-only and hybrid ranking on the labelled query set, side by side."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from councilkg.embed.filters import SearchError
from councilkg.embed.search import Searcher

# The labelled set and its scorer live together in the repository (tests/eval), written before any tuning.
QUERIES = Path(__file__).resolve().parents[1] / "tests" / "eval" / "queries.json"
MODES = ("lexical", "vector", "rrf", "weighted")
DEPTH = 50  # points fetched per query: enough to fill the top 5 items when one item has many matching points


def _scorer(queries_path: Path):
    """tests/eval/ndcg.py beside the queries: one definition of nDCG for the tests and this command."""
    path = queries_path.with_name("ndcg.py")
    if not path.exists():
        raise SearchError(f"{path}: the nDCG scorer must sit beside the labelled queries")
    spec = importlib.util.spec_from_file_location("councilkg_eval_ndcg", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def ranked_files(searcher: Searcher, query: str, mode: str, depth: int = DEPTH) -> list[str]:
    """Source file names in rank order (an item ranks at its best point)."""
    hits = searcher.search(query, k=depth, mode=mode, with_facets=False)["hits"]
    return [Path(h["source"]).name for h in hits]


def evaluate(data_dir: str | Path, queries_path: str | Path | None = None, k: int = 5, modes=MODES,
             searcher: Searcher | None = None) -> dict:
    """Mean nDCG@k per ranking mode, per query figures, and labelled files missing from the data directory."""
    queries_path = Path(queries_path) if queries_path else QUERIES
    if not queries_path.exists():
        raise SearchError(f"{queries_path}: no labelled queries here")
    ndcg = _scorer(queries_path)
    queries = ndcg.load_queries(queries_path)
    searcher = searcher or Searcher(data_dir)
    with searcher.snapshot() as snap:
        have = {Path(r[0]).name for r in snap.con.execute("SELECT source FROM documents")}
    labelled = {f for q in queries for f in q["relevant"]}
    per_query: dict[str, dict[str, float]] = {}
    runs: dict[str, dict[str, list[str]]] = {m: {} for m in modes}
    for q in queries:
        per_query[q["id"]] = {}
        for m in modes:
            runs[m][q["id"]] = files = ranked_files(searcher, q["query"], m)
            per_query[q["id"]][m] = round(ndcg.ndcg_at_k(files, q["relevant"], k), 4)
    return {
        "k": k,
        "queries": len(queries),
        "ndcg": {m: round(ndcg.mean_ndcg(runs[m], queries, k), 4) for m in modes},
        "per_query": per_query,
        "missing_files": sorted(labelled - have),
    }


def format_table(report: dict) -> str:
    """The README table: one row per ranking mode."""
    k = report["k"]
    names = {"lexical": "lexical only (BM25)", "vector": "vector only (MiniLM)", "rrf": "hybrid, reciprocal rank fusion",
             "weighted": "hybrid, weighted fusion (default)"}
    lines = [f"| ranking | nDCG@{k} |", "|---|---|"]
    lines += [f"| {names.get(m, m)} | {v:.3f} |" for m, v in report["ndcg"].items()]
    lines.append(f"\n{report['queries']} labelled queries")
    if report["missing_files"]:
        lines.append(f"warning: {len(report['missing_files'])} labelled files are not in the data directory")
    return "\n".join(lines)
