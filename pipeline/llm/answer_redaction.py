"""Model answers are redacted too: a secret a model writes back (guessed, reconstructed, or read from a
transcript that a rule missed) becomes a placeholder before the answer is parsed, stored in the cache,
sent back in a re-ask, named in an error, or rendered, and it is counted.

The seam is the moment an answer enters our code: ``structured._Call.send`` for live calls and
``answers.accept`` for batch and imported results (both call ``AnswerRedactor.raw``). Cache hits written
before this existed go through ``AnswerRedactor.response``. A JSON answer is redacted string by string
(a placeholder never breaks its syntax); any other text as a whole.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

import orjson
from daily_report.llm.base import RawAnswer, ToolCall
from daily_report.llm.types import LLMResponse
from daily_report.text.redact import Redactor

ANSWER_RULE_PREFIX = "model-answer:"
"""Counts of secrets found in answers are reported as ``model-answer:<rule>`` beside the transcript's."""


class AnswerRedactor:
    """Redacts answers with a Redactor's rules and allowlist; thread-safe (one fork per answer, so an
    answer's placeholders do not depend on which answers came before it), counting per rule."""

    def __init__(self, redactor: Redactor | None = None) -> None:
        self._base = redactor if redactor is not None else Redactor()
        self._lock = threading.Lock()
        self.counts: dict[str, int] = {}

    def raw(self, answer: RawAnswer) -> RawAnswer:
        """``answer`` with its text and tool-call arguments redacted."""
        text = self.text(answer.text)
        call = answer.tool_call
        if call is not None:  # the arguments are usually the text itself: redacted (and counted) once
            arguments = text if call.arguments == answer.text else self.text(call.arguments)
            if arguments != call.arguments:
                call = dataclasses.replace(call, arguments=arguments)
        calls = tuple(self._call(c, answer, text, call) for c in answer.tool_calls)
        same_calls = all(a is b for a, b in zip(calls, answer.tool_calls, strict=True))
        if text == answer.text and call is answer.tool_call and same_calls:
            return answer
        return dataclasses.replace(answer, text=text, tool_call=call, tool_calls=calls)

    def _call(self, c: ToolCall, answer: RawAnswer, text: str, first: ToolCall | None) -> ToolCall:
        """One call of a bundled answer, redacted (the first one is the text, already redacted)."""
        if answer.tool_call is not None and c == answer.tool_call and first is not None:
            return first
        arguments = self.text(c.arguments)
        return c if arguments == c.arguments else dataclasses.replace(c, arguments=arguments)

    def text(self, text: str) -> str:
        """A JSON answer with every string redacted (re-serialized only when something changed), else the
        text redacted as a whole."""
        if not text:
            return text
        fork = self._base.fork()
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError:
            out = fork.redact(text)
        else:
            redacted = _walk(data, fork)
            out = text if redacted == data else orjson.dumps(redacted).decode()
        self._absorb(fork)
        return out

    def response(self, response: LLMResponse) -> LLMResponse:
        """A stored answer (a cache hit) with its output and raw text redacted."""
        fork = self._base.fork()
        output = _walk(response.output, fork)
        self._absorb(fork)
        raw_text = self.text(response.raw_text)
        if output == response.output and raw_text == response.raw_text:
            return response
        return response.model_copy(update={"output": output, "raw_text": raw_text})

    def report_counts(self) -> dict[str, int]:
        """The counts as the report names them: ``model-answer:<rule>``."""
        with self._lock:
            return {f"{ANSWER_RULE_PREFIX}{rule}": n for rule, n in sorted(self.counts.items())}

    def _absorb(self, fork: Redactor) -> None:
        if fork.counts:
            with self._lock:
                for rule, n in fork.counts.items():
                    self.counts[rule] = self.counts.get(rule, 0) + n


def _walk(value: Any, redactor: Redactor) -> Any:
    """Every string inside ``value`` (keys too) redacted; other values unchanged."""
    if isinstance(value, str):
        return redactor.redact(value)
    if isinstance(value, dict):
        return {_walk(k, redactor): _walk(v, redactor) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, redactor) for v in value]
    return value


_DEFAULT: AnswerRedactor | None = None


def default_answer_redactor() -> AnswerRedactor:
    """The built-in rules, for callers that pass none (eval, tests): no answer is ever left unredacted."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = AnswerRedactor()
    return _DEFAULT
