"""The facts of an Ofsted inspection report: its inspection, with the judgement table and the recommendations."""

from __future__ import annotations

from councilkg.corpus.model import Document
from councilkg.corpus.ofsted import FORMAT
from councilkg.graph import councils as gz
from councilkg.graph.facts import CouncilDecision, Evidence, Facts, Inspection, Judgement, Recommendation

# Seq of the items the report reader hands over (corpus/ofsted.read_report): the table, then the recommendations.
TABLE_ITEM, RECS_ITEM = 0, 1


def is_report(doc: Document) -> bool:
    return doc.raw.fmt == FORMAT


def report_council(doc: Document) -> CouncilDecision:
    """The council the report names, as of the inspection: its name resolved, else the first council named in it
    ("Bradford Children and Families Trust", "Leeds City")."""
    meta = doc.meta
    on = meta.get("inspection_start") or meta.get("date")
    if meta.get("gss_code"):  # given by the user
        hit = gz.resolve(meta["gss_code"], on)
        if hit:
            return CouncilDecision(hit["gss"], hit["name"], "metadata", f"gss_code: {meta['gss_code']}")
    name = (meta.get("council") or "").strip()
    hit = gz.resolve(name, on) if name else None
    if not hit and name:
        found = gz.find_names(name, on)
        hit = gz.gazetteer()[found[0].gss] if found else None
    if hit:
        return CouncilDecision(hit["gss"], hit["name"], "text:report", name)
    return CouncilDecision(None, name or None, "unknown" if not name else "text:report", name or None)


def report_facts(doc: Document) -> Facts:
    """One inspection (type, dates, judgements) with its recommendations, each tied to the item it was read from."""
    meta = doc.meta
    table = doc.items[TABLE_ITEM].description.split("\n") if doc.items and doc.items[TABLE_ITEM].description else []
    recs = doc.items[RECS_ITEM].description.split("\n") if len(doc.items) > RECS_ITEM and doc.items[RECS_ITEM].description else []
    title = meta.get("title") or "Ofsted inspection report"
    ins = Inspection("Ofsted", meta.get("inspection_type") or "ilacs", meta.get("inspection_start"), "day", "happened",
                     Evidence(TABLE_ITEM, None, f"{title}. Inspection dates: {meta.get('inspection_start')} to {meta.get('inspection_end')}"),
                     end_date=meta.get("inspection_end"), published=meta.get("published") or None)
    for row in filter(None, table):
        area, grade = row.rsplit(": ", 1)
        ins.judgements.append(Judgement(grade, None if area == "overall effectiveness" else area, Evidence(TABLE_ITEM, None, row)))
    for n, line in enumerate(filter(None, recs)):
        text = line.removeprefix("• ")
        ins.recommendations.append(Recommendation(text, n, Evidence(RECS_ITEM, None, text)))
    # linked to Ofsted's own event where the store writes it (graph/ofsted.resolve_event with the report's two days)
    return Facts(report_council(doc), [ins])
