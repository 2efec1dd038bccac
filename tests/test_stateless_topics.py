"""Topics without a data directory: two data directories (different councils) in one Milvus cluster as one data
directory holding both corpora does."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape
from engines import MilvusServer, need_milvus
from reliability import cli
from test_stateless import DEAD_SPARQL, _split_corpus


@pytest.fixture(scope="module")
def apps(tmp_path_factory):
    """A stateless app over a Milvus of its own holding both parts, and the app of one FAISS data directory of both."""
    from councilkg.web.app import create_app

    need_milvus()
    root = tmp_path_factory.mktemp("stateless-topics")
    parts = _split_corpus(root)
    server = MilvusServer(root / "milvus")
    try:
        for part, src in parts.items():
            res = cli("ingest", str(src), "--data", str(root / f"data-{part}"), "--index", f"milvus:{server.uri}")
            assert res.exit_code == 0, res.output
        res = cli("ingest", *map(str, parts.values()), "--data", str(root / "union"))
        assert res.exit_code == 0, res.output
        yield create_app(None, index=f"milvus:{server.uri}", sparql=DEAD_SPARQL), create_app(root / "union")
    finally:
        server.stop()


def _clusters(topics: list[dict]) -> list[tuple]:
    """Each cluster as what must agree: its label, its points (as a set) and councils, and whether a theme covers it."""
    return sorted((t["label"], frozenset(t["point_ids"]), tuple(sorted(t["councils"])), t["uncovered"], t["size"])
                  for t in topics)


def test_stateless_topics_are_those_of_one_data_directory_of_both(apps):
    stateless, union = (app.test_client() for app in apps)
    got, want = stateless.get("/api/topics"), union.get("/api/topics")
    assert got.status_code == 200, got.get_data(as_text=True)
    assert want.status_code == 200
    assert want.get_json(), "the sample should cluster"
    assert _clusters(got.get_json()) == _clusters(want.get_json())
    assert [t["point_ids"] for t in got.get_json()] == [t["point_ids"] for t in want.get_json()]  # typical ones first
    assert [t["theme_similarity"] for t in got.get_json()] == pytest.approx([t["theme_similarity"] for t in want.get_json()], abs=1e-5)
    services = apps[0].extensions["councilkg"]  # cached under the shards' collections at their published generations
    assert services._topics[0] == tuple((s.points, s.idx.gen) for s in services.searcher.shards())
    emerging = stateless.get("/api/topics?emerging=1").get_json()
    assert _clusters(emerging) == _clusters(union.get("/api/topics?emerging=1").get_json())


def test_stateless_topics_page_shows_the_clusters_with_their_examples(apps):
    stateless, union = (app.test_client() for app in apps)
    page = stateless.get("/topics")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    want = union.get("/topics").get_data(as_text=True)
    sections = lambda page: re.findall(r'<section class="topic".*?</section>', page, re.S)  # noqa: E731
    assert sections(html) == sections(want) and sections(html)  # the same councils, themes and example points
    assert "http-equiv" not in html  # worked out within the page's wait, as with a data directory
    assert str(escape(union.get("/api/topics").get_json()[0]["label"])) in html
