"""The Token Usage tables (the reference reports' columns), as plain cells: the one source of their rows,
order and formatting. The report renders them as Markdown and HTML, ``daily-report usage`` with rich.

Every figure is the UsageReport's own (``cost_share``, ``cache_hit_rate`` come from pipeline.usage.aggregate);
models are listed by cost (unknown last), devices in config order (the UsageReport's order)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pipeline.report.fmt import count, money, pct
from schemas.usage import ClaudeAgentUsage, ClaudeTokens, CodexAgentUsage, CodexTokens, UsageReport


@dataclass(frozen=True)
class Table:
    title: str
    headers: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]


@dataclass(frozen=True)
class AgentUsageView:
    agent: str  # "Claude Code" / "Codex"
    tables: list[Table] = field(default_factory=list)


def _cost_order(items: Mapping[str, ClaudeTokens | CodexTokens]) -> list[str]:
    """Most expensive first; unknown costs after the known ones, by tokens."""
    return sorted(
        items,
        key=lambda m: (items[m].cost_usd is None, -(items[m].cost_usd or 0.0), -items[m].total_tokens, m),
    )


def _devices(devices: Mapping[str, ClaudeTokens | CodexTokens]) -> Table:
    rows = [
        (name, count(d.total_tokens), count(d.input_tokens), count(d.output_tokens), money(d.cost_usd))
        for name, d in devices.items()
    ]
    return Table("Usage by Device", ("Device", "Total Tokens", "Input", "Output", "Cost"), rows)


def claude_tables(usage: ClaudeAgentUsage) -> list[Table]:
    t = usage.totals
    overview = Table(
        "Overview",
        ("Metric", "Value"),
        [
            ("Total Tokens", count(t.total_tokens)),
            ("Input Tokens", count(t.input_tokens)),
            ("Output Tokens", count(t.output_tokens)),
            ("Cache Created", count(t.cache_creation_tokens)),
            ("Cache Read", count(t.cache_read_tokens)),
            ("Cache Hit Rate", pct(t.cache_hit_rate)),
            ("Total Cost (USD)", money(t.cost_usd)),
        ],
    )
    models = Table(
        "Model Breakdown",
        ("Model", "Input", "Output", "Cache Created", "Cache Read", "Cost", "Share"),
        [
            (
                name,
                count(m.input_tokens),
                count(m.output_tokens),
                count(m.cache_creation_tokens),
                count(m.cache_read_tokens),
                money(m.cost_usd),
                pct(m.cost_share),
            )
            for name in _cost_order(usage.models)
            for m in [usage.models[name]]
        ],
    )
    return [overview, models, _devices(usage.devices)] if usage.devices else [overview, models]


def codex_tables(usage: CodexAgentUsage) -> list[Table]:
    t = usage.totals
    overview = Table(
        "Overview",
        ("Metric", "Value"),
        [
            ("Total Tokens", count(t.total_tokens)),
            ("Input Tokens", count(t.input_tokens)),
            ("Output Tokens", count(t.output_tokens)),
            ("Reasoning Tokens", count(t.reasoning_tokens)),
            ("Cache Read", count(t.cached_input_tokens)),
            ("Total Cost (USD)", money(t.cost_usd)),
        ],
    )
    models = Table(
        "Model Breakdown",
        ("Model", "Input", "Output", "Reasoning", "Cache Read", "Cost", "Share"),
        [
            (
                name,
                count(m.input_tokens),
                count(m.output_tokens),
                count(m.reasoning_tokens),
                count(m.cached_input_tokens),
                money(m.cost_usd),
                pct(m.cost_share),
            )
            for name in _cost_order(usage.models)
            for m in [usage.models[name]]
        ],
    )
    return [overview, models, _devices(usage.devices)] if usage.devices else [overview, models]


def _claude_used(u: ClaudeAgentUsage) -> bool:
    return bool(u.models) or u.totals.total_tokens > 0 or u.totals.responses > 0


def _codex_used(u: CodexAgentUsage) -> bool:
    return bool(u.models) or u.totals.total_tokens > 0 or u.totals.responses > 0


def usage_views(report: UsageReport) -> list[AgentUsageView]:
    """One view per agent that used anything that day (none when the day had no usage)."""
    views = []
    if _claude_used(report.agents.claude_code):
        views.append(AgentUsageView("Claude Code", claude_tables(report.agents.claude_code)))
    if _codex_used(report.agents.codex):
        views.append(AgentUsageView("Codex", codex_tables(report.agents.codex)))
    return views
