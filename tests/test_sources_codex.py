"""The Codex reader on hand-made rollouts (tests/data/sources/codex): forks, legacy shapes, .zst."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import zstandard
from daily_report.schemas.config import Config, DeviceConfig
from daily_report.schemas.transcript import Session
from daily_report.sources.discovery import discover
from daily_report.sources.files import SourceFile
from daily_report.sources.reader import read_file_usage, read_sessions

DATA = Path(__file__).parent / "data" / "sources" / "codex"
FORK = "019c0000-0000-7000-8000-00000000c41d"
EARLY = "019c0000-0000-7000-8000-0000000ea41e"


def _files(root: Path) -> list[SourceFile]:
    return discover(Config(devices={"d": DeviceConfig(name="d", codex=[root])})).files


@pytest.fixture(scope="module")
def sessions() -> dict[str, Session]:
    return {s.id: s for s in read_sessions(_files(DATA)).sessions}


def _usage(name_part: str) -> list[tuple[int, int, int, int]]:
    f = next(f for f in _files(DATA) if name_part in f.path.name)
    return [
        (e.input_tokens, e.cached_input_tokens, e.output_tokens, e.reasoning_tokens)
        for e in read_file_usage(f).events
    ]


def test_fork_counts_only_above_the_replayed_prefix() -> None:
    # prefix ends at 1500/600/70/15; then +1000/500/30/10, a re-emit, then a counter reset (last usage)
    assert _usage(FORK) == [(1000, 500, 30, 10), (300, 100, 20, 5)]


def test_fork_session_drops_replayed_turns(sessions: dict[str, Session]) -> None:
    s = sessions[FORK]
    assert s.parent_session_id == "019c0000-0000-7000-8000-0000000a4e47"
    assert [t.text for t in s.human_prompts] == ["child prompt: fix the tests"]
    assert str(s.start) == "2026-03-10 10:00:05+00:00"
    assert s.models == ["gpt-5.3-codex"] and all(e.model == "gpt-5.3-codex" for e in s.usage)
    assert s.cwds == ["/work/forky", "/work/forky/sub"] and s.branch == "feature/x"
    shell, patch, search = (t.tool for t in s.turns if t.tool)
    assert (shell.name, shell.exit_code, shell.is_error) == ("shell", 2, True)
    assert shell.arguments == {"command": ["pytest"]}
    assert (patch.name, patch.exit_code, patch.is_error) == ("apply_patch", 0, False)  # output arrived first
    assert patch.result == "Success. Updated the following files:\nM a.py"
    assert search.name == "web_search"
    assert [t.text for t in s.turns if t.role == "assistant"] == ["Tests fixed."]
    roles = [t.role for t in s.turns]
    assert roles[-3:] == ["summary", "event", "event"] and s.compactions == 1 and s.interruptions == 1
    assert s.skipped[0].unknown_types == {"world_state": 1}


def test_token_count_before_turn_context_is_approximate() -> None:
    f = next(f for f in _files(DATA) if EARLY in f.path.name)
    events = read_file_usage(f).events
    assert [(e.model, e.model_approximate) for e in events] == [("gpt-5", True), ("gpt-5-codex", False)]
    assert events[1].input_tokens == 150 and events[1].output_tokens == 20


def test_legacy_shapes(sessions: dict[str, Session]) -> None:
    legacy = sessions["0197aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee"]
    assert [t.role for t in legacy.turns] == ["human", "tool", "assistant"]
    assert legacy.human_prompts[0].text == "list the files" and legacy.project == "legacy"
    tool = legacy.turns[1].tool
    assert tool is not None and tool.exit_code == 1 and tool.is_error and tool.result == "ls: cannot access"
    assert legacy.usage == [] and legacy.branch == "old"
    old_json = sessions["0196bbbb-0000-4000-8000-000000000000"]
    assert [(t.role, t.text) for t in old_json.turns] == [
        ("human", "write a haiku"),
        ("assistant", "Silent code compiles"),
    ]


def test_zst_rollout_read_and_plain_sibling_wins(tmp_path: Path) -> None:
    day = tmp_path / "sessions" / "2026" / "03" / "10"
    day.mkdir(parents=True)
    src = next(DATA.rglob(f"*{FORK}.jsonl"))
    (day / (src.name + ".zst")).write_bytes(zstandard.ZstdCompressor().compress(src.read_bytes()))
    (files,) = [_files(tmp_path)]
    assert [f.path.name for f in files] == [src.name + ".zst"]
    assert [(e.input_tokens, e.output_tokens) for e in read_file_usage(files[0]).events] == [
        (1000, 30),
        (300, 20),
    ]
    shutil.copy(src, day / src.name)
    assert [f.path.name for f in _files(tmp_path)] == [src.name]


def test_cut_short_zst_keeps_what_decoded(tmp_path: Path) -> None:
    day = tmp_path / "sessions"
    day.mkdir()
    big = b"".join(
        b'{"timestamp":"2026-03-10T10:00:%02dZ","type":"event_msg","payload":{"type":"agent_message","message":"m%d"}}\n'
        % (i % 60, i)
        for i in range(20_000)
    )
    packed = zstandard.ZstdCompressor().compress(big)
    (day / "rollout-2026-03-10T10-00-00-019c0000-0000-7000-8000-000000000abc.jsonl.zst").write_bytes(
        packed[: len(packed) // 2]
    )
    (s,) = read_sessions(_files(tmp_path)).sessions
    assert 0 < len(s.turns) < 20_000
    assert s.skipped[0].unreadable == "truncated zstd stream: read what decoded"
    assert "truncated zstd" in (s.skipped[0].first_error or "")


def test_archived_copy_loses_to_active(tmp_path: Path) -> None:
    src = next(DATA.rglob(f"*{EARLY}.jsonl"))
    (tmp_path / "sessions").mkdir()
    (tmp_path / "archived_sessions").mkdir()
    shutil.copy(src, tmp_path / "sessions" / src.name)
    shutil.copy(src, tmp_path / "archived_sessions" / src.name)
    other = (
        tmp_path
        / "archived_sessions"
        / "rollout-2025-01-01T00-00-00-019c0000-0000-7000-8000-000000000001.jsonl"
    )
    shutil.copy(src, other)
    paths = [f.path.relative_to(tmp_path).parts[0] for f in _files(tmp_path)]
    assert paths == ["sessions", "archived_sessions"]
