"""A file index beside the LLM cache: (path, size, mtime_ns) → that file's usage, so a warm run reads no
unchanged transcript again.

SQLite in WAL mode with a busy timeout, so two runs at once are safe. Values are compact orjson: the
file's time range and skipped lines, and its events as rows of UsageEvent field values (the fields one
file shares, such as its path, stored once). Events are stored already reduced per
dedup key within the file (the best line, with the first line's timestamp): the global rule gives the same
result on the reduced events as on all lines (see dedup.py), and the index stays small.
Any change to the code that produces an entry (readers, reduction, event shape) or to ``FORMAT``
invalidates every entry.
"""

from __future__ import annotations

import functools
import hashlib
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import daily_report.sources.agents as agents
import orjson
from daily_report.core.paths import SCHEMAS_DIR, user_cache_dir
from daily_report.schemas.transcript import SkippedLines
from daily_report.sources.types import FileUsage, SourceFile, UsageRows
from daily_report.usage.dedup import SYNTHETIC
from daily_report.usage.events import FIELDS, SESSION_INDEX, TS_INDEX, Ev, from_event

FORMAT = "usage-index-4"


@dataclass
class FileEvents:
    """One file's usage as the index keeps it: light events, already reduced per dedup key."""

    path: str
    start: datetime | None
    end: datetime | None
    skipped: SkippedLines
    events: list[Ev] = field(default_factory=list)


def code_hash(paths: Iterable[Path]) -> str:
    """Hash of source files: a code change (a reader fix, a new rule) invalidates what they produced."""
    h = hashlib.sha1()
    for p in sorted(paths):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


_PKG = Path(__file__).resolve().parent.parent  # pipeline/
# What decides a file's stored usage: the readers, the per-file reduction, the event shape.
INDEX_CODE = [
    *(_PKG / "sources").rglob("*.py"),
    _PKG / "usage" / "index.py",
    _PKG / "usage" / "dedup.py",
    _PKG / "usage" / "rules.py",
    _PKG / "usage" / "events.py",
    SCHEMAS_DIR / "transcript.py",
]


@functools.cache
def _version() -> str:
    return hashlib.sha1(f"{FORMAT}|{code_hash(INDEX_CODE)}|{','.join(FIELDS)}".encode()).hexdigest()[:16]


def default_index_path() -> Path:
    return user_cache_dir() / "index.sqlite3"


def reduce_file(fu: FileUsage) -> FileEvents:
    """The file's events reduced per dedup key (equivalent under the global rule; see the module doc)."""
    evs = [from_event(e) for e in fu.events if e.model != SYNTHETIC]
    events = agents.agent_named(fu.agent).dedup(evs)
    return FileEvents(path=fu.path, start=fu.start, end=fu.end, skipped=fu.skipped, events=events)


def reduce_rows(ur: UsageRows) -> FileEvents:
    """``reduce_file`` over the fast path's plain rows (no pydantic object per event; the rows never hold
    ``<synthetic>`` lines: the scan leaves them out)."""
    evs = list(map(Ev._make, ur.rows))
    events = agents.agent_named(ur.agent).dedup(evs)
    return FileEvents(path=ur.path, start=ur.start, end=ur.end, skipped=ur.skipped, events=events)


# Fields that are usually one value for a whole file: stored once in the head when they are.
_AGENT = 0  # and session_id, device, source_path: the last three (from SESSION_INDEX)


def encode(fe: FileEvents) -> bytes:
    """The file's head and events; when every event has the same agent, session, device and path (as
    almost every file does) those are stored once (``common``) and each event holds only the rest."""
    head: dict[str, Any] = {"path": fe.path, "start": fe.start, "end": fe.end}
    head["skipped"] = fe.skipped.model_dump(mode="json")
    events = fe.events
    shared = {(e[_AGENT], *e[SESSION_INDEX:]) for e in events}
    if len(shared) == 1:
        head["common"] = next(iter(shared))
        return orjson.dumps({"head": head, "events": [e[_AGENT + 1 : SESSION_INDEX] for e in events]})
    return orjson.dumps({"head": head, "events": [tuple(e) for e in events]})


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def decode(blob: bytes) -> FileEvents:
    data = orjson.loads(blob)
    head: dict[str, Any] = data["head"]
    events = []
    parse = datetime.fromisoformat
    make = Ev._make
    common = head.get("common")
    if common is not None:
        agent, *tail = common
        ts = TS_INDEX - 1  # the rows start after the agent
        for row in data["events"]:
            row[ts] = parse(row[ts])
            events.append(make((agent, *row, *tail)))
    else:
        for row in data["events"]:
            row[TS_INDEX] = parse(row[TS_INDEX])
            events.append(make(row))
    return FileEvents(
        path=head["path"],
        start=_dt(head["start"]),
        end=_dt(head["end"]),
        skipped=SkippedLines.model_validate(head["skipped"]),
        events=events,
    )


def wal_mode(db: sqlite3.Connection, *, tries: int = 300) -> None:
    """Switch a connection's database to WAL. Two processes creating the database at once can get "database
    is locked" here without the busy timeout being honoured, so the switch is retried (up to ~30 s)."""
    for _ in range(tries - 1):
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e):
                raise
            time.sleep(0.1)
    db.execute("PRAGMA journal_mode=WAL")


class UsageIndex:
    """Open with ``with UsageIndex(path) as idx``; lookups by SourceFile, writes in one transaction."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_index_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.version = _version()
        self.db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        wal_mode(self.db)
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA busy_timeout=30000")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS file_usage_v3 (path TEXT PRIMARY KEY, size INTEGER NOT NULL, "
            "mtime_ns INTEGER NOT NULL, version TEXT NOT NULL, start_ts REAL, end_ts REAL, data BLOB NOT NULL)"
        )
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS report_memo (key TEXT PRIMARY KEY, created REAL, data BLOB)"
        )

    def __enter__(self) -> UsageIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def get_blobs(
        self, files: Iterable[SourceFile], *, lo: float | None = None, hi: float | None = None
    ) -> tuple[dict[str, bytes], set[str]]:
        """Blobs of the unchanged files (same size and mtime) whose time span meets [lo, hi] (POSIX
        seconds; files without times always do), and the paths of unchanged files outside it (not loaded)."""
        wanted = {str(f.path): (f.size, f.mtime_ns) for f in files}
        lo = float("-inf") if lo is None else lo
        hi = float("inf") if hi is None else hi
        blobs: dict[str, bytes] = {}
        outside: set[str] = set()
        cur = self.db.execute(
            "SELECT path, size, mtime_ns, CASE WHEN start_ts IS NULL OR end_ts IS NULL "
            "OR (end_ts >= ? AND start_ts <= ?) THEN data END FROM file_usage_v3 WHERE version = ?",
            (lo, hi, self.version),
        )
        for path, size, mtime_ns, data in cur:
            if wanted.get(path) == (size, mtime_ns):
                if data is None:
                    outside.add(path)
                else:
                    blobs[path] = data
        return blobs, outside

    def put_blobs(self, items: Iterable[tuple[SourceFile, bytes, float | None, float | None]]) -> None:
        """Store (file, blob, start, end) rows; start and end are POSIX seconds or None."""
        rows = [(str(f.path), f.size, f.mtime_ns, self.version, a, b, blob) for f, blob, a, b in items]
        if not rows:
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.executemany("INSERT OR REPLACE INTO file_usage_v3 VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def get_memo(self, key: str) -> bytes | None:
        row = self.db.execute("SELECT data FROM report_memo WHERE key = ?", (key,)).fetchone()
        return None if row is None else bytes(row[0])

    def put_memo(self, key: str, data: bytes, *, keep: int = 200) -> None:
        """Store a memo; only the newest ``keep`` are kept (each is a few KB)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute("INSERT OR REPLACE INTO report_memo VALUES (?, ?, ?)", (key, time.time(), data))
            self.db.execute(
                "DELETE FROM report_memo WHERE key NOT IN "
                "(SELECT key FROM report_memo ORDER BY created DESC LIMIT ?)",
                (keep,),
            )
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
