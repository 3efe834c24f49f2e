"""The LLM layer: providers, structured calls with re-asks, transport retries, cache, ledger, batch, export.

The small public surface the engine uses::

    provider = make_provider(config.llm, provider=..., model=..., base_url=...)
    cache = Cache(config.cache_path)             # default: daily_report.core.paths.default_cache_path()
    ledger = Ledger.beside(cache)
    hit = cache.get(request.key())
    resp = call_structured(provider, request, Model, reasks=2,
                           on_attempt=lambda a: ledger.record_attempt(a, run_id=run_id, date=date))
    cache.put(request.key(), request, resp)
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# Loaded on first use (PEP 562): importing ``daily_report.llm.types`` must not pull in the ledger, the report
# schemas and the price tables, which a dry run's planning never needs.
_HOME = {
    "BatchStatus": "base",
    "Provider": "base",
    "RawAnswer": "base",
    "ToolCall": "base",
    "Cache": "cache",
    "make_provider": "factory",
    "model_for": "factory",
    "retry_policy": "factory",
    "Ledger": "ledger",
    "summarize": "ledger",
    "RetryPolicy": "retry",
    "Attempt": "structured",
    "StructuredOutputError": "structured",
    "TransportError": "structured",
    "call_cached": "structured",
    "call_structured": "structured",
    "LLMRequest": "types",
    "LLMResponse": "types",
    "TextBlock": "types",
    "ToolSpec": "types",
    "Usage": "types",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{home}"), name)


__all__ = [
    "Attempt",
    "BatchStatus",
    "Cache",
    "LLMRequest",
    "LLMResponse",
    "Ledger",
    "Provider",
    "RawAnswer",
    "RetryPolicy",
    "StructuredOutputError",
    "TextBlock",
    "ToolCall",
    "ToolSpec",
    "TransportError",
    "Usage",
    "call_cached",
    "call_structured",
    "make_provider",
    "model_for",
    "retry_policy",
    "summarize",
]
