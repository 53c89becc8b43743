"""Shared fixtures: the shipped config pointed at a temporary data folder, services, the scorer."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.config import load_config
from scoring.engine import Scorer

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_REPORT = ROOT / "examples" / "sfj_self_check_2026.docx"
CORPUS = ROOT.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def shipped_config():
    return load_config(ROOT / "config.toml")


@pytest.fixture(scope="session")
def scorer(shipped_config):
    return Scorer(shipped_config.scoring)


@pytest.fixture
def config(shipped_config, tmp_path):
    return replace(shipped_config, storage_dir=tmp_path / "data")


@pytest.fixture
def services(config, scorer):
    from bot.ingest import Services

    svc = Services(config, scorer=scorer)
    yield svc
    svc.close()
