"""A small picture of an entity's neighbourhood, laid out on the server so the page needs no JavaScript."""

from __future__ import annotations

import math
from dataclasses import dataclass

from councilkg.web.entities import Entity
from councilkg.web.present import Link, shorten

WIDTH, HEIGHT = 860, 460
MAX_NODES = 14


@dataclass
class Node:
    x: float
    y: float
    label: str
    kind: str
    href: str | None
    relation: str = ""  # shown as the node's tooltip
    anchor: str = "middle"


def neighbours(e: Entity) -> list[tuple[str, Link]]:
    """Distinct linked neighbours: facts first (council, meeting, item), then the first entries of each list."""
    seen: set[tuple[str, str]] = {(e.kind, e.id)}
    out: list[tuple[str, Link]] = []

    def add(rel: str, link: Link) -> None:
        if (link.kind, link.id) not in seen and len(out) < MAX_NODES:
            seen.add((link.kind, link.id))
            out.append((rel, link))

    for name, value in e.facts:
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, Link):
                add(name, v)
    for q in e.evidence:
        if q.where:
            add("evidence", q.where)
    groups = [(t, entries) for t, entries in e.groups]
    for ev in e.extra.get("timeline", [])[-6:]:
        add(ev.kind, ev.link)
    for council, _, entries in e.extra.get("by_council", [])[:6]:
        add("points from", council or entries[0].link)
    depth = 0
    while len(out) < MAX_NODES and any(depth < len(entries) for _, entries in groups):
        for title, entries in groups:
            if depth < len(entries):
                add(title.split(" (")[0], entries[depth].link)
        depth += 1
    return out


def layout(e: Entity) -> dict:
    """Centre node and neighbours on an ellipse around it, with text anchored away from the centre."""
    cx, cy = WIDTH / 2, HEIGHT / 2
    around = neighbours(e)
    nodes = []
    n = max(len(around), 1)
    for i, (rel, link) in enumerate(around):
        a = -math.pi / 2 + 2 * math.pi * i / n
        x, y = cx + 235 * math.cos(a), cy + 175 * math.sin(a)
        anchor = "middle" if abs(math.cos(a)) < 0.3 else ("start" if math.cos(a) > 0 else "end")
        nodes.append(Node(round(x, 1), round(y, 1), shorten(link.label, 26), link.kind, link.path, rel, anchor))
    centre = Node(cx, cy, shorten(e.label, 40), e.kind, None)
    kinds = list(dict.fromkeys([e.kind] + [n.kind for n in nodes]))
    return {"width": WIDTH, "height": HEIGHT, "centre": centre, "nodes": nodes, "kinds": kinds}
