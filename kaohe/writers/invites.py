"""The office's invite list: a workbook with each unit's invite code and deep link
(https://t.me/<bot>?start=<code>: opening it starts the bot with the code filled in), and a
ZIP of one QR code image per unit (segno, PNG) to print or forward."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from kaohe.writers.workbook import INTEGER, TIME, Column, Sheet, local, write_workbook

QR_SCALE = 8  # pixels per module: a 33-module code is about 300 px, sharp when printed 3 cm wide
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def deep_link(username: str | None, code: str | None) -> str | None:
    """The link that opens the bot with the invite code (None without the bot's username)."""
    if not username or not code:
        return None
    return f"https://t.me/{username.lstrip('@')}?start={code}"


def write_invites(rows: Sequence[dict[str, Any]], username: str | None, folder: Path, at: datetime,
                  tz: ZoneInfo, cycle_name: str) -> tuple[Path, Path | None]:
    """Write the invite workbook (and the QR ZIP when links can be made) into ``folder``."""
    stamp = at.astimezone(tz).strftime("%Y%m%d-%H%M")
    workbook = folder / f"邀请码清单_{stamp}.xlsx"
    columns = [Column("单位", 28), Column("编号", 10), Column("类别", 10), Column("简称/别名", 18),
               Column("联络员（名单）", 16), Column("邀请码", 12), Column("可绑定人数", 10, INTEGER),
               Column("已绑定次数", 10, INTEGER), Column("有效期至", 17, TIME), Column("绑定链接", 46)]

    def lines():
        for row in rows:
            invite = row.get("invite") or {}
            yield [row["name"], row["id"], row["category"], "、".join(row.get("aliases") or ()),
                   row.get("contacts"), invite.get("code") or "（无可用邀请码）", invite.get("max_uses"),
                   invite.get("uses"), local(invite.get("expires_at"), tz),
                   deep_link(username, invite.get("code"))]

    write_workbook(workbook, f"{cycle_name} 邀请码清单（导出于 {at.astimezone(tz):%Y-%m-%d %H:%M}）",
                   [Sheet("邀请码", columns, lines())])
    if not username:
        return workbook, None
    import segno

    archive = folder / f"邀请二维码_{stamp}.zip"
    names: set[str] = set()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for row in rows:
            link = deep_link(username, (row.get("invite") or {}).get("code"))
            if link is None:
                continue
            name = _UNSAFE.sub("_", row["name"]).strip() or row["id"]
            if name in names:  # two units of one name cannot happen; an id keeps it unique anyway
                name = f"{name}_{row['id']}"
            names.add(name)
            with out.open(f"{name}.png", "w") as png:
                segno.make(link, error="m").save(png, kind="png", scale=QR_SCALE, border=4)
    return workbook, archive
