"""`daily-report eval` against the stub LLM server: the cache makes an unchanged prompt free, a changed
stage prompt re-sends only its own (and its dependents') requests, the gate sets the exit code.

Cases are written in tmp_path: Claude Code sessions in the real on-disk format (``tests.test_run_day``'s
writer), a case.toml and an expect.yaml.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from daily_report.cli.app import app
from daily_report.core.paths import PROMPTS_DIR
from daily_report.stages.base import prompt_versions
from typer.testing import CliRunner

from tests.stub_llm_routes import asked_tools
from tests.stub_llm_server import Fault, StubLLMServer, schema_of
from tests.test_run_day import write_session

runner = CliRunner()
DAY = "2026-03-17"
SCHEMA_STAGE = {
    "SessionFacts": "facts",
    "TasksOutput": "tasks",
    "IssuesOutput": "issues",
    "HumanAIOutput": "human_ai",
    "TakeawaysOutput": "takeaways",
    "ProjectSummary": "projects",
    "OverviewOutput": "overview",
    "JudgeVerdict": "judge",
}
MARKER = "EVAL-TEST-MARKER-V2"
TASKS_V = prompt_versions("tasks")[-1]  # the shipped version; the changed copy adds the next one
NEXT_V = f"v{int(TASKS_V[1:]) + 1}"
FACTS_V = prompt_versions("facts")[-1]
CHANGED_TASKS = {
    "tasks": [
        {
            "title": "Benchmark latency after the prompt change",
            "category": "implementation_fixes",
            "status": "in_progress",
            "details": "rewritten by the v2 prompt",
            "turn_start": 0,
            "turn_end": 1,
        }
    ]
}


def make_case(
    root: Path, name: str, *, sessions: dict[str, tuple[str, int]], expect: str, date: str = DAY
) -> Path:
    case = root / name
    start = datetime(2026, 3, 17, 9, 0, tzinfo=UTC)
    for k, (session, (project, exchanges)) in enumerate(sessions.items()):
        write_session(case / "claude", session, project, exchanges, start + timedelta(hours=k))
    (case / "case.toml").write_text(
        f'date = "{date}"\ntimezone = "UTC"\n\n[chunk]\nbudget_tokens = 1500\nmax_turn_tokens = 600\n',
        encoding="utf-8",
    )
    (case / "expect.yaml").write_text(expect, encoding="utf-8")
    return case


EXPECT = """description: stub answers
stages:
  tasks:
    must_mention: ["example title"]
    count: {min: 1}
  issues:
    must_not_mention: ["example problem", "never said"]
"""


@pytest.fixture
def stub() -> Any:
    with StubLLMServer() as server:
        yield server


@pytest.fixture
def cases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.chdir(tmp_path)  # no ./daily-report.toml; relative outputs land in tmp
    root = tmp_path / "cases"
    make_case(
        root,
        "two-sessions",
        sessions={
            "aaaaaaaa-0000-4000-8000-00000000000a": ("alpha", 2),
            "bbbbbbbb-0000-4000-8000-00000000000b": ("alpha", 2),  # one project of two sessions: one request
        },
        expect=EXPECT,
    )
    return root


def eval_args(stub: StubLLMServer, cases: Path, *more: str) -> list[str]:
    return [
        "eval",
        "--cases",
        str(cases),
        "--provider",
        "anthropic",
        "--model",
        "claude-haiku-4-5",
        "--base-url",
        stub.url,
        *more,
    ]


def sent_by_stage(stub: StubLLMServer, since: int = 0) -> Counter[str]:
    got: Counter[str] = Counter()
    for r in stub.message_requests()[since:]:
        if tools := asked_tools(r.body):  # a bundled request: each stage it asks for
            got.update(tools)
            continue
        schema = schema_of(r.body) or {}
        got[SCHEMA_STAGE.get(str(schema.get("title")), str(schema.get("title")))] += 1
    return got


def changed_prompts(tmp_path: Path) -> Path:
    """A copy of the repo's prompts with a next tasks version that carries a marker the stub answers
    differently."""
    copy = tmp_path / "prompts-next"
    shutil.copytree(PROMPTS_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    shipped = (copy / "tasks" / f"{TASKS_V}.md").read_text(encoding="utf-8")
    (copy / "tasks" / f"{NEXT_V}.md").write_text(
        shipped + f"\nAlways think of {MARKER} before answering.\n", encoding="utf-8"
    )
    return copy


def read_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


# ---------------------------------------------------------------- tests


def test_changed_tasks_prompt_resends_only_tasks_and_its_dependents(
    tmp_path: Path, stub: StubLLMServer, cases: Path
) -> None:
    first = runner.invoke(app, eval_args(stub, cases))
    assert first.exit_code == 0, first.output
    everything = sent_by_stage(stub)
    chunks = everything["facts"]
    assert chunks >= 2 and all(everything[s] == chunks for s in ("tasks", "issues", "human_ai", "takeaways"))
    assert everything["projects"] == 1 and everything["overview"] == 1

    again = runner.invoke(app, eval_args(stub, cases))
    assert again.exit_code == 0, again.output
    assert sum(sent_by_stage(stub, sum(everything.values())).values()) == 0  # all from the cache
    assert "sent 0" in again.output

    stub.register_answer(MARKER, CHANGED_TASKS)
    before = len(stub.message_requests())
    out = tmp_path / "cmp.json"
    result = runner.invoke(
        app,
        eval_args(
            stub,
            cases,
            *("--prompts", str(changed_prompts(tmp_path)), "--baseline", str(PROMPTS_DIR)),
            *("--json", str(out)),
        ),
    )
    assert result.exit_code == 1, result.output  # the changed answer loses a must_mention: a regression
    resent = sent_by_stage(stub, before)
    assert resent == Counter({"tasks": chunks, "projects": 1, "overview": 1})
    assert f"tasks {TASKS_V} → {NEXT_V}" in result.output
    doc = read_json(out)
    delta = next(d for d in doc["deltas"] if d["stage"] == "tasks")
    assert delta["baseline"] == 1.0 and delta["current"] < 1.0 and delta["delta"] < -0.05
    assert any("regressed" in p for p in doc["gate"])
    tasks_row = next(r for r in doc["current"]["rows"] if r["stage"] == "tasks")
    mention = next(s for s in tasks_row["scores"] if s["name"] == "must_mention")
    assert "missing 'example title'" in mention["reason"]
    assert doc["current"]["prompts"]["tasks"]["version"] == NEXT_V
    assert doc["baseline"]["prompts"]["tasks"]["version"] == TASKS_V


def test_equal_versions_with_different_text_show_a_hash(
    tmp_path: Path, stub: StubLLMServer, cases: Path
) -> None:
    copy = tmp_path / "prompts-edited"
    shutil.copytree(PROMPTS_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    path = copy / "facts" / f"{FACTS_V}.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nBe brief.\n", encoding="utf-8")
    result = runner.invoke(
        app,
        eval_args(stub, cases, "--stage", "facts", "--prompts", str(copy), "--baseline", str(PROMPTS_DIR)),
    )
    assert result.exit_code == 0, result.output
    assert f"facts {FACTS_V} (" in result.output and f") → {FACTS_V} (" in result.output
    assert "system v1" not in result.output
    system = copy / "system" / "v1.md"
    system.write_text(system.read_text(encoding="utf-8") + "\nBe exact.\n", encoding="utf-8")
    again = runner.invoke(
        app,
        eval_args(stub, cases, "--stage", "facts", "--prompts", str(copy), "--baseline", str(PROMPTS_DIR)),
    )
    assert again.exit_code == 0, again.output
    assert "system v1 (" in again.output and "every stage re-sent" in again.output


def test_fail_under_sets_the_exit_code_and_must_not_names_the_string(
    tmp_path: Path, stub: StubLLMServer, cases: Path
) -> None:
    out = tmp_path / "r.json"
    low = runner.invoke(app, eval_args(stub, cases, "--fail-under", "0.5", "--json", str(out)))
    assert low.exit_code == 0, low.output
    issues = next(r for r in read_json(out)["current"]["rows"] if r["stage"] == "issues")
    must_not = next(s for s in issues["scores"] if s["name"] == "must_not_mention")
    assert not must_not["passed"] and must_not["value"] == 0.5
    assert "'example problem'" in must_not["reason"] and "never said" not in must_not["reason"]
    high = runner.invoke(app, eval_args(stub, cases, "--fail-under", "0.95"))
    assert high.exit_code == 1
    assert "two-sessions/issues: must_not_mention 0.50 under 0.95 (mentions 'example problem')" in high.output
    assert "two-sessions/tasks" not in high.output.split("gate:", 1)[1]
    bad = runner.invoke(app, eval_args(stub, cases, "--fail-under", "1.5"))
    assert bad.exit_code == 2


def test_a_broken_case_is_a_row_with_its_error(tmp_path: Path, stub: StubLLMServer, cases: Path) -> None:
    make_case(
        cases,
        "wrong-date",
        sessions={"cccccccc-0000-4000-8000-00000000000c": ("gamma", 2)},
        expect=EXPECT,
        date="2026-01-01",
    )
    (cases / "bad-yaml").mkdir()
    (cases / "bad-yaml" / "case.toml").write_text(f'date = "{DAY}"\ntimezone = "UTC"\n', encoding="utf-8")
    (cases / "bad-yaml" / "expect.yaml").write_text(
        "stages:\n  tasks:\n    statuses: nope: [\n", encoding="utf-8"
    )
    stub.add_fault(*[Fault.server_error(400) for _ in range(3)])  # the first requests of the good case fail
    out = tmp_path / "r.json"
    result = runner.invoke(app, eval_args(stub, cases, "--json", str(out)))
    assert result.exit_code == 1, result.output
    rows = {(r["case"], r["stage"]): r for r in read_json(out)["current"]["rows"]}
    assert "no session of 2026-01-01" in rows[("wrong-date", "*")]["error"]
    assert "not valid YAML" in rows[("bad-yaml", "*")]["error"]
    good = [r for (c, _), r in rows.items() if c == "two-sessions"]
    assert len(good) == 7  # the good case still ran every stage
    failed = [r for r in good if r["error"]]
    assert failed and all("requests failed" in r["error"] for r in failed)
    assert any(r["passed"] for r in good)


def test_accept_then_compare_with_the_stored_baseline(
    tmp_path: Path, stub: StubLLMServer, cases: Path
) -> None:
    first = runner.invoke(app, eval_args(stub, cases, "--stage", "tasks", "--accept"))
    assert first.exit_code == 0, first.output
    assert "accepted as the baseline" in first.output
    stored = next(Path(line.split(": ", 1)[1]) for line in first.output.splitlines() if "accepted" in line)
    assert stored.is_file() and stored.parent.parent == Path(os.environ["DAILY_REPORT_CACHE_DIR"])
    second = runner.invoke(app, eval_args(stub, cases, "--stage", "tasks"))
    assert second.exit_code == 0, second.output
    assert f"tasks {TASKS_V}: 1.00 → 1.00 (+0.00), 0 regressed" in second.output


def test_repeat_resends_every_request_and_shows_the_spread(
    tmp_path: Path, stub: StubLLMServer, cases: Path
) -> None:
    assert runner.invoke(app, eval_args(stub, cases, "--stage", "facts")).exit_code == 0
    before = len(stub.message_requests())
    out = tmp_path / "r.json"
    result = runner.invoke(
        app, eval_args(stub, cases, "--stage", "facts", "--repeat", "3", "--json", str(out))
    )
    assert result.exit_code == 0, result.output
    facts_chunks = sent_by_stage(stub)["facts"] - sent_by_stage(stub, before)["facts"]
    assert sent_by_stage(stub, before) == Counter({"facts": 3 * facts_chunks})
    row = read_json(out)["current"]["rows"][0]
    assert row["spread"]["schema"] == {"min": 1.0, "mean": 1.0, "max": 1.0}
    again = runner.invoke(app, eval_args(stub, cases, "--stage", "facts"))
    assert again.exit_code == 0 and "sent 0" in again.output  # the normal cache kept its answers


def test_judge_scores_against_the_reference_and_is_cached(
    tmp_path: Path, stub: StubLLMServer, cases: Path
) -> None:
    ref = cases / "two-sessions" / "reference" / "tasks" / "aaaaaaaa-0000-4000-8000-00000000000a"
    ref.mkdir(parents=True)
    (ref / "chunk-0.json").write_text(json.dumps(CHANGED_TASKS), encoding="utf-8")
    stub.register_answer("<reference>", {"score": 0.4, "reason": "misses the <b>latency</b> figures"})
    out, html = tmp_path / "r.json", tmp_path / "r.html"
    args = eval_args(stub, cases, "--stage", "tasks", "--judge", "--json", str(out), "--html", str(html))
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    row = read_json(out)["current"]["rows"][0]
    judge = next(s for s in row["scores"] if s["name"] == "judge")
    assert judge == {
        "name": "judge",
        "value": 0.4,
        "passed": False,
        "reason": "misses the <b>latency</b> figures",
    }
    assert read_json(out)["current"]["judge"] == "v1"
    page = html.read_text(encoding="utf-8")
    assert "misses the &lt;b&gt;latency&lt;/b&gt; figures" in page and "<b>latency" not in page
    before = sent_by_stage(stub)["judge"]
    assert before == 1
    assert runner.invoke(app, args).exit_code == 0
    assert sent_by_stage(stub)["judge"] == before  # the judge's answer came from the cache


def test_a_missing_key_stops_the_eval_with_one_line(
    stub: StubLLMServer, cases: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    result = runner.invoke(app, eval_args(stub, cases, "--stage", "facts"))
    assert result.exit_code == 2
    assert "ANTHROPIC_API_KEY" in result.output and "Traceback" not in result.output
    assert stub.message_requests() == []
