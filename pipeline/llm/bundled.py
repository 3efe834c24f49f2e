"""One request that carries several chunk stages (one tool call each), and splitting its answer.

The unit of caching stays the stage answer: each tool call of a bundled answer is validated against its
stage's schema and becomes an ``LLMResponse`` stored under that stage's single-stage request key, so later
runs, ``--stage``, the eval and the report find it exactly as if it had been asked alone. The request's
real usage is shared out over the answers it produced (input evenly, output by the length of each call),
so the sum of the answers' costs is what the request cost. A stage whose call is missing or invalid is
left to a single-stage request (with its re-asks).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from daily_report.llm.answer_redaction import AnswerRedactor, default_answer_redactor
from daily_report.llm.base import Provider, RawAnswer, ToolCall
from daily_report.llm.costing import call_cost
from daily_report.llm.retry import RetryPolicy
from daily_report.llm.structured import AttemptFn, _Call, describe_errors, parse_output
from daily_report.llm.types import LLMRequest, LLMResponse, Usage
from pydantic import BaseModel, ValidationError

Member = tuple[LLMRequest, type[BaseModel]]
"""A stage's single-stage request (its key is the answer's cache key) and its output model."""


@dataclass(frozen=True)
class Bundle:
    """The request sent and the stage requests it answers, in the order of its tool list."""

    request: LLMRequest
    members: tuple[Member, ...]

    def member(self, tool: str) -> Member | None:
        return next((m for m in self.members if m[0].stage == tool), None)


@dataclass
class Split:
    """A bundled answer split by stage: valid answers by member key, and why the others are missing."""

    answers: dict[str, LLMResponse] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)  # member key -> what was wrong

    def summary(self) -> str | None:
        """The problems as one line for the ledger row (None when every stage answered)."""
        return "; ".join(self.problems.values())[:500] or None


def split_answer(
    bundle: Bundle,
    raw: RawAnswer,
    *,
    batch: bool = False,
    overrides: Mapping[str, object] | None = None,
    latency_s: float = 0.0,
) -> Split:
    """Validate each stage's tool call of ``raw`` and price the valid ones with their share of its usage."""
    calls = _calls_by_name(raw)
    parsed: list[tuple[LLMRequest, ToolCall, BaseModel]] = []
    out = Split()
    for request, model in bundle.members:
        key, stage = request.key(), request.stage
        call = calls.get(stage)
        if call is None:
            out.problems[key] = f"{stage}: the answer has no `{stage}` tool call"
            continue
        try:
            parsed.append((request, call, parse_output(call.arguments, model)))
        except (ValueError, ValidationError) as exc:
            out.problems[key] = f"{stage}: invalid output: {describe_errors(exc)}"
    shares = share_usage(raw.usage, [len(c.arguments) for _, c, _ in parsed])
    model_name = raw.model or bundle.request.model
    for (request, call, value), usage in zip(parsed, shares, strict=True):
        cost = call_cost(
            provider=request.provider, model=model_name, usage=usage, batch=batch, overrides=overrides
        )
        out.answers[request.key()] = LLMResponse(
            output=value.model_dump(mode="json"),
            raw_text=call.arguments,
            usage=usage,
            model=model_name,
            cost_usd=cost,
            latency_s=latency_s,
            batch=batch,
        )
    return out


def _calls_by_name(raw: RawAnswer) -> dict[str, ToolCall]:
    """The first call of each tool (a tool called twice: the first one counts)."""
    calls = raw.tool_calls or ((raw.tool_call,) if raw.tool_call is not None else ())
    out: dict[str, ToolCall] = {}
    for call in calls:
        out.setdefault(call.name, call)
    return out


def share_usage(total: Usage, weights: Sequence[int]) -> list[Usage]:
    """``total`` shared over ``len(weights)`` answers: the prompt evenly (they read the same prompt), the
    output by weight; integer parts that add up exactly to ``total``."""
    n = len(weights)
    if n == 0:
        return []
    prompt_fields = ("input_tokens", "cache_write_tokens", "cache_write_1h_tokens", "cache_read_tokens")
    output_fields = ("output_tokens", "reasoning_tokens")
    parts: list[dict[str, int]] = [{} for _ in range(n)]
    for name in prompt_fields:
        for i, v in enumerate(_split(getattr(total, name), [1] * n)):
            parts[i][name] = v
    for name in output_fields:
        for i, v in enumerate(_split(getattr(total, name), [max(w, 1) for w in weights])):
            parts[i][name] = v
    return [Usage(**p) for p in parts]


def _split(value: int, weights: Sequence[int]) -> list[int]:
    """``value`` in integer parts proportional to ``weights`` (largest remainders), summing to ``value``."""
    whole = sum(weights)
    exact = [Decimal(value) * w / whole for w in weights]
    parts = [int(e) for e in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: exact[i] - parts[i], reverse=True)
    for i in by_remainder[: value - sum(parts)]:
        parts[i] += 1
    return parts


def call_bundled(
    provider: Provider,
    bundle: Bundle,
    *,
    on_attempt: AttemptFn | None = None,
    policy: RetryPolicy | None = None,
    price_overrides: Mapping[str, Any] | None = None,
    redactor: AnswerRedactor | None = None,
) -> Split:
    """Send a bundled request once (transport retries, no re-ask: a stage whose call is missing or invalid
    is asked alone by the caller) and split its answer. The attempt goes to ``on_attempt`` once, with the
    request's real usage. Raises TransportError like ``call_structured``."""
    call = _Call(
        provider, bundle.request, on_attempt, policy or RetryPolicy(), redactor or default_answer_redactor()
    )
    raw = call.send([])
    split = split_answer(bundle, raw, overrides=price_overrides, latency_s=call.latency)
    error = None if split.answers else f"invalid output: {split.summary()}"
    call.report(raw, error=error)
    return split
