"""Tests for bot.local.LocalBotApi, driven through python-telegram-bot's real HTTP stack."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.local import LocalBotApi

USER = 4242


def _server_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("LocalBotApi")]


@pytest.fixture
def api() -> Iterator[LocalBotApi]:
    server = LocalBotApi()
    server.start()
    try:
        yield server
    finally:
        server.stop()
        assert _server_threads() == [], "LocalBotApi left threads running"


# ----------------------------------------------------------------- the test bot


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(f"echo: {update.effective_message.text}")


async def _document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    doc = update.effective_message.document
    data = await (await doc.get_file()).download_as_bytearray()
    await update.effective_message.reply_text(f"got {doc.file_name}: {len(data)} bytes")


async def _progress(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await context.bot.send_chat_action(update.effective_chat.id, "typing")
    message = await update.effective_message.reply_text("⏳ working")
    await message.edit_text("<b>done</b> &amp; dusted", parse_mode="HTML")


async def _commands(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat_id = update.effective_chat.id
    await context.bot.set_my_commands(
        [BotCommand("start", "开始"), BotCommand("report", "上传报告")],
        scope=BotCommandScopeChat(chat_id),
    )
    await update.effective_message.reply_text("commands set")


async def _menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("确认", callback_data="confirm:1")]])
    await update.effective_message.reply_text("请选择", reply_markup=keyboard)


async def _button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer("ok")
    await query.edit_message_text(f"已选择 {query.data}")


@pytest.fixture
async def app(api: LocalBotApi) -> AsyncIterator[Application]:
    application = (
        Application.builder().token(api.token).base_url(api.base_url).base_file_url(api.base_file_url).build()
    )
    application.add_handler(CommandHandler("progress", _progress))
    application.add_handler(CommandHandler("commands", _commands))
    application.add_handler(CommandHandler("menu", _menu))
    application.add_handler(MessageHandler(filters.Document.ALL, _document))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _echo))
    application.add_handler(CallbackQueryHandler(_button))
    await application.initialize()
    await application.start()
    await application.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


# ---------------------------------------------------------- through the real stack


@pytest.mark.asyncio
async def test_echo_roundtrip(api: LocalBotApi, app: Application) -> None:
    message_id = api.send_text(USER, "你好")
    action = await api.wait_for_async(lambda a: a["method"] == "sendMessage", timeout=5)
    assert action["chat_id"] == USER
    assert action["text"] == "echo: 你好"
    assert action["message_id"] == message_id + 1  # per-chat counter shared with the user
    assert [m["text"] for m in api.messages(USER)] == ["echo: 你好"]
    assert app.bot.username == api.bot_username
    assert ("getMe", {}) in api.requests


@pytest.mark.asyncio
async def test_document_download(api: LocalBotApi, app: Application) -> None:
    payload = bytes(range(256)) * 40
    api.send_document(USER, payload, "自查报告.docx")
    action = await api.wait_for_async(lambda a: "bytes" in a["text"], timeout=5)
    assert action["text"] == f"got 自查报告.docx: {len(payload)} bytes"
    get_file = [params for method, params in api.requests if method == "getFile"]
    assert len(get_file) == 1


@pytest.mark.asyncio
async def test_send_then_edit(api: LocalBotApi, app: Application) -> None:
    api.send_text(USER, "/progress")
    edit = await api.wait_for_async(lambda a: a["method"] == "editMessageText", timeout=5)
    methods = [a["method"] for a in api.sent]
    assert methods == ["sendChatAction", "sendMessage", "editMessageText"]
    assert edit["text"] == "<b>done</b> &amp; dusted"  # as sent by the bot
    assert edit["rendered_text"] == "done & dusted"
    (message,) = api.messages(USER)
    assert message["text"] == "done & dusted"
    assert message["entities"] == [{"type": "bold", "offset": 0, "length": 4}]
    assert message["message_id"] == api.sent[1]["message_id"] == edit["message_id"]
    assert "edit_date" in message


@pytest.mark.asyncio
async def test_set_commands_with_chat_scope(api: LocalBotApi, app: Application) -> None:
    api.send_text(USER, "/commands")
    await api.wait_for_async(lambda a: a["text"] == "commands set", timeout=5)
    assert api.commands[f"chat:{USER}"] == [
        {"command": "start", "description": "开始"},
        {"command": "report", "description": "上传报告"},
    ]
    assert "default" not in api.commands
    fetched = await app.bot.get_my_commands(scope=BotCommandScopeChat(USER))
    assert [c.command for c in fetched] == ["start", "report"]
    assert await app.bot.get_my_commands() == ()


@pytest.mark.asyncio
async def test_inline_button_callback(api: LocalBotApi, app: Application) -> None:
    api.send_text(USER, "/menu@kaohe_local_bot")
    menu = await api.wait_for_async(lambda a: a["text"] == "请选择", timeout=5)
    assert menu["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "confirm:1"
    with pytest.raises(ValueError):
        api.press_button(USER, menu["message_id"], "nope")
    query_id = api.press_button(USER, menu["message_id"], "confirm:1")
    await api.wait_for_async(lambda a: a["method"] == "editMessageText", timeout=5)
    answer = next(a for a in api.sent if a["method"] == "answerCallbackQuery")
    assert answer["callback_query_id"] == query_id and answer["text"] == "ok"
    (message,) = api.messages(USER)
    assert message["text"] == "已选择 confirm:1"
    assert "reply_markup" not in message  # editing without reply_markup removes the keyboard


# ------------------------------------------------------------ errors through PTB


@pytest.fixture
async def bot(api: LocalBotApi) -> AsyncIterator[Bot]:
    async with Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url) as client:
        yield client


@pytest.mark.asyncio
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_retry_after_injection(api: LocalBotApi, bot: Bot) -> None:
    api.fail_next(
        "sendMessage", error_code=429, description="Too Many Requests: retry after 3", retry_after=3
    )
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(USER, "hi")
    assert "retry in 3 seconds" in str(caught.value).lower()
    await bot.send_message(USER, "hi again")  # only the next call failed
    assert [a["text"] for a in api.sent] == ["hi again"]
    assert api.errors[0]["error_code"] == 429


@pytest.mark.asyncio
async def test_forbidden_injection(api: LocalBotApi, bot: Bot) -> None:
    api.fail_next(
        "SENDMESSAGE", error_code=403, description="Forbidden: bot was blocked by the user", times=2
    )
    for _ in range(2):
        with pytest.raises(Forbidden, match="(?i)blocked by the user"):
            await bot.send_message(USER, "hi")
    await bot.send_message(USER, "hi")


@pytest.mark.asyncio
async def test_text_validation(api: LocalBotApi, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(USER, "长" * 4097)
    await bot.send_message(USER, "长" * 4096)
    with pytest.raises(BadRequest, match="(?i)message text is empty"):
        await bot.send_message(USER, "   ")
    with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
        await bot.send_message(
            USER,
            "x",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="x" * 65)]]),
        )
    with pytest.raises(BadRequest, match="(?i)can't parse entities"):
        await bot.send_message(USER, "1 < 2", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)character '.' is reserved"):
        await bot.send_message(USER, "分数 9.5", parse_mode="MarkdownV2")
    sent = await bot.send_message(USER, "*粗体* 9\\.5", parse_mode="MarkdownV2")
    assert sent.text == "粗体 9.5"
    assert sent.entities[0].type == "bold" and sent.entities[0].length == 2


@pytest.mark.asyncio
async def test_group_reply_and_formatting(api: LocalBotApi, app: Application) -> None:
    group = -100123
    user_message = api.send_text(USER, "群里说话", chat_id=group)
    action = await api.wait_for_async(lambda a: a["chat_id"] == group, timeout=5)
    assert action["text"] == "echo: 群里说话"
    (message,) = api.messages(group)
    assert message["chat"]["type"] == "supergroup"
    assert message["reply_to_message"]["message_id"] == user_message  # PTB quotes in groups
    sent = await app.bot.send_message(USER, "\n  <i>斜体</i> 😀 <b>粗</b>  \n", parse_mode="HTML")
    assert sent.text == "斜体 😀 粗"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("italic", 0, 2), ("bold", 6, 1)]


@pytest.mark.asyncio
async def test_edit_errors(api: LocalBotApi, bot: Bot) -> None:
    sent = await bot.send_message(USER, "same")
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_text("same", chat_id=USER, message_id=sent.message_id)
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=9999)
    edited = await bot.edit_message_text("changed", chat_id=USER, message_id=sent.message_id)
    assert edited.text == "changed" and edited.edit_date is not None
    assert await bot.delete_message(USER, sent.message_id)
    assert api.messages(USER) == []
    with pytest.raises(BadRequest, match="(?i)message to delete not found"):
        await bot.delete_message(USER, sent.message_id)


@pytest.mark.asyncio
async def test_bot_document_upload_and_size_limit(api: LocalBotApi, bot: Bot) -> None:
    message = await bot.send_document(USER, b"col1,col2\n1,2\n", filename='结果 "终稿".csv', caption="汇总")
    action = api.sent[-1]
    assert action["method"] == "sendDocument"
    assert action["file_name"] == '结果 "终稿".csv' and action["data"] == b"col1,col2\n1,2\n"
    assert action["caption"] == "汇总" and message.caption == "汇总"
    file = await bot.get_file(message.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"col1,col2\n1,2\n"

    api.max_download_bytes = 10
    big = await bot.send_document(USER, b"x" * 11, filename="big.bin")
    with pytest.raises(BadRequest, match="(?i)file is too big"):
        await bot.get_file(big.document.file_id)


@pytest.mark.asyncio
async def test_wrong_token(api: LocalBotApi) -> None:
    client = Bot("999:WRONG", base_url=api.base_url, base_file_url=api.base_file_url)
    with pytest.raises(InvalidToken):
        await client.get_me()
    with pytest.raises(InvalidToken):
        await client.initialize()


@pytest.mark.asyncio
async def test_unknown_method(api: LocalBotApi, bot: Bot) -> None:
    with pytest.raises(InvalidToken):  # PTB maps 404 to InvalidToken / EndPointNotFound
        await bot._post("sendDice", {"chat_id": USER})
    assert api.errors[-1]["error_code"] == 404


# ------------------------------------------------------------- raw HTTP behaviour


def _call(api: LocalBotApi, method: str, body: dict | None = None, token: str | None = None):
    data = json.dumps(body or {}).encode()
    request = urllib.request.Request(
        f"{api.base_url}{token or api.token}/{method}",
        data=data,
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_unauthorized_raw(api: LocalBotApi) -> None:
    status, body = _call(api, "getMe", token="1:nope")
    assert status == 401
    assert body == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    status, body = _call(api, "GETME")
    assert status == 200 and body["result"]["username"] == "kaohe_local_bot"


def _raw_exchange(api: LocalBotApi, data: bytes) -> bytes:
    """Send raw bytes on one connection and read until the server closes it."""
    with socket.create_connection((api.host, api.port), timeout=5) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_raw_keep_alive_and_malformed_requests(api: LocalBotApi) -> None:
    body = json.dumps({"chat_id": USER, "text": "管道"}).encode()
    send = (
        f"POST /bot{api.token}/sendMessage HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    close = f"GET /bot{api.token}/getMe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
    # two pipelined requests on one keep-alive connection, then one that asks to close it
    answer = _raw_exchange(api, send + send + close)
    responses = answer.split(b"HTTP/1.1 200 OK\r\n")[1:]
    assert len(responses) == 3
    assert all(b"Content-Type: application/json\r\n" in r for r in responses)
    assert b"Connection: close\r\n" in responses[2] and b"Connection: close" not in responses[0]
    results = [json.loads(r.split(b"\r\n\r\n", 1)[1]) for r in responses]
    assert [r["result"].get("message_id") for r in results[:2]] == [1, 2]
    assert results[2]["result"]["username"] == api.bot_username
    # HTTP/1.0 without keep-alive is answered and closed
    answer = _raw_exchange(api, f"GET /bot{api.token}/getMe HTTP/1.0\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n") and b"Connection: close\r\n" in answer
    assert _raw_exchange(api, b"GET /x HTTP/2.0\r\n\r\n").startswith(b"HTTP/1.1 505 ")
    assert b"Error code: 400" in _raw_exchange(api, b"nonsense\r\n\r\n")
    assert _raw_exchange(api, b"GET /elsewhere HTTP/1.1\r\nConnection: close\r\n\r\n").startswith(
        b"HTTP/1.1 404 Not Found\r\n"
    )
    assert [m["text"] for m in api.messages(USER)] == ["管道", "管道"]


def test_long_poll_returns_promptly(api: LocalBotApi) -> None:
    results: dict[str, object] = {}

    def poll() -> None:
        started = time.monotonic()
        results["response"] = _call(api, "getUpdates", {"timeout": 5})
        results["elapsed"] = time.monotonic() - started

    poller = threading.Thread(target=poll)
    poller.start()
    api.wait_for_poll()
    # the server stays responsive while a long poll is pending
    assert _call(api, "getMe")[0] == 200
    api.send_text(USER, "/start 邀请码")
    poller.join(5)
    status, body = results["response"]
    assert status == 200 and results["elapsed"] < 2
    (update,) = body["result"]
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    # confirming with offset drops the update; an empty poll with timeout=0 returns at once
    status, body = _call(api, "getUpdates", {"offset": update["update_id"] + 1, "timeout": 0})
    assert body["result"] == []


def test_long_poll_times_out(api: LocalBotApi) -> None:
    started = time.monotonic()
    status, body = _call(api, "getUpdates", {"timeout": 0.3})
    assert status == 200 and body["result"] == []
    assert 0.25 <= time.monotonic() - started < 2


def test_stop_releases_pending_long_poll() -> None:
    server = LocalBotApi()
    server.start()
    answers: list = []
    poller = threading.Thread(target=lambda: answers.append(_call(server, "getUpdates", {"timeout": 30})))
    poller.start()
    server.wait_for_poll()
    started = time.monotonic()
    server.stop()
    poller.join(5)
    assert not poller.is_alive() and time.monotonic() - started < 3
    assert answers == [(200, {"ok": True, "result": []})]  # answered, not cut off
    assert _server_threads() == []
    server.stop()  # idempotent


def test_wait_for_timeout_lists_actions(api: LocalBotApi) -> None:
    _call(api, "sendMessage", {"chat_id": USER, "text": "first"})
    with pytest.raises(TimeoutError, match="first"):
        api.wait_for(lambda a: a["text"] == "never", timeout=0.2)
    assert api.wait_for(lambda a: a["text"] == "first", timeout=0.2)["chat_id"] == USER


@pytest.mark.asyncio
async def test_on_action_callback(api: LocalBotApi, bot: Bot) -> None:
    seen: list[str] = []
    api.on_action = lambda action: seen.append(action["method"])
    await bot.send_chat_action(USER, "typing")
    await bot.send_message(USER, "x")
    await asyncio.sleep(0)
    assert seen == ["sendChatAction", "sendMessage"]


# --------------------------------------------------------------- blocked users

_BLOCKED = {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}


@pytest.mark.asyncio
async def test_blocked_user_fails_with_forbidden(api: LocalBotApi, bot: Bot) -> None:
    text = await bot.send_message(USER, "before")
    doc = await bot.send_document(USER, b"a,b\n", filename="a.csv", caption="old")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="x")]])
    api.block(USER)
    assert api.blocked == {USER}
    calls = [
        bot.send_message(USER, "hi"),
        bot.send_document(USER, b"x", filename="x.txt"),
        bot.send_photo(USER, b"GIF89a\x01\x00\x01\x00", filename="p.gif"),
        bot.send_chat_action(USER, "typing"),
        bot.edit_message_text("new", chat_id=USER, message_id=text.message_id),
        bot.edit_message_caption(chat_id=USER, message_id=doc.message_id, caption="new"),
        bot.edit_message_reply_markup(chat_id=USER, message_id=text.message_id, reply_markup=keyboard),
        bot.delete_message(USER, text.message_id),
    ]
    for call in calls:
        with pytest.raises(Forbidden, match="^Forbidden: bot was blocked by the user$"):
            await call
    assert _call(api, "sendMessage", {"chat_id": USER, "text": "raw"}) == (403, _BLOCKED)
    errors = api.errors[-9:]
    assert [e["method"] for e in errors] == [
        "sendMessage",
        "sendDocument",
        "sendPhoto",
        "sendChatAction",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
        "deleteMessage",
        "sendMessage",
    ]
    assert all((e["error_code"], e["description"]) == (403, _BLOCKED["description"]) for e in errors)
    assert [a["method"] for a in api.sent] == ["sendMessage", "sendDocument"]  # nothing recorded
    assert [(m.get("text"), m.get("caption")) for m in api.messages(USER)] == [
        ("before", None),
        (None, "old"),
    ]
    # other chats and chat-scoped commands are unaffected
    await bot.send_message(USER + 1, "other user")
    assert await bot.set_my_commands([BotCommand("start", "开始")], scope=BotCommandScopeChat(USER))
    api.unblock(USER)
    assert api.blocked == frozenset()
    again = await bot.send_message(USER, "after")
    assert again.message_id == doc.message_id + 1  # failed calls used no message ids
    assert [m.get("text") for m in api.messages(USER)] == ["before", None, "after"]


def test_block_validation_and_user_message_unblocks(api: LocalBotApi) -> None:
    with pytest.raises(ValueError):
        api.block(-100123)  # groups can't block a bot
    with pytest.raises(AttributeError):
        api.blocked = frozenset()  # type: ignore[misc]
    api.block(USER)
    api.block(USER)
    assert isinstance(api.blocked, frozenset) and api.blocked == {USER}  # a snapshot, not the live set
    api.send_text(USER, "/start")  # a client has to unblock the bot before writing to it
    assert api.blocked == frozenset()
    api.unblock(USER)  # no-op
    assert _call(api, "sendMessage", {"chat_id": USER, "text": "hi"})[0] == 200


# ---------------------------------------------------------------- held calls

_BAD_GATEWAY = {"ok": False, "error_code": 502, "description": "Bad Gateway"}


@pytest.mark.asyncio
async def test_hold_simulates_crash_in_flight(api: LocalBotApi, bot: Bot) -> None:
    api.hold("sendMessage", after=2)
    first = await bot.send_message(USER, "one")
    await bot.send_message(USER, "two")
    third = asyncio.create_task(bot.send_message(USER, "three"))
    await asyncio.to_thread(api.wait_held, 1, 5.0)
    assert api.held == 1 and not third.done()
    assert [a["text"] for a in api.sent] == ["one", "two"]
    assert [m["text"] for m in api.messages(USER)] == ["one", "two"]
    assert [p["text"] for m, p in api.requests if m == "sendMessage"] == ["one", "two"]
    api.release()
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await third
    assert api.held == 0
    assert [m["text"] for m in api.messages(USER)] == ["one", "two"]
    assert [a["text"] for a in api.sent] == ["one", "two"]
    assert (api.errors[-1]["method"], api.errors[-1]["error_code"]) == ("sendMessage", 502)
    # holding has ended: the next call goes through and no message id was consumed
    fourth = await bot.send_message(USER, "four")
    assert fourth.message_id == first.message_id + 2


@pytest.mark.asyncio
async def test_hold_release_without_failure(api: LocalBotApi, bot: Bot) -> None:
    api.hold("SENDMESSAGE")
    pending = asyncio.create_task(bot.send_message(USER, "late"))
    await api.wait_held_async(1, timeout=5)
    assert api.sent == [] and api.messages(USER) == []
    api.release(fail=False)
    message = await pending
    assert message.text == "late"
    assert [a["text"] for a in api.sent] == ["late"]
    assert [m["text"] for m in api.messages(USER)] == ["late"]


def test_hold_counts_successful_calls_only(api: LocalBotApi) -> None:
    api.hold("sendMessage", after=1)
    assert _call(api, "sendMessage", {"chat_id": USER, "text": " "})[0] == 400  # not counted
    assert _call(api, "sendChatAction", {"chat_id": USER, "action": "typing"})[0] == 200  # not held
    assert _call(api, "sendMessage", {"chat_id": USER, "text": "ok"})[0] == 200
    results: list[object] = []

    def send(text: str) -> None:
        results.append(_call(api, "sendMessage", {"chat_id": USER, "text": text}))

    threads = [threading.Thread(target=send, args=(text,)) for text in ("a", "b")]
    for thread in threads:
        thread.start()
    api.wait_held(2, timeout=5)
    assert api.held == 2
    with pytest.raises(TimeoutError):
        api.wait_held(3, timeout=0.1)
    api.release()
    for thread in threads:
        thread.join(5)
    assert results == [(502, _BAD_GATEWAY), (502, _BAD_GATEWAY)]
    assert [a.get("text") for a in api.sent] == [None, "ok"]  # sendChatAction, sendMessage
    assert _call(api, "sendMessage", {"chat_id": USER, "text": "after"})[0] == 200


def test_stop_releases_held_calls() -> None:
    server = LocalBotApi()
    server.start()
    server.hold("getMe")
    outcome: list[object] = []

    def call() -> None:
        try:
            outcome.append(_call(server, "getMe"))
        except OSError as err:  # the connection may be closed before the answer is read
            outcome.append(err)

    caller = threading.Thread(target=call)
    caller.start()
    server.wait_held(1, timeout=5)
    started = time.monotonic()
    server.stop()
    caller.join(5)
    assert not caller.is_alive() and time.monotonic() - started < 3
    assert len(outcome) == 1
    assert isinstance(outcome[0], OSError) or outcome[0] == (502, _BAD_GATEWAY)
    assert server.held == 0 and _server_threads() == []
