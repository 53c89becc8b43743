"""The upload pipeline: parse → map → score → store, as one call with no Telegram in it.

Used by the bot's upload handler (in a worker thread) and by the ingest benchmark.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone

from bot.config import AppConfig
from bot.cycle import Cycle
from bot.qa import Regulations
from parsers import ParsedDocument, parse_document
from scoring.engine import Scorer, SourceParagraph, UnitScore
from scoring.progress import next_deadline
from scoring.retrieval import QueryTokenizer
from storage.files import content_hash
from storage.store import NewParagraph, NewSubmission, ScoreRecord, Store


@dataclass(frozen=True)
class Receipt:
    """What the liaison is told about the file itself (回执)."""

    submission_id: int
    file_name: str
    file_type: str
    pages: int | None
    paragraphs: int
    chars: int
    sha256: str
    received_at: datetime
    deadline_at: datetime | None
    late: bool
    duplicate_of: dict | None = None  # the earlier submission when the bytes were seen before
    warnings: tuple[str, ...] = ()  # what the parser could not read (scanned pages, bad fonts)


@dataclass(frozen=True)
class IngestOutcome:
    unit: dict
    receipt: Receipt
    score: UnitScore
    files_counted: int
    evidence_in_file: int | None = None  # evidence paragraphs the new file contributed

    @property
    def file_matched_nothing(self) -> bool:
        """The new file holds nothing the indicators recognise (perhaps the wrong file)."""
        return self.evidence_in_file == 0


class Services:
    """Long-lived services shared by the handlers: config, database, scorer."""

    def __init__(self, config: AppConfig, store: Store | None = None,
                 scorer: Scorer | None = None, tokenizer: QueryTokenizer | None = None):
        self.config = config
        self.store = store or Store(config.storage_dir)
        self.scorer = scorer or Scorer(config.scoring)
        self.store.sync_units(
            {"id": u.id, "name": u.name, "category": u.category, "invite_code": u.invite_code}
            for u in config.units
        )
        self.cycle = Cycle(config, self.store)
        self.qa = Regulations(config, self.store, tokenizer)  # loads on first use or start()
        self._unit_locks: dict[str, threading.Lock] = defaultdict(threading.Lock)
        self._locks_guard = threading.Lock()

    def close(self) -> None:
        """Release the database."""
        self.store.close()

    def role_of(self, user_id: int) -> str:
        """``admin``, ``official``, ``liaison`` or ``unknown``."""
        if user_id in self.config.admins:
            return "admin"
        if user_id in self.config.officials:
            return "official"
        return "liaison" if self.store.person(user_id) else "unknown"

    def deadline_for_unit(self, unit: dict) -> datetime | None:
        """The due time (UTC) of the unit's next deadline not yet met, else its last one."""
        upcoming = next_deadline(self.cycle.progress(unit["id"]))
        return upcoming.deadline.due if upcoming else None

    def _unit_lock(self, unit_id: str) -> threading.Lock:
        with self._locks_guard:
            return self._unit_locks[unit_id]

    def ingest(self, unit_id: str, telegram_id: int, file_name: str, data: bytes,
               received_at: datetime | None = None) -> IngestOutcome:
        """Record one upload for a unit and rescore the unit over all its materials.

        Raises ``parsers.DocumentRejected`` (nothing recorded) for files that cannot be used.
        Uploading bytes the unit already sent returns the earlier receipt, counted once.
        """
        received_at = received_at or datetime.now(timezone.utc)
        unit = self.store.unit(unit_id)
        if unit is None:
            raise KeyError(unit_id)
        rule = self.cycle.upload_deadline(unit, received_at)
        deadline = rule.due if rule else None
        sha = content_hash(data)
        with self._unit_lock(unit_id):
            earlier = self.store.submission_by_hash(unit_id, sha)
            if earlier is not None:
                score = self.score_unit(unit)
                receipt = Receipt(
                    submission_id=earlier["id"], file_name=file_name,
                    file_type=earlier["file_type"], pages=earlier["pages"],
                    paragraphs=earlier["paragraph_count"], chars=earlier["chars"], sha256=sha,
                    received_at=received_at, deadline_at=deadline,
                    late=bool(earlier["late"]), duplicate_of=earlier,
                )
                return IngestOutcome(unit, receipt, score, self.store.submission_count(unit_id))

            parsed = parse_document(data, file_name)
            new_paragraphs = _new_paragraphs(parsed)
            stored = self._stored_paragraphs(unit_id)
            incoming = [
                SourceParagraph(("new", p.seq), p.text, file_name, p.location, p.kind)
                for p in new_paragraphs
            ]
            score = self.scorer.score(stored + incoming, unit["category"])
            submission = NewSubmission(
                unit_id=unit_id, telegram_id=telegram_id, file_name=file_name,
                file_type=parsed.file_type, data=data, pages=parsed.pages,
                received_at=received_at, deadline_at=deadline, paragraphs=new_paragraphs,
                deadline_name=rule.name if rule else None,
            )
            submission_id = self.store.record_submission(submission, score_record(score))
        receipt = Receipt(
            submission_id=submission_id, file_name=file_name, file_type=parsed.file_type,
            pages=parsed.pages, paragraphs=len(new_paragraphs), chars=parsed.chars,
            sha256=sha, received_at=received_at, deadline_at=deadline, late=submission.late,
            warnings=parsed.warnings,
        )
        contributed = sum(
            1 for item in score.indicators for ev in item.evidence
            if isinstance(ev.paragraph.ref, tuple)
        )
        return IngestOutcome(unit, receipt, score, self.store.submission_count(unit_id),
                             contributed)

    def score_unit(self, unit: dict) -> UnitScore:
        """The unit's score over its stored materials (recomputed, not cached)."""
        return self.scorer.score(self._stored_paragraphs(unit["id"]), unit["category"])

    def _stored_paragraphs(self, unit_id: str) -> list[SourceParagraph]:
        return [
            SourceParagraph(row["id"], row["text"], row["file_name"], row["location"], row["kind"])
            for row in self.store.unit_paragraphs(unit_id)
        ]


def _new_paragraphs(parsed: ParsedDocument) -> list[NewParagraph]:
    return [
        NewParagraph(seq=i, kind=p.kind, page=p.page, idx=p.index, location=p.location(),
                     text=p.text)
        for i, p in enumerate(parsed.paragraphs, start=1)
    ]


def score_record(score: UnitScore) -> ScoreRecord:
    """A ``UnitScore`` as the rows the store keeps (totals, per indicator, evidence)."""
    unit = {
        "total": score.total, "full_marks": score.full_marks, "percent": score.percent,
        "grade": score.grade, "base_total": score.base_total,
        "effect_total": score.effect_total, "bonus": score.bonus,
        "deduction": score.deduction, "vetoed": int(score.vetoed),
        "paragraphs_considered": score.paragraphs_considered,
    }
    indicators = []
    evidence = []
    for item in score.indicators:
        ind = item.indicator
        indicators.append({
            "indicator_id": ind.id, "indicator_name": ind.name, "coverage": item.coverage,
            "base": item.base, "effect": item.effect, "evidence_count": len(item.evidence),
            "gaps": "；".join(item.gaps),
        })
        for rank, ev in enumerate(item.evidence, start=1):
            evidence.append({
                "indicator_id": ind.id, "kind": "base", "paragraph_ref": ev.paragraph.ref,
                "snippet": ev.snippet, "rank": rank,
                "detail": "、".join(ev.keywords),
            })
        for rank, (signal, para) in enumerate(item.signals, start=1):
            evidence.append({
                "indicator_id": ind.id, "kind": "effect", "paragraph_ref": para.ref,
                "snippet": signal.text, "rank": rank, "detail": signal.kind,
            })
    for kind, items in (("bonus", score.bonus_items), ("deduction", score.deduction_items)):
        for rank, add in enumerate(items, start=1):
            evidence.append({
                "indicator_id": f"_{kind}", "kind": "veto" if add.veto else kind,
                "paragraph_ref": add.paragraph.ref, "snippet": add.sentence[:200],
                "rank": rank, "detail": "、".join(add.keywords),
            })
    return ScoreRecord(unit=unit, indicators=indicators, evidence=evidence)
