"""Small helpers the handlers share: the services, the clock, replying in chunks."""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from typing import Any

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from kaohe.services import Services
from kaohe.texts.base import split_message

SERVICES_KEY = "services"
CLOCK_KEY = "clock"
OUTBOX_KEY = "outbox"


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """The long-lived services created in ``post_init``."""
    return context.application.bot_data[SERVICES_KEY]


def now(context: ContextTypes.DEFAULT_TYPE) -> datetime:
    """The current UTC time (tests may install a clock in ``bot_data``)."""
    clock = context.application.bot_data.get(CLOCK_KEY)
    return clock() if clock else datetime.now(timezone.utc)


async def reply(update: Update, text: str) -> Message:
    """Reply with HTML text, split over several messages if it is too long."""
    message = None
    for piece in split_message(text):
        message = await update.effective_message.reply_text(
            piece, parse_mode=ParseMode.HTML, disable_web_page_preview=True
        )
    return message


async def replace(progress: Message, text: str) -> None:
    """Turn a progress message into the final text; overflow goes into new messages."""
    first, *rest = split_message(text)
    await progress.edit_text(first, parse_mode=ParseMode.HTML, disable_web_page_preview=True)
    for piece in rest:
        await progress.get_bot().send_message(
            progress.chat_id, piece, parse_mode=ParseMode.HTML, disable_web_page_preview=True
        )


def send_now(context: ContextTypes.DEFAULT_TYPE, what: str) -> None:
    """Run the outbox now for messages a person just caused (not waiting for the next check)."""
    outbox = context.application.bot_data.get(OUTBOX_KEY)
    if outbox is not None:
        context.application.create_task(outbox.run(plan=False), name=f"outbox:{what}")


# ---- previews the office confirms with a button ----------------------------------------------


def stash_preview(context: ContextTypes.DEFAULT_TYPE, key: str, value: Any) -> str:
    """Keep what a preview would act on (in memory, for this user); returns the button token."""
    token = secrets.token_hex(4)
    context.user_data.setdefault(key, {})[token] = value
    return token


async def take_preview(update: Update, context: ContextTypes.DEFAULT_TYPE, key: str,
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
