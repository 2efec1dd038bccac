"""Milvus names, schemas, connections and filter expressions shared by the writer, the data-directory reader and stateless readers."""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import time

from councilkg.embed import index as ix
from councilkg.embed.filters import Filters, _check_date, normalise_grade, resolve_council, resolve_theme_id
from councilkg.embed.table import committee_key
from councilkg.graph.store import StoreError

PREFIX = "ckg_"
POINTS, PASSAGES, RETIRED = "_points", "_passages", "_retired"
KINDS = (POINTS, PASSAGES, RETIRED)
TEXT_MAX = 65535  # Milvus's VARCHAR limit, in bytes of UTF-8
SHORT, NAME = 64, 1024
MAX_THEMES = 64
CONNECT_TRIES = 3
BM25_K1, BM25_B = 1.5, 0.75  # bm25s's defaults
# Milvus scores BM25 with the (k1 + 1) factor in the numerator, bm25s (Lucene) without: the same ranking, scores
# larger by exactly k1 + 1 (measured: 10.921 / 4.368 on the labelled corpus); divided out so signals match FAISS's.
BM25_SCALE = 1.0 / (BM25_K1 + 1.0)
FORMAT = 4  # what the collections hold; 2 added `procedural` and `seq` for topics; 3: rows carry gen_added/gen_retired,
# updated in place by each ingest (the name's generation is the one that built them whole); 4: a row is never rewritten,
# its retirement is a row of the `_retired` collection beside it (a rewrite is delete + insert: readers saw a mixture)
ROW_BITS, SEQ_BITS = 28, 8  # pos = generation << ROW_BITS | row of that generation; a passage's id = pos << SEQ_BITS | seq


class MilvusError(StoreError):
    """A Milvus that cannot be used (not installed, unreachable, refusing), told in one line naming its URI."""


def collection(instance: str, gen: int, kind: str = POINTS) -> str:
    return f"{PREFIX}{instance}_g{gen:06d}{kind}"


def alias(instance: str) -> str:
    return f"{PREFIX}{instance}"


def passages_of(points: str) -> str:
    """The passages collection beside a points collection (an alias resolves to the points one)."""
    return points.removesuffix(POINTS) + PASSAGES


def retired_of(points: str) -> str:
    """The collection of retirements beside a points collection: (pos, gen_retired) of each retired point."""
    return points.removesuffix(POINTS) + RETIRED


def retired_by(client, uri: str, points: str, gen: int) -> list[int]:
    """Positions of the points retired at or before generation `gen` and not yet deleted (the last two generations'
    retirements: a few per changed point, never the corpus)."""
    return sorted(int(r["pos"]) for r in rows(client, uri, retired_of(points), f"gen_retired <= {int(gen)}", ["pos"]))


def live(gen: int, retired=()) -> str:
    """The rows generation `gen` holds: added by it or before, and not at a position it retired (`retired_by`); points and
    passages alike, both carry their point's `pos`."""
    return both(f"gen_added <= {int(gen)}", f"pos not in [{', '.join(str(int(p)) for p in retired)}]" if retired else "")


def live_in(client, uri: str, points: str, gen: int) -> str:
    """`live` for generation `gen` of the collections beside `points`, its retirements read from them."""
    return live(gen, retired_by(client, uri, points, gen))


def both(*exprs: str | None) -> str:
    """Expressions joined by `and` (empty ones left out)."""
    return " and ".join(f"({e})" for e in exprs if e)


def parse_collection(name: str) -> tuple[str, int, str] | None:
    """(instance, generation, kind) of one of our collection names, or None for any other."""
    m = re.fullmatch(rf"{PREFIX}([0-9a-f]+)_g(\d{{6}})({'|'.join(KINDS)})", name)
    return (m.group(1), int(m.group(2)), m.group(3)) if m else None


def fail(uri: str, what: str, exc: BaseException | None = None) -> MilvusError:
    """One line: the URI, what could not be done, and Milvus's own reason."""
    reason = getattr(exc, "message", None) or getattr(exc, "_message", None) or (str(exc) if exc else "")
    reason = " ".join(str(reason).split())[:200]
    return MilvusError(f"milvus:{uri}: {what}" + (f" ({reason})" if reason else ""))


def call(uri: str, what: str, fn, *args, **kw):
    """One Milvus call; any failure is one MilvusError naming the URI and what was asked."""
    try:
        return fn(*args, **kw)
    except Exception as e:  # grpc, pymilvus and milvus-lite raise many kinds; all mean "cannot use it"
        raise fail(uri, what, e) from None


def rows(client, uri: str, name: str, expr: str, fields: list[str], batch: int = 2_000) -> list[dict]:
    """Every row of `name` matching `expr`, read page by page (the answer may exceed Milvus's window of 16,384)."""
    it = call(uri, f"cannot read {name}", client.query_iterator, name, batch_size=batch, filter=expr, output_fields=fields)
    out: list[dict] = []
    try:
        while got := call(uri, f"cannot read {name}", it.next):
            out += got
    finally:
        it.close()
    return out


def connect(uri: str, timeout: float = 30.0):
    """A MilvusClient for `uri`, checked to answer; a missing pymilvus or a dead server is one MilvusError."""
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")  # gRPC's own stderr lines (keepalive GOAWAYs) are not errors of ours
    try:
        from pymilvus import MilvusClient
    except ImportError:
        raise MilvusError(f"milvus:{uri}: pymilvus is not installed: install councilkg[milvus]") from None
    for name in ("pymilvus", "milvus_lite"):  # their tracebacks on stderr would bury our one line
        logging.getLogger(name).setLevel(logging.CRITICAL)
    tries = CONNECT_TRIES if "://" in uri else 1
    for attempt in range(1, tries + 1):
        try:
            client = MilvusClient(uri=uri, timeout=timeout)
            client.list_collections()
            return client
        except Exception as e:  # grpc, pymilvus and milvus-lite raise many kinds; all mean "cannot use it"
            if attempt < tries:  # a channel the server closed (a keepalive GOAWAY) fails once, then reconnects
                time.sleep(attempt)
                continue
            if "://" not in uri:  # the usual reason: another process has the file open
                raise fail(uri, "cannot open (a Milvus Lite file opens in one process at a time; for more, serve it "
                                "with `milvus-lite server` and use http://host:port)", e) from None
            raise fail(uri, "cannot connect", e) from None


def generation_info(client, name: str) -> dict:
    """Model, generation, instance, counts and vector index kind of one points collection (or an alias to one)."""
    props = client.describe_collection(name).get("properties") or {}
    info = {k.removeprefix("ckg."): v for k, v in props.items() if k.startswith("ckg.")}
    for k in ("generation", "points", "passages", "format", "dim", "length", "base"):
        if k in info:
            info[k] = int(info[k])
    return info


# --- schemas --------------------------------------------------------------------------------------------------

# (name, kind, max_length or None); kind: "str", "bool", "strs", "floats"
POINT_FIELDS = [
    ("point_id", "str", SHORT), ("doc_id", "str", SHORT), ("item_id", "str", SHORT), ("item_title", "str", TEXT_MAX),
    ("item_number", "str", NAME), ("meeting_id", "str", SHORT), ("text", "str", TEXT_MAX),
    ("council_id", "str", SHORT), ("council_name", "str", NAME), ("council_key", "str", NAME), ("gss", "str", SHORT),
    ("committee", "str", NAME), ("committee_key", "str", NAME), ("date", "str", SHORT), ("year", "str", SHORT),
    ("grade", "str", SHORT), ("themes", "strs", SHORT), ("theme_scores", "floats", None),
    ("source", "str", TEXT_MAX), ("source_url", "str", TEXT_MAX), ("procedural", "bool", None),
]
FILTER_FIELDS = ("council_id", "council_key", "committee_key", "date", "themes", "grade", "doc_id")


def _add(schema, name: str, kind: str, length: int | None) -> None:
    from pymilvus import DataType

    if kind == "str":
        schema.add_field(name, DataType.VARCHAR, max_length=length)
    elif kind == "bool":
        schema.add_field(name, DataType.BOOL)
    elif kind == "strs":
        schema.add_field(name, DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=MAX_THEMES, max_length=length)
    else:
        schema.add_field(name, DataType.ARRAY, element_type=DataType.FLOAT, max_capacity=MAX_THEMES)


def _generations(schema) -> None:
    """The generation that added a row (which one retired it is a row of the `_retired` collection: see `live`)."""
    from pymilvus import DataType

    schema.add_field("gen_added", DataType.INT64)


def points_schema(client):
    """One row per debate point: what renders a hit, what filters, and `lex` (our stems) with its BM25 function."""
    from pymilvus import DataType, Function, FunctionType

    s = client.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("pos", DataType.INT64, is_primary=True)
    _generations(s)
    for name, kind, length in POINT_FIELDS:
        _add(s, name, kind, length)
    s.add_field("lex", DataType.VARCHAR, max_length=TEXT_MAX, enable_analyzer=True,
                analyzer_params={"tokenizer": "standard"}, enable_match=True)
    s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    s.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["lex"],
                            output_field_names=["sparse"]))
    idx = client.prepare_index_params()
    idx.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                  params={"bm25_k1": BM25_K1, "bm25_b": BM25_B})
    return s, idx


def retired_schema(client):
    """One row per retired point: its `pos` and the generation that retired it. Milvus wants a vector field in every
    collection: `v`, two zeros, never searched."""
    from pymilvus import DataType

    s = client.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("pos", DataType.INT64, is_primary=True)
    s.add_field("gen_retired", DataType.INT64)
    s.add_field("v", DataType.FLOAT_VECTOR, dim=2)
    idx = client.prepare_index_params()
    idx.add_index(field_name="v", index_type="FLAT", metric_type="L2")
    return s, idx


def passages_schema(client, dim: int, passages: int):
    """One row per passage vector with the filter fields; FLAT or HNSW by size, the policy of the FAISS side."""
    from pymilvus import DataType

    s = client.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("id", DataType.INT64, is_primary=True)  # pos << SEQ_BITS | seq
    s.add_field("pos", DataType.INT64)
    _generations(s)
    s.add_field("point_id", DataType.VARCHAR, max_length=SHORT)
    s.add_field("seq", DataType.INT64)  # the passage's place in its point (0: the vector topics cluster by)
    s.add_field("vec", DataType.FLOAT_VECTOR, dim=dim)
    kinds = dict((n, (k, length)) for n, k, length in POINT_FIELDS)
    for name in FILTER_FIELDS:
        _add(s, name, *kinds[name])
    idx = client.prepare_index_params()
    if passages > ix.APPROX_THRESHOLD:
        idx.add_index(field_name="vec", index_type="HNSW", metric_type="IP",
                      params={"M": ix.HNSW_M, "efConstruction": ix.HNSW_EF_CONSTRUCTION})
    else:
        idx.add_index(field_name="vec", index_type="FLAT", metric_type="IP")
    return s, idx


# --- filters as boolean expressions -----------------------------------------------------------------------------


def lit(value: str) -> str:
    """A Milvus string literal: backslash and quote escaped, control characters made spaces (never raw user text)."""
    value = re.sub(r"[\x00-\x1f\x7f]", " ", str(value))
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def like_escape(value: str) -> str:
    """`value` as a LIKE pattern matching itself (its %, _ and backslashes escaped); quote it with `lit`."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def in_list(field: str, values, negate: bool = False) -> str:
    items = ", ".join(lit(v) for v in sorted(set(values)))
    return f"{field} {'not in' if negate else 'in'} [{items}]"


def expression(f: Filters, council_ids=None, exclude_ids=None, exclude_docs=()) -> str:
    """The filters as one Milvus boolean expression (the semantics of filters.where_clause), "" when none apply.

    `council_ids`/`exclude_ids` map a council filter value to stored ids (a data directory resolves them from its
    own councils table; see `expression_for`)."""
    conds: list[str] = []
    if f.council:
        conds.append(in_list("council_id", council_ids(f.council)))
    if f.exclude_council:
        ids = set().union(*(exclude_ids(c) for c in f.exclude_council))
        conds.append(in_list("council_id", ids, negate=True))
    if f.theme:
        conds.append(f"array_contains(themes, {lit(resolve_theme_id(f.theme))})")
    if f.committee:
        conds.append(f"committee_key like {lit('%' + like_escape(committee_key(f.committee)) + '%')}")
    if f.since:
        conds.append(f'date != "" and date >= {lit(_check_date(f.since, "--since"))}')
    if f.until:
        v = _check_date(f.until, "--until")
        conds.append(f'date != "" and (date <= {lit(v)} or date like {lit(like_escape(v) + "%")})')
    if f.grade:
        conds.append(f"grade == {lit(normalise_grade(f.grade))}")
    if exclude_docs:
        conds.append(in_list("doc_id", exclude_docs, negate=True))
    return " and ".join(f"({c})" for c in conds)


def expression_for(con: sqlite3.Connection, f: Filters, exclude_docs=()) -> str:
    """`expression` with council names resolved against a data directory's database, as the SQL filter does."""
    resolve = lambda name: resolve_council(con, name)  # noqa: E731
    return expression(f, resolve, resolve, exclude_docs)


def only(positions) -> str:
    return f"pos in [{', '.join(str(int(p)) for p in positions)}]"
