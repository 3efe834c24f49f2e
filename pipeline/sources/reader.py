"""Reading discovered files: the usage fast path, whole sessions, and the sessions of one day."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

import daily_report.sources.agents as agents
from daily_report.core.log import warn
from daily_report.schemas.config import Config
from daily_report.schemas.transcript import Session, UnreadFile
from daily_report.sources.discovery import discover
from daily_report.sources.jsonl import add_kinds, has_problems, skipped_by_kind, skipped_text
from daily_report.sources.types import FileUsage, ReadResult, SourceFile
from daily_report.sources.unreadable import os_error_reason, unread_text

Key = tuple[str, str, str]  # (device, agent, session id or path)


def read_file_usage(f: SourceFile) -> FileUsage:
    """Usage events of one file without building turns (cache-friendly, serializable)."""
    return agents.agent_named(f.agent).read_usage(f)


def read_sessions(files: list[SourceFile]) -> ReadResult:
    """Sessions from files in discovery order; subagent files folded into their parent.

    A session whose files appear on several devices is kept once, on the first device listed. Skipped
    lines of the kept sessions are in ``skipped`` and said in one warning.
    """
    result = _read_sessions(files)
    warn_skipped(result)
    return result


def warn_skipped(result: ReadResult) -> None:
    """``2 transcript lines skipped in 2 files: 1 malformed, 1 truncated last line; first: …``."""
    kinds: dict[str, int] = {}
    for s in result.skipped:
        add_kinds(kinds, skipped_by_kind(s))
    text = skipped_text(kinds, files=len(result.skipped))
    if text:
        first = next((s.first_error for s in result.skipped if s.first_error), None)
        warn(text + (f"; first: {first}" if first else ""))
    if result.unread:
        warn(unread_text({u.path: u.reason for u in result.unread}))


def _read_sessions(files: list[SourceFile]) -> ReadResult:
    groups: dict[Key, list[SourceFile]] = defaultdict(list)
    order: list[Key] = []
    for f in files:
        sid = agents.agent_named(f.agent).session_key(f)
        key = (f.device, f.agent, sid or str(f.path))
        if key not in groups:
            order.append(key)
        groups[key].append(f)
    result = ReadResult()
    unread: dict[Key, str] = {}
    read = _read_groups(order, groups, unread)
    result.unread = [UnreadFile(path=str(groups[k][0].path), reason=why) for k, why in unread.items()]
    result.unread += [
        UnreadFile(path=s.path, reason=s.unreadable)
        for session in read.values()
        if session is not None
        for s in session.skipped
        if s.unreadable
    ]
    kept: dict[tuple[str, str], str] = {}
    for group in order:
        session = read.get(group)
        if session is None:
            continue
        ident: tuple[str, str] = (session.agent, session.id)
        if ident in kept and kept[ident] != session.device:
            continue  # the same session synced to a later device
        if ident in kept:
            _merge_same_device(result, session)
            continue
        kept[ident] = session.device
        result.sessions.append(session)
        result.skipped += [s for s in session.skipped if has_problems(s)]
    return result


def _read_groups(
    order: list[Key], groups: dict[Key, list[SourceFile]], unread: dict[Key, str]
) -> dict[Key, Session | None]:
    """Sessions are read agent by agent (registry order), device by device, each agent's in its own order
    (``Agent.read_order``: e.g. oldest-ending first, so that a resumed session's copy of an earlier
    session's lines stays with the earlier one). ``claimed`` is shared by a device's sessions."""
    claimed: dict[str, dict[str, str]] = defaultdict(dict)

    def when(key: Key) -> str:
        main = next((f for f in groups[key] if f.kind == "main"), groups[key][0])
        return agents.agent_named(key[1]).read_order(main)

    out: dict[Key, Session | None] = {}
    for key in sorted(order, key=lambda k: (agents.rank(k[1]), k[0], when(k))):
        try:
            out[key] = _read_group(groups[key], claimed[key[0]])
        except OSError as e:
            unread[key] = os_error_reason(e)
            out[key] = None
    return out


def _read_group(files: list[SourceFile], claimed: dict[str, str]) -> Session | None:
    return agents.agent_named(files[0].agent).read_session(files, claimed)


def _merge_same_device(result: ReadResult, session: Session) -> None:
    """Two files with one session id on one device (e.g. a copied rollout): keep the longer one."""
    for i, other in enumerate(result.sessions):
        if (other.agent, other.id, other.device) == (session.agent, session.id, session.device):
            if len(session.turns) + len(session.usage) > len(other.turns) + len(other.usage):
                result.sessions[i] = session
            return


def load_sessions(config: Config, *, date: dt.date | None = None, zone: ZoneInfo | None = None) -> ReadResult:
    """Discover and read; with a date, keep only sessions with activity on that local date (in ``zone``,
    by default the configured one). Files last modified before the day (less a day of slack) are not read.
    With a date, ``skipped`` covers the files of that day's sessions only (as the usage report's does)."""
    found = discover(config)
    files = found.files
    if date is not None and zone is None:
        from daily_report.core.config import resolve_zone

        zone = resolve_zone(config)
    if date is not None:
        tz = zone or ZoneInfo("UTC")
        day_start = dt.datetime.combine(date, dt.time(), tzinfo=tz) - dt.timedelta(days=1)
        cutoff = int(day_start.timestamp() * 1e9)
        recent = {(f.device, f.agent, _session_key(f)) for f in files if f.mtime_ns >= cutoff}
        files = [f for f in files if f.mtime_ns >= cutoff or (f.device, f.agent, _session_key(f)) in recent]
    result = _read_sessions(files)
    if date is not None:
        tz = zone or ZoneInfo("UTC")
        elsewhere = _active_elsewhere(result.sessions, date, tz)
        result.sessions = [s for s in result.sessions if active_on(s, date, tz)]
        result.skipped = [k for s in result.sessions for k in s.skipped if has_problems(k)]
        result.unread = [u for u in result.unread if u.path not in elsewhere]
    result.unread = [UnreadFile(path=p, reason=why) for p, why in found.unread] + result.unread
    warn_skipped(result)
    return result


def _session_key(f: SourceFile) -> str:
    return agents.agent_named(f.agent).session_key(f)


def _active_elsewhere(sessions: list[Session], date: dt.date, zone: ZoneInfo) -> set[str]:
    """Files of sessions that show activity, none of it on ``date``: a partly read one is another day's.
    (A file that gave no time at all may hold this day's activity: it stays listed.)"""
    return {k.path for s in sessions if s.active_times() and not active_on(s, date, zone) for k in s.skipped}


def active_on(session: Session, date: dt.date, zone: ZoneInfo) -> bool:
    return any(t.astimezone(zone).date() == date for t in session.active_times())
