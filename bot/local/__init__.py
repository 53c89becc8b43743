"""The local stand-in for Telegram: a faithful fake of the Bot API server (for tests, the
benchmarks and the console chat) and the console chat itself. Nothing here is used when the
bot runs against Telegram or a self-hosted Bot API server.

- ``fake_api``: :class:`LocalBotApi`, the state of chats, messages and files, and the
  user side (send a text, a file, press a button); ``server``: its HTTP server;
  ``wire``: request and response encoding; ``markup``: HTML / Markdown rendering into
  text and entities, as Telegram does; ``errors``: the API's error answers;
  ``console``: the console chat on top of it.
"""

from bot.local.fake_api import LocalBotApi

__all__ = ["LocalBotApi"]
