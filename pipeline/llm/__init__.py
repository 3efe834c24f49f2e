"""The LLM layer: providers, structured calls with re-asks, transport retries, cache, ledger, batch, export.

The small public surface the engine uses::

    provider = make_provider(config.llm, provider=..., model=..., base_url=...)
    cache = Cache(config.cache_path)             # default: pipeline.paths.default_cache_path()
    ledger = Ledger.beside(cache)
    hit = cache.get(request.key())
    resp = call_structured(provider, request, Model, reasks=2,
                           on_attempt=lambda a: ledger.record_attempt(a, run_id=run_id, date=date))
    cache.put(request.key(), request, resp)
"""

from __future__ import annotations

from pipeline.llm.base import BatchStatus, Provider, RawAnswer, ToolCall
from pipeline.llm.cache import Cache
from pipeline.llm.factory import make_provider, model_for, retry_policy
from pipeline.llm.ledger import Ledger, summarize
from pipeline.llm.retry import RetryPolicy
from pipeline.llm.structured import (
    Attempt,
    StructuredOutputError,
    TransportError,
    call_cached,
    call_structured,
)
from pipeline.llm.types import LLMRequest, LLMResponse, TextBlock, ToolSpec, Usage

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
