"""Find the minutes files under the paths a user gives, in a fixed order, with any manifest.csv metadata attached."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Iterator

from .meta import clean_meta
from .model import InputError, SourceFile

EXTENSIONS = (".txt", ".md", ".html", ".htm", ".pdf", ".xml")
MANIFEST = "manifest.csv"


def discover(paths: list[str], max_bytes: int = 50_000_000) -> Iterator[SourceFile | InputError]:
    """Files and folders (recursively, sorted); problems are yielded as InputErrors, never raised."""
    seen: set[Path] = set()
    manifests: dict[Path, dict[str, dict[str, str]]] = {}
    for given in paths:
        path = Path(given)
        try:
            if path.is_dir():
                yield from _walk(given, path, manifests, seen, frozenset(), max_bytes)
            elif path.is_file():
                if path.suffix.lower() not in EXTENSIONS:
                    yield InputError(given, f"unsupported file type '{path.suffix or path.name}'")
                    continue
                folder = path.resolve().parent
                if folder not in manifests:
                    rows, errors = _read_manifest(folder, str(Path(given).parent / MANIFEST))
                    manifests[folder] = rows
                    yield from errors
                yield from _file(given, path, manifests[folder], seen, max_bytes)
            elif path.is_symlink():
                yield InputError(given, "broken symbolic link")
            else:
                yield InputError(given, "no such file or folder")
        except OSError as exc:
            yield InputError(given, f"cannot read: {exc.strerror or exc}")


def _walk(given: str, folder: Path, manifests, seen: set[Path], ancestors: frozenset, max_bytes: int):
    """One folder: its manifest, then its files and subfolders in name order."""
    real = folder.resolve()
    if real in ancestors:
        yield InputError(given, "symbolic link loop")
        return
    ancestors = ancestors | {real}
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        yield InputError(given, f"cannot read folder: {exc.strerror or exc}")
        return
    if real not in manifests:
        rows, errors = _read_manifest(real, os.path.join(given, MANIFEST))
        manifests[real] = rows
        yield from errors
    for entry in entries:
        if entry.name.startswith("."):
            continue
        child_given = os.path.join(given, entry.name)
        child = Path(entry.path)
        try:
            if entry.is_dir():
                yield from _walk(child_given, child, manifests, seen, ancestors, max_bytes)
            elif entry.is_file():
                if child.suffix.lower() in EXTENSIONS:
                    yield from _file(child_given, child, manifests[real], seen, max_bytes)
            elif entry.is_symlink():
                if child.suffix.lower() in EXTENSIONS:
                    yield InputError(child_given, "broken symbolic link")
        except OSError as exc:
            yield InputError(child_given, f"cannot read: {exc.strerror or exc}")


def _file(given: str, path: Path, manifest: dict[str, dict[str, str]], seen: set[Path], max_bytes: int):
    """One candidate file: once only, readable, not too big."""
    real = path.resolve()
    if real in seen:
        return
    seen.add(real)
    size = real.stat().st_size
    if size > max_bytes:
        yield InputError(given, f"file too large ({size:,} bytes; limit {max_bytes:,})")
        return
    if not os.access(real, os.R_OK):
        yield InputError(given, "cannot read: permission denied")
        return
    yield SourceFile(path=real, given=given, meta=dict(manifest.get(path.name, {})))


def _read_manifest(folder: Path, given: str) -> tuple[dict[str, dict[str, str]], list[InputError]]:
    """manifest.csv rows by file name; a bad manifest or a row naming a missing file is an error for the manifest."""
    path = folder / MANIFEST
    if not path.is_file():
        return {}, []
    try:
        data = path.read_bytes()
    except OSError as exc:
        return {}, [InputError(given, f"cannot read manifest: {exc.strerror or exc}")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    try:
        reader = csv.DictReader(io.StringIO(text))
        fields = [f.strip().lower() for f in reader.fieldnames or []]
        if "file" not in fields:
            return {}, [InputError(given, "manifest has no 'file' column")]
        rows: dict[str, dict[str, str]] = {}
        errors: list[InputError] = []
        for row in reader:
            row = {(k or "").strip().lower(): v for k, v in row.items() if k is not None}
            name = (row.pop("file", "") or "").strip()
            if not name:
                continue
            if not (folder / name).is_file():
                errors.append(InputError(given, f"manifest names missing file '{name}'"))
                continue
            rows[Path(name).name] = clean_meta(row)
        return rows, errors
    except csv.Error as exc:
        return {}, [InputError(given, f"manifest is not valid CSV: {exc}")]
