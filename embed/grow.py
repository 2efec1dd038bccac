"""Writing generations: an ingest adds one segment of its new points and retires the points it replaced; a tiered merge
policy (after Lucene's TieredMergePolicy) folds small segments together; `compact` merges everything into one.

Every file is written aside and renamed; the generation directory that names them is renamed last, and the caller's
database commit is what makes it current, so a crash at any moment leaves the committed generation loadable."""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from councilkg.embed import segment
from councilkg.embed.index import FORMAT, INDEX_DIR, OldFormat, gen_dir, manifest, retired_rows, seg_dir

FLOOR = 2_000  # segments smaller than this count as this big, so tiny ones are merged early (Lucene's floor segment)
FACTOR = 10  # segments per tier before they are merged into one of the next: the count stays FACTOR x log(corpus)
MAX_MERGED = 100_000  # live points one merge may write: the bound on an ingest's merge time (larger ones: compact)
RECLAIM = 0.5  # a segment with more than this share of its points retired is rewritten without them


@dataclass
class Change:
    """What one database transaction did to the points: ids added (or rewritten) and ids retired (replaced or deleted)."""

    added: set[str] = field(default_factory=set)
    retired: set[str] = field(default_factory=set)


def _ids(ids) -> np.ndarray:
    return np.array(sorted(ids), dtype="S16")


def current(data_dir: Path, gen: int) -> dict | None:
    """Generation `gen`'s manifest when it is present in this format (None: absent, older or unreadable)."""
    try:
        return manifest(data_dir, gen)
    except (OSError, ValueError, OldFormat):
        return None


def build(con: sqlite3.Connection, data_dir: Path, gen: int, model: str, change: Change | None = None,
          committed: int = 0) -> dict:
    """Write generation `gen` aside and rename it into place: grown from `committed` by `change` when that generation
    is present in this format, else one segment of every point (first ingest, upgrade, compact)."""
    before = current(data_dir, committed) if change is not None and committed else None
    if before is None:
        entries = _whole(con, data_dir, gen)
    else:
        entries = _retire(data_dir, before["segments"], _ids(change.retired), gen)
        if change.added:
            entries.append(_write(con, data_dir, f"seg-{gen:06d}-a", _ids(change.added)))
        entries = merge(con, data_dir, entries, gen)
    return _publish(data_dir, gen, model, entries)


def _whole(con: sqlite3.Connection, data_dir: Path, gen: int) -> list[dict]:
    point_ids = _ids(r[0] for r in con.execute("SELECT id FROM points"))
    return [_write(con, data_dir, f"seg-{gen:06d}-w", point_ids, every=True)] if len(point_ids) else []


def _write(con: sqlite3.Connection, data_dir: Path, name: str, point_ids: np.ndarray, every: bool = False) -> dict:
    info = segment.write(con, seg_dir(data_dir, name), point_ids, every=every)
    return {"name": name, "retired": None, "points": info["points"], "live": info["points"],
            "passages": info["passages"], "vector_index": info["vector_index"]}


def _retire(data_dir: Path, entries: list[dict], gone: np.ndarray, gen: int) -> list[dict]:
    """The entries with `gone` (ids, S16) retired wherever they are live: a new retirement file per touched segment."""
    out = []
    for e in entries:
        e = dict(e)
        if len(gone):
            ids = np.load(seg_dir(data_dir, e["name"]) / "point_ids.npy", mmap_mode="r")
            pos = np.clip(np.searchsorted(ids, gone), 0, max(len(ids) - 1, 0))
            hit = pos[np.asarray(ids[pos] == gone)] if len(ids) else pos[:0]
            old = retired_rows(data_dir, e)
            new = np.union1d(old, hit).astype(np.int64)
            if len(new) > len(old):
                e["retired"] = f"retired-{gen:06d}.npy"
                _save_aside(seg_dir(data_dir, e["name"]) / e["retired"], new)
                e["live"] = e["points"] - len(new)
        if e["live"] > 0:  # a segment with nothing live left is dropped from the generation
            out.append(e)
    return out


def _save_aside(path: Path, arr: np.ndarray) -> None:
    tmp = path.with_name(path.name + ".tmp.npy")
    np.save(tmp, arr)
    tmp.rename(path)


def plan(entries: list[dict]) -> list[str]:
    """The segments to merge now (none, or ones whose live points together fit MAX_MERGED).

    Segments are put in tiers by live size (FLOOR, FLOOR x FACTOR, ...); the smallest tier holding FACTOR segments is
    merged, so no tier holds more than FACTOR; else a segment mostly retired is rewritten."""
    small = sorted((e for e in entries if e["live"] <= MAX_MERGED), key=lambda e: (e["live"], e["name"]))
    tiers: dict[int, list[dict]] = {}
    for e in small:
        tiers.setdefault(len(str(max(e["live"], FLOOR) // FLOOR)) - 1, []).append(e)  # floor(log10(size / FLOOR))
    for t in sorted(tiers):
        if len(tiers[t]) >= FACTOR:
            chosen, total = [], 0
            for e in tiers[t]:
                if total + e["live"] > MAX_MERGED:
                    break
                chosen.append(e["name"])
                total += e["live"]
            if len(chosen) >= 2:
                return chosen
    heavy = [e["name"] for e in small if e["live"] < (1 - RECLAIM) * e["points"]]
    return heavy[:1]


def merge(con: sqlite3.Connection, data_dir: Path, entries: list[dict], gen: int, names: list[str] | None = None) -> list[dict]:
    """The entries with the segments `names` (default: the policy's choice) replaced by one segment of their live points,
    read from the database (vectors as stored: nothing is embedded again)."""
    names = plan(entries) if names is None else names
    if not names:
        return entries
    chosen = [e for e in entries if e["name"] in names]
    live = []
    for e in chosen:
        ids = np.load(seg_dir(data_dir, e["name"]) / "point_ids.npy")
        keep = np.ones(len(ids), dtype=bool)
        keep[retired_rows(data_dir, e)] = False
        live.append(ids[keep])
    merged = _write(con, data_dir, f"seg-{gen:06d}-m", np.sort(np.concatenate(live)))
    at = min(i for i, e in enumerate(entries) if e["name"] in names)
    rest = [e for e in entries if e["name"] not in names]
    return rest[:at] + [merged] + rest[at:]


def _publish(data_dir: Path, gen: int, model: str, entries: list[dict]) -> dict:
    info = {"generation": gen, "format": FORMAT, "model": model, "points": sum(e["live"] for e in entries),
            "passages": sum(e["passages"] for e in entries), "segments": entries,
            "vector_index": "hnsw" if any(e["vector_index"] == "hnsw" for e in entries) else "flat"}
    final = gen_dir(data_dir, gen)
    tmp = final.with_name(final.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    (tmp / "info.json").write_text(json.dumps(info, indent=1))
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    return info


def prune(data_dir: Path, keep: int) -> None:
    """Remove generations older than the previous one (a reader that just loaded it can finish) and the segments and
    retirement files no kept generation names."""
    root = Path(data_dir) / INDEX_DIR
    if not root.exists():
        return
    named: dict[str, set] = {}
    for g in (keep - 1, keep):
        for e in (current(data_dir, g) or {}).get("segments", []):
            named.setdefault(e["name"], set()).add(e["retired"])
    for d in root.iterdir():
        if d.name.startswith("gen-"):
            try:
                n = int(d.name[4:].split(".")[0])
            except ValueError:
                continue
            if n < keep - 1 or (d.name.endswith(".tmp") and n != keep):
                shutil.rmtree(d, ignore_errors=True)
        elif d.name.startswith("seg-"):
            if d.name not in named:
                shutil.rmtree(d, ignore_errors=True)
                continue
            for f in d.glob("retired-*"):
                if f.name not in named[d.name]:
                    f.unlink(missing_ok=True)
