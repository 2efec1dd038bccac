"""Gather one ModernGov site's minuted meetings into the data directory: committees, meetings, each meeting's answer."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import ledger as lg
from .mgclient import Client, FetchError, parse_xml, service_url
from .mgmeeting import dmy, iso, parse_meeting
from .registry import Site

MANIFEST_FIELDS = ("file", "council", "gss_code", "committee", "date", "source_url", "status", "meeting_id")


@dataclass
class Options:
    """What to gather: a date range, a committee filter, and how far back minutes may still be amended."""

    since: str | None = None  # ISO; default a year before `today`
    until: str | None = None  # ISO; default `today`
    committee: str | None = None
    offline: bool = False
    recheck_days: int = 90
    today: str = field(default_factory=lambda: dt.date.today().isoformat())


@dataclass
class Gathered:
    """One site's run: what was noted, and the ledger to save once its meetings are in (files go to `sink` as found)."""

    site: Site
    ledger: lg.Ledger
    seen: int = 0
    fetched: int = 0
    held: int = 0  # already held, not fetched again
    skipped: Counter = field(default_factory=Counter)  # reason -> meetings
    failed: list[tuple[str, str]] = field(default_factory=list)  # (meeting id or '-', reason)
    sink: Callable[["Gathered", str, lg.MeetingEntry, str | None], None] | None = None

    def note(self, mid: str, entry: lg.MeetingEntry, path: Path | None = None) -> None:
        """One meeting's outcome, told to the harvest as it happens so it can commit while other meetings are fetched."""
        self.ledger.meetings[mid] = entry
        if self.sink is not None:
            self.sink(self, mid, entry, None if path is None else str(path))


class _Source:
    """Service answers from the network (each cached in the data directory) or, offline, from that cache alone."""

    def __init__(self, site: Site, folder: Path, client: Client | None):
        self.site, self.cache, self.client = site, folder / "cache", client

    def call(self, op: str, root: str, name: str, **params):
        path = self.cache / f"{name}.xml"
        url = service_url(self.site.base_url, op, **params)
        if self.client is None:
            try:
                data = path.read_bytes()
            except OSError:
                raise FetchError(url, f"{op} not in the cache (run once without --offline)") from None
        else:
            data = self.client.get(url)
        el = parse_xml(data, root, url)  # only answers that parse are cached
        if self.client is not None:
            lg.write_atomic(path, data)
        return data, el


def _fold(s: str) -> str:
    return " ".join(s.lower().split())


def gather(site: Site, data_dir: str | Path, client: Client | None, opts: Options,
           progress: Callable[[str, int, int], None] = lambda *a: None, sink=None) -> Gathered:
    """Walk GetCommittees → GetMeetings (dd/mm/yyyy, and filtered here) → GetMeeting for what the ledger lacks.

    Each meeting's outcome goes to `sink` as it is known; the manifest is the caller's to write (`write_manifest`)."""
    folder = lg.site_dir(data_dir, site.code)
    led = lg.load(data_dir, site.code)
    led.name, led.base_url, led.gss_code, led.service = site.name, site.base_url, site.gss_code, ""
    out = Gathered(site, led, sink=sink)
    src = _Source(site, folder, None if opts.offline else client)
    today = dt.date.fromisoformat(opts.today)
    since = opts.since or (today - dt.timedelta(days=365)).isoformat()
    until = opts.until or opts.today
    recheck_from = (today - dt.timedelta(days=opts.recheck_days)).isoformat()
    try:
        _, root = src.call("GetCommittees", "committees", "GetCommittees")
    except FetchError as e:
        if _service_missing(e) and client is not None and not opts.offline:
            return _from_pages(out, folder, client, opts, since, until, recheck_from, e.reason, progress)
        if opts.offline and any(m.via == "printed-minutes" for m in led.meetings.values()):
            held = [(k, m) for k, m in led.meetings.items() if m.file and m.via == "printed-minutes"]
            for k, m in held:
                out.note(k, m, folder / m.file)
            out.seen = out.held = len(held)
            return out
        out.failed.append(("-", f"GetCommittees: {e.reason}"))
        led.failures = [{"meeting": "-", "reason": out.failed[0][1], "when": opts.today}]
        return out
    committees = [(c.findtext("committeeid", "").strip(), " ".join(c.findtext("committeetitle", "").split()))
                  for c in root.iter("committee") if c.findtext("committeedeleted", "").strip().lower() != "true"]
    if opts.committee:
        committees = [c for c in committees if _fold(opts.committee) in _fold(c[1])]
    todo: dict[str, tuple[str, str, str, str, str]] = {}  # meeting id -> (id, date, status, committee id, committee)
    for n, (cid, title) in enumerate(committees):
        progress("list", n, len(committees))
        try:
            _, mroot = src.call("GetMeetings", "getmeetings", f"GetMeetings_{cid}",
                                lCommitteeId=cid, sFromDate=dmy(since), sToDate=dmy(until))
        except FetchError as e:
            out.failed.append(("-", f"GetMeetings for committee {cid} ({title}): {e.reason}"))
            continue
        for m in mroot.iter("meeting"):
            mid, day = m.findtext("meetingid", "").strip(), iso(m.findtext("meetingdate"))
            if mid and day and since <= day <= until and mid not in todo:  # the service may ignore the range
                todo[mid] = (mid, day, m.findtext("meetingstatus", "").strip(), cid, title)
    progress("list", len(committees), len(committees))
    failures: list[dict[str, str]] = [{"meeting": "-", "reason": r, "when": opts.today} for _, r in out.failed]
    for n, (mid, day, status, cid, title) in enumerate(sorted(todo.values(), key=lambda t: (t[1], t[0]))):
        progress("fetch", n, len(todo))
        out.seen += 1
        prior = led.meetings.get(mid)
        if "cancel" in status.lower():
            out.note(mid, lg.MeetingEntry(title, cid, day, status, lg.CANCELLED, fetched=opts.today))
            out.skipped["cancelled"] += 1
            continue
        if day > opts.today:
            out.skipped["not yet held"] += 1
            continue
        settled = prior and prior.minutes == lg.PUBLISHED and prior.file and day < recheck_from
        if settled and not opts.offline and mid not in _failed_before(led):
            out.held += 1
            continue
        try:
            data, root = src.call("GetMeeting", "meeting", f"GetMeeting_{mid}", lMeetingId=mid)
        except FetchError as e:
            out.failed.append((mid, e.reason))
            failures.append({"meeting": mid, "reason": e.reason, "when": opts.today, "date": day, "committee": title})
            continue
        out.fetched += not opts.offline
        meeting = parse_meeting(root)
        path = None  # the meeting file to ingest, when its minutes are out
        entry = lg.MeetingEntry(title, cid, meeting.date or day, meeting.status or status, lg.AWAITED,
                                fetched=opts.today, via="service")
        if meeting.cancelled:
            entry.minutes = lg.CANCELLED
            out.skipped["cancelled"] += 1
        elif not meeting.minuted:
            out.skipped["minutes not yet published"] += 1
        else:
            entry.minutes = lg.PUBLISHED
            entry.items = {i.id or i.number or str(k): i.minutes_hash for k, i in enumerate(meeting.minuted)}
            entry.file = f"meetings/{mid}.xml"
            path = folder / entry.file
            lg.write_atomic(path, data)
        if prior and prior.file and entry.minutes != lg.PUBLISHED:
            entry.file, entry.items, entry.minutes = prior.file, prior.items, prior.minutes  # withdrawn? keep what is held
        out.note(mid, entry, path)
    progress("fetch", len(todo), len(todo))
    led.failures = failures
    return out


def _service_missing(e: FetchError) -> bool:
    """Blocked (401/403, a WAF page) or absent (404): the public pages may still serve the printed minutes."""
    return e.status in (401, 403, 404) or "HTML page where XML was expected" in e.reason


def _from_pages(out: Gathered, folder: Path, client: Client, opts: Options, since: str, until: str,
                recheck_from: str, why: str, progress) -> Gathered:
    """The fallback: committee list → meeting list → each minuted meeting's "Printed minutes" PDF."""
    from . import printed

    led, base = out.ledger, out.site.base_url
    failures: list[dict[str, str]] = []
    try:
        found = printed.committees(client, base)
    except FetchError as e:
        out.failed.append(("-", f"web service: {why}; pages: {e.reason}"))
        led.failures = [{"meeting": "-", "reason": out.failed[0][1], "when": opts.today}]
        return out
    if opts.committee:
        found = [c for c in found if _fold(opts.committee) in _fold(c[1])]
    todo = []
    for cid, title in found:
        try:
            todo += [(m, cid, title) for m in printed.meetings(client, base, cid, since) if since <= m.date <= until]
        except FetchError as e:
            out.failed.append(("-", f"meeting list of committee {cid} ({title}): {e.reason}"))
    for n, (m, cid, title) in enumerate(todo):
        progress("fetch", n, len(todo))
        out.seen += 1
        prior = led.meetings.get(m.id)
        entry = lg.MeetingEntry(title, cid, m.date, "Cancelled" if m.cancelled else "", lg.AWAITED, fetched=opts.today,
                                via="printed-minutes")
        if m.cancelled or not m.has_minutes:
            entry.minutes = lg.CANCELLED if m.cancelled else lg.AWAITED
            out.skipped["cancelled" if m.cancelled else "minutes not yet published"] += 1
            out.note(m.id, prior if prior and prior.file else entry)
            continue
        if prior and prior.file and m.date < recheck_from and m.id not in _failed_before(led):
            out.held += 1
            continue
        try:
            pdf = printed.printed_minutes(client, m.url, base)
        except FetchError as e:
            out.failed.append((m.id, e.reason))
            failures.append({"meeting": m.id, "reason": e.reason, "when": opts.today, "date": m.date, "committee": title})
            continue
        out.fetched += 1
        if pdf is None:
            out.skipped["no printed minutes linked"] += 1
            out.note(m.id, prior if prior and prior.file else entry)
            continue
        entry.minutes, entry.file = lg.PUBLISHED, f"meetings/{m.id}.pdf"
        entry.items = {"printed minutes": hashlib.sha256(pdf).hexdigest()[:16]}
        lg.write_atomic(folder / entry.file, pdf)
        out.note(m.id, entry, folder / entry.file)
    led.service = f"bypassed ({why}): printed minutes from the public pages"
    led.failures = [*failures, *({"meeting": "-", "reason": r, "when": opts.today} for k, r in out.failed if k == "-")]
    return out


def _failed_before(led: lg.Ledger) -> set[str]:
    return {f["meeting"] for f in led.failures}


def write_manifest(folder: Path, led: lg.Ledger) -> None:
    """meetings/manifest.csv: the service's metadata for every meeting file, so ingest needs nothing else."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(MANIFEST_FIELDS)
    for mid, m in sorted(led.meetings.items(), key=lambda kv: kv[1].file):
        if not m.file or not (folder / m.file).is_file():
            continue
        url = f"{led.base_url}/ieListDocuments.aspx?CId={m.committee_id}&MId={mid}"
        w.writerow([Path(m.file).name, led.name, led.gss_code, m.committee, m.date, url, m.status, mid])
    lg.write_atomic(folder / "meetings" / "manifest.csv", buf.getvalue().encode("utf-8"))
