"""A memo of prepared sessions: a session's condensed, redacted chunks and its redaction counts, stored
beside the answer cache (``prepared.sqlite3``), so a re-run or another dry run of a day skips condensing,
redacting and token counting (and often never loads the tokenizer).

The key is the session's content (its normalized turns, as read: a session that grew, or whose files
changed, is a new key) plus everything else that shapes its chunks: the chunk settings, the redaction rules
and allowlist, the zone of the time hints, and the code of the condenser, redactor and chunker (a change
to any of those files is a new key). A memo that cannot be opened or read is skipped with one warning;
it never changes what a run produces.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
from daily_report.core import log
from daily_report.core.paths import SCHEMAS_DIR, default_cache_path
from daily_report.schemas.chunk import Chunk
from daily_report.schemas.transcript import Session

if TYPE_CHECKING:
    from daily_report.schemas.config import Config
    from daily_report.text.redact import Redactor

MEMO_FORMAT = 1
MEMO_NAME = "prepared.sqlite3"
KEEP_DAYS = 45  # entries not written for this long are dropped when the memo is opened
_TEXT = Path(__file__).resolve().parent  # text/: every module here decides a session's chunks
CODE_FILES = (SCHEMAS_DIR / "chunk.py", SCHEMAS_DIR / "transcript.py")


@cache
def code_digest() -> str:
    """The bytes of the code that decides a session's chunks."""
    h = hashlib.sha256(str(MEMO_FORMAT).encode())
    for path in [*sorted(_TEXT.glob("*.py")), *CODE_FILES]:
        h.update(path.name.encode() + b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()


@dataclass(frozen=True)
class Prepared:
    """One session's chunks and the per-rule redaction counts of preparing it."""

    chunks: list[Chunk]
    redaction_counts: dict[str, int]


class PreparedMemo:
    """Prepared sessions by key; ``PreparedMemo(None)`` remembers nothing."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        if path is not None:
            self._db = self._open(path)

    @classmethod
    def beside(cls, cache_path: Path | None) -> PreparedMemo:
        """The memo in the answer cache's directory (the default cache's when none is configured)."""
        return cls((cache_path or default_cache_path()).parent / MEMO_NAME)

    def _open(self, path: Path) -> sqlite3.Connection | None:
        try:
            return _connect(path)
        except sqlite3.DatabaseError as exc:  # not a database (or a damaged one): derived data, rebuilt
            log.warn(f"the memo of prepared sessions {path} was unreadable ({exc}): started afresh")
            for extra in ("", "-wal", "-shm"):
                Path(f"{path}{extra}").unlink(missing_ok=True)
        except OSError as exc:
            self._skip(exc)
            return None
        try:
            return _connect(path)
        except (OSError, sqlite3.Error) as exc:
            self._skip(exc)
            return None

    def _skip(self, exc: BaseException) -> None:
        log.warn(
            f"the memo of prepared sessions {self.path} cannot be used ({exc}): sessions are prepared anew"
        )
        self._db = None

    def key(self, session: Session, settings: dict[str, object]) -> str:
        h = hashlib.sha256(code_digest().encode())
        h.update(orjson.dumps(settings, option=orjson.OPT_SORT_KEYS))
        h.update(session.model_dump_json().encode())
        return h.hexdigest()

    def get(self, key: str) -> Prepared | None:
        if self._db is None:
            return None
        try:
            row = self._db.execute("SELECT value FROM prepared WHERE key = ?", (key,)).fetchone()
            if row is None:
                return None
            value = orjson.loads(row[0])
            chunks = [Chunk.model_validate(c) for c in value["chunks"]]
            return Prepared(chunks=chunks, redaction_counts=dict(value["counts"]))
        except (sqlite3.Error, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return None  # an unreadable entry is prepared anew and written over

    def put(self, key: str, prepared: Prepared) -> None:
        if self._db is None:
            return
        value = orjson.dumps(
            {"chunks": [c.model_dump() for c in prepared.chunks], "counts": prepared.redaction_counts}
        )
        try:
            self._db.execute(
                "INSERT OR REPLACE INTO prepared (key, written, value) VALUES (?, ?, ?)",
                (key, time.time(), value),
            )
        except sqlite3.Error as exc:
            self._skip(exc)

    def remembered(
        self, session: Session, settings: dict[str, object], make: Callable[[], Prepared]
    ) -> Prepared:
        """The memo's entry for ``session``, or ``make()``'s, stored for next time."""
        key = self.key(session, settings)
        hit = self.get(key)
        if hit is not None:
            return hit
        made = make()
        self.put(key, made)
        return made

    def count_tokens(self, text: str) -> int:
        """``daily_report.text.tokens.count_tokens(text)``, remembered: a re-run counts its day-stage prompts without
        loading the tokenizer (~0.2 s)."""
        from daily_report.text.tokens import ENCODING, count_tokens

        digest = hashlib.sha256(f"{ENCODING}\0{text}".encode()).hexdigest()
        if self._db is not None:
            try:
                row = self._db.execute(
                    "SELECT tokens FROM token_counts WHERE digest = ?", (digest,)
                ).fetchone()
                if row is not None:
                    return int(row[0])
            except sqlite3.Error:
                pass
        n = count_tokens(text)
        if self._db is not None:
            try:
                self._db.execute("INSERT OR REPLACE INTO token_counts VALUES (?, ?)", (digest, n))
            except sqlite3.Error as exc:
                self._skip(exc)
        return n

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(
            "CREATE TABLE IF NOT EXISTS prepared (key TEXT PRIMARY KEY, written REAL NOT NULL, value BLOB NOT NULL)"
        )
        db.execute(
            "CREATE TABLE IF NOT EXISTS token_counts (digest TEXT PRIMARY KEY, tokens INTEGER NOT NULL)"
        )
        db.execute("DELETE FROM prepared WHERE written < ?", (time.time() - KEEP_DAYS * 86400,))
    except BaseException:
        db.close()
        raise
    return db


def chunk_settings(config: Config, redactor: Redactor, zone: tzinfo | None) -> dict[str, object]:
    """Everything besides the session and the code that shapes its chunks."""
    return {
        "budget_tokens": config.chunk.budget_tokens,
        "max_turn_tokens": config.chunk.max_turn_tokens,
        "zone": None if zone is None else str(getattr(zone, "key", zone)),
        "rules": [[r.name, r.pattern.pattern, r.pattern.flags] for r in redactor.rules],
        "allowlist": sorted(redactor.allowlist),
        "redaction": config.redaction.model_dump(mode="json"),
    }


def prepare_session(
    session: Session, *, redactor: Redactor, config: Config, zone: tzinfo | None, memo: PreparedMemo
) -> list[Chunk]:
    """``prepare_chunks`` through the memo; ``redactor`` absorbs the session's redaction counts either way."""
    from daily_report.text.prepare import prepare_chunks

    def make() -> Prepared:
        local = redactor.fork()
        chunks = prepare_chunks(
            session,
            redactor=local,
            budget_tokens=config.chunk.budget_tokens,
            max_turn_tokens=config.chunk.max_turn_tokens,
            zone=zone,
        )
        return Prepared(chunks=chunks, redaction_counts=dict(local.counts))

    prepared = memo.remembered(session, chunk_settings(config, redactor, zone), make)
    for rule, n in prepared.redaction_counts.items():
        redactor.counts[rule] = redactor.counts.get(rule, 0) + n
    return prepared.chunks
