"""Follow-up links (recommendation -> later debate point) on labelled pairs: precision and recall of the cosine
threshold. Needs a data directory holding the seeds, Kent's minutes and four reports:
  councilkg ingest corpus/sample ../shared/data/kent-items ../shared/data/kent-pdf \\
    ../shared/data/ofsted/reports/{80474_herefordshire_2018-07-23,80498_haringey_2018-12-14,80484_lincolnshire_2015-01-06,80476_kent_2022-07-05}.pdf --data DIR
then: .venv/bin/python tests/eval/followups.py DIR"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from councilkg.embed.encoder import get_encoder
from councilkg.embed.followup import THRESHOLD, cosines
from councilkg.graph import store

GOLD = Path(__file__).resolve().parents[1] / "gold" / "followups.json"


def scored(data_dir: Path) -> list[tuple[float, bool]]:
    """(cosine, label) of every labelled pair found in the data directory."""
    con = store.connect(data_dir, readonly=True)
    enc = get_encoder(store.get_state(con, "model"))
    out = []
    for pair in json.loads(GOLD.read_text())["pairs"]:
        rvec = enc.encode([pair["recommendation"]])
        got = cosines(con, rvec, "p.text = ? AND p.doc_id IN (SELECT d.id FROM documents d JOIN meetings m ON m.id = d.meeting_id"
                      " WHERE m.council_id = ? AND m.date = ?)", (pair["point"], pair["council"], pair["meeting"]))
        if got:
            out.append((max(got.values()), pair["addresses"]))
    return out


def curve(pairs: list[tuple[float, bool]], thresholds) -> list[dict]:
    positives = sum(label for _, label in pairs)
    rows = []
    for t in thresholds:
        kept = [label for s, label in pairs if s >= t]
        tp = sum(kept)
        rows.append({"threshold": round(t, 4), "links": len(kept), "precision": round(tp / len(kept), 3) if kept else None,
                     "recall": round(tp / positives, 3) if positives else None})
    return rows


if __name__ == "__main__":
    pairs = scored(Path(sys.argv[1]))
    print(json.dumps({"pairs": len(pairs), "positives": sum(l for _, l in pairs), "threshold_in_use": THRESHOLD}))
    for row in curve(pairs, sorted({s for s, _ in pairs} | {THRESHOLD}, reverse=True)):
        print(json.dumps(row))
