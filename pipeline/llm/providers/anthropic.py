"""Anthropic Messages API: shared forced tools for chunk stages, native structured output
(``output_config.format``) or one forced tool, ``cache_control`` breakpoints on cached blocks, usage with
cache write (5m/1h) and read.

Modes (``llm.structured``): "tools" (default): a request that carries ``tools`` (chunk stages) offers all
of them and asks for its own by name with ``tool_choice`` "any" (the same on every request: a changed
tool_choice would drop the cached messages); ``system`` holds the instructions only and the transcript is
the user turn's first block, carrying the cache breakpoint, so stages 2-5 read tools + system + transcript
from the prompt cache. A bundled request (``tool_names``) asks for several tools in one answer (parallel
tool use) and caches tools + system. A request without tools (day stages) uses native output. "native": every request has its own ``output_config`` schema: constrained decoding per
stage, but the schema precedes the prompt, so stages do not share a cached prefix. "tool": one forced
tool per request (proxies, Bedrock), the same trade as native.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

import orjson
from daily_report.core.errors import MissingKeyError
from daily_report.llm.base import BatchStatus, RawAnswer, ToolCall, split_blocks
from daily_report.llm.retry import BadResponseError
from daily_report.llm.spec import ProviderSpec
from daily_report.llm.types import LLMRequest, Usage

if TYPE_CHECKING:
    import anthropic

KEY_VAR = "ANTHROPIC_API_KEY"
DEFAULT_MODEL = "claude-haiku-4-5"
Structured = Literal["native", "tool", "tools"]
_SPEND_LIMIT_ERRORS = ("EnforcedSpendLimitReachedError", "ContractSpendLimitReachedError")


def _transform_schema(schema: Any) -> Any:
    """The SDK's strict-schema transform (loaded with the SDK: planning a request needs the SDK's rules)."""
    import anthropic  # the transform is the SDK's own; it loads once, when a request is first shaped

    return anthropic.transform_schema(schema)


def missing_key_message(var: str, others: str) -> str:
    return (
        f"{var} is not set: export it, or use {others}; --dry-run shows the plan and its cost, "
        "--export-requests FILE writes the requests to run elsewhere"
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
        structured: Structured = "tools",
        tool_name: str = "emit_result",
        strict_tools: bool = True,
    ) -> None:
        self.api_key = api_key if api_key is not None else os.environ.get(KEY_VAR)
        self.base_url = base_url or os.environ.get("ANTHROPIC_BASE_URL") or None
        self.timeout_s = timeout_s
        self.structured = structured
        self.tool_name = tool_name
        self.strict_tools = strict_tools
        self._client: anthropic.Anthropic | None = None

    @property
    def client(self) -> anthropic.Anthropic:
        """Built on first use, so exporting requests needs no key."""
        if self._client is None:
            if not self.api_key:
                raise MissingKeyError(missing_key_message(KEY_VAR, "--provider openai"))
            import anthropic  # the SDK loads on the first send: a dry run or an export never needs it

            self._client = anthropic.Anthropic(
                api_key=self.api_key, base_url=self.base_url, max_retries=0, timeout=self.timeout_s
            )
        return self._client

    def transport_errors(self) -> tuple[type[BaseException], ...]:
        import anthropic  # only asked once a send has failed, so the SDK is loaded already

        return (anthropic.APIError,)

    def is_transient(self, exc: BaseException) -> bool | None:
        """Spend-limit 429s never pass by waiting; timeouts and lost connections do."""
        sdk = sys.modules.get("anthropic")
        if sdk is None:
            return None
        no_retry = tuple(getattr(sdk, n) for n in _SPEND_LIMIT_ERRORS if hasattr(sdk, n))
        if isinstance(exc, no_retry):
            return False
        if isinstance(exc, sdk.APIConnectionError):  # APITimeoutError is one too
            return True
        return None

    def params(self, request: LLMRequest, extra_messages: list[dict[str, Any]]) -> dict[str, Any]:
        """The Messages API body for ``request`` (also one batch line's ``params``)."""
        if request.tools and request.tool_names:
            body = _bundle_body(request, strict=self.strict_tools)
        elif request.tools and request.tool_name:
            body = _shared_tools_body(request, strict=self.strict_tools)
        else:
            body = {
                "model": request.model,
                "max_tokens": request.max_tokens,
                "system": request.system,
                "messages": [
                    {"role": "user", "content": [_text_block(b.text, b.cache) for b in request.blocks]}
                ],
            }
            body.update(self._one_schema(request))
        body["messages"] = [*body["messages"], *extra_messages]
        if request.temperature is not None:
            body["temperature"] = request.temperature
        return body

    def _one_schema(self, request: LLMRequest) -> dict[str, Any]:
        """A request without shared tools: native output_config, or (mode "tool") one forced tool."""
        schema = _transform_schema(request.output_schema)
        if self.structured == "tool":
            tool: dict[str, Any] = {
                "name": self.tool_name,
                "description": f"Return the {request.schema_name}.",
                "input_schema": schema,
            }
            if self.strict_tools:
                tool["strict"] = True
            return {"tools": [tool], "tool_choice": {"type": "tool", "name": self.tool_name}}
        return {"output_config": {"format": {"type": "json_schema", "schema": schema}}}

    def reask_turns(self, answer: RawAnswer, message: str) -> list[dict[str, Any]]:
        """An invalid tool call goes back as the assistant's tool_use and a user tool_result (is_error)
        carrying the errors; a text answer as assistant text and a user message."""
        call = answer.tool_call
        if call is None:
            return [{"role": "assistant", "content": answer.text}, {"role": "user", "content": message}]
        use = {"type": "tool_use", "id": call.id, "name": call.name, "input": _tool_input(call.arguments)}
        result = {"type": "tool_result", "tool_use_id": call.id, "is_error": True, "content": message}
        return [{"role": "assistant", "content": [use]}, {"role": "user", "content": [result]}]

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


def tool_request_text(tool_name: str) -> str:
    """The last line of a shared-tools request: which of the offered tools answers it."""
    return f"Answer by calling the `{tool_name}` tool."


def _shared_tools_body(request: LLMRequest, *, strict: bool) -> dict[str, Any]:
    """Chunk-stage layout: the same tools on every request over a chunk (rendered first), the instructions
    as ``system``, and the user turn: the transcript (breakpoint on the last cached block), this stage's
    instructions, the tool to call. ``tool_choice`` is "any" on every request: a changed tool_choice drops
    the cached messages, and the transcript is a message now. An answer through another tool is re-asked
    (``structured.wrong_tool``)."""
    cached, rest = split_blocks(request)
    content = [_text_block(b.text, i == len(cached) - 1) for i, b in enumerate(cached)]
    content += [_text_block(b.text, False) for b in rest]
    content.append(_text_block(tool_request_text(request.tool_name or ""), False))
    return {
        "model": request.model,
        "max_tokens": request.max_tokens,
        "system": request.system,
        "messages": [{"role": "user", "content": content}],
        "tools": _tools(request, strict=strict),
        "tool_choice": {"type": "any"},
    }


def _bundle_body(request: LLMRequest, *, strict: bool) -> dict[str, Any]:
    """A bundled request: the tools, then the system text (instructions of every stage; a breakpoint
    after it when the run reuses it), then the user turn (transcript, this chunk's note and the tools to
    call). ``tool_choice`` "any" with parallel tool use left on: the model calls each listed tool once."""
    system: str | list[dict[str, Any]] = request.system
    if request.system_cache:
        system = [_text_block(request.system, True)]
    cached, rest = split_blocks(request)
    content = [_text_block(b.text, i == len(cached) - 1) for i, b in enumerate(cached)]
    content += [_text_block(b.text, False) for b in rest]
    return {
        "model": request.model,
        "max_tokens": request.max_tokens,
        "system": system,
        "messages": [{"role": "user", "content": content}],
        "tools": _tools(request, strict=strict),
        "tool_choice": {"type": "any", "disable_parallel_tool_use": False},
    }


def _tools(request: LLMRequest, *, strict: bool) -> list[dict[str, Any]]:
    return [
        {
            "name": t.name,
            "description": t.description,
            "input_schema": _transform_schema(t.input_schema),
            **({"strict": True} if strict else {}),  # strict tool use: arguments constrained to the schema
        }
        for t in request.tools or []
    ]


def _tool_input(arguments: str) -> Any:
    try:
        value = orjson.loads(arguments)
    except orjson.JSONDecodeError:
        return {"raw": arguments}
    return value if isinstance(value, dict) else {"value": value}


def _text_block(text: str, cache: bool) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "text", "text": text}
    if cache:
        block["cache_control"] = {"type": "ephemeral"}
    return block


def answer_from_message(message: dict[str, Any], *, latency_s: float = 0.0) -> RawAnswer:
    """A Messages API response (as a dict) -> RawAnswer; the first tool_use input becomes its JSON text,
    every tool_use is in ``tool_calls`` (a bundled request gets several)."""
    parts: list[str] = []
    calls: list[ToolCall] = []
    for block in message.get("content") or []:
        if block.get("type") == "tool_use":
            arguments = orjson.dumps(block.get("input") or {}).decode()
            calls.append(
                ToolCall(
                    id=str(block.get("id") or ""), name=str(block.get("name") or ""), arguments=arguments
                )
            )
        elif block.get("type") == "text" and not calls:
            parts.append(block.get("text") or "")
    call = calls[0] if calls else None
    if call is not None:
        parts = [call.arguments]
    notes = ("stopped at max_tokens",) if message.get("stop_reason") == "max_tokens" else ()
    return RawAnswer(
        text="".join(parts),
        usage=usage_from(message.get("usage")),
        model=str(message.get("model") or ""),
        latency_s=latency_s,
        notes=notes,
        tool_call=call,
        tool_calls=tuple(calls),
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


SPEC = ProviderSpec(
    name=AnthropicProvider.name,
    default_model=DEFAULT_MODEL,
    build=lambda cfg, url, _model: AnthropicProvider(
        base_url=url, timeout_s=cfg.timeout_s, structured=cfg.structured, strict_tools=cfg.strict_tools
    ),
    cache_writes_billed=True,
    # Documented cache floors by model: Haiku 4.5 and Opus 4.5/4.6: 4,096; Haiku 3/3.5: 2,048; others 1,024.
    min_cacheable=1024,
    cache_floors=(("haiku-4-5", 4096), ("opus-4-5", 4096), ("opus-4-6", 4096), ("haiku-3", 2048)),
    structured_modes=("tools", "native", "tool"),
)
