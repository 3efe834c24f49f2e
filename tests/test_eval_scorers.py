"""Scorers and case loading: each scorer's value and reason on hand-made stage outputs; expect.yaml rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from daily_report.core.errors import ConfigError
from daily_report.eval.cases import CaseExpect, StageExpect, load_case, read_expect
from daily_report.eval.scorers import (
    Answer,
    StageOutput,
    count_bounds,
    enum_accuracy,
    length_budget,
    must_mention,
    must_not_mention,
    schema_validity,
    score_stage,
)
from daily_report.schemas.tasks import TasksOutput


def task(title: str, status: str = "done", details: str = "", category: str = "implementation_fixes") -> dict:
    return {
        "title": title,
        "category": category,
        "status": status,
        "details": details,
        "turn_start": 0,
        "turn_end": 3,
    }


def tasks_output(*answers: dict | None, merged: object = None) -> StageOutput:
    return StageOutput(
        stage="tasks",
        output_model=TasksOutput,
        answers=[
            Answer(
                label=f"tasks/s1/chunk-{i}", output=a, error=None if a is not None else "TransportError: 500"
            )
            for i, a in enumerate(answers)
        ],
        merged=merged,
    )


def test_must_mention_recall_names_what_is_missing() -> None:
    out = tasks_output(
        {"tasks": [task("Fix CUDA OOM", details="Set micro-batch 4 with gradient checkpointing")]}
    )
    score = must_mention(out, ["cuda oom", "re:micro-?batch\\s+4", "grad_accum 4", "Gradient Checkpointing"])
    assert score.value == pytest.approx(0.75)
    assert not score.passed
    assert "3/4 found" in score.reason and "'grad_accum 4'" in score.reason
    assert "micro" not in score.reason  # found ones are not listed as missing


def test_must_not_mention_fails_and_names_the_offending_string() -> None:
    out = tasks_output({"tasks": [task("Report", details="All tasks are done. key AKIAFAKEFAKEFAKE1234")]})
    score = must_not_mention(out, ["all tasks are done", "re:AKIA[0-9A-Z]{16}", "hunter2"])
    assert not score.passed
    assert score.value == pytest.approx(1 / 3)
    assert "'all tasks are done'" in score.reason and "AKIA" in score.reason
    assert "hunter2" not in score.reason
    clean = must_not_mention(tasks_output({"tasks": [task("Report")]}), ["hunter2"])
    assert clean.passed and clean.value == 1.0


def test_text_skips_provenance_so_ids_do_not_count_as_mentions() -> None:
    merged = {"s1": [{**task("x"), "provenance": {"session_id": "secret-session"}}]}
    out = tasks_output({"tasks": [task("x")]}, merged=merged)
    assert not must_mention(out, ["secret-session"]).passed


def test_schema_validity_counts_failed_and_invalid_answers() -> None:
    out = tasks_output({"tasks": [task("ok")]}, None, {"tasks": [{"title": "no fields"}]})
    score = schema_validity(out)
    assert score.value == pytest.approx(1 / 3)
    assert "1/3 answers valid" in score.reason and "TransportError: 500" in score.reason
    none = schema_validity(tasks_output())
    assert none.value == 0.0 and not none.passed


def test_enum_accuracy_wants_each_expected_value_and_no_other() -> None:
    out = tasks_output(
        {"tasks": [task("Train", status="in_progress")]}, {"tasks": [task("Train", status="done")]}
    )
    both = enum_accuracy(
        out, StageExpect(statuses=["done", "in_progress"], categories=["implementation_fixes"])
    )
    assert both.passed and both.value == 1.0
    short = enum_accuracy(out, StageExpect(statuses=["done", "blocked"]))
    assert not short.passed and short.value == pytest.approx(1 / 3)  # {done} of {done, blocked, in_progress}
    assert "missing status blocked" in short.reason and "unexpected status in_progress" in short.reason


def test_count_bounds_inside_and_outside() -> None:
    merged = {"s1": [task("a"), task("b")], "s2": [task("c")]}
    out = tasks_output({"tasks": []}, merged=merged)
    assert count_bounds(out, StageExpect(count={"min": 1, "max": 3})).passed
    low = count_bounds(out, StageExpect(count={"min": 6}))
    assert not low.passed and low.value == pytest.approx(0.5) and "3 items" in low.reason
    high = count_bounds(out, StageExpect(count={"max": 2}))
    assert not high.passed and high.value == pytest.approx(0.5)


def test_score_stage_applies_only_what_the_case_expects() -> None:
    out = tasks_output({"tasks": [task("x")]}, merged={"s1": [task("x")]})
    assert [s.name for s in score_stage(out, None)] == ["schema", "length"]
    names = [s.name for s in score_stage(out, StageExpect(must_mention=["x"], count={"min": 1}))]
    assert names == ["schema", "length", "must_mention", "count"]


def test_length_fails_a_text_more_than_a_quarter_over_its_budget() -> None:
    # a task's budget is 60 words for title + details together: 75 words pass, 76 fail
    ok = tasks_output({"tasks": [task("Fix the loader", details=" ".join(["word"] * 72))]})
    assert length_budget(ok).passed and length_budget(ok).value == 1.0
    long = tasks_output(
        {
            "tasks": [
                task("Fix the loader", details=" ".join(["word"] * 73)),
                task("Short", details="two words"),
            ]
        }
    )
    score = length_budget(long)
    assert not score.passed and score.value == 0.5
    assert "tasks/s1/chunk-0 tasks.title+details: 76 words > 60" in score.reason


def test_length_reads_nested_fields_and_counts_cjk_by_characters() -> None:
    from daily_report.eval.scorers import budget_texts
    from daily_report.schemas.budgets import word_count

    overview = {"summary": "a b", "devices": [{"what_was_done": "x y z"}, {"what_was_done": "w"}]}
    assert budget_texts(overview, "devices[].what_was_done") == ["x y z", "w"]
    assert budget_texts(overview, "summary") == ["a b"] and budget_texts(overview, "missing") == []
    assert word_count("训练损失在第三千步之后变成") == 7 and word_count("loss 是 NaN") == 3


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("description: d\nstages:\n  tasks:\n    must_mention: ['re:(unclosed']\n", "bad regex"),
        ("description: d\nstages:\n  taks:\n    must_mention: [x]\n", "taks"),
        ("description: d\nstages:\n  tasks:\n    count: {min: 5, max: 2}\n", r"above count\.max"),
        ("description: d\nstages:\n  tasks:\n    count: {}\n", "min, max or both"),
        ("description: d\nstages:\n  tasks:\n    must_mentoin: [x]\n", "must_mentoin"),
        ("description: d\nstages:\n  tasks:\n    statuses: [finished]\n", "finished"),
        ("description: d\nstages:\n  tasks:\n    statuses: [done, done]\n", "duplicate"),
        ("description: d\nstages:\n  tasks:\n    must_mention: ['']\n", "at least 1 character"),
        ("description: ''\nstages:\n  tasks: {}\n", "description"),
        ("description: d\nstages: {}\n", "stages"),
        ("description: d\ntasks: {}\n", "tasks"),
    ],
)
def test_expect_yaml_follows_the_json_schema_rules(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "expect.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=problem):
        read_expect(path)


def test_stage_names_agree_with_the_registry_and_the_json_schema() -> None:
    import json
    import typing

    from daily_report.eval.cases import DEFAULT_CASES_DIR, stage_names
    from daily_report.stages.registry import STAGES

    schema = json.loads((DEFAULT_CASES_DIR / "expect.schema.json").read_text(encoding="utf-8"))
    assert stage_names() == list(STAGES) == list(schema["properties"]["stages"]["properties"])
    stage = schema["$defs"]["stage"]["properties"]
    assert set(stage) == set(StageExpect.model_fields)
    for key in ("statuses", "categories", "severities"):
        annotation = StageExpect.model_fields[key].annotation
        assert list(typing.get_args(typing.get_args(annotation)[0])) == stage[key]["items"]["enum"]


def test_every_fixture_expect_yaml_loads() -> None:
    from daily_report.eval.cases import DEFAULT_CASES_DIR

    files = sorted(DEFAULT_CASES_DIR.glob("*/expect.yaml"))
    assert len(files) >= 8
    for f in files:
        assert isinstance(read_expect(f), CaseExpect)


def test_a_case_that_does_not_load_keeps_its_error(tmp_path: Path) -> None:
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "case.toml").write_text('timezone = "UTC"\n', encoding="utf-8")
    case = load_case(tmp_path / "c")
    assert case.error is not None and "date" in case.error
