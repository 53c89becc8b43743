"""``python -m bot [--config PATH] [--console]``: run the bot, or the console chat without a token."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from kaohe.config import ConfigError, load_config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="考核助手 Telegram bot")
    parser.add_argument("--config", default="config.toml", help="配置文件路径（默认 config.toml）")
    parser.add_argument("--console", action="store_true",
                        help="即使设置了 TELEGRAM_BOT_TOKEN，也打开本地控制台聊天")
    args = parser.parse_args(argv)
    token = os.environ.get("TELEGRAM_BOT_TOKEN", "").strip()
    console = args.console or not token
    # In the console chat, log lines would interleave with the conversation: warnings only.
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "WARNING" if console else "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"配置错误，未启动：{exc}", file=sys.stderr)
        return 2
    if console:
        from bot.local.console import run_console

        return run_console(config)
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
