"""Claude Code usage events (transcript-formats.md §1.6, §1.11), one per top-level assistant line.

No dedup here: the usage engine keeps, per ``dedup_key``, the line with the largest total across all
files and devices. The fast path (``scan_claude_usage``) reads only the fields that decide usage: a typed
msgspec decode of whole blocks where one object per line is proven, else a search for assistant lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from daily_report.schemas.transcript import SkippedLines, UsageEvent
from daily_report.sources.claude import session_id_for
from daily_report.sources.claude.usage_line import (
    SYNTHETIC,
    AssistantLine,
    Row,
    Unexpected,
    decode_line,
    decode_lines,
    line_row,
)
from daily_report.sources.jsonl import (
    clean_line_count,
    count_bad_shapes,
    iter_blocks,
    note_invalid_usage,
    parse_line,
)
from daily_report.sources.text import parse_ts
from daily_report.sources.types import FileUsage, SourceFile, UsageRows
from daily_report.sources.usage_checks import claude_usage_invalid as usage_invalid
from orjson import JSONDecodeError, loads

# The search path's needle: the value '"assistant"', which JSON string contents cannot hold (they escape
# their quotes), so it matches structure only, compact or spaced ('"type": "assistant"'); it is also
# message.role's and is in progress lines' nested copies, a superset the row narrows by the top-level type.
# (The compact '"type":"assistant"' is found ~0.13 s per GB faster, but a spaced line in a compact block
# would then be counted by the typed way and missed by this one; this way only runs for blocks the typed
# way cannot prove.)
_ASSISTANT = b'"assistant"'
_TS_KEY = b'"timestamp":'


def _int(value: Any) -> int:
    return value if type(value) is int and value > 0 else 0  # not a bool: ``true`` is no token count


FIELD_ORDER = (
    "agent",
    "model",
    "timestamp",
    "input_tokens",
    "output_tokens",
    "cache_write_5m_tokens",
    "cache_write_1h_tokens",
    "cache_read_tokens",
    "cached_input_tokens",
    "reasoning_tokens",
    "dedup_key",
    "is_sidechain",
    "model_approximate",
    "session_id",
    "device",
    "source_path",
)


def usage_row(
    rec: dict[str, Any],
    *,
    ts: datetime,
    session_id: str,
    device: str,
    path: str,
    sidechain: bool,
    skipped: SkippedLines | None = None,
) -> Row | None:
    """The usage of one top-level assistant line as a row, or None (no usage, synthetic, not assistant,
    invalid: then counted in ``skipped``)."""
    if rec.get("type") != "assistant":
        return None
    message = rec.get("message")
    if not isinstance(message, dict):
        return None
    usage = message.get("usage")
    model = message.get("model")
    if usage is None or model == SYNTHETIC or rec.get("isApiErrorMessage"):
        return None
    if not isinstance(usage, dict) or usage_invalid(usage, model):
        if skipped is not None:
            note_invalid_usage(skipped, rec)
        return None
    get = usage.get
    write_total = _int(get("cache_creation_input_tokens"))
    split = get("cache_creation")
    write_1h = _int(split.get("ephemeral_1h_input_tokens")) if isinstance(split, dict) else 0
    write_1h = min(write_1h, write_total) if write_total else write_1h
    write_5m = max(write_total - write_1h, 0)
    if isinstance(split, dict) and not write_total:
        write_5m = _int(split.get("ephemeral_5m_input_tokens"))
    return (
        "claude_code",
        str(model or "unknown"),
        ts,
        _int(get("input_tokens")),
        _int(get("output_tokens")),
        write_5m,
        write_1h,
        _int(get("cache_read_input_tokens")),
        0,
        0,
        dedup_key(rec, message),
        bool(sidechain or rec.get("isSidechain")),
        False,
        session_id,
        device,
        path,
    )


def event_of(row: Row) -> UsageEvent:
    """A row as a UsageEvent, without validating again what ``usage_row`` built."""
    return UsageEvent.model_construct(**dict(zip(FIELD_ORDER, row, strict=True)))


def usage_event(
    rec: dict[str, Any],
    *,
    ts: datetime,
    session_id: str,
    device: str,
    path: str,
    sidechain: bool,
    skipped: SkippedLines | None = None,
) -> UsageEvent | None:
    """The usage of one top-level assistant line, or None (no usage, synthetic, not assistant, invalid)."""
    row = usage_row(
        rec, ts=ts, session_id=session_id, device=device, path=path, sidechain=sidechain, skipped=skipped
    )
    return None if row is None else event_of(row)


def dedup_key(rec: dict[str, Any], message: dict[str, Any]) -> str | None:
    """``message.id:requestId``, or ``message.id``, or the line uuid."""
    mid = message.get("id")
    rid = rec.get("requestId")
    if isinstance(mid, str) and mid:
        return f"{mid}:{rid}" if isinstance(rid, str) and rid else mid
    uuid = rec.get("uuid")
    return uuid if isinstance(uuid, str) and uuid else None


def fallback_time(f: SourceFile) -> datetime:
    return datetime.fromtimestamp(f.mtime_ns / 1e9 if f.mtime_ns else f.path.stat().st_mtime, tz=UTC)


@dataclass
class ClaudeScan:
    """What the fast path finds in one file: usage rows (``FIELD_ORDER``), session, time span, problems."""

    session_id: str
    rows: list[Row]
    start: datetime | None
    end: datetime | None
    skipped: SkippedLines


class _Rows:
    """The rows of one file as its lines are met, with the session id once a line names it."""

    def __init__(self, f: SourceFile, skipped: SkippedLines | None = None) -> None:
        self.f = f
        self.skipped = skipped
        self.sid = session_id_for(f)
        self.path = str(f.path)
        self.sub = f.kind == "subagent"
        self.rows: list[Row] = []

    def _no_ts(self) -> datetime:
        """The time of a line without a (valid) one: the previous row's, or the file's mtime."""
        return self.rows[-1][2] if self.rows else fallback_time(self.f)

    def typed(self, lines: list[AssistantLine]) -> None:
        """Typed lines in file order: the session id from the first that names one (rows met before it get
        it at the end anyway), and a row per usage line. Locals, as this loop sees every assistant line."""
        if not self.sid:
            self.sid = next((x.sessionId for x in lines if x.type == "assistant" and x.sessionId), "")
        rows, sid, path, sub, device = self.rows, self.sid, self.path, self.sub, self.f.device
        for line in lines:
            if line.type != "assistant":
                continue
            ts = parse_ts(line.timestamp) or self._no_ts()
            row = line_row(line, ts=ts, session_id=sid, device=device, path=path, sidechain=sub)
            if row is not None:
                rows.append(row)

    def record(self, rec: dict[str, Any]) -> None:
        sid = rec.get("sessionId")
        if not self.sid and isinstance(sid, str) and rec.get("type") == "assistant":
            self.sid = sid
        ts = parse_ts(rec.get("timestamp")) or self._no_ts()
        row = usage_row(
            rec,
            ts=ts,
            session_id=self.sid,
            device=self.f.device,
            path=self.path,
            sidechain=self.sub,
            skipped=self.skipped,
        )
        if row is not None:
            self.rows.append(row)


def scan_claude_usage(f: SourceFile) -> ClaudeScan:
    """Fast path: no pydantic object per line, and one of two ways per block of whole lines.

    - Typed (the usual case): when every line break is clean (``jsonl.clean_line_count``), msgspec decodes
      the whole block as JSON lines into ``AssistantLine`` structs, reading only the fields that count and
      skipping the rest at C speed; one value per line proves every line a JSON object, so none is skipped.
    - Otherwise (a break that is not clean, short lines, a line msgspec refuses, the unfinished last
      block): a search jumps between occurrences of the value ``"assistant"`` (``_ASSISTANT``: JSON string
      contents escape their quotes, so it matches structure only) and only those lines are parsed; the
      other lines get the cheap shape test (``jsonl.count_bad_shapes``).

    ``skipped`` counts the lines that do not parse, those failing the shape test and a truncated last line;
    ``start``/``end`` span the usage rows and the file's first and last timed lines.
    """
    skipped = SkippedLines(path=str(f.path))
    found = _Rows(f, skipped)
    stamps: list[bytes] = []
    base_line = 0
    last: list[bytes] = []
    previous = b""
    for block, complete in iter_blocks(f.path, skipped=skipped):
        base_line += previous.count(b"\n")  # counted only when a file spans several blocks
        previous = block
        if not stamps:
            stamps += _edge_stamp(block, first=True)
        lines = _typed_lines(block) if complete else None
        if lines is not None:
            found.typed(lines)
        else:
            _search_block(block, complete=complete, base_line=base_line, skipped=skipped, found=found)
        last = _edge_stamp(block, first=False) or last
    stamps += last
    rows, sid = found.rows, found.sid
    times = [r[2] for r in rows] + [t for b in stamps if (t := _ts_from_bytes(b)) is not None]
    if sid and any(not r[13] for r in rows):
        rows = [r if r[13] else (*r[:13], sid, *r[14:]) for r in rows]
    return ClaudeScan(
        session_id=sid,
        rows=rows,
        start=min(times) if times else None,
        end=max(times) if times else None,
        skipped=skipped,
    )


def _typed_lines(block: bytes) -> list[AssistantLine] | None:
    """Every line of a block of whole lines, typed, or None when that cannot be had or proven line by line
    (msgspec reads a stream of JSON values, so the count of values must equal the count of clean lines)."""
    n = clean_line_count(block)
    if n is None:
        return None
    try:
        lines = decode_lines(block)
    except Unexpected:
        return None
    return lines if len(lines) == n else None


def _search_block(
    block: bytes, *, complete: bool, base_line: int, skipped: SkippedLines, found: _Rows
) -> None:
    needle = _ASSISTANT
    view = memoryview(block)
    for offset, end in _candidates(block, needle):
        try:
            line = decode_line(view[offset:end])
        except Unexpected:
            pass  # another shape, or not JSON: orjson below decides (and counts)
        else:
            found.typed([line])
            continue
        raw = block[offset:end]
        try:
            rec = loads(raw)
        except JSONDecodeError:
            rec = None
        if type(rec) is not dict:  # line numbers are counted only on errors: O(offset)
            lineno = base_line + block.count(b"\n", 0, offset) + 1
            rec = parse_line(raw, lineno=lineno, partial=not complete, skipped=skipped)
            if rec is None:
                continue
        found.record(rec)
    if complete:
        count_bad_shapes(block, base_line=base_line, skipped=skipped, parsed=partial(_is_candidate, needle))
    elif not skipped.truncated_tail:
        skipped.truncated_tail = parse_line(block, lineno=0, partial=True, skipped=skipped) is None


def _is_candidate(needle: bytes, line: bytes) -> bool:
    return needle in line


def _candidates(block: bytes, needle: bytes) -> list[tuple[int, int]]:
    """(start, end) of the lines holding ``needle``, each once, without the line's ``\\r``; copy-free."""
    out: list[tuple[int, int]] = []
    find, rfind, size = block.find, block.rfind, len(block)
    i = find(needle)
    while i >= 0:
        start = rfind(b"\n", 0, i) + 1
        end = find(b"\n", i)
        if end < 0:
            end = size
        out.append((start, end - 1 if block[end - 1 : end] == b"\r" else end))
        i = find(needle, end)
    return out


def read_claude_usage(f: SourceFile) -> FileUsage:
    """The fast path (``scan_claude_usage``) as a FileUsage."""
    scan = scan_claude_usage(f)
    sid = scan.session_id
    return FileUsage(
        path=str(f.path),
        agent="claude_code",
        device=f.device,
        session_id=sid,
        parent_session_id=f.parent_session_id or (sid if f.kind == "subagent" else None),
        is_subagent=f.kind == "subagent",
        events=[event_of(r) for r in scan.rows],
        start=scan.start,
        end=scan.end,
        skipped=scan.skipped,
    )


def tail_time(path: Path) -> str:
    """The last line timestamp of a file (ISO text, "" when none), from its last 64 KB only."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, 2)
            fh.seek(max(0, fh.tell() - (1 << 16)))
            tail = fh.read()
    except OSError:
        return ""
    stamp = _edge_stamp(tail, first=False)
    return stamp[0].decode("ascii", "replace") if stamp else ""


def _edge_stamp(block: bytes, *, first: bool) -> list[bytes]:
    """The timestamp of the first (or last) line of a block that has one: among the first 8 lines, or the
    last 8 lines and then the rest of the last 64 KB as one piece (a longer last line is looked at from
    there on). Lines are found by offsets, never copied (copies of each file's ends cost ~0.04 s per GB)."""
    for lo, hi in _head_spans(block, 8) if first else _tail_spans(block, 8):
        stamp = _ts_in(block, lo, hi)
        if stamp is not None:
            return [stamp]
    return []


def _head_spans(block: bytes, n: int) -> list[tuple[int, int]]:
    """(start, end) of the first ``n`` lines."""
    out: list[tuple[int, int]] = []
    pos, size = 0, len(block)
    while len(out) < n and pos < size:
        end = block.find(b"\n", pos)
        end = size if end < 0 else end
        out.append((pos, end))
        pos = end + 1
    return out


def _tail_spans(block: bytes, n: int) -> list[tuple[int, int]]:
    """(start, end) of the parts of ``block[-64 KB:].rsplit(b"\\n", n)``, last first."""
    window = max(0, len(block) - (1 << 16))
    out: list[tuple[int, int]] = []
    end = len(block)
    while len(out) < n:
        i = block.rfind(b"\n", window, end)
        if i < 0:
            break
        out.append((i + 1, end))
        end = i
    out.append((window, end))
    return out


def _ts_in(block: bytes, lo: int, hi: int) -> bytes | None:
    """The value of the last ``"timestamp":`` key in ``block[lo:hi]`` (compact or spaced)."""
    i = block.rfind(_TS_KEY, lo, hi)
    if i < 0:
        return None
    after = i + len(_TS_KEY)
    start = block.find(b'"', after, min(after + 4, hi)) + 1  # '"timestamp":"…' or '": "…'
    if start <= 0:
        return None
    end = block.find(b'"', start, min(start + 40, hi))
    return block[start:end] if end > start else None


def _ts_from_bytes(value: bytes | None) -> datetime | None:
    return parse_ts(value.decode("ascii", "replace")) if value else None


def usage_rows(f: SourceFile) -> UsageRows:
    """The fast path's rows as the index takes them (``sources.usage_rows.read_usage_rows``)."""
    scan = scan_claude_usage(f)
    return UsageRows(
        path=str(f.path),
        agent="claude_code",
        session_id=scan.session_id,
        start=scan.start,
        end=scan.end,
        skipped=scan.skipped,
        rows=scan.rows,
    )
