"""Claude Code transcripts: the adapter (``adapter.CLAUDE``), the session and usage readers, and here where
Claude Code keeps its transcripts (transcript-formats.md §1.1) and which session a file is.

A root holds ``projects/`` (or is a ``projects/`` dir): ``projects/**/*.jsonl`` including
``<session>/subagents/agent-*.jsonl`` and old ``agent-*.jsonl`` beside the sessions. Light: discovery
uses it on the warm ``usage`` path, and the index's workers import only this and ``usage``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from daily_report.sources.files import SourceFile
from daily_report.sources.walk import Found, Unread, readable_dir, walk

_SKIP_NAMES = frozenset({"journal.jsonl", "history.jsonl", "sessions-index.json"})


def default_roots(home: Path, env: Mapping[str, str]) -> tuple[list[Path], list[Path]]:
    """($CLAUDE_CONFIG_DIR's dirs, comma-separated; ~/.claude, and ~/.config/claude when it holds projects/)."""
    given = [Path(i.strip()).expanduser() for i in env.get("CLAUDE_CONFIG_DIR", "").split(",") if i.strip()]
    xdg = home / ".config" / "claude"
    return given, [home / ".claude", *([xdg] if (xdg / "projects").is_dir() else [])]


def base_dir(root: Path) -> Path | None:
    """The root's projects/ dir, or None."""
    if not readable_dir(root):
        return None
    if root.name == "projects":
        return root
    return root / "projects" if (root / "projects").is_dir() else None


def find_files(projects: Path, unread: Unread | None = None) -> Iterator[Found]:
    """Classified by the parts below projects/ (``path.parent.name`` is ``parts[-2]``, or the name of
    projects/ itself for a file directly in it)."""
    above = (projects.parent.name, projects.name)
    for parts, st, real in walk(projects, ".jsonl", prefix=False, unread=unread):
        name = parts[-1]
        if name in _SKIP_NAMES:
            continue
        dirs = (*above, *parts[:-1])  # names of the dirs above the file, nearest last
        if dirs[-1] == "subagents":
            if name.startswith("agent-"):
                yield projects.joinpath(*parts), "subagent", dirs[-2], st, real
        elif name.startswith("agent-"):
            path = projects.joinpath(*parts)
            yield path, "subagent", _first_session_id(path), st, real
        elif len(parts) == 2:  # projects/<project>/<session>.jsonl
            yield projects.joinpath(*parts), "main", None, st, real


def _first_session_id(path: Path) -> str | None:
    """Old-layout subagent files sit beside the sessions: their first line names the parent."""
    import orjson  # only for old-layout subagent files: most listings never need it

    try:
        with path.open("rb") as f:
            line = f.readline(1 << 20)
        value = orjson.loads(line)
    except (OSError, orjson.JSONDecodeError):
        return None
    sid = value.get("sessionId") if isinstance(value, dict) else None
    return sid if isinstance(sid, str) else None


def session_id_for(f: SourceFile) -> str:
    """Main files: the file name; subagent files: the parent session (filled from lines when unknown)."""
    if f.kind == "subagent":
        return f.parent_session_id or ""
    return (f.real_name or f.path.name).split(".", 1)[0]  # a symlink: the real file's id
