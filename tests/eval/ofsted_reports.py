"""Ofsted report reader against Ofsted's record: council, start date and overall grade of every report in
../shared/data/ofsted/reports/ compared with the scraped register and the URN -> GSS lookup, plus the recommendation
counts against a hand count. Run: .venv/bin/python tests/eval/ofsted_reports.py [--markdown]"""

from __future__ import annotations

import csv
import json
import sys
from datetime import datetime
from pathlib import Path

from councilkg.corpus.model import SourceFile
from councilkg.corpus.readers import read
from councilkg.corpus.segment import segment
from councilkg.graph.extract import extract
from councilkg.graph.ofsted import resolve_event

OFSTED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "ofsted"
HAND = Path(__file__).resolve().parents[1] / "gold" / "ofsted_recommendations.json"


def _day(text: str) -> str | None:
    for fmt in ("%d/%m/%Y", "%d/%m/%y"):
        try:
            return datetime.strptime(text.strip(), fmt).date().isoformat()
        except ValueError:
            pass
    return None


def register() -> tuple[dict[str, str], dict[tuple[str, str], dict]]:
    """URN -> GSS (the lookup's current code), and (URN, publication date) -> the scraped record."""
    with open(OFSTED / "Provider_data_lookup.csv", encoding="utf-8-sig") as fh:
        gss = {r["urn"]: r["la_code_new"] for r in csv.DictReader(fh)}
    with open(OFSTED / "ofsted_csc_ilacs_history.csv", encoding="utf-8") as fh:
        rows = {(r["urn"], _day(r["publication_date"]) or ""): r for r in csv.DictReader(fh)}
    return gss, rows


def compare() -> list[dict]:
    gss, rows = register()
    hand = json.loads(HAND.read_text()) if HAND.exists() else {}
    out = []
    for pdf in sorted((OFSTED / "reports").glob("*.pdf")):
        urn, published = pdf.stem.split("_")[0], pdf.stem.rsplit("_", 1)[1]
        doc = segment(read(SourceFile(pdf, pdf.name, {})))
        facts = extract(doc)
        ins = facts.inspections[0] if facts.inspections else None
        overall = next((j.grade for j in ins.judgements if j.area is None), None) if ins else None
        event = resolve_event(facts.council.gss, ins.type, (ins.date, ins.end_date), "day", ins.evidence.quote, doc.meta.get("date")) if ins else None
        rec = rows.get((urn, published), {})
        want_grade = (rec.get("overall_effectiveness_grade") or "").replace(" ", "-") or None
        if want_grade in ("not_reported_post_reform", "inspection_pre_dates_judgement", "data_unreadable"):
            want_grade = None
        want_start = _day(rec.get("inspection_start_date") or "")
        out.append({
            "file": pdf.name, "format": doc.raw.fmt, "type": ins.type if ins else None,
            "gss": facts.council.gss, "want_gss": gss.get(urn),
            "start": ins.date if ins else None, "want_start": want_start,
            "grade": overall, "want_grade": want_grade,
            "recommendations": len(ins.recommendations) if ins else 0, "hand": hand.get(pdf.name),
            "event": event["id"] if event else None,
        })
    return out


def summary(rows: list[dict]) -> dict:
    def agree(key: str) -> tuple[int, int]:
        known = [r for r in rows if r[f"want_{key}"]]
        return sum(r[key] == r[f"want_{key}"] for r in known), len(known)
    handed = [r for r in rows if r["hand"] is not None]
    return {"reports": len(rows), "recognised": sum(r["format"] == "ofsted-report" for r in rows),
            "council": agree("gss"), "start": agree("start"), "grade": agree("grade"),
            "grade_missing_in_register": sum(1 for r in rows if not r["want_grade"]),
            "recommendations": sum(r["recommendations"] for r in rows),
            "resolved_to_an_event": sum(bool(r["event"]) for r in rows),
            "events_shared": len(rows) - len({r["event"] for r in rows if r["event"]}) - sum(not r["event"] for r in rows),
            "hand_counted": len(handed), "hand_equal": sum(r["hand"] == r["recommendations"] for r in handed),
            "mismatches": [r for r in rows if any(r[f"want_{k}"] and r[k] != r[f"want_{k}"] for k in ("gss", "start", "grade"))
                           or (r["hand"] is not None and r["hand"] != r["recommendations"])]}


if __name__ == "__main__":
    rows = compare()
    s = summary(rows)
    if "--markdown" in sys.argv:
        print("| report | type | GSS (register) | start (register) | overall (register) | recs (hand) |\n|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['file']} | {r['type']} | {r['gss']} ({r['want_gss']}) | {r['start']} ({r['want_start'] or '-'}) | "
                  f"{r['grade'] or '-'} ({r['want_grade'] or '-'}) | {r['recommendations']} ({r['hand'] if r['hand'] is not None else '-'}) |")
    print(json.dumps({k: v for k, v in s.items() if k != "mismatches"}))
    for r in s["mismatches"]:
        print("MISMATCH", json.dumps(r))
