"""Sends what the notification ledger holds: reminders, notices, digests and announcements.

A run plans what is due (``Cycle.plan`` adds ledger rows with stable keys), then sends every
``pending`` row, including rows left pending by a run that was interrupted. Each row is
confirmed in the database as soon as Telegram accepts it, so a restart resends only
what was never confirmed. The text of a row is written at send time from the current
state: a unit that submitted a second ago gets no reminder, and a reminder delayed by a
restart shows the time left now, not then.

Telegram's limits: the bot's ``AIORateLimiter`` spaces the messages and waits out a
RetryAfter for every sender at once; a row that still fails stays pending for the next run
(up to ``max_attempts``). A user who blocked the bot is marked unreachable and skipped from
then on; it never stalls the other recipients.
"""

from __future__ import annotations

import asyncio
import logging
import time as monotonic
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from kaohe.ledger import BLOCKED, FAILED, SENT, SKIPPED
from kaohe.texts import notice as notice_texts
from scoring.progress import LATE, ON_TIME, OVERDUE, UnitProgress
from scoring.reminders import (
    ANNOUNCEMENT,
    APPEAL,
    APPEAL_ANSWER,
    BINDING,
    COMPLETE,
    DEADLINE_CHANGE,
    DIGEST,
    LATE_NOTICE,
    OVERDUE_LIST,
    REMINDER,
    RESULT_FEEDBACK,
    in_send_window,
)

if TYPE_CHECKING:
    from kaohe.services import Services

log = logging.getLogger(__name__)
# Messages a person caused just now (the office confirmed, a unit asked for 复核): they go
# out at once, even outside the send window, with the text stored on their announcement.
OFFICE_SENT = (ANNOUNCEMENT, DEADLINE_CHANGE, RESULT_FEEDBACK, APPEAL, APPEAL_ANSWER, BINDING)


@dataclass
class RunReport:
    """What one run did."""

    planned: int = 0
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    skipped: int = 0
    retrying: int = 0
    seconds: float = 0.0
    reports: list[int] = field(default_factory=list)  # announcements finished in this run


class Outbox:
    """Plans and sends the ledger's messages; one run at a time."""

    def __init__(self, svc: Services, bot: Bot, clock: Callable[[], datetime] | None = None):
        self.svc = svc
        self.bot = bot
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self._lock = asyncio.Lock()

    async def run(self, now: datetime | None = None, plan: bool = True) -> RunReport:
        """Plan what is due at ``now`` (default the clock) and send everything pending."""
        async with self._lock:
            started = monotonic.monotonic()
            report = RunReport()
            at = now or self.clock()
            if plan:
                report.planned = len(await self.svc.run(self.svc.cycle.plan, at))
            rows = await self.svc.run(self.svc.ledger.pending)
            if not in_send_window(at, self.svc.config.reminders, self.svc.config.tz):
                # Automatic messages left pending (a retry) wait for the morning too; what the
                # office has just confirmed goes out now.
                rows = [r for r in rows if r["kind"] in OFFICE_SENT]
            if rows:
                snapshot = await self.svc.run(_Snapshot.take, self.svc)
                queue: asyncio.Queue = asyncio.Queue()
                for row in rows:
                    queue.put_nowait(row)
                workers = max(1, self.svc.config.reminders.concurrency)
                await asyncio.gather(*(self._worker(queue, snapshot, report, now)
                                       for _ in range(workers)))
            report.reports = await self._report_announcements()
            report.seconds = monotonic.monotonic() - started
            if rows or report.planned:
                log.info("notifications run: %s", report)
            return report

    async def _worker(self, queue: asyncio.Queue, snapshot: _Snapshot, report: RunReport,
                      fixed_now: datetime | None) -> None:
        while not queue.empty():
            row = queue.get_nowait()
            await self._deliver(row, snapshot, report, fixed_now or self.clock())

    async def _deliver(self, row: dict[str, Any], snapshot: _Snapshot, report: RunReport,
                       now: datetime) -> None:
        ledger = self.svc.ledger
        text, reason = await self.svc.run(snapshot.render, row, now)
        if text is None:
            await self.svc.run(ledger.finish, row["id"], SKIPPED, None, reason)
            report.skipped += 1
            return
        try:
            message = await self.bot.send_message(row["chat_id"], text)
        except Forbidden as exc:
            await self.svc.run(self._unreachable, row, str(exc))
            report.blocked += 1
        except BadRequest as exc:
            if "chat not found" in str(exc).lower() or "user not found" in str(exc).lower():
                await self.svc.run(self._unreachable, row, str(exc))
                report.blocked += 1
            else:  # the text itself was refused: retrying will not help
                log.error("message %s refused: %s", row["key"], exc)
                await self.svc.run(ledger.finish, row["id"], FAILED, None, str(exc))
                report.failed += 1
        except (RetryAfter, NetworkError, TelegramError) as exc:
            # RetryAfter outlasted the rate limiter's retries, or the network failed: keep it.
            gave_up = await self.svc.run(ledger.retry, row["id"], str(exc),
                                              self.svc.config.reminders.max_attempts)
            if gave_up:
                report.failed += 1
            else:
                report.retrying += 1
        else:
            await self.svc.run(ledger.finish, row["id"], SENT, message.message_id)
            report.sent += 1

    def _unreachable(self, row: dict[str, Any], error: str) -> None:
        self.svc.ledger.unreachable(row, BLOCKED, error)

    async def _report_announcements(self) -> list[int]:
        """Tell the office how each finished announcement went (delivered / failed); a batch
        (results locked by one confirmation) gets one report for all its units."""
        done = []
        groups: dict[object, list[dict[str, Any]]] = {}
        for ann in await self.svc.run(self.svc.ledger.announcements_to_report):
            groups.setdefault(ann["batch"] or ("single", ann["id"]), []).append(ann)
        for anns in groups.values():
            finished = [ann for ann in anns
                        if await self.svc.run(self.svc.ledger.finish_announcement, ann["id"])]
            if not finished:
                continue
            failures = []
            for ann in finished:
                failures += await self.svc.run(self.svc.ledger.announcement_failures, ann["id"])
            summary = finished[0] if len(anns) == 1 else {
                **finished[0], "audience_label": f"一次锁定的 {len(finished)} 个单位",
                "recipients": sum(ann["recipients"] or 0 for ann in finished)}
            text = notice_texts.announcement_report(summary, failures)
            try:
                await self.bot.send_message(finished[0]["created_by"], text)
            except TelegramError:
                log.warning("could not send the report of announcement %s", finished[0]["id"], exc_info=True)
            done += [ann["id"] for ann in finished]
        return done


class _Snapshot:
    """The state a run writes its texts from, taken once per run (submissions are rechecked)."""

    def __init__(self, svc: Services, progress: list[UnitProgress]):
        self.svc = svc
        self.progress = progress
        self.by_key = {(p.unit_id, p.deadline.name): p for p in progress}
        self._overview = None

    @classmethod
    def take(cls, svc: Services) -> _Snapshot:
        return cls(svc, svc.cycle.progress())

    def overview(self, now: datetime):
        if self._overview is None:
            self._overview = self.svc.cycle.overview(now)
        return self._overview

    def render(self, row: dict[str, Any], now: datetime) -> tuple[str | None, str | None]:
        """The message text for a ledger row, or (None, why it is no longer wanted)."""
        kind = row["kind"]
        cfg = self.svc.config
        if kind in OFFICE_SENT:
            ann = self.svc.ledger.announcement(row["announcement_id"])
            if kind == ANNOUNCEMENT:
                return notice_texts.announcement(ann["text"], cfg.cycle_name), None
            return ann["text"], None
        if kind in (REMINDER, LATE_NOTICE):
            p = self.by_key.get((row["unit_id"], row["deadline_name"]))
            if p is None:
                return None, "unit or deadline gone"
            if self.svc.ledger.has_submitted(row["unit_id"], row["deadline_name"]):
                return None, "submitted"
            if row["due_at"] != p.deadline.due.isoformat():
                return None, "deadline changed"
            if kind == REMINDER:
                if now >= p.deadline.due:
                    return None, "stale"
                return notice_texts.reminder(p.unit_name, p.deadline.name, p.deadline.due, now,
                                             cfg.tz), None
            return notice_texts.late_notice(p.unit_name, p.deadline.name, p.deadline.due, now,
                                            cfg.tz, cfg.contact), None
        overview = self.overview(now)
        if kind == OVERDUE_LIST:
            due = datetime.fromisoformat(row["due_at"])
            items = [p for p in self.progress if p.deadline.name == row["deadline_name"]]
            overdue = [p for p in overview.not_submitted
                       if p.deadline.name == row["deadline_name"] and p.deadline.due == due
                       and p.status(now) == OVERDUE]
            if not overdue:
                return None, "nobody overdue"
            submitted = sum(1 for p in items if p.submitted)
            return notice_texts.overdue_list(row["deadline_name"], due, overdue, overview.liaisons,
                                             submitted, len(items), now, cfg.tz), None
        if kind == DIGEST:
            overdue = [p for p in overview.not_submitted if p.status(now) == OVERDUE]
            return notice_texts.digest(cfg.cycle_name, overview.tallies, overdue, overview.liaisons,
                                       len(overview.unreachable), now, cfg.tz), None
        if kind == COMPLETE:
            items = [p for p in self.progress if p.deadline.name == row["deadline_name"]]
            states = [p.status(now) for p in items]
            return notice_texts.complete(row["deadline_name"], len(items), states.count(ON_TIME),
                                         states.count(LATE)), None
        return None, f"unknown kind {kind}"
