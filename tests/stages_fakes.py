"""Builders for the stage tests: chunks, session info, day inputs (no LLM, no files)."""

from __future__ import annotations

from typing import Any

from daily_report.schemas.chunk import Chunk
from daily_report.stages.base import DayInputs, SessionInfo


def make_chunk(
    *, session_id: str = "s1", index: int = 0, count: int = 1, turns: tuple[int, int] = (0, 9), **kw: Any
) -> Chunk:
    lines = [f"[t{n}] human: step {n} of the fix for error 0x{n:02x}" for n in range(turns[0], turns[1] + 1)]
    fields: dict[str, Any] = {
        "session_id": session_id,
        "device": "dcc",
        "agent": "claude_code",
        "project": "MIHD",
        "index": index,
        "count": count,
        "turn_start": turns[0],
        "turn_end": turns[1],
        "text": "\n".join(lines),
        "tokens": 10 * len(lines),
    }
    return Chunk(**(fields | kw))


def make_info(session_id: str = "s1", **kw: Any) -> SessionInfo:
    fields: dict[str, Any] = {
        "session_id": session_id,
        "device": "dcc",
        "agent": "claude_code",
        "project": "MIHD",
        "start": "2026-02-22T09:00:00+00:00",
        "end": "2026-02-22T10:30:00+00:00",
        "human_prompts": 3,
        "tool_calls": 20,
        "tool_errors": 1,
    }
    return SessionInfo(**(fields | kw))


def make_day(sessions: list[SessionInfo], results: dict[str, dict[str, Any]], **kw: Any) -> DayInputs:
    return DayInputs(
        date=kw.pop("date", "2026-02-22"), lang=kw.pop("lang", "en"), sessions=sessions, results=results, **kw
    )
