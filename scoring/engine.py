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
from dataclasses import dataclass, field, replace
from functools import lru_cache

import jieba
import numpy as np

from scoring.mapping_model import MappingModel, config_features, description_words, text_features
from scoring.rules import Indicator, ScoringRules
from scoring.signals import Signal, award_hits, failure_hits, find_signals, keyword_hits, sentences

jieba.setLogLevel(logging.WARNING)

COVERED, THIN, MISSING = "covered", "thin", "missing"
COVERAGE_LABELS = {COVERED: "已覆盖", THIN: "材料较少", MISSING: "缺失"}
MIN_EVIDENCE_CHARS = 12  # shorter blocks (titles, table headers) are context, not evidence
MIN_VAGUE_CJK = 20  # a paragraph shorter than this with no figure says nothing checkable
TOKEN_CACHE_SIZE = 50_000  # paragraphs; about 40 MB at most
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
HEADING_MAX_CHARS = 30
_OUTLINE = re.compile(r"^(?:[表图]\s*\d+|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[)）]|\d+[.、．]\s*\D|第[一二三四五六七八九十]+[章节部分])")
_SENTENCE_PUNCT = re.compile(r"[。；;，,：:！？]")
_FULL_SENTENCE = re.compile(r"(?<=[。！!？?])")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_FIGURE = re.compile(r"\d+(?:\.\d+)?")
_CN_COUNT = re.compile(r"[一二三四五六七八九十两百千万]+(?:次|项|个|件|场|名|人|家|篇|条|批|期|份|处|所|户|起|批次|人次)")
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
# With figures in it, a paragraph dense with keywords is a list only when almost nothing else
# is left ("3项重大行政决策均履行公众参与、专家论证…程序" is specific work, not a list).
KEYWORD_LIST_SHARE_WITH_FIGURES = 0.12
# A clause (or bracketed aside) of three or more keywords with less than this share of other
# characters is dropped before mapping: keywords appended to a paragraph add nothing.
KEYWORD_RUN_SHARE = 0.25
KEYWORD_DUMP_SHARE = 0.45
_CLAUSE = re.compile(r"[，,；;：:]")
# 争创 / 申报 an honour is hoped for, not won (unless the sentence says it was won).
_ASPIRATION = re.compile(r"争创|力争|申报|推荐|积极创建|正在创建|争取")
_ACHIEVED = re.compile(r"成功|获评|荣获|被评为|入选|获得|授予|命名")
# The unit commending others: 表彰先进集体10个、先进个人50名.
_AWARDS_GIVEN = re.compile(r"(?:表彰|评选出|评出|推选)[^，。；]{0,16}?\d+\s*(?:个|名|人|家|户)")
_LIST_SEPARATOR = re.compile(r"[、/／\s]")
_CLAUSE_OR_BRACKET = re.compile(r"[，,；;：:。！？!?（）()【】\[\]]")


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
    # The model's probability that the paragraph is evidence for the indicator (0: keyword
    # rules alone decided).
    confidence: float = 0.0
    # How much of one full piece of evidence the paragraph is (1 from ``evidence_chars``
    # Chinese characters of work done; a one-line claim is a fraction of one).
    substance: float = 1.0
    # Nothing a reader could check in it (no figure, no named document): counted at vague_weight.
    vague: bool = False

    @property
    def weight(self) -> float:
        """How strongly the paragraph speaks for the indicator (ranks its evidence)."""
        return self.confidence or float(self.strength)

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
        return max(self.evidence, key=lambda e: (len(e.signals), e.weight))


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
    # Paragraphs that looked like evidence but did not count, each with its reason.
    set_aside: tuple[SetAside, ...] = ()

    @property
    def base_total(self) -> float:
        return round(sum(s.base for s in self.indicators), 2)

    @property
    def effect_total(self) -> float:
        return round(sum(s.effect for s in self.indicators), 2)

    @property
    def veto_reason(self) -> str:
        """Where the materials report the failure that vetoes the grade ('' without a veto)."""
        item = next((i for i in self.deduction_items if i.veto), None)
        if item is None:
            return ""
        return (f"《{item.paragraph.file_name}》{item.paragraph.location}："
                f"“{quote(item.sentence, item.keywords[0] if item.keywords else '', 60)}”")

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


# Why a paragraph that looked like evidence did not count (shown to the liaison).
REASON_SHORT = "太短，看不出做了什么"
REASON_NOT_DONE = "写的是计划、问题或开场白，不是已完成的工作"
REASON_SECTION = "位于“问题”“打算”一类标题之下"
REASON_LIST = "只是罗列关键词，没有具体做法或数据"
REASON_COPY = "与另一段内容相同或几乎相同，只计一次"


@dataclass(frozen=True)
class SetAside:
    """A paragraph that looked like evidence for some indicators but did not count, and why."""

    paragraph: SourceParagraph
    reason: str
    looked_like: tuple[str, ...]  # ids of the indicators it would have counted for


@dataclass(frozen=True)
class _Step:
    """One paragraph as the scorer reads it: the text that can be evidence, or why none."""

    paragraph: SourceParagraph
    text: str
    heading: str
    context: frozenset[str]
    reason: str | None


class Scorer:
    """Scores units under one set of rules; build once, call ``score`` many times."""

    def __init__(self, rules: ScoringRules, model: MappingModel | None = None):
        self.rules = rules
        self.model = model if model is not None else (
            MappingModel.load(rules.model_path) if rules.model_path else None)
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
        alternatives = self._keyword_pattern.pattern
        # Four or more keywords joined only by list separators (、，和 及 与 / spaces).
        self._dump_run = re.compile(f"(?:{alternatives})(?:[、，,/／和及与\\s]*(?:{alternatives})){{3,}}")
        self._topics_of: dict[str, set[str]] = {}
        for ind in rules.all_indicators():
            for word in ind.all_keywords:
                self._topics_of.setdefault(word, set()).add(ind.id)
        # A unit is rescored over all its materials at each upload: segment each text once.
        self.tokens = lru_cache(maxsize=TOKEN_CACHE_SIZE)(self._segment)
        self._described = {ind.id: description_words(ind.description, self._jieba.lcut)
                           for ind in rules.all_indicators()}

    def _segment(self, text: str) -> frozenset[str]:
        """The set of words in ``text``, sub-words included (jieba's search mode)."""
        return frozenset(self._jieba.cut_for_search(text))

    def score(self, paragraphs: Sequence[SourceParagraph], category: str) -> UnitScore:
        """The preliminary score of a unit of ``category`` over all its ``paragraphs``."""
        rules = self.rules
        indicators = rules.indicators_for(category)
        unique, copies = _dedupe(paragraphs)
        evidence: dict[str, list[Evidence]] = {ind.id: [] for ind in indicators}
        residual = next((ind for ind in indicators if ind.residual), None)
        set_aside: list[SetAside] = []
        steps = self.walk(unique, indicators)
        for step in steps:
            if step.reason is None:
                for ind_id, item in self.match(step, indicators, residual).items():
                    evidence[ind_id].append(item)
            elif step.reason:
                set_aside += self._set_aside(step.paragraph, step, step.reason, indicators)
        for para in copies:
            set_aside += self._set_aside(para, None, REASON_COPY, indicators)

        scores = tuple(self._score_indicator(ind, evidence[ind.id]) for ind in indicators)
        bonus_items = self._bonus_items(steps)
        deduction_items = self._failure_items(unique, rules.deduction.keywords)
        veto_items = self._failure_items(unique, rules.deduction.veto_keywords, veto=True)
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
            duplicates_ignored=len(copies), set_aside=tuple(set_aside),
        )

    def walk(self, paragraphs: Iterable[SourceParagraph], indicators: Sequence[Indicator]) -> list[_Step]:
        """Each paragraph with the heading it stands under and the text of it that can be
        evidence; headings themselves and set-aside paragraphs carry the reason (headings an
        empty one)."""
        rules = self.rules
        steps: list[_Step] = []
        context: frozenset[str] = frozenset()
        heading = ""
        current_file = None
        skip_section = False  # under a heading such as 存在的问题 or 下一步打算
        for para in paragraphs:
            if para.file_name != current_file:
                current_file, context, heading, skip_section = para.file_name, frozenset(), "", False
            if para.kind == "heading" or (para.kind == "text" and looks_like_heading(para.text)):
                # (PDF has no heading styles: an outline-numbered short line is one too.)
                words = self.tokens(para.text)
                context = frozenset(ind.id for ind in indicators if _heading_names(para.text, ind, words))
                heading = para.text
                skip_section = any(cue in para.text for cue in rules.not_evidence_headings)
                steps.append(_Step(para, "", heading, context, ""))
                continue
            reason = None
            text = ""
            if skip_section:
                reason = REASON_SECTION
            elif len(fingerprint(para.text)) < MIN_EVIDENCE_CHARS and para.kind != "table":
                reason = REASON_SHORT
            else:
                text = self._evidence_text(para.text)
                if not text.strip():
                    reason = REASON_NOT_DONE
                elif self._is_keyword_list(text):
                    reason = REASON_LIST
                elif len(_CJK.findall(text)) < MIN_VAGUE_CJK and not find_signals(text) \
                        and para.kind != "table":
                    reason = REASON_SHORT  # a short sentence with no figure says nothing checkable
            steps.append(_Step(para, text if reason is None else "", heading, context, reason))
        return steps

    def _set_aside(self, para: SourceParagraph, step: _Step | None, reason: str,
                   indicators: Sequence[Indicator]) -> list[SetAside]:
        """The paragraph as set aside, when read whole it would have been evidence."""
        whole = _Step(para, para.text, step.heading if step else "", step.context if step else frozenset(), None)
        looked = self.match(whole, indicators, None)
        if not looked:
            return []
        return [SetAside(para, reason, tuple(ind.id for ind in indicators if ind.id in looked))]

    def _evidence_text(self, text: str) -> str:
        """``text`` without what is not evidence of work done: the opening up to 报告如下,
        plan sentences (a sentence runs to its full stop, so a plan's list goes with it),
        and the clauses that state a problem (the rest of their sentence may be work)."""
        rules = self.rules
        for cue in rules.opening_cues:
            at = text.rfind(cue)
            if at >= 0:
                text = text[at + len(cue):].lstrip("：:，,。 ")
        kept = []
        for sentence in _FULL_SENTENCE.split(text):
            if not sentence.strip() or any(cue in sentence for cue in rules.not_evidence_cues):
                continue
            if rules.problem_cues and any(cue in sentence for cue in rules.problem_cues):
                body = sentence.rstrip()
                end = body[-1] if body and body[-1] in "。！？!?" else "。"
                clauses = _CLAUSE.split(body.rstrip("。！？!?"))
                sentence = "，".join(c for c in clauses
                                    if c.strip() and not any(cue in c for cue in rules.problem_cues))
                if not _CJK.search(sentence):
                    continue
                sentence += end  # the sentence still ends where it ended
            kept.append(sentence)
        return "".join(kept)

    def _is_keyword_list(self, text: str) -> bool:
        """Whether ``text`` is little more than configured keywords strung together (figures
        count as content: a dense but specific paragraph is not a list)."""
        cjk = _CJK.findall(text)
        if len(cjk) < KEYWORD_LIST_MIN_CHARS:
            return False
        left = len(_CJK.findall(_LIST_MARKERS.sub("", self._keyword_pattern.sub("", text))))
        share = KEYWORD_LIST_SHARE_WITH_FIGURES if find_signals(text) else KEYWORD_LIST_SHARE
        return left < share * len(cjk)

    def _without_keyword_runs(self, text: str) -> str:
        """``text`` without clauses that are only configured keywords (a list appended in
        brackets or as its own clause adds nothing a reader could check), and without runs
        of keywords of three or more indicators wherever they stand."""
        text = self._dump_run.sub(lambda m: "" if self._is_dump(m.group(0)) else m.group(0), text)
        parts = _CLAUSE_OR_BRACKET.split(text)
        kept = [part for part in parts if not self._keyword_only(part)]
        return "，".join(p for p in kept if p.strip()) if len(kept) < len(parts) else text

    def _topics(self, keywords: Iterable[str]) -> set[str]:
        """The indicators whose keywords these are."""
        return {ind for word in keywords for ind in self._topics_of.get(word, ())}

    def _is_dump(self, run: str) -> bool:
        return len(self._topics(self._keyword_pattern.findall(run))) >= 3

    def _keyword_only(self, clause: str) -> bool:
        found = self._keyword_pattern.findall(clause)
        if len(found) < 3 or len(_LIST_SEPARATOR.findall(clause)) < 2:
            return False  # a list needs its separators
        cjk = len(_CJK.findall(clause))
        left = len(_CJK.findall(_LIST_MARKERS.sub("", self._keyword_pattern.sub("", clause))))
        if len(found) >= 4 and len(self._topics(found)) >= 3:
            # Keywords of three or more indicators strung together: a dump, even beside a figure.
            return left < KEYWORD_DUMP_SHARE * cjk
        # One topic's steps listed ("公众参与、专家论证、风险评估…") with a figure are a claim.
        return not _FIGURE.search(clause) and left < KEYWORD_RUN_SHARE * cjk

    def match(self, step: _Step, indicators: Sequence[Indicator],
              residual: Indicator | None) -> dict[str, Evidence]:
        """The indicators the step's text is evidence for."""
        text = self._without_keyword_runs(step.text)
        if self.model is not None:
            found = self._match_model(step, text, indicators)
        else:
            found = self._match_keywords(step, text, indicators, residual)
        substance = min(1.0, substance_chars(text) / self.rules.evidence_chars)
        vague = not checkable(text)
        if vague:
            substance *= self.rules.vague_weight  # nothing a reader could check: no figure, no document
        return {key: replace(item, substance=round(substance, 3), vague=vague) for key, item in found.items()}

    def model_inputs(self, step: _Step, text: str, labels: Sequence[tuple[str, Indicator | None]]
                     ) -> tuple[dict[str, float], list[np.ndarray], list[Signal], dict[str, tuple[str, ...]]]:
        """The model's features for the step's ``text``: its own, then per label (an
        indicator, or ``bonus`` / ``deduction`` with None) how the configuration speaks of
        it; also the signals and the keywords found per label (the evidence cited)."""
        words = self.tokens(text)
        signals = find_signals(text)
        heading_words = self.tokens(step.heading) if step.heading else frozenset()
        feats = text_features(words, text, heading_words, {s.kind for s in signals})
        config, found = [], {}
        for label, ind in labels:
            if ind is None:
                addon = self.rules.bonus if label == "bonus" else self.rules.deduction
                weak = keyword_hits(text, addon.keywords, skip_negated=True)
                strong = keyword_hits(text, addon.veto_keywords, skip_negated=True)
                config.append(config_features(len(weak), len(strong), addon.name in text, False, 0))
            else:
                weak = [w for w in ind.keywords if w in words]
                strong = [w for w in ind.strong_keywords if w in words or w in text]
                described = sum(w in words for w in self._described.get(ind.id, ()))
                config.append(config_features(len(weak), len(strong), ind.name in text,
                                              ind.id in step.context, described))
            found[label] = tuple(dict.fromkeys(strong + weak))
        return feats, config, signals, found

    def _match_model(self, step: _Step, text: str, indicators: Sequence[Indicator]) -> dict[str, Evidence]:
        labels = [(ind.id, ind) for ind in indicators]
        feats, config, signals, found = self.model_inputs(step, text, labels)
        probs = self.model.probabilities(feats, [label for label, _ in labels], config)
        chosen = sorted(((p, ind) for (p, threshold), ind in zip(probs, indicators, strict=True)
                         if p >= threshold), key=lambda pair: -pair[0])
        out = {}
        for p, ind in chosen[:self.rules.max_indicators_per_paragraph]:
            cited = found[ind.id] or self.model.top_words(feats, ind.id)
            strength = len(found[ind.id]) + (ind.id in step.context)
            out[ind.id] = Evidence(step.paragraph, cited, tuple(signals), strength, round(p, 3))
        return out

    def _match_keywords(self, step: _Step, text: str, indicators: Sequence[Indicator],
                        residual: Indicator | None) -> dict[str, Evidence]:
        """Keyword rules alone (no model configured)."""
        rules = self.rules
        para, context = step.paragraph, step.context
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
                or failure_hits(text, rules.deduction.keywords):
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
        # Evidence is measured in substance, not in paragraphs: a one-line claim is a part of one.
        amount = sum(item.substance for item in found)
        coverage = MISSING if count == 0 else THIN if amount < needed - 1e-9 else COVERED
        base = ind.base_points * min(1.0, amount / needed)
        cited: dict[tuple[str, str], tuple[Signal, SourceParagraph]] = {}
        per_kind: Counter[str] = Counter()
        signal_amount = 0.0
        for item in sorted(found, key=lambda e: (-e.substance, -e.weight)):
            for signal in item.signals:
                key = (signal.kind, signal.text)
                if key in cited or per_kind[signal.kind] >= rules.signals_per_kind:
                    continue
                per_kind[signal.kind] += 1
                cited[key] = (signal, item.paragraph)
                signal_amount += item.substance
        effect = ind.effect_points * min(1.0, signal_amount / signals_needed)
        gaps = []
        if coverage == MISSING:
            gaps.append(f"未见“{ind.name}”的相关材料")
        elif coverage == THIN:
            vague = sum(item.vague for item in found)
            short = sum(item.substance < 1 and not item.vague for item in found)
            parts = ([f"{vague} 段没有可核实的数字或文件名，按 {rules.vague_weight:.0%} 计"] if vague else []) + \
                    ([f"{short} 段较短，按篇幅折算"] if short else [])
            detail = f"（其中 {'；'.join(parts)}）" if parts else ""
            gaps.append(f"“{ind.name}”仅有 {count} 段相关材料{detail}，满基础分需至少 {needed} 段完整材料")
        if coverage != MISSING and not cited:
            gaps.append("未见该指标的完成情况量化数据（数量、完成率、同比变化、获奖或排名）")
        elif 0 < len(cited) and signal_amount < signals_needed - 1e-9:
            kinds = "、".join(sorted(per_kind))
            gaps.append(f"成效数据较少（已有 {len(cited)} 项：{kinds}），满效果分需 {signals_needed} 项，"
                        f"同一类数据最多计 {rules.signals_per_kind} 项，短段落中的数据按篇幅折算")
        ordered = tuple(sorted(found, key=lambda e: (-len(e.signals), -e.weight)))
        return IndicatorScore(
            indicator=ind, coverage=coverage, base=round(base, 2), effect=round(effect, 2),
            evidence=ordered, signals=tuple(cited.values()), gaps=tuple(gaps),
        )

    def _bonus_items(self, steps: Sequence[_Step]) -> list[AddOnItem]:
        """争优创新: a sentence of work done naming an honour of the unit (two configured
        keywords, or an honour phrased otherwise: 入选…名单, 在全省推广, 获…肯定); one per
        paragraph. (Gating these on the model's reading lost more honours than it saved on
        the real-text dev split: F1 0.57 against 0.68.)"""
        keywords = self.rules.bonus.keywords
        items: list[AddOnItem] = []
        seen: set[str] = set()
        for step in steps:
            # An honour stated in one short line is still a checkable claim.
            if step.reason is not None and step.reason != REASON_SHORT:
                continue
            text = step.text or self._evidence_text(step.paragraph.text)
            for sentence in sentences(text):
                if _ASPIRATION.search(sentence) and not _ACHIEVED.search(sentence):
                    continue  # 争创 / 申报: hoped for, not won
                if _AWARDS_GIVEN.search(sentence):
                    continue  # the unit commending others
                hits = keyword_hits(sentence, keywords, skip_negated=True)
                found = award_hits(sentence)
                key = fingerprint(sentence)
                if (len(hits) >= 2 or found) and key not in seen:
                    seen.add(key)
                    items.append(AddOnItem(sentence, tuple(dict.fromkeys(hits + found)), step.paragraph))
                    break
        return items

    def _failure_items(self, paragraphs: Iterable[SourceParagraph], keywords: tuple[str, ...], *,
                       veto: bool = False) -> list[AddOnItem]:
        """违规失职 (or, with ``veto``, 一票否决) items: a sentence reporting the unit's own
        failure (被通报批评, 败诉, 发生重大安全责任事故), wherever it stands; not a rule
        mentioned, the unit acting on others, or a zero count. One per paragraph."""
        items: list[AddOnItem] = []
        if not keywords:
            return items
        seen: set[str] = set()
        for para in paragraphs:
            if para.kind == "heading":
                continue
            for sentence in sentences(para.text):
                hits = failure_hits(sentence, keywords)
                key = fingerprint(sentence)
                if hits and key not in seen:
                    seen.add(key)
                    items.append(AddOnItem(sentence, tuple(hits), para, veto))
                    break
        return items

def checkable(text: str) -> bool:
    """Whether ``text`` states something a reader could check: a figure (12项, 三次) or a
    named document (《…》)."""
    return bool(_FIGURE.search(text) or _CN_COUNT.search(text) or "《" in text)


def substance_chars(text: str) -> int:
    """How much ``text`` says: its Chinese characters, and two for each figure in it."""
    return len(_CJK.findall(text)) + 2 * len(_FIGURE.findall(text))


def looks_like_heading(text: str) -> bool:
    """A short line with outline numbering (一、 （二） 3.) or a caption (表1) and no sentence
    punctuation: context for what follows, not evidence itself."""
    text = text.strip()
    return (len(text) <= HEADING_MAX_CHARS and not _SENTENCE_PUNCT.search(text)
            and bool(_OUTLINE.match(text)))


def _heading_names(heading: str, ind: Indicator, words: frozenset[str]) -> bool:
    return ind.name in heading or any(w in words for w in ind.all_keywords)


def _dedupe(paragraphs: Sequence[SourceParagraph]) -> tuple[list[SourceParagraph], list[SourceParagraph]]:
    """Paragraphs with repeats (within or across files) removed, first occurrence kept.

    A repeat is the same words however laid out, or a near copy: a paragraph sharing at
    least ``NEAR_DUPLICATE`` of its character trigrams with an earlier one (a figure or a
    word changed to make a copy look new).
    """
    seen: set[str] = set()
    postings: dict[str, list[int]] = {}
    grams: list[frozenset[str]] = []
    unique = []
    repeats: list[SourceParagraph] = []
    for para in paragraphs:
        key = fingerprint(para.text)
        if not key:
            continue
        if para.kind != "heading":
            if key in seen:
                repeats.append(para)
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
                    repeats.append(para)
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
