"""Condensation: compact, redacted, marker-led turn text."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from daily_report.schemas.transcript import Session, ToolCall, Turn
from daily_report.text.condense import CondensedTurn, clean_text, condense_session, cut_tokens, format_call
from daily_report.text.redact import Redactor
from daily_report.text.tokens import count_tokens

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _session(turns: list[Turn], agent: str = "claude_code") -> Session:
    return Session(id="s1", agent=agent, device="laptop", project="proj", turns=turns)  # type: ignore[arg-type]


def _tool(index: int, call: ToolCall, ts: datetime | None = None) -> Turn:
    return Turn(index=index, role="tool", tool=call, timestamp=ts)


def _one(turn: Turn, **kw: object) -> CondensedTurn:
    out = condense_session(_session([turn]), redactor=Redactor(), **kw)  # type: ignore[arg-type]
    assert len(out) == 1
    return out[0]


def test_human_prompt_verbatim_without_reminders_and_ansi() -> None:
    text = "Fix the flaky test in tests/test_io.py\n<system-reminder>todo list empty</system-reminder>\x1b[2mnow\x1b[0m"
    c = _one(Turn(index=3, role="human", text=text))
    assert c.text.startswith("[t3] USER: Fix the flaky test in tests/test_io.py")
    assert "system-reminder" not in c.text and "todo list" not in c.text
    assert "\x1b" not in c.text and "now" in c.text
    assert c.index == 3 and c.role == "human"
    assert c.tokens == count_tokens(c.text)


def test_assistant_text_kept_and_empty_turns_dropped() -> None:
    out = condense_session(
        _session(
            [
                Turn(index=0, role="assistant", text="The cause is a stale lock file."),
                Turn(index=1, role="assistant"),
            ]
        ),
        redactor=Redactor(),
    )
    assert [c.text for c in out] == ["[t0] AI: The cause is a stale lock file."]


def test_failed_bash_keeps_head_tail_exit_code_and_error_flag() -> None:
    result = "\n".join(f"FAILED tests/test_{i}.py::test_x - AssertionError" for i in range(200))
    call = ToolCall(
        name="Bash", arguments={"command": "pytest -x tests/"}, result=result, is_error=True, exit_code=1
    )
    c = _one(_tool(14, call))
    first = c.text.splitlines()[0]
    assert first.startswith('[t14] TOOL Bash(cmd="pytest -x tests/") → ERROR exit 1')
    assert "test_0.py" in c.text and "test_199.py" in c.text
    assert "lines cut" in c.text
    assert "test_100.py" not in c.text


def test_errors_keep_more_than_successes() -> None:
    result = "\n".join(f"line {i}" for i in range(400))
    ok = _one(_tool(0, ToolCall(name="Bash", arguments={"command": "make"}, result=result, exit_code=0)))
    bad = _one(_tool(0, ToolCall(name="Bash", arguments={"command": "make"}, result=result, exit_code=2)))
    assert bad.tokens > ok.tokens
    assert "exit 2" in bad.text and "exit" not in ok.text.split("→")[1]


def test_read_and_edit_results_dropped_when_ok() -> None:
    read = _one(
        _tool(
            1, ToolCall(name="Read", arguments={"file_path": "/src/app.py", "offset": 40}, result="x\n" * 900)
        )
    )
    assert read.text == "[t1] TOOL Read(/src/app.py, from line 40)"
    edit = ToolCall(
        name="Edit",
        arguments={"file_path": "a.py", "old_string": "a\nb", "new_string": "c\nd\ne"},
        result="ok",
    )
    assert _one(_tool(2, edit)).text == "[t2] TOOL Edit(a.py, -2/+3 lines)"
    failed = ToolCall(
        name="Edit", arguments={"file_path": "a.py"}, result="String to replace not found", is_error=True
    )
    assert "String to replace not found" in _one(_tool(3, failed)).text


def test_tool_argument_summaries() -> None:
    assert (
        format_call(ToolCall(name="Write", arguments={"file_path": "n.md", "content": "a\nb\nc"}))
        == "Write(n.md, 3 lines)"
    )
    grep = format_call(ToolCall(name="Grep", arguments={"pattern": "TODO", "path": "src", "glob": "*.py"}))
    assert grep == 'Grep(pattern="TODO", path="src", glob="*.py")'
    task = format_call(
        ToolCall(
            name="Task",
            arguments={"description": "find callers", "prompt": "Search", "subagent_type": "Explore"},
        )
    )
    assert task.startswith('Task(Explore: "find callers"')
    shell = format_call(
        ToolCall(name="shell", arguments={"command": ["bash", "-lc", "cargo test"], "workdir": "/r"})
    )
    assert shell == 'shell(cmd="cargo test")'
    assert (
        format_call(ToolCall(name="exec_command", arguments={"cmd": "ls -la"}))
        == 'exec_command(cmd="ls -la")'
    )
    patch = "*** Begin Patch\n*** Update File: src/a.rs\n@@\n-old\n+new\n+more\n*** Add File: b.rs\n+x\n*** End Patch"
    assert (
        format_call(ToolCall(name="apply_patch", arguments=patch))
        == "apply_patch(update src/a.rs, add b.rs; +3/-1 lines)"
    )
    unknown = format_call(
        ToolCall(name="mcp__db__query", arguments={"sql": "select 1", "rows": list(range(500))})
    )
    assert unknown.startswith('mcp__db__query({"sql":"select 1"') and len(unknown) < 260


def test_long_command_is_capped_on_one_line() -> None:
    cmd = "cat <<'EOF' > big.txt\n" + "word " * 400 + "\nEOF"
    line = format_call(ToolCall(name="Bash", arguments={"command": cmd}))
    assert "\n" not in line and "chars)" in line and len(line) < 400


def test_codex_exec_header_gives_exit_code() -> None:
    result = "Chunk ID: 7\nWall time: 0.2 seconds\nProcess exited with code 2\nOriginal token count: 9\nOutput:\nls: no such file"
    c = _one(_tool(5, ToolCall(name="exec_command", arguments={"cmd": "ls nope"}, result=result)))
    assert c.text == '[t5] TOOL exec_command(cmd="ls nope") → exit 2: ls: no such file'


def test_subagent_folded_under_its_call_and_condensed_harder() -> None:
    sub = [
        Turn(index=0, role="human", text="Search the repo for the config loader"),
        Turn(index=1, role="thinking", text="I should grep"),
        _tool(2, ToolCall(name="Grep", arguments={"pattern": "load_config"}, result="a.py\nb.py\nc.py")),
        _tool(
            3,
            ToolCall(name="Bash", arguments={"command": "false"}, result="boom", is_error=True, exit_code=1),
        ),
        Turn(index=4, role="assistant", text="It lives in a.py. " * 100),
    ]
    call = ToolCall(
        name="Task",
        arguments={"description": "find loader", "prompt": "Search"},
        result="Loader is in a.py",
        subagent_turns=sub,
    )
    c = _one(_tool(8, call))
    lines = c.text.splitlines()
    assert lines[0].startswith("[t8] TOOL Task(") and "Loader is in a.py" in lines[0]
    assert '  ↳ Grep(pattern="load_config")' in lines
    assert any(line.startswith("  ↳ Bash(") and "exit 1" in line for line in lines)
    assert "I should grep" not in c.text and "b.py" not in c.text
    ai = next(line for line in lines if line.startswith("  ↳ AI:"))
    assert len(ai) < 420


def test_thinking_shortened_summary_and_events_kept() -> None:
    turns = [
        Turn(index=0, role="thinking", text="Hypothesis: the cache key ignores the model. " * 50),
        Turn(index=1, role="summary", text="This session is being continued. Summary: fixed the parser."),
        Turn(index=2, role="event", text="[Request interrupted by user for tool use]"),
    ]
    out = condense_session(_session(turns), redactor=Redactor())
    assert out[0].text.startswith("[t0] THINK: Hypothesis: the cache key ignores the model.")
    assert out[0].tokens < 100 and out[0].text.endswith("…")
    assert (
        out[1].text
        == "[t1] SUMMARY (context compacted): This session is being continued. Summary: fixed the parser."
    )
    assert out[2].text == "[t2] EVENT: [Request interrupted by user for tool use]"


def test_images_and_base64_become_placeholders() -> None:
    blob = "iVBORw0KGgo" + "A" * 5000
    turns = [
        Turn(index=0, role="human", text=f"see data:image/png;base64,{blob} here", images=1),
        _tool(1, ToolCall(name="Bash", arguments={"command": "cat x.b64"}, result=f"{blob}\nend")),
    ]
    out = condense_session(_session(turns), redactor=Redactor())
    assert "AAAAAAAAAA" not in out[0].text and "[image png" in out[0].text and "[1 image]" in out[0].text
    assert "AAAAAAAAAA" not in out[1].text and "[base64" in out[1].text


def test_everything_is_redacted() -> None:
    key = "sk-ant-api03-" + "Q" * 90
    turns = [
        Turn(index=0, role="human", text=f"use {key}"),
        _tool(1, ToolCall(name="Bash", arguments={"command": f"export ANTHROPIC_API_KEY={key}"}, result=key)),
        _tool(
            2,
            ToolCall(
                name="Task",
                arguments={"description": "d"},
                subagent_turns=[Turn(index=0, role="assistant", text=key)],
            ),
        ),
    ]
    redactor = Redactor()
    out = condense_session(_session(turns), redactor=redactor)
    joined = "\n".join(c.text for c in out)
    assert "QQQQQQQQ" not in joined
    assert joined.count("[REDACTED:anthropic-key#1]") == 4
    assert redactor.counts["anthropic-key"] == 4


def test_max_turn_tokens_cuts_with_marker() -> None:
    c = _one(Turn(index=0, role="human", text="alpha beta gamma delta " * 2000), max_turn_tokens=300)
    assert c.tokens <= 300
    assert "turn cut:" in c.text and "tokens omitted" in c.text


def test_time_hints_on_first_turn_and_after_gaps() -> None:
    turns = [
        Turn(index=0, role="human", text="start", timestamp=T0),
        Turn(index=1, role="assistant", text="ok", timestamp=T0 + timedelta(minutes=5)),
        Turn(index=2, role="human", text="back", timestamp=T0 + timedelta(hours=2, minutes=15)),
    ]
    turns += [
        Turn(index=3, role="assistant", text="on it", timestamp=T0 + timedelta(hours=2, minutes=16)),
        Turn(index=4, role="assistant", text="done", timestamp=T0 + timedelta(hours=2, minutes=27)),
        Turn(index=5, role="human", text="next", timestamp=T0 + timedelta(hours=2, minutes=29)),
        Turn(index=6, role="assistant", text="ok", timestamp=T0 + timedelta(hours=2, minutes=38)),
    ]
    out = condense_session(_session(turns), redactor=Redactor(), zone=ZoneInfo("Europe/Berlin"))
    assert out[0].text == "[t0] (10:00) USER: start"
    assert out[1].text == "[t1] AI: ok"
    assert out[2].text == "[t2] (+2h10m 12:15) USER: back"
    assert out[2].timestamp == T0 + timedelta(hours=2, minutes=15)
    assert out[3].text == "[t3] AI: on it"
    assert out[4].text == "[t4] (+11m 12:27) AI: done"  # a gap of 10 minutes or more, on any turn
    assert out[5].text == "[t5] (12:29) USER: next"  # every human turn carries its time
    assert out[6].text == "[t6] AI: ok"  # 9 minutes: no hint


def test_clean_text_and_cut_tokens_helpers() -> None:
    assert clean_text("  a\x1b[31mred\x1b[0m  ") == "ared"
    text = "word " * 1000
    cut = cut_tokens(text, 50)
    assert count_tokens(cut) <= 50 and "tokens omitted" in cut
    assert cut_tokens("short", 50) == "short"


def test_codex_running_process_and_write_stdin() -> None:
    started = "Chunk ID: a2\nWall time: 1.0 seconds\nProcess running with session ID 48230\nOriginal token count: 0\nOutput:\n"
    c = _one(_tool(1, ToolCall(name="exec_command", arguments={"cmd": "npm test"}, result=started)))
    assert c.text == '[t1] TOOL exec_command(cmd="npm test") → running as session 48230'
    poll = ToolCall(
        name="write_stdin",
        arguments={"session_id": 48230, "chars": "", "yield_time_ms": 1000},
        result="3 passed",
    )
    assert _one(_tool(2, poll)).text == "[t2] TOOL write_stdin(session 48230) → 3 passed"
    ctrl_c = ToolCall(name="write_stdin", arguments={"session_id": 7, "chars": "\u0003"})
    assert format_call(ctrl_c) == 'write_stdin(session 7, chars="\\u0003")'


def test_subagent_final_reply_not_repeated_and_trailer_stripped() -> None:
    report = "## Report\n" + "The loader reads config.toml first, then the env. " * 5
    result = f"{report}\nagentId: a2898e3 (for resuming)\n<usage>total_tokens: 76365\ntool_uses: 33</usage>"
    sub = [Turn(index=0, role="assistant", text="Looking."), Turn(index=1, role="assistant", text=report)]
    call = ToolCall(name="Agent", arguments={"description": "d"}, result=result, subagent_turns=sub)
    c = _one(_tool(4, call))
    assert c.text.count("The loader reads config.toml first") == 5  # once, from the result
    assert "agentId" not in c.text and "total_tokens" not in c.text
    assert "  ↳ AI: Looking." in c.text.splitlines()


def _sample_sessions(samples: Path) -> list[Session]:
    from daily_report.schemas.config import Config, DeviceConfig
    from daily_report.sources.discovery import discover
    from daily_report.sources.reader import read_sessions

    device = DeviceConfig(name="samples", claude=[samples / "claude-code"], codex=[samples / "codex"])
    return read_sessions(discover(Config(devices={"samples": device})).files).sessions


def test_samples_condense_under_15_percent_with_markers_and_no_base64(samples: Path) -> None:
    sessions = _sample_sessions(samples)
    assert len(sessions) >= 10
    raw = condensed = 0
    for s in sessions:
        turns = condense_session(s, redactor=Redactor())
        raw += sum(count_tokens(Path(f).read_bytes().decode("utf-8", "replace")) for f in s.files)
        condensed += sum(t.tokens for t in turns)
        for t in turns:
            assert t.text.startswith(f"[t{t.index}]")
            assert t.tokens <= 6000
            assert not re.search(r"[A-Za-z0-9+/]{300,}", t.text)
            assert "<system-reminder>" not in t.text and "\x1b[" not in t.text
        assert [t.index for t in turns] == sorted({t.index for t in turns})
    assert condensed / raw <= 0.15


def test_no_cut_splits_a_secret() -> None:
    key = "sk-ant-api03-" + "K7" * 45
    line = "x" * 160 + key + "y" * 2000  # the line cap would cut through the key
    cmd = "echo " + "z" * 270 + f" {key}"  # the argument cap (300 chars) would cut through the key
    turns = [
        _tool(0, ToolCall(name="Bash", arguments={"command": cmd}, result=line, exit_code=0)),
        Turn(index=1, role="thinking", text="w " * 70 + key),  # the thinking cap would cut through the key
    ]
    out = condense_session(_session(turns), redactor=Redactor())
    joined = "\n".join(c.text for c in out)
    assert "K7K7" not in joined
    assert "[REDACTED:anthropic-key" in joined


def test_claude_exit_code_line_becomes_the_flag() -> None:
    call = ToolCall(
        name="Bash",
        arguments={"command": "sbatch x"},
        result="Exit code 1\nsbatch: error: Invalid account",
        is_error=True,
    )
    assert (
        _one(_tool(6, call)).text
        == '[t6] TOOL Bash(cmd="sbatch x") → ERROR exit 1: sbatch: error: Invalid account'
    )


def test_naive_and_aware_timestamps_mix_without_error() -> None:
    turns = [
        Turn(index=0, role="human", text="a", timestamp=datetime(2026, 11, 20, 9, 0)),
        Turn(index=1, role="human", text="b", timestamp=T0 + timedelta(hours=1)),
    ]
    out = condense_session(_session(turns), redactor=Redactor())
    assert [c.text for c in out] == ["[t0] (09:00) USER: a", "[t1] (+1h00m 10:00) USER: b"]


def test_a_prompt_that_mentions_the_reminder_tag_is_kept_whole() -> None:
    text = "Strip any leftover `<system-reminder>` tags in condense.py, then run the tests and report."
    assert _one(Turn(index=0, role="human", text=text)).text == f"[t0] USER: {text}"


def test_todo_and_plan_updates_show_their_steps() -> None:
    todos = [
        {"content": "Write tests", "status": "completed"},
        {"content": "Fix parser", "status": "in_progress"},
    ]
    assert (
        format_call(ToolCall(name="TodoWrite", arguments={"todos": todos}))
        == "TodoWrite(✓ Write tests; → Fix parser)"
    )
    plan = [{"step": "Reproduce", "status": "completed"}, {"step": "Patch", "status": "pending"}]
    assert (
        format_call(ToolCall(name="update_plan", arguments={"plan": plan}))
        == "update_plan(✓ Reproduce; ○ Patch)"
    )
