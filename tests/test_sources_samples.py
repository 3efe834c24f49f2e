"""The readers on the real public transcripts in fixtures/samples (reference figures from SOURCES.md)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from daily_report.schemas.config import Config, DeviceConfig
from daily_report.schemas.transcript import Session, UsageEvent
from daily_report.sources.discovery import discover
from daily_report.sources.files import SourceFile
from daily_report.sources.reader import read_file_usage, read_sessions


def _config(samples: Path) -> Config:
    return Config(
        devices={"s": DeviceConfig(name="s", claude=[samples / "claude-code"], codex=[samples / "codex"])}
    )


@pytest.fixture(scope="module")
def files() -> list[SourceFile]:
    from tests.conftest import SAMPLES

    assert SAMPLES.is_dir(), f"sample transcripts missing at {SAMPLES}"
    return discover(_config(SAMPLES)).files


@pytest.fixture(scope="module")
def sessions(files: list[SourceFile]) -> dict[str, Session]:
    return {s.id[:8]: s for s in read_sessions(files).sessions}


def _file(files: list[SourceFile], prefix: str) -> SourceFile:
    return next(f for f in files if f.path.name.startswith(prefix))


def _max_per_key(events: list[UsageEvent]) -> dict[str, list[int]]:
    """The simple per-key max dedup the usage engine does; totals per model."""
    best: dict[str, UsageEvent] = {}
    for ev in events:
        key = ev.dedup_key or ""
        if key not in best or ev.line_total >= best[key].line_total:
            best[key] = ev
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for ev in best.values():
        row = out[ev.model]
        for i, v in enumerate(
            (ev.input_tokens, ev.output_tokens, ev.cache_write_tokens, ev.cache_read_tokens, 1)
        ):
            row[i] += v
    return dict(out)


def test_claude_main_file_totals_match_reference(files: list[SourceFile]) -> None:
    usage = read_file_usage(_file(files, "4d5611e5"))
    assert len(usage.events) == 254  # one event per top-level assistant line, progress copies excluded
    assert _max_per_key(usage.events) == {"claude-opus-4-6": [177, 28_755, 479_537, 11_618_567, 139]}


def test_claude_model_switch_totals(files: list[SourceFile]) -> None:
    usage = read_file_usage(_file(files, "ae4a77f8"))
    totals = _max_per_key(usage.events)
    assert totals["claude-opus-4-6"] == [92, 19_588, 95_336, 5_620_167, 84]
    assert totals["claude-haiku-4-5-20251001"] == [150, 29_879, 141_785, 10_933_461, 133]


def test_claude_without_request_id_falls_back_to_message_id(files: list[SourceFile]) -> None:
    usage = read_file_usage(_file(files, "9eda1058"))
    assert all(ev.dedup_key and ":" not in ev.dedup_key for ev in usage.events)
    assert _max_per_key(usage.events) == {"claude-sonnet-4-5-20250929": [47, 4_509, 147_267, 22_912, 5]}


def test_subagent_usage_goes_to_parent_session(files: list[SourceFile]) -> None:
    usage = read_file_usage(_file(files, "agent-a2898e3"))
    assert usage.is_subagent and usage.session_id == "4d5611e5-241a-462a-8d15-5122611a9569"
    assert all(ev.is_sidechain and ev.session_id == usage.session_id for ev in usage.events)
    assert (
        _max_per_key(usage.events)["claude-sonnet-4-5-20250929"][1] == 136
    )  # placeholder outputs: lower bound


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("rollout-2026-05-11", (6_055_836, 4_929_536, 9_118, 1_759, 66)),
        ("rollout-2026-01-02", (22_474, 14_848, 300, 128, 3)),
        ("rollout-2026-01-25", (47_257, 44_160, 300, 64, 5)),
        ("rollout-2026-02-01", (216_978, 189_952, 2_163, 1_408, 13)),
    ],
)
def test_codex_delta_rule_matches_reference(
    files: list[SourceFile], prefix: str, expected: tuple[int, ...]
) -> None:
    usage = read_file_usage(_file(files, prefix))
    got = (
        sum(e.input_tokens for e in usage.events),
        sum(e.cached_input_tokens for e in usage.events),
        sum(e.output_tokens for e in usage.events),
        sum(e.reasoning_tokens for e in usage.events),
        len(usage.events),
    )
    assert got == expected
    assert len({e.dedup_key for e in usage.events}) == len(usage.events)
    assert not any(e.model_approximate for e in usage.events)


def test_full_reader_usage_equals_fast_path(files: list[SourceFile], sessions: dict[str, Session]) -> None:
    for f in files:
        fast = read_file_usage(f)
        session = sessions[fast.session_id[:8]]
        full = [e for e in session.usage if e.source_path == str(f.path)]
        assert [e.model_dump() for e in full] == [e.model_dump() for e in fast.events], f.path.name


def test_human_prompts_exclude_wrappers_and_summaries(sessions: dict[str, Session]) -> None:
    s = sessions["4d5611e5"]
    prompts = [t.text for t in s.human_prompts]
    assert len(prompts) == 2 and prompts[1] == "continue"
    assert prompts[0].startswith("Work on bead spotter-dov")
    assert [t.role for t in s.turns].count("summary") == 1 and s.compactions == 1
    assert any(t.role == "event" and t.text.startswith("[task notification]") for t in s.turns)
    compact = sessions["0e26ec2f"]
    assert [t.text for t in compact.human_prompts] == [
        "how are you doing"
    ]  # /clear, caveats, summary excluded
    assert [t.text for t in compact.turns if t.role == "event"] == ["[command] /clear", "[command] /compact"]


def test_tool_results_and_errors(sessions: dict[str, Session]) -> None:
    s = sessions["4d5611e5"]
    calls = [t.tool for t in s.turns if t.tool is not None]
    assert all(c.result is not None for c in calls)  # every call got its result
    errors = [c for c in calls if c.is_error]
    assert len(errors) == 5
    push = next(c for c in errors if c.exit_code == 128)
    assert push.result is not None and "no upstream branch" in push.result
    rejected = next(t.tool for t in sessions["9eda1058"].turns if t.tool and t.tool.name == "Write")
    assert rejected.is_error and rejected.result is not None and "doesn't want to proceed" in rejected.result
    assert sessions["9eda1058"].interruptions == 1


def test_subagent_file_folded_under_task_call(sessions: dict[str, Session]) -> None:
    s = sessions["4d5611e5"]
    task = next(t.tool for t in s.turns if t.tool and t.tool.name == "Task")
    assert task.subagent_id == "a2898e3"
    assert len(task.subagent_turns) > 10 and all(t.is_sidechain for t in task.subagent_turns)
    assert "claude-sonnet-4-5-20250929" in s.models
    assert not any(t.is_sidechain for t in s.turns)


def test_inline_sidechain_folded(sessions: dict[str, Session]) -> None:
    s = sessions["609efeca"]
    task = next(t.tool for t in s.turns if t.tool and t.tool.name == "Task")
    roles = [(t.role, t.is_sidechain) for t in task.subagent_turns]
    assert roles == [("human", True), ("assistant", True)]
    assert [t.text for t in s.human_prompts] == ["ask a subagent how he's doing"]
    assert s.title is None  # the summary line's leafUuid points into another file


def test_base64_image_becomes_placeholder(sessions: dict[str, Session]) -> None:
    s = sessions["794b4c5f"]
    shot = next(t.tool for t in s.turns if t.tool and t.tool.name.endswith("take_screenshot"))
    assert shot.result is not None and "[image png 304KB]" in shot.result
    assert len(s.model_dump_json()) < 60_000  # the 831 KB line left no data behind
    codex = sessions["019c16bd"]
    first = codex.human_prompts[0]
    assert first.images == 1 and "[image png 46KB]" in first.text and "base64" not in codex.model_dump_json()


def test_codex_prompts_and_deduplicated_messages(sessions: dict[str, Session]) -> None:
    s = sessions["019e1625"]
    assert s.human_prompts[0].text == "show tools"
    assert len(s.human_prompts) == 2  # AGENTS.md / environment injections are not prompts
    texts = [t.text for t in s.turns if t.role == "assistant"]
    assert len(texts) == len(set(texts)) == 13  # event_msg and response_item copies shown once
    assert s.project == "codemie-code" and s.branch == "feat/codex-agent-plugin" and s.version == "0.125.0"
    calls = [t.tool for t in s.turns if t.tool]
    assert len(calls) == 99 + 3 + 3 and all(c.result is not None for c in calls if c.name != "web_search")
