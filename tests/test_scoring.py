"""The scorer: indicator mapping with evidence, 基础分 + 效果分, caps, grades, gaming."""

from __future__ import annotations

import pytest

from scoring.engine import COVERED, MISSING, THIN, SourceParagraph, fingerprint, quote, substance_chars
from scoring.signals import find_signals, negated

CITY = "市直部门"


def paras(*texts, file_name="自查报告.docx", kind="text"):
    return [SourceParagraph(i, t, file_name, f"第{i}段", kind) for i, t in enumerate(texts, 1)]


def by_id(score, indicator_id):
    return next(s for s in score.indicators if s.indicator.id == indicator_id)


SUPERVISION = [
    "全年承担立项督查事项12项，其中市委市政府交办重点任务8项，均按时序推进，已办结销号11项，办结率91.7%。",
    "建立督查事项台账，对重点任务实行清单化管理，逐项明确责任领导、责任科室和完成时限，每月调度一次，"
    "按期办结率较上年提高4.2个百分点。",
]


def test_evidence_paragraphs_earn_base_and_signals_earn_effect(scorer):
    score = scorer.score(paras(*SUPERVISION), CITY)
    item = by_id(score, "lxdc")
    assert item.coverage == COVERED
    assert item.base == item.indicator.base_points == 15
    assert len(item.signals) >= 3 and item.effect == item.indicator.effect_points == 10
    assert {s.kind for s, _ in item.signals} >= {"数量", "完成率"}
    assert item.best.paragraph.location in ("第1段", "第2段")


def test_one_paragraph_is_thin_and_vague_text_earns_no_effect(scorer, shipped_config):
    one = "建立督查事项台账，对市委市政府交办的重点任务实行清单化管理，逐项明确责任领导和完成时限，压实工作责任。"
    item = by_id(scorer.score(paras(one), CITY), "lxdc")
    assert item.coverage == THIN
    # One paragraph of the two needed, and with nothing a reader could check (no figure, no
    # document) it counts as vague_weight of one.
    assert item.base == pytest.approx(15 / 2 * shipped_config.scoring.vague_weight)
    assert any("1 段没有可核实的数字或文件名，按 50% 计" in gap for gap in item.gaps)
    assert item.effect == 0
    assert any("量化数据" in gap for gap in item.gaps)
    checked = one.replace("交办的重点任务", "交办的12项重点任务")
    assert by_id(scorer.score(paras(checked), CITY), "lxdc").base == pytest.approx(7.5)


def test_a_one_line_claim_counts_in_proportion_to_its_length(scorer, shipped_config):
    """Evidence is measured in substance: a 20-character claim is half of a 40-character one
    (Chinese characters, and two for each figure)."""
    chars = shipped_config.scoring.evidence_chars
    line = "立项督查事项办结率100%，较上年提高4个百分点。"
    item = by_id(scorer.score(paras(line), CITY), "lxdc")
    assert substance_chars(line) == 18 + 2 * 2
    assert item.coverage == THIN
    assert item.base == pytest.approx(15 * (22 / chars) / 2, abs=0.01)
    assert any("按篇幅折算" in gap for gap in item.gaps)


def test_uncovered_indicator_is_missing_with_a_gap(scorer):
    score = scorer.score(paras(*SUPERVISION), CITY)
    item = by_id(score, "yqcx")
    assert item.coverage == MISSING and item.total == 0
    assert item.gaps == ("未见“严格程序行政”的相关材料",)


def test_a_short_vague_sentence_is_set_aside_with_its_reason(scorer):
    lone = paras("我们认真做好各项重点任务，确保按期完成。")
    score = scorer.score(lone, CITY)
    assert by_id(score, "lxdc").coverage == MISSING
    assert [(a.paragraph.location, a.reason) for a in score.set_aside] == [("第1段", "太短，看不出做了什么")]
    assert "lxdc" in score.set_aside[0].looked_like
    with_heading = [SourceParagraph(0, "一、立项督查事项落实情况", "自查报告.docx", "第0段", "heading")] + lone
    assert by_id(scorer.score(with_heading, CITY), "lxdc").coverage == MISSING


def test_repeated_paragraphs_count_once_across_files(scorer):
    one = paras(SUPERVISION[0], file_name="a.docx")
    twice = one + paras(SUPERVISION[0], file_name="b.pdf") + paras(SUPERVISION[0] + " ", file_name="c.docx")
    assert by_id(scorer.score(twice, CITY), "lxdc").base == by_id(scorer.score(one, CITY), "lxdc").base
    assert scorer.score(twice, CITY).duplicates_ignored == 2


def test_bonus_is_capped_and_deduction_ignores_denials(scorer, shipped_config):
    awards = ["公共法律服务中心获评省级示范窗口。", "人民调解工作荣获省级先进集体表彰。",
              "“枫桥式”司法所建设入选省级创新案例。", "法律援助便民举措获评省级经验推广项目。",
              "行政复议规范化建设列为国家级试点。", "社区矫正智慧平台获评全省首创成果。",
              "普法短视频荣获国家级优秀作品表彰。", "公证“最多跑一次”获评省级示范项目。",
              "律师调解工作入选全国典型案例并复制推广。"]
    score = scorer.score(paras(*awards), CITY)
    assert len(score.bonus_items) == 9
    assert score.bonus == shipped_config.scoring.bonus.cap
    clean = scorer.score(paras("全年未发生重大安全责任事故，没有被通报批评的情况。"), CITY)
    assert clean.deduction == 0 and not clean.vetoed
    bad = scorer.score(paras("因信访处置不力，本局被市政府通报批评一次。"), CITY)
    assert bad.deduction == shipped_config.scoring.deduction.points_per_item


def test_veto_forces_failing_grade(scorer):
    text = SUPERVISION + ["年内辖区发生一起重大安全责任事故，造成人员伤亡。"]
    score = scorer.score(paras(*text), CITY)
    assert score.vetoed and score.grade == "不合格"


@pytest.mark.parametrize("percent, grade", [(95, "优秀"), (90, "优秀"), (85, "良好"), (60, "合格"), (59.9, "不合格")])
def test_grade_thresholds(shipped_config, percent, grade):
    assert shipped_config.scoring.grade_for(percent) == grade


def test_total_is_base_plus_effect_plus_bonus_minus_deduction(scorer):
    score = scorer.score(paras(*SUPERVISION, "获评省级法治政府建设示范项目，经验在全省推广。"), CITY)
    assert score.total == pytest.approx(score.base_total + score.effect_total + score.bonus - score.deduction)
    assert score.full_marks == 100
    assert score.percent == pytest.approx(score.total, abs=0.05)  # the percentage has one decimal


def test_category_limited_indicator(scorer, shipped_config):
    from dataclasses import replace

    from scoring.engine import Scorer

    groups = list(shipped_config.scoring.groups)
    first = groups[0]
    limited = replace(first.children[1], categories=("县区",))
    groups[0] = replace(first, children=(first.children[0], limited))
    rules = replace(shipped_config.scoring, groups=tuple(groups))
    city_ids = [i.id for i in rules.indicators_for("市直部门")]
    assert "qtfdzz" not in city_ids and "qtfdzz" in [i.id for i in rules.indicators_for("县区")]
    score = Scorer(rules).score(paras(*SUPERVISION), "市直部门")
    assert score.full_marks == 85


@pytest.mark.parametrize("text, kinds", [
    ("办结率91.7%", {"完成率"}),
    ("同比增长6.4%", {"同比变化"}),
    ("较上年提高4.2个百分点", {"同比变化"}),
    ("开展审查98件，提出意见316条", {"数量"}),
    ("获评省级法治政府建设示范项目", {"获奖表彰"}),
    ("在全市考核中排名第4", {"排名"}),
    ("加强学习，提高认识", set()),
])
def test_signals(text, kinds):
    assert {s.kind for s in find_signals(text)} == kinds


def test_negation_and_helpers():
    assert negated("全年未发生重大安全责任事故。", "重大安全责任事故")
    assert not negated("发生重大安全责任事故一起。", "重大安全责任事故")
    assert fingerprint("立项 督查，事项。") == fingerprint("立项督查事项")
    assert len(quote("字" * 300, "字")) <= 82
