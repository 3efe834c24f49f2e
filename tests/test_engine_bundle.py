"""The chunk stages in one answer: a chunk's unanswered stages go as one bundled request (parallel tool
calls), its answer is split into each stage's own cache entry, a stage missing from it is asked alone,
``--stage`` asks one stage alone, and the estimate counts what the executor sends."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from daily_report.engine.bundle import BundledPlanned
from daily_report.engine.plan import RunOptions, plan_chunk_stage
from daily_report.engine.run import prepare_run
from daily_report.llm.providers.anthropic import AnthropicProvider
from daily_report.llm.providers.openai import OpenAIProvider
from daily_report.stages.registry import BUNDLE_STAGE, chunk_stages

from tests.stub_llm_routes import asked_tools
from tests.stub_llm_server import StubLLMServer
from tests.test_run_day import DAY, _stage_of, invoke, make_day, report_json, run_args

CHUNKS = 5  # make_day's three sessions: 1 + 3 + 1 chunks


@pytest.fixture
def stub() -> Any:
    with StubLLMServer() as server:
        yield server


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")


def _sent(stub: StubLLMServer, since: int = 0) -> list[list[str]]:
    """Each request sent since ``since``, as the stages it asks for (a bundled one: several)."""
    return [asked_tools(r.body) or [_stage_of(r.body)] for r in stub.message_requests()[since:]]


def _chunk_planned(config: Path, **opts: Any) -> tuple[Any, list[Any]]:
    run = prepare_run(RunOptions(date=DAY, config_path=config, **opts))
    planned = []
    for stage in run.chunk_stages:
        planned += plan_chunk_stage(
            stage, run.day.chunks, prompts=run.prompts, target=run.target, lang=run.day.lang
        )
    return run, planned


def _cached_keys(config: Path) -> set[str]:
    with sqlite3.connect(config.parent / "cache.sqlite3") as db:
        return {row[0] for row in db.execute("SELECT key FROM responses")}


def test_bundling_groups_only_the_uncached_stages_of_each_chunk(tmp_path: Path, stub: StubLLMServer) -> None:
    run, planned = _chunk_planned(make_day(tmp_path, provider="anthropic", base_url=stub.url))
    assert run.bundler is not None and len(planned) == CHUNKS * 5
    units = run.bundler.units(planned)
    assert len(units) == CHUNKS and all(isinstance(u, BundledPlanned) for u in units)
    assert all(u.request.tool_names == chunk_stages() for u in units)
    assert all(u.request.system_cache for u in units)  # the shared prefix is sent 5 times: a breakpoint

    # tasks and issues answered for every chunk, facts for one chunk only
    answered = {p.key for p in planned if p.request.stage in ("tasks", "issues")}
    answered.add(next(p.key for p in planned if p.request.stage == "facts"))
    units = run.bundler.units(planned, send={p.key for p in planned} - answered)
    bundles = [u for u in units if isinstance(u, BundledPlanned)]
    assert len(bundles) == CHUNKS
    assert sorted(len(b.members) for b in bundles) == [2] + [3] * (CHUNKS - 1)
    assert not {p.key for b in bundles for p in b.members} & answered
    # each member's key is the single-stage request's: the answer's cache key
    assert all(b.request.member_keys == {p.request.stage: p.key for p in b.members} for b in bundles)

    # one stage left in a chunk goes alone, as before
    only_tasks = {p.key for p in planned if p.request.stage == "tasks"}
    assert [u.request.stage for u in run.bundler.units(planned, send=only_tasks)] == ["tasks"] * CHUNKS


def test_a_bundled_request_sent_once_has_no_cache_breakpoint(tmp_path: Path, stub: StubLLMServer) -> None:
    run, planned = _chunk_planned(make_day(tmp_path, provider="anthropic", base_url=stub.url))
    first_chunk = {
        p.key
        for p in planned
        if p.request.chunk_index == 0 and p.request.session_id == planned[0].request.session_id
    }
    (unit,) = run.bundler.units(planned, send=first_chunk)
    assert isinstance(unit, BundledPlanned) and not unit.request.system_cache
    body = AnthropicProvider(api_key="k").params(unit.request, [])
    assert isinstance(body["system"], str) and "cache_control" not in json.dumps(body)
    assert body["tool_choice"] == {"type": "any", "disable_parallel_tool_use": False}
    # what is the same for every chunk comes first (tools, system with every stage's instructions), the
    # chunk's transcript and what depends on it after
    assert all(f"## Tool `{name}`" in body["system"] for name in chunk_stages())
    transcript, tail = body["messages"][0]["content"]
    assert transcript["text"].startswith("<session ") and "part 1 of" in tail["text"]
    assert tail["text"].endswith(", ".join(f"`{n}`" for n in chunk_stages()) + ".")


@pytest.mark.usefixtures("keys")
@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_a_run_sends_one_request_per_chunk_and_a_second_run_sends_nothing(
    tmp_path: Path, stub: StubLLMServer, provider: str
) -> None:
    url = stub.url if provider == "anthropic" else stub.openai_url
    config = make_day(tmp_path, provider=provider, base_url=url)
    dry = invoke(*run_args(config, "--dry-run", "--json"))
    estimate = json.loads(dry.stdout)["totals"]
    result = invoke(*run_args(config))
    assert result.exit_code == 0, result.output
    sent = _sent(stub)
    chunk_requests = [s for s in sent if len(s) > 1]
    assert len(chunk_requests) == CHUNKS and all(s == chunk_stages() for s in chunk_requests)
    assert estimate["requests"] == len(sent)  # the estimate counts what the executor sends
    if provider == "anthropic":  # the first bundled request wrote tools + system; the other four read them
        reads = [u.get("cache_read_input_tokens", 0) for u in stub.usages]
        assert sum(1 for r in reads if r > 0) == CHUNKS - 1

    # every split answer is in the cache under its single-stage key
    _, planned = _chunk_planned(config)
    assert {p.key for p in planned} <= _cached_keys(config)
    gen = report_json(tmp_path)["generation"]
    assert gen["by_stage"][BUNDLE_STAGE]["calls"] == CHUNKS
    assert gen["cost_usd"] is not None and gen["by_stage"][BUNDLE_STAGE]["input_tokens"] > 0

    again = invoke(*run_args(config))
    assert again.exit_code == 0, again.output
    assert len(stub.message_requests()) == len(sent)  # nothing sent: every stage answer is cached
    # the reduce, 1 project (alpha; beta, a one-session project, is built from its facts), the overview
    assert report_json(tmp_path)["generation"]["cache_hits"] == len(planned) + 3


@pytest.mark.usefixtures("keys")
@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_a_stage_missing_from_the_answer_is_asked_alone(
    tmp_path: Path, stub: StubLLMServer, provider: str
) -> None:
    url = stub.url if provider == "anthropic" else stub.openai_url
    config = make_day(tmp_path, provider=provider, base_url=url)
    stub.skip_tools = {"issues"}  # the model leaves one tool call out of every bundled answer
    result = invoke(*run_args(config))
    assert result.exit_code == 0, result.output
    sent = _sent(stub)
    assert sum(1 for s in sent if len(s) > 1) == CHUNKS
    assert sum(1 for s in sent if s == ["issues"]) == CHUNKS  # one single-stage request per chunk
    data = report_json(tmp_path)
    assert data["failures"] == [] and data["issues"]


@pytest.mark.usefixtures("keys")
def test_stage_option_sends_one_single_stage_request_per_chunk(tmp_path: Path, stub: StubLLMServer) -> None:
    config = make_day(tmp_path, provider="anthropic", base_url=stub.url)
    assert invoke(*run_args(config)).exit_code == 0
    before = len(stub.message_requests())
    result = invoke(*run_args(config, "--stage", "tasks"))
    assert result.exit_code == 0, result.output
    new = _sent(stub, before)
    assert sorted(s[0] for s in new if len(s) == 1 and s[0] == "tasks") == ["tasks"] * CHUNKS
    assert all(len(s) == 1 for s in new)  # nothing bundled
    assert sorted(s[0] for s in new if s[0] != "tasks") == [
        "overview",
        "projects",
        "session",
    ]  # beta: built from its facts


@pytest.mark.usefixtures("keys")
def test_the_estimate_counts_what_is_sent_when_some_stages_are_cached(
    tmp_path: Path, stub: StubLLMServer
) -> None:
    from daily_report.core import log
    from daily_report.engine.run import run_day

    config = make_day(tmp_path, provider="anthropic", base_url=stub.url)
    log.set_progress_sink(lambda event, fields: None)
    try:  # a run of the tasks stage only (and its dependents): tasks answered alone, chunk by chunk
        run_day(RunOptions(date=DAY, config_path=config, stages=("tasks",), write=False))
    finally:
        log.set_progress_sink(None)
    assert [s for s in _sent(stub) if s == ["tasks"]] == [["tasks"]] * CHUNKS
    before = len(stub.message_requests())
    dry = json.loads(invoke(*run_args(config, "--dry-run", "--json")).stdout)
    result = invoke(*run_args(config))
    assert result.exit_code == 0, result.output
    totals = dry["totals"]
    sent = _sent(stub, before)
    assert totals["requests"] - totals["cached"] == len(sent)
    assert [s for s in sent if len(s) > 1] == [[n for n in chunk_stages() if n != "tasks"]] * CHUNKS


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_the_stub_answers_a_bundled_request_with_one_call_per_tool(
    tmp_path: Path, stub: StubLLMServer, provider: str
) -> None:
    run, planned = _chunk_planned(make_day(tmp_path, provider=provider, base_url=stub.url))
    unit = run.bundler.units(planned)[0]
    client = (
        AnthropicProvider(api_key="k", base_url=stub.url)
        if provider == "anthropic"
        else OpenAIProvider(api_key="k", base_url=stub.openai_url)
    )
    raw = client.complete(unit.request, [])
    assert [c.name for c in raw.tool_calls] == chunk_stages()
    assert all(json.loads(c.arguments) for c in raw.tool_calls)
    body = stub.message_requests()[-1].body
    if provider == "openai":
        assert body["tool_choice"] == "required" and body["parallel_tool_calls"] is True


@pytest.mark.usefixtures("keys")
def test_the_ledger_has_one_row_per_bundled_request_and_the_answers_share_its_cost(
    tmp_path: Path, stub: StubLLMServer
) -> None:
    from decimal import Decimal

    from daily_report.llm.cache import Cache
    from daily_report.llm.ledger import Ledger

    config = make_day(tmp_path, provider="anthropic", base_url=stub.url)
    assert invoke(*run_args(config)).exit_code == 0
    cache = Cache(config.parent / "cache.sqlite3")
    try:
        rows = [r for r in Ledger.beside(cache).rows() if r["stage"] == BUNDLE_STAGE]
        assert len(rows) == CHUNKS and all(r["error"] is None for r in rows)
        _, planned = _chunk_planned(config)
        for row in rows:
            mine = [p for p in planned if p.request.session_id == row["session_id"]]
            mine = [p for p in mine if p.request.chunk_index == row["chunk_index"]]
            answers = [cache.get(p.key) for p in mine]
            assert all(a is not None for a in answers)
            # the usage and cost of the one request, shared out over its five answers exactly
            assert sum(a.usage.prompt_tokens for a in answers) == (  # type: ignore[union-attr]
                row["input_tokens"] + row["cache_write_tokens"] + row["cache_read_tokens"]
            )
            assert sum(a.usage.output_tokens for a in answers) == row["output_tokens"]  # type: ignore[union-attr]
            total = sum((Decimal(str(a.cost_usd)) for a in answers), Decimal(0))  # type: ignore[union-attr]
            assert abs(total - row["cost_usd"]) < Decimal("1e-9")
    finally:
        cache.close()


def test_an_invalid_tool_call_is_left_out_of_the_split() -> None:
    from daily_report.llm.base import RawAnswer, ToolCall
    from daily_report.llm.bundled import Bundle, share_usage, split_answer
    from daily_report.llm.types import LLMRequest, Usage
    from daily_report.schemas.takeaways import TakeawaysOutput
    from daily_report.schemas.tasks import TasksOutput

    def req(stage: str) -> LLMRequest:
        return LLMRequest(
            stage=stage, prompt_version="v1", provider="anthropic", model="claude-haiku-4-5", system="s",
            blocks=[], schema_name="x", output_schema={},
        )  # fmt: skip

    bundle = Bundle(req(BUNDLE_STAGE), ((req("tasks"), TasksOutput), (req("takeaways"), TakeawaysOutput)))
    raw = RawAnswer(
        text="",
        usage=Usage(input_tokens=101, output_tokens=50, cache_read_tokens=7),
        model="claude-haiku-4-5",
        tool_calls=(
            ToolCall("1", "tasks", '{"tasks": []}'),
            ToolCall("2", "takeaways", '{"takeaways": [{"kind": "nope"}]}'),
        ),
    )
    split = split_answer(bundle, raw)
    assert list(split.answers) == [req("tasks").key()]
    assert "takeaways: invalid output" in split.problems[req("takeaways").key()]
    (only,) = split.answers.values()
    assert only.usage.input_tokens == 101 and only.usage.output_tokens == 50  # the valid one carries it all
    parts = share_usage(Usage(input_tokens=10, output_tokens=7), [1, 2, 3])
    assert sorted(p.input_tokens for p in parts) == [3, 3, 4]  # evenly, the remainder to one
    assert sum(p.output_tokens for p in parts) == 7


def test_bundled_requests_sharing_a_cached_prefix_wait_for_the_first(
    tmp_path: Path, stub: StubLLMServer
) -> None:
    from daily_report.engine.execute import _waves

    run, planned = _chunk_planned(make_day(tmp_path, provider="anthropic", base_url=stub.url))
    units = run.bundler.units(planned)
    (first, rest), *others = _waves(units)
    assert others == [] and first is units[0] and rest == units[1:]  # it writes the prefix; they read it
    single = run.bundler.units(
        planned,
        send={
            p.key
            for p in planned
            if p.request.session_id == first.request.session_id and p.request.chunk_index == 0
        },
    )
    assert [(w[0], w[1]) for w in _waves(single)] == [(single[0], [])]
