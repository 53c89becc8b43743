"""Scores and the office's review: /score, /files (versions, withdrawals), /review, survey imports.

Liaisons see only their own unit (every button checks it again); only the office reviews,
adjusts, locks and imports. Every change goes through ``Services`` and lands in the audit log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.handlers.common import (
    Context,
    as_id,
    now,
    office_only,
    reply,
    send_now,
    services,
    stash_preview,
    take_preview,
)
from bot.handlers.status import markup, send_screen
from bot.handlers.units import named_unit, pickable
from kaohe.errors import Refused
from kaohe.services import Services
from kaohe.texts import score as sx
from kaohe.texts import status as st
from kaohe.texts import units as units_tx
from parsers.unit_sheet import looks_like_unit_sheet
from scoring.review import BadReview, parse_review

log = logging.getLogger(__name__)
REPLACE_KEY = "replace_submission"
DOWNLOAD_TIMEOUT = 120
MIN_APPEAL = 10  # characters of a 复核申请's reasons


def register(app: Application) -> None:
    """Add this feature's handlers."""
    app.add_handler(CommandHandler("score", handle_score))
    pickable("score", handle_score)
    pickable("review", handle_review)
    app.add_handler(CommandHandler("files", handle_files))
    app.add_handler(CommandHandler("review", office_only(handle_review, "⚠️ /review 仅考核办可以使用。")))
    app.add_handler(CommandHandler("appeal", handle_appeal))
    app.add_handler(CallbackQueryHandler(handle_button, pattern=r"^(sc|rv|fl):"))
    app.add_handler(CallbackQueryHandler(handle_survey_button, pattern=rf"^{sx.SOCIAL_IMPORT}:"))
    app.add_handler(CallbackQueryHandler(handle_lock_all_button, pattern=rf"^{sx.LOCK_ALL}:"))


# ---- /score ------------------------------------------------------------------------------


def _score_reply(svc: Services, unit: dict, mode: str) -> st.Screen:
    view = svc.score_view(unit["id"])
    if view is None:
        return st.Screen(sx.score_not_ready(unit["name"]))
    return sx.score_screen(view, svc.config.scoring, mode)


async def unit_asked_for(update: Update, context: Context, usage: str, command: str) -> dict | None:
    """The unit ``/command`` is about: a liaison's own; staff name one (``/cmd 单位``).

    Replies and returns None when there is none (unbound user, no name, or a name that needs
    choosing: ``bot.handlers.units.named_unit``).
    """
    svc = services(context)
    user_id = update.effective_user.id
    role = await svc.run(svc.role_of, user_id)
    if role == "unknown":
        await reply(update, st.status_unknown(svc.config.contact))
        return None
    if role == "liaison":
        return await svc.run(svc.unit_of, user_id)
    query = " ".join(context.args or []).strip()
    if not query:
        await reply(update, usage)
        return None
    return await named_unit(update, context, command, query)


async def handle_score(update: Update, context: Context) -> None:
    """``/score``: a liaison's own unit; staff name a unit (``/score 单位``)."""
    unit = await unit_asked_for(update, context, sx.score_staff_usage(), "score")
    if unit is not None:
        svc = services(context)
        await send_screen(update, await svc.run(_score_reply, svc, unit, sx.SCORE))


# ---- /files ------------------------------------------------------------------------------


def _files_screen(svc: Services, unit_id: str, moment) -> st.Screen:
    files = svc.files(unit_id, moment)
    return sx.files_screen(files.current, files.history, svc.config.tz, set(files.withdrawable), files.until)


async def handle_files(update: Update, context: Context) -> None:
    """``/files``: the liaison's current files with 替换 / 撤回, and earlier versions."""
    svc = services(context)
    unit = await svc.run(svc.unit_of, update.effective_user.id)
    if unit is None:
        await reply(update, sx.files_not_liaison())
        return
    await send_screen(update, await svc.run(_files_screen, svc, unit["id"], now(context)))


# ---- /review -----------------------------------------------------------------------------


async def handle_review(update: Update, context: Context) -> None:
    """``/review [单位 [指标 分数 理由 | 加分… | 扣分… | 否决… | 撤销… | 锁定 | 解锁…]]``."""
    svc = services(context)
    user_id = update.effective_user.id
    words = list(context.args or [])
    if not words:
        units, stale, appeals = await svc.run(svc.review_listing)
        await reply(update, sx.review_usage(units, stale, appeals, svc.config.tz))
        return
    if words[0] in ALL_UNITS:
        await _review_all(update, context, svc, words[1:])
        return
    unit = await named_unit(update, context, "review", words[0], words[1:])
    if unit is None:
        return
    try:
        action = parse_review(words[1:], svc.config.scoring)
        outcome = await svc.run(svc.review, unit, action, user_id, lambda appeal: sx.appeal_answer(
            unit["name"], appeal, svc.config.cycle_name, svc.config.tz))
        outcome = sx.review_outcome(unit, action, outcome, svc.config.scoring, svc.config.tz)
    except BadReview as exc:
        await reply(update, sx.review_bad(str(exc), unit["name"]))
        return
    if isinstance(outcome, st.Screen):
        await send_screen(update, outcome)
    else:
        await reply(update, outcome)
    if action.kind == "answer":  # the answer goes to the unit now
        send_now(context, "appeal_answer")


async def handle_appeal(update: Update, context: Context) -> None:
    """``/appeal 理由``: a liaison asks for 复核 of the unit's locked result."""
    svc = services(context)
    user_id = update.effective_user.id
    unit = await svc.run(svc.unit_of, user_id)
    if unit is None:
        role = await svc.run(svc.role_of, user_id)
        await reply(update, "复核申请由单位联络员提出；考核办答复请用 /review 单位 答复 内容。"
                    if role in st.STAFF_ROLES else st.status_unknown(svc.config.contact))
        return
    reason = " ".join(context.args or []).strip()
    moment = now(context)
    if len(reason) < MIN_APPEAL:
        window_end = await svc.run(svc.appeal_window_end, unit["id"])
        await reply(update, sx.appeal_usage(window_end, svc.config, MIN_APPEAL))
        return
    user = update.effective_user

    def to_office(appealing: dict, answer_due) -> str:
        return sx.appeal_to_office(appealing["name"], user.full_name, reason, answer_due, svc.config.tz)

    row = await svc.run(svc.appeal, unit["id"], user_id, reason, moment, to_office)
    await reply(update, sx.appeal_received(row, svc.config.tz))
    send_now(context, "appeal")


ALL_UNITS = ("全部", "所有", "全部单位")
LOCK_ALL_KEY = "lock_all_previews"  # user_data: token -> the unit ids the preview listed


async def _review_all(update: Update, context: Context, svc: Services,
                      words: list[str]) -> None:
    """``/review 全部 锁定``: preview locking every unit with a result, then one confirmation."""
    if words != ["锁定"]:
        await reply(update, "对全部单位只能整体锁定：发送 <code>/review 全部 锁定</code>，确认后一次锁定所有已有得分"
                            "且未锁定的单位。核定、加分、扣分请逐个单位进行：<code>/review 单位名称 …</code>")
        return
    plan = await svc.run(svc.plan_lock_all)
    token = stash_preview(context, LOCK_ALL_KEY, [u["id"] for u in plan.to_lock]) if plan.to_lock else ""
    await send_screen(update, sx.lock_all_confirm(plan, svc.config.scoring, token))


async def handle_lock_all_button(update: Update, context: Context) -> None:
    """确认锁定 / 取消 under a ``/review 全部 锁定`` preview; each preview is used once."""
    query = update.callback_query
    svc = services(context)
    taken = await take_preview(update, context, LOCK_ALL_KEY, "仅考核办可以锁定结果。",
                               "这次锁定已处理过或预览已失效，请重新发送 /review 全部 锁定。")
    if taken is None:
        return
    action, unit_ids = taken
    token = query.data.rsplit(":", 1)[-1]
    if action != sx.LOCK_ALL_YES:
        await query.answer("已取消")
        await query.edit_message_text("已取消，没有锁定任何单位。")
        return
    await query.answer("正在锁定……")
    await query.edit_message_text(f"⏳ 正在锁定 {len(unit_ids)} 个单位的考核结果……")
    rules = svc.config.scoring

    def feedback(unit_id: str) -> str:
        return sx.result_feedback(svc.score_view(unit_id), rules, svc.config.cycle_name,
                                  svc.config.appeal_working_days)

    locked, told = await svc.run(svc.lock_many, unit_ids, query.from_user.id, feedback,
                                           f"lockall:{token}", now(context))
    await query.edit_message_text(sx.lock_all_done(len(locked), told, len(unit_ids) - len(locked)))
    if told:
        send_now(context, "result")


@dataclass(frozen=True)
class ArmReplace:
    """Pressing 替换: the user's next upload becomes a new version of ``submission``."""

    submission: dict


# ---- buttons -----------------------------------------------------------------------------


def _button_screen(svc: Services, user_id: int, data: str, moment) -> tuple[st.Screen | str | None, str | None]:
    """What a button shows (a screen, or text for a new message) and a note for the user."""
    prefix, *parts = data.split(":")
    role = svc.role_of(user_id)
    rules = svc.config.scoring
    if prefix == sx.FILES:
        return _files_button(svc, user_id, parts, moment)
    unit_id = parts[0] if parts else ""
    if prefix == sx.REVIEW and role != "admin":
        return None, "仅考核办可以审核。"
    if role == "liaison":
        own = svc.unit_of(user_id)
        if own is None or own["id"] != unit_id:
            return None, "只能查看本单位的得分。"
    elif role not in st.STAFF_ROLES:
        return None, "请先绑定单位。"
    unit = svc.unit(unit_id)
    view = svc.score_view(unit_id) if unit else None
    if view is None:
        return None, "该单位暂无得分。"
    what = parts[1] if len(parts) > 1 else ""
    if not what:
        return sx.score_screen(view, rules, prefix), None
    if what == sx.ADDONS:
        return sx.addons_screen(view, rules, prefix), None
    if what in (sx.LOCK, sx.LOCK_YES) and prefix != sx.REVIEW:
        return None, "仅考核办可以锁定结果。"
    if what == sx.LOCK:
        return sx.lock_confirm(view, rules, svc.liaison_count(unit_id)), None
    if what == sx.LOCK_YES:
        count = svc.lock(unit_id, user_id, lambda: sx.result_feedback(
            svc.score_view(unit_id), rules, svc.config.cycle_name, svc.config.appeal_working_days),
            moment=moment)
        if count is None:
            return None, "该单位结果已锁定。"
        after = svc.score_view(unit_id)
        return sx.score_screen(after, rules, sx.REVIEW), sx.locked_done(unit["name"], count)
    screen = sx.indicator_screen(view, rules, what, prefix)
    return (screen, None) if screen else (None, "该指标已不在指标体系中。")


def _files_button(svc: Services, user_id: int, parts: list[str], moment):
    unit = svc.unit_of(user_id)
    if unit is None:
        return None, "只有单位联络员可以管理材料。"
    unit_id = unit["id"]
    action = parts[0] if parts else ""
    if action == "l":
        return _files_screen(svc, unit_id, moment), None
    number = as_id(parts[1]) if len(parts) > 1 else None
    sub = svc.submission(number) if number is not None else None
    if sub is None or sub["unit_id"] != unit_id:
        return None, "没有找到这份文件。"
    if action == "w":
        return sx.withdraw_confirm(sub), None
    if action == "wy":
        try:
            outcome = svc.withdraw(unit_id, sub["id"], user_id, moment)
        except Refused as exc:
            return None, exc.reason
        return st.Screen(sx.withdrawn(sub["file_name"], outcome.change, outcome.files_counted)), "已撤回"
    if action == "r":
        if sub["replaced_by"] or sub["withdrawn_at"]:
            return None, "这份文件已被替换或撤回。"
        return ArmReplace(sub), None
    return None, None


async def handle_button(update: Update, context: Context) -> None:
    """Buttons under score, review and file screens: check who may press, then edit in place."""
    query = update.callback_query
    svc = services(context)
    screen, note = await svc.run(_button_screen, svc, query.from_user.id, query.data,
                                           now(context))
    if isinstance(screen, ArmReplace):
        context.user_data[REPLACE_KEY] = screen.submission["id"]
        await query.answer("请发送新文件")
        await context.bot.send_message(query.message.chat.id, sx.replace_armed(screen.submission["file_name"]))
        return
    locked_now = bool(note) and query.data.endswith(sx.LOCK_YES) and screen is not None
    short = "已锁定" if locked_now else (note[:190] if note else None)
    await query.answer(short, show_alert=bool(note) and screen is None)
    if screen is None:
        return
    try:
        await query.edit_message_text(screen.text, reply_markup=markup(screen))
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            await context.bot.send_message(query.message.chat.id, screen.text,
                                           reply_markup=markup(screen))
    if locked_now:
        await context.bot.send_message(query.message.chat.id, note)
        send_now(context, "result")


# ---- the office sends a survey file ------------------------------------------------------------


def is_survey_file(file_name: str) -> bool:
    """Office uploads named .xlsx / .csv are tables: a list of units (单位名称 and 类别 columns,
    ``bot.handlers.units``) or survey results (社会评价), not regulations."""
    return file_name.lower().endswith((".xlsx", ".csv", ".xls"))


SURVEY_KEY = "survey_previews"  # user_data: token -> (file name, bytes) awaiting 确认导入


async def handle_survey_upload(update: Update, context: Context) -> None:
    """Preview a 社会评价 file from the office: what it sets, per unit, before anything is stored.

    The file waits in memory for 确认导入 (a restart drops it: the office sends it again)."""
    svc = services(context)
    document = update.effective_message.document
    name = document.file_name or "社会评价.xlsx"
    telegram_file = await document.get_file()
    data = bytes(await telegram_file.download_as_bytearray(read_timeout=DOWNLOAD_TIMEOUT))
    if await svc.run(looks_like_unit_sheet, data, name):
        from bot.handlers.units import offer_units_import

        await offer_units_import(update, context, data, name)
        return
    try:
        plan = await svc.run(svc.plan_social_file, data, name)
    except Refused as exc:
        # The office sends two kinds of table here: say what a list of units needs as well.
        await reply(update, f"⚠️ 《{st.esc(name, 40)}》未导入：{st.esc(exc.reason, 600)}\n{units_tx.UNITS_HINT}")
        return
    token = stash_preview(context, SURVEY_KEY, (name, data))
    await send_screen(update, sx.social_preview(name, plan, svc.config.scoring, token))


async def handle_survey_button(update: Update, context: Context) -> None:
    """确认导入 / 取消 under a survey preview; each preview is used at most once."""
    query = update.callback_query
    svc = services(context)
    taken = await take_preview(update, context, SURVEY_KEY, "仅考核办可以导入社会评价结果。",
                               "这份结果表已处理过或预览已失效，请重新发送文件。")
    if taken is None:
        return
    action, (name, data) = taken
    if action != sx.SOCIAL_YES:
        await query.answer("已取消")
        await query.edit_message_text(f"已取消，《{st.esc(name, 40)}》未导入，任何得分都没有改变。")
        return
    await query.answer("正在导入……")
    try:  # read again: units may have been locked or scores imported since the preview
        outcome = await svc.run(svc.import_social_file, data, name, query.from_user.id)
    except Refused as exc:
        text = f"⚠️ 《{st.esc(name, 40)}》未导入：{st.esc(exc.reason, 600)}"
    else:
        text = sx.social_imported(name, outcome, svc.config.scoring)
    await query.edit_message_text(text)
