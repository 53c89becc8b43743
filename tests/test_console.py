"""The console chat: a newcomer binds, uploads by path and switches role, all in the terminal."""

from __future__ import annotations

from bot.local.console import run_console
from tests.conftest import CORPUS, EXAMPLE_REPORT


def test_console_walkthrough(config):
    out: list[str] = []
    legacy = CORPUS / "05_std_explanation_part1.doc"
    lines = [
        "/start",
        "/start SFJ2026",
        f":file {EXAMPLE_REPORT}",
        ":file /no/such/file.docx",
        ":as admin",
        "/help",
        ":as new",
        "/bind WRONG",
        ":quit",
        "this line is never read",
    ]
    if legacy.exists():
        lines.insert(3, f":file {legacy}")
    assert run_console(config, lines=lines, write=out.append) == 0
    text = "".join(out)
    assert "您还没有绑定单位" in text
    assert "绑定成功：您是市司法局" in text
    assert "已接收自查材料（回执）" in text and "初步等次" in text and "❌ 严格程序行政" in text
    assert "<b>" not in text  # HTML is shown as plain text
    assert "找不到文件：/no/such/file.docx" in text
    assert "您的身份：考核办" in text
    assert "邀请码“WRONG”无效" in text
    assert "this line is never read" not in text
    if legacy.exists():
        assert "旧版 Word/WPS 文档" in text  # read, not refused


def test_console_office_presses_buttons_to_confirm_an_announcement(config):
    out: list[str] = []
    lines = [
        "/bind FGW2026",
        ":press 1",
        ":as admin",
        "/overview",
        ":press 未提交名单",
        ":press 市发展和改革委员会",
        "/announce 全部 考核大会定于1月6日上午9时召开。",
        ":press 1",
        ":press 1",
        ":quit",
    ]
    assert run_console(config, lines=lines, write=out.append) == 0
    text = "".join(out)
    assert "最近没有带按钮的消息" in text
    assert "按钮：[1] 未提交名单（4）" in text
    assert "未提交名单（共 4 项）· 第1/1页" in text
    assert "市发展和改革委员会（市直部门）· 编号 fgw" in text
    assert "共 1 个单位的 1 位联络员" in text
    assert "📢 考核办通知" in text and "考核大会定于1月6日上午9时召开" in text
    assert "送达 1 人，未送达 0 人" in text
    assert "这个按钮已经失效" in text  # the preview's buttons are gone once confirmed
    # The notice reaches the FGW liaison (the first console user): shown as sent to them,
    # not as a reply to the office user typing.
    assert "\n🤖 → 用户 20001（市发展和改革委员会 联络员）：\n   📢 考核办通知\n" in text
    assert "\n🤖 📢" not in text


def test_a_second_console_session_on_the_same_data_is_answered(config):
    """The bot remembers the update ids it handled; a new session's updates are new ones."""
    first: list[str] = []
    assert run_console(config, lines=["/start SFJ2026", ":quit"], write=first.append) == 0
    second: list[str] = []
    assert run_console(config, lines=["/status", ":quit"], write=second.append) == 0
    assert "绑定成功" in "".join(first)
    assert "市司法局" in "".join(second)  # the bound liaison's status, not silence
