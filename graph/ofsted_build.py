"""Rebuild graph/data/inspections.csv, the register of Ofsted inspections of councils' children's services, from Ofsted's
official statistics (OGL v3.0) and the JT-39 scrape of its reports (MIT); see graph/data/README.md.

Run as `python -m councilkg.graph.ofsted_build DIR` (DIR: the files of ../shared/data/ofsted); never imported at run time.
The .ods sheets are read by a small zip/XML reader of our own, so the build needs nothing beyond the standard library.
"""

from __future__ import annotations

import csv
import os
import re
import sys
import tempfile
import zipfile
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

from councilkg.graph.councils import _day, gazetteer, resolve
from councilkg.graph.ofsted import DATA, FIELDS, GRADES

_T, _O, _X = (f"urn:oasis:names:tc:opendocument:xmlns:{n}:1.0" for n in ("table", "office", "text"))
OFFICIAL = "LA_Inspection_Outcomes_as_at_31_March_2025.ods"
HISTORY = "Childrens_social_care_in_England_2023_underlying_data.ods"
SCRAPE, LOOKUP = "ofsted_csc_ilacs_history.csv", "Provider_data_lookup.csv"
# Councils that run children's services; a code's predecessor of another type (a district) never held an inspection.
CSC_TYPES = {"county", "unitary", "metropolitan", "london"}
# 2023 file: (type, publication-date column, [(area key, column)]) per older framework; area None is the overall grade.
OLDER = [
    ("slac", "Safeguarding & Looked After Children (SLAC) Inspection publication date",
     [("safeguarding", "SLAC Safeguarding Overall effectiveness (OE)"), ("looked-after", "SLAC Looked After Children Overall Effectiveness (OE)")]),
    ("slac", "SLAC re-inspection of Safeguarding publication date", [("safeguarding", "SLAC re-inspection Safeguarding OE")]),
    ("slac", "SLAC re-inspection of services for Children Looked After publication date",
     [("looked-after", "SLAC re-inspection of services Children Looked After OE")]),
    ("cpi", "Child Protection Inspections (CPI) publication date", [(None, "CPI Overall Effectiveness (OE)")]),
    ("cpi", "Child Protection Re-Inspection (CPRI) publication date", [(None, "CPRI Overall Effectiveness (OE)")]),
    ("tlac", "Targeted Looked After Children (TLAC) inspection publication date", [(None, "TLAC Overall Effectiveness (OE)")]),
]
_SIF = [(None, "Overall Judgement\n(OE)"), ("help-protection-sif", "children who need help and protection"),
        ("looked-after-permanence", "children looked after and achieving permanence"), ("adoption", "CLA Sub: Adoption Performance"),
        ("care-leavers-sif", "CLA Sub: Experiences and progress of care leavers"), ("leadership-sif", "leadership, management and governance")]
for _prefix, _col in (("First SIF", "Single Inspection of LA Children's Services (SIF) First SIF publication date"),
                      ("SIF Re-inspection", "Single Inspection of LA Children's Services (SIF) SIF Re-inspection publication date")):
    OLDER.append(("sif", _col, [(a, f"{_prefix} {c}") for a, c in _SIF]))
# Official ILACS columns (2025 file) -> area keys.
ILACS_COLS = [(None, "Overall effectiveness"), ("leaders", "The impact of leaders on social work practice with children and families"),
              ("help-protection", "The experiences and progress of children who need help and protection"),
              ("in-care", "The experiences and progress of children in care"), ("care-leavers", "The experiences and progress of care leavers")]
SCRAPE_COLS = [(None, "overall_effectiveness_grade"), ("leaders", "impact_of_leaders_grade"), ("help-protection", "help_and_protection_grade"),
               ("in-care", "in_care_grade"), ("care-leavers", "care_leavers_grade")]
VISITS = {"ILACS Focused Visit": "focused-visit", "LA Monitoring visit": "monitoring-visit"}


def ods_sheets(path: Path, names: set[str]) -> dict[str, list[list[str]]]:
    """The named sheets of an OpenDocument spreadsheet as rows of cell values (dates as ISO text), streamed."""
    out: dict[str, list[list[str]]] = {}
    with zipfile.ZipFile(path) as z, z.open("content.xml") as f:
        for _, el in ET.iterparse(f, events=("end",)):
            if el.tag != f"{{{_T}}}table":
                continue
            if el.get(f"{{{_T}}}name") in names:
                rows = []
                for r in el.iter(f"{{{_T}}}table-row"):
                    cells: list[str] = []
                    for c in r:
                        v = (c.get(f"{{{_O}}}date-value") or c.get(f"{{{_O}}}value")
                             or "\n".join("".join(p.itertext()) for p in c.iter(f"{{{_X}}}p")))
                        cells += [v.strip()] * min(int(c.get(f"{{{_T}}}number-columns-repeated", "1")), 64)
                    while cells and not cells[-1]:
                        cells.pop()
                    if cells:
                        rows.append(cells)
                out[el.get(f"{{{_T}}}name")] = rows
            el.clear()
    return out


def _table(rows: list[list[str]], header_row: int) -> list[dict[str, str]]:
    head = rows[header_row]
    return [dict(zip(head, r + [""] * (len(head) - len(r)))) for r in rows[header_row + 1:] if len(r) > 2 and r[1]]


def _grade(text: str) -> str | None:
    key = re.sub(r"\s+", " ", (text or "").strip().lower())
    return GRADES.get(key)


def gss_at(gss: str, on: str | None) -> str:
    """The code of the council that held children's services on the date, from a council's current code (README quirks)."""
    g, day = gazetteer(), _day(on)
    if gss not in g or not day:
        return gss
    c = g[gss]
    if _day(c["start"]) and day < _day(c["start"]):
        before = [k for k, v in g.items() if gss in v["replaced_by"] and v["base_type"] in CSC_TYPES]
        if len(before) == 1:
            return before[0]
    if _day(c["end"]) and day > _day(c["end"]) and len(c["replaced_by"]) == 1:
        return c["replaced_by"][0]
    return gss


def _dmy(text: str) -> str | None:
    m = re.fullmatch(r"(\d\d)/(\d\d)/(\d\d(?:\d\d)?)", (text or "").strip())
    if not m:
        return None
    y = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
    try:
        return date(y, int(m[2]), int(m[1])).isoformat()
    except ValueError:
        return None


def _near(a: str | None, b: str | None, days: int) -> bool:
    return bool(a and b) and abs((date.fromisoformat(a) - date.fromisoformat(b)).days) <= days


def build(src: Path) -> list[dict]:
    """One row per inspection or visit: official statistics first, the scrape adding end dates, links and later reports."""
    lookup = {r["urn"].strip(): r for r in csv.DictReader(open(src / LOOKUP, newline="", encoding="utf-8-sig"))}
    for r in lookup.values():  # codes the gazetteer does not hold yet (Barnsley's and Sheffield's of 2024): the council by name
        code = r["la_code_new"].strip()
        r["gss"] = code if code in gazetteer() else (resolve(r["local_authority_ons_name"]) or {}).get("gss", code)
    urn_of = {r["gss"]: u for u, r in lookup.items()}
    scraped: dict[str, list[dict]] = {}
    for r in csv.DictReader(open(src / SCRAPE, newline="", encoding="utf-8")):
        r["start"], r["end"], r["published"] = _dmy(r["inspection_start_date"]), _dmy(r["inspection_end_date"]), _dmy(r["publication_date"])
        if r["published"]:
            scraped.setdefault(r["urn"].strip(), []).append(r)
    used: set[int] = set()

    def urn_for(gss: str) -> str:
        """Ofsted's URN of the council, or of the council that replaced it (the lookup knows current codes only)."""
        return urn_of.get(gss) or next((urn_of[g] for g in gazetteer().get(gss, {}).get("replaced_by", []) if g in urn_of), "")

    def report(gss: str, start: str | None, published: str | None) -> dict:
        """The scraped report of this inspection: same council, same start date (or publication within three days)."""
        for r in scraped.get(urn_for(gss), []):
            if id(r) not in used and ((start and r["start"] == start) or (not r["start"] and _near(r["published"], published, 3))
                                      or (not start and _near(r["published"], published, 3))):
                used.add(id(r))
                return r
        return {}

    rows: list[dict] = []

    def add(gss, name, kind, framework, start, published, grades, source, theme="", rep=None):
        rep = rep or (report(gss, start, published) if kind in ("ilacs", "sif", "slac", "cpi", "tlac") else {})
        start = start or rep.get("start")
        day = start or published
        code = gss_at(gss, day)
        la = lookup.get(urn_for(gss), {}).get("la_code", "").strip()
        rows.append({
            "id": f"ofsted-{kind}-{code}-{day}", "gss": code, "council": gazetteer().get(code, {}).get("name", name),
            "inspectorate": "Ofsted", "type": kind, "framework": framework, "start": start or "", "end": rep.get("end") or "",
            "published": published or "", "url": rep.get("inspection_link", "").strip()
            or (f"https://reports.ofsted.gov.uk/provider/44/{la}" if la else ""),
            "judgements": "|".join(f"{a or 'overall'}={g}" for a, g in grades if g), "theme": theme, "source": source})

    official = ods_sheets(src / OFFICIAL, {"ILACS_inspection_history", "In-year_inspections"})
    seen = set()
    for r in _table(official["ILACS_inspection_history"], 2):
        start, pub = r["Inspection date"][:10], r["Publication date"][:10]
        seen.add((r["Local authority area code"], start))
        add(r["Local authority area code"], r["Local authority name"], "ilacs", r["Inspection type"].split()[-2].lower(), start, pub,
            [(a, _grade(r.get(c, ""))) for a, c in ILACS_COLS], "ofsted-official-2025")
    for r in _table(official["In-year_inspections"], 2):
        kind = VISITS.get(r["Inspection/Visit type"])
        if kind and (r["Local authority area code"], r["Inspection/Visit date"][:10]) not in seen:
            add(r["Local authority area code"], r["Local authority name"], kind, "", r["Inspection/Visit date"][:10],
                r["Publication date"][:10], [], "ofsted-official-2025", r.get("Visit Theme", ""))
    history = ods_sheets(src / HISTORY, {"LA_inspections_2009-2023"})["LA_inspections_2009-2023"]
    for r in _table(history, 4):
        if r["Web link"] != "Ofsted Local Authority Webpage" and not r.get("Local authority name"):
            continue
        for kind, col, areas in OLDER:
            pub = r.get(col, "")[:10]
            if not re.fullmatch(r"\d{4}-\d\d-\d\d", pub):
                continue
            name = r["Local authority name"].replace("&", "and")
            c = resolve(name, on=pub) or resolve(name.removesuffix(" Borough"), on=pub)
            if not c:
                print(f"{HISTORY}: no council for {r['Local authority name']!r}", file=sys.stderr)
                continue
            add(c["gss"], r["Local authority name"], kind, "", "", pub, [(a, _grade(r.get(x, ""))) for a, x in areas], "ofsted-official-2023")
    for urn, reps in scraped.items():  # reports the statistics do not list yet (after March 2025)
        gss = lookup.get(urn, {}).get("gss", "")
        for r in reps:
            if id(r) in used or not r["start"] or r["start"] < "2018-01-01" or not gss or (gss, r["start"]) in seen:
                continue
            used.add(id(r))
            grades = [(a, _grade(r[c].replace("requires improvement", "requires improvement to be good"))) for a, c in SCRAPE_COLS]
            add(gss, r["local_authority"], "ilacs", r["inspection_framework"] if r["inspection_framework"] in ("short", "standard") else "",
                r["start"], r["published"], grades, "jt39-scrape", rep=r)
    rows.sort(key=lambda r: (r["gss"], r["start"] or r["published"], r["type"]))
    ids = {}
    for r in rows:  # the same start date twice (a re-inspection of one half of SLAC) keeps both, told apart
        ids[r["id"]] = ids.get(r["id"], 0) + 1
        if ids[r["id"]] > 1:
            r["id"] += f"-{ids[r['id']]}"
    return rows


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        sys.exit("usage: python -m councilkg.graph.ofsted_build DIR (the files of ../shared/data/ofsted)")
    rows = build(Path(argv[0]))
    fd, tmp = tempfile.mkstemp(dir=DATA.parent, suffix=".csv")
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    os.replace(tmp, DATA)
    kinds = {}
    for r in rows:
        kinds[r["type"]] = kinds.get(r["type"], 0) + 1
    print(f"{DATA}: {len(rows)} inspections of {len({r['gss'] for r in rows})} councils ({kinds})")


if __name__ == "__main__":
    main(sys.argv[1:])
