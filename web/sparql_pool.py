"""SPARQL queries run in worker processes, so one past its time limit is killed instead of holding a server thread."""

from __future__ import annotations

import multiprocessing as mp
import queue
import threading
from pathlib import Path

GRACE_S = 1.0  # the worker checks the limit itself while rows stream; past limit + grace it is killed


def _work(conn, warm_dir: str | None) -> None:
    """A worker's loop: load the graph into memory first, then answer queries until the pipe closes (each new
    generation's changes replayed into that copy before the first query on it)."""
    from councilkg.graph import sparql

    if warm_dir is not None:
        try:
            sparql.memory_store(warm_dir)
        except Exception:  # noqa: BLE001 - a failed warm-up only means the first query loads it
            pass

    while True:
        try:
            data_dir, q, limit, timeout = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply = ("ok", sparql.query(sparql.memory_store(data_dir), q, limit=limit, timeout=timeout))
        except sparql.QueryError as e:
            reply = ("error", type(e).__name__, str(e))
        except Exception as e:  # noqa: BLE001 - a query must never take the worker down silently
            reply = ("error", "QueryError", f"query failed: {type(e).__name__}")
        conn.send(reply)


class SparqlPool:
    """A fixed number of query processes; a query waits for a free one, and a stuck one is replaced."""

    def __init__(self, size: int = 1, warm_dir: str | Path | None = None):
        self._warm = None if warm_dir is None else str(warm_dir)
        self._ctx = mp.get_context("spawn")  # never fork a threaded server
        self._free: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._procs: list = []
        for _ in range(size):
            self._free.put(self._start())

    def _start(self):
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(target=_work, args=(child, self._warm), daemon=True, name="councilkg-sparql")
        proc.start()
        child.close()
        with self._lock:
            self._procs.append(proc)
        return proc, parent

    def _retire(self, proc, conn) -> None:
        proc.kill()
        proc.join(5)
        conn.close()
        with self._lock:
            self._procs.remove(proc)

    def query(self, data_dir: str | Path, q: str, *, limit: int, timeout: float):
        """The Result of `q`, or the query's own typed error; QueryTimeout when it runs past `timeout`."""
        from councilkg.graph import sparql

        try:
            proc, conn = self._free.get(timeout=timeout)
        except queue.Empty:
            raise sparql.QueryTimeout(f"every SPARQL worker stayed busy for {timeout:g} s; try again") from None
        try:
            conn.send((str(data_dir), q, limit, timeout))
            if not conn.poll(timeout + GRACE_S):
                self._retire(proc, conn)
                proc, conn = self._start()
                raise sparql.QueryTimeout(f"query ran past its {timeout:g} s limit and was stopped")
            reply = conn.recv()
        except (EOFError, OSError, BrokenPipeError):  # the worker died (e.g. out of memory): replace it
            self._retire(proc, conn)
            proc, conn = self._start()
            raise sparql.QueryError("the query stopped its worker process; it was not answered") from None
        finally:
            self._free.put((proc, conn))
        if reply[0] == "ok":
            return reply[1]
        raise getattr(sparql, reply[1], sparql.QueryError)(reply[2])

    def close(self) -> None:
        with self._lock:
            procs = list(self._procs)
        for proc in procs:
            proc.kill()
            proc.join(5)
