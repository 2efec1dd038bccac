"""Issue 4's measure: nDCG@5 of lexical-only, vector-only and hybrid ranking on the labelled set; hybrid must beat both."""

from __future__ import annotations

from councilkg.embed.evaluate import evaluate, format_table


def test_hybrid_beats_lexical_and_vector(full_data):
    report = evaluate(full_data)
    print("\n" + format_table(report))
    assert report["queries"] >= 25 and not report["missing_files"]
    ndcg = report["ndcg"]
    assert ndcg["weighted"] > ndcg["lexical"] and ndcg["weighted"] > ndcg["vector"], ndcg
    assert all(0.0 <= v <= 1.0 for q in report["per_query"].values() for v in q.values())
