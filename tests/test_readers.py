"""Readers and discovery on real seeds and on small files made here: metadata, encodings and clear errors."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pypdf
import pytest

from councilkg.corpus.discover import discover
from councilkg.corpus.model import InputError, SourceFile
from councilkg.corpus.readers import read

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "corpus" / "sample"


def make_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with a real text layer, written by hand (Helvetica, one line per string)."""
    esc = [s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for s in lines]
    ops = " ".join(f"({s}) Tj 0 -16 Td" for s in esc)
    stream = f"BT /F1 11 Tf 50 750 Td {ops} ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


MINUTES = ["MINUTES of a meeting of the Cabinet held in the Council Chamber on Thursday, 9 January 2025.",
           "80. Provisional Local Government Finance Settlement", "(Item 5)",
           "1. Mr Shipton introduced the report on the settlement and the consultation.",
           "2. RESOLVED that Cabinet note the provisional settlement."]


def src(path: Path, **meta: str) -> SourceFile:
    return SourceFile(path=path.resolve(), given=str(path), meta=meta)


def error_of(path: Path) -> str:
    with pytest.raises(InputError) as exc:
        read(src(path))
    assert exc.value.path == str(path)
    return exc.value.reason


def test_text_header_block_is_metadata_and_not_text(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("council: Kent County Council\ndate: 2024-10-29\nSource: github:x/y\n---\nThe Panel noted the report.\n")
    raw = read(src(f))
    assert raw.fmt == "text"
    assert raw.text == "The Panel noted the report."
    assert raw.meta == {"council": "Kent County Council", "date": "2024-10-29", "source_url": "github:x/y"}
    assert len(raw.sha256) == 64


def test_yaml_style_header_and_header_beats_manifest(tmp_path):
    f = tmp_path / "b.md"
    f.write_text("---\ntitle: From the header\n---\nSome minutes text about social workers.\n")
    raw = read(src(f, title="From the manifest", committee="Cabinet"))
    assert raw.meta == {"title": "From the header", "committee": "Cabinet"}
    assert raw.text.startswith("Some minutes")


def test_text_without_header_keeps_colon_lines(tmp_path):
    f = tmp_path / "c.txt"
    f.write_text("Report to: Cabinet\nThe report was noted by members.\n")
    raw = read(src(f))
    assert raw.meta == {} and raw.text.startswith("Report to: Cabinet")


def test_cp1252_fallback(tmp_path):
    f = tmp_path / "d.txt"
    f.write_bytes("Children’s services – £5k ‘Golden Hello’".encode("cp1252"))
    assert read(src(f)).text == "Children’s services – £5k ‘Golden Hello’"


def test_moderngov_text_copy_reads_meeting_line_and_drops_chrome():
    raw = read(src(SAMPLE / "000_4b2e1a569856f92f.txt"))
    assert raw.fmt == "moderngov"
    assert raw.meta["date"] == "2019-11-25" and raw.meta["item"] == "29"
    assert raw.meta["committee"] == "Children and young people scrutiny committee"
    for chrome in ("pdf icon", "PDF 152 KB", "Additional documents:", "Issue - meetings", "Meeting:"):
        assert chrome not in raw.text
    assert "It was queried whether there was concern regarding the 16+ team." in raw.text


def test_moderngov_page_metadata_yields_to_the_manifest():
    files = {s.path.name: s for s in discover([str(SAMPLE)])}
    raw = read(files["002_716b7456e7929a64.txt"])
    assert raw.meta["council"] == "London Borough of Haringey"  # manifest only; never read from text
    assert raw.meta["date"] == "2020-10-13" and raw.meta["item"] == "321"
    assert "view the full minutes text" not in raw.text and "Minutes:" not in raw.text
    assert "[Report of the Director" in raw.text
    assert read(files["003_6c1e019e122dd967.txt"]).meta["title"].startswith("Children's Safeguarding - Improvement")


def test_moderngov_html_page(tmp_path):
    f = tmp_path / "issue.html"
    f.write_text("""<html><head><title>x</title><script>var a = 1;</script></head><body>
    <nav><a href="/">Home</a> Council services menu</nav>
    <div id="modgov"><h1 class="mgMainTitleTxt">Issue - meetings</h1>
    <h2 class="mgSubTitleTxt">Children's Services Update</h2>
    <h3>Meeting: 13/10/2020 - Cabinet (Item 321)</h3>
    <p class="mgAiTitleTxt">321 Children's Services Update <img alt="pdf icon" src="x.gif"> PDF 2 MB</p>
    <p class="mgSubItemTitleTxt">Minutes:</p>
    <div class="mgWordPara"><p>In response to questions from Cllr Cawley-Harrison, it was noted that:</p>
    <ul><li>14 social workers had been recruited from South Africa.</li><li>Payments had moved.</li></ul>
    <p>RESOLVED</p><ol><li>To note the report;</li><li>To thank officers.</li></ol></div>
    </div><footer>Copyright</footer></body></html>""", encoding="utf-8")
    raw = read(src(f))
    assert raw.fmt == "moderngov"
    assert raw.meta == {"title": "Children's Services Update", "date": "2020-10-13", "committee": "Cabinet",
                        "item": "321"}
    assert "· 14 social workers had been recruited from South Africa." in raw.text
    assert "2. To thank officers." in raw.text
    for chrome in ("Home", "var a", "Copyright", "pdf icon", "Minutes:", "PDF 2 MB"):
        assert chrome not in raw.text


def test_pdf_text_layer_and_heading_metadata(tmp_path):
    f = tmp_path / "m.pdf"
    f.write_bytes(make_pdf(MINUTES))
    raw = read(src(f, council="Kent County Council"))
    assert raw.fmt == "pdf"
    assert "(Item 5)" in raw.text and "Mr Shipton introduced the report" in raw.text
    assert raw.meta == {"committee": "Cabinet", "date": "2025-01-09", "council": "Kent County Council"}


@pytest.mark.parametrize("name,content,reason", [
    ("empty.txt", b"", "empty file"),
    ("blank.md", b"  \n\n", "empty file"),
    ("zero.pdf", b"", "empty file"),
    ("binary.txt", bytes(range(256)) * 8, "binary data in a text file"),
    ("notpdf.pdf", b"<html>hello</html>", "not a PDF"),
    ("broken.html", b"<html><body><script>x()</script><div> </div></body></html>", "HTML page has no text"),
    ("header-only.txt", b"title: x\n---\n\n", "no text after the header"),
    ("baddate.txt", b"date: 2019-02-30\n---\nThe committee noted the report.\n", "date '2019-02-30' is not a valid date"),
])
def test_bad_files_give_one_line_reasons(tmp_path, name, content, reason):
    f = tmp_path / name
    f.write_bytes(content)
    got = error_of(f)
    assert got.startswith(reason) and "\n" not in got


def test_truncated_pdf(tmp_path):
    data = make_pdf(MINUTES)
    f = tmp_path / "cut.pdf"
    f.write_bytes(data[: len(data) // 2])
    assert error_of(f).startswith("truncated or corrupt PDF")


def test_encrypted_pdf(tmp_path):
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(make_pdf(MINUTES))))
    writer.encrypt("secret")
    f = tmp_path / "locked.pdf"
    with f.open("wb") as fh:
        writer.write(fh)
    assert error_of(f) == "encrypted PDF (password required)"


def test_pdf_without_text_layer(tmp_path):
    writer = pypdf.PdfWriter()
    writer.add_blank_page(612, 792)
    f = tmp_path / "scan.pdf"
    with f.open("wb") as fh:
        writer.write(fh)
    assert error_of(f) == "no text layer (scanned PDF?)"


def test_discover_walks_sorted_keeps_minutes_and_reads_manifests(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.txt").write_text("The committee noted the report.")
    (tmp_path / "b" / "a.HTML").write_text("<p>The committee noted the report.</p>")
    (tmp_path / "a.md").write_text("text")
    (tmp_path / "skip.py").write_text("print()")
    (tmp_path / "data.csv").write_text("x")
    (tmp_path / "manifest.csv").write_text("file,council,date\na.md,Kent County Council,\nmissing.txt,X,\n")
    found = list(discover([str(tmp_path)]))
    errors = [e for e in found if isinstance(e, InputError)]
    files = [s for s in found if isinstance(s, SourceFile)]
    assert [s.given for s in files] == [os.path.join(str(tmp_path), p) for p in ("a.md", "b/a.HTML", "b/z.txt")]
    assert files[0].meta == {"council": "Kent County Council"} and files[0].path.is_absolute()
    assert [e.reason for e in errors] == ["manifest names missing file 'missing.txt'"]
    assert errors[0].path.endswith("manifest.csv")


def test_discover_manifest_without_file_column(tmp_path):
    (tmp_path / "manifest.csv").write_text("name,council\na.txt,X\n")
    (tmp_path / "a.txt").write_text("The committee noted the report.")
    found = list(discover([str(tmp_path)]))
    assert [type(x) for x in found] == [InputError, SourceFile]
    assert found[0].reason == "manifest has no 'file' column"


def test_discover_problems_are_yielded_not_raised(tmp_path):
    (tmp_path / "big.txt").write_text("x" * 200)
    (tmp_path / "loop").mkdir()
    (tmp_path / "loop" / "back").symlink_to(tmp_path)
    (tmp_path / "dangling.pdf").symlink_to(tmp_path / "nowhere.pdf")
    found = list(discover([str(tmp_path), str(tmp_path / "absent")], max_bytes=100))
    reasons = sorted(e.reason.split(" (")[0] for e in found if isinstance(e, InputError))
    assert reasons == ["broken symbolic link", "file too large", "no such file or folder", "symbolic link loop"]
    assert not [s for s in found if isinstance(s, SourceFile)]


def test_discover_seeds_in_order_with_manifest_metadata():
    files = list(discover([str(SAMPLE)]))
    assert [f.path.name[:3] for f in files] == ["000", "001", "002", "003", "004"]
    assert files[1].meta == {"title": "Improvement plan update"}  # empty cells are unknown, not blank
    assert files[0].meta["gss_code"] == "E06000019"
