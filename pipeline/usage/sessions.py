"""The day's sessions as rows: who, where, when, how much (for `daily-report sessions`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

from daily_report.schemas.config import Config
from daily_report.schemas.transcript import Session, UnreadFile, UsageEvent
from daily_report.usage.aggregate import EventLike, Overrides, cost_of, day_instant, local_date
from daily_report.usage.dedup import dedup_events
from daily_report.usage.session_facts import SessionFacts, facts_of, tool_counts
from pydantic import BaseModel, Field


class SessionStats(NamedTuple):
    """A session's figures, computed once for ``daily-report sessions`` and the report's session list.

    Tool calls count the subagents' calls too (``subagent_tool_calls`` says how many of them there are);
    start and end are the first and last activity in local time; tokens and cost are the day's usage.
    """

    human_prompts: int
    tool_calls: int
    subagent_tool_calls: int
    tool_errors: int
    models: list[str]
    start: datetime | None
    end: datetime | None
    local_dates: list[str]
    tokens: int
    cost: Decimal | None


def session_stats(
    s: Session,
    events: Iterable[UsageEvent],
    *,
    zone: ZoneInfo,
    overrides: Overrides = None,
    day: date | None = None,
) -> SessionStats:
    """The one computation of a session's figures (``events``: its deduped usage of ``day``, priced at
    that day; without a day, at today's prices)."""
    times = sorted(t.astimezone(zone) for t in s.active_times())
    calls, sub, errors = tool_counts(s.turns)
    tokens, cost = cost_of(events, overrides=overrides or None, when=day_instant(day) if day else None)
    return SessionStats(
        human_prompts=len(s.human_prompts),
        tool_calls=calls,
        subagent_tool_calls=sub,
        tool_errors=errors,
        models=[m for m in s.models if m != "<synthetic>"],
        start=times[0] if times else None,
        end=times[-1] if times else None,
        local_dates=sorted({t.date().isoformat() for t in times}),
        tokens=tokens,
        cost=cost,
    )


def tools_label(calls: int, subagent_calls: int) -> str:
    """``44 (+3 in subagents)`` means 44 calls, 3 of them made by subagents; ``41`` when none were."""
    return f"{calls} (+{subagent_calls} in subagents)" if subagent_calls else str(calls)


class SessionRow(BaseModel):
    agent: str
    device: str
    project: str
    id: str
    title: str | None = None
    start: datetime | None = Field(default=None, description="First activity, local time.")
    end: datetime | None = Field(default=None, description="Last activity, local time.")
    start_local: str | None = None
    end_local: str | None = None
    spans_days: int = Field(default=1, description="Local dates between start and end, inclusive.")
    human_prompts: int = 0
    tool_calls: int = Field(default=0, description="Tool calls, the subagents' included.")
    subagent_tool_calls: int = Field(default=0, description="Of tool_calls, those made by subagents.")
    tool_errors: int = 0
    models: list[str] = Field(default_factory=list)
    tokens: int = Field(default=0, description="Tokens of this session's usage on the day (deduped).")
    cost_usd: float | None = Field(default=0.0, description="Cost of that usage; None when unpriced.")

    def span_end_label(self) -> str:
        if self.end_local is None:
            return "-"
        return self.end_local if self.spans_days <= 1 else f"{self.end_local} (+{self.spans_days - 1}d)"

    def tools_label(self) -> str:
        return tools_label(self.tool_calls, self.subagent_tool_calls)


def session_row(
    s: Session,
    events: list[UsageEvent],
    *,
    zone: ZoneInfo,
    overrides: Config | None = None,
    day: date | None = None,
) -> SessionRow:
    return facts_row(facts_of(s), events, zone=zone, overrides=overrides, day=day)


def facts_row(
    f: SessionFacts,
    events: Sequence[EventLike],
    *,
    zone: ZoneInfo,
    overrides: Config | None = None,
    day: date | None = None,
) -> SessionRow:
    """The row of ``daily-report sessions`` (the figures as ``session_stats`` computes them)."""
    prices = overrides.prices if overrides else None
    times = sorted(t.astimezone(zone) for t in f.times)
    tokens, cost = cost_of(events, overrides=prices or None, when=day_instant(day) if day else None)
    start, end = (times[0], times[-1]) if times else (None, None)
    return SessionRow(
        agent=f.agent,
        device=f.device,
        project=f.project,
        id=f.id,
        title=f.title,
        start=start,
        end=end,
        start_local=start.strftime("%Y-%m-%d %H:%M") if start else None,
        end_local=end.strftime("%H:%M" if start and end.date() == start.date() else "%Y-%m-%d %H:%M")
        if end
        else None,
        spans_days=(end.date() - start.date()).days + 1 if start and end else 1,
        human_prompts=f.human_prompts,
        tool_calls=f.tool_calls,
        subagent_tool_calls=f.subagent_tool_calls,
        tool_errors=f.tool_errors,
        models=[m for m in f.models if m != "<synthetic>"],
        tokens=tokens,
        cost_usd=None if cost is None else float(cost),
    )


def session_rows(config: Config, *, day: date, zone: ZoneInfo) -> list[SessionRow]:
    """Sessions with activity on the local day, earliest first, with that day's deduped usage."""
    return day_sessions(config, day=day, zone=zone)[0]


def day_sessions(config: Config, *, day: date, zone: ZoneInfo) -> tuple[list[SessionRow], list[UnreadFile]]:
    """``session_rows`` and the transcript files and folders that could not be read, with the reason.

    From the session-stats index (``usage/session_index.py``): the same rows as reading every session in
    full (``load_sessions``), with unchanged session files answered from the index."""
    from daily_report.usage.session_index import day_facts

    facts, usage, unread = day_facts(config, day=day, zone=zone)
    by_session: dict[tuple[str, str], list[EventLike]] = defaultdict(list)
    for e in dedup_events(usage):
        if local_date(e, zone) == day:
            by_session[(e.agent, e.session_id)].append(e)
    rows = [
        facts_row(f, by_session.get((f.agent, f.id), []), zone=zone, overrides=config, day=day) for f in facts
    ]
    rows.sort(key=lambda r: (r.start is None, r.start or datetime.min.replace(tzinfo=zone), r.id))
    return rows, unread
