"""A stand-in ModernGov site on loopback (the service's GET answers, with faults), for the tests and the harvest benchmark."""

from __future__ import annotations

import datetime as dt
import html
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote

from waitress.server import create_server

TOPICS = ["the closure of the Riverside library", "potholes on the ring road", "the new leisure centre roof",
          "street lighting energy costs", "the allotment waiting list", "fly-tipping enforcement"]


def dmy(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def committees_xml(committees: dict[str, str]) -> bytes:
    rows = "".join(f"<committee><committeeid>{cid}</committeeid><committeetitle>{html.escape(t)}</committeetitle>"
                   f"<committeedeleted>False</committeedeleted><committeeexpired>False</committeeexpired></committee>"
                   for cid, t in committees.items())
    return f'<?xml version="1.0" encoding="utf-8"?>\n<committees><committeescount> {len(committees)}</committeescount>{rows}</committees>'.encode()


def meetings_xml(cid: str, title: str, meetings: list[tuple[str, dt.date, str]]) -> bytes:
    rows = "".join(f"<meeting><meetingid>{mid}</meetingid><meetingdate>{dmy(day)}</meetingdate>"
                   f"<meetingstatus>{status}</meetingstatus><meetingtime>7.00 pm</meetingtime></meeting>"
                   for mid, day, status in meetings)
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<getmeetings><meetingscount> {len(meetings)}</meetingscount>'
            f"<committee><committeeid>{cid}</committeeid><committeetitle>{html.escape(title)}</committeetitle>"
            f"<committeemeetings>{rows}</committeemeetings></committee></getmeetings>").encode()


def meeting_xml(mid: str, day: dt.date, committee: str, items: list[tuple[str, str, str]], status: str = "Confirmed",
                base: str = "https://democracy.example.gov.uk") -> bytes:
    """A GetMeeting answer: items are (number, title, minutes paragraph or '' when none are published)."""
    published = any(m for _, _, m in items)
    body = ""
    for n, (num, title, minutes) in enumerate(items):
        esc = html.escape(html.escape(title))  # titles come entity-encoded twice, as the real service sends them
        mins = html.escape(f"<div><p>{minutes}</p></div>") if minutes else ""
        body += (f"<agendaitem><agendaitemid>{mid}{n}</agendaitemid><agendaitemtitle>{esc}</agendaitemtitle>"
                 f"<agendatext>{html.escape('<p>To consider the report.</p>')}</agendatext>"
                 f"<fulldisplaynumberformat>{num}.</fulldisplaynumberformat><minutesitemnumber>{num}</minutesitemnumber>"
                 f"<minutesnonemptyhtmlbody>{mins}</minutesnonemptyhtmlbody>"
                 f"<isminutepublished>{bool(minutes)}</isminutepublished><linkeddocuments><linkeddoc>"
                 f"<url>{base}/mgConvert2PDF.aspx?ID={mid}{n}</url><committeetitle>{html.escape(committee)}</committeetitle>"
                 f"</linkeddoc></linkeddocuments></agendaitem>")
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<meeting><meetingid>{mid}</meetingid><meetingdate>{dmy(day)}'
            f"</meetingdate><meetingstatus>{status}</meetingstatus><minutepublished>{published}</minutepublished>"
            f"<agendaitems>{body}</agendaitems><attendees/></meeting>").encode()


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class StandIn:
    """Routes keyed by (operation, id); a list of answers is served in turn (the last one repeats)."""

    committees: bytes = b""
    meetings: dict[str, bytes] = field(default_factory=dict)  # committee id -> GetMeetings answer
    meeting: dict[str, list[Answer]] = field(default_factory=dict)  # meeting id -> GetMeeting answers
    pages: dict[str, Answer] = field(default_factory=dict)  # '/path?query' or '/path' -> a public page
    robots: bytes = b"User-agent: *\nDisallow: /private/\n"
    slow: float = 0.0  # seconds added to every answer (for kill trials)
    log: list[tuple[float, str, str]] = field(default_factory=list)  # (time, path, query)

    def requests(self, op: str) -> list[str]:
        return [q for _, p, q in self.log if p.endswith("/" + op)]

    def __call__(self, environ, start_response):
        path, query = unquote(environ.get("PATH_INFO", "")), environ.get("QUERY_STRING", "")
        self.log.append((time.monotonic(), path, query))
        if self.slow:
            time.sleep(self.slow)
        ans = self.pages.get(f"{path}?{query}") or self.pages.get(path) or self.route(path, parse_qs(query))
        start_response(f"{ans.status} X", [("Content-Type", "text/xml; charset=utf-8"), *ans.headers.items()])
        return [ans.body]

    def route(self, path: str, q: dict[str, list[str]]) -> Answer:
        arg = lambda k: (q.get(k) or [""])[0]  # noqa: E731
        if path == "/robots.txt":
            return Answer(body=self.robots)
        if path == "/mgWebService.asmx/GetCommittees":
            return Answer(body=self.committees)
        if path == "/mgWebService.asmx/GetMeetings":
            body = self.meetings.get(arg("lCommitteeId"))
            if body is None:
                return Answer(body=meetings_xml(arg("lCommitteeId"), "", []))
            return Answer(body=body)  # the range is ignored, as the real service ignores an ISO one: filter yourself
        if path == "/mgWebService.asmx/GetMeeting":
            answers = self.meeting.get(arg("lMeetingId"))
            if not answers:
                return Answer(500, b"<html><title>Runtime Error</title></html>")
            return answers.pop(0) if len(answers) > 1 else answers[0]
        return Answer(404, b"not found")


class Server:
    """A StandIn served by waitress on a loopback address in a thread (127.0.0.x: a host of its own)."""

    def __init__(self, app: StandIn, host: str = "127.0.0.1"):
        self.app = app
        self.server = create_server(app, host=host, port=0, threads=2)
        self.url = f"http://{host}:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.close()


def town(n: int, meetings: int = 3, today: dt.date | None = None) -> StandIn:
    """Site n of our own making: one committee of `meetings` minuted meetings in the last year, each on a topic of its own."""
    today = today or dt.date.today()
    days = {f"{n}{k:02d}": today - dt.timedelta(days=300 - 20 * k) for k in range(meetings)}
    answers = {}
    for k, (mid, day) in enumerate(days.items()):
        topic = TOPICS[(n + k) % len(TOPICS)]
        text = f"Members of town {n} discussed {topic} at length and asked officers for costed options."
        answers[mid] = [Answer(body=meeting_xml(mid, day, "Cabinet", [(str(10 + k), topic.capitalize(), text)]))]
    return StandIn(committees=committees_xml({"5": "Cabinet"}),
                   meetings={"5": meetings_xml("5", "Cabinet", [(mid, day, "Confirmed") for mid, day in days.items()])},
                   meeting=answers)
