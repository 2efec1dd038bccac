"""Labelled text held by source and SHA-1, read back from ../shared: minutes and reports there are not ours to commit.

A record names its `source` (a path under ../shared/data, or `seeds/...`) and holds the `sha1` of its sentence instead of
the sentence; `span` [start, end], when present, keeps that slice of the sentence (an excerpt labelled on its own). The
source is read and split into sentences as the labelling did (graph/sentences.py over pypdf's text of a PDF, the text
reader's body of a .txt/.md), so any dataset built the same way resolves; it lives in graph/ for that splitter. Convert
a labelled file (rerunnable): `python -m councilkg.graph.shared_text FILE...` (a .tsv with `source` and `text` columns,
or a .json of record lists)."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import sys
from functools import lru_cache
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
# ../shared/README.md: data whose text may not be committed (tests and training read it from ../shared).
HELD_BACK = ("kent-items/", "kent-pdf/", "moderngov/gloucester/", "moderngov/kingston/", "limerick-2016/", "ofsted/reports/")


class Unavailable(Exception):
    """A record's source is not in ../shared here: callers skip (tests) or stop with this one line (training)."""


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def held_back(source: str) -> bool:
    return source.startswith(HELD_BACK)


def path(source: str) -> Path:
    """Where a source is (links resolved, so every caller shares one cache entry per file)."""
    return (SHARED / source if source.startswith("seeds/") else SHARED / "data" / source).resolve()


def _pdf_pages(p: Path) -> list[str]:
    import logging

    import pypdf

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    return [page.extract_text() or "" for page in pypdf.PdfReader(str(p)).pages]


def _markup_text(data: str) -> str:
    """Every text node of an HTML page or XML response (whose elements may hold escaped HTML), one per line."""
    from selectolax.lexbor import LexborHTMLParser

    for _ in range(2):
        tree = LexborHTMLParser(data)
        for node in tree.css("script, style"):
            node.decompose()
        data = tree.root.text(separator="\n") if tree.root else ""
    return data


def splittings(p: Path) -> list[list[str]]:
    """A source's sentences in order, once per way a labelled set was cut: PDF page text as pypdf gives it and with the page
    furniture dropped; a text file's body without and with Markdown's emphasis marks; markup's text nodes."""
    from councilkg.corpus.pdf import join_pages
    from councilkg.corpus.readers import Payload, tidy
    from councilkg.graph.sentences import split

    if not p.is_file():
        raise Unavailable(f"{p}: not available (../shared is not beside the checkout)")
    if p.suffix.lower() == ".pdf":
        pages = _pdf_pages(p)
        return [split("\n".join(pages)), split(join_pages(pages))]
    if p.suffix.lower() in (".html", ".htm", ".xml"):
        return [split(_markup_text(p.read_text(encoding="utf-8", errors="replace")))]
    body = tidy(Payload(p, p.read_bytes()).body)
    return [split(re.sub(r"\*+", "", body)), split(body)]


@lru_cache(maxsize=256)
def sentences(p: Path) -> tuple[str, ...]:
    """Every sentence of a source, each once, by every way a labelled set was cut (`splittings`)."""
    return tuple(dict.fromkeys(s for cut in splittings(p) for s in cut))


@lru_cache(maxsize=256)
def _by_hash(p: Path) -> dict[str, str]:
    return {sha1(s): s for s in sentences(p)}


def resolve(records: list[dict]) -> tuple[list[dict], int]:
    """The records with `text` filled in from their source, and how many no longer resolve (left out: the splitter or
    the source changed). Raises Unavailable when a source is missing."""
    out, lost = [], 0
    for r in records:
        if r.get("text") or not r.get("sha1"):
            out.append(r)
            continue
        s = _by_hash(path(r["source"])).get(r["sha1"])
        if s is None:
            lost += 1
            continue
        a, b = r.get("span") or (0, len(s))
        out.append(r | {"text": s[a:b]})
    return out, lost


def hold(record: dict) -> tuple[dict, bool]:
    """A record with the text of a held-back source replaced by its sentence's SHA-1 (and span, for an excerpt), and
    whether it resolves. A text its source does not hold (as split here) is kept, not lost: (record, False)."""
    text, source = record.get("text"), record.get("source") or ""
    if not held_back(source):
        return record, True
    if not text:
        return record, record.get("sha1") in _by_hash(path(source))
    p, held = path(source), {k: v for k, v in record.items() if k != "text"}
    whole = text if sha1(text) in _by_hash(p) else next((s for s in sentences(p) if text in s), None)
    if whole is None:
        return record, False
    if whole == text:
        return held | {"sha1": sha1(text), "text": ""}, True
    a = whole.index(text)
    return held | {"sha1": sha1(whole), "span": [a, a + len(text)], "text": ""}, True


def convert(file: Path) -> tuple[int, list[dict]]:
    """Hold back the text of a labelled file in place: (records of held-back sources, those whose text stays because
    their source does not hold it as split here)."""
    total, kept = 0, []

    def one(r: dict) -> dict:
        nonlocal total
        if r.get("source", "").startswith("ofsted/") and not r["source"].startswith("ofsted/reports/"):
            r = r | {"source": "ofsted/reports/" + r["source"][len("ofsted/"):]}  # the practice set's early name for them
        new, ok = hold(r)
        if held_back(new.get("source") or ""):
            total += 1
            kept.extend([] if ok else [new])
        return new if file.suffix == ".tsv" or new.get("text") != "" else {k: v for k, v in new.items() if k != "text"}

    if file.suffix == ".tsv":
        with open(file, encoding="utf-8", newline="") as fh:
            rd = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
            rows, fields = list(rd), list(rd.fieldnames or [])
        rows = [one(r) for r in rows]
        if any("span" in r for r in rows):
            raise ValueError(f"{file}: a .tsv holds whole sentences only (an excerpt needs a span: use .json)")
        if "text" not in fields or "source" not in fields:
            raise ValueError(f"{file}: no `source` and `text` columns")
        if "sha1" not in fields:
            fields.insert(fields.index("text"), "sha1")
        body = "\t".join(fields) + "\n" + "".join("\t".join(r.get(k) or "" for k in fields) + "\n" for r in rows)
    else:
        data = json.loads(file.read_text(encoding="utf-8"))
        for k, v in data.items():
            if isinstance(v, list) and v and all(isinstance(r, dict) for r in v):
                data[k] = [one(r) for r in v]
        body = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    tmp = file.with_name(file.name + ".tmp")
    tmp.write_text(body, encoding="utf-8")
    tmp.replace(file)
    return total, kept


if __name__ == "__main__":
    failed = False
    for name in sys.argv[1:]:
        try:
            n, kept = convert(Path(name))
        except (Unavailable, ValueError, OSError) as exc:
            sys.exit(f"error: {exc}")
        print(f"{name}: {n - len(kept)} of {n} records of held-back sources held by SHA-1")
        for r in kept:
            print(f"  text kept, not a sentence of {r['source']} as split here: {r['text'][:80]}", file=sys.stderr)
        failed = failed or bool(kept)
    sys.exit(1 if failed else 0)
