"""Shared fixtures: the shipped config pointed at a temporary data folder, services, the scorer."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest

from kaohe.config import load_config
from scoring.engine import Scorer

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_REPORT = ROOT / "examples" / "sfj_self_check_2026.docx"
CORPUS = ROOT.parent / "shared" / "corpus"
BEFORE_DEADLINE = datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc)  # the chat fixture's clock


@pytest.fixture(scope="session")
def shipped_config():
    return load_config(ROOT / "config.toml")


@pytest.fixture(scope="session")
def scorer(shipped_config):
    return Scorer(shipped_config.scoring)


@pytest.fixture
def config(shipped_config, tmp_path):
    # No regulations: indexing them costs each test time; the Q&A tests use qa_config. One
    # parser process (each builds a scorer): the path of production, at a test's cost.
    return replace(shipped_config, storage_dir=tmp_path / "data", regulations_dir=None, parse_workers=1)


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


@pytest.fixture
async def chat(config, services):
    """The application over an offline Bot API: ``send`` / ``upload`` return what the user reads."""
    from bot.app import build_application
    from tests.support import OfflineRequest, message_update

    request = OfflineRequest()
    app = build_application(config, "123:TEST", services=services, rate_limit=False, request=request)
    app.bot_data.clock = lambda: BEFORE_DEADLINE
    await app.initialize()

    class Chat:
        def __init__(self):
            self.app, self.request, self.services = app, request, services

        async def send(self, user_id, text=None, **kwargs):
            start = len(request.calls)
            await app.process_update(message_update(app.bot, user_id, text, request=request, **kwargs))
            return "\n".join(
                p["text"] for name, p in request.calls[start:] if name in ("sendMessage", "editMessageText"))

        async def photos(self, user_id, images, wait=5.0):
            """Send ``images`` as Telegram photos (several: one album); the final reply."""
            import asyncio
            import itertools

            start = len(request.calls)
            album = f"album{next(itertools.count())}{len(images)}" if len(images) > 1 else None
            for image in images:
                await app.process_update(message_update(app.bot, user_id, request=request,
                                                        photo_bytes=image, album=album))
            for _ in range(int(wait / 0.1)):  # an album is read once it has been quiet a moment
                replies = [p["text"] for name, p in request.calls[start:]
                           if name in ("sendMessage", "editMessageText")]
                if replies and "⏳" not in replies[-1]:
                    return replies[-1]
                await asyncio.sleep(0.1)
            return replies[-1] if replies else ""

        async def upload(self, user_id, file_name, data):
            start = len(request.calls)
            await app.process_update(message_update(app.bot, user_id, document=(file_name, data), request=request))
            replies = [p["text"] for name, p in request.calls[start:]
                       if name in ("sendMessage", "editMessageText")]
            return replies[-1] if replies else ""

    yield Chat()
    await app.shutdown()
