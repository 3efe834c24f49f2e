"""Cache, ledger and replay: hits, no cached errors, rows per attempt, summaries, two processes at once."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import orjson
import pytest
from daily_report.core.errors import ReplayMissError
from daily_report.core.paths import default_cache_path
from daily_report.llm.cache import Cache
from daily_report.llm.factory import make_provider, model_for, retry_policy
from daily_report.llm.ledger import Ledger
from daily_report.llm.providers.anthropic import AnthropicProvider
from daily_report.llm.providers.replay import ReplayProvider
from daily_report.llm.structured import StructuredOutputError, call_cached, call_structured
from daily_report.llm.types import LLMResponse, Usage
from daily_report.schemas.config import LLMConfig

from tests.stub_llm_kit import Facts, Sleeps, make_request
from tests.stub_llm_server import Fault, StubLLMServer

ANSWER = {"title": "Fix flaky test", "status": "done", "steps": ["read log", "patch"], "turns": 4}


@pytest.fixture
def stub() -> Iterator[StubLLMServer]:
    with StubLLMServer() as server:
        yield server


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    c = Cache(tmp_path / "cache.sqlite3")
    yield c
    c.close()


def test_default_cache_path_is_in_the_user_cache_dir(tmp_path: Path) -> None:
    c = Cache()
    assert c.path == default_cache_path() and c.path.is_file()
    c.close()


def test_second_identical_request_is_a_cache_hit(stub: StubLLMServer, cache: Cache) -> None:
    provider = AnthropicProvider(api_key="k", base_url=stub.url)
    first = call_cached(provider, make_request(), Facts, cache=cache)
    second = call_cached(provider, make_request(), Facts, cache=cache)
    assert not first.cache_hit and second.cache_hit
    assert second.output == first.output and second.usage == first.usage
    assert len(stub.message_requests()) == 1
    other = call_cached(provider, make_request(transcript="another chunk"), Facts, cache=cache)
    assert not other.cache_hit and len(stub.message_requests()) == 2
    fresh = call_cached(provider, make_request(), Facts, cache=cache, refresh=True)
    assert not fresh.cache_hit and len(stub.message_requests()) == 3


def test_errors_are_never_cached(stub: StubLLMServer, cache: Cache) -> None:
    provider = AnthropicProvider(api_key="k", base_url=stub.url)
    stub.add_fault(Fault.invalid_answer(), Fault.invalid_answer())
    with pytest.raises(StructuredOutputError):
        call_cached(provider, make_request(), Facts, cache=cache, reasks=1)
    assert cache.get(make_request().key()) is None and cache.entries() == []
    resp = call_cached(provider, make_request(), Facts, cache=cache)
    assert not resp.cache_hit and cache.get(make_request().key()) is not None


def test_cache_keeps_request_metadata(cache: Cache) -> None:
    req = make_request()
    cache.put(req.key(), req, LLMResponse(output=ANSWER, raw_text="{}", usage=Usage(), model="m"))
    [entry] = cache.entries(stage="facts")
    assert entry["key"] == req.key() and entry["prompt_version"] == "v1"
    assert entry["label"] == "facts/s1/chunk-0" and entry["model"] == "claude-haiku-4-5"
    assert cache.entries(stage="tasks") == []


def test_ledger_rows_per_attempt_and_summary(stub: StubLLMServer, cache: Cache) -> None:
    ledger = Ledger.beside(cache)
    provider = AnthropicProvider(api_key="k", base_url=stub.url)
    stub.add_fault(Fault.overloaded(), Fault.invalid_answer())

    def record(a: object) -> None:
        ledger.record_attempt(a, run_id="run1", date="2026-11-20")  # type: ignore[arg-type]

    resp = call_cached(
        provider, make_request(), Facts, cache=cache, on_attempt=record, policy=Sleeps().policy()
    )
    hit = call_cached(provider, make_request(), Facts, cache=cache)
    ledger.record(
        run_id="run1",
        request=make_request(),
        response=hit,
        attempt=0,
        cache_hit=True,
        latency_s=0.0,
        date="2026-11-20",
    )
    rows = ledger.rows("2026-11-20")
    assert [r["attempt"] for r in rows] == [1, 2, 3, 0]
    assert rows[0]["error"].startswith("OverloadedError") and rows[0]["output_tokens"] == 0
    assert rows[1]["error"].startswith("invalid output") and rows[1]["output_tokens"] > 0
    assert rows[2]["error"] is None and rows[3]["cache_hit"] and rows[3]["input_tokens"] == 0
    assert all(r["stage"] == "facts" and r["session_id"] == "s1" and r["chunk_index"] == 0 for r in rows)
    assert rows[1]["cost_usd"] > 0  # the invalid answer was paid for

    gen = ledger.summary("run1")
    assert gen.calls == 2 and gen.cache_hits == 1 and gen.failures == []
    assert gen.output_tokens == resp.usage.output_tokens
    assert gen.cache_write_tokens == resp.usage.cache_write_tokens
    assert gen.cost_usd == pytest.approx(float(sum(r["cost_usd"] for r in rows)))
    assert gen.by_stage["facts"].prompt_version == "v1" and gen.by_stage["facts"].calls == 2
    assert ledger.rows("2026-11-21") == []


def test_summary_lists_failures_and_unknown_cost(cache: Cache) -> None:
    ledger = Ledger.beside(cache)
    ok, bad = make_request(model="my-local-llama"), make_request(session="s9", transcript="other")
    ledger.record(
        run_id="r",
        request=ok,
        response=LLMResponse(
            output=ANSWER,
            raw_text="{}",
            usage=Usage(input_tokens=10, output_tokens=5),
            model="my-local-llama",
        ),
        attempt=1,
        cache_hit=False,
        latency_s=0.1,
    )
    for n in (1, 2):
        ledger.record(
            run_id="r", request=bad, error="OverloadedError: 529", attempt=n, cache_hit=False, latency_s=0.1
        )
    rows = ledger.rows(run_id="r")
    assert rows[0]["cost_usd"] is None  # unknown model: NULL, never 0
    gen = ledger.summary("r")
    assert gen.cost_usd is None and gen.by_stage["facts"].cost_usd is None
    [failure] = gen.failures
    assert failure.session_id == "s9" and failure.attempts == 2 and "529" in failure.error
    assert gen.by_stage["facts"].failures == 1 and gen.calls == 1


def _writer(path: str, worker: int, n: int) -> None:
    cache = Cache(path)
    ledger = Ledger.beside(cache)
    for i in range(n):
        req = make_request(transcript=f"w{worker}-{i}")
        resp = LLMResponse(output=ANSWER, raw_text="{}", usage=Usage(input_tokens=i), model="m")
        cache.put(req.key(), req, resp)
        ledger.record(
            run_id=f"run{worker}", request=req, response=resp, attempt=1, cache_hit=False, latency_s=0.0
        )
    cache.close()


def test_two_processes_writing_at_once_do_not_corrupt(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.sqlite3")
    Cache(path).close()
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    procs = [ctx.Process(target=_writer, args=(path, w, 150)) for w in (1, 2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    cache = Cache(path)
    assert len(cache.entries()) == 300
    assert cache.db.query("PRAGMA integrity_check")[0][0] == "ok"
    assert len(Ledger.beside(cache).rows()) == 300
    hit = cache.get(make_request(transcript="w2-149").key())
    assert hit is not None and hit.usage.input_tokens == 149
    cache.close()


def write_answer(root: Path, replay_id: str, output: dict[str, object]) -> None:
    path = root / f"{replay_id}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(output))


def replay_for(root: Path, date: str, sessions: list[str]) -> ReplayProvider:
    """A replay directory whose answers are for ``date``, and a provider bound to a run of ``sessions``."""
    (root / "replay.toml").write_text(f'date = "{date}"\n', encoding="utf-8")
    provider = ReplayProvider(root)
    provider.for_day("2026-03-17", sessions)
    return provider


def test_replay_answers_by_replay_id_and_by_key(tmp_path: Path) -> None:
    req = make_request("replay")
    provider = replay_for(tmp_path, "2026-03-17", [req.session_id or ""])
    write_answer(tmp_path, req.replay_id(), ANSWER)
    resp = call_structured(provider, req, Facts)
    assert resp.output == ANSWER and resp.cost_usd == Decimal(0)
    assert resp.usage.input_tokens > 100 and resp.usage.output_tokens > 5
    write_answer(tmp_path, f"by-key/{req.key()}", {**ANSWER, "title": "by key"})
    assert call_structured(provider, req, Facts).output["title"] == "by key"


def test_replay_day_requests_use_the_label(tmp_path: Path) -> None:
    req = make_request("replay", session=None, chunk=None, stage="overview")
    assert req.replay_id() == "overview/day"
    write_answer(tmp_path, "overview/day", ANSWER)
    write_answer(tmp_path, "facts/s1/chunk-0", ANSWER)
    assert call_structured(replay_for(tmp_path, "2026-03-17", ["s1"]), req, Facts).output == ANSWER


def test_replay_on_another_day_answers_only_exact_keys(tmp_path: Path) -> None:
    """Answers for 2026-03-17 never stand in for another day's requests, even with the same session id."""
    session_req = make_request("replay", session="s1", chunk=0)
    day_req = make_request("replay", session=None, chunk=None, stage="overview")
    write_answer(tmp_path, session_req.replay_id(), ANSWER)
    write_answer(tmp_path, "overview/day", ANSWER)
    provider = replay_for(tmp_path, "2026-03-18", ["s1"])
    for req in (session_req, day_req):
        with pytest.raises(ReplayMissError) as err:
            call_structured(provider, req, Facts)
        assert str(err.value) == "no replay answer: the replay answers are for 2026-03-18, not 2026-03-17"
    write_answer(tmp_path, f"by-key/{day_req.key()}", {**ANSWER, "title": "by key"})
    assert call_structured(provider, day_req, Facts).output["title"] == "by key"


def test_replay_day_stage_needs_every_session_of_the_run(tmp_path: Path) -> None:
    req = make_request("replay", session=None, chunk=None, stage="overview")
    write_answer(tmp_path, "overview/day", ANSWER)
    write_answer(tmp_path, "facts/s1/chunk-0", ANSWER)
    with pytest.raises(ReplayMissError, match="this session is not in the replay answers"):
        call_structured(replay_for(tmp_path, "2026-03-17", ["s1", "other"]), req, Facts)


def test_replay_without_a_date_answers_by_key_only(tmp_path: Path) -> None:
    req = make_request("replay", session="abc123", chunk=2)
    write_answer(tmp_path, req.replay_id(), ANSWER)
    provider = ReplayProvider(tmp_path)
    provider.for_day("2026-03-17", ["abc123"])
    with pytest.raises(ReplayMissError) as err:
        call_structured(provider, req, Facts)
    msg = str(err.value)
    assert msg.startswith("no replay answer: ") and "replay.toml names no date" in msg
    assert "\n" not in msg and len(msg) < 120  # one short line


def test_factory_builds_each_provider_and_picks_models(tmp_path: Path) -> None:
    cfg = LLMConfig(provider="openai", model="gpt-5", replay_dir=tmp_path)
    openai_p = make_provider(cfg)
    assert openai_p.name == "openai" and model_for(openai_p, cfg) == "gpt-5"
    anth = make_provider(cfg, provider="anthropic")
    assert model_for(anth, cfg, provider="anthropic") == "claude-haiku-4-5"
    assert model_for(anth, cfg, model="claude-sonnet-4-6") == "claude-sonnet-4-6"
    replay = make_provider(cfg, provider="replay")
    assert isinstance(replay, ReplayProvider) and replay.replay_dir == tmp_path
    local = make_provider(LLMConfig(provider="openai"), base_url="http://127.0.0.1:9/v1")
    assert getattr(local, "base_url", None) == "http://127.0.0.1:9/v1"
    assert model_for(local, LLMConfig(provider="openai")) == "gpt-5-mini"


def test_factory_applies_structured_mode_and_retry_bounds() -> None:
    cfg = LLMConfig(structured="tool", retry_attempts=2, retry_max_s=9.0)
    provider = make_provider(cfg)
    assert isinstance(provider, AnthropicProvider) and provider.structured == "tool"
    policy = retry_policy(cfg)
    assert (policy.max_attempts, policy.max_total_s) == (2, 9.0)


def test_an_unreadable_cache_entry_is_a_miss(cache: Cache) -> None:
    req = make_request()
    cache.put(req.key(), req, LLMResponse(output=ANSWER, raw_text="{}", usage=Usage(), model="m"))
    with cache.db.tx() as conn:
        conn.execute("UPDATE responses SET response = ? WHERE key = ?", (b'{"output": 1}', req.key()))
    assert cache.get(req.key()) is None
