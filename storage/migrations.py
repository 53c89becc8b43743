"""Ordered, re-runnable schema migrations (sqlite-utils ``Migrations``)."""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("kaohe")


@migrations()
def m001_initial(db: Database) -> None:
    db["units"].create(
        {"id": str, "name": str, "category": str, "invite_code": str, "active": int},
        pk="id", not_null={"name", "category", "invite_code"}, defaults={"active": 1},
    )
    db["units"].create_index(["invite_code"], unique=True)
    db["people"].create(
        {"telegram_id": int, "name": str, "username": str, "unit_id": str, "role": str,
         "bound_at": str},
        pk="telegram_id", foreign_keys=[("unit_id", "units", "id")],
    )
    db["people"].create_index(["unit_id"])
    db["files"].create(
        {"sha256": str, "size": int, "file_type": str, "stored_at": str}, pk="sha256",
    )
    db["submissions"].create(
        {"id": int, "unit_id": str, "telegram_id": int, "sha256": str, "file_name": str,
         "file_type": str, "pages": int, "paragraph_count": int, "chars": int,
         "received_at": str, "deadline_at": str, "late": int},
        pk="id", not_null={"unit_id", "sha256", "received_at"},
        foreign_keys=[("unit_id", "units", "id"), ("sha256", "files", "sha256")],
    )
    db["submissions"].create_index(["unit_id", "sha256"], unique=True)
    db["paragraphs"].create(
        {"id": int, "submission_id": int, "seq": int, "kind": str, "page": int, "idx": int,
         "location": str, "text": str},
        pk="id", not_null={"submission_id", "text"},
        foreign_keys=[("submission_id", "submissions", "id")],
    )
    db["paragraphs"].create_index(["submission_id", "seq"], unique=True)
    db["unit_scores"].create(
        {"unit_id": str, "computed_at": str, "total": float, "full_marks": float,
         "percent": float, "grade": str, "base_total": float, "effect_total": float,
         "bonus": float, "deduction": float, "vetoed": int, "paragraphs_considered": int},
        pk="unit_id", foreign_keys=[("unit_id", "units", "id")],
    )
    db["indicator_scores"].create(
        {"unit_id": str, "indicator_id": str, "indicator_name": str, "coverage": str,
         "base": float, "effect": float, "evidence_count": int, "gaps": str},
        pk=("unit_id", "indicator_id"), foreign_keys=[("unit_id", "units", "id")],
    )
    db["evidence"].create(
        {"id": int, "unit_id": str, "indicator_id": str, "kind": str, "paragraph_id": int,
         "snippet": str, "detail": str, "rank": int},
        pk="id", foreign_keys=[("unit_id", "units", "id"), ("paragraph_id", "paragraphs", "id")],
    )
    db["evidence"].create_index(["unit_id", "indicator_id"])
    db["audit_log"].create(
        {"id": int, "at": str, "actor": str, "action": str, "unit_id": str, "detail": str},
        pk="id", not_null={"at", "action"},
    )
    db["audit_log"].create_index(["unit_id"])


@migrations()
def m002_cycle(db: Database) -> None:
    """Deadlines and extensions in the database, the notification ledger, announcements."""
    db["deadlines"].create(
        {"id": int, "name": str, "phase": str, "category": str, "config_due": str, "due": str,
         "changed_by": str, "changed_at": str, "reason": str},
        pk="id", not_null={"name", "phase", "category", "due"}, defaults={"category": ""},
    )
    db["deadlines"].create_index(["name", "category"], unique=True)
    db["extensions"].create(
        {"unit_id": str, "name": str, "due": str, "granted_by": str, "granted_at": str,
         "reason": str},
        pk=("unit_id", "name"), not_null={"due", "granted_at"},
        foreign_keys=[("unit_id", "units", "id")],
    )
    db["submissions"].add_column("deadline_name", str)
    db.execute("update submissions set deadline_name = '自查材料提交' where deadline_name is null")
    db["submissions"].create_index(["unit_id", "deadline_name", "received_at"])
    # Names of missing / thin indicators kept with the total, so overviews need no subquery.
    db["unit_scores"].add_column("missing", str)
    db["unit_scores"].add_column("thin", str)
    for column, coverage in (("missing", "missing"), ("thin", "thin")):
        db.execute(f"""update unit_scores set {column} = (
            select group_concat(indicator_name, '、') from indicator_scores i
            where i.unit_id = unit_scores.unit_id and i.coverage = '{coverage}')""")
    db["people"].add_column("unreachable_at", str)
    db["people"].add_column("unreachable_reason", str)
    db["announcements"].create(
        {"id": int, "kind": str, "created_by": int, "created_at": str, "audience": str,
         "audience_label": str, "text": str, "payload": str, "status": str, "recipients": int,
         "confirmed_at": str, "finished_at": str},
        pk="id", not_null={"kind", "created_at", "text", "status"},
    )
    db["notifications"].create(
        {"id": int, "key": str, "kind": str, "chat_id": int, "unit_id": str,
         "deadline_name": str, "announcement_id": int, "due_at": str, "status": str,
         "attempts": int, "created_at": str, "updated_at": str, "sent_at": str,
         "message_id": int, "error": str},
        pk="id", not_null={"key", "kind", "chat_id", "status", "created_at"},
        defaults={"attempts": 0},
    )
    db["notifications"].create_index(["key"], unique=True)
    db["notifications"].create_index(["status"])
    db["notifications"].create_index(["announcement_id"])
    db["notifications"].create_index(["unit_id", "kind"])


@migrations()
def m003_regulations(db: Database) -> None:
    """Regulation documents split into clauses (with their index terms) and curated FAQ answers."""
    db["regulations"].create(
        {"id": int, "title": str, "file_name": str, "file_type": str, "sha256": str,
         "version": int, "source": str, "loaded_by": str, "loaded_at": str, "active": int,
         "clauses": int, "tables": int},
        pk="id", not_null={"title", "sha256", "version", "loaded_at"}, defaults={"active": 1},
    )
    db["regulations"].create_index(["title", "version"], unique=True)
    db["clauses"].create(
        {"id": int, "regulation_id": int, "seq": int, "chapter": str, "section": str,
         "article": str, "text": str, "parts": str, "tables": str, "location": str,
         "terms": str, "terms_signature": str},
        pk="id", not_null={"regulation_id", "seq", "text"},
        foreign_keys=[("regulation_id", "regulations", "id")],
    )
    db["clauses"].create_index(["regulation_id", "seq"], unique=True)
    db["faqs"].create(
        {"id": int, "question": str, "answer": str, "terms": str, "terms_signature": str,
         "created_by": str, "created_at": str, "active": int},
        pk="id", not_null={"question", "answer", "created_at"}, defaults={"active": 1},
    )
    # Example questions: 常见问法 that an article answers (kind 'article', tied to the
    # document title and article label, so they carry over to a new version) and questions
    # the regulations do not answer (kind 'none'). From files or added in chat.
    db["question_examples"].create(
        {"id": int, "kind": str, "title": str, "article": str, "question": str, "terms": str,
         "terms_signature": str, "source": str, "source_name": str, "created_by": str,
         "created_at": str, "active": int},
        pk="id", not_null={"kind", "question", "source", "created_at"}, defaults={"active": 1},
    )
    db["question_examples"].create_index(["source_name", "active"])
    # Sentence vectors of stored texts (clauses, question forms, out-of-scope examples),
    # addressed by model and text, so a restart or a new version re-encodes nothing it knows.
    db["text_vectors"].create({"model": str, "key": str, "vector": bytes}, pk=("model", "key"))
