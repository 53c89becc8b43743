"""The store: migrations, units from config, binding, all-or-nothing submissions, audit log."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from storage.store import NewParagraph, NewSubmission, ScoreRecord, Store

UNITS = [
    {"id": "sfj", "name": "市司法局", "category": "市直部门", "invite_code": "SFJ2026"},
    {"id": "dcq", "name": "东城区", "category": "县区", "invite_code": "DCQ2026"},
]
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path)
    s.sync_units(UNITS)
    yield s
    s.close()


def submission(data=b"%PDF-1.7 bytes", unit_id="sfj", deadline=NOW + timedelta(days=1)):
    return NewSubmission(
        unit_id=unit_id, telegram_id=42, file_name="自查报告.pdf", file_type="pdf", data=data,
        pages=1, received_at=NOW, deadline_at=deadline,
        paragraphs=[NewParagraph(1, "text", 1, 1, "第1页第1段", "立项督查事项12项"),
                    NewParagraph(2, "text", 1, 2, "第1页第2段", "办结率91.7%")],
    )


def score(evidence_ref=("new", 1)):
    evidence = [] if evidence_ref is None else [
        {"indicator_id": "lxdc", "kind": "base", "paragraph_ref": evidence_ref,
         "snippet": "立项督查事项12项", "rank": 1, "detail": "立项督查"}]
    return ScoreRecord(
        unit={"total": 40.0, "full_marks": 100.0, "percent": 40.0, "grade": "不合格",
              "base_total": 30.0, "effect_total": 10.0, "bonus": 0.0, "deduction": 0.0,
              "vetoed": 0, "paragraphs_considered": 2},
        indicators=[{"indicator_id": "lxdc", "indicator_name": "立项督查", "coverage": "covered",
                     "base": 15.0, "effect": 10.0, "evidence_count": 1, "gaps": ""}],
        evidence=evidence,
    )


def test_migrations_are_rerunnable_and_data_survives_reopen(tmp_path):
    first = Store(tmp_path)
    first.sync_units(UNITS)
    first.close()
    again = Store(tmp_path)
    assert again.unit("sfj")["name"] == "市司法局"
    assert again.counts()["units"] == 2
    again.close()


def test_sync_units_renames_recodes_and_deactivates(store):
    changes = store.sync_units([{**UNITS[0], "invite_code": "DCQ2026"},
                                {**UNITS[1], "invite_code": "SFJ2026", "name": "东城区人民政府"}])
    assert store.unit_by_invite_code("dcq2026")["id"] == "sfj"  # codes swapped, case-insensitive
    assert "更新单位 东城区人民政府" in changes
    store.sync_units([UNITS[0]])
    assert store.unit_by_invite_code("DCQ2026") is None  # 东城区 was deactivated
    assert store.unit_by_invite_code("SFJ2026")["id"] == "sfj"
    assert store.unit("dcq")["active"] == 0


def test_bind_reports_previous_unit_and_is_audited(store):
    assert store.bind_liaison(7, "张三", "zhangsan", "sfj") is None
    assert store.bind_liaison(7, "张三", "zhangsan", "dcq") == "sfj"
    assert store.person(7)["unit_id"] == "dcq"
    actions = [(e["action"], e["unit_id"]) for e in store.audit_entries()]
    assert ("bind", "sfj") in actions and ("bind", "dcq") in actions


def test_submission_is_recorded_with_file_paragraphs_score_and_audit(store):
    sid = store.record_submission(submission(), score())
    row = store.submissions("sfj")[0]
    assert row["id"] == sid and row["late"] == 0 and row["paragraph_count"] == 2
    assert store.files.read(row["sha256"]) == b"%PDF-1.7 bytes"
    assert [p["text"] for p in store.unit_paragraphs("sfj")] == ["立项督查事项12项", "办结率91.7%"]
    evidence = store.evidence("sfj", "lxdc")
    assert evidence[0]["location"] == "第1页第1段" and evidence[0]["file_name"] == "自查报告.pdf"
    assert store.unit_score("sfj")["total"] == 40.0
    audit = store.audit_entries("sfj")[-1]
    assert audit["action"] == "submit" and json.loads(audit["detail"])["submission_id"] == sid


def test_late_submission_is_flagged(store):
    store.record_submission(submission(deadline=NOW - timedelta(hours=1)), score())
    assert store.submissions("sfj")[0]["late"] == 1


def test_failed_record_leaves_nothing_behind(store):
    before = store.counts()
    with pytest.raises(KeyError):
        store.record_submission(submission(b"new bytes"), score(evidence_ref=("new", 99)))
    assert store.counts() == before
    assert not any(p.is_file() for p in store.files.root.rglob("*"))


def test_same_bytes_twice_for_one_unit_is_refused_by_the_schema(store):
    first = store.record_submission(submission(), score())
    with pytest.raises(sqlite3.IntegrityError):
        store.record_submission(submission(), score())
    assert len(store.submissions("sfj")) == 1
    assert store.files.read(store.submissions("sfj")[0]["sha256"])  # the first copy survives
    # Once withdrawn, the same bytes may come back as a new submission.
    assert store.withdraw_submission(first, 5, score(evidence_ref=None))
    store.record_submission(submission(), score())
    assert len(store.submissions("sfj")) == 1
    assert len(store.submissions("sfj", include_history=True)) == 2


def test_an_update_is_seen_once_across_restarts_without_counting_as_a_change(tmp_path):
    from storage.intake import Intake

    store, intake = Store(tmp_path), Intake(tmp_path)
    stamp = store.change_stamp()
    intake.receive(101, "{}")
    assert intake.unhandled() == [(101, "{}")]
    assert intake.first_seen(101) and not intake.first_seen(101)
    assert intake.unhandled() == []
    intake.receive(101, "{}")  # delivered again: handled already, not journalled
    assert intake.unhandled() == []
    assert store.change_stamp() == stamp  # bookkeeping: /overview's cache stays valid
    store.close()
    intake.close()
    again = Intake(tmp_path)  # a restart: Telegram may deliver update 101 again
    assert not again.first_seen(101) and again.first_seen(102)
    again.close()
