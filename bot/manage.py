"""Office command line: ``python -m bot.manage backup FILE`` / ``restore FILE [--force]``.

Backups can be taken while the bot runs; restore with the bot stopped.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.config import ConfigError, load_config
from storage.backup import BackupError, create_backup, restore_backup
from storage.store import DB_NAME, Store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.manage", description="考核助手 数据管理")
    parser.add_argument("--config", default="config.toml", help="配置文件路径（默认 config.toml）")
    commands = parser.add_subparsers(dest="command", required=True)
    backup = commands.add_parser("backup", help="把数据库和全部材料文件备份为一个 .tar.gz")
    backup.add_argument("file", type=Path)
    restore = commands.add_parser("restore", help="从备份恢复（请先停止机器人）")
    restore.add_argument("file", type=Path)
    restore.add_argument("--force", action="store_true", help="覆盖现有数据")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"配置错误：{exc}", file=sys.stderr)
        return 2
    if args.command == "backup":
        if not (config.storage_dir / DB_NAME).exists():
            print(f"未备份：{config.storage_dir} 中没有数据库（[storage] dir 设置对吗？）", file=sys.stderr)
            return 1
        store = Store(config.storage_dir)
        try:
            summary = create_backup(store, args.file)
        finally:
            store.close()
        print(f"已备份到 {summary.path}：{summary.units} 个单位，{summary.submissions} 份材料，"
              f"{summary.files} 个文件（{summary.created_at} UTC）")
        return 0
    try:
        summary = restore_backup(args.file, config.storage_dir, force=args.force)
    except BackupError as exc:
        print(f"未恢复：{exc}", file=sys.stderr)
        return 1
    print(f"已从备份（{summary.created_at} UTC）恢复到 {summary.path}：{summary.units} 个单位，"
          f"{summary.submissions} 份材料，{summary.files} 个文件")
    return 0


if __name__ == "__main__":
    sys.exit(main())
