"""The project a Gemini CLI chat belongs to (FORMAT.md §1, §7.5).

Gemini stores no cwd. The chat's ``projectHash`` is ``sha256(<absolute project root>)``, so a candidate
path proves itself: we hash each absolute path seen in the chat (``directories``, tool arguments, tool
results) and its ancestors, and the one whose hash equals ``projectHash`` is the root. Newer folders are
slugs (``tmp/<slug>/``) mapped in ``~/.gemini/projects.json``, with a ``.project_root`` marker in the
folder; those are read when the hash finds nothing. Last resort: the folder name itself (a slug is the
basename of the project; a hash is just a hash).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import orjson

_ABS_PATH_RE = re.compile(r"(?<![\w.~/-])(/[\w.@+-]+(?:/[\w.@+-]+)*)")
_HASH_RE = re.compile(r"[0-9a-f]{64}")
_MAX_PATHS = 2000  # enough for any session; bounds the work on a huge one


def project_hash(root: str) -> str:
    return hashlib.sha256(root.encode("utf-8")).hexdigest()


def find_project_root(want: str, paths: Iterable[str]) -> str | None:
    """The path (or ancestor of one) whose sha256 is ``want``, trying each distinct path once."""
    if not _HASH_RE.fullmatch(want or ""):
        return None
    tried: set[str] = set()
    for path in paths:
        p = PurePosixPath(path)
        for candidate in (p, *p.parents):
            text = str(candidate)
            if text in tried or text == "/":
                continue
            tried.add(text)
            if project_hash(text) == want:
                return text
            if len(tried) > 20 * _MAX_PATHS:
                return None
    return None


def paths_in(meta: dict[str, Any], messages: Iterable[dict[str, Any]]) -> Iterator[str]:
    """Absolute paths named in the chat: ``directories``, then tool arguments and results, in order."""
    for d in meta.get("directories") or []:
        if isinstance(d, str) and d.startswith("/"):
            yield d
    n = 0
    for msg in messages:
        for call in msg.get("toolCalls") or []:
            if not isinstance(call, dict):
                continue
            for value in (call.get("args"), call.get("result")):
                for text in _strings(value):
                    for m in _ABS_PATH_RE.finditer(text[:20_000]):
                        n += 1
                        yield m.group(1)
                        if n >= _MAX_PATHS:
                            return


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def root_from_folder(folder: Path) -> str | None:
    """A slug folder's project root: its ``.project_root`` marker, else ``<gemini home>/projects.json``."""
    marker = folder / ".project_root"
    try:
        text = marker.read_text(encoding="utf-8").strip()
        if text.startswith("/"):
            return text
    except OSError:
        pass
    registry = folder.parent.parent / "projects.json"  # <home>/tmp/<slug>/ -> <home>/projects.json
    try:
        data = orjson.loads(registry.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    projects = data.get("projects") if isinstance(data, dict) else None
    if isinstance(projects, dict):
        for path, slug in projects.items():
            if slug == folder.name and isinstance(path, str):
                return path
    return None


def resolve_project(
    chat_path: Path, meta: dict[str, Any], messages: list[dict[str, Any]]
) -> tuple[str, str | None]:
    """(project name, project root or None) for a chat file at ``tmp/<folder>/chats/...``."""
    folder = _project_folder(chat_path)
    want = meta.get("projectHash") if isinstance(meta.get("projectHash"), str) else ""
    root = find_project_root(want or (folder.name if folder else ""), paths_in(meta, messages))
    if root is None and folder is not None and not _HASH_RE.fullmatch(folder.name):
        root = root_from_folder(folder)
    if root is not None:
        return PurePosixPath(root).name or root, root
    return (folder.name if folder else "unknown"), None


def _project_folder(chat_path: Path) -> Path | None:
    """``tmp/<folder>`` above ``chats/`` (subagent chats sit one level deeper)."""
    for parent in chat_path.parents:
        if parent.name == "chats":
            return parent.parent
    return None
