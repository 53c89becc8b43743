"""Maps a unit's paragraphs to indicators and computes the preliminary 基础分 + 效果分 score.

Pure functions over plain values: no Telegram, no database. The one piece of state is the
jieba tokenizer, loaded with the configured keywords as a user dictionary, which
``Scorer`` builds once and reuses.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import jieba

from scoring.rules import Indicator, ScoringRules
from scoring.signals import Signal, find_signals, keyword_hits, sentences

jieba.setLogLevel(logging.WARNING)

COVERED, THIN, MISSING = "covered", "thin", "missing"
COVERAGE_LABELS = {COVERED: "已覆盖", THIN: "材料较少", MISSING: "缺失"}
MIN_EVIDENCE_CHARS = 12  # shorter blocks (titles, table headers) are context, not evidence
TOKEN_CACHE_SIZE = 50_000  # paragraphs; about 40 MB at most
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
HEADING_MAX_CHARS = 30
_OUTLINE = re.compile(r"^(?:[表图]\s*\d+|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[)）]|\d+[.、．]\s*\D|第[一二三四五六七八九十]+[章节部分])")
_SENTENCE_PUNCT = re.compile(r"[。；;，,：:！？]")
_FULL_SENTENCE = re.compile(r"(?<=[。！!？?])")
_CJK = re.compile(r"[\u4e00-\u9fff]")
# List markers and filler that carry no content of their own (一是、（二）、第三、等).
_LIST_MARKERS = re.compile(r"[一二三四五六七八九十]是|第[一二三四五六七八九十]|[（(][一二三四五六七八九十\d]+[)）]|以及|和|与|及|等|方面|工作")
# A paragraph of at least this many Chinese characters of which less than this share is
# left once the configured keywords and list filler are removed is a keyword list.
KEYWORD_LIST_MIN_CHARS = 8
# Near copies: trigram Jaccard similarity at or above this, for paragraphs this long; a
# trigram shared by more paragraphs than the cap stops being indexed (too common to tell).
NEAR_DUPLICATE = 0.7
NEAR_DUPLICATE_MIN_CHARS = 20
NEAR_DUPLICATE_POSTINGS = 200
KEYWORD_LIST_SHARE = 0.3


@dataclass(frozen=True)
class SourceParagraph:
    """A paragraph of a unit's materials as the scorer sees it.

    ``ref`` is an opaque key the caller uses to find the paragraph again (a row id);
    ``kind`` is ``heading``, ``text`` or ``table``.
    """

    ref: object
    text: str
    file_name: str
    location: str
    kind: str = "text"


@dataclass(frozen=True)
class Evidence:
    """A paragraph that counts for an indicator, with the keywords and signals it holds."""

    paragraph: SourceParagraph
    keywords: tuple[str, ...]
    signals: tuple[Signal, ...]
    strength: int

    @property
    def snippet(self) -> str:
        """A short quotation centred on the first keyword."""
        return quote(self.paragraph.text, self.keywords[0] if self.keywords else "")


@dataclass(frozen=True)
class IndicatorScore:
    indicator: Indicator
    coverage: str
    base: float
    effect: float
    evidence: tuple[Evidence, ...]
    signals: tuple[tuple[Signal, SourceParagraph], ...]
    gaps: tuple[str, ...]

    @property
    def total(self) -> float:
        return round(self.base + self.effect, 2)

    @property
    def best(self) -> Evidence | None:
        """The strongest evidence: most signals, then most keyword hits."""
        if not self.evidence:
            return None
        return max(self.evidence, key=lambda e: (len(e.signals), e.strength))


@dataclass(frozen=True)
class AddOnItem:
    """A sentence that earns a bonus or a deduction, for the office to verify."""

    sentence: str
    keywords: tuple[str, ...]
    paragraph: SourceParagraph
    veto: bool = False


@dataclass(frozen=True)
class UnitScore:
    indicators: tuple[IndicatorScore, ...]
    bonus: float
    bonus_items: tuple[AddOnItem, ...]
    deduction: float
    deduction_items: tuple[AddOnItem, ...]
    vetoed: bool
    total: float
    full_marks: float
    percent: float
    grade: str
    paragraphs_considered: int
    duplicates_ignored: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def base_total(self) -> float:
        return round(sum(s.base for s in self.indicators), 2)

    @property
    def effect_total(self) -> float:
        return round(sum(s.effect for s in self.indicators), 2)

    def by_coverage(self, coverage: str) -> list[IndicatorScore]:
        """Indicators whose coverage is ``coverage``."""
        return [s for s in self.indicators if s.coverage == coverage]


def quote(text: str, around: str = "", width: int = 80) -> str:
    """At most ``width`` characters of ``text``, centred on ``around`` when given."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    at = text.find(around) if around else 0
    start = max(0, min(at - width // 3, len(text) - width))
    piece = text[start:start + width]
    return ("…" if start else "") + piece + ("…" if start + width < len(text) else "")


def fingerprint(text: str) -> str:
    """Text with whitespace and punctuation removed: equal for the same words however laid out."""
    return _PUNCT.sub("", text).lower()


class Scorer:
    """Scores units under one set of rules; build once, call ``score`` many times."""

    def __init__(self, rules: ScoringRules):
        self.rules = rules
        self._jieba = jieba.Tokenizer()
        words = {w for ind in rules.all_indicators() for w in ind.all_keywords}
        words |= set(rules.bonus.keywords) | set(rules.deduction.keywords)
        words |= set(rules.deduction.veto_keywords)
        for word in sorted(words):
            self._jieba.add_word(word, freq=200000)
        self._jieba.initialize()
        indicator_words = sorted({w for ind in rules.all_indicators() for w in ind.all_keywords},
                                 key=len, reverse=True)
        self._keyword_pattern = re.compile("|".join(map(re.escape, indicator_words)) or "(?!)")
        # A unit is rescored over all its materials at each upload: segment each text once.
        self.tokens = lru_cache(maxsize=TOKEN_CACHE_SIZE)(self._segment)

    def _segment(self, text: str) -> frozenset[str]:
        """The set of words in ``text``, sub-words included (jieba's search mode)."""
        return frozenset(self._jieba.cut_for_search(text))

    def score(self, paragraphs: Sequence[SourceParagraph], category: str) -> UnitScore:
        """The preliminary score of a unit of ``category`` over all its ``paragraphs``."""
        rules = self.rules
        indicators = rules.indicators_for(category)
        unique, duplicates = _dedupe(paragraphs)
        evidence: dict[str, list[Evidence]] = {ind.id: [] for ind in indicators}
        context: set[str] = set()
        current_file = None
        residual = next((ind for ind in indicators if ind.residual), None)
        listed = 0
        skip_section = False  # under a heading such as 存在的问题 or 下一步打算
        for para in unique:
            if para.file_name != current_file:
                current_file, context, skip_section = para.file_name, set(), False
            if para.kind == "heading" or (para.kind == "text" and looks_like_heading(para.text)):
                # (PDF has no heading styles: an outline-numbered short line is one too.)
                words = self.tokens(para.text)
                context = {ind.id for ind in indicators if _heading_names(para.text, ind, words)}
                skip_section = any(cue in para.text for cue in rules.not_evidence_headings)
                continue
            if skip_section:
                continue
            if len(fingerprint(para.text)) < MIN_EVIDENCE_CHARS and para.kind != "table":
                continue
            text = self._evidence_text(para.text)
            if not text:
                continue  # plans, problems, the opening: not evidence of work done
            if self._is_keyword_list(text):
                listed += 1
                continue
            for ind_id, item in self._match(para, text, context, indicators, residual).items():
                evidence[ind_id].append(item)

        scores = tuple(self._score_indicator(ind, evidence[ind.id]) for ind in indicators)
        bonus_items = self._addon_items(unique, rules.bonus.keywords, min_hits=2)
        deduction_items = self._addon_items(unique, rules.deduction.keywords, min_hits=1)
        veto_items = self._addon_items(unique, rules.deduction.veto_keywords, min_hits=1, veto=True)
        bonus = min(rules.bonus.cap, len(bonus_items) * rules.bonus.points_per_item)
        deduction = min(rules.deduction.cap, len(deduction_items) * rules.deduction.points_per_item)
        full_marks = round(sum(ind.points for ind in indicators), 2)
        total = round(max(0.0, sum(s.total for s in scores) + bonus - deduction), 2)
        percent = round(total / full_marks * 100, 1) if full_marks else 0.0
        vetoed = bool(veto_items)
        return UnitScore(
            indicators=scores, bonus=round(bonus, 2), bonus_items=tuple(bonus_items),
            deduction=round(deduction, 2),
            deduction_items=tuple(veto_items) + tuple(deduction_items),
            vetoed=vetoed, total=total, full_marks=full_marks, percent=percent,
            grade=rules.grade_for(percent, vetoed), paragraphs_considered=len(unique),
            duplicates_ignored=duplicates,
        )

    def _evidence_text(self, text: str) -> str:
        """``text`` without the sentences that are not evidence (plans, problems, openings);
        a sentence runs to its full stop, so a plan's list goes with it."""
        cues = self.rules.not_evidence_cues
        if not cues:
            return text
        return "".join(s for s in _FULL_SENTENCE.split(text)
                       if s.strip() and not any(cue in s for cue in cues))

    def _is_keyword_list(self, text: str) -> bool:
        """Whether ``text`` is little more than configured keywords strung together."""
        cjk = _CJK.findall(text)
        rest = self._keyword_pattern.sub("", text)
        rest = _LIST_MARKERS.sub("", rest)
        left = _CJK.findall(rest)
        return len(cjk) >= KEYWORD_LIST_MIN_CHARS and len(left) < KEYWORD_LIST_SHARE * len(cjk)

    def _match(self, para: SourceParagraph, text: str, context: set[str],
               indicators: Sequence[Indicator], residual: Indicator | None) -> dict[str, Evidence]:
        """The indicators ``text`` (a paragraph's evidence sentences) is evidence for."""
        rules = self.rules
        words = self.tokens(text)
        signals = tuple(find_signals(text))
        found: dict[str, Evidence] = {}
        below: list[tuple[str, Evidence]] = []  # topics named too weakly to count on words alone
        kinds = {signal.kind for signal in signals}
        for ind in indicators:
            weak = [w for w in ind.keywords if w in words]
            strong = [w for w in ind.strong_keywords if w in words or w in text]
            if not weak and not strong:
                continue
            strength = (len(weak) + 2 * len(strong) + (ind.id in context) + (ind.name in text)
                        + bool(kinds & set(ind.signal_kinds)))
            item = Evidence(para, tuple(dict.fromkeys(strong + weak)), signals, strength)
            if strength >= rules.match_threshold:
                found[ind.id] = item
            else:
                below.append((ind.id, item))
        if found:
            best = max(item.strength for item in found.values())
            kept = sorted((v for v in found.values() if v.strength >= rules.share_of_best * best),
                          key=lambda v: -v.strength)[:rules.max_indicators_per_paragraph]
            return {k: v for k, v in found.items() if v in kept}
        concrete = bool(signals) or any(w in text for w in rules.outcome_words)
        if not concrete and not (residual is not None and residual.id in context):
            return {}
        if len(keyword_hits(text, rules.bonus.keywords, skip_negated=True)) >= 2 \
                or keyword_hits(text, rules.deduction.keywords, skip_negated=True):
            return {}  # a paragraph that only reports an award or a violation is for the add-ons
        if below and signals:
            # Work with figures whose topic an indicator names: that indicator's evidence.
            ind_id, item = max(below, key=lambda pair: pair[1].strength)
            return {ind_id: item}
        named = [ind for ind in indicators if ind.id in context and not ind.residual]
        if signals and named:
            # Figures under a heading (or table caption) that names an indicator.
            return {ind.id: Evidence(para, (), signals, 1) for ind in named[:1]}
        if residual is not None:
            # Concrete work no indicator names: the unit's other statutory duties.
            return {residual.id: Evidence(para, (), signals, 1)}
        return {}

    def _score_indicator(self, ind: Indicator, found: list[Evidence]) -> IndicatorScore:
        rules = self.rules
        needed = rules.evidence_needed_for(ind)
        signals_needed = rules.signals_needed_for(ind)
        count = len(found)
        coverage = MISSING if count == 0 else THIN if count < needed else COVERED
        base = ind.base_points * min(1.0, count / needed)
        cited: dict[tuple[str, str], tuple[Signal, SourceParagraph]] = {}
        per_kind: Counter[str] = Counter()
        for item in sorted(found, key=lambda e: -e.strength):
            for signal in item.signals:
                key = (signal.kind, signal.text)
                if key in cited or per_kind[signal.kind] >= rules.signals_per_kind:
                    continue
                per_kind[signal.kind] += 1
                cited[key] = (signal, item.paragraph)
        effect = ind.effect_points * min(1.0, len(cited) / signals_needed)
        gaps = []
        if coverage == MISSING:
            gaps.append(f"未见“{ind.name}”的相关材料")
        elif coverage == THIN:
            gaps.append(f"“{ind.name}”仅有 {count} 段相关材料，满基础分需至少 {needed} 段")
        if coverage != MISSING and not cited:
            gaps.append("未见该指标的完成情况量化数据（数量、完成率、同比变化、获奖或排名）")
        elif 0 < len(cited) < signals_needed:
            kinds = "、".join(sorted(per_kind))
            gaps.append(f"成效数据较少（已有 {len(cited)} 项：{kinds}），满效果分需 {signals_needed} 项，"
                        f"同一类数据最多计 {rules.signals_per_kind} 项")
        ordered = tuple(sorted(found, key=lambda e: (-len(e.signals), -e.strength)))
        return IndicatorScore(
            indicator=ind, coverage=coverage, base=round(base, 2), effect=round(effect, 2),
            evidence=ordered, signals=tuple(cited.values()), gaps=tuple(gaps),
        )

    @staticmethod
    def _addon_items(
        paragraphs: Iterable[SourceParagraph], keywords: tuple[str, ...], *, min_hits: int,
        veto: bool = False,
    ) -> list[AddOnItem]:
        items: list[AddOnItem] = []
        if not keywords:
            return items
        seen: set[str] = set()
        for para in paragraphs:
            # One item per paragraph: a paragraph retelling the same award twice counts once.
            for sentence in sentences(para.text):
                hits = keyword_hits(sentence, keywords, skip_negated=True)
                key = fingerprint(sentence)
                if len(hits) >= min_hits and key not in seen:
                    seen.add(key)
                    items.append(AddOnItem(sentence, tuple(hits), para, veto))
                    break
        return items


def looks_like_heading(text: str) -> bool:
    """A short line with outline numbering (一、 （二） 3.) or a caption (表1) and no sentence
    punctuation: context for what follows, not evidence itself."""
    text = text.strip()
    return (len(text) <= HEADING_MAX_CHARS and not _SENTENCE_PUNCT.search(text)
            and bool(_OUTLINE.match(text)))


def _heading_names(heading: str, ind: Indicator, words: frozenset[str]) -> bool:
    return ind.name in heading or any(w in words for w in ind.all_keywords)


def _dedupe(paragraphs: Sequence[SourceParagraph]) -> tuple[list[SourceParagraph], int]:
    """Paragraphs with repeats (within or across files) removed, first occurrence kept.

    A repeat is the same words however laid out, or a near copy: a paragraph sharing at
    least ``NEAR_DUPLICATE`` of its character trigrams with an earlier one (a figure or a
    word changed to make a copy look new).
    """
    seen: set[str] = set()
    postings: dict[str, list[int]] = {}
    grams: list[frozenset[str]] = []
    unique = []
    repeats = 0
    for para in paragraphs:
        key = fingerprint(para.text)
        if not key:
            continue
        if para.kind != "heading":
            if key in seen:
                repeats += 1
                continue
            if len(key) >= NEAR_DUPLICATE_MIN_CHARS:
                mine = _trigrams(key)
                copy = _near_copy(mine, postings, grams)
                # Copies are indexed too, so a chain of small edits stays one paragraph.
                for gram in mine:
                    bucket = postings.setdefault(gram, [])
                    if len(bucket) < NEAR_DUPLICATE_POSTINGS:
                        bucket.append(len(grams))
                grams.append(mine)
                if copy:
                    repeats += 1
                    seen.add(key)
                    continue
        seen.add(key)
        unique.append(para)
    return unique, repeats


@lru_cache(maxsize=TOKEN_CACHE_SIZE)
def _trigrams(key: str) -> frozenset[str]:
    return frozenset(key[i:i + 3] for i in range(len(key) - 2))


def _near_copy(mine: frozenset[str], postings: dict[str, list[int]],
               grams: list[frozenset[str]]) -> bool:
    shared: Counter[int] = Counter()
    for gram in mine:
        shared.update(postings.get(gram, ()))
    for index, count in shared.most_common(3):
        other = grams[index]
        if count / len(mine | other) >= NEAR_DUPLICATE:
            return True
    return False
