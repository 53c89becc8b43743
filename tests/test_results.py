"""Scores a liaison and the office can trust, through the real polling loop and the local HTTP
Bot API: /score with evidence buttons, versions and withdrawals, the office's review with
reasons, bonuses, vetoes and the lock that sends 结果反馈, and the 社会评价 import."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import datetime

import openpyxl
import pytest

from bot.app import build_application, start_polling, stop_polling
from bot.handlers.results import _button_screen
from bot.local import LocalBotApi
from kaohe.fmt import fmt_points
from tests.conftest import EXAMPLE_REPORT
from tests.support import eventually, running_bot, small_docx
from tests.test_ask import TZ

ADMIN, LIAISON, OTHER = 10001, 50001, 50002
BEFORE = datetime(2026, 12, 1, 10, 0, tzinfo=TZ)
AFTER = datetime(2026, 12, 16, 10, 0, tzinfo=TZ)  # 市直部门 deadline 12-15 18:00

SUPERVISION = ("全年承担市委市政府立项督查事项12项，建立督查事项台账，实行清单化管理，"
               "已办结销号11项，办结率91.7%。")
PROCEDURE = ("对重大行政决策全部开展专家论证和风险评估，经法律顾问合法性审查后集体讨论决定；"
             "全年主动公开政府信息420条，依申请公开按期答复率100%。")



class Clock:
    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
async def bot(config, scorer):
    clock = Clock(BEFORE)
    weighted = replace(config, scoring=replace(config.scoring, social_weight=0.2))
    async with running_bot(weighted, scorer, clock, {LIAISON: "SFJ2026", OTHER: "FGW2026"}) as (api, svc, _):
        yield api, svc, clock


async def say(api, chat, text, expect, timeout=20):
    since = len(api.sent)
    api.send_text(chat, text)
    return await api.wait_for_async(
        lambda a: a["chat_id"] == chat and expect in (a.get("text") or ""), timeout=timeout, since=since)


async def upload(api, chat, name, data, expect="本单位共提交"):
    since = len(api.sent)
    api.send_document(chat, data, name)
    return await api.wait_for_async(
        lambda a: a["chat_id"] == chat and a["method"] == "editMessageText"
        and expect in (a.get("text") or ""), timeout=30, since=since)


async def press(api, chat, message, data, expect):
    """Press a button; return the edited message (or new message) holding ``expect``."""
    since = len(api.sent)
    api.press_button(chat, message["message_id"], data)
    return await api.wait_for_async(
        lambda a: a["chat_id"] == chat and a["method"] in ("editMessageText", "sendMessage")
        and expect in (a.get("text") or ""), since=since)


async def alert(api, chat, message, data):
    since = len(api.sent)
    api.press_button(chat, message["message_id"], data)
    return await api.wait_for_async(lambda a: a["method"] == "answerCallbackQuery", since=since)


def buttons(message) -> list[str]:
    markup = message.get("reply_markup") or {}
    if isinstance(markup, str):
        markup = json.loads(markup)
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


async def test_score_shows_every_indicator_and_its_evidence_only_for_the_own_unit(bot):
    api, svc, _ = bot
    await upload(api, LIAISON, EXAMPLE_REPORT.name, EXAMPLE_REPORT.read_bytes())
    screen = await say(api, LIAISON, "/score", "各项指标")
    row = svc.store.unit_score("sfj")
    assert f"初步得分：{fmt_points(row['total'])} / 100" in screen["text"]
    assert "基础分 + 效果分" in screen["text"] and "社会评价 未导入（占 20%）" in screen["text"]
    assert "sc:sfj:lxdc" in buttons(screen) and "sc:sfj:_add" in buttons(screen)

    detail = await press(api, LIAISON, screen, "sc:sfj:lxdc", "得分依据")
    text = detail["text"]
    assert "《sfj_self_check_2026.docx》第" in text and "段：“" in text  # file, paragraph, sentence
    assert "关键词：" in text and "成效数据" in text and "完成率" in text
    evidence = svc.store.evidence("sfj", "lxdc")
    assert evidence[0]["location"] in text
    assert buttons(detail) == ["sc:sfj:qtfdzz", "sc:sfj"]  # ▶ and back (no ◀ on the first)
    back = await press(api, LIAISON, detail, "sc:sfj", "各项指标")
    missing = await press(api, LIAISON, back, "sc:sfj:yqcx", "还缺什么")
    assert "未见“严格程序行政”的相关材料" in missing["text"]
    assert buttons(missing)[:2] == ["sc:sfj:jqzd", "sc:sfj:zfjd"]  # ◀ ▶
    # 领导水平 rests on a paragraph with nothing checkable: it counts as part of one, and says so.
    back = await press(api, LIAISON, missing, "sc:sfj", "各项指标")
    thin = await press(api, LIAISON, back, "sc:sfj:ldsp", "得分依据")
    ldsp = next(r for r in svc.store.indicator_scores("sfj") if r["indicator_id"] == "ldsp")
    assert f"2 段材料，折合 {ldsp['base'] / 5.4 * 2:.1f} 段完整材料，满分需 2 段）" in thin["text"]
    assert "没有可核实的数字或文件名" in thin["text"]

    # Another unit's liaison sees only their own unit, even with a forged button.
    other = await say(api, OTHER, "/score", "还没有提交材料")
    assert "市司法局" not in other["text"]
    screen, note = _button_screen(svc, OTHER, "sc:sfj:lxdc", BEFORE)
    assert screen is None and note == "只能查看本单位的得分。"
    screen, note = _button_screen(svc, OTHER, "rv:sfj", BEFORE)
    assert screen is None and note == "仅考核办可以审核。"
    screen, note = _button_screen(svc, LIAISON, "sc:sfj:_lockyes", BEFORE)  # own unit, still no
    assert screen is None and note == "仅考核办可以锁定结果。" and not svc.store.is_locked("sfj")


async def test_a_new_version_shows_what_changed_and_a_withdrawal_is_refused_after_the_deadline(bot):
    api, svc, clock = bot
    first = await upload(api, LIAISON, "自查报告.docx", small_docx(SUPERVISION))
    assert "第2版" not in first["text"]
    second = await upload(api, LIAISON, "自查报告.docx", small_docx(SUPERVISION, PROCEDURE))
    text = second["text"]
    assert "版本：第2版，替换《自查报告.docx》第1版" in text
    # Answered uploads leave nothing pending (cleared just after the reply goes out).
    await eventually(svc.store.interrupted_uploads, [])
    assert "新增覆盖：严格程序行政" in text and "仍缺：" in text
    before = svc.store.audit_entries("sfj")[-1]
    assert before["action"] == "submit" and json.loads(before["detail"])["version"] == 2
    assert len(svc.store.submissions("sfj")) == 1
    assert len(svc.store.submissions("sfj", include_history=True)) == 2

    files = await say(api, LIAISON, "/files", "本单位当前材料（1 份）")
    assert "第2版" in files["text"] and "已被新版本替换" in files["text"]
    current = svc.store.submissions("sfj")[0]
    confirm = await press(api, LIAISON, files, f"fl:w:{current['id']}", "确认撤回")
    done = await press(api, LIAISON, confirm, f"fl:wy:{current['id']}", "已撤回")
    assert "不再覆盖：立项督查、严格程序行政" in done["text"]
    assert svc.store.submission_count("sfj") == 0
    assert not svc.store.has_submitted("sfj", "自查材料提交")

    # After the deadline: a new file is accepted and flagged; withdrawing is refused.
    clock.at = AFTER
    late = await upload(api, LIAISON, "补充材料.docx", small_docx(SUPERVISION))
    assert "逾期提交" in late["text"]
    files = await say(api, LIAISON, "/files", "本单位当前材料（1 份）")
    assert "不能再撤回" in files["text"] and not any(b.startswith("fl:w:") for b in buttons(files))
    sub = svc.store.submissions("sfj")[0]
    answer = await alert(api, LIAISON, files, f"fl:r:{sub['id']}")
    assert answer["text"] == "请发送新文件"
    # The armed replacement applies to the next upload, whatever its name.
    renamed = await upload(api, LIAISON, "补充材料（修改）.docx", small_docx(SUPERVISION, PROCEDURE))
    assert "替换《补充材料.docx》第1版" in renamed["text"] and "逾期提交" in renamed["text"]


async def test_the_office_reviews_with_reasons_and_locking_sends_the_result(bot):
    api, svc, _ = bot
    await upload(api, LIAISON, EXAMPLE_REPORT.name, EXAMPLE_REPORT.read_bytes())
    auto = svc.store.unit_score("sfj")["total"]
    screen = await say(api, ADMIN, "/review 市司法局", "考核审核")
    assert "rv:sfj:_lock" in buttons(screen) and "rv:sfj:lxdc" in buttons(screen)
    page = await press(api, ADMIN, screen, "rv:sfj:lxdc", "得分依据")
    assert "/review 市司法局 立项督查 分数 理由" in page["text"]

    # Bad commands change nothing and say how to write them.
    for command, says in (("/review 市司法局 立项督查 30 超出", "应在 0–25 之间"),
                          ("/review 市司法局 立项督查 20", "请写明理由"),
                          ("/review 市司法局 宣传工作 3 理由充分", "没有名为“宣传工作”的指标"),
                          ("/review 不存在局", "没有找到“不存在局”")):
        reply = await say(api, ADMIN, command, says)
        assert "⚠️" in reply["text"] or "没有找到" in reply["text"]
    assert svc.store.adjustments("sfj") == []

    done = await say(api, ADMIN, "/review 市司法局 立项督查 20 有1项督办事项年底前未办结", "已记录")
    lxdc_auto = next(r for r in svc.store.indicator_scores("sfj") if r["indicator_id"] == "lxdc")
    assert lxdc_auto["final"] == 20 and lxdc_auto["reason"] == "有1项督办事项年底前未办结"
    after = svc.store.unit_score("sfj")["total"]
    # No social score imported yet: the indicator points count in full.
    assert after == pytest.approx(auto - (lxdc_auto["base"] + lxdc_auto["effect"] - 20))
    assert f"初步得分：{fmt_points(after)} / 100" in done["text"]
    entry = svc.store.audit_entries("sfj")[-1]
    detail = json.loads(entry["detail"])
    assert entry["action"] == "adjust" and entry["actor"] == str(ADMIN)
    assert detail["before"]["total"] == auto and detail["after"]["total"] == after

    none = await say(api, ADMIN, "/review 市司法局 加分 无 材料所列奖项经核实为系统内表彰", "已记录")
    assert "已记录：争优创新 核定无加分" in none["text"]
    cut = await say(api, ADMIN, "/review 市司法局 扣分 2 12月被市政府督查通报一次", "已记录")
    assert "已记录：违规失职 扣分 2 分" in cut["text"]
    result = svc.results.current("sfj")
    assert result.bonus == 0 and result.deduction == 2 and result.office_bonus
    liaison_view = await say(api, LIAISON, "/score", "各项指标")
    assert "考核办核定 <b>20</b>" in liaison_view["text"]

    # Lock: confirm, the liaison gets 结果反馈 through the ledger, further changes are refused.
    screen = await say(api, ADMIN, "/review 市司法局", "考核审核")
    confirm = await press(api, ADMIN, screen, "rv:sfj:_lock", "确认锁定")
    since = len(api.sent)
    api.press_button(ADMIN, confirm["message_id"], "rv:sfj:_lockyes")
    feedback = await api.wait_for_async(
        lambda a: a["chat_id"] == LIAISON and "结果反馈" in (a.get("text") or ""), since=since)
    assert "考核办核定：有1项督办事项年底前未办结" in feedback["text"]
    assert f"考核结果：{fmt_points(svc.store.unit_score('sfj')['total'])} / 100" in feedback["text"]
    assert svc.store.is_locked("sfj")
    status = await say(api, LIAISON, "/status", "本单位提交情况")
    assert "考核结果（已锁定）" in status["text"] and "初步得分" not in status["text"]
    # The indicator lines carry the office's decision, the total says what else it holds, and
    # nothing invites an upload that would be refused.
    assert "立项督查（核心） 20/25 分（已覆盖，考核办核定）" in status["text"]
    assert "总分构成：指标得分" in status["text"] and "违规失职 −2" in status["text"]
    assert "补充后直接发送新文件" not in status["text"] and "/appeal" in status["text"]
    answer = await say(api, LIAISON, "我们单位多少分", "考核结果")
    assert "考核办已审核并锁定" in answer["text"] and "初步" not in answer["text"]
    assert "缺失指标" not in answer["text"]
    refused = await upload(api, LIAISON, "补充.docx", small_docx(PROCEDURE), expect="未能接收")
    assert "已由考核办锁定" in refused["text"] and "请处理后重新上传" not in refused["text"]
    again = await say(api, ADMIN, "/review 市司法局 立项督查 25 复核", "已锁定")
    assert "解锁" in again["text"]
    await say(api, ADMIN, "/review 市司法局 解锁 申诉复核", "已解锁")
    actions = [e["action"] for e in svc.store.audit_entries("sfj")]
    assert actions[-2:] == ["lock", "unlock"]
    # The feedback was recorded in the ledger once, as sent.
    await eventually(lambda: [r["status"] for r in svc.store.notifications("sfj", kind="result")], ["sent"])


def _survey_xlsx(rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["2026年度社会评价结果"])
    sheet.append(["单位名称", "社会评价得分", "有效问卷"])
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_social_evaluation_import_counts_with_its_weight(bot):
    api, svc, _ = bot
    await upload(api, LIAISON, EXAMPLE_REPORT.name, EXAMPLE_REPORT.read_bytes())
    before = svc.store.unit_score("sfj")

    since = len(api.sent)
    api.send_document(ADMIN, _survey_xlsx([("市司法局", 90, 400), ("未知单位", 80, 10)]), "社会评价.xlsx")
    refused = await api.wait_for_async(lambda a: a["chat_id"] == ADMIN and "未导入" in (a.get("text") or ""),
                                       since=since)
    assert "第4行“未知单位”" in refused["text"]
    assert svc.store.social_scores() == {}

    # A good file is previewed first: what each unit would get, and nothing stored yet.
    since = len(api.sent)
    api.send_document(ADMIN, _survey_xlsx([("市司法局", 90, 400), ("东城区", 85.5, 300)]), "社会评价.xlsx")
    preview = await api.wait_for_async(
        lambda a: a["chat_id"] == ADMIN and "尚未导入" in (a.get("text") or ""), since=since)
    expected = round(before["indicator_total"] * 0.8 + 90 * 0.2 + before["bonus"] - before["deduction"], 2)
    assert f"市司法局：90 分（400 份问卷）；总分 {fmt_points(before['total'])} → {fmt_points(expected)}" in preview["text"]
    assert "东城区：85.5 分（300 份问卷）；尚未提交材料，提交后计入总分" in preview["text"]
    assert "首次导入 2 个" in preview["text"] and "占总分 20%" in preview["text"]
    left_out = [u.name for u in svc.config.units if u.id not in ("sfj", "dcq")]
    assert left_out and "表中没有以下单位：" + "、".join(left_out) in preview["text"]
    assert svc.store.social_scores() == {} and svc.store.unit_score("sfj")["total"] == before["total"]
    yes, no = buttons(preview)
    assert yes.startswith("si:yes:") and no.startswith("si:no:")

    since = len(api.sent)
    api.press_button(ADMIN, preview["message_id"], yes)
    api.press_button(ADMIN, preview["message_id"], yes)  # a double tap imports once
    done = await api.wait_for_async(lambda a: "已导入" in (a.get("text") or ""), since=since)
    assert "2 个单位" in done["text"] and "占总分 20%" in done["text"]
    assert "市司法局：90 分（400 份问卷）" in done["text"]
    assert buttons(done) == []  # the receipt replaces the preview and its buttons
    after = svc.store.unit_score("sfj")
    assert after["total"] == pytest.approx(expected)
    answer = await api.wait_for_async(
        lambda a: a["method"] == "answerCallbackQuery" and "已处理过" in (a.get("text") or ""), since=since)
    assert answer["show_alert"]
    assert len([e for e in svc.store.audit_entries("sfj") if e["action"] == "social_import"]) == 1
    screen = await say(api, LIAISON, "/score", "各项指标")
    assert "社会评价 90 分（占 20%）" in screen["text"]
    entry = [e for e in svc.store.audit_entries("sfj") if e["action"] == "social_import"][-1]
    assert json.loads(entry["detail"])["after"]["total"] == after["total"]
    # 东城区 has no materials: no score is invented; its social score counts from its first upload.
    assert svc.store.unit_score("dcq") is None and svc.store.social_score("dcq")["score"] == 85.5
    svc.ingest("dcq", 7, "东城区自查.docx", small_docx(SUPERVISION, PROCEDURE), BEFORE)
    dcq = svc.store.unit_score("dcq")
    assert dcq["social"] == 85.5
    assert dcq["total"] == pytest.approx(round(dcq["indicator_total"] * 0.8 + 85.5 * 0.2 + dcq["bonus"]
                                               - dcq["deduction"], 2))


async def test_a_survey_preview_can_be_cancelled_and_is_checked_again_on_confirm(bot):
    api, svc, _ = bot
    await upload(api, LIAISON, EXAMPLE_REPORT.name, EXAMPLE_REPORT.read_bytes())
    svc.import_social([("sfj", 80.0, None)], "上次.csv", ADMIN)
    total = svc.store.unit_score("sfj")["total"]

    async def preview_of(rows):
        since = len(api.sent)
        api.send_document(ADMIN, _survey_xlsx(rows), "社会评价复核.xlsx")
        return await api.wait_for_async(
            lambda a: a["chat_id"] == ADMIN and "尚未导入" in (a.get("text") or ""), since=since)

    first = await preview_of([("市司法局", 95, 500)])
    assert "⚠️ 市司法局：80 → 95 分（500 份问卷）" in first["text"] and "变化较大，请核对" in first["text"]
    assert "得分变更 1 个" in first["text"]
    cancelled = await press(api, ADMIN, first, buttons(first)[1], "已取消")
    assert "未导入" in cancelled["text"]
    assert svc.store.social_score("sfj")["score"] == 80 and svc.store.unit_score("sfj")["total"] == total

    second = await preview_of([("市司法局", 82, 500)])
    # Only the office can import, whoever presses the button.
    since = len(api.sent)
    api.press_button(LIAISON, second["message_id"], buttons(second)[0], chat_id=ADMIN)
    answer = await api.wait_for_async(lambda a: a["method"] == "answerCallbackQuery", since=since)
    assert "仅考核办" in answer["text"] and svc.store.social_score("sfj")["score"] == 80
    # The office locks the unit between the preview and 确认导入: the import is refused whole.
    svc.lock("sfj", ADMIN, lambda: "结果反馈")
    refused = await press(api, ADMIN, second, buttons(second)[0], "未导入")
    assert "已锁定" in refused["text"] and svc.store.social_score("sfj")["score"] == 80


async def test_an_add_on_for_a_unit_without_materials_waits_for_its_first_upload(bot):
    api, svc, _ = bot
    done = await say(api, ADMIN, "/review 东城区 扣分 2 督查通报一次", "已记录")
    assert "尚未提交自查材料" in done["text"] and "提交材料后计入" in done["text"]
    assert "不合格" not in done["text"] and svc.store.unit_score("dcq") is None  # not ranked at 0
    screen = await say(api, ADMIN, "/review 东城区", "尚未提交材料")
    assert "#1 扣分 2 分（理由：督查通报一次）" in screen["text"]
    ruling = await say(api, ADMIN, "/review 东城区 不否决 事故责任经核实不在本单位", "已记录")
    assert "已记录：核定不适用一票否决" in ruling["text"] and "（一票否决）" not in ruling["text"]
    assert [e["action"] for e in svc.store.audit_entries("dcq")] == ["adjust", "adjust"]

    svc.ingest("dcq", 7, "东城区自查.docx", small_docx(SUPERVISION, PROCEDURE), BEFORE)
    dcq = svc.store.unit_score("dcq")
    assert dcq["deduction"] == 2 and dcq["total"] == pytest.approx(
        round(dcq["indicator_total"] - 2, 2))  # social weight set, no survey: indicators stand in
    # An indicator score is the office scoring the unit itself: that makes a result at once.
    await say(api, ADMIN, "/review 高新技术产业开发区 立项督查 20 现场考核核实", "已记录")
    assert svc.store.unit_score("gxq")["indicator_total"] == 20


async def test_the_office_locks_every_scored_unit_with_one_confirmation(bot):
    api, svc, _ = bot
    await upload(api, LIAISON, "自查报告.docx", small_docx(SUPERVISION, PROCEDURE))
    await upload(api, OTHER, "发改委自查.docx", small_docx(SUPERVISION))
    preview = await say(api, ADMIN, "/review 全部 锁定", "确认一次锁定")
    assert "锁定 <b>2</b> 个单位" in preview["text"] and "2 名联络员" in preview["text"]
    assert "不锁定尚无得分的 2 个单位" in preview["text"] and "东城区" in preview["text"]
    assert not svc.store.is_locked("sfj") and not svc.store.is_locked("fgw")  # nothing yet
    yes = buttons(preview)[0]

    since = len(api.sent)
    api.press_button(LIAISON, preview["message_id"], yes, chat_id=ADMIN)  # not the office
    answer = await api.wait_for_async(lambda a: a["method"] == "answerCallbackQuery", since=since)
    assert "仅考核办" in answer["text"] and not svc.store.is_locked("sfj")

    since = len(api.sent)
    api.press_button(ADMIN, preview["message_id"], yes)
    done = await api.wait_for_async(lambda a: "已锁定 2 个单位" in (a.get("text") or ""), since=since)
    assert "结果反馈正在发送给 2 名联络员" in done["text"]
    for chat in (LIAISON, OTHER):
        await api.wait_for_async(lambda a, chat=chat: a["chat_id"] == chat and "结果反馈" in (a.get("text") or ""),
                                 since=since)
    report = await api.wait_for_async(lambda a: "📮" in (a.get("text") or ""), since=since)
    assert "一次锁定的 2 个单位" in report["text"] and "送达 2 人，未送达 0 人" in report["text"]
    assert svc.store.is_locked("sfj") and svc.store.is_locked("fgw") and not svc.store.is_locked("dcq")
    assert [e["action"] for e in svc.store.audit_entries("fgw")][-1] == "lock"
    again = await say(api, ADMIN, "/review 全部 锁定", "没有可锁定的单位")
    assert "已锁定 2 个" in again["text"]
    # One report for the batch, not one per unit.
    assert len([a for a in api.sent[since:] if "📮" in (a.get("text") or "")]) == 1


async def test_a_unit_appeals_its_locked_result_and_the_office_answers(bot):
    api, svc, clock = bot
    await upload(api, LIAISON, "自查报告.docx", small_docx(SUPERVISION))
    early = await say(api, LIAISON, "/appeal 严格程序行政我们有材料，请复核", "尚未锁定")
    assert svc.store.unit_appeals("sfj") == []
    svc.lock("sfj", ADMIN, lambda: "结果反馈", moment=BEFORE)  # Tuesday 12-01 10:00
    usage = await say(api, LIAISON, "/appeal", "受理期限")
    assert "2026年12月8日 23:59 前" in usage["text"]  # five working days after Tuesday 12-01
    assert early["text"].startswith("⚠️")

    since = len(api.sent)
    done = await say(api, LIAISON, "/appeal 严格程序行政得0分，但报告写了重大决策合法性审查，请复核。", "复核申请已提交")
    assert "#1" in done["text"] and "2026年12月15日 23:59 前答复" in done["text"]  # ten working days
    to_office = await api.wait_for_async(
        lambda a: a["chat_id"] == ADMIN and "复核申请" in (a.get("text") or ""), since=since)
    assert "市司法局" in to_office["text"] and "重大决策合法性审查" in to_office["text"]
    again = await say(api, LIAISON, "/appeal 再提一份复核申请试试看会怎样", "正在办理")
    assert len(svc.store.unit_appeals("sfj")) == 1 and again["text"].startswith("⚠️")
    index = await say(api, ADMIN, "/review", "考核审核")
    assert "待答复的复核申请 1 份：市司法局（2026年12月15日 23:59 前）" in index["text"]
    screen = await say(api, ADMIN, "/review 市司法局", "考核审核")
    assert "待答复的复核申请 #1" in screen["text"] and "重大决策合法性审查" in screen["text"]

    since = len(api.sent)
    answered = await say(api, ADMIN, "/review 市司法局 答复 经复核，所述内容属工作安排，维持原考核结果。", "已答复")
    assert "1 名联络员" in answered["text"]
    reply_to_unit = await api.wait_for_async(
        lambda a: a["chat_id"] == LIAISON and "复核答复" in (a.get("text") or ""), since=since)
    assert "维持原考核结果" in reply_to_unit["text"]
    report = await api.wait_for_async(lambda a: a["chat_id"] == ADMIN and "📮 复核答复" in (a.get("text") or ""),
                                      since=since)
    assert "送达 1 人" in report["text"]
    assert [e["action"] for e in svc.store.audit_entries("sfj")][-2:] == ["appeal", "appeal_answer"]
    # The answer is final for this result; and after the window nothing more is taken.
    final = await say(api, LIAISON, "/appeal 答复之后再申请一次复核看看", "已就这次反馈的结果申请过复核")
    assert len(svc.store.unit_appeals("sfj")) == 1
    svc.unlock("sfj", ADMIN, "复核后调整")
    svc.lock("sfj", ADMIN, lambda: "结果反馈", moment=BEFORE)
    clock.at = datetime(2026, 12, 9, 0, 0, tzinfo=TZ)  # past 12-08 23:59
    late = await say(api, LIAISON, "/appeal 新的结果反馈后又有异议，申请复核", "期限已过")
    assert "2026年12月8日 23:59 前" in late["text"] and final["text"].startswith("⚠️")


async def test_recompute_after_a_config_change_audits_before_and_after(bot):
    api, svc, _ = bot
    await upload(api, LIAISON, EXAMPLE_REPORT.name, EXAMPLE_REPORT.read_bytes())
    before = svc.store.unit_score("sfj")["total"]
    strict = replace(svc.config.scoring, evidence_needed=5)
    svc.config = replace(svc.config, scoring=strict)
    svc.scorer = type(svc.scorer)(strict)
    svc.results.rules = strict
    assert "sfj" in svc.stale_units()
    lines = svc.recompute("cli")
    line = next(x for x in lines if x.unit["id"] == "sfj")
    assert line.after["total"] < before and line.changed_indicators
    entry = [e for e in svc.store.audit_entries("sfj") if e["action"] == "recompute"][-1]
    detail = json.loads(entry["detail"])
    assert detail["before"]["total"] == before and detail["after"]["total"] == line.after["total"]
    assert svc.stale_units() == []


async def test_a_liaison_of_a_unit_dropped_from_the_cycle_cannot_upload(bot):
    api, svc, _ = bot
    svc.store.sync_units([{"id": u.id, "name": u.name, "category": u.category,
                           "invite_code": u.invite_code} for u in svc.config.units if u.id != "sfj"])
    refused = await upload(api, LIAISON, "自查报告.docx", small_docx(SUPERVISION), expect="未能接收")
    assert "不在本期考核单位名单中" in refused["text"]
    assert svc.store.submissions("sfj", include_history=True) == []


async def test_an_upload_cut_off_by_a_restart_is_answered_at_the_next_start(config, scorer):
    from kaohe.services import Services

    with LocalBotApi() as api:
        cfg = replace(config, api_url=api.api_url, max_messages_per_second=1000)
        svc = Services(cfg, scorer=scorer)
        try:
            app = build_application(cfg, api.token, services=svc)
            await start_polling(app)
            api.send_text(LIAISON, "/bind SFJ2026")
            bound = await api.wait_for_async(lambda a: a["chat_id"] == LIAISON and "绑定成功" in (a["text"] or ""))
            api.send_text(LIAISON, "/status")
            status = await api.wait_for_async(lambda a: a["chat_id"] == LIAISON and "提交情况" in (a["text"] or ""))
            await stop_polling(app)
            # What a crash leaves behind: two ⏳ messages whose uploads were never answered,
            # the first lost, the second recorded just before the process died.
            svc.store.start_upload(LIAISON, bound["message_id"], LIAISON, "sfj", "丢失.docx", BEFORE)
            svc.store.start_upload(LIAISON, status["message_id"], LIAISON, "sfj", "已存.docx", BEFORE)
            svc.ingest("sfj", LIAISON, "已存.docx", small_docx(SUPERVISION), BEFORE)

            since = len(api.sent)
            app = build_application(cfg, api.token, services=svc)
            await start_polling(app)
            lost = await api.wait_for_async(
                lambda a: a["method"] == "editMessageText" and a["message_id"] == bound["message_id"], since=since)
            kept = await api.wait_for_async(
                lambda a: a["method"] == "editMessageText" and a["message_id"] == status["message_id"], since=since)
            assert "《丢失.docx》" in lost["text"] and "没有记录" in lost["text"] and "重新发送" in lost["text"]
            assert "《已存.docx》已接收并记录" in kept["text"]
            await eventually(svc.store.interrupted_uploads, [])
            await stop_polling(app)
        finally:
            svc.close()
