"""Wires the application: handlers, error handler, services in post_init, the Bot API URL."""

from __future__ import annotations

import asyncio
import json
import logging

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    CommandHandler,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.handlers import ask, exports, invites, office, results, status, units
from bot.handlers.common import CONTEXT_TYPES, Context, internal_error, reply
from bot.handlers.start import (
    handle_bind,
    handle_help,
    handle_start,
    handle_text,
    handle_unknown_command,
    handle_unsupported,
)
from bot.handlers.upload import handle_document, handle_photo, resume_interrupted_uploads
from bot.jobs import once, start_notifications
from bot.menus import set_all_menus
from kaohe.config import AppConfig
from kaohe.errors import Refused
from kaohe.services import Services
from kaohe.texts import base as texts

log = logging.getLogger(__name__)
CONCURRENT_UPDATES = 512


async def _start_regulations(context) -> None:
    try:
        svc = context.bot_data.services
        await svc.run(svc.qa.start)
    except Exception:  # logged; questions then retry the start themselves
        log.exception("indexing the regulations failed")
        return
    svc.settle()  # the index and the loaded modules are here for good: out of the GC's way


class InboxQueue(asyncio.Queue):
    """The queue between the poller and the handlers. Telegram forgets an update once the
    next ``getUpdates`` confirms it, which PTB's poller sends as soon as it has queued the
    batch: so each update is written to the database here first, and one the process dies
    on before its handling began is handled at the next start (``replay_unhandled``)."""

    def __init__(self) -> None:
        super().__init__()
        self.services: Services | None = None

    async def put(self, item: object) -> None:
        svc = self.services
        if svc is not None and isinstance(item, Update):
            # On the loop, not in a thread: its own small database, a fraction of a
            # millisecond, and a batch of 70 updates must not queue 70 thread hops.
            svc.receive_update(item.update_id, item.to_json())
        await super().put(item)


async def replay_unhandled(app: Application) -> int:
    """Queue again the updates a stop left received but unhandled (before any new one)."""
    svc = app.bot_data.services
    rows = await svc.run(svc.unhandled_updates)
    for _, payload in rows:
        app.update_queue.put_nowait(Update.de_json(json.loads(payload), app.bot))
    if rows:
        log.info("%d update(s) received before the last stop are handled now", len(rows))
    return len(rows)


async def _start_parsers(context) -> None:
    try:
        svc = context.bot_data.services
        await svc.run_heavy(svc.parsing.warm)
    except Exception:  # logged; an upload then starts the workers itself
        log.exception("starting the parser processes failed")


def build_application(config: AppConfig, token: str, services: Services | None = None,
                      rate_limit: bool = True, request: BaseRequest | None = None) -> Application:
    """The bot's application for ``config``.

    ``services`` and ``request`` may be given by tests (shared services, an offline request).
    """

    async def post_init(app: Application) -> None:
        if app.bot_data.services is None:
            # The services (and their worker threads) are made off the loop: opening the
            # database may migrate it.
            app.bot_data.services = await asyncio.to_thread(Services, config)
        await set_all_menus(app.bot, config.admins, config.officials)
        await resume_interrupted_uploads(app.bot, app.bot_data.services)
        if isinstance(app.update_queue, InboxQueue):
            app.update_queue.services = app.bot_data.services
            await replay_unhandled(app)
        start_notifications(app, app.bot_data.services)
        # Index the regulations in the background once the bot runs (the first start encodes
        # every clause, a minute or so); a question asked meanwhile waits for it.
        app.job_queue.run_once(_start_regulations, 0, name="qa:start")
        app.job_queue.run_once(_start_parsers, 0, name="parsers:start")

    async def post_shutdown(app: Application) -> None:
        svc, app.bot_data.services = app.bot_data.services, None
        if svc is not None and services is None:
            svc.close()

    builder = (
        Application.builder()
        .token(token)
        .base_url(config.bot_base_url)
        .base_file_url(config.file_base_url)
        # Updates are handled concurrently; an upload waits on a parser process most of the
        # time, so a wave of uploads must not hold every slot and keep questions queued (the
        # work itself is bounded by the services' threads and processes).
        .concurrent_updates(CONCURRENT_UPDATES)
        .update_queue(InboxQueue())
        .context_types(CONTEXT_TYPES)
        # Every reply is HTML (the texts escape what users wrote) and shows no link previews.
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    if rate_limit:
        # Per-chat and group limits are PTB's defaults (1/s, 20/min); RetryAfter is waited out.
        builder = builder.rate_limiter(AIORateLimiter(
            overall_max_rate=config.max_messages_per_second, overall_time_period=1, max_retries=3))
    app = builder.build()
    if services is not None:
        app.bot_data.services = services
    register_handlers(app)
    return app


def register_handlers(app: Application) -> None:
    """All handlers, grouped by feature."""
    private = filters.ChatType.PRIVATE
    app.add_handler(TypeHandler(Update, once), group=-2)
    app.add_handler(CommandHandler("start", handle_start))
    app.add_handler(CommandHandler("bind", handle_bind))
    app.add_handler(CommandHandler("help", handle_help))
    status.register(app)
    office.register(app)
    invites.register(app)
    results.register(app)
    exports.register(app)
    ask.register(app)
    units.register(app)
    app.add_handler(MessageHandler(filters.Document.ALL, handle_document))
    app.add_handler(MessageHandler(filters.PHOTO, handle_photo))
    app.add_handler(MessageHandler(filters.COMMAND, handle_unknown_command))
    app.add_handler(MessageHandler(private & filters.TEXT, handle_text))
    app.add_handler(MessageHandler(private & ~filters.StatusUpdate.ALL, handle_unsupported))
    app.add_error_handler(handle_error)


async def handle_error(update: object, context: Context) -> None:
    """Every error a handler lets through. A ``Refused`` (the rules do not allow this now)
    is answered with its own Chinese reason; anything else is an internal error: logged
    with its traceback, the office told, the user answered in plain Chinese."""
    if isinstance(context.error, Refused):
        reply_text = texts.refused(context.error.reason)
    else:
        reply_text = await internal_error(context, "处理一条消息", context.error)
    if isinstance(update, Update) and update.effective_message is not None:
        try:
            await reply(update, reply_text)
        except Exception:  # the error may be that we cannot reach Telegram at all
            log.warning("could not tell the user about the error", exc_info=True)


async def start_polling(app: Application, poll_timeout: int = 1) -> None:
    """Start ``app`` by hand the way ``run_polling`` does (console chat and tests)."""
    await app.initialize()
    if app.post_init:
        await app.post_init(app)
    await app.start()
    await app.updater.start_polling(poll_interval=0.0, timeout=poll_timeout)


async def stop_polling(app: Application) -> None:
    """Stop what ``start_polling`` started, running ``post_shutdown`` like ``run_polling``."""
    if app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()
    if app.post_shutdown:
        await app.post_shutdown(app)
