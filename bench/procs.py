"""Processes as the benchmarks see them: a process's resident memory and its descendants
(Linux /proc)."""

from __future__ import annotations

from pathlib import Path


def _field_mb(path: str, name: str) -> float:
    """The ``name:`` line of a /proc file in MB (its figures are kB); 0 once it is gone."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(name):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def rss_mb(pid: int) -> float:
    """The process's resident memory in MB (0 once it is gone)."""
    return _field_mb(f"/proc/{pid}/status", "VmRSS:")


def pss_mb(pid: int) -> float:
    """The process's proportional set size in MB: its resident pages, each shared page counted
    as its share (so the PSS of a tree of forked workers adds up to what they really take,
    where their RSS would count the pages they share once per worker); 0 once it is gone."""
    return _field_mb(f"/proc/{pid}/smaps_rollup", "Pss:")


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children of each of its threads, theirs, and so on)."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        kids = []
        for task in Path(f"/proc/{parent}/task").glob("*"):  # a child belongs to the thread that made it
            try:
                kids += [int(k) for k in (task / "children").read_text().split()]
            except OSError:
                pass
        found += kids
        todo += kids
    return found
