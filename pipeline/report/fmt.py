"""Formatting shared by the renderers: numbers, money, times, labels, provenance, anchors."""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import daily_report.sources.agents as agents
from daily_report.core.log import warn

if TYPE_CHECKING:  # annotations only: the usage tables use this module without the report schema
    from daily_report.schemas.report import Generation, Provenance, SessionSummary

# report.md's status marks: plain words, readable without an emoji font (report.html draws icons.py's SVG)
STATUS_TEXT = {
    "done": "[done]",
    "in_progress": "[in progress]",
    "blocked": "[blocked]",
    "investigation": "[investigating]",
}
NO_STATUS_TEXT = "[no status]"
STATUS_LABEL = {
    "done": "done",
    "in_progress": "in progress",
    "blocked": "blocked",
    "investigation": "investigation",
}
CATEGORY_LABEL = {
    "architecture_strategy": "Architecture & Strategy",
    "implementation_fixes": "Implementation & Fixes",
}
SEVERITY_ISSUE_LABEL = {"critical": "Critical Issues", "general": "General Issues"}
LEVEL_LABEL = {"strategic": "Strategic Level", "implementation": "Implementation Level"}
SEVERITY_LIMIT_LABEL = {"critical": "Critical Limitations", "general": "General Limitations"}
TAKEAWAY_LABEL = {"core": "Key Insights", "practical": "Practical Takeaways"}

_ANCHOR_BAD = re.compile(r"[^A-Za-z0-9_-]+")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def agent_label(name: str) -> str:
    """The agent's display name (its adapter's), else the name as it is."""
    return next((a.display for a in agents.AGENTS if a.name == name), name)


def money(value: float | None) -> str:
    """`$1.0496`; an unknown price is "unknown", never $0."""
    return "unknown" if value is None else f"${value:,.4f}"


def free_label(generation: Generation) -> str | None:
    """`free (replay)` when the report's provider charges nothing, else None."""
    return f"free ({generation.provider or 'replay'})" if generation.free else None


def report_money(value: float | None, generation: Generation) -> str:
    """A report-cost figure: "free (replay)" on a free provider, else money()."""
    return free_label(generation) or money(value)


def count(value: int) -> str:
    return f"{value:,}"


def plural(n: int, noun: str) -> str:
    """`1 session`, `2 sessions`, `1,204 transcript lines`."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def pct(value: float | None) -> str:
    """A ratio in 0..1 as `91.4%`."""
    return "unknown" if value is None else f"{value * 100:.1f}%"


@lru_cache(maxsize=16)
def zone(name: str) -> tzinfo:
    """The report's IANA zone; UTC (with one warning) when the name is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        warn(
            f"report: unknown timezone {name!r}; showing times in UTC (use an IANA name such as 'Asia/Shanghai')"
        )
        return ZoneInfo("UTC")


def local(dt: datetime | None, tz: tzinfo) -> datetime | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=ZoneInfo("UTC"))
    return dt.astimezone(tz)


def session_time(session: SessionSummary, tz: tzinfo, day: str | None = None) -> str:
    """`07:52–09:10` local; with dates when the session crosses midnight or lies outside the report's day:
    `23:40 (02-22) – 00:50 (02-23)`."""
    start, end = local(session.start, tz), local(session.end, tz)
    if start is None:
        return "time unknown"
    end = end or start
    dates = {start.date().isoformat(), end.date().isoformat()}
    if len(dates) > 1 or (day is not None and dates != {day}):
        return f"{start:%H:%M} ({start:%m-%d}) – {end:%H:%M} ({end:%m-%d})"
    return f"{start:%H:%M}–{end:%H:%M}"


def short_id(session_id: str) -> str:
    """First 8 hex digits of the session's UUID (Codex rollout names end in one), else the last 8 chars."""
    if m := _UUID.search(session_id):
        return m.group(0)[:8]
    return session_id if len(session_id) <= 8 else session_id[-8:]


def anchor(session_id: str) -> str:
    """A safe fragment id for a session: only letters, digits, `_` and `-`."""
    return "session-" + (_ANCHOR_BAD.sub("-", session_id) or "unknown")


def turns(p: Provenance) -> str:
    return f"t{p.turn_start}" if p.turn_start == p.turn_end else f"t{p.turn_start}–t{p.turn_end}"


def provenance(p: Provenance) -> str:
    """`DCC · 0533cb2c · t3–t18 (+1 session on tianhe)`: where an item comes from, and where else it was said."""
    text = f"{p.device} · {short_id(p.session_id)} · {turns(p)}"
    if p.also_in:
        n = len(p.also_in)
        on = f" on {', '.join(p.also_on)}" if p.also_on else ""
        text += f" (+{n} session{'s' if n > 1 else ''}{on})"
    return text
