"""Reads config.toml once into frozen dataclasses; every wrong or missing key is named."""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from parsers.model import ParseLimits
from parsers.ocr import OcrRules
from scoring.reminders import Phase, ReminderRules
from scoring.retrieval import RetrievalRules
from scoring.rules import AddOn, Indicator, IndicatorGroup, ScoringRules
from scoring.schedule import WorkCalendar

CLOUD_API_URL = "https://api.telegram.org"
CATEGORIES_HINT = "如 县区、开发区、市直部门"


class ConfigError(Exception):
    """The configuration is wrong; the message names the key and what is expected."""


@dataclass(frozen=True)
class UnitConfig:
    id: str
    name: str
    category: str
    invite_code: str
    aliases: tuple[str, ...] = ()  # short names people use (发改委)


@dataclass(frozen=True)
class Deadline:
    phase: str
    name: str
    due_utc: datetime
    categories: tuple[str, ...] = ()  # empty: every category (the database holds the live value)


@dataclass(frozen=True)
class InviteRules:
    """Invite codes the office issues with ``/invite`` (and whether the codes in config bind)."""

    max_uses: int = 5  # people one issued code may bind (0 = no limit)
    valid_days: int = 30  # an issued code expires this many days after it is made (0 = never)
    config_codes: bool = True  # the [[units]] invite_code values bind (until revoked)


@dataclass(frozen=True)
class AppConfig:
    path: Path
    cycle_name: str
    year: int
    tz: ZoneInfo
    api_url: str
    max_file_bytes: int
    storage_dir: Path
    admins: frozenset[int]
    officials: frozenset[int]
    contact: str
    units: tuple[UnitConfig, ...]
    deadlines: tuple[Deadline, ...]
    scoring: ScoringRules
    phases: tuple[Phase, ...] = ()
    reminders: ReminderRules = ReminderRules()
    max_messages_per_second: float = 25.0
    qa: RetrievalRules = RetrievalRules()
    appeal_working_days: int = 5  # a unit may ask for 复核 this many working days after 结果反馈
    appeal_answer_working_days: int = 10  # the office answers within this many working days
    regulations_dir: Path | None = None
    limits: ParseLimits = ParseLimits()  # how much of an upload is read before it is refused
    invites: InviteRules = InviteRules()
    parse_workers: int = 3  # processes that read uploads (0 = in the bot's own threads)
    ocr: OcrRules = OcrRules()  # reading scans and photos
    seal_page_required: bool = True  # /status reminds a unit until a stamped page is seen
    categories: tuple[str, ...] = ()  # unit categories an imported list may use
    bot_username: str = ""  # for invite links made without the bot (bot.manage units invites)

    @property
    def bot_base_url(self) -> str:
        """Base URL PTB appends the token to (``…/bot``)."""
        return self.api_url.rstrip("/") + "/bot"

    @property
    def file_base_url(self) -> str:
        """Base URL for file downloads (``…/file/bot``)."""
        return self.api_url.rstrip("/") + "/file/bot"


class _Section:
    """A TOML table with its dotted path, so errors can name the exact key."""

    def __init__(self, data: Any, where: str, file: str):
        if not isinstance(data, dict):
            raise ConfigError(f"{file}: {where} 应为一个表（table），实际是 {type(data).__name__}")
        self.data = data
        self.where = where
        self.file = file
        self.used: set[str] = set()

    def _name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def error(self, key: str, expected: str, got: Any = None) -> ConfigError:
        shown = "" if got is None else f"，实际是 {got!r}"
        return ConfigError(f"{self.file}: 配置项 {self._name(key)} 有误：应为{expected}{shown}")

    def get(self, key: str, kind: type | tuple, expected: str, default: Any = ...) -> Any:
        self.used.add(key)
        if key not in self.data:
            if default is ...:
                raise ConfigError(f"{self.file}: 缺少配置项 {self._name(key)}（应为{expected}）")
            return default
        value = self.data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds:
            raise self.error(key, expected, value)
        if not isinstance(value, kinds):
            raise self.error(key, expected, value)
        if isinstance(value, str) and not value.strip() and default is ...:
            raise self.error(key, expected + "（不能为空）", value)
        return value

    def section(self, key: str, required: bool = True) -> _Section:
        self.used.add(key)
        if key not in self.data:
            if required:
                raise ConfigError(f"{self.file}: 缺少配置表 [{self._name(key)}]")
            return _Section({}, self._name(key), self.file)
        return _Section(self.data[key], self._name(key), self.file)

    def array(self, key: str, required: bool = True) -> list[_Section]:
        self.used.add(key)
        items = self.data.get(key)
        if items is None:
            if required:
                raise ConfigError(f"{self.file}: 缺少配置 [[{self._name(key)}]]（至少一项）")
            return []
        if not isinstance(items, list) or not items:
            raise self.error(key, "一个或多个 [[表]]", items)
        return [_Section(item, f"{self._name(key)}[{i + 1}]", self.file) for i, item in enumerate(items)]

    def strings(self, key: str, expected: str, default: Any = ...) -> tuple[str, ...]:
        value = self.get(key, list, expected, default)
        if any(not isinstance(v, str) or not v.strip() for v in value):
            raise self.error(key, expected, value)
        return tuple(v.strip() for v in value)

    def share(self, key: str, default: Any = ...) -> float:
        value = float(self.get(key, (int, float), "0 到 1 之间的小数", default))
        if not 0 <= value <= 1:
            raise self.error(key, "0 到 1 之间的小数", value)
        return value

    def positive(self, key: str, kind: type = float, default: Any = ...) -> Any:
        value = self.get(key, (int, float) if kind is float else int, "正数", default)
        if value <= 0:
            raise self.error(key, "正数", value)
        return kind(value)

    def finish(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            names = "、".join(self._name(k) for k in unknown)
            raise ConfigError(f"{self.file}: 不认识的配置项 {names}（拼写错误？请对照 README 的配置说明）")


PROJECT_ROOT = Path(__file__).resolve().parent.parent


def load_config(path: str | Path, environ: dict[str, str] | None = None, *,
                with_model: bool = True) -> AppConfig:
    """Read and check ``path``; ``TELEGRAM_API_URL`` in ``environ`` overrides the API URL."""
    env = os.environ if environ is None else environ
    path = Path(path).resolve()
    file = path.name
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"找不到配置文件 {path}（可用 --config 指定）") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: TOML 格式错误：{exc}") from None
    root = _Section(raw, "", file)

    cycle = root.section("cycle")
    cycle_name = cycle.get("name", str, "考核周期名称（字符串）")
    year = cycle.get("year", int, "年份（整数，如 2026）")
    tz_name = cycle.get("timezone", str, "IANA 时区名（如 \"Asia/Shanghai\"）", "Asia/Shanghai")
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise cycle.error("timezone", "IANA 时区名（如 \"Asia/Shanghai\"）", tz_name) from None
    listed_categories = cycle.strings("categories", f"单位类别列表（{CATEGORIES_HINT}）", ())
    cycle.finish()

    telegram = root.section("telegram", required=False)
    configured_url = telegram.get("api_url", str, "Bot API 地址（字符串）", "")
    api_url = env.get("TELEGRAM_API_URL") or configured_url
    api_url = (api_url or CLOUD_API_URL).rstrip("/")
    if not api_url.startswith(("http://", "https://")):
        raise ConfigError(f"{file}: Bot API 地址 {api_url!r} 应以 http:// 或 https:// 开头（[telegram].api_url 或 TELEGRAM_API_URL）")
    max_mb = telegram.positive("max_file_mb", float, 20)
    rate = telegram.positive("max_messages_per_second", float, 25)
    bot_username = telegram.get("bot_username", str, "机器人的用户名（不带 @，如 \"kaohe_bot\"）", "").strip().lstrip("@")
    if bot_username and not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{3,31}", bot_username):
        raise telegram.error("bot_username", "Telegram 用户名（字母开头，字母、数字或 _，5–32 位）", bot_username)
    telegram.finish()

    storage = root.section("storage")
    storage_dir = Path(storage.get("dir", str, "数据目录路径（字符串）"))
    if not storage_dir.is_absolute():
        storage_dir = path.parent / storage_dir
    storage.finish()

    office = root.section("office")
    admins = _user_ids(office, "admins")
    officials = _user_ids(office, "officials", required=False)
    contact = office.get("contact", str, "考核办联系方式（字符串）", "考核办")
    appeal_days = office.get("appeal_working_days", int, "结果反馈后可申请复核的工作日数（整数，0 = 不受理）", 5)
    answer_days = office.positive("appeal_answer_working_days", int, 10)
    if isinstance(appeal_days, bool) or not 0 <= appeal_days <= 60:
        raise office.error("appeal_working_days", "0 到 60 之间的整数（0 = 不在聊天中受理复核申请）", appeal_days)
    seal_required = office.get("seal_page_required", bool, "true 或 false", True)
    office.finish()

    units = []
    for unit in root.array("units"):
        units.append(UnitConfig(
            id=unit.get("id", str, "单位编号（字符串，如 \"sfj\"）"),
            name=unit.get("name", str, "单位名称"),
            category=unit.get("category", str, f"单位类别（{CATEGORIES_HINT}）"),
            invite_code=unit.get("invite_code", str, "邀请码（字母数字）"),
            aliases=unit.strings("aliases", "简称/别名列表，如 [\"发改委\"]", ()),
        ))
        if not units[-1].invite_code.replace("-", "").replace("_", "").isalnum():
            raise unit.error("invite_code", "只含字母、数字、- 或 _ 的邀请码", units[-1].invite_code)
        unit.finish()
    _unique(file, "units", [u.id for u in units], "id")
    _unique(file, "units", [u.name for u in units], "name")
    _unique(file, "units", [u.invite_code.upper() for u in units], "invite_code")

    phases = _load_phases(root)
    phase_names = [p.name for p in phases]
    deadlines = []
    for item in root.array("deadlines"):
        due_text = item.get("due", str, "截止时间，如 \"2026-12-15 18:00\"（按 [cycle].timezone）")
        try:
            due_local = datetime.fromisoformat(due_text)
        except ValueError:
            raise item.error("due", "截止时间，如 \"2026-12-15 18:00\"", due_text) from None
        if due_local.tzinfo is None:
            due_local = due_local.replace(tzinfo=tz)
        deadlines.append(Deadline(
            phase=item.get("phase", str, "阶段名称，如 \"准备阶段\""),
            name=item.get("name", str, "截止事项名称，如 \"自查材料提交\""),
            due_utc=due_local.astimezone(timezone.utc),
            categories=item.strings("categories", "单位类别列表", ()),
        ))
        if phases and deadlines[-1].phase not in phase_names:
            raise item.error("phase", "[[phases]] 中的某个阶段名（" + "、".join(phase_names) + "）",
                             deadlines[-1].phase)
        item.finish()
    if not any(d.name == "自查材料提交" for d in deadlines):
        raise ConfigError(f"{file}: [[deadlines]] 中至少要有一项 name = \"自查材料提交\"（自查材料截止时间）")

    reminders = _load_reminders(root)
    limits, parse_workers = _load_limits(root)
    invites = _load_invites(root)
    ocr = _load_ocr(root)
    qa, regulations_dir = _load_qa(root, path.parent)
    scoring = _load_scoring(root, path.parent, with_model)
    root.finish()
    # The categories an imported list of units may use: as listed, else every category config
    # names (units, deadlines, indicators).
    categories = listed_categories or tuple(dict.fromkeys(
        [u.category for u in units] + [c for d in deadlines for c in d.categories]
        + [c for ind in scoring.all_indicators() for c in ind.categories]))
    return AppConfig(
        path=path, cycle_name=cycle_name, year=year, tz=tz, api_url=api_url,
        max_file_bytes=int(max_mb * 1024 * 1024), storage_dir=storage_dir,
        admins=admins, officials=officials, contact=contact, units=tuple(units),
        appeal_working_days=appeal_days, appeal_answer_working_days=answer_days,
        deadlines=tuple(deadlines), scoring=scoring, phases=phases, reminders=reminders,
        max_messages_per_second=rate, qa=qa, regulations_dir=regulations_dir, limits=limits,
        invites=invites, parse_workers=parse_workers, ocr=ocr, seal_page_required=seal_required,
        categories=categories, bot_username=bot_username,
    )


def _load_limits(root: _Section) -> tuple[ParseLimits, int]:
    sec = root.section("limits", required=False)
    defaults = ParseLimits()
    limits = ParseLimits(
        max_pages=sec.positive("max_pages", int, defaults.max_pages),
        max_paragraphs=sec.positive("max_paragraphs", int, defaults.max_paragraphs),
        max_chars=sec.positive("max_chars", int, defaults.max_chars),
        max_part_mb=sec.positive("max_part_mb", int, defaults.max_part_mb),
        max_seconds=sec.positive("max_seconds", float, defaults.max_seconds),
    )
    workers = _whole(sec, "parse_workers", AppConfig.parse_workers, 16, "读取上传文件的进程数（0 = 在机器人进程内读取）")
    sec.finish()
    return limits, workers


def _load_invites(root: _Section) -> InviteRules:
    sec = root.section("invites", required=False)
    defaults = InviteRules()
    rules = InviteRules(
        max_uses=_whole(sec, "max_uses", defaults.max_uses, 1000, "每个邀请码可绑定的人数（0 = 不限）"),
        valid_days=_whole(sec, "valid_days", defaults.valid_days, 3660, "邀请码有效天数（0 = 长期有效）"),
        config_codes=sec.get("config_codes", bool, "true 或 false", defaults.config_codes),
    )
    sec.finish()
    return rules


def _load_ocr(root: _Section) -> OcrRules:
    sec = root.section("ocr", required=False)
    defaults = OcrRules()
    rules = OcrRules(
        enabled=sec.get("enabled", bool, "true 或 false", defaults.enabled),
        max_pages=sec.positive("max_pages", int, defaults.max_pages),
        max_seconds=sec.positive("max_seconds", float, defaults.max_seconds),
    )
    sec.finish()
    return rules


def _whole(sec: _Section, key: str, default: int, top: int, meaning: str) -> int:
    value = sec.get(key, int, f"0 到 {top} 的整数：{meaning}", default)
    if not 0 <= value <= top:
        raise sec.error(key, f"0 到 {top} 的整数：{meaning}", value)
    return value


def _clock(section: _Section, key: str, default: time) -> time:
    text = section.get(key, str, "本地时刻，如 \"09:00\"", default.strftime("%H:%M"))
    try:
        return time.fromisoformat(text.strip())
    except ValueError:
        raise section.error(key, "本地时刻，如 \"09:00\"", text) from None


def _day(section: _Section, key: str) -> date:
    text = section.get(key, str, "日期，如 \"2026-12-01\"")
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise section.error(key, "日期，如 \"2026-12-01\"", text) from None


def _load_phases(root: _Section) -> tuple[Phase, ...]:
    phases = []
    for item in root.array("phases", required=False):
        phase = Phase(name=item.get("name", str, "阶段名称，如 \"准备阶段\""),
                      start=_day(item, "start"), end=_day(item, "end"))
        if phase.end < phase.start:
            raise item.error("end", f"不早于 start（{phase.start}）的日期", str(phase.end))
        if phases and phase.start < phases[-1].start:
            raise item.error("start", f"不早于上一阶段开始日（{phases[-1].start}）的日期", str(phase.start))
        item.finish()
        phases.append(phase)
    _unique(root.file, "phases", [p.name for p in phases], "name")
    return tuple(phases)


def _load_qa(root: _Section, base: Path) -> tuple[RetrievalRules, Path | None]:
    sec = root.section("qa", required=False)
    folder = sec.get("folder", str, "规定文件所在文件夹（字符串，可为空）", "")
    directory = None
    if folder.strip():
        directory = Path(folder)
        if not directory.is_absolute():
            directory = base / directory
    groups = sec.get("synonyms", list, "同义词组的列表，如 [[\"截止\", \"期限\"]]", [])
    for group in groups:
        if (not isinstance(group, list) or len(group) < 2
                or any(not isinstance(w, str) or not w.strip() for w in group)):
            raise sec.error("synonyms", "同义词组的列表，每组至少两个词，如 [[\"截止\", \"期限\"]]", group)
    defaults = RetrievalRules()
    rules = RetrievalRules(
        synonyms=tuple(tuple(w.strip() for w in g) for g in groups),
        min_coverage=sec.share("min_coverage", defaults.min_coverage),
        faq_min_coverage=sec.share("faq_min_coverage", defaults.faq_min_coverage),
        vectors=sec.get("vectors", bool, "true 或 false", defaults.vectors),
        out_of_scope_margin=_margin(sec, defaults.out_of_scope_margin),
        min_similarity=_similarity(sec, defaults.min_similarity),
        other_document_share=sec.share("other_document_share", defaults.other_document_share),
    )
    sec.finish()
    return rules, directory


def _similarity(sec: _Section, default: float) -> float:
    value = float(sec.get("min_similarity", (int, float), "0 到 1 之间的小数（余弦相似度）", default))
    if not 0.0 <= value <= 1.0:
        raise sec.error("min_similarity", "0 到 1 之间的小数（余弦相似度）", value)
    return value


def _margin(sec: _Section, default: float) -> float:
    value = float(sec.get("out_of_scope_margin", (int, float), "-0.1 到 0.1 之间的小数", default))
    if not -0.1 <= value <= 0.1:
        raise sec.error("out_of_scope_margin", "-0.1 到 0.1 之间的小数", value)
    return value


def _load_reminders(root: _Section) -> ReminderRules:
    sec = root.section("reminders", required=False)
    defaults = ReminderRules()
    offsets = sec.get("offsets_days", list, "提前天数列表，如 [7, 3, 1, 0]（0 = 截止当天上午）",
                      list(defaults.offsets_days))
    if any(isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 60 for v in offsets):
        raise sec.error("offsets_days", "0 到 60 之间的整数列表，如 [7, 3, 1, 0]", offsets)
    window = sec.get("send_window", list, "两个本地时刻，如 [\"08:00\", \"21:00\"]",
                     [t.strftime("%H:%M") for t in defaults.send_window])
    try:
        start, end = (time.fromisoformat(str(v)) for v in window)
    except ValueError:
        raise sec.error("send_window", "两个本地时刻，如 [\"08:00\", \"21:00\"]", window) from None
    if not start < end:
        raise sec.error("send_window", "开始早于结束的两个时刻", window)
    rules = ReminderRules(
        offsets_days=tuple(sorted(set(offsets), reverse=True)),
        at=_clock(sec, "at", defaults.at),
        working_days_only=sec.get("working_days_only", bool, "true 或 false", True),
        send_window=(start, end),
        digest_at=_clock(sec, "digest_at", defaults.digest_at),
        check_minutes=sec.positive("check_minutes", int, defaults.check_minutes),
        concurrency=sec.positive("concurrency", int, defaults.concurrency),
        max_attempts=sec.positive("max_attempts", int, defaults.max_attempts),
        calendar=_work_calendar(sec),
    )
    for key, value in (("at", rules.at), ("digest_at", rules.digest_at)):
        if not start <= value < end:
            raise sec.error(key, f"发送时段 {window[0]}–{window[1]} 之内的时刻", value.strftime("%H:%M"))
    sec.finish()
    return rules


def _days(sec: _Section, key: str) -> frozenset[date]:
    expected = "日期列表，如 [\"2027-02-06\", \"2027-02-07\"]"
    values = sec.get(key, list, expected, [])
    days = set()
    for value in values:
        if isinstance(value, date) and not isinstance(value, datetime):  # a TOML date literal
            days.add(value)
            continue
        try:
            days.add(date.fromisoformat(str(value)))
        except ValueError:
            raise sec.error(key, expected, value) from None
    return frozenset(days)


def _work_calendar(sec: _Section) -> WorkCalendar:
    holidays, workdays = _days(sec, "holidays"), _days(sec, "workdays")
    try:
        return WorkCalendar(holidays, workdays)
    except ValueError as exc:
        raise ConfigError(f"{sec.file}: [reminders] {exc}") from None


def _user_ids(section: _Section, key: str, required: bool = True) -> frozenset[int]:
    value = section.get(key, list, "Telegram 用户 id 的列表（整数）", ... if required else [])
    if any(isinstance(v, bool) or not isinstance(v, int) for v in value):
        raise section.error(key, "Telegram 用户 id 的列表（整数）", value)
    return frozenset(value)


def _unique(file: str, where: str, values: list[str], key: str) -> None:
    seen = set()
    for value in values:
        if value in seen:
            raise ConfigError(f"{file}: [[{where}]] 的 {key} 重复：{value!r}（每个单位必须不同）")
        seen.add(value)


def _load_scoring(root: _Section, base: Path, with_model: bool = True) -> ScoringRules:
    scoring = root.section("scoring")
    base_share = scoring.share("base_share")
    evidence_needed = scoring.positive("evidence_needed", int, 2)
    evidence_chars = scoring.positive("evidence_chars", int, 40)
    vague_weight = scoring.share("vague_weight", 0.5)
    signals_needed = scoring.positive("signals_needed", int, 3)
    match_threshold = scoring.positive("match_threshold", int, 2)
    signals_per_kind = scoring.positive("signals_per_kind", int, 2)
    share_of_best = scoring.share("share_of_best", 0.5)
    max_indicators = scoring.positive("max_indicators_per_paragraph", int, 3)
    not_evidence_cues = scoring.strings("not_evidence_cues", "不作为证据的句子提示词列表（字符串）", ())
    outcome_words = scoring.strings("outcome_words", "表示成效的词语列表（字符串）", ())
    not_evidence_headings = scoring.strings("not_evidence_headings",
                                            "其下段落不作为证据的标题提示词列表（字符串）", ())
    opening_cues = scoring.strings("opening_cues", "开场白结束提示词列表（字符串，如 \"报告如下\"）", ())
    problem_cues = scoring.strings("problem_cues", "表示问题的词语列表（字符串，如 \"不足\"）", ())
    model_path, model_digest = "", ""
    model = scoring.get("model", str, "映射模型文件路径（字符串，相对于配置文件；留空则只用关键词）", "")
    if model and with_model:
        path = (base / model).resolve()
        if not path.is_file() and not Path(model).is_absolute():
            path = (PROJECT_ROOT / model).resolve()  # the shipped model, for a config kept elsewhere
        if not path.is_file():
            raise scoring.error("model", "存在的映射模型文件（.npz）", model)
        model_path = str(path)
        model_digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]

    grades_section = scoring.section("grades")
    grades = []
    for name, lower in grades_section.data.items():
        grades_section.get(name, (int, float), "0 到 100 之间的分数线（百分比）")
        if not 0 <= lower <= 100:
            raise grades_section.error(name, "0 到 100 之间的分数线（百分比）", lower)
        grades.append((name, float(lower)))
    if not grades:
        raise ConfigError(f"{root.file}: [scoring.grades] 至少要有一个等次，如 优秀 = 90")
    grades.sort(key=lambda g: -g[1])

    addons = {}
    for key in ("bonus", "deduction"):
        sec = scoring.section(key)
        addons[key] = AddOn(
            name=sec.get("name", str, "附加指标名称"),
            cap=float(sec.get("cap", (int, float), "分数上限（数字）")),
            points_per_item=sec.positive("points_per_item", float),
            keywords=sec.strings("keywords", "关键词列表（字符串）"),
            veto_keywords=sec.strings("veto_keywords", "一票否决关键词列表（字符串）", ()),
        )
        sec.finish()
    social = scoring.section("social", required=False)
    social_weight = social.share("weight", 0.0)
    social_name = social.get("name", str, "社会评价部分的名称，如 \"社会评价\"", "社会评价")
    social.finish()
    scoring.finish()

    groups = []
    ids: list[str] = []
    for group in root.array("indicators"):
        gid = group.get("id", str, "一级指标编号")
        gname = group.get("name", str, "一级指标名称，如 \"职能履行\"")
        children = []
        for child in group.array("children"):
            children.append(Indicator(
                id=child.get("id", str, "二级指标编号"),
                name=child.get("name", str, "二级指标名称"),
                group_id=gid,
                group_name=gname,
                points=child.positive("points"),
                base_share=child.share("base_share", base_share),
                keywords=child.strings("keywords", "关键词列表（至少一个字符串）"),
                core=child.get("core", bool, "true 或 false", False),
                categories=child.strings("categories", "单位类别列表", ()),
                strong_keywords=child.strings("strong_keywords", "强关键词列表（字符串）", ()),
                residual=child.get("residual", bool, "true 或 false", False),
                signal_kinds=child.strings("signal_kinds", "成效数据类别列表（如 \"排名\"）", ()),
                evidence_needed=child.positive("evidence_needed", int, None)
                if "evidence_needed" in child.data else None,
                signals_needed=child.positive("signals_needed", int, None)
                if "signals_needed" in child.data else None,
                description=child.get("description", str, "指标说明（字符串）", ""),
            ))
            if not children[-1].keywords:
                raise child.error("keywords", "关键词列表（至少一个字符串）", [])
            child.finish()
            ids.append(children[-1].id)
        group.finish()
        groups.append(IndicatorGroup(id=gid, name=gname, children=tuple(children)))
        ids.append(gid)
    _unique(root.file, "indicators", ids, "id")
    return ScoringRules(
        groups=tuple(groups), bonus=addons["bonus"], deduction=addons["deduction"],
        grades=tuple(grades), evidence_needed=evidence_needed, evidence_chars=evidence_chars,
        vague_weight=vague_weight,
        signals_needed=signals_needed, match_threshold=match_threshold,
        signals_per_kind=signals_per_kind, social_weight=social_weight, social_name=social_name,
        share_of_best=share_of_best, not_evidence_cues=not_evidence_cues,
        max_indicators_per_paragraph=max_indicators,
        not_evidence_headings=not_evidence_headings, outcome_words=outcome_words,
        opening_cues=opening_cues, problem_cues=problem_cues,
        model_path=model_path, model_digest=model_digest,
    )
