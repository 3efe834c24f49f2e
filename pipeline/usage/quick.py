"""The memo of ``daily-report usage --json``'s answer: lookup and store only (the command line is read and
the answer printed in ``daily_report.cli.usage_fast``).

A warm run spends most of its time importing (typer, pydantic, genai-prices, orjson), not working. The
memo answers before any of them is imported, from two small tables beside the file index:

- ``quick_ctx``: keyed by everything that decides the configuration (the config file's path and bytes,
  ``--tz``, the environment the default config and the system zone come from, the code of the readers,
  the usage package, the config loader and the CLI, and the installed genai-prices files); it holds the
  configured roots (device, agent, path) in config order and the time zone's name;
- ``quick_out``: keyed by that context, the days asked for, and every discovered file's path, size, mtime,
  device and agent; it holds exactly what the full path printed and its skipped-lines warning.

The full path writes both after printing, only when its result was cacheable. ``lookup`` discovers the
roots again (stat only) and returns the stored answer only when every key matches; anything unusual (no
row, an unreadable root) is a miss, and the full path handles and reports it. Only ``json``, ``sqlite3``
and ``hashlib`` are imported beyond the discovery.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from daily_report.core.config import find_config
from daily_report.core.errors import DailyReportError
from daily_report.core.paths import SCHEMAS_DIR, user_cache_dir
from daily_report.sources.files import SourceFile

QUICK_FORMAT = "usage-quick-1"
_PKG = Path(__file__).resolve().parent.parent  # pipeline/
_CODE_DIRS = (_PKG / "sources", _PKG / "usage", SCHEMAS_DIR)
_CODE_FILES = [_PKG / "core" / name for name in ("pricing.py", "config.py", "paths.py")]
_CODE_FILES += [_PKG / "cli" / name for name in ("app.py", "usage_cmd.py", "usage_fast.py")]
_KEEP = 200

Days = tuple[date, date]


def _digest(parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def code_digest() -> str:
    """The code that decides a usage answer, and the installed price tables (by file size and mtime)."""
    h = hashlib.sha1()
    paths = sorted(p for d in _CODE_DIRS for pat in ("*.py", "*/*.py") for p in d.glob(pat)) + _CODE_FILES
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
    """Everything that decides the loaded configuration and the zone (ConfigError as ``find_config``)."""
    config = find_config(None if config_option is None else Path(config_option))
    env = {k: os.environ.get(k) for k in ("HOME", "CLAUDE_CONFIG_DIR", "TZ")}
    parts: list[object] = [QUICK_FORMAT, code_digest(), tz_option, env, os.path.realpath("/etc/localtime")]
    if config is not None:
        parts += [str(config.resolve()), hashlib.sha256(config.read_bytes()).hexdigest()]
    else:
        import socket

        import daily_report.sources.agents as agents  # the adapters are light: no reader loads here

        home = Path.home()
        roots = [str(r) for a in agents.AGENTS for group in a.default_roots(home, os.environ) for r in group]
        found = [(r, Path(r).is_dir()) for r in roots]
        parts += [None, socket.gethostname(), found]  # the default roots are the ones that exist
    return _digest(parts)


def files_digest(files: Sequence[SourceFile]) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(f"{f.path}\0{f.size}\0{f.mtime_ns}\0{f.device}\0{f.agent}\n".encode())
    return h.hexdigest()


def out_key(context: str, *, days: Days, ranged: bool, files: Sequence[SourceFile]) -> str:
    return _digest([context, days[0].isoformat(), days[1].isoformat(), ranged, files_digest(files)])


def _db_path() -> Path:
    return user_cache_dir() / "index.sqlite3"


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=30.0, isolation_level=None)
    db.execute("PRAGMA busy_timeout=30000")
    return db


def _row(db: sqlite3.Connection, table: str, key: str) -> tuple[object, ...] | None:
    try:
        row = db.execute(f"SELECT * FROM {table} WHERE key = ?", (key,)).fetchone()
    except sqlite3.OperationalError:  # no such table yet
        return None
    return None if row is None else tuple(row)


def lookup(
    *,
    config_option: str | None,
    tz_option: str | None,
    days_in: Callable[[str], Days | None],
    ranged: bool,
) -> tuple[str, list[str]] | None:
    """The stored stdout and warnings of the same command, or None (a miss). ``days_in(zone name)``: the
    days asked for in the configured zone, or None where the full path must decide."""
    path = _db_path()
    if not path.is_file():
        return None
    try:
        context = context_key(config_option, tz_option)
    except (OSError, DailyReportError):
        return None
    db = _connect(path)
    try:
        return _answer(db, context, days_in=days_in, ranged=ranged)
    except sqlite3.Error:
        return None
    finally:
        db.close()


def _answer(
    db: sqlite3.Connection, context: str, *, days_in: Callable[[str], Days | None], ranged: bool
) -> tuple[str, list[str]] | None:
    from daily_report.sources.discovery import discover_roots

    ctx = _row(db, "quick_ctx", context)
    if ctx is None:
        return None
    stored = json.loads(str(ctx[2]))
    days = days_in(stored["zone"])
    if days is None:
        return None
    roots = [(device, agent, Path(root)) for device, agent, root in stored["roots"]]
    try:
        found = discover_roots(roots, emit=False)
    except DailyReportError:
        return None
    out = _row(db, "quick_out", out_key(context, days=days, ranged=ranged, files=found.files))
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
    days: Days,
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
        from daily_report.usage.index import wal_mode

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
