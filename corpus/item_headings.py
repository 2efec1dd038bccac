"""Agenda-item headings of a whole-meeting file, decided line by line by a small learned model (corpus/data/item_lines.json,
rebuilt by `python -m councilkg.corpus.train_lines`), with the headings' numbers kept rising through the file."""

from __future__ import annotations

import json
import math
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

    @property
    def key(self) -> tuple[int, ...]:
        parts = re.findall(r"\d+", self.number or "")
        suffix = re.search(r"[A-Za-z]$", self.number or "")
        return (*map(int, parts), ord(suffix.group(0).lower()) - 96 if suffix else 0)


@lru_cache(maxsize=1)
def load_model() -> tuple[list[float], float]:
    """The shipped weights (one per feature in NAMES) and decision threshold."""
    model = json.loads(MODEL.read_text(encoding="utf-8"))
    if model["features"] != list(NAMES):
        raise RuntimeError(f"{MODEL}: features differ from line_features.NAMES; rebuild it with train_lines")
    return model["weights"], model["threshold"]


def find(lines: list[str], width: int, model: tuple[list[float], float] | None = None) -> list[Heading]:
    """The item headings: lines the model scores above its threshold, numbered ones rising through the file; [] for
    fewer than two (the file is one item). `model` (weights, threshold) stands in for the shipped one in training."""
    weights, threshold = model or load_model()
    parsed = read_lines(lines)
    rows = features(parsed, width)
    picked: list[Line] = []
    last: dict[str, tuple[int, ...]] = {}
    for ln, row in zip(parsed, rows):
        if not ln.text or _probability(weights, row) < threshold:
            continue
        if ln.form in ("num", "slash") and ln.form in last and not follows(last[ln.form], ln.key, gap=50):
            continue  # a bare number that does not rise is a paragraph's, not the next item's ('Item 3' says what it is)
        if ln.form:
            last[ln.form] = ln.key
        picked.append(ln)
    numbered = [ln for ln in picked if ln.form]
    if len(numbered) >= MIN_HEADINGS:  # a numbered file: an unnumbered title before its first number is preamble
        picked = [ln for ln in picked if ln.form or ln.index > numbered[0].index]
    heads = [_heading(lines, ln, width) for ln in picked]
    heads = [h for k, h in enumerate(heads) if not (k and heads[k - 1].body > h.start)]
    return heads if len(heads) >= MIN_HEADINGS else []


def _probability(weights: list[float], row: list[float]) -> float:
    z = sum(w * x for w, x in zip(weights, row))
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))


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


def _next_text(lines: list[str], j: int) -> int | None:
    """The next non-blank line, within two blank lines."""
    for k in range(j, min(len(lines), j + 3)):
        if lines[k].strip():
            return k
    return None


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
