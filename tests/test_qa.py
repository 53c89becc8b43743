"""Regulation Q&A below the chat: the shipped examples answer procedural questions with the
right article, uncovered questions get no answer, question forms and out-of-scope examples
steer the match, the index persists and updates in place."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from kaohe.qa import Regulations
from parsers.question_forms import BadQuestionForms
from scoring.embedding import Encoder
from storage.store import Store

RULES_TXT = """某某区联络员工作规则

第一章 总则

第一条 为规范联络员工作，制定本规则。

第二条 联络员每季度参加一次业务培训，培训由区考核办组织。

第三条 联络员因工作调动离岗的，所在单位应当在五个工作日内另行指定人员并报区考核办备案。

第二章 附则

第四条 本规则自发布之日起施行。
"""
RULES_FORMS = """
[[questions]]
article = "第三条"
forms = ["对接的同事调走了怎么办？", "原来负责的人不干了要换人吗？"]
"""


@pytest.fixture
def qa(qa_config):
    store = Store(qa_config.storage_dir)
    regs = Regulations(qa_config, store)
    regs.start()
    yield regs
    store.close()


def where(ans) -> str:
    return f"{ans.clause['title'][-4:]}{ans.clause['article']}" if ans.kind == "clause" else ans.kind


@pytest.mark.parametrize(("question", "expected"), [
    ("违规失职扣分有上限吗？", {"考核办法第二十条"}),
    ("自查材料什么时候交？", {"考核办法第三十三条"}),
    ("效果分是怎么算的？", {"考核办法第十六条", "实施细则第十五条"}),
    ("材料交晚了会怎么样？", {"实施细则第十二条"}),
    ("赶不上截止时间能申请延期吗？", {"实施细则第十一条"}),
])
def test_shipped_examples_quote_the_article_that_answers(qa, question, expected):
    ans = qa.answer(question)
    assert where(ans) in expected
    assert ans.clause["text"].startswith(ans.clause["article"])  # the clause is quoted whole


@pytest.mark.parametrize("question", [
    "单位停车位怎么申请？",
    "公积金缴存比例是多少？",
    "明年春节放几天假？",
])
def test_questions_the_regulations_do_not_cover_get_no_answer(qa, question):
    assert qa.answer(question).kind == "none"


def test_related_clauses_are_other_articles(qa):
    ans = qa.answer("考核结果分几个等次？")
    assert ans.kind == "clause"
    ids = [c["id"] for c in ans.related]
    assert ans.clause["id"] not in ids and len(ids) == len(set(ids)) <= 2


def test_question_forms_find_an_article_that_shares_no_words(qa):
    result = qa.load(RULES_TXT.encode(), "liaison_rules.txt", "test", "cli")
    question = "原先对接的那位同事调岗了，我们该做什么？"
    before = qa.answer(question)
    assert where(before) != "工作规则第三条"
    forms = qa.load_examples(RULES_FORMS.encode(), "liaison_rules.questions.toml", "test", result.title)
    assert forms.examples == 2 and forms.changed and not forms.unknown_articles
    assert where(qa.answer(question)) == "工作规则第三条"  # at once, no restart


def test_a_new_version_replaces_the_text_and_keeps_its_forms(qa):
    result = qa.load(RULES_TXT.encode(), "liaison_rules.txt", "test", "cli")
    qa.load_examples(RULES_FORMS.encode(), "liaison_rules.questions.toml", "test", result.title)
    v2 = RULES_TXT.replace("五个工作日", "三个工作日")
    second = qa.load(v2.encode(), "liaison_rules_v2.txt", "test", "cli")
    assert second.version == 2 and second.replaced_version == 1
    ans = qa.answer("原先对接的那位同事调岗了，我们该做什么？")
    assert where(ans) == "工作规则第三条" and "三个工作日" in ans.clause["text"]


def test_unknown_articles_in_a_forms_file_are_reported(qa):
    result = qa.load(RULES_TXT.encode(), "liaison_rules.txt", "test", "cli")
    forms = RULES_FORMS + '[[questions]]\narticle = "第九条"\nforms = ["没有这一条吧？"]\n'
    loaded = qa.load_examples(forms.encode(), "liaison_rules.questions.toml", "test", result.title)
    assert loaded.unknown_articles == ("第九条",)


@pytest.mark.parametrize(("content", "reason"), [
    ("[[questions]]\narticle = 3\nforms = []", "article 应写成"),
    ("article = 第三条", "格式有误"),
    ("[[questions]]\narticle = \"第三条\"\nforms = \"不是列表\"", "forms 应是问题文字的列表"),
])
def test_a_bad_forms_file_is_refused_and_nothing_is_stored(qa, content, reason):
    result = qa.load(RULES_TXT.encode(), "liaison_rules.txt", "test", "cli")
    before = len(qa.examples())
    with pytest.raises(BadQuestionForms) as caught:
        qa.load_examples(content.encode(), "liaison_rules.questions.toml", "test", result.title)
    assert reason in caught.value.reason
    assert len(qa.examples()) == before


def test_office_examples_added_in_chat_take_effect_and_can_be_withdrawn(qa):
    question = "考核组来的时候要不要准备横幅？"
    first = qa.answer(question)
    eid = qa.add_example("考核组来检查要不要挂欢迎横幅？", "admin", None)
    assert qa.answer(question).kind == "none"
    assert qa.remove_example(eid, "admin")
    assert qa.answer(question).kind == first.kind


def test_an_office_question_form_points_a_question_to_an_article(qa):
    target = qa.find_article("第37条", "实施细则")
    assert len(target) == 1 and target[0]["article"] == "第三十七条"
    assert len(qa.find_article("第二条")) == 2  # both documents have one
    qa.add_example("有事找考核办打什么号码？", "admin", target[0])
    assert where(qa.answer("有事找考核办打什么号码？")) == "实施细则第三十七条"


class CountingEncoder(Encoder):
    """Encodes like the real one but without the process cache, counting encoded texts."""

    _cache: dict = {}

    def __init__(self):
        super().__init__()
        self.encoded = 0

    def encode_many(self, kind, texts, known=None, progress=None):
        known = known or {}
        from scoring.embedding import text_key

        self.encoded += len({text_key(kind, t) for t in texts} - set(known))
        return super().encode_many(kind, texts, known, progress)


def test_a_restart_rebuilds_the_index_from_the_database(qa, qa_config):
    question = "扣分有没有封顶？"
    expected = where(qa.answer(question))
    encoder = CountingEncoder()
    again = Regulations(qa_config, qa.store, encoder=encoder)
    assert again.start() and all(r.unchanged for r in again.start() or [])
    assert encoder.encoded == 0  # every clause, form and example vector came from the database
    assert where(again.answer(question)) == expected
    assert len(again.matcher) == len(qa.matcher) == 83


def test_a_first_start_encodes_nothing_with_the_shipped_vectors(qa_config, tmp_path):
    """regulations/vectors.npz holds every vector the shipped documents and examples need
    (rebuild it with `python -m bot.manage regulation vectors` after changing them)."""
    store = Store(tmp_path / "fresh")
    encoder = CountingEncoder()
    regs = Regulations(qa_config, store, encoder=encoder)
    regs.start()
    assert encoder.encoded == 0
    assert len(regs.matcher) == 83 and where(regs.answer("扣分有没有封顶？")).startswith("考核办法")
    store.close()


def test_loading_reports_progress_and_answers_meanwhile_say_what_is_pending(qa, qa_config):
    import threading

    text = "# 某某区值班规定\n\n第一条　值班人员应当提前十分钟到岗交接。\n\n第二条　节假日值班由办公室统一排班。\n"
    seen, answers = [], []
    started, release = threading.Event(), threading.Event()

    def progress(done, total):
        seen.append((done, total))
        started.set()
        release.wait(10)

    loader = threading.Thread(target=qa.load, args=(text.encode(), "值班规定.md", "test", "test", progress))
    loader.start()
    assert started.wait(30)
    answers.append(qa.answer("值班要提前多久到岗？"))  # asked while the new document is encoded
    release.set()
    loader.join(30)
    assert seen and seen[-1][0] == seen[-1][1]
    assert answers[0].pending == ["某某区值班规定"]
    after = qa.answer("值班要提前多久到岗？")
    assert after.pending == [] and after.kind == "clause" and after.clause["title"] == "某某区值班规定"


def test_without_vectors_words_decide(qa_config):
    config = replace(qa_config, qa=replace(qa_config.qa, vectors=False))
    store = Store(qa_config.storage_dir)
    regs = Regulations(config, store)
    regs.start()
    assert regs.encoder is None
    assert where(regs.answer("违规失职扣分最高不超过多少分？")) == "考核办法第二十条"
    assert regs.answer("公积金缴存比例是多少？").kind == "none"
    store.close()


def test_a_question_asked_while_the_index_is_built_waits_for_all_of_it(qa_config):
    import threading
    import time

    store = Store(qa_config.storage_dir)
    regs = Regulations(qa_config, store)
    loading = threading.Event()
    load_folder = regs.load_folder

    def slow_load_folder():
        loading.set()
        time.sleep(0.3)  # the documents, forms and examples are still to come
        return load_folder()

    regs.load_folder = slow_load_folder
    starting = threading.Thread(target=regs.start)
    starting.start()
    loading.wait(10)
    ans = regs.answer("材料交晚了会怎么样？")  # needs the question forms loaded after the documents
    starting.join()
    assert where(ans) == "实施细则第十二条"
    store.close()


def test_the_sentence_engine_waits_passively_when_another_process_is_busy():
    """OMP_WAIT_POLICY=PASSIVE is chosen before the engine loads (spinning threads made a
    question's vector take up to a second on a busy core); an office's own setting wins."""
    import os
    import subprocess
    import sys

    code = "import scoring.embedding, os; print(os.environ['OMP_WAIT_POLICY'])"
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=root, capture_output=True, text=True)
    assert out.stdout.strip() == "PASSIVE"
    env["OMP_WAIT_POLICY"] = "ACTIVE"
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=root, capture_output=True, text=True)
    assert out.stdout.strip() == "ACTIVE"
