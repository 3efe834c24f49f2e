"""Inline SVG charts. Every piece of text goes through markupsafe.escape; links are only #session-<id>."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date as Date
from datetime import datetime, time, timedelta, tzinfo

import daily_report.sources.agents as agents
from daily_report.report.fmt import agent_label, anchor, free_label, local, money, session_time
from daily_report.schemas.report import Generation, SessionSummary
from daily_report.schemas.usage import AgentUsage, UsageReport
from daily_report.stages.registry import stage_sort_key
from markupsafe import Markup, escape

OTHER_COLOR = "#777"  # a session of an agent no adapter declares
STAGE_COLOR = "#4b5fc4"
WIDTH = 720
LABEL_W = 210
ROW_H = 24
_MAX_LABEL = 30


@dataclass(frozen=True)
class Segment:
    value: float
    color: str
    tip: str


@dataclass(frozen=True)
class BarRow:
    label: str
    segments: list[Segment] = field(default_factory=list)
    unknown: bool = False  # some part has no price: shown, never drawn as 0
    note: str = ""  # shown instead of the value ("free (replay)")


def _short(text: str) -> str:
    return text if len(text) <= _MAX_LABEL else text[: _MAX_LABEL - 1] + "…"


def _svg(height: int, title: str, body: list[str]) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}"><title>{escape(title)}</title>'
    )
    return Markup(head + "".join(body) + "</svg>")


def bar_chart(rows: list[BarRow], *, title: str) -> Markup:
    """Horizontal (stacked) bars, one row per label, value at the end; unknown parts say so."""
    top = 6
    height = top + ROW_H * max(len(rows), 1) + 6
    known = [sum(s.value for s in r.segments) for r in rows]
    scale = (WIDTH - LABEL_W - 110) / max(max(known, default=0.0), 1e-9)
    body: list[str] = []
    for i, (row, total) in enumerate(zip(rows, known, strict=True)):
        y = top + i * ROW_H
        body.append(
            f'<text x="{LABEL_W - 8}" y="{y + 16}" text-anchor="end" class="lbl">{escape(_short(row.label))}'
            f"<title>{escape(row.label)}</title></text>"
        )
        x = float(LABEL_W)
        for seg in row.segments:
            w = max(seg.value * scale, 1.0) if seg.value > 0 else 0.0
            body.append(
                f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="{ROW_H - 8}" fill="{seg.color}">'
                f"<title>{escape(seg.tip)}</title></rect>"
            )
            x += w
        value = row.note or (
            "unknown" if row.unknown and not total else money(total) + (" + unknown" if row.unknown else "")
        )
        body.append(f'<text x="{x + 6:.1f}" y="{y + 16}" class="val">{escape(value)}</text>')
    if not rows:
        body.append(f'<text x="{LABEL_W}" y="{top + 16}" class="val">no data</text>')
    return _svg(height, title, body)


def agent_color(name: str) -> str:
    return next((a.color for a in agents.AGENTS if a.name == name), OTHER_COLOR)


def _by_agent(usage: UsageReport) -> list[tuple[str, str, AgentUsage]]:
    """(name, colour, usage) of each registered agent in the report, in registry order."""
    return [(a.name, a.color, usage.agents[a.name]) for a in agents.AGENTS if a.name in usage.agents]


def cost_by_model(usage: UsageReport) -> Markup:
    rows = []
    for _, color, agent_usage in _by_agent(usage):
        for name, m in agent_usage.models.items():
            seg = [Segment(m.cost_usd, color, f"{name}: {money(m.cost_usd)}")] if m.cost_usd else []
            rows.append(BarRow(f"{name}", seg, unknown=m.cost_usd is None))
    rows.sort(key=lambda r: -sum(s.value for s in r.segments))
    return bar_chart(rows, title="Agent cost by model")


def cost_by_device(usage: UsageReport) -> Markup:
    per: dict[str, BarRow] = {}
    for agent, color, agent_usage in _by_agent(usage):
        for name, d in agent_usage.devices.items():
            row = per.setdefault(name, BarRow(name))
            tip = f"{name} · {agent_label(agent)}: {money(d.cost_usd)}"
            if d.cost_usd:
                row.segments.append(Segment(d.cost_usd, color, tip))
            if d.cost_usd is None:
                per[name] = BarRow(name, row.segments, unknown=True)
    rows = sorted(per.values(), key=lambda r: r.label.casefold())
    return bar_chart(rows, title="Agent cost by device")


def cost_by_stage(generation: Generation) -> Markup:
    """Report cost per stage; on a free provider every row says so instead of drawing $0.0000."""
    free = free_label(generation)
    rows = [
        BarRow(
            f"{stage} {s.prompt_version}".strip(),
            [Segment(s.cost_usd, STAGE_COLOR, f"{stage}: {money(s.cost_usd)}, {s.calls} calls")]
            if s.cost_usd and not free
            else [],
            unknown=s.cost_usd is None,
            note=free or "",
        )
        for stage, s in sorted(generation.by_stage.items(), key=lambda kv: stage_sort_key(kv[0]))
    ]
    return bar_chart(rows, title="This run's cost by stage")


# ---------------------------------------------------------------- timeline


def _lanes(sessions: list[SessionSummary]) -> list[tuple[SessionSummary, int]]:
    """Greedy lane assignment so overlapping sessions on one device do not hide each other."""
    ends: list[datetime] = []
    out = []
    for s in sorted(sessions, key=lambda s: s.start.timestamp() if s.start else 0.0):
        if s.start is None:
            continue
        end = s.end or s.start
        lane = next((i for i, e in enumerate(ends) if e <= s.start), len(ends))
        if lane == len(ends):
            ends.append(end)
        else:
            ends[lane] = end
        out.append((s, lane))
    return out


def timeline(sessions: list[SessionSummary], *, day: str, tz: tzinfo) -> Markup:
    """The day's sessions per device on a local-time axis; one bar per session, colored by agent."""
    start = datetime.combine(Date.fromisoformat(day), time(0), tzinfo=tz)
    span = timedelta(days=1).total_seconds()
    plot_w = WIDTH - 100 - 24
    timed = [s for s in sessions if s.start is not None]
    rows = [
        (device, _lanes([s for s in timed if s.device == device]))
        for device in sorted({s.device for s in timed}, key=str.casefold)
    ]
    heights = [(max(lane for _, lane in placed) + 1) * ROW_H + 6 for _, placed in rows]
    height = 22 + max(sum(heights), ROW_H) + 4
    body: list[str] = []
    for h in range(0, 25, 3):
        x = 100 + plot_w * h / 24
        body.append(f'<line x1="{x:.1f}" y1="16" x2="{x:.1f}" y2="{height - 4}" class="grid"/>')
        body.append(f'<text x="{x:.1f}" y="12" text-anchor="middle" class="tick">{h:02d}:00</text>')
    y = 22
    for (device, placed), row_h in zip(rows, heights, strict=True):
        body.append(
            f'<text x="92" y="{y + 15}" text-anchor="end" class="lbl">{escape(_short(device))}</text>'
        )
        body += [_bar(s, lane=lane, y=y, start=start, span=span, plot_w=plot_w, tz=tz) for s, lane in placed]
        y += row_h
    if not rows:
        body.append(f'<text x="100" y="{y + 15}" class="val">no sessions with times</text>')
    return _svg(height, "Sessions by device over the day (local time)", body)


def _bar(
    s: SessionSummary, *, lane: int, y: int, start: datetime, span: float, plot_w: int, tz: tzinfo
) -> str:
    a = local(s.start, tz)
    b = local(s.end, tz) or a
    assert a is not None and b is not None
    x0 = min(max((a - start).total_seconds() / span, 0.0), 1.0)
    x1 = min(max((b - start).total_seconds() / span, 0.0), 1.0)
    x = 100 + plot_w * x0
    w = max(plot_w * (x1 - x0), 3.0)
    tip = f"{s.title or 'Untitled session'} · {session_time(s, tz, start.date().isoformat())} · {agent_label(s.agent)}"
    color = agent_color(s.agent)
    return (
        f'<a href="#{anchor(s.session_id)}"><rect x="{x:.1f}" y="{y + lane * ROW_H + 3}" width="{w:.1f}" '
        f'height="{ROW_H - 6}" rx="3" fill="{color}"><title>{escape(tip)}</title></rect></a>'
    )
