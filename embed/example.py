"""Query by example (`--like`): whose council a pasted paragraph or minutes file is, and which ingested documents it comes from."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from councilkg.corpus.model import InputError, RawDocument, SourceFile, stable_id
from councilkg.embed.filters import SearchError, json_list
from councilkg.embed.rank import distinctive_terms

MIN_CONTAINED = 40  # characters: shorter points ("Noted.") say nothing about where a text comes from
SOURCE_CANDIDATES = 40


@dataclass
class Example:
    """A text used as a query, with what is known about where it comes from."""

    text: str
    terms: list[tuple[str, str]]  # (surface word, stem): its most distinctive terms, for BM25 and highlighting
    council_ids: set[str] = field(default_factory=set)
    council: dict | None = None  # {"name", "gss", "method"} as decided from its own metadata or text
    docs: set[str] = field(default_factory=set)  # ingested documents holding this text

    @property
    def lexical_query(self) -> str:
        return " ".join(w for w, _ in self.terms)


def _norm(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"\W+", " ", text).strip().lower()


def _raw(like: str | Path) -> RawDocument:
    """The example as the ingest pipeline would read it: a file through discovery and its reader, or bare text."""
    from councilkg.corpus.readers import read

    if isinstance(like, Path):
        from councilkg.corpus.discover import discover

        found = next(iter(discover([str(like)])), None)
        if found is None:
            raise SearchError(f"{like}: no readable file here")
        if isinstance(found, InputError):
            raise SearchError(str(found))
        try:
            return read(found)
        except InputError as e:
            raise SearchError(str(e)) from None
    text = str(like)
    return RawDocument(SourceFile(Path("example.txt"), "--like"), text, "text", {}, hashlib.sha256(text.encode()).hexdigest())


def _decide_council(raw: RawDocument) -> dict | None:
    """The council decision the pipeline would make for this text (metadata first, then unambiguous text)."""
    from councilkg.corpus.segment import segment
    from councilkg.graph.extract import extract

    try:
        c = extract(segment(raw)).council
    except InputError:
        return None
    if not (c.gss or c.name):
        return None
    return {"id": c.gss or stable_id("council", c.name.lower()), "name": c.name, "gss": c.gss, "method": c.method}


def examine(con: sqlite3.Connection, idx, like: str | Path) -> Example:
    """Read the example, decide its council, and find the ingested documents it was taken from."""
    raw = _raw(like)
    if not raw.text.strip():
        raise SearchError("--like: the example is empty")
    ex = Example(raw.text, distinctive_terms(raw.text, idx))
    ex.council = _decide_council(raw)
    if ex.council:
        ex.council_ids.add(ex.council["id"])
    ex.docs.update(r[0] for r in con.execute("SELECT id FROM documents WHERE sha256 = ?", (raw.sha256,)))
    if idx is not None and ex.terms:
        body = _norm(raw.text)
        pts, _ = idx.lexical_search(ex.lexical_query, SOURCE_CANDIDATES)
        ids = [p.decode() for p in idx.point_ids[pts]]
        for pid, doc, text in con.execute(
            "SELECT id, doc_id, text FROM points WHERE id IN (SELECT value FROM json_each(?))", (json_list(ids),)
        ):
            t = _norm(text)
            if len(t) >= MIN_CONTAINED and (t in body or (len(body) >= MIN_CONTAINED and body in t)):
                ex.docs.add(doc)
    if ex.docs:
        ex.council_ids.update(
            r[0]
            for r in con.execute(
                "SELECT m.council_id FROM documents d JOIN meetings m ON m.id = d.meeting_id "
                "WHERE d.id IN (SELECT value FROM json_each(?)) AND m.council_id IS NOT NULL",
                (json_list(ex.docs),),
            )
        )
    return ex
