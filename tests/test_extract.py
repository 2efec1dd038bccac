"""Extraction against hand-written gold for the seeds and Kent items: precision and recall per entity type."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from councilkg.corpus.discover import discover
from councilkg.corpus.model import InputError
from councilkg.corpus.readers import read
from councilkg.corpus.segment import segment
from councilkg.graph.extract import extract, owner

SHARED = Path(__file__).resolve().parents[2] / "shared"
GOLD = Path(__file__).parent / "gold"
TUNED = {"seeds.json": SHARED / "seeds", "kent.json": SHARED / "data" / "kent-items"}
HELDOUT = "heldout.json"  # keys are paths under ../shared/data; written before the rules were changed for it
TYPES = ("council", "inspection", "judgement", "intervention", "action_owner", "mention", "practice", "outcome")


def _docs(folder: Path) -> dict[str, object]:
    return {s.path.name: segment(read(s)) for s in discover([str(folder)]) if hasattr(s, "path")}


def _heldout_docs(names) -> tuple[dict[str, object], dict[str, str]]:
    """Each held-out file read through the real pipeline; one the project has no reader for yet is skipped, with why."""
    docs, skipped = {}, {}
    for name in names:
        found = [s for s in discover([str(SHARED / "data" / name)])]
        if not found or isinstance(found[0], InputError):
            skipped[name] = str(found[0]) if found else "not found"
            continue
        docs[name] = segment(read(found[0]))
    return docs, skipped


def _match(gold: list, got: list) -> Counter:
    """Multiset match of hashable keys: true positives, false positives, false negatives."""
    g, x = Counter(gold), Counter(got)
    tp = sum((g & x).values())
    return Counter(tp=tp, fp=sum(x.values()) - tp, fn=sum(g.values()) - tp)


def _council(gold: dict | None, facts) -> Counter:
    want, got = (gold or {}).get("gss"), facts.council.gss
    if got == want:
        return Counter(tp=1)
    return Counter(fp=1 if got else 0, fn=1 if want else 0)


def _practices(gold: list[dict], facts) -> tuple[Counter, Counter]:
    """Each extracted practice takes the first unmatched gold practice whose pattern its label matches."""
    counts, outcomes = Counter(), Counter()
    used: set[int] = set()
    for pr in facts.practices:
        hit = next((i for i, g in enumerate(gold) if i not in used and re.search(g["match"], pr.label, re.I)), None)
        if hit is None:
            counts["fp"] += 1
            outcomes["fp"] += pr.outcome is not None
            continue
        used.add(hit)
        g = gold[hit]
        if g.get("optional"):
            continue
        if g.get("council_gss") != getattr(pr, "council_gss", None):
            counts.update(fp=1, fn=1)
            continue
        counts["tp"] += 1
        if g.get("outcome"):
            outcomes["tp" if pr.outcome else "fn"] += 1
        elif pr.outcome:
            outcomes["fp"] += 1
    missed = [g for i, g in enumerate(gold) if i not in used and not g.get("optional")]
    counts["fn"] += len(missed)
    outcomes["fn"] += sum(1 for g in missed if g.get("outcome"))
    return counts, outcomes


def score(gold: dict, facts, text_only=None) -> dict[str, Counter]:
    """Counts per entity type for one document's facts against its gold entry."""
    out = {t: Counter() for t in TYPES}
    out["council"] = _council(gold["council"], facts)
    if text_only is not None and "council_text_only" in gold:
        out["council"] += _council(gold["council_text_only"], text_only)
    ins_key = lambda i: (i["inspectorate"], i["type"], i["date"], i["status"])  # noqa: E731
    out["inspection"] = _match([ins_key(i) for i in gold["inspections"]],
                               [(i.inspectorate, i.type, i.date, i.status) for i in facts.inspections])
    out["judgement"] = _match([(i["type"], j["grade"], j["area"]) for i in gold["inspections"] for j in i["judgements"]],
                              [(i.type, j.grade, j.area) for i in facts.inspections for j in i.judgements])
    out["intervention"] = _match([i["type"] for i in gold["interventions"]], [i.type for i in facts.interventions])
    if gold["action_owners"] is not None:  # null: not labelled for this document, not scored
        out["action_owner"] = _match([o.lower() for o in gold["action_owners"]], [o.lower() for o in facts.action_owners.values()])
    out["mention"] = _match(gold["mentions"], [m.gss for m in facts.mentions])
    out["practice"], out["outcome"] = _practices(gold["practices"], facts)
    return out


def _entries(name: str) -> dict[str, dict]:
    gold = json.loads((GOLD / name).read_text(encoding="utf-8"))
    defaults = gold.pop("_defaults", {})
    gold.pop("_about", None)
    return {k: {**defaults, **v} for k, v in gold.items()}


def _tally(pairs) -> dict[str, dict[str, float]]:
    """Precision, recall and counts per entity type over (gold entry, document) pairs."""
    totals = {t: Counter() for t in TYPES}
    for entry, doc in pairs:
        bare = replace(doc, raw=replace(doc.raw, meta={k: v for k, v in doc.meta.items() if k not in ("council", "gss_code", "source_url")}))
        for t, c in score(entry, extract(doc), extract(bare)).items():
            totals[t] += c
    report = {}
    for t, c in totals.items():
        p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
        r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
        report[t] = {"precision": round(p, 3), "recall": round(r, 3), **{k: c[k] for k in ("tp", "fp", "fn")}}
    return report


def evaluate() -> dict[str, dict[str, float]]:
    """Scores on the tuned gold (seeds and 20 Kent items)."""
    pairs = []
    for name, folder in TUNED.items():
        docs = _docs(folder)
        pairs += [(entry, docs[fname]) for fname, entry in _entries(name).items()]
    return _tally(pairs)


def evaluate_heldout() -> tuple[dict[str, dict[str, float]], dict[str, str], dict[str, tuple]]:
    """Scores on held-out text, the files skipped (no reader yet) and each document's facts for the assertions."""
    entries = _entries(HELDOUT)
    docs, skipped = _heldout_docs(entries)
    facts = {name: (entries[name], extract(doc)) for name, doc in docs.items()}
    return _tally((entries[n], docs[n]) for n in docs), skipped, facts


def _print(title: str, report: dict) -> None:
    print(f"\n{title}")
    for t, r in report.items():
        print(f"  {t:13s} P={r['precision']:.3f} R={r['recall']:.3f}  tp={r['tp']} fp={r['fp']} fn={r['fn']}")


@pytest.fixture(scope="module")
def report():
    if not SHARED.exists():
        pytest.skip("../shared is absent")
    return evaluate()


def test_precision_and_recall_per_entity_type(report):
    _print("tuned (seeds + 20 Kent items)", report)
    low = {t: r for t, r in report.items() if r["precision"] < 0.9 or r["recall"] < 0.8}
    assert not low, low


@pytest.fixture(scope="module")
def heldout():
    if not SHARED.exists():
        pytest.skip("../shared is absent")
    return evaluate_heldout()


def test_heldout_precision_and_no_invented_inspections(heldout):
    """Text nobody tuned on: no inspection, judgement or intervention where the gold has none; practice precision >= 0.9."""
    report, skipped, facts = heldout
    for name, why in skipped.items():
        print(f"\nheld-out file skipped (no reader yet): {name}: {why}")
    _print(f"held-out ({len(facts)} documents)", report)
    for name, (entry, f) in facts.items():
        if not entry["inspections"]:
            assert not f.inspections, (name, [(i.type, i.evidence.quote) for i in f.inspections])
        if not entry["interventions"]:
            assert not f.interventions, (name, [(i.type, i.evidence.quote) for i in f.interventions])
    assert report["judgement"]["fp"] == 0
    assert report["practice"]["precision"] >= 0.9, [
        (n, p.label) for n, (e, f) in facts.items() for p in f.practices
        if not any(re.search(g["match"], p.label, re.I) for g in e["practices"])]


@pytest.fixture(scope="module")
def seeds():
    if not SHARED.exists():
        pytest.skip("../shared is absent")
    return _docs(SHARED / "seeds")


def test_seed_001_council_is_unknown_and_monitoring_visit_kept(seeds):
    f = extract(seeds["001_bfca9e6a047104e6.txt"])
    assert (f.council.gss, f.council.method) == (None, "unknown")
    assert [i.date for i in f.inspections if i.type == "monitoring-visit"] == [None]
    assert f.action_owners and set(f.action_owners.values()) == {"Divisional Commander"}


def test_seed_003_fostering_judgements_and_cambridgeshire(seeds):
    f = extract(seeds["003_6c1e019e122dd967.txt"])
    fostering = next(i for i in f.inspections if i.type == "fostering")
    assert {(j.grade, j.area) for j in fostering.judgements} == {
        ("adequate", None), ("adequate", "safeguarding"), ("adequate", "leadership and management"),
        ("good", "quality of service"), ("good", "outcomes for children")}
    assert not [j for i in f.inspections if i.type != "fostering" for j in i.judgements]
    assert [m.gss for m in f.mentions] == ["E10000003"]
    ipads = next(p for p in f.practices if "iPad" in p.label)
    assert getattr(ipads, "council_gss", None) == "E10000003"
    hello = next(p for p in f.practices if "Golden Hello" in p.label)
    assert hello.kind == "incentive" and "not clear" in hello.outcome
    flat = " ".join(seeds["003_6c1e019e122dd967.txt"].raw.text.split())
    for p in f.practices:  # every fact keeps the sentence it came from, verbatim
        assert " ".join(p.evidence.quote.split()) in flat


def test_email_decides_council_without_metadata(seeds):
    doc = seeds["004_c9b98c7b430ff068.txt"]
    bare = replace(doc, raw=replace(doc.raw, meta={}))
    c = extract(bare).council
    assert (c.gss, c.method) == ("E10000019", "text:email") and "lincolnshire.gov.uk" in c.evidence


@pytest.mark.parametrize("text,want", [
    ("Divisional Commander to attend the committee to provide an update", "Divisional Commander"),
    ("RESOLVED that delegated authority be given to the Director of Children's Services to award the contract.", "Director of Children's Services"),
    ("The report be noted", None),
    ("That the committee notes the report and the improvements made since the previous quarter.", None),
])
def test_owner(text, want):
    assert owner(text) == want
