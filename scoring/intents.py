"""Questions that live data answers better than any regulation: "when is the deadline",
"what did our unit score". Pure keyword rules; everything else goes to the regulations."""

from __future__ import annotations

import re

DEADLINE, SCORE = "deadline", "score"

_WHEN = re.compile(r"(什么时候|啥时候|何时|哪天|几号|几月几|几点|还有几天|还剩|还有多久|多久|截止(时间|日期)?是|"
                   r"最后(一天|期限)|最迟|最晚|deadline)", re.I)
_SUBMIT = re.compile(r"(交|提交|报送|上报|截止|期限)")
# The live deadlines are the assessment's: a question about another procedure's time limit
# (复议期限, 最后期限 of a permit) goes to the regulations.
_ASSESSMENT = re.compile(r"(自查|材料|考核|报告|佐证|考评)")
_FILLER = re.compile(r"(请问|是|在|的|了|吗|呢|啊|呀|哪天|几号|时间|日期|还有|几天|多久|一下|现在|今年|本次|这次|最后)")
_OTHER_TOPIC = re.compile(r"(复议|诉讼|许可|处罚|听证|信访|申请公开|信息公开|审批|执法|罚款)")
_RULE_WORDS = re.compile(r"(逾期|晚交|迟交|延期|申请|怎么办|怎么处理|后果|扣分|规定|格式|要求)")
_OWN = re.compile(r"(我们|本单位|我单位|咱们|我们单位|我的|我局|我委|我区)")
_SCORE = re.compile(r"(得了?多少分|多少分|得分|分数|初步得分|排名|排第几|第几名|等次是|什么等次|评了?什么)")


def _other_subject(text: str) -> bool:
    """The question names something besides the assessment's deadline ("航班延误理赔的最后
    期限是哪天"): what is left after the deadline words, the assessment's words and filler."""
    rest = text
    for pattern in (_WHEN, _SUBMIT, _ASSESSMENT, _OWN, _FILLER):
        rest = pattern.sub("", rest)
    return len(re.findall(r"[\u4e00-\u9fff]", rest)) > 2


_CHINESE = re.compile(r"[\u4e00-\u9fff]")
_EN_DEADLINE = re.compile(r"\b(deadline|due|submit|submission|hand in)\b", re.I)
_EN_SCORE = re.compile(r"\b(score|scores|grade|rank|ranking|points)\b", re.I)
_EN_OWN = re.compile(r"\b(our|my|we|us)\b", re.I)


def is_not_chinese(text: str) -> bool:
    """A question with no Chinese in it ("hello, what is the deadline?"): the regulations are
    Chinese, so looking it up there finds an unrelated clause."""
    return not _CHINESE.search(text)


def detect_intent(text: str) -> str | None:
    """``deadline``, ``score`` or None (a question for the regulations)."""
    if is_not_chinese(text):  # the two live answers are easy to recognise in English too
        if _EN_SCORE.search(text) and _EN_OWN.search(text):
            return SCORE
        if _EN_DEADLINE.search(text):
            return DEADLINE
        return None
    if _OWN.search(text) and _SCORE.search(text):
        return SCORE
    if (_WHEN.search(text) and _SUBMIT.search(text) and not _RULE_WORDS.search(text)
            and not _OTHER_TOPIC.search(text) and not _other_subject(text)):
        return DEADLINE
    return None


_SMALL_TALK = re.compile(r"^(你好|您好|hi|hello|在吗|在不在|有人吗|谢谢|多谢|感谢|谢了|好的|好|嗯|哦|ok|收到|明白|知道了|再见|拜拜)"
                         r"[啊呀呢哈！!。.，,~～？?\s]*$", re.I)


def is_small_talk(text: str) -> bool:
    """A greeting or a thank-you, not a question for the regulations."""
    return bool(_SMALL_TALK.match(text.strip()))


_CONTENT = re.compile(r"[\u4e00-\u9fffA-Za-z]")


def is_too_vague(text: str) -> bool:
    """A "question" with fewer than two letters or Chinese characters ("？", "👍", "1"): there
    is nothing to look up."""
    return len(_CONTENT.findall(text)) < 2
