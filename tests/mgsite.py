"""The stand-in ModernGov site (councilkg.web.bench.standin) with the real Gloucester answers and a WAF page, for the tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from councilkg.web.bench.standin import Answer, Server, StandIn, committees_xml, dmy, meeting_xml, meetings_xml  # noqa: F401

GLOUCESTER = Path(__file__).resolve().parents[2] / "shared" / "data" / "moderngov" / "gloucester"
WAF = b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>"


def gloucester() -> StandIn:
    """The real Gloucester answers; Cabinet's other meetings answer with their minutes not yet published."""
    app = StandIn(committees=(GLOUCESTER / "GetCommittees.xml").read_bytes(),
                  meetings={"129": (GLOUCESTER / "GetMeetings.xml").read_bytes()})
    import xml.etree.ElementTree as ET

    for m in ET.fromstring(app.meetings["129"]).iter("meeting"):
        mid = m.findtext("meetingid")
        day = dt.datetime.strptime(m.findtext("meetingdate"), "%d/%m/%Y").date()
        app.meeting[mid] = [Answer(body=meeting_xml(mid, day, "Cabinet", [("1", "Apologies", "")]))]
    app.meeting["7837"] = [Answer(body=(GLOUCESTER / "GetMeeting_7837.xml").read_bytes())]
    return app
