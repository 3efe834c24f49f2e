"""OpenAI Chat Completions with strict schemas; also any OpenAI-compatible server (vLLM, Ollama, llama.cpp)
through ``base_url``: fields such servers omit are never required.

A request with ``tools`` (chunk stages, "tools" mode) offers the same strict function tools on every
request over a chunk and forces its own; the system message holds the instructions only and the user
message starts with the transcript, so the cached prefix (tools, system, transcript) is shared. A bundled
request (``tool_names``) asks for several tools at once (tool_choice "required", parallel tool calls). A
request without tools gets its own strict json_schema response format.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final

import orjson
from daily_report.core.errors import MissingKeyError
from daily_report.llm.base import BatchStatus, RawAnswer, ToolCall, user_text
from daily_report.llm.providers.anthropic import missing_key_message
from daily_report.llm.retry import BadResponseError
from daily_report.llm.spec import ProviderSpec
from daily_report.llm.types import LLMRequest, Usage

if TYPE_CHECKING:
    import openai

KEY_VAR = "OPENAI_API_KEY"
DEFAULT_MODEL = "gpt-5-mini"
CHAT_URL: Final = "/v1/chat/completions"
_SCHEMA_MAPS = frozenset({"properties", "$defs", "definitions", "patternProperties"})
_DONE = frozenset({"completed", "failed", "expired", "cancelled"})


class OpenAIProvider:
    name = "openai"
    default_model = DEFAULT_MODEL

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout_s: float = 120.0,
        token_param: str | None = None,
        prompt_cache_key: bool | None = None,
    ) -> None:
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
        key = api_key if api_key is not None else os.environ.get(KEY_VAR)
        self.api_key = key or ("not-needed" if self.base_url else None)
        self.timeout_s = timeout_s
        # OpenAI's own API wants max_completion_tokens; compatible servers reliably know max_tokens.
        self.token_param = token_param or ("max_tokens" if self.base_url else "max_completion_tokens")
        # Routing hint so stages over one chunk land where its prefix is cached; OpenAI's own API only.
        self.prompt_cache_key = prompt_cache_key if prompt_cache_key is not None else self.base_url is None
        self._client: openai.OpenAI | None = None

    @property
    def client(self) -> openai.OpenAI:
        if self._client is None:
            if not self.api_key:
                raise MissingKeyError(missing_key_message(KEY_VAR, "--provider anthropic, --base-url URL"))
            import openai  # the SDK loads on the first send: a dry run or an export never needs it

            self._client = openai.OpenAI(
                api_key=self.api_key, base_url=self.base_url, max_retries=0, timeout=self.timeout_s
            )
        return self._client

    def transport_errors(self) -> tuple[type[BaseException], ...]:
        import openai  # only asked once a send has failed, so the SDK is loaded already

        return (openai.APIError,)

    def is_transient(self, exc: BaseException) -> bool | None:
        """Timeouts and lost connections pass by waiting; statuses follow the generic rule."""
        sdk = sys.modules.get("openai")
        if sdk is not None and isinstance(exc, sdk.APIConnectionError):  # APITimeoutError is one too
            return True
        return None

    def params(self, request: LLMRequest, extra_messages: list[dict[str, Any]]) -> dict[str, Any]:
        """The Chat Completions body for ``request`` (also one batch line's ``body``)."""
        if request.tools and request.tool_names:
            body = _bundle_body(request)
        elif request.tools and request.tool_name:
            body = _shared_tools_body(request)
        else:
            body = {
                "model": request.model,
                "messages": [
                    {"role": "system", "content": request.system},
                    {"role": "user", "content": user_text(request)},
                ],
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {
                        "name": schema_name(request.schema_name),
                        "strict": True,
                        "schema": strict_schema(request.output_schema),
                    },
                },
            }
        body["messages"] = [*body["messages"], *extra_messages]
        body[self.token_param] = request.max_tokens
        if request.temperature is not None:
            body["temperature"] = request.temperature
        cached = [b.text for b in request.blocks if b.cache] or (
            [request.system] if request.system_cache else []
        )
        if self.prompt_cache_key and cached:
            body["prompt_cache_key"] = "dr-" + hashlib.sha256(cached[0].encode()).hexdigest()[:40]
        return body

    def reask_turns(self, answer: RawAnswer, message: str) -> list[dict[str, Any]]:
        """An invalid tool call goes back as the assistant's tool_calls and a tool message with the errors;
        a text answer as assistant text and a user message."""
        call = answer.tool_call
        if call is None:
            return [{"role": "assistant", "content": answer.text}, {"role": "user", "content": message}]
        function = {"name": call.name, "arguments": call.arguments}
        return [
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": call.id, "type": "function", "function": function}],
            },
            {"role": "tool", "tool_call_id": call.id, "content": message},
        ]

    def complete(self, request: LLMRequest, extra_messages: list[dict[str, Any]]) -> RawAnswer:
        body = self.params(request, extra_messages)
        start = time.perf_counter()
        try:
            completion = self.client.chat.completions.create(**body)
        except json.JSONDecodeError as exc:
            raise BadResponseError(f"{self.name} answered with a body that is not JSON: {exc}") from exc
        return answer_from_completion(
            completion.model_dump(mode="json"), latency_s=time.perf_counter() - start
        )

    def batch_request(self, request: LLMRequest, custom_id: str) -> dict[str, Any]:
        return {"custom_id": custom_id, "method": "POST", "url": CHAT_URL, "body": self.params(request, [])}

    def parse_batch_line(self, line: dict[str, Any]) -> tuple[str, RawAnswer | str]:
        return parse_batch_result(line)

    def submit_batch_lines(self, lines: Sequence[dict[str, Any]]) -> str:
        data = b"".join(orjson.dumps(line) + b"\n" for line in lines)
        f = self.client.files.create(file=("batch.jsonl", data), purpose="batch")
        b = self.client.batches.create(input_file_id=f.id, endpoint=CHAT_URL, completion_window="24h")
        return b.id

    def batch_status(self, batch_id: str) -> BatchStatus:
        b = self.client.batches.retrieve(batch_id)
        c = b.request_counts
        done_n, failed_n, total = (c.completed, c.failed, c.total) if c else (0, 0, 0)
        return BatchStatus(
            batch_id=batch_id,
            done=b.status in _DONE,
            status=b.status,
            succeeded=done_n,
            errored=failed_n,
            processing=max(total - done_n - failed_n, 0),
        )

    def batch_results(self, batch_id: str) -> Iterable[dict[str, Any]]:
        b = self.client.batches.retrieve(batch_id)
        for file_id in (b.output_file_id, b.error_file_id):
            if not file_id:
                continue
            for line in self.client.files.content(file_id).text.splitlines():
                if line.strip():
                    yield orjson.loads(line)


def _shared_tools_body(request: LLMRequest) -> dict[str, Any]:
    """Chunk-stage layout: the same strict function tools on every request over a chunk, the instructions
    as the system message, the blocks (transcript first) as the user message, its own tool forced.
    (A per-stage response_format would precede the prompt and break the shared prefix.)"""
    forced = {"type": "function", "function": {"name": request.tool_name}}
    return _tools_body(request, tool_choice=forced, parallel=False)


def _bundle_body(request: LLMRequest) -> dict[str, Any]:
    """A bundled request: the same tools and system text on every chunk (automatic prefix caching), the
    user message (transcript, this chunk's note and the tools to call); tool_choice "required" with
    parallel tool calls: one call of each listed tool in one answer. (With parallel calls OpenAI does not
    guarantee the strict schemas: every call is validated, and a stage whose call does not fit is asked
    alone.)"""
    return _tools_body(request, tool_choice="required", parallel=True)


def _tools_body(request: LLMRequest, *, tool_choice: Any, parallel: bool) -> dict[str, Any]:
    """The layout every request with the shared tools has: system instructions, then the user turn (transcript
    first), then the tools; only the tool choice differs."""
    return {
        "model": request.model,
        "messages": [
            {"role": "system", "content": request.system},
            {"role": "user", "content": user_text(request)},
        ],
        "tools": _tools(request),
        "tool_choice": tool_choice,
        "parallel_tool_calls": parallel,
    }


def _tools(request: LLMRequest) -> list[dict[str, Any]]:
    return [
        {
            "type": "function",
            "function": {
                "name": t.name,
                "description": t.description,
                "parameters": strict_schema(t.input_schema),
                "strict": True,
            },
        }
        for t in request.tools or []
    ]


def _tool_calls(message: dict[str, Any]) -> list[ToolCall]:
    out = []
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        out.append(
            ToolCall(
                id=str(call.get("id") or ""),
                name=str(function.get("name") or ""),
                arguments=str(function.get("arguments") or ""),
            )
        )
    return out


def answer_from_completion(completion: dict[str, Any], *, latency_s: float = 0.0) -> RawAnswer:
    """A ChatCompletion (as a dict) -> RawAnswer. Missing usage -> zero usage and a note."""
    choices = completion.get("choices") or [{}]
    message = choices[0].get("message") or {}
    calls = _tool_calls(message)
    call = calls[0] if calls else None
    text = call.arguments if call is not None else message.get("content") or ""
    notes: list[str] = []
    if message.get("refusal"):
        notes.append(f"refusal: {message['refusal']}")
        text = text or message["refusal"]
    if choices[0].get("finish_reason") == "length":
        notes.append("stopped at max tokens")
    usage = usage_from(completion.get("usage"))
    if completion.get("usage") is None:
        notes.append("the server returned no usage: counted as zero")
    return RawAnswer(
        text=text,
        usage=usage,
        model=str(completion.get("model") or ""),
        latency_s=latency_s,
        notes=tuple(notes),
        tool_call=call,
        tool_calls=tuple(calls),
    )


def usage_from(u: dict[str, Any] | None) -> Usage:
    """OpenAI usage -> Usage partition: prompt_tokens includes cached, so input = prompt - cached."""
    if not u:
        return Usage()
    prompt = u.get("prompt_tokens") or 0
    details = u.get("prompt_tokens_details") or {}
    cached = details.get("cached_tokens") or 0
    written = details.get("cache_write_tokens") or 0
    out_details = u.get("completion_tokens_details") or {}
    return Usage(
        input_tokens=max(prompt - cached - written, 0),
        output_tokens=u.get("completion_tokens") or 0,
        cache_write_tokens=written,
        cache_read_tokens=cached,
        reasoning_tokens=out_details.get("reasoning_tokens") or 0,
    )


def schema_name(name: str) -> str:
    """OpenAI's json_schema name: letters, digits, _ and -, at most 64 characters."""
    return (re.sub(r"[^a-zA-Z0-9_-]", "_", name) or "output")[:64]


def strict_schema(schema: Any) -> Any:
    """A copy of a pydantic JSON schema that strict mode accepts: every object closed, every property
    required, no ``default`` keywords."""
    if isinstance(schema, list):
        return [strict_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "default":
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: strict_schema(sub) for name, sub in value.items()}
        else:
            out[key] = strict_schema(value)
    if out.get("type") == "object" or "properties" in out:
        props = out.get("properties") or {}
        out["additionalProperties"] = False
        out["required"] = list(props)
    return out


def parse_batch_result(line: dict[str, Any]) -> tuple[str, RawAnswer | str]:
    """One line of the batch result format -> (custom_id, answer or error text)."""
    custom_id = str(line.get("custom_id", ""))
    if line.get("error"):
        err = line["error"]
        return custom_id, f"batch error: {err.get('message', err) if isinstance(err, dict) else err}"
    response = line.get("response") or {}
    status = response.get("status_code")
    if status != 200:
        return (
            custom_id,
            f"batch result status {status}: {orjson.dumps(response.get('body')).decode()[:300]}",
        )
    return custom_id, answer_from_completion(response.get("body") or {})


SPEC = ProviderSpec(
    name=OpenAIProvider.name,
    default_model=DEFAULT_MODEL,
    build=lambda cfg, url, _model: OpenAIProvider(base_url=url, timeout_s=cfg.timeout_s),
    cache_writes_billed=False,  # automatic prefix caching from 1,024 tokens: reads are discounted, writes free
    min_cacheable=1024,
    structured_modes=("tools", "native"),
)
