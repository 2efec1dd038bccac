"""SPARQL results as the W3C formats (JSON, XML, CSV, TSV) and a plain-text table; graph results as RDF syntaxes."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

import pyoxigraph as ox

from councilkg.graph.vocab import PREFIXES

if TYPE_CHECKING:
    from councilkg.graph.sparql import Result

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def _json_term(t) -> dict:
    if isinstance(t, ox.NamedNode):
        return {"type": "uri", "value": t.value}
    if isinstance(t, ox.BlankNode):
        return {"type": "bnode", "value": t.value}
    if isinstance(t, ox.Literal):
        out = {"type": "literal", "value": t.value}
        if t.language:
            out["xml:lang"] = t.language
        elif t.datatype.value != XSD_STRING:
            out["datatype"] = t.datatype.value
        return out
    return {"type": "triple", "value": str(t)}


def _json(r: Result) -> bytes:
    if r.kind == "ask":
        return json.dumps({"head": {}, "boolean": r.boolean}).encode()
    bindings = [{v: _json_term(t) for v, t in zip(r.vars, row) if t is not None} for row in r.rows]
    return json.dumps({"head": {"vars": r.vars}, "results": {"bindings": bindings}}, ensure_ascii=False).encode("utf-8")


def _csv(r: Result) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    if r.kind == "ask":
        return f"{str(r.boolean).lower()}\r\n".encode()
    w.writerow(r.vars)
    w.writerows([["" if t is None else f"_:{t.value}" if isinstance(t, ox.BlankNode) else t.value for t in row] for row in r.rows])
    return buf.getvalue().encode("utf-8")


def _tsv(r: Result) -> bytes:
    if r.kind == "ask":
        return f"{str(r.boolean).lower()}\n".encode()
    lines = ["\t".join(f"?{v}" for v in r.vars)] + ["\t".join("" if t is None else str(t) for t in row) for row in r.rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _xml(r: Result) -> bytes:
    root = ET.Element("sparql", xmlns="http://www.w3.org/2005/sparql-results#")
    head = ET.SubElement(root, "head")
    if r.kind == "ask":
        ET.SubElement(root, "boolean").text = str(r.boolean).lower()
        return ET.tostring(root, encoding="utf-8", xml_declaration=True)
    for v in r.vars:
        ET.SubElement(head, "variable", name=v)
    results = ET.SubElement(root, "results")
    for row in r.rows:
        res = ET.SubElement(results, "result")
        for v, t in zip(r.vars, row):
            if t is None:
                continue
            j = _json_term(t)
            attrs = {k: j[k] for k in ("datatype", "xml:lang") if k in j}
            tag = {"uri": "uri", "bnode": "bnode"}.get(j["type"], "literal")
            ET.SubElement(ET.SubElement(res, "binding", name=v), tag, attrs).text = _xml_safe(j["value"])
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xml_safe(text: str) -> str:
    """XML 1.0 cannot carry most control characters; they become U+FFFD (only in the XML format)."""
    return _XML_BAD.sub("\ufffd", text)


def _short(t, width: int = 70) -> str:
    if t is None:
        return ""
    text = t.value
    if isinstance(t, ox.NamedNode):
        for p, ns in PREFIXES.items():
            if text.startswith(str(ns)) and p != "id":
                text = f"{p}:{text[len(str(ns)):]}"
                break
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _table(r: Result) -> bytes:
    if r.kind == "ask":
        return f"{str(r.boolean).lower()}\n".encode()
    cells = [[_short(t) for t in row] for row in r.rows]
    widths = [max([len(v)] + [len(c[i]) for c in cells]) for i, v in enumerate(r.vars)]
    line = lambda vals: " | ".join(x.ljust(w) for x, w in zip(vals, widths)).rstrip()  # noqa: E731
    out = [line(r.vars), "-+-".join("-" * w for w in widths)] + [line(c) for c in cells]
    out.append(f"({len(r.rows)} row{'s' if len(r.rows) != 1 else ''}{', truncated' if r.truncated else ''})")
    return ("\n".join(out) + "\n").encode("utf-8")


RESULT_FORMATS = {  # name -> (writer, media type)
    "json": (_json, "application/sparql-results+json"),
    "xml": (_xml, "application/sparql-results+xml"),
    "csv": (_csv, "text/csv; charset=utf-8"),
    "tsv": (_tsv, "text/tab-separated-values; charset=utf-8"),
    "table": (_table, "text/plain; charset=utf-8"),
}
GRAPH_FORMATS = {"json": "JSON_LD", "jsonld": "JSON_LD", "turtle": "TURTLE", "nt": "N_TRIPLES", "table": "TURTLE",
                 "xml": "RDF_XML", "csv": "N_TRIPLES", "tsv": "N_TRIPLES"}


def graph_bytes(triples: list, fmt: str) -> bytes:
    """CONSTRUCT/DESCRIBE triples in the RDF syntax a results format name stands for, with our prefixes."""
    prefixes = {p: str(ns) for p, ns in PREFIXES.items()}
    return ox.serialize(triples, format=getattr(ox.RdfFormat, GRAPH_FORMATS[fmt]), prefixes=prefixes)
