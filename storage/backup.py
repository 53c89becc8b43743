"""Back up a live store into one .tar.gz and restore it, checking every file on the way back.

The archive holds a consistent snapshot of the database (SQLite's online backup, taken
under the store's lock) and every stored file the snapshot refers to. Stored files never
change once written (they are named by their hash), so copying them after the snapshot
is consistent.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from storage.cycles import ARCHIVE_CONFIG, ARCHIVE_DB, ARCHIVE_DIR
from storage.files import FileStore, content_hash
from storage.store import DB_NAME, Store, utc_iso

MANIFEST = "manifest.json"
FORMAT = "kaohe-backup-1"


class BackupError(Exception):
    """The archive cannot be restored; the message says why (in Chinese)."""


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    files: int
    submissions: int
    units: int
    created_at: str


def create_backup(store: Store, target: Path) -> BackupSummary:
    """Write a .tar.gz of the database snapshot and its files to ``target``."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        snapshot = Path(tmp) / DB_NAME
        store.snapshot_to(snapshot)
        dest = sqlite3.connect(snapshot)
        try:
            hashes = [row[0] for row in dest.execute("select sha256 from files")]
            counts = {name: dest.execute(f"select count(*) from {name}").fetchone()[0]
                      for name in ("units", "submissions", "files")}
        finally:
            dest.close()
        created = utc_iso()
        manifest = {"format": FORMAT, "created_at": created, "files": len(hashes), **counts}
        (Path(tmp) / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
        partial = target.with_name(target.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(Path(tmp) / MANIFEST, MANIFEST)
            tar.add(snapshot, DB_NAME)
            for sha in hashes:
                tar.add(store.files.path_for(sha), f"files/{sha[:2]}/{sha}")
            # Finished cycles (storage.cycles): frozen, so their files are copied as they are;
            # their materials are in the shared file store, listed in the current database.
            for archived in sorted((store.directory / ARCHIVE_DIR).glob(f"*/{ARCHIVE_DB}")):
                folder = archived.parent
                for name in (ARCHIVE_DB, ARCHIVE_CONFIG):
                    if (folder / name).is_file():
                        tar.add(folder / name, f"{ARCHIVE_DIR}/{folder.name}/{name}")
        partial.replace(target)
    return BackupSummary(target, len(hashes), counts["submissions"], counts["units"], created)


def restore_backup(archive: Path, directory: Path, *, force: bool = False) -> BackupSummary:
    """Restore ``archive`` into ``directory`` (must hold no database unless ``force``).

    Everything is checked in a staging folder first: the manifest, SQLite's integrity
    check, and each stored file against its hash. Only then is the old content replaced.
    """
    archive, directory = Path(archive), Path(directory)
    if (directory / DB_NAME).exists() and not force:
        raise BackupError(f"{directory} 中已有数据库；确认要覆盖请加 --force（建议先备份当前数据）")
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=directory.parent))
    try:
        try:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(staging, filter="data")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise BackupError(f"无法读取备份文件 {archive}：{exc}") from None
        manifest = _read_manifest(staging)
        db_path = staging / DB_NAME
        conn = sqlite3.connect(db_path)
        try:
            if conn.execute("pragma integrity_check").fetchone()[0] != "ok":
                raise BackupError("备份中的数据库已损坏（integrity_check 未通过）")
            hashes = [row[0] for row in conn.execute("select sha256 from files")]
            submissions = conn.execute("select count(*) from submissions").fetchone()[0]
            units = conn.execute("select count(*) from units").fetchone()[0]
        finally:
            conn.close()
        files = FileStore(staging / "files")
        for sha in hashes:
            path = files.path_for(sha)
            if not path.is_file() or content_hash(path.read_bytes()) != sha:
                raise BackupError(f"备份中的文件 {sha[:12]} 缺失或内容不符，备份不完整，未恢复")
        directory.mkdir(parents=True, exist_ok=True)
        for name in (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm"):
            (directory / name).unlink(missing_ok=True)
        if (directory / "files").exists():
            shutil.rmtree(directory / "files")
        shutil.move(str(staging / "files"), directory / "files")
        shutil.move(str(db_path), directory / DB_NAME)
        if (staging / ARCHIVE_DIR).is_dir():  # finished cycles, as they were backed up
            if (directory / ARCHIVE_DIR).exists():
                shutil.rmtree(directory / ARCHIVE_DIR)
            shutil.move(str(staging / ARCHIVE_DIR), directory / ARCHIVE_DIR)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return BackupSummary(directory, len(hashes), submissions, units, manifest["created_at"])


def _read_manifest(staging: Path) -> dict:
    try:
        manifest = json.loads((staging / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        raise BackupError("这不是考核助手的备份文件（缺少 manifest.json）") from None
    if manifest.get("format") != FORMAT or not (staging / DB_NAME).is_file():
        raise BackupError("这不是考核助手的备份文件，或格式版本不符")
    (staging / "files").mkdir(exist_ok=True)
    return manifest
