"""The console chat: a newcomer binds, uploads by path and switches role, all in the terminal."""

from __future__ import annotations

from bot.console import run_console
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
        assert "旧版 Word（.doc）" in text
