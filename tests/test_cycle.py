"""Deadlines in the database: office changes survive restarts, config edits win, uploads count
toward the right deadline, the next wake-up is the next reminder time."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from kaohe.config import Deadline
from kaohe.services import Services
from tests.conftest import EXAMPLE_REPORT

TZ = ZoneInfo("Asia/Shanghai")


def due_of(svc: Services, unit_id: str) -> datetime:
    return svc.cycle.progress(unit_id)[0].deadline.due.astimezone(TZ)


def test_an_office_change_survives_a_restart_until_the_config_file_moves(config, scorer):
    svc = Services(config, scorer=scorer)
    svc.store.set_deadline("自查材料提交", None, "2026-12-18T10:00:00+00:00", 10001, "会议")
    assert due_of(svc, "sfj") == datetime(2026, 12, 18, 18, 0, tzinfo=TZ)
    assert due_of(svc, "dcq") == datetime(2026, 12, 18, 18, 0, tzinfo=TZ)
    svc.close()

    svc = Services(config, scorer=scorer)  # restart with the same file: the change stands
    assert due_of(svc, "sfj") == datetime(2026, 12, 18, 18, 0, tzinfo=TZ)
    svc.close()

    moved = tuple(replace(d, due_utc=d.due_utc + timedelta(days=1)) if not d.categories else d
                  for d in config.deadlines)
    svc = Services(replace(config, deadlines=moved), scorer=scorer)  # the office edited the file
    assert due_of(svc, "sfj") == datetime(2026, 12, 16, 18, 0, tzinfo=TZ)
    assert due_of(svc, "dcq") == datetime(2026, 12, 18, 18, 0, tzinfo=TZ)  # its row was not edited
    actions = [e["action"] for e in svc.store.audit_entries()]
    assert actions.count("set_deadline") == 1 and "sync_deadlines" in actions
    svc.close()


def test_uploads_count_toward_the_open_deadline_and_late_against_the_extension(services):
    svc = services
    svc.store.grant_extension("dcq", "自查材料提交", "2026-12-22T10:00:00+00:00", 10001, "机构调整")
    data = EXAMPLE_REPORT.read_bytes()
    after_category_due = datetime(2026, 12, 21, 9, 0, tzinfo=TZ).astimezone(timezone.utc)
    outcome = svc.ingest("dcq", 1, "dcq.docx", data, after_category_due)
    assert outcome.receipt.late is False
    assert outcome.receipt.deadline_at == datetime(2026, 12, 22, 10, 0, tzinfo=timezone.utc)
    late = svc.ingest("gxq", 2, "gxq.docx", data, after_category_due)
    assert late.receipt.late is True
    rows = {s["unit_id"]: s for s in svc.store.submission_summary()}
    assert rows["dcq"]["deadline_name"] == rows["gxq"]["deadline_name"] == "自查材料提交"
    states = {p.unit_id: p.status(after_category_due) for p in svc.cycle.progress()}
    assert states == {"sfj": "overdue", "fgw": "overdue", "dcq": "on_time", "gxq": "late"}


def test_the_next_wake_up_is_the_next_reminder_moved_into_the_send_window(config, scorer):
    due = datetime(2026, 12, 15, 18, 0, tzinfo=TZ)
    cfg = replace(config, deadlines=(Deadline("准备阶段", "自查材料提交", due.astimezone(timezone.utc)),))
    svc = Services(cfg, scorer=scorer)
    svc.store.bind_liaison(1, "甲", None, "fgw", datetime(2026, 11, 1, tzinfo=timezone.utc))
    now = datetime(2026, 12, 1, 12, 0, tzinfo=TZ)
    assert svc.cycle.next_wakeup(now) == datetime(2026, 12, 8, 9, 0, tzinfo=TZ)  # 7 days before
    for unit in ("sfj", "fgw", "dcq", "gxq"):
        svc.ingest(unit, 1, f"{unit}.docx", EXAMPLE_REPORT.read_bytes(), now)
    assert svc.cycle.next_wakeup(now) is None  # everyone submitted, no deadline passed yet
    after = datetime(2026, 12, 16, 22, 0, tzinfo=TZ)  # the deadline passed; 准备阶段 still open
    assert svc.cycle.next_wakeup(after) == datetime(2026, 12, 17, 9, 0, tzinfo=TZ)  # the digest
    svc.close()


def test_the_missing_holiday_year_warning_is_in_chinese_for_the_office(services, caplog):
    import logging

    with caplog.at_level(logging.WARNING, logger="kaohe.cycle"):
        services.cycle.sync()
    years = services.cycle.uncovered_years()
    if not years:
        pytest.skip("the installed holiday calendar covers every year of the cycle")
    (record,) = [r for r in caplog.records if r.name == "kaohe.cycle"]
    message = record.getMessage()
    assert f"节假日日历还没有 {years[0]}" in message and "[reminders] holidays / workdays" in message
    assert "holiday calendar" not in message
