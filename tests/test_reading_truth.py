"""Truth for the heading reader: meeting date and council of whole-meeting minutes against tests/reading/gold.json,
per set and per split (files of councils held out before tuning vs the rest). `python -m pytest -s` prints the table."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

from councilkg.corpus.model import Document, SourceFile
from councilkg.corpus.readers import read
from councilkg.graph.extract import decide_council

HERE = Path(__file__).parent / "reading"
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
GOLD = json.loads((HERE / "gold.json").read_text(encoding="utf-8"))["files"]


def _norm(name: str | None) -> str:
    return re.sub(r"\s+", " ", re.sub(r"^the\s+|[.,'’]", "", (name or "").lower().replace("&", "and"))).strip()


def _path(row: dict) -> Path:
    return (SHARED if row["set"] != "written" else HERE) / row["file"]


def read_one(row: dict) -> dict:
    """What the pipeline reads from one gold file: the heading's date (not the file name's), council and parent."""
    raw = read(SourceFile(_path(row), row["file"]))
    council = decide_council(Document(raw))
    date = raw.meta.get("date") if raw.methods.get("date") not in (None, "file-name") else None
    return {"date": date, "council": council.name, "within": council.within_name}


def _score(rows: list[tuple[dict, dict]], key: str) -> tuple[int, int, int]:
    """(right, wrong, unanswered) for one fact."""
    right = wrong = none = 0
    for gold, got in rows:
        want = gold[key] if isinstance(gold[key], list) else [gold[key]]
        if not got[key]:
            none += 1
        elif (got[key] in want) if key == "date" else (_norm(got[key]) in {_norm(w) for w in want}):
            right += 1
        else:
            wrong += 1
    return right, wrong, none


@pytest.fixture(scope="module")
def results() -> dict[tuple[str, str], list[tuple[dict, dict]]]:
    out: dict[tuple[str, str], list] = defaultdict(list)
    for row in GOLD:
        if _path(row).exists():
            out[(row["set"], row["split"])].append((row, read_one(row)))
    return out


def table(results) -> list[str]:
    """One line per set and split: files, then precision and recall of date, council, both, and 'within' where labelled."""
    lines = [f"{'set':<14}{'split':<9}{'files':>6}  {'date P':>7}{'date R':>7}  {'council P':>10}{'council R':>10}  "
             f"{'both right':>10}  {'within':>7}"]
    for (name, split), rows in sorted(results.items()):
        cells = []
        for key in ("date", "council"):
            r, w, _ = _score(rows, key)
            cells += [r / (r + w) if r + w else 1.0, r / len(rows)]
        both = sum(1 for g, got in rows if _score([(g, got)], "date")[0] and _score([(g, got)], "council")[0])
        labelled = [(g, got) for g, got in rows if g.get("within")]
        within = f"{_score(labelled, 'within')[0]}/{len(labelled)}" if labelled else "-"
        lines.append(f"{name:<14}{split:<9}{len(rows):>6}  {cells[0]:>7.2f}{cells[1]:>7.2f}  {cells[2]:>10.2f}{cells[3]:>10.2f}  "
                     f"{both / len(rows):>10.2f}  {within:>7}")
    return lines


def test_truth_table(results):
    print("\n" + "\n".join(table(results)))
    for (name, split), rows in sorted(results.items()):
        for gold, got in rows:
            if not (_score([(gold, got)], "date")[0] and _score([(gold, got)], "council")[0]):
                print(f"  miss {split} {gold['file']}: want {gold['date']} {gold['council']!r}, got {got['date']} {got['council']!r}")
    held = [pair for (_, split), rows in results.items() if split == "heldout" for pair in rows]
    assert held, "no held-out files"
    both = sum(1 for g, got in held if _score([(g, got)], "date")[0] and _score([(g, got)], "council")[0])
    assert both / len(held) >= 0.9
    for key in ("date", "council"):  # precision first: an answer given is right
        r, w, _ = _score([p for rows in results.values() for p in rows], key)
        assert w <= 0.02 * (r + w), key
