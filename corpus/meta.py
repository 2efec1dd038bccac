"""Metadata from file headers, manifests and page text: parsed once, validated, and merged so the user's word wins."""

from __future__ import annotations

import datetime as dt
import re

from .model import InputError

# Alternative spellings users write, mapped to the contract's keys (contract §3).
ALIASES = {"source": "source_url", "url": "source_url", "gss": "gss_code", "item_number": "item"}

_KEY = re.compile(r"^([A-Za-z][A-Za-z0-9_ -]{0,40}):(?:\s+(.*))?$")
_MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), 1)}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())})
_DMY_WORDS = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})\b", re.I)
_DMY_SLASH = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")


def normalise_key(key: str) -> str:
    """One spelling per key, so a header's 'Source URL' and a manifest's 'source_url' meet."""
    k = re.sub(r"[\s-]+", "_", key.strip().lower())
    return ALIASES.get(k, k)


def clean_meta(meta: dict[str, str]) -> dict[str, str]:
    """Keys normalised, empty cells dropped: an empty cell means unknown, not blank."""
    out: dict[str, str] = {}
    # Aliases go last so an explicit `source_url` beats an aliased `source`.
    pairs = sorted(meta.items(), key=lambda kv: str(kv[0]).strip().lower() in ALIASES)
    for key, value in pairs:
        if key is None or value is None or not str(value).strip():
            continue
        out.setdefault(normalise_key(str(key)), str(value).strip())
    return out


def split_header(text: str) -> tuple[dict[str, str], str]:
    """A leading `key: value` block ended by `---` (or opened and closed by `---`) as metadata; the rest is the body."""
    lines = text.split("\n")
    start = 1 if lines and lines[0].strip() == "---" else 0
    meta: dict[str, str] = {}
    for i in range(start, min(len(lines), start + 60)):
        line = lines[i].strip()
        if line == "---":
            if not meta:
                return {}, text
            return clean_meta(meta), "\n".join(lines[i + 1:])
        m = _KEY.match(line)
        if not m:
            return {}, text
        meta[m.group(1)] = (m.group(2) or "").strip()
    return {}, text


def parse_date(text: str) -> str | None:
    """The first real calendar date written in prose ('9 January 2025', '25/11/2019') as ISO, else None."""
    for m in _DMY_WORDS.finditer(text):
        month = _MONTHS.get(m.group(2).lower())
        if month:
            day = iso(int(m.group(3)), month, int(m.group(1)))
            if day:
                return day
    for m in _DMY_SLASH.finditer(text):
        day = iso(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        if day:
            return day
    return None


def iso(year: int, month: int, day: int) -> str | None:
    """The ISO form of a calendar date, None when no such day exists."""
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def check_date(value: str, path: object) -> str:
    """A user date must be ISO (YYYY-MM-DD, YYYY-MM or YYYY) and exist on the calendar."""
    v = value.strip()
    if re.fullmatch(r"\d{4}", v) or re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", v):
        return v
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", v)
    if m and iso(int(m.group(1)), int(m.group(2)), int(m.group(3))):
        return v
    if m:
        raise InputError(path, f"date '{v}' is not a valid date")
    raise InputError(path, f"date '{v}' is not a valid date (expected YYYY-MM-DD)")


# Meeting facts whose provenance is recorded (like the council's): "metadata" when the user gave them, else what the
# reader says in `<key>_method` of its page metadata ("text:heading", "page:title", "service", "file-name"), else "text".
DECIDED = ("date", "committee")


def merge(page: dict[str, str], *user: dict[str, str], path: object = "") -> dict[str, str]:
    """Page-derived values under user ones; later user sources win over earlier ones; user dates validated."""
    merged = {k: v for k, v in page.items() if v and not k.endswith("_method")}
    for meta in user:
        for key, value in meta.items():
            if key == "date":
                value = check_date(value, path)
            merged[key] = value
    return merged


def provenance(page: dict[str, str], *user: dict[str, str]) -> dict[str, str]:
    """How each of DECIDED was decided, for the facts a merge of the same sources holds."""
    out: dict[str, str] = {}
    for key in DECIDED:
        if any(meta.get(key) for meta in user):
            out[key] = "metadata"
        elif page.get(key):
            out[key] = page.get(f"{key}_method") or "text"
    return out
