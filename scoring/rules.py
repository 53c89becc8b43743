"""The indicator system and scoring rules as frozen values (built from config.toml)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Indicator:
    """A leaf indicator (二级指标) that earns points."""

    id: str
    name: str
    group_id: str
    group_name: str
    points: float
    base_share: float
    keywords: tuple[str, ...]
    core: bool = False
    categories: tuple[str, ...] = ()  # empty: applies to every unit category
    evidence_needed: int | None = None  # None: the rules' default
    signals_needed: int | None = None
    # Words that on their own show the work was done (count as two hits), e.g. 依申请公开.
    strong_keywords: tuple[str, ...] = ()
    # The catch-all indicator (其他法定职责): a paragraph reporting concrete work that no
    # other indicator claims is evidence for it.
    residual: bool = False
    # Outcome signals of these kinds (e.g. 排名) name this indicator's topic: one more hit.
    signal_kinds: tuple[str, ...] = ()
    # What the indicator covers, in the office's words: its topic words count as evidence
    # too (a new indicator with no training data is found by them and its keywords).
    description: str = ""

    @property
    def all_keywords(self) -> tuple[str, ...]:
        return self.keywords + self.strong_keywords

    @property
    def base_points(self) -> float:
        """Points available for evidence that the work was done (基础分)."""
        return round(self.points * self.base_share, 2)

    @property
    def effect_points(self) -> float:
        """Points available for evidence of results (效果分)."""
        return round(self.points - self.base_points, 2)

    def applies_to(self, category: str) -> bool:
        """Whether units of ``category`` are assessed on this indicator."""
        return not self.categories or category in self.categories


@dataclass(frozen=True)
class IndicatorGroup:
    """A main part of the "3+2" system (一级指标), e.g. 职能履行."""

    id: str
    name: str
    children: tuple[Indicator, ...]


@dataclass(frozen=True)
class AddOn:
    """An add-on part: 争优创新 (bonus) or 违规失职 (deduction, with veto words)."""

    name: str
    cap: float
    points_per_item: float
    keywords: tuple[str, ...]
    veto_keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScoringRules:
    """Everything the scorer needs: the tree, thresholds, add-ons and grades."""

    groups: tuple[IndicatorGroup, ...]
    bonus: AddOn
    deduction: AddOn
    grades: tuple[tuple[str, float], ...]  # (grade, lower bound in %), best first
    evidence_needed: int = 2
    # Chinese characters of work done that make one whole piece of evidence; a shorter
    # paragraph counts in proportion (a one-line claim is a fraction of one).
    evidence_chars: int = 40
    # A paragraph with nothing a reader could check (no figure, no named document) counts
    # as this share of the evidence its length would give.
    vague_weight: float = 0.5
    signals_needed: int = 3
    match_threshold: int = 2
    failing_grade: str = "不合格"
    # Sentences holding one of these words (plans, problems, the opening) are not evidence.
    not_evidence_cues: tuple[str, ...] = ()
    # Words that report an outcome without a figure (稳步提升); with them, concrete work that
    # no other indicator claims goes to the catch-all indicator as with a figure.
    outcome_words: tuple[str, ...] = ()
    # Paragraphs under a heading holding one of these (存在的问题, 下一步打算) are not evidence.
    not_evidence_headings: tuple[str, ...] = ()
    # The opening ends at one of these (报告如下): what comes before is not evidence, the rest is.
    opening_cues: tuple[str, ...] = ()
    # Clauses holding one of these state a problem (不足, 短板); the rest of the sentence can
    # still be work done ("针对短板…制定了…办法").
    problem_cues: tuple[str, ...] = ()
    # The trained mapping model (.npz; empty: keyword rules alone) and its content hash.
    model_path: str = ""
    model_digest: str = ""
    # A paragraph counts for a further indicator only when its match is at least this share
    # of its best match (keeps a passing mention from counting as evidence).
    share_of_best: float = 0.5
    # A paragraph is evidence for at most this many indicators (its strongest matches).
    max_indicators_per_paragraph: int = 3
    # Outcome signals of one kind counted per indicator (ten percentages are not ten results).
    signals_per_kind: int = 2
    # 社会评价: its share of the total (0 = not used) and the name the office uses for it.
    social_weight: float = 0.0
    social_name: str = "社会评价"

    def fingerprint(self) -> str:
        """Differs whenever anything that changes a score differs (stored with each score)."""
        # The model counts by its content, not where it lies.
        return hashlib.sha256(repr(replace(self, model_path="")).encode("utf-8")).hexdigest()[:16]

    def evidence_needed_for(self, ind: Indicator) -> int:
        """Distinct evidence paragraphs needed for the indicator's full base points."""
        return ind.evidence_needed or self.evidence_needed

    def signals_needed_for(self, ind: Indicator) -> int:
        """Distinct outcome signals needed for the indicator's full effect points."""
        return ind.signals_needed or self.signals_needed

    def indicators_for(self, category: str) -> tuple[Indicator, ...]:
        """The leaf indicators a unit of ``category`` is assessed on, in tree order."""
        return tuple(
            ind for g in self.groups for ind in g.children if ind.applies_to(category)
        )

    def all_indicators(self) -> tuple[Indicator, ...]:
        """Every leaf indicator in tree order."""
        return tuple(ind for g in self.groups for ind in g.children)

    def grade_for(self, percent: float, vetoed: bool = False) -> str:
        """The grade (考核等次) a total of ``percent`` of the full score earns."""
        if vetoed:
            return self.failing_grade
        for name, lower in self.grades:
            if percent >= lower:
                return name
        return self.failing_grade
