"""Batch submit + poll for both providers (with resume), and export -> import round trips."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from daily_report.llm.answers import by_custom_id, custom_id_for
from daily_report.llm.base import BatchStatus, Provider
from daily_report.llm.batch import open_batches, poll_batches, submit_batch
from daily_report.llm.cache import Cache
from daily_report.llm.costing import call_cost
from daily_report.llm.exchange import export_requests, import_results
from daily_report.llm.ledger import Ledger
from daily_report.llm.providers.anthropic import AnthropicProvider
from daily_report.llm.providers.openai import OpenAIProvider
from daily_report.llm.retry import RetryPolicy
from daily_report.llm.types import LLMRequest, LLMResponse, Usage

from tests.stub_llm_kit import Facts, make_request
from tests.stub_llm_server import Fault, StubLLMServer

PROVIDERS = ["anthropic", "openai"]


@pytest.fixture
def stub() -> Iterator[StubLLMServer]:
    with StubLLMServer(polls_until_done=1) as server:
        yield server


def provider_for(name: str, stub: StubLLMServer) -> Provider:
    if name == "anthropic":
        return AnthropicProvider(api_key="k", base_url=stub.url)
    return OpenAIProvider(api_key="k", base_url=stub.openai_url)


def day_requests(name: str, n: int = 3) -> list[LLMRequest]:
    return [make_request(name, session=f"s{i}", transcript=f"session {i} transcript " * 30) for i in range(n)]


def submits(stub: StubLLMServer) -> int:
    return sum(
        1 for r in stub.requests if r.method == "POST" and r.path in ("/v1/messages/batches", "/v1/batches")
    )


def test_custom_id_is_short_and_safe() -> None:
    cid = custom_id_for(make_request())
    assert len(cid) <= 64 and cid.replace("_", "").replace("-", "").isalnum()


@pytest.mark.parametrize("name", PROVIDERS)
def test_batch_submit_poll_stores_answers_at_batch_prices(
    stub: StubLLMServer, name: str, tmp_path: Path
) -> None:
    cache = Cache(tmp_path / "c.sqlite3")
    ledger = Ledger.beside(cache)
    provider, requests = provider_for(name, stub), day_requests(name)
    batch_id = submit_batch(provider, [*requests, requests[0]], cache=cache)
    assert batch_id is not None and submits(stub) == 1
    seen: list[BatchStatus] = []
    waits: list[float] = []
    summary = poll_batches(
        provider,
        cache=cache,
        requests_by_custom_id=by_custom_id((r, Facts) for r in requests),
        ledger=ledger,
        run_id="b1",
        on_progress=seen.append,
        sleep=waits.append,
        interval_s=5,
    )
    assert summary.stored == 3 and summary.polled == [batch_id] and summary.open_batches == []
    assert [s.done for s in seen] == [False, True] and waits == [5]
    for req in requests:
        hit = cache.get(req.key())
        assert hit is not None and hit.batch and Facts.model_validate(hit.output)
    rows = ledger.rows(run_id="b1")
    assert len(rows) == 3 and all(r["batch"] for r in rows)
    live_cost = rows[0]["cost_usd"] * 2  # batch results are priced at half the live rate
    hit = cache.get(requests[0].key())
    assert hit is not None
    assert call_cost(provider=name, model=hit.model, usage=hit.usage) == pytest.approx(live_cost)
    assert submit_batch(provider, requests, cache=cache) is None  # all answered: nothing to submit
    cache.close()


@pytest.mark.parametrize("name", PROVIDERS)
def test_interrupted_batch_resumes_and_is_never_submitted_twice(
    stub: StubLLMServer, name: str, tmp_path: Path
) -> None:
    path = tmp_path / "c.sqlite3"
    requests = day_requests(name)
    first_run = Cache(path)
    batch_id = submit_batch(provider_for(name, stub), requests, cache=first_run)
    partial = poll_batches(
        provider_for(name, stub),
        cache=first_run,
        requests_by_custom_id={},
        max_wait_s=0,
        sleep=lambda s: None,
    )
    assert partial.open_batches == [batch_id] and partial.stored == 0
    first_run.close()  # interrupted here

    second_run = Cache(path)
    provider = provider_for(name, stub)
    assert open_batches(second_run, name) == [batch_id]
    assert submit_batch(provider, requests, cache=second_run) is None
    extra = make_request(name, session="new", transcript="a new session")
    second_id = submit_batch(provider, [*requests, extra], cache=second_run)
    assert second_id not in (None, batch_id) and submits(stub) == 2
    planned = by_custom_id((r, Facts) for r in [*requests, extra])
    summary = poll_batches(provider, cache=second_run, requests_by_custom_id=planned, sleep=lambda s: None)
    assert summary.stored == 4 and sorted(summary.polled) == sorted([batch_id, second_id])
    assert open_batches(second_run, name) == []
    second_run.close()


@pytest.mark.parametrize("name", PROVIDERS)
def test_errored_batch_items_stay_unanswered(stub: StubLLMServer, name: str, tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c.sqlite3")
    provider, requests = provider_for(name, stub), day_requests(name, 2)
    stub.batch_errors.add(custom_id_for(requests[1]))
    submit_batch(provider, requests, cache=cache)
    summary = poll_batches(
        provider,
        cache=cache,
        requests_by_custom_id=by_custom_id((r, Facts) for r in requests),
        sleep=lambda s: None,
    )
    assert summary.stored == 1 and len(summary.errored) == 1
    assert cache.get(requests[1].key()) is None
    assert submit_batch(provider, requests, cache=cache) is not None  # resubmitted: the batch is closed
    cache.close()


def result_lines(stub: StubLLMServer, name: str, export: Path) -> list[dict[str, object]]:
    """Run exported lines through the stub the way a remote batch would, in the provider's result format."""
    lines = [orjson.loads(line) for line in export.read_bytes().splitlines()]
    kind = "anthropic" if name == "anthropic" else "openai"
    record = stub.new_batch(kind, lines)
    stub.polls_until_done = 0
    stub.batch(record["id"], poll=True)
    return list(record["results"])


@pytest.mark.parametrize("name", PROVIDERS)
def test_export_then_import_round_trip(stub: StubLLMServer, name: str, tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c.sqlite3")
    provider, requests = provider_for(name, stub), day_requests(name)
    answered = requests[0]
    cache.put(answered.key(), answered, _fake_response())
    out = tmp_path / "requests.jsonl"
    assert export_requests(provider, requests, out, cache=cache) == 2
    lines = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    if name == "anthropic":
        assert set(lines[0]) == {"custom_id", "params"}
        assert lines[0]["params"]["messages"][0]["content"][0]["cache_control"] == {"type": "ephemeral"}
    else:
        assert set(lines[0]) == {"custom_id", "method", "url", "body"}
        assert lines[0]["url"] == "/v1/chat/completions" and lines[0]["method"] == "POST"
    assert stub.message_requests() == []  # export sends nothing

    results = tmp_path / "results.jsonl"
    bad = (
        {"custom_id": "req_unknown", "result": {"type": "expired"}}
        if name == "anthropic"
        else {"custom_id": "req_unknown", "response": None, "error": {"message": "expired"}}
    )
    results.write_bytes(
        b"".join(orjson.dumps(r) + b"\n" for r in [*result_lines(stub, name, out), bad]) + b"not json\n"
    )
    summary = import_results(
        results, cache=cache, requests_by_custom_id=by_custom_id((r, Facts) for r in requests)
    )
    assert summary.imported == 2 and summary.unknown == ["req_unknown"] and summary.skipped_lines == 1
    assert all(cache.get(r.key()) is not None for r in requests)
    assert export_requests(provider, requests, out, cache=cache) == 0
    cache.close()


def test_import_validates_answers_against_the_schema(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c.sqlite3")
    req = make_request("anthropic")
    message = {
        "id": "m",
        "type": "message",
        "role": "assistant",
        "model": "claude-haiku-4-5",
        "content": [{"type": "text", "text": '{"title": 3}'}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 10, "output_tokens": 3},
    }
    errored = {
        "custom_id": "x",
        "result": {
            "type": "errored",
            "error": {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}},
        },
    }
    path = tmp_path / "r.jsonl"
    line = {"custom_id": custom_id_for(req), "result": {"type": "succeeded", "message": message}}
    path.write_bytes(orjson.dumps(line) + b"\n" + orjson.dumps(errored) + b"\n")
    planned = {**by_custom_id([(req, Facts)]), "x": (make_request(transcript="x"), Facts)}
    summary = import_results(path, cache=cache, requests_by_custom_id=planned)
    assert summary.imported == 0 and len(summary.invalid) == 1 and "title" in summary.invalid[0]
    assert summary.errored == ["facts/s1/chunk-0: batch result errored: busy"]
    assert cache.get(req.key()) is None
    cache.close()


def _fake_response() -> LLMResponse:
    output = {"title": "t", "status": "done", "steps": [], "turns": 1}
    return LLMResponse(output=output, raw_text="{}", usage=Usage(), model="m")


@pytest.mark.parametrize("name", PROVIDERS)
def test_batch_api_calls_go_through_the_retry_policy(stub: StubLLMServer, name: str, tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c.sqlite3")
    provider, requests = provider_for(name, stub), day_requests(name, 1)
    waits: list[float] = []
    policy = RetryPolicy(initial_wait_s=0.001, max_wait_s=0.002, sleep=waits.append)
    # a create is retried only when refused with a hint (a 5xx or a timeout may have created it: tests in
    # test_robust_batch.py)
    stub.batch_faults.extend([Fault.rate_limit(retry_after="1"), Fault.rate_limit(retry_after="3")])
    assert submit_batch(provider, requests, cache=cache, policy=policy) is not None
    assert len(open_batches(cache, name)) == 1 and waits == [1.0, 3.0]  # created once, after two refusals
    stub.batch_faults.append(Fault.server_error(502))
    summary = poll_batches(
        provider,
        cache=cache,
        requests_by_custom_id=by_custom_id((r, Facts) for r in requests),
        sleep=lambda s: None,
        policy=policy,
    )
    assert summary.stored == 1 and len(waits) == 3
    cache.close()
