"""Hits, facets and council names from the rows of Milvus points collections, in the shapes a data directory's search gives."""

from __future__ import annotations

from collections import Counter
from typing import Callable

from councilkg.embed import milvus as mv
from councilkg.embed.filters import SearchError
from councilkg.embed.results import hit
from councilkg.embed.table import UNKNOWN_COUNCIL, _committee_names, facet_entries, grade_label, theme_labels

ROW_FIELDS = ["pos", "point_id", "doc_id", "item_id", "item_title", "item_number", "meeting_id", "text", "council_id",
              "council_name", "gss", "committee", "date", "grade", "themes", "theme_scores", "source", "source_url"]
# A row's field -> the column of results._ROWS it stands for; "" in Milvus is NULL in SQLite.
_AS_SQL = {"point_id": "id", "item_title": "title", "item_number": "number", "council_name": "council_name",
           "text": "text", "doc_id": "doc_id", "item_id": "item_id", "meeting_id": "meeting_id", "date": "date",
           "committee": "committee", "council_id": "council_id", "gss": "gss", "source": "source",
           "source_url": "source_url"}
_NOT_NULL = {"id", "text", "doc_id", "item_id", "source"}


def as_sql_row(r: dict) -> dict:
    """A Milvus row as the columns make_hits reads from SQLite (absent values back to None)."""
    out = {col: r[f] for f, col in _AS_SQL.items()}
    return {col: v if v != "" or col in _NOT_NULL else None for col, v in out.items()}


def hits(rows: list[dict], scores: list[float], stems: set[str], extras: list[dict]) -> list[dict]:
    """Contract §2 hits for ranked rows, exactly as embed/results.make_hits renders them from a data directory."""
    labels = theme_labels()
    out = []
    for n, (r, score, extra) in enumerate(zip(rows, scores, extras), start=1):
        themes = list(zip(r["themes"], (float(s) for s in r["theme_scores"])))
        out.append(hit(as_sql_row(r), score, themes, stems, labels) | extra | {"rank": n})
    return out


def facets(rows: list[dict], committees: Counter | None = None) -> dict[str, list[dict]]:
    """Counts per council, theme, committee, year and grade of these rows, as PointTable.facets gives them.

    Each shard stores its own shown form of a committee; here they are folded again across shards (by
    committee_key) over `committees`, every shard's names with their points, so "Children and young people scrutiny
    committee" of one council and "Children and Young People Scrutiny Committee" of another count as one committee
    and show as one data directory would show it (ties between forms fall by points per shown form, not per raw name)."""
    labels = theme_labels()
    shown = _committee_names(committees if committees else [r["committee"] for r in rows if r["committee"]])
    counts: dict[str, Counter] = {f: Counter() for f in ("council", "theme", "committee", "year", "grade")}
    for r in rows:
        counts["council"][(r["council_id"], r["council_name"]) if r["council_id"] else (None, UNKNOWN_COUNCIL)] += 1
        counts["theme"].update((t, labels.get(t, t)) for t in dict.fromkeys(r["themes"]))
        if r["committee"]:
            counts["committee"][(shown[r["committee"]],) * 2] += 1
        if r["date"]:
            counts["year"][(r["date"][:4],) * 2] += 1
        if r["grade"]:
            counts["grade"][(r["grade"], grade_label(r["grade"]))] += 1
    return {f: facet_entries(c) for f, c in counts.items()}


def council_ids(name: str, ids_where: Callable[[str], set[str]]) -> set[str]:
    """Council ids for a name or GSS code without a councils table: the gazetteer, then the councils the shards hold.

    The same order as filters.resolve_council: an exact id, GSS code or name (case folded) first, and only when
    neither that nor the gazetteer knows it, whole words at the start of a name ("Herefordshire")."""
    from councilkg.graph.councils import resolve

    name = name.strip()
    found = resolve(name)
    ids: set[str] = {found["gss"]} if found else set()
    exact = ids_where(f"council_id == {mv.lit(name)} or gss == {mv.lit(name.upper())} or council_key == {mv.lit(name.lower())}")
    if not exact and not ids:
        exact = ids_where(f"council_key like {mv.lit(mv.like_escape(name.lower()) + ' %')}")
    ids |= exact
    if not ids:
        raise SearchError(f"unknown council {name!r}")
    return ids
