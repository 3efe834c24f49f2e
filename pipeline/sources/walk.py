"""The directory walk every adapter's discovery uses: ``os.scandir``, one ``stat`` per file.

It does what ``Path.rglob`` does: symlinked files are taken, symlinked directories are not entered, an
unreadable subdirectory is passed over. Imports nothing heavy (a warm ``usage`` run lists files with it).
"""

from __future__ import annotations

import os
from pathlib import Path

Found = tuple[Path, str, str | None, os.stat_result, str]  # (path, kind, parent session, stat, real path)
Walked = tuple[tuple[str, ...], os.stat_result, str]  # (path parts below the top, stat, resolved path)


Unread = list[tuple[str, str]]  # (folder, reason) of what could not be listed


def walk(top: Path, match: str, *, prefix: bool, unread: Unread | None = None) -> list[Walked]:
    """Files under ``top`` whose name ends with (or, with ``prefix``, starts with) ``match``, with their
    stat and resolved path, sorted as ``sorted(top.rglob(...))`` would be. The walk never enters a
    symlinked dir, so only a symlinked file needs resolving (``Path.resolve`` per file costs an lstat per
    path component). A folder that cannot be listed goes into ``unread`` with the reason."""
    real_top = os.path.realpath(top)
    found: list[tuple[tuple[str, ...], os.stat_result, str | None]] = []
    stack: list[tuple[str, tuple[str, ...]]] = [(str(top), ())]
    while stack:
        where, rel = stack.pop()
        try:
            with os.scandir(where) as it:
                entries = list(it)
        except PermissionError:
            if unread is not None:
                unread.append((where, "permission denied"))
            continue
        for entry in entries:
            name = entry.name
            if _is_real_dir(entry):
                stack.append((entry.path, (*rel, name)))
            if not (name.startswith(match) if prefix else name.endswith(match)):
                continue
            try:
                if entry.is_file():
                    link = os.path.realpath(entry.path) if entry.is_symlink() else None
                    found.append(((*rel, name), entry.stat(), link))
            except OSError:
                continue  # vanished or a dangling link
    found.sort(key=lambda item: item[0])
    return [(parts, st, link or os.path.join(real_top, *parts)) for parts, st, link in found]


def _is_real_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir() and not entry.is_symlink()
    except OSError:
        return False


def readable_dir(root: Path) -> bool:
    return os.access(root, os.R_OK | os.X_OK) and root.is_dir()
