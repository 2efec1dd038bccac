"""The nDCG helper on a hand-worked example, and the labelled set's own consistency."""

import importlib.util
import math
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[2] / "shared"
SAMPLE = HERE.parents[1] / "corpus" / "sample"

_spec = importlib.util.spec_from_file_location("councilkg_eval_ndcg", HERE / "ndcg.py")
ndcg = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ndcg)


def test_ndcg_hand_example():
    relevant = {"a.txt": 3, "b.txt": 2, "c.txt": 1}
    # ranking b, x, a: DCG = 2/log2(2) + 0 + 3/log2(4) = 2 + 1.5 = 3.5
    # ideal a, b, c: 3 + 2/log2(3) + 1/log2(4) = 3 + 1.26186 + 0.5
    ideal = 3 + 2 / math.log2(3) + 0.5
    got = ndcg.ndcg_at_k(["dir/b.txt", "x.txt", "a.txt"], relevant, k=5)
    assert got == pytest.approx(3.5 / ideal)
    assert ndcg.ndcg_at_k(["a.txt", "b.txt", "c.txt"], relevant) == pytest.approx(1.0)
    assert ndcg.ndcg_at_k(["x.txt", "y.txt"], relevant) == 0.0


def test_repeated_file_counts_once():
    relevant = {"a.txt": 3, "b.txt": 3}
    assert ndcg.ndcg_at_k(["a.txt", "a.txt", "b.txt"], relevant, k=2) == pytest.approx(1.0)
    assert ndcg.ndcg_at_k(["a.txt", "a.txt"], relevant, k=2) < 1.0


def test_cutoff_k():
    relevant = {"a.txt": 3}
    assert ndcg.ndcg_at_k(["x", "y", "a.txt"], relevant, k=2) == 0.0
    assert ndcg.ndcg_at_k(["x", "y", "a.txt"], relevant, k=3) == pytest.approx(0.5)


def test_labelled_set_shape_and_files():
    queries = ndcg.load_queries()
    assert len(queries) >= 25
    assert len({q["id"] for q in queries}) == len(queries)
    for q in queries:
        assert q["query"].strip() and q["relevant"], q["id"]
        assert all(g in (1, 2, 3) for g in q["relevant"].values()), q["id"]
        assert max(q["relevant"].values()) == 3, f"{q['id']} has no grade-3 answer"
    named = {f for q in queries for f in q["relevant"]}
    seeds = {f for f in named if not f.startswith("kent_")}
    assert seeds <= {p.name for p in SAMPLE.glob("*.txt")}
    kent = named - seeds
    if not (SHARED / "data" / "kent-items").is_dir():
        pytest.skip("../shared/data/kent-items is absent")
    assert kent <= {p.name for p in (SHARED / "data" / "kent-items").glob("*.txt")}
