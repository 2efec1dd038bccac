"""Real engines on loopback for the tests: a `milvus-lite server` on a free port (session fixture), stopped at the end."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from councilkg.web.bench.load import end

MILVUS_LITE = Path(sys.executable).parent / "milvus-lite"


def free_port() -> int:
    """A port nobody listens on now (bound without SO_REUSEPORT, which milvus-lite's gRPC server sets: two servers on
    one port would silently share its connections)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def need_milvus() -> None:
    """Skip (not fail) where the milvus extra is not installed."""
    try:
        import pymilvus  # noqa: F401
    except ImportError:
        pytest.skip("pymilvus not installed (pip install councilkg[milvus])")
    if not MILVUS_LITE.exists():
        pytest.skip(f"{MILVUS_LITE} not installed (pip install councilkg[milvus])")


class MilvusServer:
    """`milvus-lite server --data-dir D --host 127.0.0.1 --port P`, answered before the constructor returns."""

    def __init__(self, data_dir: Path, timeout: float = 60):
        self.data_dir, self.port = Path(data_dir), free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        self.log = open(self.data_dir.with_name(self.data_dir.name + ".log"), "w")
        self.proc = subprocess.Popen([str(MILVUS_LITE), "server", "--data-dir", str(self.data_dir), "--host", "127.0.0.1",
                                      "--port", str(self.port)], stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"milvus-lite server exited: {Path(self.log.name).read_text()[-2000:]}")
            if self.answers():
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"milvus-lite server did not answer on {self.uri}")

    def answers(self) -> bool:
        from pymilvus import MilvusClient

        try:
            MilvusClient(uri=self.uri, timeout=2).list_collections()
            return True
        except Exception:  # noqa: BLE001 - not up yet
            return False

    def client(self):
        from pymilvus import MilvusClient

        return MilvusClient(uri=self.uri, timeout=30)

    def pause(self) -> None:
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.resume()
        end(self.proc)
        self.log.close()


def serve_milvus(tmp_path_factory, name: str):
    """A fixture's Milvus Lite server in a fresh folder `name`, stopped when the fixture ends."""
    need_milvus()
    server = MilvusServer(tmp_path_factory.mktemp(name) / "server")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def milvus(tmp_path_factory):
    """One Milvus Lite server for the session's tests (each data directory has its own collections in it)."""
    yield from serve_milvus(tmp_path_factory, "milvus")
