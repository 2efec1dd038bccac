"""Facets and hit themes of points as arrays: what each point's own document fixes is written with its segment, the rest
(council names, committee spellings, inspection grades) is joined in when a generation loads, so a later document can change it."""

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
TABLE_VERSION = 3  # in table.json; a table written by older code is computed afresh (3: raw per-point rows, labels at load)

UNKNOWN_COUNCIL = "unknown council"


@lru_cache(maxsize=1)
def theme_labels() -> dict[str, str]:
    """Theme id -> label from the shipped scheme, parsed once per process."""
    from councilkg.graph.themes import load_scheme

    return {t.id: t.label for t in load_scheme(include_top=True)}


_FACET_ROWS = """
SELECT p.id, m.council_id, m.committee, substr(m.date, 1, 4), p.doc_id
FROM points p JOIN items i ON i.id = p.item_id JOIN documents d ON d.id = p.doc_id
LEFT JOIN meetings m ON m.id = i.meeting_id
"""
_RAW = ("council", "committee", "year", "doc")  # per point, as its own document gives them (a council id may be None)
_FACETS = ("council", "committee", "year", "grade")
_ONLY = " WHERE p.id IN (SELECT value FROM json_each(?))"


def _codes(values: list, n: int, at: np.ndarray, keep_none: bool = False) -> tuple[np.ndarray, list]:
    """Values placed at positions `at` of an n-long code array (-1: absent, and None unless kept), and the distinct values."""
    seen: dict = {}
    codes = np.full(n, -1, dtype=np.int32)
    codes[at] = [-1 if v is None and not keep_none else seen.setdefault(v, len(seen)) for v in values]
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
class Rows:
    """What a point's own document fixes (council id, committee as written, year, document, themes), per point position."""

    codes: dict[str, np.ndarray]  # council, committee, year, doc, theme -> code per position (-1: none)
    values: dict[str, list]  # the same -> the plain value per code
    known: np.ndarray  # bool per position: the point has a row
    theme_ptr: np.ndarray  # position p -> its rows of codes["theme"] and theme_score: ptr[p]:ptr[p+1], strongest first
    theme_score: np.ndarray

    @classmethod
    def read(cls, con: sqlite3.Connection, point_ids: np.ndarray, every: bool = False) -> Rows:
        """The rows of the points `point_ids` (sorted S16) from the database; `every`: they are all the points."""
        where, args = ("", ()) if every else (_ONLY, (json.dumps([p.decode() for p in point_ids.tolist()]),))
        n = len(point_ids)
        rows, at = _at(point_ids, con.execute(_FACET_ROWS + where + " ORDER BY p.id", args).fetchall())
        known = np.zeros(n, dtype=bool)
        known[at] = True
        codes, values = {}, {}
        for c, f in enumerate(_RAW, start=1):
            codes[f], values[f] = _codes([r[c] or None for r in rows], n, at, keep_none=f == "council")
        sql = "SELECT point_id, theme, score FROM point_themes" + where.replace("p.id", "point_id") + \
            " ORDER BY point_id, score DESC, theme"
        trows, tpos = _at(point_ids, con.execute(sql, args).fetchall())
        order = np.argsort(tpos, kind="stable")  # grouped by position, each point's strongest first
        trows, tpos = [trows[i] for i in order.tolist()], tpos[order]
        codes["theme"], values["theme"] = _codes([r[1] for r in trows], len(trows), np.arange(len(trows)))
        ptr = np.zeros(n + 1, dtype=np.int64)
        np.add.at(ptr, tpos + 1, 1)
        return cls(codes, values, known, np.cumsum(ptr), np.array([r[2] for r in trows], dtype=np.float64))

    def save(self, folder: Path) -> None:
        """Write into a segment (or Milvus generation) directory being built, made atomic by its rename."""
        np.savez(folder / TABLE_ARRAYS, known=self.known, theme_ptr=self.theme_ptr, theme_score=self.theme_score, **self.codes)
        saved = {"version": TABLE_VERSION} | self.values
        (folder / TABLE_VALUES).write_text(json.dumps(saved, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> Rows | None:
        """The rows saved in `folder`, or None when absent or written by older code."""
        arrays, values = folder / TABLE_ARRAYS, folder / TABLE_VALUES
        saved = json.loads(values.read_text(encoding="utf-8")) if values.exists() and arrays.exists() else {}
        if saved.pop("version", None) != TABLE_VERSION:
            return None
        with np.load(arrays) as z:
            codes = {f: z[f] for f in (*_RAW, "theme")}
            return cls(codes, saved, z["known"], z["theme_ptr"], z["theme_score"])


def _remap(parts: list[tuple[np.ndarray, list]], label) -> tuple[list[np.ndarray], list]:
    """Codes of several parts over their own values -> codes over one list of `label(value)` (None: no code)."""
    seen: dict = {}
    out = []
    for codes, values in parts:
        lut = np.array([-1 if (lab := label(v)) is None else seen.setdefault(lab, len(seen)) for v in values] + [-1],
                       dtype=np.int32)
        out.append(lut[codes])  # code -1 reads the trailing -1
    return out, list(seen)


@dataclass
class PointTable:
    """What facets and hits need of every point of one generation, assembled once when the generation loads, not per query."""

    codes: dict[str, np.ndarray]  # facet -> code per point position (-1: none, or the point has no row)
    values: dict[str, list]  # facet -> (value, label) per code
    known: np.ndarray  # bool per point: has a live row
    theme_ptr: np.ndarray  # point position p -> its rows of codes["theme"] and theme_score: ptr[p]:ptr[p+1], strongest first
    theme_score: np.ndarray

    @classmethod
    def open(cls, folder: Path, con: sqlite3.Connection, point_ids: np.ndarray) -> PointTable:
        """The table from the rows written beside a generation's indexes (computed when they are absent or older)."""
        rows = Rows.load(folder)
        return cls.assemble(con, [(rows, None)]) if rows is not None else cls.compute(con, point_ids)

    @classmethod
    def compute(cls, con: sqlite3.Connection, point_ids: np.ndarray) -> PointTable:
        """Every point's council, committee, year, grade and themes from the database, in point-position order."""
        return cls.assemble(con, [(Rows.read(con, point_ids), None)])

    @classmethod
    def assemble(cls, con: sqlite3.Connection, parts: list[tuple[Rows, np.ndarray | None]]) -> PointTable:
        """Parts' rows (with a bool mask of their live positions, None: all) one after another, with today's labels:
        council names, one shown spelling per committee (over the live points) and the grade each meeting had."""
        live = [np.ones(len(r.known), dtype=bool) if m is None else m for r, m in parts]
        names = dict(con.execute("SELECT id, name FROM councils").fetchall())
        grades = grade_by_document(con)
        spelled: Counter = Counter()
        for (r, _), m in zip(parts, live):
            c = r.codes["committee"][m]
            counts = np.bincount(c[c >= 0], minlength=len(r.values["committee"]))
            spelled.update({v: int(n) for v, n in zip(r.values["committee"], counts.tolist()) if n})
        shown = _committee_names(spelled)
        labels = {
            "council": lambda v: (v, names.get(v)) if v else (None, UNKNOWN_COUNCIL),
            "committee": lambda v: (shown.get(v, v),) * 2,
            "year": lambda v: (v, v),
            "grade": lambda v: (grades[v], grade_label(grades[v])) if v in grades else None,
            "theme": lambda v: (v, theme_labels().get(v, v)),
        }
        codes, values = {}, {}
        for f in (*_FACETS, "theme"):
            raw = "doc" if f == "grade" else f
            got, values[f] = _remap([(r.codes[raw], r.values[raw]) for r, _ in parts], labels[f])
            codes[f] = np.concatenate(got) if got else np.zeros(0, np.int32)
        starts = np.cumsum([0] + [len(r.theme_score) for r, _ in parts])
        ptr = [r.theme_ptr[:-1] + s for (r, _), s in zip(parts, starts.tolist())] + [starts[-1:]]
        known = np.concatenate([r.known & m for (r, _), m in zip(parts, live)]) if parts else np.zeros(0, bool)
        scores = np.concatenate([r.theme_score for r, _ in parts]) if parts else np.zeros(0)
        return cls(codes, values, known, np.concatenate(ptr).astype(np.int64), scores)

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
