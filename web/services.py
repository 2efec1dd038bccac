"""What requests share: this request's snapshot-consistent database read (db) and the long-lived Searcher, SPARQL pool and topics."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

from flask import current_app, g

from councilkg.graph import store


def db() -> sqlite3.Connection:
    """This request's read-only connection, inside one read transaction so every query sees the same generation."""
    if "db" not in g:
        if current_app.config["DATA_DIR"] is None:
            from councilkg.web.errors import NeedsDataDir

            raise NeedsDataDir()
        con = store.connect(current_app.config["DATA_DIR"], readonly=True)
        con.execute("BEGIN")
        g.db = con
    return g.db


def close_db(_exc=None):
    """End the request's read (teardown)."""
    con = g.pop("db", None)
    if con is not None:
        con.close()


SPARQL_WORKERS = 1  # processes, each holding the graph in memory (~400 MB at 100k points); more queries wait


class Services:
    """Long-lived objects shared by all requests: the Searcher, built once on first use."""

    def __init__(self, data_dir: Path | None, index: str | None = None):
        self.data_dir = data_dir
        self.index = index  # without a data directory: the shared index ("milvus:URI") every shard is in
        self._searcher = None
        self._sparql = None
        self._lock = threading.Lock()
        self._topics: tuple[str, list] | None = None  # (generation, topics): clustering is seconds, not per request
        self._topics_job: tuple[str, Future] | None = None
        self._topics_lock = threading.Lock()

    @property
    def sparql(self):
        """Worker processes for SPARQL, started on first use (a stuck query is killed there, not here)."""
        if self._sparql is None:
            with self._lock:
                if self._sparql is None:
                    from councilkg.web.sparql_pool import SparqlPool

                    self._sparql = SparqlPool(SPARQL_WORKERS, warm_dir=self.data_dir)
        return self._sparql

    @property
    def stateless(self) -> bool:
        """No data directory: search reads every shard of the shared index, pages the shared SPARQL store."""
        return self.data_dir is None

    @property
    def searcher(self):
        """The data directory's Searcher, or without one the ShardSearcher over every shard of the shared index."""
        if self._searcher is None:
            with self._lock:
                if self._searcher is None:
                    self._searcher = self._make_searcher()
        return self._searcher

    def _make_searcher(self):
        if self.stateless:
            from councilkg.embed.shards import ShardSearcher

            if not self.index:
                from councilkg.web.errors import NeedsDataDir

                raise NeedsDataDir("Search without a data directory needs the shared index (serve --index milvus:URI).")

            return ShardSearcher.for_index(self.index)
        from councilkg.embed.search import Searcher

        return Searcher(self.data_dir)

    def topics(self, con: sqlite3.Connection | None = None, wait: float | None = None) -> list | None:
        """The topic clusters of the generation `con` (by default this request's read) reads, or without a data directory
        of the shards the aliases name now, worked out once per generation in the background (20,000 points take
        ~25 s); None when they are not ready within `wait` seconds (None: wait for them)."""
        shards = self.searcher.shards() if self.stateless else None
        if shards is not None:
            gen = tuple((s.points, s.idx.gen) for s in shards)  # each shard's collection at its published generation
        else:
            gen = store.get_state(con or db(), "generation", "0") or "0"
        with self._topics_lock:
            if self._topics is not None and self._topics[0] == gen:
                return self._topics[1]
            if self._topics_job is None or self._topics_job[0] != gen:
                job: Future = Future()
                self._topics_job = (gen, job)
                threading.Thread(target=self._work_out_topics, args=(gen, job, shards), name="councilkg-topics", daemon=True).start()
            job = self._topics_job[1]
        try:
            return job.result(timeout=wait)
        except FutureTimeout:
            return None

    def _work_out_topics(self, gen, job: Future, shards: list | None) -> None:
        """In a process of its own: clustering 20,000 points peaks at ~1 GB, which the server should not keep."""
        import multiprocessing

        from councilkg.embed.emerging import generation_topics
        from councilkg.graph.topics import Topic

        try:
            where: tuple = (str(self.data_dir),)
            if shards is not None:  # the theme vectors this server searches with (the worker then loads no encoder)
                themes = self.searcher.theme_vectors(shards[0].info.get("model")) if shards else None
                where = (None, self.searcher.uri, gen, themes)
            with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
                gen, found = pool.submit(generation_topics, *where).result()
            topics = [Topic(**t) for t in found]
            with self._topics_lock:
                self._topics = (gen, topics)
            job.set_result(topics)
        except Exception as e:  # noqa: BLE001 -- not swallowed: every request waiting on the job hears of it
            job.set_exception(e)

    def warm(self) -> None:
        """Load the encoder and the SPARQL store before the first request, so no visitor waits for them."""
        self.searcher.warm()
        if self.stateless:
            return
        from councilkg.graph.sparql import open_store

        open_store(self.data_dir)
        self.sparql  # noqa: B018 - start the workers now


def services() -> Services:
    """The current app's shared Services."""
    return current_app.extensions["councilkg"]
