"""Answers that arrive outside ``call_structured`` (batch results, imported files): redact, validate, price
at batch rates, store in the cache and record in the ledger. No re-ask here: an invalid answer stays
unanswered, so the next live run sends that request again."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from daily_report.llm.answer_redaction import AnswerRedactor, default_answer_redactor
from daily_report.llm.base import RawAnswer
from daily_report.llm.bundled import Bundle, split_answer
from daily_report.llm.cache import Cache
from daily_report.llm.costing import call_cost
from daily_report.llm.ledger import Ledger
from daily_report.llm.structured import check_tool, describe_errors, parse_output
from daily_report.llm.types import LLMRequest, LLMResponse
from pydantic import BaseModel, ValidationError

PlannedPair = tuple[LLMRequest, type[BaseModel]]
"""A planned request and the pydantic model its answer must validate against."""
Planned = PlannedPair | Bundle
"""What a batch or result line answers: one stage's request, or a bundled request of several stages."""

CUSTOM_ID_PREFIX = "req_"


def custom_id_for(request: LLMRequest) -> str:
    """A batch custom_id (<= 64 chars, ``[a-zA-Z0-9_-]``): a prefix of the request key."""
    return CUSTOM_ID_PREFIX + request.key()[:48]


def by_custom_id(pairs: Iterable[Planned]) -> dict[str, Planned]:
    """Index planned requests (single-stage pairs or bundles) by the custom_id their batch line carries."""
    return {custom_id_for(request_of(p)): p for p in pairs}


def request_of(planned: Planned) -> LLMRequest:
    return planned.request if isinstance(planned, Bundle) else planned[0]


def answered(cache: Cache, planned: Planned) -> bool:
    """True when the cache holds the answer (for a bundle: every stage's answer)."""
    if isinstance(planned, Bundle):
        return all(cache.has(req.key()) for req, _ in planned.members)
    return cache.has(planned[0].key())


@dataclass
class AnswerTally:
    """What happened to a set of answers."""

    stored: int = 0
    invalid: list[str] = field(default_factory=list)
    errored: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Sink:
    """Where accepted answers go."""

    cache: Cache
    ledger: Ledger | None = None
    run_id: str = ""
    date: str | None = None
    batch: bool = True
    price_overrides: Mapping[str, object] | None = None
    redactor: AnswerRedactor | None = None  # None: the built-in rules


def accept(sink: Sink, pair: Planned, *, answer: RawAnswer | str, tally: AnswerTally) -> bool:
    """Validate one answer against its request's model and store it. True when stored (for a bundle:
    when any stage's answer was stored; the others stay unanswered and are asked alone)."""
    if isinstance(pair, Bundle):
        return accept_bundle(sink, pair, answer=answer, tally=tally)
    request, model = pair
    label = request.label or request.key()[:12]
    raw = _cleaned(sink, request, answer, tally=tally, label=label)
    if raw is None:
        return False
    try:
        check_tool(request, raw)
        parsed = parse_output(raw.text, model)
    except (ValueError, ValidationError) as exc:
        errors = describe_errors(exc)
        tally.invalid.append(f"{label}: {errors}")
        _record(sink, request, error=f"invalid output: {errors}", answer=raw)
        return False
    cost = call_cost(
        provider=request.provider,
        model=raw.model or request.model,
        usage=raw.usage,
        batch=sink.batch,
        overrides=_overrides(sink),
    )
    response = LLMResponse(
        output=parsed.model_dump(mode="json"),
        raw_text=raw.text,
        usage=raw.usage,
        model=raw.model or request.model,
        cost_usd=cost,
        batch=sink.batch,
    )
    sink.cache.put(request.key(), request, response)
    _record(sink, request, response=response)
    tally.stored += 1
    return True


def accept_bundle(sink: Sink, bundle: Bundle, *, answer: RawAnswer | str, tally: AnswerTally) -> bool:
    """Split a bundled answer: each valid tool call stored under its stage's key; one ledger row with the
    request's real usage."""
    request = bundle.request
    label = request.label or request.key()[:12]
    raw = _cleaned(sink, request, answer, tally=tally, label=label)
    if raw is None:
        return False
    split = split_answer(bundle, raw, batch=sink.batch, overrides=_overrides(sink))
    for member, _model in bundle.members:
        response = split.answers.get(member.key())
        if response is not None:
            sink.cache.put(member.key(), member, response)
    tally.stored += len(split.answers)
    tally.invalid += [f"{label}: {problem}" for problem in split.problems.values()]
    error = None if split.answers else f"invalid output: {split.summary()}"
    _record(sink, request, error=error, answer=raw)
    return bool(split.answers)


def _cleaned(
    sink: Sink, request: LLMRequest, answer: RawAnswer | str, *, tally: AnswerTally, label: str
) -> RawAnswer | None:
    """The answer redacted before anything stores it; an error string is tallied and recorded (None)."""
    redactor = sink.redactor or default_answer_redactor()
    if isinstance(answer, str):
        error = redactor.text(answer)
        tally.errored.append(f"{label}: {error}")
        _record(sink, request, error=error)
        return None
    return redactor.raw(answer)


def _record(
    sink: Sink,
    request: LLMRequest,
    *,
    response: LLMResponse | None = None,
    error: str | None = None,
    answer: RawAnswer | None = None,
) -> None:
    if sink.ledger is None:
        return
    usage = answer.usage if answer is not None else None
    sink.ledger.record(
        run_id=sink.run_id,
        request=request,
        response=response,
        error=error,
        attempt=1,
        cache_hit=False,
        latency_s=0.0,
        batch=sink.batch,
        usage=usage,
        date=sink.date,
    )


def _overrides(sink: Sink) -> Mapping[str, object] | None:
    if sink.price_overrides is not None:
        return sink.price_overrides
    return sink.ledger.price_overrides if sink.ledger is not None else None
