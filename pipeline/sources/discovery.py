"""Finding transcript files under each device's roots, device by device in config order, agents in
registry order within a device.

What a root holds and which files in it are transcripts is each agent's own (``Agent.base_dir``,
``Agent.find_files``, walking with ``sources.walk``). This module imports neither pydantic nor the readers,
so that a warm ``usage`` run can list the files cheaply.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import daily_report.sources.agents as agents
from daily_report.core.errors import ConfigError, NoSourcesError
from daily_report.sources.files import DiscoveryResult, SourceFile

if TYPE_CHECKING:
    from daily_report.schemas.config import Config

_HOME_PARENTS = frozenset({"home", "Users", "users"})

Root = tuple[str, str, Path]  # (device, agent name, root dir) in config order


def config_roots(config: Config) -> list[Root]:
    """Every configured root, device by device in config order, agents in registry order within a device.
    Roots of an agent no adapter declares are a ConfigError (never read as another agent's)."""
    out: list[Root] = []
    for device in config.devices.values():
        unknown = sorted(set(device.roots) - {a.name for a in agents.AGENTS})
        if unknown:
            raise ConfigError(f"devices.{device.name}: no adapter reads agent {unknown[0]!r}")
        for agent in agents.AGENTS:
            roots = device.roots.get(agent.name, [])
            out += [(device.name, agent.name, Path(root).expanduser()) for root in roots]
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
            keys = "/".join(a.config_key for a in agents.AGENTS)
            raise NoSourcesError(f"no transcript roots configured: add [devices.NAME] {keys} paths")
        raise NoSourcesError(
            f"none of the {len(roots)} transcript roots could be read ({'; '.join(result.warnings[:3])}); "
            + (hint or "check the [devices] paths of the configuration")
        )
    return result


def _scan_root(
    result: DiscoveryResult, seen: set[str], *, agent: str, device: str, root: Path, emit: bool
) -> None:
    adapter = agents.agent_named(agent)
    base = adapter.base_dir(root)
    if base is None:
        msg = f"{agent} root {root} does not exist or holds no {adapter.root_holds}"
        if not root.is_dir():
            msg = f"{agent} root {root} does not exist or cannot be read"
        if root.exists() and not os.access(root, os.R_OK | os.X_OK):
            result.unread.append((str(root), "permission denied"))
        _warning(result, msg, emit)
        return
    try:
        found = list(adapter.find_files(base, result.unread))
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
        from daily_report.core.log import warn

        warn(msg)


def guess_user(root: Path) -> str | None:
    """The user a root belongs to: the dir above an agent's home dir (``Agent.home_dir``) or ``.config``,
    or /home/<user>."""
    parts = root.expanduser().parts
    homes = (*agents.home_dirs(), ".config")
    for i, part in enumerate(parts):
        if part in homes and i > 0:
            name = parts[i - 1]
            return name if name not in ("/", "") else None
    for i, part in enumerate(parts[:-1]):
        if part in _HOME_PARENTS:
            return parts[i + 1]
    return None
