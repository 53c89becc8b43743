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


@migrations()
def m004_results(db: Database) -> None:
    """File versions and withdrawals, the office's decisions, 社会评价 scores, locked results."""
    for column, kind in (("version", int), ("replaces", int), ("replaced_by", int),
                         ("withdrawn_at", str), ("withdrawn_by", str)):
        db["submissions"].add_column(column, kind)
    db.execute("update submissions set version = 1 where version is null")
    # The same bytes may come back as a new version after a withdrawal: unique only among
    # the unit's current files.
    db.execute("drop index if exists idx_submissions_unit_id_sha256")
    db.execute("""create unique index idx_submissions_current_sha256 on submissions (unit_id, sha256)
                  where replaced_by is null and withdrawn_at is null""")
    # unit_scores holds the result (office decisions and social evaluation included); the
    # automatic numbers are kept beside it so either can be shown and recomposed.
    for column, kind in (("auto_total", float), ("auto_bonus", float), ("auto_deduction", float),
                         ("auto_vetoed", int), ("indicator_total", float), ("social", float),
                         ("social_weight", float), ("decisions", int), ("rules_hash", str),
                         ("locked_at", str), ("locked_by", str)):
        db["unit_scores"].add_column(column, kind)
    db.execute("""update unit_scores set auto_total = total, auto_bonus = bonus,
                  auto_deduction = deduction, auto_vetoed = vetoed,
                  indicator_total = round(base_total + effect_total, 2), decisions = 0""")
    for column, kind in (("final", float), ("decided_by", str), ("reason", str)):
        db["indicator_scores"].add_column(column, kind)
    db.execute("update indicator_scores set final = round(base + effect, 2)")
    db["adjustments"].create(
        {"id": int, "unit_id": str, "kind": str, "target": str, "value": float, "reason": str,
         "created_by": str, "created_at": str, "revoked_at": str, "revoked_by": str,
         "revoke_reason": str},
        pk="id", not_null={"unit_id", "kind", "value", "reason", "created_at"},
        foreign_keys=[("unit_id", "units", "id")],
    )
    db["adjustments"].create_index(["unit_id"])
    db["social_scores"].create(
        {"unit_id": str, "score": float, "respondents": int, "source": str, "imported_by": str,
         "imported_at": str},
        pk="unit_id", not_null={"score", "imported_at"}, foreign_keys=[("unit_id", "units", "id")],
    )


@migrations()
def m005_pending_uploads(db: Database) -> None:
    """Uploads being processed, so a restart can tell the user what became of one."""
    db["pending_uploads"].create(
        {"id": int, "chat_id": int, "message_id": int, "user_id": int, "unit_id": str,
         "file_name": str, "started_at": str},
        pk="id", not_null={"chat_id", "message_id", "started_at"},
    )


@migrations()
def m006_announcement_batches(db: Database) -> None:
    """Results locked by one confirmation share a batch, reported to the office once."""
    db["announcements"].add_column("batch", str)


@migrations()
def m007_appeals(db: Database) -> None:
    """复核申请: a unit's appeal against its locked result, and the office's answer."""
    db["appeals"].create(
        {"id": int, "unit_id": str, "submitted_by": int, "reason": str, "created_at": str,
         "answer_due": str, "answered_at": str, "answered_by": str, "answer": str},
        pk="id", not_null={"unit_id", "reason", "created_at"}, foreign_keys=[("unit_id", "units", "id")],
    )
    db["appeals"].create_index(["unit_id"])


@migrations()
def m008_veto_reason(db: Database) -> None:
    """Why a result is 一票否决: the sentence read in the materials, or the office's reason."""
    db["unit_scores"].add_column("auto_veto_reason", str)
    db["unit_scores"].add_column("veto_reason", str)


@migrations()
def m009_copies(db: Database) -> None:
    """Near-identical materials of different units: a copy key per paragraph and the pairs found."""
    from storage.copies import copy_key

    db["paragraphs"].add_column("copy_key", str)
    last = 0
    while True:  # in batches: a province's database holds millions of paragraphs
        rows = db.execute("select id, text from paragraphs where id > ? order by id limit 5000", [last]).fetchall()
        if not rows:
            break
        last = rows[-1][0]
        db.conn.executemany("update paragraphs set copy_key = ? where id = ?",
                            [(key, pid) for pid, text in rows if (key := copy_key(text))])
    db["paragraphs"].create_index(["copy_key"])
    db["similar_submissions"].create(
        {"submission_id": int, "other_id": int, "shared": int, "share": float, "found_at": str},
        pk=("submission_id", "other_id"),
        foreign_keys=[("submission_id", "submissions", "id"), ("other_id", "submissions", "id")],
    )


@migrations()
def m010_updates_seen(db: Database) -> None:
    """Telegram update ids already handled: the same update delivered twice acts once."""
    db["updates_seen"].create({"update_id": int, "seen_at": str}, pk="update_id")


@migrations()
def m011_pending_kinds(db: Database) -> None:
    """The journal of answers owed after a restart holds exports as well as uploads."""
    db["pending_uploads"].add_column("kind", str, not_null_default="upload")


@migrations()
def m012_invites(db: Database) -> None:
    """Invite codes as records of their own: several per unit, each revocable, limited in
    uses and expiring (the code in config is one of them, source "config")."""
    db["invites"].create(
        {"code": str, "unit_id": str, "source": str, "created_at": str, "created_by": str,
         "expires_at": str, "max_uses": int, "uses": int, "revoked_at": str, "revoked_by": str},
        pk="code", not_null={"unit_id", "source", "created_at"}, defaults={"uses": 0},
        foreign_keys=[("unit_id", "units", "id")],
    )
    db["invites"].create_index(["unit_id"])
    db.execute("""insert into invites (code, unit_id, source, created_at, uses)
                  select invite_code, id, 'config', datetime('now'), 0 from units
                  where invite_code not like '~%'""")


@migrations()
def m013_inbox(db: Database) -> None:
    """Updates received but not yet handled: Telegram forgets an update once the next poll
    confirms it, so the bot keeps it until its handling begins."""
    db["inbox"].create({"update_id": int, "payload": str, "received_at": str}, pk="update_id")


@migrations()
def m014_pending_before_message(db: Database) -> None:
    """An upload is journalled before its ⏳ message exists (the message id comes later)."""
    db["pending_uploads"].transform(not_null={"message_id": False})


@migrations()
def m015_intake_moved(db: Database) -> None:
    """Updates received and handled moved to their own file (storage.intake)."""
    for table in ("inbox", "updates_seen"):
        if db[table].exists():
            db[table].drop()


@migrations()
def m016_seal_pages(db: Database) -> None:
    """A scan of a stamped page (盖章页) is kept as the unit's seal page, not scored
    (``role`` 'seal'); ``sealed_pages`` lists a file's pages with a red seal ("1,3")."""
    db["submissions"].add_column("role", str)
    db["submissions"].add_column("sealed_pages", str)


@migrations()
def m017_unit_names(db: Database) -> None:
    """Short names and aliases people use for units (发改委), where a unit came from (config or
    the office's imported list), the contacts that list names, and settings."""
    db["unit_aliases"].create({"key": str, "unit_id": str, "alias": str}, pk="key",
                              foreign_keys=[("unit_id", "units", "id")])
    db["unit_aliases"].create_index(["unit_id"])
    db["units"].add_column("source", str)
    db["units"].add_column("contacts", str)
    db["settings"].create({"key": str, "value": str}, pk="key")
