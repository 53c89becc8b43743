"""The office's cycle commands: /deadline (list, move), /extend (one unit), /announce.

Moving a deadline and announcing reach many liaisons, so both show a preview first and go
out only when the office presses 确认; the change and its notices are queued together.
"""

from __future__ import annotations

from datetime import datetime, time

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.handlers.common import Context, as_id, now, office_only, reply, send_now, services
from bot.handlers.units import named_unit, pickable
from kaohe.cycle import AUDIENCE_ALL, AUDIENCE_OPEN
from kaohe.texts import notice as notice_texts
from kaohe.texts import office as office_texts
from scoring.progress import next_deadline
from scoring.schedule import parse_local_time, too_far_ahead

ANNOUNCE_LIMIT = 3000  # characters; leaves room for the header inside one message


def register(app: Application) -> None:
    """Add this feature's handlers."""
    app.add_handler(CommandHandler("deadline", office_only(handle_deadline, office_texts.admin_only)))
    app.add_handler(CommandHandler("extend", office_only(handle_extend, office_texts.admin_only)))
    pickable("extend", handle_extend)
    app.add_handler(CommandHandler("announce", office_only(handle_announce, office_texts.admin_only)))
    app.add_handler(CallbackQueryHandler(handle_confirm, pattern=r"^ann:"))


def _split_when(words: list[str], context: Context,
                default_at: time) -> tuple[datetime, list[str]]:
    """The longest leading words that read as a time, and the words after them."""
    cfg = services(context).config
    error = None
    for size in (2, 1):
        if len(words) >= size:
            try:
                return parse_local_time(" ".join(words[:size]), cfg.tz, cfg.year, default_at), words[size:]
            except ValueError as exc:
                error = error or exc
    raise error or ValueError("缺少新的截止时间：请写成 2026-12-18 18:00 或 12月18日 18:00")


async def _future_time(update: Update, context: Context, words: list[str],
                       default_at: time) -> tuple[datetime, list[str]] | None:
    """A new due time read from ``words`` and the words after it; None after saying what is wrong."""
    try:
        due, rest = _split_when(words, context, default_at)
    except ValueError as exc:
        await reply(update, office_texts.bad_time(str(exc)))
        return None
    if due <= now(context):
        await reply(update, office_texts.time_in_past(due, services(context).config.tz))
        return None
    if too_far_ahead(due, now(context)):
        await reply(update, office_texts.time_too_far(due, services(context).config.tz))
        return None
    return due, rest


async def handle_deadline(update: Update, context: Context) -> None:
    """``/deadline`` lists; ``/deadline 编号 时间 [类别] [原因]`` drafts a change."""
    svc = services(context)
    at = now(context)
    if not context.args:
        listing = await svc.run(svc.cycle.deadline_listing)
        await reply(update, office_texts.deadline_list(listing.names, listing.rows, listing.extensions,
                                                       listing.units, at, svc.config.tz, listing.uncovered_years))
        return
    name = await svc.run(svc.cycle.resolve_deadline, context.args[0])
    if name is None:
        names = await svc.run(svc.cycle.deadline_names)
        await reply(update, office_texts.unknown_deadline(context.args[0], names))
        return
    when = await _future_time(update, context, context.args[1:], time(18, 0))
    if when is None:
        return
    due, rest = when
    category = None
    categories = svc.cycle.categories()
    if rest and rest[0] in categories:
        category, rest = rest[0], rest[1:]
    reason = " ".join(rest)
    change = await svc.run(svc.cycle.deadline_change_preview, name, category, due,
                                     reason, update.effective_user.id, notice_texts.deadline_changed)
    await update.effective_message.reply_text(
        office_texts.deadline_preview(change, reason, svc.config.tz), reply_markup=_confirm_keyboard(change.draft_id, "确认调整并通知"))


async def handle_extend(update: Update, context: Context) -> None:
    """``/extend 单位 时间 [原因]``: one unit's own later due time, told to its liaisons."""
    svc = services(context)
    if len(context.args) < 2:
        await reply(update, office_texts.extend_usage())
        return
    unit = await named_unit(update, context, "extend", context.args[0], list(context.args[1:]))
    if unit is None:
        return
    progress = await svc.run(svc.cycle.progress, unit["id"])
    target = next_deadline(progress)
    if target is None:
        await reply(update, office_texts.no_deadline_for(unit["name"]))
        return
    if target.submitted:
        await reply(update, office_texts.already_submitted(unit["name"], target.deadline.name))
        return
    when = await _future_time(update, context, context.args[1:],
                              target.deadline.category_due.astimezone(svc.config.tz).time())
    if when is None:
        return
    due, rest = when
    reason = " ".join(rest)
    told = await svc.run(svc.cycle.extend, unit, target.deadline.name, due, reason,
                                   update.effective_user.id, notice_texts.extension_granted)
    await reply(update, office_texts.extension_done(unit["name"], target.deadline.name, due,
                                                    target.deadline.category_due, reason, told,
                                                    svc.config.tz))
    send_now(context, "send-now")


async def handle_announce(update: Update, context: Context) -> None:
    """``/announce [全部|未提交|类别] 内容``: preview, then send on 确认."""
    svc = services(context)
    text = update.effective_message.text or ""
    body = text.split(maxsplit=1)[1].strip() if len(text.split(maxsplit=1)) > 1 else ""
    if not body:
        await reply(update, office_texts.announce_usage(svc.cycle.categories()))
        return
    categories = svc.cycle.categories()
    first, *remainder = body.split(maxsplit=1)
    rest = remainder[0].strip() if remainder else ""
    audience, label = AUDIENCE_ALL, "全部联络员"
    if first in ("全部", "所有"):
        body = rest
    elif first in ("未提交", "未交"):
        audience, label, body = AUDIENCE_OPEN, "尚未提交材料的单位", rest
    elif first in categories:
        audience, label, body = f"category:{first}", f"{first}类单位", rest
    if not body:
        await reply(update, office_texts.announce_usage(categories))
        return
    if len(body) > ANNOUNCE_LIMIT:
        await reply(update, office_texts.announce_too_long(len(body), ANNOUNCE_LIMIT))
        return
    draft, people, units = await svc.run(svc.cycle.draft_announcement, update.effective_user.id,
                                         audience, label, body)
    markup = _confirm_keyboard(draft, f"确认发送（{people} 人）") if people else None
    await update.effective_message.reply_text(
        office_texts.announce_preview(body, label, people, units, svc.config.cycle_name), reply_markup=markup)


def _confirm_keyboard(draft_id: int, label: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=f"ann:ok:{draft_id}"),
                                  InlineKeyboardButton("取消", callback_data=f"ann:no:{draft_id}")]])


async def handle_confirm(update: Update, context: Context) -> None:
    """The 确认 / 取消 buttons under a preview."""
    query = update.callback_query
    svc = services(context)
    if await svc.run(svc.role_of, query.from_user.id) != "admin":
        await query.answer(office_texts.admin_only_short(), show_alert=True)
        return
    _, action, draft = (query.data.split(":") + ["", ""])[:3]
    draft_id = as_id(draft)
    if draft_id is None:
        await query.answer("这条预览已处理过（已发送或已取消）", show_alert=True)
        return
    original = query.message.text_html if query.message else ""
    if action == "no":
        cancelled = await svc.run(svc.cycle.cancel, draft_id)
        await query.answer("已取消" if cancelled else "已处理过")
        if cancelled:
            await query.edit_message_text(original + "\n\n" + office_texts.cancelled())
        return
    count = await svc.run(svc.cycle.confirm, draft_id, query.from_user.id)
    if count is None:
        await query.answer("这条预览已处理过（已发送或已取消）", show_alert=True)
        return
    await query.answer("已开始发送")
    await query.edit_message_text(original + "\n\n" + office_texts.sending(count))
    send_now(context, "send-now")

