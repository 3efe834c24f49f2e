"""The Token Usage tables (the reference reports' columns), as plain cells: the one source of their rows,
order and formatting. The report renders them as Markdown and HTML, ``daily-report usage`` with rich.

Every figure is the UsageReport's own (``cost_share``, ``cache_hit_rate`` come from daily_report.usage.aggregate);
models are listed by cost (unknown last), devices in config order (the UsageReport's order)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import daily_report.sources.agents as agents
from daily_report.report.fmt import count, money, pct
from daily_report.schemas.usage import AgentUsage, TokenRow, UsageReport
from daily_report.sources.agents import Agent


@dataclass(frozen=True)
class Table:
    title: str
    headers: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]


@dataclass(frozen=True)
class AgentUsageView:
    agent: str  # the agent's display name
    tables: list[Table] = field(default_factory=list)


def _cost_order(items: Mapping[str, TokenRow]) -> list[str]:
    """Most expensive first; unknown costs after the known ones, by tokens."""
    return sorted(
        items,
        key=lambda m: (items[m].cost_usd is None, -(items[m].cost_usd or 0.0), -items[m].total_tokens, m),
    )


def _devices(agent: Agent, devices: Mapping[str, TokenRow]) -> Table:
    """Total, the agent's device columns (``Column.device``: input and output) and cost."""
    shown = [c for c in agent.columns if c.device]
    rows = [
        (name, count(d.total_tokens), *(count(d.count(c.key)) for c in shown), money(d.cost_usd))
        for name, d in devices.items()
    ]
    return Table("Usage by Device", ("Device", "Total Tokens", *(c.label for c in shown), "Cost"), rows)


def agent_tables(agent: Agent, usage: AgentUsage) -> list[Table]:
    """Overview, model breakdown and (when any) devices, with the columns the agent declares."""
    t = usage.totals
    metrics = [
        (c.metric, pct(t.rates.get(c.key)) if c.rate else count(t.count(c.key)))
        for c in agent.columns
        if c.metric is not None
    ]
    overview = Table(
        "Overview",
        ("Metric", "Value"),
        [("Total Tokens", count(t.total_tokens)), *metrics, ("Total Cost (USD)", money(t.cost_usd))],
    )
    counted = [c for c in agent.columns if not c.rate]
    models = Table(
        "Model Breakdown",
        ("Model", *(c.label for c in counted), "Cost", "Share"),
        [
            (
                name,
                *(count(m.count(c.key)) for c in counted),
                money(m.cost_usd),
                pct(m.cost_share),
            )
            for name in _cost_order(usage.models)
            for m in [usage.models[name]]
        ],
    )
    return [overview, models, _devices(agent, usage.devices)] if usage.devices else [overview, models]


def usage_views(report: UsageReport) -> list[AgentUsageView]:
    """One view per agent that used anything that day, in registry order (none when the day had no
    usage). Usage of an agent no adapter declares is an error, never shown as another agent's."""
    views = []
    for name in report.agents:
        agents.agent_named(name)
    for agent in agents.AGENTS:
        usage = report.agents.get(agent.name)
        if usage is not None and usage.used():
            views.append(AgentUsageView(agent.display, agent_tables(agent, usage)))
    return views
