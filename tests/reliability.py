"""Shared by the reliability tests: comparable views of a data directory ("exactly as before") and input files made on purpose."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "corpus" / "sample"

# Fixed questions whose answers must not move when nothing was (completely) ingested.
QUERIES = (
    "social worker recruitment and retention",
    "Ofsted inspection judged inadequate",
    "improvement plan progress report",
)
# Filters of every kind over the sample corpus, for the tests that compare two ways of answering the same search.
FILTERS = [
    {}, {"council": "Herefordshire"}, {"council": "E09000014"}, {"council": "Lincolnshire County Council"},
    {"exclude_council": ("Herefordshire Council",)}, {"theme": "workforce-recruitment"}, {"committee": "young people"},
    {"since": "2019"}, {"until": "2019-11"}, {"since": "2015-06-05", "until": "2020"}, {"grade": "inadequate"},
]
# Columns that record when, not what: left out when two independent ingests are compared.
VOLATILE = {"documents": {"ingested_at"}, "failures": {"at"}}


def cli(*args: str):
    """The real `councilkg` command, in this process (the encoder stays loaded between calls)."""
    from councilkg.web.cli import main

    return CliRunner().invoke(main, list(args), catch_exceptions=True)


def stats(data_dir: Path) -> dict:
    """`councilkg stats --json`, without the failure timestamps."""
    res = cli("stats", "--json", "--data", str(data_dir))
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    out["failed"] = [{k: v for k, v in f.items() if k != "at"} for f in out["failed"]]
    return out


def rows(data_dir: Path, volatile: bool = True) -> dict[str, list[tuple]]:
    """Every row of every table, sorted; `volatile=False` drops the timestamp columns."""
    con = sqlite3.connect(f"file:{Path(data_dir) / 'councilkg.sqlite'}?mode=ro", uri=True)
    try:
        out = {}
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        for t in tables:
            cols = [c[1] for c in con.execute(f"PRAGMA table_info({t})") if volatile or c[1] not in VOLATILE.get(t, ())]
            out[t] = sorted(con.execute(f"SELECT {', '.join(cols)} FROM {t}").fetchall(), key=repr)
        return out
    finally:
        con.close()


def answers(data_dir: Path) -> list[list[tuple[str, float]]]:
    """The fixed queries' hits (id, score to 4 places) from a fresh Searcher, as a serving process would load it."""
    from councilkg.embed.search import Searcher

    s = Searcher(data_dir)
    try:
        return [[(h["id"], round(h["score"], 4)) for h in s.search(q, k=5, with_facets=False)["hits"]] for q in QUERIES]
    finally:
        s._encode_pool.shutdown(wait=False)


def snapshot(data_dir: Path, volatile: bool = True) -> dict:
    """Stats, generation, all rows and the fixed answers: what "the data directory answers" means in these tests."""
    st = stats(data_dir)
    return {"stats": st, "generation": st["generation"], "rows": rows(data_dir, volatile), "answers": answers(data_dir)}


def digest(snap: dict) -> str:
    return hashlib.sha256(json.dumps(snap, sort_keys=True, default=repr).encode()).hexdigest()[:16]


def copy_data(src: Path, dest: Path) -> Path:
    """A private copy of an ingested data directory (cheaper than embedding again); the lock file is left behind."""
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".ingest.lock"))
    return dest


def seed_variant(seed: str, dest: Path, tag: str) -> Path:
    """A real seed file reworded by `tag`, so its points need new embeddings but it still reads as minutes."""
    src = next(SAMPLE.glob(f"{seed}_*.txt"))
    text = src.read_text(encoding="utf-8")
    text = text.replace(" the ", f" the {tag} ", 6).replace("Council", f"Council ({tag})", 1)
    dest.write_text(text, encoding="utf-8")
    return dest


def _pdf_string(line: str) -> bytes:
    return b"(" + line.encode("latin-1", "replace").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def make_pdf(lines: list[str] | None, *, drawing: bytes = b"", user_password: str | None = None) -> bytes:
    """A real one-page PDF written with pypdf: Helvetica text lines (a text layer), or only `drawing` operators when None."""
    import io

    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    w = PdfWriter()
    page = w.add_blank_page(612, 792)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject({NameObject("/F1"): w._add_object(font)})})
    ops = drawing
    if lines:
        ops += b"BT /F1 10 Tf 14 TL 50 760 Td " + b" ".join(_pdf_string(x) + b" Tj T*" for x in lines) + b" ET"
    content = DecodedStreamObject()
    content.set_data(ops)
    page[NameObject("/Contents")] = w._add_object(content)
    if user_password is not None:
        w.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="RC4-128")
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def minutes_lines(seed: str, tag: str, width: int = 90) -> list[str]:
    """A seed's text, reworded by `tag` and wrapped for a PDF page."""
    import textwrap

    text = next(SAMPLE.glob(f"{seed}_*.txt")).read_text(encoding="utf-8").replace(" the ", f" the {tag} ", 6)
    out: list[str] = []
    for para in text.split("\n"):
        out += textwrap.wrap(para, width) or [""]
    return out[:60]


class Server:
    """A real serving process: `councilkg.web.serve.serve` (the app on waitress) on a free loopback port."""

    CODE = ("import sys; from councilkg.web.serve import serve; "
            "serve(sys.argv[1], port=0, threads=int(sys.argv[2]), ready=lambda s: print('PORT', s.effective_port, flush=True))")

    def __init__(self, data_dir: Path, log: Path, threads: int = 8, timeout: float = 300):
        import os
        import select
        import subprocess
        import sys
        import time

        self.log = open(log, "w")
        env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
        self.proc = subprocess.Popen([sys.executable, "-c", self.CODE, str(data_dir), str(threads)], stdout=subprocess.PIPE,
                                     stderr=self.log, stdin=subprocess.DEVNULL, text=True, env=env)
        deadline = time.monotonic() + timeout
        line = ""
        while time.monotonic() < deadline and self.proc.poll() is None:
            if select.select([self.proc.stdout], [], [], 1.0)[0]:
                line = self.proc.stdout.readline()
                break
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"server did not start: {Path(log).read_text()[-2000:]}")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"

    def get(self, path: str, timeout: float = 60) -> tuple[int, bytes]:
        """(status, body) of one GET; HTTP errors are answers too."""
        import urllib.error
        import urllib.request

        try:
            with urllib.request.urlopen(self.url + path, timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def rss_kb(self) -> int:
        """Resident memory of the serving process, from /proc."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except Exception:  # noqa: BLE001 - a server that ignores SIGTERM is killed
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def push_kill_trials(data_for, fractions, code: str, *args: str):
    """A push in a child process (`code`, printing 'ready' first) on data_for(n) once to the end, timed, then SIGKILLed
    at each fraction of that time on a fresh data_for(n); yields (n, seconds, whether it was still running, data)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    took = None
    for n, f in enumerate((None, *fractions)):
        data = data_for(n)
        proc = subprocess.Popen([sys.executable, "-c", code, str(data), *args], stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        t0 = time.monotonic()
        if f is None:
            assert proc.wait(timeout=300) == 0
            took = time.monotonic() - t0
            continue
        time.sleep(f * took)
        alive = proc.poll() is None
        if alive:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        yield n, round(f * took, 2), alive, data
