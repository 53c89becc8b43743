"""Questions answered from the regulations: documents loaded (from a folder, a chat upload
or the CLI) are split into clauses, indexed, persisted, and searched; office FAQ answers
take precedence when a question matches one closely. No Telegram here.

The index lives in memory and is rebuilt from the database at start from the terms stored
with each clause (re-computed only when the synonyms changed); loading or replacing a
document updates it at once, without a restart.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from bot.config import AppConfig
from parsers import DocumentRejected
from parsers.regulation import Clause, Regulation, parse_regulation
from scoring.retrieval import Expander, Hit, Index, QueryTokenizer, best_part, overlap
from storage.files import content_hash
from storage.store import Store

log = logging.getLogger(__name__)
SUFFIXES = (".docx", ".pdf", ".md", ".txt")
RELATED = 2


@dataclass(frozen=True)
class LoadResult:
    """What loading one document did."""

    title: str
    version: int
    clauses: int
    tables: int
    chapters: int
    replaced_version: int | None = None
    unchanged: bool = False  # these exact bytes were already the active version


@dataclass
class Answer:
    """The reply to one question (``kind``: clause, faq or none)."""

    kind: str
    question: str
    clause: dict[str, Any] | None = None
    part: str = ""
    related: list[dict[str, Any]] = field(default_factory=list)
    faq: dict[str, Any] | None = None
    hits: list[Hit] = field(default_factory=list)


def citation(clause: dict[str, Any], part: str = "") -> str:
    """《title》 第三章 考核方法 第一节 … 第十二条（二）."""
    where = [c for c in (clause.get("chapter"), clause.get("section")) if c]
    article = (clause.get("article") or "") + part
    return f"《{clause['title']}》" + "".join(f" {w}" for w in where) + (f" {article}" if article else "")


def clause_rows(reg: Regulation, tokenizer: QueryTokenizer, signature: str) -> list[dict[str, Any]]:
    """A split document's clauses as database rows, with their index terms."""
    return [{
        "seq": c.seq, "chapter": c.chapter, "section": c.section, "article": c.article,
        "text": c.text, "parts": json.dumps([[p.label, p.text] for p in c.parts], ensure_ascii=False),
        "tables": json.dumps(list(c.tables), ensure_ascii=False), "location": c.location,
        "terms": json.dumps(tokenizer.terms(_indexed_text(c)), ensure_ascii=False),
        "terms_signature": signature,
    } for c in reg.clauses]


def _indexed_text(c: Clause | dict[str, Any]) -> str:
    """A clause's searchable text keeps its headings as context."""
    get = c.get if isinstance(c, dict) else lambda k: getattr(c, k)
    return "\n".join(x for x in (get("chapter"), get("section"), get("text")) if x)


class Regulations:
    """Loaded regulation documents, their index and the office's FAQ answers."""

    def __init__(self, config: AppConfig, store: Store, tokenizer: QueryTokenizer | None = None):
        self.config = config
        self.store = store
        self.tokenizer = tokenizer or QueryTokenizer(config.qa)
        self.signature = config.qa.signature()
        self.expander = Expander()
        self.index = Index(config.qa, self.expander)
        self._clauses: dict[int, dict[str, Any]] = {}
        self._faqs: dict[int, tuple[dict[str, Any], list[str]]] = {}
        self._lock = threading.RLock()
        self._started = False

    # ---- loading -----------------------------------------------------------------------

    def start(self) -> list[LoadResult]:
        """Build the index from the database, then load new or changed files from the folder."""
        with self._lock:  # a question asked meanwhile waits for the folder to be loaded
            if self._started:
                return []
            self._rebuild()
            self._started = True
            return self.load_folder()

    def _ensure(self) -> None:
        if not self._started:
            self.start()

    def _rebuild(self) -> None:
        rows = self.store.active_clauses()
        stale = [r for r in rows if r["terms_signature"] != self.signature or not r["terms"]]
        if stale:
            updates = []
            for row in stale:
                row["terms"] = json.dumps(self.tokenizer.terms(_indexed_text(row)),
                                          ensure_ascii=False)
                updates.append((row["id"], row["terms"], self.signature))
            self.store.set_clause_terms(updates)
        self.index = Index(self.config.qa, self.expander)
        self._clauses = {}
        for row in rows:
            self._add_to_index(row)
        self._faqs = {}
        faq_updates = []
        for faq in self.store.faqs():
            terms = json.loads(faq["terms"]) if faq["terms_signature"] == self.signature else None
            if terms is None:
                terms = self.tokenizer.words(faq["question"])
                faq_updates.append((faq["id"], json.dumps(terms, ensure_ascii=False), self.signature))
            self._faqs[faq["id"]] = (faq, terms)
        if faq_updates:
            self.store.set_faq_terms(faq_updates)

    def _add_to_index(self, row: dict[str, Any]) -> None:
        row = dict(row)
        terms = json.loads(row.pop("terms"))
        row["parts"] = [tuple(p) for p in json.loads(row["parts"] or "[]")]
        row["tables"] = json.loads(row["tables"] or "[]")
        self._clauses[row["id"]] = row
        self.index.add(row["id"], terms)

    def load(self, data: bytes, file_name: str, actor: object, source: str) -> LoadResult:
        """Parse, store and index one document; a new version replaces the old at once.

        Raises ``DocumentRejected`` (nothing stored) for a file that is not a usable regulation.
        """
        self._ensure()
        existing = self.store.regulation_by_hash(content_hash(data))
        if existing is not None:
            return LoadResult(existing["title"], existing["version"], existing["clauses"],
                              existing["tables"], 0, unchanged=True)
        reg = parse_regulation(data, file_name)
        rows = clause_rows(reg, self.tokenizer, self.signature)
        doc = {"title": reg.title, "file_name": file_name, "file_type": reg.file_type, "source": source}
        with self._lock:
            reg_id, old = self.store.add_regulation(doc, data, rows, actor)
            if old is not None:
                for clause_id in [cid for cid, c in self._clauses.items()
                                  if c["regulation_id"] == old["id"]]:
                    self.index.remove(clause_id)
                    del self._clauses[clause_id]
            for row in self.store.active_clauses():
                if row["regulation_id"] == reg_id:
                    self._add_to_index(row)
        version = (old["version"] + 1) if old else 1
        return LoadResult(reg.title, version, len(reg.clauses),
                          sum(1 for c in reg.clauses if c.tables),
                          len({c.chapter for c in reg.clauses if c.chapter}),
                          old["version"] if old else None)

    def load_folder(self) -> list[LoadResult]:
        """Load every regulation file in the configured folder that is new or changed."""
        folder = self.config.regulations_dir
        if folder is None or not folder.is_dir():
            return []
        results = []
        for path in sorted(folder.iterdir()):
            if (path.suffix.lower() not in SUFFIXES or path.name.startswith((".", "~"))
                    or path.stem.upper() == "README"):
                continue
            try:
                result = self.load(path.read_bytes(), path.name, "folder", "folder")
            except DocumentRejected as exc:
                log.warning("regulation %s not loaded: %s", path, exc.reason)
                continue
            if not result.unchanged:
                log.info("loaded regulation %s (%s, version %s)", path.name, result.title, result.version)
            results.append(result)
        return results

    def documents(self) -> list[dict[str, Any]]:
        """Active documents."""
        return self.store.regulations()

    # ---- FAQ ---------------------------------------------------------------------------

    def add_faq(self, question: str, answer: str, actor: object) -> int:
        """An office answer for a question; it wins when a question matches it closely."""
        self._ensure()
        terms = self.tokenizer.words(question)
        faq_id = self.store.add_faq(question, answer, json.dumps(terms, ensure_ascii=False),
                                    self.signature, actor)
        with self._lock:
            self._faqs[faq_id] = ({"id": faq_id, "question": question, "answer": answer}, terms)
        return faq_id

    def remove_faq(self, faq_id: int, actor: object) -> bool:
        """Withdraw an FAQ answer."""
        self._ensure()
        removed = self.store.remove_faq(faq_id, actor)
        with self._lock:
            self._faqs.pop(faq_id, None)
        return removed

    def faqs(self) -> list[dict[str, Any]]:
        """Active FAQ answers."""
        return self.store.faqs()

    # ---- answering ---------------------------------------------------------------------

    def search(self, question: str, limit: int = 3) -> list[Hit]:
        """The best clauses for ``question``, best first (no threshold applied)."""
        self._ensure()
        return self.index.search(self.tokenizer.terms(question), limit)

    def answer(self, question: str) -> Answer:
        """The FAQ answer, else the best clause above the threshold with up to two related ones."""
        self._ensure()
        words = self.tokenizer.words(question)
        hits = self.index.search({"w": words, "b": self.tokenizer.bigrams(question)}, 1 + RELATED + 2)
        faq = self._best_faq(words)
        related = [self._clauses[h.doc_id] for h in hits if h.coverage >= self.config.qa.min_coverage / 2]
        if faq is not None:
            return Answer("faq", question, faq=faq, related=related[:RELATED], hits=hits)
        if not hits or hits[0].coverage < self.config.qa.min_coverage:
            return Answer("none", question, hits=hits)
        best = self._clauses[hits[0].doc_id]
        part = best_part(self.tokenizer, question, best["parts"])
        return Answer("clause", question, clause=best, part=part, related=related[1:1 + RELATED],
                      hits=hits)

    def _best_faq(self, words: list[str]) -> dict[str, Any] | None:
        best, best_score = None, 0.0
        with self._lock:
            for faq, terms in self._faqs.values():
                score = overlap(words, terms)
                if score > best_score:
                    best, best_score = faq, score
        return best if best_score >= self.config.qa.faq_min_coverage else None

    def clause(self, clause_id: int) -> dict[str, Any] | None:
        """One clause (from the index, or the database for an older version)."""
        self._ensure()
        found = self._clauses.get(clause_id)
        if found is not None:
            return found
        row = self.store.clause(clause_id)
        if row is None:
            return None
        row.pop("terms", None)
        return {**row, "parts": [tuple(p) for p in json.loads(row["parts"] or "[]")],
                "tables": json.loads(row["tables"] or "[]")}
