"""Units by the names people use, and the office's list of units from a spreadsheet: preview,
refusal by row, import, invite codes with links and QR codes, config vs database."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import openpyxl
import pytest

from kaohe.services import Services
from kaohe.units import match_units, plan_import
from parsers.unit_sheet import BadUnitSheet, parse_unit_sheet
from tests.conftest import BEFORE_DEADLINE, EXAMPLE_REPORT
from tests.support import running_bot

ADMIN, OFFICIAL, NEWCOMER = 10001, 10002, 40009
HEADER = ["单位名称", "简称/别名", "类别", "联络员"]
CITY = [
    ["市司法局", "司法局", "市直部门", "王明"],
    ["市发展和改革委员会", "发改委、市发改委", "市直部门", ""],
    ["东城区", "", "县区", ""],
    ["高新技术产业开发区", "高新区", "开发区", ""],
    ["市住房和城乡建设局", "住建局", "市直部门", "李华、赵强"],
    ["市教育局", "教育局", "市直部门", ""],
    ["西城区", "", "县区", ""],
]


def xlsx(rows, header=HEADER, title=None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows, header=HEADER, encoding="gb18030") -> bytes:
    lines = [",".join(header)] + [",".join(f'"{c}"' if "," in c or "、" in c else c for c in r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


UNITS = [{"id": "fgw", "name": "市发展和改革委员会", "aliases": ["发改委"]},
         {"id": "zjj", "name": "市住房和城乡建设局", "aliases": []},
         {"id": "gxq", "name": "高新技术产业开发区", "aliases": []},
         {"id": "sfj", "name": "市司法局", "aliases": []},
         {"id": "yjzx", "name": "市发展改革研究中心", "aliases": []}]


@pytest.mark.parametrize(("typed", "found"), [
    ("发改委", ["fgw"]), ("市发展和改革委员会", ["fgw"]), ("FGW", ["fgw"]),  # alias, name, id
    ("发改", ["fgw"]), ("司法", ["sfj"]),  # a fragment of a name or alias
    ("住建局", ["zjj"]), ("高新区", ["gxq"]),  # short forms made from the name's characters
    ("市发展", ["fgw", "yjzx"]),  # several: the user chooses
    ("市 发改委", ["fgw"]),  # spaces do not matter
])
def test_a_unit_is_found_by_the_names_people_use(typed, found):
    assert [u["id"] for u in match_units(typed, UNITS).units] == found


def test_no_match_offers_the_nearest_names_and_nothing_unrelated():
    near = match_units("市司法厅", UNITS)
    assert near.units == () and [u["id"] for u in near.suggestions][:1] == ["sfj"]
    assert match_units("公安", UNITS).suggestions == ()


def test_the_sheet_is_read_from_xlsx_and_gbk_csv_alike():
    for data in (xlsx(CITY, title="2026年度考核单位名单"), csv_bytes(CITY)):
        sheet = parse_unit_sheet(data, "单位名单")
        assert [r.name for r in sheet.rows] == [r[0] for r in CITY]
        fgw = sheet.rows[1]
        assert fgw.aliases == ("发改委", "市发改委") and fgw.category == "市直部门"
        assert sheet.rows[4].liaisons == ("李华", "赵强")
    assert sheet.rows[0].row == 2  # header on row 1 of the CSV: rows counted as the office sees them


def test_a_file_that_is_not_a_units_table_says_what_to_do():
    with pytest.raises(BadUnitSheet, match="单位名称.*类别"):
        parse_unit_sheet(xlsx(CITY, header=["名字", "别名", "分组", "人"]), "x.xlsx")
    with pytest.raises(BadUnitSheet, match="PDF"):
        parse_unit_sheet(b"%PDF-1.4 ...", "x.pdf")


def test_bad_rows_refuse_the_file_naming_each_row(config):
    rows = CITY + [["", "无名", "县区", ""], ["市司法局", "", "市直部门", ""],
                   ["市审计局", "发改委", "市直部门", ""], ["北城区", "", "乡镇", ""]]
    plan = plan_import(parse_unit_sheet(xlsx(rows), "x.xlsx"), [], config.categories)
    assert not plan.ok
    problems = dict(plan.problems)
    assert problems[9] == "缺少单位名称"
    assert "与第 2 行重复" in problems[10]
    assert "“发改委”与第 3 行的“发改委”重复" in problems[11]
    assert "类别“乡镇”不在本期的单位类别中" in problems[12]
    both = plan_import(parse_unit_sheet(xlsx([["市审计局", "发改委", "审计", ""], *CITY[1:2]]), "x"), [],
                       config.categories).problems
    assert [row for row, _ in both] == [2, 3]  # a bad category does not hide the duplicate alias below it


def test_import_previews_then_writes_and_the_database_becomes_the_list(config, scorer):
    svc = Services(config, scorer=scorer)
    try:
        plan = svc.preview_units(xlsx(CITY), "单位名单.xlsx")
        assert sorted(r.name for r in plan.new) == ["市住房和城乡建设局", "市教育局", "西城区"]
        changed = {row.name: what for row, _, what in plan.changed}
        assert changed["市司法局"] == ("联络员：（无） → 王明",)  # the config unit, matched by name
        assert "市发展和改革委员会" not in changed  # its aliases are config's: unchanged
        assert plan.removed == ()
        assert svc.store.units_imported() is False and svc.store.unit("u0001") is None  # nothing written yet
        stale = svc.preview_units(xlsx(CITY), "单位名单.xlsx")  # a second preview of the same list
        codes = svc.import_units(plan, ADMIN, BEFORE_DEADLINE)
        assert len(codes) == 3 and all(len(c) == 8 for c in codes.values())
        from kaohe.errors import Refused

        with pytest.raises(Refused, match="预览之后已有变化"):
            svc.import_units(stale, ADMIN, BEFORE_DEADLINE)  # would add the three units again
        assert len(svc.store.naming_units()) == 7
        assert svc.find_unit("住建局").unit["name"] == "市住房和城乡建设局"
        from kaohe.texts.status import unit_card_text

        card = svc.cycle.unit_card(svc.find_unit("住建局").unit["id"])
        assert "名单中的联络员：李华、赵强" in unit_card_text(card, config.tz, BEFORE_DEADLINE, config.scoring)
        assert svc.store.units_imported()
        # A unit left out of the next list is made inactive; config's list is not read again.
        plan = svc.preview_units(xlsx(CITY[:-1]), "单位名单.xlsx")
        assert [u["name"] for u in plan.removed] == ["西城区"]
        svc.import_units(plan, ADMIN, BEFORE_DEADLINE)
    finally:
        svc.close()
    again = Services(config, scorer=scorer)  # a restart: [[units]] in config.toml would say otherwise
    try:
        assert len(again.store.naming_units()) == 6 and again.find_unit("西城区").units == ()
        assert again.find_unit("教育局").unit is not None
    finally:
        again.close()


def _decode_qr(png: bytes) -> str:
    import cv2

    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(image)
    return text


async def test_the_office_imports_a_sheet_in_chat_and_gets_invites_that_bind(config, scorer):
    async with running_bot(config, scorer, lambda: BEFORE_DEADLINE) as (api, svc, _):
        since = len(api.sent)
        api.send_document(ADMIN, xlsx(CITY), "2026年考核单位.xlsx")
        preview = await api.wait_for_async(lambda a: "单位名单预览" in (a.get("text") or ""), since=since)
        assert "共 7 个单位" in preview["text"] and "新增 3 个" in preview["text"]
        assert "config.toml 中的 [[units]] 不再读取" in preview["text"]
        since = len(api.sent)
        api.press_button(ADMIN, preview["message_id"], preview["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
        await api.wait_for_async(lambda a: "单位名单已导入：新增 3 个" in (a.get("text") or ""), since=since)
        await api.wait_for_async(lambda a: len([x for x in api.sent[since:] if x["method"] == "sendDocument"]) == 2,
                                 since=since, timeout=30)
        files = {a["file_name"]: a["data"] for a in api.sent[since:] if a["method"] == "sendDocument"}
        book = next(v for k, v in files.items() if k.endswith(".xlsx"))
        rows = list(openpyxl.load_workbook(io.BytesIO(book))["邀请码"].iter_rows(values_only=True))
        header = rows[1]
        units = {r[header.index("单位")]: r for r in rows[2:]}
        assert set(units) == {r[0] for r in CITY}
        jyj = units["市教育局"]
        code, link = jyj[header.index("邀请码")], jyj[header.index("绑定链接")]
        assert link == f"https://t.me/{api.bot_user['username']}?start={code}"
        with zipfile.ZipFile(io.BytesIO(next(v for k, v in files.items() if k.endswith(".zip")))) as qr:
            assert sorted(qr.namelist()) == sorted(f"{r[0]}.png" for r in CITY)
            assert _decode_qr(qr.read("市教育局.png")) == link
        since = len(api.sent)
        api.send_text(NEWCOMER, f"/start {code}")
        bound = await api.wait_for_async(lambda a: a["chat_id"] == NEWCOMER and "绑定成功" in (a.get("text") or ""),
                                         since=since)
        assert "市教育局" in bound["text"]


async def test_a_bad_sheet_in_chat_names_the_rows_and_changes_nothing(config, scorer):
    async with running_bot(config, scorer, lambda: BEFORE_DEADLINE) as (api, svc, _):
        since = len(api.sent)  # a list of units without its 类别 column reads as neither kind of table
        api.send_document(ADMIN, xlsx([r[:2] for r in CITY], header=["单位名称", "简称/别名"]), "名单.xlsx")
        neither = await api.wait_for_async(lambda a: "未导入" in (a.get("text") or ""), since=since)
        assert "表头需要“单位名称”和“类别”两列" in neither["text"]
        since = len(api.sent)
        api.send_document(ADMIN, xlsx(CITY + [["市审计局", "", "审计", ""]]), "名单.xlsx")
        refused = await api.wait_for_async(lambda a: "没有导入" in (a.get("text") or ""), since=since)
        assert "第 9 行" in refused["text"] and "类别“审计”" in refused["text"]
        assert len(svc.store.naming_units()) == 4 and not svc.store.units_imported()


async def test_officials_name_units_as_they_speak_and_choose_among_several(config, scorer):
    async with running_bot(config, scorer, lambda: BEFORE_DEADLINE) as (api, svc, _):
        svc.ingest("fgw", 7, EXAMPLE_REPORT.name, EXAMPLE_REPORT.read_bytes(), BEFORE_DEADLINE)
        since = len(api.sent)
        api.send_text(OFFICIAL, "/score 发改委")
        screen = await api.wait_for_async(lambda a: a["chat_id"] == OFFICIAL and "市发展和改革委员会" in (a.get("text") or ""),
                                          since=since)
        assert "初步得分" in screen["text"]
        since = len(api.sent)
        api.send_text(OFFICIAL, "/unit 发改")
        await api.wait_for_async(lambda a: a["chat_id"] == OFFICIAL and "编号 fgw" in (a.get("text") or ""), since=since)
        since = len(api.sent)
        api.send_text(OFFICIAL, "/score 市局")  # 市…局: only 市司法局 holds both, in order
        await api.wait_for_async(lambda a: a["chat_id"] == OFFICIAL and "市司法局" in (a.get("text") or ""), since=since)
        since = len(api.sent)
        api.send_text(OFFICIAL, "/score 区")
        choice = await api.wait_for_async(lambda a: a["chat_id"] == OFFICIAL and "对应多个单位" in (a.get("text") or ""),
                                          since=since)
        buttons = [b for row in choice["reply_markup"]["inline_keyboard"] for b in row]
        assert sorted(b["text"] for b in buttons) == ["东城区", "高新技术产业开发区"]
        since = len(api.sent)
        api.press_button(OFFICIAL, choice["message_id"], next(b["callback_data"] for b in buttons if b["text"] == "东城区"))
        await api.wait_for_async(lambda a: a["chat_id"] == OFFICIAL and "东城区" in (a.get("text") or "")
                                 and a["message_id"] != choice["message_id"], since=since)
        since = len(api.sent)
        api.send_text(OFFICIAL, "/score 司法厅")
        near = await api.wait_for_async(lambda a: a["chat_id"] == OFFICIAL and "没有找到" in (a.get("text") or ""),
                                        since=since)
        assert "/review" not in near["text"]  # an official is never pointed to the office's commands
        assert [b["text"] for row in near["reply_markup"]["inline_keyboard"] for b in row][:1] == ["市司法局"]
