"""Export the unanswered requests, answer them "elsewhere", import: a day finished with no call at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.stub_llm_routes import asked_tools
from tests.stub_llm_server import StubLLMServer
from tests.test_run_day import DAY, _stage_of, invoke, make_day, report_json, run_args


def answer_file(stub: StubLLMServer, exported: Path, target: Path, *, provider: str) -> int:
    """What a cluster does: run each exported line, write that provider's batch result format."""
    out = []
    for raw in exported.read_text(encoding="utf-8").splitlines():
        line = json.loads(raw)
        if provider == "anthropic":
            msg = stub.message(line["params"], stub.answer_text(line["params"], None))
            out.append({"custom_id": line["custom_id"], "result": {"type": "succeeded", "message": msg}})
        else:
            assert line["method"] == "POST" and line["url"] == "/v1/chat/completions"
            body = stub.completion(line["body"], stub.answer_text(line["body"], None))
            out.append(
                {
                    "custom_id": line["custom_id"],
                    "response": {"status_code": 200, "body": body},
                    "error": None,
                }
            )
    target.write_text("".join(json.dumps(x) + "\n" for x in out), encoding="utf-8")
    return len(out)


def _stages(exported: Path, provider: str) -> list[str]:
    """The stages of the exported requests (from their forced tool or output schema; a bundled request's
    are the tools it asks for)."""
    key = "params" if provider == "anthropic" else "body"
    lines = [json.loads(x) for x in exported.read_text(encoding="utf-8").splitlines()]
    return sorted({s for line in lines for s in (asked_tools(line[key]) or [_stage_of(line[key])])})


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_export_then_import_finishes_the_day_without_a_call(tmp_path: Path, provider: str) -> None:
    stub = StubLLMServer()  # only used to write answers; it never receives a request
    try:
        config = make_day(tmp_path, provider=provider, base_url="http://127.0.0.1:9/v1")
        report = tmp_path / "reports" / DAY / "report.json"
        exported, rounds, pending_per_round = tmp_path / "requests-0.jsonl", 0, []
        stages_per_round: list[list[str]] = []
        result = invoke(*run_args(config, "--export-requests", str(exported)))
        assert result.exit_code == 0, result.output
        while not report.exists():
            assert rounds < 5, "the day did not finish in 5 export/import rounds"
            stages_per_round.append(_stages(exported, provider))
            n = answer_file(stub, exported, tmp_path / f"results-{rounds}.jsonl", provider=provider)
            assert n > 0 and f"wrote {n} unanswered requests" in result.output
            pending_per_round.append(n)
            rounds += 1
            exported = tmp_path / f"requests-{rounds}.jsonl"
            result = invoke(
                *run_args(
                    config,
                    "--import-results",
                    str(tmp_path / f"results-{rounds - 1}.jsonl"),
                    "--export-requests",
                    str(exported),
                )
            )
            assert result.exit_code == 0, result.output
        assert stub.requests == []
        # chunk stages first (5 chunks: one bundled request each, for the 5 stages), then the reduce of the
        # one session of several chunks, then projects (alpha's two sessions; beta's one is built from its
        # facts), then overview
        assert pending_per_round == [5, 1, 1, 1]
        assert stages_per_round == [
            ["facts", "human_ai", "issues", "takeaways", "tasks"],
            ["session"],
            ["projects"],
            ["overview"],
        ]
        assert exported.read_text() == ""  # nothing left to export
        data = report_json(tmp_path)
        assert data["generation"]["pending"] == 0 and data["failures"] == []
        assert data["overview"]["what_was_done"] and len(data["projects"]) == 2
    finally:
        stub.close()


def test_export_writes_no_report_and_names_the_pending_count(tmp_path: Path) -> None:
    config = make_day(tmp_path, provider="anthropic", base_url="http://127.0.0.1:9")
    exported = tmp_path / "out.jsonl"
    result = invoke(*run_args(config, "--export-requests", str(exported)))
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in exported.read_text().splitlines()]
    assert len(lines) == 5 and all(set(x) == {"custom_id", "params"} for x in lines)  # one per chunk
    assert all(len(asked_tools(x["params"])) == 5 for x in lines)
    assert "wrote 5 unanswered requests (25 stage answers)" in result.output
    assert "25 requests pending" in result.output
    assert not (tmp_path / "reports" / DAY).exists()
    # no secret or key needed, nothing sent: the export is the whole output
    assert all(x["params"]["model"] == "claude-haiku-4-5" for x in lines)
