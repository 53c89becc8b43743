"""Retrieval rules: synonyms widen a search, stop words drop, BM25 ranks, coverage decides "no answer",
documents can be added and removed without a rebuild; live-data intents."""

from __future__ import annotations

import pytest

from scoring.intents import DEADLINE, SCORE, detect_intent
from scoring.retrieval import (
    Candidate,
    Index,
    Match,
    Matcher,
    QueryTokenizer,
    RetrievalRules,
    answerable,
    best_part,
    overlap,
)

RULES = RetrievalRules(synonyms=(("扣分", "减分", "扣除"), ("逾期", "晚交", "迟交"),
                                 ("等次", "评级", "档次")), min_coverage=0.5)
CLAUSES = {
    1: "第十条　违规失职事项每项扣2分，累计扣分不超过10分。",
    2: "第十一条　被考核单位逾期提交自查材料的，由市考核办在考核报告中注明。",
    3: "第十二条　考核等次分为优秀、良好、合格和不合格四个等次。",
    4: "第十三条　效果分依据完成率、同比变化、获奖和排名等量化成效评定。",
}


@pytest.fixture(scope="module")
def tokenizer():
    return QueryTokenizer(RULES)


@pytest.fixture(scope="module")
def index(tokenizer):
    idx = Index(RULES)
    for doc_id, text in CLAUSES.items():
        idx.add(doc_id, tokenizer.terms(text))
    return idx


def test_words_are_kept_and_stop_words_drop(tokenizer):
    assert tokenizer.words("晚交会减分吗") == ["晚交", "减分"]  # a synonym widens a search, it never rewrites
    assert not {"吗", "会", "什么", "怎么"} & set(tokenizer.words("什么情况下会怎么减分吗"))


def test_a_synonym_counts_less_than_the_word_itself(tokenizer):
    idx = Index(RULES)
    idx.add(1, tokenizer.terms("材料晚交的，注明。"))
    idx.add(2, tokenizer.terms("材料逾期的，注明。"))
    hits = idx.search(tokenizer.terms("晚交怎么办"))
    assert [h.doc_id for h in hits] == [1, 2]
    assert hits[1].score < hits[0].score
    assert hits[1].coverage == pytest.approx(RULES.synonym_weight * hits[0].coverage)
    # A word outside every synonym group finds only itself.
    assert [h.doc_id for h in idx.search(tokenizer.terms("延误怎么办"))] == []


@pytest.mark.parametrize(("question", "expected"), [
    ("违规失职最多扣多少分？", 1),
    ("材料晚交了怎么办", 2),
    ("评级有哪几档", 3),
    ("效果分怎么算", 4),
])
def test_best_clause_is_ranked_first(tokenizer, index, question, expected):
    hits = index.search(tokenizer.terms(question))
    assert hits[0].doc_id == expected
    assert hits[0].coverage > 0.3


@pytest.mark.parametrize("question", ["年终奖什么时候发", "食堂几点开饭", "公务员工资怎么调整"])
def test_questions_the_clauses_do_not_cover_have_low_coverage(tokenizer, index, question):
    hits = index.search(tokenizer.terms(question))
    assert not hits or hits[0].coverage < RULES.min_coverage


def test_documents_are_added_and_removed_in_place(tokenizer):
    idx = Index(RULES)
    idx.add(1, tokenizer.terms(CLAUSES[1]))
    assert [h.doc_id for h in idx.search(tokenizer.terms("考核等次有几个"))] == []
    idx.add(3, tokenizer.terms(CLAUSES[3]))
    assert [h.doc_id for h in idx.search(tokenizer.terms("考核等次有几个"))] == [3]
    idx.add(3, tokenizer.terms("第十二条　评优名额按单位人数确定。"))  # a new version replaces
    assert [h.doc_id for h in idx.search(tokenizer.terms("考核等次有几个"))] == []
    idx.remove(3)
    assert len(idx) == 1 and [h.doc_id for h in idx.search(tokenizer.terms("违规失职扣分"))] == [1]


def test_best_part_names_the_item_that_answers(tokenizer):
    parts = [("", "第五条　考核内容包括："), ("（一）", "职能履行，包括立项督查和其他法定职责；"),
             ("（二）", "依法行政，包括严格程序行政；")]
    assert best_part(tokenizer, "严格程序行政属于哪一类", parts) == "（二）"
    assert best_part(tokenizer, "天气怎么样", parts) == ""


def test_overlap_is_the_smaller_share():
    assert overlap(["a", "b"], ["a", "b", "c", "d"]) == 0.5
    assert overlap([], ["a"]) == 0.0


@pytest.mark.parametrize(("text", "intent"), [
    ("自查材料什么时候交？", DEADLINE),
    ("截止时间是哪天", DEADLINE),
    ("还有几天截止", DEADLINE),
    ("我们单位得了多少分", SCORE),
    ("我们的排名怎么样", SCORE),
    ("逾期提交怎么处理", None),
    ("什么时候可以申请延期", None),
    ("效果分怎么算", None),
    ("扣分有上限吗", None),
    # Another procedure's time limit goes to the regulations, not the live deadlines.
    ("行政复议申请的最后期限是什么时候", None),
    ("航班延误理赔的最后期限是哪天", None),
    ("政府信息公开申请多久答复，截止是哪天", None),
])
def test_live_data_intents(text, intent):
    assert detect_intent(text) == intent


def unit(*values):
    import numpy as np

    vec = np.array(values, dtype=np.float32)
    return vec / np.linalg.norm(vec)


def test_question_forms_pull_their_clause_up(tokenizer):
    matcher = Matcher(RULES, expander=False)
    for doc_id, text in CLAUSES.items():
        matcher.add_clause(doc_id, tokenizer.terms(text))
    question = tokenizer.terms("东西交迟了有啥后果")
    before = matcher.search(question).candidates[0].doc_id
    matcher.add_form(100, 2, tokenizer.terms("东西交迟了会有什么后果？"))
    assert before != 2 or len(matcher) == 4
    assert matcher.search(question).candidates[0].doc_id == 2
    matcher.remove_form(100)
    assert matcher.search(question).candidates[0].doc_id == before


def test_meaning_decides_when_words_do_not_and_out_of_scope_examples_say_no(tokenizer):
    matcher = Matcher(RULES, expander=False)
    directions = {1: unit(1, 0, 0, 0), 2: unit(0, 1, 0, 0), 3: unit(0, 0, 1, 0), 4: unit(0, 0, 0, 1)}
    for doc_id, text in CLAUSES.items():
        matcher.add_clause(doc_id, tokenizer.terms(text), directions[doc_id])
    matcher.add_form(10, 3, tokenizer.terms("分几档"), unit(0.1, 0, 1, 0))
    words = tokenizer.terms("那个怎么弄")  # shares nothing with any clause
    near_3 = matcher.search(words, unit(0.6, 0, 1, 0))
    assert near_3.candidates[0].doc_id == 3 and answerable(near_3, RULES, vectors=True)
    matcher.set_out_of_scope([unit(0.6, 0, 1, 0)])  # the office: such questions are not covered
    assert not answerable(matcher.search(words, unit(0.6, 0, 1, 0)), RULES, vectors=True)
    like_the_form = matcher.search(words, unit(0.1, 0, 1, 0))
    assert like_the_form.candidates[0].doc_id == 3 and answerable(like_the_form, RULES, vectors=True)


def test_without_vectors_coverage_decides():
    covered = Match([Candidate(1, 3.0, 0.6, -1.0)])
    thin = Match([Candidate(1, 3.0, 0.2, -1.0)])
    assert answerable(covered, RULES, vectors=False) and not answerable(thin, RULES, vectors=False)
    assert not answerable(Match([]), RULES, vectors=False)
