"""The dry-run estimate: prompt-cache behaviour per provider, cached requests free, batch at half price."""

from __future__ import annotations

from decimal import Decimal

from daily_report.engine.estimate import (
    NOTES_PER_ANSWER,
    OUTPUT_SIZE,
    Estimator,
    expected_notes,
    expected_output,
    min_cacheable,
    price_tokens,
    read_tokens,
    request_cost,
)
from daily_report.llm.types import LLMRequest, TextBlock

TRANSCRIPT = "\n".join(
    f"[t{i}] human: please run the benchmark number {i} on host gpu-{i % 7}" for i in range(400)
)


def _req(
    stage: str, *, provider: str = "anthropic", model: str = "claude-haiku-4-5", chunk: int = 0
) -> LLMRequest:
    return LLMRequest(
        stage=stage,
        prompt_version="v1",
        provider=provider,
        model=model,
        system="You are an analyst.",
        blocks=[TextBlock(text=f"<chunk {chunk}>\n{TRANSCRIPT}", cache=True), TextBlock(text=f"Do {stage}.")],
        schema_name="X",
        output_schema={"type": "object", "properties": {"x": {"type": "string"}}},
        session_id="s1",
        chunk_index=chunk,
        label=f"{stage}/s1/chunk-{chunk}",
    )


def test_anthropic_first_stage_writes_the_prefix_and_later_stages_read_it() -> None:
    est = Estimator(provider="anthropic", model="claude-haiku-4-5")
    est.add_requests([_req("facts"), _req("tasks"), _req("issues")], cached=set())
    result = est.result(["facts", "tasks", "issues"])
    facts, tasks, issues = result.stages
    assert facts.cache_write_tokens > 1024 and facts.cache_read_tokens == 0
    assert tasks.cache_write_tokens == 0 and tasks.cache_read_tokens == facts.cache_write_tokens
    assert issues.cache_read_tokens == facts.cache_write_tokens
    # reading the prefix is cheaper than writing it (and than plain input)
    assert tasks.cost_usd is not None and facts.cost_usd is not None
    assert tasks.cost_usd < facts.cost_usd + Decimal("0.01")
    total = result.total()
    assert total.requests == 3 and total.output_tokens == sum(
        expected_output(_req(s)) for s in ("facts", "tasks", "issues")
    )


def test_a_new_chunk_writes_its_own_prefix() -> None:
    est = Estimator(provider="anthropic", model="claude-haiku-4-5")
    est.add_requests([_req("facts", chunk=0), _req("facts", chunk=1)], cached=set())
    (facts,) = est.result(["facts"]).stages
    assert facts.cache_read_tokens == 0 and facts.cache_write_tokens > 2 * 1024


def test_openai_has_no_cache_writes_but_reads_after_the_first() -> None:
    est = Estimator(provider="openai", model="gpt-5-mini")
    est.add_requests(
        [
            _req("facts", provider="openai", model="gpt-5-mini"),
            _req("tasks", provider="openai", model="gpt-5-mini"),
        ],
        cached=set(),
    )
    facts, tasks = est.result(["facts", "tasks"]).stages
    assert facts.cache_write_tokens == 0 and facts.cache_read_tokens == 0
    assert tasks.cache_read_tokens > 0


def test_cached_requests_are_free_and_the_next_stage_writes_the_prefix() -> None:
    reqs = [_req("facts"), _req("tasks")]
    est = Estimator(provider="anthropic", model="claude-haiku-4-5")
    est.add_requests(reqs, cached={reqs[0].key()})
    facts, tasks = est.result(["facts", "tasks"]).stages
    assert (facts.requests, facts.cached, facts.input_tokens, facts.cost_usd) == (1, 1, 0, Decimal(0))
    assert tasks.cache_write_tokens > 0


def test_batch_halves_the_price_and_replay_is_free() -> None:
    full = price_tokens(
        provider="anthropic", model="claude-haiku-4-5", input_tokens=1_000_000, output_tokens=1_000_000
    )
    half = price_tokens(
        provider="anthropic",
        model="claude-haiku-4-5",
        input_tokens=1_000_000,
        output_tokens=1_000_000,
        batch=True,
    )
    assert full == Decimal("6") and half == Decimal("3")
    assert price_tokens(provider="replay", model="whatever", input_tokens=10**6) == Decimal(0)


def test_unknown_model_price_is_none_not_zero() -> None:
    est = Estimator(provider="openai", model="my-local-llama")
    est.add_requests([_req("facts", provider="openai", model="my-local-llama")], cached=set())
    assert est.result(["facts"]).cost_usd is None
    assert request_cost(_req("facts", provider="openai", model="my-local-llama")) is None


def test_day_stage_estimate_grows_with_its_inputs() -> None:
    small = expected_notes(("facts", "tasks"), chunk_tokens=[[2_000]])
    large = expected_notes(("facts", "tasks"), chunk_tokens=[[20_000, 20_000, 5_000], [2_000, 2_000]])
    one = OUTPUT_SIZE["facts"].tokens(2_000) + OUTPUT_SIZE["tasks"].tokens(2_000)
    assert small == round(one * NOTES_PER_ANSWER) and large > 5 * small  # five chunks, three of them long
    est = Estimator(provider="anthropic", model="claude-haiku-4-5")
    est.add_day_stage("projects", calls=2, input_tokens=500 + large, read_tokens=large)
    est.add_day_stage("session", calls=1, input_tokens=500 + large, read_tokens=large, max_tokens=1_000)
    projects, session = est.result(["projects", "session"]).stages
    assert projects.requests == 2 and projects.input_tokens >= large - 2 and projects.cache_write_tokens == 0
    assert session.output_tokens == 1_000  # the reduce rewrites its notes: capped by max_tokens


def test_output_grows_with_what_the_request_reads_and_is_capped() -> None:
    short = _req("issues").model_copy(
        update={"blocks": [TextBlock(text="[t0] human: hi", cache=True), TextBlock(text="Do issues.")]}
    )
    long = _req("issues")
    assert read_tokens(short) < 20 < 2_000 < read_tokens(long)
    assert expected_output(short) < expected_output(long)
    # the instructions (the last block) are not what the answer reports on
    assert read_tokens(long.model_copy(update={"blocks": long.blocks[:1]})) == 0
    assert expected_output(long.model_copy(update={"max_tokens": 50})) == 50
    assert request_cost(short) is not None and request_cost(long) > request_cost(short)  # type: ignore[operator]


def test_a_prefix_below_the_models_floor_is_not_cached() -> None:
    assert min_cacheable("anthropic", "claude-haiku-4-5-20251001") == 4096
    assert min_cacheable("anthropic", "claude-sonnet-4-6") == 1024
    assert min_cacheable("openai", "gpt-5-mini") == 1024
    short = _req("facts").model_copy(update={"blocks": [TextBlock(text="[t0] human: hi " * 300, cache=True)]})
    est = Estimator(provider="anthropic", model="claude-haiku-4-5")
    est.add_requests([short, short.model_copy(update={"stage": "tasks"})], cached=set())
    facts, tasks = est.result(["facts", "tasks"]).stages
    assert facts.cache_write_tokens == tasks.cache_read_tokens == 0  # ~1,200 tokens: under Haiku 4.5's 4,096
    est = Estimator(provider="anthropic", model="claude-sonnet-4-6")
    est.add_requests([short, short.model_copy(update={"stage": "tasks"})], cached=set())
    facts, tasks = est.result(["facts", "tasks"]).stages
    assert facts.cache_write_tokens > 1024 and tasks.cache_read_tokens == facts.cache_write_tokens
