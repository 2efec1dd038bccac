"""Index backends by spec ("faiss", the default, or "milvus:URI"): one place decides where a data directory's generation is written and read."""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from councilkg.embed import index as ix
from councilkg.embed.milvus import MilvusError
from councilkg.graph import store
from councilkg.graph.instance import instance_id

DEFAULT = "faiss"
STATE_KEY = "index"  # in the data directory's state table


class BackendError(MilvusError):
    """An index spec that cannot be used, told in one line."""


@dataclass(frozen=True)
class Faiss:
    """Segments of FAISS, term counts and facet rows in the data directory, grown by each ingest (embed/grow.py)."""

    spec: str = DEFAULT

    def check(self) -> None:
        pass

    def build(self, con: sqlite3.Connection, data_dir: Path, gen: int, model: str, change=None) -> None:
        """Generation `gen` grown from `gen - 1` by `change` (a grow.Change; None: one segment of every point)."""
        from councilkg.embed import grow

        grow.build(con, data_dir, gen, model, change, committed=gen - 1)

    def present(self, con: sqlite3.Connection, data_dir: Path, gen: int) -> bool:
        from councilkg.embed import grow

        return grow.current(data_dir, gen) is not None

    def publish(self, con: sqlite3.Connection, data_dir: Path, gen: int) -> None:
        pass

    def retire(self, con: sqlite3.Connection) -> None:
        pass

    def load(self, data_dir: Path, gen: int, con: sqlite3.Connection, previous=None):
        return ix.Indexes.load(data_dir, gen, previous)


@dataclass(frozen=True)
class Milvus:
    """Points and passages collections per data directory in a Milvus, grown in place by each ingest (embed/milvus_grow);
    the generation directory holds only what the generation is (info.json: its collections, counts and rows written)."""

    uri: str

    @property
    def spec(self) -> str:
        return f"milvus:{self.uri}"

    def check(self) -> None:
        from councilkg.embed.milvus import connect

        connect(self.uri)

    def build(self, con: sqlite3.Connection, data_dir: Path, gen: int, model: str, change=None) -> None:
        """Generation `gen` grown in place from `gen - 1` by `change`, or built whole (change None, nothing of this
        format committed before, or more retired than readers should list: milvus_grow.fits); then the generation
        directory (renamed into place); the caller then commits."""
        from councilkg.embed import milvus_build, milvus_grow

        before = self._info(data_dir, gen - 1) if change is not None and milvus_grow.fits(change) else None
        if before is not None and before.get("instance") == instance_id(con):
            info = milvus_grow.grow(con, self.uri, gen, before, change)
        else:
            info = milvus_build.build(con, self.uri, instance_id(con), gen, model)
        final = ix.gen_dir(data_dir, gen)
        tmp = final.with_name(final.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        (tmp / "info.json").write_text(json.dumps(info | {"index": self.spec}, indent=1))
        shutil.rmtree(final, ignore_errors=True)
        tmp.rename(final)

    @staticmethod
    def _info(data_dir: Path, gen: int) -> dict | None:
        """Generation `gen`'s info.json when a Milvus generation of this format wrote it."""
        from councilkg.embed.milvus import FORMAT

        try:
            info = json.loads((ix.gen_dir(data_dir, gen) / "info.json").read_text())
        except (OSError, ValueError):
            return None
        return info if info.get("format") == FORMAT and "base" in info else None

    def present(self, con: sqlite3.Connection, data_dir: Path, gen: int) -> bool:
        from councilkg.embed import milvus_grow

        info = self._info(data_dir, gen)
        return info is not None and info.get("instance") == store.get_state(con, "instance") and \
            milvus_grow.present(self.uri, info)

    def publish(self, con: sqlite3.Connection, data_dir: Path, gen: int) -> None:
        from councilkg.embed import milvus_grow

        if info := self._info(data_dir, gen):
            milvus_grow.publish(self.uri, info)

    def retire(self, con: sqlite3.Connection) -> None:
        from councilkg.embed import milvus_grow

        if instance := store.get_state(con, "instance"):
            milvus_grow.retire(self.uri, instance)

    def load(self, data_dir: Path, gen: int, con: sqlite3.Connection, previous=None):
        from councilkg.embed.milvus_index import MilvusIndexes

        return MilvusIndexes.load(data_dir, gen, self.uri, con)


def _milvus(rest: str, spec: str) -> Milvus:
    if not rest:
        raise BackendError(f"--index {spec!r}: give a URI after milvus: (http://host:port or a Milvus Lite file .db)")
    if "://" in rest:
        u = urlparse(rest)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise BackendError(f"--index {spec!r}: a Milvus URI is http(s)://host:port or a Milvus Lite file path")
        try:
            u.port
        except ValueError:
            raise BackendError(f"--index {spec!r}: the port is not a number") from None
        return Milvus(rest.rstrip("/"))
    path = Path(rest).expanduser().absolute()
    if path.suffix != ".db":
        raise BackendError(f"--index {spec!r}: a Milvus Lite file must end in .db")
    return Milvus(str(path))


BACKENDS = {"faiss": lambda rest, spec: Faiss() if not rest else _no_uri(spec), "milvus": _milvus}


def _no_uri(spec: str):
    raise BackendError(f"--index {spec!r}: faiss takes no URI (it lives in the data directory)")


def parse_index(spec: str | None):
    """The backend for a spec: "faiss" (also for None or "") or "milvus:URI" (a Lite path is made absolute)."""
    spec = (spec or DEFAULT).strip()
    kind, _, rest = spec.partition(":")
    if kind.lower() not in BACKENDS:
        raise BackendError(f"--index {spec!r}: unknown index (one of: faiss, milvus:URI)")
    return BACKENDS[kind.lower()](rest.strip(), spec)


def recorded(con: sqlite3.Connection):
    """The backend a data directory's state names (faiss when it names none)."""
    return parse_index(store.get_state(con, STATE_KEY))
