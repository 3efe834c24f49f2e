"""Loading `daily-report.toml` into `daily_report.schemas.config.Config`, and resolving the time zone.

Search order: the ``path`` argument (``--config``), then ``$DAILY_REPORT_CONFIG``, then
``./daily-report.toml``. Without any file, each agent's default roots on this machine (its adapter's
``default_roots``: e.g. ``~/.claude`` and ``$CLAUDE_CONFIG_DIR``, ``~/.codex``) form one device named after
the host.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import daily_report.sources.agents as agents
from daily_report.core.errors import ConfigError

if TYPE_CHECKING:  # pydantic, the schemas and zoneinfo load on use: ``find_config`` is light (the warm
    # ``usage --json`` answer uses it before importing any of them)
    from zoneinfo import ZoneInfo

    from daily_report.schemas.config import Config
    from pydantic import ValidationError

CONFIG_ENV = "DAILY_REPORT_CONFIG"
CONFIG_NAME = "daily-report.toml"
_PATH_KEYS = ("cache_path", "out_dir")


def find_config(path: Path | None = None) -> Path | None:
    """The config file to use, or None when there is none. An explicit path must exist (ConfigError).
    Imports nothing heavy: the warm ``usage --json`` answer keys on it."""
    if path is not None:
        if not path.is_file():
            raise ConfigError(f"config file {path} not found (given with --config)")
        return path
    env = os.environ.get(CONFIG_ENV)
    if env:
        p = Path(env).expanduser()
        if not p.is_file():
            raise ConfigError(f"config file {p} not found (from ${CONFIG_ENV})")
        return p
    local = Path.cwd() / CONFIG_NAME
    return local if local.is_file() else None


def load_config(path: Path | None = None, *, tz: str | None = None) -> Config:
    """Read and validate the config; ``tz`` (``--tz``) overrides its ``timezone``."""
    found = find_config(path)
    config = _from_file(found) if found is not None else default_config()
    if tz is not None:
        config.timezone = tz
    if config.timezone is not None:
        resolve_zone(config)  # validate early: a bad name is a ConfigError naming it
    return config


def default_config() -> Config:
    """One device named after this host with every agent's default roots (``Agent.default_roots``): those
    the environment names (e.g. $CLAUDE_CONFIG_DIR), and of those in the home only the ones that exist (a
    Claude-only user is not warned about ~/.codex on every command), unless none does: then discovery
    names them all."""
    from daily_report.schemas.config import Config, DeviceConfig

    home = Path.home()
    found = {a.name: a.default_roots(home, os.environ) for a in agents.AGENTS}
    given = {name: env for name, (env, _) in found.items()}
    homes = {name: [p for p in at_home if p not in given[name]] for name, (_, at_home) in found.items()}
    if any(p.is_dir() for paths in (*given.values(), *homes.values()) for p in paths):
        homes = {name: [p for p in paths if p.is_dir()] for name, paths in homes.items()}
    name = host_name()
    roots = {agent: [*given[agent], *homes[agent]] for agent in found}
    return Config(devices={name: DeviceConfig(name=name, roots=roots)})


def host_name() -> str:
    """Short host name (no domain)."""
    import socket

    return socket.gethostname().split(".")[0] or "localhost"


def resolve_zone(config: Config) -> ZoneInfo:
    """The configured IANA zone, or the system's local zone."""
    if config.timezone:
        return zone_from_name(config.timezone)
    return system_zone()


def zone_from_name(name: str) -> ZoneInfo:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ConfigError(
            f"unknown time zone {name!r}: use an IANA name such as 'Asia/Shanghai' or 'UTC'"
        ) from e


def system_zone() -> ZoneInfo:
    """The local zone: $TZ, then /etc/localtime's target, then UTC."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    env = os.environ.get("TZ", "").lstrip(":")
    if env:
        try:
            return ZoneInfo(env)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    link = Path("/etc/localtime")
    try:
        target = str(link.resolve())
    except OSError:
        target = ""
    if "zoneinfo/" in target:
        try:
            return ZoneInfo(target.split("zoneinfo/", 1)[1])
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ZoneInfo("UTC")


def _from_file(path: Path) -> Config:
    import tomllib

    from daily_report.schemas.config import Config
    from pydantic import ValidationError

    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"config file {path} cannot be read: {e.strerror or e}") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"config file {path} is not valid TOML: {e}") from e
    base = path.resolve().parent
    data = _prepare(raw, base=base, path=path)
    try:
        config = Config.model_validate(data)
    except ValidationError as e:
        raise ConfigError(f"config file {path}: {_first_problem(e)}") from e
    config.source = path.resolve()
    return config


def _prepare(raw: dict[str, Any], *, base: Path, path: Path) -> dict[str, Any]:
    """Fill device names, resolve relative paths against the config's directory, expand ~."""
    from daily_report.schemas.config import (
        ROOT_KEYS,  # pydantic: loaded with the config file, not by find_config
    )

    data = dict(raw)
    devices = data.get("devices", {})
    if not isinstance(devices, dict):
        raise ConfigError(f"config file {path}: [devices] must be a table of device tables")
    out: dict[str, Any] = {}
    for name, dev in devices.items():
        if not isinstance(dev, dict):
            keys = "/".join(ROOT_KEYS)
            raise ConfigError(f"config file {path}: devices.{name} must be a table with {keys} lists")
        dev = dict(dev)
        dev.setdefault("name", name)
        for key in ROOT_KEYS:
            if key in dev:
                roots = dev[key]
                if isinstance(roots, str):
                    roots = [roots]
                if not isinstance(roots, list) or not all(isinstance(r, str) for r in roots):
                    raise ConfigError(f"config file {path}: devices.{name}.{key} must be a list of paths")
                dev[key] = [_resolve(r, base) for r in roots]
        out[name] = dev
    if "devices" in data:
        data["devices"] = out
    for key in _PATH_KEYS:
        if isinstance(data.get(key), str):
            data[key] = _resolve(data[key], base)
    llm = data.get("llm")
    if isinstance(llm, dict) and isinstance(llm.get("replay_dir"), str):
        data["llm"] = {**llm, "replay_dir": _resolve(llm["replay_dir"], base)}
    return data


def _resolve(value: str, base: Path) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else base / p


def _first_problem(e: ValidationError) -> str:
    err = e.errors()[0]
    where = ".".join(str(x) for x in err.get("loc", ()))
    if err.get("type") == "extra_forbidden":
        return f"unknown key {where!r}"
    return f"{where}: {err.get('msg', 'invalid value')}" + (
        f" ({len(e.errors())} problems)" if len(e.errors()) > 1 else ""
    )
