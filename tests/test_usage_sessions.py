"""Session rows: local start/end, the span over midnight, prompts, tool calls and errors, cost."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from daily_report.schemas.transcript import Session, ToolCall, Turn, UsageEvent
from daily_report.usage.sessions import session_row


def test_row_of_a_session_over_local_midnight() -> None:
    t0 = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
    t1 = datetime(2026, 3, 10, 17, 5, tzinfo=UTC)  # 01:05 the next day there
    sub = Turn(index=0, role="tool", tool=ToolCall(name="Bash", is_error=True))
    turns = [
        Turn(index=0, role="human", timestamp=t0, text="fix the flaky test"),
        Turn(index=1, role="tool", timestamp=t0, tool=ToolCall(name="Task", subagent_turns=[sub])),
        Turn(index=2, role="tool", timestamp=t1, tool=ToolCall(name="Edit", is_error=True)),
        Turn(index=3, role="human", timestamp=t1, text="thanks"),
    ]
    usage = [
        UsageEvent(
            agent="claude_code",
            model="claude-opus-4-6",
            timestamp=t1,
            input_tokens=26,
            output_tokens=292,
            cache_write_5m_tokens=66_244,
            cache_read_tokens=1_030_462,
        )
    ]
    s = Session(
        id="s1",
        agent="claude_code",
        device="DCC",
        project="spotter",
        turns=turns,
        usage=usage,
        models=["claude-opus-4-6", "<synthetic>"],
    )
    row = session_row(s, usage, zone=ZoneInfo("Asia/Shanghai"))
    assert row.start_local == "2026-03-10 23:30" and row.end_local == "2026-03-11 01:05"
    assert row.spans_days == 2 and row.span_end_label() == "2026-03-11 01:05 (+1d)"
    assert (row.human_prompts, row.tool_calls, row.tool_errors) == (2, 3, 2)
    assert row.models == ["claude-opus-4-6"]
    assert row.tokens == 26 + 292 + 66_244 + 1_030_462 and f"{row.cost_usd:.4f}" == "0.9367"
    utc = session_row(s, [], zone=ZoneInfo("UTC"))
    assert utc.spans_days == 1 and utc.end_local == "17:05" and utc.tokens == 0 and utc.cost_usd == 0.0
