"""What a console user sees of the files the bot sends and of messages to other people, and
where ``python -m bot.manage export`` writes: never into the repository or the working directory."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot import manage
from bot.local.console import ConsoleChat, run_console
from tests.conftest import ROOT

SAVED = re.compile(r"🤖 📎 发送文件：(\S+?)（([^）]+)）已保存到 (\S+)")


def saved_files(text: str) -> list[tuple[str, str, Path]]:
    return [(name, size, Path(path)) for name, size, path in SAVED.findall(text)]


def test_files_the_bot_sends_are_saved_in_the_storage_folder_and_their_path_printed(
        config, tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    out: list[str] = []
    lines = ["/start SFJ2026", "/report", ":as admin", "/export", ":who", ":quit"]
    assert run_console(config, lines=lines, write=out.append) == 0
    text = "".join(out)
    folder = (config.storage_dir / "console-files").resolve()
    assert f"机器人发来的文件会保存到 {folder}" in text  # said at the start
    assert f"机器人发来的文件保存在：{folder}" in text  # and by :who
    files = saved_files(text)
    assert len(files) == 6, text  # /report's docx; /export's workbook, report and 3 charts
    assert {path.suffix for _, _, path in files} == {".docx", ".xlsx", ".png"}
    for name, size, path in files:
        assert path.parent == folder and path.name == name
        assert path.is_file() and size.endswith(("KB", "MB", "字节"))
    workbook = next(path for _, _, path in files if path.suffix == ".xlsx")
    assert workbook.read_bytes()[:2] == b"PK"  # a real workbook, openable
    assert "说明：得分分布" in text  # a chart's caption is shown
    assert "发送了文件" not in text
    assert not any(work.iterdir())  # nothing in the working directory


def _chat(config, tmp_path, unit_of=None):
    out: list[str] = []
    api = SimpleNamespace(on_action=None)
    chat = ConsoleChat(api, config, out.append, files_dir=tmp_path / "got", unit_of=unit_of)
    assert api.on_action == chat._show
    return chat, out


def _file(chat_id, message_id, name, data, method="sendDocument", **extra):
    return {"method": method, "params": {}, "chat_id": chat_id, "message_id": message_id,
            "file_name": name, "data": data, "mime_type": extra.pop("mime_type", None), **extra}


def test_a_received_file_never_overwrites_one_of_the_same_name(config, tmp_path):
    chat, out = _chat(config, tmp_path)
    chat._show(_file(chat.user_id, 1, "汇总.xlsx", b"first"))
    chat._show(_file(chat.user_id, 2, "汇总.xlsx", b"second" * 300))
    folder = (tmp_path / "got").resolve()
    assert (folder / "汇总.xlsx").read_bytes() == b"first"
    assert (folder / "汇总 (2).xlsx").read_bytes() == b"second" * 300
    text = "".join(out)
    assert f"🤖 📎 发送文件：汇总.xlsx（5 字节）已保存到 {folder / '汇总.xlsx'}" in text
    assert f"（2 KB）已保存到 {folder / '汇总 (2).xlsx'}" in text


def test_a_file_name_cannot_leave_the_folder_and_a_photo_without_one_gets_one(config, tmp_path):
    chat, out = _chat(config, tmp_path)
    chat._show(_file(chat.user_id, 3, "../../逃逸.txt", b"x"))
    chat._show(_file(chat.user_id, 7, None, b"\x89PNG", method="sendPhoto", mime_type="image/png"))
    chat._show(_file(chat.user_id, 8, "..\\..\\a:b.txt", b"y"))
    folder = (tmp_path / "got").resolve()
    assert sorted(p.name for p in folder.iterdir()) == ["a_b.txt", "图片_7.png", "逃逸.txt"]
    assert not (tmp_path / "逃逸.txt").exists()
    assert f"🤖 🖼 发送图片：图片_7.png（4 字节）已保存到 {folder / '图片_7.png'}" in "".join(out)


def test_a_file_that_cannot_be_saved_is_still_announced(config, tmp_path):
    chat, out = _chat(config, tmp_path)
    (tmp_path / "got").write_text("a file where the folder should be")
    chat._show(_file(chat.user_id, 1, "报告.docx", b"data"))
    assert "📎 发送文件：报告.docx（4 字节），未能保存到" in "".join(out)


def test_messages_to_other_people_are_set_apart_from_replies(config, tmp_path):
    units = {20002: {"name": "市发展和改革委员会"}}
    chat, out = _chat(config, tmp_path, unit_of=units.get)
    admin = sorted(config.admins)[0]
    chat._show({"method": "sendMessage", "params": {}, "chat_id": chat.user_id, "message_id": 1,
                "text": "<b>回执</b>"})
    chat._show({"method": "sendMessage", "params": {}, "chat_id": admin, "message_id": 2,
                "text": "⏳ 新材料待审核\n第二行"})
    chat._show({"method": "editMessageText", "params": {}, "chat_id": admin, "message_id": 2,
                "text": "✅ 已审核"})
    chat._show({"method": "sendMessage", "params": {}, "chat_id": 20002, "message_id": 3,
                "text": "📢 考核办通知"})
    chat._show({"method": "sendMessage", "params": {}, "chat_id": 30003, "message_id": 4,
                "text": "提醒",
                "reply_markup": {"inline_keyboard": [[{"text": "查看", "callback_data": "x"}]]}})
    chat._show({"method": "sendChatAction", "params": {}, "chat_id": admin, "action": "typing"})
    chat._show(_file(admin, 5, "汇总.xlsx", b"PK"))
    text = "".join(out)
    assert "\n🤖 回执\n" in text  # the console user's own reply: as before
    assert f"\n🤖 → 用户 {admin}（考核办）：\n   ⏳ 新材料待审核\n   第二行\n" in text
    assert f"\n🤖 → 用户 {admin}（考核办）（更新）：\n   ✅ 已审核\n" in text
    assert "\n🤖 → 用户 20002（市发展和改革委员会 联络员）：\n   📢 考核办通知\n" in text
    assert "\n🤖 → 用户 30003（未绑定用户）：\n   提醒\n" in text
    assert "先 :as 30003 再 :press 编号" in text
    assert f"\n🤖 → 用户 {admin}（考核办）：\n   📎 发送文件：汇总.xlsx" in text
    for body in ("⏳ 新材料待审核", "✅ 已审核", "📢 考核办通知", "提醒"):
        assert f"\n🤖 {body}" not in text and f"🤖（更新）{body}" not in text
    assert "正在处理" not in text  # someone else's "typing…" is not shown
    assert not chat._busy  # nor does another chat's ⏳ keep the console waiting
    chat.handle(":press 1")  # another user's buttons are not the console user's to press
    assert "最近没有带按钮的消息" in "".join(out)


# ------------------------------------------------------------------ python -m bot.manage


@pytest.fixture
def config_file(tmp_path):
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = re.sub(r'(?m)^dir = "data"$', f'dir = "{(tmp_path / "data").as_posix()}"', text)
    text = re.sub(r'(?m)^folder = "regulations"$', f'folder = "{(ROOT / "regulations").as_posix()}"', text)
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_manage_export_writes_into_the_storage_folder_by_default(config_file, tmp_path, monkeypatch, capsys):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert manage.main(["--config", str(config_file), "export", "--unit", "市司法局"]) == 0
    folder = (tmp_path / "data" / "exports").resolve()
    written = capsys.readouterr().out.strip().removeprefix("已写出 ")
    assert Path(written).parent == folder and Path(written).is_file()
    assert manage.main(["--config", str(config_file), "export"]) == 0
    out = capsys.readouterr().out
    assert f"到 {folder}：" in out
    assert {p.suffix for p in folder.iterdir()} == {".docx", ".xlsx", ".png"}
    assert not any(work.iterdir())  # nothing in the working directory
    chosen = tmp_path / "chosen"
    assert manage.main(["--config", str(config_file), "export", str(chosen), "--unit", "sfj"]) == 0
    assert f"已写出 {chosen.resolve()}" in capsys.readouterr().out
    assert [p.suffix for p in chosen.iterdir()] == [".docx"]


def test_manage_help_and_errors_are_in_chinese(capsys):
    with pytest.raises(SystemExit) as exit_:
        manage.main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("用法：python -m bot.manage")
    assert "显示本说明并退出" in out and "选项" in out and "命令" in out
    for english in ("usage:", "show this help", "positional arguments", "options:"):
        assert english not in out
    with pytest.raises(SystemExit):
        manage.main(["export", "--help"])
    out = capsys.readouterr().out
    assert "[文件夹]" in out and "[storage] dir 下的 exports 文件夹" in out
    with pytest.raises(SystemExit) as exit_:
        manage.main([])
    assert exit_.value.code == 2
    assert "错误：缺少参数：命令" in capsys.readouterr().err


def test_exports_and_console_files_are_ignored_by_git():
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert "exports/" in ignored and "console-files/" in ignored
