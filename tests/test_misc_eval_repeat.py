"""`daily-report eval --repeat N` samples through the request key: samples 1..N are re-sent and stored in the
normal cache under their own keys, with "eval" ledger rows (`cost --all` shows them); the sample-0 answers
stay as they were, and no side cache file is made.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from daily_report.cli.app import app
from typer.testing import CliRunner

from tests.stub_llm_routes import example_for
from tests.stub_llm_server import StubLLMServer, schema_of
from tests.test_eval_stub import EXPECT, eval_args, make_case, sent_by_stage

runner = CliRunner()
SESSIONS = {
    "aaaaaaaa-0000-4000-8000-00000000000a": ("alpha", 2),
    "bbbbbbbb-0000-4000-8000-00000000000b": ("beta", 2),
}


class SampleAnswers:
    """Schema examples, except that the tasks of the second ``--repeat`` sample miss "example title"."""

    def __init__(self) -> None:
        self.per_sample = 0  # tasks requests of one run: set after the normal (sample 0) run
        self.tasks_seen = 0
        self.lock = threading.Lock()

    def __call__(self, body: dict[str, Any]) -> dict[str, Any]:
        schema = schema_of(body) or {}
        output: dict[str, Any] = example_for(schema) if schema else {"text": "hello"}
        if schema.get("title") != "TasksOutput":
            return output
        with self.lock:
            k, self.tasks_seen = self.tasks_seen, self.tasks_seen + 1
        if self.per_sample and (k - self.per_sample) // self.per_sample == 1:
            for task in output["tasks"]:
                task["title"] = "a renamed task"
        return output


def cache_db() -> Path:
    return Path(os.environ["DAILY_REPORT_CACHE_DIR"]) / "cache.sqlite3"


def stored_answers() -> dict[str, bytes]:
    with sqlite3.connect(cache_db()) as conn:
        return {k: bytes(r) for k, r in conn.execute("SELECT key, response FROM responses")}


def ledger_rows(stage: str) -> list[tuple[str, str, int]]:
    with sqlite3.connect(cache_db()) as conn:
        q = "SELECT kind, request_key, cache_hit FROM ledger WHERE stage = ? ORDER BY id"
        return [(str(a), str(b), int(c)) for a, b, c in conn.execute(q, (stage,))]


@pytest.fixture
def answers() -> SampleAnswers:
    return SampleAnswers()


@pytest.fixture
def stub(answers: SampleAnswers) -> Any:
    with StubLLMServer(answer=answers) as server:
        yield server


@pytest.fixture
def cases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.chdir(tmp_path)
    make_case(tmp_path / "cases", "two-sessions", sessions=SESSIONS, expect=EXPECT)
    return tmp_path / "cases"


def test_repeat_samples_go_through_the_cache_and_ledger(
    tmp_path: Path, stub: StubLLMServer, cases: Path, answers: SampleAnswers
) -> None:
    first = runner.invoke(app, eval_args(stub, cases, "--stage", "tasks"))
    assert first.exit_code == 0, first.output
    n = sent_by_stage(stub)["tasks"]
    assert n > 0
    answers.per_sample = n
    before = stored_answers()
    sample0_keys = {key for _, key, _ in ledger_rows("tasks")}
    assert sample0_keys <= set(before)

    out = tmp_path / "r.json"
    sent_before = len(stub.message_requests())
    result = runner.invoke(
        app, eval_args(stub, cases, "--stage", "tasks", "--repeat", "3", "--json", str(out))
    )
    assert result.exit_code == 0, result.output  # no baseline, no --fail-under: nothing to gate on
    assert sent_by_stage(stub, sent_before)["tasks"] == 3 * n  # every sample re-sent

    row = json.loads(out.read_text(encoding="utf-8"))["current"]["rows"][0]
    assert row["spread"]["must_mention"] == {"min": 0.0, "mean": pytest.approx(2 / 3), "max": 1.0}
    assert row["requests"] == 3 * n

    rows = ledger_rows("tasks")
    assert {kind for kind, _, _ in rows} == {"eval"}
    sampled = rows[n:]
    assert len(sampled) == 3 * n and not any(hit for _, _, hit in sampled)
    sample_keys = {key for _, key, _ in sampled}
    assert len(sample_keys) == 3 * n and not sample_keys & sample0_keys  # one key per request and sample

    after = stored_answers()
    assert {k: after[k] for k in before} == before  # the sample-0 answers are untouched
    assert set(after) - set(before) == sample_keys  # every sample answer is kept, under its own key
    assert [p.name for p in cache_db().parent.iterdir() if "sample" in p.name] == []

    cost_all = runner.invoke(app, ["cost", "--all", "--json"])
    assert cost_all.exit_code == 0, cost_all.output
    tasks = next(r for r in json.loads(cost_all.output)["rows"] if r["stage"] == "tasks")
    assert tasks["calls"] == 4 * n
    cost_runs = runner.invoke(app, ["cost", "--json"])
    assert [r for r in json.loads(cost_runs.output)["rows"] if r["stage"] == "tasks"] == []

    again = runner.invoke(app, eval_args(stub, cases, "--stage", "tasks"))
    assert again.exit_code == 0 and "sent 0" in again.output  # sample 0 still answers from the cache
