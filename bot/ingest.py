"""The upload pipeline: parse → map → score → store, as one call with no Telegram in it.

Used by the bot's upload handler (in a worker thread) and by the ingest benchmark.
"""

from __future__ import annotations

import threading
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

from kaohe.config import AppConfig
from kaohe.cycle import Cycle
from kaohe.qa import Regulations
from kaohe.results import Results
from kaohe.texts.base import fmt_time
from parsers import ParsedDocument, parse_document
from parsers.survey import BadSurvey, parse_survey
from scoring.engine import Scorer, SourceParagraph, UnitScore
from scoring.progress import next_deadline
from scoring.result import SET_INDICATOR, CoverageChange, Result, coverage_change
from scoring.retrieval import QueryTokenizer
from storage.files import content_hash
from storage.store import (
    NewParagraph,
    NewSubmission,
    ResultLocked,
    StaleVersion,
    Store,
    parse_utc,
    utc_iso,
)


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


class Refused(Exception):
    """An action the rules do not allow now; ``reason`` is the Chinese reply."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


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
class LockPlan:
    """What ``/review 全部 锁定`` would do: the units it locks and those it leaves."""

    to_lock: tuple[dict, ...]  # scored, not locked: id, name, liaisons, unruled (add-ons not ruled on)
    already: int  # locked before
    no_score: tuple[str, ...]  # names of units with nothing to lock (no materials, no office score)

    @property
    def liaisons(self) -> int:
        return sum(u["liaisons"] for u in self.to_lock)


@dataclass(frozen=True)
class SocialChange:
    """One unit's row in a survey file, against what is stored now."""

    unit_id: str
    name: str
    score: float
    respondents: int | None
    previous: float | None  # the social score stored now (None: first import)
    total_before: float | None  # None: no materials yet, it counts from the first upload
    total_after: float | None


@dataclass(frozen=True)
class SocialImport:
    """A survey file read and matched to the units: the preview, or the receipt once stored."""

    units: int
    score_column: str
    missing: tuple[str, ...]  # active units the file did not list
    skipped: tuple[str, ...]  # rows the parser left out, in its words
    weight: float
    changes: tuple[SocialChange, ...] = ()

    @property
    def rows(self) -> list[tuple[str, float, int | None]]:
        return [(c.unit_id, c.score, c.respondents) for c in self.changes]


def _unit_key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace(" ", "").casefold()


class Services:
    """Long-lived services shared by the handlers: config, database, scorer."""

    def __init__(self, config: AppConfig, store: Store | None = None,
                 scorer: Scorer | None = None, tokenizer: QueryTokenizer | None = None):
        self.config = config
        self.store = store or Store(config.storage_dir)
        self.scorer = scorer or Scorer(config.scoring)
        self.results = Results(self.store, config.scoring)
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

    def unit_lock(self, unit_id: str) -> threading.Lock:
        """The lock that serialises every change to one unit's materials and result."""
        with self._locks_guard:
            return self._unit_locks[unit_id]

    # ---- uploads and versions ------------------------------------------------------------

    def ingest(self, unit_id: str, telegram_id: int, file_name: str, data: bytes,
               received_at: datetime | None = None, replaces: int | None = None) -> IngestOutcome:
        """Record one upload for a unit and rescore the unit over all its current materials.

        A file with the name of one of the unit's current files (or ``replaces``, a
        submission id) is a new version of it: the old version stops counting. Raises
        ``parsers.DocumentRejected`` or ``Refused`` (nothing recorded) for files that cannot
        be used. Uploading bytes the unit already has returns the earlier receipt.
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
        with self.unit_lock(unit_id):
            if self.store.is_locked(unit_id):
                raise Refused(LOCKED_UPLOAD.format(contact=self.config.contact))
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
                return IngestOutcome(unit, receipt, score, self.store.submission_count(unit_id),
                                     result=self.results.current(unit_id))

            old = self._version_to_replace(unit_id, file_name, replaces)
            parsed = parse_document(data, file_name)
            new_paragraphs = _new_paragraphs(parsed)
            stored = self._stored_paragraphs(unit_id, without=old["id"] if old else None)
            incoming = [
                SourceParagraph(("new", p.seq), p.text, file_name, p.location, p.kind)
                for p in new_paragraphs
            ]
            before = self._coverage(unit_id)
            score = self.scorer.score(stored + incoming, unit["category"])
            record, result = self.results.record(unit_id, score)
            submission = NewSubmission(
                unit_id=unit_id, telegram_id=telegram_id, file_name=file_name,
                file_type=parsed.file_type, data=data, pages=parsed.pages,
                received_at=received_at, deadline_at=deadline, paragraphs=new_paragraphs,
                deadline_name=rule.name if rule else None,
            )
            try:
                submission_id = self.store.record_submission(submission, record, replaces=old)
            except StaleVersion:
                raise Refused(STALE_VERSION.format(name=old["file_name"])) from None
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
                             contributed, result, self._change(before, score, result), old)

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
            due = self.withdraw_until(unit, row, at)
            if due is not None and at > due:
                raise Refused(WITHDRAW_LATE.format(name=row["file_name"],
                                                   contact=self.config.contact))
            before = self._coverage(unit_id)
            score = self.scorer.score(self._stored_paragraphs(unit_id, without=submission_id),
                                      unit["category"])
            record, result = self.results.record(unit_id, score)
            if not self.store.withdraw_submission(submission_id, actor, record, at):
                raise Refused(ALREADY_GONE.format(name=row["file_name"]))
        return WithdrawOutcome(unit, row, result, self._change(before, score, result),
                               self.store.submission_count(unit_id))

    def withdraw_until(self, unit: dict, submission: dict, at: datetime) -> datetime | None:
        """Until when a file may be withdrawn: the due time (extensions included) of the
        deadline it was submitted for; None when no deadline applies."""
        for p in self.cycle.progress(unit["id"]):
            if p.deadline.name == submission.get("deadline_name"):
                return p.deadline.due
        rule = self.cycle.upload_deadline(unit, at)
        return rule.due if rule else None

    def _coverage(self, unit_id: str) -> tuple[dict[str, str], float | None] | None:
        row = self.store.unit_score(unit_id)
        if row is None:
            return None
        return ({r["indicator_id"]: r["coverage"] for r in self.store.indicator_scores(unit_id)},
                row["total"])

    @staticmethod
    def _change(before: tuple[dict[str, str], float | None] | None, score: UnitScore,
                result: Result) -> CoverageChange:
        names = {s.indicator.id: s.indicator.name for s in score.indicators}
        after = {s.indicator.id: s.coverage for s in score.indicators}
        coverage, total = before if before else ({}, None)
        return coverage_change(coverage, after, names, total, result.total)

    def score_unit(self, unit: dict) -> UnitScore:
        """The unit's automatic score over its current materials (recomputed, not cached)."""
        return self.scorer.score(self._stored_paragraphs(unit["id"]), unit["category"])

    def _stored_paragraphs(self, unit_id: str, without: int | None = None) -> list[SourceParagraph]:
        return [
            SourceParagraph(row["id"], row["text"], row["file_name"], row["location"], row["kind"])
            for row in self.store.unit_paragraphs(unit_id, without)
        ]

    # ---- the office: decisions, social evaluation, locking, recomputing ------------------

    def ensure_scored(self, unit: dict) -> None:
        """Give a unit that has no materials a stored (zero) score the office can adjust."""
        if self.store.unit_score(unit["id"]) is None:
            record, _ = self.results.record(unit["id"], self.score_unit(unit))
            self.store.store_score(unit["id"], record, "system", "score_empty", {})

    def decide(self, unit_id: str, kind: str, target: str | None, value: float, reason: str,
               actor: int) -> Result | None:
        """Record an office decision on a unit's result; return the new result.

        On a unit without materials only an indicator score makes a result (the office
        scoring it itself); an add-on or veto is recorded and counts from the first upload
        (None is returned), so a deduction alone does not rank a unit at 0 / 不合格."""
        unit = self.store.unit(unit_id)
        with self.unit_lock(unit_id):
            if kind == SET_INDICATOR:
                self.ensure_scored(unit)
            try:
                self.store.add_adjustment(unit_id, kind, target, value, reason, actor,
                                          lambda db: self.results.rewrite(db, unit_id))
            except ResultLocked:
                raise Refused(LOCKED_REVIEW.format(unit=unit["name"])) from None
        return self.results.current(unit_id)

    def revoke(self, unit_id: str, adjustment_id: int, reason: str, actor: int) -> dict | None:
        """Revoke an office decision; return it (None if there was no such decision)."""
        unit = self.store.unit(unit_id)
        with self.unit_lock(unit_id):
            try:
                return self.store.revoke_adjustment(unit_id, adjustment_id, reason, actor,
                                                    lambda db: self.results.rewrite(db, unit_id))
            except ResultLocked:
                raise Refused(LOCKED_REVIEW.format(unit=unit["name"])) from None

    def import_social(self, rows: list[tuple[str, float, int | None]], source: str,
                      actor: int) -> int:
        """Store social-evaluation scores (unit id, score, respondents) and rescore, all or none."""
        units = {row[0]: self.store.unit(row[0]) for row in rows}
        locks = [self.unit_lock(unit_id) for unit_id in sorted(units)]
        for lock in locks:
            lock.acquire()
        try:
            # A unit without materials keeps no score yet: its social score waits for its first upload.
            return self.store.import_social(rows, source, actor,
                                            lambda db, unit_id: self.results.rewrite(db, unit_id))
        except ResultLocked as exc:
            raise Refused(LOCKED_SOCIAL.format(unit=units[exc.args[0]]["name"])) from None
        finally:
            for lock in reversed(locks):
                lock.release()

    def lock(self, unit_id: str, actor: int, feedback: Callable[[], str],
             batch: str | None = None, moment: datetime | None = None) -> int | None:
        """Lock the unit's result and queue ``feedback()`` (written from the result as it is
        at that moment) to its liaisons; None if it was already locked.

        Returns how many liaisons the feedback goes to.
        """
        unit = self.store.unit(unit_id)
        with self.unit_lock(unit_id):
            self.ensure_scored(unit)
            recipients = [p["telegram_id"] for p in self.store.liaisons(unit_id)]
            if not self.store.lock_result(unit_id, actor, feedback(), unit["name"], recipients, batch, moment):
                return None
        return len(recipients)

    def unlock(self, unit_id: str, actor: int, reason: str) -> bool:
        """Unlock the unit's result (audited with the reason); False if it was not locked."""
        with self.unit_lock(unit_id):
            return self.store.unlock_result(unit_id, actor, reason)

    def plan_social_file(self, data: bytes, file_name: str) -> SocialImport:
        """Read a survey file (.xlsx/.csv) and match its units; store nothing.

        Refused (in Chinese) for anything the import would refuse: an unreadable file, a
        unit not on the list, a unit listed twice, a unit whose result is locked."""
        try:
            table = parse_survey(data, file_name)
        except BadSurvey as exc:
            raise Refused(exc.reason) from None
        units = self.store.unit_list()
        by_key: dict[str, dict] = {}
        for unit in units:
            for key in (unit["id"], unit["name"]):
                by_key[_unit_key(key)] = unit
        matched, unknown = [], []
        for row in table.rows:
            unit = by_key.get(_unit_key(row.unit))
            if unit is None:
                unknown.append(f"第{row.row}行“{row.unit}”")
            else:
                matched.append((unit, row))
        if unknown:
            shown = "、".join(unknown[:8]) + (f" 等 {len(unknown)} 处" if len(unknown) > 8 else "")
            raise Refused(f"表中有单位与考核单位名单对不上：{shown}。本次没有导入任何数据。"
                          "请把单位名称改成与名单一致（或填单位编号）后重新发送。")
        seen: dict[str, int] = defaultdict(int)
        for unit, _ in matched:
            seen[unit["id"]] += 1
        twice = [u["name"] for u in units if seen.get(u["id"], 0) > 1]
        if twice:
            raise Refused("表中同一单位出现了多次：" + "、".join(twice[:8]) + "。本次没有导入任何数据。")
        changes = []
        for unit, row in matched:
            if self.store.is_locked(unit["id"]):
                raise Refused(LOCKED_SOCIAL.format(unit=unit["name"]))
            stored = self.store.social_score(unit["id"])
            now_result = self.results.current(unit["id"])
            then_result = self.results.current(unit["id"], social=row.score)
            changes.append(SocialChange(
                unit["id"], unit["name"], row.score, row.respondents,
                stored["score"] if stored else None,
                now_result.total if now_result else None, then_result.total if then_result else None))
        missing = [u["name"] for u in units if u["id"] not in seen]
        return SocialImport(len(changes), table.score_column, tuple(missing), table.skipped,
                            self.config.scoring.social_weight, tuple(changes))

    def import_social_file(self, data: bytes, file_name: str, actor: int | str) -> SocialImport:
        """Read, match and store a survey file's scores, all or none; returns what was stored
        (read again at this moment, so a confirmed preview cannot apply stale checks)."""
        plan = self.plan_social_file(data, file_name)
        self.import_social(plan.rows, file_name, actor)
        return plan

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

    def plan_lock_all(self) -> LockPlan:
        """Every active unit with a result not yet locked, for one confirmation by the office.

        Units without a result (no materials, no indicator scored by the office) are left
        out: locking them would fix a 0 / 不合格 nobody decided."""
        to_lock, no_score, already = [], [], 0
        liaisons: dict[str, int] = defaultdict(int)
        for person in self.store.all_liaisons():
            liaisons[person["unit_id"]] += 1
        for unit in self.store.active_units():
            if unit["locked_at"]:
                already += 1
            elif unit["total"] is None:
                no_score.append(unit["name"])
            else:
                result = self.results.current(unit["id"])
                unruled = bool((result.bonus and not result.office_bonus)
                               or (result.deduction and not result.office_deduction))
                to_lock.append({"id": unit["id"], "name": unit["name"], "liaisons": liaisons[unit["id"]],
                                "unruled": unruled})
        return LockPlan(tuple(to_lock), already, tuple(no_score))

    def lock_many(self, unit_ids: list[str], actor: int, feedback: Callable[[str], str],
                  batch: str, moment: datetime | None = None) -> tuple[list[str], int]:
        """Lock each unit (its own transaction, its own audit entry and 结果反馈, all in
        ``batch`` so the office gets one delivery report); returns the units locked now (not
        those locked meanwhile) and how many liaisons are told."""
        locked, told = [], 0
        for unit_id in unit_ids:
            count = self.lock(unit_id, actor, lambda unit_id=unit_id: feedback(unit_id), batch, moment)
            if count is not None:
                locked.append(unit_id)
                told += count
        return locked, told

    def appeal_window_end(self, unit_id: str) -> datetime | None:
        """When the unit's time to ask for 复核 ends (end of the configured working day after
        the result was locked and fed back); None when its result is not locked."""
        score = self.store.unit_score(unit_id)
        if score is None or not score["locked_at"]:
            return None
        return self._end_of_working_day(parse_utc(score["locked_at"]), self.config.appeal_working_days)

    def appeal(self, unit_id: str, user_id: int, reason: str, moment: datetime,
               to_office: Callable[[dict, datetime], str]) -> dict:
        """A liaison's 复核申请 against the unit's locked result: recorded, audited and sent to
        the office (``to_office(unit, answer_due)``), all or nothing."""
        unit = self.store.unit(unit_id)
        if not self.config.appeal_working_days:
            raise Refused(f"本期不在聊天中受理复核申请，请按规定以书面形式向考核办提出（{self.config.contact}）。")
        window_end = self.appeal_window_end(unit_id)
        if window_end is None:
            raise Refused("本单位的考核结果尚未锁定反馈，暂不能申请复核。对初步得分有疑问，可发送 /score 查看"
                          "每项指标的得分依据，或在截止前补充、替换材料。")
        if moment >= window_end:
            raise Refused(f"申请复核的期限已过：应在结果反馈后 {self.config.appeal_working_days} 个工作日内"
                          f"（{fmt_time(window_end - timedelta(minutes=1), self.config.tz)} 前）提出。"
                          f"如有特殊情况请联系考核办（{self.config.contact}）。")
        locked_at = self.store.unit_score(unit_id)["locked_at"]
        answered = [a for a in self.store.unit_appeals(unit_id) if a["answered_at"] and a["created_at"] >= locked_at]
        if answered:
            raise Refused(f"本单位已就这次反馈的结果申请过复核（#{answered[-1]['id']}），考核办已于 "
                          f"{fmt_time(parse_utc(answered[-1]['answered_at']), self.config.tz)} 答复，复核结果即为最终结果。"
                          f"如有疑问请联系考核办（{self.config.contact}）。")
        answer_due = self._end_of_working_day(moment, self.config.appeal_answer_working_days)
        row = self.store.add_appeal(unit_id, user_id, reason, utc_iso(answer_due),
                                    to_office(unit, answer_due), sorted(self.config.admins), unit["name"], moment)
        if row is None:
            raise Refused("本单位已有一份复核申请正在办理，请等待考核办答复后再提出新的申请。")
        return row

    def answer_appeal(self, unit_id: str, actor: int, answer: str,
                      to_unit: Callable[[dict], str]) -> tuple[dict, int] | None:
        """The office's 答复 to the unit's open appeal, sent to its liaisons; None if none is open."""
        unit = self.store.unit(unit_id)
        appeal = self.store.open_appeal(unit_id)
        if appeal is None:
            return None
        recipients = [p["telegram_id"] for p in self.store.liaisons(unit_id)]
        done = self.store.answer_appeal(unit_id, actor, answer, to_unit({**appeal, "answer": answer}),
                                        recipients, unit["name"])
        return (done, len(recipients)) if done else None

    def _end_of_working_day(self, moment: datetime, working_days: int) -> datetime:
        tz = self.config.tz
        last = self.config.reminders.calendar.add_working_days(moment.astimezone(tz).date(), working_days)
        return datetime.combine(last + timedelta(days=1), time(0), tz).astimezone(timezone.utc)

    def stale_units(self) -> list[str]:
        """Units whose stored score was computed under other rules than the current ones."""
        current = self.config.scoring.fingerprint()
        return [row["unit_id"] for row in self.store.score_hashes()
                if row["rules_hash"] != current and not row["locked_at"]]


INACTIVE_UNIT = ("{unit}不在本期考核单位名单中，材料没有接收。如有疑问请联系考核办（{contact}）；"
                 "如已调整到其他单位，请用新单位的邀请码重新绑定。")
LOCKED_UPLOAD = ("本单位的考核结果已由考核办锁定，不能再提交、替换或撤回材料。"
                 "如确需更正，请联系考核办（{contact}）。")
LOCKED_REVIEW = "{unit}的考核结果已锁定。如需修改，请先发送 /review {unit} 解锁 理由。"
LOCKED_SOCIAL = "{unit}的考核结果已锁定，本次导入没有保存任何数据。请先解锁该单位，或从表中删去该单位后重新导入。"
STALE_VERSION = "《{name}》已被替换或撤回，请发送 /files 查看本单位当前的材料后重试。"
NOT_YOUR_FILE = "没有找到这份文件，请发送 /files 查看本单位当前的材料。"
ALREADY_GONE = "《{name}》已经被替换或撤回了，无需再撤回。发送 /files 可查看当前材料。"
WITHDRAW_LATE = ("已过提交截止时间，不能再撤回《{name}》（截止后的材料已进入审核）。"
                 "可以上传新版本（会标记为逾期），或联系考核办（{contact}）。")


def _new_paragraphs(parsed: ParsedDocument) -> list[NewParagraph]:
    return [
        NewParagraph(seq=i, kind=p.kind, page=p.page, idx=p.index, location=p.location(),
                     text=p.text)
        for i, p in enumerate(parsed.paragraphs, start=1)
    ]
