"""Finding Gemini CLI chat files under a root (FORMAT.md §1).

A root is a Gemini home (``~/.gemini``, holding ``tmp/``) or its ``tmp/`` itself. Main chats are
``tmp/<project folder>/chats/session-*.json`` or ``.jsonl``; subagent chats (2026-03+) are
``chats/<parent session id>/<id>.json[l]``. When ``X.json`` and ``X.jsonl`` sit side by side, the
``.jsonl`` is the resumed copy of the ``.json`` (the CLI copies the whole record into it) and wins.
``logs.json`` and ``checkpoint-*.json`` are not transcripts and are never listed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from daily_report.sources.files import SourceFile
from daily_report.sources.gemini import AGENT
from daily_report.sources.walk import Found, Unread

_SUFFIXES = (".json", ".jsonl")


def tmp_dir(root: Path) -> Path | None:
    """The ``tmp/`` holding the project folders, or None when ``root`` has none."""
    root = root.expanduser()
    if root.name == "tmp" and root.is_dir():
        return root
    return root / "tmp" if (root / "tmp").is_dir() else None


def find_files(tmp: Path, unread: Unread | None = None) -> Iterator[Found]:
    """Every chat file under ``tmp/`` (discovery's form: path, kind, parent session, stat, real path),
    sorted by path; a ``chats/`` that cannot be listed goes into ``unread``; raises OSError when ``tmp/``
    itself cannot be listed."""
    for folder in sorted(_subdirs(tmp)):
        chats = folder / "chats"
        if chats.is_dir():
            yield from _chats_in(chats, unread)


def find_chat_files(root: Path, *, device: str, user: str | None = None) -> list[SourceFile]:
    """``find_files`` under a Gemini home (or its ``tmp/``) as SourceFiles (tools and tests)."""
    tmp = tmp_dir(root)
    if tmp is None:
        return []
    return [
        SourceFile(
            path=path,
            agent=AGENT,
            device=device,
            root=root,
            user=user,
            kind=kind,  # type: ignore[arg-type]
            parent_session_id=parent,
            size=st.st_size,
            mtime_ns=st.st_mtime_ns,
        )
        for path, kind, parent, st, _ in find_files(tmp)
    ]


def _subdirs(path: Path) -> list[Path]:
    with os.scandir(path) as it:
        return [Path(e.path) for e in it if e.is_dir(follow_symlinks=False)]


def _listed(d: Path, unread: Unread | None) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(d) as it:
            return sorted(it, key=lambda e: e.name)
    except PermissionError:
        if unread is not None:
            unread.append((str(d), "permission denied"))
        return []


def _chats_in(chats: Path, unread: Unread | None) -> Iterator[Found]:
    entries = _listed(chats, unread)
    names = {e.name for e in entries}
    for entry in entries:
        name = entry.name
        if entry.is_dir(follow_symlinks=False):
            yield from _subagent_chats(Path(entry.path), unread)
        elif name.startswith("session-") and _is_chat(name, names):
            yield from _found(entry, "main", None)


def _subagent_chats(parent_dir: Path, unread: Unread | None) -> Iterator[Found]:
    entries = _listed(parent_dir, unread)
    names = {e.name for e in entries}
    for entry in entries:
        if _is_chat(entry.name, names):
            yield from _found(entry, "subagent", parent_dir.name)


def _is_chat(name: str, names: set[str]) -> bool:
    """A chat file, unless it is a ``.json`` resumed into the ``.jsonl`` beside it."""
    return name.endswith(_SUFFIXES) and not (name.endswith(".json") and name + "l" in names)


def _found(entry: os.DirEntry[str], kind: str, parent: str | None) -> Iterator[Found]:
    try:
        if not entry.is_file():
            return
        st = entry.stat()
    except OSError:
        return  # vanished, or a dangling link
    path = Path(entry.path)
    yield path, kind, parent, st, os.path.realpath(path)
