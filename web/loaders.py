"""One registry of entity loaders: each kind module registers its loader with @loader, and load() finds it by kind. Every loader
reads the SPARQL store through the same two calls (select, construct): the data directory's own store or the shared one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from councilkg.web.errors import NotFound

if TYPE_CHECKING:
    from councilkg.web.entities import Entity

LOADERS: dict[str, Callable] = {}


def loader(kind: str):
    """Register fn as the loader of /id/<kind>/<ident>."""
    def register(fn):
        LOADERS[kind] = fn
        return fn

    return register


def load(store, kind: str, ident: str) -> Entity:
    """The entity at /id/<kind>/<ident> read from store (graph_store.LocalStore or GraphStore), or NotFound."""
    from councilkg.web import councils, kinds  # noqa: F401 - importing registers their loaders

    fn = LOADERS.get(kind)
    if fn is None:
        raise NotFound(f"No such kind of resource: {kind}")
    return fn(store, ident)
