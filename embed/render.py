"""Search results as text an officer reads in a terminal: who, when, which committee and item, the point with its matches marked."""

from __future__ import annotations

import sys
import textwrap

from councilkg.embed.table import UNKNOWN_COUNCIL

WIDTH = 100
INDENT = "    "
# How a matched word is marked: bold on a terminal, Markdown-style bold in a pipe or file.
MARKS = {True: ("\033[1m", "\033[0m"), False: ("**", "**")}


def _color(color: bool | None) -> bool:
    return sys.stdout.isatty() if color is None else color


def mark(text: str, spans, color: bool) -> str:
    """The text with each highlighted span wrapped in the marks."""
    on, off = MARKS[color]
    out, last = [], 0
    for a, b in sorted(spans):
        if a < last:
            continue
        out += [text[last:a], on, text[a:b], off]
        last = b
    out.append(text[last:])
    return "".join(out)


def _wrap(text: str, indent: str = INDENT) -> str:
    # break_on_hyphens off and long words kept whole, so a mark is never split across lines
    return textwrap.fill(" ".join(text.split()), WIDTH, initial_indent=indent, subsequent_indent=indent,
                         break_on_hyphens=False, break_long_words=False)


def headline(hit: dict) -> str:
    """Council · date · committee: unknown parts are said to be unknown, never filled in."""
    council = hit["council"]["name"] if hit.get("council") else UNKNOWN_COUNCIL
    meeting = hit.get("meeting") or {}
    return " · ".join([council, meeting.get("date") or "date unknown", meeting.get("committee") or "committee unknown"])


def item_line(item: dict) -> str:
    number = f"Item {item['number']}: " if item.get("number") else ""
    return f"{number}{item.get('title') or '(untitled item)'}"


def format_hit(hit: dict, color: bool) -> str:
    lines = [
        f"{hit['rank']:>2}. {headline(hit)}",
        INDENT + item_line(hit["item"]),
        _wrap(mark(hit["text"], hit.get("highlights", []), color)),
    ]
    if hit.get("themes"):
        lines.append(INDENT + "themes: " + "; ".join(t["label"] for t in hit["themes"]))
    lines.append(INDENT + f"source: {hit['source']}" + (f" ({hit['source_url']})" if hit.get("source_url") else "")
                 + f"  score {hit['score']:.3f}")
    return "\n".join(lines)


def format_text(result: dict, color: bool | None = None) -> str:
    """Readable results for `councilkg search`; matched words in bold (ANSI on a terminal, **word** otherwise)."""
    color = _color(color)
    head = f"{len(result['hits'])} results for {result['query']!r}"
    example = result.get("example")
    if example and example.get("excluded_council"):
        who = (example.get("council") or {}).get("name") or ", ".join(example["excluded_council"])
        head += f" (excluding the example's own council: {who})"
    if not result["hits"]:
        return head.replace(f"{0} results", "No results", 1)
    return "\n\n".join([head, *(format_hit(h, color) for h in result["hits"])])


def _evidence(ev: dict | None) -> str:
    if not ev:
        return ""
    where = ev.get("source") or ""
    ref = f"point {ev['point']}" if ev.get("point") else f"item {ev['item']}" if ev.get("item") else ""
    return f"{INDENT * 2}evidence: \u201c{' '.join((ev.get('quote') or '').split())}\u201d ({', '.join(filter(None, [ref, where]))})"


def format_compare(groups: list[dict], color: bool | None = None) -> str:
    """Compare mode: one block per council, its best points, then its practices (with outcomes) and actions."""
    color = _color(color)
    if not groups:
        return "No results"
    themes = groups[0].get("themes") or []
    out = [f"{len(groups)} councils" + (" · themes: " + "; ".join(t["label"] for t in themes) if themes else "")]
    for g in groups:
        block = [f"== {g['label']} ({g['matches']} matching points, best rank {g['best_rank']})"]
        for h in g["hits"]:
            block.append(f"{INDENT}{h['meeting'].get('date') or 'date unknown'} · {item_line(h['item'])}")
            block.append(_wrap(mark(h["text"], h.get("highlights", []), color), INDENT * 2))
        if g["practices"]:
            block.append(f"{INDENT}practices:")
            for p in g["practices"]:
                block.append(f"{INDENT}- {p['label']} ({p['kind']})" + (f": outcome: {p['outcome']}" if p.get("outcome") else ": outcome not stated"))
                block.append(_evidence(p["evidence"]))
        if g["actions"]:
            block.append(f"{INDENT}actions:")
            for a in g["actions"]:
                owner = f" [owner: {a['owner']}]" if a.get("owner") else ""
                block.append(f"{INDENT}- {a['kind']}: {' '.join(a['text'].split())}{owner} ({item_line(a['item'])}; {a['source']})")
        out.append("\n".join(block))
    return "\n\n".join(out)
