"""`councilkg ingest`: files in, one atomic new generation of database and indexes out, or nothing changed."""

from __future__ import annotations

import fcntl
import hashlib
import json
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable


from councilkg.corpus.discover import discover
from councilkg.corpus.model import InputError, NotMinutes, SourceFile, shown_path
from councilkg.corpus.readers import read
from councilkg.corpus.segment import segment
from councilkg.embed import followup, grow
from councilkg.embed.backends import STATE_KEY, parse_index, recorded
from councilkg.embed.encoder import configured_name, get_encoder
from councilkg.embed.passages import read_vectors, split, theme_keys, vec_key
from councilkg.embed.practice_pass import add_learned_practices
from councilkg.graph import store
from councilkg.graph.instance import instance_id
from councilkg.graph.councils import gazetteer
from councilkg.graph.extract import extract
from councilkg.graph.themes import aggregate, assign, load_scheme, theme_texts

# Bump when reading, segmentation or extraction changes what a file yields, so re-ingest redoes the work.
PIPELINE_VERSION = "10"
MAX_BYTES = 50_000_000

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class IngestReport:
    """What one ingest did, for the summary line and `--json`."""

    files: int = 0
    ingested: int = 0
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why it is not minutes)
    points_embedded: int = 0
    followups: int = 0  # recommendation -> later point links this ingest found
    generation: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"{self.files} files: {self.ingested} ingested, {self.unchanged} unchanged, {len(self.skipped)} skipped, "
            f"{len(self.failed)} failed; "
            f"{self.points_embedded} debate points embedded; generation {self.generation} ({self.seconds:.1f} s)"
        )


class IngestBusy(Exception):
    """Another ingest holds the data directory."""


@contextmanager
def exclusive(folder: Path, name: str = ".ingest.lock", busy: type[Exception] = IngestBusy, what: str = "ingest"):
    """One writer at a time per data directory (or per `name` in it); readers never wait."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / name, "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            raise busy(f"{folder}: another {what} is running") from e
        yield


@contextmanager
def writer(data_dir: Path):
    """The data directory's one writer: its lock, and a connection whose open transaction any failure rolls back."""
    with exclusive(data_dir):
        con = store.connect(data_dir)
        try:
            yield con
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        finally:
            con.close()


def fingerprint(src: SourceFile, data: bytes) -> str:
    """What decides whether a file must be redone: its bytes, its user metadata and the pipeline version."""
    h = hashlib.sha256(data)
    h.update(json.dumps(src.meta, sort_keys=True).encode())
    h.update(PIPELINE_VERSION.encode())
    return h.hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _quiet(stage: str, done: int, total: int) -> None:
    pass


def ingest(
    paths: list[str],
    data_dir: str | Path,
    *,
    encoder: str | None = None,
    max_bytes: int = MAX_BYTES,
    progress: Progress = _quiet,
    on_error: Callable[[str, str], None] = lambda path, reason: None,
    on_skip: Callable[[str, str], None] = lambda path, reason: None,
    index: str | None = None,
) -> IngestReport:
    """Ingest files and folders; bad files are reported and skipped, and the batch lands whole or not at all.

    `index` ("faiss" or "milvus:URI"; default: what the data directory records, else faiss) is where the
    generation's indexes go; a data directory switched to another index gets a new generation there."""
    t0 = time.perf_counter()
    data_dir = Path(data_dir)
    report = IngestReport()
    with writer(data_dir) as con:
        backend = parse_index(index) if index else recorded(con)
        backend.check()  # an unreachable index fails here, before anything is read or written
        _run(con, data_dir, paths, encoder or configured_name(), max_bytes, progress, on_error, on_skip, report, backend)
    report.seconds = time.perf_counter() - t0
    return report


def _fail(con, report: IngestReport, on_error, path_key: str, given: str, reason: str) -> None:
    path_key, given = shown_path(path_key), shown_path(given)
    report.failed.append((given, reason))
    store.record_failure(con, path_key, given, reason, _now())
    on_error(given, reason)


def _run(con, data_dir: Path, paths, model: str, max_bytes: int, progress: Progress, on_error, on_skip,
         report: IngestReport, backend) -> None:
    found = list(discover(paths, max_bytes=max_bytes))
    report.files = len(found)
    prior_model = store.get_state(con, "model")
    if prior_model and prior_model != model:
        raise InputError(data_dir, f"indexed with encoder {prior_model!r}, not {model!r}: use a new data directory")
    con.execute("BEGIN IMMEDIATE")
    if store.get_state(con, "instance"):  # a copy of a directory that writes to shared engines takes its own name here,
        instance_id(con)  # so its index is rebuilt under it below and the original's shard and graph stay its own
    known = {r[0]: (r[1], r[2]) for r in con.execute("SELECT path_key, fingerprint, source FROM documents")}
    by_sha = {r[0]: r[1] for r in con.execute("SELECT sha256, source FROM documents")}
    changed = False
    change = grow.Change()  # the points this transaction adds and retires, for the index's new segment
    written: list[str] = []  # the documents it writes
    councils = gazetteer()
    for n, src in enumerate(found):
        progress("read", n, len(found))
        if isinstance(src, InputError):
            _fail(con, report, on_error, src.path, src.path, src.reason)
            continue
        key = shown_path(src.path)
        try:
            data = src.path.read_bytes()
        except OSError as e:
            _fail(con, report, on_error, key, src.given, f"cannot read: {e.strerror or e}")
            continue
        fp = fingerprint(src, data)
        if key in known and known[key][0] == fp:
            report.unchanged += 1
            con.execute("DELETE FROM failures WHERE path_key=?", (key,))
            continue
        sha = hashlib.sha256(data).hexdigest()
        if sha in by_sha and key not in known:
            _fail(con, report, on_error, key, src.given, f"duplicate of {by_sha[sha]} (same content), skipped")
            continue
        try:
            doc = segment(read(src))
            facts = extract(doc)
        except NotMinutes as e:
            # not minutes: nothing stored, and a version an older pipeline misread as minutes goes
            report.skipped.append((shown_path(src.given), e.reason))
            on_skip(shown_path(src.given), e.reason)
            if key in known:
                change.retired.update(_points_of(con, store.document_id(key)))
                store.delete_document(con, store.document_id(key))
                changed = True
            con.execute("DELETE FROM failures WHERE path_key=?", (key,))
            continue
        except InputError as e:
            _fail(con, report, on_error, key, src.given, e.reason)
            continue
        con.execute("SAVEPOINT doc")
        if key in known:
            change.retired.update(_points_of(con, store.document_id(key)))
        written.append(store.write_document(con, doc, facts, councils, _now(), fingerprint=fp))
        con.execute("RELEASE doc")
        by_sha[sha] = shown_path(src.given)
        report.ingested += 1
        changed = True
    progress("read", len(found), len(found))
    committed = int(store.get_state(con, "generation", "0"))
    before = recorded(con)
    # a new index, or its generation lost (a Milvus emptied), is rebuilt from the database as a new generation
    rebuild = committed > 0 and (before.spec != backend.spec or not backend.present(con, data_dir, committed))
    if changed or rebuild:
        change.added = _embed_new(con, model, progress, written)
        report.points_embedded = len(change.added)
        gen = committed + 1
        progress("index", 0, 1)
        backend.build(con, data_dir, gen, model, None if rebuild else change)
        store.set_state(con, "generation", str(gen))
        store.set_state(con, "model", model)
        store.set_state(con, STATE_KEY, backend.spec)
        followup.keep_vectors(con, model, written)
        followup.pend(con, written)  # in the same transaction: a kill before the follow-ups' own leaves them to find
        con.execute("COMMIT")
        backend.publish(con, data_dir, gen)  # Milvus: the alias moves only now, after the commit
        grow.prune(data_dir, gen)
        if before.spec != backend.spec:
            _retire(before, con)
        progress("index", 1, 1)
    else:
        con.execute("COMMIT")
        if committed:
            backend.publish(con, data_dir, committed)  # a crash between commit and alias left it behind: repair
    # derived links over the committed generation (the vector search reads only what is committed): this run's
    # documents, and any a run killed between its commit and its follow-ups left noted
    report.followups = followup.resume(con, data_dir, model)
    if changed or rebuild or report.followups:
        _update_rdf(data_dir)  # after the follow-up links' transaction (a new RDF generation when it wrote any)
    report.generation = int(store.get_state(con, "generation", "0"))


def _update_rdf(data_dir: Path) -> None:
    """The RDF store, if one was built, takes this generation's changes now, so the first query after it costs nothing more.

    Never waits and never fails the ingest (already committed): a store left behind is caught up by its next reader."""
    from councilkg.graph import rdf_store

    try:
        rdf_store.sync(data_dir, build=False, wait=False)
    except OSError:
        pass


def _retire(backend, con) -> None:
    """The index this data directory left: its Milvus collections go, so no stateless reader serves them (best effort)."""
    try:
        backend.retire(con)
    except Exception:  # the old engine may be gone for good; the data directory is already committed elsewhere
        pass


def _points_of(con, doc_id: str) -> list[str]:
    """A document's point ids, read before it is replaced or deleted: the index retires them."""
    return [r[0] for r in con.execute("SELECT id FROM points WHERE doc_id=?", (doc_id,))]


def _embed_new(con, model: str, progress: Progress, docs: list[str]) -> set[str]:
    """Embed the passages of the documents' points (the only ones without), reusing stored vectors for unchanged text,
    then theme them; their ids."""
    rows = con.execute(
        "SELECT p.id, p.text, i.title, p.item_id FROM points p JOIN items i ON i.id = p.item_id "
        "WHERE p.doc_id IN (SELECT value FROM json_each(?)) "
        "AND NOT EXISTS (SELECT 1 FROM passages s WHERE s.point_id = p.id) ORDER BY p.id", (json.dumps(docs),)
    ).fetchall()
    if not rows:
        return set()
    enc = None

    def encoder():
        nonlocal enc
        enc = enc or get_encoder(model)
        return enc

    point_keys: list[list[str]] = []
    todo: dict[str, str] = {}
    for pid, text, title, _ in rows:
        passages = split(text, title, encoder)
        keys = [vec_key(model, p) for p in passages]
        point_keys.append(keys)
        con.executemany("INSERT INTO passages(point_id, seq, vec_key) VALUES (?,?,?)", [(pid, s, k) for s, k in enumerate(keys)])
        todo.update({k: p for k, p in zip(keys, passages)})
    have = _existing(con, list(todo))
    missing = [k for k in todo if k not in have]
    batch = 512
    for start in range(0, len(missing), batch):
        progress("embed", start, len(missing))
        keys = missing[start : start + batch]
        vecs = encoder().encode([todo[k] for k in keys])
        con.executemany("INSERT OR REPLACE INTO vectors(key, model, vec) VALUES (?,?,?)", [(k, model, v.tobytes()) for k, v in zip(keys, vecs)])
    progress("embed", len(missing), len(missing))
    _theme_points(con, model, rows, point_keys, encoder)
    add_learned_practices(con, rows, point_keys, encoder)  # on the passage vectors just stored
    return {r[0] for r in rows}


def _existing(con, keys: list[str]) -> set[str]:
    out: set[str] = set()
    for i in range(0, len(keys), 900):
        chunk = keys[i : i + 900]
        out.update(r[0] for r in con.execute(f"SELECT key FROM vectors WHERE key IN ({','.join('?' * len(chunk))})", chunk))
    return out


def _theme_points(con, model: str, rows, point_keys: list[list[str]], encoder) -> None:
    """Assign themes to the new points (and their items) from keywords plus similarity to each theme's description."""
    scheme = load_scheme()
    texts = theme_texts(scheme)
    tkeys = theme_keys(model)
    have = _existing(con, tkeys)
    if len(have) < len(tkeys):
        tv = encoder().encode(texts)
        con.executemany("INSERT OR REPLACE INTO vectors(key, model, vec) VALUES (?,?,?)", [(k, model, v.tobytes()) for k, v in zip(tkeys, tv)])
    theme_vecs = read_vectors(con, tkeys)
    first = read_vectors(con, [keys[0] for keys in point_keys])
    point_texts = [r[1] for r in rows]
    results = assign(point_texts, first, theme_vecs, scheme)
    con.executemany(
        "INSERT OR REPLACE INTO point_themes(point_id, theme, score, evidence) VALUES (?,?,?,?)",
        [(r[0], tid, float(score), ev) for r, themes in zip(rows, results) for tid, score, ev in themes],
    )
    # an item's themes are those its points share (a whole long item matches keywords everywhere)
    by_item: dict[str, list[list[tuple[str, float, str]]]] = {}
    for r, themes in zip(rows, results):
        by_item.setdefault(r[3], []).append(themes)
    con.executemany(
        "INSERT OR REPLACE INTO item_themes(item_id, theme, score, evidence) VALUES (?,?,?,?)",
        [(iid, tid, float(score), ev) for iid, point_themes in by_item.items() for tid, score, ev in aggregate(point_themes)],
    )
