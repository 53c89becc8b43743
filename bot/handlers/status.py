"""/status (a liaison's own unit), /overview and /unit (office and officials), and the
overview's inline buttons (``ov:…`` callback data, edited in place). Texts live in
``kaohe.texts.status``; the database work runs in a worker thread.

Paging through the lists recomputes nothing while the data stands still: the last
``Overview`` is reused as long as the database is unchanged (this connection's change count
and SQLite's ``data_version`` for other processes, e.g. ``bot.manage``) and no due time has
passed since it was computed; it is then shown with the current time.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.handlers.common import Context, now, reply, services
from bot.handlers.units import named_unit, pickable
from kaohe.cycle import Overview
from kaohe.services import Services
from kaohe.texts import status as st

log = logging.getLogger(__name__)

EXPIRED = "按钮已失效，请重新发送 /overview。"


class OverviewCache:
    """The last overview, reused while nothing it depends on can have changed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entry: tuple[tuple[int, int], Overview] | None = None

    def get(self, svc: Services, moment: datetime) -> Overview:
        stamp = svc.cycle.change_stamp()  # read before computing: a write meanwhile only costs a recompute
        with self._lock:
            entry = self._entry
        if entry is not None and entry[0] == stamp:
            cached = entry[1]
            crossed = any(cached.now < due <= moment for t in cached.tallies for due in t.dues)
            if cached.now <= moment and not crossed:
                return replace(cached, now=moment)
        fresh = svc.cycle.overview(moment)
        with self._lock:
            self._entry = (stamp, fresh)
        return fresh

    def clear(self) -> None:
        with self._lock:
            self._entry = None


def overview_cache(context: Context) -> OverviewCache:
    data = context.application.bot_data
    if data.overview_cache is None:
        data.overview_cache = OverviewCache()
    return data.overview_cache


def markup(screen: st.Screen) -> InlineKeyboardMarkup | None:
    """The screen's buttons as Telegram's inline keyboard."""
    if not screen.buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(" ".join(label.split()), callback_data=data)  # one line
                                  for label, data in row]
                                 for row in screen.buttons])


async def send_screen(update: Update, screen: st.Screen) -> None:
    await update.effective_message.reply_text(
        screen.text, reply_markup=markup(screen))


# ---- /status ---------------------------------------------------------------------------


def _liaison_status(svc: Services, user_id: int, moment: datetime) -> str:
    unit = svc.unit_of(user_id)
    card = svc.cycle.unit_card(unit["id"]) if unit else None
    if card is None:
        return st.status_no_unit(svc.config.contact)
    return st.liaison_status(card, svc.config.tz, moment, svc.config.scoring, svc.config.contact,
                             svc.config.seal_page_required)


async def handle_status(update: Update, context: Context) -> None:
    """``/status``: a liaison's own unit — files, deadline, coverage, preliminary score, next steps."""
    svc = services(context)
    user_id = update.effective_user.id
    role = await svc.run(svc.role_of, user_id)
    if role == "unknown":
        await reply(update, st.status_unknown(svc.config.contact))
    elif role in st.STAFF_ROLES:
        await reply(update, st.status_staff())
    else:
        await reply(update, await svc.run(_liaison_status, svc, user_id, now(context)))


# ---- /overview and /unit -------------------------------------------------------------------


def overview_screen(svc: Services, cache: OverviewCache, moment: datetime) -> st.Screen:
    return st.overview_screen(cache.get(svc, moment), svc.config.cycle_name, svc.config.tz)


def card_screen(svc: Services, unit_id: str, moment: datetime, back: str | None = None) -> st.Screen | None:
    card = svc.cycle.unit_card(unit_id)
    if card is None:
        return None
    return st.unit_card_screen(card, svc.config.tz, moment, svc.config.scoring, back,
                               svc.config.seal_page_required)


async def _staff_or_refuse(update: Update, svc: Services) -> bool:
    role = await svc.run(svc.role_of, update.effective_user.id)
    if role in st.STAFF_ROLES:
        return True
    await reply(update, st.staff_only(role))
    return False


async def handle_overview(update: Update, context: Context) -> None:
    """``/overview``: the cycle's progress for the office and officials, with list buttons."""
    svc = services(context)
    if not await _staff_or_refuse(update, svc):
        return
    screen = await svc.run(overview_screen, svc, overview_cache(context), now(context))
    await send_screen(update, screen)


def _unit_reply(svc: Services, query: str, moment: datetime) -> st.Screen:
    matches = list(svc.find_unit(query).units)
    if not matches:
        return st.Screen(st.unit_no_match(query))
    if len(matches) == 1:
        screen = card_screen(svc, matches[0]["id"], moment)
        return st.Screen(screen.text) if screen else st.Screen(st.unit_no_match(query))
    return st.search_screen(matches, query)


async def handle_unit(update: Update, context: Context) -> None:
    """``/unit <名称或编号>``: one unit's card, or a list to choose from."""
    svc = services(context)
    if not await _staff_or_refuse(update, svc):
        return
    query = " ".join(context.args or []).strip()
    if not query:
        await reply(update, st.unit_usage())
        return
    if not (await svc.run(svc.find_unit, query)).units:
        await named_unit(update, context, "unit", query)  # the nearest names, as buttons
        return
    await send_screen(update, await svc.run(_unit_reply, svc, query, now(context)))


# ---- buttons -----------------------------------------------------------------------------


def _callback_screen(svc: Services, cache: OverviewCache, action: tuple,
                     moment: datetime) -> tuple[st.Screen | None, str | None]:
    """What pressing a button shows (None: leave the message) and a short note for the user."""
    kind = action[0]
    if kind == "home":
        return overview_screen(svc, cache, moment), None
    if kind == "list":
        return st.list_screen(cache.get(svc, moment), action[1], action[2], svc.config.tz), None
    if kind == "search":
        matches = list(svc.find_unit(action[2]).units)
        if not matches:
            return None, "没有找到符合条件的单位了，请重新发送 /unit。"
        return st.search_screen(matches, action[2], action[1]), None
    if kind == "unit":
        screen = card_screen(svc, action[1], moment, action[2])
        return (screen, None) if screen else (None, "该单位已不存在，请重新发送 /overview。")
    return None, None  # the page-number button


async def handle_callback(update: Update, context: Context) -> None:
    """An ``ov:…`` button: check the role, then edit the message in place."""
    query = update.callback_query
    answered = False
    try:
        svc = services(context)
        role = await svc.run(svc.role_of, query.from_user.id)
        if role not in st.STAFF_ROLES:
            await query.answer(st.staff_only(role), show_alert=True)
            answered = True
            return
        action = st.parse_callback(query.data)
        if action is None:
            await query.answer(EXPIRED, show_alert=True)
            answered = True
            return
        screen, note = await svc.run(_callback_screen, svc, overview_cache(context), action,
                                               now(context))
        await query.answer(note, show_alert=bool(note))
        answered = True
        if screen is None:
            return
        try:
            await query.edit_message_text(screen.text,
                                          reply_markup=markup(screen))
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return  # the same page pressed twice
            if query.message is None:
                raise
            # Too old to edit (Telegram allows about 48 hours): show it as a new message.
            log.info("could not edit message %s (%s); sending a new one", query.message.message_id, exc)
            await context.bot.send_message(query.message.chat.id, screen.text,
                                           reply_markup=markup(screen))
    finally:
        if not answered:
            try:
                await query.answer()
            except Exception:  # the error handler reports the original problem
                log.warning("could not answer callback query", exc_info=True)


def register(app: Application) -> None:
    """Add this feature's handlers."""
    app.add_handler(CommandHandler("status", handle_status))
    app.add_handler(CommandHandler("overview", handle_overview))
    app.add_handler(CommandHandler("unit", handle_unit))
    pickable("unit", handle_unit)
    app.add_handler(CallbackQueryHandler(handle_callback, pattern=r"^ov:"))
