"""End to end: the bot's real polling loop against the local HTTP Bot API on 127.0.0.1."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.app import build_application, start_polling, stop_polling
from bot.local import LocalBotApi
from kaohe.fmt import fmt_points
from tests.conftest import EXAMPLE_REPORT
from tests.support import coverage_marks, example_report_score

LIAISON = 40001


@pytest.fixture
async def running(config, scorer):
    from kaohe.services import Services

    api = LocalBotApi()
    api.start()
    cfg = replace(config, api_url=api.api_url)
    services = Services(cfg, scorer=scorer)
    app = build_application(cfg, api.token, services=services)
    await start_polling(app)
    yield api, services
    await stop_polling(app)
    services.close()
    api.stop()


def final_text(api, chat_id):
    return api.messages(chat_id)[-1]["text"]


async def test_liaison_binds_uploads_example_report_and_reads_score(running):
    api, services = running
    default_menu = api.commands.get("default") or next(iter(api.commands.values()))
    assert {c["command"] for c in default_menu} >= {"start", "bind", "help"}

    api.send_text(LIAISON, "/start SFJ2026", first_name="王联络")
    await api.wait_for_async(lambda a: "绑定成功" in (a.get("text") or ""))
    assert "市司法局" in final_text(api, LIAISON)

    since = len(api.sent)
    api.send_document(LIAISON, EXAMPLE_REPORT.read_bytes(), EXAMPLE_REPORT.name)
    await api.wait_for_async(lambda a: "初步等次" in (a.get("text") or ""), timeout=30, since=since)
    methods = [a["method"] for a in api.sent[since:]]
    assert "sendChatAction" in methods and "editMessageText" in methods
    reply = "\n".join(m["text"] for m in api.messages(LIAISON)[-2:])
    assert "已接收自查材料（回执）" in reply and "校验码" in reply
    for mark in coverage_marks(example_report_score(services.scorer, EXAMPLE_REPORT)):
        assert mark in reply
    assert "❌ 严格程序行政" in reply and "⚠️ 领导水平" in reply  # the example is written so
    stored = services.store.unit_score("sfj")
    assert f"初步得分：{fmt_points(stored['total'])} / 100" in reply
    assert f"初步等次：{stored['grade']}" in reply
    assert services.store.submissions("sfj")[0]["file_name"] == EXAMPLE_REPORT.name
    assert any(scope.startswith("chat") and str(LIAISON) in scope for scope in api.commands)


async def test_refused_file_over_http_records_nothing(running):
    api, services = running
    api.send_text(LIAISON, "/bind SFJ2026")
    await api.wait_for_async(lambda a: "绑定成功" in (a.get("text") or ""))
    api.send_document(LIAISON, bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 600, "旧版.doc")
    await api.wait_for_async(lambda a: "未能接收" in (a.get("text") or ""), timeout=20)
    assert ".docx" in final_text(api, LIAISON)
    assert services.store.counts()["submissions"] == 0


def test_python_m_bot_with_token_polls_the_configured_bot_api(tmp_path):
    """The real entry point: token and TELEGRAM_API_URL from the environment, run_polling."""
    import os
    import signal
    import subprocess
    import sys

    from tests.conftest import ROOT

    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    config_path = tmp_path / "office.toml"
    config_path.write_text(text.replace('dir = "data"', f'dir = "{tmp_path / "store"}"'), encoding="utf-8")
    with LocalBotApi() as api:
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_URL": api.api_url}
        proc = subprocess.Popen([sys.executable, "-m", "bot", "--config", str(config_path)],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            api.send_text(LIAISON, "/start GXQ2026")
            action = api.wait_for(lambda a: "绑定成功" in (a.get("text") or ""), timeout=60)
            assert "高新技术产业开发区" in action["text"] and "2026年12月20日" in action["text"]
        finally:
            proc.send_signal(signal.SIGINT)
            output = proc.communicate(timeout=30)[0].decode()
        assert proc.returncode == 0, output
        assert (tmp_path / "store" / "kaohe.db").exists()


async def test_file_the_bot_api_refuses_to_hand_over_is_reported_too_large(running):
    api, services = running
    api.send_text(LIAISON, "/bind SFJ2026")
    await api.wait_for_async(lambda a: "绑定成功" in (a.get("text") or ""))
    api.max_download_bytes = 1000  # like the cloud's 20 MB limit, scaled down
    api.send_document(LIAISON, EXAMPLE_REPORT.read_bytes(), EXAMPLE_REPORT.name)
    await api.wait_for_async(lambda a: "上限" in (a.get("text") or ""), timeout=20)
    assert "未接收" in final_text(api, LIAISON) and "拆成几个文件" in final_text(api, LIAISON)
    assert services.store.counts()["submissions"] == 0


def _run_bot(tmp_path, api, token: str, level: str):
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    config_path = tmp_path / "office.toml"
    config_path.write_text(text.replace('dir = "data"', f'dir = "{tmp_path / "store"}"'), encoding="utf-8")
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_URL": api.api_url, "LOG_LEVEL": level}
    return subprocess.Popen([sys.executable, "-m", "bot", "--config", str(config_path)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_a_rejected_token_is_said_in_chinese_and_never_printed(tmp_path):
    with LocalBotApi() as api:
        token = "123456789:" + "Wx" * 17 + "W"  # the shape of a real token, built here
        proc = _run_bot(tmp_path, api, token, "DEBUG")
        output = proc.communicate(timeout=60)[0].decode()
    assert proc.returncode == 3 and "拒绝了这个 TELEGRAM_BOT_TOKEN，请核对令牌" in output
    assert token not in output and "Traceback" not in output


def test_debug_logs_hold_neither_the_token_nor_the_materials(tmp_path):
    import signal

    with LocalBotApi() as api:
        proc = _run_bot(tmp_path, api, api.token, "DEBUG")
        try:
            api.send_text(LIAISON, "/start SFJ2026")
            api.wait_for(lambda a: "绑定成功" in (a.get("text") or ""), timeout=60)
            api.send_document(LIAISON, EXAMPLE_REPORT.read_bytes(), EXAMPLE_REPORT.name)
            api.wait_for(lambda a: "回执" in (a.get("text") or ""), timeout=60)
        finally:
            proc.send_signal(signal.SIGINT)
            output = proc.communicate(timeout=30)[0].decode()
    assert "DEBUG" in output  # the level was on
    assert api.token not in output
    from parsers import parse_document

    sentences = [p.text[:20] for p in parse_document(EXAMPLE_REPORT.read_bytes(), EXAMPLE_REPORT.name).paragraphs
                 if len(p.text) >= 20]
    assert sentences and not [s for s in sentences if s in output]
