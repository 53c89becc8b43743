"""Units by the names people type, and the office's list of units.

``named_unit`` is how every command that takes a unit reads it: one unit goes on; several
are offered as buttons, and none as the nearest names (buttons too). Pressing one runs the
command again for that unit with the rest of what was typed (``pk:`` buttons).

The office sends a units spreadsheet (.xlsx/.csv with 单位名称 and 类别 columns): the bot
previews new, changed and removed units (or the rows to fix) and imports on 确认导入, then
sends the invite workbook and QR codes. ``/units`` shows the list's state and ``/units 邀请码``
sends the invite workbook again.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.handlers.common import (
    Context,
    Handler,
    internal_error,
    now,
    office_only,
    reply,
    services,
    stash_preview,
    take_preview,
)
from kaohe.errors import Refused
from kaohe.texts import base as base_texts
from kaohe.texts import office as office_texts
from kaohe.texts import units as tx
from parsers.unit_sheet import BadUnitSheet

log = logging.getLogger(__name__)
PICKABLE: dict[str, Handler] = {}  # command -> its handler, for the pk: buttons
PICK_KEY = "unit_picks"
IMPORT_KEY = "unit_imports"
OFFICE_COMMANDS = ("review", "invite", "extend")
SHOWN_CHOICES = 8
QR_SLOW = 500  # units beyond which the office is told the invite list takes a while


def register(app) -> None:
    app.add_handler(CommandHandler("units", office_only(handle_units, office_texts.admin_only)))
    app.add_handler(CallbackQueryHandler(handle_pick, pattern=r"^pk:"))
    app.add_handler(CallbackQueryHandler(handle_import_button, pattern=r"^ui:"))


async def named_unit(update: Update, context: Context, command: str, query: str,
                     rest: list[str] | None = None) -> dict[str, Any] | None:
    """The one active unit ``query`` names; otherwise the user is shown the choices (or the
    nearest names) as buttons that run ``/command <unit> <rest>`` and None is returned."""
    svc = services(context)
    match = await svc.run(svc.find_unit, query)
    if match.unit is not None:
        return await svc.run(svc.unit, match.unit["id"])
    choices = match.units or match.suggestions
    token = stash_preview(context, PICK_KEY, (command, list(rest or [])))
    buttons = [[InlineKeyboardButton(" ".join(u["name"].split()), callback_data=f"pk:{token}:{u['id']}")]
               for u in choices[:SHOWN_CHOICES]]
    text = (tx.several_units(query, match.units, SHOWN_CHOICES) if match.units
            else tx.no_unit(query, match.suggestions))
    await update.effective_message.reply_text(text, reply_markup=InlineKeyboardMarkup(buttons) if buttons else None)
    return None


async def handle_pick(update: Update, context: Context) -> None:
    """A unit chosen from ``named_unit``'s buttons: the command runs for it."""
    query = update.callback_query
    _, token, unit_id = (query.data.split(":", 2) + ["", ""])[:3]
    stashed = context.user_data.get(PICK_KEY, {}).get(token)
    if stashed is None:
        await query.answer(tx.PICK_GONE, show_alert=True)
        return
    command, rest = stashed
    svc = services(context)
    if command in OFFICE_COMMANDS and await svc.run(svc.role_of, query.from_user.id) != "admin":
        await query.answer(office_texts.admin_only, show_alert=True)
        return
    context.user_data[PICK_KEY].pop(token, None)
    await query.answer()
    context.args = [unit_id, *rest]
    await PICKABLE[command](update, context)


def pickable(command: str, handler: Handler) -> None:
    """``/command 单位 …`` can be run again from a choice of units (each module registers its own)."""
    PICKABLE[command] = handler


# ---- the list of units -------------------------------------------------------------------


async def offer_units_import(update: Update, context: Context, data: bytes, file_name: str) -> None:
    """The office sent a units sheet: the preview, with 确认导入 when it can be imported."""
    svc = services(context)
    try:
        plan = await svc.run_heavy(svc.preview_units, data, file_name)
    except BadUnitSheet as exc:
        await reply(update, tx.bad_sheet(file_name, exc.reason))
        return
    if not plan.ok:
        await reply(update, tx.import_refused(file_name, plan))
        return
    token = stash_preview(context, IMPORT_KEY, plan)
    buttons = InlineKeyboardMarkup([[InlineKeyboardButton("确认导入", callback_data=f"ui:ok:{token}"),
                                     InlineKeyboardButton("取消", callback_data=f"ui:no:{token}")]])
    imported = await svc.run(svc.units_imported)
    await update.effective_message.reply_text(tx.import_preview(file_name, plan, imported), reply_markup=buttons)


async def handle_import_button(update: Update, context: Context) -> None:
    taken = await take_preview(update, context, IMPORT_KEY, office_texts.admin_only, tx.IMPORT_GONE)
    if taken is None:
        return
    action, plan = taken
    query = update.callback_query
    await query.answer()
    if action != "ok":
        await query.edit_message_text(tx.IMPORT_CANCELLED)
        return
    svc = services(context)
    try:
        codes = await svc.run_heavy(svc.import_units, plan, query.from_user.id, now(context))
    except Refused as exc:  # the list changed since the preview: nothing written
        await query.edit_message_text(base_texts.refused(exc.reason))
        return
    except Exception as exc:  # nothing was written (one transaction): say so plainly
        await query.edit_message_text(await internal_error(context, "导入单位名单", exc))
        return
    await query.edit_message_text(tx.imported(plan, codes))
    await send_invites(update, context)


async def handle_units(update: Update, context: Context) -> None:
    """``/units``: how many units, where the list comes from; ``/units 邀请码``: the invite
    workbook and QR codes."""
    svc = services(context)
    words = list(context.args or [])
    if words and words[0] in ("邀请码", "邀请", "二维码"):
        await send_invites(update, context)
        return
    units = await svc.run(svc.unit_listing)
    imported = await svc.run(svc.units_imported)
    await reply(update, tx.units_summary(units, imported))


async def send_invites(update: Update, context: Context) -> None:
    """The invite workbook (each unit's code and deep link) and a ZIP of one QR code per unit."""
    import tempfile
    from pathlib import Path

    from kaohe.writers.invites import write_invites

    svc = services(context)
    username = context.bot.username or svc.config.bot_username
    rows = await svc.run(svc.invite_list)
    if len(rows) > QR_SLOW:  # a QR code takes a few milliseconds: a province's take half a minute
        await update.effective_message.reply_text(tx.invites_progress(len(rows)))
    with tempfile.TemporaryDirectory(prefix="kaohe-invites-") as folder:
        try:
            workbook, qr_zip = await svc.run_heavy(write_invites, rows, username, Path(folder),
                                                   now(context), svc.config.tz, svc.config.cycle_name)
        except Exception as exc:
            await update.effective_message.reply_text(await internal_error(context, "生成邀请码清单", exc))
            return
        message = update.effective_message
        with workbook.open("rb") as f:
            await message.reply_document(f, filename=workbook.name, caption=tx.invites_caption(rows, username))
        if qr_zip is not None:
            with qr_zip.open("rb") as f:
                await message.reply_document(f, filename=qr_zip.name, caption=tx.QR_CAPTION)
