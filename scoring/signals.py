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


# ---- 违规失职: only the unit's own failures count -------------------------------------
# "被约谈", "受到通报批评", "遭…问责": the unit (or its staff) is the one acted upon.
_PASSIVE = re.compile(r"(?:被|受到|遭到|受)")
# "诫勉0人", "问责零人": a zero count is no failure.
_ZERO_AFTER = re.compile(r"^[^，。；\d零]{0,3}(?:0|０|零)\s*(?:人|起|件|次|个|家|名|例|宗)?(?![\d.])")
# "一票否决制度", "落实…约谈机制": a rule mentioned, not an event.
_RULE_AFTER = re.compile(r"^[”\"」』’]?\s*(?:制度|机制|规定|办法|责任制|原则|要求|条款|工作机制|制)")
_RULE_BEFORE = re.compile(r"(?:实行|落实|执行|坚持|严格|建立|完善|健全|推行|强化|签订|纳入|作为|实施)[^，。；]{0,10}$")
# Outcomes that are often others' under the unit's oversight (全市行政诉讼败诉率, 查处严重违纪案件).
_OVERSEEN = ("败诉", "被撤销", "被纠错", "纠错", "违纪", "违法", "违规")
# "我局…", "本单位…": the sentence is about the unit itself, whatever scope words it holds.
_OWN = re.compile(r"我(?:局|办|委|厅|区|县|市|乡|镇|街道|单位|中心|们)|本(?:局|单位|部门|机关)")
# "全市行政诉讼败诉率…", "指导…纠错": outcomes of others that the unit oversees.
_OTHERS_BEFORE = re.compile(r"(?:全市|全县|全区|全省|全州|各级|各地|各部门|各单位|指导|督促|审理|办理|审结|协调|查处|查办|立案|审查调查|审计发现|检查发现|督查发现|"
                            r"审计查出|被审计单位)")
# Words that name an event done *to* someone (the unit acts when they are active).
_ACTION_WORDS = ("约谈", "问责", "通报批评", "诫勉", "督查通报", "处分", "通报")


def own_failure(sentence: str, keyword: str) -> bool:
    """Whether ``keyword`` in ``sentence`` reports a failure of the unit itself.

    Not a failure: a denied or zero mention (未发生…, 诫勉0人), a rule (一票否决制度,
    落实约谈机制), the unit acting on others (约谈企业12家, 对3个乡镇通报批评) and outcomes
    it oversees in others (全市行政诉讼败诉率). An action word counts only in the passive
    (被约谈, 受到通报批评); an outcome often others' (败诉, 被纠错, 严重违纪) counts unless it is
    under the unit's oversight (全市…, 查处…); any other outcome (an accident, 排名末位)
    counts whenever it is stated.
    """
    for clause in _CLAUSE_SPLIT.split(sentence):
        at = clause.find(keyword)
        if at < 0:
            continue
        before, after = clause[:at], clause[at + len(keyword):]
        if _NEGATION.search(before) or _ZERO_AFTER.match(after):
            return False
        if _RULE_AFTER.match(after) or _RULE_BEFORE.search(before):
            return False
        passive = bool(_PASSIVE.search(before)) or keyword.startswith("被")
        if any(word in keyword for word in _ACTION_WORDS) or keyword == "一票否决":
            return passive
        if any(word in keyword for word in _OVERSEEN):
            return passive or bool(_OWN.search(before)) or not _OTHERS_BEFORE.search(before)
        # An accident where the unit answers for safety (属地责任), a last place in an
        # assessment: the unit's own, however the sentence is built.
        return True
    return False


def failure_hits(sentence: str, keywords: tuple[str, ...]) -> list[str]:
    """The keywords in ``sentence`` that report the unit's own failure."""
    return [word for word in keywords if word in sentence and own_failure(sentence, word)]


# ---- 争优创新: honours phrased without the listed words ----------------------------------
_AWARD_PATTERNS = (
    re.compile(r"(?:入选|上榜|列入)[^，。；]{0,30}?(?:名单|案例|试点|典型|榜单|目录|清单|项目)"),
    re.compile(r"(?:在|向|被)(?:全国|全省|全市|省内)[^，。；]{0,12}?(?:推广|交流|复制|借鉴)"),
    # Praise by a named superior, not a vague "得到上级肯定".
    re.compile(r"批示肯定|(?:获|予以|给予|受到|得到)[^，。；]{0,20}?(?:领导|书记|省长|市长|县长|区长|部长|"
               r"国务院|部|厅|省委|市委|县委|区委|政府)[^，。；]{0,16}?肯定"),
    re.compile(r"(?:授予|被评为|评为|命名为|获评|荣获|荣登)[^，。；]{0,40}?(?:称号|先进|标兵|示范|优秀|模范|试点|"
               r"案例|奖|榜首|一等|单位)"),
    re.compile(r"(?:创成|成功创建|获批|被确定为|被列为)[^，。；]{0,24}?(?:示范|试点|先进|标杆)"),
    re.compile(r"(?:经验|做法|模式)[^，。；]{0,8}?(?:全国|全省)(?:推广|交流)|率先(?:全国|全省)"),
    re.compile(r"(?:全国|全省|全市)(?:范围内)?(?:首创|首个|首家|率先|第一个|首批)"),
    re.compile(r"(?:被|获)(?:国家|省|市)[^，。；]{0,16}?(?:命名|确定|认定|授予|评为|列为)[^，。；]{0,20}?(?:示范|试点|先进|标杆|优秀)"),
)


def award_hits(sentence: str) -> list[str]:
    """Honours in ``sentence`` that the configured keywords may not name (入选…名单,
    在全省推广, 获…肯定, 全省首创): each match's words."""
    return [m.group(0) for pattern in _AWARD_PATTERNS for m in pattern.finditer(sentence)]
