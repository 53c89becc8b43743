"""Small helpers the handlers share: the services, the clock, replying in chunks."""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from telegram import Message, Update
from telegram.ext import CallbackContext, ContextTypes, ExtBot

from kaohe.services import Services
from kaohe.texts import base as texts_base
from kaohe.texts.base import split_message


@dataclass
class BotData:
    """What the application keeps between updates (``context.bot_data``), by name."""

    services: Services | None = None  # made in post_init (or given by tests)
    clock: Callable[[], datetime] | None = None  # tests install one; None = the real time
    outbox: Any = None  # bot.notify.Outbox, made when the jobs start
    overview_cache: Any = None  # bot.handlers.status.OverviewCache, made on first use
    export_lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # one export at a time
    last_alert: float = float("-inf")  # when the office was last told of an internal error
    alerts_held: int = 0  # internal errors since then, not told one by one


log = logging.getLogger(__name__)
# The office hears of internal errors at most this often (the rest are counted and named in
# the next alert); every one is in the log.
ALERT_EVERY_SECONDS = 600

Context = CallbackContext[ExtBot, dict, dict, BotData]
CONTEXT_TYPES = ContextTypes(context=CallbackContext, bot_data=BotData)


def services(context: Context) -> Services:
    """The long-lived services created in ``post_init``."""
    return context.application.bot_data.services


def now(context: Context) -> datetime:
    """The current UTC time (tests may install a clock in ``bot_data``)."""
    clock = context.application.bot_data.clock
    return clock() if clock else datetime.now(timezone.utc)


async def reply(update: Update, text: str) -> Message:
    """Reply with HTML text, split over several messages if it is too long."""
    message = None
    for piece in split_message(text):
        message = await update.effective_message.reply_text(
            piece
        )
    return message


async def replace(progress: Message, text: str) -> None:
    """Turn a progress message into the final text; overflow goes into new messages."""
    first, *rest = split_message(text)
    await progress.edit_text(first)
    for piece in rest:
        await progress.get_bot().send_message(
            progress.chat_id, piece
        )


def as_id(text: str) -> int | None:
    """A record number a user typed or a button carries: 1–12 ASCII digits, else None (so
    "²", "１２" or a 30-digit number is "no such record", never an error)."""
    text = text.strip().lstrip("#")
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else None


def send_now(context: Context, what: str) -> None:
    """Run the outbox now for messages a person just caused (not waiting for the next check)."""
    outbox = context.application.bot_data.outbox
    if outbox is not None:
        context.application.create_task(outbox.run(plan=False), name=f"outbox:{what}")


# ---- previews the office confirms with a button ----------------------------------------------


def stash_preview(context: Context, key: str, value: Any) -> str:
    """Keep what a preview would act on (in memory, for this user); returns the button token."""
    token = secrets.token_hex(4)
    context.user_data.setdefault(key, {})[token] = value
    return token


async def take_preview(update: Update, context: Context, key: str,
                       refused: str, gone: str) -> tuple[str, Any] | None:
    """A button under an office preview (``<prefix>:<action>:<token>``): only the office may
    press it, and each preview acts once. Returns (action, value), or None once the press
    has been answered with ``refused`` (not the office) or ``gone`` (used, or lost in a restart)."""
    query = update.callback_query
    if await services(context).run(services(context).role_of, query.from_user.id) != "admin":
        await query.answer(refused, show_alert=True)
        return None
    _, action, token = (query.data.split(":") + ["", ""])[:3]
    value = context.user_data.get(key, {}).pop(token, None)
    if value is None:
        await query.answer(gone, show_alert=True)
        return None
    return action, value


# ---- internal errors: one path for all of them ----------------------------------------------


async def internal_error(context: Context, where: str, error: BaseException) -> str:
    """An unexpected error while doing ``where`` (in Chinese, e.g. "处理上传"): logged with its
    traceback, the office told (at most once every ALERT_EVERY_SECONDS), and the reply for
    the user returned: plain Chinese, never the traceback."""
    log.error("internal error while %s", where, exc_info=error)
    data = context.application.bot_data
    svc = data.services
    moment = time.monotonic()
    if svc is not None and moment - data.last_alert >= ALERT_EVERY_SECONDS:
        held, data.alerts_held, data.last_alert = data.alerts_held, 0, moment
        text = texts_base.internal_error_alert(where, type(error).__name__, held)
        for admin in sorted(svc.config.admins):
            try:
                await context.bot.send_message(admin, text)
            except Exception:  # the error may be that Telegram cannot be reached at all
                log.warning("could not tell admin %s about the error", admin, exc_info=True)
    else:
        data.alerts_held += 1
    return texts_base.internal_error(svc.config.contact if svc else "考核办")


# ---- who may use a handler: checked once, where it is registered ----------------------------

Handler = Callable[[Update, Context], Awaitable[None]]


def office_only(handler: Handler, refusal: str | Callable[[], str]) -> Handler:
    """``handler`` for the office (admins) only; anyone else gets ``refusal`` as a reply.
    Applied when the handler is registered, so the handler itself checks no role."""

    @functools.wraps(handler)
    async def checked(update: Update, context: Context) -> None:
        svc = services(context)
        if await svc.run(svc.role_of, update.effective_user.id) != "admin":
            await reply(update, refusal() if callable(refusal) else refusal)
            return
        await handler(update, context)

    return checked
