"""Backup and restore: everything comes back, a damaged or foreign archive is refused."""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile

import pytest

from kaohe.config import load_config
from kaohe.services import Services
from storage.backup import BackupError, create_backup, restore_backup
from storage.store import Store
from tests.conftest import EXAMPLE_REPORT, ROOT


def test_backup_of_a_live_store_restores_every_record_and_file(services, tmp_path):
    services.store.bind_liaison(5, "王联络", None, "sfj")
    services.ingest("sfj", 5, EXAMPLE_REPORT.name, EXAMPLE_REPORT.read_bytes())
    services.ingest("sfj", 5, "note.txt", "立项督查事项台账已全部销号，办结率100%。".encode())
    summary = create_backup(services.store, tmp_path / "b.tar.gz")
    assert summary.files == 2 and summary.submissions == 2

    restored = restore_backup(tmp_path / "b.tar.gz", tmp_path / "restored")
    assert restored.submissions == 2
    copy = Store(tmp_path / "restored")
    assert copy.counts() == services.store.counts()
    assert copy.unit_score("sfj")["total"] == services.store.unit_score("sfj")["total"]
    for row in copy.submissions("sfj"):
        assert copy.files.read(row["sha256"]) == services.store.files.read(row["sha256"])
    copy.close()


def test_restore_refuses_to_overwrite_without_force(services, tmp_path):
    create_backup(services.store, tmp_path / "b.tar.gz")
    with pytest.raises(BackupError, match="--force"):
        restore_backup(tmp_path / "b.tar.gz", services.store.directory)


def test_tampered_or_foreign_archive_is_refused_and_nothing_changes(services, tmp_path):
    services.store.bind_liaison(5, "王联络", None, "sfj")
    services.ingest("sfj", 5, EXAMPLE_REPORT.name, EXAMPLE_REPORT.read_bytes())
    create_backup(services.store, tmp_path / "good.tar.gz")
    bad = tmp_path / "bad.tar.gz"
    with tarfile.open(tmp_path / "good.tar.gz") as src, tarfile.open(bad, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read() if member.isfile() else None
            if member.name.startswith("files/"):
                data = b"changed"
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data) if data is not None else None)
    target = tmp_path / "target"
    with pytest.raises(BackupError, match="内容不符"):
        restore_backup(bad, target)
    assert not (target / "kaohe.db").exists()
    (tmp_path / "junk.tar.gz").write_bytes(b"not a tarball")
    with pytest.raises(BackupError, match="无法读取"):
        restore_backup(tmp_path / "junk.tar.gz", target)


def test_manage_cli_backs_up_and_restores(tmp_path):
    config = tmp_path / "c.toml"
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    config.write_text(text.replace('dir = "data"', 'dir = "store"'), encoding="utf-8")
    run = [sys.executable, "-m", "bot.manage", "--config", str(config)]
    out = subprocess.run(run + ["backup", str(tmp_path / "b.tar.gz")], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and "没有数据库" in out.stderr
    Services(load_config(config)).close()  # what the bot's start-up does: units from config
    out = subprocess.run(run + ["backup", str(tmp_path / "b.tar.gz")], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "已备份到" in out.stdout and "4 个单位" in out.stdout
    out = subprocess.run(run + ["restore", str(tmp_path / "b.tar.gz")], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and "--force" in out.stderr
    out = subprocess.run(run + ["restore", "--force", str(tmp_path / "b.tar.gz")], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "已从备份" in out.stdout
