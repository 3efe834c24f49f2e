"""Finding Gemini CLI chat files under a root (FORMAT.md §1).

A root is a Gemini home (``~/.gemini``, holding ``tmp/``) or its ``tmp/`` itself. Main chats are
``tmp/<project folder>/chats/session-*.json`` or ``.jsonl``; subagent chats (2026-03+) are
``chats/<parent session id>/<id>.json[l]``. When ``X.json`` and ``X.jsonl`` sit side by side, the
``.jsonl`` is the resumed copy of the ``.json`` (the CLI copies the whole record into it) and wins.
``logs.json`` and ``checkpoint-*.json`` are not transcripts and are never listed.
"""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.sources.files import SourceFile
from pipeline.sources.gemini import AGENT

_SUFFIXES = (".json", ".jsonl")


def tmp_dir(root: Path) -> Path | None:
    """The ``tmp/`` holding the project folders, or None when ``root`` has none."""
    root = root.expanduser()
    if root.name == "tmp" and root.is_dir():
        return root
    return root / "tmp" if (root / "tmp").is_dir() else None


def find_chat_files(root: Path, *, device: str, user: str | None = None) -> list[SourceFile]:
    """Every chat file under ``root``, sorted by path; raises OSError when ``tmp/`` cannot be listed."""
    tmp = tmp_dir(root)
    if tmp is None:
        return []
    out: list[SourceFile] = []
    for folder in sorted(_subdirs(tmp)):
        chats = folder / "chats"
        if not chats.is_dir():
            continue
        out += _chats_in(chats, root=root, device=device, user=user)
    return out


def _subdirs(path: Path) -> list[Path]:
    with os.scandir(path) as it:
        return [Path(e.path) for e in it if e.is_dir(follow_symlinks=False)]


def _chats_in(chats: Path, *, root: Path, device: str, user: str | None) -> list[SourceFile]:
    try:
        entries = sorted(os.scandir(chats), key=lambda e: e.name)
    except PermissionError:
        return []
    out: list[SourceFile] = []
    names = {e.name for e in entries}
    for entry in entries:
        name = entry.name
        if entry.is_dir(follow_symlinks=False):
            out += _subagent_chats(Path(entry.path), root=root, device=device, user=user)
        elif name.startswith("session-") and name.endswith(_SUFFIXES):
            if name.endswith(".json") and name + "l" in names:
                continue  # resumed into the .jsonl beside it
            out.append(_source(Path(entry.path), root=root, device=device, user=user))
    return out


def _subagent_chats(parent_dir: Path, *, root: Path, device: str, user: str | None) -> list[SourceFile]:
    try:
        names = sorted(os.listdir(parent_dir))
    except OSError:
        return []
    return [
        _source(parent_dir / n, root=root, device=device, user=user, parent=parent_dir.name)
        for n in names
        if n.endswith(_SUFFIXES) and not (n.endswith(".json") and n + "l" in names)
    ]


def _source(
    path: Path, *, root: Path, device: str, user: str | None, parent: str | None = None
) -> SourceFile:
    st = path.stat()
    return SourceFile(
        path=path,
        agent=AGENT,
        device=device,
        root=root,
        user=user,
        kind="subagent" if parent else "main",
        parent_session_id=parent,
        size=st.st_size,
        mtime_ns=st.st_mtime_ns,
    )
