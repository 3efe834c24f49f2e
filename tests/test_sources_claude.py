"""The Claude Code reader on hand-made transcripts (tests/data/sources/claude) and edge cases."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pytest
from daily_report.schemas.config import Config, DeviceConfig
from daily_report.schemas.transcript import Session
from daily_report.sources.claude.content import classify_text
from daily_report.sources.discovery import discover
from daily_report.sources.reader import read_file_usage, read_sessions

DATA = Path(__file__).parent / "data" / "sources" / "claude"
SID = "11111111-2222-3333-4444-555555555555"


def _read(*roots: tuple[str, Path]) -> list[Session]:
    cfg = Config(devices={name: DeviceConfig(name=name, claude=[root]) for name, root in roots})
    return read_sessions(discover(cfg).files).sessions


@pytest.fixture(scope="module")
def session() -> Session:
    (s,) = _read(("dev", DATA))
    return s


def test_usage_lines_synthetic_and_progress_excluded() -> None:
    cfg = Config(devices={"dev": DeviceConfig(name="dev", claude=[DATA])})
    main = next(f for f in discover(cfg).files if f.kind == "main")
    usage = read_file_usage(main)
    assert [e.dedup_key for e in usage.events] == ["msg_1:req_1"] * 3 + ["msg_2", "msg_3:req_3"]
    assert {e.model for e in usage.events} == {"claude-opus-4-6", "claude-haiku-4-5-20251001"}
    first = usage.events[0]
    assert (first.cache_write_5m_tokens, first.cache_write_1h_tokens, first.cache_read_tokens) == (
        100,
        1000,
        5000,
    )
    assert max(e.output_tokens for e in usage.events) == 250  # the final streaming snapshot is kept as a line
    # the fast path parses only lines that could carry usage, judges the others by their shape: it finds
    # the two malformed lines the full reader finds, and the truncated tail
    assert usage.skipped.malformed == 2 and usage.skipped.truncated_tail
    assert str(usage.start) == "2026-03-10 08:00:00+00:00" and str(usage.end) == "2026-03-10 23:59:59+00:00"


def test_fast_path_counts_broken_usage_lines(tmp_path: Path) -> None:
    proj = tmp_path / "projects" / "-p"
    proj.mkdir(parents=True)
    good = {
        "type": "assistant",
        "sessionId": "s",
        "timestamp": "2026-01-01T00:00:00Z",
        "message": {"id": "m1", "model": "claude-opus-4-6", "usage": {"input_tokens": 5, "output_tokens": 7}},
    }
    body = orjson.dumps(good) + b"\n" + b'{"type":"assistant","message":{"usage":{"input_tokens":\n'
    body += b'["type","assistant","usage"]\n' + orjson.dumps(good).replace(b'"m1"', b'"m2"')
    (proj / "s.jsonl").write_bytes(body)  # the last line has no newline but is whole: it counts
    (f,) = discover(Config(devices={"d": DeviceConfig(name="d", claude=[tmp_path])})).files
    usage = read_file_usage(f)
    assert [e.dedup_key for e in usage.events] == ["m1", "m2"]
    # line 2 is parsed (it could carry usage), line 3 is judged by its shape only (not an object line)
    assert usage.skipped.malformed == 2 and not usage.skipped.truncated_tail
    assert usage.skipped.first_error == f"line 2 of {f.path} is not JSON"


def test_fast_path_same_across_block_boundaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = Config(devices={"dev": DeviceConfig(name="dev", claude=[DATA])})
    main = next(f for f in discover(cfg).files if f.kind == "main")
    whole = read_file_usage(main)
    monkeypatch.setattr("daily_report.sources.jsonl.BLOCK_SIZE", 700)  # lines span several small blocks
    split = read_file_usage(main)
    assert split.model_dump() == whole.model_dump()
    broken = tmp_path / "projects" / "-p" / "s.jsonl"
    broken.parent.mkdir(parents=True)
    broken.write_bytes(main.path.read_bytes().replace(b'"id":"msg_3"', b'"id":msg_3"'))
    (f,) = discover(Config(devices={"d": DeviceConfig(name="d", claude=[tmp_path])})).files
    assert read_file_usage(f).skipped.first_error == f"line 17 of {f.path} is not JSON"


def test_full_reader_counts_every_bad_line(session: Session) -> None:
    (skipped,) = [s for s in session.skipped if s.path.endswith(f"{SID}.jsonl")]
    assert skipped.malformed == 2 and skipped.truncated_tail
    assert skipped.first_error is not None and "line 22 of" in skipped.first_error


def test_human_prompts_and_events(session: Session) -> None:
    assert [t.text for t in session.human_prompts] == [
        "Fix the failing build please",  # system-reminder stripped, isMeta caveat dropped
        "What is in this screenshot?\n[image png 3KB]",
        "one more thing before midnight",
    ]
    events = [t.text for t in session.turns if t.role == "event"]
    assert events == [
        "API Error: 429 rate limited",
        'API error (retry 1): {"status":529}',
        "[Request interrupted by user]",
        "[command] /model haiku",
        "[task notification] t1 completed",
    ]
    assert (session.api_errors, session.interruptions, session.compactions) == (2, 1, 0)
    assert "<synthetic>" not in session.models
    assert session.models == ["claude-opus-4-6", "claude-haiku-4-5-20251001"]


def test_tool_results_matched_even_out_of_order(session: Session) -> None:
    calls = [t.tool for t in session.turns if t.tool is not None]
    make, make_all, task = calls
    assert make.is_error and make.result == "make: *** No rule to make target"  # <tool_use_error> unwrapped
    assert make_all.result == "build ok" and not make_all.is_error  # result line came before the tool_use
    assert (
        make_all.result_timestamp is not None
        and str(make_all.result_timestamp) == "2026-03-10 08:00:10+00:00"
    )
    assert task.subagent_id == "b0b0b0"
    assert [(t.role, t.text) for t in task.subagent_turns] == [
        ("human", "Look around"),
        ("assistant", "Found 3 files"),
    ]


def test_session_facts(session: Session) -> None:
    assert session.id == SID and session.project == "demo" and session.cwd == "/work/demo"
    assert session.branch == "main" and session.version == "2.1.39"
    assert session.title == "Fix the build"  # the summary line points into another session: ignored
    assert (
        len(session.files) == 2
        and session.skipped
        and session.skipped[0].unknown_types == {"weird-new-type": 1}
    )
    assert [t.index for t in session.turns] == list(range(len(session.turns)))
    sub_usage = [e for e in session.usage if e.is_sidechain]
    assert len(sub_usage) == 1 and sub_usage[0].session_id == SID


def test_same_session_on_two_devices_kept_on_first(tmp_path: Path) -> None:
    copy = tmp_path / "laptop" / ".claude"
    shutil.copytree(DATA, copy)
    sessions = _read(("laptop", copy), ("desktop", DATA))
    assert [(s.device, s.id) for s in sessions] == [("laptop", SID)]
    assert sessions[0].user == "laptop"


def test_resumed_copy_leaves_old_lines_to_the_original(tmp_path: Path) -> None:
    proj = tmp_path / "projects" / "-p"
    proj.mkdir(parents=True)

    def line(uuid: str, sid: str, ts: str, text: str) -> bytes:
        rec = {
            "type": "user",
            "uuid": uuid,
            "sessionId": sid,
            "timestamp": ts,
            "cwd": "/p",
            "message": {"role": "user", "content": text},
        }
        return orjson.dumps(rec) + b"\n"

    old = line("u1", "zz-old", "2026-03-09T10:00:00Z", "first day work")
    (proj / "zz-old.jsonl").write_bytes(old)
    # the resumed session (its name sorts first) copies the old line with its uuid, then goes on
    (proj / "aa-new.jsonl").write_bytes(old + line("u2", "aa-new", "2026-03-10T09:00:00Z", "second day work"))
    sessions = {s.id: s for s in _read(("d", tmp_path))}
    assert [t.text for t in sessions["zz-old"].turns] == ["first day work"]
    assert [t.text for t in sessions["aa-new"].turns] == ["second day work"]
    assert str(sessions["aa-new"].start) == "2026-03-10 09:00:00+00:00"
    assert list(sessions) == ["aa-new", "zz-old"]  # output keeps discovery order


def test_new_layout_subagent_matched_by_meta_json(tmp_path: Path) -> None:
    proj = tmp_path / "projects" / "-p"
    sub = proj / "s1" / "subagents"
    sub.mkdir(parents=True)
    base = {"sessionId": "s1", "cwd": "/p", "timestamp": "2026-03-10T10:00:00Z"}
    spilled = "<persisted-output>Output too large (120KB). Preview:\nline 1\nline 2\n</persisted-output>"
    main = [
        {
            **base,
            "type": "assistant",
            "uuid": "a1",
            "message": {
                "id": "m1",
                "model": "claude-opus-4-6",
                "content": [
                    {"type": "tool_use", "id": "toolu_A", "name": "Agent", "input": {"prompt": "dig"}},
                ],
                "usage": {"input_tokens": 1, "output_tokens": 2},
            },
        },
        {
            **base,
            "type": "assistant",
            "uuid": "a2",
            "message": {
                "id": "m2",
                "model": "claude-opus-4-6",
                "content": [
                    {
                        "type": "tool_use",
                        "id": "toolu_B",
                        "name": "Bash",
                        "input": {"command": "seq 1 100000"},
                    },
                ],
                "usage": {"input_tokens": 1, "output_tokens": 2},
            },
        },
        {
            **base,
            "type": "user",
            "uuid": "u1",
            "message": {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_A", "content": "dug"},
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_B",
                        "content": [{"type": "text", "text": spilled}],
                    },
                ],
            },
        },
    ]
    (proj / "s1.jsonl").write_bytes(b"".join(orjson.dumps(x) + b"\n" for x in main))
    child = {
        **base,
        "type": "user",
        "uuid": "c1",
        "isSidechain": True,
        "message": {"role": "user", "content": "dig"},
    }
    (sub / "agent-q9.jsonl").write_bytes(orjson.dumps(child) + b"\n")
    (sub / "agent-q9.meta.json").write_bytes(
        orjson.dumps({"agentType": "general-purpose", "toolUseId": "toolu_A"})
    )
    (s,) = _read(("d", tmp_path))
    agent, bash = (t.tool for t in s.turns if t.tool)
    assert agent.subagent_id == "q9" and [t.text for t in agent.subagent_turns] == ["dig"]
    assert (
        bash.result is not None and "Preview:\nline 1\nline 2" in bash.result
    )  # the spilled preview is kept


def test_summary_title_when_leaf_in_session(tmp_path: Path) -> None:
    proj = tmp_path / "projects" / "-x"
    proj.mkdir(parents=True)
    lines = [
        {
            "type": "user",
            "uuid": "u1",
            "sessionId": "s1",
            "timestamp": "2026-01-01T00:00:00Z",
            "cwd": "/x",
            "message": {"role": "user", "content": "hi"},
        },
        {"type": "summary", "summary": "Greeting", "leafUuid": "u1"},
        {"type": "summary", "summary": "Elsewhere", "leafUuid": "zz"},
    ]
    (proj / "s1.jsonl").write_bytes(b"\n".join(orjson.dumps(x) for x in lines) + b"\n")
    (s,) = _read(("d", tmp_path))
    assert s.title == "Greeting"
    lines = [
        {"type": "custom-title", "customTitle": "Named by me", "sessionId": "s1"},
        *lines,
        {"type": "ai-title", "aiTitle": "Later AI title", "sessionId": "s1"},
        {"type": "mode", "mode": "default", "sessionId": "s1"},
    ]
    (proj / "s1.jsonl").write_bytes(b"\n".join(orjson.dumps(x) for x in lines) + b"\n")
    (s,) = _read(("d", tmp_path))
    assert s.title == "Named by me"  # a user's rename beats AI titles and summaries
    assert s.skipped == []


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("<bash-input>ls</bash-input>", "event"),
        ("<bash-stdout>a b</bash-stdout><bash-stderr></bash-stderr>", None),
        ("<local-command-stderr>oops</local-command-stderr>", None),
        ("<ide_opened_file>The user opened a.py</ide_opened_file>", None),
        ("<ide_selection>x = 1</ide_selection>explain this line", "human"),
        ("[Request interrupted by user for tool use]", "event"),
        ("plain question", "human"),
    ],
)
def test_classify_user_text(text: str, role: str | None) -> None:
    piece = classify_text(text)
    assert (piece.role if piece else None) == role
    if role == "human":
        assert "<ide_" not in piece.text  # type: ignore[union-attr]
