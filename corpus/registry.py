"""The shipped register of UK councils on ModernGov (DemocracyClub LGSF), so `harvest GLO` finds a site and its council."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from .model import InputError

DATA = Path(__file__).parent / "data" / "sites.tsv"


@dataclass(frozen=True)
class Site:
    """One ModernGov site: whose it is (name, register code, GSS code) and where its pages and service live."""

    code: str  # register code ('GLO'); for an unlisted site, a slug of its host
    name: str  # the council's official name, or '' when an unlisted site's owner is not given
    base_url: str  # no trailing slash
    gss_code: str = ""
    short_name: str = ""
    end_date: str = ""
    disabled: bool = False
    notes: str = ""

    @property
    def host(self) -> str:
        return (urlsplit(self.base_url).hostname or "").lower()


def _base(url: str) -> str:
    """A site's base URL: scheme, host and path prefix, no trailing slash, no page name."""
    url = url.strip()
    if not re.match(r"^https?://", url, re.I):
        url = "https://" + url
    parts = urlsplit(url)
    path = re.sub(r"/[^/]*\.(?:aspx|asmx)$", "", parts.path, flags=re.I).rstrip("/")
    return f"{parts.scheme.lower()}://{parts.netloc}{path}"


@lru_cache(maxsize=1)
def sites() -> list[Site]:
    """Every council in the shipped register, in file order."""
    out: list[Site] = []
    with open(DATA, encoding="utf-8", newline="") as fh:
        rows = csv.DictReader((line for line in fh if not line.startswith("#")), delimiter="\t")
        for r in rows:
            out.append(Site(code=r["code"].strip(), name=r["official_name"].strip(), base_url=_base(r["base_url"]),
                            gss_code=(r.get("gss_code") or "").strip(), short_name=(r.get("short_name") or "").strip(),
                            end_date=(r.get("end_date") or "").strip(), disabled=r["scraper_disabled"].strip() == "yes",
                            notes=(r.get("notes") or "").strip()))
    return out


def _fold(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", s.lower().replace("&", " and ")).strip()


def find(given: str, council: str | None = None) -> Site:
    """A site from a register code, a council's name or short name, or a base URL (listed or not)."""
    q = given.strip()
    if re.match(r"^https?://", q, re.I) or "/" in q or q.count(".") >= 2:
        base = _base(q)
        host = (urlsplit(base).hostname or "").lower()
        listed = [s for s in sites() if s.host == host and (not council or _fold(council) in (_fold(s.name), _fold(s.short_name), _fold(s.code)))]
        if len(listed) == 1:
            s = listed[0]
            return Site(s.code, s.name, base, s.gss_code, s.short_name, s.end_date, s.disabled, s.notes)
        if council:
            named = [s for s in sites() if _fold(council) in (_fold(s.name), _fold(s.short_name), _fold(s.code))]
            gss = named[0].gss_code if len(named) == 1 else ""
            return Site(named[0].code if len(named) == 1 else _slug(host), named[0].name if len(named) == 1 else council, base, gss)
        if len(listed) > 1:
            raise InputError(given, f"site is shared by {', '.join(s.name for s in listed)}: say whose with --council")
        return Site(_slug(host), "", base)
    want = _fold(q)
    hits = [s for s in sites() if want in (s.code.lower(), _fold(s.name), _fold(s.short_name))]
    if not hits:
        hits = [s for s in sites() if want in _fold(s.name)]
    current = [s for s in hits if not s.end_date] or hits
    if len(current) == 1:
        return current[0]
    if not current:
        raise InputError(given, "no such council in the ModernGov register (give its site's base URL and --council NAME)")
    raise InputError(given, "several councils match: " + ", ".join(f"{s.name} ({s.code})" for s in current[:6]))


def _slug(host: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", host.lower()).strip("-") or "site"


def in_service(today: str) -> list[Site]:
    """The register's sites a whole-register harvest walks: not disabled by the register, council not abolished."""
    return [s for s in sites() if not s.disabled and not (s.end_date and s.end_date <= today)]
