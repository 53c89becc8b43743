"""/export (the office: workbook, report and charts in chat) and /report (a liaison: their own
unit's report). The files are written off the event loop into a temporary folder, /export's
in a process of its own; its ⏳ message says which files are done as each is."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from pathlib import Path

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler

from bot.handlers.common import Context, internal_error, now, office_only, replace, reply, services
from bot.handlers.results import unit_asked_for
from bot.handlers.units import pickable
from kaohe.exports import CHARTS, REPORT, STAGES, WORKBOOK
from kaohe.texts import status as st
from kaohe.writers import MissingCJKFont

log = logging.getLogger(__name__)
UPLOAD_TIMEOUT = 300  # seconds: a province's workbook is a few MB
UPLOAD_LIMIT = 50 * 2**20  # what a bot may send through the cloud Bot API (bytes)
STARTED = "⏳ 正在生成汇总表、考核报告和图表……"
STAGE_NAMES = {CHARTS: "图表", REPORT: "考核报告", WORKBOOK: "汇总表"}


def register(app: Application) -> None:
    """Add this feature's handlers."""
    app.add_handler(CommandHandler("export", office_only(
        handle_export, "⚠️ /export 仅考核办可以使用。单位联络员可发送 /report 获取本单位的情况报告。")))
    app.add_handler(CommandHandler("report", handle_report))
    pickable("report", handle_report)


async def _send_files(update: Update, context: Context, paths: list[Path],
                      charts: list[Path] = ()) -> None:
    """Send the files as documents. Charts too: a photo would be recompressed by Telegram,
    a document keeps the 150 dpi PNG the office pastes into its slides (with a preview).

    A file over Telegram's limit, or one Telegram refuses, does not stop the others; the
    chat is told which did not arrive and how to get them."""
    chat_id = update.effective_chat.id
    missed = []
    for path in [*paths, *charts]:
        size = path.stat().st_size
        if size > UPLOAD_LIMIT:
            missed.append(f"《{st.esc(path.name, 60)}》{size / 2**20:.0f} MB，超过 Telegram 单个文件 "
                          f"{UPLOAD_LIMIT // 2**20} MB 的上限")
            continue
        caption = path.stem.split("_")[0] if path in charts else None
        try:
            with path.open("rb") as handle:
                await context.bot.send_document(chat_id, handle, filename=path.name, caption=caption,
                                                read_timeout=UPLOAD_TIMEOUT, write_timeout=UPLOAD_TIMEOUT)
        except TelegramError as exc:
            log.warning("could not send %s", path.name, exc_info=True)
            missed.append(f"《{st.esc(path.name, 60)}》发送失败（{st.esc(str(exc), 100)}）")
    if missed:
        await reply(update, "⚠️ 以下文件未能发送：\n" + "\n".join(f"• {m}" for m in missed)
                    + "\n可稍后重发命令再试；考核办也可在服务器上运行 "
                    "<code>python -m bot.manage export</code>（单个单位加 <code>--unit 单位</code>）直接取得文件。")


async def handle_export(update: Update, context: Context) -> None:
    """``/export``: the consolidated workbook, the assessment report and the charts."""
    svc = services(context)
    running = context.application.bot_data.export_lock  # one export at a time: each takes both cores
    if running.locked():
        await reply(update, "⏳ 上一次导出还在生成中，完成后会发到请求的对话里，请稍候再试。")
        return
    async with running:
        await _export(update, context, svc)


async def _export(update: Update, context: Context, svc) -> None:
    message = update.effective_message
    progress = await message.reply_text(_progress_text(()))
    # Should the process die meanwhile, the next start replaces the ⏳ message.
    pending = await svc.run(svc.begin_upload, message.chat_id, progress.message_id,
                            update.effective_user.id, "", "/export", now(context), "export")
    try:
        await _export_into(progress, update, context, svc)
    finally:
        await svc.run(svc.end_upload, pending)


def _progress_text(done: Collection[str]) -> str:
    """The ⏳ message: each file done (✅), being written (⏳) or waiting (▫️), in the order
    they are written."""
    lines = [STARTED]
    for stage in STAGES:
        if stage in done:
            lines.append(f"✅ {STAGE_NAMES[stage]}：已生成")
        elif all(s in done for s in STAGES[:STAGES.index(stage)]):
            lines.append(f"⏳ {STAGE_NAMES[stage]}：正在生成")
        else:
            lines.append(f"▫️ {STAGE_NAMES[stage]}：等待")
    return "\n".join(lines)


async def _show_progress(progress, finished: asyncio.Queue) -> None:
    """Edit the ⏳ message as stages finish (``None`` ends); the last is left to the result."""
    done: list[str] = []
    while (stage := await finished.get()) is not None:
        done.append(stage)
        if len(done) < len(STAGES):
            try:
                await progress.edit_text(_progress_text(done))
            except TelegramError:  # a courtesy: the export goes on
                log.warning("could not edit the export's progress message", exc_info=True)


async def _export_into(progress, update: Update, context: Context, svc) -> None:
    loop = asyncio.get_running_loop()
    finished: asyncio.Queue = asyncio.Queue()
    shown = asyncio.create_task(_show_progress(progress, finished))

    def told(stage: str) -> None:  # in the export's thread
        loop.call_soon_threadsafe(finished.put_nowait, stage)

    with svc.scratch() as folder:
        try:
            files = await svc.run_heavy(svc.export_all, Path(folder), now(context), told)
        except asyncio.CancelledError:  # the bot is stopping
            shown.cancel()
            raise
        except MissingCJKFont as exc:
            await _settle(finished, shown)
            await replace(progress, f"⚠️ 未能生成：{st.esc(str(exc), 300)}")
            return
        except Exception as exc:  # said in chat; the traceback goes to the log
            await _settle(finished, shown)
            await replace(progress, await internal_error(context, "生成汇总导出", exc))
            return
        await _settle(finished, shown)
        label = "初步" if files.preliminary else "最终"
        await replace(progress, (
            f"✅ 已生成（{label}，{files.units} 个单位）：汇总表 {files.rows.get('汇总', 0)} 行、"
            f"证据 {files.rows.get('证据', 0)} 条、材料 {files.rows.get('材料清单', 0)} 份，考核报告和 "
            f"{len(files.charts)} 张图表。"
            + ("部分单位结果尚未锁定，文件均标注为“初步”。" if files.preliminary else "")))
        await _send_files(update, context, [files.workbook, files.report], files.charts)


async def _settle(finished: asyncio.Queue, shown: asyncio.Task) -> None:
    """Let the progress edits already due go out before the message turns into the result."""
    finished.put_nowait(None)
    await shown


async def handle_report(update: Update, context: Context) -> None:
    """``/report``: a liaison's own unit; staff may name a unit (``/report 单位``)."""
    svc = services(context)
    unit = await unit_asked_for(update, context, "请发送 <code>/report 单位名称</code>；全部单位的汇总请用 /export。",
                                "report")
    if unit is None:
        return
    if not unit["active"]:
        await reply(update, f"{st.esc(unit['name'], 30)}不在本期考核单位名单中。")
        return
    with svc.scratch() as folder:
        path = await svc.run_heavy(svc.export_unit, unit["id"], Path(folder),
                                       now(context))
        await _send_files(update, context, [path])
