"""``python -m bot [--config PATH] [--console]``: run the bot, or the console chat without a token."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from bot.config import ConfigError, load_config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="考核助手 Telegram bot")
    parser.add_argument("--config", default="config.toml", help="配置文件路径（默认 config.toml）")
    parser.add_argument("--console", action="store_true",
                        help="即使设置了 TELEGRAM_BOT_TOKEN，也打开本地控制台聊天")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"配置错误，未启动：{exc}", file=sys.stderr)
        return 2
    token = os.environ.get("TELEGRAM_BOT_TOKEN", "").strip()
    if args.console or not token:
        from bot.console import run_console

        return run_console(config)
    from bot.app import build_application

    build_application(config, token).run_polling(allowed_updates=["message", "callback_query"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
