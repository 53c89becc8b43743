"""The README documents the two commands, every bot command and every config key."""

from __future__ import annotations

import re
import tomllib

from telegram.ext import CommandHandler

from bot.app import build_application
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_run_and_test_commands_are_documented_and_used_by_ci():
    assert "./scripts/run" in README and "./scripts/test" in README
    assert "./scripts/test" in (ROOT / ".ci" / "run").read_text()
    assert "python -m bench.ingest" in README


def test_every_bot_command_is_in_the_readme(config):
    app = build_application(config, "123:TEST", rate_limit=False)
    names = {cmd for group in app.handlers.values() for h in group
             if isinstance(h, CommandHandler) for cmd in h.commands}
    assert names >= {"start", "bind", "help"}
    for name in names:
        assert f"/{name}" in README, f"/{name} is not documented in README.md"


def test_every_config_key_is_in_the_readme():
    raw = tomllib.loads((ROOT / "config.toml").read_text(encoding="utf-8"))
    keys = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if not re.search(r"[\u4e00-\u9fff]", key):
                    keys.add(key)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(raw)
    missing = sorted(k for k in keys if k not in README)
    assert not missing, f"config keys missing from README.md: {missing}"
