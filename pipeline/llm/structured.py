"""One structured call: send, parse, validate, re-ask with the validation errors (bounded).

Two separate loops, each bounded: transport retries (``retry.py``) around every send, and validation
re-asks here. Every attempt (a transport failure, an invalid answer, the valid one) is reported to
``on_attempt`` so the ledger records it: failed attempts' usage is real cost.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from daily_report.core import log
from daily_report.core.errors import LLMError, MissingKeyError
from daily_report.core.paths import PROMPTS_DIR
from daily_report.llm.answer_redaction import AnswerRedactor, default_answer_redactor
from daily_report.llm.base import Provider, RawAnswer, reask_turns
from daily_report.llm.cache import Cache
from daily_report.llm.costing import call_cost
from daily_report.llm.retry import RetryPolicy, is_retryable, status_of, transport_errors_of, with_retries
from daily_report.llm.types import LLMRequest, LLMResponse, Usage
from pydantic import BaseModel, ValidationError

REASK_PROMPT = PROMPTS_DIR / "reask" / "v1.md"
_NOTED: set[tuple[str, str]] = set()
_FENCE = re.compile(r"^\s*```[a-zA-Z0-9_-]*\s*\n?(.*?)\n?\s*```\s*$", re.DOTALL)


@dataclass(frozen=True)
class Attempt:
    """One transport attempt as the ledger sees it."""

    request: LLMRequest
    attempt: int
    usage: Usage
    latency_s: float
    model: str
    response: LLMResponse | None = None
    error: str | None = None


AttemptFn = Callable[[Attempt], None]


class StructuredOutputError(LLMError):
    """The answers did not validate after every re-ask."""

    def __init__(self, message: str, *, attempts: int, raw: str, usage: Usage) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.raw = raw
        self.usage = usage


class TransportError(LLMError):
    """The provider could not be reached or kept failing after the transport retries."""

    def __init__(self, message: str, *, attempts: int, usage: Usage, status: int | None = None) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.usage = usage
        self.status = status


def strip_fences(text: str) -> str:
    """The JSON inside ```json fences, or the text itself."""
    m = _FENCE.match(text)
    return m.group(1) if m else text.strip()


def parse_output(text: str, output_model: type[BaseModel]) -> BaseModel:
    """Raw answer text -> a validated model. Raises ValueError (not JSON) or ValidationError."""
    body = strip_fences(text)
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        start, end = body.find("{"), body.rfind("}")
        if start < 0 or end <= start:
            raise
        data = orjson.loads(body[start : end + 1])
    return output_model.model_validate(data)


class WrongToolError(ValueError):
    """A shared-tools answer came through another stage's tool."""


def check_tool(request: LLMRequest, answer: RawAnswer) -> None:
    """Raise WrongToolError when ``request`` asks for one tool by name and the answer used another (with
    tool_choice "any" the model picks; a shared prompt-cache prefix needs that)."""
    call = answer.tool_call
    if request.tool_name and call is not None and call.name and call.name != request.tool_name:
        raise WrongToolError(f"the answer called the `{call.name}` tool; call the `{request.tool_name}` tool")


def describe_errors(exc: Exception) -> str:
    """Validation errors as short lines the model can act on."""
    if isinstance(exc, ValidationError):
        lines = []
        for err in exc.errors(include_url=False):
            loc = ".".join(str(p) for p in err["loc"]) or "(root)"
            lines.append(f"- {loc}: {err['msg']}")
        return "\n".join(lines[:30])
    if isinstance(exc, WrongToolError):
        return f"- {exc}"
    return f"- the answer is not valid JSON: {exc}"


def reask_message(errors: str) -> str:
    template = REASK_PROMPT.read_text(encoding="utf-8")
    return template.replace("{{ errors }}", errors).strip()


def call_structured(
    provider: Provider,
    request: LLMRequest,
    output_model: type[BaseModel],
    *,
    reasks: int = 2,
    on_attempt: AttemptFn | None = None,
    policy: RetryPolicy | None = None,
    price_overrides: Mapping[str, Any] | None = None,
    redactor: AnswerRedactor | None = None,
) -> LLMResponse:
    """A validated answer for ``request``, or a StructuredOutputError / TransportError after the bounds.
    Every answer is redacted the moment it arrives (``redactor``, else the built-in rules)."""
    call = _Call(
        provider, request, on_attempt, policy or RetryPolicy(), redactor or default_answer_redactor()
    )
    extra: list[dict[str, Any]] = []
    last_raw = ""
    for _ in range(reasks + 1):
        raw = call.send(extra)
        last_raw = raw.text
        try:
            check_tool(request, raw)
            parsed = parse_output(raw.text, output_model)
        except (ValueError, ValidationError) as exc:
            errors = describe_errors(exc)
            call.report(raw, error=f"invalid output: {errors}")
            extra = [*extra, *reask_turns(provider, raw, reask_message(errors))]
            continue
        cost = call_cost(provider=provider.name, model=raw.model, usage=call.usage, overrides=price_overrides)
        response = LLMResponse(
            output=parsed.model_dump(mode="json"),
            raw_text=raw.text,
            usage=call.usage,
            model=raw.model,
            cost_usd=cost,
            latency_s=call.latency,
            attempts=call.attempts,
        )
        call.report(raw, response=response)
        return response
    raise StructuredOutputError(
        f"{request.label or request.stage}: no valid {request.schema_name} after {reasks + 1} answers "
        f"({call.attempts} attempts); last answer starts {last_raw[:120]!r}",
        attempts=call.attempts,
        raw=last_raw,
        usage=call.usage,
    )


class _Call:
    """Bookkeeping of one structured call across its transport attempts and re-asks."""

    def __init__(
        self,
        provider: Provider,
        request: LLMRequest,
        on_attempt: AttemptFn | None,
        policy: RetryPolicy,
        redactor: AnswerRedactor,
    ) -> None:
        self.provider, self.request, self.on_attempt, self.policy = provider, request, on_attempt, policy
        self.redactor = redactor
        self.attempts = 0
        self.usage = Usage()
        self.latency = 0.0
        self._started = 0.0

    def send(self, extra: list[dict[str, Any]]) -> RawAnswer:
        def once() -> RawAnswer:
            self.attempts += 1
            self._started = time.perf_counter()
            return self.provider.complete(self.request, extra)

        def failed(_n: int, exc: BaseException) -> None:
            if isinstance(exc, MissingKeyError):  # nothing was sent: no attempt for the ledger
                return
            latency = time.perf_counter() - self._started
            self.latency += latency
            self._emit(
                Attempt(
                    self.request,
                    self.attempts,
                    Usage(),
                    latency,
                    self.request.model,
                    error=f"{type(exc).__name__}: {exc}"[:500],
                )
            )

        try:
            raw = with_retries(
                once,
                policy=self.policy,
                on_failure=failed,
                retry_if=functools.partial(is_retryable, provider=self.provider),
            )
        except transport_errors_of(self.provider) as exc:
            raise TransportError(
                f"{self.request.label or self.request.stage}: {self.provider.name} failed after "
                f"{self.attempts} attempts: {type(exc).__name__}: {exc}"[:600],
                attempts=self.attempts,
                usage=self.usage,
                status=status_of(exc),
            ) from exc
        raw = self.redactor.raw(raw)  # before it is parsed, stored, re-asked, quoted in an error or shown
        if not raw.model:  # some OpenAI-compatible servers leave it out
            raw = dataclasses.replace(raw, model=self.request.model)
        self.usage = self.usage + raw.usage
        for note in raw.notes:
            _note_once(self.provider.name, note)
        self.latency += raw.latency_s
        return raw

    def report(
        self, raw: RawAnswer, *, response: LLMResponse | None = None, error: str | None = None
    ) -> None:
        self._emit(
            Attempt(
                self.request,
                self.attempts,
                raw.usage,
                raw.latency_s,
                raw.model,
                response=response,
                error=error,
            )
        )

    def _emit(self, attempt: Attempt) -> None:
        if self.on_attempt is not None:
            self.on_attempt(attempt)


def call_cached(
    provider: Provider,
    request: LLMRequest,
    output_model: type[BaseModel],
    *,
    cache: Cache,
    refresh: bool = False,
    reasks: int = 2,
    on_attempt: AttemptFn | None = None,
    policy: RetryPolicy | None = None,
    price_overrides: Mapping[str, Any] | None = None,
    redactor: AnswerRedactor | None = None,
) -> LLMResponse:
    """The cached answer (``cache_hit=True``) unless ``refresh``; else a fresh call stored the moment it is
    valid. Failures raise and store nothing. Answers are redacted before they are stored or returned."""
    key = request.key()
    redactor = redactor or default_answer_redactor()
    if not refresh and (hit := cache.get(key)) is not None:
        return redactor.response(hit)
    response = call_structured(
        provider,
        request,
        output_model,
        reasks=reasks,
        on_attempt=on_attempt,
        policy=policy,
        price_overrides=price_overrides,
        redactor=redactor,
    )
    cache.put(key, request, response)
    return response


def _note_once(provider: str, note: str) -> None:
    """A provider quirk worth knowing (no usage returned, a refusal, a cut answer), said once per run."""
    kind = note.split(":", 1)[0]
    if (provider, kind) not in _NOTED:
        _NOTED.add((provider, kind))
        log.warn(f"{provider}: {note}")
