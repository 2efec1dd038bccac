"""A real `oxigraph serve` on loopback for the tests that push to or read from a SPARQL store."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def oxigraph_serve(location: Path, port: int | None = None, timeout_s: int | None = None):
    """Start the server (its store on disk at location; queries stopped after timeout_s) and yield its base URL; stopped on exit."""
    binary = Path(sys.executable).parent / "oxigraph"
    if not binary.exists():
        pytest.skip("the oxigraph server binary (PyPI package oxigraph) is not installed")
    port = port or free_port()
    proc = subprocess.Popen([str(binary), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}",
                             *(["--timeout-s", str(timeout_s)] if timeout_s else [])],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
