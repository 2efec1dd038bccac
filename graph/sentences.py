"""Sentences of a segmented document with their positions, so extractors never depend on how points were cut."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

from councilkg.corpus.model import Document
from councilkg.graph.facts import Evidence

_ABBREV = r"(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bDr)(?<!\bCllr)(?<!\bSt)(?<!\bNo)(?<!\be\.g)(?<!\bi\.e)(?<!\betc)"
_SPLIT = re.compile(_ABBREV + r"(?<=[.!?;])[\"'’”)]?\s+(?=[\"'‘“(]?[A-Z0-9£•·])")
_BULLET = re.compile(r"^\s*(?:[•·\-–]|\(?[a-z0-9]{1,3}[.)])\s+")


@dataclass
class Sentence:
    """One sentence and where it stands: item, point (None for the item's own text) and order in its unit."""

    item_seq: int
    point_seq: int | None
    index: int
    text: str

    def evidence(self) -> Evidence:
        return Evidence(self.item_seq, self.point_seq, self.text)


def clean(text: str) -> str:
    """Join wrapped lines and drop a leading bullet or number, keeping the words verbatim."""
    text = re.sub(r"-\n(?=[a-z])", "-", text)
    return _BULLET.sub("", re.sub(r"\s+", " ", text)).strip()


def split(text: str) -> list[str]:
    """Split a passage into sentences at full stops followed by a capital; lines that are list entries stay apart."""
    out = []
    for block in re.split(r"\n\s*\n|\n(?=\s*(?:[•·]|\d{1,2}[.)]|\(?[a-z][.)])\s)", text):
        block = clean(block)
        if block:
            out.extend(s.strip() for s in _SPLIT.split(block) if s.strip())
    return out


def _key(s: str) -> str:
    return re.sub(r"\W+", "", s.lower())


def units(doc: Document) -> Iterator[list[Sentence]]:
    """Per item: its title, each point, then item text and actions not already covered by a point, as sentence lists."""
    for item in doc.items:
        seen: set[str] = set()
        if item.title:
            yield [Sentence(item.seq, None, 0, clean(item.title))]
        for p in item.points:
            sents = [Sentence(item.seq, p.seq, i, s) for i, s in enumerate(split(p.text))]
            seen.update(_key(s.text) for s in sents)
            yield sents
        covered = "\x00".join(seen)  # the set is asked first: only sentences no point repeats exactly scan the joined text
        rest = [s for s in split(item.text) + [a.text for a in item.actions]
                if (k := _key(s)) and k not in seen and k not in covered]
        if rest:
            yield [Sentence(item.seq, None, i, s) for i, s in enumerate(dict.fromkeys(rest))]
