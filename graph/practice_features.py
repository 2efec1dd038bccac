"""Features of a sentence's structure beside its MiniLM vector, for the practice classifier: who the subject is, the tense
and modality of the main verb group, the markers of a question, request, motion or judgement, and whether the cue rules
and their guards fire. The vector says what a sentence is about; these say what it asserts. Regular expressions over
the words only: no parser, no encoder, microseconds a sentence."""

from __future__ import annotations

import re

import numpy as np

from councilkg.graph.practice_np import _AUX, _WORD, _verbish, chunks
from councilkg.graph.practices import _MOTION, _NOT_DONE, RULES, _asserted

_MODAL = {"will", "would", "should", "could", "may", "might", "must", "shall", "can", "cannot"}
_BE = {"is", "are", "was", "were", "be", "been", "being"}
_ADV = {"also", "now", "already", "recently", "then", "further", "successfully", "newly", "been", "being", "to", "not"}
_PART = re.compile(r"[a-z-]{3,}(?:ed|en|un|wn|lt|ht|de|et)")
# The council and what belongs to it: the subjects of what a council did or has in place.
_OURS = re.compile(r"\b(?:we|our|council|councils?'s?|authority|kcc|service|services|team|teams|leaders?|directorate|department|"
                   r"cabinet|executive|director|manager|managers|officers?|hub|academy|panel|board|school|partnership|offer|"
                   r"scheme|programme|project|initiative|unit|group)\b", re.I)
_PERSON = re.compile(r"\b(?:mr|mrs|ms|miss|dr|cllr|councillor|members?|chair(?:man)?|mayor|cathaoirleach)\b", re.I)
_OTHERS = re.compile(r"\b(?:government|minister|dfe|department for|secretary of state|ofsted|inspectors?|charity|police|nhs|"
                     r"trust|national|other (?:councils|authorities))\b", re.I)
_JUDGE = re.compile(r"\b(?:effective(?:ly)?|good|well|strong(?:ly)?|robust(?:ly)?|timely|prompt(?:ly)?|consistent(?:ly)?|"
                    r"too|insufficient(?:ly)?|poor|weak(?:ness(?:es)?)?|quality|thorough(?:ly)?|skilled|understand|know|"
                    r"impact|inconsistent|not always|sensitive(?:ly)?|appropriate(?:ly)?|clear(?:ly)?)\b", re.I)
_THING = re.compile(r"\b(?:scheme|programme|program|team|hub|service|offer|protocol|panel|payment|grant|academy|group|project|"
                    r"initiative|fund|app|campaign|pilot|bonus|allowance|exemption|officer|worker|forum|council|centre|"
                    r"contract|partnership|pathway|package|line|website|tool|model|system)s?\b", re.I)
_IN_PLACE = re.compile(r"\b(?:in place|now (?:has|have|provides?|offers?|runs?)|established|introduced|launched|set up|"
                       r"created|opened|co-located|appointed|commissioned|piloted|rolled out|developed|secured|funded|"
                       r"operational|available|on offer|runs?|provides?|offers?)\b", re.I)
_FUTURE = re.compile(r"\b(?:will|would|plans?|planned|intends?|aims?|proposed?|propos\w+|hope[sd]?|going to|due to|"
                     r"in development|underway|next year|future)\b", re.I)
_NAMED = re.compile(r"[‘'\"“][A-Z][^’'\"”]{2,40}[’'\"”]|\b(?:[A-Z][a-z]+ ){1,3}(?:Service|Team|Scheme|Programme|Hub|Project|Protocol)\b")

# Head nouns of the names of things a council sets up: a phrase ending in one names a practice (practices_learned.name).
_HEAD = re.compile(r"\b(?:scheme|programme|program|team|hub|service|offer|protocol|panel|payment|grant|academy|group|"
                   r"project|initiative|fund|app|campaign|pilot|bonus|allowance|exemption|forum|centre|contract|"
                   r"partnership|pathway|package|line|website|tool|tracker|unit|conferences?|officers?|coordinators?|roles?|"
                   r"therapists?|mentors?|apprenticeships?|placements|beds|homes|lodgings|system)s?\W*$", re.I)
# An agenda heading names a paper ("The Joint Housing Protocol for Care Leavers (Item 9)") and a resolution or recommendation
# notes, agrees or asks ("RESOLVED – to note ... the proposed ..."): neither states that a thing is in place, however much it
# reads like one (heading_or_resolution).
_ITEM = re.compile(r"\(Item \d+[a-z]?\)", re.I)
_RESOLVED = re.compile(r"\bRESOLVED\b")
_ASK = re.compile(r"^\W*(?:\w{1,3}\)\s*)?(?:(?:resolved|agreed|decided)\W+(?:that|to)\b|(?:to\s+)?(?:note|agree|approve|endorse|"
                  r"delegate|recommend|comment on|consider)\b)|\b(?:is|are) (?:being )?asked to\b", re.I)
NAMES = ["modal", "perfect", "past_perfect", "past", "present", "passive", "to_infinitive", "subject_ours", "subject_person",
         "subject_others", "subject_length", "question", "motion", "not_done", "asserted", "cue_rule", "judgement",
         "thing", "in_place", "future", "named", "negation", "person", "fragment", "length", "number", "headed", "headed_proper"]


def _verb_group(low: list[str], words: list[str]) -> tuple[int, list[str]]:
    """Where the main verb group starts and its words (auxiliaries, then the first verb after them)."""
    v = next((i for i, w in enumerate(low) if w in _AUX or w in _MODAL or (i > 0 and _verbish(words, i))), len(low))
    group, j = [], v
    while j < len(low) and (j == v or low[j] in _AUX or low[j] in _MODAL or low[j] in _ADV):
        group.append(low[j])
        j += 1
    if j < len(low):
        group.append(low[j])
    return v, group


def features(text: str) -> np.ndarray:
    """The structure of one sentence as numbers in [0, 1], in the order of NAMES."""
    words = [m.group(0) for m in _WORD.finditer(text)]
    low = [w.lower() for w in words]
    v, group = _verb_group(low, words)
    start = max((j + 1 for j in range(v) if low[j] == ","), default=0)  # "In 2023, Kent created": the subject after the comma
    subject = " ".join(words[start:v])
    g = set(group)
    headed = [c for c in chunks(text) if _HEAD.search(c)]
    part = [w for w in group if _PART.fullmatch(w)]
    f = [
        bool(g & _MODAL),
        bool(g & {"has", "have"}) and bool(part or "been" in g),
        "had" in g and bool(part or "been" in g),
        bool(g & {"was", "were"}) or (bool(group) and bool(_PART.fullmatch(group[0]))),
        bool(g & {"is", "are"}) or (bool(group) and group[0].endswith("s") and group[0] not in _BE | {"has"}),
        bool(g & _BE) and bool(part),
        "to" in g,
        bool(_OURS.search(subject)),
        bool(_PERSON.search(subject)),
        bool(_OTHERS.search(subject)),
        min(v - start, 12) / 12,
        text.rstrip().endswith("?") or "whether" in low,
        bool(_MOTION.search(text)),
        bool(_NOT_DONE.search(text)),
        _asserted(text),
        any(p.search(text) for p, _ in RULES),
        min(len(_JUDGE.findall(text)), 4) / 4,
        min(len(_THING.findall(text)), 3) / 3,
        bool(_IN_PLACE.search(text)),
        bool(_FUTURE.search(text)),
        bool(_NAMED.search(text)),
        bool(set(low) & {"not", "no", "never", "lack", "lacks", "without", "insufficient"}),
        bool(_PERSON.search(text)),
        not text[:1].isupper(),
        min(len(low), 60) / 60,
        bool(re.search(r"\d|£|€", text)),
        bool(headed),
        any(re.search(r"\b[A-Z]", c[1:]) for c in headed),
    ]
    return np.array(f, dtype=np.float32)


def heading_or_resolution(text: str) -> str | None:
    """"heading" for an agenda heading (an item number, or title case with no auxiliary verb and no full stop), "resolution"
    for a resolution, recommendation or motion's ask, else None: a point's sentence, which may state a practice."""
    if _RESOLVED.search(text) or _ASK.search(text):
        return "resolution"
    words = [m.group(0) for m in _WORD.finditer(text) if m.group(0)[:1].isalpha()]
    content = [w for w in words if len(w) > 3]
    if _ITEM.search(text) or (content and not {w.lower() for w in words} & _AUX and not text.rstrip().endswith(".")
                              and sum(w[:1].isupper() for w in content) >= 0.6 * len(content)):
        return "heading"
    return None


def matrix(texts: list[str]) -> np.ndarray:
    """Features of each text, one row each."""
    return np.stack([features(t) for t in texts]) if texts else np.zeros((0, len(NAMES)), np.float32)
