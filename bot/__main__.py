"""``python -m bot [--config PATH] [--console]``: run the bot, or the console chat without a token."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from kaohe.config import ConfigError, load_config

# Libraries that log request bodies (message texts quoting the materials) or document
# contents at DEBUG: they never log below INFO, whatever LOG_LEVEL says.
QUIET_LIBRARIES = ("httpx", "httpcore", "telegram", "pdfminer", "pdfplumber", "PIL", "jieba", "asyncio",
                   "matplotlib")


class _Redacting(logging.Formatter):
    """Every log line with the bot token blanked out (PTB puts it in URLs and in errors)."""

    def __init__(self, fmt: str, token: str):
        super().__init__(fmt)
        self.token = token

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return text.replace(self.token, "<令牌>") if self.token else text


class _NotInvalidToken(logging.Filter):
    """A rejected token is said in Chinese by ``main``; PTB's own traceback of it is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        from telegram.error import InvalidToken

        return not (record.exc_info and isinstance(record.exc_info[1], InvalidToken))


def setup_logging(level: str, token: str) -> None:
    """Log to stderr at ``level``: no token in any line, no document text at any level."""
    handler = logging.StreamHandler()
    handler.setFormatter(_Redacting("%(asctime)s %(levelname)s %(name)s: %(message)s", token))
    handler.addFilter(_NotInvalidToken())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLogger().level))
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request at INFO


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="考核助手 Telegram bot")
    parser.add_argument("--config", default="config.toml", help="配置文件路径（默认 config.toml）")
    parser.add_argument("--console", action="store_true",
                        help="即使设置了 TELEGRAM_BOT_TOKEN，也打开本地控制台聊天")
    parser.add_argument("--files-dir", type=Path, metavar="文件夹",
                        help="控制台聊天中机器人发来的文件保存到哪里（默认：[storage] dir 下的 console-files）")
    args = parser.parse_args(argv)
    token = os.environ.get("TELEGRAM_BOT_TOKEN", "").strip()
    console = args.console or not token
    # In the console chat, log lines would interleave with the conversation: warnings only.
    setup_logging(os.environ.get("LOG_LEVEL", "WARNING" if console else "INFO"), token)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"配置错误，未启动：{exc}", file=sys.stderr)
        return 2
    if console:
        from bot.local.console import run_console

        return run_console(config, files_dir=args.files_dir)
    from telegram.error import InvalidToken, NetworkError

    from bot.app import build_application

    try:
        build_application(config, token).run_polling(
            allowed_updates=["message", "callback_query"])
    except InvalidToken:
        print(f"Bot API {config.api_url} 拒绝了这个 TELEGRAM_BOT_TOKEN，请核对令牌。", file=sys.stderr)
        return 3
    except NetworkError as exc:
        print(f"无法连接 Bot API {config.api_url}：{exc}。请检查网络或 [telegram].api_url / "
              "TELEGRAM_API_URL。", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
