"""Judgements read from sentences against labelled sentences: held-out real text (never tuned on) and written edge cases."""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

import pytest

from councilkg.graph.shared_text import Unavailable, resolve
from councilkg.graph.inspections import judgements
from councilkg.graph.sentences import Sentence

GOLD = json.loads((Path(__file__).parent / "gold" / "judgement_sentences.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def cases(name: str) -> list[dict]:
    """One labelled set, the sentences held by SHA-1 read back from ../shared (skipped without it); at most 1% may no
    longer resolve."""
    try:
        got, lost = resolve(GOLD[name])
    except Unavailable as exc:
        pytest.skip(str(exc))
    assert lost <= 0.01 * len(GOLD[name]), f"{name}: {lost} sentences no longer found in ../shared"
    return got
# Area wording -> the gold's area keys; the most specific first.
_KEYS = [("in-care-and-care-leavers", r"in care and care leavers"), ("care-leavers", r"care leavers"), ("in-care", r"children in care"),
         ("looked-after", r"looked after"), ("help-protection", r"help and protection"), ("leaders", r"impact of leaders"),
         ("leadership-management", r"leadership"), ("adoption", r"adoption"), ("safeguarding", r"safeguarding"),
         ("quality-of-service", r"quality of (?:the )?service"), ("outcomes", r"outcomes")]


def area_key(area: str | None) -> str:
    return "overall" if area is None else next((k for k, pat in _KEYS if re.search(pat, area, re.I)), area)


def score(name: str) -> tuple[dict, list]:
    """Precision and recall of (grade, area) over one labelled set, with each sentence's mistakes."""
    c, wrong = Counter(), []
    for case in cases(name):
        got = Counter((j.grade, area_key(j.area)) for j in judgements(Sentence(0, 0, 0, case["text"])))
        want = Counter(tuple(j) for j in case["judgements"])
        tp = sum((got & want).values())
        c.update(tp=tp, fp=sum(got.values()) - tp, fn=sum(want.values()) - tp)
        if got != want:
            wrong.append((case["text"][:90], sorted(got), sorted(want)))
    p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
    r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
    return {"precision": round(p, 3), "recall": round(r, 3), **c}, wrong


@pytest.mark.parametrize("name,precision,recall", [("heldout", 0.95, 0.7), ("heldout2", 0.9, 0.6), ("edge", 0.95, 0.8)])
def test_judgements_from_sentences(name, precision, recall):
    report, wrong = score(name)
    print(f"\n{name}: {report}")
    for w in wrong:
        print("  ", w)
    assert report["precision"] >= precision and report["recall"] >= recall, wrong


def test_a_third_set_invents_no_judgement():
    """`heldout3` (real report and minutes sentences of councils no earlier set drew on) was read once at 1.000 / 0.088 and
    then became a development set of the structural reader: nothing read where the labeller found none, precision at
    least 0.95 and the recall it reached kept (its headings and prose grades)."""
    report, wrong = score("heldout3")
    invented = [c["text"] for c in cases("heldout3") if not c["judgements"] and judgements(Sentence(0, 0, 0, c["text"]))]
    headings = [c for c in cases("heldout3") if re.match(r"The (?:experiences|impact) [^:]+: ", c["text"])]
    print(f"\nheldout3: {report}; {len(headings)} of the {report['tp'] + report['fn']} labelled are report section headings")
    for w in wrong:
        print("  ", w)
    assert report["precision"] >= 0.95 and not invented and report["recall"] >= 0.9, (report, invented)


def by_kind(name: str) -> dict[str, dict]:
    """Recall per way a grade is written (`prose`, `heading`, `table`: a record's `kind`, or its `prose` list for a mixed
    one), and per part of the set."""
    c: dict[str, Counter] = {}
    for case in cases(name):
        got = Counter((j.grade, area_key(j.area)) for j in judgements(Sentence(0, 0, 0, case["text"])))
        prose = Counter(tuple(j) for j in case.get("prose", []))
        for j, n in Counter(tuple(j) for j in case["judgements"]).items():
            kind = "prose" if prose[j] else case.get("kind", "prose")
            for key in (kind, f"{case.get('part', '')}/{kind}"):
                c.setdefault(key, Counter()).update(tp=min(n, got[j]), fn=n - min(n, got[j]))
    return {k: {"recall": round(v["tp"] / (v["tp"] + v["fn"]), 3), **v} for k, v in sorted(c.items())}


def test_a_fourth_held_out_set_labelled_before_the_reader_was_generalised():
    """`heldout4` (reports no earlier set drew on, Kent, Limerick, ModernGov pages, seeds; and unlabelled sentences of the
    reports earlier sets drew on, reported apart) was labelled before the reader was generalised and is never used to
    change it: precision at least 0.95, nothing read where the labeller found none, and the prose recall of its first
    reading by the structural reader kept (23 of 35), so precision is not met by reading nothing."""
    invented = [c["text"] for c in cases("heldout4") if not c["judgements"] and judgements(Sentence(0, 0, 0, c["text"]))]
    report, wrong = score("heldout4")
    kinds = by_kind("heldout4")
    print(f"\nheldout4: {report}")
    for k, v in kinds.items():
        print(f"  recall {k}: {v}")
    for w in wrong:
        print("  ", w)
    assert report["precision"] >= 0.95 and not invented and kinds["prose"]["tp"] >= 23, (report, invented, kinds["prose"])


def test_minutes_that_state_no_grade_yield_none():
    """Every sentence of the minutes in ../shared that state no Ofsted grade of the council (Limerick's 2016 minutes, an
    Irish council; Kent's items and PDFs, which never name Ofsted; the ModernGov pages): no judgement read."""
    from councilkg.graph.shared_text import SHARED, path, sentences

    data = SHARED / "data"
    folders = ("limerick-2016", "kent-items", "kent-pdf", "moderngov/gloucester", "moderngov/kingston")
    if not all((data / f).is_dir() for f in folders):
        pytest.skip("../shared/data not available")
    sources = [f"{f}/{p.name}" for f in folders for p in sorted((data / f).iterdir()) if p.suffix != ".tsv"]
    read = [(s, t) for s in sources for t in sentences(path(s)) if judgements(Sentence(0, 0, 0, t))]
    assert len(sources) > 100 and not read, read[:5]


@pytest.mark.parametrize("text,want", [
    ("The fostering agency run by the charity was judged good.", []),
    ("The independent fostering agency was judged good at its last inspection.", []),
    ("Barnardo's fostering service was rated good.", []),
    ("Ofsted judged Barnardo's fostering service good.", []),
    ("The regional adoption agency was judged good.", []),
    ("Kent's fostering service was judged good by Ofsted.", [("good", "fostering")]),
    ("The council's fostering service was judged good by Ofsted.", [("good", "fostering")]),
    ("Herefordshire Council's children's services were judged inadequate in 2022.", [("inadequate", "overall")]),
])
def test_a_grade_of_a_provider_the_council_does_not_run_is_not_the_councils(text, want):
    """A charity's, an independent or a regional agency's grade is not the council's (a wrong grade is worse than none);
    a possessive that names a council in the gazetteer keeps it."""
    assert [(j.grade, area_key(j.area)) for j in judgements(Sentence(0, 0, 0, text))] == want
