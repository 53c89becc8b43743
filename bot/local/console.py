"""The local console chat: the real bot, polling a local Bot API server, typed at in a terminal.

Used when no ``TELEGRAM_BOT_TOKEN`` is set. What you type goes to the bot as a Telegram
message from the console user; what the bot sends is printed. Lines starting with ``:``
are console commands (upload a file by path, switch role, quit).

Files the bot sends are saved into ``files_dir`` (default: ``console-files`` in the configured
storage folder) and their path is printed. What the bot sends to anyone other than the current
console user (a notice to another liaison, an alert to the office) is printed under a
``🤖 → 用户 …`` header, indented, so it is not taken for a reply.
"""

from __future__ import annotations

import asyncio
import html
import json
import mimetypes
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.app import build_application, start_polling, stop_polling
from bot.local import LocalBotApi
from kaohe.config import AppConfig

CONSOLE_USER = 20001
FILES_FOLDER = "console-files"  # inside [storage] dir, unless files_dir says otherwise
_TAG = re.compile(r"<[^>]+>")
_UNSAFE_NAME = re.compile(r'[\x00-\x1f<>:"/\\|?*]')

CONSOLE_HELP = """控制台命令（以冒号开头，其余内容会作为聊天消息发给机器人）：
  :file 路径          上传文件，例如 :file examples/sfj_self_check_2026.docx
  :as admin           切换为考核办身份（config.toml 中 [office].admins 的第一个 id）
  :as official        切换为领导/考核组成员身份
  :as new             换成一个新的、未绑定的用户
  :as 12345           换成指定 Telegram 用户 id
  :press 2            按下最近一条带按钮消息的第 2 个按钮（也可写按钮上的文字）
  :who                显示当前身份（以及机器人发来的文件保存在哪里）
  :help               显示本说明
  :quit               退出"""


def plain(text: str) -> str:
    """Bot HTML as terminal text."""
    return html.unescape(_TAG.sub("", text))


def file_size(size: int) -> str:
    """A file size as people say it: 800 字节, 12 KB, 3.4 MB."""
    if size < 1024:
        return f"{size} 字节"
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def safe_file_name(name: str | None, fallback: str) -> str:
    """A name the bot gave a file, usable as a file name here: no folders, no characters a
    file system refuses; ``fallback`` when nothing is left."""
    name = _UNSAFE_NAME.sub("_", Path(str(name or "").replace("\\", "/")).name).strip().lstrip(".")
    return name[:200] or fallback


def save_new_file(folder: Path, name: str, data: bytes) -> Path:
    """Write ``data`` as ``folder/name``, never over an existing file: a second file of the
    same name becomes ``name (2).ext`` and so on."""
    folder.mkdir(parents=True, exist_ok=True)
    stem, suffix = Path(name).stem, Path(name).suffix
    for number in range(1, 10_000):
        path = folder / (name if number == 1 else f"{stem} ({number}){suffix}")
        try:
            with path.open("xb") as handle:  # exclusive: two files arriving at once never collide
                handle.write(data)
        except FileExistsError:
            continue
        return path.resolve()
    raise FileExistsError(f"{folder} 中同名文件过多：{name}")


class ConsoleChat:
    """Drives one console session against a running LocalBotApi."""

    def __init__(self, api: LocalBotApi, config: AppConfig, write: Callable[[str], None],
                 files_dir: Path | None = None, unit_of: Callable[[int], dict | None] | None = None):
        """``files_dir``: where the files the bot sends are saved (default: ``console-files``
        in the storage folder); ``unit_of``: a user's unit, to say whom a message went to."""
        self.api = api
        self.config = config
        self.write = write
        self.files_dir = Path(files_dir) if files_dir else config.storage_dir / FILES_FOLDER
        self.unit_of = unit_of
        self.user_id = CONSOLE_USER
        self._next_new_user = CONSOLE_USER + 1
        self._last_action = time.monotonic()
        self._busy = False
        self._lock = threading.Lock()
        # Per chat: the last message with buttons there (message id, buttons).
        self._buttons: dict[int, tuple[int, list[tuple[str, str]]]] = {}
        api.on_action = self._show

    def _show(self, action: dict) -> None:
        method = action.get("method", "")
        text = action.get("text")
        chat_id = action.get("chat_id")
        mine = chat_id in (None, self.user_id)
        with self._lock:
            self._last_action = time.monotonic()
            if mine and method == "sendChatAction":
                self._busy = True  # "typing…": a reply is on its way
            elif mine and text is not None:
                self._busy = text.startswith("⏳")
            elif mine and method in ("sendDocument", "sendPhoto"):
                self._busy = False  # a file is a reply too
        if method == "sendChatAction":
            if mine:
                self.write("🤖 …正在处理\n")
            return
        if method == "answerCallbackQuery":
            if action["params"].get("text"):
                self.write(f"🤖（提示）{action['params']['text']}\n")
            return
        if method in ("sendMessage", "editMessageText"):
            body = plain(text)
        elif method in ("sendDocument", "sendPhoto"):
            body = self._received_file(action)
        elif method == "editMessageCaption" and action.get("caption"):
            body = plain(action["caption"])
        elif method == "editMessageReplyMarkup":
            body = None
        else:
            return
        edited = method.startswith("edit")
        if body is not None:
            if mine:
                self.write(f"\n🤖{'（更新）' if edited else ' '}{body}\n")
            else:
                self.write(f"\n{self._to_other(chat_id, edited)}\n{_indent(body)}\n")
        self._remember_buttons(action, mine)

    def _to_other(self, chat_id: int, edited: bool = False) -> str:
        """The header of a message the bot sent to someone other than the console user."""
        return f"🤖 → 用户 {chat_id}（{self.whom(chat_id)}）{'（更新）' if edited else ''}："

    def whom(self, user_id: int) -> str:
        """Who ``user_id`` is, in a few words: 考核办, 市司法局 联络员, 未绑定用户 ..."""
        if user_id in self.config.admins:
            return "考核办"
        if user_id in self.config.officials:
            return "领导/考核组成员"
        try:
            unit = self.unit_of(user_id) if self.unit_of else None
        except Exception:  # a look-up that fails must not hide the message
            unit = None
        return f"{unit['name']} 联络员" if unit else "未绑定用户"

    def _received_file(self, action: dict) -> str:
        """Save a file the bot sent; the chat line that says what it is and where it is."""
        photo = action.get("method") == "sendPhoto"
        data: bytes = action.get("data") or b""
        extension = mimetypes.guess_extension(action.get("mime_type") or "") or (
            ".jpg" if photo else "")
        fallback = f"{'图片' if photo else '文件'}_{action.get('message_id', 0)}{extension}"
        name = safe_file_name(action.get("file_name"), fallback)
        what = "🖼 发送图片" if photo else "📎 发送文件"
        try:
            path = save_new_file(self.files_dir, name, data)
        except OSError as exc:
            line = f"{what}：{name}（{file_size(len(data))}），未能保存到 {self.files_dir}：{exc}"
        else:
            line = f"{what}：{name}（{file_size(len(data))}）已保存到 {path}"
        caption = action.get("rendered_caption")
        return line + (f"\n说明：{caption}" if caption else "")

    def _remember_buttons(self, action: dict, mine: bool = True) -> None:
        markup: Any = action.get("reply_markup") or action["params"].get("reply_markup") or {}
        if isinstance(markup, str):
            markup = json.loads(markup)
        rows = markup.get("inline_keyboard") or []
        buttons = [(b.get("text", ""), b.get("callback_data", "")) for row in rows for b in row
                   if b.get("callback_data")]
        chat_id = action["chat_id"]
        if not buttons:  # a message whose buttons went stays the last one: pressing says so
            return
        self._buttons[chat_id] = (action["message_id"], buttons)
        listed = "  ".join(f"[{i}] {t}" for i, (t, _) in enumerate(buttons, 1))
        if mine:
            self.write(f"   按钮：{listed}（输入 :press 编号）\n")
        else:
            self.write(f"   按钮：{listed}（用户 {chat_id} 的按钮：先 :as {chat_id} 再 :press 编号）\n")

    def wait_until_quiet(self, quiet: float = 0.8, limit: float = 120.0) -> None:
        """Block until the bot has answered and then been silent for ``quiet`` seconds.

        While the last thing seen is "typing…" or a ⏳ progress message, keep waiting.
        """
        started = time.monotonic()
        while time.monotonic() - started < limit:
            time.sleep(0.05)
            with self._lock:
                idle = time.monotonic() - self._last_action
                busy = self._busy
            if idle >= quiet and not busy and self._last_action > started:
                return
        self.write("（机器人长时间没有回复，请查看日志）\n")

    def handle(self, line: str) -> bool:
        """Act on one typed line; return False to quit."""
        line = line.strip()
        if not line:
            return True
        if not line.startswith(":"):
            self.api.send_text(self.user_id, line, first_name="控制台用户")
            self.wait_until_quiet()
            return True
        command, _, arg = line[1:].partition(" ")
        arg = arg.strip()
        if command in ("quit", "q", "exit"):
            return False
        if command == "help":
            self.write(CONSOLE_HELP + "\n")
        elif command == "who":
            self.write(f"当前用户 id：{self.user_id}（{self.whom(self.user_id)}）\n"
                       f"机器人发来的文件保存在：{self.files_dir.resolve()}\n")
        elif command == "as":
            self._switch(arg)
        elif command == "file":
            self._upload(arg)
        elif command == "press":
            self._press(arg)
        else:
            self.write(f"不认识的控制台命令 :{command}。\n{CONSOLE_HELP}\n")
        return True

    def _switch(self, who: str) -> None:
        ids = {"admin": sorted(self.config.admins), "official": sorted(self.config.officials)}
        if who in ids:
            if not ids[who]:
                self.write(f"config.toml 中没有配置 {who} 的用户 id。\n")
                return
            self.user_id = ids[who][0]
        elif who == "new":
            self.user_id = self._next_new_user
            self._next_new_user += 1
        elif who.isdigit():
            self.user_id = int(who)
        else:
            self.write("用法：:as admin | official | new | 用户id\n")
            return
        self.write(f"已切换为用户 {self.user_id}。\n")

    def _press(self, which: str) -> None:
        if self.user_id not in self._buttons:
            self.write("最近没有带按钮的消息。\n")
            return
        chat_id = self.user_id  # the console user's private chat with the bot
        message_id, buttons = self._buttons[chat_id]
        chosen = None
        if which.isdigit() and 1 <= int(which) <= len(buttons):
            chosen = buttons[int(which) - 1]
        else:
            chosen = next((b for b in buttons if which and which in b[0]), None)
        if chosen is None:
            self.write("用法：:press 编号（" + "、".join(f"{i} {t}" for i, (t, _) in
                                                   enumerate(buttons, 1)) + "）\n")
            return
        try:
            self.api.press_button(self.user_id, message_id, chosen[1], chat_id=chat_id,
                                  first_name="控制台用户")
        except ValueError:
            self.write("这个按钮已经失效（消息已更新），请重新发送命令。\n")
            return
        self.wait_until_quiet()

    def _upload(self, path_text: str) -> None:
        path = Path(path_text).expanduser()
        if not path_text or not path.is_file():
            self.write(f"找不到文件：{path_text or '（未给出路径）'}\n")
            return
        self.api.send_document(self.user_id, path.read_bytes(), path.name,
                               first_name="控制台用户")
        self.wait_until_quiet()


def run_console(config: AppConfig, lines: Iterable[str] | None = None,
                write: Callable[[str], None] | None = None, files_dir: Path | None = None) -> int:
    """Run the console chat until ``:quit`` or end of input; ``lines`` replaces stdin in tests.
    Files the bot sends are saved into ``files_dir`` (default ``<storage dir>/console-files``)."""
    return asyncio.run(_run(config, lines, write or _print, files_dir))


def _print(text: str) -> None:
    print(text, end="", flush=True)


def _indent(text: str) -> str:
    """A message to someone else, set off from the console user's own replies."""
    return "\n".join(f"   {line}" if line.strip() else "" for line in text.split("\n"))


async def _run(config: AppConfig, lines: Iterable[str] | None,
               write: Callable[[str], None], files_dir: Path | None = None) -> int:
    api = LocalBotApi()
    api.start()
    app = build_application(replace(config, api_url=api.api_url), api.token, rate_limit=False)

    def unit_of(user_id: int) -> dict | None:
        svc = app.bot_data.services
        return svc.unit_of(user_id) if svc is not None else None

    chat = ConsoleChat(api, config, write, files_dir=files_dir, unit_of=unit_of)
    try:
        await start_polling(app)
        codes = "、".join(u.invite_code for u in config.units[:3])
        write(
            f"考核助手 本地控制台聊天（{config.cycle_name}）。没有设置 TELEGRAM_BOT_TOKEN，"
            "所以机器人连接的是本机的模拟 Bot API。\n"
            f"示例邀请码：{codes}。试试：/start {config.units[0].invite_code}，"
            "然后 :file examples/sfj_self_check_2026.docx\n"
            f"机器人发来的文件会保存到 {chat.files_dir.resolve()}。\n"
            f"{CONSOLE_HELP}\n"
        )
        source = iter(lines) if lines is not None else None
        while True:
            if source is None:
                try:
                    line = await asyncio.to_thread(input, f"\n[{chat.user_id}] > ")
                except EOFError:
                    break
            else:
                line = next(source, None)
                if line is None:
                    break
                write(f"\n[{chat.user_id}] > {line}\n")
            if not await asyncio.to_thread(chat.handle, line):
                break
    finally:
        await stop_polling(app)
        api.stop()
    return 0
