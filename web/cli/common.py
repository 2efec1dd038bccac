"""What the commands share: the --data option and progress bars on a terminal."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click


def data_option(f):
    return click.option(
        "--data",
        "data_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=lambda: os.environ.get("COUNCILKG_DATA") or "data",
        show_default="$COUNCILKG_DATA or ./data",
        help="Data directory.",
    )(f)


def device_option(f):
    """--device for the commands that encode many texts: $COUNCILKG_DEVICE for the length of this command only."""

    def chosen(ctx, param, value):
        if value:
            before = os.environ.get("COUNCILKG_DEVICE")
            os.environ["COUNCILKG_DEVICE"] = value
            ctx.call_on_close(lambda: os.environ.pop("COUNCILKG_DEVICE") if before is None else os.environ.update(COUNCILKG_DEVICE=before))
        return value

    return click.option(
        "--device",
        type=click.Choice(["cpu", "cuda", "mps", "auto"], case_sensitive=False),
        default=None,
        expose_value=False,
        callback=chosen,
        show_default="$COUNCILKG_DEVICE or cpu",
        help="Where to encode: a GPU (cuda, mps) encodes many times faster; auto takes one if torch sees it.",
    )(f)


class Bars:
    """A progress bar per pipeline stage, only when stderr is a terminal."""

    def __init__(self):
        self.tty = sys.stderr.isatty()
        self.bar = None
        self.stage = None

    def __call__(self, stage: str, done: int, total: int):
        if not self.tty or total == 0:
            return
        if stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = click.progressbar(length=total, label=f"{stage:>6}", file=sys.stderr)
            self.bar.__enter__()
            self.done = 0
        self.bar.update(done - self.done)
        self.done = done

    def close(self):
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


class SiteBars:
    """One status line for a many-site harvest on a terminal: sites done, each running site's stage, the commit in hand."""

    def __init__(self, sites: int):
        self.tty, self.sites = sys.stderr.isatty(), sites
        self.running: dict[str, str] = {}
        self.done = 0
        self.commit = ""
        self.last = 0.0

    def __call__(self, stage: str, done: int, total: int):
        import time

        code, _, step = stage.partition(" ")
        if not step:  # the ingest's own stages: a batch being committed
            self.commit = f"commit: {stage} {done}/{total}" if done < total else ""
        elif step == "done":
            self.running.pop(code, None)
            self.done += 1
        else:
            self.running[code] = f"{code} {step} {done}/{total}"
        now = time.monotonic()
        if self.tty and now - self.last >= 0.2:
            self.last = now
            self.draw()

    def draw(self):
        import shutil

        parts = [f"{self.done}/{self.sites} sites done", *self.running.values(), self.commit]
        line = " · ".join(p for p in parts if p)[: shutil.get_terminal_size().columns - 1]
        sys.stderr.write("\r\x1b[K" + line)
        sys.stderr.flush()

    def close(self):
        if self.tty:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def index_option(f):
    return click.option(
        "--index",
        "index",
        metavar="SPEC",
        help="Where the search index goes: faiss (in the data directory) or milvus:URI (http://host:port or a "
        "Milvus Lite file .db). Recorded in the data directory; default: as recorded, else faiss.",
    )(f)
