"""One inspection event for each inspection Ofsted's record lacks, shared by every mention of it in any document or ingest.

A mention that resolves to no official event (another inspectorate, a visit the register does not list, an expected
inspection) joins the event of its key: council, inspectorate, type, status and the date as precisely as its words give
it (a day, a month, a year; "last year's" is the year the meeting's date puts it in, "in the autumn" that season).
An undated mention is tied to nothing beyond its meeting, so it shares an event only with mentions of the same meeting
(the items and the PDF of one sitting). The event's id is a hash of its key, so finding it is one primary-key lookup; it goes when
its last mention goes (trigger `minutes_event_last`, graph/store.py)."""

from __future__ import annotations

import sqlite3

from councilkg.corpus.model import stable_id
from councilkg.graph.councils import _day
from councilkg.graph.facts import Inspection
from councilkg.graph.ofsted import relative_span

COLUMNS = ("council_id", "inspectorate", "type", "status", "date", "date_precision", "end_date", "anchor")


def key(council_id: str | None, ins: Inspection, meeting_id: str, on: str | None) -> tuple | None:
    """The values every mention of the same inspection shares (COLUMNS), or None when the council is unknown."""
    if not council_id:
        return None  # no council: nothing ties the mention to any other; it stays an inspection of its own
    when, precision, anchor = ins.date, ins.date_precision, None
    if not when:
        day = _day(on)
        span = relative_span(ins.evidence.quote if ins.evidence else "", day) if day else None
        if span is None:
            anchor = meeting_id  # "the recent visit": nothing but its meeting says which one
        else:  # "last year's" is that year; "in the autumn" that season (kept apart from the spring's), dated by its year
            lo, hi = span
            when, precision = (str(lo.year), "year") if lo.year == hi.year else (None, None)
            anchor = None if (lo.month, lo.day, hi.month, hi.day) == (1, 1, 12, 31) else f"{lo.isoformat()}/{hi.isoformat()}"
    return council_id, ins.inspectorate, ins.type, ins.status, when, precision if when else None, ins.end_date, anchor


def event_id(k: tuple) -> str:
    """A stable id readable enough to spot in a URL: type, council and date, then a hash of the whole key."""
    council, _, kind, _, when = k[:5]
    return f"minutes-{kind}-{council}-{when or 'undated'}-{stable_id('minutes-event', *k, length=10)}"


def attach(con: sqlite3.Connection, council_id: str | None, ins: Inspection, meeting_id: str, on: str | None) -> str | None:
    """The id of the shared event this mention belongs to, the event written if it is new; None when none applies."""
    k = key(council_id, ins, meeting_id, on)
    if k is None:
        return None
    eid = event_id(k)
    con.execute(f"INSERT INTO minutes_events(id, {', '.join(COLUMNS)}) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO NOTHING",
                (eid, *k))
    return eid
