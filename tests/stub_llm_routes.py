"""Routes of the stub LLM server (``tests/stub_llm_server.py``): wire formats of both vendors, and the
schema-driven answer generator."""

from __future__ import annotations

import json
import re
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.stub_llm_server import Fault, StubLLMServer

Reply = tuple[int, dict[str, str], Any]
_ERROR_TYPES = {
    429: "rate_limit_error",
    529: "overloaded_error",
    408: "timeout_error",
    400: "invalid_request_error",
}


def route(stub: StubLLMServer, method: str, path: str, body: Any) -> Reply:
    parts = path.strip("/").split("/")
    if method == "POST" and path in ("/v1/messages", "/v1/chat/completions"):
        return _message(stub, path, body)
    if stub.batch_faults and (
        parts[1:2] in (["batches"], ["files"]) or parts[1:3] == ["messages", "batches"]
    ):
        fault = stub.batch_faults.popleft()
        return fault.status, dict(fault.headers), _error(fault.status, anthropic=parts[1] == "messages")
    if parts[:3] == ["v1", "messages", "batches"]:
        return _anthropic_batch(stub, method, parts[3:], body)
    if parts[:2] == ["v1", "files"] or parts[:2] == ["v1", "batches"]:
        return _openai_batch(stub, method, parts[1:], body)
    return 404, {}, {"error": {"type": "not_found_error", "message": f"no route {method} {path}"}}


def _message(stub: StubLLMServer, path: str, body: dict[str, Any]) -> Reply:
    with stub._lock:
        if stub.max_in_flight is not None and stub.in_flight >= stub.max_in_flight:
            stub.refused += 1
            return 429, {"retry-after": stub.retry_after}, _error(429, anthropic=path == "/v1/messages")
        stub.in_flight += 1
        stub.peak_in_flight = max(stub.peak_in_flight, stub.in_flight)
    try:
        if stub.latency_s:
            time.sleep(stub.latency_s)
        return _answer(stub, path, body)
    finally:
        with stub._lock:
            stub.in_flight -= 1


def _answer(stub: StubLLMServer, path: str, body: dict[str, Any]) -> Reply:
    fault: Fault | None = stub.faults.popleft() if stub.faults else None
    anthropic = path == "/v1/messages"
    if fault is not None and fault.kind == "status":
        return fault.status, dict(fault.headers), _error(fault.status, anthropic=anthropic)
    if fault is not None and fault.kind == "timeout":
        time.sleep(fault.sleep_s)
    if fault is not None and fault.kind == "malformed":
        return 200, {}, b'{"id": "msg_broken", "content": [ {"type": "te'
    text = stub.answer_text(body, fault)
    payload = stub.message(body, text) if anthropic else stub.completion(body, text)
    stub.usages.append(payload.get("usage") or {})
    return 200, {"request-id": "req_stub"}, payload


def _error(status: int, *, anthropic: bool) -> dict[str, Any]:
    kind = _ERROR_TYPES.get(status, "api_error")
    if anthropic:
        return {"type": "error", "error": {"type": kind, "message": f"stub fault {status}"}}
    return {"error": {"message": f"stub fault {status}", "type": kind, "code": kind, "param": None}}


def _anthropic_batch(stub: StubLLMServer, method: str, rest: list[str], body: Any) -> Reply:
    if method == "POST" and not rest:
        return 200, {}, _anthropic_batch_object(stub, stub.new_batch("anthropic", body["requests"]))
    record = stub.batch(rest[0], poll=len(rest) == 1) if rest else None
    if record is None:
        return 404, {}, _error(404, anthropic=True)
    if len(rest) == 1:
        return 200, {}, _anthropic_batch_object(stub, record)
    lines = record["results"] or []
    data = "".join(json.dumps(line) + "\n" for line in lines).encode()
    return 200, {"content-type": "application/binary"}, data


def _anthropic_batch_object(stub: StubLLMServer, record: dict[str, Any]) -> dict[str, Any]:
    results = record["results"]
    done = results is not None
    kinds = [r["result"]["type"] for r in results or []]
    return {
        "id": record["id"],
        "type": "message_batch",
        "processing_status": "ended" if done else "in_progress",
        "request_counts": {
            "processing": 0 if done else len(record["lines"]),
            "succeeded": kinds.count("succeeded"),
            "errored": kinds.count("errored"),
            "canceled": 0,
            "expired": 0,
        },
        "created_at": "2026-11-21T09:00:00Z",
        "expires_at": "2026-11-22T09:00:00Z",
        "ended_at": "2026-11-21T09:05:00Z" if done else None,
        "archived_at": None,
        "cancel_initiated_at": None,
        "results_url": f"{stub.url}/v1/messages/batches/{record['id']}/results" if done else None,
    }


def _openai_batch(stub: StubLLMServer, method: str, rest: list[str], body: Any) -> Reply:
    if rest == ["files"] and method == "POST":
        data = body["file"].encode()
        file_id = stub.store_file(data)
        return (
            200,
            {},
            {
                "id": file_id,
                "object": "file",
                "bytes": len(data),
                "created_at": int(time.time()),
                "filename": "batch.jsonl",
                "purpose": "batch",
                "status": "processed",
            },
        )
    if rest[0] == "files" and len(rest) == 3 and rest[2] == "content":
        data = stub.file(rest[1])
        return (
            (200, {"content-type": "application/octet-stream"}, data)
            if data is not None
            else (404, {}, _error(404, anthropic=False))
        )
    if rest == ["batches"] and method == "POST":
        raw = stub.file(body["input_file_id"]) or b""
        lines = [json.loads(line) for line in raw.decode().splitlines() if line.strip()]
        return 200, {}, _openai_batch_object(stub, stub.new_batch("openai", lines), body.get("endpoint", ""))
    if rest[0] == "batches" and len(rest) == 2:
        record = stub.batch(rest[1], poll=True)
        if record is None:
            return 404, {}, _error(404, anthropic=False)
        return 200, {}, _openai_batch_object(stub, record, "/v1/chat/completions")
    return 404, {}, _error(404, anthropic=False)


def _openai_batch_object(stub: StubLLMServer, record: dict[str, Any], endpoint: str) -> dict[str, Any]:
    results = record["results"]
    done = results is not None
    out_id = err_id = None
    if done and "output_file" not in record:
        ok = [r for r in results if r["response"]["status_code"] == 200]
        bad = [r for r in results if r["response"]["status_code"] != 200]
        record["output_file"] = stub.store_file("".join(json.dumps(r) + "\n" for r in ok).encode())
        record["error_file"] = (
            stub.store_file("".join(json.dumps(r) + "\n" for r in bad).encode()) if bad else None
        )
    if done:
        out_id, err_id = record["output_file"], record["error_file"]
    failed = sum(1 for r in results or [] if r["response"]["status_code"] != 200)
    total = len(record["lines"])
    return {
        "id": record["id"],
        "object": "batch",
        "endpoint": endpoint,
        "input_file_id": "file-in",
        "completion_window": "24h",
        "status": "completed" if done else "in_progress",
        "created_at": int(time.time()),
        "output_file_id": out_id,
        "error_file_id": err_id,
        "request_counts": {"total": total, "completed": (total - failed) if done else 0, "failed": failed},
    }


# ---------------------------------------------------------------- schema-driven answers


def example_for(schema: dict[str, Any], root: dict[str, Any] | None = None, name: str = "value") -> Any:
    """A value valid for ``schema``: strings, enums, ints, numbers, bools, arrays (one item), objects."""
    root = root or schema
    if "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return example_for(target, root, name)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return example_for(options[0], root, name)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props = schema.get("properties", {})
        return {k: example_for(v, root, k) for k, v in props.items()}
    if kind == "array":
        return [example_for(schema.get("items", {"type": "string"}), root, name)]
    return {"string": f"example {name}", "integer": 1, "number": 1.5, "boolean": True, "null": None}[kind]


_ASKED_TOOL = re.compile(r"calling the `([\w-]+)` tool")
_ASKED_TOOLS = re.compile(r"Call each of these tools once[^:]*: ([^\n]*)")


def asked_tools(body: dict[str, Any]) -> list[str]:
    """The tools a bundled request asks for, each once (its last line names them), as a model would read
    it; [] for any other request."""
    if not body.get("tools"):
        return []
    found = _ASKED_TOOLS.findall("\n".join(text for text, _ in prompt_blocks(body)))
    return re.findall(r"`([\w-]+)`", found[-1]) if found else []


def for_tool(body: dict[str, Any], name: str) -> dict[str, Any]:
    """``body`` as if it forced the tool ``name``: what one tool call of a bundled answer is drawn from."""
    return {**body, "tool_choice": {"type": "tool", "name": name}}


def forced_tool(body: dict[str, Any]) -> str | None:
    """The tool name a request forces (Anthropic ``{"type": "tool"}``, OpenAI ``{"type": "function"}``),
    or with Anthropic ``{"type": "any"}`` the one the prompt last asks for by name (as a model would)."""
    choice = body.get("tool_choice")
    if not isinstance(choice, dict):
        return None
    if choice.get("type") == "tool":
        return str(choice.get("name"))
    if choice.get("type") == "any":
        asked = _ASKED_TOOL.findall("\n".join(text for text, _ in prompt_blocks(body)))
        return asked[-1] if asked else str((body.get("tools") or [{}])[0].get("name"))
    if choice.get("type") == "function":
        return str((choice.get("function") or {}).get("name"))
    return None


def schema_of(body: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON schema a request asks for (Anthropic output_config / the forced tool, OpenAI response_format
    / the forced function)."""
    if fmt := (body.get("output_config") or {}).get("format"):
        return fmt.get("schema")
    tools = body.get("tools") or []
    name = forced_tool(body)
    for tool in tools:
        function = tool.get("function") or {}
        if name is None or name in (tool.get("name"), function.get("name")):
            return tool.get("input_schema") or function.get("parameters")
    rf = body.get("response_format") or {}
    return (rf.get("json_schema") or {}).get("schema")


def _block_text(block: dict[str, Any]) -> str:
    if "text" in block:
        return str(block["text"])
    if block.get("type") == "tool_result":
        content = block.get("content")
        return content if isinstance(content, str) else json.dumps(content)
    return json.dumps(block.get("input", ""))


def prompt_blocks(body: dict[str, Any]) -> list[tuple[str, bool]]:
    """(text, has cache_control) of the system and message parts, in order: for prefix measurements."""
    parts: list[tuple[str, bool]] = []
    system = body.get("system")
    if isinstance(system, str):
        parts.append((system, False))
    for item in system if isinstance(system, list) else []:
        parts.append((item.get("text", ""), "cache_control" in item))
    for msg in body.get("messages") or []:
        content = msg.get("content")
        if msg.get("tool_calls"):
            parts.append((json.dumps(msg["tool_calls"]), False))
        if isinstance(content, str):
            parts.append((content, False))
            continue
        for block in content or []:
            parts.append((_block_text(block), "cache_control" in block))
    return parts


def serialized_parts(body: dict[str, Any]) -> list[tuple[str, bool]]:
    """(text, has cache_control) of everything a provider renders before the answer, in its order: tool
    definitions and any output schema first, then system and messages; Anthropic renders ``tool_choice``
    after the system prompt (a changed tool_choice keeps tools and system cached, not the messages)."""
    head = json.dumps(body.get("tools") or [], sort_keys=True)
    schema = (body.get("output_config") or {}).get("format") or body.get("response_format")
    if schema:
        head += json.dumps(schema, sort_keys=True)
    parts = [(head, False)]
    system = body.get("system")
    n_system = 1 if isinstance(system, str) else len(system) if isinstance(system, list) else 0
    blocks = prompt_blocks(body)
    parts += blocks[:n_system]
    if isinstance(body.get("tool_choice"), dict) and "system" in body:
        parts.append((json.dumps(body["tool_choice"], sort_keys=True), False))
    return parts + blocks[n_system:]
