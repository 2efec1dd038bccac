"""PDF minutes through their text layer, with page numbers and running headers dropped page by page."""

from __future__ import annotations

import io
import logging
import re
from collections import Counter

from .heading import meeting_meta
from .model import InputError
from .readers import Payload, register, tidy

PAGE_NUMBER = re.compile(r"^(?:Page\s+)?\d{1,3}(?:\s+of\s+\d{1,3})?$|^-\s*\d{1,3}\s*-$", re.I)
BLANK_PAGE = re.compile(r"^this page is intentionally left blank\.?$", re.I)
def sniff_pdf(payload: Payload) -> bool:
    return payload.data.lstrip()[:5] == b"%PDF-"


@register("pdf", (".pdf",))
def read_pdf(payload: Payload) -> tuple[str, dict[str, str]]:
    """Text of every page, furniture removed; a PDF we cannot trust to be whole or readable is an InputError."""
    text = join_pages(payload.pages)
    if len(re.findall(r"[A-Za-z]{3,}", text)) < 5:
        raise InputError(payload.path, "no text layer (scanned PDF?)")
    return text, meeting_meta(text, payload.path.name)


def extract_pages(payload: Payload) -> list[str]:
    """Each page's text via pypdf; damage, truncation and passwords become one-line reasons."""
    import pypdf
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    data = payload.data
    if not sniff_pdf(payload):
        raise InputError(payload.path, "not a PDF (no %PDF header)")
    if b"%%EOF" not in data[-4096:]:
        raise InputError(payload.path, "truncated or corrupt PDF (no end-of-file marker)")
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except (DependencyError, NotImplementedError):
                opened = 0
            if not opened:
                raise InputError(payload.path, "encrypted PDF (password required)")
        return [tidy(page.extract_text() or "") for page in reader.pages]
    except InputError:
        raise
    except FileNotDecryptedError:
        raise InputError(payload.path, "encrypted PDF (password required)") from None
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError, OSError) as exc:
        reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise InputError(payload.path, f"truncated or corrupt PDF ({reason})") from None


def join_pages(pages: list[str]) -> str:
    """Drop page numbers, lines repeated at the top or bottom of most pages, and blank-page notices."""
    split = [[line for line in page.split("\n")] for page in pages]
    running = _running_lines(split)
    kept: list[str] = []
    for lines in split:
        body = [line for line in lines if not BLANK_PAGE.match(line.strip())]
        _trim_edges(body, running)
        kept.append("\n".join(body))
    return "\n".join(kept).strip("\n")


def _edges(lines: list[str], n: int = 3) -> list[str]:
    content = [line.strip() for line in lines if line.strip()]
    return content[:n] + content[-n:]


def _running_lines(pages: list[list[str]]) -> set[str]:
    """Lines at a page edge on at least half the pages (and three or more): running headers and footers."""
    if len(pages) < 3:
        return set()
    counts = Counter(_key(line) for lines in pages for line in set(_edges(lines)))
    return {k for k, c in counts.items() if k and c >= max(3, len(pages) // 2) and not k.startswith("(item")}


def _key(line: str) -> str:
    """Running headers differ only in their page number."""
    return re.sub(r"\d+", "#", line.strip().lower())


def _trim_edges(lines: list[str], running: set[str]) -> None:
    """Remove furniture from the top and the bottom of one page, in place."""
    for direction in (0, -1):
        while lines:
            probe = lines[direction].strip()
            if not probe or PAGE_NUMBER.match(probe) or _key(probe) in running:
                lines.pop(direction)
                continue
            break
