"""The office's consolidated exports and a liaison's one-unit report, as files in a folder.

One consistent copy of the database is taken first (``Store.snapshot_to``); every file is
then written from that copy, so the workbook, the report and the charts agree with each
other and with the database at that moment. Everything is labelled 初步 until every unit's
result is locked. The consolidated export writes its files in a process of its own (charts,
then the report, then the workbook), telling the caller as each is done.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import resource
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby
from pathlib import Path

from kaohe.config import AppConfig
from kaohe.cycles import previous_cycle
from kaohe.fmt import fmt_time
from kaohe.labels import FILE_TYPE_LABELS, ROLE_LABELS
from kaohe.results import SET_ASIDE
from kaohe.writers import report as rp
from kaohe.writers.workbook import INTEGER, NUMBER, PERCENT, TIME, Column, Sheet, local, write_workbook
from scoring.engine import COVERAGE_LABELS
from scoring.reminders import (
    ANNOUNCEMENT,
    APPEAL_ANSWER,
    BINDING,
    DEADLINE_CHANGE,
    KIND_LABELS,
    LATE_NOTICE,
    REMINDER,
    RESULT_FEEDBACK,
)
from scoring.result import BONUS, DEDUCTION, NO_BONUS, NO_DEDUCTION, SET_INDICATOR, VETO
from scoring.rules import ScoringRules
from scoring.summary import NOT_SCORED, Summary, progress_curve, summarise
from storage.cycles import PreviousCycle
from storage.exports import ExportSource
from storage.store import Store

log = logging.getLogger(__name__)
KIND_NAMES = {"base": "基础分依据", "effect": "成效数据", "bonus": "加分项", "deduction": "扣分项",
              "veto": "否决情形", SET_ASIDE: "未计入（看似相关）"}
STATE_NAMES = {SET_INDICATOR: "核定指标得分", BONUS: "加分", DEDUCTION: "扣分", NO_BONUS: "核定无加分",
               NO_DEDUCTION: "核定无扣分", VETO: "一票否决"}
VETO_RULINGS = {True: "一票否决：否决", False: "一票否决：不否决（不采用系统判定）"}
# Actors that are no person (the audit log's words for them).
ACTOR_WORDS = {"config": "配置文件", "system": "系统", "scheduler": "定时任务"}
# What the 提醒记录 sheet lists: every message the bot sent (or tried) to units' liaisons.
TO_LIAISONS = (REMINDER, LATE_NOTICE, ANNOUNCEMENT, DEADLINE_CHANGE, RESULT_FEEDBACK, APPEAL_ANSWER, BINDING)
STATUS_NAMES = {"pending": "待发送", "sent": "已送达", "blocked": "无法送达", "failed": "发送失败",
                "skipped": "已跳过"}


@dataclass
class ExportFiles:
    folder: Path
    workbook: Path
    report: Path
    charts: list[Path]
    preliminary: bool
    rows: dict[str, int] = field(default_factory=dict)
    units: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # per stage, "snapshot" and "total"
    # The export process's peak resident memory and its memory when it started (bytes), when
    # the export had a process of its own.
    peak_rss: int | None = None
    start_rss: int | None = None


def _label(preliminary: bool) -> str:
    return "初步" if preliminary else "最终"


def _state(unit: dict) -> str:
    if unit.get("total") is None:
        return "未评分"
    return "已锁定" if unit.get("locked_at") else "初步"


def _timeliness(unit: dict) -> str:
    if not unit.get("first_at"):
        return "未提交"
    return "逾期" if unit.get("late") else "按时"


def _g(value: float | None) -> str:
    """A number as the report prints it (``—`` when missing)."""
    return "—" if value is None else f"{value:g}"


class _Names:
    """What the exports print instead of internal ids: indicators and the add-ons by name,
    the office's decisions in words, people by name."""

    def __init__(self, config: AppConfig, people: dict[int, str]):
        rules: ScoringRules = config.scoring
        self.config, self.people = config, people
        self.bonus, self.deduction = f"{rules.bonus.name}加分", f"{rules.deduction.name}扣分"
        self.indicators = {i.id: i.name for i in rules.all_indicators()}
        # Evidence of the add-ons is filed under these pseudo-indicators (kaohe.results).
        self.addons = {f"_{BONUS}": self.bonus, f"_{DEDUCTION}": self.deduction}

    def indicator(self, indicator_id: str | None, fallback: str | None = None) -> str:
        """An indicator's (or add-on's) name; the stored name or the id only for one the
        configuration no longer has."""
        if not indicator_id:
            return ""
        return (self.indicators.get(indicator_id) or self.addons.get(indicator_id) or fallback
                or f"指标 {indicator_id}")

    @staticmethod
    def indicator_id(indicator_id: str | None) -> str | None:
        """The 指标编号 column: an indicator's id, nothing for the add-ons' pseudo-ids."""
        return None if not indicator_id or indicator_id.startswith("_") else indicator_id

    def decision_kind(self, d: dict) -> str:
        """类型 of an office decision; a veto ruling says which way it went."""
        if d["kind"] == VETO:
            return VETO_RULINGS[bool(d["value"])]
        return STATE_NAMES.get(d["kind"], d["kind"])

    def decision_subject(self, d: dict) -> str:
        """What an office decision is about: the indicator, the add-on, or the veto."""
        if d["kind"] == SET_INDICATOR:
            return self.indicator(d["target"])
        if d["kind"] in (BONUS, NO_BONUS):
            return self.bonus
        if d["kind"] in (DEDUCTION, NO_DEDUCTION):
            return self.deduction
        return STATE_NAMES.get(d["kind"], d["kind"])

    @staticmethod
    def decision_points(d: dict) -> float | None:
        """The points a decision sets (none for a veto ruling or a 核定无 ruling)."""
        return d["value"] if d["kind"] in (SET_INDICATOR, BONUS, DEDUCTION) else None

    def decision(self, d: dict) -> str:
        """One decision in a sentence: “核定指标得分：立项督查 6 分”, “争优创新加分 +1 分”,
        “一票否决：不否决（不采用系统判定）”."""
        kind, value = d["kind"], d["value"]
        if kind == SET_INDICATOR:
            return f"核定指标得分：{self.indicator(d['target'])} {_g(value)} 分"
        if kind == BONUS:
            return f"{self.bonus} +{_g(value)} 分"
        if kind == DEDUCTION:
            return f"{self.deduction} −{_g(value)} 分"
        if kind == NO_BONUS:
            return f"{self.bonus}：核定无加分"
        if kind == NO_DEDUCTION:
            return f"{self.deduction}：核定无扣分"
        if kind == VETO:
            return VETO_RULINGS[bool(value)]
        return STATE_NAMES.get(kind, kind)

    def person(self, actor: object) -> str | None:
        """Who did something, by name: “张三”; an office member without a name on file
        “考核办（10001）”; anyone else unknown “用户 60001”."""
        if actor is None or actor == "":
            return None
        text = str(actor).strip()
        if not text.lstrip("-").isdigit():
            return ACTOR_WORDS.get(text, text)
        user = int(text)
        name = self.people.get(user)
        if name:
            return name
        if user in self.config.admins:
            return f"{ROLE_LABELS['admin']}（{user}）"
        if user in self.config.officials:
            return f"{ROLE_LABELS['official']}（{user}）"
        return f"用户 {user}"


def _grouped(rows: Iterable[dict], key: str = "unit_id") -> Iterator[tuple[str, list[dict]]]:
    for unit_id, items in groupby(rows, key=lambda r: r[key]):
        yield unit_id, list(items)


class _Aligned:
    """Rows grouped by unit, read in step with the units list (both in config order)."""

    def __init__(self, rows: Iterable[dict]):
        self._groups = _grouped(rows)
        self._next = next(self._groups, None)

    def take(self, unit_id: str) -> list[dict]:
        if self._next is not None and self._next[0] == unit_id:
            items = self._next[1]
            self._next = next(self._groups, None)
            return items
        return []


# Scratch folders (the database snapshot, files on their way to chat) live here, under the
# storage folder: a process killed mid-export leaves them where the next start removes them.
SCRATCH = "tmp"
STALE_SCRATCH_SECONDS = 3600


@contextlib.contextmanager
def scratch_dir(config: AppConfig) -> Iterator[Path]:
    """A temporary folder under the storage folder, removed when done."""
    base = config.storage_dir / SCRATCH
    base.mkdir(parents=True, exist_ok=True)
    # The owner's process id in the name: a folder whose process is gone is removed at the
    # next start however young it is (remove_stale_scratch).
    with tempfile.TemporaryDirectory(dir=base, prefix=f"export-{os.getpid()}-") as folder:
        yield Path(folder)


def _owner_gone(entry: Path) -> bool:
    """The process that made a scratch folder (``export-<pid>-…``) no longer runs."""
    parts = entry.name.split("-")
    if len(parts) < 3 or not parts[1].isdigit():
        return False
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists, another user's: not ours to judge
        return False
    return False


def remove_stale_scratch(config: AppConfig, older_than: float = STALE_SCRATCH_SECONDS) -> int:
    """Remove scratch folders an interrupted export left: those of a process that is gone,
    and any older than an hour (another process's export running now is untouched);
    returns how many."""
    base = config.storage_dir / SCRATCH
    if not base.is_dir():
        return 0
    removed = 0
    for entry in base.iterdir():
        if _owner_gone(entry) or time.time() - entry.stat().st_mtime >= older_than:
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed += 1
    return removed


def _snapshot(store: Store, folder: Path) -> Path:
    path = folder / "snapshot.db"
    store.snapshot_to(path)
    return path


# The consolidated export's stages, in the order they run (the report shows the charts).
CHARTS, REPORT, WORKBOOK = "charts", "report", "workbook"
STAGES = (CHARTS, REPORT, WORKBOOK)
Progress = Callable[[str], None]  # told each stage as it finishes
NICENESS = 10  # the export process yields the CPU to the bot process (questions, replies)


@dataclass(frozen=True)
class _Job:
    """What the stages need, sent to the export process: the snapshot's path, not the store."""

    config: AppConfig
    snapshot: Path
    folder: Path
    now: datetime
    previous: PreviousCycle | None


@dataclass
class _Read:
    """What every stage reads from the snapshot first."""

    units: list[dict]
    summary: Summary
    label: str
    stamp: str
    names: dict[str, str]
    words: _Names


_read_cache: tuple[Path, _Read] | None = None  # the last snapshot's, for its next stage


def export_all(config: AppConfig, store: Store, folder: Path, now: datetime,
               progress: Progress | None = None, process: bool = True) -> ExportFiles:
    """Write the workbook, the report and the charts for every active unit into ``folder``.

    One snapshot of the database is taken first and every file is written from it. With
    ``process`` the files are written in a process of its own (at a lower CPU priority): the
    caller's interpreter stays free for others, and the memory the export took goes back to
    the system when it ends. ``progress`` is told each of ``STAGES`` as it finishes."""
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with scratch_dir(config) as scratch:
        job = _Job(config, _snapshot(store, scratch), folder, now, previous_cycle(config, store))
        seconds = {"snapshot": time.perf_counter() - started}
        done: dict[str, object] = {}
        peak = start = 0
        with _stage_runner(process) as run:
            for stage in STAGES:
                result, spent, (start, rss) = run(_run_stage, job, stage, done.get(CHARTS))
                done[stage], seconds[stage], peak = result, spent, max(peak, rss)
                if progress is not None:
                    try:
                        progress(stage)
                    except Exception:  # the chat's progress message is a courtesy: never the export's end
                        log.warning("export progress callback failed", exc_info=True)
    charts, report, (workbook, rows, units, preliminary) = done[CHARTS], done[REPORT], done[WORKBOOK]
    seconds["total"] = time.perf_counter() - started
    return ExportFiles(folder, workbook, report, [path for path, _ in charts], preliminary, rows, units,
                       seconds, peak if process else None, start if process else None)




@contextlib.contextmanager
def _stage_runner(process: bool) -> Iterator[Callable]:
    """``run(fn, *args)``: in this process, or in one export process kept for the stages."""
    if not process:
        try:
            yield lambda fn, *args: fn(*args)
        finally:
            _forget()
        return
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(1, mp_context=context, initializer=_start_export_process) as pool:
        def run(fn, *args):
            try:
                return pool.submit(fn, *args).result()
            except BrokenProcessPool:
                raise ExportProcessDied("导出进程意外退出（可能是内存不足），导出没有完成。") from None
        yield run


class ExportProcessDied(RuntimeError):
    """The export process ended without finishing (killed, out of memory)."""


_start_rss = 0  # the export process's resident memory when it started (bytes)


def _start_export_process() -> None:
    global _start_rss
    _start_rss = _resident()
    try:
        os.nice(NICENESS)
    except OSError:  # not permitted here: same priority is still correct, only less polite
        pass


def _resident() -> int:
    """This process's resident memory now (bytes; 0 where /proc cannot tell)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _forget() -> None:
    global _read_cache
    _read_cache = None


def _read(job: _Job, src: ExportSource) -> _Read:
    global _read_cache
    if _read_cache is not None and _read_cache[0] == job.snapshot:
        return _read_cache[1]
    config = job.config
    units = list(src.units())
    summary = summarise(units, src.indicator_scores(), config.scoring)
    read = _Read(units, summary, _label(summary.preliminary), job.now.astimezone(config.tz).strftime("%Y%m%d-%H%M"),
                 {u["id"]: u["name"] for u in units}, _Names(config, src.people_names()))
    _read_cache = (job.snapshot, read)
    return read


def _run_stage(job: _Job, stage: str, charts: list[tuple[Path, str]] | None
               ) -> tuple[object, float, tuple[int, int]]:
    """One stage, from the snapshot: what it made, seconds, and this process's memory (bytes)
    when it started and at its peak so far."""
    started = time.perf_counter()
    config, now = job.config, job.now
    with ExportSource(job.snapshot) as src:
        r = _read(job, src)
        if stage == CHARTS:
            made = [(path, chart.title) for path, chart in
                    _charts(config, src, r.summary, r.label, job.folder, r.stamp, now)]
        elif stage == REPORT:
            made = job.folder / f"考核报告_{r.label}_{r.stamp}.docx"
            drawn = [(path, rp.Chart(title, path.read_bytes())) for path, title in charts or ()]
            _report(config, src, r.units, r.summary, drawn, made, now, r.words)
        else:
            made = job.folder / f"考核汇总_{r.label}_{r.stamp}.xlsx"
            sheets = _sheets(config, src, r.units, r.summary, r.names, r.words, job.previous)
            rows = write_workbook(made, _title(config, r.label, now), sheets)
            made = (made, rows, len(r.units), r.summary.preliminary)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return made, time.perf_counter() - started, (_start_rss, peak)


@contextlib.contextmanager
def workbook_sheets(config: AppConfig, snapshot: Path, now: datetime) -> Iterator[tuple[str, Iterator[Sheet]]]:
    """The workbook's title and its sheets (rows read as they are written) from a database
    snapshot, as the export writes them: for measuring writers on the real rows."""
    job = _Job(config, snapshot, snapshot.parent, now, None)
    try:
        with ExportSource(snapshot) as src:
            r = _read(job, src)
            yield _title(config, r.label, now), _sheets(config, src, r.units, r.summary, r.names, r.words, None)
    finally:
        _forget()


def _title(config: AppConfig, label: str, now: datetime) -> str:
    return f"{config.cycle_name}（{label}，导出于 {now.astimezone(config.tz):%Y-%m-%d %H:%M}）"


# ---- the workbook -------------------------------------------------------------------------


def _previous_columns(reader: PreviousCycle | None, columns: list[Column], rows: Iterable[list],
                      ids: Callable[[list], tuple[str, str | None]], what: str) -> tuple[list[Column], Iterable[list]]:
    """With an archived cycle before this one, its result beside each row: the unit's total,
    grade and change (``what`` = "unit"), or an indicator's points and change ("indicator")."""
    if reader is None:
        return columns, rows
    results = reader.results()
    if what == "unit":
        extra = [Column(f"上期总分（{reader.name}）", 12, NUMBER), Column("上期等次", 8), Column("总分变化", 9, NUMBER)]
    else:
        extra = [Column("上期得分", 9, NUMBER), Column("得分变化", 9, NUMBER)]

    def more(row: list) -> list:
        unit_id, indicator_id = ids(row)
        before = results.get(unit_id)
        if what == "unit":
            total = row[UNIT_TOTAL]
            if before is None:
                return row + [None, None, None]
            return row + [before.total, before.grade,
                          round(total - before.total, 2) if total is not None else None]
        points = before.indicators.get(indicator_id) if before else None
        now = row[INDICATOR_FINAL]
        return row + [points, round(now - points, 2) if points is not None and now is not None else None]

    return columns + extra, (more(row) for row in rows)


UNIT_TOTAL, INDICATOR_FINAL = 12, 8  # the 总分 column of 汇总 and 最终得分 of 指标得分


def _sheets(config: AppConfig, src: ExportSource, units: list[dict], summary: Summary,
            names: dict[str, str], words: _Names, previous: PreviousCycle | None = None) -> Iterator[Sheet]:
    tz, rules = config.tz, config.scoring
    categories = {u["id"]: u["category"] for u in units}
    yield Sheet("汇总", *_previous_columns(previous, [
        Column("单位", 28), Column("编号", 10), Column("类别", 10), Column("联络员", 18),
        Column("首次提交", 17, TIME), Column("最近提交", 17, TIME), Column("按时/逾期", 9),
        Column("当前材料（份）", 9, INTEGER), Column("指标得分", 9, NUMBER),
        Column(rules.social_name, 9, NUMBER), Column(rules.bonus.name, 9, NUMBER),
        Column(rules.deduction.name, 9, NUMBER),
        Column("总分", 9, NUMBER), Column("满分", 7, NUMBER), Column("得分率（%）", 9, PERCENT),
        Column("等次", 8), Column("排名", 7, INTEGER), Column("结果状态", 9),
        Column("缺失指标", 40), Column("材料较少的指标", 40),
    ], ([u["name"], u["id"], u["category"], u["liaisons"], local(u["first_at"], tz),
         local(u["last_at"], tz), _timeliness(u), u["files"], u["indicator_total"], u["social"],
         u["bonus"], u["deduction"], u["total"], u["full_marks"], u["percent"],
         u["grade"] if u.get("total") is not None else NOT_SCORED, summary.ranks.get(u["id"]),
         _state(u), u["missing"], u["thin"]] for u in units), lambda row: (row[1], None), "unit"))
    unit_ids = {name: unit_id for unit_id, name in names.items()}
    yield Sheet("指标得分", *_previous_columns(previous, [
        Column("单位", 28), Column("类别", 10), Column("指标编号", 9), Column("指标", 24),
        Column("覆盖", 9), Column("基础分", 8, NUMBER), Column("效果分", 8, NUMBER),
        Column("系统得分", 9, NUMBER), Column("最终得分", 9, NUMBER), Column("考核办核定理由", 30),
        Column("证据段数", 8, INTEGER), Column("还缺什么", 50),
    ], ([names.get(r["unit_id"]), categories.get(r["unit_id"]), r["indicator_id"],
         r["indicator_name"], COVERAGE_LABELS.get(r["coverage"], r["coverage"]), r["base"],
         r["effect"], round(r["base"] + r["effect"], 2), r["final"], r["reason"],
         r["evidence_count"], r["gaps"]] for r in src.indicator_scores()),
        lambda row: (unit_ids.get(row[0]), row[2]), "indicator"))
    yield Sheet("材料清单", [
        Column("单位", 28), Column("文件名", 36), Column("版本", 6, INTEGER), Column("类型", 14),
        Column("页数", 6, INTEGER), Column("段落", 7, INTEGER), Column("字数", 8, INTEGER),
        Column("SHA-256", 30), Column("接收时间", 17, TIME), Column("截止事项", 14),
        Column("截止时间", 17, TIME), Column("逾期", 6), Column("状态", 12), Column("盖章", 16),
    ], ([s["unit_name"], s["file_name"], s["version"], FILE_TYPE_LABELS.get(s["file_type"], s["file_type"]), s["pages"],
         s["paragraph_count"], s["text_chars"], s["sha256"], local(s["received_at"], tz),
         s["deadline_name"], local(s["deadline_at"], tz), "是" if s["late"] else "否",
         "已被新版本替换" if s["replaced_by"] else "已撤回" if s["withdrawn_at"] else "当前",
         "盖章页（不计分）" if s["role"] == "seal" else
         f"第{s['sealed_pages'].replace(',', '、')}页有公章" if s["sealed_pages"] else ""]
        for s in src.submissions()))
    yield Sheet("疑似雷同", [
        Column("单位", 28), Column("文件名", 36), Column("另一单位", 28), Column("另一单位的文件", 36),
        Column("相同段落", 9, INTEGER), Column("相同比例（%）", 10, PERCENT), Column("发现时间", 17, TIME),
    ], ([c["unit_name"], c["file_name"], c["other_unit_name"], c["other_file_name"], c["shared"],
         round(c["share"] * 100, 1), local(c["found_at"], tz)] for c in src.similar_materials()))
    yield Sheet("证据", [
        Column("单位", 28), Column("指标编号", 9), Column("指标", 24), Column("类型", 10),
        Column("序号", 6, INTEGER), Column("文件", 30), Column("位置", 10), Column("摘录", 60),
        Column("关键词 / 数据类别", 24),
    ], ([e["unit_name"], words.indicator_id(e["indicator_id"]), words.indicator(e["indicator_id"]),
         KIND_NAMES.get(e["kind"], e["kind"]), e["rank"], e["file_name"], e["location"], e["snippet"],
         e["detail"]] for e in src.evidence()))
    yield Sheet("提醒记录", [
        Column("单位", 28), Column("联络员", 14), Column("类型", 12), Column("截止事项", 14),
        Column("状态", 10), Column("应发时间", 17, TIME), Column("送达时间", 17, TIME),
        Column("尝试次数", 8, INTEGER), Column("错误", 40),
    ], ([n["unit_name"], words.person(n["chat_id"]), KIND_LABELS.get(n["kind"], n["kind"]),
         n["deadline_name"], STATUS_NAMES.get(n["status"], n["status"]),
         local(n["due_at"] or n["created_at"], tz), local(n["sent_at"], tz), n["attempts"],
         n["error"]] for n in src.notifications(TO_LIAISONS)))
    yield Sheet("调整记录", [
        Column("编号", 6, INTEGER), Column("单位", 28), Column("类型", 26), Column("指标编号", 9),
        Column("指标 / 事项", 24), Column("分值", 7, NUMBER), Column("理由", 40), Column("操作人", 16),
        Column("时间", 17, TIME), Column("撤销时间", 17, TIME), Column("撤销人", 16), Column("撤销理由", 30),
    ], ([a["id"], a["unit_name"], words.decision_kind(a), words.indicator_id(a["target"]),
         words.decision_subject(a), words.decision_points(a), a["reason"], words.person(a["created_by"]),
         local(a["created_at"], tz), local(a["revoked_at"], tz), words.person(a["revoked_by"]),
         a["revoke_reason"]] for a in src.adjustments()))
    yield Sheet("复核申请", [
        Column("编号", 6, INTEGER), Column("单位", 28), Column("提出人", 16), Column("提出时间", 17, TIME),
        Column("理由", 50), Column("应答复时间", 17, TIME), Column("状态", 8), Column("答复时间", 17, TIME),
        Column("答复人", 16), Column("答复", 50),
    ], ([a["id"], a["unit_name"], words.person(a["submitted_by"]), local(a["created_at"], tz), a["reason"],
         local(a["answer_due"], tz) - timedelta(minutes=1), "已答复" if a["answered_at"] else "待答复",
         local(a["answered_at"], tz), words.person(a["answered_by"]), a["answer"]] for a in src.appeals()))


# ---- the charts ---------------------------------------------------------------------------


def _charts(config: AppConfig, src: ExportSource, summary: Summary, label: str, folder: Path,
            stamp: str, now: datetime) -> list[tuple[Path, rp.Chart]]:
    from kaohe.writers import charts as ch  # matplotlib: 0.3 s to import, only when charts are drawn

    rules, tz = config.scoring, config.tz
    made = []
    scored = [u for u in summary.units if u.get("total") is not None]
    full = max((u["full_marks"] or 0 for u in scored), default=100) or 100
    title = f"得分分布（{label}，{len(scored)} 个单位）"
    made.append(("得分分布", title, ch.score_distribution(
        [u["total"] for u in scored], full, [(n, v) for n, v in rules.grades], title)))
    indicators = rules.all_indicators()
    cats = list(summary.categories.values())
    title = f"各类别单位的指标覆盖率（{label}）"
    made.append(("指标覆盖", title, ch.coverage_by_category(
        [c.name for c in cats], [i.name for i in indicators],
        [[c.coverage(i.id) for i in indicators] for c in cats], title)))
    curve = progress_curve(local(at, tz).isoformat() for at in src.progress_times())
    deadlines = _deadline_marks(config, src)
    title = f"自查材料提交进度（共 {len(summary.units)} 个单位）"
    made.append(("提交进度", title, ch.submission_progress(
        [d for d, _ in curve], [n for _, n in curve], len(summary.units), deadlines, title,
        config.phases[0].start.isoformat() if config.phases else None,
        now.astimezone(tz).date().isoformat())))
    result = []
    for name, chart_title, png in made:
        path = folder / f"{name}_{label}_{stamp}.png"
        path.write_bytes(png)
        result.append((path, rp.Chart(chart_title, png)))
    return result


def _deadline_marks(config: AppConfig, src: ExportSource) -> list[tuple[str, str]]:
    """The deadlines the progress chart draws, as they stand now (the office's /deadline
    moves are in the database: the same rows /status reads): (label, local date), one line
    per name and day, the categories a day is for in the label."""
    tz = config.tz
    days: dict[tuple[str, str], list[str]] = {}
    rows = list(src.deadlines()) or [{"name": d.name, "category": c, "due": d.due_utc.isoformat()}
                                      for d in config.deadlines for c in d.categories or ("",)]
    for row in rows:
        day = datetime.fromisoformat(row["due"]).astimezone(tz).date().isoformat()
        days.setdefault((row["name"], day), []).append(row["category"] or "")
    marks = []
    for (name, day), categories in days.items():
        scoped = "" in categories or not any(categories)
        marks.append((name if scoped else f"{name}（{'、'.join(categories)}）", day))
    return sorted(marks, key=lambda m: (m[1], m[0]))


# ---- the report ---------------------------------------------------------------------------


def _report(config: AppConfig, src: ExportSource, units: list[dict], summary: Summary,
            charts: list[tuple[Path, rp.Chart]], path: Path, now: datetime, words: _Names) -> None:
    rules, tz = config.scoring, config.tz
    label = _label(summary.preliminary)
    # The 【初步】/【最终】 mark under the title says which it is; the lines below do not repeat it.
    document = rp.new_document(f"{config.cycle_name}\n考核报告", [
        f"考核单位 {len(units)} 个 · 生成于 {now.astimezone(tz):%Y年%m月%d日 %H:%M}",
        "说明：初步得分由系统依据各单位所交材料计算，并计入考核办已核定的调整；结果锁定前仅供参考。"
        if summary.preliminary else "各单位结果均已由考核办审核锁定。"], f"【{label}】",
        f"{_report_name(config.cycle_name)}（{label}）", now)
    rp.add_contents(document)

    document.add_heading("一、总体情况", level=1)
    average = "—" if summary.average is None else f"{summary.average:g} 分"
    document.add_paragraph(
        f"本期考核单位 {len(units)} 个，已提交自查材料 {summary.submitted} 个，未提交 "
        f"{len(summary.not_submitted)} 个；已评分 {summary.scored} 个，平均得分 {average}；"
        f"结果已锁定 {summary.locked} 个。")
    document.add_heading("二、等次分布", level=1)
    grade_table = document.add_table(rows=1, cols=3, style="Table Grid")
    for cell, text in zip(grade_table.rows[0].cells, ("等次", "单位数", "占比"), strict=True):
        cell.text = text
    for grade, count in summary.grades.items():
        cells = grade_table.add_row().cells
        cells[0].text, cells[1].text = grade, str(count)
        cells[2].text = f"{count / len(units):.1%}" if units else "—"
    for chart_path, chart in charts:
        if chart_path.name.startswith("得分分布"):
            rp.add_chart(document, chart)
    document.add_heading("三、得分排名", level=1)
    rp.add_placeholder(document, "ranking")
    document.add_heading("四、分类别分析", level=1)
    indicators = rules.all_indicators()
    for stats in summary.categories.values():
        document.add_heading(stats.name, level=2)
        avg = "—" if stats.average is None else f"{stats.average:g} 分"
        grades = "、".join(f"{g} {n} 个" for g, n in stats.grades.most_common()) or "暂无"
        document.add_paragraph(f"单位 {stats.units} 个，已提交 {stats.submitted} 个，已评分 {stats.scored} 个，"
                               f"平均得分 {avg}；等次：{grades}。")
        weak = sorted((stats.coverage(i.id), i.name) for i in indicators if stats.coverage(i.id) is not None)
        if weak:
            low = "、".join(f"{name}（{share:.0%}）" for share, name in weak[:3])
            document.add_paragraph(f"覆盖率最低的指标：{low}。")
    for chart_path, chart in charts:
        if not chart_path.name.startswith("得分分布"):
            rp.add_chart(document, chart)
    document.add_heading("五、材料或指标缺失的单位", level=1)
    if summary.not_submitted:
        document.add_paragraph("未提交自查材料：" + "、".join(u["name"] for u in summary.not_submitted[:500])
                               + (f" 等 {len(summary.not_submitted)} 个" if len(summary.not_submitted) > 500 else ""))
    else:
        document.add_paragraph("所有单位均已提交自查材料。")
    rp.add_placeholder(document, "missing")
    document.add_heading("六、各单位情况", level=1)
    rp.add_placeholder(document, "units")

    widths = (1.4, 6.2, 2.4, 2.0, 2.0, 2.0)  # rp.TEXT_WIDTH_CM across
    ranked = sorted((u for u in units if u.get("total") is not None),
                    key=lambda u: (summary.ranks[u["id"]], u["name"]))
    ranking = rp.table(("排名", "单位", "类别", "总分", "等次", "状态"),
                       ((summary.ranks[u["id"]], u["name"], u["category"], _g(u["total"]),
                         u["grade"], _state(u)) for u in ranked), widths)
    missing = rp.table(("单位", "类别", "缺失指标"),
                       ((u["name"], u["category"], u["missing"]) for u in summary.with_missing),
                       (5.0, 2.5, 8.5)) if summary.with_missing else iter([rp.para("提交材料的单位均无缺失指标。")])
    pages = _unit_pages(config, src, units, summary.ranks, words=words)
    rp.save_with_streams(document, path, {"ranking": ranking, "missing": missing, "units": pages},
                         contents={"units": _unit_entries(units)})


def _report_name(cycle_name: str) -> str:
    """“2026年度目标责任制考核” → “2026年度目标责任制考核情况报告”."""
    return f"{cycle_name}{'' if cycle_name.endswith('考核') else '考核'}情况报告"


def _unit_heading(unit: dict) -> str:
    return f"{unit['name']}（{unit['category']}）"


def _unit_entries(units: list[dict]) -> list[rp.Entry]:
    """The contents lines of the unit pages, bookmarked as ``_unit_pages`` writes them."""
    return [rp.Entry(2, _unit_heading(u), rp.stream_bookmark(n)[1]) for n, u in enumerate(units)]


def _unit_pages(config: AppConfig, src: ExportSource, units: list[dict],
                ranks: dict[str, int] | None, unit_id: str | None = None,
                words: _Names | None = None) -> Iterator[str]:
    """One page per unit: result, indicator table, strongest evidence, gaps, office decisions."""
    words = words or _Names(config, {})
    rules = config.scoring
    indicators = _Aligned(src.indicator_scores(unit_id))
    evidence = _Aligned(e for e in src.evidence(unit_id) if e["kind"] in ("base", "effect") and e["rank"] <= 2)
    decisions = _Aligned(src.adjustments(unit_id, by_unit=True))
    points = {i.id: i.points for i in config.scoring.all_indicators()}
    for n, unit in enumerate(units):
        rows = indicators.take(unit["id"])
        cited = evidence.take(unit["id"])
        made = decisions.take(unit["id"])
        if n:
            yield rp.page_break()
        yield rp.para(_unit_heading(unit), "Heading2", bookmark=rp.stream_bookmark(n))
        if unit.get("total") is None:
            yield rp.para("尚未提交自查材料，暂无得分。")
            waiting = [d for d in made if not d["revoked_at"]]
            if waiting:
                yield rp.para("考核办已记录、待提交材料后计入的调整", bold=True)
                yield from (_decision_line(d, words) for d in waiting)
            continue
        rank = f"，排名第 {ranks[unit['id']]} 位" if ranks else ""
        yield rp.para(f"总分 {_g(unit['total'])} / {_g(unit['full_marks'])}（{_g(unit['percent'])}%），"
                      f"等次：{unit['grade']}{rank}；结果状态：{_state(unit)}。", bold=True)
        social = f"，社会评价 {unit['social']:g} 分（占 {unit['social_weight']:.0%}）" if unit.get("social") is not None \
            else ""
        yield rp.para(f"指标得分 {_g(unit['indicator_total'])}{social}，{rules.bonus.name} +{_g(unit['bonus'])}，"
                      f"{rules.deduction.name} −{_g(unit['deduction'])}；首次提交："
                      f"{_when(unit['first_at'], config.tz)}；当前材料 {unit['files']} 份。")
        yield from rp.table(("指标", "满分", "基础分", "效果分", "最终得分", "覆盖"),
                            ((r["indicator_name"], _g(points.get(r["indicator_id"])), _g(r["base"]),
                              _g(r["effect"]), _g(r["final"]) + ("（核定）" if r["reason"] else ""),
                              COVERAGE_LABELS.get(r["coverage"], "")) for r in rows),
                            (5.2, 1.4, 1.6, 1.6, 2.4, 2.0))
        best = {}
        for e in cited:
            if e["kind"] == "base" and e["indicator_id"] not in best:
                best[e["indicator_id"]] = e
        if best:
            yield rp.para("主要得分依据", bold=True)
            by_name = {r["indicator_id"]: r["indicator_name"] for r in rows}
            for ind_id, e in best.items():
                yield rp.para(f"· {words.indicator(ind_id, by_name.get(ind_id))}：《{e['file_name']}》{e['location']}——“{e['snippet']}”")
        gaps = [(r["indicator_name"], g) for r in rows for g in (r["gaps"] or "").split("；") if g]
        if gaps:
            yield rp.para("存在的不足", bold=True)
            for name, gap in gaps:
                yield rp.para(f"· {name}：{gap}")
        current = [d for d in made if not d["revoked_at"]]
        if current:
            yield rp.para("考核办核定", bold=True)
            yield from (_decision_line(d, words) for d in current)


def _when(text: str | None, tz) -> str:
    """A stored UTC time as the chat shows times (2026年12月15日 18:00), or —."""
    return fmt_time(datetime.fromisoformat(text), tz) if text else "—"


def _decision_line(d: dict, words: _Names) -> str:
    return rp.para(f"· #{d['id']} {words.decision(d)}；理由：{d['reason']}")


def export_unit(config: AppConfig, store: Store, unit_id: str, folder: Path, now: datetime) -> Path:
    """A liaison's report: their own unit's page and nothing about any other unit."""
    folder.mkdir(parents=True, exist_ok=True)
    tz = config.tz
    with scratch_dir(config) as scratch, ExportSource(_snapshot(store, scratch)) as src:
        units = list(src.units(unit_id))
        unit = units[0]
        label = "已锁定" if unit.get("locked_at") else "初步"
        document = rp.new_document(f"{unit['name']}\n{config.cycle_name}", [
            "本单位考核情况", f"生成于 {now.astimezone(tz):%Y年%m月%d日 %H:%M}",
            "初步得分仅供参考，以考核办审核锁定的结果为准。" if label == "初步" else "结果已由考核办审核锁定。"],
            f"【{label}】", f"{unit['name']}{_report_name(config.cycle_name)}（{label}）", now)
        document.add_heading("本单位情况", level=1)
        rp.add_placeholder(document, "units")
        path = folder / f"{unit['name']}_考核情况_{label}_{now.astimezone(tz):%Y%m%d-%H%M}.docx"
        words = _Names(config, src.people_names())
        rp.save_with_streams(document, path, {"units": _unit_pages(config, src, units, None, unit_id, words)})
    return path
