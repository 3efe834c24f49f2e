"""`daily-report eval --provider replay` scores the cases' reference answers: every case in fixtures/cases runs
and passes (expectations and references agree). Also: baselines from a git ref, and the HTML output."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from daily_report.cli.app import app
from daily_report.core.errors import ConfigError
from daily_report.core.paths import FIXTURES_DIR
from daily_report.eval.compare import compare, git_prompts, version_change
from daily_report.eval.results import EvalResult, PromptInfo, Row
from daily_report.eval.scorers import Score
from typer.testing import CliRunner

runner = CliRunner()
CASES = FIXTURES_DIR / "cases"


def test_replay_scores_every_fixture_case_and_all_pass(tmp_path: Path) -> None:
    names = sorted(p.parent.name for p in CASES.glob("*/case.toml"))
    assert len(names) >= 8
    out, html = tmp_path / "replay.json", tmp_path / "replay.html"
    result = runner.invoke(app, ["eval", "--provider", "replay", "--json", str(out), "--html", str(html)])
    doc: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    rows = doc["current"]["rows"]
    failing = [
        (r["case"], r["stage"], r["error"], [s["reason"] for s in r["scores"] if not s["passed"]])
        for r in rows
        if not r["passed"]
    ]
    assert failing == []
    assert result.exit_code == 0, result.output
    assert sorted({r["case"] for r in rows}) == names
    assert {r["stage"] for r in rows} == {
        "facts",
        "tasks",
        "issues",
        "human_ai",
        "takeaways",
        "session",
        "projects",
        "overview",
    }
    # the reduce is scored only where a session has several chunks
    assert {r["case"] for r in rows if r["stage"] == "session"} == {"long-multichunk", "resolved-later"}
    scorers = {s["name"] for r in rows for s in r["scores"]}
    assert scorers == {"schema", "length", "must_mention", "must_not_mention", "enums", "count"}
    assert doc["current"]["provider"] == "replay" and doc["gate"] == []
    page = html.read_text(encoding="utf-8")
    assert (
        page.startswith("<!doctype html>") and "<script" not in page and "http" not in page.split("<body>")[1]
    )
    assert all(name in page for name in names)


def test_replay_with_a_wrong_reference_fails_that_case(tmp_path: Path) -> None:
    import shutil

    case = tmp_path / "cases" / "gpu-oom"
    shutil.copytree(CASES / "gpu-oom", case)
    answer = next((case / "reference" / "issues").rglob("chunk-0.json"))
    data = json.loads(answer.read_text(encoding="utf-8"))
    data["issues"][0]["cause"] += " Root cause: a memory leak in the dataloader."
    answer.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "r.json"
    result = runner.invoke(
        app, ["eval", "--cases", str(tmp_path / "cases"), "--provider", "replay", "--json", str(out)]
    )
    rows = {r["stage"]: r for r in json.loads(out.read_text(encoding="utf-8"))["current"]["rows"]}
    assert not rows["issues"]["passed"] and rows["tasks"]["passed"]
    assert result.exit_code == 0  # no --fail-under, no baseline: failing scores show, the gate is for CI
    gated = runner.invoke(
        app, ["eval", "--cases", str(tmp_path / "cases"), "--provider", "replay", "--fail-under", "0.99"]
    )
    assert gated.exit_code == 1 and "gpu-oom/issues" in gated.output


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def test_git_ref_baseline_extracts_prompts_at_that_ref(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "prompts" / "tasks").mkdir(parents=True)
    (repo / "prompts" / "tasks" / "v1.md").write_text("old tasks prompt\n", encoding="utf-8")
    _git(repo, "init", "-q")
    _git(repo, "add", "prompts")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "v1")
    (repo / "prompts" / "tasks" / "v2.md").write_text("new tasks prompt\n", encoding="utf-8")
    with git_prompts("HEAD", repo=repo) as extracted:
        assert sorted(p.name for p in (extracted / "tasks").iterdir()) == ["v1.md"]
        assert (extracted / "tasks" / "v1.md").read_text(encoding="utf-8") == "old tasks prompt\n"
    assert not extracted.exists()  # a temporary directory, gone after use
    with (
        pytest.raises(ConfigError, match="no such directory, file or git ref"),
        git_prompts("nope", repo=repo),
    ):
        pass
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(ConfigError, match="not a git checkout"), git_prompts("HEAD", repo=plain):
        pass


def test_unknown_baseline_and_bad_options_are_usage_errors(tmp_path: Path) -> None:
    assert runner.invoke(app, ["eval", "--provider", "replay", "--repeat", "0"]).exit_code == 2
    missing = runner.invoke(app, ["eval", "--provider", "replay", "--cases", str(tmp_path / "none")])
    assert missing.exit_code == 2 and "not found" in missing.output
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    wrong = runner.invoke(app, ["eval", "--provider", "replay", "--baseline", str(bad), "--case", "gpu-oom"])
    assert wrong.exit_code == 2 and "is not eval results" in wrong.output


def _result(value: float, version: str, text: str) -> EvalResult:
    return EvalResult(
        label=version,
        prompts={"tasks": PromptInfo.of(version, text)},
        rows=[
            Row(case="c", stage="tasks", scores=[Score(name="schema", value=value, passed=True, reason="")])
        ],
    )


def test_version_change_and_tolerance() -> None:
    a, b = PromptInfo.of("v1", "x"), PromptInfo.of("v2", "y")
    assert version_change("tasks", a, b) == "tasks v1 → v2"
    assert version_change("tasks", a, a) == "tasks v1"
    assert version_change("tasks", a, PromptInfo.of("v1", "z")).startswith("tasks v1 (")
    small = compare(_result(1.0, "v1", "x"), _result(0.96, "v2", "y"), tolerance=0.05)
    assert small.regressions() == [] and small.stages[0].versions() == "tasks v1 → v2"
    big = compare(_result(1.0, "v1", "x"), _result(0.9, "v2", "y"), tolerance=0.05)
    assert [r.case for r in big.regressions()] == ["c"] and big.stages[0].regressions == 1


def test_a_judge_without_an_answer_is_a_row_error_not_a_crash(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    args = [
        "eval",
        "--provider",
        "replay",
        "--case",
        "gpu-oom",
        "--stage",
        "facts",
        "--judge",
        "--json",
        str(out),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    (row,) = json.loads(out.read_text(encoding="utf-8"))["current"]["rows"]
    assert row["error"].startswith("judge failed: ReplayMissError") and "judge/gpu-oom/facts" in row["error"]
    assert [s["name"] for s in row["scores"]] == [
        "schema",
        "length",
        "must_mention",
        "must_not_mention",
        "enums",
    ]
