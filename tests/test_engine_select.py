"""Stage selection, skipped sessions and session summaries."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from daily_report.core.errors import ConfigError
from daily_report.engine.assemble import day_events, session_summary
from daily_report.engine.plan import RunOptions, select_sessions, skip_reason
from daily_report.engine.runstate import select_stages
from daily_report.schemas.config import Config
from daily_report.schemas.facts import SessionFacts
from daily_report.schemas.transcript import Session, ToolCall, Turn, UsageEvent


def test_a_stage_subset_brings_what_it_reads() -> None:
    chosen, refresh = select_stages(RunOptions(date="2026-03-17", stages=("overview",)))
    # the day stages read the reduced sessions, and the reduce reads every chunk stage
    assert [s.name for s in chosen] == [
        "facts",
        "tasks",
        "issues",
        "human_ai",
        "takeaways",
        "session",
        "projects",
        "overview",
    ]
    assert refresh == frozenset()
    chosen, _ = select_stages(RunOptions(date="2026-03-17", stages=("tasks",)))
    assert [s.name for s in chosen] == ["tasks"]


def test_stage_option_refreshes_the_stage_and_its_dependents() -> None:
    chosen, refresh = select_stages(RunOptions(date="2026-03-17", stage="tasks"))
    assert len(chosen) == 8
    assert refresh == {"tasks", "session", "projects", "overview"}
    _, refresh = select_stages(RunOptions(date="2026-03-17", stage="takeaways"))
    assert refresh == {"takeaways", "session", "projects", "overview"}
    _, refresh = select_stages(RunOptions(date="2026-03-17", stage="session"))
    assert refresh == {"session", "projects", "overview"}


def test_unknown_stage_names_the_valid_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown stage 'facs'.*facts, tasks, issues, human_ai"):
        select_stages(RunOptions(date="2026-03-17", stage="facs"))


def _t(h: int, day: int = 17) -> datetime:
    return datetime(2026, 3, day, h, 0, tzinfo=UTC)


def _session(turns: list[Turn], *, sid: str = "s1", device: str = "laptop") -> Session:
    return Session(
        id=sid, agent="claude_code", device=device, project="p", turns=turns, start=_t(1), end=_t(23)
    )


def test_skip_reasons() -> None:
    config = Config()
    human = Turn(index=0, role="human", text="do it", timestamp=_t(1))
    reply = Turn(index=1, role="assistant", text="done", timestamp=_t(2))
    assert skip_reason(_session([reply, reply]), config) == "no_human_prompt"
    assert skip_reason(_session([human]), config) == "too_small"
    assert skip_reason(_session([human, reply]), config) == "one_question"
    tool = Turn(
        index=1, role="tool", tool=ToolCall(name="Bash", arguments={"command": "ls"}), timestamp=_t(2)
    )
    assert skip_reason(_session([human, tool, reply]), config) is None  # it did something
    lines = Turn(index=0, role="human", text="do it:\n1. this\n2. that", timestamp=_t(1))
    assert skip_reason(_session([lines, reply]), config) is None  # more than a one-line question
    second = Turn(index=2, role="human", text="and now?", timestamp=_t(3))
    assert skip_reason(_session([human, reply, second, reply]), config) is None
    kept = Config(chunk={"skip_one_question": False})
    assert skip_reason(_session([human, reply]), kept) is None
    config.chunk.min_human_prompts = 2
    assert skip_reason(_session([human, reply]), config) == "too_few_prompts"


def test_session_filters_by_id_prefix_and_device() -> None:
    a, b = _session([], sid="abc-1", device="laptop"), _session([], sid="def-2", device="hpc")
    assert select_sessions([a, b], RunOptions(date="d", session_ids=("abc",))) == [a]
    assert select_sessions([a, b], RunOptions(date="d", devices=("hpc",))) == [b]


def test_session_summary_counts_the_days_usage_once_and_spans_days() -> None:
    zone = ZoneInfo("Asia/Shanghai")  # 17:00 UTC on the 16th is 01:00 on the 17th there
    tool = ToolCall(name="Bash", arguments={"command": "ls"}, is_error=True, exit_code=1)
    turns = [
        Turn(index=0, role="human", text="fix the build", timestamp=_t(15, 16)),
        Turn(index=1, role="tool", tool=tool, timestamp=_t(17, 16)),
        Turn(index=2, role="assistant", text="fixed", timestamp=_t(3)),
    ]

    def ev(ts: datetime, key: str) -> UsageEvent:
        return UsageEvent(
            agent="claude_code",
            model="claude-haiku-4-5",
            timestamp=ts,
            input_tokens=1000,
            output_tokens=100,
            dedup_key=key,
            session_id="s1",
            device="laptop",
        )

    session = _session(turns)
    # the same response twice (a resumed copy), one on the previous local day
    events = day_events(
        [ev(_t(3), "m1:r1"), ev(_t(3), "m1:r1"), ev(_t(14, 16), "m0:r0")], day="2026-03-17", zone=zone
    )
    facts = SessionFacts(title="Fix the build", project="p", status="done", summary="It builds.")
    s = session_summary(session, zone=zone, events=events["s1"], facts=facts, chunks=2, failed=False)
    assert s.tokens == 1100 and s.cost_usd is not None and s.cost_usd > 0
    assert s.spans_days == ["2026-03-16", "2026-03-17"]
    assert (s.title, s.status, s.tool_calls, s.tool_errors, s.human_prompts) == (
        "Fix the build",
        "done",
        1,
        1,
        1,
    )
    bare = session_summary(session, zone=zone, events=[], facts=None, chunks=1, failed=True)
    assert bare.title == "fix the build" and bare.failed and bare.cost_usd == 0


def test_a_title_taken_from_the_transcript_is_redacted() -> None:
    from daily_report.text.redact import Redactor

    key = "AKIA" + "ABCDEFGHIJKLMNOP"
    prompt = Turn(index=0, role="human", text=f"deploy with {key} now", timestamp=_t(1))
    s = session_summary(
        _session([prompt]),
        zone=ZoneInfo("UTC"),
        events=[],
        facts=None,
        chunks=1,
        failed=True,
        redact=Redactor().redact,
    )
    assert key not in s.title and "REDACTED" in s.title


def test_the_agent_title_day_stages_see_is_redacted() -> None:
    from daily_report.engine.plan import session_info
    from daily_report.text.redact import Redactor

    key = "AKIA" + "ABCDEFGHIJKLMNOP"
    session = _session([]).model_copy(update={"title": f"rotate {key}"})
    assert key not in (session_info(session, redact=Redactor().redact).title or "")
