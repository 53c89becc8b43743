"""Chinese replies for questions, regulations and FAQ answers (HTML parse mode)."""

from __future__ import annotations

import re
from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from kaohe.fmt import fmt_points, fmt_time, time_left
from kaohe.qa import Answer, ExamplesResult, LoadResult, citation
from scoring.progress import STATUS_LABELS, UnitProgress

QUOTE_LIMIT = 3300  # characters of clause text in one message


def _quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    if len(text) > limit:
        text = text[:limit] + "……（条文较长，其余部分请查阅原文）"
    return escape(text)


def clause_message(clause: dict[str, Any], part: str = "", lead: str = "依据",
                   limit: int = QUOTE_LIMIT) -> str:
    return f"📖 {lead} <b>{escape(citation(clause, part))}</b>：\n\n{_quote(clause['text'], limit)}"


def answer(ans: Answer, contact: str) -> str:
    text = _answer(ans, contact)
    if ans.pending:
        names = "、".join(f"《{escape(t)}》" for t in ans.pending)
        text += f"\n\n⏳ {names}正在建立索引，这次回答还没有包括它，稍后可再问一次。"
    return text


def indexing_progress(file_name: str, done: int, total: int) -> str:
    return (f"⏳ 正在为《{escape(file_name)}》建立索引：{done}/{total}……\n"
            "期间的提问照常按现有规定回答。")


def _answer(ans: Answer, contact: str) -> str:
    if ans.kind == "faq":
        faq = ans.faq
        tail = "\n\n下方按钮可查看相关规定原文。" if ans.related else ""
        return (f"📌 <b>考核办答复</b>（问：{escape(faq['question'])}）\n\n{escape(faq['answer'])}{tail}")
    if ans.kind == "clause":
        tail = "\n\n以上为规定原文。相关条款见下方按钮。" if ans.related else "\n\n以上为规定原文。"
        if ans.other is not None:
            half = QUOTE_LIMIT // 2
            return (clause_message(ans.clause, ans.part, limit=half)
                    + f"\n\n⚖️ 另一份文件<b>《{escape(ans.other['title'])}》</b>也有相关规定，"
                      "适用的对象或程序可能不同，请对照您的情形选用：\n\n"
                    + clause_message(ans.other, limit=half) + tail)
        return clause_message(ans.clause, ans.part) + tail
    if ans.related:
        return no_clear_answer(contact)
    return no_answer(contact)


def indexing() -> str:
    return "⏳ 机器人刚刚启动，正在载入考核规定，载入后（通常不超过半分钟）自动回答您的问题……"


def no_clear_answer(contact: str) -> str:
    return ("现行规定中没有找到明确回答这个问题的条款。\n"
            "下方按钮是意思最接近的条款，仅供参考，请核对原文是否适用；"
            f"也可以换个说法再问，或直接联系考核办（{escape(contact)}）。")


def no_answer(contact: str) -> str:
    return ("现行规定中没有找到相关条款。\n"
            f"可以换个说法再问，或直接联系考核办（{escape(contact)}）。")


_OWN_NUMBER = re.compile(r"^(?:[（(][一二三四五六七八九十]{1,3}[)）]|[一二三四五六七八九十]{1,3}、|\d{1,2}(?:\.\d{1,2}){0,4}\s)")


def related_label(clause: dict[str, Any]) -> str:
    head = clause.get("article") or clause.get("chapter") or "相关条款"
    body = clause["text"]
    if clause.get("article") and body.startswith(clause["article"]):
        body = body[len(clause["article"]):]
    else:  # an outline clause "三、（一）" whose text starts with its own number "（一）…"
        body = _OWN_NUMBER.sub("", body, count=1)
    body = " ".join(body.split()).strip(" 　:：")  # a button label is one line
    head = " ".join(head.split())
    return f"{head} {body[:14]}…" if len(body) > 14 else f"{head} {body}"


def deadline_answer(items: list[UnitProgress], unit_name: str | None, now: datetime,
                    tz: ZoneInfo, rows: list[dict[str, Any]] | None = None) -> str:
    """Live deadlines: the unit's own (a liaison), else every category's."""
    if unit_name is not None:
        if not items:
            return f"{escape(unit_name)}目前没有需要提交材料的截止事项。"
        lines = [f"⏰ {escape(unit_name)}的截止时间（当前设置）："]
        for p in items:
            ext = f"（已延期，原定 {fmt_time(p.deadline.category_due, tz)}）" if p.deadline.extended else ""
            lines.append(f"· {escape(p.deadline.name)}：{fmt_time(p.deadline.due, tz)}{ext}，"
                         f"{time_left(p.deadline.due, now)}；{STATUS_LABELS[p.status(now)]}")
        lines.append("\n直接在这里发送 .docx 或 .pdf 即可提交，/status 查看本单位情况。")
        return "\n".join(lines)
    lines = ["⏰ 当前的截止时间："]
    for row in rows or []:
        due = datetime.fromisoformat(row["due"])
        who = row["category"] or "各单位（未单列的类别）"
        lines.append(f"· {escape(row['name'])}（{escape(who)}）：{fmt_time(due, tz)}，{time_left(due, now)}")
    lines.append("\n个别单位可能已获延期；单位联络员绑定后发送 /status 可查看本单位的截止时间。")
    return "\n".join(lines)


def score_answer(unit_name: str, score: dict[str, Any] | None) -> str:
    if score is None:
        return f"{escape(unit_name)}还没有提交材料，暂无初步得分。直接在这里发送自查材料即可。"
    veto = (f"\n⛔ 等次为不合格，因为一票否决：{escape(score.get('veto_reason') or '材料中出现否决情形')}"
            if score.get("vetoed") else "")
    if score.get("locked_at"):  # the office's result: no "preliminary", no system gaps
        return (f"📊 {escape(unit_name)}的考核结果（考核办已审核并锁定）：{fmt_points(score['total'])} / "
                f"{fmt_points(score['full_marks'])}，等次：{escape(score['grade'])}。{veto}\n"
                "发送 /score 查看各项指标的核定得分；如有异议，可在规定时间内发送 /appeal 申请复核。")
    missing = f"\n缺失指标：{escape(score['missing'])}" if score.get("missing") else ""
    return (f"📊 {escape(unit_name)}目前的初步得分：{fmt_points(score['total'])} / "
            f"{fmt_points(score['full_marks'])}，初步等次：{escape(score['grade'])}。{veto}{missing}\n"
            "初步得分由系统按所交材料自动计算，仅供参考，以考核办审核结果为准。发送 /status 查看各指标详情。")


def ask_in_chinese() -> str:
    return ("考核规定都是中文的，请用中文提问，例如：“逾期提交会扣分吗？”“效果分怎么算？”"
            "（Please ask in Chinese: the regulations are in Chinese.）\n"
            "截止时间发送 /status 查看；上传材料直接发送文件即可。")


def score_for_staff() -> str:
    return "各单位的初步得分和排名请用 /overview 查看，单个单位用 /unit 单位名。"


def score_for_unknown(contact: str) -> str:
    return ("您还没有绑定单位，无法查看单位得分。请用考核办发给您的邀请码发送 /bind 邀请码 完成绑定"
            f"（联系：{escape(contact)}）。")


def ask_usage() -> str:
    return "用法：<code>/ask 问题</code>，例如 <code>/ask 效果分是怎么算的？</code>。私聊中直接发问题即可。"


def regulation_list(docs: list[dict[str, Any]], faqs: int, examples: list[dict[str, Any]],
                    tz: ZoneInfo) -> str:
    lines = ["📚 <b>已载入的规定</b>"]
    if not docs:
        lines.append("（还没有载入任何规定文件）")
    forms: dict[str, int] = {}
    for e in examples:
        if e["kind"] == "article":
            forms[e["title"]] = forms.get(e["title"], 0) + 1
    for d in docs:
        loaded = fmt_time(datetime.fromisoformat(d["loaded_at"]), tz)
        lines.append(f"· 《{escape(d['title'])}》第{d['version']}版：{d['clauses']} 条款，"
                     f"{d['tables']} 个表格，常见问法 {forms.get(d['title'], 0)} 条；{loaded} 载入"
                     f"（{escape(d['file_name'] or '')}）")
    none = sum(1 for e in examples if e["kind"] == "none")
    lines.append(f"\n规定未涉及的问题示例：{none} 条。考核办答复（FAQ）：{faqs} 条，发送 /faq 查看。")
    lines.append("\n载入或更新：直接把规定文件（.docx、.pdf、.md、.txt）发给我，再点“载入”。"
                 "标题相同的文件会替换旧版本，立即生效。同名的 <code>.questions.toml</code>（常见问法）"
                 "和 <code>out_of_scope.toml</code>（规定未涉及的问题）也可以这样发送，格式见项目说明。")
    return "\n".join(lines)


def offer_regulation(file_name: str, examples: bool) -> str:
    what = ("问题示例文件（常见问法或规定未涉及的问题），载入问答吗？" if examples else
            "要把它作为规定文件（管理办法、实施细则等）载入问答吗？")
    return f"收到《{escape(file_name)}》。考核办上传的文件不作为自查材料。{what}"


def examples_loaded(result: ExamplesResult, title: str | None) -> str:
    if not result.changed:
        return f"《{escape(result.file_name)}》与已载入的内容相同，无需重新载入。"
    target = f"，对应《{escape(title)}》" if title else "（规定未涉及的问题）"
    unknown = ""
    if result.unknown_articles:
        unknown = ("\n⚠️ 以下条号在该规定中不存在，相关问法暂不生效："
                   + "、".join(escape(a) for a in result.unknown_articles))
    return f"✅ 已载入《{escape(result.file_name)}》{target}：{result.examples} 个问题示例，立即生效。{unknown}"


def regulation_loaded(result: LoadResult) -> str:
    if result.unchanged:
        return f"《{escape(result.title)}》第{result.version}版与这个文件完全相同，无需重新载入。"
    replaced = f"，已替换第{result.replaced_version}版" if result.replaced_version else ""
    found = result.structure or f"{result.chapters} 章，{result.clauses} 个条款"
    tables = f"，{result.tables} 个条目含表格" if result.tables else ""
    return (f"✅ 已载入《{escape(result.title)}》第{result.version}版{replaced}：{escape(found)}{tables}。"
            "现在起回答问题即按此版本，引用时使用文件自己的编号。")


def regulation_refused(file_name: str, reason: str) -> str:
    return f"❌ 《{escape(file_name)}》未载入：{escape(reason)}"


def faq_list(faqs: list[dict[str, Any]], examples: list[dict[str, Any]]) -> str:
    lines = ["📌 <b>考核办答复（FAQ）</b>：问题与之接近时优先用这些答复。"]
    if not faqs:
        lines.append("（还没有）")
    for f in faqs:
        lines.append(f"{f['id']}. 问：{escape(f['question'])}\n   答：{escape(f['answer'])}")
    if examples:
        lines.append("\n<b>在聊天中添加的问题示例</b>：")
        for e in examples:
            where = f"《{escape(e['title'])}》{escape(e['article'])}" if e["kind"] == "article" else "规定未涉及"
            lines.append(f"例{e['id']}. {escape(e['question'])} → {where}")
    lines.append("\n添加答复：<code>/faq 问：自查材料交几份？答：一份自查报告，佐证材料可另附。</code>"
                 "\n添加问法（指向条文）：<code>/faq 问：材料交晚了咋办 条：实施细则第十二条</code>"
                 "\n标为规定未涉及：<code>/faq 无关：食堂几点开饭？</code>"
                 "\n删除：<code>/faq 删除 编号</code>，问题示例用 <code>/faq 删除 例编号</code>")
    return "\n".join(lines)


def faq_added(faq_id: int) -> str:
    return f"✅ 已添加第 {faq_id} 条考核办答复，立即生效。"


def example_added(eid: int, clause: dict[str, Any] | None) -> str:
    if clause is None:
        return f"✅ 已添加问题示例 例{eid}：这类问题今后回答“规定中没有相关条款”，立即生效。"
    return f"✅ 已添加问题示例 例{eid}：这类问题今后优先引用{escape(citation(clause))}，立即生效。"


def article_not_found(label: str, candidates: list[dict[str, Any]]) -> str:
    if not candidates:
        return (f"没有找到“{escape(label)}”。请写成“第十二条”，多个规定时加上文件名，"
                "如 <code>条：实施细则第十二条</code>。发送 /regulation 查看已载入的规定。")
    names = "、".join(f"《{escape(c['title'])}》" for c in candidates)
    return f"“{escape(label)}”在 {names} 中都有，请在条号前加上文件名，如 <code>条：实施细则第十二条</code>。"


def faq_usage() -> str:
    return ("格式：<code>/faq 问：问题 答：答复</code>（考核办答复），"
            "<code>/faq 问：问题 条：实施细则第十二条</code>（问法指向条文），"
            "<code>/faq 无关：问题</code>（规定未涉及）。删除用 <code>/faq 删除 编号</code>，查看全部发送 /faq。")


def faq_removed(label: str, ok: bool) -> str:
    return f"已删除{label}。" if ok else f"没有{label}，发送 /faq 查看现有编号。"
