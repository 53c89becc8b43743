"""Handlers through Application.process_update with an offline Bot API: what the user reads."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from kaohe.fmt import fmt_points
from tests.conftest import BEFORE_DEADLINE, EXAMPLE_REPORT
from tests.support import coverage_marks, example_report_score, message_update, small_docx

LIAISON, STRANGER, ADMIN = 30001, 30002, 10001
AFTER_DEADLINE = datetime(2026, 12, 16, 2, 0, tzinfo=timezone.utc)


async def test_stranger_is_told_how_to_get_a_code(chat):
    reply = await chat.send(STRANGER, "/start")
    assert "/bind 邀请码" in reply and "考核办" in reply
    assert "邀请码" in await chat.send(STRANGER, "你好")


async def test_bind_by_start_deep_link_and_by_bind(chat):
    reply = await chat.send(LIAISON, "/start SFJ2026")
    assert "绑定成功" in reply and "市司法局" in reply
    assert "2026年12月15日 18:00" in reply and "还有 21 天" in reply
    assert chat.services.store.person(LIAISON)["unit_id"] == "sfj"
    scopes = [p.get("scope") for p in chat.request.sent("setMyCommands")]
    assert any(str(LIAISON) in str(scope) for scope in scopes)
    reply = await chat.send(LIAISON, "/bind dcq2026")
    assert "东城区" in reply and "改绑" in reply and "2026年12月20日" in reply


async def test_wrong_or_missing_code(chat):
    assert "邀请码“NOPE”无效" in await chat.send(STRANGER, "/bind NOPE")
    assert "/bind SFJ2026" in await chat.send(STRANGER, "/bind")
    assert chat.services.store.person(STRANGER) is None


async def test_help_differs_by_role(chat):
    assert "未绑定用户" in await chat.send(STRANGER, "/help")
    await chat.send(LIAISON, "/bind SFJ2026")
    liaison_help = await chat.send(LIAISON, "/help")
    assert "单位联络员" in liaison_help and ".docx" in liaison_help
    assert "考核办" in await chat.send(ADMIN, "/help")


async def test_upload_of_example_report_gets_receipt_coverage_score(chat):
    await chat.send(LIAISON, "/bind SFJ2026")
    reply = await chat.upload(LIAISON, EXAMPLE_REPORT.name, EXAMPLE_REPORT.read_bytes())
    assert "已接收自查材料（回执）" in reply
    assert f"《{EXAMPLE_REPORT.name}》（Word 文档）" in reply and "校验码" in reply
    assert "按时提交" in reply
    assert "初步得分" in reply and "初步等次" in reply
    assert "✅ 立项督查（核心）" in reply and "❌ 严格程序行政" in reply and "⚠️ 领导水平" in reply
    expected = example_report_score(chat.services.scorer, EXAMPLE_REPORT)
    assert all(mark in reply for mark in coverage_marks(expected))
    assert f"初步得分：{fmt_points(expected.total)} / 100" in reply and f"初步等次：<b>{expected.grade}</b>" in reply
    assert "证据：《sfj_self_check_2026.docx》第" in reply
    assert "还缺什么" in reply
    actions = [name for name, _ in chat.request.calls]
    assert "sendChatAction" in actions and "editMessageText" in actions
    assert len(chat.services.store.submissions("sfj")) == 1


async def test_same_bytes_twice_is_recognised_and_counted_once(chat):
    await chat.send(LIAISON, "/bind SFJ2026")
    data = EXAMPLE_REPORT.read_bytes()
    first = await chat.upload(LIAISON, "a.docx", data)
    second = await chat.upload(LIAISON, "copy.docx", data)
    assert "此前已提交过" in second and "不重复计入" in second
    total = first.split("初步得分：")[1].split(" ")[0]
    assert f"初步得分：{total} " in second
    assert len(chat.services.store.submissions("sfj")) == 1


async def test_late_upload_is_accepted_and_flagged(chat):
    await chat.send(LIAISON, "/bind SFJ2026")
    chat.app.bot_data.clock = lambda: AFTER_DEADLINE
    reply = await chat.upload(LIAISON, EXAMPLE_REPORT.name, EXAMPLE_REPORT.read_bytes())
    assert "逾期提交" in reply
    assert chat.services.store.submissions("sfj")[0]["late"] == 1


@pytest.mark.parametrize("file_name, data, expected", [
    ("自查报告.doc", bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 600, ".docx"),
    ("自查报告.docx", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "照片"),
    ("空文件.pdf", b"", "没有"),
    ("损坏.pdf", b"%PDF-1.7\n" + b"garbage" * 50, "损坏"),
    ("表格.xlsx", b"PK\x03\x04" + b"\0" * 100, ".docx"),
])
async def test_refusals_reply_in_chinese_and_record_nothing(chat, file_name, data, expected):
    await chat.send(LIAISON, "/bind SFJ2026")
    before = chat.services.store.counts()
    reply = await chat.upload(LIAISON, file_name, data)
    assert reply.startswith("❌ 未能接收") and "没有记录" in reply
    assert expected in reply
    assert chat.services.store.counts() == before


async def test_upload_before_binding_and_by_staff_is_refused(chat):
    assert "还没有绑定单位" in await chat.upload(STRANGER, "a.docx", EXAMPLE_REPORT.read_bytes())
    reply = await chat.upload(ADMIN, "a.docx", EXAMPLE_REPORT.read_bytes())
    assert "不作为自查材料" in reply and "载入问答吗" in reply
    assert chat.services.store.counts()["submissions"] == 0
    assert chat.services.store.regulations() == []  # only loaded after 作为规定载入 is pressed


async def test_a_file_beyond_the_configured_limits_is_refused_and_nothing_recorded(chat, config):
    from dataclasses import replace

    from parsers import ParseLimits

    await chat.send(LIAISON, "/bind SFJ2026")
    chat.app.bot_data.services.config = replace(config, limits=ParseLimits(max_paragraphs=10))
    reply = await chat.upload(LIAISON, EXAMPLE_REPORT.name, EXAMPLE_REPORT.read_bytes())
    assert "超过了每份材料 10 段的处理上限，本次未接收" in reply
    assert chat.services.store.counts()["submissions"] == 0


async def test_too_large_file_is_refused_before_download(chat, config):
    await chat.send(LIAISON, "/bind SFJ2026")
    chat.app.bot_data.services.config = config.__class__(**{**config.__dict__, "max_file_bytes": 10})
    reply = await chat.upload(LIAISON, "big.docx", EXAMPLE_REPORT.read_bytes())
    assert "超过" in reply and "未接收" in reply
    assert not chat.request.sent("getFile")


def _page_photos(pages: int = 2) -> list[bytes]:
    """Photos of the pages of a short report of our own (PNG renderings at 150 dpi)."""
    import io

    import pypdfium2 as pdfium

    from bench.ingest import make_pdf, report_blocks

    pdf = pdfium.PdfDocument(make_pdf(blocks=report_blocks(2)))
    photos = []
    for i in range(min(pages, len(pdf))):
        out = io.BytesIO()
        pdf[i].render(scale=150 / 72).to_pil().convert("RGB").save(out, format="JPEG", quality=85)
        photos.append(out.getvalue())
    return photos


async def test_a_photo_is_read_by_ocr(chat):
    await chat.send(LIAISON, "/bind SFJ2026")
    photo = _page_photos(1)
    reply = await chat.photos(LIAISON, photo, wait=30)
    assert "已接收自查材料（回执）" in reply and "图片的文字由文字识别（OCR）读出" in reply
    assert chat.services.store.submissions("sfj")[0]["file_type"] == "image"
    import io

    from PIL import Image

    other = io.BytesIO()
    Image.open(io.BytesIO(photo[0])).rotate(180).rotate(180).save(other, format="JPEG", quality=80)
    await chat.photos(LIAISON, [other.getvalue()], wait=30)  # a second photo: a second material
    assert len(chat.services.store.submissions("sfj")) == 2


@pytest.mark.filterwarnings("ignore:Tasks created via `Application.create_task`")  # the fixture's app is not started
async def test_an_album_of_photos_is_one_document_in_order(chat, monkeypatch):
    from bot.handlers import upload

    monkeypatch.setattr(upload, "ALBUM_WAIT_SECONDS", 0.3)
    photos = _page_photos(2)
    assert len(photos) == 2
    await chat.send(LIAISON, "/bind SFJ2026")
    reply = await chat.photos(LIAISON, photos, wait=40)
    assert re.search(r"照片\d+（2张）\.pdf", reply) and "文字识别（OCR）" in reply
    (submission,) = chat.services.store.submissions("sfj")
    assert submission["pages"] == 2
    locations = [p["location"] for p in chat.services.store.unit_paragraphs("sfj")]
    pages = [loc.split("页")[0] for loc in locations]
    assert pages[0] == "第1" and pages[-1] == "第2" and pages == sorted(pages)  # in the order sent


@pytest.mark.filterwarnings("ignore:Tasks created via `Application.create_task`")  # the fixture's app is not started
async def test_an_album_cut_short_by_a_stop_is_read_at_the_next_start(chat, config, services, monkeypatch):
    import asyncio
    import json

    from telegram import Update

    from bot.app import build_application
    from bot.handlers import upload
    from tests.support import eventually

    monkeypatch.setattr(upload, "ALBUM_WAIT_SECONDS", 60)  # the process stops before the album is read
    await chat.send(LIAISON, "/bind SFJ2026")
    for image in _page_photos(2):
        await chat.app.process_update(message_update(chat.app.bot, LIAISON, request=chat.request,
                                                     photo_bytes=image, album="cut-short"))
    assert len(services.unhandled_updates()) == 2  # still owed an answer
    await asyncio.sleep(0)  # the album's waiting tasks have begun
    for task in asyncio.all_tasks():
        if task.get_name() == "album":
            task.cancel()  # the stop
    assert services.store.submissions("sfj") == []

    monkeypatch.setattr(upload, "ALBUM_WAIT_SECONDS", 0.3)
    app = build_application(config, "123:TEST", services=services, rate_limit=False, request=chat.request)
    app.bot_data.clock = lambda: BEFORE_DEADLINE
    await app.initialize()
    try:
        for _, payload in services.unhandled_updates():  # what replay_unhandled queues at a start
            await app.process_update(Update.de_json(json.loads(payload), app.bot))
        await eventually(lambda: [s["pages"] for s in services.store.submissions("sfj")], [2], timeout=60)
        await eventually(lambda: services.unhandled_updates(), [])

        def receipt_given() -> bool:  # the answer follows the record: wait for it too
            replies = [p["text"] for p in chat.request.sent("editMessageText") + chat.request.sent("sendMessage")]
            return any(re.search(r"照片\d+（2张）\.pdf", t) and "已接收自查材料（回执）" in t for t in replies)

        await eventually(receipt_given, True, timeout=30)
    finally:
        await app.shutdown()


async def test_staff_photos_are_not_filed_as_material(chat):
    assert "本文件未接收" in await chat.photos(ADMIN, _page_photos(1), wait=2)


async def test_internal_error_gives_a_chinese_reply_not_a_traceback(chat, monkeypatch):
    await chat.send(LIAISON, "/bind SFJ2026")

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(chat.services.store, "record_submission", broken)
    reply = await chat.upload(LIAISON, EXAMPLE_REPORT.name, EXAMPLE_REPORT.read_bytes())
    assert "内部错误" in reply and "disk on fire" not in reply
    assert chat.services.store.counts()["submissions"] == 0
    # The office hears of it (what failed and the kind of error, not the details) …
    alerts = [p for p in chat.request.sent("sendMessage") if p["chat_id"] == ADMIN]
    assert len(alerts) == 1 and "处理上传的材料时出现内部错误（RuntimeError）" in alerts[0]["text"]
    assert "disk on fire" not in alerts[0]["text"]
    # … once in a while: a second error soon after is counted, and named in the next alert.
    await chat.upload(LIAISON, "另一份.docx", small_docx("全年办结立项督查事项12项。"))
    assert len([p for p in chat.request.sent("sendMessage") if p["chat_id"] == ADMIN]) == 1
    chat.app.bot_data.last_alert -= 601
    await chat.upload(LIAISON, "第三份.docx", small_docx("全年办结立项督查事项13项。"))
    alerts = [p for p in chat.request.sent("sendMessage") if p["chat_id"] == ADMIN]
    assert "此前还有 1 次内部错误未逐条提示" in alerts[-1]["text"]


@pytest.mark.parametrize("corpus_file, expected", [
    ("14_encrypted_aes256_pw_foo.pdf", "密码"),
])
async def test_real_refused_files_reply_and_record_nothing(chat, corpus_file, expected):
    from tests.conftest import CORPUS

    path = CORPUS / corpus_file
    if not path.exists():
        pytest.skip(f"{path} is not available")
    await chat.send(LIAISON, "/bind SFJ2026")
    before = chat.services.store.counts()
    reply = await chat.upload(LIAISON, corpus_file, path.read_bytes())
    assert reply.startswith("❌ 未能接收") and expected in reply
    assert chat.services.store.counts() == before
    assert not any(p.is_file() for p in chat.services.store.files.root.rglob("*"))


async def test_scanned_pages_inside_a_text_pdf_are_named_in_the_receipt(chat, tmp_path):
    from PIL import Image
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    picture = tmp_path / "scan.png"
    Image.new("RGB", (200, 200), "white").save(picture)
    path = tmp_path / "mixed.pdf"
    pdf = canvas.Canvas(str(path))
    pdf.setFont("STSong-Light", 11)
    pdf.drawString(60, 760, "全年承担立项督查事项12项，已办结销号11项，办结率91.7%。")
    pdf.showPage()
    pdf.drawImage(str(picture), 60, 500, 200, 200)
    pdf.showPage()
    pdf.save()
    await chat.send(LIAISON, "/bind SFJ2026")
    reply = await chat.upload(LIAISON, "mixed.pdf", path.read_bytes())
    assert "已接收自查材料（回执）" in reply and "内容：2 页" in reply
    assert "⚠️ 注意：第2页没有文字层" in reply


async def test_a_file_unrelated_to_the_indicators_is_accepted_with_a_warning(chat):
    await chat.send(LIAISON, "/bind SFJ2026")
    reply = await chat.upload(LIAISON, "菜单.txt", "午餐：米饭、青菜、豆腐汤。\n\n晚餐：面条。".encode())
    assert "已接收自查材料（回执）" in reply
    assert "没有找到与考核指标相关的内容" in reply
    good = await chat.upload(LIAISON, EXAMPLE_REPORT.name, EXAMPLE_REPORT.read_bytes())
    assert "没有找到与考核指标相关的内容" not in good


VETO_REPORT = small_docx(
    "今年5月，我市某在建工地发生1起重大安全责任事故，造成3人死亡，我局负有监管责任。",
    "全年完成城镇老旧小区改造126个，惠及居民2.3万户，完成率100%，较上年提高12个百分点。")
RULE_ONLY_REPORT = small_docx(
    "严格落实安全生产“一票否决”制度，全年开展安全生产执法检查312次，查处违法行为86起，约谈企业负责人12人，"
    "全年未发生重大安全责任事故。",
    "全年完成城镇老旧小区改造126个，惠及居民2.3万户，完成率100%，较上年提高12个百分点。")


async def test_a_veto_says_why_in_the_receipt_the_score_answer_and_the_overview(chat):
    await chat.send(LIAISON, "/bind SFJ2026")
    reply = await chat.upload(LIAISON, "自查报告.docx", VETO_REPORT)
    why = "《自查报告.docx》第1段：“今年5月，我市某在建工地发生1起重大安全责任事故，造成3人死亡，我局负有监管责任。”"
    assert f"⛔ 一票否决：等次按不合格计。{why}（待考核办核实）" in reply
    assert "初步等次：<b>不合格</b>" in reply
    assert "违规失职</b>（待考核办核实）：0 项，−0 分" in reply and f"⛔ 否决情形 {why}" in reply
    answer = await chat.send(LIAISON, "我们单位多少分")
    assert "初步等次：不合格" in answer and f"⛔ 等次为不合格，因为一票否决：{why}" in answer
    overview = await chat.send(ADMIN, "/overview")
    assert "不合格（⛔ 一票否决：《自查报告.docx》第1段" in overview


async def test_the_change_summary_names_a_grade_change_the_total_does_not_show(chat):
    await chat.send(LIAISON, "/bind SFJ2026")
    await chat.upload(LIAISON, EXAMPLE_REPORT.name, EXAMPLE_REPORT.read_bytes())
    before = chat.services.score_row("sfj")
    veto = small_docx("今年5月，我市某在建工地发生1起重大安全责任事故，造成3人死亡，我局负有监管责任。")
    reply = await chat.upload(LIAISON, "情况说明.docx", veto)
    after = chat.services.score_row("sfj")
    assert after["grade"] == "不合格" and before["grade"] != "不合格"
    points = f"得分：{fmt_points(before['total'])} → {fmt_points(after['total'])}"
    assert points in reply and f"等次：{before['grade']} → <b>不合格</b>" in reply


async def test_a_rule_supervising_others_and_zero_accidents_are_no_veto_or_deduction(chat):
    await chat.send(LIAISON, "/bind SFJ2026")
    reply = await chat.upload(LIAISON, "自查报告.docx", RULE_ONLY_REPORT)
    assert "一票否决" not in reply.replace("“一票否决”制度", "") and "违规失职</b>" not in reply
    score = chat.services.store.unit_score("sfj")
    assert not score["vetoed"] and score["deduction"] == 0


# ---- input checks --------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["？", "👍", "1", "…… ", "3？"])
async def test_a_message_with_nothing_to_look_up_is_asked_to_be_written_out(chat, text):
    await chat.send(LIAISON, "/bind SFJ2026")
    reply = await chat.send(LIAISON, text)
    assert "请用文字写出您的问题" in reply and "依据" not in reply


@pytest.mark.parametrize("extra", [
    {"sticker": {"file_id": "s1", "file_unique_id": "s1", "width": 512, "height": 512,
                 "is_animated": False, "is_video": False, "type": "regular"}},
    {"voice": {"file_id": "v1", "file_unique_id": "v1", "duration": 3}},
    {"location": {"latitude": 39.9, "longitude": 116.4}},
    {"contact": {"phone_number": "010-12345678", "first_name": "张"}},
    {"video": {"file_id": "d1", "file_unique_id": "d1", "width": 10, "height": 10, "duration": 2}},
])
async def test_every_kind_of_message_gets_a_reply(chat, extra):
    await chat.send(LIAISON, "/bind SFJ2026")
    assert "暂时只能处理文字和文件" in await chat.send(LIAISON, extra=extra)


async def test_a_command_for_another_bot_is_not_answered(chat):
    assert await chat.send(LIAISON, "/nosuch@other_bot") == ""
    assert "没有这个命令" in await chat.send(LIAISON, "/nosuch")


async def test_a_deadline_years_away_is_refused_before_anyone_is_told(chat):
    reply = await chat.send(ADMIN, "/deadline 1 9999年12月31日 18:00")
    assert "距今超过一年，请检查年份" in reply and "确认发送" not in reply  # no draft to confirm


async def test_a_revoke_number_too_long_to_be_one_is_explained(chat):
    reply = await chat.send(ADMIN, "/review 市司法局 撤销 99999999999999999999999 理由充分")
    assert "请写要撤销的调整编号" in reply and "内部错误" not in reply


# ---- roles and invite codes ----------------------------------------------------------------


async def test_staff_cannot_bind_as_a_liaison(chat):
    reply = await chat.send(ADMIN, "/bind SFJ2026")
    assert "不能同时绑定为单位联络员" in reply
    assert chat.services.store.person(ADMIN) is None and chat.services.role_of(ADMIN) == "admin"


async def test_repeated_wrong_codes_are_slowed_down_politely(chat):
    from datetime import timedelta

    for n in range(5):
        assert "邀请码“WRONG" in await chat.send(STRANGER, f"/bind WRONG{n}")
    reply = await chat.send(STRANGER, "/bind SFJ2026")  # even the right one waits now
    assert "输错次数较多，请 10 分钟后再试" in reply and chat.services.store.person(STRANGER) is None
    chat.app.bot_data.clock = lambda: BEFORE_DEADLINE + timedelta(minutes=11)
    assert "绑定成功" in await chat.send(STRANGER, "/bind SFJ2026")


async def test_the_same_update_delivered_twice_acts_once(chat):
    await chat.send(LIAISON, "/bind SFJ2026")
    await chat.upload(LIAISON, EXAMPLE_REPORT.name, EXAMPLE_REPORT.read_bytes())
    update = message_update(chat.app.bot, ADMIN, "/review 市司法局 领导水平 5 调研报告2篇已在现场核实",
                            request=chat.request)
    start = len(chat.request.calls)
    await chat.app.process_update(update)
    await chat.app.process_update(update)  # Telegram redelivers it after a restart
    replies = [p["text"] for name, p in chat.request.calls[start:] if name == "sendMessage"]
    assert len(replies) == 1 and "领导水平" in replies[0]
    assert len(chat.services.store.adjustments("sfj")) == 1


async def test_record_numbers_too_long_or_not_ascii_are_no_such_record(chat):
    for number in ("99999999999999999999999", "²", "１２", "例99999999999999999999"):
        reply = await chat.send(ADMIN, f"/faq 删除 {number}")
        assert "内部错误" not in reply and "发送 /faq 查看现有编号" in reply
    assert "请写要撤销的调整编号" in await chat.send(ADMIN, "/review 市司法局 撤销 ² 理由充分")


async def test_a_legacy_doc_is_read_and_scored_as_its_docx_twin(chat, services, scorer):
    from tests.conftest import CORPUS

    doc, twin = CORPUS / "05_std_explanation_part1.doc", CORPUS / "04_std_explanation_part1.docx"
    if not doc.exists():
        pytest.skip(f"{doc} is not available")
    await chat.send(LIAISON, "/bind SFJ2026")
    reply = await chat.upload(LIAISON, doc.name, doc.read_bytes())
    assert "已接收自查材料（回执）" in reply and "旧版 Word/WPS 文档" in reply
    as_doc = services.score_row("sfj")["total"]
    submission = services.store.submissions("sfj")[0]
    services.withdraw("sfj", submission["id"], LIAISON)
    await chat.upload(LIAISON, twin.name, twin.read_bytes())
    assert services.score_row("sfj")["total"] == as_doc
    assert services.store.submissions("sfj")[0]["paragraph_count"] == submission["paragraph_count"]


async def test_a_scanned_report_is_read_by_ocr_and_scored_with_its_pages(chat):
    from bench.ingest import make_pdf, make_scan, report_blocks

    blocks = [b for b in report_blocks(3) if "督查" in b[1] or "办结" in b[1]][:6]
    scan = make_scan(make_pdf(blocks=blocks))
    await chat.send(LIAISON, "/bind SFJ2026")
    reply = await chat.upload(LIAISON, "自查报告（盖章扫描件）.pdf", scan)
    steps = [p["text"] for p in chat.request.sent("editMessageText")]
    assert any("这是扫描件，正在识别文字：第 1/" in t for t in steps)  # the ⏳ message follows the pages
    assert "已接收自查材料（回执）" in reply
    assert "由文字识别（OCR）读出，识别置信度" in reply
    assert "立项督查" in reply
    evidence = chat.services.store.evidence("sfj")
    assert evidence and all(e["location"].startswith("第") and "页" in e["location"] for e in evidence)  # by page


async def test_the_corpus_english_scan_is_read_and_matches_no_indicator(chat):
    from tests.conftest import CORPUS

    path = CORPUS / "16_scanned_image_only.pdf"
    if not path.exists():
        pytest.skip(f"{path} is not available")
    await chat.send(LIAISON, "/bind SFJ2026")
    reply = await chat.upload(LIAISON, path.name, path.read_bytes())
    assert "已接收自查材料（回执）" in reply and "文字识别（OCR）" in reply
    assert "没有找到与考核指标相关的内容" in reply  # English: the bot says it is probably the wrong file


async def test_an_english_question_gets_the_deadline_or_is_asked_in_chinese(chat):
    await chat.send(LIAISON, "/bind SFJ2026")
    deadline = await chat.send(LIAISON, "hello, what is the deadline?")
    assert "市司法局的截止时间" in deadline and "自查材料提交" in deadline
    other = await chat.send(LIAISON, "how is the effect score calculated?")
    assert "请用中文提问" in other and "第" not in other.split("（")[0]  # no unrelated clause quoted
    assert "市司法局还没有提交材料，暂无初步得分" in await chat.send(LIAISON, "what is our score?")


async def test_the_stored_character_count_is_the_one_the_receipt_gave(chat):
    await chat.send(LIAISON, "/bind SFJ2026")
    reply = await chat.upload(LIAISON, EXAMPLE_REPORT.name, EXAMPLE_REPORT.read_bytes())
    told = int(re.search(r"段，([\d,]+) 字", reply).group(1).replace(",", ""))
    assert chat.services.store.submissions("sfj")[0]["chars"] == told
