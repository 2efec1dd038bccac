"""The shipped gazetteer: codes we rely on, name variants, e-mail domains and safe matching in running text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from councilkg.graph.council_heading import heading_council
from councilkg.graph.councils import by_domain, find_names, gazetteer, resolve

SOURCE = Path(__file__).resolve().parents[2] / "shared" / "data" / "gazetteer" / "uk_local_authorities.csv"


@pytest.mark.parametrize("query,gss", [
    ("Herefordshire", "E06000019"), ("Herefordshire Council", "E06000019"),
    ("County of Herefordshire District Council", "E06000019"), ("E06000019", "E06000019"), ("e06000019", "E06000019"),
    ("LB Haringey", "E09000014"), ("London Borough of Haringey", "E09000014"), ("Haringey Council", "E09000014"),
    ("Lincolnshire County Council", "E10000019"), ("Kent County Council", "E10000016"),
    ("Cambridgeshire County Council", "E10000003"), ("Brighton & Hove", "E06000043"), ("North East Lincolnshire", "E06000012"),
])
def test_resolve(query, gss):
    assert resolve(query)["gss"] == gss


def test_unknown_and_ambiguous_abbreviations_do_not_resolve():
    assert resolve("Atlantis District Council") is None
    assert resolve("") is None
    assert resolve("KCC") is None


def test_every_principal_authority_current_and_abolished_is_present():
    g = gazetteer()
    current = {t: sum(1 for c in g.values() if c["type"] == t) for t in
               ("county", "unitary", "metropolitan", "london", "welsh", "scottish", "ni", "district")}
    assert current == {"county": 21, "unitary": 63, "metropolitan": 36, "london": 33, "welsh": 22, "scottish": 32,
                       "ni": 11, "district": 164}
    gone = [c for c in g.values() if not c["current"]]
    assert len(gone) == 48 and all(c["type"].startswith(f"{c['base_type']} (abolished ") and c["replaced_by"] for c in gone)
    prefix = {"county": "E10", "unitary": "E06", "metropolitan": "E08", "london": "E09", "welsh": "W06", "scottish": "S12",
              "ni": "N09", "district": "E07"}
    for c in g.values():
        assert c["gss"].startswith(prefix[c["base_type"]]) and re.fullmatch(r"[ENSW]\d{8}", c["gss"])
        assert all(r in g for r in c["replaced_by"]) and c["region"]


def test_no_name_form_points_at_two_councils_in_force_together():
    """Forms are shared only by a council and its successor (Somerset County Council, Somerset Council), never by two
    councils in force on the same day, save the day one hands over to the other."""
    from councilkg.graph import councils

    def period(c):
        return c["start"] or "0000", c["end"] or "9999"

    for form, cands in councils._index().items():
        spans = sorted(period(gazetteer()[g]) for g in cands)
        for (_, end), (start, _) in zip(spans, spans[1:]):
            assert end <= start, (form, list(cands))


def test_every_district_resolves_by_code_name_and_common_forms():
    districts = [c for c in gazetteer().values() if c["base_type"] == "district" and c["current"]]
    assert len(districts) == 164
    for c in districts:
        assert resolve(c["gss"]) is c and resolve(c["name"]) is c and resolve(c["name"].upper()) is c
        assert resolve(f"{c['stem']} Council")["gss"] == c["gss"]
        assert [h.gss for h in find_names(f"A letter from {c['name']} was noted.") if h.full] == [c["gss"]]


@pytest.mark.parametrize("query,gss", [
    ("Stroud District Council", "E07000082"), ("Cheltenham Borough Council", "E07000078"),
    ("Gloucester City Council", "E07000081"), ("Gloucester", "E07000081"), ("Gloucestershire", "E10000013"),
    ("Forest of Dean District Council", "E07000080"), ("Tewkesbury Borough Council", "E07000083"),
    ("Borough Council of King's Lynn and West Norfolk", "E07000146"), ("St Albans City and District Council", "E07000240"),
    ("E07000100", "E07000240"),  # a former GSS code of St Albans
])
def test_district_name_forms(query, gss):
    assert resolve(query)["gss"] == gss


@pytest.mark.parametrize("query,on,gss", [
    ("Taunton Deane Borough Council", "2019-02-01", "E07000190"), ("Allerdale Borough Council", "2019-06-01", "E07000026"),
    ("Somerset West and Taunton Council", "2021-01-01", "E07000246"),
    ("Buckinghamshire County Council", "2019-05-01", "E10000002"), ("Buckinghamshire County Council", "2024-05-01", "E06000060"),
    ("Buckinghamshire County Council", None, "E06000060"), ("Buckinghamshire", "2012-01-01", "E10000002"),
    ("Somerset County Council", "2022-03-31", "E10000027"), ("Somerset County Council", "2023-04-01", "E06000066"),
    ("Somerset", None, "E06000066"), ("North Yorkshire County Council", "2019-01-01", "E10000023"),
    ("North Yorkshire County Council", None, "E06000065"), ("somerset.gov.uk", None, None),
])
def test_the_date_picks_the_council_in_force(query, on, gss):
    if gss:
        assert resolve(query, on=on)["gss"] == gss
    # a text of that date reads the same way
    hits = find_names(f"A report from {query} was received.", on=on) if gss else []
    assert [h.gss for h in hits] == ([gss] if gss else [])


def test_a_bare_place_name_of_an_abolished_council_is_no_hit_after_it_went():
    assert [h.gss for h in find_names("Schools in Poole and Taunton Deane", on="2018-05-01")] == ["E06000029"]
    assert find_names("Schools in Poole and Taunton Deane", on="2024-05-01") == []
    assert [h.gss for h in find_names("the former Borough of Poole", on="2024-05-01")] == ["E06000029"]
    assert [h.gss for h in find_names("Hart, Rugby, Ashford and Eden")] == []  # districts' bare names are words too


def test_domains():
    assert by_domain("councillors.herefordshire.gov.uk")["gss"] == "E06000019"
    assert by_domain("democracy.Gloucester.gov.uk")["gss"] == "E07000081"
    assert by_domain("www.gloucestershire.gov.uk")["gss"] == "E10000013"
    assert by_domain("www.somerset.gov.uk")["gss"] == "E06000066"
    assert by_domain("www.somerset.gov.uk", on="2020-01-01")["gss"] == "E10000027"
    assert by_domain("lincolnshire.gov.uk")["gss"] == "E10000019"
    assert by_domain("example.com") is None and by_domain("nhs.gov.uk") is None


def test_find_names_prefers_the_longest_form():
    hits = find_names("North East Lincolnshire and Lincolnshire County Council; reading the report")
    assert [(h.gss, h.full) for h in hits] == [("E06000012", False), ("E10000019", True)]


def test_the_prefiltered_name_scan_finds_exactly_what_a_scan_at_every_character_finds():
    """find_names tries its alternation only where a form's first word starts; that must never change an answer."""
    import random

    from councilkg.graph import councils

    pat, forms, _ = councils._pattern()

    def everywhere(text, on):
        hits = (councils._hit(m, forms, on) for m in pat.finditer(text))
        return [(h.gss, h.text, h.start, h.end, h.full) for h in hits if h]

    rng = random.Random(7)
    variants = [v for c in councils.gazetteer().values() for v in c["variants"]] + ["King's Lynn", "Stroud"]
    seps = [" ", ", ", "-", ".", "'", "\n", " and ", "&", "x", "", "(", "North ", "the ", "_"]
    found = 0
    for _ in range(3000):
        parts = []
        for _ in range(rng.randint(1, 6)):
            v = rng.choice(variants)
            v = v.lower() if rng.random() < 0.2 else v.upper() if rng.random() < 0.1 else v
            parts += [v.replace(" ", rng.choice([" ", ", ", ". ", "  "])), rng.choice(seps)]
        text, on = "".join(parts), rng.choice([None, "2018-06-01", "2024-06-01"])
        got = [(h.gss, h.text, h.start, h.end, h.full) for h in councils.find_names(text, on)]
        assert got == everywhere(text, on), text
        found += len(got)
    assert found > 3000  # the cases do contain names


@pytest.mark.parametrize("line,want", [
    ("MINUTES OF PROCEEDINGS AT MEETING OF THE BOROUGH COUNCIL OF WELLINGBOROUGH HELD AT SWANSPOOL HOUSE ON MONDAY, "
     "27TH MARCH, 2019", ("E07000156", "Wellingborough Borough Council")),
    ("Minutes of a meeting of Stroud District Council held at Ebley Mill, Stroud on Thursday 12 May 2022",
     ("E07000082", "Stroud District Council")),
    ("CHELTENHAM BOROUGH COUNCIL", ("E07000078", "Cheltenham Borough Council")),
    ("Agenda for Cabinet on Tuesday, 11th March, 2025, 6.00 pm | Gloucester City Council", ("E07000081", "Gloucester City Council")),
    ("Minutes of the Licensing Sub-Committee of Kent County Council", ("E10000016", "Kent County Council")),
    ("Newport City Council", ("W06000022", "Newport City Council")),
    # named, but in no gazetteer: kept as written, never a lookalike
    ("Minutes of a meeting of Newport Town Council held at the Guildhall, Newport, Isle of Wight", (None, "Newport Town Council")),
    ("MINUTES OF THE PLANNING COMMITTEE OF MUCH WENLOCK TOWN COUNCIL", (None, "Much Wenlock Town Council")),
    ("Dublin City Council", (None, "Dublin City Council")),
    ("Chichester City Council", (None, "Chichester City Council")),  # the parish-level city council, not the district
    ("Durham City Council", (None, "Durham City Council")),  # the district abolished in 2009, not Durham County Council
    # no council, or two
    ("Minutes of the County Council held on 12 May 2024", None), ("Full Council", None), ("Kent Youth Council", None),
    ("Isle of Wight Council and Newport Town Council joint meeting", None),
])
def test_heading_council(line, want):
    assert heading_council(line) == want


def test_lookalikes_do_not_resolve():
    for name in ("Newport Town Council", "Much Wenlock Town Council", "Dublin City Council", "Chichester City Council",
                 "Durham City Council", "Stroud Town Council", "Hereford City Council"):
        assert resolve(name) is None, name
        assert not [h for h in find_names(name) if h.full], name


MEETINGS = {
    "district.txt": "STROUD DISTRICT COUNCIL\nMinutes of the Environment Committee held at Ebley Mill on 8 June 2023\n\n"
                    "Present: Councillors Patel (Chair), Hughes and Moore.\n\n1. Waste collection\nThe Committee considered the "
                    "report on garden waste collection. RESOLVED that the new round be adopted.\n",
    "taunton.txt": "date: 2019-03-25\n---\nMINUTES OF PROCEEDINGS AT MEETING OF THE BOROUGH COUNCIL OF TAUNTON DEANE HELD AT "
                   "THE DEANE HOUSE ON MONDAY, 25TH MARCH, 2019\n\n1. Housing Strategy\nThe Council considered the housing "
                   "strategy. Councillor Jones asked about affordable homes in Wellington. RESOLVED that it be adopted.\n",
    "somerset.txt": "date: 2019-01-15\n---\nSomerset County Council\nMinutes of the Cabinet held at County Hall, Taunton\n\n"
                    "1. Budget\nThe Cabinet noted the budget monitoring report. RESOLVED that the report be noted.\n",
    "wenlock.txt": "MINUTES OF A MEETING OF MUCH WENLOCK TOWN COUNCIL HELD AT THE CORN EXCHANGE ON 4 MARCH 2024\n\n"
                   "Present: Councillors Hart, Lloyd and Evans.\n\n1. Youth provision\nMembers discussed youth provision and "
                   "agreed that the clerk write to Shropshire Council about funding for the youth club.\n",
}


@pytest.fixture(scope="module")
def meetings(tmp_path_factory):
    folder = tmp_path_factory.mktemp("meetings")
    for name, text in MEETINGS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_whole_meetings_whose_heading_names_the_council(meetings):
    from councilkg.corpus.discover import discover
    from councilkg.corpus.readers import read
    from councilkg.corpus.segment import segment
    from councilkg.graph.extract import decide_council

    got = {s.path.name: decide_council(segment(read(s))) for s in discover([str(meetings)])}
    assert {k: (c.gss, c.name, c.method) for k, c in got.items()} == {
        "district.txt": ("E07000082", "Stroud District Council", "text:heading"),
        "taunton.txt": ("E07000190", "Taunton Deane Borough Council", "text:heading"),
        "somerset.txt": ("E10000027", "Somerset County Council", "text:heading"),  # 2019: the county, not today's unitary
        "wenlock.txt": (None, "Much Wenlock Town Council", "text:heading"),
    }


def test_an_unlisted_council_through_ingest_search_stats_rdf_and_web(meetings, tmp_path):
    """A town council no gazetteer lists is stored, searched, counted, exported and shown under its own name."""
    import json

    import rdflib
    from click.testing import CliRunner

    from councilkg.web.app import create_app
    from councilkg.web.cli import main

    data, run = tmp_path / "data", CliRunner()
    r = run.invoke(main, ["ingest", str(meetings), "--data", str(data)])
    assert r.exit_code == 0, r.output
    r = run.invoke(main, ["search", "youth club funding", "--council", "Much Wenlock Town Council", "--json", "--data", str(data)])
    assert r.exit_code == 0, r.output
    hits = json.loads(r.output)["hits"]
    assert hits and {h["council"]["name"] for h in hits} == {"Much Wenlock Town Council"}
    assert {h["council"]["gss"] for h in hits} == {None}
    stats = json.loads(run.invoke(main, ["stats", "--json", "--data", str(data)]).output)
    assert stats["councils"] == 4
    ttl = run.invoke(main, ["export", "--data", str(data)]).output
    g = rdflib.Graph().parse(data=ttl, format="turtle")
    label = next(s for s, o in g.subject_objects(rdflib.RDFS.label) if str(o) == "Much Wenlock Town Council")
    assert not [o for p, o in g.predicate_objects(label) if str(p).endswith("gssCode")]
    client = create_app(data).test_client()
    page = client.get("/councils").get_data(as_text=True)
    cid = re.search(r'href="/id/council/([^"]+)"[^>]*>\s*Much Wenlock Town Council', page).group(1)
    assert client.get(f"/id/council/{cid}").status_code == 200
    assert "Much Wenlock Town Council" in client.get(f"/id/council/{cid}").get_data(as_text=True)


def test_london_alone_is_the_region_not_the_city_of_london():
    assert not find_names("the launch took place at Lancaster House in London, with the Foreign Secretary")
    assert [h.gss for h in find_names("The City of London Corporation had agreed the scheme.")] == ["E09000001"]
