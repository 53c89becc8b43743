"""Telegram's command menu, set per role (default scope for everyone, chat scope for staff)."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError

from kaohe.texts.base import COMMANDS

log = logging.getLogger(__name__)


def commands(role: str) -> list[BotCommand]:
    """The command menu for ``role``."""
    return [BotCommand(name, description) for name, description in COMMANDS[role]]


async def set_commands_for(bot: Bot, chat_id: int, role: str) -> None:
    """Give one private chat the menu of ``role``; a chat the bot cannot reach is skipped."""
    try:
        await bot.set_my_commands(commands(role), scope=BotCommandScopeChat(chat_id))
    except TelegramError as exc:  # the user may never have opened the bot
        log.info("could not set commands for chat %s: %s", chat_id, exc)


async def set_all_menus(bot: Bot, admins: frozenset[int], officials: frozenset[int]) -> None:
    """Default menu for liaisons and newcomers; staff get theirs in their own chats."""
    await bot.set_my_commands(commands("unknown"), scope=BotCommandScopeDefault())
    for chat_id in officials:
        await set_commands_for(bot, chat_id, "official")
    for chat_id in admins:
        await set_commands_for(bot, chat_id, "admin")
