"""One registry of entity loaders: each kind module registers its loaders with @loader, and load() finds them by kind."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Callable

from councilkg.web.errors import NotFound

if TYPE_CHECKING:
    from councilkg.web.entities import Entity

LOADERS: dict[str, Callable[[sqlite3.Connection, str], Entity]] = {}


def loader(kind: str):
    """Register fn as the loader of /id/<kind>/<ident>."""
    def register(fn):
        LOADERS[kind] = fn
        return fn

    return register


def load(con: sqlite3.Connection, kind: str, ident: str) -> Entity:
    """The entity at /id/<kind>/<ident>, or NotFound."""
    from councilkg.web import councils, kinds  # noqa: F401 - importing registers their loaders

    fn = LOADERS.get(kind)
    if fn is None:
        raise NotFound(f"No such kind of resource: {kind}")
    return fn(con, ident)
