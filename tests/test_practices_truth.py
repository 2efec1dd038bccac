"""Truth for the learned practice pass, printed as tables (`python -m pytest -s tests/test_practices_truth.py`):
sentence level on the labelled sentences, split by council before training (train = tuned, heldout = never tuned on), and
document level on the hand-written gold of tests/test_extract.py, cue rules alone against rules plus the learned pass."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import numpy as np
import pytest
from test_extract import HELDOUT, SHARED, TUNED, _docs, _entries, _heldout_docs, _practices

from councilkg.graph.extract import extract
from councilkg.graph.practice_np import chunks
from councilkg.graph.practices import key, practices
from councilkg.graph.practices_learned import find, model
from councilkg.graph.sentences import Sentence, units


@pytest.fixture(scope="module")
def encode():
    from councilkg.embed.encoder import get_encoder
    from councilkg.embed.train_practices import Cached

    return Cached(get_encoder())


def _source(path: str) -> str:
    return path.split("/")[0]


def test_sentence_level_tuned_and_heldout(encode):
    from councilkg.embed.train_practices import DATA, decide, figures, rows
    from councilkg.graph.shared_text import Unavailable

    try:
        data, m = rows(), model()
    except Unavailable as exc:
        pytest.skip(str(exc))
    assert len(data) >= 0.99 * (len(DATA.read_text(encoding="utf-8").splitlines()) - 1)  # held sentences still found in ../shared
    texts = [r["text"] for r in data]
    X = encode(texts)
    encode(sorted({c for t in texts for c in chunks(t)}))
    probs = m.probability(X, texts)
    pred = decide(texts, probs, encode, m)
    y = np.array([r["label"] == "1" for r in data])
    print(f"\nlearned practices, sentence level (threshold {m.threshold:.2f})")
    table = {}
    for split in ("train", "heldout"):
        for src in ("all", "kent-items", "kent-pdf", "limerick-2016", "ofsted", "seeds"):
            idx = [n for n, r in enumerate(data) if r["split"] == split and src in ("all", _source(r["source"]))]
            if idx:
                f = figures(y[idx], pred[idx])
                table[(split, src)] = f
                print(f"  {split:8s} {src:14s} P={f['precision']:.3f} R={f['recall']:.3f}  tp={f['tp']} fp={f['fp']} fn={f['fn']}"
                      f"  ({f['sentences']} sentences, {f['tp'] + f['fn']} practices)")
    held = np.array([r["split"] == "heldout" for r in data])
    rules = np.array([bool(practices([[Sentence(0, 0, 0, t)]], None)) for t in texts])  # the pattern reader on each alone
    f = figures(y[held], rules[held])
    print(f"  heldout  cue rules alone P={f['precision']:.3f} R={f['recall']:.3f}  tp={f['tp']} fp={f['fp']} fn={f['fn']}")
    open_ = decide(texts, np.ones(len(texts)), encode, replace(m, threshold=0.0))  # what the guards and naming leave open
    print("  held out at other thresholds (for the record, not for choosing):")
    for t in (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9):
        f = figures(y[held], (open_ & (probs >= t))[held])
        print(f"    {t:.2f} P={f['precision']:.3f} R={f['recall']:.3f}  tp={f['tp']} fp={f['fp']} fn={f['fn']}")
    # A regression floor at what the shipped model measured (fifth round, held out P=0.667 R=0.107: 6 of 9 hits right, 6 of
    # 56 practices found; the fourth round's model measured P=0.600 R=0.161, so recall dropped as 1980 more labels moved the
    # cross-validated threshold up), not the goal (P>=0.9, R>=0.5): the model misses the goal, so ingest does not apply it
    # (Model.trusted); see docs/practices.md.
    held_out = table[("heldout", "all")]
    assert held_out["precision"] >= 0.66 and held_out["recall"] >= 0.10
    # the figures the model records for its switch are the ones measured here
    assert (round(m.heldout_precision, 3), round(m.heldout_recall, 3)) == (held_out["precision"], held_out["recall"])
    assert m.trusted == (min(m.cv_precision, m.heldout_precision) >= 0.9 and min(m.cv_recall, m.heldout_recall) >= 0.5)


def _score(pairs, encode, gate: bool) -> dict[str, Counter]:
    """Practice counts per (rules, rules + learned) over (gold entry, document) pairs; the learned pass reads points as ingest
    does, behind the passage gate when `gate`."""
    from councilkg.embed.passages import split

    m = model()
    out = {"rules": Counter(), "rules+learned": Counter()}
    for entry, doc in pairs:
        facts = extract(doc)
        out["rules"] += _practices(entry["practices"], facts)[0]
        pts = [u for u in units(doc) if u and u[0].point_seq is not None]
        if gate:
            titles = {it.seq: it.title for it in doc.items}
            keep = []
            for u in pts:
                text = next(p.text for it in doc.items if it.seq == u[0].item_seq for p in it.points if p.seq == u[0].point_seq)
                vecs = encode(split(text, titles[u[0].item_seq], lambda: encode.enc))
                if m.gate_probability(vecs).max() >= m.gate:
                    keep.append(u)
            pts = keep
        for pr, other in find(pts, encode, facts.council.gss, {key(p.label) for p in facts.practices}, m):
            if other:
                pr.council_gss = other
            facts.practices.append(pr)
        out["rules+learned"] += _practices(entry["practices"], facts)[0]
    return out


def _row(name: str, c: Counter) -> str:
    p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
    r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
    return f"  {name:32s} P={p:.3f} R={r:.3f}  tp={c['tp']} fp={c['fp']} fn={c['fn']}"


@pytest.mark.slow  # encodes every sentence of ~70 gold documents: minutes on a busy machine
def test_document_level_before_and_after(encode):
    if not SHARED.exists():
        pytest.skip("../shared is absent")
    tuned = []
    for name, folder in TUNED.items():
        docs = _docs(folder)
        tuned += [(entry, docs[f]) for f, entry in _entries(name).items()]
    entries = _entries(HELDOUT)
    docs, _ = _heldout_docs(entries)
    held = [(entries[n], docs[n]) for n in docs]
    print("\npractices against tests/gold (document level)")
    for title, pairs in (("tuned (seeds + Kent)", tuned), ("held-out (Gloucester, Kingston, Kent)", held)):
        got = _score(pairs, encode, gate=True)
        print(title)
        print(_row("cue rules (before)", got["rules"]))
        print(_row("rules + learned, gated (after)", got["rules+learned"]))
        assert got["rules+learned"]["tp"] >= got["rules"]["tp"]
