"""Shared fixtures: the shipped config pointed at a temporary data folder, services, the scorer."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from kaohe.config import load_config
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
    # No regulations: indexing them costs each test time; the Q&A tests use qa_config.
    return replace(shipped_config, storage_dir=tmp_path / "data", regulations_dir=None)


@pytest.fixture
def qa_config(shipped_config, tmp_path):
    """The shipped config with the shipped example regulations, question forms and
    out-of-scope examples."""
    return replace(shipped_config, storage_dir=tmp_path / "data")


@pytest.fixture
def services(config, scorer):
    from kaohe.services import Services

    svc = Services(config, scorer=scorer)
    yield svc
    svc.close()
