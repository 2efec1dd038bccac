"""Hybrid search acceptance: the officer's questions from issue 4 on the real seeds, Kent items and model."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from councilkg.embed.compare import compare
from councilkg.embed.render import format_compare, format_text
from councilkg.embed.search import POINT_IRI, Searcher, SearchError
from councilkg.graph import store

from conftest import SAMPLE

QUERY = "financial incentives to attract experienced social workers"
# A paragraph of seed 002 (Haringey): recruiting social workers from abroad.
HARINGEY_PARAGRAPH = (
    "14 social workers had been recruited from South Africa following a targeted approach. As new staff, they were "
    "being inducted to ensure that they had the appropriate knowledge and that they were settled."
)
HIT_KEYS = {"rank", "score", "id", "uri", "text", "council", "meeting", "item", "themes", "source", "source_url"}
SLOUGH = """council: Slough Borough Council
date: 2020-02-03
committee: Education and Children's Services Scrutiny Panel
title: Children's services improvement
---
Children's services improvement

Following the Ofsted ILACS inspection in March 2019, the Council's children's services were judged inadequate.

The Director explained that a retention payment of £3,000 was now offered to experienced social workers who stayed for two years, and that turnover had fallen since it was introduced.

Resolved: that the Panel receive a further report on the retention payment in six months.
"""


@pytest.fixture(scope="module")
def full(full_data) -> Searcher:
    return Searcher(full_data)


@pytest.fixture(scope="module")
def sample(sample_data) -> Searcher:
    return Searcher(sample_data)


def councils(result: dict) -> list[str | None]:
    return [h["council"]["name"] if h["council"] else None for h in result["hits"]]


def test_golden_hello_near_the_top(full):
    hits = full.search(QUERY, k=5)["hits"]
    golden = [h for h in hits if "Golden Hello" in h["text"]]
    assert golden and golden[0]["council"]["gss"] == "E06000019", [h["text"][:60] for h in hits]
    assert golden[0]["rank"] <= 2
    assert "experienced" in golden[0]["matched"] and "attracting" in golden[0]["matched"]


def test_golden_hello_first(full):
    hit = full.search(QUERY, k=1)["hits"][0]
    assert "Golden Hello" in hit["text"] and hit["council"]["gss"] == "E06000019"


def test_exclude_council_shows_what_the_others_did(full):
    result = full.search(QUERY, k=8, exclude_council=["Herefordshire"])
    names = councils(result)
    assert "Herefordshire Council" not in names
    assert {"London Borough of Haringey", "Lincolnshire County Council", None} & set(names)
    assert any("recruit" in h["text"].lower() for h in result["hits"][:3])


def test_like_a_paragraph_finds_other_councils(full):
    result = full.search(like=HARINGEY_PARAGRAPH, k=8)
    names = councils(result)
    assert result["hits"] and "London Borough of Haringey" not in names
    assert "E09000014" in result["example"]["excluded_council"]
    # comparable points: other councils' social worker recruitment
    assert any("recruit" in h["text"].lower() and n in ("Herefordshire Council", "Lincolnshire County Council", None)
               for h, n in zip(result["hits"][:5], names[:5]))


def test_like_a_file_excludes_its_council_unless_asked(full):
    seed = SAMPLE / "003_6c1e019e122dd967.txt"
    result = full.search(like=Path(seed), k=6)
    assert result["hits"] and "Herefordshire Council" not in councils(result)
    same = full.search(like=Path(seed), k=6, council="Herefordshire")
    assert set(councils(same)) == {"Herefordshire Council"}
    assert all(h["source"] != str(seed) and not h["source"].endswith(seed.name) for h in same["hits"])


def test_like_paragraph_of_unknown_council_skips_its_own_document(full):
    para = ("The council's unrelenting focus on the recruitment of social workers was discussed. Challenges in "
            "recruitment remain, but efforts include engaging a recruitment partner, launching a recruitment campaign")
    result = full.search(like=para, k=5)
    assert result["example"]["documents"] and not result["example"]["excluded_council"]
    assert all(not h["source"].endswith("001_bfca9e6a047104e6.txt") for h in result["hits"])


def test_filters(full):
    linc = full.search("social workers", k=5, council="E10000019")
    assert linc["hits"] and set(councils(linc)) == {"Lincolnshire County Council"}
    themed = full.search("social workers", k=5, theme="Social worker recruitment and retention")
    assert themed["hits"] and all("workforce-recruitment" in {t["id"] for t in h["themes"]} for h in themed["hits"])
    dated = full.search("children in care", k=10, since="2024-11-01", until="2025-01")
    assert dated["hits"] and all("2024-11-01" <= h["meeting"]["date"] <= "2025-01-31" for h in dated["hits"])
    panel = full.search("children in care", k=5, committee="corporate parenting")
    assert panel["hits"] and all(h["meeting"]["committee"] == "Corporate Parenting Panel" for h in panel["hits"])
    # the only graded judgement in this corpus is a fostering service's, not the council's children's services
    assert full.search("social workers", grade="adequate")["hits"] == []


@pytest.mark.parametrize("kwargs, message", [
    ({"council": "Atlantis"}, "unknown council"),
    ({"theme": "astrology"}, "unknown theme"),
    ({"since": "last year"}, "--since"),
    ({"grade": "excellent"}, "unknown grade"),
    ({"k": 0}, "--k"),
])
def test_bad_filter_values_are_one_line_errors(sample, kwargs, message):
    with pytest.raises(SearchError, match=message):
        sample.search("social workers", **kwargs)


def test_json_follows_the_contract(sample, sample_data):
    result = json.loads(json.dumps(sample.search(QUERY, k=10)))
    assert result["query"] == QUERY and len(result["hits"]) == 10
    con = store.connect(sample_data, readonly=True)
    for n, h in enumerate(result["hits"], start=1):
        assert HIT_KEYS <= set(h) and h["rank"] == n and h["uri"] == POINT_IRI + h["id"]
        assert {"date", "committee"} <= set(h["meeting"]) and {"title", "number"} <= set(h["item"])
        assert all({"id", "label"} <= set(t) for t in h["themes"])
        assert h["text"] == con.execute("SELECT text FROM points WHERE id = ?", (h["id"],)).fetchone()[0]
        assert h["council"] is None or {"name", "gss"} <= set(h["council"])
    scores = [h["score"] for h in result["hits"]]
    assert scores == sorted(scores, reverse=True)
    assert sum(f["count"] for f in result["facets"]["council"]) >= 10


def test_unknown_council_is_null_never_invented(sample):
    hits = sample.search("multi-agency safeguarding hub front door", k=10)["hits"]
    seed001 = [h for h in hits if h["source"].endswith("001_bfca9e6a047104e6.txt")]
    assert seed001 and all(h["council"] is None and h["meeting"]["date"] is None for h in seed001)
    assert all(h["source_url"] is None for h in seed001)


def test_a_new_generation_is_picked_up_and_grades_filter(sample_data, tmp_path):
    from councilkg.embed.pipeline import ingest

    data = tmp_path / "data"
    shutil.copytree(sample_data, data)
    searcher = Searcher(data)
    before = searcher.search("retention payment", k=3)
    (tmp_path / "slough.txt").write_text(SLOUGH, encoding="utf-8")
    assert ingest([str(tmp_path / "slough.txt")], data).ingested == 1
    after = searcher.search("retention payment", k=3)
    assert after["generation"] == before["generation"] + 1
    assert councils(after)[0] == "Slough Borough Council"
    # the minutes claim "inadequate"; Ofsted's record (ILACS of January 2019, published in March) says requires improvement,
    # and --grade uses the record's grade in force at the meeting date
    assert "Slough Borough Council" not in councils(searcher.search("retention payment", k=5, grade="inadequate"))
    ri = searcher.search("retention payment", k=5, grade="requires improvement")
    assert ri["hits"] and councils(ri)[0] == "Slough Borough Council"
    facet = [{k: f[k] for k in ("value", "label")} for f in after["facets"]["grade"]]
    assert {"value": "requires-improvement", "label": "Requires improvement"} in facet


def test_compare_groups_practices_and_actions_by_council(full):
    groups = compare(full, QUERY)
    labels = [g["label"] for g in groups]
    assert len(labels) == len(set(labels)) >= 3 and "unknown council" in labels
    hereford = next(g for g in groups if g["label"] == "Herefordshire Council")
    golden = next(p for p in hereford["practices"] if "Golden Hello" in p["label"])
    assert golden["kind"] == "incentive" and "not clear" in golden["outcome"]
    assert golden["evidence"]["quote"] and golden["evidence"]["source"].endswith("003_6c1e019e122dd967.txt")
    assert all(g["council"] is None for g in groups if g["label"] == "unknown council")
    text = format_compare(groups, color=False)
    assert "== Herefordshire Council" in text and "Golden Hello" in text and "evidence:" in text


def test_text_output_marks_matches(sample):
    result = sample.search(QUERY, k=3)
    plain = format_text(result, color=False)
    assert "**experienced**" in plain or "**incentives**" in plain
    assert "Herefordshire Council" in plain and "\033[1m" not in plain
    assert "\033[1m" in format_text(result, color=True)


def test_concurrent_searches_batched_together_answer_as_one_at_a_time(sample):
    """Queries arriving together are encoded in one batch; each must still get exactly its own answer."""
    from concurrent.futures import ThreadPoolExecutor

    queries = [QUERY, "front door MASH referrals", "care leavers accommodation", "golden hello",
               "child exploitation police", "recruiting social workers from abroad", "EHCP annual reviews", "fostering"]
    alone = [[h["id"] for h in sample.search(q, k=5, with_facets=False)["hits"]] for q in queries]
    with ThreadPoolExecutor(max_workers=8) as pool:
        together = list(pool.map(lambda q: [h["id"] for h in sample.search(q, k=5, with_facets=False)["hits"]], queries * 3))
    assert together == alone * 3


def test_the_point_table_written_with_a_generation_is_the_one_the_database_gives(full_data):
    """Search start-up reads facets from the segments' table files; they must hold exactly what the database says."""
    import numpy as np

    from councilkg.embed.index import Indexes, seg_dir
    from councilkg.embed.table import TABLE_ARRAYS, PointTable

    con = store.connect(full_data, readonly=True)
    gen = int(store.get_state(con, "generation"))
    idx = Indexes.load(full_data, gen)
    assert idx.parts and all((seg_dir(full_data, p.seg.name) / TABLE_ARRAYS).exists() for p in idx.parts)
    saved, fresh = idx.table(con), PointTable.compute(con, idx.point_ids)  # one ingest: one segment, ids in order
    assert saved.values == fresh.values and saved.codes.keys() == fresh.codes.keys()
    for f in fresh.codes:
        assert np.array_equal(saved.codes[f], fresh.codes[f]), f
    for a in ("known", "theme_ptr", "theme_score"):
        assert np.array_equal(getattr(saved, a), getattr(fresh, a)), a
    assert len(fresh.values["council"]) > 1 and len(fresh.values["theme"]) > 1


def test_the_console_script_keeps_output_and_exit_codes_when_it_skips_torch_teardown(sample_data):
    """`councilkg search` ends with os._exit once torch is loaded: piped output must be complete and codes kept."""
    import subprocess

    from conftest import COUNCILKG

    env = os.environ | {"HF_HUB_OFFLINE": "1"}
    ok = subprocess.run([str(COUNCILKG), "search", "social worker recruitment", "--json", "--data", str(sample_data)],
                        capture_output=True, text=True, timeout=300, env=env)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["hits"]  # the whole JSON document arrived through the pipe
    bad = subprocess.run([str(COUNCILKG), "search", "social workers", "--council", "Atlantis", "--data", str(sample_data)],
                         capture_output=True, text=True, timeout=300, env=env)  # fails once the encoder is loading
    assert bad.returncode == 1 and bad.stderr.startswith("Error: ") and "Atlantis" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_one_committee_written_in_two_cases_is_one_facet(sample):
    """Herefordshire's manifest writes "Children and young people scrutiny committee", Lincolnshire's capitalises it."""
    from councilkg.embed.table import _committee_names

    facets = sample.search("children's social care scrutiny", k=50)["facets"]["committee"]
    folded = [" ".join(e["value"].split()).casefold() for e in facets]
    assert len(folded) == len(set(folded)), facets
    merged = next(e for e in facets if e["value"].casefold() == "children and young people scrutiny committee")
    assert merged["label"] == "Children and Young People Scrutiny Committee"
    both = sample.search("children's social care scrutiny", k=50, committee=merged["value"])
    assert {h["council"]["name"] for h in both["hits"]} >= {"Herefordshire Council", "Lincolnshire County Council"}
    assert _committee_names(["CABINET", "cabinet ", "Cabinet", None]) == {"Cabinet": "Cabinet", "cabinet ": "Cabinet", "CABINET": "Cabinet"}
