"""The session reduce: one request per session of several chunks, none for a one-chunk session; its answer
replaces the heuristic merges in what the day stages and the report read; a failed reduce falls back to the
merges and says so."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from daily_report.core.config import load_config
from daily_report.engine.plan import RunOptions
from daily_report.engine.run import RunResult, run_day
from daily_report.eval.cases import load_cases
from daily_report.schemas.config import Config, LLMConfig

from tests.conftest import REPO

CASES = REPO / "fixtures" / "cases"
DAY_TOML = REPO / "fixtures" / "day" / "daily-report.toml"
LONG_SESSION = "7c1e4b2a-93d5-4f0e-8a61-2b7d90c3e5f4"
RESOLVED_SESSION = "3b7e91d2-5c48-4a0f-9e26-71d8c4b0a5f3"


def case_run(
    tmp_path: Path, name: str, *, reference: Path | None = None, config: Config | None = None, **opts: Any
) -> RunResult:
    """The case through the whole engine with the replay provider, report files written under tmp_path."""
    case = load_cases(CASES, names=[name])[0]
    assert case.settings is not None
    if config is None:
        config = case.config(llm=LLMConfig(provider="replay", replay_dir=reference or case.reference_dir))
    return run_day(
        RunOptions(
            date=case.settings.date,
            config=config,
            out_dir=tmp_path / "reports",
            cache_path=tmp_path / "cache.sqlite3",
            **opts,
        )
    )


def day_run(tmp_path: Path, **opts: Any) -> RunResult:
    config = load_config(DAY_TOML)
    return run_day(
        RunOptions(
            date="2026-03-17",
            config=config,
            out_dir=tmp_path / "reports",
            cache_path=tmp_path / "cache.sqlite3",
            **opts,
        )
    )


def test_one_reduce_per_session_of_several_chunks_and_none_for_one_chunk(tmp_path: Path) -> None:
    result = day_run(tmp_path)
    chunks = {s.session_id: s.chunks for s in result.report.sessions}  # type: ignore[union-attr]
    assert sorted(n for n in chunks.values()) == [1, 1, 1, 1, 1, 3]
    # the estimate plans it, the run answers it: one request, for the one session of 3 chunks
    row = next(s for s in result.estimate.stages if s.stage == "session")
    assert row.requests == 1 and row.input_tokens > 0 and row.output_tokens > 0
    assert list(result.results["session"]) == [LONG_SESSION]
    assert result.report.generation.by_stage["session"].calls == 1  # type: ignore[union-attr]


def test_the_demo_day_shows_the_reduced_session(tmp_path: Path) -> None:
    result = day_run(tmp_path)
    report = result.report
    assert report is not None
    reduced = json.loads(
        (REPO / "fixtures" / "replay" / "session" / LONG_SESSION / "reduce.json").read_text(encoding="utf-8")
    )
    session = next(s for s in report.sessions if s.session_id == LONG_SESSION)
    assert session.title == reduced["title"] and session.summary == reduced["summary"]
    assert len(session.summary.split()) <= 90
    mine = [t for t in report.tasks if t.provenance.session_id == LONG_SESSION]
    assert sorted(t.title for t in mine) == sorted(t["title"] for t in reduced["tasks"])
    nan = next(i for i in report.issues if "3012" in i.problem)
    assert nan.resolved and not nan.solution.startswith("Not yet resolved")
    assert nan.provenance.chunks == [1, 2] and (nan.turn_start, nan.turn_end) == (30, 79)
    assert sum("3012" in i.problem for i in report.issues) == 1
    assert "heuristic_merge" not in report.extra


def test_the_two_chunk_case_shows_the_issue_once_and_resolved(tmp_path: Path) -> None:
    result = case_run(tmp_path, "resolved-later")
    assert result.failures == [] and result.pending == 0
    data = json.loads(result.paths["json"].read_text(encoding="utf-8"))
    assert len(data["issues"]) == 1
    issue = data["issues"][0]
    assert issue["resolved"] is True and issue["severity"] == "critical"
    assert issue["provenance"]["chunks"] == [0, 1]
    assert len(data["tasks"]) == 1 and data["tasks"][0]["status"] == "done"
    assert data["sessions"][0]["status"] == "done" and data["sessions"][0]["chunks"] == 2
    md = result.paths["md"].read_text(encoding="utf-8")
    assert "Not yet resolved" not in md
    assert md.count("Cannot find module './config/paths.js'") == 1


def test_without_the_reduce_the_merges_keep_the_stale_state(tmp_path: Path) -> None:
    """What the reduce is for: the chunk stages alone leave chunk 1's open issue beside chunk 2's fix."""
    result = case_run(
        tmp_path, "resolved-later", stages=("facts", "tasks", "issues", "human_ai", "takeaways")
    )
    issues = result.results["issues"][RESOLVED_SESSION]
    assert [i.resolved for i in issues] == [False, True]


def test_a_failed_reduce_falls_back_to_the_merges_and_says_so(tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    shutil.copytree(CASES / "resolved-later" / "reference", reference)
    shutil.rmtree(reference / "session")
    result = case_run(tmp_path, "resolved-later", reference=reference)
    assert [f.stage for f in result.failures] == ["session"]
    report = result.report
    assert report is not None
    assert report.extra["heuristic_merge"] == [RESOLVED_SESSION]
    assert report.sessions[0].failed  # the session line says a stage failed for it
    assert len(report.issues) == 2  # the heuristic merge could not tell the two states apart
    assert report.projects and report.overview.what_was_done  # the day stages still ran


def test_a_reduce_that_drops_every_item_of_a_stage_keeps_the_merge_for_it() -> None:
    """A reduce merges; an answer with no tasks although the chunks had some is not taken for the tasks."""
    from daily_report.schemas.session import SessionReduceOutput
    from daily_report.stages.base import SessionInfo, SessionParts
    from daily_report.stages.registry import STAGES, chunk_stages
    from daily_report.stages.session import SessionReduceStage, parts_block

    from tests.test_eval_cases import plan

    case = CASES / "resolved-later"
    chunks = plan("resolved-later").chunks
    outputs = {
        st: [
            (
                c,
                STAGES[st].output_model.model_validate_json(
                    (case / "reference" / st / c.session_id / f"chunk-{c.index}.json").read_text()
                ),
            )
            for c in chunks
        ]
        for st in chunk_stages()
    }
    parts = SessionParts(chunks=chunks, outputs=outputs, stages={n: STAGES[n]() for n in chunk_stages()})
    info = SessionInfo(RESOLVED_SESSION, "d", "claude_code", "beadboard", None, None, 2, 10, 3)
    block = parts_block(info, parts, SessionReduceStage.depends_on)
    assert block.count("<notes part=") == 2 and "[t1-t9 · critical · unresolved]" in block
    reduced = json.loads((case / "reference" / "session" / RESOLVED_SESSION / "reduce.json").read_text())
    answer = SessionReduceOutput.model_validate(reduced | {"tasks": []})
    results = SessionReduceStage().apply(info, parts, answer)
    assert "tasks" not in results  # the caller keeps the merged chunk answers for tasks
    assert [i.resolved for i in results["issues"]] == [True]
    assert results["issues"][0].provenance.chunks == [0, 1]
    assert results["facts"].title == reduced["title"]


def test_the_dry_run_estimate_counts_the_reduce_without_a_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    result = day_run(tmp_path, provider="anthropic", model="claude-haiku-4-5", dry_run=True)
    rows = {s.stage: s for s in result.estimate.stages}
    # the chunk stages go as one bundled request per chunk ("chunk")
    assert list(rows) == ["chunk", "session", "projects", "overview"]
    assert rows["chunk"].requests == 8  # the fixture day's 8 chunks
    session, total = rows["session"], result.estimate.total()
    assert session.requests == 1 and session.cost_usd is not None and total.cost_usd is not None
    # the reduce of the day's one 3-chunk session: a small share of the day (the issue's target with the
    # editor: 15% together; its share grew from under 10% when the chunk stages went into one request each)
    assert 0 < session.cost_usd < total.cost_usd * Decimal("0.15")
