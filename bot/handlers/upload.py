"""Uploads: a liaison sends a file; the bot shows progress and replies with receipt and score."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.constants import ChatAction
from telegram.error import BadRequest, TelegramError

from bot.handlers.ask import offer_regulation_upload
from bot.handlers.common import Context, internal_error, now, replace, reply, services
from bot.handlers.results import REPLACE_KEY, handle_survey_upload, is_survey_file
from kaohe.errors import Refused
from kaohe.texts import base as texts
from parsers import DocumentRejected
from parsers.ocr import images_to_pdf

log = logging.getLogger(__name__)
DOWNLOAD_TIMEOUT = 120  # seconds; a 20 MB file over a slow office line
ANSWER_RETRY_SECONDS = 30  # an answer Telegram did not take is tried again after this long
ALBUM_WAIT_SECONDS = 2.0  # an album's photos arrive as separate updates within a second or so
ALBUM_KEY = "albums"


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


    async def fetch() -> bytes:
        telegram_file = await document.get_file()
        return bytes(await telegram_file.download_as_bytearray(read_timeout=DOWNLOAD_TIMEOUT))

    await _receive(update, context, unit, file_name, fetch)


async def _receive(update: Update, context: Context, unit: dict, file_name: str,
                   fetch: Callable[[], Awaitable[bytes]], held: list[int] | None = None) -> None:
    """A liaison's file (``fetch`` downloads it): journalled, read, scored, answered.
    ``held``: the updates it was gathered from (an album), released once it is journalled."""
    svc = services(context)
    message = update.effective_message
    user_id = update.effective_user.id
    received_at = now(context)
    # Journalled before anything is sent: should the process die at any point from here on,
    # the next start tells the user what became of the file (recorded, or please resend).
    pending = await svc.run(svc.begin_upload, message.chat_id, None, user_id, unit["id"],
                            file_name, received_at)
    if held:
        svc.release_updates(held)  # the upload journal answers for them from here on
    progress = None
    try:
        await context.bot.send_chat_action(message.chat_id, ChatAction.TYPING)
        progress = await message.reply_text(texts.progress(file_name, "正在下载……"))
        await svc.run(svc.upload_message, pending, progress.message_id)
        text, failed = await _process(update, context, svc, unit, progress, file_name, received_at, fetch)
    except Exception as exc:  # Telegram unreachable for the ⏳ message, or a bug: say it plainly
        text, failed = await internal_error(context, "处理上传的材料", exc), True
    if failed and any(row["submission_id"] for row in await svc.run(svc.interrupted_uploads, pending)):
        # The failure came after the file was stored: the answer must not say otherwise.
        text = texts.upload_interrupted_recorded(file_name)
    if await _answer(context, progress, message.chat_id, text):
        await svc.run(svc.end_upload, pending)
    else:
        # Neither the edit nor a new message went through: the journal keeps the upload and
        # a retry (or the next start) tells the user what was stored.
        if context.job_queue is not None:
            context.job_queue.run_once(_retry_answer, ANSWER_RETRY_SECONDS, data=pending,
                                       name=f"upload-answer:{pending}")


async def _process(update: Update, context: Context, svc, unit: dict, progress, file_name: str,
                   received_at, fetch: Callable[[], Awaitable[bytes]]) -> tuple[str, bool]:
    """Download, parse, score and record the file; returns the answer for the user and
    whether it is an internal error."""
    message = update.effective_message
    user_id = update.effective_user.id
    try:
        data = await fetch()
        await progress.edit_text(texts.progress(file_name, "正在解析并对照指标计算初步得分……"))
        await context.bot.send_chat_action(message.chat_id, ChatAction.TYPING)
        replaces = context.user_data.get(REPLACE_KEY)
        outcome = await svc.run_heavy(
            svc.ingest, unit["id"], user_id, file_name, data, received_at, replaces,
            _page_progress(progress, file_name))
        context.user_data.pop(REPLACE_KEY, None)  # used (a refused file keeps it armed)
    except DocumentRejected as exc:
        log.info("refused %r from %s: %s", file_name, user_id, exc.code)
        return texts.rejected(file_name, exc.reason), False
    except Refused as exc:
        return texts.refused_upload(file_name, exc.reason), False
    except Exception as exc:  # say so plainly in chat; the traceback goes to the log only
        if isinstance(exc, BadRequest) and "too big" in str(exc).lower():
            # The size was not announced, and the Bot API refused to hand the file over.
            return texts.too_large(file_name, None, svc.config.max_file_bytes), False
        return await internal_error(context, "处理上传的材料", exc), True
    return texts.upload_result(outcome, svc.config.tz), False


def _page_progress(progress, file_name: str):
    """A callback for the upload's thread: the ⏳ message shows the page text recognition is on."""
    loop = asyncio.get_running_loop()

    async def show(page: int, pages: int) -> None:
        try:
            await progress.edit_text(texts.progress(file_name, f"这是扫描件，正在识别文字：第 {page}/{pages} 页……"))
        except TelegramError:  # a courtesy: the answer edits the same message later
            log.info("could not show OCR progress", exc_info=True)

    def on_page(page: int, pages: int) -> None:
        asyncio.run_coroutine_threadsafe(show(page, pages), loop)

    return on_page


async def _answer(context: Context, progress, chat_id: int, text: str) -> bool:
    """Give the upload's answer: the ⏳ message edited, else a new message; False when
    Telegram took neither."""
    if progress is not None:
        try:
            await replace(progress, text)
            return True
        except TelegramError as exc:
            log.warning("could not edit the answer to an upload: %s", exc)
    try:
        await context.bot.send_message(chat_id, text)
        return True
    except TelegramError as exc:
        log.warning("could not answer an upload in chat %s: %s", chat_id, exc)
        return False


async def _retry_answer(context: Context) -> None:
    svc = services(context)
    await resume_interrupted_uploads(context.bot, svc, only=context.job.data)


async def resume_interrupted_uploads(bot, svc, only: int | None = None) -> int:
    """At start: answer each upload a crash left unanswered (its ⏳ message is replaced, or a
    new message sent when there was none); ``only``: just that journal entry."""
    rows = await svc.run(svc.interrupted_uploads, only)
    for row in rows:
        if row.get("kind") == "export":
            text = texts.export_interrupted()
        else:
            text = (texts.upload_interrupted_recorded(row["file_name"]) if row["submission_id"]
                    else texts.upload_interrupted(row["file_name"]))
        try:
            if row["message_id"] is None:
                raise BadRequest("no progress message was sent")
            await bot.edit_message_text(text, chat_id=row["chat_id"], message_id=row["message_id"])
        except TelegramError:  # too old to edit, deleted or never sent: say it in a new message
            try:
                await bot.send_message(row["chat_id"], text)
            except TelegramError:
                log.warning("could not tell %s about an interrupted upload", row["chat_id"], exc_info=True)
                continue
        await svc.run(svc.end_upload, row["id"])
    return len(rows)


async def handle_photo(update: Update, context: Context) -> None:
    """A photo (or an album: several sent together, read in order as one document): its text
    is recognised like a scan's. Telegram compresses photos; a file keeps the original."""
    svc = services(context)
    message = update.effective_message
    unit = await svc.run(svc.unit_of, update.effective_user.id)
    if unit is None:
        role = await svc.run(svc.role_of, update.effective_user.id)
        await reply(update, texts.staff_upload() if role in ("admin", "official")
                    else texts.not_bound_upload(svc.config.contact))
        return
    photo = message.photo[-1]  # the largest size Telegram keeps
    if message.media_group_id is None:
        # Named by its message: two photos are two materials, not versions of one file.
        await _receive(update, context, unit, f"照片{message.message_id}.jpg", _downloads(svc, [photo], single=True))
        return
    # An album comes as one update per photo: gather them, and read them once the album has
    # been quiet for ALBUM_WAIT_SECONDS. Until then each photo's update stays journalled as
    # unhandled: a stop in between reads the album at the next start.
    svc.hold_update(update.update_id, update.to_json())  # its own small database: on the loop
    albums = context.chat_data.setdefault(ALBUM_KEY, {})
    album = albums.setdefault(message.media_group_id, {"photos": [], "first": update, "round": 0, "updates": []})
    if any(number == message.message_id for number, _ in album["photos"]):
        return  # the same photo again (replayed after a stop and redelivered by Telegram)
    album["photos"].append((message.message_id, photo))
    album["updates"].append(update.update_id)
    album["round"] += 1
    context.application.create_task(_album_when_quiet(update, context, unit, message.media_group_id,
                                                      album["round"]), name="album")


async def _album_when_quiet(update: Update, context: Context, unit: dict, group: str, round_: int) -> None:
    await asyncio.sleep(ALBUM_WAIT_SECONDS)
    albums = context.chat_data.get(ALBUM_KEY, {})
    album = albums.get(group)
    if album is None or album["round"] != round_:
        return  # another photo came: its task reads the album
    del albums[group]
    photos = [photo for _, photo in sorted(album["photos"], key=lambda item: item[0])]
    svc = services(context)
    first = album["first"].effective_message.message_id
    await _receive(album["first"], context, unit, f"照片{first}（{len(photos)}张）.pdf", _downloads(svc, photos),
                   held=album["updates"])


def _downloads(svc, photos, single: bool = False) -> Callable[[], Awaitable[bytes]]:
    """Fetch the photos; several become one PDF of pages (made off the event loop)."""

    async def fetch() -> bytes:
        images = []
        for photo in photos:
            telegram_file = await photo.get_file()
            images.append(bytes(await telegram_file.download_as_bytearray(read_timeout=DOWNLOAD_TIMEOUT)))
        return images[0] if single else await svc.run_heavy(images_to_pdf, images)

    return fetch
