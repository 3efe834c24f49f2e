"""The index's hot path (`read_usage_rows`): plain rows equal to the validated fast-path events."""

from __future__ import annotations

from pathlib import Path

import orjson
from daily_report.schemas.config import Config, DeviceConfig
from daily_report.schemas.transcript import UsageEvent
from daily_report.sources.claude.usage import FIELD_ORDER
from daily_report.sources.discovery import discover
from daily_report.sources.files import SourceFile
from daily_report.sources.reader import read_file_usage
from daily_report.sources.usage_rows import read_usage_rows
from daily_report.usage.events import FIELDS


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


def test_edge_stamps_look_at_a_few_lines_at_each_end() -> None:
    from daily_report.sources.claude.usage import _edge_stamp

    def line(i: int | None, spaced: bool = False) -> bytes:
        if i is None:
            return b'{"type":"summary"}'
        sep = b'": "' if spaced else b'":"'
        return b'{"type":"user","timestamp' + sep + f"2026-03-10T01:00:{i:02d}Z".encode() + b'"}'

    block = b"\n".join([line(None), line(1), *(line(i) for i in range(2, 10)), line(None)]) + b"\n"
    assert _edge_stamp(block, first=True) == [b"2026-03-10T01:00:01Z"]  # the first line with one
    assert _edge_stamp(block, first=False) == [b"2026-03-10T01:00:09Z"]  # the last line with one
    spaced = line(3, spaced=True) + b"\n"
    assert _edge_stamp(spaced, first=True) == _edge_stamp(spaced, first=False) == [b"2026-03-10T01:00:03Z"]
    nine_untimed = b"\n".join([line(1), *([line(None)] * 9)]) + b"\n"
    assert _edge_stamp(nine_untimed, first=True) == [b"2026-03-10T01:00:01Z"]
    # the last 8 lines one by one, then the rest of the last 64 KB as one piece
    assert _edge_stamp(nine_untimed, first=False) == [b"2026-03-10T01:00:01Z"]
    nine_untimed_first = b"\n".join([*([line(None)] * 9), line(1)]) + b"\n"
    assert _edge_stamp(nine_untimed_first, first=True) == []  # only the first 8 lines are looked at
    # a last line longer than 64 KB is looked at in its last 64 KB only
    long_tail = line(1) + b"\n" + line(2)[:-2] + b',"x":"' + b"a" * 70_000 + b'"}\n'
    assert _edge_stamp(long_tail, first=False) == []
    assert _edge_stamp(long_tail, first=True) == [b"2026-03-10T01:00:01Z"]
    assert _edge_stamp(b"", first=True) == _edge_stamp(b"", first=False) == []
