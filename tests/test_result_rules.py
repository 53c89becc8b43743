"""How a result is composed: office decisions over the automatic score, add-ons, veto, 社会评价;
and the office's command line (recompute, social import)."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import openpyxl
import pytest

from scoring.result import (
    BONUS,
    DEDUCTION,
    NO_BONUS,
    SET_INDICATOR,
    VETO,
    AutoIndicator,
    Decision,
    compose,
    coverage_change,
)
from tests.conftest import EXAMPLE_REPORT

AUTOS = [AutoIndicator("a", "甲", 60, 36, 14), AutoIndicator("b", "乙", 40, 12, 0)]


def decision(n, kind, value, target=None):
    return Decision(id=n, kind=kind, value=value, reason="理由", target=target)


@pytest.fixture
def rules(shipped_config):
    return shipped_config.scoring


def test_the_automatic_score_stands_until_the_office_decides(rules):
    result = compose(AUTOS, 3, 0, False, [], None, rules)
    assert result.indicator_total == 62 and result.total == 65 and result.grade == "合格"
    assert not result.office_bonus and result.decisions == 0


def test_the_latest_office_decision_on_an_indicator_wins_and_is_clamped(rules):
    decisions = [decision(1, SET_INDICATOR, 55, "a"), decision(2, SET_INDICATOR, 80, "b")]
    result = compose(AUTOS, 0, 0, False, decisions, None, rules)
    assert [i.final for i in result.indicators] == [55, 40]  # 80 clamped to b's 40 points
    assert result.decisions == 2 and result.total == 95


def test_once_the_office_rules_on_an_addon_the_materials_no_longer_count(rules):
    auto = compose(AUTOS, 4, 6, False, [], None, rules)
    assert (auto.bonus, auto.deduction) == (4, 6)
    ruled = compose(AUTOS, 4, 6, False, [decision(1, NO_BONUS, 0), decision(2, DEDUCTION, 2)], None, rules)
    assert (ruled.bonus, ruled.deduction) == (0, 2) and ruled.office_bonus and ruled.office_deduction
    capped = compose(AUTOS, 0, 0, False, [decision(n, BONUS, 3) for n in range(1, 5)], None, rules)
    assert capped.bonus == rules.bonus.cap


def test_addons_found_in_the_materials_are_unruled_until_the_office_rules(rules):
    assert compose(AUTOS, 4, 6, False, [], None, rules).unruled_addons == (BONUS, DEDUCTION)
    assert compose(AUTOS, 4, 0, False, [], None, rules).unruled_addons == (BONUS,)
    ruled = compose(AUTOS, 4, 6, False, [decision(1, NO_BONUS, 0), decision(2, DEDUCTION, 2)], None, rules)
    assert ruled.unruled_addons == ()


def test_veto_from_materials_can_be_overruled_and_an_office_veto_fails_the_unit(rules):
    assert compose(AUTOS, 0, 0, True, [], None, rules).grade == "不合格"
    assert compose(AUTOS, 0, 0, True, [decision(1, VETO, 0)], None, rules).grade == "合格"
    assert compose(AUTOS, 0, 0, False, [decision(1, VETO, 1)], None, rules).vetoed


def test_social_evaluation_carries_its_weight(rules):
    weighted = replace(rules, social_weight=0.2)
    result = compose(AUTOS, 0, 0, False, [], 90, weighted)
    assert result.total == pytest.approx(62 * 0.8 + 90 * 0.2)
    missing = compose(AUTOS, 0, 0, False, [], None, weighted)
    assert missing.total == 62 and "尚未导入" in missing.notes[0]
    assert compose(AUTOS, 0, 0, False, [], 90, rules).total == 62  # weight 0: not counted


def test_coverage_change_names_what_was_gained_lost_and_still_missing():
    names = {"a": "甲", "b": "乙", "c": "丙"}
    change = coverage_change({"a": "covered", "b": "missing", "c": "missing"},
                             {"a": "missing", "b": "thin", "c": "missing"}, names, 40, 35.5)
    assert (change.gained, change.lost, change.still_missing) == (("乙",), ("甲",), ("甲", "丙"))
    assert change.delta == -4.5


def _config_file(tmp_path, **edits):
    from tests.conftest import ROOT

    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = text.replace('dir = "data"', f'dir = "{tmp_path / "data"}"').replace(
        'folder = "regulations"', 'folder = ""')
    for old, new in edits.items():
        text = text.replace(old, new)
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_recompute_command_after_a_config_change(tmp_path, capsys):
    from bot.manage import main
    from kaohe.config import load_config
    from kaohe.services import Services

    path = _config_file(tmp_path)
    svc = Services(load_config(path))
    svc.ingest("sfj", 1, EXAMPLE_REPORT.name, EXAMPLE_REPORT.read_bytes())
    before = svc.store.unit_score("sfj")["total"]
    svc.close()
    stricter = _config_file(tmp_path, **{"evidence_needed = 2": "evidence_needed = 4"})
    assert main(["--config", str(stricter), "recompute"]) == 0
    out = capsys.readouterr().out
    assert f"市司法局：{before:g} → " in out and "审核日志" in out
    svc = Services(load_config(stricter))
    try:
        after = svc.store.unit_score("sfj")["total"]
        assert after < before
        entry = [e for e in svc.store.audit_entries("sfj") if e["action"] == "recompute"][-1]
        detail = json.loads(entry["detail"])
        assert detail["before"]["total"] == before and detail["after"]["total"] == after
        assert svc.stale_units() == []
    finally:
        svc.close()


def test_social_command_imports_a_csv_and_refuses_unknown_units(tmp_path, capsys):
    from bot.manage import main

    path = _config_file(tmp_path, **{'name = "社会评价"\nweight = 0\n': 'name = "社会评价"\nweight = 0.1\n'})
    assert "weight = 0.1" in path.read_text(encoding="utf-8")
    good = tmp_path / "民意调查.csv"
    good.write_text("单位,满意度\n市司法局,91.5\nDCQ,88\n", encoding="gb18030")
    assert main(["--config", str(path), "social", str(good), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "预览（未导入） 2 个单位" in out and "市司法局：91.5 分；尚未提交材料，提交后计入总分" in out
    assert main(["--config", str(path), "social", str(good)]) == 0
    assert "已导入 2 个单位" in capsys.readouterr().out
    changed = tmp_path / "复核.csv"
    changed.write_text("单位,满意度\n市司法局,79\nDCQ,88\n", encoding="utf-8")
    assert main(["--config", str(path), "social", str(changed), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "其中 1 个不变" in out and "⚠️ 市司法局：91.5 → 79 分" in out
    bad = tmp_path / "bad.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["单位", "得分"])
    book.active.append(["市司法局", 95])
    book.active.append(["某不存在局", 70])
    buf = io.BytesIO()
    book.save(buf)
    bad.write_bytes(buf.getvalue())
    assert main(["--config", str(path), "social", str(bad)]) == 1
    assert "某不存在局" in capsys.readouterr().err
    from kaohe.config import load_config
    from storage.store import Store

    store = Store(load_config(path).storage_dir)
    try:
        assert store.social_score("sfj")["score"] == 91.5  # the bad file changed nothing
    finally:
        store.close()
