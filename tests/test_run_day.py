"""`daily-report run` end to end: real readers, stages and SDK clients against the stub LLM server.

Transcripts are small hand-made Claude Code sessions written in tmp_path in the real on-disk format; a
small chunk budget makes the long one split. Helpers here are shared by the other test_run_* files.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from daily_report.cli.app import app
from typer.testing import CliRunner

from tests.stub_llm_routes import forced_tool
from tests.stub_llm_server import Fault, StubLLMServer

DAY = "2026-03-17"
runner = CliRunner()

SESSIONS = {
    "aaaaaaaa-0000-4000-8000-000000000001": ("laptop", "alpha", 3),
    "bbbbbbbb-0000-4000-8000-000000000002": ("laptop", "beta", 12),
    "cccccccc-0000-4000-8000-000000000003": ("server", "alpha", 2),
}
TINY = "dddddddd-0000-4000-8000-000000000004"  # one prompt, one reply: skipped as too small


def _line(kind: str, session: str, n: int, t: datetime, cwd: str, message: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": kind,
        "uuid": f"{session[:8]}-{n:04d}",
        "parentUuid": f"{session[:8]}-{n - 1:04d}" if n else None,
        "sessionId": session,
        "timestamp": t.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "cwd": cwd,
        "version": "2.1.39",
        "gitBranch": "main",
        "isSidechain": False,
        "userType": "external",
        "message": message,
        **({"requestId": f"req_{session[:8]}_{n}"} if kind == "assistant" else {}),
    }


def _assistant(session: str, n: int, content: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": f"msg_{session[:8]}_{n}",
        "type": "message",
        "role": "assistant",
        "model": "claude-opus-4-6",
        "content": content,
        "stop_reason": None,
        "usage": {
            "input_tokens": 10,
            "output_tokens": 120,
            "cache_creation_input_tokens": 2000,
            "cache_read_input_tokens": 15000,
        },
    }


def write_session(root: Path, session: str, project: str, exchanges: int, start: datetime) -> None:
    """A Claude Code session: each exchange is a prompt, a Bash call with its result, and a reply."""
    cwd = f"/home/me/{project}"
    lines: list[dict[str, Any]] = []
    t = start
    n = 0
    for i in range(exchanges):
        prompt = f"Step {i}: run the benchmark for {project} with batch size {2**i} and explain the latency figures."
        lines.append(_line("user", session, n, t, cwd, {"role": "user", "content": prompt}))
        n, t = n + 1, t + timedelta(minutes=1)
        tool = {
            "type": "tool_use",
            "id": f"toolu_{session[:8]}_{i}",
            "name": "Bash",
            "input": {"command": f"python bench.py --batch {2**i}", "description": "run the benchmark"},
        }
        lines.append(_line("assistant", session, n, t, cwd, _assistant(session, n, [tool])))
        n, t = n + 1, t + timedelta(minutes=1)
        result = "\n".join(f"batch {2**i} iter {k}: latency {10 + i + k * 0.5:.1f} ms" for k in range(40))
        lines.append(
            _line(
                "user",
                session,
                n,
                t,
                cwd,
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": f"toolu_{session[:8]}_{i}", "content": result}
                    ],
                },
            )
        )
        n, t = n + 1, t + timedelta(minutes=1)
        reply = (
            f"Batch size {2**i} gives a median latency of {10 + i + 10:.1f} ms on {project}; p99 is higher."
        )
        lines.append(
            _line("assistant", session, n, t, cwd, _assistant(session, n, [{"type": "text", "text": reply}]))
        )
        n, t = n + 1, t + timedelta(minutes=2)
    folder = root / "projects" / f"-home-me-{project}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{session}.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")


def make_day(tmp_path: Path, *, provider: str, base_url: str, extra: str = "") -> Path:
    """Transcripts for two devices and a config pointing at the stub; returns the config path."""
    start = datetime(2026, 3, 17, 9, 0, tzinfo=UTC)
    for k, (session, (device, project, exchanges)) in enumerate(SESSIONS.items()):
        write_session(tmp_path / device / ".claude", session, project, exchanges, start + timedelta(hours=k))
    write_session(tmp_path / "laptop" / ".claude", TINY, "gamma", 1, start + timedelta(hours=5))
    tiny = tmp_path / "laptop" / ".claude" / "projects" / "-home-me-gamma" / f"{TINY}.jsonl"
    tiny.write_text(tiny.read_text().splitlines()[0] + "\n")  # a lone prompt: too small to report
    config = tmp_path / "daily-report.toml"
    config.write_text(
        f"""timezone = "UTC"
cache_path = "cache.sqlite3"
out_dir = "reports"

[devices.laptop]
claude = ["laptop/.claude"]

[devices.server]
claude = ["server/.claude"]

[llm]
provider = "{provider}"
model = "{"claude-haiku-4-5" if provider == "anthropic" else "gpt-5-mini"}"
base_url = "{base_url}"
concurrency = 4
timeout_s = 2.0

[chunk]
budget_tokens = 1500
max_turn_tokens = 600
{extra}
""",
        encoding="utf-8",
    )
    return config


@pytest.fixture
def stub() -> Any:
    with StubLLMServer() as server:
        yield server


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")


@pytest.fixture(autouse=True)
def _fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Transport retries without real sleeping (the policy itself is the LLM layer's; tested there)."""
    from daily_report.llm import retry

    monkeypatch.setattr(retry.RetryPolicy, "__init__", _fast_policy_init(retry.RetryPolicy.__init__))


def _fast_policy_init(orig: Any) -> Any:
    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        orig(self, *args, **kwargs)
        self.sleep = lambda _s: None

    return init


def base_url(stub: StubLLMServer, provider: str) -> str:
    return stub.url if provider == "anthropic" else stub.openai_url


def invoke(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    return result


def run_args(config: Path, *more: str) -> list[str]:
    return ["run", "--date", DAY, "--config", str(config), *more]


def report_json(tmp_path: Path, variant: str = "") -> dict[str, Any]:
    """The day's report.json, or a filtered run's report.<variant>.json."""
    name = f"report.{variant}.json" if variant else "report.json"
    data: dict[str, Any] = json.loads((tmp_path / "reports" / DAY / name).read_text(encoding="utf-8"))
    return data


# ---------------------------------------------------------------- tests


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_run_completes_through_injected_faults_and_a_second_run_sends_nothing(
    tmp_path: Path, stub: StubLLMServer, keys: None, provider: str
) -> None:
    config = make_day(tmp_path, provider=provider, base_url=base_url(stub, provider))
    stub.add_fault(
        Fault.rate_limit(retry_after="0"),
        Fault.overloaded(),
        Fault.server_error(500),
        Fault.timeout(sleep_s=2.5),
        Fault.malformed(),
        Fault.invalid_answer(),
    )
    result = invoke(*run_args(config))
    assert result.exit_code == 0, result.output
    data = report_json(tmp_path)
    assert data["failures"] == []
    ids = {s["session_id"] for s in data["sessions"]}
    assert ids == set(SESSIONS)
    assert data["skipped_sessions"] == {"too_small": 1} or sum(data["skipped_sessions"].values()) == 1
    gen = data["generation"]
    assert gen["calls"] > 0 and gen["cache_hits"] == 0 and gen["provider"] == provider
    # the chunk stages went as one bundled request per chunk ("chunk"); the invalid answer spoiled one
    # stage's tool call, which was asked alone
    assert set(gen["by_stage"]) >= {"chunk", "projects", "overview"}
    assert gen["by_stage"]["chunk"]["calls"] == 5
    assert (tmp_path / "reports" / DAY / "report.md").is_file()
    sent = len(stub.message_requests())
    # every request was answered once plus the faulted attempts
    assert sent >= gen["calls"] + 5

    second = invoke(*run_args(config))
    assert second.exit_code == 0, second.output
    assert len(stub.message_requests()) == sent
    again = report_json(tmp_path)["generation"]
    # every stage answer from the cache: 25 chunk-stage answers, the reduce, 1 project, the overview
    assert again["cache_hits"] == again["calls"] == 28


def test_stage_option_resends_only_that_stage_and_its_dependents(
    tmp_path: Path, stub: StubLLMServer, keys: None
) -> None:
    config = make_day(tmp_path, provider="anthropic", base_url=stub.url)
    assert invoke(*run_args(config)).exit_code == 0
    before = len(stub.message_requests())
    result = invoke(*run_args(config, "--stage", "facts"))
    assert result.exit_code == 0, result.output
    new = stub.message_requests()[before:]
    stages = {_stage_of(r.body) for r in new}
    assert stages == {"facts", "session", "projects", "overview"}
    gen = report_json(tmp_path)["generation"]["by_stage"]
    assert gen["tasks"]["cache_hits"] == gen["tasks"]["calls"] > 0
    assert gen["facts"]["cache_hits"] == 0 and gen["facts"]["calls"] > 0


def test_stage_session_resends_the_reduce_and_the_day_stages_only(
    tmp_path: Path, stub: StubLLMServer, keys: None
) -> None:
    config = make_day(tmp_path, provider="anthropic", base_url=stub.url)
    assert invoke(*run_args(config)).exit_code == 0
    before = len(stub.message_requests())
    result = invoke(*run_args(config, "--stage", "session"))
    assert result.exit_code == 0, result.output
    new = [_stage_of(r.body) for r in stub.message_requests()[before:]]
    # one session has 2 chunks; beta, one session, gets its project entry from its facts
    assert sorted(new) == ["overview", "projects", "session"]
    gen = report_json(tmp_path)["generation"]["by_stage"]
    assert gen["tasks"]["cache_hits"] == gen["tasks"]["calls"] > 0
    assert gen["session"]["cache_hits"] == 0 and gen["session"]["calls"] == 1


def test_a_one_session_project_gets_its_entry_from_its_facts_without_a_request(
    tmp_path: Path, stub: StubLLMServer, keys: None
) -> None:
    config = make_day(tmp_path, provider="anthropic", base_url=stub.url)
    assert invoke(*run_args(config)).exit_code == 0
    asked = [json.dumps(r.body) for r in stub.message_requests() if _stage_of(r.body) == "projects"]
    assert len(asked) == 1 and '<project name=\\"alpha\\"' in asked[0]  # alpha: two sessions
    data = report_json(tmp_path)
    projects = {p["project"]: p for p in data["projects"]}
    beta = next(s for s in data["sessions"] if s["project"] == "beta")
    assert set(projects) == {"alpha", "beta"}
    assert projects["beta"]["status"] == beta["status"] and projects["beta"]["headline"] == beta["title"]
    assert projects["beta"]["sessions"] == [beta["session_id"]] and projects["beta"]["devices"] == ["laptop"]
    assert "projects" not in data.get("missing_stages", [])
    # the switch asks for every project again
    config.write_text(config.read_text() + "\n[report]\nask_single_session_projects = true\n")
    before = len(stub.message_requests())
    assert invoke(*run_args(config)).exit_code == 0
    again = [_stage_of(r.body) for r in stub.message_requests()[before:]]
    assert again.count("projects") == 1  # beta now (alpha's answer is cached)


def test_a_one_session_day_plans_no_projects_request(tmp_path: Path, stub: StubLLMServer, keys: None) -> None:
    config = make_day(tmp_path, provider="anthropic", base_url=stub.url)
    one = ("--session", "bbbbbbbb")
    dry = invoke(*run_args(config, *one, "--dry-run", "--json"))
    assert dry.exit_code == 0, dry.output
    planned = {s["stage"]: s["requests"] for s in json.loads(dry.output[dry.output.index("{") :])["stages"]}
    assert "projects" not in planned and planned["overview"] == 1 and planned["chunk"] >= 1
    assert invoke(*run_args(config, *one)).exit_code == 0
    assert "projects" not in [_stage_of(r.body) for r in stub.message_requests()]
    data = report_json(tmp_path, "session-bbbbbbbb")
    [session] = data["sessions"]
    [entry] = data["projects"]
    assert entry["project"] == "beta" and entry["status"] == session["status"]
    assert entry["sessions"] == [session["session_id"]] and data["missing_stages"] == []


def _stage_of(body: dict[str, Any]) -> str:
    """Which stage a stub request came from: the forced tool, else the schema's title names the output model."""
    schema = (body.get("output_config") or {}).get("format", {}).get("schema") or {}
    title = json.dumps(body)
    names = {
        "SessionReduceOutput": "session",
        "SessionFacts": "facts",
        "TasksOutput": "tasks",
        "IssuesOutput": "issues",
        "HumanAIOutput": "human_ai",
        "TakeawaysOutput": "takeaways",
        "ProjectSummary": "projects",
        "OverviewOutput": "overview",
    }
    for name, stage in names.items():
        if schema.get("title") == name:
            return stage
    if (tool := forced_tool(body)) in names.values():  # shared tools: the forced tool names the stage
        return str(tool)
    for name, stage in names.items():
        if name in title:
            return stage
    return "?"


def test_unknown_stage_is_one_line_and_exit_2(tmp_path: Path, stub: StubLLMServer) -> None:
    config = make_day(tmp_path, provider="anthropic", base_url=stub.url)
    result = invoke(*run_args(config, "--stage", "nope"))
    assert result.exit_code == 2
    assert (
        "unknown stage 'nope'" in result.output and "facts" in result.output and "overview" in result.output
    )
    assert stub.requests == []


def test_dry_run_prints_the_table_and_sends_nothing(tmp_path: Path, stub: StubLLMServer) -> None:
    config = make_day(tmp_path, provider="anthropic", base_url=stub.url)
    result = invoke(*run_args(config, "--dry-run"))
    assert result.exit_code == 0, result.output
    for word in ("chunk", "session", "overview", "total", "est. cost", "nothing was sent"):
        assert word in result.output
    assert stub.requests == []
    assert not (tmp_path / "reports" / DAY).exists()


def test_a_failed_request_is_listed_and_the_other_sessions_are_complete(
    tmp_path: Path, stub: StubLLMServer, keys: None
) -> None:
    config = make_day(tmp_path, provider="anthropic", base_url=stub.url, extra="")
    victim = "cccccccc-0000-4000-8000-000000000003"
    original = stub.output_for

    def output_for(body: dict[str, Any]) -> dict[str, Any]:
        if victim in json.dumps(body) and _stage_of(body) == "tasks":
            return {"tasks": "not a list"}  # schema-invalid on every re-ask
        return original(body)

    stub.output_for = output_for  # type: ignore[method-assign]
    result = invoke(*run_args(config))
    assert result.exit_code == 1, result.output
    assert "failed" in result.output
    data = report_json(tmp_path)
    assert [(f["stage"], f["session_id"]) for f in data["failures"]] == [("tasks", victim)]
    by_id = {s["session_id"]: s for s in data["sessions"]}
    assert by_id[victim]["failed"] is True
    assert all(not s["failed"] for k, s in by_id.items() if k != victim)
    task_sessions = {
        sid for t in data["tasks"] for sid in [t["provenance"]["session_id"], *t["provenance"]["also_in"]]
    }
    assert victim not in task_sessions and task_sessions
    assert data["incomplete_stages"] == {"tasks": [victim]}
    assert victim in {
        s for i in data["issues"] for s in [i["provenance"]["session_id"], *i["provenance"]["also_in"]]
    }
    assert data["overview"]["what_was_done"]  # the day stages still ran


def test_session_and_device_filters(tmp_path: Path, stub: StubLLMServer, keys: None) -> None:
    config = make_day(tmp_path, provider="anthropic", base_url=stub.url)
    result = invoke(*run_args(config, "--device", "server"))
    assert result.exit_code == 0, result.output
    assert [s["session_id"] for s in report_json(tmp_path, "device-server")["sessions"]] == [
        "cccccccc-0000-4000-8000-000000000003"
    ]
    result = invoke(*run_args(config, "--session", "bbbbbbbb"))
    assert result.exit_code == 0, result.output
    assert [s["session_id"] for s in report_json(tmp_path, "session-bbbbbbbb")["sessions"]] == [
        "bbbbbbbb-0000-4000-8000-000000000002"
    ]


def test_lang_reaches_every_request(tmp_path: Path, stub: StubLLMServer, keys: None) -> None:
    config = make_day(tmp_path, provider="anthropic", base_url=stub.url)
    assert invoke(*run_args(config, "--lang", "zh", "--device", "server")).exit_code == 0
    bodies = [json.dumps(r.body, ensure_ascii=False) for r in stub.message_requests()]
    assert bodies and all("简体中文" in b for b in bodies)
    assert report_json(tmp_path, "device-server.zh")["lang"] == "zh"


def test_a_missing_key_is_one_line_and_exit_2(tmp_path: Path, stub: StubLLMServer) -> None:
    config = make_day(tmp_path, provider="anthropic", base_url=stub.url)
    result = invoke(*run_args(config))
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "ANTHROPIC_API_KEY" in errors[0]
    assert stub.message_requests() == []


def test_a_day_without_sessions_still_gets_a_report(tmp_path: Path, stub: StubLLMServer) -> None:
    config = make_day(tmp_path, provider="anthropic", base_url=stub.url)
    result = invoke("run", "--date", "2026-01-01", "--config", str(config))
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "reports" / "2026-01-01" / "report.json").read_text(encoding="utf-8"))
    assert data["sessions"] == [] and data["generation"]["calls"] == 0
    assert stub.requests == []


def test_ctrl_c_stops_cleanly_and_the_next_run_carries_on(
    tmp_path: Path, stub: StubLLMServer, keys: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3
    import threading
    import time

    from daily_report.engine import run as engine

    real_counter = engine.progress_counter

    def interrupting(total: int) -> Any:
        hook, seen = real_counter(total), []

        def on_outcome(outcome: Any) -> None:
            hook(outcome)
            seen.append(outcome)
            if len(seen) == 7:
                raise KeyboardInterrupt

        return on_outcome

    config = make_day(tmp_path, provider="anthropic", base_url=stub.url)
    monkeypatch.setattr(engine, "progress_counter", interrupting)
    first = invoke(*run_args(config))
    assert first.exit_code == 130 and "interrupted" in first.output
    for _ in range(1000):  # requests in flight finish in their threads and store their answers
        if not any(t.name.startswith("llm") for t in threading.enumerate()):
            break
        time.sleep(0.01)
    with sqlite3.connect(tmp_path / "cache.sqlite3") as db:
        kept = db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
    sent_before = len(stub.message_requests())
    # 28 stage answers: 25 chunk-stage answers (5 bundled requests), 1 session reduce, 1 project (alpha;
    # beta is built from its facts), 1 overview
    assert 7 <= kept < 28 and sent_before <= kept
    monkeypatch.setattr(engine, "progress_counter", real_counter)
    second = invoke(*run_args(config))
    assert second.exit_code == 0, second.output
    assert 0 < len(stub.message_requests()) - sent_before <= 28 - kept  # only what was not kept
    assert report_json(tmp_path)["generation"]["cache_hits"] == kept
