"""Next year's cycle from the current one: config shifted a year, the finished cycle archived
and never changed (its exports come out the same), units and liaisons carried over, nothing
of this year's materials counted, last cycle's result shown beside this one."""

from __future__ import annotations

import glob
from datetime import datetime, timezone
from pathlib import Path

import openpyxl
import pytest

from bot.manage import main as manage
from kaohe.config import load_config
from kaohe.cycles import CycleError, plan_next_cycle, shift_config
from kaohe.services import Services
from kaohe.texts import score as sx
from kaohe.texts import status as st
from storage.backup import create_backup, restore_backup
from tests.conftest import EXAMPLE_REPORT
from tests.support import small_docx

ROOT = Path(__file__).resolve().parent.parent
AT_2026 = datetime(2026, 12, 1, 2, tzinfo=timezone.utc)
AT_2027 = datetime(2027, 12, 1, 2, tzinfo=timezone.utc)
LIAISON = 30001


def test_config_moves_a_year_and_says_what_changed():
    text = '''[cycle]
name = "2026年度目标责任制考核"
year = 2026

[[phases]]
name = "准备阶段"
start = "2028-02-29"
end = "2026-12-20"

[[deadlines]]
phase = "准备阶段"
name = "自查材料提交"
due = "2026-12-17 18:00"  # 星期四

[reminders]
holidays = ["2026-12-17"]
'''
    new, changes, warnings = shift_config(text, 2026)
    assert 'name = "2027年度目标责任制考核"' in new and "year = 2027" in new
    assert 'start = "2029-02-28"' in new  # no 29 February next year
    assert 'due = "2027-12-17 18:00"  # 星期四' in new
    assert 'holidays = ["2026-12-17"]' in new  # the office's own day lists are left alone
    assert ("截止时间", "2026-12-17 18:00", "2027-12-17 18:00") in changes
    assert warnings == []  # 2027-12-17 is a Friday
    assert shift_config('[[deadlines]]\ndue = "2026-12-19 18:00"\n', 2026)[2] == [
        "截止时间 2027-12-19 是星期日，请确认或在新配置中调整。"]


@pytest.fixture
def cycle_config(tmp_path):
    """A config file of its own (the next cycle rewrites it) over a temporary data folder."""
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = text.replace('dir = "data"', f'dir = "{tmp_path / "data"}"')
    text = text.replace('folder = "regulations"', f'folder = "{ROOT / "regulations"}"')
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _rows(path) -> dict[str, list]:
    book = openpyxl.load_workbook(path)
    return {name: list(book[name].iter_rows(min_row=2, values_only=True)) for name in book.sheetnames}


def test_the_next_cycle_archives_this_one_and_starts_empty(cycle_config, scorer, tmp_path, capsys):
    config = load_config(cycle_config)
    svc = Services(config, scorer=scorer)
    try:
        svc.bind(LIAISON, "王明", None, "SFJ2026", AT_2026)
        svc.ingest("sfj", LIAISON, EXAMPLE_REPORT.name, EXAMPLE_REPORT.read_bytes(), AT_2026)
        svc.ingest("fgw", 7, "发改委自查.docx", small_docx("全年承担市委市政府立项督查事项9项，办结率100%。"), AT_2026)
        before = svc.export_all(tmp_path / "before", AT_2026)
        totals = {u: svc.store.unit_score(u)["total"] for u in ("sfj", "fgw")}
        grade = svc.store.unit_score("sfj")["grade"]
    finally:
        svc.close()

    assert manage(["--config", str(cycle_config), "cycle", "next"]) == 0  # not a terminal: preview only
    assert "加 --yes 确认" in capsys.readouterr().out and load_config(cycle_config).year == 2026
    assert manage(["--config", str(cycle_config), "cycle", "next", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "截止时间：2026-12-15 18:00 → 2027-12-15 18:00" in out and "已开始 2027年度目标责任制考核" in out

    new = load_config(cycle_config)
    assert (new.year, new.cycle_name) == (2027, "2027年度目标责任制考核")
    with pytest.raises(CycleError, match="已经归档"):
        plan_next_cycle(load_config(tmp_path / "data" / "cycles" / "2026" / "config.toml"))

    svc = Services(new, scorer=scorer)
    try:
        counts = svc.store.counts()
        assert counts["units"] == 4 and counts["submissions"] == 0 and counts["evidence"] == 0
        assert svc.unit_of(LIAISON)["id"] == "sfj"  # liaisons carry over
        assert svc.cycle.progress("sfj")[0].deadline.due.year == 2027
        card = svc.cycle.unit_card("sfj")
        assert f"上一周期（2026年度目标责任制考核）：{st.fmt_points(totals['sfj'])} 分，{grade}；本期尚无得分" in \
            st.unit_card_text(card, new.tz, AT_2027, new.scoring)
        assert "上一周期（2026年度目标责任制考核）" in st.liaison_status(card, new.tz, AT_2027, new.scoring)
        svc.ingest("sfj", LIAISON, "2027自查.docx", small_docx("全年承担立项督查事项15项，已办结14项，办结率93.3%。"),
                   AT_2027)
        screen = sx.score_screen(svc.score_view("sfj"), new.scoring).text
        now = svc.store.unit_score("sfj")["total"]
        assert f"本期 {st.fmt_points(now)} 分（−{st.fmt_points(round(totals['sfj'] - now, 2))}）" in screen
        assert "立项督查（核心）" in screen and "· 上期 25（−" in screen
        current = _rows(svc.export_all(tmp_path / "now", AT_2027).workbook)["汇总"]
        header = current[0]
        sfj = next(r for r in current[1:] if r[1] == "sfj")
        assert sfj[header.index("上期总分（2026年度目标责任制考核）")] == totals["sfj"]
        assert sfj[header.index("总分变化")] == round(now - totals["sfj"], 2)
    finally:
        svc.close()

    # The finished cycle is as it was: its export, read from the archive, holds the same rows.
    assert manage(["--config", str(cycle_config), "export", "--cycle", "2026", str(tmp_path / "again")]) == 0
    again = glob.glob(str(tmp_path / "again" / "2026年度" / "*.xlsx"))[0]
    assert _rows(again) == _rows(before.workbook)

    # A backup carries the archived cycle; restoring brings it back.
    store = Services(new, scorer=scorer)
    try:
        create_backup(store.store, tmp_path / "backup.tar.gz")
    finally:
        store.close()
    restore_backup(tmp_path / "backup.tar.gz", tmp_path / "restored")
    assert (tmp_path / "restored" / "cycles" / "2026" / "kaohe.db").is_file()
    assert (tmp_path / "restored" / "cycles" / "2026" / "config.toml").is_file()
