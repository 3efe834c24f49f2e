"""The day's sessions as rows: who, where, when, how much (for `daily-report sessions`)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from pipeline.usage.aggregate import cost_of, local_date
from pipeline.usage.dedup import dedup_events
from schemas.config import Config
from schemas.transcript import Session, Turn, UsageEvent


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
    tool_calls: int = 0
    tool_errors: int = 0
    models: list[str] = Field(default_factory=list)
    tokens: int = Field(default=0, description="Tokens of this session's usage on the day (deduped).")
    cost_usd: float | None = Field(default=0.0, description="Cost of that usage; None when unpriced.")

    def span_end_label(self) -> str:
        if self.end_local is None:
            return "-"
        return self.end_local if self.spans_days <= 1 else f"{self.end_local} (+{self.spans_days - 1}d)"


def _tools(turns: list[Turn]) -> tuple[int, int]:
    calls = errors = 0
    for t in turns:
        if t.tool is not None:
            calls += 1
            errors += t.tool.is_error
            c, e = _tools(t.tool.subagent_turns)
            calls, errors = calls + c, errors + e
    return calls, errors


def session_row(
    s: Session, events: list[UsageEvent], *, zone: ZoneInfo, overrides: Config | None = None
) -> SessionRow:
    times = sorted(s.active_times())
    start = times[0].astimezone(zone) if times else None
    end = times[-1].astimezone(zone) if times else None
    calls, errors = _tools(s.turns)
    tokens, cost = cost_of(events, overrides=overrides.prices if overrides else None)
    return SessionRow(
        agent=s.agent,
        device=s.device,
        project=s.project,
        id=s.id,
        title=s.title,
        start=start,
        end=end,
        start_local=start.strftime("%Y-%m-%d %H:%M") if start else None,
        end_local=end.strftime("%H:%M" if start and end.date() == start.date() else "%Y-%m-%d %H:%M")
        if end
        else None,
        spans_days=(end.date() - start.date()).days + 1 if start and end else 1,
        human_prompts=len(s.human_prompts),
        tool_calls=calls,
        tool_errors=errors,
        models=[m for m in s.models if m != "<synthetic>"],
        tokens=tokens,
        cost_usd=None if cost is None else float(cost),
    )


def session_rows(config: Config, *, day: date, zone: ZoneInfo) -> list[SessionRow]:
    """Sessions with activity on the local day, earliest first, with that day's deduped usage."""
    from pipeline.sources import load_sessions

    loaded = load_sessions(config, date=day, zone=zone)
    sessions: list[Session] = loaded.sessions
    usage = dedup_events(e for s in sessions for e in s.usage)
    by_session: dict[tuple[str, str], list[UsageEvent]] = defaultdict(list)
    for e in usage:
        if local_date(e, zone) == day:
            by_session[(e.agent, e.session_id)].append(e)
    rows = [
        session_row(s, by_session.get((s.agent, s.id), []), zone=zone, overrides=config) for s in sessions
    ]
    rows.sort(key=lambda r: (r.start is None, r.start or datetime.min.replace(tzinfo=zone), r.id))
    return rows
