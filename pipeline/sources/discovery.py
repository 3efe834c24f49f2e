"""Finding transcript files under each device's roots, device by device in config order.

Claude roots hold ``projects/`` (or are a ``projects/`` dir): ``projects/**/*.jsonl`` including
``<session>/subagents/agent-*.jsonl`` and old ``agent-*.jsonl`` beside the sessions. Codex roots hold
``sessions/`` (or are one): ``rollout-*.jsonl``, ``.jsonl.zst`` (a plain sibling wins) and old
``rollout-*.json``; ``archived_sessions/`` too, where the active ``sessions/`` copy wins.

The walk uses ``os.scandir`` (one ``stat`` per file, no per-file path resolution) and does what
``Path.rglob`` does: symlinked files are taken, symlinked directories are not entered, an unreadable
subdirectory is passed over. This module imports neither pydantic nor the readers, so that a warm
``usage`` run can list the files cheaply.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import NoSourcesError
from pipeline.sources.files import Agent, DiscoveryResult, SourceFile

if TYPE_CHECKING:
    from schemas.config import Config

_SKIP_NAMES = frozenset({"journal.jsonl", "history.jsonl", "sessions-index.json"})
_HOME_PARENTS = frozenset({"home", "Users", "users"})

Root = tuple[str, Agent, Path]  # (device, agent, root dir) in config order
Found = tuple[Path, str, str | None, os.stat_result, str]  # (path, kind, parent session, stat, real path)


def config_roots(config: Config) -> list[Root]:
    """Every configured root, device by device in config order (Claude roots before Codex roots)."""
    out: list[Root] = []
    for device in config.devices.values():
        for agent, roots in (("claude_code", device.claude), ("codex", device.codex)):
            out += [(device.name, agent, Path(root).expanduser()) for root in roots]  # type: ignore[misc]
    return out


def discover(config: Config) -> DiscoveryResult:
    """Every transcript file of every configured device; unreadable roots become warnings."""
    roots = config_roots(config)
    # without a config, roots that all do not exist are said once, in the error (no warning per root)
    quiet = config.source is None and not any(root.is_dir() for _, _, root in roots)
    return discover_roots(roots, hint=fix_hint(config), emit=not quiet)


def fix_hint(config: Config) -> str:
    """What to do when no root can be read: fix the config in use, or make one (there is none yet)."""
    if config.source is not None:
        return f"check the [devices] paths in {config.source}"
    return (
        "no daily-report.toml is in use and this machine's default roots hold no transcripts: run "
        "`daily-report init` to write one (or pass --config FILE)"
    )


def discover_roots(roots: Sequence[Root], *, emit: bool = True, hint: str | None = None) -> DiscoveryResult:
    """``discover`` over roots given directly; with ``emit=False`` warnings are only collected."""
    result = DiscoveryResult()
    seen: set[str] = set()
    for device, agent, root in roots:
        _scan_root(result, seen, agent=agent, device=device, root=root, emit=emit)
    if result.roots_read == 0:
        if not roots:
            raise NoSourcesError("no transcript roots configured: add [devices.NAME] claude/codex paths")
        raise NoSourcesError(
            f"none of the {len(roots)} transcript roots could be read ({'; '.join(result.warnings[:3])}); "
            + (hint or "check the [devices] paths of the configuration")
        )
    return result


def _scan_root(
    result: DiscoveryResult, seen: set[str], *, agent: Agent, device: str, root: Path, emit: bool
) -> None:
    base = _base_dir(root, agent)
    if base is None:
        msg = f"{agent} root {root} does not exist or holds no {'projects/' if agent == 'claude_code' else 'sessions/'}"
        if not root.is_dir():
            msg = f"{agent} root {root} does not exist or cannot be read"
        if root.exists() and not os.access(root, os.R_OK | os.X_OK):
            result.unread.append((str(root), "permission denied"))
        _warning(result, msg, emit)
        return
    try:
        found = list(
            _claude_files(base, result.unread)
            if agent == "claude_code"
            else _codex_files(base, result.unread)
        )
    except OSError as e:
        result.unread.append((str(root), e.strerror or str(e)))
        _warning(result, f"{agent} root {root} cannot be read: {e.strerror or e}", emit)
        return
    result.roots_read += 1
    user = guess_user(root)
    for path, kind, parent, st, real in found:
        if real in seen:
            continue
        seen.add(real)
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
                real_name=_real_name(path, real),
            )
        )


def _real_name(path: Path, real: str) -> str | None:
    """The name of the file a symlink points to, when it is another name (its session id)."""
    name = os.path.basename(real)
    return name if name != path.name else None


def _warning(result: DiscoveryResult, msg: str, emit: bool) -> None:
    result.warnings.append(msg)
    if emit:
        from pipeline.log import warn  # logging is imported only when there is something to say

        warn(msg)


Walked = tuple[tuple[str, ...], os.stat_result, str]  # (path parts below the top, stat, resolved path)


def _walk(
    top: Path, match: str, *, prefix: bool, unread: list[tuple[str, str]] | None = None
) -> list[Walked]:
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


def _claude_files(projects: Path, unread: list[tuple[str, str]] | None = None) -> Iterator[Found]:
    """Classified by the parts below projects/ (``path.parent.name`` is ``parts[-2]``, or the name of
    projects/ itself for a file directly in it)."""
    above = (projects.parent.name, projects.name)
    for parts, st, real in _walk(projects, ".jsonl", prefix=False, unread=unread):
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
    import orjson

    try:
        with path.open("rb") as f:
            line = f.readline(1 << 20)
        value = orjson.loads(line)
    except (OSError, orjson.JSONDecodeError):
        return None
    sid = value.get("sessionId") if isinstance(value, dict) else None
    return sid if isinstance(sid, str) else None


def _codex_files(base: Path, unread: list[tuple[str, str]] | None = None) -> Iterator[Found]:
    dirs = (
        [base]
        if base.name in ("sessions", "archived_sessions")
        else [base / "sessions", base / "archived_sessions"]
    )
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


def _rollouts(d: Path, unread: list[tuple[str, str]] | None = None) -> list[tuple[Path, os.stat_result, str]]:
    out = []
    for parts, st, real in _walk(d, "rollout-", prefix=True, unread=unread):
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
