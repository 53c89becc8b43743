"""常见问法 files: the questions users ask that each article of a regulation answers.

A regulation ``考核办法.docx`` may have a ``考核办法.questions.toml`` beside it::

    [[questions]]
    article = "第十二条"
    forms = ["材料交晚了会怎样？", "逾期提交扣不扣分？"]

The forms are indexed with the article they point to, so a question phrased the way
users talk finds the article even when it shares few words with the article's text.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass

from .model import DocumentRejected
from .regulation import _canonical_number

QUESTIONS_SUFFIX = ".questions.toml"
MAX_FORM_CHARS = 200
_ARTICLE_RE = re.compile(r"^第\s*(\d{1,4}|[〇零一二两三四五六七八九十百千]{1,8})\s*条(之[一二三四五六七八九十]{1,3})?$")


class BadQuestionForms(DocumentRejected):
    """The questions file cannot be used; nothing from it is stored."""

    code = "bad_questions"


@dataclass(frozen=True)
class QuestionForm:
    article: str  # canonical label: 第十二条
    question: str


def article_label(raw: str) -> str | None:
    """``第12条`` / ``第 十二 条`` → ``第十二条``; None when it is not an article label."""
    m = _ARTICLE_RE.match(re.sub(r"\s+", "", raw or ""))
    if not m:
        return None
    number = _canonical_number(m.group(1))
    return f"第{number}条{m.group(2) or ''}" if number else None


def _load_toml(data: bytes, file_name: str) -> dict:
    try:
        return tomllib.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise BadQuestionForms(f"{file_name} 不是 UTF-8 编码的文本，请另存为 UTF-8 后再试。") from None
    except tomllib.TOMLDecodeError as exc:
        raise BadQuestionForms(f"{file_name} 的格式有误（{exc}），请对照 regulations/README.md 的示例修改。") from None


def parse_question_forms(data: bytes, file_name: str) -> list[QuestionForm]:
    """The forms in a questions file, de-duplicated, in file order.

    Raises ``BadQuestionForms`` with a Chinese reason naming the problem and its place.
    """
    doc = _load_toml(data, file_name)
    blocks = doc.get("questions")
    if not isinstance(blocks, list) or not blocks:
        raise BadQuestionForms(f"{file_name} 中没有 [[questions]] 段落，请对照 regulations/README.md 的示例编写。")
    forms: list[QuestionForm] = []
    seen: set[tuple[str, str]] = set()
    for n, block in enumerate(blocks, 1):
        where = f"{file_name} 第 {n} 个 [[questions]]"
        if not isinstance(block, dict):
            raise BadQuestionForms(f"{where} 格式有误，应包含 article 和 forms。")
        label = article_label(str(block.get("article", "")))
        if label is None:
            raise BadQuestionForms(f"{where} 的 article 应写成“第十二条”这样的条号，现为“{block.get('article', '')}”。")
        questions = block.get("forms")
        if not isinstance(questions, list) or not all(isinstance(q, str) for q in questions):
            raise BadQuestionForms(f"{where}（{label}）的 forms 应是问题文字的列表。")
        for q in questions:
            q = " ".join(q.split())
            if not q:
                continue
            if len(q) > MAX_FORM_CHARS:
                raise BadQuestionForms(f"{where}（{label}）有一个问法超过 {MAX_FORM_CHARS} 字，请缩短。")
            if (label, q) not in seen:
                seen.add((label, q))
                forms.append(QuestionForm(label, q))
    if not forms:
        raise BadQuestionForms(f"{file_name} 中没有任何问法。")
    return forms


OUT_OF_SCOPE_NAME = "out_of_scope.toml"


def parse_out_of_scope(data: bytes, file_name: str) -> list[str]:
    """Example questions the regulations do not answer, from ``[[topics]]`` blocks::

        [[topics]]
        topic = "工资待遇"
        examples = ["考核优秀能多发奖金吗？"]
    """
    doc = _load_toml(data, file_name)
    topics = doc.get("topics")
    if not isinstance(topics, list) or not topics:
        raise BadQuestionForms(f"{file_name} 中没有 [[topics]] 段落，请对照 regulations/README.md 的示例编写。")
    out: list[str] = []
    for n, block in enumerate(topics, 1):
        examples = block.get("examples") if isinstance(block, dict) else None
        if not isinstance(examples, list) or not all(isinstance(q, str) for q in examples):
            raise BadQuestionForms(f"{file_name} 第 {n} 个 [[topics]] 的 examples 应是问题文字的列表。")
        for q in examples:
            q = " ".join(q.split())
            if len(q) > MAX_FORM_CHARS:
                raise BadQuestionForms(f"{file_name} 第 {n} 个 [[topics]] 有一个问题超过 {MAX_FORM_CHARS} 字，请缩短。")
            if q and q not in out:
                out.append(q)
    if not out:
        raise BadQuestionForms(f"{file_name} 中没有任何问题示例。")
    return out
