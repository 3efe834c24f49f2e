"""Both SDK providers against the stub server: success, transport faults, re-asks, keys, usage."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from daily_report.core.errors import MissingKeyError
from daily_report.llm.base import Provider
from daily_report.llm.providers.anthropic import AnthropicProvider
from daily_report.llm.providers.openai import OpenAIProvider, strict_schema
from daily_report.llm.structured import Attempt, StructuredOutputError, TransportError, call_structured

from tests.stub_llm_kit import Facts, Sleeps, make_request
from tests.stub_llm_server import Fault, StubLLMServer


@pytest.fixture
def stub() -> Iterator[StubLLMServer]:
    with StubLLMServer() as server:
        yield server


def provider_for(name: str, stub: StubLLMServer, **kw: Any) -> Provider:
    if name == "anthropic":
        return AnthropicProvider(
            api_key="test-key", base_url=stub.url, timeout_s=kw.pop("timeout_s", 5.0), **kw
        )
    return OpenAIProvider(
        api_key="test-key", base_url=stub.openai_url, timeout_s=kw.pop("timeout_s", 5.0), **kw
    )


PROVIDERS = ["anthropic", "openai"]


@pytest.mark.parametrize("name", PROVIDERS)
def test_success_validates_and_reports_usage(stub: StubLLMServer, name: str) -> None:
    provider = provider_for(name, stub)
    resp = call_structured(provider, make_request(name), Facts)
    assert Facts.model_validate(resp.output).status == "done"
    assert resp.attempts == 1 and not resp.cache_hit
    assert resp.usage.prompt_tokens > 100 and resp.usage.output_tokens > 0
    assert resp.cost_usd is not None and resp.cost_usd > 0
    [sent] = stub.message_requests()
    assert sent.headers.get("x-stainless-retry-count") == "0"


def test_anthropic_native_schema_and_cache_breakpoint(stub: StubLLMServer) -> None:
    call_structured(provider_for("anthropic", stub), make_request("anthropic"), Facts)
    body = stub.message_requests()[0].body
    fmt = body["output_config"]["format"]
    assert fmt["type"] == "json_schema" and fmt["schema"]["additionalProperties"] is False
    first, second = body["messages"][0]["content"]
    assert first["cache_control"] == {"type": "ephemeral"} and "cache_control" not in second
    assert body["system"] == "You summarise coding-agent sessions."


def test_anthropic_second_stage_reads_the_cached_prefix(stub: StubLLMServer) -> None:
    provider = provider_for("anthropic", stub)
    first = call_structured(provider, make_request("anthropic", stage="facts"), Facts)
    second = call_structured(provider, make_request("anthropic", stage="tasks"), Facts)
    assert first.usage.cache_write_tokens > 0 and first.usage.cache_read_tokens == 0
    assert second.usage.cache_read_tokens == first.usage.cache_write_tokens
    assert second.usage.cache_write_tokens == 0
    both = first.usage + second.usage
    assert stub.cache_read_share() == pytest.approx(both.cache_read_tokens / both.prompt_tokens)


def test_anthropic_forced_tool_mode(stub: StubLLMServer) -> None:
    provider = provider_for("anthropic", stub, structured="tool")
    resp = call_structured(provider, make_request("anthropic"), Facts)
    body = stub.message_requests()[0].body
    assert body["tool_choice"] == {"type": "tool", "name": "emit_result"}
    assert "output_config" not in body
    assert Facts.model_validate(resp.output).turns == 1


def test_openai_strict_schema_and_one_user_message(stub: StubLLMServer) -> None:
    call_structured(provider_for("openai", stub), make_request("openai"), Facts)
    body = stub.message_requests()[0].body
    rf = body["response_format"]["json_schema"]
    assert rf["strict"] is True and rf["name"] == "Facts"
    assert rf["schema"]["required"] == ["title", "status", "steps", "turns"]
    roles = [m["role"] for m in body["messages"]]
    assert roles == ["system", "user"]
    assert body["messages"][1]["content"].endswith("Give the facts as JSON.")


def test_strict_schema_requires_every_property_and_drops_defaults() -> None:
    schema = {
        "type": "object",
        "properties": {"default": {"type": "string", "default": "x"}},
        "$defs": {"Inner": {"properties": {"a": {"type": "integer", "default": 1}}}},
    }
    out = strict_schema(schema)
    assert out["required"] == ["default"] and "default" in out["properties"]
    assert "default" not in out["properties"]["default"]
    inner = out["$defs"]["Inner"]
    assert inner["required"] == ["a"] and inner["additionalProperties"] is False


FAULTS = {
    "429": lambda: Fault.rate_limit(retry_after="7"),
    "529": Fault.overloaded,
    "500": Fault.server_error,
    "503": lambda: Fault.server_error(503),
    "408": lambda: Fault.client_error(408),
    "malformed": Fault.malformed,
    "timeout": lambda: Fault.timeout(0.6),
}


@pytest.mark.parametrize("name", PROVIDERS)
@pytest.mark.parametrize("fault", list(FAULTS))
def test_each_fault_is_retried_then_succeeds(stub: StubLLMServer, name: str, fault: str) -> None:
    provider = provider_for(name, stub, timeout_s=0.3)
    stub.add_fault(FAULTS[fault](), FAULTS[fault]())
    sleeps, attempts = Sleeps(), []
    resp = call_structured(
        provider, make_request(name), Facts, policy=sleeps.policy(), on_attempt=attempts.append
    )
    assert resp.attempts == 3
    assert len(stub.message_requests()) == 3
    assert [a.error is not None for a in attempts] == [True, True, False]
    assert len(sleeps.waits) == 2
    if fault == "429":
        assert sleeps.waits == [7.0, 7.0]  # retry-after honoured
    else:
        assert all(0 < w <= 0.002 for w in sleeps.waits)


@pytest.mark.parametrize("name", PROVIDERS)
def test_retry_after_ms_wins_over_retry_after(stub: StubLLMServer, name: str) -> None:
    stub.add_fault(Fault.rate_limit(retry_after="9", retry_after_ms="250"))
    sleeps = Sleeps()
    call_structured(provider_for(name, stub), make_request(name), Facts, policy=sleeps.policy())
    assert sleeps.waits == [0.25]


@pytest.mark.parametrize("name", PROVIDERS)
def test_other_4xx_and_should_retry_false_are_not_retried(stub: StubLLMServer, name: str) -> None:
    provider = provider_for(name, stub)
    faults = (
        Fault.client_error(400),
        Fault.client_error(409),
        Fault.client_error(422),
        Fault.server_error(503, {"x-should-retry": "false"}),
    )
    for fault in faults:
        stub.requests.clear()
        stub.add_fault(fault)
        with pytest.raises(TransportError) as err:
            call_structured(provider, make_request(name), Facts, policy=Sleeps().policy())
        assert err.value.attempts == 1 and err.value.status == fault.status
        assert len(stub.message_requests()) == 1


@pytest.mark.parametrize("name", PROVIDERS)
def test_retries_are_bounded(stub: StubLLMServer, name: str) -> None:
    stub.add_fault(*[Fault.overloaded() for _ in range(5)])
    attempts: list[Attempt] = []
    with pytest.raises(TransportError) as err:
        call_structured(
            provider_for(name, stub),
            make_request(name),
            Facts,
            policy=Sleeps().policy(max_attempts=3),
            on_attempt=attempts.append,
        )
    assert err.value.attempts == 3 and len(attempts) == 3
    assert len(stub.message_requests()) == 3


@pytest.mark.parametrize("name", PROVIDERS)
@pytest.mark.parametrize("fault", ["invalid_answer", "not_json_answer"])
def test_invalid_answer_is_reasked_with_the_errors(stub: StubLLMServer, name: str, fault: str) -> None:
    stub.add_fault(getattr(Fault, fault)())
    attempts: list[Attempt] = []
    resp = call_structured(provider_for(name, stub), make_request(name), Facts, on_attempt=attempts.append)
    assert resp.attempts == 2 and Facts.model_validate(resp.output)
    first, second = stub.message_requests()
    messages = second.body["messages"]
    assert messages[:-2] == first.body["messages"]
    assert messages[-2]["role"] == "assistant"
    assert messages[-1]["role"] == "user"
    reask = messages[-1]["content"]
    assert "does not match the required JSON schema" in reask
    if fault == "invalid_answer":
        assert "- title:" in reask and "- status:" in reask
    else:
        assert "not valid JSON" in reask
    assert attempts[0].error is not None and attempts[0].error.startswith("invalid output")
    assert attempts[0].usage.output_tokens > 0  # a failed attempt's usage is real cost
    assert resp.usage.output_tokens == sum(a.usage.output_tokens for a in attempts)


@pytest.mark.parametrize("name", PROVIDERS)
def test_reasks_exhausted_raises_with_attempts_raw_and_usage(stub: StubLLMServer, name: str) -> None:
    stub.add_fault(Fault.invalid_answer(), Fault.invalid_answer(), Fault.invalid_answer())
    with pytest.raises(StructuredOutputError) as err:
        call_structured(provider_for(name, stub), make_request(name), Facts, reasks=2)
    assert err.value.attempts == 3
    assert '"wrong"' in err.value.raw
    assert err.value.usage.output_tokens > 0 and err.value.usage.prompt_tokens > 0
    assert len(stub.message_requests()) == 3


@pytest.mark.parametrize(
    ("provider", "var", "alternative"),
    [
        (AnthropicProvider, "ANTHROPIC_API_KEY", "--provider openai"),
        (OpenAIProvider, "OPENAI_API_KEY", "--provider anthropic"),
    ],
)
def test_missing_key_is_one_clear_line(provider: Any, var: str, alternative: str) -> None:
    with pytest.raises(MissingKeyError) as err:
        call_structured(provider(), make_request(provider.name), Facts)
    msg = str(err.value)
    assert "\n" not in msg and var in msg and alternative in msg
    assert "--dry-run" in msg and "--export-requests" in msg
    assert "replay" not in msg  # replay answers only its own day: no way to run a real one


def test_keys_and_base_url_come_from_the_environment(stub: StubLLMServer, monkeypatch: Any) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "env-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", stub.url)
    call_structured(AnthropicProvider(), make_request("anthropic"), Facts)
    assert stub.message_requests()[0].headers["authorization"] == "Bearer env-key"


def test_openai_compatible_server_needs_no_key(stub: StubLLMServer) -> None:
    resp = call_structured(OpenAIProvider(base_url=stub.openai_url), make_request("openai"), Facts)
    assert Facts.model_validate(resp.output)
    sent = stub.message_requests()[0]
    assert sent.headers["authorization"] == "Bearer not-needed"
    assert "max_tokens" in sent.body and "max_completion_tokens" not in sent.body


def test_openai_compatible_server_without_usage_details(stub: StubLLMServer) -> None:
    stub.omit_usage_details = True
    resp = call_structured(provider_for("openai", stub), make_request("openai"), Facts)
    assert resp.usage.cache_read_tokens == 0 and resp.usage.input_tokens > 100


def test_openai_compatible_server_without_usage_at_all(stub: StubLLMServer) -> None:
    stub.omit_usage = True
    provider = provider_for("openai", stub)
    raw = provider.complete(make_request("openai"), [])
    assert raw.usage.prompt_tokens == 0 and any("no usage" in n for n in raw.notes)


def test_openai_cached_tokens_are_split_out_of_prompt_tokens(stub: StubLLMServer) -> None:
    provider = provider_for("openai", stub)
    long = "user: refactor the parser\nassistant: ok. " * 200
    call_structured(provider, make_request("openai", stage="facts", transcript=long), Facts)
    second = call_structured(provider, make_request("openai", stage="tasks", transcript=long), Facts)
    usage = stub.message_requests()[1]
    assert second.usage.cache_read_tokens > 0
    total = second.usage.input_tokens + second.usage.cache_read_tokens
    assert usage.body["model"] == "gpt-5-mini" and total > 1024


@pytest.mark.parametrize(
    ("name", "mode"), [("anthropic", "native"), ("anthropic", "tool"), ("openai", "native")]
)
def test_every_stage_schema_round_trips(stub: StubLLMServer, name: str, mode: str) -> None:
    """Each registered stage's output model survives the vendor's schema handling and validates."""
    from daily_report.stages.registry import STAGES

    extra = {"structured": mode} if name == "anthropic" else {}
    provider = provider_for(name, stub, **extra)
    for stage, cls in STAGES.items():
        model = cls.output_model
        request = make_request(name, stage=stage).model_copy(
            update={"schema_name": model.__name__, "output_schema": model.model_json_schema()}
        )
        resp = call_structured(provider, request, model, reasks=0)
        assert model.model_validate(resp.output), stage


def test_openai_prompt_cache_key_is_shared_by_stages_over_one_chunk(stub: StubLLMServer) -> None:
    provider = OpenAIProvider(api_key="k", base_url=stub.openai_url, prompt_cache_key=True)
    for stage in ("facts", "tasks"):
        call_structured(provider, make_request("openai", stage=stage), Facts)
    call_structured(provider, make_request("openai", transcript="another chunk"), Facts)
    keys = [r.body["prompt_cache_key"] for r in stub.message_requests()]
    assert keys[0] == keys[1] != keys[2]
    assert OpenAIProvider(api_key="k").prompt_cache_key
    assert "prompt_cache_key" not in OpenAIProvider(base_url=stub.openai_url).params(
        make_request("openai"), []
    )
