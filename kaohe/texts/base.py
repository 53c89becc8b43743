"""Every Chinese reply the bot sends, built from plain values (HTML parse mode)."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from kaohe.fmt import fmt_points, fmt_time, time_left
from scoring.engine import COVERAGE_LABELS, COVERED, MISSING, THIN, UnitScore, quote
from scoring.result import CoverageChange

if TYPE_CHECKING:
    from kaohe.uploads import IngestOutcome

from kaohe.labels import FILE_TYPE_LABELS, ROLE_LABELS  # noqa: F401  (texts import them from here)

MESSAGE_LIMIT = 4000  # Telegram allows 4096 characters; keep a margin for entities
COVERAGE_ICONS = {COVERED: "✅", THIN: "⚠️", MISSING: "❌"}


def file_kind(sub) -> str:
    """A stored file's kind for lists: its format, and 🔏 for a stamped page or a sealed one."""
    kind = escape(FILE_TYPE_LABELS.get(sub.get("file_type"), sub.get("file_type") or ""))
    if sub.get("role") == "seal":
        return f"🔏盖章页（{kind}，不计分）"
    if sub.get("sealed_pages"):
        return f"{kind} · 🔏第{escape(sub['sealed_pages'].replace(',', '、'))}页有公章"
    return kind

# (command, description) per role; the first element of each pair is what Telegram shows.
COMMANDS = {
    "unknown": [("start", "开始使用 / 用邀请码绑定单位"), ("bind", "用邀请码绑定单位"),
                ("help", "查看使用说明")],
    "liaison": [("status", "本单位提交情况、初步得分和截止时间"), ("score", "各项指标得分及依据"),
                ("files", "本单位材料：替换、撤回"), ("report", "本单位情况报告（Word）"),
                ("appeal", "对已反馈的考核结果申请复核：/appeal 理由"),
                ("ask", "问考核规定（私聊直接发问题即可）"),
                ("help", "查看使用说明"),
                ("bind", "更换绑定的单位"), ("start", "查看本单位信息和截止时间")],
    "official": [("overview", "考核进度总览"), ("unit", "查看某个单位：/unit 单位名"),
                 ("score", "某个单位的得分及依据：/score 单位名"),
                 ("ask", "问考核规定"), ("help", "查看使用说明"), ("start", "查看身份")],
    "admin": [("overview", "考核进度总览"), ("unit", "查看某个单位：/unit 单位名"),
              ("review", "审核得分、加减分、锁定结果：/review 单位名"), ("score", "某个单位的得分及依据"),
              ("export", "导出汇总表、考核报告和图表"),
              ("deadline", "查看或调整截止时间"), ("extend", "给某个单位延期"),
              ("announce", "向联络员发布通知"), ("invite", "邀请码与联络员：签发、作废、移除"),
              ("units", "考核单位名单与邀请码清单；发送名单表格即可导入"),
              ("regulation", "已载入的规定；发文件即可载入或更新"),
              ("faq", "考核办答复（FAQ）"), ("ask", "问考核规定"), ("help", "查看使用说明"),
              ("start", "查看身份")],
}


def deadline_line(deadline: datetime | None, now: datetime, tz: ZoneInfo) -> str:
    if deadline is None:
        return "截止时间：考核办尚未设定"
    return f"截止时间：{fmt_time(deadline, tz)}（{time_left(deadline, now)}）"


def welcome_unknown(contact: str) -> str:
    return (
        "您好，这里是<b>考核助手</b>：单位联络员在这里提交年度目标责任制考核自查材料，"
        "并立即得到回执和初步得分。\n\n"
        "您还没有绑定单位。请发送 <code>/bind 邀请码</code>（或 <code>/start 邀请码</code>）"
        "完成绑定。邀请码由考核办发给各单位联络员"
        f"（联系：{escape(contact)}）。"
    )


def bind_success(unit: dict, deadline: datetime | None, now: datetime, tz: ZoneInfo,
                 max_mb: float, previous_unit: str | None) -> str:
    moved = f"（已从原单位 {escape(previous_unit)} 改绑）" if previous_unit else ""
    return (
        f"✅ 绑定成功{moved}：您是<b>{escape(unit['name'])}</b>（{escape(unit['category'])}）"
        "的联络员。\n\n"
        "请直接在本对话中上传本单位的自查材料（.docx 或 .pdf，单个文件不超过 "
        f"{fmt_points(max_mb)} MB）。可以分多份上传，初步得分按本单位全部材料计算。\n"
        f"{deadline_line(deadline, now, tz)}\n\n发送 /help 查看全部用法。"
    )


def liaison_home(unit: dict, files: int, deadline: datetime | None, now: datetime,
                 tz: ZoneInfo) -> str:
    submitted = f"已提交 {files} 份材料" if files else "尚未提交材料"
    return (
        f"您是<b>{escape(unit['name'])}</b>（{escape(unit['category'])}）的联络员，{submitted}。\n"
        f"{deadline_line(deadline, now, tz)}\n直接发送 .docx 或 .pdf 文件即可提交，/help 查看用法。"
    )


def small_talk_reply(role: str) -> str:
    """Reply to 你好 / 谢谢 from someone who can ask questions."""
    lead = "可以直接发文字问我考核的规定，例如“效果分怎么算？”“材料交晚了怎么办？”，我会引用条文回答。"
    if role == "liaison":
        return f"您好！{lead}\n上传自查材料直接发送文件；发送 /status 查看进度和初步得分。"
    return f"您好！{lead}\n发送 /help 查看可用命令。"


def bad_invite_code(code: str, contact: str) -> str:
    return (
        f"❌ 邀请码“{escape(code)}”无效。请核对后重新发送 <code>/bind 邀请码</code>"
        f"（字母大小写不限）。如仍有问题请联系考核办：{escape(contact)}。"
    )


def missing_invite_code() -> str:
    return "请在命令后附上邀请码，例如：<code>/bind SFJ2026</code>。"


def staff_home(role: str, cycle: str) -> str:
    return f"您的身份：<b>{ROLE_LABELS[role]}</b>（{escape(cycle)}）。发送 /help 查看可用功能。"


def help_text(role: str, max_mb: float) -> str:
    lines = [f"<b>考核助手 使用说明</b>（您的身份：{ROLE_LABELS[role]}）", ""]
    if role == "unknown":
        lines += [
            "/bind 邀请码 — 绑定到您的单位（邀请码由考核办发放）",
            "• 绑定后可以直接问考核规定的问题，我会引用规定原文回答",
            "/start 邀请码 — 同上，也可以点击考核办发来的链接",
            "/help — 查看本说明",
        ]
    elif role == "liaison":
        lines += [
            f"• 直接发送 .docx 或 .pdf 文件（不超过 {fmt_points(max_mb)} MB）提交自查材料，"
            "立即得到回执、指标覆盖情况和初步得分",
            "• 可以分多份提交；同一文件重复上传只计一次；发送同名文件即为新版本（旧版本不再计分）",
            "• 旧版 Word（.doc）、WPS（.wps）、扫描件 PDF 和图片文件也可上传（扫描件和图片会进行文字识别，请核对引文）；"
            "加密文件请先取消密码",
            "/status — 本单位已交材料、指标覆盖、初步得分和下一个截止时间",
            "/score — 各项指标得分，点按钮看每一分的依据（文件、段落、原文）和还缺什么",
            "/files — 本单位当前材料；替换、撤回（截止前）文件",
            "/report — 本单位的情况报告（Word 文件：得分、主要依据、不足）",
            "/appeal 理由 — 结果锁定反馈后，在规定的工作日内对考核结果申请复核，考核办答复会发到这里",
            "• 直接发问题（如“效果分怎么算？”“逾期提交怎么处理？”），我会引用规定原文回答；"
            "问“什么时候截止”“我们单位多少分”会按当前数据回答",
            "• 截止前 7 天、3 天、1 天和当天上午，尚未提交的单位会收到提醒（遇节假日提前到前一个工作日）；"
            "提交后不再提醒",
            "/start — 查看本单位信息和截止时间",
            "/bind 邀请码 — 更换绑定的单位",
            "/help — 查看本说明",
        ]
    else:
        lines += [
            "/overview — 考核进度总览：各阶段、各类别提交情况，未提交名单，指标缺项，初步排名",
            "/unit 单位名 — 查看某个单位的材料、得分、联络员和提醒记录",
            "/score 单位名 — 某个单位各项指标的得分和依据",
            "（单位名可写全称、简称或其中几个字，如“发改委”“住建局”“司法”）",
        ]
        if role == "admin":
            lines += [
                "/deadline — 查看截止时间；/deadline 编号 新时间 [类别] [原因] — 调整并通知联络员",
                "/extend 单位名 新时间 [原因] — 给单个单位延期",
                "/review 单位名 — 逐项审核得分；/review 单位名 指标 分数 理由 — 核定；"
                "加分/扣分 N 理由、否决 理由、撤销 编号 理由、锁定（结果发送给联络员）、解锁 理由",
                "/review 全部 锁定 — 确认后一次锁定所有已有得分的单位",
                "/review 单位名 答复 内容 — 答复该单位的复核申请（原文发给其联络员）",
                "• 发送社会评价结果表（.xlsx/.csv，含“单位”和“得分”列）先预览各单位得分变化，确认后导入",
                "• 发送单位名单表格（.xlsx/.csv，列：单位名称、简称/别名、类别）先预览新增、变更、停用，确认后导入；"
                "/units 邀请码 — 各单位邀请码、绑定链接和二维码",
                "/export — 汇总表（Excel）、考核报告（Word）和图表；结果全部锁定前标注“初步”",
                "/report 单位名 — 某个单位的情况报告",
                "/announce [全部|未提交|类别] 内容 — 向联络员发布通知（先预览，确认后发送）",
                "/invite 单位名 — 该单位的邀请码和联络员（可移除）；/invite 单位名 新码 [5人] [30天] — "
                "作废旧码并签发新码；/invite 撤销 邀请码 — 作废一个码",
                "/regulation — 已载入的规定；直接发送规定文件（.docx/.pdf/.md/.txt）即可载入或替换旧版",
                "/faq — 考核办答复；/faq 问：… 答：… 添加，问题相近时优先使用；"
                "/faq 问：… 条：实施细则第十二条 让这类问法引用该条；/faq 无关：… 标为规定未涉及",
                "• 截止后您会收到逾期未交名单；全部单位提交后会通知您",
            ]
        else:
            lines.append("• 截止后每个工作日上午您会收到一份进度简报")
        lines += ["直接发问题（或 /ask 问题）— 引用考核规定原文回答", "/start — 查看身份",
                  "/help — 查看本说明"]
    lines += ["", "初步得分由系统依据所交材料自动计算，仅供参考，以考核办审核结果为准。"]
    return "\n".join(lines)


def not_bound_upload(contact: str) -> str:
    return (
        "您还没有绑定单位，材料未接收。请先发送 <code>/bind 邀请码</code> 绑定单位，"
        f"再上传自查材料。邀请码由考核办发放（联系：{escape(contact)}）。"
    )


def staff_upload() -> str:
    return "自查材料由各单位联络员提交。您的身份不是联络员，本文件未接收。"


def too_large(file_name: str, size: int | None, max_bytes: int) -> str:
    has = f"有 {size / 1048576:.1f} MB，" if size else ""
    return (
        f"❌ 文件《{escape(file_name)}》{has}超过 {max_bytes / 1048576:.0f} MB 的上限，未接收。"
        "请压缩图片或把材料拆成几个文件分别上传。"
    )


def too_vague() -> str:
    """A message with nothing to look up ("？", "👍", "1")."""
    return ("请用文字写出您的问题，例如“效果分怎么算？”“材料交晚了怎么办？”。"
            "上传自查材料请直接发送 .docx 或 .pdf 文件；发送 /help 查看可用命令。")


def unsupported_message() -> str:
    """Stickers, voice, video, locations, contacts … the bot cannot use."""
    return ("暂时只能处理文字和文件：提问请直接发文字，上传自查材料请发送 .docx 或 .pdf 文件。"
            "发送 /help 查看可用命令。")


def progress(file_name: str, step: str) -> str:
    return f"⏳ 已收到《{escape(file_name)}》，{step}"


def rejected(file_name: str, reason: str) -> str:
    """A file that could not be read: what was wrong with it; the user fixes it and resends."""
    return f"❌ 未能接收《{escape(file_name)}》：{escape(reason)}\n本次上传没有记录，请处理后重新上传。"


def refused_upload(file_name: str, reason: str) -> str:
    """A file refused for the unit's state (locked, inactive, replaced meanwhile), not its
    content: the reason says what to do, and resending the same file would not help."""
    return f"❌ 未能接收《{escape(file_name)}》：{escape(reason)}\n本次上传没有记录。"


def upload_interrupted(file_name: str) -> str:
    return (f"⚠️ 处理《{escape(file_name)}》时机器人重新启动，这次上传没有记录。请重新发送这个文件。")


def export_interrupted() -> str:
    return "⚠️ 生成汇总导出时机器人重新启动，导出没有完成。请重新发送 /export。"


def upload_interrupted_recorded(file_name: str) -> str:
    return (f"✅ 《{escape(file_name)}》已接收并记录（回执未能及时发出）。"
            "发送 /status 或 /score 查看本单位情况。")


def refused(reason: str) -> str:
    """A refusal (``kaohe.errors.Refused``): its reason says what was wrong and what to do."""
    return f"⚠️ {escape(reason)}"


def internal_error_alert(where: str, error_type: str, held: int) -> str:
    """To the office: an internal error happened; the user was told to retry."""
    more = f"\n此前还有 {held} 次内部错误未逐条提示。" if held else ""
    return (f"⚠️ <b>系统提示</b>：{escape(where)}时出现内部错误（{escape(error_type)}）。"
            "用户已收到“本次操作没有完成，请稍后重试”的答复；详细原因已写入日志，"
            f"请转告技术人员查看。{more}")


def internal_error(contact: str) -> str:
    return (
        "⚠️ 抱歉，处理时出现内部错误，本次操作没有完成，也没有留下记录。请稍后重试；"
        f"如多次出现请联系考核办：{escape(contact)}。"
    )


def upload_result(outcome: IngestOutcome, tz: ZoneInfo) -> str:
    """The full reply to an upload: receipt, score, coverage with evidence, gaps."""
    r = outcome.receipt
    score = outcome.score
    size = f"{r.pages} 页，" if r.pages else ""
    lines = []
    if r.duplicate_of:
        first = datetime.fromisoformat(r.duplicate_of["received_at"])
        lines += [
            "ℹ️ <b>这份文件此前已提交过</b>，不重复计入。",
            f"原文件：《{escape(r.duplicate_of['file_name'])}》，"
            f"首次接收于 {fmt_time(first, tz)}",
        ]
    else:
        lines += [
            "✅ <b>已接收自查材料（回执）</b>",
            f"单位：{escape(outcome.unit['name'])}",
            f"文件：《{escape(r.file_name)}》（{FILE_TYPE_LABELS.get(r.file_type, r.file_type)}）",
            f"内容：{size}{r.paragraphs} 段，{r.chars:,} 字",
            f"校验码：{r.sha256[:12]}",
            f"接收时间：{fmt_time(r.received_at, tz)}",
        ]
        if r.deadline_at:
            status = "⚠️ <b>逾期提交</b>（已接收并标记）" if r.late else "按时提交"
            lines.append(f"截止时间：{fmt_time(r.deadline_at, tz)}，{status}")
        if outcome.replaced:
            old = outcome.replaced
            lines.append(f"版本：第{(old['version'] or 1) + 1}版，替换《{escape(old['file_name'])}》"
                         f"第{old['version'] or 1}版（旧版本不再计分）")
    lines += [f"⚠️ 注意：{escape(w)}" for w in r.warnings]
    if r.seal_page:
        lines += seal_page_lines(r, has_report=outcome.score.paragraphs_considered > 0)
        if not outcome.score.paragraphs_considered:  # nothing to score yet: no 0-point card
            lines.append(f"本单位共提交 {outcome.files_counted} 份材料。")
            return "\n".join(lines)
    elif r.sealed_pages:
        lines.append(f"🔏 第{'、'.join(map(str, r.sealed_pages))}页有红色公章印迹。")
    if outcome.file_matched_nothing:
        lines.append("⚠️ 注意：这份文件中没有找到与考核指标相关的内容，请确认上传的是本单位的自查材料。")
    lines.append(f"本单位共提交 {outcome.files_counted} 份材料，得分按全部材料计算。")
    change = outcome.change
    if change is not None and change.before_total is not None and not r.duplicate_of and not r.seal_page:
        lines += ["", "<b>本次变化</b>", *change_lines(change)]
    block = score_lines(score)
    result = outcome.result
    if result is not None and (result.decisions or result.social is not None or result.office_bonus
                               or result.office_deduction or result.office_veto):
        block.insert(2, f"✍️ 计入考核办核定和社会评价后：<b>{fmt_points(result.total)}</b> 分，"
                        f"等次 <b>{result.grade}</b>（发送 /score 查看明细）")
    lines += ["", *block]
    lines.append("发送 /score 查看每项指标的得分依据；发送 /files 替换或撤回文件。")
    return "\n".join(lines)


def seal_page_lines(r, has_report: bool) -> list[str]:
    """A stamped page (盖章页) was recognised: kept on file, not scored."""
    where = f"第{'、'.join(map(str, r.sealed_pages))}页" if r.pages else "图片上"
    lines = [f"🔏 <b>识别为盖章页</b>：{where}有红色公章印迹，全文仅 {r.chars} 字。"
             "已作为本单位的盖章页存档，不参与指标打分。"]
    if has_report:
        lines.append("得分仍按已提交的自查报告正文计算，本次不变。")
    else:
        lines.append("本单位还没有可计分的自查报告正文：按实施细则，盖章页扫描件 PDF 须与可编辑的 "
                     ".docx 自查报告一并报送，请再发送 .docx 报告正文。")
    lines.append("如这份文件其实是报告正文而非盖章页，请发送带文字的原始 Word/PDF 文件。")
    return lines


def change_lines(change: CoverageChange | None) -> list[str]:
    """新增覆盖 / 不再覆盖 / 仍缺 and the score change, for a new version or a withdrawal."""
    if change is None or change.before_total is None:
        return []
    lines = []
    if change.gained:
        lines.append("新增覆盖：" + "、".join(map(escape, change.gained)))
    if change.lost:
        lines.append("不再覆盖：" + "、".join(map(escape, change.lost)))
    lines.append("仍缺：" + ("、".join(map(escape, change.still_missing)) or "无"))
    delta = change.delta or 0
    sign = "+" if delta > 0 else ("−" if delta < 0 else "±")
    grade = ""
    if change.before_grade and change.after_grade and change.before_grade != change.after_grade:
        grade = f"；等次：{escape(change.before_grade)} → <b>{escape(change.after_grade)}</b>"
    lines.append(f"得分：{fmt_points(change.before_total)} → {fmt_points(change.after_total)}"
                 f"（{sign}{fmt_points(abs(delta))}）{grade}")
    return lines


def score_lines(score: UnitScore) -> list[str]:
    """The preliminary score block: total, grade, per-indicator coverage and gaps."""
    lines = [
        f"📊 <b>初步得分：{fmt_points(score.total)} / {fmt_points(score.full_marks)}</b>"
        f"（{score.percent:g}%），初步等次：<b>{score.grade}</b>",
        f"基础分 {fmt_points(score.base_total)} + 效果分 {fmt_points(score.effect_total)}"
        f" + 争优创新 {fmt_points(score.bonus)} − 违规失职 {fmt_points(score.deduction)}",
    ]
    if score.vetoed:
        lines.append(f"⛔ 一票否决：等次按不合格计。{escape(score.veto_reason)}（待考核办核实）")
    lines += ["", "<b>指标覆盖情况</b>"]
    group = None
    for item in score.indicators:
        ind = item.indicator
        if ind.group_name != group:
            group = ind.group_name
            lines.append(f"【{escape(group)}】")
        core = "（核心）" if ind.core else ""
        lines.append(
            f"{COVERAGE_ICONS[item.coverage]} {escape(ind.name)}{core} "
            f"{fmt_points(item.total)}/{fmt_points(ind.points)} 分"
            f"（基础 {fmt_points(item.base)} + 效果 {fmt_points(item.effect)}）"
            f"· {COVERAGE_LABELS[item.coverage]}"
        )
        best = item.best
        if best is not None:
            lines.append(
                f"    证据：《{escape(best.paragraph.file_name)}》{best.paragraph.location}"
                f"：“{escape(best.snippet)}”"
            )
    gaps = [(item.indicator.name, gap) for item in score.indicators for gap in item.gaps]
    if gaps:
        lines += ["", "<b>还缺什么</b>"]
        lines += [f"• {escape(name)}：{escape(gap)}" for name, gap in gaps]
    lines += set_aside_lines(score)
    for label, items, sign in (("争优创新", score.bonus_items, "+"),
                               ("违规失职", score.deduction_items, "−")):
        if items:
            amount = score.bonus if sign == "+" else score.deduction
            counted = sum(not i.veto for i in items)  # a veto item sets the grade, not points
            lines += ["", f"<b>{label}</b>（待考核办核实）：{counted} 项，{sign}{fmt_points(amount)} 分"]
            lines += [
                f"    · {'⛔ 否决情形 ' if i.veto else ''}《{escape(i.paragraph.file_name)}》{i.paragraph.location}："
                f"“{escape(quote(i.sentence, i.keywords[0], 60))}”"
                for i in items[:5]
            ]
    lines += ["", "说明：以上为系统依据所交材料自动生成的初步得分，仅供参考，以考核办审核结果为准。"]
    return lines


def set_aside_lines(score: UnitScore, shown: int = 3) -> list[str]:
    """Paragraphs that looked like evidence but did not count, each with why."""
    if not score.set_aside:
        return []
    names = {item.indicator.id: item.indicator.name for item in score.indicators}
    lines = ["", f"<b>未计入的段落</b>（{len(score.set_aside)} 段，看似相关但未计分）"]
    for item in score.set_aside[:shown]:
        looked = "、".join(names[i] for i in item.looked_like if i in names)
        lines.append(f"    · 《{escape(item.paragraph.file_name)}》{item.paragraph.location}"
                     f"“{escape(quote(item.paragraph.text, '', 40))}”：{item.reason}"
                     + (f"（看似“{escape(looked)}”）" if looked else ""))
    if len(score.set_aside) > shown:
        lines.append(f"    ……另有 {len(score.set_aside) - shown} 段，见 /score 各指标页")
    return lines


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split at line breaks into pieces Telegram accepts (each at most ``limit`` chars)."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current:
        pieces.append(current)
    return pieces
