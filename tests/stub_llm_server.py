"""A stub LLM server on 127.0.0.1 speaking the Anthropic and OpenAI wire formats, for the real SDK clients.

Speaks Anthropic ``POST /v1/messages`` and Message Batches, OpenAI ``POST /v1/chat/completions``, files and
the Batch API. Answers come from ``answer(body) -> dict`` (default: a valid object for the requested JSON
schema, or one registered with ``register_answer(substring, output)``). Faults are a queue
(``add_fault(Fault.rate_limit(...))``) consumed by the next message/completion requests. Every request is
recorded (``requests``) with path, headers and decoded body.

    with StubLLMServer() as stub:
        client = anthropic.Anthropic(api_key="test", base_url=stub.url, max_retries=0)
        client = openai.OpenAI(api_key="test", base_url=stub.openai_url, max_retries=0)
"""

from __future__ import annotations

import email.parser
import hashlib
import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.stub_llm_routes import (
    asked_tools,
    example_for,
    for_tool,
    forced_tool,
    prompt_blocks,
    route,
    schema_of,
    serialized_parts,
)

AnswerFn = Callable[[dict[str, Any]], dict[str, Any]]
MESSAGE_PATHS = ("/v1/messages", "/v1/chat/completions")


@dataclass
class Fault:
    """One scripted failure, consumed by the next message/completion request."""

    kind: str  # status | timeout | malformed | invalid | not_json
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    sleep_s: float = 0.0

    @classmethod
    def rate_limit(cls, *, retry_after: str | None = None, retry_after_ms: str | None = None) -> Fault:
        headers = {"retry-after": retry_after} if retry_after is not None else {}
        if retry_after_ms is not None:
            headers["retry-after-ms"] = retry_after_ms
        return cls("status", 429, headers)

    @classmethod
    def overloaded(cls) -> Fault:
        return cls("status", 529)

    @classmethod
    def server_error(cls, status: int = 500, headers: dict[str, str] | None = None) -> Fault:
        return cls("status", status, headers or {})

    @classmethod
    def client_error(cls, status: int = 400, headers: dict[str, str] | None = None) -> Fault:
        return cls("status", status, headers or {})

    @classmethod
    def timeout(cls, sleep_s: float = 1.0) -> Fault:
        """Sleep longer than the client's timeout, then answer normally (the client has given up)."""
        return cls("timeout", sleep_s=sleep_s)

    @classmethod
    def malformed(cls) -> Fault:
        """A 200 whose HTTP body is not JSON."""
        return cls("malformed")

    @classmethod
    def invalid_answer(cls) -> Fault:
        """A well-formed response whose answer breaks the schema (wrong types, missing fields)."""
        return cls("invalid")

    @classmethod
    def not_json_answer(cls) -> Fault:
        """A well-formed response whose answer text is not JSON at all."""
        return cls("not_json")


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    time: float


def tokens_of(text: str) -> int:
    """The stub's token count: 4 characters a token (deterministic, good enough for usage figures)."""
    return max((len(text) + 3) // 4, 0)


class StubLLMServer:
    def __init__(self, *, answer: AnswerFn | None = None, polls_until_done: int = 1) -> None:
        self.answer_fn = answer
        self.polls_until_done = polls_until_done
        self.requests: list[Recorded] = []
        self.faults: deque[Fault] = deque()
        self.usages: list[dict[str, Any]] = []  # usage of every answered message/completion, in order
        self.batch_faults: deque[Fault] = deque()  # status faults for the batch and file endpoints
        self.registered: list[tuple[str, dict[str, Any]]] = []
        self.omit_usage = False
        self.omit_usage_details = False
        self.batch_errors: set[str] = set()
        self.skip_tools: set[str] = set()  # tools a bundled answer leaves out (as a model might)
        # pacing: every message/completion takes latency_s; past max_in_flight at once, a 429 with
        # retry-after (seconds) answers at once; in_flight / peak_in_flight / refused count them
        self.latency_s = 0.0
        self.max_in_flight: int | None = None
        self.retry_after = "1"
        self.in_flight = 0
        self.peak_in_flight = 0
        self.refused = 0
        self._prefixes: set[str] = set()
        self._prompts: list[str] = []
        self._batches: dict[str, dict[str, Any]] = {}
        self._files: dict[str, bytes] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self.openai_url = self.url + "/v1"
        threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()

    # -- scripting
    def add_fault(self, *faults: Fault) -> None:
        self.faults.extend(faults)

    def register_answer(self, substring: str, output: dict[str, Any]) -> None:
        """Answer ``output`` whenever the prompt contains ``substring`` (first registration wins)."""
        self.registered.append((substring, output))

    def message_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and r.path in MESSAGE_PATHS]

    def cache_read_share(self) -> float:
        """Share of all prompt tokens answered so far that the simulated prompt cache served."""
        read = prompt = 0
        for u in self.usages:
            if "prompt_tokens" in u:  # OpenAI: prompt includes cached
                cached = (u.get("prompt_tokens_details") or {}).get("cached_tokens", 0)
                read, prompt = read + cached, prompt + u["prompt_tokens"]
            else:
                r = u.get("cache_read_input_tokens", 0)
                read += r
                prompt += u.get("input_tokens", 0) + u.get("cache_creation_input_tokens", 0) + r
        return read / prompt if prompt else 0.0

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> StubLLMServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- answers and usage
    def output_for(self, body: dict[str, Any]) -> dict[str, Any]:
        text = "\n".join(t for t, _ in prompt_blocks(body))
        schema = schema_of(body) or {}
        for substring, output in self.registered:
            if substring in text and _fits(output, schema):
                return output
        if self.answer_fn is not None:
            return self.answer_fn(body)
        return example_for(schema) if schema else {"text": "hello"}

    def anthropic_usage(self, body: dict[str, Any], output_text: str) -> dict[str, Any]:
        """Prompt caching simulated on the rendered order (tools and output schema, system, tool_choice,
        messages): a prefix ending at a cache_control breakpoint seen before is read, so a request whose
        tools, schema or anything before the breakpoint differs misses."""
        blocks, prefix, read, write, total = serialized_parts(body), "", 0, 0, 0
        cut = 0
        with self._lock:
            for text, cached in blocks:
                prefix += text
                total += tokens_of(text)
                if cached:
                    digest = hashlib.sha256(prefix.encode()).hexdigest()
                    if digest in self._prefixes:
                        read, write = total, 0
                    else:
                        write = total - read
                        self._prefixes.add(digest)
                    cut = total
        return {
            "input_tokens": total - cut,
            "output_tokens": tokens_of(output_text),
            "cache_creation_input_tokens": write,
            "cache_read_input_tokens": read,
            "cache_creation": {"ephemeral_5m_input_tokens": write, "ephemeral_1h_input_tokens": 0},
        }

    def openai_usage(self, body: dict[str, Any], output_text: str) -> dict[str, Any] | None:
        """Automatic prefix caching simulated: the longest prefix shared with an earlier prompt, in
        128-token steps, once a prompt reaches 1024 tokens. The prompt is rendered as the tools and the
        response format (which precede the messages), then the messages."""
        if self.omit_usage:
            return None
        prompt = "".join(t for t, _ in serialized_parts(body))
        with self._lock:
            shared = max((_common_prefix(prompt, p) for p in self._prompts[-200:]), default=0)
            self._prompts.append(prompt)
        total = tokens_of(prompt)
        cached = (shared // 4) // 128 * 128 if total >= 1024 else 0
        out = tokens_of(output_text)
        usage: dict[str, Any] = {
            "prompt_tokens": total,
            "completion_tokens": out,
            "total_tokens": total + out,
        }
        if not self.omit_usage_details:
            usage["prompt_tokens_details"] = {"cached_tokens": cached}
            usage["completion_tokens_details"] = {"reasoning_tokens": 0}
        return usage

    def calls_for(self, body: dict[str, Any], fault: Fault | None) -> list[tuple[str, str]]:
        """(tool name, arguments) of a bundled answer: one call per asked tool, minus ``skip_tools``; a
        fault spoils the first call only."""
        tools = [t for t in asked_tools(body) if t not in self.skip_tools]
        return [
            (t, self.answer_text(for_tool(body, t), fault if i == 0 else None)) for i, t in enumerate(tools)
        ]

    def message(self, body: dict[str, Any], text: str) -> dict[str, Any]:
        forced = (body.get("tool_choice") or {}).get("type") in ("tool", "any")
        if forced and asked_tools(body):
            calls = json.loads(text)
            content = [
                {
                    "type": "tool_use",
                    "id": f"toolu_{next(self._ids)}",
                    "name": name,
                    "input": json.loads(args),
                }
                for name, args in calls
            ]
            text = "".join(args for _, args in calls)
        elif forced:
            content = [
                {
                    "type": "tool_use",
                    "id": f"toolu_{next(self._ids)}",
                    "name": forced_tool(body),
                    "input": json.loads(text) if text.startswith("{") else {"raw": text},
                }
            ]
        else:
            content = [{"type": "text", "text": text}]
        return {
            "id": f"msg_{next(self._ids)}",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "stub"),
            "content": content,
            "stop_reason": "tool_use" if forced else "end_turn",
            "stop_sequence": None,
            "usage": self.anthropic_usage(body, text),
        }

    def completion(self, body: dict[str, Any], text: str) -> dict[str, Any]:
        choice = body.get("tool_choice")
        forced = forced_tool(body) if isinstance(choice, dict) and choice.get("type") == "function" else None
        message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None}
        if body.get("tool_choice") == "required" and asked_tools(body):
            calls = json.loads(text)
            message = {
                "role": "assistant",
                "content": None,
                "refusal": None,
                "tool_calls": [
                    {
                        "id": f"call_{next(self._ids)}",
                        "type": "function",
                        "function": {"name": n, "arguments": a},
                    }
                    for n, a in calls
                ],
            }
            text = "".join(a for _, a in calls)
            forced = "(several)"
        elif forced is not None:
            call: dict[str, Any] = {"id": f"call_{next(self._ids)}", "type": "function"}
            call["function"] = {"name": forced, "arguments": text}
            message = {"role": "assistant", "content": None, "refusal": None, "tool_calls": [call]}
        out: dict[str, Any] = {
            "id": f"chatcmpl-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "stub"),
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "tool_calls" if forced else "stop",
                    "message": message,
                }
            ],
        }
        if (usage := self.openai_usage(body, text)) is not None:
            out["usage"] = usage
        return out

    def answer_text(self, body: dict[str, Any], fault: Fault | None) -> str:
        choice = body.get("tool_choice")
        if asked_tools(body) and not (isinstance(choice, dict) and choice.get("name")):
            return json.dumps(self.calls_for(body, fault))  # a bundled answer: [[tool, arguments], ...]
        if fault is not None and fault.kind == "invalid":
            schema = schema_of(body) or {}
            return json.dumps({k: {"wrong": "type"} for k in (schema.get("properties") or {"x": 1})})
        if fault is not None and fault.kind == "not_json":
            return "Sure! Here is the summary you asked for."
        return json.dumps(self.output_for(body))

    # -- batches
    def new_batch(self, kind: str, lines: list[dict[str, Any]]) -> dict[str, Any]:
        batch_id = f"{'msgbatch' if kind == 'anthropic' else 'batch'}_{next(self._ids)}"
        record = {"id": batch_id, "kind": kind, "lines": lines, "polls": 0, "results": None}
        with self._lock:
            self._batches[batch_id] = record
        return record

    def batch(self, batch_id: str, *, poll: bool) -> dict[str, Any] | None:
        with self._lock:
            record = self._batches.get(batch_id)
            if record is not None and poll:
                record["polls"] += 1
        if record is not None and record["results"] is None and record["polls"] > self.polls_until_done:
            record["results"] = [self._batch_result(record["kind"], line) for line in record["lines"]][::-1]
        return record

    def _batch_result(self, kind: str, line: dict[str, Any]) -> dict[str, Any]:
        cid = line["custom_id"]
        if kind == "anthropic":
            if cid in self.batch_errors:
                err = {"type": "error", "error": {"type": "invalid_request_error", "message": "stub error"}}
                return {"custom_id": cid, "result": {"type": "errored", "error": err}}
            msg = self.message(line["params"], self.answer_text(line["params"], None))
            return {"custom_id": cid, "result": {"type": "succeeded", "message": msg}}
        if cid in self.batch_errors:
            return {
                "custom_id": cid,
                "response": {"status_code": 400, "body": {"error": {"message": "stub"}}},
                "error": None,
            }
        body = self.completion(line["body"], self.answer_text(line["body"], None))
        return {
            "id": f"batch_req_{next(self._ids)}",
            "custom_id": cid,
            "response": {"status_code": 200, "request_id": "req_stub", "body": body},
            "error": None,
        }

    def store_file(self, data: bytes) -> str:
        file_id = f"file-{next(self._ids)}"
        with self._lock:
            self._files[file_id] = data
        return file_id

    def file(self, file_id: str) -> bytes | None:
        return self._files.get(file_id)


def _fits(output: dict[str, Any], schema: dict[str, Any]) -> bool:
    """A registered output answers a tool only when its keys are that tool's (a bundle asks for several)."""
    props = schema.get("properties")
    return not props or set(output) <= set(props)


def _common_prefix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def _multipart_file(headers: Any, raw: bytes) -> bytes:
    """The uploaded file's bytes from a multipart/form-data body."""
    head = f"Content-Type: {headers.get('content-type')}\r\n\r\n".encode()
    msg = email.parser.BytesParser().parsebytes(head + raw)
    for part in msg.walk():
        if part.get_filename():
            payload = part.get_payload(decode=True)
            return payload if isinstance(payload, bytes) else b""
    return b""


def _handler(stub: StubLLMServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = (
            True  # headers and body go out as separate writes: no 40 ms delayed-ACK stall
        )

        def log_message(self, *args: Any) -> None:
            return None

        def _handle(self, method: str) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length") or 0))
            ctype = self.headers.get("content-type") or ""
            if ctype.startswith("multipart/"):
                body: Any = {"file": _multipart_file(self.headers, raw).decode()}
            else:
                body = json.loads(raw) if raw else {}
            path = self.path.split("?")[0]
            headers = {k.lower(): v for k, v in self.headers.items()}
            stub.requests.append(Recorded(method, path, headers, body, time.time()))
            status, headers, payload = route(stub, method, path, body)
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("content-type", headers.pop("content-type", "application/json"))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a scripted timeout)

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

    return Handler
