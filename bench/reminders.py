"""Benchmark: one reminder run to thousands of liaisons through python-telegram-bot's real
stack (AIORateLimiter included, its ceiling raised for the run) to the local HTTP Bot API.

Run with ``.venv/bin/python -m bench.reminders`` (after ``scripts/test`` has set up .venv).
Builds a temporary database with ``--units`` units (one liaison each), of which a fifth
have already submitted and ``--blocked`` liaisons have blocked the bot, then plans and sends
the 7-days-before reminder. Prints messages per second, the peak resident memory of the
process, and checks that what the Bot API received equals what was due: every liaison of
a unit that has not submitted exactly once, none of the others, the blocked ones refused.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bot.app import build_application
from bot.local import LocalBotApi
from bot.notify import Outbox
from kaohe.config import UnitConfig, load_config
from kaohe.services import Services
from storage.store import NewSubmission, ScoreRecord

ROOT = Path(__file__).resolve().parents[1]
CATEGORIES = ("市直部门", "县区", "开发区")


def rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(directory: Path, api: LocalBotApi, units: int, blocked: int, concurrency: int):
    base = load_config(ROOT / "config.toml")
    cfg = replace(
        base, storage_dir=directory, api_url=api.api_url, max_messages_per_second=100_000,
        units=tuple(UnitConfig(f"u{i:05d}", f"测试单位{i:05d}", CATEGORIES[i % 3], f"C{i:05d}")
                    for i in range(units)),
        reminders=replace(base.reminders, concurrency=concurrency),
    )
    svc = Services(cfg)
    bound = datetime(2026, 11, 1, tzinfo=timezone.utc)
    submitted = set()
    for i in range(units):
        uid = f"u{i:05d}"
        svc.store.bind_liaison(60_000_000 + i, f"联络员{i}", None, uid, bound)
        if i % 5 == 0:  # a fifth have submitted already
            svc.store.record_submission(NewSubmission(
                unit_id=uid, telegram_id=60_000_000 + i, file_name="自查报告.txt",
                file_type="txt", data=f"单位 {i} 自查报告".encode(), pages=None,
                received_at=bound, deadline_at=None, paragraphs=[], deadline_name="自查材料提交",
            ), ScoreRecord(unit={"total": 0.0, "full_marks": 100.0, "percent": 0.0, "grade": "不合格"},
                           indicators=[]))
            submitted.add(60_000_000 + i)
    blocked_ids = [60_000_000 + i for i in range(units) if i % 5 != 0][:blocked]
    for chat in blocked_ids:
        api.block(chat)
    return cfg, svc, submitted, set(blocked_ids)


async def run(units: int, blocked: int, concurrency: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, LocalBotApi() as api:
        t0 = time.perf_counter()
        cfg, svc, submitted, blocked_ids = build(Path(tmp), api, units, blocked, concurrency)
        setup = time.perf_counter() - t0
        app = build_application(cfg, api.token, services=svc)
        await app.initialize()
        outbox = Outbox(svc, app.bot)
        # 09:00 on the 市直部门 deadline day: their morning-of reminder, and the 7-days-before
        # reminder of 县区 and 开发区 units (due 12-20; 12-13 is a Sunday, so it fell on 12-11).
        moment = datetime(2026, 12, 15, 9, 0, tzinfo=cfg.tz).astimezone(timezone.utc)
        rss_before = rss_mb()
        t0 = time.perf_counter()
        report = await outbox.run(now=moment)
        seconds = time.perf_counter() - t0
        rss_after = rss_mb()

        received = Counter(a["chat_id"] for a in api.sent if a["method"] == "sendMessage")
        refused = Counter(e["params"].get("chat_id") for e in api.errors if e["error_code"] == 403)
        due = {60_000_000 + i for i in range(units)} - submitted
        statuses = Counter(r["status"] for r in svc.store.notifications(kind="reminder"))
        delivered_ok = (set(received) == due - blocked_ids and set(received.values()) == {1}
                        and set(refused) == blocked_ids and not set(received) & submitted)
        sent = report.sent
        print(f"units {units}, liaisons {units}, already submitted {len(submitted)}, "
              f"blocked {len(blocked_ids)}, concurrency {concurrency}")
        print(f"setup (database with {units} units and liaisons): {setup:.1f} s")
        print(f"reminders due {len(due)}: planned {report.planned}, sent {sent}, "
              f"blocked {report.blocked}, failed {report.failed}, retrying {report.retrying}")
        print(f"run time {seconds:.2f} s (plan + send + confirm each in the ledger) → "
              f"{sent / seconds:.0f} messages/s")
        print(f"peak RSS {rss_before:.0f} MB before the run, {rss_after:.0f} MB after")
        print(f"ledger: {dict(statuses)}")
        print(f"Bot API received each due liaison exactly once, none of the others: {delivered_ok}")
        again = await outbox.run(now=moment + timedelta(minutes=10))
        print(f"second run 10 minutes later sends {again.sent} (nothing is repeated)")
        await app.shutdown()
        svc.close()
        if not delivered_ok or again.sent:
            raise SystemExit("delivered count does not equal the count due")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=5000)
    parser.add_argument("--blocked", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(run(args.units, args.blocked, args.concurrency))


if __name__ == "__main__":
    main()
