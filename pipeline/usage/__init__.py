"""Usage and cost accounting (no LLM): global dedup, day buckets, pricing, the file index.

Import from the modules themselves:
- ``dedup.dedup_events(events)``: the global dedup, each agent by its own rule; events in config/device order.
- ``aggregate.cost_of(events, overrides=None, when=None) -> (total_tokens, cost | None)`` of already-deduped
  events, at the prices of ``when`` (a usage day: ``aggregate.day_instant(day)``; None: now).
- ``build.build_usage_report(config, date=, zone=, index_path=None)`` / ``build.build_usage_range(...)``.
- ``sessions.session_stats(session, events, zone=, overrides=, day=)``: a session's figures, the same for
  ``daily-report sessions`` and the report.

This package imports nothing, so that a warm ``usage`` run (answered from the memo) never loads the price
tables.
"""
