"""The job queue side of notifications: a regular scan of the database, plus one job at the
next moment something falls due. Both are rebuilt from the database at start (nothing
lives only in memory), under stable names so a reschedule replaces rather than adds.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop

from bot.handlers.common import Context
from bot.notify import Outbox
from kaohe.services import Services

log = logging.getLogger(__name__)
SCAN_JOB, NEXT_JOB = "notifications:scan", "notifications:next"
FIRST_SCAN_SECONDS = 2  # catch up on what fell due while the bot was down, right after start


def _clock(app: Application):
    def now() -> datetime:
        clock = app.bot_data.clock
        return clock() if clock else datetime.now(timezone.utc)
    return now


def start_notifications(app: Application, svc: Services) -> Outbox:
    """Create the outbox and schedule the scans (no-op without a job queue)."""
    outbox = app.bot_data.outbox
    if outbox is None:
        outbox = app.bot_data.outbox = Outbox(svc, app.bot, _clock(app))
    if app.job_queue is None:
        log.warning("no job queue: automatic reminders are off")
        return outbox
    for job in app.job_queue.get_jobs_by_name(SCAN_JOB):
        job.schedule_removal()
    app.job_queue.run_repeating(scan, interval=svc.config.reminders.check_minutes * 60,
                                first=FIRST_SCAN_SECONDS, name=SCAN_JOB)
    return outbox


async def scan(context: Context) -> None:
    """Send what is due, then set the next precise wake-up."""
    app = context.application
    outbox: Outbox = app.bot_data.outbox
    svc: Services = app.bot_data.services
    try:
        await outbox.run()
    except Exception:  # a failed run is retried by the next scan; never kill the job
        log.exception("notification run failed")
    await schedule_next(app, svc, outbox.clock())


async def schedule_next(app: Application, svc: Services, now: datetime) -> None:
    """One job at the next moment a reminder, deadline or digest falls due."""
    if app.job_queue is None:
        return
    wakeup = await svc.run(svc.cycle.next_wakeup, now)
    for job in app.job_queue.get_jobs_by_name(NEXT_JOB):
        job.schedule_removal()
    if wakeup is not None and wakeup > now:
        app.job_queue.run_once(scan, when=(wakeup - now).total_seconds() + 1, name=NEXT_JOB)


async def once(update: Update, context: Context) -> None:
    """The same update delivered twice (Telegram redelivers after a restart) is handled once:
    every later handler group is skipped for an update id already seen. A user who writes in
    private can be reached again (they unblocked the bot). One trip to the database."""
    svc = context.application.bot_data.services
    if svc is None:
        return
    user, chat = update.effective_user, update.effective_chat
    writer = user.id if user is not None and chat is not None and chat.type == "private" else None
    first, back = await svc.run(svc.arrived, update.update_id, writer)
    if back:
        log.info("user %s can be reached again", writer)
    if not first:
        log.info("update %s was already handled: skipped", update.update_id)
        raise ApplicationHandlerStop
