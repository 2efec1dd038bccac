"""A polite HTTP client for ModernGov sites: one request at a time per host, a delay, robots.txt, retries that back off."""

from __future__ import annotations

import email.utils
import http.client
import re
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
import urllib.robotparser
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

PROJECT_URL = "https://github.com/councilkg/councilkg"
USER_AGENT = f"councilkg/0.1 (+{PROJECT_URL}; council minutes search)"
RETRY_STATUS = {429, 500, 502, 503, 504}


class FetchError(Exception):
    """A request that failed for good, with a reason short enough for one stderr line."""

    def __init__(self, url: str, reason: str, status: int | None = None):
        super().__init__(reason)
        self.url, self.reason, self.status = url, reason, status


@dataclass
class _Host:
    """Shared by every client in the process: several councils can share one site."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    last: float = float("-inf")
    robots: urllib.robotparser.RobotFileParser | None = None


_HOSTS: dict[str, _Host] = {}
_HOSTS_LOCK = threading.Lock()
_COUNT_LOCK = threading.Lock()  # `requests` is counted across the threads of a many-site harvest


def forget_hosts() -> None:
    """Drop what the process knows of each host (robots.txt, last request): a measured run starts as a new process would."""
    with _HOSTS_LOCK:
        _HOSTS.clear()


def _host(url: str) -> _Host:
    key = urlsplit(url).netloc.lower()
    with _HOSTS_LOCK:
        return _HOSTS.setdefault(key, _Host())


@dataclass
class Client:
    """GET with politeness and retries; `requests` counts what was asked of the network."""

    delay: float = 1.0
    timeout: float = 60.0
    retries: int = 3
    backoff: float = 5.0  # first retry waits this, then doubles (5, 10, 20 s as DemocracyClub LGSF does)
    max_wait: float = 120.0  # cap on any one wait, Retry-After included
    user_agent: str = USER_AGENT
    requests: int = 0
    waits: list[float] = field(default_factory=list)

    def get(self, url: str) -> bytes:
        """The body of a 200 answer; FetchError for anything else once retries are spent (none on 404)."""
        self._check_robots(url)
        return self._get(url)

    def _get(self, url: str) -> bytes:
        attempt = 0
        while True:
            wait, reason, status = None, "", None
            try:
                return self._once(url)
            except urllib.error.HTTPError as e:
                status = e.code
                if e.code not in RETRY_STATUS:
                    raise FetchError(url, f"HTTP {e.code}" + (" (blocked)" if e.code in (401, 403) else ""), e.code) from None
                reason = f"HTTP {e.code}"
                wait = _retry_after(e.headers.get("Retry-After"))
            except (ssl.SSLError, ssl.CertificateError) as e:
                raise FetchError(url, f"TLS failure: {_short(e)}") from None
            except urllib.error.URLError as e:
                if isinstance(e.reason, ssl.SSLError | ssl.CertificateError):
                    raise FetchError(url, f"TLS failure: {_short(e.reason)}") from None
                reason = f"cannot connect: {_short(e.reason)}"
            except (TimeoutError, socket.timeout):
                reason = f"timed out after {self.timeout:g} s"
            except (ConnectionError, http.client.HTTPException, OSError) as e:
                reason = f"connection dropped: {_short(e)}"
            if attempt >= self.retries:
                raise FetchError(url, f"{reason} (gave up after {attempt + 1} tries)", status)
            pause = min(self.backoff * 2**attempt if wait is None else wait, self.max_wait)
            self.waits.append(pause)
            time.sleep(pause)
            attempt += 1

    def _once(self, url: str) -> bytes:
        """One request, after the host's previous one has finished and the delay has passed."""
        host = _host(url)
        with host.lock:
            gap = host.last + self.delay - time.monotonic()
            if gap > 0:
                time.sleep(gap)
            with _COUNT_LOCK:
                self.requests += 1
            req = urllib.request.Request(url, headers={"User-Agent": self.user_agent, "Accept": "*/*"})
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    return resp.read()
            finally:
                host.last = time.monotonic()

    def _check_robots(self, url: str) -> None:
        """robots.txt read once per host (urllib.robotparser's rules: 401/403 forbid all, other 4xx allow all)."""
        host = _host(url)
        if host.robots is None:
            parts = urlsplit(url)
            rp = urllib.robotparser.RobotFileParser()
            try:
                rp.parse(self._get(f"{parts.scheme}://{parts.netloc}/robots.txt").decode("utf-8", "replace").splitlines())
            except FetchError as e:
                if e.status in (401, 403):
                    rp.disallow_all = True
                else:
                    rp.allow_all = True  # none, or unreachable: the site's own answers decide
            host.robots = rp
        if not host.robots.can_fetch(self.user_agent, url):
            raise FetchError(url, "robots.txt forbids it")


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _short(e: object) -> str:
    return str(getattr(e, "reason", None) or e).splitlines()[0][:160] or type(e).__name__


def parse_xml(data: bytes, root: str, url: str) -> ET.Element:
    """A service answer as XML with the expected root; a WAF or error page, or broken XML, is a FetchError."""
    head = data[:2048].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:300]:
        m = re.search(rb"<title[^>]*>\s*([^<]{1,80})", data[:20000], re.I)
        title = m.group(1).decode("utf-8", "replace").strip() if m else "no title"
        raise FetchError(url, f"an HTML page where XML was expected (WAF or error page: '{title}')")
    if b"<!entity" in data[:4096].lower():
        raise FetchError(url, "XML declares entities: refused")
    try:
        el = ET.fromstring(data)
    except ET.ParseError as e:
        raise FetchError(url, f"malformed XML: {e}") from None
    if el.tag != root:
        raise FetchError(url, f"unexpected XML: <{el.tag}> where <{root}> was expected")
    return el


def service_url(base_url: str, op: str, **params: object) -> str:
    """`{base}/mgWebService.asmx/{Op}?...`, the HTTP GET form of the web service."""
    return f"{base_url}/mgWebService.asmx/{op}" + (f"?{urlencode(params)}" if params else "")
