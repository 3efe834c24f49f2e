"""Answers that arrive outside ``call_structured`` (batch results, imported files): redact, validate, price
at batch rates, store in the cache and record in the ledger. No re-ask here: an invalid answer stays
unanswered, so the next live run sends that request again."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from daily_report.llm.answer_redaction import AnswerRedactor, default_answer_redactor
from daily_report.llm.base import RawAnswer
from daily_report.llm.cache import Cache
from daily_report.llm.costing import call_cost
from daily_report.llm.ledger import Ledger
from daily_report.llm.structured import check_tool, describe_errors, parse_output
from daily_report.llm.types import LLMRequest, LLMResponse
from pydantic import BaseModel, ValidationError

PlannedPair = tuple[LLMRequest, type[BaseModel]]
"""A planned request and the pydantic model its answer must validate against."""

CUSTOM_ID_PREFIX = "req_"


def custom_id_for(request: LLMRequest) -> str:
    """A batch custom_id (<= 64 chars, ``[a-zA-Z0-9_-]``): a prefix of the request key."""
    return CUSTOM_ID_PREFIX + request.key()[:48]


def by_custom_id(pairs: Iterable[PlannedPair]) -> dict[str, PlannedPair]:
    """Index planned requests by the custom_id their batch line carries."""
    return {custom_id_for(req): (req, model) for req, model in pairs}


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


def accept(sink: Sink, pair: PlannedPair, *, answer: RawAnswer | str, tally: AnswerTally) -> bool:
    """Validate one answer against its request's model and store it. True when stored."""
    request, model = pair
    label = request.label or request.key()[:12]
    redactor = sink.redactor or default_answer_redactor()
    answer = redactor.text(answer) if isinstance(answer, str) else redactor.raw(answer)
    if isinstance(answer, str):
        tally.errored.append(f"{label}: {answer}")
        _record(sink, request, error=answer)
        return False
    try:
        check_tool(request, answer)
        parsed = parse_output(answer.text, model)
    except (ValueError, ValidationError) as exc:
        errors = describe_errors(exc)
        tally.invalid.append(f"{label}: {errors}")
        _record(sink, request, error=f"invalid output: {errors}", answer=answer)
        return False
    cost = call_cost(
        provider=request.provider,
        model=answer.model or request.model,
        usage=answer.usage,
        batch=sink.batch,
        overrides=_overrides(sink),
    )
    response = LLMResponse(
        output=parsed.model_dump(mode="json"),
        raw_text=answer.text,
        usage=answer.usage,
        model=answer.model or request.model,
        cost_usd=cost,
        batch=sink.batch,
    )
    sink.cache.put(request.key(), request, response)
    _record(sink, request, response=response)
    tally.stored += 1
    return True


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
