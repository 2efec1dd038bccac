"""A real `oxigraph serve` on loopback for the tests that push to or read from a SPARQL store (the bench's, skipped when absent)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest

from councilkg.web.bench.push import free_port, oxigraph_binary
from councilkg.web.bench.push import oxigraph_serve as serve

__all__ = ["free_port", "oxigraph_serve"]


@contextmanager
def oxigraph_serve(location: Path, port: int | None = None, timeout_s: int | None = None):
    """Start the server (its store on disk at location; queries stopped after timeout_s) and yield its base URL; stopped on exit."""
    if not oxigraph_binary().exists():
        pytest.skip("the oxigraph server binary (PyPI package oxigraph) is not installed")
    with serve(location, port, timeout_s) as url:
        yield url
