"""The shipped gazetteer: codes we rely on, name variants, e-mail domains and safe matching in running text."""

from __future__ import annotations

import re

import pytest

from councilkg.graph.councils import by_domain, find_names, gazetteer, resolve


@pytest.mark.parametrize("query,gss", [
    ("Herefordshire", "E06000019"), ("Herefordshire Council", "E06000019"),
    ("County of Herefordshire District Council", "E06000019"), ("E06000019", "E06000019"), ("e06000019", "E06000019"),
    ("LB Haringey", "E09000014"), ("London Borough of Haringey", "E09000014"), ("Haringey Council", "E09000014"),
    ("Lincolnshire County Council", "E10000019"), ("Kent County Council", "E10000016"),
    ("Cambridgeshire County Council", "E10000003"), ("Brighton & Hove", "E06000043"), ("North East Lincolnshire", "E06000012"),
])
def test_resolve(query, gss):
    assert resolve(query)["gss"] == gss


def test_unknown_and_ambiguous_abbreviations_do_not_resolve():
    assert resolve("Atlantis District Council") is None
    assert resolve("") is None
    assert resolve("KCC") is None


def test_every_childrens_services_authority_type_is_present():
    g = gazetteer()
    counts = {t: sum(1 for c in g.values() if c["type"] == t) for t in ("county", "unitary", "metropolitan", "london", "welsh", "scottish", "ni")}
    assert counts == {"county": 21, "unitary": 63, "metropolitan": 36, "london": 33, "welsh": 22, "scottish": 32, "ni": 11}
    prefix = {"county": "E10", "unitary": "E06", "metropolitan": "E08", "london": "E09", "welsh": "W06", "scottish": "S12", "ni": "N09"}
    for c in g.values():
        t = c["type"].split(" (")[0]
        assert c["gss"].startswith(prefix[t]) and re.fullmatch(r"[ENSW]\d{8}", c["gss"])


def test_no_name_form_points_at_two_councils():
    seen: dict[str, str] = {}
    for gss, c in gazetteer().items():
        for v in c["variants"]:
            assert seen.setdefault(v.lower(), gss) == gss, v


def test_domains():
    assert by_domain("councillors.herefordshire.gov.uk")["gss"] == "E06000019"
    assert by_domain("lincolnshire.gov.uk")["gss"] == "E10000019"
    assert by_domain("example.com") is None and by_domain("nhs.gov.uk") is None


def test_find_names_prefers_the_longest_form():
    hits = find_names("North East Lincolnshire and Lincolnshire County Council; reading the report")
    assert [(h.gss, h.full) for h in hits] == [("E06000012", False), ("E10000019", True)]


def test_the_prefiltered_name_scan_finds_exactly_what_a_scan_at_every_character_finds():
    """find_names tries its alternation only where a form's first word starts; that must never change an answer."""
    import random

    from councilkg.graph import councils

    pat, forms, _ = councils._pattern()

    def everywhere(text):
        out = []
        for m in pat.finditer(text):
            gss, full = forms.get(councils._norm(m.group(0)), (None, False))
            if m.group(0)[:1].isupper() and gss:
                out.append((gss, m.group(0), m.start(), m.end(), full))
        return out

    rng = random.Random(7)
    variants = [v for c in councils.gazetteer().values() for v in c["variants"]]
    seps = [" ", ", ", "-", ".", "'", "\n", " and ", "&", "x", "", "(", "North ", "the ", "_"]
    found = 0
    for _ in range(3000):
        parts = []
        for _ in range(rng.randint(1, 6)):
            v = rng.choice(variants)
            v = v.lower() if rng.random() < 0.2 else v.upper() if rng.random() < 0.1 else v
            parts += [v.replace(" ", rng.choice([" ", ", ", ". ", "  "])), rng.choice(seps)]
        text = "".join(parts)
        got = [(h.gss, h.text, h.start, h.end, h.full) for h in councils.find_names(text)]
        assert got == everywhere(text), text
        found += len(got)
    assert found > 3000  # the cases do contain names
