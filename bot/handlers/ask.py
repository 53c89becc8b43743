"""Questions (private text or /ask), related-clause buttons, and the office's regulation
and FAQ commands. Live questions (deadlines, our score) are answered from live data."""

from __future__ import annotations

import asyncio
import logging
import secrets

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot import qa_texts
from bot.handlers.common import now, reply, services
from parsers import DocumentRejected
from scoring.intents import DEADLINE, SCORE, detect_intent

log = logging.getLogger(__name__)
PENDING_KEY = "pending_regulations"
DOWNLOAD_TIMEOUT = 120


def register(app: Application) -> None:
    """Add this feature's handlers."""
    app.add_handler(CommandHandler("ask", handle_ask))
    app.add_handler(CommandHandler("regulation", handle_regulation))
    app.add_handler(CommandHandler("faq", handle_faq))
    app.add_handler(CallbackQueryHandler(handle_clause_button, pattern=r"^qa:"))
    app.add_handler(CallbackQueryHandler(handle_regulation_button, pattern=r"^reg:"))


async def answer_question(update: Update, context: ContextTypes.DEFAULT_TYPE, question: str) -> None:
    """Reply to one question: live data for deadline and score questions, else the regulations."""
    svc = services(context)
    user_id = update.effective_user.id
    intent = detect_intent(question)
    if intent is not None:
        await reply(update, await asyncio.to_thread(_live_answer, svc, user_id, intent, now(context)))
        return
    ans = await asyncio.to_thread(svc.qa.answer, question)
    buttons = [[InlineKeyboardButton(qa_texts.related_label(c), callback_data=f"qa:c:{c['id']}")]
               for c in ans.related]
    await update.effective_message.reply_text(
        qa_texts.answer(ans, svc.config.contact), parse_mode=ParseMode.HTML,
        reply_markup=InlineKeyboardMarkup(buttons) if buttons else None,
        disable_web_page_preview=True)


def _live_answer(svc, user_id: int, intent: str, moment) -> str:
    role = svc.role_of(user_id)
    person = svc.store.person(user_id) if role == "liaison" else None
    unit = svc.store.unit(person["unit_id"]) if person else None
    if intent == DEADLINE:
        if unit is not None:
            return qa_texts.deadline_answer(svc.cycle.progress(unit["id"]), unit["name"], moment,
                                            svc.config.tz)
        return qa_texts.deadline_answer([], None, moment, svc.config.tz, svc.store.deadline_rows())
    if intent == SCORE:
        if unit is not None:
            return qa_texts.score_answer(unit["name"], svc.store.unit_score(unit["id"]))
        if role in ("admin", "official"):
            return qa_texts.score_for_staff()
        return qa_texts.score_for_unknown(svc.config.contact)
    raise ValueError(intent)


async def handle_ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/ask 问题`` (for groups; in a private chat plain text works too)."""
    question = " ".join(context.args).strip()
    if not question:
        await reply(update, qa_texts.ask_usage())
        return
    await answer_question(update, context, question)


async def handle_clause_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A related-clause button: send that clause in full."""
    query = update.callback_query
    svc = services(context)
    try:
        clause_id = int(query.data.split(":")[2])
    except (IndexError, ValueError):
        await query.answer("按钮已失效", show_alert=True)
        return
    clause = await asyncio.to_thread(svc.qa.clause, clause_id)
    if clause is None:
        await query.answer("该条款已不存在（规定可能已更新），请重新提问。", show_alert=True)
        return
    await query.answer()
    lead = "相关规定" if clause.get("active", 1) else "相关规定（旧版本，现已更新）"
    await query.message.reply_text(qa_texts.clause_message(clause, lead=lead), parse_mode=ParseMode.HTML)


# ---- office: regulations and FAQ -----------------------------------------------------------


async def _admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    svc = services(context)
    if await asyncio.to_thread(svc.role_of, update.effective_user.id) == "admin":
        return True
    await reply(update, "这个命令仅限考核办使用。发送 /help 查看您可以使用的命令。")
    return False


async def handle_regulation(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/regulation``: what is loaded and how to load or replace a document."""
    if not await _admin(update, context):
        return
    svc = services(context)
    docs = await asyncio.to_thread(svc.qa.documents)
    faqs = await asyncio.to_thread(svc.qa.faqs)
    await reply(update, qa_texts.regulation_list(docs, len(faqs), svc.config.tz))


async def offer_regulation_upload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The office sent a file: offer to load it as a regulation (it is never a self-check)."""
    document = update.effective_message.document
    token = secrets.token_hex(4)
    pending = context.user_data.setdefault(PENDING_KEY, {})
    pending[token] = (document.file_id, document.file_name or "未命名文件")
    keyboard = InlineKeyboardMarkup([[
        InlineKeyboardButton("作为规定载入", callback_data=f"reg:load:{token}"),
        InlineKeyboardButton("取消", callback_data=f"reg:no:{token}")]])
    await update.effective_message.reply_text(
        qa_texts.offer_regulation(document.file_name or "未命名文件"), parse_mode=ParseMode.HTML,
        reply_markup=keyboard)


async def handle_regulation_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """作为规定载入 / 取消 under an office upload."""
    query = update.callback_query
    svc = services(context)
    if await asyncio.to_thread(svc.role_of, query.from_user.id) != "admin":
        await query.answer("仅考核办可以操作", show_alert=True)
        return
    _, action, token = (query.data.split(":") + ["", ""])[:3]
    entry = context.user_data.get(PENDING_KEY, {}).pop(token, None)
    if entry is None:
        await query.answer("这个文件已处理过，请重新发送。", show_alert=True)
        return
    file_id, file_name = entry
    if action != "load":
        await query.answer("已取消")
        await query.edit_message_text(f"已取消，《{file_name}》未载入。")
        return
    await query.answer("正在载入……")
    await query.edit_message_text(f"⏳ 正在载入《{file_name}》并拆分条款……")
    try:
        telegram_file = await context.bot.get_file(file_id)
        data = bytes(await telegram_file.download_as_bytearray(read_timeout=DOWNLOAD_TIMEOUT))
        result = await asyncio.to_thread(svc.qa.load, data, file_name, query.from_user.id, "chat")
    except DocumentRejected as exc:
        await query.edit_message_text(qa_texts.regulation_refused(file_name, exc.reason),
                                      parse_mode=ParseMode.HTML)
        return
    except TelegramError:
        log.exception("could not download regulation %s", file_name)
        await query.edit_message_text(qa_texts.regulation_refused(
            file_name, "无法从 Telegram 下载这个文件（可能超过大小上限），请稍后重试或用命令行载入。"),
            parse_mode=ParseMode.HTML)
        return
    await query.edit_message_text(qa_texts.regulation_loaded(result), parse_mode=ParseMode.HTML)


async def handle_faq(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/faq`` lists; ``/faq 问：… 答：…`` adds; ``/faq 删除 N`` removes."""
    if not await _admin(update, context):
        return
    svc = services(context)
    text = (update.effective_message.text or "").split(maxsplit=1)
    body = text[1].strip() if len(text) > 1 else ""
    if not body:
        await reply(update, qa_texts.faq_list(await asyncio.to_thread(svc.qa.faqs)))
        return
    words = body.split()
    if words[0] in ("删除", "del", "delete") and len(words) == 2 and words[1].isdigit():
        ok = await asyncio.to_thread(svc.qa.remove_faq, int(words[1]), update.effective_user.id)
        await reply(update, qa_texts.faq_removed(int(words[1]), ok))
        return
    question, answer = _split_faq(body)
    if not question or not answer:
        await reply(update, qa_texts.faq_usage())
        return
    faq_id = await asyncio.to_thread(svc.qa.add_faq, question, answer, update.effective_user.id)
    await reply(update, qa_texts.faq_added(faq_id))


def _split_faq(body: str) -> tuple[str, str]:
    """``问：… 答：…`` (or ``问题 | 答复``) into its two halves."""
    normalized = body.replace(":", "：")
    if "答：" in normalized:
        question, answer = normalized.split("答：", 1)
        return question.replace("问：", "", 1).strip(), answer.strip()
    if "|" in body:
        question, answer = body.split("|", 1)
        return question.strip(), answer.strip()
    return "", ""
