"""The session-stats index behind ``daily-report sessions``: per session (its files' path, size and mtime),
the figures a row needs (``SessionFacts``), its usage reduced per dedup key, its skipped lines, and what it
asked of and gave to the device's shared ``claimed`` map. An unchanged session is never parsed again.

Why per session and not per file: a session's figures are not a sum of its files' (subagent turns fold
under their parent's calls), and a session's lines depend on the sessions read before it on its device
(a resumed session's copies of earlier lines belong to the earlier session: ``claimed``). So each entry
also keeps every ``claimed`` lookup it made and the answer it got; an entry is used only when its files
are unchanged AND every one of those lookups gives the same answer now, and then its own claims are
replayed. That is exact for any agent (the readers see ``claimed`` only through ``get``/``setdefault``),
so no agent is named here. A changed (e.g. appended) session is given back to its adapter with the state
its last read left (``StatsRead.resume``, kept per session in ``session_resume`` with that read's lookups,
which must still answer the same): an adapter that can goes on from where it stopped (Claude Code reads
only the new lines), the others read the session again.

Sessions are read (or looked up) one at a time and only their facts are kept, so memory holds one
session's turns at a time, not the day's. The stats never go through the condenser or redaction.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import daily_report.sources.agents as agents
import orjson
from daily_report.core.paths import SCHEMAS_DIR, user_cache_dir
from daily_report.schemas.config import Config
from daily_report.schemas.transcript import SkippedLines, UnreadFile
from daily_report.sources.discovery import discover
from daily_report.sources.jsonl import has_problems
from daily_report.sources.reader import warn_skipped
from daily_report.sources.types import ReadResult, SourceFile
from daily_report.sources.unreadable import os_error_reason
from daily_report.usage.events import TS_INDEX, Ev
from daily_report.usage.index import code_hash, wal_mode
from daily_report.usage.session_facts import SessionFacts

FORMAT = "session-stats-1"
_PKG = Path(__file__).resolve().parent.parent
_CODE = [
    *(_PKG / "sources").rglob("*.py"),
    _PKG / "usage" / "session_index.py",
    _PKG / "usage" / "session_facts.py",
    _PKG / "usage" / "events.py",
    _PKG / "usage" / "rules.py",
    SCHEMAS_DIR / "transcript.py",
]
_KEEP_DAYS = 60  # entries not used for this long are dropped

Key = tuple[str, str, str]  # (device, agent, session id or path)


@functools.cache
def _version() -> str:
    return hashlib.sha1(f"{FORMAT}|{code_hash(_CODE)}".encode()).hexdigest()[:16]


class _Claims(dict[str, str]):
    """A device's ``claimed`` map as one session's reader sees it: every lookup is recorded with its
    answer and every new claim kept, so that the entry can be checked and replayed later."""

    def __init__(self, shared: dict[str, str]) -> None:
        super().__init__()
        self.shared = shared
        self.seen: dict[str, str | None] = {}
        self.added: dict[str, str] = {}

    def __bool__(self) -> bool:  # readers write ``claimed or {}``: an empty shared map is still this one
        return True

    def get(self, key: str, default: Any = None) -> Any:
        value = self.shared.get(key)
        self.seen.setdefault(key, value)
        return default if value is None else value

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self.shared:
            self.added[key] = default
        return self.shared.setdefault(key, default)

    def __getitem__(self, key: str) -> str:
        raise TypeError("readers ask claimed with get() only")

    def __contains__(self, key: object) -> bool:
        raise TypeError("readers ask claimed with get() only")

    def __setitem__(self, key: str, value: str) -> None:
        raise TypeError("readers claim with setdefault() only")


class Entry:
    """One session as the index keeps it."""

    __slots__ = ("added", "events", "facts", "seen", "skipped", "weight")

    def __init__(
        self,
        facts: SessionFacts,
        events: list[Ev],
        skipped: list[SkippedLines],
        weight: int,
        seen: dict[str, str | None],
        added: dict[str, str],
    ) -> None:
        self.facts, self.events, self.skipped, self.weight = facts, events, skipped, weight
        self.seen, self.added = seen, added

    def encode(self) -> bytes:
        f = self.facts._asdict()
        return orjson.dumps(
            {
                "facts": f,
                "events": [tuple(e) for e in self.events],
                "skipped": [s.model_dump(mode="json") for s in self.skipped],
                "weight": self.weight,
                "seen": self.seen,
                "added": self.added,
            }
        )

    @staticmethod
    def decode(blob: bytes) -> Entry:
        d = orjson.loads(blob)
        f = d["facts"]
        f["times"] = [dt.datetime.fromisoformat(t) for t in f["times"]]
        events = []
        for row in d["events"]:
            row[TS_INDEX] = dt.datetime.fromisoformat(row[TS_INDEX])
            events.append(Ev._make(row))
        skipped = [SkippedLines.model_validate(s) for s in d["skipped"]]
        return Entry(SessionFacts(**f), events, skipped, d["weight"], d["seen"], d["added"])

    def still_valid(self, shared: dict[str, str]) -> bool:
        get = shared.get
        return all(get(k) == v for k, v in self.seen.items())


def default_path() -> Path:
    return user_cache_dir() / "session_stats.sqlite3"


class SessionIndex:
    """``with SessionIndex() as idx``: lookups by a session's files; writes batched until close."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = self._open()
        except sqlite3.DatabaseError:  # not a database: derived data, started afresh
            for extra in ("", "-wal", "-shm"):
                Path(f"{self.path}{extra}").unlink(missing_ok=True)
            self.db = self._open()
        self.pending: list[tuple[str, float, bytes]] = []
        self.used: list[str] = []
        self.resumes: list[tuple[str, float, bytes, bytes]] = []

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        try:
            wal_mode(db)
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS session_stats (key TEXT PRIMARY KEY, used REAL, data BLOB NOT NULL)"
            )
            db.execute(
                "CREATE TABLE IF NOT EXISTS session_resume"
                " (ident TEXT PRIMARY KEY, used REAL, seen BLOB NOT NULL, state BLOB NOT NULL)"
            )
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def __enter__(self) -> SessionIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.flush()
        finally:
            self.db.close()

    @staticmethod
    def key(files: Sequence[SourceFile]) -> str:
        parts = [_version()] + [f"{f.device}\0{f.agent}\0{f.path}\0{f.size}\0{f.mtime_ns}" for f in files]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    @staticmethod
    def ident(key: Key) -> str:
        """A session's name across its files' sizes: where its resume state is kept."""
        return hashlib.sha256("\0".join([_version(), *key]).encode()).hexdigest()

    def resume_for(self, ident: str) -> tuple[dict[str, str | None], bytes] | None:
        """The claims lookups and the adapter's state of the session's last read, if kept."""
        row = self.db.execute("SELECT seen, state FROM session_resume WHERE ident = ?", (ident,)).fetchone()
        return None if row is None else (orjson.loads(row[0]), bytes(row[1]))

    def put_resume(self, ident: str, seen: dict[str, str | None], state: bytes | None) -> None:
        if state is not None:
            self.resumes.append((ident, time.time(), orjson.dumps(seen), state))

    def get(self, key: str) -> Entry | None:
        row = self.db.execute("SELECT data FROM session_stats WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        self.used.append(key)
        return Entry.decode(bytes(row[0]))

    def put(self, key: str, entry: Entry) -> None:
        self.pending.append((key, time.time(), entry.encode()))

    def flush(self) -> None:
        now = time.time()
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.executemany("INSERT OR REPLACE INTO session_stats VALUES (?, ?, ?)", self.pending)
            self.db.executemany("INSERT OR REPLACE INTO session_resume VALUES (?, ?, ?, ?)", self.resumes)
            self.db.executemany(
                "UPDATE session_stats SET used = ? WHERE key = ?", [(now, k) for k in self.used]
            )
            self.db.execute("DELETE FROM session_stats WHERE used < ?", (now - _KEEP_DAYS * 86400,))
            self.db.execute("DELETE FROM session_resume WHERE used < ?", (now - _KEEP_DAYS * 86400,))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.pending, self.used, self.resumes = [], [], []


def _read_entry(
    files: Sequence[SourceFile],
    shared: dict[str, str],
    resume: tuple[dict[str, str | None], bytes] | None = None,
) -> tuple[Entry, bytes | None]:
    """The session read (or, from ``resume``, its grown files read on), and the state to go on from."""
    claims = _Claims(shared)
    if resume is not None:
        claims.seen.update(resume[0])  # the lookups of the lines read before, whose answers still hold
    agent = agents.agent_named(files[0].agent)
    s = agent.read_stats(files, claims, resume[1] if resume is not None else None)
    entry = Entry(s.facts, agent.dedup(s.events), s.skipped, s.weight, claims.seen, claims.added)
    return entry, s.resume


def _entries(
    order: list[Key], groups: dict[Key, list[SourceFile]], idx: SessionIndex, unread: dict[Key, str]
) -> Iterator[tuple[Key, Entry]]:
    """Each session's entry in the readers' order (``reader._read_groups``): from the index when its files
    are unchanged and its claimed lookups answer the same, else read (and stored)."""
    claimed: dict[str, dict[str, str]] = {}

    def when(key: Key) -> str:
        main = next((f for f in groups[key] if f.kind == "main"), groups[key][0])
        return agents.agent_named(key[1]).read_order(main)

    ikeys = {key: idx.key(groups[key]) for key in order}
    stored = {key: idx.get(ikeys[key]) for key in order}
    idents = {key: idx.ident(key) for key in order if stored[key] is None}
    resumes = {key: r for key, ident in idents.items() if (r := idx.resume_for(ident)) is not None}
    missing = [k for k in order if stored[k] is None and k not in resumes]  # a grown session: read on here
    ordered: list[Key] = []

    def meanwhile() -> None:  # while the workers read: the reading order (each main file's last line)
        ordered.extend(sorted(order, key=lambda k: (agents.rank(k[1]), k[0], when(k))))

    todo = [(groups[k], idents[k]) for k in missing]
    guessed = dict(zip(missing, _read_ahead(todo, meanwhile, idx.path), strict=False))
    for key in ordered:
        shared = claimed.setdefault(key[0], {})
        files = groups[key]
        entry = stored[key]
        if entry is None and key in guessed:
            blob = guessed[key]
            if blob is not None:
                entry = Entry.decode(blob)
                if entry.still_valid(shared):  # (its resume state was kept by the worker)
                    idx.pending.append((ikeys[key], time.time(), blob))
        if entry is not None and entry.still_valid(shared):
            for k, v in entry.added.items():
                shared.setdefault(k, v)
        else:
            resume = resumes.get(key)
            if resume is not None and not all(shared.get(k) == v for k, v in resume[0].items()):
                resume = None  # what an earlier session claims changed: read afresh
            try:
                entry, state = _read_entry(files, shared, resume)
            except OSError as e:
                unread[key] = os_error_reason(e)
                continue
            idx.put(ikeys[key], entry)
            idx.put_resume(idents.get(key) or idx.ident(key), entry.seen, state)
        yield key, entry


def _read_ahead(
    todo: list[tuple[list[SourceFile], str]], meanwhile: Callable[[], None], path: Path
) -> list[bytes | None]:
    """The sessions missing from the index (files, resume ident), read in worker processes, each as if no
    other session had claimed a line (``[]`` when too few bytes to be worth a pool; ``meanwhile`` runs
    here once the workers have their work). A guess stands only if none of its lookups is claimed when
    its turn comes (a resumed session's copies usually are: it is read again then). The workers keep the
    resume states in the index themselves (written again by the parent for a session it reads again):
    they are as large as the entries, and would only pass through the parent."""
    from daily_report.usage.load import POOL_MIN_BYTES, chunks_by_bytes

    n = min(os.cpu_count() or 1, 8)
    sizes = [sum(f.size for f in files) for files, _ in todo]
    if n < 2 or len(todo) < 4 or sum(sizes) < POOL_MIN_BYTES:
        meanwhile()
        return []
    out: list[bytes | None] = [None] * len(todo)
    with ProcessPoolExecutor(max_workers=n) as pool:
        futures = {
            pool.submit(_guess_chunk, [todo[i] for i in c], path): c for c in chunks_by_bytes(sizes, n)
        }
        meanwhile()
        for fut in as_completed(futures):
            for i, blob in zip(futures[fut], fut.result(), strict=True):
                out[i] = blob
    return out


def _guess_chunk(chunk: list[tuple[list[SourceFile], str]], path: Path) -> list[bytes | None]:
    out: list[bytes | None] = []
    states: list[tuple[str, dict[str, str | None], bytes | None]] = []
    for files, ident in chunk:
        try:
            entry, state = _read_entry(files, {})
        except OSError:
            out.append(None)  # read again in the parent, which reports it
            continue
        out.append(entry.encode())
        states.append((ident, entry.seen, state))
    try:
        with SessionIndex(path) as idx:
            for ident, seen, state in states:
                idx.put_resume(ident, seen, state)
    except sqlite3.Error:
        pass  # derived data: a grown file is then read afresh
    return out


def day_facts(
    config: Config, *, day: dt.date, zone: ZoneInfo, index_path: Path | None = None
) -> tuple[list[SessionFacts], list[Ev], list[UnreadFile]]:
    """The sessions active on the local ``day`` (as ``load_sessions`` keeps them), their usage (not yet
    deduped across sessions) and the unread files; warns as ``load_sessions`` does."""
    found = discover(config)
    files = found.files
    day_start = dt.datetime.combine(day, dt.time(), tzinfo=zone) - dt.timedelta(days=1)
    cutoff = int(day_start.timestamp() * 1e9)

    def sid(f: SourceFile) -> str:
        return agents.agent_named(f.agent).session_key(f)

    recent = {(f.device, f.agent, sid(f)) for f in files if f.mtime_ns >= cutoff}
    files = [f for f in files if f.mtime_ns >= cutoff or (f.device, f.agent, sid(f)) in recent]
    groups: dict[Key, list[SourceFile]] = {}
    order: list[Key] = []
    for f in files:
        key = (f.device, f.agent, sid(f) or str(f.path))
        if key not in groups:
            order.append(key)
            groups[key] = []
        groups[key].append(f)
    unread: dict[Key, str] = {}
    with SessionIndex(index_path) as idx:
        read = dict(_entries(order, groups, idx, unread))
    kept = _kept(order, read)
    result = ReadResult()
    result.unread = [UnreadFile(path=str(groups[k][0].path), reason=why) for k, why in unread.items()]
    result.unread += [
        UnreadFile(path=s.path, reason=s.unreadable) for e in read.values() for s in e.skipped if s.unreadable
    ]
    active = [e for e in kept if any(t.astimezone(zone).date() == day for t in e.facts.times)]
    elsewhere = {k.path for e in kept if e.facts.times and e not in active for k in e.skipped}
    result.skipped = [k for e in active for k in e.skipped if has_problems(k)]
    result.unread = [UnreadFile(path=p, reason=why) for p, why in found.unread] + [
        u for u in result.unread if u.path not in elsewhere
    ]
    warn_skipped(result)
    return [e.facts for e in active], [ev for e in active for ev in e.events], result.unread


def _kept(order: list[Key], read: dict[Key, Entry]) -> list[Entry]:
    """One entry per (agent, session id), as ``reader._read_sessions`` keeps them: the first device listed,
    and on that device the larger of two copies."""
    kept: dict[tuple[str, str], str] = {}
    out: list[Entry] = []
    for key in order:
        entry = read.get(key)
        if entry is None:
            continue
        f = entry.facts
        ident = (f.agent, f.id)
        if ident in kept and kept[ident] != f.device:
            continue
        if ident in kept:
            for i, other in enumerate(out):
                o = other.facts
                if (o.agent, o.id, o.device) == (f.agent, f.id, f.device):
                    if entry.weight > other.weight:
                        out[i] = entry
                    break
            continue
        kept[ident] = f.device
        out.append(entry)
    return out
