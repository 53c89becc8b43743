"""Regulations, their clauses and the office's FAQ answers in the database. Mixed into
``Store``. A new version of a document (same title) deactivates the old one in the same
transaction that stores the new clauses, so a question never sees both or neither."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from storage.clock import utc_iso


class RegulationStore:
    """Regulation documents, clauses and FAQs (mixed into ``Store``)."""

    def add_regulation(self, doc: dict[str, Any], data: bytes, clauses: Iterable[dict[str, Any]],
                       actor: object) -> tuple[int, dict[str, Any] | None]:
        """Store a document and its clauses; return (new id, the version it replaced)."""
        sha, new_file = self.files.put(data)
        try:
            with self.transaction() as db:
                now = utc_iso()
                if not db["files"].count_where("sha256 = ?", [sha]):
                    db["files"].insert({"sha256": sha, "size": len(data),
                                        "file_type": doc["file_type"], "stored_at": now})
                old = list(db.query("select * from regulations where title = ? and active = 1",
                                    [doc["title"]]))
                version = (db.execute("select max(version) from regulations where title = ?",
                                      [doc["title"]]).fetchone()[0] or 0) + 1
                if old:
                    db.execute("update regulations set active = 0 where title = ?", [doc["title"]])
                rows = list(clauses)
                reg_id = db["regulations"].insert({
                    **doc, "sha256": sha, "version": version, "loaded_by": str(actor),
                    "loaded_at": now, "active": 1, "clauses": len(rows),
                    "tables": sum(1 for r in rows if json.loads(r.get("tables") or "[]")),
                }).last_pk
                db["clauses"].insert_all(({**r, "regulation_id": reg_id} for r in rows), batch_size=500)
                self._audit(db, actor, "load_regulation", None, {
                    "title": doc["title"], "version": version, "clauses": len(rows),
                    "sha256": sha, "replaced_version": old[0]["version"] if old else None})
        except BaseException:
            if new_file:
                self.files.remove(sha)
            raise
        return reg_id, (old[0] if old else None)

    def regulation_by_hash(self, sha256: str) -> dict[str, Any] | None:
        """The active document stored from exactly these bytes, if any."""
        return self._row("select * from regulations where sha256 = ? and active = 1", [sha256])

    def regulations(self, active_only: bool = True) -> list[dict[str, Any]]:
        """Loaded documents, newest first."""
        where = "where active = 1" if active_only else ""
        return self._rows(f"select * from regulations {where} order by title, version desc")

    def active_clauses(self, regulation_id: int | None = None) -> list[dict[str, Any]]:
        """Every clause of every active document (or of one document), with its title."""
        only = "and r.id = ?" if regulation_id is not None else ""
        return self._rows(
            f"""select c.*, r.title, r.version, r.file_name from clauses c
               join regulations r on r.id = c.regulation_id
               where r.active = 1 {only} order by r.id, c.seq""",
            [regulation_id] if regulation_id is not None else [])

    def clause(self, clause_id: int) -> dict[str, Any] | None:
        """One clause with its document's title (active or not)."""
        return self._row(
            """select c.*, r.title, r.version, r.file_name, r.active from clauses c
               join regulations r on r.id = c.regulation_id where c.id = ?""", [clause_id])

    def set_clause_terms(self, updates: Iterable[tuple[int, str, str]]) -> None:
        """Store re-computed index terms: (clause id, terms JSON, signature)."""
        with self.transaction() as db:
            db.conn.executemany("update clauses set terms = ?, terms_signature = ? where id = ?",
                                [(terms, sig, cid) for cid, terms, sig in updates])

    def add_faq(self, question: str, answer: str, terms: str, signature: str, actor: object) -> int:
        """A curated answer the office wants given for a question."""
        with self.transaction() as db:
            faq_id = db["faqs"].insert({
                "question": question, "answer": answer, "terms": terms,
                "terms_signature": signature, "created_by": str(actor), "created_at": utc_iso(),
                "active": 1}).last_pk
            self._audit(db, actor, "add_faq", None, {"id": faq_id, "question": question})
            return faq_id

    def faqs(self) -> list[dict[str, Any]]:
        """Active FAQ answers, oldest first."""
        return self._rows("select * from faqs where active = 1 order by id")

    def remove_faq(self, faq_id: int, actor: object) -> bool:
        """Withdraw an FAQ answer; False when there was no such active one."""
        with self.transaction() as db:
            cursor = db.execute("update faqs set active = 0 where id = ? and active = 1", [faq_id])
            if cursor.rowcount:
                self._audit(db, actor, "remove_faq", None, {"id": faq_id})
            return cursor.rowcount > 0

    def set_faq_terms(self, updates: Iterable[tuple[int, str, str]]) -> None:
        """Store re-computed FAQ terms: (faq id, terms JSON, signature)."""
        with self.transaction() as db:
            db.conn.executemany("update faqs set terms = ?, terms_signature = ? where id = ?",
                                [(terms, sig, fid) for fid, terms, sig in updates])

    # ---- example questions (常见问法 and out-of-scope examples) --------------------------

    def replace_file_examples(self, source_name: str, rows: list[dict[str, Any]], signature: str,
                              actor: object) -> bool:
        """Make ``rows`` (kind, title, article, question, terms) the examples that the file
        ``source_name`` gives; examples added in chat stay. False when nothing changed."""
        def ident(r: dict[str, Any]) -> tuple:
            return (r["kind"], r.get("title") or "", r.get("article") or "", r["question"])

        with self.transaction() as db:
            current = list(db.query("select kind, title, article, question from question_examples"
                                    " where source = 'file' and source_name = ? and active = 1",
                                    [source_name]))
            if sorted(map(ident, current)) == sorted(map(ident, rows)):
                return False
            now = utc_iso()
            db.execute("update question_examples set active = 0 where source = 'file'"
                       " and source_name = ? and active = 1", [source_name])
            db["question_examples"].insert_all(({
                **r, "terms_signature": signature, "source": "file", "source_name": source_name,
                "created_by": str(actor), "created_at": now, "active": 1} for r in rows),
                batch_size=500)
            self._audit(db, actor, "load_examples", None,
                        {"file": source_name, "examples": len(rows), "replaced": len(current)})
        return True

    def add_example(self, kind: str, title: str | None, article: str | None, question: str,
                    terms: str, signature: str, actor: object) -> int:
        """One example question the office adds in chat."""
        with self.transaction() as db:
            eid = db["question_examples"].insert({
                "kind": kind, "title": title, "article": article, "question": question,
                "terms": terms, "terms_signature": signature, "source": "chat",
                "created_by": str(actor), "created_at": utc_iso(), "active": 1}).last_pk
            self._audit(db, actor, "add_example", None, {"id": eid, "kind": kind, "title": title,
                                                         "article": article, "question": question})
            return eid

    def examples(self, source_name: str | None = None) -> list[dict[str, Any]]:
        """Active example questions (all, or those from one file), oldest first."""
        if source_name is None:
            return self._rows("select * from question_examples where active = 1 order by id")
        return self._rows("select * from question_examples where active = 1 and source = 'file'"
                          " and source_name = ? order by id", [source_name])

    def example(self, eid: int) -> dict[str, Any] | None:
        """One example question."""
        return self._row("select * from question_examples where id = ?", [eid])

    def remove_example(self, eid: int, actor: object) -> bool:
        """Withdraw an example added in chat; False when there was no such active one."""
        with self.transaction() as db:
            cursor = db.execute("update question_examples set active = 0 where id = ? and active = 1"
                                " and source = 'chat'", [eid])
            if cursor.rowcount:
                self._audit(db, actor, "remove_example", None, {"id": eid})
            return cursor.rowcount > 0

    def set_example_terms(self, updates: Iterable[tuple[int, str, str]]) -> None:
        """Store re-computed example terms: (id, terms JSON, signature)."""
        with self.transaction() as db:
            db.conn.executemany("update question_examples set terms = ?, terms_signature = ? where id = ?",
                                [(terms, sig, eid) for eid, terms, sig in updates])

    # ---- sentence vectors ----------------------------------------------------------------

    def text_vectors(self, model: str) -> dict[str, bytes]:
        """Every stored vector of ``model`` by text key."""
        with self._lock:
            rows = self.db.execute("select key, vector from text_vectors where model = ?", [model])
            return dict(rows.fetchall())

    def put_text_vectors(self, model: str, vectors: dict[str, bytes]) -> None:
        """Keep vectors for the next start (existing keys are left as they are)."""
        if not vectors:
            return
        with self.transaction() as db:
            db.conn.executemany("insert or ignore into text_vectors (model, key, vector) values (?, ?, ?)",
                                [(model, k, v) for k, v in vectors.items()])
