"""Questions in chat through the real polling loop and the local HTTP Bot API: the quoted
clause with its citation and related-clause buttons, "no answer", live deadlines and
scores, the office loading a regulation and its question forms, /faq."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.app import build_application, start_polling, stop_polling
from bot.local import LocalBotApi

TZ = ZoneInfo("Asia/Shanghai")
ADMIN, LIAISON, STRANGER = 10001, 40001, 40009
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=TZ)
GROUP = -100555

RULES_MD = """# 某某区联络员工作规则

## 第一章 总则

第一条　为规范联络员工作，制定本规则。

第二条　联络员每季度参加一次业务培训，培训由区考核办组织。

第三条　联络员因工作调动离岗的，所在单位应当在五个工作日内另行指定人员并报区考核办备案。
"""
RULES_FORMS = """[[questions]]
article = "第三条"
forms = ["对接的同事调走了怎么办？", "原来负责的人不干了要换人吗？"]
"""


@pytest.fixture
async def bot(qa_config, scorer):
    from kaohe.services import Services

    with LocalBotApi() as api:
        cfg = replace(qa_config, api_url=api.api_url, max_messages_per_second=1000)
        svc = Services(cfg, scorer=scorer)
        svc.qa.start()  # index before the first question, as the start-up job does
        app = build_application(cfg, api.token, services=svc)
        app.bot_data.clock = lambda: NOW
        await start_polling(app)
        api.send_text(LIAISON, "/bind SFJ2026", first_name="联络员")
        await api.wait_for_async(lambda a: a["chat_id"] == LIAISON and "绑定成功" in (a["text"] or ""))
        yield api, svc
        await stop_polling(app)
        svc.close()


async def say(api, chat, text, expect, timeout=20, user=None):
    since = len(api.sent)
    if user is None:
        api.send_text(chat, text)
    else:
        api.send_text(user, text, chat_id=chat)
    return await api.wait_for_async(
        lambda a: a["chat_id"] == chat and expect in (a.get("text") or ""), timeout=timeout, since=since)


async def load_in_chat(api, content: str, file_name: str, offer_says: str, result_says: str):
    """The office sends a file, presses the first button under the offer; the result message."""
    since = len(api.sent)
    api.send_document(ADMIN, content.encode(), file_name)
    offer = await api.wait_for_async(lambda a: a["chat_id"] == ADMIN and offer_says in (a["text"] or ""),
                                     since=since)
    api.press_button(ADMIN, offer["message_id"], offer["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    return await api.wait_for_async(lambda a: a["chat_id"] == ADMIN and result_says in (a["text"] or ""),
                                    since=since)


async def test_a_question_gets_the_clause_quoted_with_its_citation_and_related_buttons(bot):
    api, _ = bot
    msg = await say(api, LIAISON, "违规失职扣分有上限吗？", "依据")
    text = msg["text"]
    assert "《某某市年度目标责任制考核办法》" in text and "第二十条" in text
    assert "累计扣分最高不超过10分" in text  # the clause itself, quoted
    buttons = [b for row in msg["reply_markup"]["inline_keyboard"] for b in row]
    assert 1 <= len(buttons) <= 2 and all(b["callback_data"].startswith("qa:c:") for b in buttons)
    since = len(api.sent)
    api.press_button(LIAISON, msg["message_id"], buttons[0]["callback_data"])
    related = await api.wait_for_async(
        lambda a: a["chat_id"] == LIAISON and "相关规定" in (a.get("text") or ""), since=since)
    assert buttons[0]["text"].split()[0] in related["text"]  # the article the button named


async def test_an_uncovered_question_is_told_so_with_the_contact(bot):
    api, svc = bot
    msg = await say(api, LIAISON, "单位停车位怎么申请？", "没有找到相关条款")
    assert svc.config.contact in msg["text"] and "依据" not in msg["text"]
    assert not (msg.get("reply_markup") or {}).get("inline_keyboard")


async def test_deadline_and_score_questions_are_answered_from_live_data(bot):
    api, _ = bot
    msg = await say(api, LIAISON, "我们的材料什么时候截止？", "截止时间")
    assert "2026年12月15日 18:00" in msg["text"] and "还有 14 天" in msg["text"]
    msg = await say(api, LIAISON, "我们单位得了多少分？", "还没有提交材料")
    assert "暂无初步得分" in msg["text"]


async def test_ask_works_in_a_group_and_strangers_are_told_to_bind_in_private(bot):
    api, _ = bot
    msg = await say(api, GROUP, "/ask 考核结果分几个等次？", "依据", user=LIAISON)
    assert "等次" in msg["text"]
    msg = await say(api, STRANGER, "考核结果分几个等次？", "邀请码")
    assert "/bind" in msg["text"]
    hello = await say(api, LIAISON, "你好", "您好")
    assert "可以直接发文字问我" in hello["text"] and "没有找到相关条款" not in hello["text"]


async def test_office_loads_a_regulation_and_its_forms_in_chat_and_answers_at_once(bot):
    api, svc = bot
    question = "原先对接的那位同事调岗了，我们该做什么？"
    before = await say(api, LIAISON, question, "规定")  # a clause ("规定原文") or none ("现行规定")
    assert "联络员工作规则" not in before["text"]

    loaded = await load_in_chat(api, RULES_MD, "联络员工作规则.md", "载入问答吗", "已载入")
    assert "《某某区联络员工作规则》第1版" in loaded["text"] and "3 个条款" in loaded["text"]
    loaded = await load_in_chat(api, RULES_FORMS, "联络员工作规则.questions.toml", "问题示例文件", "已载入")
    assert "2 个问题示例" in loaded["text"] and "某某区联络员工作规则" in loaded["text"]

    msg = await say(api, LIAISON, question, "依据")
    assert "《某某区联络员工作规则》" in msg["text"] and "第三条" in msg["text"]
    listing = await say(api, ADMIN, "/regulation", "已载入的规定")
    assert "《某某区联络员工作规则》第1版：3 条款，0 个表格，常见问法 2 条" in listing["text"]
    assert len(svc.qa.documents()) == 3


async def test_a_file_that_is_not_a_regulation_is_refused_and_nothing_is_loaded(bot):
    api, svc = bot
    refused = await load_in_chat(api, "随便写的一段话。", "备忘.txt", "载入问答吗", "未载入")
    assert "几乎没有可用的文字" in refused["text"]
    assert len(svc.qa.documents()) == 2


async def test_faq_answers_forms_and_out_of_scope_examples_from_the_office(bot):
    api, _ = bot
    msg = await say(api, ADMIN, "/faq 问：自查材料交几份？答：一份自查报告，佐证材料可另附。", "已添加")
    assert "考核办答复" in msg["text"]
    msg = await say(api, LIAISON, "自查材料交几份？", "考核办答复")
    assert "一份自查报告" in msg["text"]

    msg = await say(api, ADMIN, "/faq 问：有事找考核办打什么号码？ 条：实施细则第37条", "已添加")
    assert "第三十七条" in msg["text"]
    msg = await say(api, ADMIN, "/faq 问：打哪个号码 条：第二条", "第二条")
    assert "都有" in msg["text"]  # both documents have a 第二条: the office must say which

    msg = await say(api, ADMIN, "/faq 无关：考核组来检查要不要挂欢迎横幅？", "已添加")
    assert "规定中没有相关条款" in msg["text"]
    eid = re.search(r"例(\d+)", msg["text"]).group(1)
    msg = await say(api, LIAISON, "考核组来的时候要不要准备横幅？", "没有找到相关条款")
    listing = await say(api, ADMIN, "/faq", "考核办答复（FAQ）")
    assert f"例{eid}. 考核组来检查要不要挂欢迎横幅？ → 规定未涉及" in listing["text"]
    await say(api, ADMIN, f"/faq 删除 例{eid}", "已删除")
    msg = await say(api, LIAISON, "/faq", "仅限考核办")


async def test_a_question_during_the_first_indexing_is_told_to_wait_then_answered(qa_config, scorer):
    import time

    from kaohe.services import Services

    with LocalBotApi() as api:
        cfg = replace(qa_config, api_url=api.api_url, max_messages_per_second=1000)
        svc = Services(cfg, scorer=scorer)
        load_folder = svc.qa.load_folder

        def slow_load_folder():
            time.sleep(1.5)  # as on a first start, when every clause is encoded
            return load_folder()

        svc.qa.load_folder = slow_load_folder
        app = build_application(cfg, api.token, services=svc)  # its start-up job indexes
        app.bot_data.clock = lambda: NOW
        await start_polling(app)
        try:
            api.send_text(ADMIN, "违规失职扣分有上限吗？")
            answer = await api.wait_for_async(
                lambda a: a["chat_id"] == ADMIN and "依据" in (a.get("text") or ""), timeout=120)
            texts = [m["text"] for m in api.messages(ADMIN)]
            assert "正在载入考核规定" in texts[0] and "第二十条" in answer["text"]
        finally:
            await stop_polling(app)
            svc.close()


PLAN_MD = """某某区2026年度机关值班工作方案

一、值班安排

（一）节假日值班。节假日实行24小时值班，值班人员由各科室轮流派出，带班领导由班子成员轮流担任。

（二）交接要求。值班人员应当提前十分钟到岗，当面交接值班记录和未办结事项。

二、信息报送

（一）报告时限。突发事件发生后，值班人员应当在30分钟内电话报告带班领导，2小时内书面报告区政府办。
"""
PAY_CIVIL = """# 某某区机关公务员值班补助办法

第一条　为保障机关公务员节假日值班，制定本办法。

第二条　本办法适用于区属机关的公务员。

第三条　公务员在法定节假日值班的，每天发放值班补助100元，不再安排补休。
"""
PAY_INSTITUTION = """# 某某区事业单位工作人员值班补助办法

第一条　为保障事业单位工作人员节假日值班，制定本办法。

第二条　本办法适用于区属事业单位的在编工作人员。

第三条　事业单位工作人员在法定节假日值班的，每天发放值班补助80元，也可以选择安排补休。
"""


async def test_a_plan_without_articles_loads_with_progress_and_is_cited_by_its_own_numbers(bot):
    api, _ = bot
    since = len(api.sent)
    loaded = await load_in_chat(api, PLAN_MD, "值班工作方案.md", "载入问答吗", "已载入")
    assert "识别到 2 级编号（一、 / （一））、3 个条目" in loaded["text"]
    progress = [a for a in api.sent[since:] if "建立索引" in (a.get("text") or "")]
    assert progress and "《值班工作方案.md》" in progress[0]["text"]  # shown before the result
    msg = await say(api, LIAISON, "出了突发事件多久要电话报告带班领导？", "依据")
    assert "《某某区2026年度机关值班工作方案》 二、信息报送 二、（一）" in msg["text"]
    assert "30分钟内电话报告" in msg["text"]


async def test_two_documents_with_rules_for_different_groups_are_both_quoted(bot):
    api, _ = bot
    await load_in_chat(api, PAY_CIVIL, "公务员值班补助办法.md", "载入问答吗", "已载入")
    await load_in_chat(api, PAY_INSTITUTION, "事业单位值班补助办法.md", "载入问答吗", "已载入")
    msg = await say(api, LIAISON, "节假日值班一天补助多少钱？", "依据")
    text = msg["text"]
    assert "每天发放值班补助100元" in text and "每天发放值班补助80元" in text
    assert "另一份文件" in text and "适用的对象或程序可能不同" in text


async def test_no_clear_answer_offers_the_nearest_clauses_marked_as_such(qa_config, scorer):
    """Below [qa] min_similarity the bot does not pass a clause off as the answer."""
    from kaohe.services import Services

    with LocalBotApi() as api:
        strict = replace(qa_config.qa, min_similarity=0.999)
        cfg = replace(qa_config, api_url=api.api_url, max_messages_per_second=1000, qa=strict)
        svc = Services(cfg, scorer=scorer)
        svc.qa.start()
        app = build_application(cfg, api.token, services=svc)
        app.bot_data.clock = lambda: NOW
        await start_polling(app)
        try:
            api.send_text(LIAISON, "/bind SFJ2026", first_name="联络员")
            await api.wait_for_async(lambda a: a["chat_id"] == LIAISON and "绑定成功" in (a["text"] or ""))
            msg = await say(api, LIAISON, "违规失职扣分有上限吗？", "没有找到明确回答")
            assert "仅供参考" in msg["text"] and "依据" not in msg["text"]
            buttons = [b for row in msg["reply_markup"]["inline_keyboard"] for b in row]
            assert len(buttons) == 2 and all(b["callback_data"].startswith("qa:c:") for b in buttons)
            assert any("第二十条" in b["text"] for b in buttons)  # the nearest one is one press away
        finally:
            await stop_polling(app)
            svc.close()


def test_a_related_button_names_an_outline_clause_once():
    from kaohe.texts.qa import related_label

    assert related_label({"article": "三、（一）", "text": "（一）推进政务公开，强化解读回应。积极"}) == \
        "三、（一） 推进政务公开，强化解读回应。…"
    assert related_label({"article": "5.1.1", "text": "5.1.1 为应对粮食应急状态，要进一步优化"}) == \
        "5.1.1 为应对粮食应急状态，要进一步…"


def test_a_related_button_label_is_one_line_whatever_the_clause_holds():
    from kaohe.texts.qa import related_label

    label = related_label({"article": "第十二条", "text": "第十二条\n考核结果\n分为优秀、良好、合格"})
    assert "\n" not in label and label == "第十二条 考核结果 分为优秀、良好、合…"
