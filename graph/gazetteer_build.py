"""Rebuild graph/data/councils.csv from mySociety's UK local authority register (CC BY 4.0), keeping our hand-added forms.

Run as `python -m councilkg.graph.gazetteer_build PATH/uk_local_authorities.csv`; never imported at run time.
"""

from __future__ import annotations

import csv
import os
import re
import sys
import tempfile
from pathlib import Path

from councilkg.graph.councils import DATA, _norm

COLUMNS = ("gss", "name", "type", "region", "variants", "domains", "code", "start", "end", "replaced_by", "former_gss", "county")
# mySociety's local-authority-type -> our type; combined authorities and the GLA are not principal councils.
TYPES = {"CTY": "county", "UA": "unitary", "MD": "metropolitan", "LBO": "london", "CC": "london", "NMD": "district",
         "WPA": "welsh", "SCO": "scottish", "NID": "ni"}
_GARBLED = re.compile(r"[^\x20-\x7e’âêîôûŵŷäëïöüÿáéíóúàèìòù]")


def _split_alt(field: str) -> list[str]:
    """mySociety separates alternative names by a bare comma; a comma and a space belongs inside a name."""
    return [a.strip() for a in re.split(r",(?! )", field) if a.strip()]


def _alt_names(row: dict) -> list[str]:
    """The register's other names of one council, without mis-encoded ones and without fragments of a comma'd name."""
    alts = [row["nice-name"], row["official-name"], *_split_alt(row["alt-names"])]
    parts = {_norm(p) for a in alts if ", " in a for p in a.split(", ")}
    keep = []
    for a in alts:
        a = re.sub(r"\s+", " ", a).strip()
        if len(a) < 4 or _GARBLED.search(a) or (_norm(a) in parts and _norm(a) != _norm(row["nice-name"])):
            continue
        keep.append(a)
    return keep


def _dedupe(forms: list[str], name: str) -> list[str]:
    """Forms in first-seen order, one spelling per normalised form, the name itself left out; capitals preferred."""
    out: dict[str, str] = {}
    for f in forms:
        k = _norm(f)
        if k and k != _norm(name) and (k not in out or (out[k][:1].islower() and f[:1].isupper())):
            out[k] = f
    return list(out.values())


def build(source: Path, current: Path = DATA) -> list[dict]:
    """Rows of the new councils.csv: every principal council with a GSS code, current or abolished, merged with ours."""
    ours = {r["gss"]: r for r in csv.DictReader(open(current, newline="", encoding="utf-8"))} if current.exists() else {}
    reg = [r for r in csv.DictReader(open(source, newline="", encoding="utf-8-sig"))]
    gss_of = {r["local-authority-code"]: r["gss-code"] for r in reg if r["gss-code"]}
    rows = []
    for r in reg:
        kind, gss = TYPES.get(r["local-authority-type"]), r["gss-code"].strip()
        if not kind or not gss:  # combined authorities; the 26 Northern Irish councils of before 2015 had no GSS code
            continue
        mine = ours.pop(gss, {})
        name = re.sub(r"\s+", " ", mine.get("name") or r["official-name"]).strip()
        given = [v for v in mine.get("variants", "").split("|") if v.strip()]
        slug = r["gov-uk-slug"].strip().lower()
        domains = [d for d in mine.get("domains", "").split("|") if d.strip()]
        domains += [slug.replace("-", ""), slug] if slug else []
        rows.append({
            "gss": gss, "name": name, "type": kind, "region": mine.get("region") or r["region"],
            "variants": "|".join(_dedupe([*given, *_alt_names(r)], name)),
            "domains": "|".join(dict.fromkeys(domains)), "code": r["local-authority-code"],
            "start": r["start-date"], "end": r["end-date"],
            "replaced_by": "|".join(gss_of[c] for c in r["replaced-by"].split(",") if c in gss_of),
            "former_gss": "|".join(c.strip() for c in r["former-gss-codes"].split(",") if c.strip()),
            "county": gss_of.get(r["county-la"], ""),
        })
    region = {r["gss"]: r["region"] for r in rows}
    for r in rows:  # the register leaves some abolished councils' region blank: their successor's or county's
        r["region"] = r["region"] or next((region[g] for g in [*r["replaced_by"].split("|"), r["county"]] if region.get(g)), "")
    if ours:
        raise SystemExit(f"{source}: no row for councils we hold: {', '.join(sorted(ours))}")
    return sorted(rows, key=lambda x: (x["gss"][:3], x["gss"]))


def write(rows: list[dict], dest: Path = DATA) -> None:
    """Write the CSV atomically, so a failed build never leaves half a gazetteer."""
    fd, tmp = tempfile.mkstemp(dir=dest.parent, suffix=".csv")
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    os.replace(tmp, dest)


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        raise SystemExit("usage: python -m councilkg.graph.gazetteer_build PATH/uk_local_authorities.csv")
    rows = build(Path(argv[0]))
    write(rows)
    print(f"{DATA}: {len(rows)} councils, {sum(1 for r in rows if not r['end'])} current")


if __name__ == "__main__":
    main(sys.argv[1:])
