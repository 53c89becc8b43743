"""The local console chat: the real bot, polling a local Bot API server, typed at in a terminal.

Used when no ``TELEGRAM_BOT_TOKEN`` is set. What you type goes to the bot as a Telegram
message from the console user; what the bot sends is printed. Lines starting with ``:``
are console commands (upload a file by path, switch role, quit).
"""

from __future__ import annotations

import asyncio
import html
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from bot.app import build_application, start_polling, stop_polling
from bot.local import LocalBotApi
from kaohe.config import AppConfig

CONSOLE_USER = 20001
_TAG = re.compile(r"<[^>]+>")

CONSOLE_HELP = """控制台命令（以冒号开头，其余内容会作为聊天消息发给机器人）：
  :file 路径          上传文件，例如 :file examples/sfj_self_check_2026.docx
  :as admin           切换为考核办身份（config.toml 中 [office].admins 的第一个 id）
  :as official        切换为领导/考核组成员身份
  :as new             换成一个新的、未绑定的用户
  :as 12345           换成指定 Telegram 用户 id
  :press 2            按下最近一条带按钮消息的第 2 个按钮（也可写按钮上的文字）
  :who                显示当前身份
  :help               显示本说明
  :quit               退出"""


def plain(text: str) -> str:
    """Bot HTML as terminal text."""
    return html.unescape(_TAG.sub("", text))


class ConsoleChat:
    """Drives one console session against a running LocalBotApi."""

    def __init__(self, api: LocalBotApi, config: AppConfig, write: Callable[[str], None]):
        self.api = api
        self.config = config
        self.write = write
        self.user_id = CONSOLE_USER
        self._next_new_user = CONSOLE_USER + 1
        self._last_action = time.monotonic()
        self._busy = False
        self._lock = threading.Lock()
        self._buttons: tuple[int, int, list[tuple[str, str]]] | None = None  # chat, message, buttons
        api.on_action = self._show

    def _show(self, action: dict) -> None:
        method = action.get("method", "")
        text = action.get("text")
        with self._lock:
            self._last_action = time.monotonic()
            if method == "sendChatAction":
                self._busy = True  # "typing…": a reply is on its way
            elif text is not None:
                self._busy = text.startswith("⏳")
        if method == "sendMessage":
            self.write(f"\n🤖 {plain(text)}\n")
        elif method == "editMessageText":
            self.write(f"\n🤖（更新）{plain(text)}\n")
        elif method == "answerCallbackQuery" and action["params"].get("text"):
            self.write(f"🤖（提示）{action['params']['text']}\n")
        if method in ("sendMessage", "editMessageText", "editMessageReplyMarkup"):
            self._remember_buttons(action)
        elif method in ("sendDocument", "sendPhoto"):
            self.write(f"\n🤖 发送了文件《{action.get('file_name', '')}》\n")
        elif method == "sendChatAction":
            self.write("🤖 …正在处理\n")

    def _remember_buttons(self, action: dict) -> None:
        markup = action.get("reply_markup") or action["params"].get("reply_markup") or {}
        if isinstance(markup, str):
            import json

            markup = json.loads(markup)
        rows = markup.get("inline_keyboard") or []
        buttons = [(b.get("text", ""), b.get("callback_data", "")) for row in rows for b in row
                   if b.get("callback_data")]
        if not buttons:
            return
        self._buttons = (action["chat_id"], action["message_id"], buttons)
        self.write("   按钮：" + "  ".join(f"[{i}] {t}" for i, (t, _) in enumerate(buttons, 1))
                   + "（输入 :press 编号）\n")

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
            self.write(f"当前用户 id：{self.user_id}\n")
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
        if self._buttons is None:
            self.write("最近没有带按钮的消息。\n")
            return
        chat_id, message_id, buttons = self._buttons
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
                write: Callable[[str], None] | None = None) -> int:
    """Run the console chat until ``:quit`` or end of input; ``lines`` replaces stdin in tests."""
    return asyncio.run(_run(config, lines, write or _print))


def _print(text: str) -> None:
    print(text, end="", flush=True)


async def _run(config: AppConfig, lines: Iterable[str] | None,
               write: Callable[[str], None]) -> int:
    api = LocalBotApi()
    api.start()
    app = build_application(replace(config, api_url=api.api_url), api.token, rate_limit=False)
    chat = ConsoleChat(api, config, write)
    try:
        await start_polling(app)
        codes = "、".join(u.invite_code for u in config.units[:3])
        write(
            f"考核助手 本地控制台聊天（{config.cycle_name}）。没有设置 TELEGRAM_BOT_TOKEN，"
            "所以机器人连接的是本机的模拟 Bot API。\n"
            f"示例邀请码：{codes}。试试：/start {config.units[0].invite_code}，"
            "然后 :file examples/sfj_self_check_2026.docx\n"
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
