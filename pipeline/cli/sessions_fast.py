"""``daily-report sessions --date D --json`` answered from a memo when nothing changed (before typer,
pydantic or any reader is imported), and stored by the full path after it prints.

The key is the usage memo's context (``daily_report.usage.quick.context_key``: the config file's path and
bytes, ``--tz``, the environment, the code of the readers, the usage package and this command) plus the
date and every discovered file's path, size, mtime, device and agent: a file that grew, appeared or went
away is a miss, and the full path answers. The stored answer is the full path's stdout and its warnings
(said again on a hit, so a warm run loses none). It lives in ``sessions.sqlite3`` in the user cache dir.

A miss goes through the full path, which answers unchanged sessions from the session-stats index
(``daily_report.usage.session_index``).
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

FORMAT = "sessions-quick-1"
_KEEP = 100
_VALUE_OPTS = ("--date", "--config", "--tz")


class Request(NamedTuple):
    date: str
    config: str | None
    tz: str | None


def parse_args(argv: Sequence[str]) -> Request | None:
    """``sessions --json --date YYYY-MM-DD`` with at most --config and --tz, each once; else None."""
    if not argv or argv[0] != "sessions":
        return None
    values: dict[str, str] = {}
    as_json = False
    rest = list(argv[1:])
    while rest:
        arg = rest.pop(0)
        if arg == "--json" and not as_json:
            as_json = True
            continue
        name, eq, value = arg.partition("=")
        if name not in _VALUE_OPTS or name in values:
            return None
        if not eq:
            if not rest:
                return None
            value = rest.pop(0)
        if not value:
            return None
        values[name] = value
    day = values.get("--date")
    if not as_json or day is None or len(day) != 10 or day[4] != "-" or day[7] != "-":
        return None  # today/yesterday and anything odd: the full path decides
    return Request(day, values.get("--config"), values.get("--tz"))


def _db_path() -> Path:
    from daily_report.core.paths import user_cache_dir

    return user_cache_dir() / "sessions.sqlite3"


def _context(req: Request) -> str:
    """The usage memo's context, plus the code of every reader package (the usage memo hashes only the
    top level of ``pipeline/sources``; the agent readers live in packages below it)."""
    import hashlib

    from daily_report.usage import quick

    h = hashlib.sha1()
    for path in sorted((Path(__file__).resolve().parent.parent / "sources").rglob("*.py")):
        h.update(path.name.encode() + path.read_bytes())
    return quick._digest([FORMAT, quick.context_key(req.config, req.tz), h.hexdigest()])


def _keys(req: Request, roots: Sequence[tuple[str, str, Path]]) -> tuple[str, str, list[str]] | None:
    """(context key, answer key, discovery warnings), or None when discovery fails."""
    from daily_report.core.errors import DailyReportError
    from daily_report.sources.discovery import discover_roots
    from daily_report.usage import quick

    context = _context(req)
    try:
        found = discover_roots(list(roots), emit=False)
    except DailyReportError:
        return None
    return context, quick._digest([context, req.date, quick.files_digest(found.files)]), found.warnings


def answer(argv: Sequence[str]) -> bool:
    """Print the stored answer of the same ``sessions --json`` and return True; False on any miss."""
    req = parse_args(argv)
    path = _db_path()
    if req is None or not path.is_file():
        return False
    try:
        db = sqlite3.connect(path, timeout=30.0)
        try:
            return _answer(db, req)
        finally:
            db.close()
    except (OSError, sqlite3.Error, ValueError):
        return False
    except Exception as exc:  # a config that no longer loads, etc.: the full path says it properly
        from daily_report.core.errors import DailyReportError

        if isinstance(exc, DailyReportError):
            return False
        raise


def _answer(db: sqlite3.Connection, req: Request) -> bool:

    context = _context(req)
    row = db.execute("SELECT roots FROM ctx WHERE key = ?", (context,)).fetchone()
    if row is None:
        return False
    roots = [(d, a, Path(r)) for d, a, r in json.loads(row[0])]
    keys = _keys(req, roots)
    if keys is None:
        return False
    out = db.execute("SELECT stdout, warnings FROM out WHERE key = ?", (keys[1],)).fetchone()
    if out is None:
        return False
    warnings = [*keys[2], *json.loads(out[1])]
    if warnings:
        from daily_report.cli.usage_fast import _warn_setup
        from daily_report.core.log import warn

        _warn_setup()
        for message in warnings:
            warn(message)
    sys.stdout.write(out[0])
    return True


def remember(
    *,
    date: str,
    config: str | None,
    tz: str | None,
    roots: Sequence[tuple[str, str, Path]],
    stdout: str,
    warnings: list[str],
) -> None:
    """Store what the full path printed (its discovery warnings are found again on a hit)."""
    req = Request(date, config, tz)
    keys = _keys(req, roots)
    if keys is None:
        return
    context, key, found_warnings = keys
    kept = [w for w in warnings if w not in found_warnings]
    path = _db_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=30.0, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS ctx (key TEXT PRIMARY KEY, created REAL, roots TEXT)")
            db.execute(
                "CREATE TABLE IF NOT EXISTS out (key TEXT PRIMARY KEY, created REAL, stdout TEXT, warnings TEXT)"
            )
            now = time.time()
            db.execute("BEGIN IMMEDIATE")
            db.execute(
                "INSERT OR REPLACE INTO ctx VALUES (?, ?, ?)",
                (context, now, json.dumps([[d, a, str(r)] for d, a, r in roots])),
            )
            db.execute("INSERT OR REPLACE INTO out VALUES (?, ?, ?, ?)", (key, now, stdout, json.dumps(kept)))
            for table in ("ctx", "out"):
                db.execute(
                    f"DELETE FROM {table} WHERE key NOT IN (SELECT key FROM {table} ORDER BY created DESC LIMIT ?)",
                    (_KEEP,),
                )
            db.execute("COMMIT")
        finally:
            db.close()
    except sqlite3.DatabaseError:  # not a database: derived data, started afresh next time
        for extra in ("", "-wal", "-shm"):
            Path(f"{path}{extra}").unlink(missing_ok=True)
    except OSError:
        pass  # only a memo: the next run answers in full
