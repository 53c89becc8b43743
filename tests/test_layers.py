"""The code's layers, as the README's "How the code is laid out" draws them: checked on the
import statements of every module (module level and inside functions alike).

- ``bot`` talks to Telegram; nothing else imports ``bot`` or ``telegram``.
- ``kaohe`` holds the use cases; its ``texts`` format their results and are never imported
  by a use case (the use cases return data; the bot turns it into replies).
- ``parsers`` only reads files; ``scoring`` and ``storage`` import no use case.
- No circle of imports among the project's modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "kaohe", "parsers", "scoring", "storage")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports (``from a import b`` counts a.b when that is a module)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in MODULES)
    return out


GRAPH = {name: {i for i in _imports(path) if i in MODULES} for name, path in MODULES.items()}
RAW = {name: _imports(path) for name, path in MODULES.items()}


def _top(name: str) -> str:
    return name.split(".")[0]


def test_only_bot_talks_to_telegram_and_nothing_imports_bot():
    wrong = sorted(f"{m} -> {i}" for m, imps in RAW.items() if _top(m) != "bot"
                   for i in imps if _top(i) in ("bot", "telegram"))
    assert not wrong


def test_use_cases_do_not_import_their_texts():
    wrong = sorted(f"{m} -> {i}" for m, imps in GRAPH.items()
                   if m.startswith("kaohe") and not m.startswith("kaohe.texts")
                   for i in imps if i.startswith("kaohe.texts"))
    assert not wrong


def test_parsers_scoring_and_storage_import_no_use_case():
    wrong = sorted(f"{m} -> {i}" for m, imps in GRAPH.items() if _top(m) in ("parsers", "scoring", "storage")
                   for i in imps if _top(i) == "kaohe")
    assert not wrong
    writers = sorted(f"{m} -> {i}" for m, imps in RAW.items() if _top(m) == "parsers"
                     for i in imps if i.split(".")[0] == "matplotlib" or i.startswith("kaohe.writers"))
    assert not writers  # parsers only read: the report, workbook and charts are kaohe.writers


def test_no_import_circle():
    cycles = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(GRAPH[node]):
            if nxt == node:
                continue
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name)
    assert not cycles, [" -> ".join(c) for c in cycles]


def test_the_bot_crosses_into_threads_in_one_place():
    """Handlers, jobs and the sender call use cases through ``Services.run`` (a bounded pool
    of worker threads), not through their own ``asyncio.to_thread`` each."""
    own = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "bot").rglob("*.py")
                 if "local" not in p.parts and p.name != "app.py" and "to_thread" in p.read_text(encoding="utf-8"))
    assert not own


async def test_a_use_case_runs_on_a_worker_thread(config):
    import threading

    from kaohe.services import Services

    svc = Services(config)
    try:
        name = await svc.run(lambda: threading.current_thread().name)
        assert name.startswith("kaohe") and name != threading.current_thread().name
        assert await svc.run(svc.role_of, min(config.admins)) == "admin"
    finally:
        svc.close()


def test_the_chat_reaches_data_only_through_the_use_cases():
    """Handlers, jobs and the sender call ``kaohe`` (Services, Cycle, Ledger), never the
    database; only the office's command line (backup and restore) uses ``storage`` itself."""
    wrong = []
    for path in (ROOT / "bot").rglob("*.py"):
        if "local" in path.parts or path.name == "manage.py":
            continue
        name = str(path.relative_to(ROOT))
        text = path.read_text(encoding="utf-8")
        if ".store." in text or "svc.store" in text:
            wrong.append(f"{name}: .store")
        parts = path.relative_to(ROOT).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        wrong += [f"{name} -> {i}" for i in RAW[module] if _top(i) == "storage"]
    assert not wrong
