"""Codex transcripts: the adapter (``adapter.CODEX``), the session and usage readers, and here where Codex
keeps its rollouts (transcript-formats.md §2.1). Light: discovery uses it on the warm ``usage`` path.

A root holds ``sessions/`` (or is one): ``rollout-*.jsonl``, ``.jsonl.zst`` (a plain sibling wins) and old
``rollout-*.json``; ``archived_sessions/`` too, where the active ``sessions/`` copy wins.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from daily_report.sources.walk import Found, Unread, readable_dir, walk

_DIRS = ("sessions", "archived_sessions")


def base_dir(root: Path) -> Path | None:
    """The root itself when it is, or holds, a sessions dir; else None."""
    if not readable_dir(root):
        return None
    if root.name in _DIRS or any((root / d).is_dir() for d in _DIRS):
        return root
    return None


def find_files(base: Path, unread: Unread | None = None) -> Iterator[Found]:
    dirs = [base] if base.name in _DIRS else [base / d for d in _DIRS]
    taken: set[str] = set()
    for d in dirs:
        if not d.is_dir():
            continue
        for path, st, real in _rollouts(d, unread):
            key = _rollout_key(path)
            if key in taken:
                continue  # active sessions/ beats archived_sessions/; .jsonl beats .jsonl.zst
            taken.add(key)
            yield path, "main", None, st, real


def _rollouts(d: Path, unread: Unread | None) -> list[tuple[Path, os.stat_result, str]]:
    out = []
    for parts, st, real in walk(d, "rollout-", prefix=True, unread=unread):
        path = d.joinpath(*parts)
        name = path.name
        if not name.endswith((".jsonl", ".jsonl.zst", ".json")):
            continue
        if name.endswith(".jsonl.zst") and path.with_name(name[: -len(".zst")]).exists():
            continue
        out.append((path, st, real))
    return out


def _rollout_key(path: Path) -> str:
    name = path.name
    return name[: -len(".zst")] if name.endswith(".zst") else name
