"""Usage and cost accounting (no LLM): global dedup, day buckets, pricing, the file index.

For other modules:
- ``dedup_events(events)``: the global dedup, each agent by its own rule; events in config/device order.
- ``cost_of(events, overrides=None, when=None) -> (total_tokens, cost | None)`` of already-deduped events,
  at the prices of ``when`` (a usage day: ``aggregate.day_instant(day)``; None: now).
- ``build_usage_report(config, date=, zone=, index_path=None)`` / ``build_usage_range(config, since=,
  until=, zone=, index_path=None)``; ``index_path`` defaults to ``index.sqlite3`` in the user cache dir.
- ``sessions.session_stats(session, events, zone=, overrides=, day=)``: a session's figures, the same for
  ``daily-report sessions`` and the report.

Imports are lazy so that a warm ``usage`` run (answered from the memo) never loads the price tables.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from daily_report.usage.aggregate import cost_of, total_tokens
    from daily_report.usage.build import build_usage_range, build_usage_report
    from daily_report.usage.dedup import dedup_events

_EXPORTS = {
    "build_usage_range": "daily_report.usage.build",
    "build_usage_report": "daily_report.usage.build",
    "cost_of": "daily_report.usage.aggregate",
    "total_tokens": "daily_report.usage.aggregate",
    "dedup_events": "daily_report.usage.dedup",
}
__all__ = ["build_usage_range", "build_usage_report", "cost_of", "dedup_events", "total_tokens"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'daily_report.usage' has no attribute {name!r}")
