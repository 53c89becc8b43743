"""The /review grammar as a pure rule: what the office may decide and within which bounds."""

from __future__ import annotations

import pytest

from scoring.result import BONUS, NO_DEDUCTION, SET_INDICATOR, VETO
from scoring.review import BadReview, parse_review


@pytest.fixture
def rules(shipped_config):
    return shipped_config.scoring


def test_an_indicator_score_within_its_points_with_a_reason(rules):
    action = parse_review(["领导水平", "5", "调研报告2篇已在现场核实"], rules)
    assert (action.kind, action.target, action.value, action.label) == (SET_INDICATOR, "ldsp", 5.0, "领导水平")
    assert action.reason == "调研报告2篇已在现场核实"


@pytest.mark.parametrize(("words", "says"), [
    (["领导水平", "12", "理由充分"], "应在 0–9 之间，收到的是 12"),
    (["领导水平", "五", "理由充分"], "请写“领导水平”的得分（数字，0–9）"),
    (["领导水平", "5"], "请写明理由"),
    (["加分", "6", "获国家级表彰"], "应在 0–5 之间"),
    (["撤销", "理由"], "请写要撤销的调整编号"),
    (["答复", "维持"], "请写复核答复的内容（至少 6 个字）"),
    (["行政", "5", "理由充分"], "对应多个指标"),
    (["绩效", "5", "理由充分"], "没有名为“绩效”的指标"),
])
def test_what_cannot_be_read_says_how_to_write_it(rules, words, says):
    with pytest.raises(BadReview) as exc:
        parse_review(words, rules)
    assert says in str(exc.value)


def test_add_ons_veto_and_the_plain_commands(rules):
    assert parse_review(["加分", "2", "获省级表彰两项"], rules).kind == BONUS
    assert parse_review(["扣分", "无", "经核实不属实"], rules).kind == NO_DEDUCTION
    veto = parse_review(["否决", "发生重大安全责任事故"], rules)
    assert (veto.kind, veto.value) == (VETO, 1.0)
    assert parse_review([], rules).kind == "show"
    assert parse_review(["锁定"], rules).kind == "lock"
    assert parse_review(["解锁", "材料有误需更正"], rules).kind == "unlock"
