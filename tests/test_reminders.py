"""Reminders, late notices, digests and their ledger, with a controllable clock, sent through
python-telegram-bot's real stack (rate limiter included) to the local HTTP Bot API."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.app import build_application
from bot.local import LocalBotApi
from bot.notify import Outbox
from kaohe.config import Deadline
from kaohe.services import Services
from scoring.reminders import Phase
from scoring.schedule import WorkCalendar
from tests.conftest import EXAMPLE_REPORT

TZ = ZoneInfo("Asia/Shanghai")
ADMIN, OFFICIAL = 10001, 10002
SFJ, FGW, DCQ = 40001, 40002, 40003
# Monday after the 2026 National Day holiday (10-01..07; Saturday 10-10 is a 调休 working day).
DUE = datetime(2026, 10, 12, 18, 0, tzinfo=TZ)


def local(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


@pytest.fixture
def holiday_config(config):
    return replace(
        config, max_messages_per_second=1000,
        deadlines=(Deadline("准备阶段", "自查材料提交", DUE.astimezone(timezone.utc)),),
        phases=(Phase("准备阶段", date(2026, 9, 20), date(2026, 10, 18)),
                Phase("目标任务量化评分", date(2026, 10, 19), date(2026, 10, 31))),
    )


class Harness:
    """Services + a PTB bot on the local Bot API + an outbox driven by a fake clock."""

    def __init__(self, api: LocalBotApi, cfg, scorer):
        self.api, self.cfg, self.scorer = api, cfg, scorer
        self.svc = Services(cfg, scorer=scorer)
        self.app = build_application(cfg, api.token, services=self.svc)
        self.outbox = Outbox(self.svc, self.app.bot)

    async def start(self) -> Harness:
        await self.app.initialize()
        return self

    async def close(self) -> None:
        await self.app.shutdown()
        self.svc.close()

    def bind(self, chat_id: int, unit_id: str, at: datetime) -> None:
        self.svc.store.bind_liaison(chat_id, f"联络员{chat_id}", None, unit_id, at)

    def texts(self, chat_id: int) -> list[str]:
        return [m["text"] for m in self.api.messages(chat_id)]


@pytest.fixture
async def harness(holiday_config, scorer):
    with LocalBotApi() as api:
        cfg = replace(holiday_config, api_url=api.api_url)
        h = await Harness(api, cfg, scorer).start()
        yield h
        await h.close()


async def walk(h: Harness, start: datetime, end: datetime, step=timedelta(hours=1),
               on_step=None) -> dict[int, list[tuple[datetime, str]]]:
    """Run the outbox at every step; return what each chat received and when."""
    received: dict[int, list[tuple[datetime, str]]] = {}
    seen: dict[int, int] = {}
    moment = start
    while moment <= end:
        if on_step:
            await on_step(moment)
        await h.outbox.run(now=moment.astimezone(timezone.utc))
        for chat in (SFJ, FGW, DCQ, ADMIN, OFFICIAL):
            texts = h.texts(chat)
            for text in texts[seen.get(chat, 0):]:
                received.setdefault(chat, []).append((moment, text))
            seen[chat] = len(texts)
        moment += step
    return received


async def test_days_the_office_declares_off_move_reminders_and_skip_digests(holiday_config, scorer):
    # A local day off on Friday 10-09 and on Wednesday 10-14, declared in [reminders] holidays.
    days_off = WorkCalendar(holidays=frozenset({date(2026, 10, 9), date(2026, 10, 14)}))
    cfg = replace(holiday_config, reminders=replace(holiday_config.reminders, calendar=days_off))
    with LocalBotApi() as api:
        h = await Harness(api, replace(cfg, api_url=api.api_url), scorer).start()
        try:
            h.bind(FGW, "fgw", local(9, 1))
            got = await walk(h, local(9, 28), local(10, 17))
        finally:
            await h.close()
    reminders = [t for t, text in got[FGW] if "提交提醒" in text]
    # 3 days before = 10-09, declared off → Thursday 10-08 (the first working day after National Day).
    assert reminders == [local(9, 30, 9), local(10, 8, 9), local(10, 10, 9), local(10, 12, 9)]
    digests = [t for t, text in got[OFFICIAL] if "每日简报" in text]
    assert digests == [local(10, 13, 9), local(10, 15, 9), local(10, 16, 9)]


async def test_a_full_cycle_across_the_national_day_holiday(harness):
    h = harness
    for chat, unit in ((SFJ, "sfj"), (FGW, "fgw"), (DCQ, "dcq")):
        h.bind(chat, unit, local(9, 1))

    async def sfj_submits(moment):
        if moment == local(10, 9, 15):
            await asyncio.to_thread(h.svc.ingest, "sfj", SFJ, EXAMPLE_REPORT.name,
                                    EXAMPLE_REPORT.read_bytes(), moment.astimezone(timezone.utc))

    got = await walk(h, local(9, 25), local(10, 19), on_step=sfj_submits)

    reminders = [(t, text) for t, text in got[FGW] if "提交提醒" in text]
    # 7 days before = 10-05 (holiday) → 09-30; 3 days = 10-09 (Fri); 1 day = Sun 10-11 → 调休 Sat 10-10.
    assert [t for t, _ in reminders] == [local(9, 30, 9), local(10, 9, 9), local(10, 10, 9),
                                         local(10, 12, 9)]
    assert "还有 12 天 9 小时" in reminders[0][1] and "2026年10月12日 18:00" in reminders[0][1]
    assert "还有 9 小时" in reminders[-1][1]
    late = [(t, text) for t, text in got[FGW] if "已逾期" in text]
    assert [t for t, _ in late] == [local(10, 12, 18)]
    assert len(got[FGW]) == 5 and got[DCQ] == [(t, x.replace("市发展和改革委员会", "东城区"))
                                               for t, x in got[FGW]]

    # 市司法局 submitted on 10-09 at 15:00: reminded twice before that, never after, never late.
    assert [t for t, _ in got[SFJ]] == [local(9, 30, 9), local(10, 9, 9)]

    office = got[ADMIN]
    assert [t for t, _ in office] == [local(10, 12, 18)]
    assert "逾期未交名单" in office[0][1] and "已提交 1/4" in office[0][1]
    for name in ("市发展和改革委员会", "东城区", "高新技术产业开发区"):
        assert name in office[0][1]
    assert "未绑定联络员" in office[0][1]

    digests = [t for t, text in got[OFFICIAL] if "每日简报" in text]
    # Working days after the deadline while 准备阶段 is open (ends Sunday 10-18), at 09:00.
    assert digests == [local(10, 13, 9), local(10, 14, 9), local(10, 15, 9), local(10, 16, 9)]
    assert "逾期未交（3 个单位）" in got[OFFICIAL][0][1]

    ledger = h.svc.store.notifications()
    assert all(row["status"] in ("sent", "skipped") for row in ledger)
    assert len({row["key"] for row in ledger}) == len(ledger)


async def test_downtime_sends_only_the_current_reminder_never_a_stale_one(harness):
    h = harness
    h.bind(FGW, "fgw", local(9, 1))
    await h.outbox.run(now=local(9, 30, 9).astimezone(timezone.utc))
    assert len(h.texts(FGW)) == 1
    # Down from 09-30 until 10-10 14:00: the 3-day (10-09) and 1-day (10-10) reminders fell due.
    await h.outbox.run(now=local(10, 10, 14).astimezone(timezone.utc))
    texts = h.texts(FGW)
    assert len(texts) == 2 and "还有 2 天 4 小时" in texts[1]
    skipped = [r for r in h.svc.store.notifications(kind="reminder") if r["status"] == "skipped"]
    assert [r["key"].rsplit(":", 2)[-2] for r in skipped] == ["3"] and skipped[0]["error"] == "stale"
    # Nothing more until the morning of; and nothing at night even when due.
    await h.outbox.run(now=local(10, 11, 23).astimezone(timezone.utc))
    assert len(h.texts(FGW)) == 2


async def test_outside_the_send_window_nothing_goes_out_until_morning(harness):
    h = harness
    h.bind(FGW, "fgw", local(9, 1))
    await h.outbox.run(now=local(10, 12, 5).astimezone(timezone.utc))
    assert h.texts(FGW) == []
    await h.outbox.run(now=local(10, 12, 8).astimezone(timezone.utc))
    assert len(h.texts(FGW)) == 1 and "还有 10 小时" in h.texts(FGW)[0]


async def test_extension_moves_reminders_and_keeps_the_unit_off_the_overdue_list(harness):
    h = harness
    h.bind(FGW, "fgw", local(9, 1))
    h.bind(DCQ, "dcq", local(9, 1))
    h.svc.store.grant_extension("dcq", "自查材料提交",
                                local(10, 16, 18).astimezone(timezone.utc).isoformat(), ADMIN, "机构调整")
    # Granting happens in real time (now, after these fake dates); pretend it was granted on 09-20.
    h.svc.store.db.execute("update extensions set granted_at = ?",
                           [local(9, 20).astimezone(timezone.utc).isoformat()])
    got = await walk(h, local(10, 9, 8), local(10, 17, 20))
    assert [t for t, text in got[DCQ] if "提交提醒" in text] == [
        local(10, 9, 9), local(10, 13, 9), local(10, 15, 9), local(10, 16, 9)]
    assert "2026年10月16日 18:00" in got[DCQ][0][1]
    assert [t for t, text in got[DCQ] if "已逾期" in text] == [local(10, 16, 18)]
    first_list = got[ADMIN][0][1]
    assert "市发展和改革委员会" in first_list and "东城区" not in first_list
    second_list = got[ADMIN][1][1]
    assert got[ADMIN][1][0] == local(10, 16, 18) and "东城区" in second_list


async def test_everyone_submitting_tells_the_office_once(harness):
    h = harness
    for chat, unit in ((SFJ, "sfj"), (FGW, "fgw")):
        h.bind(chat, unit, local(9, 1))
    data = EXAMPLE_REPORT.read_bytes()
    for unit in ("sfj", "fgw", "dcq", "gxq"):
        h.svc.ingest(unit, SFJ, f"{unit}.docx", data,
                     local(10, 8, 10).astimezone(timezone.utc))
    for hour in (10, 11, 12):
        await h.outbox.run(now=local(10, 8, hour).astimezone(timezone.utc))
    for chat in (ADMIN, OFFICIAL):
        done = [t for t in h.texts(chat) if "全部 4 个单位均已提交" in t]
        assert len(done) == 1 and "按时 4，逾期 0" in done[0]
    assert h.texts(FGW) == []


async def test_a_user_who_blocked_the_bot_is_marked_and_does_not_stall_others(harness):
    h = harness
    for chat, unit in ((SFJ, "sfj"), (FGW, "fgw"), (DCQ, "dcq")):
        h.bind(chat, unit, local(9, 1))
    h.api.block(FGW)
    report = await h.outbox.run(now=local(9, 30, 9).astimezone(timezone.utc))
    assert (report.sent, report.blocked) == (2, 1)
    assert len(h.texts(SFJ)) == 1 and len(h.texts(DCQ)) == 1 and h.texts(FGW) == []
    person = h.svc.store.person(FGW)
    assert person["unreachable_at"] and "blocked" in person["unreachable_reason"]
    overview = h.svc.cycle.overview(local(9, 30, 10).astimezone(timezone.utc))
    assert [(u["id"], p.telegram_id) for u, p in overview.unreachable] == [("fgw", FGW)]
    # Later reminders skip them (no repeated 403s) …
    await h.outbox.run(now=local(10, 9, 9).astimezone(timezone.utc))
    assert len(h.api.errors) == 1 and len(h.texts(SFJ)) == 2
    # … until they write to the bot again.
    assert h.svc.store.mark_reachable(FGW) is True
    h.api.unblock(FGW)
    await h.outbox.run(now=local(10, 10, 9).astimezone(timezone.utc))
    assert len(h.texts(FGW)) == 1 and "还有 2 天 9 小时" in h.texts(FGW)[0]


async def test_retry_after_from_the_bot_api_is_waited_out_and_nothing_is_lost(harness):
    h = harness
    for chat, unit in ((SFJ, "sfj"), (FGW, "fgw"), (DCQ, "dcq")):
        h.bind(chat, unit, local(9, 1))
    h.api.fail_next("sendMessage", error_code=429, description="Too Many Requests: retry after 1",
                    retry_after=1, times=2)
    report = await h.outbox.run(now=local(9, 30, 9).astimezone(timezone.utc))
    assert report.sent == 3 and report.retrying == 0
    assert [len(h.texts(c)) for c in (SFJ, FGW, DCQ)] == [1, 1, 1]
    assert sum(1 for e in h.api.errors if e["error_code"] == 429) == 2


async def test_a_run_that_cannot_send_keeps_the_messages_for_the_next_run(harness):
    h = harness
    h.bind(FGW, "fgw", local(9, 1))
    h.api.fail_next("sendMessage", error_code=500, description="Internal Server Error", times=1)
    first = await h.outbox.run(now=local(9, 30, 9).astimezone(timezone.utc))
    assert first.sent == 0 and first.retrying == 1 and h.texts(FGW) == []
    second = await h.outbox.run(now=local(9, 30, 9, 10).astimezone(timezone.utc))
    assert second.sent == 1 and len(h.texts(FGW)) == 1


async def test_restart_in_the_middle_of_a_run_neither_repeats_nor_loses(holiday_config, scorer):
    units = [(f"u{i:02d}", f"测试单位{i:02d}") for i in range(30)]
    from kaohe.config import UnitConfig

    cfg = replace(holiday_config, units=tuple(UnitConfig(uid, name, "市直部门", f"CODE{uid}")
                                              for uid, name in units))
    moment = local(9, 30, 9).astimezone(timezone.utc)
    with LocalBotApi() as api:
        cfg = replace(cfg, api_url=api.api_url)
        first = await Harness(api, cfg, scorer).start()
        for i, (uid, _) in enumerate(units):
            first.bind(50000 + i, uid, local(9, 1))
        api.hold("sendMessage", after=12)
        run = asyncio.ensure_future(first.outbox.run(now=moment))
        # Every sender is now waiting on a message Telegram has not accepted yet …
        await asyncio.to_thread(api.wait_held, cfg.reminders.concurrency)
        run.cancel()  # … when the process stops: no clean shutdown, nothing more is written
        with pytest.raises(asyncio.CancelledError):
            await run
        api.release()
        delivered_before = sum(len(api.messages(50000 + i)) for i in range(30))
        assert delivered_before == 12

        second = await Harness(api, cfg, scorer).start()
        report = await second.outbox.run(now=moment + timedelta(minutes=3))
        assert report.sent == 18
        assert [len(api.messages(50000 + i)) for i in range(30)] == [1] * 30
        assert all(r["status"] == "sent" for r in second.svc.store.notifications())
        again = await second.outbox.run(now=moment + timedelta(minutes=20))
        assert again.sent == 0 and sum(len(api.messages(50000 + i)) for i in range(30)) == 30
        await second.close()
        await first.close()


def test_killed_in_the_middle_of_a_run_the_restarted_bot_sends_each_reminder_once(tmp_path, scorer):
    """The real entry point, SIGKILLed while messages are in flight, then started again."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from kaohe.config import load_config
    from tests.conftest import ROOT

    due = (datetime.now(TZ) + timedelta(hours=3)).strftime("%Y-%m-%d %H:%M")
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    for old, new in (('dir = "data"', f'dir = "{tmp_path / "store"}"'),
                     ('"2026-12-15 18:00"', f'"{due}"'), ('"2026-12-20 18:00"', f'"{due}"'),
                     ("offsets_days = [7, 3, 1, 0]", "offsets_days = [1, 0]"),
                     ('digest_at = "09:00"', 'digest_at = "00:00"'), ('\nat = "09:00"', '\nat = "00:00"'),
                     ("working_days_only = true", "working_days_only = false"),
                     ('send_window = ["08:00", "21:00"]', 'send_window = ["00:00", "23:59:59"]')):
        assert old in text
        text = text.replace(old, new)
    config_path = tmp_path / "office.toml"
    config_path.write_text(text, encoding="utf-8")
    svc = Services(load_config(config_path), scorer=scorer)
    chats = [70000 + i for i in range(30)]
    for i, chat in enumerate(chats):
        svc.store.bind_liaison(chat, f"联络员{i}", None, ("sfj", "fgw", "dcq", "gxq")[i % 4],
                               datetime.now(timezone.utc) - timedelta(days=1))
    svc.close()

    with LocalBotApi() as api, open(tmp_path / "bot.log", "wb") as log:
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_URL": api.api_url}

        def start():
            return subprocess.Popen([sys.executable, "-m", "bot", "--config", str(config_path)],
                                    cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

        api.hold("sendMessage", after=5)
        first = start()
        try:
            api.wait_held(8, timeout=60)  # every sender waits on a message not yet accepted
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=30)
        api.release()
        assert sum(len(api.messages(c)) for c in chats) == 5

        second = start()
        try:
            deadline = time.monotonic() + 60
            while sum(len(api.messages(c)) for c in chats) < 30 and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(3)  # room for a duplicate to show up, if there were one
        finally:
            second.send_signal(signal.SIGINT)
            second.wait(timeout=30)
        assert [len(api.messages(c)) for c in chats] == [1] * 30
        assert all("提交提醒" in api.messages(c)[0]["text"] for c in chats)
