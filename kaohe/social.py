"""Social evaluation (社会评价): a survey file read, matched to the units, previewed and
stored all or none."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass

from kaohe.errors import LOCKED_SOCIAL, Refused
from parsers.survey import BadSurvey, parse_survey
from storage.store import ResultLocked


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


class Social:
    """The social-evaluation use cases of ``kaohe.services.Services``."""

    # Provided by Services: config, store, scorer, results, cycle, unit_lock().

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
