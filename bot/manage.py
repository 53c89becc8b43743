"""Office command line: ``python -m bot.manage backup FILE`` / ``restore FILE [--force]``,
``regulation load FILE...`` / ``regulation list`` / ``regulation vectors``, ``recompute [UNIT...]``,
``social FILE [--dry-run]`` (import 社会评价 scores from .xlsx / .csv, or only preview them),
``export [FOLDER] [--unit U]`` (default folder: ``exports`` in ``[storage] dir``, never the
working directory), ``units import FILE [--yes]`` / ``units invites [FOLDER]`` (the list of
units from a spreadsheet; invite codes with links and QR codes), ``cycle next [--yes]`` (next
year's cycle, the finished one archived; ``export --cycle YEAR`` writes its files).

Backups can be taken while the bot runs; restore with the bot stopped. A regulation loaded
here is in the database at once; a running bot picks it up at its next start (load in
chat for an immediate change).
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from pathlib import Path

from kaohe.config import ConfigError, load_config
from storage.backup import BackupError, create_backup, restore_backup
from storage.store import DB_NAME, Store

EXPORTS_FOLDER = "exports"  # inside [storage] dir unless a folder is given

# argparse's own words, said in Chinese (its messages are English whatever the locale).
_ARGPARSE_ERRORS = (
    (re.compile(r"the following arguments are required: (.+)"), r"缺少参数：\1"),
    (re.compile(r"unrecognized arguments: (.+)"), r"不认识的参数：\1"),
    (re.compile(r"argument (\S+): invalid choice: (.+) \(choose from (.+)\)"),
     r"参数 \1 的取值 \2 无效（可选：\3）"),
    (re.compile(r"argument (\S+): expected one argument"), r"参数 \1 后面需要一个值"),
)


def _wide(text: str) -> int:
    """How many more columns ``text`` takes in a terminal than characters (CJK: two each)."""
    return sum(unicodedata.east_asian_width(c) in "WF" for c in text)


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's layout with "用法：" and the help column aligned after Chinese metavars."""

    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)

    def add_argument(self, action):
        super().add_argument(action)
        if action.help is not argparse.SUPPRESS:
            shown = self._format_action_invocation(action)
            self._action_max_length = max(self._action_max_length,
                                          len(shown) + _wide(shown) + self._current_indent)

    def _format_action(self, action):
        text = super()._format_action(action)
        header = self._format_action_invocation(action)
        extra = _wide(header)
        at = text.find(header + " " * (extra + 2))
        if extra and at >= 0 and "\n" not in text[:at]:  # help on the same line: drop the excess
            text = text[:at + len(header)] + text[at + len(header) + extra:]
        return text


class _Parser(argparse.ArgumentParser):
    """An argument parser whose help and errors are in Chinese (sub-commands' too)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _HelpFormatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = "参数"
        self._optionals.title = "选项"
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                          help="显示本说明并退出")

    def error(self, message: str):
        for pattern, chinese in _ARGPARSE_ERRORS:
            message = pattern.sub(chinese, message)
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：错误：{message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``python -m bot.manage``."""
    parser = _Parser(prog="python -m bot.manage", description="考核助手 数据管理（考核办在服务器上使用）")
    parser.add_argument("--config", default="config.toml", metavar="配置文件",
                        help="配置文件路径（默认 config.toml）")
    commands = parser.add_subparsers(dest="command", required=True, title="命令", metavar="命令",
                                     help="下列之一；python -m bot.manage 命令 -h 查看该命令的用法")
    backup = commands.add_parser("backup", help="把数据库和全部材料文件备份为一个 .tar.gz",
                                 description="把数据库和全部材料文件备份为一个 .tar.gz（机器人运行时也可以备份）")
    backup.add_argument("file", type=Path, metavar="备份文件", help="要写出的 .tar.gz，如 backups/kaohe.tar.gz")
    restore = commands.add_parser("restore", help="从备份恢复（请先停止机器人）",
                                  description="从备份恢复（请先停止机器人）")
    restore.add_argument("file", type=Path, metavar="备份文件", help="backup 写出的 .tar.gz")
    restore.add_argument("--force", action="store_true", help="覆盖现有数据")
    regulation = commands.add_parser("regulation", help="载入或列出规定文件（管理办法、实施细则）",
                                     description="载入或列出规定文件（管理办法、实施细则）")
    regulation.add_argument("action", choices=["load", "list", "vectors"], metavar="操作",
                            help="load 载入文件；list 列出已载入的规定；vectors 重建随附的句向量")
    regulation.add_argument("files", type=Path, nargs="*", metavar="文件", help="load 要载入的文件")
    recompute = commands.add_parser(
        "recompute", help="按当前配置重新计算各单位得分（改了指标、关键词或权重之后），审核日志记录前后分数",
        description="按当前配置重新计算各单位得分，审核日志记录前后分数")
    recompute.add_argument("units", nargs="*", metavar="单位", help="只算这些单位（编号或名称），默认全部")
    export = commands.add_parser(
        "export", help="把汇总表、考核报告和图表写到一个文件夹",
        description="把汇总表、考核报告和图表（或一个单位的情况报告）写到一个文件夹")
    export.add_argument("folder", type=Path, nargs="?", metavar="文件夹",
                        help=f"写到哪里（默认：[storage] dir 下的 {EXPORTS_FOLDER} 文件夹）")
    export.add_argument("--unit", metavar="单位", help="只导出某个单位的情况报告（编号或名称）")
    export.add_argument("--cycle", type=int, metavar="年度", help="导出已归档的某一年度（cycle next 之前的周期）")
    cycle = commands.add_parser(
        "cycle", help="开始下一年度的考核周期（请先停止机器人）",
        description="cycle next：预览并开始下一年度：本年度数据库连同配置归档到 [storage] dir 下的 cycles/年度，"
                    "config.toml 的年度、名称和各阶段、截止时间顺延一年；单位、联络员、邀请码、规定沿用，"
                    "材料、得分、提醒、调整等从零开始。--yes 不再询问。")
    cycle.add_argument("action", choices=["next"], metavar="操作", help="next 开始下一年度")
    cycle.add_argument("--yes", action="store_true", help="预览后直接开始，不再询问")
    units = commands.add_parser(
        "units", help="导入单位名单（先预览），或写出各单位的邀请码清单和二维码",
        description="units import 名单.xlsx：预览新增、变更、停用的单位，确认后导入（--yes 不再询问）；"
                    "units invites [文件夹]：写出邀请码清单（含绑定链接）和二维码 ZIP")
    units.add_argument("action", choices=["import", "invites"], metavar="操作",
                       help="import 导入单位名单；invites 写出邀请码清单")
    units.add_argument("path", type=Path, nargs="?", metavar="文件或文件夹",
                       help="import：单位名单 .xlsx / .csv；invites：写到哪里（默认：[storage] dir 下的 exports）")
    units.add_argument("--yes", action="store_true", help="预览后直接导入，不再询问")
    social = commands.add_parser("social", help="导入社会评价（民意调查）结果表 .xlsx / .csv",
                                 description="导入社会评价（民意调查）结果表 .xlsx / .csv")
    social.add_argument("file", type=Path, metavar="结果表", help=".xlsx 或 .csv 文件")
    social.add_argument("--dry-run", action="store_true", help="只预览每个单位会得到的分数，不导入")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"配置错误：{exc}", file=sys.stderr)
        return 2
    if args.command == "regulation":
        return _regulation(config, args.action, args.files)
    if args.command in ("recompute", "social"):
        return _results(config, args)
    if args.command == "export":
        return _export(config, args)
    if args.command == "units":
        return _units(config, args)
    if args.command == "cycle":
        return _cycle(config, args)
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


def _export(config, args) -> int:
    from datetime import datetime, timezone

    from kaohe.services import Services
    from kaohe.writers import MissingCJKFont

    folder = (args.folder or config.storage_dir / EXPORTS_FOLDER).resolve()
    if args.cycle is not None:
        return _export_archived(config, args.cycle, folder)
    svc = Services(config)
    try:
        at = datetime.now(timezone.utc)
        if args.unit:
            found = list(svc.find_unit(args.unit).units)
            if len(found) != 1:
                print(f"单位“{args.unit}”{'不存在' if not found else '对应多个单位'}", file=sys.stderr)
                return 2
            print(f"已写出 {svc.export_unit(found[0]['id'], folder, at).resolve()}")
            return 0
        try:
            files = svc.export_all(folder, at)
        except MissingCJKFont as exc:
            print(f"未导出：{exc}", file=sys.stderr)
            return 1
        label = "初步" if files.preliminary else "最终"
        print(f"已导出（{label}，{files.units} 个单位）到 {Path(files.folder).resolve()}：")
        for path in [files.workbook, files.report, *files.charts]:
            print(f"  {path.name}")
        return 0
    finally:
        svc.close()


def _export_archived(config, year: int, folder: Path) -> int:
    """An archived cycle's export, read from its own frozen database and config."""
    from datetime import datetime, timezone

    from kaohe.cycles import CycleError, archived_config
    from kaohe.exports import export_all

    try:
        old = archived_config(config, year)
    except (CycleError, ConfigError) as exc:
        print(f"未导出：{getattr(exc, 'reason', exc)}", file=sys.stderr)
        return 1
    store = Store(old.storage_dir)
    try:
        files = export_all(old, store, folder / f"{year}年度", datetime.now(timezone.utc))
    finally:
        store.close()
    print(f"已导出 {old.cycle_name}（归档，{files.units} 个单位）到 {Path(files.folder).resolve()}：")
    for path in [files.workbook, files.report, *files.charts]:
        print(f"  {path.name}")
    return 0


def _cycle(config, args) -> int:
    from kaohe.cycles import CycleError, plan_next_cycle, start_next_cycle

    try:
        plan = plan_next_cycle(config)
    except CycleError as exc:
        print(f"未开始：{exc.reason}", file=sys.stderr)
        return 1
    print(f"下一周期：{plan.name}（{plan.year} 年度）")
    print(f"本周期（{config.cycle_name}）将连同配置归档到 {plan.archive}，此后不再改动；"
          f"导出它：python -m bot.manage export --cycle {config.year}")
    print(f"沿用：{plan.units} 个单位及其简称、{plan.liaisons} 位联络员、邀请码、规定和问答；"
          f"不计入新周期：本周期的 {plan.submissions} 份材料及其得分、调整、提醒、复核申请。")
    print("config.toml 将改为：")
    for what, old, new in plan.changes:
        print(f"  {what}：{old} → {new}")
    for warning in plan.warnings:
        print(f"  ⚠️ {warning}")
    print("请先停止机器人；开始后重新启动即进入新周期。")
    if not _confirmed(args.yes, "开始下一周期", "（未开始：加 --yes 确认）", "已取消，没有任何改动。"):
        return 0
    removed = start_next_cycle(config, plan, "cli")
    print(f"已开始 {plan.name}：本周期已归档到 {plan.archive}；新周期清空了 "
          f"{removed.get('submissions', 0)} 份材料、{removed.get('unit_scores', 0)} 个单位的得分。")
    return 0


def _confirmed(yes: bool, action: str, not_asked: str, cancelled: str) -> bool:
    """After a preview: go on with ``--yes``; at a terminal ask; otherwise (a script, a pipe)
    say how to confirm and stop."""
    if yes:
        return True
    if not sys.stdin.isatty():
        print(not_asked)
        return False
    if input(f"输入 y {action}：").strip().lower() in ("y", "yes", "是"):
        return True
    print(cancelled)
    return False


def _plain(text: str) -> str:
    """A chat text for the terminal: without its HTML tags."""
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", text))


def _units(config, args) -> int:
    from datetime import datetime, timezone

    from kaohe.services import Services
    from kaohe.texts import units as tx
    from kaohe.writers.invites import write_invites
    from parsers.unit_sheet import BadUnitSheet

    svc = Services(config)
    try:
        at = datetime.now(timezone.utc)
        if args.action == "import":
            if args.path is None:
                print("请写出单位名单文件：python -m bot.manage units import 名单.xlsx", file=sys.stderr)
                return 2
            try:
                plan = svc.preview_units(args.path.read_bytes(), args.path.name)
            except (BadUnitSheet, OSError) as exc:
                print(f"未导入 {args.path}：{getattr(exc, 'reason', exc)}", file=sys.stderr)
                return 1
            if not plan.ok:
                print(_plain(tx.import_refused(args.path.name, plan)), file=sys.stderr)
                return 1
            print(_plain(tx.import_preview(args.path.name, plan, svc.store.units_imported())))
            if not _confirmed(args.yes, "确认导入", "（未导入：加 --yes 确认导入）", "已取消，单位名单没有变化。"):
                return 0
            codes = svc.import_units(plan, "cli", at)
            print(_plain(tx.imported(plan, codes, in_chat=False)))
        folder = ((args.path if args.action == "invites" else None) or config.storage_dir / EXPORTS_FOLDER).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        rows = svc.invite_list()
        workbook, qr = write_invites(rows, config.bot_username, folder, at, config.tz, config.cycle_name)
        print(_plain(tx.invites_caption(rows, config.bot_username)))
        print(f"已写出 {workbook}" + (f"\n已写出 {qr}" if qr else ""))
        return 0
    finally:
        svc.close()


def _results(config, args) -> int:
    from kaohe.errors import Refused
    from kaohe.services import Services
    from kaohe.texts.score import social_change_lines

    svc = Services(config)
    try:
        if args.command == "social":
            try:
                data = args.file.read_bytes()
                if args.dry_run:
                    outcome = svc.plan_social_file(data, args.file.name)
                else:
                    outcome = svc.import_social_file(data, args.file.name, "cli")
            except (Refused, OSError) as exc:
                print(f"未导入 {args.file}：{getattr(exc, 'reason', exc)}", file=sys.stderr)
                return 1
            lines, same = social_change_lines(outcome, limit=len(outcome.changes))
            print(f"{'预览（未导入）' if args.dry_run else '已导入'} {outcome.units} 个单位的"
                  f"{config.scoring.social_name}得分（“{outcome.score_column}”列，占总分 {outcome.weight:.0%}），"
                  f"其中 {same} 个不变")
            for line in lines:
                print(f"  {line}")
            if outcome.missing:
                print("表中没有：" + "、".join(outcome.missing))
            return 0
        wanted = None
        if args.units:
            wanted = []
            for query in args.units:
                found = list(svc.find_unit(query).units)
                if len(found) != 1:
                    print(f"单位“{query}”{'不存在' if not found else '对应多个单位'}", file=sys.stderr)
                    return 2
                wanted.append(found[0]["id"])
        lines = svc.recompute("recompute", wanted)
        changed = 0
        for line in lines:
            name = line.unit["name"]
            if line.skipped:
                print(f"{name}：未重算（{line.skipped}）")
                continue
            before = line.before["total"] if line.before else None
            after = line.after["total"] if line.after else None
            if before != after or line.changed_indicators:
                changed += 1
            shown = "—" if before is None else f"{before:g}"
            detail = "；".join(f"{n} {a:g}→{b:g}" for n, a, b in line.changed_indicators)
            print(f"{name}：{shown} → {after:g}（{line.after['grade']}）" + (f"  {detail}" if detail else ""))
        print(f"共 {len(lines)} 个单位，{changed} 个得分有变化；前后分数已记入审核日志（recompute）。")
        return 0
    finally:
        svc.close()


def _regulation(config, action: str, files: list[Path]) -> int:
    from kaohe.qa import Regulations, build_shipped_vectors, is_examples_file
    from parsers import DocumentRejected

    if action == "vectors":  # derived data shipped with the folder's documents
        path, count = build_shipped_vectors(config)
        print(f"已写入 {path}：{count} 条句向量（首次启动无需再计算）")
        return 0

    store = Store(config.storage_dir)
    try:
        qa = Regulations(config, store)
        qa.start()
        failed = 0
        if action == "load":
            if not files:
                print("请给出要载入的文件，如 regulations/kaohe_banfa.md", file=sys.stderr)
                return 2
            for path in files:
                try:
                    if is_examples_file(path.name):
                        e = qa.load_examples(path.read_bytes(), path.name, "cli",
                                             qa.title_for_examples(path.name))
                        print(f"{'已载入' if e.changed else '未变化'} {path.name}：{e.examples} 个问题示例"
                              + (f"（条号不存在：{'、'.join(e.unknown_articles)}）" if e.unknown_articles else ""))
                        continue
                    r = qa.load(path.read_bytes(), path.name, "cli", "cli")
                except (DocumentRejected, OSError) as exc:
                    print(f"未载入 {path}：{getattr(exc, 'reason', exc)}", file=sys.stderr)
                    failed += 1
                    continue
                state = "未变化" if r.unchanged else (
                    f"已载入（替换第{r.replaced_version}版）" if r.replaced_version else "已载入")
                forms = qa.load_sidecar(path, r.title, "cli")
                extra = f"，常见问法 {forms.examples} 条" if forms else ""
                print(f"{state}《{r.title}》第{r.version}版：{r.clauses} 个条款，{r.tables} 个含表格{extra}")
        counts: dict[str, int] = {}
        for e in qa.examples():
            key = e["title"] if e["kind"] == "article" else ""
            counts[key] = counts.get(key, 0) + 1
        for doc in qa.documents():
            print(f"《{doc['title']}》第{doc['version']}版 {doc['clauses']} 条款 "
                  f"常见问法 {counts.get(doc['title'], 0)} 条 {doc['file_name']} {doc['loaded_at']}")
        print(f"规定未涉及的问题示例 {counts.get('', 0)} 条")
        return 1 if failed else 0
    finally:
        store.close()


if __name__ == "__main__":
    sys.exit(main())
