"""A session's facts for ``daily-report sessions``: what its row needs from the transcript (the counts, the
distinct activity times, who and where), apart from the turns, so that the session-stats index can keep them."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from daily_report.schemas.transcript import Session, SkippedLines, Turn
from daily_report.usage.events import Ev, from_event


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


class StatsRead(NamedTuple):
    """A session as the session-stats index takes it from an adapter's ``read_stats``: its facts, its usage
    (not deduped, no ``<synthetic>`` line), the files' skipped lines and its weight (turns + usage events:
    of two copies of a session on one device, the heavier is kept) and, when the adapter can go on from
    there once a file grew, its state to do so (``resume``, opaque to the index)."""

    facts: SessionFacts
    events: list[Ev]
    skipped: list[SkippedLines]
    weight: int
    resume: bytes | None = None


def stats_of(s: Session) -> StatsRead:
    """The stats of a session read in full."""
    events = [from_event(e) for e in s.usage if e.model != "<synthetic>"]
    return StatsRead(facts_of(s), events, list(s.skipped), len(s.turns) + len(s.usage))
