"""Finding transcript files under each device's roots, device by device in config order.

Claude roots hold ``projects/`` (or are a ``projects/`` dir): ``projects/**/*.jsonl`` including
``<session>/subagents/agent-*.jsonl`` and old ``agent-*.jsonl`` beside the sessions. Codex roots hold
``sessions/`` (or are one): ``rollout-*.jsonl``, ``.jsonl.zst`` (a plain sibling wins) and old
``rollout-*.json``; ``archived_sessions/`` too, where the active ``sessions/`` copy wins.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import orjson

from pipeline.errors import NoSourcesError
from pipeline.log import warn
from pipeline.sources.types import DiscoveryResult, SourceFile
from schemas.config import Config
from schemas.transcript import Agent

_SKIP_NAMES = frozenset({"journal.jsonl", "history.jsonl", "sessions-index.json"})
_HOME_PARENTS = frozenset({"home", "Users", "users"})


def discover(config: Config) -> DiscoveryResult:
    """Every transcript file of every configured device; unreadable roots become warnings."""
    result = DiscoveryResult()
    seen: set[Path] = set()
    tried = 0
    for device in config.devices.values():
        for agent, roots in (("claude_code", device.claude), ("codex", device.codex)):
            for root in roots:
                tried += 1
                _scan_root(result, seen, agent=agent, device=device.name, root=Path(root).expanduser())  # type: ignore[arg-type]
    if result.roots_read == 0:
        if tried == 0:
            raise NoSourcesError("no transcript roots configured: add [devices.NAME] claude/codex paths")
        raise NoSourcesError(
            f"none of the {tried} transcript roots could be read ({'; '.join(result.warnings[:3])}); "
            "check the [devices] paths in daily-report.toml"
        )
    return result


def _scan_root(result: DiscoveryResult, seen: set[Path], *, agent: Agent, device: str, root: Path) -> None:
    base = _base_dir(root, agent)
    if base is None:
        msg = f"{agent} root {root} does not exist or holds no {'projects/' if agent == 'claude_code' else 'sessions/'}"
        if not root.is_dir():
            msg = f"{agent} root {root} does not exist or cannot be read"
        result.warnings.append(msg)
        warn(msg)
        return
    try:
        found = list(_claude_files(base) if agent == "claude_code" else _codex_files(base))
    except OSError as e:
        msg = f"{agent} root {root} cannot be read: {e.strerror or e}"
        result.warnings.append(msg)
        warn(msg)
        return
    result.roots_read += 1
    user = guess_user(root)
    for path, kind, parent in found:
        real = path.resolve()
        if real in seen:
            continue
        seen.add(real)
        try:
            st = path.stat()
        except OSError:
            continue
        result.files.append(
            SourceFile(
                path=path,
                agent=agent,
                device=device,
                root=root,
                user=user,
                kind=kind,  # type: ignore[arg-type]
                parent_session_id=parent,
                size=st.st_size,
                mtime_ns=st.st_mtime_ns,
            )
        )


def _base_dir(root: Path, agent: Agent) -> Path | None:
    """The projects/ (Claude) or the root holding sessions/ (Codex), or None."""
    if not os.access(root, os.R_OK | os.X_OK) or not root.is_dir():
        return None
    if agent == "claude_code":
        if root.name == "projects":
            return root
        return root / "projects" if (root / "projects").is_dir() else None
    if root.name in ("sessions", "archived_sessions"):
        return root
    if (root / "sessions").is_dir() or (root / "archived_sessions").is_dir():
        return root
    return None


def _claude_files(projects: Path) -> Iterator[tuple[Path, str, str | None]]:
    for path in sorted(projects.rglob("*.jsonl")):
        if path.name in _SKIP_NAMES or not path.is_file():
            continue
        if path.parent.name == "subagents":
            if not path.name.startswith("agent-"):
                continue
            yield path, "subagent", path.parent.parent.name
        elif path.name.startswith("agent-"):
            yield path, "subagent", _first_session_id(path)
        elif path.parent.parent == projects:
            yield path, "main", None


def _first_session_id(path: Path) -> str | None:
    """Old-layout subagent files sit beside the sessions: their first line names the parent."""
    try:
        with path.open("rb") as f:
            line = f.readline(1 << 20)
        value = orjson.loads(line)
    except (OSError, orjson.JSONDecodeError):
        return None
    sid = value.get("sessionId") if isinstance(value, dict) else None
    return sid if isinstance(sid, str) else None


def _codex_files(base: Path) -> Iterator[tuple[Path, str, str | None]]:
    dirs = (
        [base]
        if base.name in ("sessions", "archived_sessions")
        else [base / "sessions", base / "archived_sessions"]
    )
    taken: set[str] = set()
    for d in dirs:
        if not d.is_dir():
            continue
        for path in sorted(_rollouts(d)):
            key = _rollout_key(path)
            if key in taken:
                continue  # active sessions/ beats archived_sessions/; .jsonl beats .jsonl.zst
            taken.add(key)
            yield path, "main", None


def _rollouts(d: Path) -> list[Path]:
    out: list[Path] = []
    for path in d.rglob("rollout-*"):
        name = path.name
        if not path.is_file() or not name.endswith((".jsonl", ".jsonl.zst", ".json")):
            continue
        if name.endswith(".jsonl.zst") and path.with_name(name[: -len(".zst")]).exists():
            continue
        out.append(path)
    return out


def _rollout_key(path: Path) -> str:
    name = path.name
    return name[: -len(".zst")] if name.endswith(".zst") else name


def guess_user(root: Path) -> str | None:
    """The user a root belongs to: the dir above ``.claude``/``.codex``/``.config``, or /home/<user>."""
    parts = root.expanduser().parts
    for i, part in enumerate(parts):
        if part in (".claude", ".codex", ".config") and i > 0:
            name = parts[i - 1]
            return name if name not in ("/", "") else None
    for i, part in enumerate(parts[:-1]):
        if part in _HOME_PARENTS:
            return parts[i + 1]
    return None
