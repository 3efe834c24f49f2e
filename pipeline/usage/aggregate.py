"""Deduped usage events → the Token Usage section (daily_report.schemas.usage.UsageReport) for one local day.

Costs: per model from genai-prices (``None`` when the model cannot be priced). Device rows, agent totals
and ``total_cost_usd`` sum the PRICED parts; when a part is unpriced its model is listed in
``unpriced_models`` and a note says the figure is a lower bound. A figure with no priced part at all is
``None``, never 0.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import daily_report.sources.agents as agents
from daily_report.core.pricing import Tokens, price_many, priced_as
from daily_report.schemas.config import PriceOverride
from daily_report.schemas.usage import AgentUsage, TokenRow, UsageReport
from daily_report.sources.agents import Agent
from daily_report.usage.events import EventLike

Overrides = Mapping[str, PriceOverride] | None


def local_date(e: EventLike, zone: ZoneInfo) -> date:
    return e.timestamp.astimezone(zone).date()


def bucket_by_day(events: Iterable[EventLike], zone: ZoneInfo) -> dict[date, list[EventLike]]:
    days: dict[date, list[EventLike]] = defaultdict(list)
    for e in events:
        days[local_date(e, zone)].append(e)
    return days


def total_tokens(e: EventLike) -> int:
    """The event's tokens as its agent counts them (``Agent.total_tokens``)."""
    return agents.agent_named(e.agent).total_tokens(e)


def by_agent(events: Iterable[EventLike]) -> dict[str, list[EventLike]]:
    """Events split by agent, agents in registry order (an unregistered agent is an error)."""
    groups: dict[str, list[EventLike]] = defaultdict(list)
    for e in events:
        groups[e.agent].append(e)
    for name in groups:
        agents.agent_named(name)  # raises for an agent no adapter declares
    return {name: groups[name] for name in sorted(groups, key=agents.rank)}


def day_instant(day: date) -> datetime:
    """The instant a usage day is priced at (prices change on dates): noon UTC of that date."""
    return datetime.combine(day, time(12), tzinfo=UTC)


def cost_of(
    events: Iterable[EventLike], *, overrides: Overrides = None, when: datetime | None = None
) -> tuple[int, Decimal | None]:
    """Total tokens and cost of already-deduped events at the prices of ``when`` (the usage day's
    ``day_instant``; None: now); cost None if any of them cannot be priced."""
    tokens = 0
    by_model: dict[tuple[str, str], list[Tokens]] = defaultdict(list)
    for name, evs in by_agent(events).items():
        agent = agents.agent_named(name)
        for e, t in zip(evs, agent.priced_tokens(evs), strict=True):
            tokens += agent.total_tokens(e)
            by_model[(agent.provider, e.model)].append(t)
    cost = Decimal(0)
    for (provider, model), calls in by_model.items():
        c = price_many(calls, model=model, provider=provider, overrides=overrides, when=when)
        if c is None:
            return tokens, None
        cost += c
    return tokens, cost


class _Priced:
    """Per-model cost cache for one agent of one day, so device rows reuse model prices exactly."""

    def __init__(self, agent: Agent, overrides: Overrides, when: datetime) -> None:
        self.provider = agent.provider
        self.overrides = overrides
        self.when = when
        self.unpriced: set[str] = set()
        self.fallbacks: dict[str, str] = {}  # dated model -> the family it was priced as

    def cost(self, by_model: Mapping[str, list[Tokens]]) -> Decimal | None:
        """Sum over the priced models; None when none of them could be priced."""
        total: Decimal | None = None
        for model, calls in by_model.items():
            c = price_many(
                calls, model=model, provider=self.provider, overrides=self.overrides, when=self.when
            )
            if c is None:
                self.unpriced.add(model)
                continue
            if not (self.overrides and model in self.overrides) and (
                family := priced_as(model, self.provider)
            ):
                self.fallbacks[model] = family
            total = c if total is None else total + c
        return total


def _f(d: Decimal | None) -> float | None:
    return None if d is None else float(d)


def _row(agent: Agent, events: Sequence[EventLike], cost: Decimal | None, *, rates: bool = False) -> TokenRow:
    """The agent's counts of these events (``Agent.count``), its total, the cost; with ``rates`` (its
    totals row) its rates too."""
    counts = agent.count(events)
    return TokenRow(
        tokens=counts,
        total_tokens=agent.total_of(counts),
        cost_usd=_f(cost),
        responses=len(events),
        rates={k: None if v is None else float(v) for k, v in agent.rates(counts).items()} if rates else {},
    )


Grouped = dict[str, list[tuple[EventLike, Tokens]]]


def _groups(agent: Agent, events: Sequence[EventLike]) -> tuple[Grouped, Grouped]:
    """Events with their priced tokens (computed once), by model and by device."""
    models: Grouped = defaultdict(list)
    devices: Grouped = defaultdict(list)
    for pair in zip(events, agent.priced_tokens(events), strict=True):
        e = pair[0]
        models[e.model].append(pair)
        devices[e.device].append(pair)
    return models, devices


def _tokens_by_model(pairs: Sequence[tuple[EventLike, Tokens]]) -> dict[str, list[Tokens]]:
    out: dict[str, list[Tokens]] = defaultdict(list)
    for e, t in pairs:
        out[e.model].append(t)
    return out


def _agent_rows(
    agent: Agent, events: Sequence[EventLike], priced: _Priced
) -> tuple[dict[str, TokenRow], dict[str, TokenRow], Decimal | None]:
    models, devices = _groups(agent, events)
    model_rows: dict[str, TokenRow] = {}
    costs: dict[str, Decimal] = {}
    for model, pairs in models.items():
        c = priced.cost({model: [t for _, t in pairs]})
        model_rows[model] = _row(agent, [e for e, _ in pairs], c)
        if c is not None:
            costs[model] = c
    total = sum(costs.values(), Decimal(0)) if costs else None
    for model, c in costs.items():
        if total:
            model_rows[model].cost_share = float(c / total)
    # biggest cost first, as the reference reports list them; unpriced models last
    model_rows = dict(sorted(model_rows.items(), key=lambda kv: (-(costs.get(kv[0], Decimal(-1))), kv[0])))
    device_rows = {
        dev: _row(agent, [e for e, _ in pairs], priced.cost(_tokens_by_model(pairs)))
        for dev, pairs in devices.items()
    }
    return model_rows, device_rows, total


def build_day(
    events: Sequence[EventLike],
    *,
    day: date,
    timezone: str,
    overrides: Overrides = None,
    device_order: list[str] | None = None,
) -> UsageReport:
    """The report for one day from deduped events already bucketed to that local day, priced at that day
    (``day_instant``)."""
    groups = by_agent(events)
    when = day_instant(day)
    order = {d: i for i, d in enumerate(device_order or [])}

    def by_config(rows: dict[str, TokenRow]) -> dict[str, TokenRow]:
        return dict(sorted(rows.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))

    report = UsageReport(date=day.isoformat(), timezone=timezone)
    parts: list[Decimal] = []
    unpriced: set[str] = set()
    fallbacks: dict[str, str] = {}
    notes: list[str] = []
    for agent in agents.AGENTS:  # every agent listed, one without usage with zero rows
        evs = groups.pop(agent.name, [])
        priced = _Priced(agent, overrides, when)
        models, devices, total = _agent_rows(agent, evs, priced)
        totals = _row(agent, evs, total, rates=True)
        report.agents[agent.name] = AgentUsage(models=models, devices=by_config(devices), totals=totals)
        if total is not None:
            parts.append(total)
        unpriced |= priced.unpriced
        fallbacks |= priced.fallbacks
        notes += agent.notes(evs)
    report.total_cost_usd = _f(sum(parts, Decimal(0))) if parts or not events else None
    report.unpriced_models = sorted(unpriced)
    report.priced_as = dict(sorted(fallbacks.items()))
    report.notes = notes + _unpriced_note(report.unpriced_models)
    report.notes += [fallback_note(model, family) for model, family in report.priced_as.items()]
    return report


def fallback_note(model: str, family: str) -> str:
    return f"{model} is priced as {family}: genai-prices has no price for the dated name."


def _unpriced_note(unpriced: list[str]) -> list[str]:
    if not unpriced:
        return []
    return [
        "No price known for " + ", ".join(unpriced) + ": their cost is null, and device rows, agent totals "
        "and total_cost_usd cover the priced models only (a lower bound). Add a [prices] entry to the "
        "config to price them."
    ]
