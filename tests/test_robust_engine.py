"""Reviewer findings in the engine: the cache key names the endpoint, a budget needs a known price."""

from __future__ import annotations

from pathlib import Path

import pytest
from daily_report.engine.plan import RunOptions, normalize_endpoint, resolve_target
from daily_report.llm.types import LLMRequest, TextBlock
from daily_report.schemas.config import Config, LLMConfig

from tests.stub_llm_server import StubLLMServer
from tests.test_run_day import _fast_retries as _fast_retries
from tests.test_run_day import (
    invoke,
    keys,  # noqa: F401  (fixture)
    make_day,
    run_args,
)


def _req(**more: object) -> LLMRequest:
    return LLMRequest(
        stage="facts",
        prompt_version="v1",
        provider="openai",
        model="qwen3",
        system="s",
        blocks=[TextBlock(text="t")],
        schema_name="X",
        output_schema={"type": "object"},
        **more,  # type: ignore[arg-type]
    )


def test_the_endpoint_is_part_of_the_key_only_when_set() -> None:
    plain = _req()
    assert _req(endpoint="").key() == plain.key()
    a, b = _req(endpoint="http://gpu-a:8000/v1"), _req(endpoint="http://gpu-b:8000/v1")
    assert len({plain.key(), a.key(), b.key()}) == 3


def test_endpoints_are_normalized() -> None:
    assert normalize_endpoint(None) == normalize_endpoint("  ") == ""
    assert normalize_endpoint("HTTP://GPU-A:8000/v1/") == normalize_endpoint("http://gpu-a:8000/v1")
    assert normalize_endpoint("http://gpu-a:8000/v1") != normalize_endpoint("http://gpu-b:8000/v1")


def test_two_compatible_servers_serving_one_model_name_do_not_share_answers() -> None:
    def target(base_url: str | None) -> str:
        config = Config(llm=LLMConfig(provider="openai", model="qwen3", base_url=base_url))
        return resolve_target(config, RunOptions(date="2026-03-17"))[0].endpoint

    assert target(None) == ""
    assert target("http://gpu-a:8000/v1/") == "http://gpu-a:8000/v1"
    assert target("http://gpu-a:8000/v1") != target("http://gpu-b:8000/v1")


@pytest.mark.usefixtures("keys")
def test_a_budget_with_an_unknown_price_refuses_to_start(tmp_path: Path) -> None:
    with StubLLMServer() as stub:
        config = make_day(tmp_path, provider="openai", base_url=stub.openai_url)
        result = invoke(*run_args(config, "--model", "my-local-model", "--max-cost", "1"))
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert "my-local-model" in result.output and '[prices."my-local-model"]' in result.output
    assert stub.message_requests() == []


@pytest.mark.usefixtures("keys")
def test_a_budget_with_prices_for_the_model_runs(tmp_path: Path) -> None:
    with StubLLMServer() as stub:
        extra = '[prices."my-local-model"]\ninput = 0.1\noutput = 0.2\n'
        config = make_day(tmp_path, provider="openai", base_url=stub.openai_url, extra=extra)
        result = invoke(*run_args(config, "--model", "my-local-model", "--max-cost", "5"))
    assert result.exit_code == 0, result.output
    assert stub.message_requests()


@pytest.mark.usefixtures("keys")
def test_the_configured_retry_bounds_apply(tmp_path: Path) -> None:
    from tests.stub_llm_server import Fault
    from tests.test_run_day import report_json

    with StubLLMServer() as stub:
        config = make_day(tmp_path, provider="anthropic", base_url=stub.url)
        text = config.read_text(encoding="utf-8").replace("[llm]\n", "[llm]\nretry_attempts = 1\n")
        config.write_text(text.replace("concurrency = 4", "concurrency = 1"), encoding="utf-8")
        stub.add_fault(Fault.server_error(500))
        result = invoke(*run_args(config, "--session", "cccccccc"))
    assert result.exit_code == 1, result.output  # the default policy (6 attempts) would have retried
    failures = report_json(tmp_path, "session-cccccccc")["failures"]
    # the one chunk's stages went as one bundled request: each of its five stages failed with it
    assert len(failures) == 5 and {f["stage"] for f in failures} == {
        "facts",
        "tasks",
        "issues",
        "human_ai",
        "takeaways",
    }
    assert all(f["attempts"] == 1 and "500" in f["error"] for f in failures)
