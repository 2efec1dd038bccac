"""What a data directory holds of each harvested site, so reruns fetch only what changed and gaps are never silent."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

VERSION = 1
HARVEST_DIR = "harvest"
PUBLISHED, AWAITED, CANCELLED = "published", "awaited", "cancelled"


@dataclass
class MeetingEntry:
    """One meeting as last seen: its service metadata, whether its minutes were out, and a hash per minuted item."""

    committee: str = ""
    committee_id: str = ""
    date: str = ""
    status: str = ""
    minutes: str = AWAITED  # published, awaited or cancelled
    items: dict[str, str] = field(default_factory=dict)  # agenda item id -> hash of its minutes
    fetched: str = ""
    file: str = ""  # the meeting file ingested, relative to the site folder
    via: str = ""  # "service" or "printed-minutes"


@dataclass
class Ledger:
    """A site's ledger: the site, when it was last harvested, its meetings and the failures of the last run."""

    code: str
    name: str = ""
    base_url: str = ""
    gss_code: str = ""
    last_harvest: str = ""
    meetings: dict[str, MeetingEntry] = field(default_factory=dict)
    failures: list[dict[str, str]] = field(default_factory=list)  # {meeting, reason, when}
    service: str = ""  # why the web service was bypassed for the public pages' printed minutes, if it was

    def summary(self) -> dict:
        """The coverage figures `stats` and the Sources page show."""
        held = {k: m for k, m in self.meetings.items() if m.minutes == PUBLISHED and m.file}
        return {
            "site": self.code, "council": self.name, "gss_code": self.gss_code or None, "base_url": self.base_url,
            "last_harvest": self.last_harvest or None, "meetings_seen": len(self.meetings),
            "meetings_held": len(held), "items_held": sum(len(m.items) for m in held.values()),
            "minutes_awaited": sorted((k for k, m in self.meetings.items() if m.minutes == AWAITED),
                                      key=lambda k: self.meetings[k].date),
            "cancelled": sum(m.minutes == CANCELLED for m in self.meetings.values()),
            "failures": list(self.failures), "web_service": self.service or "used",
        }


def site_dir(data_dir: str | Path, code: str) -> Path:
    return Path(data_dir) / HARVEST_DIR / code


def load(data_dir: str | Path, code: str) -> Ledger:
    """The site's ledger, or an empty one; an unreadable or older-version ledger is a cache to rebuild, not an error."""
    path = site_dir(data_dir, code) / "ledger.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("version") != VERSION:
            raise ValueError("old ledger")
        meetings = {k: MeetingEntry(**v) for k, v in raw.pop("meetings", {}).items()}
        raw.pop("version")
        return Ledger(**raw, meetings=meetings)
    except (OSError, ValueError, TypeError):
        return Ledger(code=code)


def save(data_dir: str | Path, ledger: Ledger) -> None:
    """Write atomically (temporary file, fsync, rename): a kill leaves the old ledger or the new one, never half."""
    folder = site_dir(data_dir, ledger.code)
    folder.mkdir(parents=True, exist_ok=True)
    body = {"version": VERSION, **asdict(ledger)}
    write_atomic(folder / "ledger.json", json.dumps(body, indent=1, ensure_ascii=False).encode("utf-8"))


def write_atomic(path: Path, data: bytes) -> bool:
    """Replace a file whole; False (and nothing written) when it already holds exactly these bytes."""
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def all_ledgers(data_dir: str | Path) -> list[Ledger]:
    """Every harvested site in the data directory, by code."""
    root = Path(data_dir) / HARVEST_DIR
    if not root.is_dir():
        return []
    return [load(data_dir, p.name) for p in sorted(root.iterdir()) if (p / "ledger.json").is_file()]


SWEEP_FILE = "sweep.json"
PENDING, DONE, FAILING = "pending", "done", "failing"


@dataclass
class Sweep:
    """A harvest of many sites (the whole register, or a list): each site's state, so a killed run resumes where it was."""

    scope: str  # "all", or the list of codes it was given
    started: str
    sites: dict[str, dict[str, str]] = field(default_factory=dict)  # code -> {state, reason, when}

    @property
    def finished(self) -> bool:
        """Every site was walked (done or failing): the next sweep of this scope starts afresh."""
        return all(s["state"] != PENDING for s in self.sites.values())

    def todo(self) -> list[str]:
        return [code for code, s in self.sites.items() if s["state"] == PENDING]

    def mark(self, code: str, state: str, reason: str, when: str) -> None:
        self.sites[code] = {"state": state, "reason": reason, "when": when}

    def summary(self) -> dict:
        """What the Sources page and `stats` show of it."""
        states = [s["state"] for s in self.sites.values()]
        return {"scope": self.scope, "started": self.started, "finished": self.finished, "sites": len(states),
                "done": states.count(DONE), "pending": states.count(PENDING), "failing": states.count(FAILING),
                "failures": sorted(({"site": c, "reason": s["reason"], "when": s["when"]}
                                    for c, s in self.sites.items() if s["state"] == FAILING), key=lambda f: f["site"])}


def load_sweep(data_dir: str | Path) -> Sweep | None:
    """The last many-site harvest, or None; an unreadable record is forgotten (the ledgers hold what matters)."""
    try:
        raw = json.loads((Path(data_dir) / HARVEST_DIR / SWEEP_FILE).read_text(encoding="utf-8"))
        return Sweep(raw["scope"], raw["started"], raw["sites"]) if raw.get("version") == VERSION else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save_sweep(data_dir: str | Path, sweep: Sweep) -> None:
    write_atomic(Path(data_dir) / HARVEST_DIR / SWEEP_FILE,
                 json.dumps({"version": VERSION, **asdict(sweep)}, indent=1, ensure_ascii=False).encode("utf-8"))
