"""Why follow-up links are not trusted: each candidate signal alone, ranked over the labelled pairs of each split (average
precision, precision of the top 5, where the positives rank); how many pairs and positives fall in the window from a
recommendation's inspection to the council's next full inspection; mutual best matches inside agenda items that discuss
the recommendation's own inspection; and train_followups' choice and protocol with the centred cosines offered (fitted on
train only, held out scored once). Diagnosis (docs/ofsted-reports.md); writes nothing. Needs the data directory of
tests/eval/followups.py:  .venv/bin/python tests/eval/followup_signals.py DIR"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

FULL = ("ilacs", "sif", "tlac", "cpi", "slac")  # Ofsted's full inspections: the next one's start closes the window


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def centred(con, encode, rows: list[dict]) -> dict[str, np.ndarray]:
    """Cosines after taking out what every recommendation and every minutes point share (the mean vector of each kind in
    this directory): the point's passage mean, and its best sentence (encoded here), against the recommendation."""
    from councilkg.embed.followup import _rec_vectors
    from councilkg.graph.sentences import split

    recs = [r[0] for r in con.execute("SELECT text FROM recommendations ORDER BY id")]
    rmean = _rec_vectors(con, encode, recs).mean(axis=0)
    vecs: dict[str, list[np.ndarray]] = {}
    for pid, v in con.execute("SELECT s.point_id, v.vec FROM passages s JOIN vectors v ON v.key = s.vec_key JOIN points p"
                              " ON p.id = s.point_id JOIN documents d ON d.id = p.doc_id WHERE d.fmt != 'ofsted-report'"):
        vecs.setdefault(pid, []).append(np.frombuffer(v, dtype=np.float32))
    pmean = np.mean([np.mean(v, axis=0) for v in vecs.values()], axis=0)
    rtext = dict(con.execute("SELECT id, text FROM recommendations"))
    rids = sorted({r["rec_id"] for r in rows})
    rv = dict(zip(rids, _rec_vectors(con, encode, [rtext[i] for i in rids])))
    ptext = dict(con.execute("SELECT id, text FROM points WHERE id IN (SELECT value FROM json_each(?))",
                             (json.dumps(sorted({r["point_id"] for r in rows})),)))
    sents = {p: [s for s in split(t) if len(s.split()) >= 3] for p, t in ptext.items()}
    flat = sorted({s for v in sents.values() for s in v})
    sv = dict(zip(flat, encode(flat)))
    out = {k: np.zeros(len(rows)) for k in ("cos_centred", "cos_centred_rm", "sent_centred", "sent_centred_rm")}
    for n, r in enumerate(rows):
        point = np.mean(vecs[r["point_id"]], axis=0)
        s = np.stack([sv[x] for x in sents[r["point_id"]]] or [point])
        for suffix, pm in (("", pmean), ("_rm", rmean)):
            rc = _unit(rv[r["rec_id"]] - rmean)
            out["cos_centred" + suffix][n] = float(_unit(point - pm) @ rc)
            out["sent_centred" + suffix][n] = float((_unit(s - pm) @ rc).max())
    return out


def in_window(con, rows: list[dict]) -> np.ndarray:
    """Whether the pair's meeting falls before the council's next full inspection after the recommendation's own."""
    own = dict(con.execute("SELECT r.id, coalesce(o.start, o.published, i.published, i.date) FROM recommendations r JOIN"
                           " inspections i ON i.id = r.inspection_id LEFT JOIN official_inspections o ON o.id = i.event_id"))
    full = con.execute(f"SELECT council_id, coalesce(start, published) d FROM official_inspections WHERE type IN"
                       f" ({','.join('?' * len(FULL))}) AND d IS NOT NULL ORDER BY d", FULL).fetchall()
    ends = [min([d for c, d in full if c == r["council"] and d > own[r["rec_id"]]], default="9999") for r in rows]
    return np.array([r["meeting"] < e for r, e in zip(rows, ends)])


def gated(con, rows: list[dict]) -> np.ndarray:
    """Whether the point's agenda item discusses the recommendation's own inspection (a minutes mention resolved to the
    same official event, issue 20 part 3)."""
    rec_event = dict(con.execute("SELECT r.id, i.event_id FROM recommendations r JOIN inspections i ON i.id = r.inspection_id"))
    item_events: dict[str, set] = {}
    for item, event in con.execute("SELECT ev_item, event_id FROM inspections WHERE event_id IS NOT NULL AND ev_item IS NOT NULL"):
        item_events.setdefault(item, set()).add(event)
    items = dict(con.execute("SELECT id, item_id FROM points WHERE id IN (SELECT value FROM json_each(?))",
                             (json.dumps(sorted({r["point_id"] for r in rows})),)))
    return np.array([rec_event.get(r["rec_id"]) in item_events.get(items[r["point_id"]], ()) for r in rows])


def mutual(score: np.ndarray, y: np.ndarray, rows: list[dict], keep: np.ndarray) -> dict:
    """Among the kept pairs, those where each is the other's best: the recommendation the point's best, and the point the
    recommendation's best."""
    best_rec: dict[str, int] = {}
    best_point: dict[str, int] = {}
    for n in np.flatnonzero(keep):
        r, p = rows[n]["rec_id"], rows[n]["point_id"]
        if p not in best_rec or score[n] > score[best_rec[p]]:
            best_rec[p] = n
        if r not in best_point or score[n] > score[best_point[r]]:
            best_point[r] = n
    linked = sorted(set(best_rec.values()) & set(best_point.values()))
    return {"pairs": int(keep.sum()), "positives": int(y[keep].sum()), "linked": len(linked), "right": int(y[linked].sum())}


def ranking(score: np.ndarray, y: np.ndarray) -> dict:
    from sklearn.metrics import average_precision_score

    order = np.argsort(-score, kind="stable")
    return {"ap": round(float(average_precision_score(y, score)), 3) if y.any() else None,
            "p_at_5": round(float(y[order[:5]].mean()), 2), "positive_ranks": (np.flatnonzero(y[order]) + 1).tolist()[:8]}


def selection(signals: dict[str, np.ndarray], y: np.ndarray, rows: list[dict], top: int = 5) -> list:
    """train_followups' own choice of signals (cross-validated average precision on train, folds grouped by meeting), with
    the centred cosines offered beside the shipped signals: the best subsets."""
    from sklearn.metrics import average_precision_score

    from councilkg.embed.train_followups import _oof

    tr = np.array([r["split"] == "train" for r in rows])
    names = list(signals)
    X = np.stack([signals[n] for n in names], axis=1)[tr]
    groups = np.array([f"{r['council']} {r['meeting']}" for r in rows])[tr]
    got = []
    for k in range(1, 2 ** len(names)):
        cols = [c for c in range(len(names)) if k >> c & 1]
        got.append((round(float(average_precision_score(y[tr], _oof(X, y[tr], groups, cols))), 3), [names[c] for c in cols]))
    return sorted(got, reverse=True)[:top]


def main(data_dir: Path) -> dict:
    from councilkg.embed.encoder import get_encoder
    from councilkg.embed.followup import features
    from councilkg.embed.train_followups import labelled
    from councilkg.graph import store
    from councilkg.graph.followup_model import FEATURES

    con = store.connect(data_dir, readonly=True)
    rows = labelled(con)
    encode = get_encoder(store.get_state(con, "model")).encode
    X = features(con, encode, [(r["rec_id"], r["point_id"]) for r in rows])
    signals = {f: X[:, n] for n, f in enumerate(FEATURES)} | centred(con, encode, rows)
    y = np.array([r["addresses"] for r in rows], dtype=bool)
    win, gate = in_window(con, rows), gated(con, rows)
    report = {"window": {}, "signals": {}, "gate_mutual": {n: mutual(s, y, rows, gate) for n, s in signals.items()}}
    for split in ("train", "heldout"):
        m = np.array([r["split"] == split for r in rows])
        report["window"][split] = {"pairs": int(m.sum()), "positives": int(y[m].sum()), "in_window": int((m & win).sum()),
                                   "positives_in_window": int((y & m & win).sum())}
        for name, s in signals.items():
            report["signals"].setdefault(name, {})[split] = ranking(s[m], y[m])
            if (y & m & win).any():
                report["signals"][name][split + "_in_window"] = ranking(s[m & win], y[m & win])
    report["selection"] = selection({k: v for k, v in signals.items() if not k.endswith("_rm")}, y, rows)
    report["protocol"] = protocol(signals, report["selection"][0][1], y, rows)
    return report


def protocol(signals: dict[str, np.ndarray], names: list[str], y: np.ndarray, rows: list[dict]) -> dict:
    """train_followups' protocol on the chosen signals: threshold from out-of-fold probabilities on train, fit on train,
    the held-out councils scored once."""
    from sklearn.metrics import average_precision_score

    from councilkg.embed.train_followups import _oof, choose_threshold, figures, fit

    tr = np.array([r["split"] == "train" for r in rows])
    X = np.stack([signals[n] for n in names], axis=1)
    groups = np.array([f"{r['council']} {r['meeting']}" for r in rows])[tr]
    oof = _oof(X[tr], y[tr], groups, list(range(len(names))))
    threshold = choose_threshold(y[tr], oof)
    w, b, mean, scale = fit(X[tr], y[tr])
    p = 1.0 / (1.0 + np.exp(-(((X - mean) / scale) @ w + b)))
    return {"signals": names, "threshold": threshold, "train_cv": figures(y[tr], oof >= threshold),
            "train": figures(y[tr], p[tr] >= threshold), "heldout": figures(y[~tr], p[~tr] >= threshold),
            "heldout_ap": round(float(average_precision_score(y[~tr], p[~tr])), 3),
            "heldout_positive_ranks": (np.flatnonzero(y[~tr][np.argsort(-p[~tr], kind="stable")]) + 1).tolist()}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1])), indent=1))
