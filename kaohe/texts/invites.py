"""Chinese texts of invite codes and liaison bindings: /invite, the notices a unit's liaisons
get when someone joins or is removed (HTML parse mode)."""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from kaohe.fmt import fmt_time
from storage.store import parse_utc


def usage() -> str:
    return (
        "🔑 <b>邀请码与联络员</b>（考核办）\n"
        "· <code>/invite 单位</code> 查看该单位的邀请码和联络员（可移除联络员）\n"
        "· <code>/invite 单位 新码 [5人] [30天]</code> 作废该单位现有的码，另发一个新码\n"
        "· <code>/invite 单位 加码 [5人] [30天]</code> 现有的码照常可用，另加一个码\n"
        "· <code>/invite 撤销 邀请码</code> 作废一个码（已绑定的联络员不受影响）\n"
        "· <code>/invite 单位 移除 姓名或用户ID</code> 解除一名联络员的绑定\n"
        "人数和天数可省略（按 config.toml 的 [invites]）；写 0人 或 0天 表示不限。"
    )


def bad_limits(word: str) -> str:
    return (f"看不懂“{escape(word)}”。人数写成 <code>5人</code>（0 到 1000），天数写成 <code>30天</code>"
            "（0 到 3660），0 表示不限。例如：<code>/invite 司法局 新码 3人 14天</code>")


def _state(row: dict, now: datetime) -> str:
    if row["revoked_at"]:
        return "已作废"
    if row["expires_at"] and parse_utc(row["expires_at"]) <= now:
        return "已过期"
    if row["max_uses"] and row["uses"] >= row["max_uses"]:
        return "次数已满"
    return "可用"


def _limits(row: dict, tz: ZoneInfo) -> str:
    uses = f"已用 {row['uses']}/{row['max_uses']} 人" if row["max_uses"] else f"已用 {row['uses']} 人（不限人数）"
    until = (f"有效至 {fmt_time(parse_utc(row['expires_at']), tz)}" if row["expires_at"] else "长期有效")
    source = "配置文件" if row["source"] == "config" else "考核办签发"
    return f"{uses}，{until}，{source}"


def unit_screen(unit: dict, invites: list[dict], liaisons: list[dict], now: datetime, tz: ZoneInfo) -> str:
    lines = [f"🔑 <b>{escape(unit['name'])}</b> 的邀请码"]
    working = [r for r in invites if _state(r, now) == "可用"]
    for row in invites[:8]:
        lines.append(f"· <code>{escape(row['code'])}</code> {_state(row, now)}：{_limits(row, tz)}")
    if not working:
        lines.append("（没有可用的码：发送 <code>/invite "
                     f"{escape(unit['name'])} 新码</code> 签发一个）")
    lines.append(f"\n👤 联络员（{len(liaisons)} 人）")
    for p in liaisons:
        handle = f" @{escape(p['username'])}" if p.get("username") else ""
        lines.append(f"· {escape(p['name'] or '未署名')}{handle}（ID {p['telegram_id']}），"
                     f"{fmt_time(parse_utc(p['bound_at']), tz) if p.get('bound_at') else '时间不详'} 绑定")
    if not liaisons:
        lines.append("（还没有人绑定）")
    else:
        lines.append("需要解除绑定时按下方按钮。")
    return "\n".join(lines)


def issued(unit: dict, row: dict, link: str | None, revoked: int, tz: ZoneInfo) -> str:
    gone = f"\n该单位原有的 {revoked} 个码已作废（已绑定的联络员不受影响）。" if revoked else ""
    deep = f"\n一键绑定链接：{escape(link)}" if link else ""
    return (f"✅ 已为 <b>{escape(unit['name'])}</b> 签发邀请码 <code>{escape(row['code'])}</code>"
            f"（{_limits(row, tz)}）。{gone}\n"
            f"联络员发送 <code>/bind {escape(row['code'])}</code> 即可绑定。{deep}")


def revoked(row: dict, unit: dict) -> str:
    return (f"✅ 邀请码 <code>{escape(row['code'])}</code>（{escape(unit['name'])}）已作废，"
            "不能再用于绑定；已绑定的联络员不受影响，如需解除请用 <code>/invite 单位</code> 查看后移除。")


def no_such_code(code: str) -> str:
    return f"没有找到邀请码“{escape(code)}”。发送 <code>/invite 单位</code> 查看某单位的码。"


def removed(person: dict, unit: dict) -> str:
    return (f"✅ 已解除 {escape(person['name'] or str(person['telegram_id']))} 与 "
            f"<b>{escape(unit['name'])}</b> 的绑定。本人和该单位其他联络员会收到通知；"
            "他已提交的材料仍然保留。如需防止再次绑定，请同时更换邀请码（<code>/invite 单位 新码</code>）。")


def no_such_liaison(who: str, unit: dict) -> str:
    return (f"{escape(unit['name'])} 没有名为或 ID 为“{escape(who)}”的联络员。"
            f"发送 <code>/invite {escape(unit['name'])}</code> 查看联络员名单。")


def button_gone() -> str:
    return "这个按钮已失效（已处理过或机器人重启过），请重新发送 /invite 单位"


# ---- notices to the unit's liaisons (sent through the ledger) ---------------------------------


def joined_notice(unit: dict, who: str, at: datetime, tz: ZoneInfo, contact: str) -> str:
    return (f"👤 【联络员变动】{escape(who)} 已于 {fmt_time(at, tz)} 用邀请码绑定为 "
            f"<b>{escape(unit['name'])}</b> 的联络员，可以上传、替换和撤回本单位的材料。"
            f"如不认识此人，请立即联系考核办（{escape(contact)}）解除其绑定并更换邀请码。")


def removed_notice_to_person(unit: dict, contact: str) -> str:
    return (f"考核办已解除您与 <b>{escape(unit['name'])}</b> 的联络员绑定，您不能再代表该单位提交材料。"
            f"您此前提交的材料仍然保留。如有疑问请联系考核办（{escape(contact)}）。")


def removed_notice_to_others(unit: dict, person: dict) -> str:
    return (f"👤 【联络员变动】考核办已解除 {escape(person['name'] or '一名联络员')} 与 "
            f"<b>{escape(unit['name'])}</b> 的绑定。")
