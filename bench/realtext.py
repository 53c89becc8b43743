"""The real-text evaluation set: public reports of government bodies, labelled by paragraph.

The texts are third-party and never committed. What is committed
(``bench/realtext_manifest.toml``) rebuilds the set: for each source the search query, the
URL and title, the split it belongs to, and for each paragraph its fingerprint (its first
10 characters, its length and a short hash) and its labels. Whoever wants the figures
fills a folder with the sources' texts, one ``<id>.txt`` each holding the page's opening as
the search tool's ``pages`` corpus returns it for the query, then runs ``check`` and
``eval`` against that folder.

    python -m bench.realtext check  [--dir DIR]   # which sources rebuild, which paragraphs differ
    python -m bench.realtext eval   [--dir DIR] [--split train|dev|test|all]
    python -m bench.realtext show ID [--dir DIR]  # a source's blocks as the split rule cuts them
    python -m bench.realtext agreement            # a second labeller against the first (dev split)

Labelling a new source (into a working folder outside the repository):

    python -m bench.realtext add --dir DIR --query Q --url U [--title T] [--genre G] < excerpt
    python -m bench.realtext label ID 1=lxdc,qtfdzz 2= 3=ffcl --dir DIR
    python -m bench.realtext manifest --dir DIR   # writes bench/realtext_manifest.toml

The split rule (``split_blocks``): the text is cut at line breaks; a line with at least
``MIN_PARAGRAPH_CJK`` Chinese characters and sentence punctuation is a paragraph (labelled);
a short line without sentence punctuation that is mostly Chinese is a heading (context for
the scorer, not labelled); everything else (dates, sources, navigation) is dropped.
Sources are split into train / dev / test by a hash of the site's host name, so reports
from one site never straddle two splits; a source that repeats most of an earlier one
(the same report on a mirror) is refused at ``add``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "realtext_manifest.toml"
# A second labeller's labels of the dev split, made without seeing the first's: how far
# two careful people agree is the ceiling to read the model's figures against.
SECOND_LABELS = HERE / "realtext_second_labels.toml"
DEFAULT_DIR = Path(os.environ.get("REALTEXT_DIR", HERE.parent.parent / "realtext" / "pages"))
LABELS = ("lxdc", "qtfdzz", "jqzd", "yqcx", "zfjd", "sxzz", "ldsp", "gzyj", "ffcl", "bonus", "deduction")
ADDON_LABELS = ("bonus", "deduction")
MIN_PARAGRAPH_CJK = 20
HEADING_MAX_CHARS = 40
FINGERPRINT_CHARS = 10
# test / dev / train shares of the host-hash space.
SPLIT_SHARES = (("test", 0.30), ("dev", 0.20), ("train", 0.50))
_CJK = re.compile(r"[\u4e00-\u9fff]")
_SENTENCE = re.compile(r"[。；;！？!?，,]")
_JUNK = ("发布时间", "来源：", "来源:", "浏览次数", "字号", "打印本页", "关闭窗口", "无障碍", "分享到",
         "责任编辑", "【", "】", "星期")
# Characters that only occur in traditional script: a mirror in 繁体 is not used.
_TRADITIONAL = set("們這國為與關說會過對時來後發開問應當實際點經動現軍議長產業務區縣黨幹")


@dataclass(frozen=True)
class Block:
    kind: str  # "heading" or "text"
    text: str

    @property
    def fingerprint(self) -> str:
        return self.text[:FINGERPRINT_CHARS]

    @property
    def digest(self) -> str:
        return hashlib.sha1(self.text.encode("utf-8")).hexdigest()[:10]


def split_blocks(text: str) -> list[Block]:
    """The excerpt cut into headings and paragraphs by the split rule (module docstring)."""
    blocks = []
    for raw in text.split("\n"):
        line = raw.strip().strip("\u3000").strip()
        if not line or any(junk in line for junk in _JUNK):
            continue
        cjk = len(_CJK.findall(line))
        if cjk >= MIN_PARAGRAPH_CJK and _SENTENCE.search(line):
            blocks.append(Block("text", line))
        elif len(line) <= HEADING_MAX_CHARS and cjk >= 4 and cjk >= 0.6 * len(line) \
                and not _SENTENCE.search(line.rstrip("。")):
            blocks.append(Block("heading", line))
    return blocks


def split_of(url: str) -> str:
    """train / dev / test, by a hash of the URL's host (one site stays in one split)."""
    host = urlparse(url).netloc.lower().removeprefix("www.")
    point = int(hashlib.sha256(host.encode("utf-8")).hexdigest()[:8], 16) / 0xFFFFFFFF
    edge = 0.0
    for name, share in SPLIT_SHARES:
        edge += share
        if point <= edge:
            return name
    return SPLIT_SHARES[-1][0]


def _trigrams(text: str) -> set[str]:
    key = "".join(_CJK.findall(text))
    return {key[i:i + 3] for i in range(len(key) - 2)}


# ---------------------------------------------------------------- the working folder

def _meta_path(folder: Path, sid: str) -> Path:
    return folder / f"{sid}.meta.json"


def _sources_in(folder: Path) -> list[str]:
    return sorted(p.name.removesuffix(".meta.json") for p in folder.glob("*.meta.json"))


def _read_text(folder: Path, sid: str) -> str | None:
    path = folder / f"{sid}.txt"
    return path.read_text(encoding="utf-8") if path.exists() else None


def add_source(folder: Path, query: str, url: str, title: str, genre: str, excerpt: str) -> str:
    """Store one source in the working folder and return its id (or raise ValueError)."""
    folder.mkdir(parents=True, exist_ok=True)
    excerpt = excerpt.strip()
    if excerpt.startswith('"'):
        excerpt = json.loads(excerpt)  # the excerpt pasted as the JSON string the tool shows
    blocks = split_blocks(excerpt)
    paragraphs = [b for b in blocks if b.kind == "text"]
    if not paragraphs:
        raise ValueError("no paragraph of 20+ Chinese characters with sentence punctuation")
    if sum(ch in _TRADITIONAL for ch in excerpt) > 10:
        raise ValueError("traditional script: use the simplified original instead")
    mine = _trigrams("".join(b.text for b in paragraphs))
    for sid in _sources_in(folder):
        meta = json.loads(_meta_path(folder, sid).read_text(encoding="utf-8"))
        if meta["url"] == url:
            raise ValueError(f"this URL is already source {sid}")
        other = _read_text(folder, sid) or ""
        theirs = _trigrams("".join(b.text for b in split_blocks(other) if b.kind == "text"))
        if mine and len(mine & theirs) / len(mine) > 0.5:
            raise ValueError(f"most of this text is already in source {sid} (a mirror or the same report)")
    number = 1 + max((int(s[1:]) for s in _sources_in(folder)), default=0)
    while True:
        sid = f"r{number:03d}"
        try:
            with open(_meta_path(folder, sid), "x", encoding="utf-8") as fh:
                json.dump({"id": sid, "query": query, "url": url, "title": title, "genre": genre,
                           "split": split_of(url)}, fh, ensure_ascii=False, indent=1)
            break
        except FileExistsError:
            number += 1
    (folder / f"{sid}.txt").write_text(excerpt, encoding="utf-8")
    return sid


def show(folder: Path, sid: str) -> str:
    text = _read_text(folder, sid)
    if text is None:
        raise ValueError(f"{sid}.txt is not in {folder}")
    lines, n = [], 0
    labels = _labels(folder, sid)
    for block in split_blocks(text):
        if block.kind == "heading":
            lines.append(f"   [标题] {block.text}")
        else:
            n += 1
            got = labels.get(str(n))
            tag = "" if got is None else f"  => {','.join(got) or 'none'}"
            lines.append(f"{n:>3}. {block.text}{tag}")
    return "\n".join(lines)


def _labels(folder: Path, sid: str) -> dict[str, list[str]]:
    path = folder / f"{sid}.labels.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def set_labels(folder: Path, sid: str, assignments: list[str]) -> None:
    """``N=a,b`` per paragraph (``N=`` for none)."""
    text = _read_text(folder, sid)
    if text is None:
        raise ValueError(f"{sid}.txt is not in {folder}")
    count = sum(b.kind == "text" for b in split_blocks(text))
    labels = _labels(folder, sid)
    for item in assignments:
        number, _, names = item.partition("=")
        if not number.isdigit() or not 1 <= int(number) <= count:
            raise ValueError(f"{item}: paragraph numbers run from 1 to {count}")
        chosen = [n.strip() for n in names.split(",") if n.strip() and n.strip() != "none"]
        unknown = [n for n in chosen if n not in LABELS]
        if unknown:
            raise ValueError(f"{item}: unknown label {unknown}; use {', '.join(LABELS)} or nothing")
        labels[str(int(number))] = sorted(set(chosen), key=LABELS.index)
    (folder / f"{sid}.labels.json").write_text(json.dumps(labels, ensure_ascii=False), encoding="utf-8")


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def write_manifest(folder: Path, path: Path = MANIFEST) -> tuple[int, int]:
    """The committed manifest from the working folder: sources fully labelled only."""
    out = ["# The real-text evaluation set: how to rebuild it (see bench/realtext.py).",
           "# Texts are third-party and not here: only queries, URLs, fingerprints and our labels.",
           ""]
    sources = paragraphs = 0
    for sid in _sources_in(folder):
        meta = json.loads(_meta_path(folder, sid).read_text(encoding="utf-8"))
        text = _read_text(folder, sid) or ""
        blocks = [b for b in split_blocks(text) if b.kind == "text"]
        labels = _labels(folder, sid)
        if not blocks or len(labels) != len(blocks):
            continue
        sources += 1
        out += ["[[sources]]", f"id = {_toml_str(sid)}", f"split = {_toml_str(meta['split'])}",
                f"genre = {_toml_str(meta.get('genre', ''))}", f"query = {_toml_str(meta['query'])}",
                f"url = {_toml_str(meta['url'])}", f"title = {_toml_str(meta.get('title', ''))}",
                f"text_sha1 = {_toml_str(hashlib.sha1(text.strip().encode('utf-8')).hexdigest())}",
                "paragraphs = ["]
        for n, block in enumerate(blocks, start=1):
            paragraphs += 1
            names = ", ".join(_toml_str(x) for x in labels[str(n)])
            out.append(f"  {{ fp = {_toml_str(block.fingerprint)}, chars = {len(block.text)}, "
                       f"sha1 = {_toml_str(block.digest)}, labels = [{names}] }},")
        out += ["]", ""]
    path.write_text("\n".join(out), encoding="utf-8")
    return sources, paragraphs


# ---------------------------------------------------------------- rebuilding the set

@dataclass(frozen=True)
class RealParagraph:
    source: str
    index: int
    text: str
    labels: frozenset[str]


@dataclass(frozen=True)
class RealSource:
    id: str
    split: str
    genre: str
    blocks: tuple[Block, ...]
    paragraphs: tuple[RealParagraph, ...]


def load_manifest(path: Path = MANIFEST) -> list[dict]:
    return tomllib.loads(path.read_text(encoding="utf-8")).get("sources", [])


def rebuild(folder: Path, path: Path = MANIFEST) -> tuple[list[RealSource], list[str]]:
    """The labelled sources whose texts are in ``folder``, and a line per problem found.

    A paragraph is matched to its label by fingerprint and length; one whose text differs
    from the labelled one (another hash) is reported and left out, so a page that changed
    since it was labelled cannot carry labels it was not given.
    """
    sources, problems = [], []
    for entry in load_manifest(path):
        text = _read_text(folder, entry["id"])
        if text is None:
            problems.append(f"{entry['id']}: missing ({entry['url']})")
            continue
        blocks = split_blocks(text.strip())
        texts = [b for b in blocks if b.kind == "text"]
        wanted = entry["paragraphs"]
        kept, changed = [], 0
        by_fp: dict[tuple[str, int], list[Block]] = {}
        for block in texts:
            by_fp.setdefault((block.fingerprint, len(block.text)), []).append(block)
        for n, want in enumerate(wanted, start=1):
            candidates = by_fp.get((want["fp"], want["chars"]), [])
            match = next((b for b in candidates if b.digest == want["sha1"]), None)
            if match is None:
                changed += 1
                continue
            kept.append(RealParagraph(entry["id"], n, match.text, frozenset(want["labels"])))
        if changed:
            problems.append(f"{entry['id']}: {changed} of {len(wanted)} paragraphs differ from the labelled text")
        sources.append(RealSource(entry["id"], entry["split"], entry.get("genre", ""), tuple(blocks),
                                  tuple(kept)))
    return sources, problems


def write_second_labels(folders: list[Path], path: Path = SECOND_LABELS) -> int:
    """The second labeller's labels (working folders holding ``<id>.labels.json``), by
    source and paragraph number, for the sources the manifest has."""
    known = {entry["id"]: len(entry["paragraphs"]) for entry in load_manifest()}
    out = ["# A second, independent labelling of the dev split (see bench/realtext.py agreement).", ""]
    count = 0
    for folder in folders:
        for sid in _sources_in(folder):
            labels = _labels(folder, sid)
            if sid not in known or len(labels) != known[sid]:
                continue
            out.append(f"[{sid}]")
            for n in range(1, known[sid] + 1):
                out.append(f'"{n}" = [{", ".join(_toml_str(x) for x in labels[str(n)])}]')
                count += 1
            out.append("")
    path.write_text("\n".join(out), encoding="utf-8")
    return count


def agreement(path: Path = SECOND_LABELS) -> str:
    """Micro-F1 of the second labeller against the manifest's labels, overall and per label."""
    second = tomllib.loads(path.read_text(encoding="utf-8"))
    first = {entry["id"]: entry["paragraphs"] for entry in load_manifest()}
    tp: dict[str, int] = dict.fromkeys(LABELS, 0)
    fp, fn = dict(tp), dict(tp)
    paragraphs = exact = 0
    for sid, numbered in second.items():
        for n, labels_b in numbered.items():
            a, b = set(first[sid][int(n) - 1]["labels"]), set(labels_b)
            paragraphs += 1
            exact += a == b
            for label in a & b:
                tp[label] += 1
            for label in b - a:
                fp[label] += 1
            for label in a - b:
                fn[label] += 1

    def f1(keys) -> float:
        t, p, q = (sum(d[k] for k in keys) for d in (tp, fp, fn))
        return 2 * t / (2 * t + p + q) if t else 0.0

    lines = [f"two labellers on {paragraphs} paragraphs: identical label sets {exact / paragraphs:.3f}, "
             f"micro-F1 {f1(LABELS):.3f} (9 indicators: {f1(LABELS[:9]):.3f})"]
    lines += [f"  {label:<10} F1 {f1((label,)):.3f}  n {tp[label] + fn[label]}" for label in LABELS]
    return "\n".join(lines)


def summary(sources: list[RealSource]) -> str:
    lines = []
    for split in ("train", "dev", "test"):
        chosen = [s for s in sources if s.split == split]
        paras = [p for s in chosen for p in s.paragraphs]
        counts = {name: sum(name in p.labels for p in paras) for name in LABELS}
        none = sum(not p.labels for p in paras)
        lines.append(f"{split:<6} {len(chosen):>4} sources {len(paras):>5} paragraphs, none {none} "
                     + " ".join(f"{k}:{v}" for k, v in counts.items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("add", "show", "label", "manifest", "check", "eval", "status",
                                            "second", "agreement"))
    parser.add_argument("rest", nargs="*")
    parser.add_argument("--dir", default=str(DEFAULT_DIR))
    parser.add_argument("--query", default="")
    parser.add_argument("--url", default="")
    parser.add_argument("--title", default="")
    parser.add_argument("--genre", default="")
    parser.add_argument("--split", default="dev", choices=("train", "dev", "test", "all"))
    parser.add_argument("--errors", action="store_true", help="list wrong paragraphs (not on test)")
    args = parser.parse_args(argv)
    folder = Path(args.dir)
    try:
        if args.command == "add":
            if not args.query or not args.url:
                raise ValueError("--query and --url are required")
            sid = add_source(folder, args.query, args.url, args.title, args.genre, sys.stdin.read())
            print(f"added {sid} (split {split_of(args.url)})")
            print(show(folder, sid))
        elif args.command == "show":
            print(show(folder, args.rest[0]))
        elif args.command == "label":
            set_labels(folder, args.rest[0], args.rest[1:])
            print(show(folder, args.rest[0]))
        elif args.command == "status":
            for sid in _sources_in(folder):
                text = _read_text(folder, sid) or ""
                count = sum(b.kind == "text" for b in split_blocks(text))
                meta = json.loads(_meta_path(folder, sid).read_text(encoding="utf-8"))
                print(f"{sid} {meta['split']:<5} {len(_labels(folder, sid))}/{count} labelled {meta['url'][:70]}")
        elif args.command == "manifest":
            sources, paragraphs = write_manifest(folder)
            print(f"{MANIFEST.name}: {sources} sources, {paragraphs} paragraphs")
        elif args.command == "second":
            print(f"{SECOND_LABELS.name}: {write_second_labels([Path(p) for p in args.rest])} paragraphs")
        elif args.command == "agreement":
            print(agreement())
        elif args.command == "check":
            return _check(folder)
        elif args.command == "eval":
            from bench.realtext_eval import run
            return run(folder, args.split, args.errors)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _check(folder: Path) -> int:
    if not folder.is_dir():
        print(f"The real texts are not there: {folder} does not exist. Fill it with one <id>.txt per "
              f"source of {MANIFEST.name} (the page opening the search tool's pages corpus returns "
              "for the source's query and URL), or pass --dir.")
        return 1
    sources, problems = rebuild(folder)
    for line in problems:
        print(line)
    print(summary(sources))
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
