"""No sentence of the data ../shared/README.md says may not be committed (Kent's minutes, Limerick's, the ModernGov
fixtures, Ofsted's report PDFs) appears verbatim in a tracked file: labelled sets hold such text by SHA-1
(graph/shared_text.py). Short quoted phrases stay allowed: only sentences of at least MIN_CHARS count."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from conftest import ROOT, SHARED, need

from councilkg.graph.shared_text import sha1

MIN_CHARS = 60
# Single sentences quoted as a test's match string or as cited evidence in docs: allowed, by SHA-1 (and say where).
ALLOWED = {
    "916e4dbe56a8d7f04af5c59ba71d0da1bd106311": "docs/input-formats.md: a Kingston meeting page's subtitle, cited",
    "0d484811a8c53f5d7f55812bd054fd6b20e9aca5": "docs/reading.md: a Limerick minutes' opening words, cited",
    "37ac71ae53534892f28833886b6a544915af6eb8": "tests/test_minutes_events.py: the point a mention is expected in",
    "c00dd8d25451a473bf9ac444d2ff98f7232b71f9": "tests/test_segment.py: an item heading expected from a Kent PDF",
    "aead6dd1694a4c3c9b9e1d29de48b85d05e42261": "tests/test_segment.py: a resolution expected from a Kent PDF",
    "8daaf7230fbdc7624afc3b503d6add263f978fd7": "tests/test_segment.py: an answer's context expected from a Kent PDF",
}
KEY = 40  # sentences are found by their first KEY characters, then checked whole
# (folder, files, every n-th file read): pypdf takes 27 s of CPU over all 89 report PDFs, so every second one is read
# (the test's budget is 60 s); everything else whole.
HELD_BACK = [("kent-items", "*.txt", 1), ("kent-pdf", "*.pdf", 1), ("limerick-2016", "*.md", 1), ("moderngov/gloucester", "*.xml", 1),
             ("moderngov/kingston", "*", 1), ("ofsted/reports", "*.pdf", 2)]


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return [s for v in items for s in _strings(v)]


def tracked_text() -> str:
    """Every tracked text file, whitespace collapsed; a JSON file's strings also decoded (escapes would hide them)."""
    parts = []
    for name in subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0"):
        p = ROOT / name
        if not name or not p.is_file():
            continue
        data = p.read_bytes()
        if b"\0" in data[:8192]:
            continue
        text = data.decode("utf-8", errors="replace")
        if p.suffix == ".json":
            text += "\n".join(_strings(json.loads(text)))
        parts.append(_flat(text))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def held_back_sentences() -> dict[str, str]:
    """Each long sentence of the held-back data (as graph/shared_text.py splits it) -> its file."""
    from councilkg.graph.shared_text import sentences

    out = {}
    for folder, pattern, step in HELD_BACK:
        for p in sorted(need(SHARED / "data" / folder).glob(pattern))[::step]:
            out.update((_flat(s), f"{folder}/{p.name}") for s in sentences(p.resolve()) if len(s) >= MIN_CHARS)
    return out


def found(sentences: dict[str, str], hay: str) -> list[tuple[str, str]]:
    """(file, sentence) of every sentence found verbatim in the haystack."""
    keys: dict[str, list[str]] = {}
    for s in sentences:
        keys.setdefault(s[:KEY], []).append(s)
    hits = {}
    for i in range(len(hay) - KEY):
        for s in keys.get(hay[i:i + KEY], ()):
            if hay.startswith(s, i):
                hits[s] = sentences[s]
    return sorted((f, s) for s, f in hits.items())


def test_no_held_back_sentence_is_committed(held_back_sentences):
    hits = [(f, s) for f, s in found(held_back_sentences, tracked_text()) if sha1(s) not in ALLOWED]
    assert not hits, f"{len(hits)} sentences of ../shared data that may not be committed are in tracked files:\n" + \
        "\n".join(f"  {f}: {s[:100]}" for f, s in hits[:20])


def test_the_guard_finds_a_sentence(held_back_sentences):
    """The check itself: a held-back sentence pasted into a file is found."""
    sents = held_back_sentences
    s = next(iter(sents))
    assert found(sents, f"x {s} y") == [(sents[s], s)] and not found(sents, s[:-1])


def test_a_labelled_file_converts_once_and_reads_back(tmp_path):
    """Text of a held-back source becomes its SHA-1 and reads back the same; a second run changes nothing; a text the
    source does not hold is kept (and named), the seeds' text stays."""
    import csv

    from councilkg.graph.shared_text import convert, path, resolve, sentences

    source = "kent-items/" + need(SHARED / "data" / "kent-items" / "kent_2024-10-29_cpp_item04.txt").name
    real = [s for s in sentences(path(source)) if len(s) > 40][:3]
    rows = [("train", "0", source, t) for t in real] + [("train", "1", source, "A sentence Kent never wrote."),
                                                         ("train", "0", "seeds/000_4b2e1a569856f92f.txt", "Seed text stays.")]
    f = tmp_path / "labelled.tsv"
    f.write_text("split\tlabel\tsource\ttext\n" + "".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    total, kept = convert(f)
    once = f.read_text(encoding="utf-8")
    assert total == 4 and [r["text"] for r in kept] == ["A sentence Kent never wrote."] and not any(t in once for t in real)
    assert convert(f)[0] == 4 and f.read_text(encoding="utf-8") == once
    with open(f, encoding="utf-8", newline="") as fh:
        back, lost = resolve(list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)))
    assert lost == 0 and [r["text"] for r in back] == [*real, "A sentence Kent never wrote.", "Seed text stays."]
