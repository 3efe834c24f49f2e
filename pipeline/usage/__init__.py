"""Usage and cost accounting (no LLM): global dedup, day buckets, pricing, the file index.

For other modules:
- ``dedup_events(events)``: the global Claude/Codex dedup rule; events in config/device order.
- ``cost_of(events, overrides=None) -> (total_tokens, cost | None)`` of already-deduped events.
- ``build_usage_report(config, date=, zone=)`` / ``build_usage_range(config, since=, until=, zone=)``.
"""

from __future__ import annotations

from pipeline.usage.aggregate import cost_of, total_tokens
from pipeline.usage.build import build_usage_range, build_usage_report
from pipeline.usage.dedup import dedup_events

__all__ = ["build_usage_range", "build_usage_report", "cost_of", "dedup_events", "total_tokens"]
