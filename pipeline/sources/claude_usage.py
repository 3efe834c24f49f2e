"""Claude Code usage events (transcript-formats.md §1.6, §1.11), one per top-level assistant line.

No dedup here: the usage engine keeps, per ``dedup_key``, the line with the largest total across all
files and devices. The fast path (``read_claude_usage``) parses only lines that can carry usage.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pipeline.sources.jsonl import iter_raw_lines, parse_line
from pipeline.sources.text import parse_ts
from pipeline.sources.types import FileUsage, SourceFile
from schemas.transcript import SkippedLines, UsageEvent

SYNTHETIC = "<synthetic>"
_ASSISTANT = b'"type":"assistant"'
_PROGRESS = b'"type":"progress"'
_USAGE = b'"usage"'
_TS_KEY = b'"timestamp":"'


def _int(value: Any) -> int:
    return value if isinstance(value, int) and value > 0 else 0


def usage_event(
    rec: dict[str, Any], *, ts: datetime, session_id: str, device: str, path: str, sidechain: bool
) -> UsageEvent | None:
    """The usage of one top-level assistant line, or None (no usage, synthetic, not assistant)."""
    if rec.get("type") != "assistant":
        return None
    message = rec.get("message")
    if not isinstance(message, dict):
        return None
    usage = message.get("usage")
    model = message.get("model")
    if not isinstance(usage, dict) or model == SYNTHETIC or rec.get("isApiErrorMessage"):
        return None
    write_total = _int(usage.get("cache_creation_input_tokens"))
    split = usage.get("cache_creation")
    write_1h = _int(split.get("ephemeral_1h_input_tokens")) if isinstance(split, dict) else 0
    write_1h = min(write_1h, write_total) if write_total else write_1h
    write_5m = max(write_total - write_1h, 0)
    if isinstance(split, dict) and not write_total:
        write_5m = _int(split.get("ephemeral_5m_input_tokens"))
    return UsageEvent(
        agent="claude_code",
        model=str(model or "unknown"),
        timestamp=ts,
        input_tokens=_int(usage.get("input_tokens")),
        output_tokens=_int(usage.get("output_tokens")),
        cache_write_5m_tokens=write_5m,
        cache_write_1h_tokens=write_1h,
        cache_read_tokens=_int(usage.get("cache_read_input_tokens")),
        dedup_key=dedup_key(rec, message),
        is_sidechain=bool(sidechain or rec.get("isSidechain")),
        session_id=session_id,
        device=device,
        source_path=path,
    )


def dedup_key(rec: dict[str, Any], message: dict[str, Any]) -> str | None:
    """``message.id:requestId``, or ``message.id``, or the line uuid."""
    mid = message.get("id")
    rid = rec.get("requestId")
    if isinstance(mid, str) and mid:
        return f"{mid}:{rid}" if isinstance(rid, str) and rid else mid
    uuid = rec.get("uuid")
    return uuid if isinstance(uuid, str) and uuid else None


def session_id_for(f: SourceFile) -> str:
    """Main files: the file name; subagent files: the parent session (filled from lines when unknown)."""
    if f.kind == "subagent":
        return f.parent_session_id or ""
    return f.path.name.split(".", 1)[0]


def fallback_time(f: SourceFile) -> datetime:
    return datetime.fromtimestamp(f.mtime_ns / 1e9 if f.mtime_ns else f.path.stat().st_mtime, tz=UTC)


def read_claude_usage(f: SourceFile) -> FileUsage:
    """Fast path: only lines that look like top-level assistant lines with usage are parsed."""
    skipped = SkippedLines(path=str(f.path))
    sid = session_id_for(f)
    events: list[UsageEvent] = []
    lo: bytes | None = None
    hi: bytes | None = None
    last_ts: datetime | None = None
    for lineno, raw, partial in iter_raw_lines(f.path, skipped):
        stamp = _ts_bytes(raw)
        if stamp is not None:
            lo = stamp if lo is None or stamp < lo else lo
            hi = stamp if hi is None or stamp > hi else hi
        if not (raw.startswith(b"{") and raw.endswith(b"}")):
            parse_line(raw, lineno=lineno, partial=partial, skipped=skipped)  # counts it
            continue
        if _PROGRESS in raw or _ASSISTANT not in raw or _USAGE not in raw:
            continue
        rec = parse_line(raw, lineno=lineno, partial=partial, skipped=skipped)
        if rec is None:
            continue
        if not sid and isinstance(rec.get("sessionId"), str):
            sid = rec["sessionId"]
        ts = parse_ts(rec.get("timestamp")) or last_ts or fallback_time(f)
        last_ts = ts
        ev = usage_event(
            rec, ts=ts, session_id=sid, device=f.device, path=str(f.path), sidechain=f.kind == "subagent"
        )
        if ev is not None:
            events.append(ev)
    for ev in events:
        ev.session_id = ev.session_id or sid
    return FileUsage(
        path=str(f.path),
        agent="claude_code",
        device=f.device,
        session_id=sid,
        parent_session_id=f.parent_session_id or (sid if f.kind == "subagent" else None),
        is_subagent=f.kind == "subagent",
        events=events,
        start=_ts_from_bytes(lo),
        end=_ts_from_bytes(hi),
        skipped=skipped,
    )


def _ts_bytes(raw: bytes) -> bytes | None:
    i = raw.rfind(_TS_KEY)
    if i < 0:
        return None
    start = i + len(_TS_KEY)
    end = raw.find(b'"', start, start + 40)
    return raw[start:end] if end > start else None


def _ts_from_bytes(value: bytes | None) -> datetime | None:
    return parse_ts(value.decode("ascii", "replace")) if value else None
