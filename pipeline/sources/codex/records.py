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
from daily_report.sources.jsonl import iter_raw_lines, note_malformed, note_unknown, parse_line, shape_ok
from daily_report.sources.text import parse_ts

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


def iter_codex(path: Path, skipped: SkippedLines, *, only: tuple[bytes, ...] = ()) -> Iterator[Record]:
    """Every record of a rollout (any shape), with a timestamp falling back to the previous line's.

    ``only``: parse just the lines holding one of these byte strings (plus the first line); the others are
    not parsed, only judged by their shape (``jsonl.shape_ok``).
    """
    source = _json_file(path, skipped) if path.name.endswith(".json") else _jsonl(path, skipped, only)
    last: datetime | None = None
    for rec in source:
        if rec.ts is None:
            rec.ts, rec.approx_ts = last, True
        else:
            last = rec.ts
        yield rec


def _jsonl(path: Path, skipped: SkippedLines, only: tuple[bytes, ...]) -> Iterator[Record]:
    first = True
    for lineno, raw, partial in iter_raw_lines(path, skipped):
        if only and not first and not any(m in raw for m in only):
            if not shape_ok(raw):  # not parsed: judged by its shape only
                if partial:
                    skipped.truncated_tail = True
                else:
                    note_malformed(skipped, lineno, "is not a JSON object line (not parsed)")
            continue
        obj = parse_line(raw, lineno=lineno, partial=partial, skipped=skipped)
        if obj is None:
            continue
        rec = normalize(obj, lineno=lineno, first=first, skipped=skipped)
        first = False
        if rec is not None:
            yield rec


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
