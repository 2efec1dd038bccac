"""Turn one file into text plus metadata, choosing a reader by extension and by sniffing the content."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable

from . import meta as metamod
from .heading import meeting_meta
from .model import InputError, NotMinutes, RawDocument, Section, SourceFile

TEXT_EXTENSIONS = (".txt", ".md")


@dataclass
class Payload:
    """The bytes of one file, decoded and header-split on demand so sniffers and readers share the work."""

    path: Path
    data: bytes
    header: dict[str, str] = field(default_factory=dict)

    @cached_property
    def text(self) -> str:
        return decode(self.data, self.path)

    @cached_property
    def body(self) -> str:
        """Text after the optional header block; records the header as user metadata."""
        header, body = metamod.split_header(self.text)
        self.header = header
        if not body.strip():
            raise InputError(self.path, "no text after the header" if header else "empty file")
        return body

    @cached_property
    def pages(self) -> list[str]:
        """A PDF's page texts, extracted once for whichever sniffer and reader look at them."""
        from .pdf import extract_pages

        return extract_pages(self)


@dataclass
class Reader:
    """A named way to read some files: the extensions it claims and an optional content sniffer."""

    name: str
    extensions: tuple[str, ...]
    # returns (text, page_meta) or, for structured sources, (text, page_meta, sections)
    read: Callable[[Payload], tuple]
    sniff: Callable[[Payload], bool] | None = None


READERS: list[Reader] = []


def register(name: str, extensions: tuple[str, ...], sniff: Callable[[Payload], bool] | None = None):
    """Decorator: add `fn(payload) -> (text, page_meta[, sections])` to the registry under `name`."""

    def wrap(fn):
        READERS.append(Reader(name, tuple(e.lower() for e in extensions), fn, sniff))
        return fn

    return wrap


def choose(payload: Payload) -> Reader:
    """Readers that claim the extension; one whose sniffer recognises the content beats a plain default."""
    from . import mgmeeting, mgpage, moderngov, ofsted, pdf  # noqa: F401 - importing registers their readers (they import this module)

    ext = payload.path.suffix.lower()
    claims = [r for r in READERS if ext in r.extensions]
    for reader in sorted(claims, key=lambda r: r.sniff is None):
        if reader.sniff is None or reader.sniff(payload):
            return reader
    raise InputError(payload.path, f"no reader for '{ext or payload.path.name}' files")


# Longer than any real paragraph (the longest in the Kent minutes is about 3,000 characters).
MAX_LINE_CHARS = 50_000


def decode(data: bytes, path: Path) -> str:
    """UTF-8 (BOM allowed), else cp1252; refuse binary data wearing a text extension."""
    if b"\x00" in data[:65536]:
        raise InputError(path, "binary data in a text file (NUL bytes)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # files pasted together from several sources mix encodings: decode each line on its own
        text = "\n".join(_decode_line(line) for line in data.split(b"\n"))
    sample = text[:65536]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f" or 0x7F <= ord(ch) < 0xA0)
    if sample and controls / len(sample) > 0.05:
        raise InputError(path, "binary data in a text file (mostly non-text)")
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")


def _decode_line(line: bytes) -> str:
    """UTF-8 if the line is, else cp1252, with the five bytes cp1252 leaves undefined shown as U+FFFD."""
    try:
        return line.decode("utf-8-sig")
    except UnicodeDecodeError:
        return line.decode("cp1252", errors="replace")


def _check_lines(text: str, path: str) -> None:
    """Minutes have paragraphs, not megabyte lines: refuse before segmentation and extraction choke on one."""
    longest = max((len(line) for line in text.split("\n")), default=0)
    if longest > MAX_LINE_CHARS:
        raise InputError(path, f"a single line of {longest:,} characters (limit {MAX_LINE_CHARS:,}): not minutes text")


def read(src: SourceFile) -> RawDocument:
    """Read a discovered file; every expected failure is an InputError with a one-line reason."""
    try:
        data = src.path.read_bytes()
    except OSError as exc:
        raise InputError(src.given, f"cannot read: {exc.strerror or exc}") from None
    if not data.strip():
        raise InputError(src.given, "empty file")
    payload = Payload(Path(src.given), data)
    try:
        reader = choose(payload)
        text, page_meta, *rest = reader.read(payload)
        sections: list[Section] | None = rest[0] if rest else None
        _check_lines(text, src.given)
        merged = metamod.merge(page_meta, src.meta, payload.header, path=src.given)
    except NotMinutes as exc:
        raise NotMinutes(src.given, exc.reason) from None
    except InputError as exc:
        exc.path = src.given  # report the path as the user gave it
        exc.args = (f"{src.given}: {exc.reason}",)
        raise
    return RawDocument(source=src, text=text, fmt=reader.name, meta=merged, sha256=hashlib.sha256(data).hexdigest(),
                       sections=sections, methods=metamod.provenance(page_meta, src.meta, payload.header))


def tidy(text: str) -> str:
    """Non-breaking and odd spaces become plain spaces; trailing blanks go; lines otherwise untouched."""
    text = text.replace("\xa0", " ").replace("\u2009", " ").replace("\u202f", " ").replace("\t", " ")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


@register("text", TEXT_EXTENSIONS)
def read_text(payload: Payload) -> tuple[str, dict[str, str]]:
    """Plain text or Markdown: the body after the header; committee and date from its minutes heading."""
    text = tidy(payload.body)
    return text, meeting_meta(text, payload.path.name)
