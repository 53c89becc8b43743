"""/invite (office): a unit's invite codes and liaisons; issue, rotate and revoke codes;
remove a liaison. Binding itself is /bind and /start CODE (bot.handlers.start)."""

from __future__ import annotations

import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.handlers.common import (
    Context,
    now,
    office_only,
    reply,
    send_now,
    services,
    stash_preview,
    take_preview,
)
from bot.handlers.units import named_unit, pickable
from bot.menus import set_commands_for
from kaohe.texts import invites as tx
from kaohe.texts import office as office_texts

REMOVE_KEY = "invite_remove"
_LIMIT = re.compile(r"^(\d{1,6})(人|次|天|日)$")
ISSUE_WORDS = {"新码": True, "更换": True, "换码": True, "加码": False, "另发": False}


def register(app: Application) -> None:
    """Add this feature's handlers."""
    app.add_handler(CommandHandler("invite", office_only(handle_invite, office_texts.admin_only)))
    pickable("invite", handle_invite)
    app.add_handler(CallbackQueryHandler(handle_remove_button, pattern=r"^inv:"))


def read_limits(words: list[str]) -> tuple[int | None, int | None] | str:
    """``5人`` / ``30天`` in any order → (people, days), None where not given; else the word
    that could not be read (or is out of range)."""
    people = days = None
    for word in words:
        match = _LIMIT.match(word)
        if not match:
            return word
        value = int(match.group(1))
        if match.group(2) in "人次":
            if value > 1000:
                return word
            people = value
        else:
            if value > 3660:
                return word
            days = value
    return people, days


async def handle_invite(update: Update, context: Context) -> None:
    """``/invite``, ``/invite 单位``, ``/invite 单位 新码|加码 [N人] [D天]``,
    ``/invite 单位 移除 姓名或ID``, ``/invite 撤销 码``."""
    svc = services(context)
    words = list(context.args or [])
    if not words:
        await reply(update, tx.usage())
        return
    if words[0] in ("撤销", "作废") and len(words) == 2:
        row = await svc.run(svc.revoke_invite, words[1], update.effective_user.id, now(context))
        unit = await svc.run(svc.unit, row["unit_id"]) if row else None
        await reply(update, tx.revoked(row, unit) if row else tx.no_such_code(words[1]))
        return
    # The unit's name may have spaces; the first action word ends it.
    split = next((i for i, w in enumerate(words) if w in ISSUE_WORDS or w == "移除"), len(words))
    unit = await named_unit(update, context, "invite", " ".join(words[:split]), words[split:])
    if unit is None:
        return
    action, rest = (words[split], words[split + 1:]) if split < len(words) else (None, [])
    if action is None:
        await _unit_screen(update, context, unit)
    elif action == "移除":
        await _remove_named(update, context, unit, " ".join(rest))
    else:
        limits = read_limits(rest)
        if isinstance(limits, str):
            await reply(update, tx.bad_limits(limits))
            return
        before = await svc.run(svc.invites, unit["id"])
        row = await svc.run(svc.issue_invite, unit["id"], update.effective_user.id, now(context),
                            limits[0], limits[1], ISSUE_WORDS[action])
        working = sum(1 for r in before if not r["revoked_at"]) if ISSUE_WORDS[action] else 0
        link = f"https://t.me/{context.bot.username}?start={row['code']}" if context.bot.username else None
        await reply(update, tx.issued(unit, row, link, working, svc.config.tz))


async def _unit_screen(update: Update, context: Context, unit: dict) -> None:
    svc = services(context)
    invites = await svc.run(svc.invites, unit["id"])
    people = await svc.run(svc.liaisons, unit["id"])
    buttons = [[InlineKeyboardButton(
        f"移除 {p['name'] or p['telegram_id']}",
        callback_data=f"inv:rm:{stash_preview(context, REMOVE_KEY, p['telegram_id'])}")] for p in people[:20]]
    await update.effective_message.reply_text(
        tx.unit_screen(unit, invites, people, now(context), svc.config.tz),
        reply_markup=InlineKeyboardMarkup(buttons) if buttons else None)


async def _remove_named(update: Update, context: Context, unit: dict, who: str) -> None:
    svc = services(context)
    people = await svc.run(svc.liaisons, unit["id"])
    matches = [p for p in people if who and who in (str(p["telegram_id"]), p["name"], p.get("username"))]
    if len(matches) != 1:
        await reply(update, tx.no_such_liaison(who, unit))
        return
    await reply(update, await _remove(context, matches[0]["telegram_id"], update.effective_user.id, unit))


async def _remove(context: Context, telegram_id: int, actor: int, unit: dict) -> str:
    svc = services(context)
    contact = svc.config.contact

    def notices(unit_row: dict, person: dict) -> tuple[str, str]:
        return tx.removed_notice_to_person(unit_row, contact), tx.removed_notice_to_others(unit_row, person)

    person = await svc.run(svc.remove_liaison, telegram_id, actor, now(context), notices)
    if person is None:
        return tx.no_such_liaison(str(telegram_id), unit)
    await set_commands_for(context.bot, telegram_id, "unknown")
    send_now(context, "unbind")
    return tx.removed(person, unit)


async def handle_remove_button(update: Update, context: Context) -> None:
    """A 移除 button under ``/invite 单位``: acts once, office only."""
    taken = await take_preview(update, context, REMOVE_KEY, office_texts.admin_only_short(), tx.button_gone())
    if taken is None:
        return
    _, telegram_id = taken
    svc = services(context)
    query = update.callback_query
    unit = await svc.run(svc.unit_of, telegram_id)
    if unit is None:
        await query.answer("此人已不是联络员", show_alert=True)
        return
    await query.answer("已解除绑定")
    await query.message.reply_text(await _remove(context, telegram_id, query.from_user.id, unit))
