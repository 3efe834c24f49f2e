"""Anthropic Messages API: native structured output (``output_config.format``) or a forced tool,
``cache_control`` breakpoints on cached blocks, usage with cache write (5m/1h) and read."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import anthropic
import orjson

from pipeline.errors import MissingKeyError
from pipeline.llm.base import BatchStatus, RawAnswer
from pipeline.llm.retry import BadResponseError
from pipeline.llm.types import LLMRequest, Usage

KEY_VAR = "ANTHROPIC_API_KEY"
DEFAULT_MODEL = "claude-haiku-4-5"
Structured = Literal["native", "tool"]


def missing_key_message(var: str, others: str) -> str:
    return (
        f"{var} is not set: export it, or use {others}, --provider replay, "
        "or --export-requests FILE to run the requests elsewhere"
    )


class AnthropicProvider:
    name = "anthropic"
    default_model = DEFAULT_MODEL

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout_s: float = 120.0,
        structured: Structured = "native",
        tool_name: str = "emit_result",
    ) -> None:
        self.api_key = api_key if api_key is not None else os.environ.get(KEY_VAR)
        self.base_url = base_url or os.environ.get("ANTHROPIC_BASE_URL") or None
        self.timeout_s = timeout_s
        self.structured = structured
        self.tool_name = tool_name
        self._client: anthropic.Anthropic | None = None

    @property
    def client(self) -> anthropic.Anthropic:
        """Built on first use, so exporting requests needs no key."""
        if self._client is None:
            if not self.api_key:
                raise MissingKeyError(missing_key_message(KEY_VAR, "--provider openai"))
            self._client = anthropic.Anthropic(
                api_key=self.api_key, base_url=self.base_url, max_retries=0, timeout=self.timeout_s
            )
        return self._client

    def params(self, request: LLMRequest, extra_messages: list[dict[str, Any]]) -> dict[str, Any]:
        """The Messages API body for ``request`` (also one batch line's ``params``)."""
        content = [_text_block(b.text, b.cache) for b in request.blocks]
        body: dict[str, Any] = {
            "model": request.model,
            "max_tokens": request.max_tokens,
            "system": request.system,
            "messages": [{"role": "user", "content": content}, *extra_messages],
        }
        schema = anthropic.transform_schema(request.output_schema)
        if self.structured == "tool":
            body["tools"] = [
                {
                    "name": self.tool_name,
                    "description": f"Return the {request.schema_name}.",
                    "input_schema": schema,
                }
            ]
            body["tool_choice"] = {"type": "tool", "name": self.tool_name}
        else:
            body["output_config"] = {"format": {"type": "json_schema", "schema": schema}}
        if request.temperature is not None:
            body["temperature"] = request.temperature
        return body

    def complete(self, request: LLMRequest, extra_messages: list[dict[str, Any]]) -> RawAnswer:
        body = self.params(request, extra_messages)
        temperature = body.pop("temperature", None)
        extra_body = {"temperature": temperature} if temperature is not None else None
        start = time.perf_counter()
        try:
            message = self.client.messages.create(**body, extra_body=extra_body)
        except json.JSONDecodeError as exc:
            raise BadResponseError(f"{self.name} answered with a body that is not JSON: {exc}") from exc
        return answer_from_message(message.model_dump(mode="json"), latency_s=time.perf_counter() - start)

    def batch_request(self, request: LLMRequest, custom_id: str) -> dict[str, Any]:
        return {"custom_id": custom_id, "params": self.params(request, [])}

    def parse_batch_line(self, line: dict[str, Any]) -> tuple[str, RawAnswer | str]:
        return parse_batch_result(line)

    def submit_batch_lines(self, lines: Sequence[dict[str, Any]]) -> str:
        return self.client.messages.batches.create(requests=list(lines)).id  # type: ignore[arg-type]

    def batch_status(self, batch_id: str) -> BatchStatus:
        b = self.client.messages.batches.retrieve(batch_id)
        c = b.request_counts
        return BatchStatus(
            batch_id=batch_id,
            done=b.processing_status == "ended",
            status=b.processing_status,
            succeeded=c.succeeded,
            errored=c.errored + c.expired + c.canceled,
            processing=c.processing,
        )

    def batch_results(self, batch_id: str) -> Iterable[dict[str, Any]]:
        for item in self.client.messages.batches.results(batch_id):
            yield item.model_dump(mode="json")


def _text_block(text: str, cache: bool) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "text", "text": text}
    if cache:
        block["cache_control"] = {"type": "ephemeral"}
    return block


def answer_from_message(message: dict[str, Any], *, latency_s: float = 0.0) -> RawAnswer:
    """A Messages API response (as a dict) -> RawAnswer; a tool_use input becomes its JSON text."""
    parts: list[str] = []
    for block in message.get("content") or []:
        if block.get("type") == "tool_use":
            parts = [orjson.dumps(block.get("input") or {}).decode()]
            break
        if block.get("type") == "text":
            parts.append(block.get("text") or "")
    notes = ("stopped at max_tokens",) if message.get("stop_reason") == "max_tokens" else ()
    return RawAnswer(
        text="".join(parts),
        usage=usage_from(message.get("usage")),
        model=str(message.get("model") or ""),
        latency_s=latency_s,
        notes=notes,
    )


def usage_from(u: dict[str, Any] | None) -> Usage:
    """Anthropic usage -> Usage (same partition: input excludes cache write and read)."""
    if not u:
        return Usage()
    creation = u.get("cache_creation") or {}
    details = u.get("output_tokens_details") or {}
    return Usage(
        input_tokens=u.get("input_tokens") or 0,
        output_tokens=u.get("output_tokens") or 0,
        cache_write_tokens=u.get("cache_creation_input_tokens") or 0,
        cache_write_1h_tokens=creation.get("ephemeral_1h_input_tokens") or 0,
        cache_read_tokens=u.get("cache_read_input_tokens") or 0,
        reasoning_tokens=details.get("thinking_tokens") or 0,
    )


def parse_batch_result(line: dict[str, Any]) -> tuple[str, RawAnswer | str]:
    """One line of the batch result format -> (custom_id, answer or error text)."""
    custom_id = str(line.get("custom_id", ""))
    result = line.get("result") or {}
    if result.get("type") != "succeeded":
        error = result.get("error") or {}
        detail = (error.get("error") or error).get("message") if isinstance(error, dict) else error
        return custom_id, f"batch result {result.get('type', 'missing')}: {detail or 'no detail'}"
    return custom_id, answer_from_message(result["message"])
