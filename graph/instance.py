"""A data directory's own name in shared engines: its shard in one Milvus and its named graph in one SPARQL store."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from councilkg.graph.store import DB_NAME, get_state, set_state


def instance_id(con: sqlite3.Connection) -> str:
    """This data directory's own name, made once: it names its shard in a shared index and its graph in a shared store.

    A moved directory keeps its name; a copy gets a new one on its first write, since the original still holds the
    old name and two writers must never share a shard or a graph."""
    here = _home(con)
    found = get_state(con, "instance")
    home = get_state(con, "instance_home")
    if found and home and here and home != here and _holds(Path(home), found):
        found = None
    if not found:
        import uuid

        found = uuid.uuid4().hex[:12]
        set_state(con, "instance", found)
    if here and home != here:
        set_state(con, "instance_home", here)
    return found


def _home(con: sqlite3.Connection) -> str | None:
    """The folder of the database `con` has open."""
    row = con.execute("PRAGMA database_list").fetchone()
    return str(Path(row[2]).resolve().parent) if row and row[2] else None


def _holds(folder: Path, instance: str) -> bool:
    """Whether the data directory at `folder` is still there under this instance name (then ours is its copy)."""
    path = folder / DB_NAME
    if not path.exists():
        return False
    try:
        other = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return (other.execute("SELECT value FROM state WHERE key='instance'").fetchone() or [None])[0] == instance
        finally:
            other.close()
    except sqlite3.Error:
        return False
