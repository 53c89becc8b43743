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
