"""Chunk stages share one tool list (issue 4): identical tools + system + transcript over a chunk's five
requests, the asked tool answers, real prefix-cache reads in the stub, re-asks with tool results, export =
sent. The transcript is the user turn's first block, never in the system role (issue 10)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from daily_report.engine.estimate import Estimator
from daily_report.engine.plan import LLMTarget, chunk_call, to_request
from daily_report.llm.base import Provider
from daily_report.llm.exchange import export_requests
from daily_report.llm.providers.anthropic import AnthropicProvider
from daily_report.llm.providers.openai import OpenAIProvider
from daily_report.llm.structured import Attempt, call_structured
from daily_report.llm.types import LLMRequest
from daily_report.stages.base import ChunkStage, load_prompt
from daily_report.stages.registry import chunk_stages, get_stage, system_prompt
from pydantic import BaseModel

from tests.stages_fakes import make_chunk
from tests.stub_llm_server import Fault, StubLLMServer

MODELS = {"anthropic": "claude-haiku-4-5", "openai": "gpt-5-mini"}
LONG = "\n".join(f'[t{n}] TOOL Bash(cmd="pytest -k case_{n}") → ERROR exit 1: case {n}' for n in range(400))


@pytest.fixture
def stub() -> Iterator[StubLLMServer]:
    with StubLLMServer() as server:
        yield server


def provider_for(name: str, stub: StubLLMServer, **kw: Any) -> Provider:
    if name == "anthropic":
        return AnthropicProvider(api_key="k", base_url=stub.url, timeout_s=5.0, **kw)
    return OpenAIProvider(api_key="k", base_url=stub.openai_url, timeout_s=5.0, prompt_cache_key=True)


def chunk_requests(
    provider: str, *, structured: str = "tools", text: str = LONG, session: str = "s1"
) -> list[tuple[LLMRequest, type[BaseModel]]]:
    """The five chunk-stage requests over one chunk, in registry order, with their output models."""
    chunk = make_chunk(text=text, turns=(0, 399), session_id=session)
    system = system_prompt().text
    target = LLMTarget(provider=provider, model=MODELS[provider], max_tokens=1024, structured=structured)
    out = []
    for name in chunk_stages():
        stage = get_stage(name)()
        assert isinstance(stage, ChunkStage)
        prompt = load_prompt(name)
        call = chunk_call(stage, chunk, prompt, system, "en")
        out.append((to_request(call, prompt=prompt, target=target), call.output_model))
    return out


def dump(value: Any) -> bytes:
    return orjson.dumps(value)


def test_anthropic_five_requests_share_tools_system_and_transcript_byte_for_byte() -> None:
    provider = AnthropicProvider(api_key="k")
    bodies = [provider.params(r, []) for r, _ in chunk_requests("anthropic")]
    assert len({dump(b["tools"]) for b in bodies}) == 1
    assert len({dump(b["system"]) for b in bodies}) == 1
    assert [t["name"] for t in bodies[0]["tools"]] == chunk_stages()
    assert all(b["tool_choice"] == {"type": "any"} for b in bodies)  # a changed one drops cached messages
    differing = {k for b in bodies[1:] for k in b if b[k] != bodies[0][k]}
    assert differing == {"messages"}
    assert "case_1" not in dump(bodies[0]["system"]).decode()  # no transcript text in the system role
    firsts = [b["messages"][0]["content"][0] for b in bodies]
    assert len({dump(f) for f in firsts}) == 1
    assert "<transcript>" in firsts[0]["text"] and firsts[0]["cache_control"] == {"type": "ephemeral"}
    for body, name in zip(bodies, chunk_stages(), strict=True):
        blocks = body["messages"][0]["content"]
        assert not any("cache_control" in block for block in blocks[1:])
        assert blocks[-1]["text"] == f"Answer by calling the `{name}` tool."
    assert "output_config" not in bodies[0]


def test_openai_five_requests_share_tools_system_message_and_transcript() -> None:
    provider = OpenAIProvider(api_key="k")
    bodies = [provider.params(r, []) for r, _ in chunk_requests("openai")]
    assert len({dump(b["tools"]) for b in bodies}) == 1
    assert len({b["messages"][0]["content"] for b in bodies}) == 1
    assert "case_1" not in bodies[0]["messages"][0]["content"]  # no transcript text in the system role
    users = [b["messages"][1]["content"] for b in bodies]
    assert len(set(users)) == 5 and all(u.startswith("<session") and "<transcript>" in u for u in users)
    end = users[0].index("</session>")
    assert len({u[:end] for u in users}) == 1  # the same transcript prefix
    differing = {k for b in bodies[1:] for k in b if b[k] != bodies[0][k]}
    assert differing == {"tool_choice", "messages"}
    functions = [t["function"] for t in bodies[0]["tools"]]
    assert [f["name"] for f in functions] == chunk_stages() and all(f["strict"] for f in functions)
    assert all(set(f["parameters"]["required"]) == set(f["parameters"]["properties"]) for f in functions)
    assert bodies[2]["tool_choice"] == {"type": "function", "function": {"name": "issues"}}
    assert "response_format" not in bodies[0] and len({b["prompt_cache_key"] for b in bodies}) == 1


@pytest.mark.parametrize("name", ["anthropic", "openai"])
def test_stages_two_to_five_read_the_prefix_and_answer_with_their_own_tool(
    stub: StubLLMServer, name: str
) -> None:
    provider = provider_for(name, stub)
    usages = []
    for request, model in chunk_requests(name):
        response = call_structured(provider, request, model, reasks=0)
        model.model_validate(response.output)  # the forced tool's schema, not the first tool's
        usages.append(response.usage)
    later = usages[1:]
    share = sum(u.cache_read_tokens for u in later) / sum(u.prompt_tokens for u in later)
    assert share >= 0.9, share
    assert usages[0].cache_read_tokens == 0


@pytest.mark.parametrize("name", ["anthropic", "openai"])
def test_native_layout_shares_no_prefix_across_stages(stub: StubLLMServer, name: str) -> None:
    """The per-stage schema precedes the prompt: stages 2-5 miss (why "tools" is the default)."""
    provider = provider_for(name, stub, **({"structured": "native"} if name == "anthropic" else {}))
    usages = []
    for request, model in chunk_requests(name, structured="native"):
        assert request.tools is None
        response = call_structured(provider, request, model, reasks=0)
        model.model_validate(response.output)
        usages.append(response.usage)
    later = usages[1:]
    assert sum(u.cache_read_tokens for u in later) / sum(u.prompt_tokens for u in later) < 0.1
    key = "output_config" if name == "anthropic" else "response_format"
    assert all(key in r.body and "tools" not in r.body for r in stub.message_requests())


def test_anthropic_changed_tools_miss_the_cache(stub: StubLLMServer) -> None:
    provider = provider_for("anthropic", stub)
    (first, model), (second, _) = chunk_requests("anthropic")[:2]
    call_structured(provider, first, model, reasks=0)
    fewer = second.model_copy(update={"tools": second.tools[:3] if second.tools else None})
    usage = provider.complete(fewer, []).usage
    assert usage.cache_read_tokens == 0 and usage.cache_write_tokens > 0
    again = provider.complete(second, []).usage
    assert again.cache_read_tokens > 0


@pytest.mark.parametrize("name", ["anthropic", "openai"])
def test_export_line_is_exactly_what_complete_sends(stub: StubLLMServer, name: str, tmp_path: Path) -> None:
    provider = provider_for(name, stub)
    requests = [r for r, _ in chunk_requests(name)]
    export_requests(provider, requests, tmp_path / "out.jsonl")
    lines = [orjson.loads(line) for line in (tmp_path / "out.jsonl").read_bytes().splitlines()]
    for request in requests:
        provider.complete(request, [])
    sent = [r.body for r in stub.message_requests()]
    exported = [line["params"] if name == "anthropic" else line["body"] for line in lines]
    assert exported == sent
    assert all("tools" in body for body in exported)


def test_anthropic_reask_sends_the_tool_use_back_with_a_tool_result(stub: StubLLMServer) -> None:
    provider = provider_for("anthropic", stub)
    request, model = chunk_requests("anthropic")[1]
    stub.add_fault(Fault.invalid_answer())
    attempts: list[Attempt] = []
    response = call_structured(provider, request, model, on_attempt=attempts.append)
    assert response.attempts == 2 and model.model_validate(response.output)
    first, second = stub.message_requests()
    assert second.body["tools"] == first.body["tools"] and second.body["system"] == first.body["system"]
    assert second.body["tool_choice"] == {"type": "any"}
    user, assistant, result = second.body["messages"]
    assert user == first.body["messages"][0]
    [use] = assistant["content"]
    assert assistant["role"] == "assistant" and use["type"] == "tool_use" and use["name"] == "tasks"
    assert isinstance(use["input"], dict) and use["input"]  # the invalid input itself, sent back
    [tool_result] = result["content"]
    assert result["role"] == "user" and tool_result["type"] == "tool_result"
    assert tool_result["tool_use_id"] == use["id"] and tool_result["is_error"] is True
    assert "does not match the required JSON schema" in tool_result["content"]
    assert attempts[0].error is not None and attempts[0].error.startswith("invalid output")


def test_openai_reask_sends_the_tool_call_back_with_a_tool_message(stub: StubLLMServer) -> None:
    provider = provider_for("openai", stub)
    request, model = chunk_requests("openai")[2]
    stub.add_fault(Fault.not_json_answer())
    response = call_structured(provider, request, model)
    assert response.attempts == 2 and model.model_validate(response.output)
    first, second = stub.message_requests()
    assert second.body["tools"] == first.body["tools"]
    messages = second.body["messages"]
    assert messages[:2] == first.body["messages"]
    assistant, tool = messages[2:]
    [call] = assistant["tool_calls"]
    assert assistant["role"] == "assistant" and call["function"]["name"] == "issues"
    assert call["function"]["arguments"].startswith("Sure!")  # the unparsable answer, sent back as is
    assert tool["role"] == "tool" and tool["tool_call_id"] == call["id"]
    assert "not valid JSON" in tool["content"]


def test_tools_and_forced_tool_enter_the_key_only_when_set() -> None:
    tools = chunk_requests("anthropic")
    native = chunk_requests("anthropic", structured="native")
    (facts, _), (tasks, _) = tools[:2]
    assert facts.key() != native[0][0].key()
    assert facts.model_copy(update={"tools": None, "tool_name": None}).key() == native[0][0].key()
    assert facts.model_copy(update={"tool_name": "tasks"}).key() != facts.key()
    assert facts.tools == tasks.tools and facts.tool_name == "facts" and tasks.tool_name == "tasks"


def test_estimate_counts_the_tools_into_the_shared_prefix() -> None:
    def rows(structured: str) -> dict[str, Any]:
        est = Estimator(provider="anthropic", model="claude-sonnet-4-6")
        est.add_requests([r for r, _ in chunk_requests("anthropic", structured=structured)], cached=set())
        return {s.stage: s for s in est.result(chunk_stages()).stages}

    tools, native = rows("tools"), rows("native")
    first, later = tools["facts"], [tools[n] for n in chunk_stages()[1:]]
    assert first.cache_write_tokens > 0 and first.cache_read_tokens == 0
    assert all(r.cache_read_tokens == first.cache_write_tokens for r in later)
    # the shared prefix holds the five tool schemas: larger than system + transcript alone
    assert first.cache_write_tokens > native["facts"].cache_write_tokens
    assert all(native[n].cache_read_tokens == 0 for n in chunk_stages())


def test_anthropic_tools_use_strict_tool_use_unless_turned_off() -> None:
    request, _ = chunk_requests("anthropic")[1]
    strict = AnthropicProvider(api_key="k").params(request, [])
    assert strict["tools"] and all(t.get("strict") is True for t in strict["tools"])
    loose = AnthropicProvider(api_key="k", strict_tools=False).params(request, [])
    assert all("strict" not in t for t in loose["tools"])
    # the strict flag is the same on every request over a chunk, so it never breaks the shared prefix
    bodies = [AnthropicProvider(api_key="k").params(r, []) for r, _ in chunk_requests("anthropic")]
    assert all(dump(b["tools"]) == dump(bodies[0]["tools"]) for b in bodies)
