"""`councilkg compact` and the upgrade of an older data directory: whole-index generations, committed as an ingest's are."""

from __future__ import annotations

from pathlib import Path

from councilkg.embed import grow
from councilkg.embed.backends import recorded
from councilkg.embed.pipeline import IngestReport, ingest, writer
from councilkg.graph import store


def upgrade(data_dir: str | Path) -> IngestReport:
    """A data directory an older councilkg indexed (or whose index is lost) gets a new generation built from the
    stored vectors, nothing embedded again: an ingest of no files."""
    return ingest([], data_dir)


def compact(data_dir: str | Path) -> tuple[int, int]:
    """Merge every segment into one, as a new generation committed like an ingest's; (generation, segments before)."""
    data_dir = Path(data_dir)
    with writer(data_dir) as con:
        committed = int(store.get_state(con, "generation", "0"))
        backend = recorded(con)
        if not committed or backend.spec != "faiss":  # Milvus builds each generation whole (for now)
            return committed, 0
        con.execute("BEGIN IMMEDIATE")
        before = len((grow.current(data_dir, committed) or {}).get("segments", [None]))
        backend.build(con, data_dir, committed + 1, store.get_state(con, "model"))
        store.set_state(con, "generation", str(committed + 1))
        con.execute("COMMIT")
        grow.prune(data_dir, committed + 1)
    return committed + 1, before
