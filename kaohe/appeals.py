"""Appeals (复核申请): a liaison asks within the configured working days after the result is
fed back, the office answers once; both go through the notification ledger."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from kaohe.errors import Refused
from kaohe.fmt import fmt_time
from scoring.schedule import end_of_working_day
from storage.store import parse_utc, utc_iso


class Appeals:
    """The appeal use cases of ``kaohe.services.Services``."""

    # Provided by Services: config, store, scorer, results, cycle, unit_lock().

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
        return end_of_working_day(moment, working_days, self.config.reminders.calendar, self.config.tz)
