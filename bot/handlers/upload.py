"""Uploads: a liaison sends a file; the bot shows progress and replies with receipt and score."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatAction
from telegram.error import BadRequest, TelegramError

from bot.handlers.ask import offer_regulation_upload
from bot.handlers.common import Context, internal_error, now, replace, reply, services
from bot.handlers.results import REPLACE_KEY, handle_survey_upload, is_survey_file
from kaohe.errors import Refused
from kaohe.texts import base as texts
from parsers import DocumentRejected

log = logging.getLogger(__name__)
DOWNLOAD_TIMEOUT = 120  # seconds; a 20 MB file over a slow office line


async def handle_document(update: Update, context: Context) -> None:
    """Receive a document: check who and what, parse and score it off the event loop."""
    svc = services(context)
    message = update.effective_message
    document = message.document
    user_id = update.effective_user.id
    file_name = document.file_name or "未命名文件"
    unit = await svc.run(svc.unit_of, user_id)
    if unit is None:
        role = await svc.run(svc.role_of, user_id)
        if role == "admin":
            if is_survey_file(document.file_name or ""):
                await handle_survey_upload(update, context)
            else:
                await offer_regulation_upload(update, context)
            return
        await reply(update, texts.staff_upload() if role == "official"
                    else texts.not_bound_upload(svc.config.contact))
        return
    if document.file_size and document.file_size > svc.config.max_file_bytes:
        await reply(update, texts.too_large(file_name, document.file_size,
                                            svc.config.max_file_bytes))
        return

    received_at = now(context)
    await context.bot.send_chat_action(message.chat_id, ChatAction.TYPING)
    progress = await message.reply_text(texts.progress(file_name, "正在下载……"))
    # Should the process die before the reply, the next start tells the user what happened.
    pending = await svc.run(svc.begin_upload, message.chat_id, progress.message_id,
                            user_id, unit["id"], file_name, received_at)
    try:
        await _process(update, context, svc, unit, progress, file_name, received_at)
    finally:
        await svc.run(svc.end_upload, pending)


async def _process(update: Update, context: Context, svc, unit: dict,
                   progress, file_name: str, received_at) -> None:
    message = update.effective_message
    document = message.document
    user_id = update.effective_user.id
    try:
        telegram_file = await document.get_file()
        data = bytes(await telegram_file.download_as_bytearray(read_timeout=DOWNLOAD_TIMEOUT))
        await progress.edit_text(texts.progress(file_name, "正在解析并对照指标计算初步得分……"))
        await context.bot.send_chat_action(message.chat_id, ChatAction.TYPING)
        replaces = context.user_data.get(REPLACE_KEY)
        outcome = await svc.run(
            svc.ingest, unit["id"], user_id, file_name, data, received_at, replaces)
        context.user_data.pop(REPLACE_KEY, None)  # used (a refused file keeps it armed)
    except DocumentRejected as exc:
        log.info("refused %r from %s: %s", file_name, user_id, exc.code)
        await replace(progress, texts.rejected(file_name, exc.reason))
        return
    except Refused as exc:
        await replace(progress, texts.rejected(file_name, exc.reason))
        return
    except Exception as exc:  # say so plainly in chat; the traceback goes to the log only
        if isinstance(exc, BadRequest) and "too big" in str(exc).lower():
            # The size was not announced, and the Bot API refused to hand the file over.
            text = texts.too_large(file_name, None, svc.config.max_file_bytes)
        else:
            text = await internal_error(context, "处理上传的材料", exc)
        await replace(progress, text)
        return
    await replace(progress, texts.upload_result(outcome, svc.config.tz))


async def resume_interrupted_uploads(bot, svc) -> int:
    """At start: answer each upload a crash left unanswered (its ⏳ message is replaced)."""
    rows = await svc.run(svc.interrupted_uploads)
    for row in rows:
        if row.get("kind") == "export":
            text = texts.export_interrupted()
        else:
            text = (texts.upload_interrupted_recorded(row["file_name"]) if row["submission_id"]
                    else texts.upload_interrupted(row["file_name"]))
        try:
            await bot.edit_message_text(text, chat_id=row["chat_id"], message_id=row["message_id"])
        except TelegramError:  # too old to edit, or deleted: say it in a new message
            try:
                await bot.send_message(row["chat_id"], text)
            except TelegramError:
                log.warning("could not tell %s about an interrupted upload", row["chat_id"], exc_info=True)
                continue
        await svc.run(svc.end_upload, row["id"])
    return len(rows)


async def handle_photo(update: Update, context: Context) -> None:
    """Photos and scans are not accepted yet: say so and what to send instead."""
    await reply(update, texts.photo_refused())
