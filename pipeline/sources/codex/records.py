"""Codex rollout records in every known shape, normalized to (kind, payload, timestamp).

Shapes (transcript-formats.md §2.1-2.2): the envelope ``{timestamp, type, payload}``; the legacy
mid-2025 files (a bare header line, ``record_type: state`` markers, bare response items often without
timestamps); and the TypeScript CLI's single JSON file ``{"session": {...}, "items": [...]}``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from daily_report.schemas.transcript import SkippedLines
from daily_report.sources.jsonl import note_malformed, note_unknown, open_binary, parse_line, shape_ok
from daily_report.sources.text import parse_ts
from daily_report.sources.unreadable import SNIFF_BYTES

KINDS = frozenset({"session_meta", "response_item", "turn_context", "event_msg", "compacted"})
ITEM_TYPES = frozenset(
    {
        "message",
        "reasoning",
        "function_call",
        "function_call_output",
        "custom_tool_call",
        "custom_tool_call_output",
        "local_shell_call",
        "web_search_call",
        "image_generation_call",
        "tool_search_call",
        "tool_search_call_output",
        "ghost_snapshot",
        "compaction",
        "context_compaction",
    }
)
EVENT_TYPES = frozenset(
    {
        "user_message",
        "agent_message",
        "agent_reasoning",
        "agent_reasoning_raw_content",
        "token_count",
        "task_started",
        "task_complete",
        "turn_aborted",
        "context_compacted",
        "thread_rolled_back",
        "entered_review_mode",
        "exited_review_mode",
        "exec_command_end",
        "patch_apply_end",
        "web_search_end",
        "mcp_tool_call_end",
        "collab_agent_spawn_end",
        "collab_waiting_end",
        "turn_started",
        "turn_complete",
        "item_completed",
        "view_image_tool_call",
        "agent_reasoning_section_break",
        "plan_update",
        "user_message_edited",
        "undo_completed",
        "list_custom_prompts_response",
    }
)


@dataclass
class Record:
    lineno: int
    kind: str
    payload: dict[str, Any]
    ts: datetime | None
    approx_ts: bool = False


@dataclass
class Position:
    """Where a read of a JSONL rollout stands, so that a grown file can be read on from there: after the
    last complete line (byte offset, line number), whether an object was parsed yet (only the first can be
    a legacy header), the last timestamp (a line without one takes it) and whether the read ended in a
    line still being written (``cut``: the file cannot be continued)."""

    offset: int = 0
    lineno: int = 0
    first: bool = True
    last_ts: datetime | None = None
    cut: bool = False


def iter_codex(
    path: Path, skipped: SkippedLines, *, only: tuple[bytes, ...] = (), at: Position | None = None
) -> Iterator[Record]:
    """Every record of a rollout (any shape), with a timestamp falling back to the previous line's.

    ``only``: parse just the lines holding one of these byte strings (plus the first line); the others are
    not parsed, only judged by their shape (``jsonl.shape_ok``). ``at``: a JSONL file is read from there
    and ``at`` follows the read (a ``.json`` file is always read whole).
    """
    at = at or Position()
    source = _json_file(path, skipped) if path.name.endswith(".json") else _jsonl(path, skipped, only, at)
    for rec in source:
        if rec.ts is None:
            rec.ts, rec.approx_ts = at.last_ts, True
        else:
            at.last_ts = rec.ts
        yield rec


def _jsonl(path: Path, skipped: SkippedLines, only: tuple[bytes, ...], at: Position) -> Iterator[Record]:
    for lineno, raw, partial in _raw_lines(path, skipped, at):
        if only and not at.first and not any(m in raw for m in only):
            if not shape_ok(raw):  # not parsed: judged by its shape only
                if partial:
                    skipped.truncated_tail = True
                else:
                    note_malformed(skipped, lineno, "is not a JSON object line (not parsed)")
            continue
        obj = parse_line(raw, lineno=lineno, partial=partial, skipped=skipped)
        if obj is None:
            continue
        rec = normalize(obj, lineno=lineno, first=at.first, skipped=skipped)
        at.first = False
        if rec is not None:
            yield rec


def _raw_lines(path: Path, skipped: SkippedLines, at: Position) -> Iterator[tuple[int, bytes, bool]]:
    """``jsonl.iter_raw_lines`` from ``at`` on, moving ``at`` past each complete line."""
    for line in file_lines(path, skipped, at.offset):
        lineno = at.lineno + 1
        complete = line.endswith(b"\n")
        body = line.rstrip(b"\r\n")
        if complete:
            at.offset, at.lineno = at.offset + len(line), lineno
        elif body.strip():
            at.cut = True
        if body.strip():
            yield lineno, body, not complete


def file_lines(path: Path, skipped: SkippedLines, start: int) -> Iterator[bytes]:
    """The lines of a rollout from the line starting at ``start``, newlines kept: every byte a read takes
    from the file after its first 64 KB passes here. From beyond the 64 KB that ``open_binary`` sniffs for
    a binary file, the file is opened plainly (those bytes were sniffed by the read that got there)."""
    if start < SNIFF_BYTES:
        f = open_binary(path, skipped)
        if start:
            f.seek(start)
    else:
        f = path.open("rb", buffering=1 << 20)
        f.seek(start)
    with f:
        yield from f


def normalize(obj: dict[str, Any], *, lineno: int, first: bool, skipped: SkippedLines) -> Record | None:
    """One JSON object as a Record, or None (known marker, or unknown kind counted)."""
    ts = parse_ts(obj.get("timestamp"))
    kind = obj.get("type")
    payload = obj.get("payload")
    if isinstance(kind, str) and isinstance(payload, dict):
        if kind not in KINDS:
            note_unknown(skipped, kind)
            return None
        if kind == "event_msg" and payload.get("type") not in EVENT_TYPES:
            note_unknown(skipped, f"event_msg/{payload.get('type')}")
        if kind == "response_item" and payload.get("type") not in ITEM_TYPES:
            note_unknown(skipped, f"response_item/{payload.get('type')}")
        return Record(lineno, kind, payload, ts)
    if "record_type" in obj:
        return None  # legacy state marker
    if isinstance(kind, str) and kind in ITEM_TYPES:
        return Record(lineno, "response_item", obj, ts)
    if first and isinstance(obj.get("id"), str):
        return Record(lineno, "session_meta", obj, ts)  # legacy bare header line
    note_unknown(skipped, str(kind) if kind is not None else "<no type>")
    return None


def _json_file(path: Path, skipped: SkippedLines) -> Iterator[Record]:
    """The TypeScript CLI's single pretty-printed JSON file (no usage)."""
    try:
        data = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError:
        note_malformed(skipped, 1, "is not JSON")
        return
    if not isinstance(data, dict):
        note_malformed(skipped, 1, "is JSON but not an object")
        return
    session = data.get("session")
    if isinstance(session, dict):
        yield Record(1, "session_meta", session, parse_ts(session.get("timestamp")))
    items = data.get("items")
    for i, item in enumerate(items if isinstance(items, list) else [], start=2):
        if isinstance(item, dict) and item.get("type") in ITEM_TYPES:
            yield Record(i, "response_item", item, parse_ts(item.get("timestamp")))
        elif isinstance(item, dict):
            note_unknown(skipped, str(item.get("type")))
