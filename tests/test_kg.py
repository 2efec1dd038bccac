"""The networkx query layer: a council's timeline, theme profiles, similar councils, councils and practices by theme."""

from __future__ import annotations

import pytest

from councilkg.graph import kg
from test_rdf import CAMBRIDGESHIRE, HARINGEY, HEREFORDSHIRE, LINCOLNSHIRE, build_sample, drop_haringey


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    return kg.load(build_sample(tmp_path_factory.mktemp("kg")))


def test_no_node_per_debate_point_and_theme_weights_come_from_sql(graph):
    kinds = {d["kind"] for _, d in graph.graph.nodes(data=True)}
    assert kinds == {"council", "meeting", "item", "action", "inspection", "judgement", "intervention", "practice", "theme"}
    edge = graph.graph.get_edge_data(kg.n("council", HEREFORDSHIRE), kg.n("theme", "workforce-recruitment"), key="discusses")
    assert edge["points"] == 6 and edge["weight"] == pytest.approx(6 * 0.8)
    assert graph.graph.has_edge(kg.n("council", HEREFORDSHIRE), kg.n("council", CAMBRIDGESHIRE), key="mentions")


def test_timeline_orders_inspections_judgements_and_later_meetings(graph):
    events = graph.timeline(HEREFORDSHIRE)
    dated = [(e["kind"], e["label"], e.get("date") or e.get("reported")) for e in events if e.get("date") or e.get("reported")]
    assert dated[:6] == [("inspection", "slac", "2010-10-22"), ("inspection", "cpi", "2012-10-19"), ("inspection", "sif", "2014-06-30"),
                         ("inspection", "ilacs", "2018-06-11"), ("meeting", "Children and young people scrutiny committee", "2019-11-25"),
                         ("inspection", "ilacs", "2022-07-18")]  # Ofsted's events; the minutes' mentions of 2012 and June 2018 are them
    june = next(e for e in events if e.get("date") == "2018-06-11")
    assert june["official"] and june["overall"] == "requires-improvement"
    fostering = next(e for e in events if e["label"] == "fostering")
    assert fostering["id"].startswith("minutes-fostering-") and fostering["meeting"] and fostering["quote"] == "Fostering Inspection Report"
    visit = next(e for e in graph.timeline(HARINGEY) if e["label"] == "focused-visit")  # undated: at the meeting that reported it
    assert visit["id"].startswith("minutes-focused-visit-") and not visit["date"] and visit["reported"] == "2020-10-13"
    assert sorted((j["label"], j["area"]) for j in fostering["judgements"]) == [
        ("adequate", None), ("good", "outcomes for children"), ("good", "quality of service")]
    assert any(e["kind"] == "intervention" and e["label"] == "improvement-notice" for e in events)
    meeting = next(e for e in events if e["kind"] == "meeting" and e["date"] == "2019-11-25")
    assert [i["label"] for i in meeting["items"]][0].startswith("Review of performance and progress")
    assert graph.timeline("E99999999") == []


def test_theme_profile_and_similar_councils(graph):
    profile = graph.theme_profile(HEREFORDSHIRE)
    assert sum(profile.values()) == pytest.approx(1.0)
    assert set(profile) == {"workforce-recruitment", "inspection-improvement", "exploitation"}
    similar = graph.similar_councils(HEREFORDSHIRE, k=5)
    assert [s["council"] for s in similar] == [HARINGEY, LINCOLNSHIRE]  # Haringey shares both main themes
    assert 0 < similar[1]["score"] < similar[0]["score"] <= 1
    assert graph.similar_councils(HEREFORDSHIRE, k=1) == similar[:1]


def test_councils_and_practices_for_a_theme(graph):
    sharing = graph.councils_sharing_theme("workforce-recruitment")
    assert [c["id"] for c in sharing] == [HEREFORDSHIRE, LINCOLNSHIRE, HARINGEY]  # 6 points, then 2 and 2 (ties by name)
    assert {c["id"]: c["practices"] for c in sharing}[HEREFORDSHIRE] == 2
    practices = graph.practices_for_theme("workforce-recruitment")
    assert len(practices) == 5 and {p["council"] for p in practices} == {HEREFORDSHIRE, HARINGEY, None}
    golden = next(p for p in practices if p["label"] == "£5k golden hello")
    assert golden["outcome"].startswith("not clear") and "Golden Hello" in golden["quote"]
    assert graph.practices_for_theme("no-such-theme") == [] and graph.councils_sharing_theme("no-such-theme") == []


def test_load_is_cached_until_the_database_changes(tmp_path):
    data_dir = build_sample(tmp_path / "d")
    first = kg.load(data_dir)
    assert kg.load(data_dir) is first
    drop_haringey(data_dir)
    second = kg.load(data_dir)
    assert second is not first and [s["council"] for s in second.similar_councils(HEREFORDSHIRE)] == [LINCOLNSHIRE]
