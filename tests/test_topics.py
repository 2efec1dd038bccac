"""Emerging topics: clusters across councils on the real seeds and Kent items, deterministic, labelled, flagged."""

from __future__ import annotations


import numpy as np
import pytest

from councilkg.graph.topics import discover, label_terms, neighbours



@pytest.fixture(scope="module")
def corpus(full_data):
    """Points of the seeds and Kent items as ingest stored them: council, document, vector and themes."""
    from councilkg.embed.emerging import topic_inputs
    from councilkg.graph import store

    con = store.connect(full_data, readonly=True)
    inputs = topic_inputs(con)
    con.close()
    return inputs


def run(c, **kw):
    return discover(**c, **kw)


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


def test_terms_drop_speakers_names_and_possessives():
    from councilkg.graph.topics import _terms

    terms = _terms("Mr Gough responded that the Council's Household Support Fund was discussed with Cllr Hook.")
    assert "gough" not in terms and "hook" not in terms and "council" not in terms
    assert "household support" in terms and not any("'" in t or "’" in t for t in terms)


def test_a_topics_points_come_most_typical_first(corpus):
    vecs = dict(zip(corpus["point_ids"], corpus["vectors"]))
    for t in run(corpus):
        v = np.stack([vecs[p] for p in t.point_ids])
        centre = v.mean(axis=0)
        sims = v @ centre
        assert all(a >= b - 1e-6 for a, b in zip(sims, sims[1:])), t.label


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
    c = dict(corpus, assigned_themes=[[] for _ in corpus["assigned_themes"]])
    topics = run(c)
    assert topics and all(t.uncovered and t.covered_share == 0 for t in topics)


def test_too_few_points_give_no_topics():
    v = np.eye(4, dtype=np.float32)
    assert discover(v, list("abcd"), ["x", "y", "x", "y"], [[]] * 4, ["a", "b", "c", "d"]) == []
