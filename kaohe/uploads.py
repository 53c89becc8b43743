"""Uploads and versions: record a file (parse → map → score → store) as a new material or a
new version of one, withdraw one before the deadline, rescore units under new rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from kaohe.errors import (
    ALREADY_GONE,
    INACTIVE_UNIT,
    LOCKED_UPLOAD,
    NOT_YOUR_FILE,
    STALE_VERSION,
    WITHDRAW_LATE,
    Refused,
)
from parsers import ParsedDocument
from scoring.engine import SourceParagraph, UnitScore
from scoring.result import CoverageChange, Result, coverage_change
from storage.files import content_hash
from storage.store import NewParagraph, NewSubmission, StaleVersion


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
    seal_page: bool = False  # a stamped page (盖章页), kept on file and not scored
    sealed_pages: tuple[int, ...] = ()  # pages with a red seal


@dataclass(frozen=True)
class IngestOutcome:
    unit: dict
    receipt: Receipt
    score: UnitScore
    files_counted: int
    evidence_in_file: int | None = None  # evidence paragraphs the new file contributed
    result: Result | None = None
    change: CoverageChange | None = None  # against the score before this upload
    replaced: dict | None = None  # the earlier version this file replaces

    @property
    def file_matched_nothing(self) -> bool:
        """The new file holds nothing the indicators recognise (perhaps the wrong file)."""
        return self.evidence_in_file == 0


@dataclass(frozen=True)
class WithdrawOutcome:
    unit: dict
    submission: dict
    result: Result
    change: CoverageChange
    files_counted: int


@dataclass(frozen=True)
class RecomputeLine:
    unit: dict
    before: dict | None
    after: dict | None
    changed_indicators: tuple[tuple[str, float, float], ...] = ()
    skipped: str | None = None  # why the unit was not recomputed (locked)


@dataclass(frozen=True)
class FilesView:
    """What /files shows: current files, all versions, which may be withdrawn now and the
    earliest time until which one may."""

    current: list[dict]
    history: list[dict]
    withdrawable: frozenset[int]
    until: datetime | None


def _open(due: datetime | None, at: datetime) -> bool:
    """A file may be withdrawn until the due time of the deadline it was submitted for."""
    return due is None or at <= due


class Uploads:
    """The upload use cases of ``kaohe.services.Services``."""

    # Provided by Services: config, store, scorer, results, cycle, parsing, unit_lock().

    def ingest(self, unit_id: str, telegram_id: int, file_name: str, data: bytes,
               received_at: datetime | None = None, replaces: int | None = None,
               progress: Callable[[int, int], None] | None = None) -> IngestOutcome:
        """Record one upload for a unit and rescore the unit over all its current materials.

        A file with the name of one of the unit's current files (or ``replaces``, a
        submission id) is a new version of it: the old version stops counting. Raises
        ``parsers.DocumentRejected`` or ``Refused`` (nothing recorded) for files that cannot
        be used. Uploading bytes the unit already has returns the earlier receipt.
        ``progress(page, pages)`` hears where text recognition of a scan is.
        """
        received_at = received_at or datetime.now(timezone.utc)
        unit = self.store.unit(unit_id)
        if unit is None:
            raise KeyError(unit_id)
        rule = self.cycle.upload_deadline(unit, received_at)
        deadline = rule.due if rule else None
        sha = content_hash(data)
        if not unit["active"]:
            raise Refused(INACTIVE_UNIT.format(unit=unit["name"], contact=self.config.contact))
        with self.unit_lock(unit_id):  # cheap answers first: no parsing for them
            early = self._without_parsing(unit, file_name, sha, received_at, rule)
        if early is not None:
            return early
        # Parsed outside the unit's lock, in a worker process (kaohe.parsing).
        parsed = self.parsing.parse(unit_id, data, file_name, self.config.limits, progress)
        with self.unit_lock(unit_id):
            early = self._without_parsing(unit, file_name, sha, received_at, rule)
            if early is not None:  # the same bytes were recorded meanwhile, or the unit locked
                return early
            old = self._version_to_replace(unit_id, file_name, replaces)
            new_paragraphs = _new_paragraphs(parsed)
            stored = self._stored_paragraphs(unit_id, without=old["id"] if old else None)
            seal = parsed.seal_page  # a stamped page: kept on file, nothing in it to score
            incoming = [] if seal else [
                SourceParagraph(("new", p.seq), p.text, file_name, p.location, p.kind)
                for p in new_paragraphs
            ]
            before = self._coverage(unit_id)
            score = self.parsing.score(stored + incoming, unit["category"], self.scorer)
            record, result = self.results.record(unit_id, score)
            submission = NewSubmission(
                unit_id=unit_id, telegram_id=telegram_id, file_name=file_name,
                file_type=parsed.file_type, data=data, pages=parsed.pages,
                received_at=received_at, deadline_at=deadline, paragraphs=new_paragraphs,
                deadline_name=rule.name if rule else None, role="seal" if seal else None,
                sealed_pages=parsed.sealed_pages,
            )
            try:
                submission_id = self.store.record_submission(submission, record, replaces=old)
            except StaleVersion:
                raise Refused(STALE_VERSION.format(name=old["file_name"])) from None
        receipt = Receipt(
            submission_id=submission_id, file_name=file_name, file_type=parsed.file_type,
            pages=parsed.pages, paragraphs=len(new_paragraphs), chars=parsed.chars,
            sha256=sha, received_at=received_at, deadline_at=deadline, late=submission.late,
            warnings=parsed.warnings, seal_page=seal, sealed_pages=parsed.sealed_pages,
        )
        contributed = None if seal else sum(
            1 for item in score.indicators for ev in item.evidence
            if isinstance(ev.paragraph.ref, tuple)
        )
        return IngestOutcome(unit, receipt, score, self.store.submission_count(unit_id),
                             contributed, result, self._change(before, score, result), old)

    def _without_parsing(self, unit: dict, file_name: str, sha: str, received_at: datetime,
                         rule) -> IngestOutcome | None:
        """Under the unit's lock: refuse while the result is locked; the earlier receipt for
        bytes the unit already has; None when the file must be read."""
        unit_id = unit["id"]
        if self.store.is_locked(unit_id):
            raise Refused(LOCKED_UPLOAD.format(contact=self.config.contact))
        earlier = self.store.submission_by_hash(unit_id, sha)
        if earlier is None:
            return None
        receipt = Receipt(
            submission_id=earlier["id"], file_name=file_name,
            file_type=earlier["file_type"], pages=earlier["pages"],
            paragraphs=earlier["paragraph_count"], chars=earlier["chars"], sha256=sha,
            received_at=received_at, deadline_at=rule.due if rule else None,
            late=bool(earlier["late"]), duplicate_of=earlier, seal_page=earlier["role"] == "seal",
            sealed_pages=tuple(int(n) for n in (earlier["sealed_pages"] or "").split(",") if n),
        )
        return IngestOutcome(unit, receipt, self.score_unit(unit), self.store.submission_count(unit_id),
                             result=self.results.current(unit_id))

    def _version_to_replace(self, unit_id: str, file_name: str,
                            replaces: int | None) -> dict | None:
        if replaces is None:
            return self.store.current_version(unit_id, file_name)
        old = self.store.submission(replaces)
        if old is None or old["unit_id"] != unit_id or old["replaced_by"] or old["withdrawn_at"]:
            raise Refused(STALE_VERSION.format(name=old["file_name"] if old else "原文件"))
        return old

    def withdraw(self, unit_id: str, submission_id: int, actor: int,
                 at: datetime | None = None) -> WithdrawOutcome:
        """Withdraw one of the unit's current files before the deadline and rescore the unit."""
        at = at or datetime.now(timezone.utc)
        unit = self.store.unit(unit_id)
        with self.unit_lock(unit_id):
            row = self.store.submission(submission_id)
            if row is None or row["unit_id"] != unit_id:
                raise Refused(NOT_YOUR_FILE)
            if row["replaced_by"] or row["withdrawn_at"]:
                raise Refused(ALREADY_GONE.format(name=row["file_name"]))
            if self.store.is_locked(unit_id):
                raise Refused(LOCKED_UPLOAD.format(contact=self.config.contact))
            if not _open(self.withdraw_until(unit, row, at), at):
                raise Refused(WITHDRAW_LATE.format(name=row["file_name"],
                                                   contact=self.config.contact))
            before = self._coverage(unit_id)
            score = self.parsing.score(self._stored_paragraphs(unit_id, without=submission_id),
                                       unit["category"], self.scorer)
            record, result = self.results.record(unit_id, score)
            if not self.store.withdraw_submission(submission_id, actor, record, at):
                raise Refused(ALREADY_GONE.format(name=row["file_name"]))
        return WithdrawOutcome(unit, row, result, self._change(before, score, result),
                               self.store.submission_count(unit_id))

    # ---- the upload journal: an upload the process dies in is answered at the next start ----

    def begin_upload(self, chat_id: int, message_id: int | None, user_id: int, unit_id: str, file_name: str,
                     at: datetime, kind: str = "upload") -> int:
        """Journal an upload (or an export) whose reply is the message ``message_id`` (⏳; None
        until that message is sent, see ``upload_message``); returns its entry."""
        return self.store.start_upload(chat_id, message_id, user_id, unit_id, file_name, at, kind)

    def upload_message(self, entry: int, message_id: int) -> None:
        """The journalled upload's ⏳ message was sent."""
        self.store.upload_message(entry, message_id)

    def end_upload(self, entry: int) -> None:
        """The upload's reply was given: drop its journal entry."""
        self.store.end_upload(entry)

    def interrupted_uploads(self, entry: int | None = None) -> list[dict]:
        """Uploads a crash left unanswered (chat, ⏳ message, file name, the submission it
        made if any); ``entry``: only that journal entry."""
        return self.store.interrupted_uploads(entry)

    def files(self, unit_id: str, at: datetime) -> FilesView:
        """The unit's current files and history, and which may be withdrawn at ``at`` (the
        same rule ``withdraw`` applies)."""
        unit = self.store.unit(unit_id)
        current = self.store.submissions(unit_id)
        locked = self.store.is_locked(unit_id)
        until = {sub["id"]: self.withdraw_until(unit, sub, at) for sub in current}
        open_ids = frozenset(i for i, due in until.items() if not locked and _open(due, at))
        return FilesView(current, self.store.submissions(unit_id, include_history=True), open_ids,
                         min((d for d in until.values() if d), default=None))

    def withdraw_until(self, unit: dict, submission: dict, at: datetime) -> datetime | None:
        """Until when a file may be withdrawn: the due time (extensions included) of the
        deadline it was submitted for; None when no deadline applies."""
        for p in self.cycle.progress(unit["id"]):
            if p.deadline.name == submission.get("deadline_name"):
                return p.deadline.due
        rule = self.cycle.upload_deadline(unit, at)
        return rule.due if rule else None

    def _coverage(self, unit_id: str) -> tuple[dict[str, str], float | None, str | None] | None:
        row = self.store.unit_score(unit_id)
        if row is None:
            return None
        return ({r["indicator_id"]: r["coverage"] for r in self.store.indicator_scores(unit_id)},
                row["total"], row["grade"])

    @staticmethod
    def _change(before: tuple[dict[str, str], float | None, str | None] | None, score: UnitScore,
                result: Result) -> CoverageChange:
        names = {s.indicator.id: s.indicator.name for s in score.indicators}
        after = {s.indicator.id: s.coverage for s in score.indicators}
        coverage, total, grade = before if before else ({}, None, None)
        return coverage_change(coverage, after, names, total, result.total, grade, result.grade)

    def score_unit(self, unit: dict) -> UnitScore:
        """The unit's automatic score over its current materials (recomputed, not cached)."""
        return self.parsing.score(self._stored_paragraphs(unit["id"]), unit["category"], self.scorer)

    def _stored_paragraphs(self, unit_id: str, without: int | None = None) -> list[SourceParagraph]:
        return [
            SourceParagraph(row["id"], row["text"], row["file_name"], row["location"], row["kind"])
            for row in self.store.unit_paragraphs(unit_id, without)
        ]

    def recompute(self, actor: object = "recompute", units: list[str] | None = None) -> list[RecomputeLine]:
        """Rescore every active unit (or ``units``) under the current rules; audit before/after.

        Locked results are left as they are (unlock first to recompute them).
        """
        lines = []
        for unit in self.store.unit_list():
            if units is not None and unit["id"] not in units:
                continue
            unit = self.store.unit(unit["id"])
            with self.unit_lock(unit["id"]):
                before = self.store.unit_score(unit["id"])
                if before is None and not self.store.submission_count(unit["id"]):
                    continue  # nothing submitted, nothing decided: no score to recompute
                if before is not None and before["locked_at"]:
                    lines.append(RecomputeLine(unit, before, before, skipped="结果已锁定"))
                    continue
                old = {r["indicator_id"]: r["final"] for r in self.store.indicator_scores(unit["id"])}
                record, result = self.results.record(unit["id"], self.score_unit(unit))
                changed = tuple(
                    (item.auto.name, old.get(item.auto.id, 0.0) or 0.0, item.final)
                    for item in result.indicators
                    if round((old.get(item.auto.id) or 0.0) - item.final, 2) != 0)
                self.store.store_score(unit["id"], record, actor, "recompute", {
                    "rules_hash": self.config.scoring.fingerprint(),
                    "indicators": [list(c) for c in changed]})
                lines.append(RecomputeLine(unit, before, self.store.unit_score(unit["id"]), changed))
        return lines

    def stale_units(self) -> list[str]:
        """Units whose stored score was computed under other rules than the current ones."""
        current = self.config.scoring.fingerprint()
        return [row["unit_id"] for row in self.store.score_hashes()
                if row["rules_hash"] != current and not row["locked_at"]]


def _new_paragraphs(parsed: ParsedDocument) -> list[NewParagraph]:
    return [
        NewParagraph(seq=i, kind=p.kind, page=p.page, idx=p.index, location=p.location(),
                     text=p.text)
        for i, p in enumerate(parsed.paragraphs, start=1)
    ]
