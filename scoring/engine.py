"""Maps a unit's paragraphs to indicators and computes the preliminary 基础分 + 效果分 score.

Pure functions over plain values: no Telegram, no database. The one piece of state is the
jieba tokenizer, loaded with the configured keywords as a user dictionary, which
``Scorer`` builds once and reuses.
"""

from __future__ import annotations

import logging
import re
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
        words = {w for ind in rules.all_indicators() for w in ind.keywords}
        words |= set(rules.bonus.keywords) | set(rules.deduction.keywords)
        words |= set(rules.deduction.veto_keywords)
        for word in sorted(words):
            self._jieba.add_word(word, freq=200000)
        self._jieba.initialize()
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
        context: dict[str, set[str]] = {}
        current_file = None
        for para in unique:
            if para.file_name != current_file:
                current_file, context = para.file_name, {}
            words = self.tokens(para.text)
            if para.kind == "heading":
                context = {ind.id: set() for ind in indicators if _heading_names(para.text, ind, words)}
                continue
            if len(fingerprint(para.text)) < MIN_EVIDENCE_CHARS and para.kind != "table":
                continue
            signals = tuple(find_signals(para.text))
            for ind in indicators:
                hits = tuple(w for w in ind.keywords if w in words)
                strength = len(hits) + (1 if ind.id in context else 0)
                if ind.name in para.text:
                    strength += 1
                if hits and strength >= rules.match_threshold:
                    evidence[ind.id].append(Evidence(para, hits, signals, strength))

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

    def _score_indicator(self, ind: Indicator, found: list[Evidence]) -> IndicatorScore:
        rules = self.rules
        count = len(found)
        coverage = MISSING if count == 0 else THIN if count < rules.evidence_needed else COVERED
        base = ind.base_points * min(1.0, count / rules.evidence_needed)
        cited: dict[tuple[str, str], tuple[Signal, SourceParagraph]] = {}
        for item in found:
            for signal in item.signals:
                cited.setdefault((signal.kind, signal.text), (signal, item.paragraph))
        effect = ind.effect_points * min(1.0, len(cited) / rules.signals_needed)
        gaps = []
        if coverage == MISSING:
            gaps.append(f"未见“{ind.name}”的相关材料")
        elif coverage == THIN:
            gaps.append(f"“{ind.name}”仅有 {count} 段相关材料，满基础分需至少 {rules.evidence_needed} 段")
        if coverage != MISSING and not cited:
            gaps.append("未见该指标的完成情况量化数据（数量、完成率、同比变化、获奖或排名）")
        elif 0 < len(cited) < rules.signals_needed:
            gaps.append(f"成效数据较少（{len(cited)} 项），满效果分需 {rules.signals_needed} 项")
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


def _heading_names(heading: str, ind: Indicator, words: set[str]) -> bool:
    return ind.name in heading or any(w in words for w in ind.keywords)


def _dedupe(paragraphs: Sequence[SourceParagraph]) -> tuple[list[SourceParagraph], int]:
    """Paragraphs with repeats (within or across files) removed, first occurrence kept."""
    seen: set[str] = set()
    unique = []
    repeats = 0
    for para in paragraphs:
        key = fingerprint(para.text)
        if not key:
            continue
        if para.kind != "heading" and key in seen:
            repeats += 1
            continue
        seen.add(key)
        unique.append(para)
    return unique, repeats
