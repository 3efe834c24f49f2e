"""The warm answer of ``daily-report usage --json``: nothing changed since the same command last ran.

A warm run spends most of its time importing (typer, pydantic, genai-prices, orjson), not working. This
module answers before any of them is imported, from two small tables beside the file index:

- ``quick_ctx``: keyed by everything that decides the configuration (the config file's path and bytes,
  ``--tz``, the environment the default config and the system zone come from, the code of the readers,
  the usage package, the config loader and the CLI, and the installed genai-prices files); it holds the
  configured roots (device, agent, path) in config order and the time zone's name;
- ``quick_out``: keyed by that context, the days asked for, and every discovered file's path, size, mtime,
  device and agent; it holds exactly what the full path printed and its skipped-lines warning.

The full path (``usage_cmd``) writes both after printing, only when its result was cacheable. Here, the
roots are discovered again (stat only) and the answer is printed only when every key matches; anything
unusual (another option, a bad date, no row, an unreadable root) falls back to the full path, which
handles and reports it. Only ``json``, ``sqlite3`` and ``hashlib`` are imported beyond the discovery.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
import time
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple

from pipeline.paths import user_cache_dir
from pipeline.sources.files import SourceFile

QUICK_FORMAT = "usage-quick-1"
_VALUE_OPTS = ("--date", "--since", "--until", "--config", "--tz")
_PKG = Path(__file__).resolve().parent.parent  # pipeline/
_CODE_DIRS = (_PKG / "sources", _PKG / "usage", _PKG.parent / "schemas")
_CODE_FILES = [_PKG / name for name in ("pricing.py", "config.py", "paths.py", "cli.py")]
_CODE_FILES.append(_PKG / "commands" / "usage_cmd.py")
_KEEP = 200


class Request(NamedTuple):
    """The options of one ``usage`` command line."""

    date: str | None = None
    since: str | None = None
    until: str | None = None
    config: str | None = None
    tz: str | None = None
    as_json: bool = False


def parse_args(argv: Sequence[str]) -> Request | None:
    """``usage`` with only its known options, each at most once and non-empty; else None."""
    if not argv or argv[0] != "usage":
        return None
    values: dict[str, str] = {}
    as_json = False
    i = 1
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--json":
            as_json = True
            continue
        name, eq, value = arg.partition("=")
        if name not in _VALUE_OPTS or name in values:
            return None
        if not eq:
            if i >= len(argv):
                return None
            value = argv[i]
            i += 1
        if not value or value.startswith("-"):
            return None
        values[name] = value
    get = values.get
    return Request(get("--date"), get("--since"), get("--until"), get("--config"), get("--tz"), as_json)


def days_of(req: Request, zone_name: str) -> tuple[date, date] | None:
    """The days the full path would report, or None where it would fail (it says why)."""
    try:
        if req.since or req.until:
            if req.date:
                return None
            first = date.fromisoformat(req.since or req.until or "")
            last = date.fromisoformat(req.until or req.since or "")
            return None if last < first else (first, last)
        if req.date:
            day = date.fromisoformat(req.date)
        else:
            from zoneinfo import ZoneInfo

            day = datetime.now(ZoneInfo(zone_name)).date()
    except ValueError:
        return None
    return day, day


def find_config(option: str | None) -> Path | None:
    """The config file ``pipeline.config.find_config`` picks (tests keep the two equal); raises
    FileNotFoundError where it raises ConfigError."""
    if option is not None:
        path = Path(option)
        if not path.is_file():
            raise FileNotFoundError(option)
        return path
    env = os.environ.get("DAILY_REPORT_CONFIG")
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise FileNotFoundError(env)
        return path
    local = Path.cwd() / "daily-report.toml"
    return local if local.is_file() else None


def _digest(parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def code_digest() -> str:
    """The code that decides a usage answer, and the installed price tables (by file size and mtime)."""
    h = hashlib.sha1()
    paths = sorted(p for d in _CODE_DIRS for p in d.glob("*.py")) + _CODE_FILES
    for p in paths:
        h.update(p.name.encode())
        h.update(p.read_bytes())
    h.update(prices_stamp().encode())
    return h.hexdigest()


def prices_stamp() -> str:
    """The installed genai-prices, by its files' names, sizes and mtimes: no ``importlib.metadata`` import
    (a tenth of a warm run) and no metadata lookup."""
    from importlib.util import find_spec

    spec = find_spec("genai_prices")
    h = hashlib.sha1()
    for loc in list(spec.submodule_search_locations or []) if spec else []:
        for name in sorted(os.listdir(loc)):
            if name.endswith(".py"):
                st = os.stat(os.path.join(loc, name))
                h.update(f"{name}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    return h.hexdigest()


def context_key(config_option: str | None, tz_option: str | None) -> str:
    """Everything that decides the loaded configuration and the zone (FileNotFoundError as above)."""
    config = find_config(config_option)
    env = {k: os.environ.get(k) for k in ("HOME", "CLAUDE_CONFIG_DIR", "TZ")}
    parts: list[object] = [QUICK_FORMAT, code_digest(), tz_option, env, os.path.realpath("/etc/localtime")]
    if config is not None:
        parts += [str(config.resolve()), hashlib.sha256(config.read_bytes()).hexdigest()]
    else:
        import socket

        xdg = (Path.home() / ".config" / "claude" / "projects").is_dir()
        parts += [None, socket.gethostname(), xdg]
    return _digest(parts)


def files_digest(files: Sequence[SourceFile]) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(f"{f.path}\0{f.size}\0{f.mtime_ns}\0{f.device}\0{f.agent}\n".encode())
    return h.hexdigest()


def out_key(context: str, *, days: tuple[date, date], ranged: bool, files: Sequence[SourceFile]) -> str:
    return _digest([context, days[0].isoformat(), days[1].isoformat(), ranged, files_digest(files)])


def _db_path() -> Path:
    return user_cache_dir() / "index.sqlite3"


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=30.0, isolation_level=None)
    db.execute("PRAGMA busy_timeout=30000")
    return db


def _lookup(db: sqlite3.Connection, table: str, key: str) -> tuple[object, ...] | None:
    try:
        row = db.execute(f"SELECT * FROM {table} WHERE key = ?", (key,)).fetchone()
    except sqlite3.OperationalError:  # no such table yet
        return None
    return None if row is None else tuple(row)


def answer(argv: Sequence[str]) -> bool:
    """Print the warm answer of ``usage --json`` and return True; False when the full path must run."""
    req = parse_args(argv)
    path = _db_path()
    if req is None or not req.as_json or not path.is_file():
        return False
    try:
        context = context_key(req.config, req.tz)
    except OSError:
        return False
    db = _connect(path)
    try:
        got = _quick_answer(db, req, context)
    except sqlite3.Error:
        return False
    finally:
        db.close()
    if got is None:
        return False
    stdout, warnings = got
    if warnings:
        import logging

        from pipeline.log import warn

        logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s", stream=sys.stderr)
        for message in warnings:
            warn(message)
    sys.stdout.write(stdout)
    return True


def _quick_answer(db: sqlite3.Connection, req: Request, context: str) -> tuple[str, list[str]] | None:
    from pipeline.errors import DailyReportError
    from pipeline.sources.discovery import discover_roots

    ctx = _lookup(db, "quick_ctx", context)
    if ctx is None:
        return None
    stored = json.loads(str(ctx[2]))
    days = days_of(req, stored["zone"])
    if days is None:
        return None
    roots = [(device, agent, Path(root)) for device, agent, root in stored["roots"]]
    try:
        found = discover_roots(roots, emit=False)
    except DailyReportError:
        return None
    key = out_key(context, days=days, ranged=bool(req.since or req.until), files=found.files)
    out = _lookup(db, "quick_out", key)
    if out is None:
        return None
    warning = out[3]
    return str(out[2]), [*found.warnings, *([str(warning)] if warning else [])]


def remember(
    *,
    config_option: str | None,
    tz_option: str | None,
    roots: Sequence[tuple[str, str, Path]],
    zone_name: str,
    days: tuple[date, date],
    ranged: bool,
    files: Sequence[SourceFile],
    stdout: str,
    warning: str | None,
) -> None:
    """Store what the full path printed, for the next identical run (see the module doc)."""
    context = context_key(config_option, tz_option)
    ctx = json.dumps({"roots": [[d, a, str(r)] for d, a, r in roots], "zone": zone_name})
    key = out_key(context, days=days, ranged=ranged, files=files)
    path = _db_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    db = _connect(path)
    try:
        from pipeline.usage.index import wal_mode

        wal_mode(db)
        for table, data in (("quick_ctx", "data TEXT"), ("quick_out", "stdout TEXT, warning TEXT")):
            db.execute(f"CREATE TABLE IF NOT EXISTS {table} (key TEXT PRIMARY KEY, created REAL, {data})")
        db.execute("BEGIN IMMEDIATE")
        now = time.time()
        db.execute("INSERT OR REPLACE INTO quick_ctx VALUES (?, ?, ?)", (context, now, ctx))
        db.execute("INSERT OR REPLACE INTO quick_out VALUES (?, ?, ?, ?)", (key, now, stdout, warning))
        for table in ("quick_ctx", "quick_out"):
            db.execute(
                f"DELETE FROM {table} WHERE key NOT IN "
                f"(SELECT key FROM {table} ORDER BY created DESC LIMIT ?)",
                (_KEEP,),
            )
        db.execute("COMMIT")
    finally:
        db.close()
