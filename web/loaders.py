"""One registry of entity loaders: each kind module registers its loaders with @loader, and load() finds them by kind and backend
("sqlite": a request's database connection; "sparql": the shared store a server without a data directory reads)."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Callable

from councilkg.web.errors import NotFound

if TYPE_CHECKING:
    from councilkg.web.entities import Entity

LOADERS: dict[tuple[str, str], Callable[[sqlite3.Connection, str], Entity]] = {}


def loader(kind: str, backend: str = "sqlite"):
    """Register fn as the loader of /id/<kind>/<ident> on that backend."""
    def register(fn):
        LOADERS[(backend, kind)] = fn
        return fn

    return register


def load(source, kind: str, ident: str, backend: str = "sqlite") -> Entity:
    """The entity at /id/<kind>/<ident> read from source (a connection, or a GraphStore for "sparql"), or NotFound."""
    from councilkg.web import councils, graph_councils, graph_kinds, kinds  # noqa: F401 - importing registers their loaders

    fn = LOADERS.get((backend, kind))
    if fn is None:
        raise NotFound(f"No such kind of resource: {kind}")
    return fn(source, ident)
