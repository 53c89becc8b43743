"""Questions answered from the regulations: documents loaded (from a folder, a chat upload
or the CLI) are split into clauses, indexed, persisted, and searched; office FAQ answers
take precedence when a question matches one closely. No Telegram here.

Besides the clauses, the index holds example questions: 常见问法 that point to an article
(from a ``<document>.questions.toml`` beside the document, or added in chat) and examples
of questions the regulations do not answer (``out_of_scope.toml``, or added in chat).

The index lives in memory and is rebuilt from the database at start from the terms and
sentence vectors stored with each text (terms are re-computed only when the synonyms
changed; vectors only for texts never encoded); loading or replacing a document updates
it at once, without a restart.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kaohe.config import AppConfig
from parsers import DocumentRejected
from parsers.question_forms import (
    OUT_OF_SCOPE_NAME,
    QUESTIONS_SUFFIX,
    BadQuestionForms,
    article_label,
    parse_out_of_scope,
    parse_question_forms,
)
from parsers.regulation import Clause, Regulation, parse_regulation
from scoring.embedding import MODEL_ID, PASSAGE, QUESTION, Encoder, from_blob, text_key, to_blob
from scoring.retrieval import Candidate, Matcher, QueryTokenizer, answerable, best_part, overlap
from storage.files import content_hash
from storage.store import Store

log = logging.getLogger(__name__)
SUFFIXES = (".docx", ".pdf", ".md", ".txt")
# Sentence vectors of the folder's documents and examples, shipped with them (derived data,
# rebuilt by ``python -m bot.manage regulation vectors``): a first start encodes nothing.
SHIPPED_VECTORS = "vectors.npz"
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
    examples: int = 0  # question forms loaded with it (from its .questions.toml)
    structure: str = ""  # what numbering was found: "识别到 3 级编号（1 / 1.1 / 1.1.1）、41 个条目"


@dataclass(frozen=True)
class ExamplesResult:
    """What loading an examples file did."""

    file_name: str
    examples: int
    changed: bool
    unknown_articles: tuple[str, ...] = ()  # forms for articles the document does not have


@dataclass
class Answer:
    """The reply to one question (``kind``: clause, faq or none)."""

    kind: str
    question: str
    clause: dict[str, Any] | None = None
    part: str = ""
    related: list[dict[str, Any]] = field(default_factory=list)
    faq: dict[str, Any] | None = None
    # A clause of another document that answers nearly as well (it may be the rule for
    # another group or procedure): quoted beside the best one, never silently dropped.
    other: dict[str, Any] | None = None
    hits: list[Candidate] = field(default_factory=list)
    out_of_scope: float = -1.0
    pending: list[str] = field(default_factory=list)  # documents still being indexed


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


def _passage(row: dict[str, Any]) -> str:
    """What the sentence vector of a clause is computed from: title, headings, text."""
    return f"{row['title']}\n{_indexed_text(row)}"


def _part_passages(row: dict[str, Any]) -> list[str]:
    """What the vectors of a clause's parts (款/项) are computed from: each part with the
    title, headings and label as context; none when the clause has a single part."""
    parts = row["parts"]
    if isinstance(parts, str):
        parts = json.loads(parts or "[]")
    texts = [t for _, t in parts if len(t) >= 8]
    if len(texts) < 2:
        return []
    head = "\n".join(x for x in (row["title"], row.get("chapter"), row.get("section")) if x)
    label = row.get("article") or ""
    return [f"{head}\n{label}{t}" for t in texts]


def _passages(rows: list[dict[str, Any]]) -> list[str]:
    """Every text a vector is kept for: each clause and each of its parts."""
    return [t for r in rows for t in (_passage(r), *_part_passages(r))]


def shipped_vectors(folder: Path | None) -> dict[str, Any]:
    """The vectors shipped in ``folder``'s vectors.npz (empty when absent or for another model)."""
    path = folder / SHIPPED_VECTORS if folder is not None else None
    if path is None or not path.is_file():
        return {}
    try:
        with np.load(path) as data:
            if str(data["model"]) != MODEL_ID:
                log.warning("%s is for %s, not %s: ignored", path, data["model"], MODEL_ID)
                return {}
            keys, vecs = data["keys"], data["vectors"].astype(np.float32)
    except (OSError, KeyError, ValueError) as exc:
        log.warning("%s not read (%s): vectors are computed instead", path, exc)
        return {}
    return {k.decode() if isinstance(k, bytes) else str(k): v for k, v in zip(keys, vecs, strict=True)}


def build_shipped_vectors(config: AppConfig) -> tuple[Path, int]:
    """Encode every text of the folder's documents and examples (in a scratch database) and
    write them to the folder's vectors.npz, float16, sorted by text key."""
    import tempfile
    from dataclasses import replace

    folder = config.regulations_dir
    if folder is None:
        raise ValueError("[qa] folder is not set")
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(tmp)
        try:
            qa = Regulations(replace(config, storage_dir=Path(tmp)), store)
            qa.use_shipped = False  # encode from scratch, not from the file being rebuilt
            qa.start()
            found = store.text_vectors(MODEL_ID)
        finally:
            store.close()
    keys = sorted(found)
    vecs = np.stack([from_blob(found[k]) for k in keys]).astype(np.float16)
    path = folder / SHIPPED_VECTORS
    tmp_path = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(tmp_path, model=np.array(MODEL_ID), keys=np.array(keys, dtype="S32"), vectors=vecs)
    tmp_path.replace(path)
    return path, len(keys)


def is_examples_file(file_name: str) -> bool:
    """A 常见问法 file (``<document>.questions.toml``) or an ``out_of_scope.toml``."""
    name = file_name.lower()
    return name.endswith(QUESTIONS_SUFFIX) or name.endswith(OUT_OF_SCOPE_NAME)


class Regulations:
    """Loaded regulation documents, their index, example questions and FAQ answers."""

    def __init__(self, config: AppConfig, store: Store, tokenizer: QueryTokenizer | None = None,
                 encoder: Encoder | None = None):
        self.config = config
        self.store = store
        self.tokenizer = tokenizer or QueryTokenizer.shared(config.qa)
        self.signature = config.qa.signature()
        if encoder is None and config.qa.vectors:
            encoder = Encoder()
        self.encoder = encoder if encoder is not None and encoder.available else None
        self.matcher = Matcher(config.qa)
        self._clauses: dict[int, dict[str, Any]] = {}
        self._by_article: dict[tuple[str, str], int] = {}
        self._examples: dict[int, dict[str, Any]] = {}
        self._faqs: dict[int, tuple[dict[str, Any], list[str]]] = {}
        self._known: dict[str, Any] = {}
        self._known_loaded = False
        self._indexing: dict[str, int] = {}  # title -> loads encoding it now
        self.use_shipped = True  # read the folder's vectors.npz
        self._lock = threading.RLock()
        self._started = False
        self._ready = False

    # ---- loading -----------------------------------------------------------------------

    def start(self) -> list[LoadResult]:
        """Build the index from the database, then load new or changed files from the folder."""
        with self._lock:  # a question asked meanwhile waits for the folder to be loaded
            if self._started:
                return []
            self._rebuild()
            self._started = True  # loading the folder below calls load(), which checks this
            try:
                return self.load_folder()
            finally:
                self._ready = True

    @property
    def ready(self) -> bool:
        """The index is built (a question now gets an answer without waiting)."""
        return self._ready

    def _ensure(self) -> None:
        if not self._ready:
            with self._lock:  # blocks while another thread is in start()
                if not self._started:
                    self.start()

    def _vectors(self, kind: str, texts: list[str],
                 progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
        """Vectors by text key: from the database, else encoded now and stored."""
        if self.encoder is None or not texts:
            return {}
        if not self._known_loaded:
            self._known = shipped_vectors(self.config.regulations_dir) if self.use_shipped else {}
            self._known.update({k: from_blob(v) for k, v in self.store.text_vectors(MODEL_ID).items()})
            self._known_loaded = True
        found = self.encoder.encode_many(kind, texts, self._known, progress)
        new = {k: v for k, v in found.items() if k not in self._known}
        if new:
            self.store.put_text_vectors(MODEL_ID, {k: to_blob(v) for k, v in new.items()})
            self._known.update(new)
        return found

    def _fresh_terms(self, rows: list[dict[str, Any]], text_of, save) -> None:
        """Re-compute the stored terms of rows indexed under other synonyms."""
        stale = [r for r in rows if r["terms_signature"] != self.signature or not r["terms"]]
        if stale:
            for row in stale:
                row["terms"] = json.dumps(self.tokenizer.terms(text_of(row)), ensure_ascii=False)
            save([(r["id"], r["terms"], self.signature) for r in stale])

    def _rebuild(self) -> None:
        rows = self.store.active_clauses()
        self._fresh_terms(rows, _indexed_text, self.store.set_clause_terms)
        self.matcher = Matcher(self.config.qa)
        self._clauses, self._by_article = {}, {}
        vecs = self._vectors(PASSAGE, _passages(rows))
        for row in rows:
            self._add_clause(row, vecs)
        examples = self.store.examples()
        self._fresh_terms(examples, lambda r: r["question"], self.store.set_example_terms)
        self._examples = {e["id"]: e for e in examples}
        self._attach_examples()
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

    def _add_clause(self, row: dict[str, Any], vecs: dict[str, Any]) -> None:
        row = dict(row)
        terms = json.loads(row.pop("terms"))
        row["parts"] = [tuple(p) for p in json.loads(row["parts"] or "[]")]
        row["tables"] = json.loads(row["tables"] or "[]")
        self._clauses[row["id"]] = row
        if row.get("article"):
            self._by_article[(row["title"], row["article"])] = row["id"]
        parts = [vecs[k] for k in (text_key(PASSAGE, t) for t in _part_passages(row)) if k in vecs]
        self.matcher.add_clause(row["id"], terms, vecs.get(text_key(PASSAGE, _passage(row))),
                                np.stack(parts) if parts else None, row["regulation_id"])

    def _attach_examples(self, examples: list[dict[str, Any]] | None = None) -> None:
        """Attach example questions (all when None) to the clauses they name; refresh the
        out-of-scope set when any of them is one."""
        examples = list(self._examples.values()) if examples is None else examples
        vecs = self._vectors(QUESTION, [e["question"] for e in examples])
        for e in examples:
            if e["kind"] != "article":
                continue
            clause_id = self._by_article.get((e["title"], e["article"]))
            if clause_id is not None:
                self.matcher.add_form(e["id"], clause_id, json.loads(e["terms"]),
                                      vecs.get(text_key(QUESTION, e["question"])))
        if any(e["kind"] == "none" for e in examples) or not examples:
            nones = [e["question"] for e in self._examples.values() if e["kind"] == "none"]
            none_vecs = self._vectors(QUESTION, nones)
            self.matcher.set_out_of_scope([none_vecs[text_key(QUESTION, q)] for q in nones
                                           if text_key(QUESTION, q) in none_vecs])

    def _detach_examples(self, ids: list[int]) -> None:
        for eid in ids:
            self.matcher.remove_form(eid)

    def load(self, data: bytes, file_name: str, actor: object, source: str,
             progress: Callable[[int, int], None] | None = None) -> LoadResult:
        """Parse, store and index one document; a new version replaces the old at once.

        Encoding its clauses takes a while for a long document (``progress(done, total)``
        is told after each batch); questions asked meanwhile are answered from the documents
        already indexed, and their answers say which document is still being indexed.
        Raises ``DocumentRejected`` (nothing stored) for a file that is not a usable regulation.
        """
        self._ensure()
        existing = self.store.regulation_by_hash(content_hash(data))
        if existing is not None:
            return LoadResult(existing["title"], existing["version"], existing["clauses"],
                              existing["tables"], 0, unchanged=True)
        reg = parse_regulation(data, file_name)
        rows = clause_rows(reg, self.tokenizer, self.signature)
        # Encode before storing: a failure here leaves nothing half-loaded.
        with self._lock:
            self._indexing[reg.title] = self._indexing.get(reg.title, 0) + 1
        try:
            vecs = self._vectors(PASSAGE, _passages([{**r, "title": reg.title} for r in rows]), progress)
            return self._store_loaded(reg, rows, vecs, data, file_name, actor, source)
        finally:
            with self._lock:
                self._indexing[reg.title] -= 1
                if not self._indexing[reg.title]:
                    del self._indexing[reg.title]

    def indexing(self) -> list[str]:
        """Titles of documents being indexed now (not yet answering questions)."""
        with self._lock:
            return sorted(self._indexing)

    def _store_loaded(self, reg: Regulation, rows: list[dict[str, Any]], vecs: dict[str, Any],
                      data: bytes, file_name: str, actor: object, source: str) -> LoadResult:
        doc = {"title": reg.title, "file_name": file_name, "file_type": reg.file_type, "source": source}
        with self._lock:
            reg_id, old = self.store.add_regulation(doc, data, rows, actor)
            if old is not None:
                for clause_id in [cid for cid, c in self._clauses.items()
                                  if c["regulation_id"] == old["id"]]:
                    self.matcher.remove_clause(clause_id)
                    clause = self._clauses.pop(clause_id)
                    self._by_article.pop((clause["title"], clause.get("article")), None)
            for row in self.store.active_clauses(reg_id):
                self._add_clause(row, vecs)
            forms = [e for e in self._examples.values() if e["kind"] == "article" and e["title"] == reg.title]
            self._detach_examples([e["id"] for e in forms])
            self._attach_examples(forms)
        version = (old["version"] + 1) if old else 1
        return LoadResult(reg.title, version, len(reg.clauses),
                          sum(1 for c in reg.clauses if c.tables),
                          len({c.chapter for c in reg.clauses if c.chapter}),
                          old["version"] if old else None,
                          structure=reg.structure.describe(len(reg.clauses)))

    def load_examples(self, data: bytes, file_name: str, actor: object,
                      title: str | None = None) -> ExamplesResult:
        """Load a ``.questions.toml`` (question forms of the document ``title``) or an
        ``out_of_scope.toml``; it replaces what the same file gave before.

        Raises ``BadQuestionForms`` (nothing stored) for a file that cannot be used.
        """
        self._ensure()
        unknown: list[str] = []
        if file_name.endswith(QUESTIONS_SUFFIX):
            if title is None:
                raise BadQuestionForms(f"{file_name} 要和它所属的规定文件一起载入（同名，如 考核办法.docx 和 考核办法{QUESTIONS_SUFFIX}）。")
            forms = parse_question_forms(data, file_name)
            articles = {a for (t, a) in self._by_article if t == title}
            unknown = sorted({f.article for f in forms if f.article not in articles})
            rows = [{"kind": "article", "title": title, "article": f.article, "question": f.question}
                    for f in forms]
        else:
            rows = [{"kind": "none", "title": None, "article": None, "question": q}
                    for q in parse_out_of_scope(data, file_name)]
        for r in rows:
            r["terms"] = json.dumps(self.tokenizer.terms(r["question"]), ensure_ascii=False)
        self._vectors(QUESTION, [r["question"] for r in rows])  # encoded before anything is stored
        with self._lock:
            changed = self.store.replace_file_examples(file_name, rows, self.signature, actor)
            if changed:
                old = [eid for eid, e in self._examples.items()
                       if e["source"] == "file" and e["source_name"] == file_name]
                self._detach_examples(old)
                for eid in old:
                    del self._examples[eid]
                new = self.store.examples(source_name=file_name)
                self._examples.update({e["id"]: e for e in new})
                self._attach_examples(new if new else None)
        return ExamplesResult(file_name, len(rows), changed, tuple(unknown))

    def load_folder(self) -> list[LoadResult]:
        """Load every regulation file in the configured folder that is new or changed, with
        its question forms, and the folder's out-of-scope examples."""
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
            forms = self.load_sidecar(path, result.title, "folder")
            results.append(result if forms is None else
                           LoadResult(**{**result.__dict__, "examples": forms.examples}))
        oos = folder / OUT_OF_SCOPE_NAME
        if oos.is_file():
            try:
                self.load_examples(oos.read_bytes(), oos.name, "folder")
            except BadQuestionForms as exc:
                log.warning("%s not loaded: %s", oos, exc.reason)
        return results

    def load_sidecar(self, path: Path, title: str, actor: object) -> ExamplesResult | None:
        """The question forms beside a regulation file (``<stem>.questions.toml``), if any."""
        sidecar = path.with_name(path.stem + QUESTIONS_SUFFIX)
        if not sidecar.is_file():
            return None
        try:
            result = self.load_examples(sidecar.read_bytes(), sidecar.name, actor, title)
        except BadQuestionForms as exc:
            log.warning("%s not loaded: %s", sidecar, exc.reason)
            return None
        if result.unknown_articles:
            log.warning("%s: no such article in %s: %s", sidecar.name, title,
                        "、".join(result.unknown_articles))
        return result

    def title_for_examples(self, file_name: str) -> str | None:
        """The loaded document a ``<stem>.questions.toml`` belongs to: the one loaded from a
        file with that stem, or titled so (None for an out-of-scope file or no match)."""
        if not file_name.lower().endswith(QUESTIONS_SUFFIX):
            return None
        stem = file_name[: -len(QUESTIONS_SUFFIX)]
        for doc in self.documents():
            if Path(doc["file_name"] or "").stem == stem or doc["title"] == stem:
                return doc["title"]
        raise BadQuestionForms(f"没有找到与《{file_name}》同名的规定文件。请先载入规定文件"
                               f"（如 {stem}.docx），或把文件名改成“规定文件名{QUESTIONS_SUFFIX}”。")

    def documents(self) -> list[dict[str, Any]]:
        """Active documents."""
        return self.store.regulations()

    # ---- FAQ and example questions -----------------------------------------------------

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

    def find_article(self, label: str, doc_hint: str = "") -> list[dict[str, Any]]:
        """Active clauses with article ``label`` (第12条 / 第十二条), in documents whose title
        contains ``doc_hint`` (all documents when empty)."""
        self._ensure()
        canonical = article_label(label)
        if canonical is None:
            return []
        with self._lock:
            return [self._clauses[cid] for (title, article), cid in self._by_article.items()
                    if article == canonical and doc_hint in title]

    def add_example(self, question: str, actor: object, clause: dict[str, Any] | None) -> int:
        """A question form for ``clause``, or (clause None) a question the regulations do
        not answer. Effective at once."""
        self._ensure()
        kind = "none" if clause is None else "article"
        terms = json.dumps(self.tokenizer.terms(question), ensure_ascii=False)
        self._vectors(QUESTION, [question])
        eid = self.store.add_example(kind, clause and clause["title"], clause and clause["article"],
                                     question, terms, self.signature, actor)
        with self._lock:
            row = self.store.example(eid)
            self._examples[eid] = row
            self._attach_examples([row])
        return eid

    def remove_example(self, eid: int, actor: object) -> bool:
        """Withdraw an example added in chat."""
        self._ensure()
        removed = self.store.remove_example(eid, actor)
        if removed:
            with self._lock:
                gone = self._examples.pop(eid, None)
                self._detach_examples([eid])
                if gone is not None and gone["kind"] == "none":
                    self._attach_examples([gone])  # refreshes the out-of-scope set
        return removed

    def examples(self) -> list[dict[str, Any]]:
        """Active example questions (files and chat)."""
        return self.store.examples()

    # ---- answering ---------------------------------------------------------------------

    def answer(self, question: str) -> Answer:
        """The FAQ answer, else the best clause (with up to two related ones) when the
        question is covered, else "none"."""
        self._ensure()
        pending = self.indexing()
        # The vector first, then the words: run side by side they slow each other down
        # (the engine's two threads need both cores).
        qvec = self.encoder.encode_one(QUESTION, question) if self.encoder is not None else None
        words = self.tokenizer.words(question)
        match = self.matcher.search({"w": words, "b": self.tokenizer.bigrams(question)}, qvec,
                                    1 + RELATED + 2)
        hits = match.candidates
        faq = self._best_faq(words)
        rules = self.config.qa
        related = [self._clauses[h.doc_id] for h in hits[1:]
                   if hits[0].score > 0 and h.score >= rules.related_share * hits[0].score]
        if faq is not None:
            best = [self._clauses[h.doc_id] for h in hits[:1]] if hits else []
            return Answer("faq", question, faq=faq, related=(best + related)[:RELATED], hits=hits,
                          pending=pending)
        if not answerable(match, rules, qvec is not None):
            # No clear answer: the nearest clauses are offered (as buttons), marked as such;
            # none when the question is like one the examples say the rules do not cover.
            uncovered = match.scoped and match.out_of_scope >= match.in_scope + rules.out_of_scope_margin
            nearest = ([self._clauses[h.doc_id] for h in hits[:RELATED]]
                       if match.in_scope > -1.0 and not uncovered else [])
            return Answer("none", question, related=nearest, hits=hits, out_of_scope=match.out_of_scope,
                          pending=pending)
        best = self._clauses[hits[0].doc_id]
        part = best_part(self.tokenizer, question, best["parts"])
        other = next((self._clauses[h.doc_id] for h, g in zip(hits[1:], match.groups[1:], strict=False)
                      if g != match.groups[0] and hits[0].score > 0
                      and h.score >= rules.other_document_share * hits[0].score), None)
        related = [c for c in related if other is None or c["id"] != other["id"]]
        return Answer("clause", question, clause=best, part=part, related=related[:RELATED],
                      other=other, hits=hits, out_of_scope=match.out_of_scope, pending=pending)

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
