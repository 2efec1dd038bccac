"""The Sources page and /api/sources: each harvested site's coverage, so a gap in the minutes is never silent."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template

from councilkg.corpus.ledger import all_ledgers, load_sweep
from councilkg.graph import store
from councilkg.web.services import db

bp = Blueprint("sources", __name__)


def sources() -> list[dict]:
    """Every site's ledger summary, with its awaited meetings' dates and whether its council is in the graph."""
    held = {r[0] for r in db().execute("SELECT DISTINCT council_id FROM meetings WHERE council_id IS NOT NULL")}
    out = []
    for led in all_ledgers(current_app.config["DATA_DIR"]):
        s = led.summary()
        s["awaited"] = [{"meeting": mid, "date": led.meetings[mid].date, "committee": led.meetings[mid].committee,
                         "url": f"{led.base_url}/ieListDocuments.aspx?MId={mid}"} for mid in s["minutes_awaited"]]
        for f in s["failures"]:
            f["url"] = f"{led.base_url}/ieListDocuments.aspx?MId={f['meeting']}" if f["meeting"] != "-" else ""
        s["council_in_graph"] = s["gss_code"] in held
        out.append(s)
    return out


def sweep() -> dict | None:
    """The last many-site harvest (`harvest --all` or `--sites-file`): sites done, pending, failing and why."""
    found = load_sweep(current_app.config["DATA_DIR"])
    return found.summary() if found else None


@bp.get("/sources")
def page():
    return render_template("sources.html", sources=sources(), sweep=sweep(), counts=store.counts(db()))


@bp.get("/api/sources")
def api():
    return jsonify({"sources": sources(), "sweep": sweep()})
