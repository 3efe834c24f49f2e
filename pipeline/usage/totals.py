"""A date range's usage, the way ccusage shows one: only the days with activity, then one totals row.

Works on the dumped JSON of ``UsageReport`` (``usage --json``'s day object), so the range JSON, the range
table and the ``sessions`` totals share one sum, with no model import.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import daily_report.sources.agents as registry
from daily_report.sources.agents import Agent


def is_active(day: dict[str, Any]) -> bool:
    """A day with at least one priced or unpriced response of any agent."""
    return any((a.get("totals") or {}).get("responses") for a in (day.get("agents") or {}).values())


def sum_rows(rows: Iterable[dict[str, Any]], agent: Agent | None = None) -> dict[str, Any]:
    """Field-wise sums of token rows (whole numbers) and costs (None, unknown, as soon as one part is);
    shares and rates are not summed: with ``agent``, its rates (``Agent.rates``) of the sums follow."""
    out: dict[str, Any] = {}
    for row in rows:
        for key, value in row.items():
            if key == "cost_share" or isinstance(value, bool):
                continue
            if key.startswith("cost") or key.endswith("cost_usd"):
                known = key not in out or out[key] is not None
                out[key] = None if value is None or not known else out.get(key, 0.0) + value
            elif isinstance(value, int):
                out[key] = out.get(key, 0) + value
    if agent is not None and out:
        out |= agent.rates(out)
    return out


def range_totals(days: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per agent the summed day totals, then the range's tokens, cost and unpriced models."""
    agents: dict[str, list[dict[str, Any]]] = {}
    for day in days:
        for name, usage in (day.get("agents") or {}).items():
            totals = usage.get("totals") or {}
            if totals.get("responses"):  # an idle agent's cost is null, not unknown
                agents.setdefault(name, []).append(totals)
    per_agent = {name: sum_rows(rows, registry.agent_named(name)) for name, rows in agents.items()}
    costs = [d.get("total_cost_usd") for d in days]
    return {
        "days": len(days),
        "total_tokens": sum(a.get("total_tokens", 0) for a in per_agent.values()),
        "total_cost_usd": None if None in costs else round(sum(c or 0.0 for c in costs), 6),
        "unpriced_models": sorted({m for d in days for m in d.get("unpriced_models") or []}),
        "agents": per_agent,
    }


def range_json(days: Sequence[dict[str, Any]], *, since: str, until: str, timezone: str) -> dict[str, Any]:
    """``usage --since/--until --json``: the active days' --date objects and their totals."""
    active = [d for d in days if is_active(d)]
    return {
        "since": since,
        "until": until,
        "timezone": timezone,
        "days": active,
        "totals": range_totals(active),
    }
