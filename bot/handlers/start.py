"""/start, /bind and /help: who the user is, binding a liaison to a unit, what they can do."""

from __future__ import annotations

from telegram import Update

from bot.handlers.ask import answer_question
from bot.handlers.common import Context, now, reply, send_now, services
from bot.menus import set_commands_for
from kaohe.texts import base as texts
from kaohe.texts import invites as invite_texts
from scoring.intents import is_small_talk


async def handle_start(update: Update, context: Context) -> None:
    """``/start`` alone greets by role; ``/start CODE`` (deep link) binds like ``/bind``."""
    if context.args:
        await _bind(update, context, context.args[0])
        return
    svc = services(context)
    user_id = update.effective_user.id
    role = await svc.run(svc.role_of, user_id)
    if role == "unknown":
        await reply(update, texts.welcome_unknown(svc.config.contact))
    elif role == "liaison":
        unit = await svc.run(svc.unit_of, user_id)
        files = await svc.run(svc.files_count, unit["id"])
        deadline = await svc.run(svc.deadline_for_unit, unit)
        await reply(update, texts.liaison_home(unit, files, deadline, now(context), svc.config.tz))
    else:
        await reply(update, texts.staff_home(role, svc.config.cycle_name))


async def handle_bind(update: Update, context: Context) -> None:
    """``/bind CODE``: bind the sender to the unit whose invite code this is."""
    if not context.args:
        await reply(update, texts.missing_invite_code())
        return
    await _bind(update, context, context.args[0])


async def _bind(update: Update, context: Context, code: str) -> None:
    svc = services(context)
    user = update.effective_user
    moment = now(context)

    def notice(unit: dict, who: str) -> str:
        return invite_texts.joined_notice(unit, who, moment, svc.config.tz, svc.config.contact)

    bound = await svc.run(svc.bind, user.id, user.full_name, user.username, code, moment, notice)
    if bound is None:
        await reply(update, texts.bad_invite_code(code, svc.config.contact))
        return
    await reply(update, texts.bind_success(
        bound.unit, bound.deadline, now(context), svc.config.tz,
        svc.config.max_file_bytes / 1048576, bound.previous["name"] if bound.previous else None))
    if bound.was_unknown:
        await set_commands_for(context.bot, update.effective_chat.id, "liaison")
    send_now(context, "binding")  # the unit's other liaisons hear of it now


async def handle_help(update: Update, context: Context) -> None:
    """``/help``: what the sender's role can do."""
    svc = services(context)
    role = await svc.run(svc.role_of, update.effective_user.id)
    await reply(update, texts.help_text(role, svc.config.max_file_bytes / 1048576))


async def handle_text(update: Update, context: Context) -> None:
    """Plain text in a private chat is a question (an invite code gets the binding hint)."""
    svc = services(context)
    text = (update.effective_message.text or "").strip()
    role = await svc.run(svc.role_of, update.effective_user.id)
    if role == "unknown":
        # Questions are for the units' liaisons and the office: a stranger learns how to bind.
        await reply(update, texts.welcome_unknown(svc.config.contact))
        return
    if is_small_talk(text):
        await reply(update, texts.small_talk_reply(role))
        return
    await answer_question(update, context, text)


async def handle_unknown_command(update: Update, context: Context) -> None:
    """A command the bot does not know (one addressed to another bot in a group is not ours
    to answer)."""
    command = (update.effective_message.text or "").split()[0] if update.effective_message.text else ""
    _, _, addressee = command.partition("@")
    if addressee and addressee.lower() != (context.bot.username or "").lower():
        return
    await reply(update, "没有这个命令。发送 /help 查看可用命令。")


async def handle_unsupported(update: Update, context: Context) -> None:
    """Stickers, voice, video, locations, contacts … in a private chat: say what works."""
    await reply(update, texts.unsupported_message())
