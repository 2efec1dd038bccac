"""A whole graph sent in parts, so that the store never holds one huge request and a failed push resumes where it stopped.

A whole push streams N-Triples into `Parts`, which cuts exactly every `chunk` triples: the first part a PUT (replacing
what the graph held), the rest POSTs. Before each part, the caller records in the store how many parts it holds and
the SHA-1 of their bytes. A rerun of the same stream skips that many parts, checks the digest, and
sends the rest; the stream is a generation's immutable snapshot (`snapshot_stream`), so it is the same each time."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import IO


class Diverged(Exception):
    """The stream's first parts are not the ones the store recorded (another chunk size, or other data): start again."""


class Parts:
    """The stream a push writes N-Triples to, sent each `chunk` triples and at close; `skip` parts already held (with
    `expect` the SHA-1 of their bytes) are checked, not sent; `on_part(parts, sha1)` runs before each part is sent, with
    the parts the store holds by then (unless the graph is one part, which replaces it in one request)."""

    def __init__(self, body: IO[bytes], send: Callable[[str, int], object], method: str, chunk: int, *,
                 skip: int = 0, expect: str | None = None, on_part: Callable[[int, str], object] | None = None):
        self.body, self.send, self.method, self.chunk = body, send, method if not skip else "POST", chunk
        self.skip, self.expect, self.on_part = skip, expect, on_part
        self.held = self.parts = self.sent = 0
        self.digest = hashlib.sha1()
        self.before = self.digest.hexdigest()  # of the parts before the one in hand

    def write(self, data: bytes) -> None:
        while data:
            n = data.count(b"\n")
            room = self.chunk - self.held
            if n < room:
                self._keep(data, n)
                return
            cut = -1
            for _ in range(room):  # the end of the part's last triple
                cut = data.index(b"\n", cut + 1)
            self._keep(data[:cut + 1], room)
            self._flush()
            data = data[cut + 1:]

    def close(self) -> None:
        """The last part; an empty graph still replaces. A stream shorter than the parts it was said to hold diverged."""
        if self.held or (self.method == "PUT" and not self.parts):
            self._flush(last=True)
        if self.parts < self.skip:
            raise Diverged(f"the stream has {self.parts} parts, the store recorded {self.skip}")

    def _keep(self, data: bytes, lines: int) -> None:
        self.digest.update(data)
        if self.parts >= self.skip:  # a part already held is only hashed
            self.body.write(data)
        self.held += lines

    def _flush(self, last: bool = False) -> None:
        self.parts += 1
        if self.parts <= self.skip:
            if self.parts == self.skip and self.digest.hexdigest() != self.expect:
                raise Diverged(f"the first {self.skip} parts differ from those the store recorded")
            self.held, self.before = 0, self.digest.hexdigest()
            return
        if self.on_part and not (last and self.parts == 1):  # a graph of one part is replaced by one request: no record
            self.on_part(self.parts - 1, self.before)
        size = self.body.tell()
        self.body.seek(0)
        self.send(self.method, size)
        self.body.seek(0)
        self.body.truncate()
        self.sent += self.held
        self.method, self.held = "POST", 0  # the rest is added to what the first request replaced
        self.before = self.digest.hexdigest()


def snapshot_stream(snapshot: Path, out: IO[bytes]) -> None:
    """The union of a generation's snapshot (every owner's graph) as N-Triples, each triple once, in the store's order."""
    import pyoxigraph as ox

    st = ox.Store.read_only(str(snapshot))
    sink = _Sink(out)
    try:
        st.query("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }").serialize(sink, format=ox.RdfFormat.N_TRIPLES)
    finally:
        if sink.failed:
            raise sink.failed


class _Sink:
    """What pyoxigraph's serializer writes to. It may write again after a write raised (a part the store refused), so
    the first failure is kept, nothing more reaches `out`, and the failure is raised once the serializer stops."""

    def __init__(self, out: IO[bytes]):
        self.out, self.failed = out, None

    def write(self, data: bytes) -> int:
        if self.failed:
            raise self.failed
        try:
            self.out.write(data)
        except BaseException as e:
            self.failed = e
            raise
        return len(data)

    def flush(self) -> None:
        pass
