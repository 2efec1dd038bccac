"""Facets and hit themes of every point of one generation as arrays, written with the generation so no query or start-up rebuilds them."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from councilkg.embed.filters import grade_by_document

TABLE_ARRAYS = "table.npz"  # in the generation's directory, beside its indexes
TABLE_VALUES = "table.json"
TABLE_VERSION = 2  # in table.json; a table written by older code is computed afresh (2: committee names folded)

UNKNOWN_COUNCIL = "unknown council"


@lru_cache(maxsize=1)
def theme_labels() -> dict[str, str]:
    """Theme id -> label from the shipped scheme, parsed once per process."""
    from councilkg.graph.themes import load_scheme

    return {t.id: t.label for t in load_scheme(include_top=True)}


_FACET_ROWS = """
SELECT p.id, p.doc_id, m.date, m.committee, m.council_id, c.name AS council_name
FROM points p JOIN items i ON i.id = p.item_id JOIN documents d ON d.id = p.doc_id
LEFT JOIN meetings m ON m.id = i.meeting_id LEFT JOIN councils c ON c.id = m.council_id
"""
_FACETS = ("council", "committee", "year", "grade")


def _codes(values: list, n: int, at: np.ndarray) -> tuple[np.ndarray, list]:
    """Values (None: absent) placed at positions `at` of an n-long code array (-1: absent), and the distinct values."""
    seen: dict = {}
    codes = np.full(n, -1, dtype=np.int32)
    codes[at] = [-1 if v is None else seen.setdefault(v, len(seen)) for v in values]
    return codes, list(seen)


def _at(point_ids: np.ndarray, rows: list) -> tuple[list, np.ndarray]:
    """The rows whose first column is a point of this generation, and those points' positions."""
    want = np.array([r[0] for r in rows], dtype="S16")
    pos = np.clip(np.searchsorted(point_ids, want), 0, max(len(point_ids) - 1, 0)) if len(rows) else np.zeros(0, np.int64)
    ok = point_ids[pos] == want if len(point_ids) else np.zeros(len(rows), dtype=bool)
    return [r for r, keep in zip(rows, ok.tolist()) if keep], pos[ok]


def committee_key(name: str) -> str:
    """A committee name folded for case and spacing: two spellings of one committee share it."""
    return " ".join(name.split()).casefold()


def grade_label(grade: str) -> str:
    return grade.replace("-", " ").capitalize()


def facet_entries(counts: dict[tuple, int]) -> list[dict]:
    """One facet's {value, label, count} entries from counts per (value, label), most points first."""
    entries = [{"value": v, "label": label, "count": int(n)} for (v, label), n in counts.items() if n]
    return sorted(entries, key=lambda e: (-e["count"], str(e["label"])))


def _committee_names(names: list[str | None] | Counter) -> dict[str, str]:
    """Each committee name as given -> one shown form per name folded for case and spacing, so a facet is not split in two.

    Councils write the same committee as "Children and Young People Scrutiny Committee" and "Children and young
    people scrutiny committee"; the form with the most capitals short of all capitals (then the most points) is
    shown, and the committee filter matches either."""
    counts = names if isinstance(names, Counter) else Counter(n for n in names if n)  # a Counter: names with their points
    rank = lambda n: (not n.isupper(), sum(c.isupper() for c in n), counts[n])  # noqa: E731
    best: dict[str, str] = {}
    for name in sorted(counts):
        key = committee_key(name)
        if key not in best or rank(name) > rank(best[key]):
            best[key] = name
    return {n: best[committee_key(n)] for n in counts}


@dataclass
class PointTable:
    """What facets and hits need of every point of one generation, read once when the generation loads, not per query."""

    codes: dict[str, np.ndarray]  # facet -> code per point position (-1: none, or the point has no row)
    values: dict[str, list]  # facet -> (value, label) per code
    known: np.ndarray  # bool per point: has a row (cannot be False within one generation)
    theme_ptr: np.ndarray  # point position p -> its rows of codes["theme"] and theme_score: ptr[p]:ptr[p+1], strongest first
    theme_score: np.ndarray

    @classmethod
    def open(cls, gen_dir: Path, con: sqlite3.Connection, point_ids: np.ndarray) -> PointTable:
        """The table ingest wrote beside the generation's indexes (a generation written before it had one: computed)."""
        arrays, values = gen_dir / TABLE_ARRAYS, gen_dir / TABLE_VALUES
        saved = json.loads(values.read_text(encoding="utf-8")) if values.exists() and arrays.exists() else {}
        if saved.pop("version", None) != TABLE_VERSION:
            return cls.compute(con, point_ids)
        with np.load(arrays) as z:
            codes = {f: z[f] for f in (*_FACETS, "theme")}
            known, ptr, score = z["known"], z["theme_ptr"], z["theme_score"]
        vals = {f: [tuple(v) for v in vs] for f, vs in saved.items()}
        vals["theme"] = [(t, theme_labels().get(t, t)) for t, _ in vals["theme"]]  # labels as the installed scheme has them
        return cls(codes, vals, known, ptr, score)

    def save(self, gen_dir: Path) -> None:
        """Write beside the indexes of a generation being built (made atomic by the directory's rename)."""
        np.savez(gen_dir / TABLE_ARRAYS, known=self.known, theme_ptr=self.theme_ptr, theme_score=self.theme_score,
                 **self.codes)
        saved = {"version": TABLE_VERSION} | self.values
        (gen_dir / TABLE_VALUES).write_text(json.dumps(saved, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def compute(cls, con: sqlite3.Connection, point_ids: np.ndarray) -> PointTable:
        """Read every point's council, committee, year, grade and themes from the database, in point-position order."""
        n = len(point_ids)
        rows, at = _at(point_ids, con.execute(_FACET_ROWS).fetchall())
        grades = grade_by_document(con)
        known = np.zeros(n, dtype=bool)
        known[at] = True
        committee = _committee_names([r[3] for r in rows])
        raw = {
            "council": [(r[4], r[5] if r[4] else UNKNOWN_COUNCIL) for r in rows],
            "committee": [(committee[r[3]],) * 2 if r[3] else None for r in rows],
            "year": [(r[2][:4], r[2][:4]) if r[2] else None for r in rows],
            "grade": [(grades[r[1]], grade_label(grades[r[1]])) if r[1] in grades else None for r in rows],
        }
        codes, values = {}, {}
        for f in _FACETS:
            codes[f], values[f] = _codes(raw[f], n, at)
        sql = "SELECT point_id, theme, score FROM point_themes ORDER BY point_id, score DESC, theme"
        trows, tpos = _at(point_ids, con.execute(sql).fetchall())
        order = np.argsort(tpos, kind="stable")  # grouped by position, each point's strongest first
        trows, tpos = [trows[i] for i in order.tolist()], tpos[order]
        tcode, tids = _codes([r[1] for r in trows], len(trows), np.arange(len(trows)))
        codes["theme"], values["theme"] = tcode, [(t, theme_labels().get(t, t)) for t in tids]
        ptr = np.zeros(n + 1, dtype=np.int64)
        np.add.at(ptr, tpos + 1, 1)
        return cls(codes, values, known, np.cumsum(ptr), np.array([r[2] for r in trows], dtype=np.float64))

    def themes(self, pos: int) -> list[tuple[str, float]]:
        """(theme id, score) of the point at `pos`, strongest first."""
        a, b = self.theme_ptr[pos], self.theme_ptr[pos + 1]
        ids = self.values["theme"]
        return [(ids[c][0], s) for c, s in zip(self.codes["theme"][a:b].tolist(), self.theme_score[a:b].tolist())]

    def facets(self, pts: np.ndarray) -> dict[str, list[dict]]:
        """Counts of the points at positions `pts` per council, theme, committee, year and inspection grade at the time."""
        pts = np.unique(pts[self.known[pts]])
        out = {}
        ptr, tcode = self.theme_ptr, self.codes["theme"]
        for f in ("council", "theme", "committee", "year", "grade"):
            vals = self.values[f]
            if f == "theme":
                code = np.concatenate([tcode[ptr[p]:ptr[p + 1]] for p in pts.tolist()] or [np.zeros(0, np.int32)])
            else:
                code = self.codes[f][pts]
            counts = np.bincount(code[code >= 0], minlength=len(vals)) if len(vals) else np.zeros(0, np.int64)
            out[f] = facet_entries({vals[c]: counts[c] for c in np.flatnonzero(counts).tolist()})
        return out
