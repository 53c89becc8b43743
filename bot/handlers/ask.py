"""Questions (private text or /ask), related-clause buttons, and the office's regulation
and FAQ commands. Live questions (deadlines, our score) are answered from live data."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.handlers.common import Context, as_id, now, office_only, reply, services, stash_preview, take_preview
from kaohe.qa import is_examples_file
from kaohe.texts import base as texts
from kaohe.texts import office as office_texts
from kaohe.texts import qa as qa_texts
from parsers import DocumentRejected
from scoring.intents import DEADLINE, SCORE, detect_intent, is_not_chinese, is_too_vague

log = logging.getLogger(__name__)
PENDING_KEY = "pending_regulations"
DOWNLOAD_TIMEOUT = 120


def register(app: Application) -> None:
    """Add this feature's handlers."""
    app.add_handler(CommandHandler("ask", handle_ask))
    app.add_handler(CommandHandler("regulation", office_only(handle_regulation, office_texts.admin_only)))
    app.add_handler(CommandHandler("faq", office_only(handle_faq, office_texts.admin_only)))
    app.add_handler(CallbackQueryHandler(handle_clause_button, pattern=r"^qa:"))
    app.add_handler(CallbackQueryHandler(handle_regulation_button, pattern=r"^reg:"))


async def answer_question(update: Update, context: Context, question: str) -> None:
    """Reply to one question: live data for deadline and score questions, else the regulations."""
    svc = services(context)
    user_id = update.effective_user.id
    if is_too_vague(question):
        await reply(update, texts.too_vague())
        return
    intent = detect_intent(question)
    if intent is not None:
        await reply(update, await svc.run(_live_answer, svc, user_id, intent, now(context)))
        return
    if is_not_chinese(question):
        await reply(update, qa_texts.ask_in_chinese())
        return
    if not svc.qa.ready:  # the first start encodes every clause: say why the reply takes a while
        await reply(update, qa_texts.indexing())
    ans = await svc.run(svc.qa.answer, question)
    buttons = [[InlineKeyboardButton(qa_texts.related_label(c), callback_data=f"qa:c:{c['id']}")]
               for c in ans.related]
    await update.effective_message.reply_text(
        qa_texts.answer(ans, svc.config.contact),
        reply_markup=InlineKeyboardMarkup(buttons) if buttons else None)


def _live_answer(svc, user_id: int, intent: str, moment) -> str:
    role = svc.role_of(user_id)
    unit = svc.unit_of(user_id) if role == "liaison" else None
    if intent == DEADLINE:
        if unit is not None:
            return qa_texts.deadline_answer(svc.cycle.progress(unit["id"]), unit["name"], moment,
                                            svc.config.tz)
        return qa_texts.deadline_answer([], None, moment, svc.config.tz, svc.cycle.deadline_rows())
    if intent == SCORE:
        if unit is not None:
            return qa_texts.score_answer(unit["name"], svc.score_row(unit["id"]))
        if role in ("admin", "official"):
            return qa_texts.score_for_staff()
        return qa_texts.score_for_unknown(svc.config.contact)
    raise ValueError(intent)


async def handle_ask(update: Update, context: Context) -> None:
    """``/ask 问题`` (for groups; in a private chat plain text works too)."""
    question = " ".join(context.args).strip()
    if not question:
        await reply(update, qa_texts.ask_usage())
        return
    await answer_question(update, context, question)


async def handle_clause_button(update: Update, context: Context) -> None:
    """A related-clause button: send that clause in full."""
    query = update.callback_query
    svc = services(context)
    try:
        clause_id = int(query.data.split(":")[2])
    except (IndexError, ValueError):
        await query.answer("按钮已失效", show_alert=True)
        return
    clause = await svc.run(svc.qa.clause, clause_id)
    if clause is None:
        await query.answer("该条款已不存在（规定可能已更新），请重新提问。", show_alert=True)
        return
    await query.answer()
    lead = "相关规定" if clause.get("active", 1) else "相关规定（旧版本，现已更新）"
    await query.message.reply_text(qa_texts.clause_message(clause, lead=lead))


# ---- office: regulations and FAQ -----------------------------------------------------------


async def handle_regulation(update: Update, context: Context) -> None:
    """``/regulation``: what is loaded and how to load or replace a document."""
    svc = services(context)
    docs = await svc.run(svc.qa.documents)
    faqs = await svc.run(svc.qa.faqs)
    examples = await svc.run(svc.qa.examples)
    await reply(update, qa_texts.regulation_list(docs, len(faqs), examples, svc.config.tz))


async def offer_regulation_upload(update: Update, context: Context) -> None:
    """The office sent a file: offer to load it as a regulation (it is never a self-check)."""
    document = update.effective_message.document
    token = stash_preview(context, PENDING_KEY, (document.file_id, document.file_name or "未命名文件"))
    examples = is_examples_file(document.file_name or "")
    keyboard = InlineKeyboardMarkup([[
        InlineKeyboardButton("载入问题示例" if examples else "作为规定载入", callback_data=f"reg:load:{token}"),
        InlineKeyboardButton("取消", callback_data=f"reg:no:{token}")]])
    await update.effective_message.reply_text(
        qa_texts.offer_regulation(document.file_name or "未命名文件", examples),
        reply_markup=keyboard)


async def handle_regulation_button(update: Update, context: Context) -> None:
    """作为规定载入 / 取消 under an office upload."""
    query = update.callback_query
    svc = services(context)
    taken = await take_preview(update, context, PENDING_KEY, "仅考核办可以操作", "这个文件已处理过，请重新发送。")
    if taken is None:
        return
    action, (file_id, file_name) = taken
    if action != "load":
        await query.answer("已取消")
        await query.edit_message_text(f"已取消，《{escape(file_name)}》未载入。")
        return
    await query.answer("正在载入……")
    what = "读取问题示例" if is_examples_file(file_name) else "拆分条款"
    await query.edit_message_text(f"⏳ 正在载入《{escape(file_name)}》并{what}……")
    try:
        telegram_file = await context.bot.get_file(file_id)
        data = bytes(await telegram_file.download_as_bytearray(read_timeout=DOWNLOAD_TIMEOUT))
        if is_examples_file(file_name):
            title = await svc.run(svc.qa.title_for_examples, file_name)
            result = await svc.run(svc.qa.load_examples, data, file_name, query.from_user.id, title)
            await query.edit_message_text(qa_texts.examples_loaded(result, title))
            return
        progress = _progress_editor(query, file_name)
        try:
            result = await svc.run(svc.qa.load, data, file_name, query.from_user.id, "chat",
                                             progress)
        finally:  # no late progress edit may overwrite the result
            await asyncio.gather(*(asyncio.wrap_future(f) for f in progress.sent), return_exceptions=True)
    except DocumentRejected as exc:
        await query.edit_message_text(qa_texts.regulation_refused(file_name, exc.reason))
        return
    except TelegramError:
        log.exception("could not download regulation %s", file_name)
        await query.edit_message_text(qa_texts.regulation_refused(
            file_name, "无法从 Telegram 下载这个文件（可能超过大小上限），请稍后重试或用命令行载入。"))
        return
    await query.edit_message_text(qa_texts.regulation_loaded(result))


PROGRESS_EVERY = 3.0  # seconds between progress edits (Telegram limits edits per chat)


def _progress_editor(query, file_name: str):
    """A callback for the indexing thread that edits the status message now and then."""
    loop = asyncio.get_running_loop()
    last = [0.0]

    def progress(done: int, total: int) -> None:
        moment = loop.time()
        if done < total and moment - last[0] < PROGRESS_EVERY:
            return
        last[0] = moment
        edit = query.edit_message_text(qa_texts.indexing_progress(file_name, done, total))
        progress.sent.append(asyncio.run_coroutine_threadsafe(edit, loop))

    progress.sent = []  # the edits scheduled: awaited (failures ignored) before the result
    return progress


async def handle_faq(update: Update, context: Context) -> None:
    """``/faq`` lists; ``/faq 问：… 答：…`` adds an answer; ``/faq 问：… 条：…`` a question
    form for an article; ``/faq 无关：…`` a question the regulations do not answer;
    ``/faq 删除 N`` / ``/faq 删除 例N`` removes."""
    svc = services(context)
    user = update.effective_user.id
    text = (update.effective_message.text or "").split(maxsplit=1)
    body = text[1].strip() if len(text) > 1 else ""
    if not body:
        faqs = await svc.run(svc.qa.faqs)
        examples = [e for e in await svc.run(svc.qa.examples) if e["source"] == "chat"]
        await reply(update, qa_texts.faq_list(faqs, examples))
        return
    words = body.split()
    if words[0] in ("删除", "del", "delete") and len(words) == 2:
        target = words[1]
        example = target.startswith("例")
        digits = target[1:] if example else target
        if digits.isdigit():  # a number too long (or not ASCII) is a record that does not exist
            number = as_id(digits)
            remove = svc.qa.remove_example if example else svc.qa.remove_faq
            ok = number is not None and await svc.run(remove, number, user)
            label = f"问题示例 {target}" if example else f"第 {target} 条考核办答复"
            await reply(update, qa_texts.faq_removed(label, ok))
            return
    form = _split_faq(body)
    if form.kind == "none" and form.question:
        eid = await svc.run(svc.qa.add_example, form.question, user, None)
        await reply(update, qa_texts.example_added(eid, None))
        return
    if form.kind == "article" and form.question and form.target:
        doc_hint, _, label = form.target.rpartition("第")
        clauses = await svc.run(svc.qa.find_article, "第" + label, doc_hint.strip(" 《》"))
        if len(clauses) != 1:
            everywhere = await svc.run(svc.qa.find_article, "第" + label)
            await reply(update, qa_texts.article_not_found(form.target, everywhere if clauses else []))
            return
        eid = await svc.run(svc.qa.add_example, form.question, user, clauses[0])
        await reply(update, qa_texts.example_added(eid, clauses[0]))
        return
    if form.kind == "answer" and form.question and form.target:
        faq_id = await svc.run(svc.qa.add_faq, form.question, form.target, user)
        await reply(update, qa_texts.faq_added(faq_id))
        return
    await reply(update, qa_texts.faq_usage())


@dataclass(frozen=True)
class _FaqForm:
    kind: str  # answer | article | none | ""
    question: str = ""
    target: str = ""  # the answer text, or the article ("实施细则第十二条")


def _split_faq(body: str) -> _FaqForm:
    """``问：… 答：…`` / ``问题 | 答复`` (answer), ``问：… 条：…`` (article), ``无关：…`` (none)."""
    normalized = body.replace(":", "：")
    if normalized.startswith("无关："):
        return _FaqForm("none", normalized[3:].strip())
    for marker, kind in (("答：", "answer"), ("条：", "article")):
        if marker in normalized:
            question, target = normalized.split(marker, 1)
            return _FaqForm(kind, question.replace("问：", "", 1).strip(), target.strip())
    if "|" in body:
        question, answer = body.split("|", 1)
        return _FaqForm("answer", question.strip(), answer.strip())
    return _FaqForm("")
