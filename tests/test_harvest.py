"""`councilkg harvest` against a stand-in ModernGov site on loopback: faults, incremental reruns, the ledger, Gloucester."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest
from conftest import need
from mgsite import GLOUCESTER, WAF, Answer, Server, StandIn, committees_xml, gloucester, meeting_xml, meetings_xml
from reliability import cli

TODAY = dt.date.today()
DAY = {k: TODAY - dt.timedelta(days=d) for k, d in
       {"101": 300, "102": 280, "103": 260, "104": 250, "105": 240, "106": 230, "107": 200, "108": 900, "109": 10}.items()}
SINCE = (TODAY - dt.timedelta(days=400)).isoformat()
FAST = ("--delay", "0", "--backoff", "0.05", "--max-wait", "3")

MINUTES = {
    "101": [("12", "Apologies", "Apologies were received from Cllr Ames."),
            ("13", "Land at Mill Lane", "The committee debated the loss of the orchard and the flood risk to Mill Lane.")],
    "102": [("20", "Affordable housing delivery", "Members asked how many affordable homes the Harbour site would deliver.")],
    "103": [("31", "Enforcement update", "The enforcement team reported 40 open cases of unauthorised caravans.")],
    "107": [("8", "Children&#39;s services scrutiny", "The panel questioned the use of agency social workers.")],
    "109": [("40", "Beach huts", "Members discussed the beach hut licence fees.")],
}


def make_testshire() -> StandIn:
    """A district's site of our own making: three committees, faults on some meetings, minutes late on one."""
    planning = [("101", DAY["101"], "Confirmed"), ("102", DAY["102"], "Confirmed"), ("103", DAY["103"], "Confirmed"),
                ("108", DAY["108"], "Confirmed"), ("109", DAY["109"], "Confirmed")]
    scrutiny = [("104", DAY["104"], "Confirmed"), ("105", DAY["105"], "Confirmed"), ("106", DAY["106"], "Cancelled"),
                ("107", DAY["107"], "Confirmed")]
    app = StandIn(committees=committees_xml({"10": "Planning Committee", "11": "Overview and Scrutiny Panel"}),
                  meetings={"10": meetings_xml("10", "Planning Committee", planning),
                            "11": meetings_xml("11", "Overview and Scrutiny Panel", scrutiny)})
    ok = lambda mid, committee: Answer(body=meeting_xml(mid, DAY[mid], committee, MINUTES[mid]))  # noqa: E731
    app.meeting = {
        "101": [ok("101", "Planning Committee")],
        "102": [Answer(429, b"slow down", {"Retry-After": "1"}), ok("102", "Planning Committee")],
        "103": [Answer(500, b"<html><title>Server Error</title></html>"), ok("103", "Planning Committee")],
        "104": [Answer(200, WAF)],
        "105": [Answer(200, b'<?xml version="1.0"?><meeting><meetingid>105</meetingid><agendaitems>')],
        "107": [Answer(body=meeting_xml("107", DAY["107"], "Overview and Scrutiny Panel",
                                        [(n, t, "") for n, t, _ in MINUTES["107"]]))],
        "108": [ok("101", "Planning Committee")],  # out of range: must never be asked for
        "109": [ok("109", "Planning Committee")],
    }
    return app


def harvest_from(app: StandIn, data, *args: str):
    """One `councilkg harvest` of the stand-in, served only for the run."""
    srv = Server(app)
    try:
        return cli("harvest", srv.url, *args, *FAST, "--data", str(data)), srv.url
    finally:
        srv.close()


def meetings(data) -> dict[str, tuple]:
    con = sqlite3.connect(data / "councilkg.sqlite")
    try:
        q = ("SELECT d.meta_json, m.date, m.committee, m.council_id, c.name, d.ingested_at, "
             "(SELECT count(*) FROM items i WHERE i.doc_id = d.id) FROM documents d JOIN meetings m ON m.id = d.meeting_id "
             "LEFT JOIN councils c ON c.id = m.council_id")
        return {json.loads(r[0])["meeting_id"]: r[1:] for r in con.execute(q)}
    finally:
        con.close()


def shas(data) -> dict[str, str]:
    """Meeting id -> the sha256 of the stored minutes file."""
    con = sqlite3.connect(data / "councilkg.sqlite")
    try:
        return {json.loads(m)["meeting_id"]: sha for m, sha in con.execute("SELECT meta_json, sha256 FROM documents")}
    finally:
        con.close()


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    app = make_testshire()
    srv = Server(app)
    data = tmp_path_factory.mktemp("harvest")
    res = cli("harvest", srv.url, "--council", "Adur", "--since", SINCE, *FAST, "--data", str(data))
    yield app, srv, data, res
    srv.close()


def test_first_harvest_stores_every_minuted_meeting_in_range(first):
    app, srv, data, res = first
    assert res.exit_code == 1, res.output
    held = meetings(data)
    assert set(held) == {"101", "102", "103", "109"}
    for mid, (date, committee, gss, council, _, items) in held.items():
        assert date == DAY[mid].isoformat() and gss == "E07000223" and council == "Adur District Council"
        assert committee == "Planning Committee" and items == len(MINUTES[mid])
    assert "lMeetingId=108" not in app.requests("GetMeeting")  # the service ignored the range; we did not
    assert not any("lMeetingId=106" in q for q in app.requests("GetMeeting"))  # cancelled in the list: not fetched
    assert all("%2F" in q for q in app.requests("GetMeetings"))  # dd/mm/yyyy, never ISO


def test_each_failed_meeting_is_one_line_naming_council_and_meeting(first):
    _, _, _, res = first
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 2, res.stderr
    assert any("Adur District Council: meeting 104: an HTML page where XML was expected" in e and "Just a moment" in e
               for e in errors)
    assert any("Adur District Council: meeting 105: malformed XML" in e for e in errors)
    summary = res.stdout.strip().splitlines()[-1]
    assert "9 meetings seen" not in summary and "4 harvested" in summary and "2 failed" in summary
    assert "1 cancelled" in summary and "1 minutes not yet published" in summary


def test_retry_after_is_kept_and_5xx_retried(first):
    app, *_ = first
    t102 = [t for t, p, q in app.log if q == "lMeetingId=102"]
    t103 = [t for t, p, q in app.log if q == "lMeetingId=103"]
    assert len(t102) == 2 and t102[1] - t102[0] >= 1.0  # Retry-After: 1
    assert len(t103) == 2
    assert len([q for q in app.requests("GetMeeting") if q == "lMeetingId=104"]) == 1  # a WAF page is not retried


def test_second_run_fetches_only_what_it_must(first):
    app, srv, data, _ = first
    before, before_sha = meetings(data), shas(data)
    app.log.clear()
    app.meeting["107"] = [Answer(body=meeting_xml("107", DAY["107"], "Overview and Scrutiny Panel", MINUTES["107"]))]
    amended = [(n, t, m + " The chair thanked the volunteers.") for n, t, m in MINUTES["109"]]
    app.meeting["109"] = [Answer(body=meeting_xml("109", DAY["109"], "Planning Committee", amended))]
    res = cli("harvest", srv.url, "--council", "Adur", "--since", SINCE, *FAST, "--data", str(data))
    assert res.exit_code == 1  # 104 and 105 still fail, and are named again
    asked = sorted(q.split("=")[1] for q in app.requests("GetMeeting"))
    assert asked == ["104", "105", "107", "109"]  # failed, awaited, recent; not the settled 101-103
    after = meetings(data)
    assert set(after) == {"101", "102", "103", "107", "109"}
    assert after["107"][1] == "Overview and Scrutiny Panel"
    for mid in ("101", "102", "103"):
        assert after[mid] == before[mid]  # untouched, ingest time included
    # amended minutes replaced the old version: other bytes, ingested again (in the same second on a fast machine)
    assert shas(data)["109"] != before_sha["109"] and after["109"][4] >= before["109"][4]
    hits = json.loads(cli("search", "beach hut volunteers", "--json", "--data", str(data)).stdout)["hits"]
    assert sum("volunteers" in h["text"] for h in hits) == 1  # replaced, not doubled


def test_ledger_in_stats_and_offline_rerun(first):
    app, srv, data, _ = first
    out = json.loads(cli("stats", "--json", "--data", str(data)).stdout)
    (site,) = out["sources"]
    assert site["council"] == "Adur District Council" and site["gss_code"] == "E07000223"
    assert site["meetings_held"] == len(meetings(data)) and site["items_held"] == sum(r[5] for r in meetings(data).values())
    assert {f["meeting"] for f in site["failures"]} == {"104", "105"}
    text = cli("stats", "--data", str(data)).stdout
    assert "ADU" in text and "104" in text and "Just a moment" in text
    app.log.clear()
    res = cli("harvest", srv.url, "--council", "Adur", "--since", SINCE, "--offline", "--json", "--data", str(data))
    assert not app.log, app.log  # no network at all
    report = json.loads(res.stdout)
    assert report["requests"] == 0 and report["harvested"] == 0 and report["unchanged"] == 5


def test_robots_and_unknown_site(tmp_path):
    app = make_testshire()
    app.robots = b"User-agent: *\nDisallow: /mgWebService.asmx\n"
    res, _ = harvest_from(app, tmp_path, "--council", "Adur")
    assert res.exit_code == 1 and "robots.txt forbids it" in res.stderr
    assert [p for _, p, _ in app.log] == ["/robots.txt"]
    res = cli("harvest", "Nowhereshire", "--data", str(tmp_path))
    assert res.exit_code == 1 and "no such council" in res.output and "Traceback" not in res.output


def test_gloucester_harvests_as_gloucester_city_council(tmp_path):
    need(GLOUCESTER)
    res, url = harvest_from(gloucester(), tmp_path, "--council", "GLO", "--since", "2024-01-01", "--until", "2025-12-31",
                            "--committee", "cabinet")
    assert res.exit_code == 0, res.output
    held = meetings(tmp_path)
    assert list(held) == ["7837"]
    date, committee, gss, council, _, items = held["7837"]
    assert (date, committee, gss, council, items) == ("2025-11-21", "Cabinet", "E07000081", "Gloucester City Council", 5)
    hits = json.loads(cli("search", "unitary authority option", "--json", "--data", str(tmp_path)).stdout)["hits"]
    assert hits and all(h["source_url"] == f"{url}/ieListDocuments.aspx?CId=129&MId=7837" for h in hits)
    titles = {h["item"]["title"] for h in json.loads(cli("search", "questions for the Leader or Cabinet Members", "--json",
                                                          "--data", str(tmp_path)).stdout)["hits"]}
    assert "Leader and Cabinet Members' Question Time (15 minutes)" in titles
    assert "Cancelled" not in res.stdout and "1 cancelled" in res.stdout


def test_sources_page_and_api_show_coverage_and_failures(first):
    from councilkg.web.app import create_app

    _, srv, data, _ = first
    client = create_app(data).test_client()
    page = client.get("/sources").get_data(as_text=True)
    assert 'aria-current="page">Sources</a>' in page
    assert "Adur District Council" in page and "E07000223" in page
    assert f'href="{srv.url}/ieListDocuments.aspx?MId=104"' in page  # a failure of the last run, linked to the site
    assert 'href="/id/council/E07000223"' in page
    (site,) = client.get("/api/sources").get_json()["sources"]
    assert site["meetings_held"] == len(meetings(data)) and {f["meeting"] for f in site["failures"]} == {"104", "105"}
    assert client.get("/id/council/E07000223").status_code == 200


def test_saved_getmeeting_ingests_as_one_meeting(tmp_path):
    need(GLOUCESTER)
    res = cli("ingest", str(GLOUCESTER), "--data", str(tmp_path))
    assert res.exit_code == 0, res.output
    skipped = sorted(ln for ln in res.stderr.splitlines() if ln.startswith("skipped:"))
    assert len(skipped) == 3 and "GetMeetings.xml: not minutes (a GetMeetings list of meetings)" in skipped[2]
    con = sqlite3.connect(tmp_path / "councilkg.sqlite")
    (meeting,) = con.execute("SELECT council_id, date, committee, date_method FROM meetings").fetchall()
    assert meeting == ("E07000081", "2025-11-21", "Cabinet", "service")
    items = con.execute("SELECT number, title, description, text FROM items ORDER BY seq").fetchall()
    assert [i[0] for i in items] == ["51", "52", "53", "54", "55"]
    assert items[3][1] == "Leader and Cabinet Members' Question Time (15 minutes)"
    assert items[3][2].startswith("Any Member of the Council may ask") and "Any Member" not in items[3][3]
    assert con.execute("SELECT name FROM councils WHERE id='E07000081'").fetchone() == ("Gloucester City Council",)


def test_unminuted_and_cancelled_meetings_are_not_minutes(tmp_path):
    day = dt.date(2026, 1, 5)
    (tmp_path / "a.xml").write_bytes(meeting_xml("1", day, "Cabinet", [("1", "Apologies", "")]))
    (tmp_path / "b.xml").write_bytes(meeting_xml("2", day, "Cabinet", [("1", "Budget", "Agreed.")], status="Cancelled"))
    (tmp_path / "c.xml").write_bytes(b"<?xml version='1.0'?><rss><channel/></rss>")
    res = cli("ingest", str(tmp_path), "--data", str(tmp_path / "data"))
    assert "a.xml: not minutes (meeting 1: no minutes published yet)" in res.stderr
    assert "b.xml: not minutes (meeting 2 cancelled)" in res.stderr
    assert "c.xml: XML that is not a ModernGov GetMeeting answer (root <rss>)" in res.stderr and res.exit_code == 1


KINGSTON = GLOUCESTER.parent / "kingston"


def test_blocked_service_falls_back_to_printed_minutes(tmp_path):
    """Kingston's real pages behind a WAF'd web service: committee structure → meeting list → 'Printed minutes' PDF."""
    from reliability import make_pdf

    need(KINGSTON)
    page = lambda name: Answer(body=(KINGSTON / name).read_bytes(), headers={"Content-Type": "text/html"})  # noqa: E731
    pdf = make_pdf(["Minutes of the Kingston and North Kingston Neighbourhood Committee", "",
                    "12. Zebra crossing on Park Road", "",
                    "Members debated the safety of the zebra crossing outside the primary school on Park Road."])
    second = (b'<html><body><div id="modgov"><a href="documents/g10221/Printed minutes 15-Jan-2026.pdf?T=1">'
              b"Printed minutes</a></div></body></html>")
    app = StandIn(pages={
        "/mgWebService.asmx/GetCommittees": Answer(403, WAF),
        "/mgCommitteeStructure.aspx": page("mgCommitteeStructure.html"),
        "/ieListMeetings.aspx?CId=711": page("ieListMeetings_711.html"),
        "/ieListDocuments.aspx?CId=711&MId=10220": page("ieListDocuments_2025-11-18.html"),
        "/documents/g10223/Printed minutes Wednesday 18-Nov-2025 19.30 Kingston and North Kingston Neighbourhood "
        "Committee.pdf": Answer(body=pdf),
        "/ieListDocuments.aspx?CId=711&MId=10221": Answer(body=second),
        "/documents/g10221/Printed minutes 15-Jan-2026.pdf": Answer(body=b"<html>Not found</html>"),
    })
    res, _ = harvest_from(app, tmp_path, "--council", "KTT", "--since", "2025-11-01", "--until", "2026-02-01",
                          "--committee", "Kingston and North")
    assert res.exit_code == 1
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("error:")]
    assert errors == ["error: Royal Borough of Kingston upon Thames: meeting 10221: "
                      "the 'Printed minutes' link did not give a PDF"], res.stderr
    held = {mid: row[:4] for mid, row in meetings(tmp_path).items()}
    assert held == {"10220": ("2025-11-18", "Kingston and North Kingston Neighbourhood Committee", "E09000021",
                              "Royal Borough of Kingston upon Thames")}
    assert not any("MId=10161" in p + q for _, p, q in app.log)  # cancelled in the list: its page never asked for
    out = json.loads(cli("stats", "--json", "--data", str(tmp_path)).stdout)["sources"][0]
    assert out["web_service"].startswith("bypassed (HTTP 403 (blocked))") and out["meetings_held"] == 1


def bare_server(replies: list[bytes | None]) -> tuple[str, list[bytes]]:
    """A raw socket on loopback answering each connection with the next reply (None: drop it unanswered)."""
    import socket
    import threading

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(4)
    hits: list[bytes] = []

    def serve():
        for reply in replies:
            conn, _ = sock.accept()
            hits.append(conn.recv(65536)[:40])
            if reply is not None:
                conn.sendall(reply)
            conn.close()
        sock.close()

    threading.Thread(target=serve, daemon=True).start()
    return f"127.0.0.1:{sock.getsockname()[1]}", hits


def test_client_no_retry_on_404_retries_a_dropped_connection_and_names_tls_failures():
    from councilkg.corpus.mgclient import Client, FetchError

    app = StandIn()
    srv = Server(app)
    client = Client(delay=0, backoff=0.05, max_wait=1, timeout=5)
    try:
        with pytest.raises(FetchError, match="HTTP 404"):
            client.get(f"{srv.url}/nothing-here.aspx")
        assert [p for _, p, _ in app.log] == ["/robots.txt", "/nothing-here.aspx"]  # asked once
    finally:
        srv.close()
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
    host, hits = bare_server([ok, None, ok])  # robots.txt, then a dropped connection, then the answer
    assert client.get(f"http://{host}/x") == b"ok" and len(hits) == 3 and client.waits == [0.05]
    host, hits = bare_server([b"HTTP/1.1 400 Bad Request\r\n\r\n"] * 2)  # plain HTTP where TLS was expected
    with pytest.raises(FetchError, match="TLS failure") as e:
        client.get(f"https://{host}/mgWebService.asmx/GetCommittees")
    assert "gave up" not in e.value.reason  # not retried
