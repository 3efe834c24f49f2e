"""`--batch`: chunk-stage requests go to the provider's batch API once; an interrupted run resumes polling."""

from __future__ import annotations

from pathlib import Path

import pytest
from daily_report.engine import batch as batching

from tests.stub_llm_server import StubLLMServer
from tests.test_run_day import (
    DAY,
    invoke,
    keys,  # noqa: F401  (fixture)
    make_day,
    report_json,
    run_args,
)
from tests.test_run_day import _fast_retries as _fast_retries

BATCH_CREATE = {"anthropic": "/v1/messages/batches", "openai": "/v1/batches"}


def _creates(stub: StubLLMServer, provider: str) -> int:
    return sum(1 for r in stub.requests if r.method == "POST" and r.path == BATCH_CREATE[provider])


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batching, "POLL_INTERVAL_S", 0.0)


@pytest.mark.usefixtures("keys")
@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_batch_sends_chunk_stages_as_one_batch_and_day_stages_live(tmp_path: Path, provider: str) -> None:
    with StubLLMServer() as stub:
        url = stub.url if provider == "anthropic" else stub.openai_url
        config = make_day(tmp_path, provider=provider, base_url=url)
        result = invoke(*run_args(config, "--batch"))
        assert result.exit_code == 0, result.output
        assert _creates(stub, provider) == 1
        live = stub.message_requests()
        # after the batch: the reduce of the 2-chunk session, projects (alpha's two sessions; beta's one needs
        # no request) and overview
        assert len(live) == 3
    data = report_json(tmp_path)
    gen = data["generation"]
    # one bundled request per chunk carried the five chunk stages
    assert gen["by_stage"]["chunk"]["calls"] == 5 and gen["by_stage"]["overview"]["calls"] == 1
    assert data["tasks"] and data["issues"]  # their answers came split out of the bundled ones
    assert data["failures"] == [] and len(data["sessions"]) == 3
    assert "(batch: half price)" in result.output


@pytest.mark.usefixtures("keys")
def test_an_interrupted_batch_is_polled_again_and_never_submitted_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with StubLLMServer(polls_until_done=3) as stub:
        config = make_day(tmp_path, provider="anthropic", base_url=stub.url)
        monkeypatch.setattr(batching, "POLL_MAX_WAIT_S", 0.0)  # give up after one poll, as Ctrl-C would
        first = invoke(*run_args(config, "--batch"))
        assert first.exit_code == 0, first.output
        assert "25 requests pending" in first.output and "batch is still running" in first.output
        assert not (tmp_path / "reports" / DAY).exists()
        assert stub.message_requests() == []  # nothing was sent live while the batch runs

        monkeypatch.setattr(batching, "POLL_MAX_WAIT_S", None)
        second = invoke(*run_args(config, "--batch"))
        assert second.exit_code == 0, second.output
        assert _creates(stub, "anthropic") == 1
        assert len(stub.message_requests()) == 3  # session reduce, 1 project (alpha), overview
    assert report_json(tmp_path)["generation"]["pending"] == 0
