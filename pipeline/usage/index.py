"""A file index beside the LLM cache: (path, size, mtime_ns) → that file's usage, so a warm run reads no
unchanged transcript again.

SQLite in WAL mode with a busy timeout, so two runs at once are safe. Values are compact orjson: the
FileUsage header and its events as rows of UsageEvent field values. Events are stored already reduced per
dedup key within the file (the best line, with the first line's timestamp): the global rule gives the same
result on the reduced events as on all lines (see dedup.py), and the index stays small.
A change of the UsageEvent fields or of ``FORMAT`` invalidates every entry.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from pipeline.paths import user_cache_dir
from pipeline.sources.types import FileUsage, SourceFile
from pipeline.usage.dedup import dedup_claude, dedup_codex
from schemas.transcript import SkippedLines, UsageEvent

FORMAT = "usage-index-1"
_EVENT_FIELDS = list(UsageEvent.model_fields)
_TS = _EVENT_FIELDS.index("timestamp")


def _version() -> str:
    try:
        from pipeline import sources

        reader = str(getattr(sources, "READER_VERSION", "0"))
    except ImportError:  # pragma: no cover - readers always ship with us
        reader = "0"
    return hashlib.sha1(f"{FORMAT}|{reader}|{','.join(_EVENT_FIELDS)}".encode()).hexdigest()[:16]


def default_index_path() -> Path:
    return user_cache_dir() / "index.sqlite3"


def reduce_file(fu: FileUsage) -> FileUsage:
    """The file's events reduced per dedup key (equivalent under the global rule; see the module doc)."""
    if fu.agent == "claude_code":
        events = dedup_claude(e for e in fu.events if e.model != "<synthetic>")
    else:
        events = dedup_codex(fu.events)
    return fu.model_copy(update={"events": events})


def encode(fu: FileUsage) -> bytes:
    head = fu.model_dump(mode="json", exclude={"events"})
    rows = [[getattr(e, k) for k in _EVENT_FIELDS] for e in fu.events]
    return orjson.dumps({"head": head, "events": rows})


def decode(blob: bytes) -> FileUsage:
    data = orjson.loads(blob)
    head: dict[str, Any] = data["head"]
    events = []
    for row in data["events"]:
        row[_TS] = datetime.fromisoformat(row[_TS])
        events.append(UsageEvent.model_construct(**dict(zip(_EVENT_FIELDS, row, strict=True))))
    skipped = SkippedLines.model_validate(head.pop("skipped"))
    for k in ("start", "end"):
        if head.get(k):
            head[k] = datetime.fromisoformat(head[k])
    return FileUsage.model_construct(**head, skipped=skipped, events=events)


class UsageIndex:
    """Open with ``with UsageIndex(path) as idx``; lookups by SourceFile, writes in one transaction."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_index_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.version = _version()
        self.db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA busy_timeout=30000")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS file_usage (path TEXT PRIMARY KEY, size INTEGER NOT NULL, "
            "mtime_ns INTEGER NOT NULL, version TEXT NOT NULL, data BLOB NOT NULL)"
        )

    def __enter__(self) -> UsageIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def get_blobs(self, files: Iterable[SourceFile]) -> dict[str, bytes]:
        """path → stored blob, for the files whose size and mtime are unchanged."""
        wanted = {str(f.path): (f.size, f.mtime_ns) for f in files}
        out: dict[str, bytes] = {}
        cur = self.db.execute(
            "SELECT path, size, mtime_ns, data FROM file_usage WHERE version = ?", (self.version,)
        )
        for path, size, mtime_ns, data in cur:
            if wanted.get(path) == (size, mtime_ns):
                out[path] = data
        return out

    def put_blobs(self, items: Iterable[tuple[SourceFile, bytes]]) -> None:
        rows = [(str(f.path), f.size, f.mtime_ns, self.version, blob) for f, blob in items]
        if not rows:
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.executemany("INSERT OR REPLACE INTO file_usage VALUES (?, ?, ?, ?, ?)", rows)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
