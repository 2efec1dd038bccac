"""Bad input of every kind we could think of: one error line each, the rest of the batch ingested, nothing already held changed."""

from __future__ import annotations

import gzip
import os
import random
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
from councilkg.corpus.model import shown_path
from conftest import COUNCILKG, SHARED
from reliability import SAMPLE, cli, copy_data, make_pdf, minutes_lines, rows, seed_variant, snapshot, stats

MINUTES = "The committee noted that social worker recruitment had improved.\nRESOLVED: that the report be noted.\n"


def _rand(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


def _write(d: Path, name: str, data: bytes | str) -> Path:
    p = d / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return p


def _link(d: Path, name: str, target: str) -> Path:
    p = d / name
    os.symlink(target, p)
    return p


def _dup_in_batch(d: Path):
    a = seed_variant("001", d / "a_first.txt", "dupe")
    b = d / "b_second.txt"
    shutil.copyfile(a, b)
    return [d], [(b, "duplicate of")], 1


def _symlink_loop(d: Path):
    (d / "sub").mkdir()
    return [d], [(_link(d / "sub", "again", ".."), "symbolic link loop")], 0


def _fifo(d: Path):
    """A named pipe wearing .txt: reading it would block forever."""
    os.mkfifo(d / "pipe.txt")
    return [d / "pipe.txt"], [(d / "pipe.txt", "")], 0


def _manifest(d: Path, csv: str, files: dict[str, str] | None = None) -> Path:
    folder = d / "folder"
    _write(folder, "manifest.csv", csv)
    for name, text in (files or {}).items():
        _write(folder, name, text)
    return folder


@dataclass
class Case:
    """One kind of input: `make(dir)` writes it and returns (paths to pass, [(path named, reason fragment)], documents added)."""

    make: Callable[[Path], tuple[list[Path], list[tuple[Path, str]], int]]
    args: tuple[str, ...] = ()


def bad(name: str, data: Callable[[], bytes | str], reason: str) -> Case:
    """A single bad file passed by name."""

    def make(d: Path):
        p = _write(d, name, data())
        return [p], [(p, reason)], 0

    return Case(make)


def good(name: str, data: Callable[[], bytes | str]) -> Case:
    """A file that looks odd but is real minutes: it must be ingested, with no error line."""

    def make(d: Path):
        return [_write(d, name, data())], [], 1

    return Case(make)


def _seed(seed: str, tag: str) -> str:
    return "\n".join(minutes_lines(seed, tag)) + "\n"


RECT = b"0.2 0.4 0.8 rg 100 100 300 400 re f 0 0 0 RG 4 w 80 80 340 440 re S"
IMAGE = b"q 200 0 0 200 150 400 cm BI /W 4 /H 4 /CS /G /BPC 8 ID " + bytes(range(0, 256, 16)) + b" EI Q"

CASES: dict[str, Case] = {
    # empty and nearly empty
    "zero-byte-txt": bad("zero.txt", lambda: b"", "empty file"),
    "zero-byte-md": bad("zero.md", lambda: b"", "empty file"),
    "whitespace-only": bad("blank.txt", lambda: "\n  \n\t\n\r\n", "empty file"),
    "header-only": bad("header.txt", lambda: "council: Kent County Council\ndate: 2024-12-19\n---\n\n", "no text after the header"),
    # PDFs
    "zero-byte-pdf": bad("zero.pdf", lambda: b"", "empty file"),
    "truncated-pdf": bad("truncated.pdf", lambda: make_pdf(minutes_lines("000", "trunc"))[:900], "truncated or corrupt PDF"),
    "corrupt-pdf-body": bad("corrupt.pdf", lambda: b"%PDF-1.7\n" + _rand(3000, 1) + b"\n%%EOF\n", "corrupt PDF"),
    "encrypted-pdf": bad("locked.pdf", lambda: make_pdf(minutes_lines("000", "lock"), user_password="s3cret"), "encrypted PDF (password required)"),
    "pdf-no-text-drawing": bad("drawing.pdf", lambda: make_pdf(None, drawing=RECT), "no text layer"),
    "pdf-no-text-image": bad("scan.pdf", lambda: make_pdf(None, drawing=IMAGE), "no text layer"),
    "html-named-pdf": bad("page.pdf", lambda: "<html><body><p>" + MINUTES + "</p></body></html>", "not a PDF"),
    # binary wearing a text extension
    "random-bytes-txt": bad("noise.txt", lambda: _rand(8192, 2), "binary data"),
    "png-named-html": bad("image.html", lambda: b"\x89PNG\r\n\x1a\n" + _rand(4000, 3), "binary data"),
    "gzip-named-md": bad("notes.md", lambda: gzip.compress(MINUTES.encode() * 50), "binary data"),
    "nul-bytes": bad("nul.txt", lambda: MINUTES.encode() + b"\x00\x00" + MINUTES.encode(), "NUL bytes"),
    "utf16-text": bad("utf16.txt", lambda: MINUTES.encode("utf-16"), "binary data"),
    "control-characters": bad("ctrl.txt", lambda: bytes(range(1, 9)) * 400 + MINUTES.encode(), "non-text"),
    # HTML
    "html-without-text": bad("empty.html", lambda: "<html><head><script>var a = 1;</script><style>p{}</style></head><body><div></div>", "no text"),
    "html-only-broken-tags": bad("tags.htm", lambda: "<html><body><div><table><tr><td></td></tr><", "no text"),
    # metadata
    "header-impossible-date": bad("feb30.txt", lambda: "date: 2021-02-30\n---\n" + _seed("002", "feb"), "date '2021-02-30' is not a valid date"),
    "header-month-13": bad("month13.txt", lambda: "date: 2021-13-01\n---\n" + _seed("002", "m13"), "not a valid date"),
    "header-date-not-iso": bad("uk-date.txt", lambda: "date: 25/11/2019\n---\n" + _seed("002", "ukd"), "expected YYYY-MM-DD"),
    "manifest-missing-file": Case(lambda d: ([f := _manifest(d, "file,council\nghost.txt,Kent County Council\n")],
                                             [(f / "manifest.csv", "manifest names missing file 'ghost.txt'")], 0)),
    "manifest-no-file-column": Case(lambda d: ([f := _manifest(d, "name,council\nx.txt,Kent\n")],
                                               [(f / "manifest.csv", "no 'file' column")], 0)),
    "manifest-binary": Case(lambda d: ([f := _manifest(d, _rand(2000, 4).replace(b"\x00", b"."))], [(f / "manifest.csv", "manifest")], 0)),
    "manifest-impossible-date": Case(lambda d: ([f := _manifest(d, "file,date\nm.txt,2019-02-29\n", {"m.txt": _seed("003", "mdate")})],
                                                [(f / "m.txt", "date '2019-02-29' is not a valid date")], 0)),
    # the same file twice
    "duplicate-of-ingested": Case(lambda d: ([p := _write(d, "copy.txt", next(SAMPLE.glob("000_*.txt")).read_bytes())],
                                             [(p, "duplicate of")], 0)),
    "duplicate-in-batch": Case(_dup_in_batch),
    # paths that are not files
    "missing-path": Case(lambda d: ([d / "nowhere.txt"], [(d / "nowhere.txt", "no such file or folder")], 0)),
    "unsupported-extension": bad("minutes.docx", lambda: MINUTES, "unsupported file type"),
    "broken-symlink": Case(lambda d: ([d], [(_link(d, "gone.txt", str(d / "missing.txt")), "broken symbolic link")], 0)),
    "symlink-to-itself": Case(lambda d: ([p := _link(d, "self.txt", str(d / "self.txt"))], [(p, "symbolic link")], 0)),
    "symlink-loop": Case(_symlink_loop),
    "fifo": Case(_fifo),
    # size limit
    "past-max-bytes": Case(lambda d: ([p := _write(d, "big.txt", _seed("004", "big") * 40)], [(p, "file too large")], 0),
                           args=("--max-bytes", "20000")),
    # odd but real: these must be ingested, not refused
    "cp1252-text": good("cp1252.txt", lambda: ("Cost £5m – the council’s “plan” was agreed.\n" + _seed("001", "cp")).encode("cp1252", "replace")),
    "utf8-bom-crlf": good("bom.txt", lambda: b"\xef\xbb\xbf" + _seed("003", "bom").replace("\n", "\r\n").encode()),
    "mixed-utf8-and-cp1252": good("mixed.txt", lambda: "Members noted the ‘plan’.\n".encode() + "Cost £5m – agreed.\n".encode("cp1252") + _seed("004", "mix").encode()),
    "broken-html-with-text": good("broken.html", lambda: "<html><body><div><p>" + _seed("002", "html").replace("\n", "<p>") + "<table><tr><td>RESOLVED: noted"),
    "pdf-with-text-layer": good("minutes.pdf", lambda: make_pdf(minutes_lines("003", "pdfok"))),
    "pdf-encrypted-empty-password": good("open.pdf", lambda: make_pdf(minutes_lines("002", "pdfopen"), user_password="")),
}

BUGS: dict[str, str] = {}  # kinds found failing by these tests and not yet fixed (xfail, strict)
CASES["non-utf8-file-name"] = bad(os.fsdecode(b"caf\xe9.txt"), lambda: b"", "empty file")
CASES["newline-in-file-name"] = bad("two\nlines.txt", lambda: b"", "empty file")
CASES["mixed-encoding-with-rdquo"] = good("rdquo.txt", lambda: "Members noted the “plan”.\n".encode() + "Cost £5m.\n".encode("cp1252") + _seed("000", "rdq").encode())


@pytest.fixture(scope="module")
def world(sample_data, tmp_path_factory):
    """The sample corpus ingested once (conftest), one good new file, and the reference: sample + that file alone."""
    root = tmp_path_factory.mktemp("bad-input")
    (root / "good").mkdir()
    good_file = seed_variant("004", root / "good" / "good_004.txt", "fresh")
    ref = copy_data(sample_data, root / "reference")
    res = cli("ingest", str(good_file), "--data", str(ref))
    assert res.exit_code == 0, res.output
    return {"base": sample_data, "good": good_file, "before": rows(sample_data), "ref": snapshot(ref, volatile=False),
            "ref_docs": stats(ref)["documents"]}


def _params() -> list:
    return [pytest.param(name, id=name, marks=[pytest.mark.xfail(strict=True, reason=BUGS[name])] if name in BUGS else [])
            for name in CASES]


def _unchanged(before: dict, after: dict) -> None:
    """Every row held before the batch is still there, byte for byte (timestamps included)."""
    for table, old in before.items():
        if table in ("failures", "state"):
            continue
        missing = set(old) - set(after[table])
        assert not missing, f"{table}: {len(missing)} rows changed or lost, e.g. {sorted(missing, key=repr)[0]!r}"[:400]


@pytest.mark.parametrize("name", _params())
def test_bad_input(name, world, tmp_path):
    case = CASES[name]
    data = copy_data(world["base"], tmp_path / "data")
    inputs = tmp_path / "in"
    inputs.mkdir()
    paths, errors, added = case.make(inputs)
    res = cli("ingest", *map(str, paths), str(world["good"]), "--data", str(data), *case.args)

    assert "Traceback" not in res.output and (res.exception is None or isinstance(res.exception, SystemExit)), res.output
    lines = res.stderr.splitlines()
    assert len(lines) == len(errors), res.stderr
    for line, (path, reason) in zip(lines, errors):
        assert line.startswith(f"error: {shown_path(path)}: "), line  # odd bytes and control characters escaped
        assert reason.lower() in line.lower(), line
    assert res.exit_code == (1 if errors else 0), res.output

    _unchanged(world["before"], rows(data))
    after = snapshot(data, volatile=False)
    if not errors:  # odd but real files are ingested beside the good one
        assert after["stats"]["documents"] == world["ref_docs"] + added
        return
    assert [f["file"] for f in after["stats"]["failed"]] == sorted(shown_path(p) for p, _ in errors)
    ref = world["ref"]
    if added == 0:  # the batch's only good file landed exactly as it does alone
        for key in ("stats", "rows"):
            a, b = dict(after[key]), dict(ref[key])
            a.pop("failed" if key == "stats" else "failures"), b.pop("failed" if key == "stats" else "failures")
            assert a == b, key
        assert after["answers"] == ref["answers"]
    else:
        assert after["stats"]["documents"] == world["ref_docs"] + added


def test_all_bad_at_once_changes_nothing(world, tmp_path):
    """Every failing kind in one batch with no good file: one line each, exit 1, and the data directory answers exactly as before."""
    data = copy_data(world["base"], tmp_path / "data")
    before = snapshot(data)
    args, named = [], []
    for name, case in CASES.items():
        if name in BUGS or case.args:
            continue
        paths, errors, added = case.make(Path(tempfile.mkdtemp(dir=tmp_path, prefix=name + "-")))
        if errors and not added:
            args += map(str, paths)
            named += [shown_path(p) for p, _ in errors]
    res = cli("ingest", *args, "--data", str(data))
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert sorted(line.split(": ")[1] for line in res.stderr.splitlines()) == sorted(named)
    after = snapshot(data)
    assert len(named) >= 28
    assert sorted(f["file"] for f in after["stats"]["failed"]) == sorted(named)
    for snap in (before, after):
        snap["stats"].pop("failed"), snap["rows"].pop("failures")
    assert after == before


@pytest.fixture
def nobody_dir():
    """A folder the unprivileged user may write (pytest's tmp_path is root-only)."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root to drop to nobody (as any other user chmod 000 is tested directly)")
    d = Path(tempfile.mkdtemp(prefix="councilkg-nobody-"))
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _as_nobody(world, d: Path, *given: Path) -> tuple[subprocess.CompletedProcess, Path, dict]:
    """The real CLI run as `nobody` on a private copy of the sample data, with the good file last in the batch."""
    data = copy_data(world["base"], d / "data")
    subprocess.run(["chown", "-R", "nobody:nogroup", str(d)], check=True)
    before = rows(data)
    env = dict(os.environ, HOME=str(d), HF_HUB_OFFLINE="1")
    good_copy = shutil.copy(world["good"], d / "good_004.txt")
    proc = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", str(COUNCILKG), "ingest",
                           *map(str, given), good_copy, "--data", str(data)],
                          capture_output=True, text=True, env=env, timeout=300)
    return proc, data, before


def _locked(d: Path) -> tuple[Path, Path]:
    locked = _write(d / "in", "locked.txt", _seed("001", "locked"))
    closed = d / "in" / "closed"
    _write(closed, "inside.txt", _seed("002", "inside"))
    return locked, closed


def test_unreadable_paths_in_a_folder(world, nobody_dir):
    """chmod 000 stops anyone but root (root reads it anyway: CAP_DAC_OVERRIDE), so the real CLI runs as `nobody`."""
    locked, closed = _locked(nobody_dir)
    locked.chmod(0o000)
    closed.chmod(0o000)
    proc, data, before = _as_nobody(world, nobody_dir, nobody_dir / "in")
    lines = proc.stderr.splitlines()
    assert proc.returncode == 1, proc.stderr
    assert sorted(line.split(": ")[1] for line in lines) == sorted([str(locked), str(closed)]), proc.stderr
    assert all("permission denied" in line.lower() for line in lines), proc.stderr
    _unchanged(before, rows(data))
    assert stats(data)["documents"] == world["ref_docs"]


def test_unreadable_file_named_on_the_command_line(world, nobody_dir):
    locked, _ = _locked(nobody_dir)
    locked.chmod(0o000)
    proc, data, before = _as_nobody(world, nobody_dir, locked)
    assert proc.returncode == 1 and proc.stderr.splitlines() == [f"error: {locked}: cannot read: permission denied"], proc.stderr
    assert stats(data)["documents"] == world["ref_docs"]


def test_five_megabyte_single_line(world, tmp_path):
    """A 5 MB file with no line break (a badly exported PDF): done, or refused in one line, within 30 s, never a hang."""
    data = copy_data(world["base"], tmp_path / "data")
    rng = random.Random(5)
    words = "the committee noted that social workers agency staff recruitment improved Ofsted council plan".split()
    line = ". ".join(" ".join(rng.choice(words) for _ in range(12)) for _ in range(60_000))[:5_000_000]
    big = _write(tmp_path / "in", "oneline.txt", line)
    t0 = time.monotonic()
    try:
        proc = subprocess.run([str(COUNCILKG), "ingest", str(big), str(world["good"]), "--data", str(data)],
                              capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"ingest of a 5 MB single line still running after {time.monotonic() - t0:.0f} s")
    assert "Traceback" not in proc.stderr
    assert proc.returncode in (0, 1) and len(proc.stderr.splitlines()) == (proc.returncode == 1)


def test_real_pdf_truncated(world, tmp_path):
    """A real Kent PDF cut short in transfer."""
    pdfs = sorted((SHARED / "data" / "kent-pdf").glob("*.pdf"))
    if not pdfs:
        pytest.skip("../shared/data/kent-pdf not available")
    data = copy_data(world["base"], tmp_path / "data")
    cut = _write(tmp_path / "in", "cut.pdf", pdfs[0].read_bytes()[: pdfs[0].stat().st_size * 2 // 3])
    res = cli("ingest", str(cut), "--data", str(data))
    assert res.exit_code == 1 and res.stderr.splitlines() == [res.stderr.strip()]
    assert res.stderr.startswith(f"error: {cut}: truncated or corrupt PDF")
    _unchanged(world["before"], rows(data))


def test_a_gpu_that_is_not_there_is_one_line_and_nothing_changes(world, tmp_path):
    """--device cuda on a machine whose torch sees no GPU: one line naming the device, exit 1, the data as before."""
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    data = copy_data(world["base"], tmp_path / "data")
    before = snapshot(data)
    res = cli("ingest", str(world["good"]), "--data", str(data), "--device", "cuda")
    assert res.exit_code == 1 and "Traceback" not in res.output, res.output
    assert res.stderr.strip().splitlines() == [res.stderr.strip()] and "'cuda'" in res.stderr and "no CUDA GPU" in res.stderr
    assert snapshot(data) == before
    res = cli("ingest", str(world["good"]), "--data", str(data), "--device", "gpu")
    assert res.exit_code == 2 and "'gpu' is not one of" in res.output
