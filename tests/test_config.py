"""config.toml: the shipped example loads; every wrong or missing key is named at start-up."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timezone

import pytest

from kaohe.config import CLOUD_API_URL, ConfigError, load_config
from tests.conftest import ROOT

SHIPPED = (ROOT / "config.toml").read_text(encoding="utf-8")


def write(tmp_path, text):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_config_loads(shipped_config):
    cfg = shipped_config
    assert cfg.cycle_name == "2026年度目标责任制考核"
    assert str(cfg.tz) == "Asia/Shanghai"
    assert [g.name for g in cfg.scoring.groups] == ["职能履行", "依法行政", "领导班子建设"]
    leaves = [i.name for i in cfg.scoring.all_indicators()]
    assert leaves == ["立项督查", "其他法定职责", "健全法律、法规、规章制度", "严格程序行政",
                      "加强行政执法和监督", "思想政治建设", "领导水平", "工作业绩", "反腐倡廉"]
    assert sum(i.points for i in cfg.scoring.all_indicators()) == 100
    assert cfg.scoring.bonus.name == "争优创新" and cfg.scoring.deduction.name == "违规失职"
    assert [g for g, _ in cfg.scoring.grades] == ["优秀", "良好", "合格"]
    assert cfg.api_url == CLOUD_API_URL
    assert cfg.storage_dir == ROOT / "data"


def test_deadline_is_local_time_stored_in_utc_and_category_specific(shipped_config):
    city, county = shipped_config.deadlines
    assert city.categories == () and county.categories == ("县区", "开发区")
    assert city.due_utc == datetime(2026, 12, 15, 10, 0, tzinfo=timezone.utc)  # 18:00 Beijing
    assert county.due_utc == datetime(2026, 12, 20, 10, 0, tzinfo=timezone.utc)


def test_api_url_from_environment_derives_bot_and_file_urls(tmp_path):
    cfg = load_config(write(tmp_path, SHIPPED), environ={"TELEGRAM_API_URL": "http://127.0.0.1:8081/"})
    assert cfg.bot_base_url == "http://127.0.0.1:8081/bot"
    assert cfg.file_base_url == "http://127.0.0.1:8081/file/bot"


@pytest.mark.parametrize("change, named", [
    (("[cycle]\nname = \"2026年度目标责任制考核\"\n", "[cycle]\n"), "cycle.name"),
    (("year = 2026", "year = \"二〇二六\""), "cycle.year"),
    (("timezone = \"Asia/Shanghai\"", "timezone = \"Beijing\""), "cycle.timezone"),
    (("base_share = 0.6", "base_share = 1.6"), "scoring.base_share"),
    (("admins = [10001]", "admins = [\"张三\"]"), "office.admins"),
    (("due = \"2026-12-15 18:00\"", "due = \"12月15日\""), "deadlines[1].due"),
    (("\"优秀\" = 90", "\"优秀\" = 190"), "scoring.grades.优秀"),
    (("points = 25", "points = -5"), "indicators[1].children[1].points"),
    (("match_threshold = 2", "match_treshold = 2"), "scoring.match_treshold"),
    (("invite_code = \"FGW2026\"", "invite_code = \"SFJ2026\""), "invite_code"),
    (("phase = \"准备阶段\"", "phase = \"筹备阶段\""), "deadlines[1].phase"),
    (("end = \"2026-12-20\"", "end = \"2026-11-01\""), "phases[1].end"),
    (("start = \"2026-12-21\"", "start = \"2026-11-01\""), "phases[2].start"),
    (("offsets_days = [7, 3, 1, 0]", "offsets_days = [7, -1]"), "reminders.offsets_days"),
    (("send_window = [\"08:00\", \"21:00\"]", "send_window = [\"21:00\", \"08:00\"]"),
     "reminders.send_window"),
    (("\nat = \"09:00\"", "\nat = \"07:00\""), "reminders.at"),
    (("digest_at = \"09:00\"", "digest_at = \"9点\""), "reminders.digest_at"),
    (("check_minutes = 10", "check_minutes = 0"), "reminders.check_minutes"),
    (("holidays = []", "holidays = [\"2027-02-30\"]"), "reminders.holidays"),
    (("workdays = []", "workdays = \"2027-02-20\""), "reminders.workdays"),
    (("max_messages_per_second = 25", "max_messages_per_second = 0"), "telegram.max_messages_per_second"),
])
def test_wrong_or_missing_key_is_named(tmp_path, change, named):
    old, new = change
    assert old in SHIPPED
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, SHIPPED.replace(old, new, 1)))
    assert named in str(caught.value)


def test_self_check_deadline_is_required(tmp_path):
    with pytest.raises(ConfigError, match="自查材料提交"):
        load_config(write(tmp_path, SHIPPED.replace('name = "自查材料提交"', 'name = "其他事项"')))


def test_missing_section_and_broken_toml(tmp_path):
    without_storage = SHIPPED.replace("[storage]\n", "[storagex]\n")
    with pytest.raises(ConfigError, match=r"\[storage\]"):
        load_config(write(tmp_path, without_storage))
    with pytest.raises(ConfigError, match="TOML"):
        load_config(write(tmp_path, "[cycle\nname="))
    with pytest.raises(ConfigError, match="找不到配置文件"):
        load_config(tmp_path / "nope.toml")


def test_bad_config_stops_start_up_with_the_key_named(tmp_path):
    path = write(tmp_path, SHIPPED.replace("timezone = \"Asia/Shanghai\"", "timezone = \"Mars\""))
    result = subprocess.run([sys.executable, "-m", "bot", "--config", str(path)], cwd=ROOT,
                            capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 2
    assert "cycle.timezone" in result.stderr and "配置错误" in result.stderr


def test_phases_and_reminders_are_read(shipped_config):
    names = [p.name for p in shipped_config.phases]
    assert names == ["准备阶段", "目标任务量化评分", "集中考核", "综合汇总", "结果评定"]
    rules = shipped_config.reminders
    assert rules.offsets_days == (7, 3, 1, 0) and rules.at.hour == 9 and rules.working_days_only
    assert [t.hour for t in rules.send_window] == [8, 21]
    assert shipped_config.max_messages_per_second == 25


def test_declared_days_off_and_workdays_reach_the_reminder_rules(tmp_path):
    text = SHIPPED.replace("holidays = []", "holidays = [\"2027-02-08\", 2027-02-09]", 1).replace(
        "workdays = []", "workdays = [\"2027-02-20\"]", 1)
    calendar = load_config(write(tmp_path, text)).reminders.calendar  # strings and TOML dates
    assert calendar.holidays == {date(2027, 2, 8), date(2027, 2, 9)}
    assert not calendar.is_working_day(date(2027, 2, 8)) and calendar.is_working_day(date(2027, 2, 20))
    both = text.replace("workdays = [\"2027-02-20\"]", "workdays = [\"2027-02-08\"]", 1)
    with pytest.raises(ConfigError, match="2027-02-08"):
        load_config(write(tmp_path, both))
