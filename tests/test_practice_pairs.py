"""The written minimal pairs of the eighth round (docs/practices.md) keep their shape: one practice a group and 3-5 of its
turns into non-practices of the guide's kinds, none of them a labelled sentence; and the false hits read by kind are
labelled train negatives sampled by cue (what tests/eval/practice_pairs.py judges)."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path

from councilkg.graph import practices_learned as pl
from councilkg.graph.shared_text import sha1

GOLD = Path(__file__).parent / "gold"
KINDS = {"proposal", "question", "request", "motion", "hope", "in_progress", "someone_else", "routine_judged", "plan",
         "outcome_only"}


def _read(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def test_pairs_shape():
    pairs = _read(GOLD / "practice_pairs.tsv")
    _groups_of_one_practice(pairs, 3)
    assert len({p["text"] for p in pairs}) == len(pairs) >= 650
    assert sum(g.startswith("h") for g in {p["group"] for p in pairs}) >= 40  # harder forms: passive, embedded, quoted, "since"


def test_routine_form_pairs_shape():
    """The second set, in the form of the top false hits: a team set up, and two turns of it into a routine service judged."""
    routine = _read(GOLD / "practice_pairs_routine.tsv")
    _groups_of_one_practice(routine, 2)
    assert {p["kind"] for p in routine} == {"practice", "routine_judged"} and len(routine) == 120
    assert not {p["text"] for p in routine} & {p["text"] for p in _read(GOLD / "practice_pairs.tsv")}


def _groups_of_one_practice(pairs: list[dict], fewest: int) -> None:
    groups = defaultdict(list)
    for p in pairs:
        assert p["label"] == ("1" if p["kind"] == "practice" else "0") and (p["kind"] in KINDS or p["kind"] == "practice"), p
        groups[p["group"]].append(p)
    assert all(sum(p["label"] == "1" for p in g) == 1 and fewest <= len(g) - 1 <= 5 for g in groups.values())


def test_pairs_are_not_labelled_sentences():
    labelled = _read(pl.MODEL.parent / "practice_sentences.tsv")
    held = {r["sha1"] for r in labelled if r["sha1"]} | {sha1(r["text"]) for r in labelled if r["text"]}
    written = _read(GOLD / "practice_pairs.tsv") + _read(GOLD / "practice_pairs_routine.tsv")
    assert not [p["text"] for p in written if sha1(p["text"]) in held]


def test_errors_are_train_negatives_sampled_by_cue():
    labelled = {r["sha1"] or sha1(r["text"]): r for r in _read(pl.MODEL.parent / "practice_sentences.tsv")}
    errors = _read(GOLD / "practice_pair_errors.tsv")
    assert len(errors) == 40 and all(e["kind"] in KINDS for e in errors)
    rows = [labelled[e["sha1"]] for e in errors]
    assert all(r["split"] == "train" and r["label"] == "0" and r["sampled"] == "cue" for r in rows)
    assert Counter(e["kind"] for e in errors).most_common(1)[0] == ("routine_judged", 32)
