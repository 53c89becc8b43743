"""Outcome signals (效果分 evidence) and add-on items found in text, each with the words cited."""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUM = r"\d+(?:\.\d+)?"
_UNITS = (
    "万元|亿元|元|万人次|人次|万人|人|件|项|次|个百分点|个|家|户|场|份|篇|起|宗|条|批|期|名|"
    "小时|个工作日|工作日|天|公里|亩|吨|册|期次|所|台|套|平方米"
)

# Kinds, in the order a user reads them. Each pattern's whole match is the cited text.
_SIGNAL_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("完成率", re.compile(rf"(?:完成率|办结率|结案率|满意率|满意度|达标率|覆盖率|执行率|通过率|知晓率|按时办结率)[^，。；\d]{{0,6}}{_NUM}\s*%")),
    ("同比变化", re.compile(rf"(?:同比|较上年|比上年|较去年|比去年)[^，。；]{{0,8}}?(?:增长|提高|提升|上升|下降|减少|降低|增加){_NUM}\s*(?:%|个百分点|倍)?")),
    ("百分比", re.compile(rf"{_NUM}\s*%")),
    ("数量", re.compile(rf"{_NUM}\s*(?:{_UNITS})")),
    ("获奖表彰", re.compile(r"(?:获评|荣获|获得|被评为|入选|授予)[^，。；]{0,24}?(?:奖|称号|先进|示范|优秀|标兵|表彰|案例)")),
    ("排名", re.compile(r"(?:排名|位列|位居|居)(?:全省|全市|全国)?(?:第[一二三四五六七八九十\d]+|前列|首位)")),
)

_NEGATION = re.compile(r"(?:未|没有|无|不存在|杜绝|零|未发生|未出现)")
_CLAUSE_SPLIT = re.compile(r"[，,。；;！!？?\n]")
_SENTENCE_SPLIT = re.compile(r"(?<=[。；;！!？?])")


@dataclass(frozen=True)
class Signal:
    """One outcome signal: its kind (e.g. 完成率) and the exact words it rests on."""

    kind: str
    text: str


def find_signals(text: str) -> list[Signal]:
    """Every outcome signal in ``text``; a number is cited once, by its most specific kind."""
    found: list[Signal] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _SIGNAL_PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            taken.append((start, end))
            found.append(Signal(kind, match.group(0).strip()))
    return found


def sentences(text: str) -> list[str]:
    """``text`` split into sentences at Chinese and ASCII sentence ends."""
    return [s.strip() for s in _SENTENCE_SPLIT.split(text) if s.strip()]


def negated(sentence: str, keyword: str) -> bool:
    """Whether ``keyword`` in ``sentence`` is denied in its clause (未发生…, 无…, 杜绝…)."""
    for clause in _CLAUSE_SPLIT.split(sentence):
        at = clause.find(keyword)
        if at >= 0:
            return bool(_NEGATION.search(clause[:at]))
    return False


def keyword_hits(sentence: str, keywords: tuple[str, ...], *, skip_negated: bool) -> list[str]:
    """The keywords present in ``sentence`` (optionally ignoring denied ones)."""
    hits = []
    for word in keywords:
        if word in sentence and not (skip_negated and negated(sentence, word)):
            hits.append(word)
    return hits
