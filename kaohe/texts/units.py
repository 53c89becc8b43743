"""Texts for units by name (choices, nearest names) and the office's list of units."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kaohe.units import ImportPlan

PICK_GONE = "这个选择已失效（机器人重启过或已选过），请重新发送命令。"
IMPORT_GONE = "这份单位名单的预览已失效（已处理过或机器人重启过），请重新发送文件。"
IMPORT_CANCELLED = "已取消，单位名单没有变化。"
QR_CAPTION = "每个单位一张二维码图片（文件名为单位名称），扫码即打开机器人并自动填入邀请码。"
UNITS_HINT = ("（如果这是单位名单而不是社会评价结果：表头需要“单位名称”和“类别”两列，"
              "可选“简称/别名”“联络员”“编号”，改好后重新发送即可预览导入。）")
SHOWN = 15  # names listed per part of a preview
PROBLEMS_SHOWN = 30


def _names(units: Sequence[Mapping[str, Any]], limit: int = SHOWN) -> str:
    shown = "、".join(escape(u["name"]) for u in units[:limit])
    return shown + (f" 等 {len(units)} 个" if len(units) > limit else "")


def several_units(query: str, units: Sequence[Mapping[str, Any]], shown: int) -> str:
    more = f"（共 {len(units)} 个，下面列出前 {shown} 个；可以写得更完整些）" if len(units) > shown else ""
    return f"“{escape(query)}”对应多个单位{more}，请点选："


def no_unit(query: str, suggestions: Sequence[Mapping[str, Any]]) -> str:
    if suggestions:
        return f"没有找到“{escape(query)}”。您要找的是不是下面的单位？点选即可："
    return (f"没有找到“{escape(query)}”。单位可以写全称、简称或名称中的几个字（如“司法”）；"
            "发送 /overview 可查看各单位名称。")


def bad_sheet(file_name: str, reason: str) -> str:
    return f"❌ 未能读取《{escape(file_name)}》：{escape(reason)}\n单位名单没有变化。"


def import_refused(file_name: str, plan: ImportPlan) -> str:
    lines = [f"❌ 《{escape(file_name)}》没有导入：以下 {len(plan.problems)} 处需要先在表中改正"
             "（整份文件未导入，单位名单没有变化）："]
    for row, what in plan.problems[:PROBLEMS_SHOWN]:
        where = f"第 {row} 行：" if row else ""
        lines.append(f"• {where}{escape(what)}")
    if len(plan.problems) > PROBLEMS_SHOWN:
        lines.append(f"……另有 {len(plan.problems) - PROBLEMS_SHOWN} 处。")
    lines.append("改正后重新发送这个文件即可。")
    return "\n".join(lines)


def import_preview(file_name: str, plan: ImportPlan, imported_before: bool) -> str:
    where = f"（工作表“{escape(plan.sheet)}”）" if plan.sheet else ""
    lines = [f"📋 <b>单位名单预览</b>：《{escape(file_name)}》{where}共 {plan.rows} 个单位", ""]
    lines.append(f"🆕 新增 {len(plan.new)} 个" + (f"：{_names([{'name': r.name} for r in plan.new])}"
                                                  if plan.new else ""))
    lines.append(f"✏️ 变更 {len(plan.changed)} 个" + ("：" if plan.changed else ""))
    for row, _unit, what in plan.changed[:SHOWN]:
        lines.append(f"   · {escape(row.name)}：{escape('；'.join(what))}")
    if len(plan.changed) > SHOWN:
        lines.append(f"   ……另有 {len(plan.changed) - SHOWN} 个")
    lines.append(f"➖ 不再列入 {len(plan.removed)} 个" + (f"：{_names(plan.removed)}" if plan.removed else ""))
    lines.append(f"未变 {len(plan.unchanged)} 个")
    lines.append("")
    if plan.removed:
        lines.append("不再列入的单位将停用：其联络员不能再提交材料，已交材料和得分保留，可在以后的名单中恢复。")
    if plan.new:
        lines.append("新增单位各生成一个邀请码；导入后发送邀请码清单（含绑定链接）和二维码。")
    if not imported_before:
        lines.append("导入后以数据库中的名单为准，config.toml 中的 [[units]] 不再读取。")
    lines.append("确认导入吗？")
    return "\n".join(lines)


def imported(plan: ImportPlan, codes: Mapping[str, str], in_chat: bool = True) -> str:
    done = (f"✅ 单位名单已导入：新增 {len(plan.new)} 个，变更 {len(plan.changed)} 个，"
            f"停用 {len(plan.removed)} 个，未变 {len(plan.unchanged)} 个；生成邀请码 {len(codes)} 个。")
    return done + ("\n邀请码清单随后发送；发送 /units 邀请码 可随时重新获取。" if in_chat else "")


def units_summary(units: Sequence[Mapping[str, Any]], imported_list: bool) -> str:
    by_category: dict[str, int] = {}
    for unit in units:
        by_category[unit["category"]] = by_category.get(unit["category"], 0) + 1
    parts = "、".join(f"{escape(c)} {n} 个" for c, n in by_category.items())
    source = ("名单来自考核办导入的表格（config.toml 中的 [[units]] 不再读取）" if imported_list
              else "名单来自 config.toml 的 [[units]]")
    return "\n".join([
        f"<b>考核单位</b>：共 {len(units)} 个（{parts}）", source, "",
        "• 更新名单：直接发送单位名单表格（.xlsx 或 .csv，列：单位名称、简称/别名、类别，可选 联络员、编号），"
        "先预览，确认后导入。",
        "• /units 邀请码 — 各单位的邀请码、绑定链接和二维码",
        "• /invite 单位 — 单个单位的邀请码和联络员",
    ])


def invites_progress(units: int) -> str:
    return f"⏳ 正在生成 {units} 个单位的邀请码清单和二维码，约需 {max(1, round(units * 0.006))} 秒……"


def invites_caption(rows: Sequence[Mapping[str, Any]], username: str | None) -> str:
    missing = sum(1 for r in rows if r.get("invite") is None)
    lines = [f"邀请码清单：{len(rows)} 个单位。请按单位分发，联络员点链接或扫码即可绑定。"]
    if not username:
        lines.append("⚠️ 不知道机器人的用户名，清单中没有绑定链接和二维码：请在 config.toml 的 "
                     "[telegram] bot_username 中填写。")
    if missing:
        lines.append(f"⚠️ {missing} 个单位没有可用的邀请码，请用 /invite 单位 新码 生成。")
    return "\n".join(lines)
