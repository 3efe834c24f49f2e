"""A session's facts for ``daily-report sessions``: what its row needs from the transcript (the counts, the
distinct activity times, who and where), apart from the turns, so that the session-stats index can keep them."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from daily_report.schemas.transcript import Session, Turn


def tool_counts(turns: list[Turn], *, nested: bool = False) -> tuple[int, int, int]:
    """(calls, of them in subagents, errors) over the turns and their subagents' turns."""
    calls = sub = errors = 0
    for t in turns:
        if t.tool is not None:
            calls += 1
            sub += nested
            errors += t.tool.is_error
            c, s, e = tool_counts(t.tool.subagent_turns, nested=True)
            calls, sub, errors = calls + c, sub + s, errors + e
    return calls, sub, errors


class SessionFacts(NamedTuple):
    """What a session's row needs from its transcript (the session-stats index stores these, never the
    turns): who and where, the counts, the distinct activity times, the models."""

    agent: str
    device: str
    project: str
    id: str
    title: str | None
    human_prompts: int
    tool_calls: int
    subagent_tool_calls: int
    tool_errors: int
    models: list[str]
    times: list[datetime]


def facts_of(s: Session) -> SessionFacts:
    calls, sub, errors = tool_counts(s.turns)
    return SessionFacts(
        agent=s.agent,
        device=s.device,
        project=s.project,
        id=s.id,
        title=s.title,
        human_prompts=len(s.human_prompts),
        tool_calls=calls,
        subagent_tool_calls=sub,
        tool_errors=errors,
        models=list(s.models),
        times=sorted(set(s.active_times())),
    )
