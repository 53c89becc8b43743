"""A small, faithful local fake of the Telegram Bot API server (stdlib only).

Telegram's servers cannot be reached from the development/test environment, so the
bot is exercised through python-telegram-bot's *real* network stack
(``Application`` + ``Updater.start_polling`` + ``HTTPXRequest``) pointed at this
server on 127.0.0.1.  The "console chat" (used when no bot token is configured)
runs the real bot against it as well while a human types into a terminal.

How it works
------------
* :class:`LocalBotApi` runs a :class:`http.server.ThreadingHTTPServer` in a daemon
  thread.  Every connection is served by its own thread, so a long-polling
  ``getUpdates`` never blocks other requests.
* Bot API calls arrive at ``/bot<token>/<method>`` (method names are
  case-insensitive, like the real API) as GET query strings,
  ``application/x-www-form-urlencoded``, ``application/json`` or
  ``multipart/form-data`` bodies (parsed by a small built-in parser, no ``cgi``).
  Non-string values arrive JSON-encoded (``reply_markup``, ``entities``, ...) and
  are decoded; ``chat_id="123"`` becomes ``123``.
* Files are downloaded from ``/file/bot<token>/<file_path>``.
* The "user side" is driven with :meth:`LocalBotApi.send_text`,
  :meth:`LocalBotApi.send_document` and :meth:`LocalBotApi.press_button`, which
  enqueue updates that the bot receives through ``getUpdates``.
* Everything the bot does is recorded in :attr:`LocalBotApi.sent` (one dict per
  action) and can be awaited with :meth:`LocalBotApi.wait_for` /
  :meth:`LocalBotApi.wait_for_async`.  :meth:`LocalBotApi.messages` gives the
  current state of the bot's messages in a chat (after edits and deletions).
* Errors mimic the real server: ``{"ok": false, "error_code": ..., "description":
  ...}`` with the real descriptions for the common failures (message too long,
  empty text, "message is not modified", BUTTON_DATA_INVALID, can't parse
  entities, file is too big, ...).  :meth:`LocalBotApi.fail_next` injects
  arbitrary failures (429 with ``retry_after``, 403 blocked by the user, ...).
* :meth:`LocalBotApi.block` makes every call that targets a user's private chat
  fail with 403 "Forbidden: bot was blocked by the user" until
  :meth:`LocalBotApi.unblock` (or until that user writes to the bot again).
* :meth:`LocalBotApi.hold` simulates a crash while a request is in flight: after
  ``after`` more successful calls of a method, further calls wait in the server
  thread before anything is recorded; :meth:`LocalBotApi.wait_held` waits for them
  and :meth:`LocalBotApi.release` answers them 502 "Bad Gateway" (recorded only in
  :attr:`LocalBotApi.errors`) or lets them proceed.
* ``parse_mode`` HTML, MarkdownV2 and (legacy) Markdown are parsed like Telegram
  does: the stored/returned Message text is the *rendered* plain text plus
  ``entities`` (surrounding whitespace trimmed), and malformed markup is rejected
  with "can't parse entities".  In :attr:`LocalBotApi.sent`, ``action["text"]`` is
  the text exactly as the bot sent it (e.g. with HTML tags) and
  ``action["rendered_text"]`` is what the user would see.

All state is guarded by one lock; the bot's actions are reported to the optional
:attr:`LocalBotApi.on_action` callback from the server thread (outside the lock).
"""


from __future__ import annotations

import asyncio
import copy
import json
import logging
import mimetypes
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from bot.local.errors import ApiError, bad_request
from bot.local.markup import format_text, u16
from bot.local.server import Server
from bot.local.wire import NOT_FOUND_BODY, Upload, decode_value, ok_body, parse_multipart

__all__ = ["LocalBotApi"]

_LOG = logging.getLogger(__name__)

Action = dict[str, Any]

MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_UNSUPPORTED = "Not Found: method not supported by the local Bot API fake"
_CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_USER_COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?=\s|$)")


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    file_name: str | None
    mime_type: str | None


@dataclass
class _Hold:
    remaining: int  # successful calls still let through before calls are held
    released: bool = False
    fail: bool = True


@dataclass
class _Failure:
    error_code: int
    description: str
    retry_after: int | None
    times: int


# --------------------------------------------------------------------------- helpers




def _png_or_gif_size(data: bytes) -> tuple[int, int]:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    return 0, 0


# ------------------------------------------------------------------ formatted text



class LocalBotApi:
    """In-process fake of the Telegram Bot API server for tests and the console chat."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = "kaohe_local_bot",
        token: str = "123456:LOCAL",
        *,
        bot_first_name: str = "考核助手",
        max_download_bytes: int = 20 * 1024 * 1024,
        max_upload_bytes: int = 50 * 1024 * 1024,
    ) -> None:
        """Configure the fake; nothing listens until :meth:`start` is called."""
        self.host = host
        self.port = port
        self.bot_username = bot_username
        self.token: str = token
        self.max_download_bytes = max_download_bytes
        self.max_upload_bytes = max_upload_bytes
        bot_id = token.split(":", 1)[0]
        self.bot_user: dict[str, Any] = {
            "id": int(bot_id) if bot_id.isdigit() else 123456,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.sent: list[Action] = []
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.errors: list[dict[str, Any]] = []
        self.commands: dict[str, list[dict[str, str]]] = {}
        self.on_action: Callable[[Action], None] | None = None
        self.webhook_url = ""

        self._lock = threading.RLock()  # re-entrant: wait_for predicates may call messages()
        self._cond = threading.Condition(self._lock)
        self._updates: list[dict[str, Any]] = []
        # Update ids grow across runs, as Telegram's do: a bot that remembers the ids it has
        # handled (to act once on a redelivery) must not take a new run's updates for old ones.
        self._next_update_id = int(time.time() * 1000) % 2**40
        self._chats: dict[int, dict[str, Any]] = {}
        self._message_ids: dict[int, int] = {}
        self._stored: dict[tuple[int, int], dict[str, Any]] = {}
        self._bot_messages: dict[int, list[int]] = {}
        self._deleted: set[tuple[int, int]] = set()
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._file_counter = 0
        self._callback_queries: set[str] = set()
        self._failures: dict[str, list[_Failure]] = {}
        self._blocked: set[int] = set()
        self._holds: dict[str, _Hold] = {}
        self._held = 0
        self._poll_generation = 0
        self._polls_waiting = 0  # getUpdates calls waiting for an update now
        self._stopping = False
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._methods: dict[str, tuple[str, Callable[..., Any]]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._m_get_me,
                "logOut": self._m_ok,
                "close": self._m_ok,
                "setWebhook": self._m_set_webhook,
                "deleteWebhook": self._m_delete_webhook,
                "getWebhookInfo": self._m_get_webhook_info,
                "getUpdates": self._m_get_updates,
                "getChat": self._m_get_chat,
                "sendMessage": self._m_send_message,
                "editMessageText": self._m_edit_message_text,
                "editMessageCaption": self._m_edit_message_caption,
                "editMessageReplyMarkup": self._m_edit_message_reply_markup,
                "deleteMessage": self._m_delete_message,
                "sendChatAction": self._m_send_chat_action,
                "setMyCommands": self._m_set_my_commands,
                "getMyCommands": self._m_get_my_commands,
                "deleteMyCommands": self._m_delete_my_commands,
                "answerCallbackQuery": self._m_answer_callback_query,
                "sendDocument": self._m_send_document,
                "sendPhoto": self._m_send_photo,
                "getFile": self._m_get_file,
            }.items()
        }

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Bind and serve in a daemon thread (``port=0`` picks a free port)."""
        if self._server is not None:
            raise RuntimeError("LocalBotApi is already running")
        self._stopping = False
        self._server = Server((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="LocalBotApi",
            daemon=True,
        )
        self._thread.start()
        _LOG.info("Local Bot API fake listening on %s", self.api_url)

    def stop(self) -> None:
        """Stop serving, wake long polls, close connections and join all threads."""
        server, thread = self._server, self._thread
        if server is None:
            return
        with self._cond:
            self._stopping = True  # also fails the calls waiting in a hold() with 502
            self._release_holds(fail=True)
        server.shutdown()
        server.close_connections(timeout=5.0)
        server.server_close()
        if thread is not None:
            thread.join(5.0)
        self._server = None
        self._thread = None

    def __enter__(self) -> LocalBotApi:
        """Start the server (context-manager form)."""
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stop the server."""
        self.stop()

    @property
    def api_url(self) -> str:
        """Root URL of the running server, e.g. ``http://127.0.0.1:PORT``."""
        if self._server is None and self.port == 0:
            raise RuntimeError("LocalBotApi.start() must be called before the URL is known")
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """PTB ``base_url`` (PTB appends the token): ``http://127.0.0.1:PORT/bot``."""
        return f"{self.api_url}/bot"

    @property
    def base_file_url(self) -> str:
        """PTB ``base_file_url`` (PTB appends the token): ``http://127.0.0.1:PORT/file/bot``."""
        return f"{self.api_url}/file/bot"

    # ------------------------------------------------------------ user-side drivers

    def send_text(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str = "测试用户",
        username: str | None = None,
        chat_id: int | None = None,
        reply_to: int | None = None,
    ) -> int:
        """Enqueue a text message from a user; returns its message_id."""
        if not text:
            raise ValueError("Telegram clients cannot send an empty message")
        if len(text) > MAX_MESSAGE_LENGTH:
            raise ValueError("Telegram clients cannot send more than 4096 characters at once")
        content: dict[str, Any] = {"text": text}
        command = _USER_COMMAND_RE.match(text)
        if command:
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": u16(command.group(0))}]
        return self._user_message(user_id, first_name, username, chat_id, reply_to, content)

    def send_document(
        self,
        user_id: int,
        data: bytes,
        file_name: str,
        *,
        mime_type: str | None = None,
        caption: str | None = None,
        chat_id: int | None = None,
        first_name: str = "测试用户",
        username: str | None = None,
        reply_to: int | None = None,
    ) -> int:
        """Store ``data`` as a new file and enqueue a user message with a document."""
        mime = mime_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        with self._lock:
            stored = self._store_file(bytes(data), file_name, mime, "documents")
        content: dict[str, Any] = {
            "document": {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_name": file_name,
                "mime_type": mime,
                "file_size": len(stored.data),
            }
        }
        if caption:
            content["caption"] = caption
        return self._user_message(user_id, first_name, username, chat_id, reply_to, content)

    def press_button(
        self,
        user_id: int,
        message_id: int,
        callback_data: str,
        *,
        chat_id: int | None = None,
        first_name: str = "测试用户",
        username: str | None = None,
    ) -> str:
        """Enqueue a callback_query for an inline button of a bot message; returns its id."""
        chat = user_id if chat_id is None else chat_id
        with self._cond:
            message = self._stored.get((chat, message_id))
            if message is None or (chat, message_id) in self._deleted:
                raise ValueError(f"no message {message_id} in chat {chat}")
            if not message["from"].get("is_bot"):
                raise ValueError(f"message {message_id} in chat {chat} was not sent by the bot")
            keyboard = (message.get("reply_markup") or {}).get("inline_keyboard") or []
            datas = [b.get("callback_data") for row in keyboard for b in row]
            if callback_data not in datas:
                raise ValueError(
                    f"message {message_id} has no button with callback_data {callback_data!r}; "
                    f"buttons: {datas!r}"
                )
            query_id = str(secrets.randbits(63))
            self._callback_queries.add(query_id)
            self._enqueue(
                {
                    "callback_query": {
                        "id": query_id,
                        "from": self._user(user_id, first_name, username),
                        "message": copy.deepcopy(message),
                        "chat_instance": str(abs(hash((chat, self.bot_user["id"])))),
                        "data": callback_data,
                    }
                }
            )
        return query_id

    # ------------------------------------------------------------------ observers

    def messages(self, chat_id: int) -> list[dict[str, Any]]:
        """Current state of the bot's (non-deleted) messages in ``chat_id``, in order."""
        with self._lock:
            return [
                copy.deepcopy(self._stored[(chat_id, mid)])
                for mid in self._bot_messages.get(chat_id, [])
                if (chat_id, mid) not in self._deleted
            ]

    def wait_for(
        self, predicate: Callable[[Action], Any], timeout: float = 10.0, *, since: int = 0
    ) -> Action:
        """Block until a recorded action (index >= ``since``) satisfies ``predicate``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = self._find_action(predicate, since)
                if found is not None:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(self._timeout_message(timeout))
                self._cond.wait(remaining)

    async def wait_for_async(
        self, predicate: Callable[[Action], Any], timeout: float = 10.0, *, since: int = 0
    ) -> Action:
        """Like :meth:`wait_for` but polls with ``asyncio.sleep`` (event loop keeps running)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                found = self._find_action(predicate, since)
                if found is not None:
                    return found
                if time.monotonic() >= deadline:
                    raise TimeoutError(self._timeout_message(timeout))
            await asyncio.sleep(0.01)

    def fail_next(
        self,
        method: str,
        *,
        error_code: int,
        description: str,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail with the given error."""
        with self._lock:
            self._failures.setdefault(method.lower(), []).append(
                _Failure(error_code, description, retry_after, times)
            )

    def block(self, chat_id: int) -> None:
        """The user blocks the bot: calls targeting the private chat fail with 403."""
        if isinstance(chat_id, bool) or not isinstance(chat_id, int) or chat_id <= 0:
            raise ValueError(f"only a user (private chat, id > 0) can block the bot, not {chat_id!r}")
        with self._lock:
            self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        """The user unblocks the bot again (a no-op when it was not blocked)."""
        with self._lock:
            self._blocked.discard(chat_id)

    @property
    def blocked(self) -> frozenset[int]:
        """Private chats whose user currently blocks the bot (a snapshot)."""
        with self._lock:
            return frozenset(self._blocked)

    def hold(self, method: str, after: int = 0) -> None:
        """After ``after`` more successful calls of ``method``, hold further calls until :meth:`release`."""
        if after < 0:
            raise ValueError("after must be >= 0")
        with self._cond:
            hold = self._holds.setdefault(method.lower(), _Hold(remaining=after))
            hold.remaining = after
            self._cond.notify_all()

    @property
    def held(self) -> int:
        """Number of calls waiting in a :meth:`hold` right now."""
        with self._lock:
            return self._held

    def wait_held(self, n: int = 1, timeout: float = 10.0) -> None:
        """Block until at least ``n`` calls are waiting in a :meth:`hold`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._held < n:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{self._held} call(s) held after {timeout}s, expected {n}")
                self._cond.wait(remaining)

    async def wait_held_async(self, n: int = 1, timeout: float = 10.0) -> None:
        """Like :meth:`wait_held` but polls with ``asyncio.sleep`` (event loop keeps running)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if self._held >= n:
                    return
                if time.monotonic() >= deadline:
                    raise TimeoutError(f"{self._held} call(s) held after {timeout}s, expected {n}")
            await asyncio.sleep(0.01)

    def release(self, fail: bool = True) -> None:
        """End all holds; waiting calls then fail with 502 Bad Gateway (or proceed if not ``fail``)."""
        with self._cond:
            self._release_holds(fail)

    # ---------------------------------------------------------------- internals

    def _release_holds(self, fail: bool) -> None:
        for hold in self._holds.values():
            hold.released = True
            hold.fail = fail
        self._holds.clear()
        self._cond.notify_all()

    def _find_action(self, predicate: Callable[[Action], Any], since: int) -> Action | None:
        for action in self.sent[since:]:
            try:
                if predicate(action):
                    return action
            except (KeyError, TypeError, IndexError, AttributeError):
                continue
        return None

    def _timeout_message(self, timeout: float) -> str:
        lines = [f"no matching bot action within {timeout}s; recorded actions:"]
        for action in self.sent:
            text = action.get("text") or action.get("caption") or action.get("file_name") or ""
            if len(text) > 80:
                text = text[:77] + "..."
            lines.append(
                f"  - {action['method']} chat={action.get('chat_id')} msg={action.get('message_id')} {text!r}"
            )
        if not self.sent:
            lines.append("  (none)")
        if self.errors:
            lines.append("errors answered:")
            lines.extend(f"  - {e['method']}: {e['description']}" for e in self.errors)
        return "\n".join(lines)

    def _user(self, user_id: int, first_name: str, username: str | None) -> dict[str, Any]:
        user: dict[str, Any] = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": "zh-hans",
        }
        if username:
            user["username"] = username
        return user

    def _chat_for_user(self, chat_id: int, user: dict[str, Any]) -> dict[str, Any]:
        chat = self._chats.get(chat_id)
        if chat is None or (chat.get("type") == "private" and chat_id == user["id"]):
            if chat_id < 0:
                chat_type = "supergroup" if str(chat_id).startswith("-100") else "group"
                chat = {"id": chat_id, "type": chat_type, "title": "本地测试群"}
            else:
                chat = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
                if user.get("username"):
                    chat["username"] = user["username"]
            self._chats[chat_id] = chat
        return chat

    def _chat_for_bot(self, chat_id: Any) -> dict[str, Any]:
        if isinstance(chat_id, bool) or chat_id in (None, ""):
            raise bad_request("chat_id is empty")
        if not isinstance(chat_id, int):
            raise bad_request("chat not found")
        if chat_id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        chat = self._chats.get(chat_id)
        if chat is None:
            if chat_id < 0:
                chat_type = "supergroup" if str(chat_id).startswith("-100") else "group"
                chat = {"id": chat_id, "type": chat_type, "title": "本地测试群"}
            else:
                chat = {"id": chat_id, "type": "private", "first_name": "用户"}
            self._chats[chat_id] = chat
        return chat

    def _new_message(
        self, chat: dict[str, Any], sender: dict[str, Any], content: dict[str, Any]
    ) -> dict[str, Any]:
        chat_id = chat["id"]
        message_id = self._message_ids.get(chat_id, 0) + 1
        self._message_ids[chat_id] = message_id
        message = {
            "message_id": message_id,
            "from": sender,
            "chat": dict(chat),
            "date": int(time.time()),
            **content,
        }
        self._stored[(chat_id, message_id)] = message
        return message

    def _user_message(
        self,
        user_id: int,
        first_name: str,
        username: str | None,
        chat_id: int | None,
        reply_to: int | None,
        content: dict[str, Any],
    ) -> int:
        user = self._user(user_id, first_name, username)
        with self._cond:
            chat = self._chat_for_user(user_id if chat_id is None else chat_id, user)
            if chat["type"] == "private":
                self._blocked.discard(chat["id"])  # a client must unblock the bot to write to it
            if reply_to is not None:
                replied = self._stored.get((chat["id"], reply_to))
                if replied is None:
                    raise ValueError(f"no message {reply_to} in chat {chat['id']} to reply to")
                content = {**content, "reply_to_message": self._reply_copy(replied)}
            message = self._new_message(chat, user, content)
            self._enqueue({"message": copy.deepcopy(message)})
            return message["message_id"]

    @staticmethod
    def _reply_copy(message: dict[str, Any]) -> dict[str, Any]:
        return {k: copy.deepcopy(v) for k, v in message.items() if k != "reply_to_message"}

    def _enqueue(self, update: dict[str, Any]) -> None:
        update = {"update_id": self._next_update_id, **update}
        self._next_update_id += 1
        self._updates.append(update)
        self._cond.notify_all()

    def _store_file(
        self, data: bytes, file_name: str | None, mime_type: str | None, folder: str
    ) -> _StoredFile:
        self._file_counter += 1
        suffix = ""
        if file_name and "." in file_name:
            suffix = "." + re.sub(r"[^A-Za-z0-9]", "", file_name.rsplit(".", 1)[1])[:10]
        unique = secrets.token_hex(4)
        stored = _StoredFile(
            file_id=f"BQACAgUAAxkBAAI{self._file_counter:05d}{secrets.token_urlsafe(12)}",
            file_unique_id=f"AgAD{self._file_counter:04d}{unique}",
            file_path=f"{folder}/file_{self._file_counter}_{unique}{suffix}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def _action(self, method: str, params: dict[str, Any], **fields: Any) -> Action:
        action: Action = {
            "method": method,
            "chat_id": params.get("chat_id"),
            "message_id": None,
            "text": None,
            "reply_markup": params.get("reply_markup"),
            **fields,
        }
        action["params"] = params
        action["time"] = time.time()
        return action

    # --------------------------------------------------------------- dispatching

    def _handle(
        self, token: str, method: str, query: dict[str, str], body: bytes, content_type: str
    ) -> tuple[int, bytes]:
        """Run one Bot API call; returns the HTTP status and the JSON response body."""
        actions: list[Action] = []
        canonical = method
        params: dict[str, Any] = {}
        slot: _Hold | None = None
        try:
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            entry = self._methods.get(method.lower())
            canonical = entry[0] if entry else method
            raw, files = self._parse_body(query, body, content_type)
            params = {key: decode_value(key, value) for key, value in raw.items()}
            # attach://name references to uploaded parts
            for key, value in list(params.items()):
                if isinstance(value, str) and value.startswith("attach://"):
                    upload = files.pop(value[len("attach://") :], None)
                    if upload is not None:
                        files[key] = upload
            logged = dict(params)
            for key, upload in files.items():
                logged[key] = {
                    "file_name": upload.filename,
                    "mime_type": upload.content_type,
                    "size": len(upload.data),
                }
            with self._cond:
                slot = self._pass_hold(method.lower())  # may wait; nothing is recorded before
                self.requests.append((canonical, logged))
                failure = self._pop_failure(method.lower())
            if failure is not None:
                parameters = {"retry_after": failure.retry_after} if failure.retry_after is not None else None
                raise ApiError(failure.error_code, failure.description, parameters)
            if entry is None:
                _LOG.warning("Local Bot API fake: unsupported method %r called", method)
                raise ApiError(404, _UNSUPPORTED)
            handler = entry[1]
            if canonical == "getUpdates":
                payload = ok_body(self._m_get_updates(params))
            else:
                with self._cond:
                    result = handler(params, files, actions, logged)
                    self.sent.extend(actions)
                    if actions:
                        self._cond.notify_all()
                    # Encoded under the lock: a snapshot, so no deep copy of the result is needed.
                    payload = ok_body(result)
            status = 200
        except ApiError as err:
            status = err.code
            response: dict[str, Any] = {"ok": False, "error_code": err.code, "description": err.description}
            if err.parameters:
                response["parameters"] = err.parameters
            payload = json.dumps(response, ensure_ascii=False).encode("utf-8")
            with self._cond:
                if slot is not None and not slot.released:
                    slot.remaining += 1  # only successful calls count towards hold(after=...)
                self.errors.append(
                    {
                        "method": canonical,
                        "error_code": err.code,
                        "description": err.description,
                        "params": params,
                    }
                )
                self._cond.notify_all()
        for action in actions:
            callback = self.on_action
            if callback is not None:
                try:
                    callback(action)
                except Exception:  # the callback must never break the server
                    _LOG.exception("LocalBotApi.on_action callback failed")
        return status, payload

    def _pass_hold(self, method: str) -> _Hold | None:
        """Under the lock: wait while ``method`` is held; returns the hold whose slot was used."""
        hold = self._holds.get(method)
        if hold is None:
            return None
        if hold.remaining <= 0:
            self._held += 1
            self._cond.notify_all()
            try:
                while hold.remaining <= 0 and not hold.released and not self._stopping:
                    self._cond.wait()
            finally:
                self._held -= 1
            if self._stopping or (hold.released and hold.fail):
                raise ApiError(502, "Bad Gateway")
            if hold.released:
                return None
        hold.remaining -= 1
        return hold

    @staticmethod
    def _parse_body(
        query: dict[str, str], body: bytes, content_type: str
    ) -> tuple[dict[str, Any], dict[str, Upload]]:
        raw: dict[str, Any] = dict(query)
        files: dict[str, Upload] = {}
        kind = content_type.split(";", 1)[0].strip().lower()
        if not body:
            return raw, files
        if kind == "application/json":
            try:
                data = json.loads(body.decode("utf-8"))
            except ValueError as err:
                raise bad_request(f"can't parse JSON: {err}") from None
            if not isinstance(data, dict):
                raise bad_request("JSON object expected")
            raw.update(data)
        elif kind == "multipart/form-data":
            fields, files = parse_multipart(body, content_type)
            raw.update(fields)
        else:  # form-encoded (also the default for unknown content types)
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                raise bad_request("request body is not valid UTF-8") from None
            raw.update(dict(parse_qsl(text, keep_blank_values=True)))
        return raw, files

    def _pop_failure(self, method: str) -> _Failure | None:
        queue = self._failures.get(method)
        if not queue:
            return None
        failure = queue[0]
        failure.times -= 1
        if failure.times <= 0:
            queue.pop(0)
        return failure

    def _download(self, token: str, file_path: str) -> tuple[int, bytes, str]:
        not_found = (404, NOT_FOUND_BODY, "application/json")
        if token != self.token:
            return not_found
        with self._lock:
            stored = self._files_by_path.get(file_path)
        if stored is None:
            return not_found
        return 200, stored.data, stored.mime_type or "application/octet-stream"

    # ---------------------------------------------------------- validation helpers

    @staticmethod
    def _validate_markup(markup: Any) -> dict[str, Any] | None:
        """Validate reply_markup; return the inline keyboard to store on the message."""
        if markup in (None, ""):
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            return None
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
        actions = {
            "url",
            "callback_data",
            "web_app",
            "login_url",
            "switch_inline_query",
            "switch_inline_query_current_chat",
            "switch_inline_query_chosen_chat",
            "copy_text",
            "callback_game",
            "pay",
        }
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise bad_request("can't parse inline keyboard button: Text must be a String")
                if not actions & button.keys():
                    raise bad_request(
                        "can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard"
                    )
                if "callback_data" in button:
                    data = button["callback_data"]
                    if not isinstance(data, str):
                        raise bad_request("BUTTON_DATA_INVALID")
                    size = len(data.encode("utf-8"))
                    if size < 1 or size > MAX_CALLBACK_DATA_BYTES:
                        raise bad_request("BUTTON_DATA_INVALID")
        if not any(rows):
            return None
        return copy.deepcopy(markup)

    def _message_text(self, params: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        text, entities = format_text(params.get("text"), params.get("parse_mode"), params.get("entities"))
        if not text:
            raise bad_request("message text is empty")
        if len(text) > MAX_MESSAGE_LENGTH:
            raise bad_request("message is too long")
        return text, entities

    def _caption(self, params: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        caption, entities = format_text(
            params.get("caption"), params.get("parse_mode"), params.get("caption_entities")
        )
        if len(caption) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
        return caption, entities

    def _reply_to(self, chat_id: int, params: dict[str, Any]) -> dict[str, Any] | None:
        reply = params.get("reply_parameters")
        message_id = params.get("reply_to_message_id")
        allow_missing = bool(params.get("allow_sending_without_reply"))
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow_missing = bool(reply.get("allow_sending_without_reply", allow_missing))
        if message_id in (None, 0):
            return None
        key = (chat_id, message_id) if isinstance(message_id, int) else None
        if key is None or key not in self._stored or key in self._deleted:
            if allow_missing:
                return None
            raise bad_request("message to be replied not found")
        return self._reply_copy(self._stored[key])

    def _editable(self, params: dict[str, Any], verb: str = "edit") -> dict[str, Any]:
        if params.get("inline_message_id"):
            raise bad_request(f"message to {verb} not found")
        chat = self._chat_for_bot(params.get("chat_id"))
        message_id = params.get("message_id")
        if not isinstance(message_id, int) or isinstance(message_id, bool):
            raise bad_request("message identifier is not specified")
        key = (chat["id"], message_id)
        message = self._stored.get(key)
        if message is None or key in self._deleted:
            raise bad_request(f"message to {verb} not found")
        if verb == "edit" and not message["from"].get("is_bot"):
            raise bad_request("message can't be edited")
        return message

    def _bot_send(
        self, chat: dict[str, Any], content: dict[str, Any], params: dict[str, Any]
    ) -> dict[str, Any]:
        replied = self._reply_to(chat["id"], params)
        if replied is not None:
            content["reply_to_message"] = replied
        # Like Telegram, a message's "from" carries only the basic User fields (not getMe's extras).
        sender = {key: self.bot_user[key] for key in ("id", "is_bot", "first_name", "username")}
        message = self._new_message(chat, sender, content)
        self._bot_messages.setdefault(chat["id"], []).append(message["message_id"])
        return message

    # ------------------------------------------------------------- method handlers
    # Every handler runs under the lock: (params, files, actions, logged) -> result.

    def _m_ok(self, *_: Any) -> bool:
        return True

    def _m_get_me(self, *_: Any) -> dict[str, Any]:
        return self.bot_user

    def _m_set_webhook(self, params: dict[str, Any], *_: Any) -> bool:
        self.webhook_url = str(params.get("url") or "")
        return True

    def _m_delete_webhook(self, params: dict[str, Any], *_: Any) -> bool:
        self.webhook_url = ""
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _m_get_webhook_info(self, *_: Any) -> dict[str, Any]:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    def _m_get_chat(self, params: dict[str, Any], *_: Any) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int) or chat_id not in self._chats:
            raise bad_request("chat not found")
        return {**self._chats[chat_id], "accent_color_id": 0, "max_reaction_count": 11}

    def _m_get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Long poll: runs outside the dispatcher's lock and waits on the condition."""
        offset = params.get("offset")
        limit = params.get("limit")
        timeout = params.get("timeout")
        allowed = params.get("allowed_updates")
        limit = max(1, min(100, int(limit))) if isinstance(limit, (int, float)) and limit else 100
        wait = float(timeout) if isinstance(timeout, (int, float)) else 0.0
        wait = max(0.0, min(wait, 50.0))
        deadline = time.monotonic() + wait
        with self._cond:
            if self.webhook_url:
                raise ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            if isinstance(offset, int) and not isinstance(offset, bool):
                if offset < 0:
                    del self._updates[: max(0, len(self._updates) + offset)]
                else:
                    self._updates[:] = [u for u in self._updates if u["update_id"] >= offset]
            self._poll_generation += 1
            generation = self._poll_generation
            self._cond.notify_all()
            while True:
                if isinstance(allowed, list) and allowed:
                    ready = [u for u in self._updates if any(k in u for k in allowed)]
                else:
                    ready = list(self._updates)
                if ready or self._stopping:
                    return copy.deepcopy(ready[:limit])
                if generation != self._poll_generation:
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; "
                        "make sure that only one bot instance is running",
                    )
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                self._polls_waiting += 1
                self._cond.notify_all()  # for wait_for_poll
                try:
                    self._cond.wait(remaining)
                finally:
                    self._polls_waiting -= 1

    def wait_for_poll(self, timeout: float = 5.0) -> None:
        """Block until a getUpdates long poll is waiting for updates (instead of sleeping)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._polls_waiting:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no long poll waiting within {timeout}s")
                self._cond.wait(remaining)

    def _m_send_message(
        self, params: dict[str, Any], _files: Any, actions: list[Action], _logged: Any
    ) -> dict[str, Any]:
        chat = self._chat_for_bot(params.get("chat_id"))
        text, entities = self._message_text(params)
        markup = self._validate_markup(params.get("reply_markup"))
        content: dict[str, Any] = {"text": text}
        if entities:
            content["entities"] = entities
        if markup:
            content["reply_markup"] = markup
        message = self._bot_send(chat, content, params)
        actions.append(
            self._action(
                "sendMessage",
                params,
                chat_id=chat["id"],
                message_id=message["message_id"],
                text=params.get("text"),
                rendered_text=text,
                parse_mode=params.get("parse_mode"),
                entities=entities,
            )
        )
        return message

    def _m_edit_message_text(
        self, params: dict[str, Any], _files: Any, actions: list[Action], _logged: Any
    ) -> dict[str, Any]:
        message = self._editable(params)
        text, entities = self._message_text(params)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        return self._edit_content(
            message, params, actions, "editMessageText", ("text", text, ""), ("entities", entities),
            parse_mode=params.get("parse_mode"), entities=entities,
        )

    def _m_edit_message_caption(
        self, params: dict[str, Any], _files: Any, actions: list[Action], _logged: Any
    ) -> dict[str, Any]:
        message = self._editable(params)
        caption, entities = self._caption(params)
        if "text" in message:
            raise bad_request("there is no caption in the message to edit")
        return self._edit_content(
            message, params, actions, "editMessageCaption", ("caption", caption, ""),
            ("caption_entities", entities),
        )

    def _edit_content(
        self,
        message: dict[str, Any],
        params: dict[str, Any],
        actions: list[Action],
        method: str,
        field: tuple[str, str, str],
        entity_field: tuple[str, list[dict[str, Any]]],
        **extra: Any,
    ) -> dict[str, Any]:
        """Replace a message's text or caption (``field``: name, rendered value, value when
        absent) with its entities and markup, refusing an edit that changes nothing."""
        name, value, absent = field
        entities_key, entity_list = entity_field
        markup = self._validate_markup(params.get("reply_markup"))
        if (
            message.get(name, absent) == value
            and message.get(entities_key, []) == entity_list
            and message.get("reply_markup") == markup
        ):
            raise bad_request(_NOT_MODIFIED)
        if name == "text":
            message["text"] = value
        else:
            self._set_optional(message, name, value)
        self._set_optional(message, entities_key, entity_list)
        self._set_optional(message, "reply_markup", markup)
        message["edit_date"] = int(time.time())
        actions.append(
            self._action(
                method,
                params,
                chat_id=message["chat"]["id"],
                message_id=message["message_id"],
                **{name: params.get(name), f"rendered_{name}": value},
                **extra,
            )
        )
        return message

    def _m_edit_message_reply_markup(
        self, params: dict[str, Any], _files: Any, actions: list[Action], _logged: Any
    ) -> dict[str, Any]:
        message = self._editable(params)
        markup = self._validate_markup(params.get("reply_markup"))
        if message.get("reply_markup") == markup:
            raise bad_request(_NOT_MODIFIED)
        self._set_optional(message, "reply_markup", markup)
        message["edit_date"] = int(time.time())
        actions.append(
            self._action(
                "editMessageReplyMarkup",
                params,
                chat_id=message["chat"]["id"],
                message_id=message["message_id"],
            )
        )
        return message

    @staticmethod
    def _set_optional(message: dict[str, Any], key: str, value: Any) -> None:
        if value:
            message[key] = value
        else:
            message.pop(key, None)

    def _m_delete_message(
        self, params: dict[str, Any], _files: Any, actions: list[Action], _logged: Any
    ) -> bool:
        message = self._editable(params, verb="delete")
        key = (message["chat"]["id"], message["message_id"])
        self._deleted.add(key)
        actions.append(self._action("deleteMessage", params, chat_id=key[0], message_id=key[1]))
        return True

    def _m_send_chat_action(
        self, params: dict[str, Any], _files: Any, actions: list[Action], _logged: Any
    ) -> bool:
        chat = self._chat_for_bot(params.get("chat_id"))
        action = params.get("action")
        if action not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        actions.append(self._action("sendChatAction", params, chat_id=chat["id"], action=action))
        return True

    @staticmethod
    def _scope_key(params: dict[str, Any]) -> str:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise bad_request("can't parse BotCommandScope JSON object")
        kind = scope["type"]
        if kind in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
            key = kind
        elif kind in ("chat", "chat_administrators"):
            if not isinstance(scope.get("chat_id"), int):
                raise bad_request("chat not found")
            key = f"{kind}:{scope['chat_id']}"
        elif kind == "chat_member":
            key = f"chat_member:{scope.get('chat_id')}:{scope.get('user_id')}"
        else:
            raise bad_request("wrong BotCommandScope type specified")
        language = params.get("language_code")
        return f"{key}|{language}" if language else key

    def _m_set_my_commands(
        self, params: dict[str, Any], _files: Any, actions: list[Action], _logged: Any
    ) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("too many commands")
        cleaned = []
        for item in commands:
            if not isinstance(item, dict):
                raise bad_request("can't parse BotCommand JSON object")
            command = str(item.get("command", "")).lstrip("/")
            description = str(item.get("description", ""))
            if not _COMMAND_RE.match(command):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise bad_request("command description must be non-empty")
            cleaned.append({"command": command, "description": description})
        key = self._scope_key(params)
        if cleaned:
            self.commands[key] = cleaned
        else:
            self.commands.pop(key, None)
        actions.append(
            self._action(
                "setMyCommands",
                params,
                chat_id=(params.get("scope") or {}).get("chat_id"),
                scope_key=key,
                commands=cleaned,
            )
        )
        return True

    def _m_get_my_commands(self, params: dict[str, Any], *_: Any) -> list[dict[str, str]]:
        return list(self.commands.get(self._scope_key(params), []))

    def _m_delete_my_commands(
        self, params: dict[str, Any], _files: Any, actions: list[Action], _logged: Any
    ) -> bool:
        key = self._scope_key(params)
        self.commands.pop(key, None)
        actions.append(
            self._action(
                "deleteMyCommands",
                params,
                chat_id=(params.get("scope") or {}).get("chat_id"),
                scope_key=key,
            )
        )
        return True

    def _m_answer_callback_query(
        self, params: dict[str, Any], _files: Any, actions: list[Action], _logged: Any
    ) -> bool:
        query_id = params.get("callback_query_id")
        if query_id not in self._callback_queries:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        actions.append(
            self._action(
                "answerCallbackQuery",
                params,
                callback_query_id=query_id,
                text=text,
                show_alert=bool(params.get("show_alert")),
            )
        )
        return True

    def _upload(
        self, params: dict[str, Any], files: dict[str, Upload], field: str, folder: str
    ) -> tuple[_StoredFile, str | None]:
        upload = files.get(field)
        if upload is not None:
            if len(upload.data) > self.max_upload_bytes:
                raise ApiError(413, "Request Entity Too Large")
            if not upload.data:
                raise bad_request("file must be non-empty")
            mime = upload.content_type
            if mime in ("", "application/octet-stream"):
                mime = mimetypes.guess_type(upload.filename)[0] or mime
            return self._store_file(upload.data, upload.filename, mime, folder), upload.filename
        reference = params.get(field)
        if isinstance(reference, str) and reference in self._files:
            stored = self._files[reference]
            return stored, stored.file_name
        if isinstance(reference, str) and reference.startswith(("http://", "https://")):
            raise bad_request("failed to get HTTP URL content")
        if reference in (None, ""):
            raise bad_request(f"there is no {field} in the request")
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _m_send_document(
        self, params: dict[str, Any], files: dict[str, Upload], actions: list[Action], _: Any
    ) -> dict[str, Any]:
        def media(stored: _StoredFile, file_name: str | None) -> dict[str, Any]:
            document: dict[str, Any] = {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": len(stored.data),
            }
            if file_name:
                document["file_name"] = file_name
            if stored.mime_type:
                document["mime_type"] = stored.mime_type
            return {"document": document}

        return self._send_file(params, files, actions, "sendDocument", ("document", "documents"), media)

    def _m_send_photo(
        self, params: dict[str, Any], files: dict[str, Upload], actions: list[Action], _: Any
    ) -> dict[str, Any]:
        def media(stored: _StoredFile, _file_name: str | None) -> dict[str, Any]:
            width, height = _png_or_gif_size(stored.data)
            size = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                    "file_size": len(stored.data), "width": width, "height": height}
            return {"photo": [size]}

        return self._send_file(params, files, actions, "sendPhoto", ("photo", "photos"), media)

    def _send_file(
        self,
        params: dict[str, Any],
        files: dict[str, Upload],
        actions: list[Action],
        method: str,
        where: tuple[str, str],
        media: Callable[[_StoredFile, str | None], dict[str, Any]],
    ) -> dict[str, Any]:
        """Send a file the bot uploads or names (``where``: its parameter and folder), as the
        message content ``media`` builds, with its caption and markup."""
        chat = self._chat_for_bot(params.get("chat_id"))
        caption, entities = self._caption(params)
        markup = self._validate_markup(params.get("reply_markup"))
        stored, file_name = self._upload(params, files, *where)
        content = media(stored, file_name)
        self._caption_content(content, caption, entities, markup)
        message = self._bot_send(chat, content, params)
        actions.append(
            self._action(
                method,
                params,
                chat_id=chat["id"],
                message_id=message["message_id"],
                caption=params.get("caption"),
                rendered_caption=caption or None,
                file_name=file_name,
                mime_type=stored.mime_type,
                file_id=stored.file_id,
                data=stored.data,
            )
        )
        return message

    @staticmethod
    def _caption_content(
        content: dict[str, Any],
        caption: str,
        entities: list[dict[str, Any]],
        markup: dict[str, Any] | None,
    ) -> None:
        if caption:
            content["caption"] = caption
        if entities:
            content["caption_entities"] = entities
        if markup:
            content["reply_markup"] = markup

    def _m_get_file(self, params: dict[str, Any], *_: Any) -> dict[str, Any]:
        file_id = params.get("file_id")
        stored = self._files.get(file_id) if isinstance(file_id, str) else None
        if stored is None:
            raise bad_request("invalid file_id")
        if len(stored.data) > self.max_download_bytes:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }
