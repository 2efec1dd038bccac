"""`councilkg bench --quick` runs end to end on a small search corpus and reports every figure issue 6 names (no timing asserted)."""

from __future__ import annotations

import json

import pytest

from councilkg.web.bench import corpus as bench_corpus
from councilkg.web.bench import run as bench
from councilkg.web.bench import sparql as bench_sparql

pytestmark = pytest.mark.slow

KEYS = {  # issue 6's keys and their types; values are only checked for sanity, never against a time
    "ingest_ratio": float, "reingest_ratio": float, "points": int, "search_p50_ms": float, "search_p95_ms": float,
    "search_ratio": float, "rss_mb": float, "sparql_max_s": float, "cold_stats_s": float, "cold_search_s": float,
    "sparql_after_increment_s": float,
}


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    return bench.bench(quick=True, workdir=tmp_path_factory.mktemp("bench"), points=1500, base_docs=3, log=lambda m: None,
                       harvest_sites=6, harvest_delay=0.2)


def test_quick_reports_every_key_with_sane_values(quick):
    for key, kind in KEYS.items():
        assert isinstance(quick[key], kind), (key, quick[key])
        assert quick[key] >= 0, key
    assert quick["points"] >= 1500
    assert quick["ingest_points"] > 0 and quick["ingest_passages"] > 0
    assert quick["search_p95_ms"] >= quick["search_p50_ms"] > 0
    assert quick["rss_mb"] > 50, "a server holding the model and indexes"
    assert set(quick["meets"]) >= set(KEYS)
    h = quick["harvest"]  # six stand-in sites of 1 to 4 meetings, each on a loopback address of its own
    assert (h["one"]["meetings"], h["four"]["meetings"], h["all"]["meetings"]) == (4, 16, 4 * 4 + 1 + 2)
    assert h["all"]["walk_s"] >= h["bound_s"], "no site can be walked faster than its politeness bound"
    json.dumps(quick)  # the --json output


def test_every_research_query_ran_and_the_table_shows_them(quick):
    titles = list(bench_sparql.research_queries())
    assert len(titles) >= 8
    assert list(quick["sparql"]["oxigraph"]) == titles
    assert quick["sparql_max_s"] == max(v["s"] for v in quick["sparql"]["oxigraph"].values())
    table = bench.format_table(quick)
    for key in KEYS:
        assert key in table
    assert titles[0][:40] in table


def test_the_first_sparql_query_after_an_increment_is_measured(quick):
    inc = quick["sparql_increment"]
    assert inc["points_added"] > 0 and inc["rebuild_s"] > 0
    assert inc["ingest_rdf_update_s"] is not None, "the ingest did not update the built store itself"
    assert quick["sparql_after_increment_s"] == inc["cli_first_s"] > 0
    assert "SPARQL after one meeting ingested" in bench.format_table(quick)


def test_synthetic_minutes_are_deterministic_and_read_as_real_ones(tmp_path):
    from councilkg.corpus.discover import discover
    from councilkg.corpus.readers import read
    from councilkg.corpus.segment import segment

    a = [p.read_text() for p in bench_corpus.write_corpus(tmp_path / "a", 3, seed=5)]
    b = [p.read_text() for p in bench_corpus.write_corpus(tmp_path / "b", 3, seed=5)]
    assert a == b and len(set(a)) == 3
    gss = {c["gss"] for c in bench_corpus.councils()}
    for src in discover([str(tmp_path / "a")]):
        doc = segment(read(src))
        assert doc.raw.meta["gss_code"] in gss
        assert len(doc.items) >= 2 and sum(len(i.points) for i in doc.items) > 0


def test_the_increment_is_measured_against_an_empty_directory(quick):
    """Issue 18's figures: each meeting's wall and peak in both directories, the segment count after the increments
    (the policy keeps it below one per increment), search over them and a full merge."""
    inc = quick["increment"]
    for m in ("small", "meeting30"):
        assert inc[m]["empty_s"] > 0 and inc[m]["grown_s"] > 0 and inc[m]["empty_peak_mb"] > 50, inc[m]
    assert inc["meeting30"]["points"] >= 29 and inc["small"]["points"] <= 3
    assert 1 <= inc["segments_after"] < inc["increments"] and inc["segments_after_compact"] == 1
    assert inc["search_p95_ms"] >= inc["search_p50_ms"] > 0 and inc["compact_s"] > 0
    for key in ("increment_ratio", "increment_peak_ratio", "increment_search_ratio"):
        assert quick[key] > 0 and key in quick["meets"]
    assert "increment (s, peak MiB)" in bench.format_table(quick)
