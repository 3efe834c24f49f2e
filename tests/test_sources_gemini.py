"""The Gemini CLI reader on the real samples in fixtures/samples/gemini (reference totals: SOURCES.md there)
and on JSONL logs built here from FORMAT.md §6 (no real JSONL sample exists)."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from daily_report.schemas.transcript import Session
from daily_report.sources.files import SourceFile
from daily_report.sources.gemini import AGENT, DISPLAY_NAME, USAGE_COLUMNS
from daily_report.sources.gemini.files import find_chat_files
from daily_report.sources.gemini.session import read_gemini_session
from daily_report.sources.gemini.usage import (
    UNKNOWN_MODEL,
    GeminiTokens,
    gemini_columns,
    price_events,
    read_gemini_usage,
    read_gemini_usage_rows,
    to_event,
)
from daily_report.sources.jsonl import has_problems
from daily_report.text.condense import condense_session
from daily_report.text.redact import Redactor
from genai_prices import data_snapshot

from tests.conftest import REPO

ROOT = REPO / "fixtures" / "samples" / "gemini"
COLUMNS = ("input", "cached", "output", "thoughts", "tool", "total")
REFERENCE = {  # SOURCES.md "Reference token totals"
    "0b23371a": (120_730, 86_702, 4_875, 1_348, 0, 126_953),
    "1f244a80": (2_456_057, 2_218_590, 6_471, 20_023, 0, 2_482_551),
    "84ae60e4": (724_212, 565_355, 2_253, 14_300, 0, 740_765),
}
PROJECTS = {
    "0b23371a": ("gemini", "/Users/yoavfarhi/dev/pomodoro/gemini", "gemini-2.5-pro"),
    "1f244a80": (
        "django_matrix_flash",
        "/home/kingb/aim_benchmarks/django_matrix_flash",
        "gemini-3-flash-preview",
    ),
    "84ae60e4": (
        "django_matrix_pro",
        "/home/kingb/aim_benchmarks/django_matrix_pro",
        "gemini-3.1-pro-preview",
    ),
}


def _short(f: SourceFile) -> str:
    return f.path.name.rsplit("-", 1)[1].split(".")[0]


@pytest.fixture(scope="module")
def samples() -> dict[str, SourceFile]:
    return {_short(f): f for f in find_chat_files(ROOT, device="laptop")}


@pytest.fixture(scope="module")
def sessions(samples: dict[str, SourceFile]) -> dict[str, Session]:
    return {k: read_gemini_session(f) for k, f in samples.items()}


def _sums(events: list[Any]) -> tuple[int, ...]:
    c: Counter[str] = Counter()
    for e in events:
        c.update(gemini_columns(e))
    return tuple(c[k] for k in COLUMNS)


# ------------------------------------------------------------------ discovery


def test_discovery_finds_the_three_chats_from_the_home_or_its_tmp() -> None:
    files = find_chat_files(ROOT, device="laptop")
    assert sorted(_short(f) for f in files) == sorted(REFERENCE)
    assert {(f.agent, f.kind, f.device) for f in files} == {(AGENT, "main", "laptop")}
    assert [f.path for f in find_chat_files(ROOT / "tmp", device="x")] == [f.path for f in files]
    assert all(f.size == f.path.stat().st_size for f in files)


def test_discovery_prefers_the_resumed_jsonl_and_lists_subagents_not_logs(tmp_path: Path) -> None:
    chats = tmp_path / "tmp" / "myproj" / "chats"
    (chats / "parent-uuid").mkdir(parents=True)
    for name in ("session-a.json", "session-a.jsonl", "session-b.json", "notes.json"):
        (chats / name).write_text("{}")
    (chats / "parent-uuid" / "sub1.jsonl").write_text("{}")
    (tmp_path / "tmp" / "myproj" / "logs.json").write_text("[]")
    (tmp_path / "tmp" / "myproj" / "checkpoint-x.json").write_text("[]")
    files = find_chat_files(tmp_path, device="d")
    assert [(f.path.name, f.kind, f.parent_session_id) for f in files] == [
        ("sub1.jsonl", "subagent", "parent-uuid"),
        ("session-a.jsonl", "main", None),
        ("session-b.json", "main", None),
    ]
    assert find_chat_files(tmp_path / "nothing-here", device="d") == []


# ------------------------------------------------------------------ sessions on the samples


@pytest.mark.parametrize("short", sorted(PROJECTS))
def test_sample_session_identity_project_and_model(sessions: dict[str, Session], short: str) -> None:
    s = sessions[short]
    name, root, model = PROJECTS[short]
    assert s.id.startswith(short) and s.agent == AGENT
    assert (s.project, s.cwd, s.models) == (name, root, [model])
    assert hashlib.sha256(root.encode()).hexdigest() == Path(s.files[0]).parent.parent.name
    assert s.start is not None and s.end is not None and s.start < s.end
    assert s.skipped == []


def test_sample_turn_counts_follow_sources_md(sessions: dict[str, Session]) -> None:
    roles = {k: Counter(t.role for t in s.turns) for k, s in sessions.items()}
    assert {k: (r["human"], r["thinking"], r["tool"]) for k, r in roles.items()} == {
        "0b23371a": (5, 22, 11),
        "1f244a80": (2, 142, 78),
        "84ae60e4": (2, 91, 33),
    }
    assert [t.index for t in sessions["1f244a80"].turns] == list(range(len(sessions["1f244a80"].turns)))


def test_empty_gemini_content_keeps_its_thoughts_and_tool_calls(sessions: dict[str, Session]) -> None:
    s = sessions["84ae60e4"]  # 33 of 35 gemini messages have content ""
    roles = Counter(t.role for t in s.turns)
    assert roles["assistant"] == 2 and roles["tool"] == 33
    assert all(t.text for t in s.turns if t.role == "assistant")


def test_user_part_lists_and_ui_notices(sessions: dict[str, Session]) -> None:
    s = sessions["1f244a80"]
    assert [t.text for t in s.human_prompts] == ["hello", "hello"]
    events = [t.text for t in s.turns if t.role == "event"]
    assert len(events) == 6  # 4 info + 2 error, never dialogue
    assert "error: [API Error: Requested entity was not found.]" in events
    assert "info: Model set to gemini-3-flash-preview" in events
    assert s.api_errors == 1  # the /model usage error is not an API error


def test_thoughts_are_subject_and_description_without_literal_backslash_n(
    sessions: dict[str, Session],
) -> None:
    first = next(t for t in sessions["0b23371a"].turns if t.role == "thinking")
    assert first.text.startswith("Beginning the Build: I'm starting the Pomodoro timer project")
    assert "\\n" not in first.text
    assert first.timestamp == datetime(2025, 10, 21, 20, 4, 24, 225000, tzinfo=UTC)


def test_tool_calls_carry_results_and_statuses(sessions: dict[str, Session]) -> None:
    calls = [t.tool for t in sessions["0b23371a"].turns if t.tool is not None]
    assert Counter(c.name for c in calls) == {"replace": 8, "write_file": 3}
    first = calls[0]
    assert first.id == "write_file-1761077079637-de5db03a65079"
    assert isinstance(first.arguments, dict) and str(first.arguments["file_path"]).endswith("/index.html")
    assert (
        first.result
        == "Successfully created and wrote to new file: /Users/yoavfarhi/dev/pomodoro/gemini/index.html."
    )
    assert first.result_timestamp == datetime(2025, 10, 21, 20, 4, 39, 683000, tzinfo=UTC)
    failed = [c for c in calls if c.is_error]
    assert len(failed) == 1 and failed[0].name == "replace"
    assert "Failed to edit, 0 occurrences found" in (failed[0].result or "")  # response.error

    pro = [t.tool for t in sessions["84ae60e4"].turns if t.tool is not None]
    missing = next(c for c in pro if c.name == "read_file" and c.result and "File not found" in c.result)
    assert missing.is_error and (missing.result or "").startswith("File not found: /home/kingb/")


def test_shell_exit_codes_mark_failures_even_when_the_status_is_success(sessions: dict[str, Session]) -> None:
    shells = [
        t.tool
        for t in sessions["1f244a80"].turns
        if t.tool is not None and t.tool.name == "run_shell_command"
    ]
    assert len(shells) == 42
    not_found = next(c for c in shells if c.result and "pytest: command not found" in c.result)
    assert (not_found.exit_code, not_found.is_error) == (127, True)
    assert all(c.is_error == (c.exit_code not in (None, 0)) for c in shells)


def test_condensed_transcript_uses_the_common_turn_tags(sessions: dict[str, Session]) -> None:
    text = "\n".join(c.text for c in condense_session(sessions["0b23371a"], redactor=Redactor()))
    for tag in (
        "USER: Build a simple Pomodoro timer",
        "THINK: Beginning the Build",
        "AI: Okay, I will",
        "TOOL ",
    ):
        assert tag in text


# ------------------------------------------------------------------ usage on the samples


@pytest.mark.parametrize("short", sorted(REFERENCE))
def test_usage_totals_equal_the_reference_per_file(samples: dict[str, SourceFile], short: str) -> None:
    fu = read_gemini_usage(samples[short])
    assert _sums(fu.events) == REFERENCE[short]
    assert fu.agent == AGENT and fu.session_id.startswith(short) and not has_problems(fu.skipped)
    for e in fu.events:
        assert e.dedup_key and e.dedup_key.startswith("gemini:")
        assert e.cache_read_tokens <= e.input_tokens + e.cache_read_tokens
        assert e.reasoning_tokens <= e.output_tokens


def test_usage_totals_equal_the_reference_in_sum(
    samples: dict[str, SourceFile], sessions: dict[str, Session]
) -> None:
    events = [e for f in samples.values() for e in read_gemini_usage(f).events]
    want = tuple(sum(col) for col in zip(*REFERENCE.values(), strict=True))
    assert _sums(events) == want == (3_300_999, 2_870_647, 13_599, 35_671, 0, 3_350_269)
    assert _sums([e for s in sessions.values() for e in s.usage]) == want  # the session reader agrees
    assert len({e.dedup_key for e in events}) == len(events) == 13 + 79 + 35


def test_all_zero_tokens_are_unknown_usage_not_an_event(samples: dict[str, SourceFile]) -> None:
    from daily_report.schemas.transcript import SkippedLines
    from daily_report.sources.gemini.chat import read_chat
    from daily_report.sources.gemini.usage import usage_events

    f = samples["0b23371a"]
    chat = read_chat(f.path, SkippedLines(path=str(f.path)))
    scan = usage_events(chat, device="d", session_id="s", fallback_ts=datetime.now(tz=UTC))
    assert (len(scan.events), scan.requests_without_usage) == (13, 1)  # 14 gemini messages


def test_usage_rows_follow_the_given_field_order(samples: dict[str, SourceFile]) -> None:
    from daily_report.sources.types import FIELD_ORDER

    rows = read_gemini_usage_rows(samples["84ae60e4"], FIELD_ORDER)
    fu = read_gemini_usage(samples["84ae60e4"])
    assert rows.rows == [tuple(getattr(e, k) for k in FIELD_ORDER) for e in fu.events]
    assert rows.agent == AGENT and rows.session_id == fu.session_id


def test_columns_declared_in_gemini_order() -> None:
    assert DISPLAY_NAME == "Gemini CLI"
    assert tuple(c.key for c in USAGE_COLUMNS) == COLUMNS


# ------------------------------------------------------------------ pricing


def _rates(model: str) -> tuple[Decimal, Decimal, Decimal]:
    info = data_snapshot.get_snapshot().find_provider_model(model, None, "google", None)[1]
    p = info.get_prices(datetime(2026, 3, 26, 12, tzinfo=UTC))

    def base(v: Any) -> Decimal:
        return Decimal(v.base if hasattr(v, "base") else v)

    return base(p.input_mtok), base(p.cache_read_mtok), base(p.output_mtok)


@pytest.mark.parametrize("short", sorted(REFERENCE))
def test_samples_price_as_uncached_cached_and_output_plus_thoughts(
    samples: dict[str, SourceFile], short: str
) -> None:
    events = read_gemini_usage(samples[short]).events
    cost, unpriced = price_events(events, when=datetime(2026, 3, 26, 12, tzinfo=UTC))
    inp, cached, out, thoughts, tool, _ = REFERENCE[short]
    r_in, r_cached, r_out = _rates(PROJECTS[short][2])
    want = ((inp - cached + tool) * r_in + cached * r_cached + (out + thoughts) * r_out) / Decimal(1_000_000)
    assert unpriced == [] and cost == want  # every prompt is under the 200k tier start
    assert cost is not None and cost > 0


def _event(model: str, **tokens: int) -> Any:
    t = GeminiTokens(**{"input": 1000, "cached": 400, "output": 50, "thoughts": 30, "total": 1080, **tokens})
    return to_event(t, "m1", model, datetime(2026, 5, 1, tzinfo=UTC), False, "s", "d", "p")


def test_an_unknown_preview_model_is_unknown_never_zero() -> None:
    known = _event("gemini-2.5-pro")
    for model in ("gemini-9.9-ultra-preview", UNKNOWN_MODEL):
        cost, unpriced = price_events([known, _event(model)])
        assert cost is None and unpriced == [model]
    cost, unpriced = price_events([known])
    assert cost is not None and cost > 0 and unpriced == []


def test_tool_tokens_are_billed_as_uncached_input() -> None:
    plain, with_tool = _event("gemini-2.5-pro"), _event("gemini-2.5-pro", tool=200, total=1280)
    assert with_tool.input_tokens - plain.input_tokens == 200
    assert gemini_columns(with_tool)["total"] == 1280
    when = datetime(2026, 3, 26, 12, tzinfo=UTC)
    cost_plain, _ = price_events([plain], when=when)
    cost_tool, _ = price_events([with_tool], when=when)
    assert cost_plain is not None and cost_tool is not None
    assert cost_tool - cost_plain == Decimal(200) * _rates("gemini-2.5-pro")[0] / Decimal(1_000_000)
