"""Deduped usage events → the Token Usage section (schemas.usage.UsageReport) for one local day.

Costs: per model from genai-prices (``None`` when the model cannot be priced). Device rows, agent totals
and ``total_cost_usd`` sum the PRICED parts; when a part is unpriced its model is listed in
``unpriced_models`` and a note says the figure is a lower bound. A figure with no priced part at all is
``None``, never 0.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import TypeVar
from zoneinfo import ZoneInfo

from pipeline.pricing import AGENT_PROVIDERS, Tokens, price_many, priced_as
from pipeline.usage.events import EventLike
from schemas.config import PriceOverride
from schemas.usage import (
    ClaudeAgentUsage,
    ClaudeTokens,
    ClaudeTotals,
    CodexAgentUsage,
    CodexTokens,
    UsageReport,
)

Overrides = Mapping[str, PriceOverride] | None

SUBAGENT_NOTE = (
    "Claude subagent output tokens are a lower bound: subagent transcripts never get their final usage "
    'written (README, section "How the figures are counted").'
)


def local_date(e: EventLike, zone: ZoneInfo) -> date:
    return e.timestamp.astimezone(zone).date()


def bucket_by_day(events: Iterable[EventLike], zone: ZoneInfo) -> dict[date, list[EventLike]]:
    days: dict[date, list[EventLike]] = defaultdict(list)
    for e in events:
        days[local_date(e, zone)].append(e)
    return days


def tokens_of(e: EventLike) -> Tokens:
    """One event in the pricing partition (Codex input includes cached; Claude input excludes it)."""
    if e.agent == "codex":
        cached = min(e.cached_input_tokens, e.input_tokens)
        return Tokens(e.input_tokens - cached, e.output_tokens, 0, 0, cached)
    w1 = e.cache_write_1h_tokens
    return Tokens(e.input_tokens, e.output_tokens, e.cache_write_5m_tokens + w1, w1, e.cache_read_tokens)


def total_tokens(e: EventLike) -> int:
    """Claude: input + output + cache write + cache read. Codex: input (with cached) + output."""
    if e.agent == "codex":
        return e.input_tokens + e.output_tokens
    return e.line_total


def day_instant(day: date) -> datetime:
    """The instant a usage day is priced at (prices change on dates): noon UTC of that date."""
    return datetime.combine(day, time(12), tzinfo=UTC)


def cost_of(
    events: Iterable[EventLike], *, overrides: Overrides = None, when: datetime | None = None
) -> tuple[int, Decimal | None]:
    """Total tokens and cost of already-deduped events at the prices of ``when`` (the usage day's
    ``day_instant``; None: now); cost None if any of them cannot be priced."""
    by_model: dict[tuple[str, str], list[Tokens]] = defaultdict(list)
    tokens = 0
    for e in events:
        tokens += total_tokens(e)
        by_model[(e.agent, e.model)].append(tokens_of(e))
    cost = Decimal(0)
    for (agent, model), calls in by_model.items():
        c = price_many(calls, model=model, provider=AGENT_PROVIDERS[agent], overrides=overrides, when=when)
        if c is None:
            return tokens, None
        cost += c
    return tokens, cost


class _Priced:
    """Per-model cost cache for one agent of one day, so device rows reuse model prices exactly."""

    def __init__(self, agent: str, overrides: Overrides, when: datetime) -> None:
        self.provider = AGENT_PROVIDERS[agent]
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


def _claude_row(events: Sequence[EventLike], cost: Decimal | None) -> ClaudeTokens:
    inp = out = w5 = w1 = read = 0
    for e in events:
        inp += e.input_tokens
        out += e.output_tokens
        w5 += e.cache_write_5m_tokens
        w1 += e.cache_write_1h_tokens
        read += e.cache_read_tokens
    return ClaudeTokens(
        input_tokens=inp,
        output_tokens=out,
        cache_creation_tokens=w5 + w1,
        cache_creation_1h_tokens=w1,
        cache_read_tokens=read,
        total_tokens=inp + out + w5 + w1 + read,
        cost_usd=_f(cost),
        responses=len(events),
    )


def _codex_row(events: Sequence[EventLike], cost: Decimal | None) -> CodexTokens:
    inp = cached = out = reasoning = 0
    for e in events:
        inp += e.input_tokens
        cached += e.cached_input_tokens
        out += e.output_tokens
        reasoning += e.reasoning_tokens
    return CodexTokens(
        input_tokens=inp,
        cached_input_tokens=cached,
        output_tokens=out,
        reasoning_tokens=reasoning,
        total_tokens=inp + out,
        cost_usd=_f(cost),
        responses=len(events),
    )


Grouped = dict[str, list[tuple[EventLike, Tokens]]]


def _groups(events: Sequence[EventLike]) -> tuple[Grouped, Grouped]:
    """Events with their priced tokens (computed once), by model and by device."""
    models: Grouped = defaultdict(list)
    devices: Grouped = defaultdict(list)
    for e in events:
        pair = (e, tokens_of(e))
        models[e.model].append(pair)
        devices[e.device].append(pair)
    return models, devices


def _tokens_by_model(pairs: Sequence[tuple[EventLike, Tokens]]) -> dict[str, list[Tokens]]:
    out: dict[str, list[Tokens]] = defaultdict(list)
    for e, t in pairs:
        out[e.model].append(t)
    return out


Row = TypeVar("Row", ClaudeTokens, CodexTokens)


def _agent_rows(
    events: Sequence[EventLike], priced: _Priced, make: Callable[[Sequence[EventLike], Decimal | None], Row]
) -> tuple[dict[str, Row], dict[str, Row], Decimal | None]:
    models, devices = _groups(events)
    model_rows: dict[str, Row] = {}
    costs: dict[str, Decimal] = {}
    for model, pairs in models.items():
        c = priced.cost({model: [t for _, t in pairs]})
        model_rows[model] = make([e for e, _ in pairs], c)
        if c is not None:
            costs[model] = c
    total = sum(costs.values(), Decimal(0)) if costs else None
    for model, c in costs.items():
        if total:
            model_rows[model].cost_share = float(c / total)
    # biggest cost first, as the reference reports list them; unpriced models last
    model_rows = dict(sorted(model_rows.items(), key=lambda kv: (-(costs.get(kv[0], Decimal(-1))), kv[0])))
    device_rows = {
        dev: make([e for e, _ in pairs], priced.cost(_tokens_by_model(pairs)))
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
    claude_ev = [e for e in events if e.agent == "claude_code"]
    codex_ev = [e for e in events if e.agent == "codex"]
    when = day_instant(day)
    pc, px = _Priced("claude_code", overrides, when), _Priced("codex", overrides, when)
    cm, cd, ctot = _agent_rows(claude_ev, pc, _claude_row)
    xm, xd, xtot = _agent_rows(codex_ev, px, _codex_row)
    order = {d: i for i, d in enumerate(device_order or [])}

    def by_config(rows: dict[str, Row]) -> dict[str, Row]:
        return dict(sorted(rows.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))

    ctotals = ClaudeTotals(**_claude_row(claude_ev, ctot).model_dump())
    written_read = ctotals.cache_read_tokens + ctotals.cache_creation_tokens
    ctotals.cache_hit_rate = ctotals.cache_read_tokens / written_read if written_read else None
    report = UsageReport(date=day.isoformat(), timezone=timezone)
    report.agents.claude_code = ClaudeAgentUsage(models=cm, devices=by_config(cd), totals=ctotals)
    report.agents.codex = CodexAgentUsage(models=xm, devices=by_config(xd), totals=_codex_row(codex_ev, xtot))
    parts = [c for c in (ctot, xtot) if c is not None]
    report.total_cost_usd = _f(sum(parts, Decimal(0))) if parts or not events else None
    report.unpriced_models = sorted(pc.unpriced | px.unpriced)
    report.priced_as = dict(sorted({**pc.fallbacks, **px.fallbacks}.items()))
    report.notes = _notes(claude_ev, codex_ev, report.unpriced_models)
    report.notes += [fallback_note(model, family) for model, family in report.priced_as.items()]
    return report


def fallback_note(model: str, family: str) -> str:
    return f"{model} is priced as {family}: genai-prices has no price for the dated name."


def _notes(claude_ev: Sequence[EventLike], codex_ev: Sequence[EventLike], unpriced: list[str]) -> list[str]:
    notes: list[str] = []
    if any(e.is_sidechain for e in claude_ev):
        notes.append(SUBAGENT_NOTE)
    if unpriced:
        notes.append(
            "No price known for "
            + ", ".join(unpriced)
            + ": their cost is null, and device rows, agent totals "
            "and total_cost_usd cover the priced models only (a lower bound). Add a [prices] entry to the "
            "config to price them."
        )
    if any(e.model_approximate for e in codex_ev):
        notes.append("Some Codex usage predates any turn_context: its model is a guess (approximate).")
    return notes
