"""The index's hot path (`read_usage_rows`): plain rows equal to the validated fast-path events."""

from __future__ import annotations

from pathlib import Path

import orjson

from pipeline.sources import SourceFile, discover, read_file_usage, read_usage_rows
from pipeline.sources.claude_usage import FIELD_ORDER
from pipeline.usage.events import FIELDS
from schemas.config import Config, DeviceConfig
from schemas.transcript import UsageEvent


def test_row_order_is_the_event_field_order() -> None:
    assert FIELD_ORDER == FIELDS == tuple(UsageEvent.model_fields)


def test_rows_equal_validated_events_on_every_sample(samples: Path) -> None:
    config = Config(
        devices={"A": DeviceConfig(name="A", claude=[samples / "claude-code"], codex=[samples / "codex"])}
    )
    files = discover(config).files
    assert {f.agent for f in files} == {"claude_code", "codex"}
    total = 0
    for f in files:
        ur = read_usage_rows(f)
        fu = read_file_usage(f)
        validated = [UsageEvent.model_validate(dict(zip(FIELD_ORDER, r, strict=True))) for r in ur.rows]
        assert [e.model_dump() for e in validated] == [e.model_dump() for e in fu.events], f.path.name
        assert (ur.session_id, ur.start, ur.end, ur.skipped) == (fu.session_id, fu.start, fu.end, fu.skipped)
        total += len(ur.rows)
    assert total > 100


def _line(**rec: object) -> bytes:
    return orjson.dumps(rec) + b"\n"


def test_only_top_level_assistant_lines_count(tmp_path: Path) -> None:
    usage = {"input_tokens": 3, "output_tokens": 4, "cache_read_input_tokens": 5}
    msg = {"id": "msg_1", "model": "claude-opus-4-6", "usage": usage}
    path = tmp_path / "s1.jsonl"
    path.write_bytes(
        _line(type="user", message={"content": '{"type":"assistant","usage":{}}'}, sessionId="s1")
        + _line(  # a subagent copy inside a progress line: never counted
            type="progress",
            data={"type": "agent_progress", "message": {"type": "assistant", "message": msg}},
        )
        + _line(type="assistant", requestId="req_1", timestamp="2026-03-10T01:00:00Z", message=msg)
        + _line(type="assistant", message={"id": "msg_2", "model": "<synthetic>", "usage": usage})
        + b'{"type":"assistant","usage": broken\n'
    )
    f = SourceFile(path=path, agent="claude_code", device="d", root=tmp_path, size=path.stat().st_size)
    ur = read_usage_rows(f)
    assert [(r[1], r[3], r[4], r[7], r[10], r[13]) for r in ur.rows] == [
        ("claude-opus-4-6", 3, 4, 5, "msg_1:req_1", "s1")
    ]
    assert ur.skipped.malformed == 1 and ur.skipped.first_error == f"line 5 of {path} is not JSON"
