"""Agenda-item headings of a whole-meeting file, decided line by line by a small learned model (corpus/data/item_lines.json,
rebuilt by `python -m councilkg.corpus.train_lines`), with the headings' numbers kept rising through the file."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .heading import title_case
from .line_features import LABEL, NAMES, SENTENCE, Line, features, follows, read_lines

MODEL = Path(__file__).parent / "data" / "item_lines.json"
MIN_HEADINGS = 2


@dataclass
class Heading:
    """A line that may head an item: where it starts, where its body starts, its number and title."""

    start: int
    body: int
    family: str
    number: str | None
    title: str
    rest: str = ""  # text after 'Title:' on the heading line, the body's first words


@lru_cache(maxsize=1)
def load_model() -> tuple[list[float], dict[str, float]]:
    """The shipped weights (one per feature in NAMES) and decision thresholds."""
    model = json.loads(MODEL.read_text(encoding="utf-8"))
    if model["features"] != list(NAMES):
        raise RuntimeError(f"{MODEL}: features differ from line_features.NAMES; rebuild it with train_lines")
    return model["weights"], model["thresholds"]


def find(lines: list[str], width: int, model: tuple[list[float], dict[str, float]] | None = None) -> list[Heading]:
    """The item headings; [] for fewer than two (the file is one item). `model` stands in for the shipped one in training."""
    weights, thresholds = model or load_model()
    parsed, probs = score(lines, width, weights)
    return decide(lines, width, parsed, probs, thresholds)


def score(lines: list[str], width: int, weights: list[float]) -> tuple[list[Line], list[float]]:
    """Each line read and given the model's probability that it heads an item."""
    import numpy as np

    parsed = read_lines(lines)
    rows = features(parsed, width)
    probs = [0.0] * len(rows)
    live = [k for k, row in enumerate(rows) if row is not None]
    if live:
        z = np.clip(np.asarray([rows[k] for k in live]) @ np.asarray(weights), -30, 30)
        for k, p in zip(live, (1 / (1 + np.exp(-z))).tolist()):
            probs[k] = p
    return parsed, probs


def decide(lines: list[str], width: int, parsed: list[Line], probs: list[float], t: dict[str, float]) -> list[Heading]:
    """Lines above the threshold; lines shaped like two or more of them above a lower one (a file writes its headings
    alike); bare numbers rising through the file; in a numbered file, unnumbered titles only when the model is sure."""
    picked = [ln for ln, p in zip(parsed, probs) if p >= t["line"]]
    counts: dict[tuple, int] = {}
    for ln in picked:
        if ln.shape:
            counts[ln.shape] = counts.get(ln.shape, 0) + 1
    picked = [ln for ln, p in zip(parsed, probs) if p >= t["line"] or ln.shape and counts.get(ln.shape, 0) >= 2 and p >= t["shape"]]
    picked = _fill_gaps(parsed, probs, picked, t["shape"])
    kept: list[Line] = []
    last: dict[str, tuple[int, ...]] = {}
    for ln in picked:
        if ln.form in ("num", "slash") and ln.form in last and not follows(last[ln.form], ln.key, gap=50):
            continue  # a bare number that does not rise is a paragraph's, not the next item's ('Item 3' says what it is)
        if ln.form:
            last[ln.form] = ln.key
        kept.append(ln)
    numbered = [ln for ln in kept if ln.form]
    if len(numbered) >= MIN_HEADINGS:  # a numbered file: an unnumbered title before its first number is preamble
        kept = [ln for ln in kept if ln.form or ln.index > numbered[0].index and probs[ln.index] >= t["unnumbered"]]
    heads = [_heading(lines, ln, width) for ln in kept]
    heads = [h for k, h in enumerate(heads) if not (k and heads[k - 1].body > h.start)]
    return heads if len(heads) >= MIN_HEADINGS else []


def _fill_gaps(parsed: list[Line], probs: list[float], picked: list[Line], floor: float) -> list[Line]:
    """A numbered line whose number is the one missing between two picked headings ('294.' between 293 and 295) is
    that item, when the model gives it at least `floor`."""
    chosen = {ln.index for ln in picked}
    numbered = [ln for ln in picked if ln.form]
    for ln in parsed:
        if ln.index in chosen or not ln.form or probs[ln.index] < floor:
            continue
        before = next((h for h in reversed(numbered) if h.index < ln.index and h.form == ln.form), None)
        after = next((h for h in numbered if h.index > ln.index and h.form == ln.form), None)
        if before and after and follows(before.key, ln.key, gap=1) and follows(ln.key, after.key, gap=1):
            chosen.add(ln.index)
    return [ln for ln in parsed if ln.index in chosen]


def _heading(lines: list[str], ln: Line, width: int) -> Heading:
    """Title (wrapped lines joined; 'Apologies: Cllr X' keeps its text after the colon as body) and where the body starts."""
    title, body = ln.title, max(ln.index, ln.title_line) + 1
    rest = ""
    m = re.match(r"^(.{3,80}?):\s+(\S.*)$", title)
    if m and len(m.group(1).split()) <= 8 and _is_text(m.group(2)):
        title, rest = m.group(1), m.group(2)
    elif not title.endswith((".", ":")):
        title, body = _wrapped_title(lines, title, body, width)
    return Heading(ln.index, body, ln.form or "text", ln.number, title_case(title.strip(" :.–—-")), rest=rest)


def _is_text(rest: str) -> bool:
    """After 'Title:', the item's text ('Councillor Innes.'), not the title going on ('Notice of Motion: Climate Emergency')."""
    return rest.endswith((".", ";", "!", "?")) or len(rest.split()) > 8 or rest[:1].islower() or bool(SENTENCE.search(rest))


def _wrapped_title(lines: list[str], title: str, body: int, width: int) -> tuple[str, int]:
    """A long title wraps onto the next line(s): join them while the line before was full or ends mid-phrase."""
    last = title
    while body < len(lines) and lines[body].strip() and len(title.split()) < 30:
        nxt = lines[body].strip()
        full = width and len(last) >= 0.6 * width
        dangling = re.search(r"(?:\b(?:and|of|the|for|to|in|on|by|with|a|an)|[,&–—-])$", last)
        if not (full or dangling) or LABEL.match(nxt) or re.match(r"^\(?(?:\d+|[a-z])[.)]\s", nxt):
            break
        title, last, body = f"{title} {nxt}", nxt, body + 1
    return title, body
