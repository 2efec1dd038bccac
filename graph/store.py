"""The data directory: one SQLite database holding documents, segments and facts, written in one transaction per batch."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

from councilkg.corpus.model import Document, shown_path, stable_id
from councilkg.graph import minutes_events
from councilkg.graph.facts import Evidence, Facts
from councilkg.graph.ofsted import events as official_events, grade_in_force, resolve_event

DB_NAME = "councilkg.sqlite"
# Bump on any incompatible schema change; an older data directory is refused with a clear message.
SCHEMA_VERSION = "6"
# Columns added since schema 1, added in place when a writer opens an older data directory.
MIGRATIONS = {"1": [("meetings", "date_method TEXT"), ("meetings", "committee_method TEXT"), ("items", "description TEXT"),
                    ("actions", "proposer TEXT"), ("actions", "seconder TEXT")],
              "2": [("councils", "within_id TEXT")],
              "3": [("inspections", "event_id TEXT"), ("meetings", "ofsted_grade TEXT")],
              "4": [("inspections", "end_date TEXT"), ("inspections", "published TEXT")],
              "5": [("inspections", "minutes_event TEXT")]}

SCHEMA = """
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS documents (
  id TEXT PRIMARY KEY, path_key TEXT UNIQUE NOT NULL, source TEXT NOT NULL, sha256 TEXT NOT NULL,
  fingerprint TEXT NOT NULL, fmt TEXT NOT NULL, title TEXT, meta_json TEXT NOT NULL, meeting_id TEXT, ingested_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS councils (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, gss TEXT, type TEXT, region TEXT, within_id TEXT);
CREATE TABLE IF NOT EXISTS meetings (
  id TEXT PRIMARY KEY, council_id TEXT, council_method TEXT NOT NULL, council_evidence TEXT,
  date TEXT, committee TEXT, date_method TEXT, committee_method TEXT, ofsted_grade TEXT);
CREATE TABLE IF NOT EXISTS items (
  id TEXT PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  meeting_id TEXT, seq INTEGER NOT NULL, number TEXT, title TEXT, text TEXT NOT NULL,
  procedural INTEGER NOT NULL DEFAULT 0, description TEXT);
CREATE TABLE IF NOT EXISTS points (
  id TEXT PRIMARY KEY, item_id TEXT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  doc_id TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL, context TEXT);
CREATE TABLE IF NOT EXISTS actions (
  id TEXT PRIMARY KEY, item_id TEXT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  doc_id TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL, owner TEXT, context TEXT,
  proposer TEXT, seconder TEXT);
CREATE TABLE IF NOT EXISTS inspections (
  id TEXT PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  council_id TEXT, inspectorate TEXT NOT NULL, type TEXT NOT NULL, date TEXT, date_precision TEXT,
  status TEXT NOT NULL, ev_item TEXT, ev_point TEXT, quote TEXT NOT NULL, event_id TEXT, end_date TEXT, published TEXT,
  minutes_event TEXT);
CREATE TABLE IF NOT EXISTS minutes_events (
  id TEXT PRIMARY KEY, council_id TEXT NOT NULL, inspectorate TEXT NOT NULL, type TEXT NOT NULL, status TEXT NOT NULL,
  date TEXT, date_precision TEXT, end_date TEXT, anchor TEXT);
CREATE TABLE IF NOT EXISTS official_inspections (
  id TEXT PRIMARY KEY, council_id TEXT NOT NULL, inspectorate TEXT NOT NULL, type TEXT NOT NULL, framework TEXT,
  start TEXT, end TEXT, published TEXT, url TEXT, overall TEXT, judgements TEXT, theme TEXT, source TEXT);
CREATE TABLE IF NOT EXISTS judgements (
  id TEXT PRIMARY KEY, inspection_id TEXT NOT NULL REFERENCES inspections(id) ON DELETE CASCADE,
  doc_id TEXT NOT NULL, grade TEXT NOT NULL, area TEXT, ev_item TEXT, ev_point TEXT, quote TEXT);
CREATE TABLE IF NOT EXISTS recommendations (
  id TEXT PRIMARY KEY, inspection_id TEXT NOT NULL REFERENCES inspections(id) ON DELETE CASCADE,
  doc_id TEXT NOT NULL, council_id TEXT, seq INTEGER NOT NULL, text TEXT NOT NULL, after TEXT,
  ev_item TEXT, ev_point TEXT, quote TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS followups (
  recommendation_id TEXT NOT NULL REFERENCES recommendations(id) ON DELETE CASCADE,
  point_id TEXT NOT NULL REFERENCES points(id) ON DELETE CASCADE, score REAL NOT NULL,
  PRIMARY KEY (recommendation_id, point_id));
CREATE TABLE IF NOT EXISTS followups_pending (doc_id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS interventions (
  id TEXT PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  council_id TEXT, type TEXT NOT NULL, by TEXT, date TEXT, ev_item TEXT, ev_point TEXT, quote TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS practices (
  id TEXT PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  council_id TEXT, label TEXT NOT NULL, kind TEXT NOT NULL, themes TEXT NOT NULL, outcome TEXT,
  ev_item TEXT, ev_point TEXT, quote TEXT NOT NULL, outcome_point TEXT, outcome_quote TEXT);
CREATE TABLE IF NOT EXISTS mentions (
  doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  council_id TEXT NOT NULL, ev_item TEXT, ev_point TEXT, quote TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS point_themes (
  point_id TEXT NOT NULL REFERENCES points(id) ON DELETE CASCADE, theme TEXT NOT NULL,
  score REAL NOT NULL, evidence TEXT, PRIMARY KEY (point_id, theme));
CREATE TABLE IF NOT EXISTS item_themes (
  item_id TEXT NOT NULL REFERENCES items(id) ON DELETE CASCADE, theme TEXT NOT NULL,
  score REAL NOT NULL, evidence TEXT, PRIMARY KEY (item_id, theme));
CREATE TABLE IF NOT EXISTS passages (
  point_id TEXT NOT NULL REFERENCES points(id) ON DELETE CASCADE, seq INTEGER NOT NULL,
  vec_key TEXT NOT NULL, PRIMARY KEY (point_id, seq));
CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, model TEXT NOT NULL, vec BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS failures (path_key TEXT PRIMARY KEY, source TEXT NOT NULL, reason TEXT NOT NULL, at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS items_doc ON items(doc_id);
CREATE INDEX IF NOT EXISTS items_meeting ON items(meeting_id);
CREATE INDEX IF NOT EXISTS points_item ON points(item_id);
CREATE INDEX IF NOT EXISTS points_doc ON points(doc_id);
CREATE INDEX IF NOT EXISTS actions_item ON actions(item_id);
CREATE INDEX IF NOT EXISTS inspections_council ON inspections(council_id);
CREATE INDEX IF NOT EXISTS recommendations_council ON recommendations(council_id, after);
CREATE INDEX IF NOT EXISTS recommendations_doc ON recommendations(doc_id);
CREATE INDEX IF NOT EXISTS followups_point ON followups(point_id);
CREATE INDEX IF NOT EXISTS official_council ON official_inspections(council_id, published);
CREATE INDEX IF NOT EXISTS practices_council ON practices(council_id);
CREATE INDEX IF NOT EXISTS point_themes_theme ON point_themes(theme);
CREATE INDEX IF NOT EXISTS documents_sha ON documents(sha256);
CREATE INDEX IF NOT EXISTS actions_doc ON actions(doc_id);
CREATE INDEX IF NOT EXISTS inspections_doc ON inspections(doc_id);
CREATE INDEX IF NOT EXISTS judgements_doc ON judgements(doc_id);
CREATE INDEX IF NOT EXISTS interventions_doc ON interventions(doc_id);
CREATE INDEX IF NOT EXISTS practices_doc ON practices(doc_id);
CREATE INDEX IF NOT EXISTS mentions_doc ON mentions(doc_id);
"""

# The change log: which councils, meetings and documents each RDF generation wrote or deleted, so the RDF store
# (graph/rdf_store.py) replays only those. Triggers write it in the writer's own transaction, whatever the writer.
# The RDF generation ('rdf_generation') moves with each new generation and with each later transaction of derived
# rows (follow-up links, after the ingest's commit: stamp_changes), so a store made between the two still sees the
# second; a new RDF generation stamps the pending rows and drops those LOG_KEEP old. 'rdf_log_since' is the
# RDF generation the log began at (a data directory from before it has no log of its earlier generations).
LOG_KEEP = 64
CHANGE_LOG = f"""
CREATE TABLE IF NOT EXISTS rdf_log (generation INTEGER, kind TEXT NOT NULL, id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS rdf_log_generation ON rdf_log(generation);
INSERT OR IGNORE INTO state(key, value) SELECT 'rdf_log_since', coalesce((SELECT value FROM state WHERE key='generation'), '0');
INSERT OR IGNORE INTO state(key, value) SELECT 'rdf_generation', coalesce((SELECT value FROM state WHERE key='generation'), '0');
DROP TRIGGER IF EXISTS rdf_log_stamp;
CREATE TRIGGER IF NOT EXISTS rdf_generation_follows AFTER INSERT ON state WHEN new.key = 'generation'
BEGIN
  INSERT OR REPLACE INTO state(key, value) SELECT 'rdf_generation', CAST((SELECT value FROM state WHERE key='rdf_generation') AS INTEGER) + 1;
END;
CREATE TRIGGER IF NOT EXISTS rdf_log_stamps AFTER INSERT ON state WHEN new.key = 'rdf_generation'
BEGIN
  UPDATE rdf_log SET generation = CAST(new.value AS INTEGER) WHERE generation IS NULL;
  DELETE FROM rdf_log WHERE generation <= CAST(new.value AS INTEGER) - {LOG_KEEP};
END;
""" + "".join(
    f"CREATE TRIGGER IF NOT EXISTS rdf_log_{table}_{event.lower()} AFTER {event} ON {table} BEGIN "
    + "".join(f"INSERT INTO rdf_log(generation, kind, id) VALUES (NULL, '{kind}', {row}.id); " for row in rows) + "END;\n"
    for table, kind in (("documents", "document"), ("meetings", "meeting"), ("councils", "council"), ("minutes_events", "inspection"))
    for event, rows in (("INSERT", ("new",)), ("DELETE", ("old",)), ("UPDATE", ("old", "new")))) + "".join(
    # rows owned through another: Ofsted's events are their council's (and the documents whose claims are checked
    # against an event's judgements are relogged when those change); a follow-up link is its point's document's
    f"CREATE TRIGGER IF NOT EXISTS rdf_log_{table}_{event.lower()} AFTER {event} ON {table} BEGIN "
    + "".join(f"INSERT INTO rdf_log(generation, kind, id) {sql.format(row=row)}; " for row in rows for sql in sqls) + "END;\n"
    for table, sqls in (
        ("official_inspections", ("SELECT NULL, 'council', {row}.council_id",
                                  "SELECT NULL, 'document', doc_id FROM inspections WHERE event_id = {row}.id")),
        ("followups", ("SELECT NULL, 'document', doc_id FROM points WHERE id = {row}.point_id",)))
    for event, rows in (("INSERT", ("new",)), ("DELETE", ("old",)), ("UPDATE", ("old", "new"))))


# What refers to columns a migration adds, so made once they are there. A minutes-derived event (graph/minutes_events.py)
# is shared by its mentions and goes with the last of them, whichever way it goes (a document replaced, deleted, cascaded).
AFTER_MIGRATION = """
CREATE INDEX IF NOT EXISTS inspections_event ON inspections(event_id);
CREATE INDEX IF NOT EXISTS inspections_minutes_event ON inspections(minutes_event);
CREATE TRIGGER IF NOT EXISTS minutes_event_last AFTER DELETE ON inspections WHEN old.minutes_event IS NOT NULL BEGIN
  DELETE FROM minutes_events WHERE id = old.minutes_event
    AND NOT EXISTS (SELECT 1 FROM inspections WHERE minutes_event = old.minutes_event);
END;
"""


class StoreError(Exception):
    """The data directory cannot be opened or is not a councilkg data directory."""


def connect(data_dir: str | Path, readonly: bool = False) -> sqlite3.Connection:
    """Open the database; WAL lets readers keep the last committed state while an ingest writes."""
    data_dir = Path(data_dir)
    path = data_dir / DB_NAME
    if readonly:
        if not path.exists():
            raise StoreError(f"{data_dir}: no councilkg data here (run `councilkg ingest` first)")
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    else:
        data_dir.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        con.execute("PRAGMA journal_mode=WAL")
        fresh = not con.execute("SELECT 1 FROM sqlite_master WHERE name='state'").fetchone()
        con.executescript(SCHEMA + CHANGE_LOG)
        if fresh:
            con.execute("INSERT OR IGNORE INTO state(key, value) VALUES ('schema', ?)", (SCHEMA_VERSION,))
        _migrate(con)
        con.executescript(AFTER_MIGRATION)
    con.row_factory = sqlite3.Row
    try:
        found = get_state(con, "schema")
    except sqlite3.DatabaseError as e:
        raise StoreError(f"{path}: not a councilkg database ({e})") from None
    if found != SCHEMA_VERSION:
        raise StoreError(f"{path}: data written by another councilkg version (schema {found}); ingest into a new --data directory")
    con.execute("PRAGMA foreign_keys=ON")
    con.execute("PRAGMA synchronous=NORMAL")
    return con


def _migrate(con: sqlite3.Connection) -> None:
    """Bring an older data directory's schema up to date (columns only ever added), so its data is kept."""
    found = (con.execute("SELECT value FROM state WHERE key='schema'").fetchone() or [None])[0]
    while found in MIGRATIONS:
        con.execute("BEGIN IMMEDIATE")
        for table, column in MIGRATIONS[found]:
            if column.split()[0] not in {r[1] for r in con.execute(f"PRAGMA table_info({table})")}:
                con.execute(f"ALTER TABLE {table} ADD COLUMN {column}")
        found = str(int(found) + 1)
        con.execute("UPDATE state SET value=? WHERE key='schema'", (found,))
        con.execute("COMMIT")


def get_state(con: sqlite3.Connection, key: str, default: str | None = None) -> str | None:
    row = con.execute("SELECT value FROM state WHERE key=?", (key,)).fetchone()
    return row[0] if row else default


def set_state(con: sqlite3.Connection, key: str, value: str) -> None:
    con.execute("INSERT OR REPLACE INTO state(key, value) VALUES (?, ?)", (key, value))


def stamp_changes(con: sqlite3.Connection) -> None:
    """In a transaction after a generation's commit (derived rows such as follow-up links): what it logged becomes a new
    RDF generation, which the store replays (graph/rdf_store.py); nothing logged, nothing moves."""
    if con.execute("SELECT 1 FROM rdf_log WHERE generation IS NULL LIMIT 1").fetchone():
        set_state(con, "rdf_generation", str(int(get_state(con, "rdf_generation", "0")) + 1))


def meeting_id(council_id: str | None, date: str | None, committee: str | None, doc_id: str) -> str:
    """One meeting per council, date and committee; a document with too little to say is its own meeting."""
    if date and (council_id or committee):
        return stable_id("meeting", council_id, date, (committee or "").strip().lower())
    return stable_id("meeting", "doc", doc_id)


def _ev(doc_id: str, ev: Evidence | None) -> tuple[str | None, str | None, str | None]:
    """Map an Evidence (positions in the document) to stored item and point ids."""
    if ev is None:
        return None, None, None
    item = stable_id("item", doc_id, ev.item_seq)
    point = stable_id("point", doc_id, ev.item_seq, ev.point_seq) if ev.point_seq is not None else None
    return item, point, ev.quote


def document_id(path_key: str) -> str:
    """A document's id follows its resolved path, so re-ingesting a file replaces it."""
    return stable_id("doc", path_key)


def delete_document(con: sqlite3.Connection, doc_id: str) -> None:
    con.execute("DELETE FROM documents WHERE id=?", (doc_id,))
    con.execute("DELETE FROM meetings WHERE id NOT IN (SELECT meeting_id FROM documents WHERE meeting_id IS NOT NULL)")


def write_document(
    con: sqlite3.Connection, doc: Document, facts: Facts, councils: dict[str, dict], now: str, fingerprint: str = ""
) -> str:
    """Replace whatever this path held with the new document; the caller owns the transaction."""
    src = doc.raw.source
    path_key = shown_path(src.path)
    doc_id = document_id(path_key)
    delete_document(con, doc_id)
    con.execute("DELETE FROM failures WHERE path_key=?", (path_key,))
    meta = doc.meta
    c = facts.council
    council_id = c.gss or (c.name and stable_id("council", c.name.lower()))
    within_id = c.within_gss or (c.within_name and stable_id("council", c.within_name.lower()))
    if within_id:
        _ensure_council(con, within_id, c.within_name, councils, c.within_gss)
    if council_id:
        info = councils.get(council_id, {})
        con.execute(
            "INSERT INTO councils(id, name, gss, type, region, within_id) VALUES (?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET"
            " name=excluded.name, gss=excluded.gss, type=excluded.type, region=excluded.region,"
            " within_id=coalesce(excluded.within_id, within_id)",
            (council_id, info.get("name") or c.name, c.gss, info.get("type") or c.kind, info.get("region"), within_id),
        )
        _sync_official(con, c.gss, councils)
    mid = meeting_id(council_id, meta.get("date"), meta.get("committee"), doc_id)
    con.execute(
        "INSERT OR REPLACE INTO meetings(id, council_id, council_method, council_evidence, date, committee, date_method,"
        " committee_method, ofsted_grade) VALUES (?,?,?,?,?,?,?,?,?)",
        (mid, council_id, c.method, c.evidence, meta.get("date") or None, meta.get("committee") or None,
         doc.raw.methods.get("date") if meta.get("date") else None,
         doc.raw.methods.get("committee") if meta.get("committee") else None,
         grade_in_force(c.gss, meta["date"]) if c.gss and meta.get("date") else None),
    )
    con.execute(
        "INSERT INTO documents(id, path_key, source, sha256, fingerprint, fmt, title, meta_json, meeting_id, ingested_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?)",
        (doc_id, path_key, shown_path(src.given), doc.raw.sha256, fingerprint or doc.raw.sha256, doc.raw.fmt, meta.get("title"), json.dumps(meta, sort_keys=True), mid, now),
    )
    for item in doc.items:
        iid = stable_id("item", doc_id, item.seq)
        con.execute(
            "INSERT INTO items(id, doc_id, meeting_id, seq, number, title, text, procedural, description) VALUES (?,?,?,?,?,?,?,?,?)",
            (iid, doc_id, mid, item.seq, item.number, item.title, item.text, int(item.procedural), item.description or None),
        )
        con.executemany(
            "INSERT INTO points(id, item_id, doc_id, seq, kind, text, context) VALUES (?,?,?,?,?,?,?)",
            [
                (stable_id("point", doc_id, item.seq, p.seq), iid, doc_id, p.seq, p.kind, p.text, p.context or None)
                for p in item.points
            ],
        )
        con.executemany(
            "INSERT INTO actions(id, item_id, doc_id, seq, kind, text, owner, context, proposer, seconder)"
            " VALUES (?,?,?,?,?,?,?,?,?,?)",
            [
                (stable_id("action", doc_id, item.seq, a.seq), iid, doc_id, a.seq, a.kind, a.text,
                 facts.action_owners.get((item.seq, a.seq), a.owner), a.context or None, a.proposer, a.seconder)
                for a in item.actions
            ],
        )
    _write_facts(con, doc_id, council_id, facts, councils, mid, meta.get("date") or None)
    return doc_id


OFFICIAL = "council_id, inspectorate, type, framework, start, end, published, url, overall, judgements, theme, source"


def _sync_official(con: sqlite3.Connection, gss: str | None, councils: dict[str, dict]) -> None:
    """Hold Ofsted's events of this council (and of the councils it replaced): a few rows per council, not the register."""
    if not gss:
        return
    for e in official_events(gss):
        if e["gss"] != gss:
            _ensure_council(con, e["gss"], e["council"], councils, sync=False)
        con.execute(  # written only when Ofsted's record of it changed, so its change log (triggers) follows real changes
            "INSERT INTO official_inspections(id, council_id, inspectorate, type, framework, start, end, published, url,"
            " overall, judgements, theme, source) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET"
            f" ({OFFICIAL}) = ({', '.join('excluded.' + c for c in OFFICIAL.split(', '))})"
            f" WHERE ({OFFICIAL}) IS NOT ({', '.join('excluded.' + c for c in OFFICIAL.split(', '))})",
            (e["id"], e["gss"], e["inspectorate"], e["type"], e["framework"] or None, e["start"] or None, e["end"] or None,
             e["published"] or None, e["url"] or None, e["overall"], e["judgements"] or None, e["theme"] or None, e["source"]))


def _write_facts(con: sqlite3.Connection, doc_id: str, council_id: str | None, facts: Facts, councils: dict[str, dict],
                 meeting: str, on: str | None = None) -> None:
    gss = facts.council.gss
    for n, ins in enumerate(facts.inspections):
        ins_id = stable_id("inspection", doc_id, n, ins.type, ins.date)
        when = (ins.date, ins.end_date) if ins.end_date else ins.date  # a report states both days
        event = resolve_event(gss, ins.type, when, ins.date_precision, ins.evidence.quote, on) if ins.status == "happened" else None
        shared = None if event else minutes_events.attach(con, council_id, ins, meeting, on)
        con.execute(
            "INSERT INTO inspections(id, doc_id, council_id, inspectorate, type, date, date_precision, status, ev_item, ev_point, quote,"
            " event_id, end_date, published, minutes_event) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (ins_id, doc_id, council_id, ins.inspectorate, ins.type, ins.date, ins.date_precision, ins.status, *_ev(doc_id, ins.evidence),
             event and event["id"], ins.end_date, ins.published, shared),
        )
        # the council can answer a report only once it has it: the day the report says, else Ofsted's record's, else its last day
        after = ins.published or (event and event.get("published")) or ins.end_date
        con.executemany(
            "INSERT INTO recommendations(id, inspection_id, doc_id, council_id, seq, text, after, ev_item, ev_point, quote)"
            " VALUES (?,?,?,?,?,?,?,?,?,?)",
            [(stable_id("recommendation", ins_id, r.seq), ins_id, doc_id, council_id, r.seq, r.text, after, *_ev(doc_id, r.evidence))
             for r in ins.recommendations])
        for m, j in enumerate(ins.judgements):
            con.execute(
                "INSERT INTO judgements(id, inspection_id, doc_id, grade, area, ev_item, ev_point, quote) VALUES (?,?,?,?,?,?,?,?)",
                (stable_id("judgement", ins_id, m, j.grade, j.area), ins_id, doc_id, j.grade, j.area, *_ev(doc_id, j.evidence or ins.evidence)),
            )
    for n, iv in enumerate(facts.interventions):
        con.execute(
            "INSERT INTO interventions(id, doc_id, council_id, type, by, date, ev_item, ev_point, quote) VALUES (?,?,?,?,?,?,?,?,?)",
            (stable_id("intervention", doc_id, n, iv.type), doc_id, council_id, iv.type, iv.by, iv.date, *_ev(doc_id, iv.evidence)),
        )
    add_practices(con, doc_id, council_id, facts.practices, councils)
    for mn in facts.mentions:
        _ensure_council(con, mn.gss, mn.name, councils)
        con.execute(
            "INSERT INTO mentions(doc_id, council_id, ev_item, ev_point, quote) VALUES (?,?,?,?,?)",
            (doc_id, mn.gss, *_ev(doc_id, mn.evidence)),
        )


def add_practices(con: sqlite3.Connection, doc_id: str, council_id: str | None, practices: list, councils: dict[str, dict],
                  start: int = 0) -> None:
    """Store a document's practices, numbered from `start` (the learned pass adds to those extraction wrote)."""
    for n, pr in enumerate(practices, start):
        _, opoint, oquote = _ev(doc_id, pr.outcome_evidence)
        if pr.council_gss:
            _ensure_council(con, pr.council_gss, None, councils)
        con.execute(
            "INSERT INTO practices(id, doc_id, council_id, label, kind, themes, outcome, ev_item, ev_point, quote, outcome_point, outcome_quote) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (stable_id("practice", doc_id, n, pr.label), doc_id, pr.council_gss or council_id, pr.label, pr.kind, json.dumps(pr.themes), pr.outcome,
             *_ev(doc_id, pr.evidence), opoint, oquote),
        )


def _ensure_council(con: sqlite3.Connection, cid: str, name: str | None, councils: dict[str, dict], gss: str | None = "",
                    sync: bool = True) -> None:
    """A council row for an id met as a mention, a practice's adopter or the council a body sits in (gss None: unlisted),
    holding Ofsted's events of a listed council when it is new."""
    info = councils.get(cid, {})
    gss = cid if gss == "" else gss
    new = con.execute(
        "INSERT OR IGNORE INTO councils(id, name, gss, type, region) VALUES (?,?,?,?,?)",
        (cid, info.get("name") or name or cid, gss, info.get("type"), info.get("region")),
    ).rowcount
    if new and sync and gss:
        _sync_official(con, gss, councils)


def record_failure(con: sqlite3.Connection, path_key: str, source: str, reason: str, now: str) -> None:
    con.execute(
        "INSERT OR REPLACE INTO failures(path_key, source, reason, at) VALUES (?,?,?,?)", (path_key, source, reason, now)
    )


def counts(con: sqlite3.Connection) -> dict:
    """What the data directory holds, for `councilkg stats` and the home page."""
    one = lambda sql: con.execute(sql).fetchone()[0]  # noqa: E731
    return {
        "documents": one("SELECT count(*) FROM documents"),
        "councils": one("SELECT count(DISTINCT council_id) FROM meetings WHERE council_id IS NOT NULL"),
        "councils_known": one("SELECT count(*) FROM councils"),
        "meetings": one("SELECT count(*) FROM meetings"),
        "agenda_items": one("SELECT count(*) FROM items"),
        "debate_points": one("SELECT count(*) FROM points"),
        "actions": one("SELECT count(*) FROM actions"),
        "inspections": one("SELECT count(*) FROM inspections WHERE event_id IS NULL AND minutes_event IS NULL")
        + one("SELECT count(*) FROM minutes_events") + one("SELECT count(*) FROM official_inspections"),
        "official_inspections": one("SELECT count(*) FROM official_inspections"),
        "judgements": one("SELECT count(*) FROM judgements"),
        "recommendations": one("SELECT count(*) FROM recommendations"),
        "followups": one("SELECT count(*) FROM followups"),
        "interventions": one("SELECT count(*) FROM interventions"),
        "practices": one("SELECT count(*) FROM practices"),
        "themes": one("SELECT count(DISTINCT theme) FROM point_themes"),
        "date_range": list(con.execute("SELECT min(date), max(date) FROM meetings").fetchone()),
        "generation": int(get_state(con, "generation", "0")),
        "failed": [dict(r) for r in con.execute("SELECT source AS file, reason, at FROM failures ORDER BY source")],
    }


def replace_file(tmp: Path, dest: Path) -> None:
    """Finish an atomic write: flush to disk, then rename over the old file."""
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, dest)
