"""The typed decode of assistant lines (msgspec) gives the general path's row (orjson + ``usage_row``)
for every line it accepts, and refuses (so the caller takes the general path) every line it cannot match."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from daily_report.sources.claude.usage import usage_row
from daily_report.sources.claude.usage_line import Unexpected, decode_line, decode_lines, line_row
from daily_report.sources.files import SourceFile
from daily_report.sources.text import parse_ts
from daily_report.sources.usage_rows import read_usage_rows
from daily_report.usage.index import decode, encode, reduce_rows
from hypothesis import given, settings
from hypothesis import strategies as st

FALLBACK = datetime(2026, 1, 1, tzinfo=UTC)
CTX: dict[str, Any] = {"session_id": "s", "device": "d", "path": "p", "sidechain": False}


def general(raw: bytes) -> tuple[Any, ...] | None:
    rec = orjson.loads(raw)
    return usage_row(rec, ts=parse_ts(rec.get("timestamp")) or FALLBACK, **CTX)


def typed(raw: bytes) -> tuple[Any, ...] | None:
    line = decode_line(raw)
    return line_row(line, ts=parse_ts(line.timestamp) or FALLBACK, **CTX)


# Values of every JSON type, including the odd ones a corrupted or future transcript could hold.
ANY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", "x", "claude-opus-4-6", "<synthetic>", "msg_1", "assistant", "req_9"]),
    st.just({}),
    st.just([]),
)
TOKENS = st.one_of(st.integers(min_value=-5, max_value=10**9), ANY)
STAMPS = st.one_of(
    ANY,
    st.sampled_from(
        [
            "2026-03-10T01:02:03.456Z",
            "2026-03-10T09:02:03+08:00",
            "2026-03-10T01:02:03",
            "2026-03-10",
            "2026-02-30T00:00:00Z",
            "yesterday",
        ]
    ),
)


def maybe(d: dict[str, Any], key: str, value: Any, present: bool) -> None:
    if present:
        d[key] = value


@st.composite
def lines(draw: st.DrawFn) -> bytes:
    usage: dict[str, Any] = {}
    for key in ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"):
        maybe(usage, key, draw(TOKENS), draw(st.booleans()))
    split = {k: draw(TOKENS) for k in ("ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens")}
    maybe(usage, "cache_creation", draw(st.one_of(st.just(split), ANY)), draw(st.booleans()))
    message: dict[str, Any] = {"content": [{"type": "text", "text": "hi"}]}
    maybe(message, "usage", draw(st.one_of(st.just(usage), ANY)), draw(st.booleans()))
    maybe(message, "model", draw(ANY), draw(st.booleans()))
    maybe(message, "id", draw(ANY), draw(st.booleans()))
    rec: dict[str, Any] = {"type": draw(st.sampled_from(["assistant", "user", "progress"]) | ANY)}
    maybe(rec, "message", draw(st.one_of(st.just(message), ANY)), draw(st.booleans()))
    for key in ("requestId", "uuid", "sessionId"):
        maybe(rec, key, draw(ANY), draw(st.booleans()))
    for key in ("isSidechain", "isApiErrorMessage"):
        maybe(rec, key, draw(ANY), draw(st.booleans()))
    maybe(rec, "timestamp", draw(STAMPS), draw(st.booleans()))
    return orjson.dumps(rec)


@settings(max_examples=600, deadline=None)
@given(lines())
def test_typed_rows_equal_general_rows_or_refuse(raw: bytes) -> None:
    try:
        got = typed(raw)
    except Unexpected:
        return  # the caller takes the general path for this line
    assert got == general(raw)


def test_common_line_takes_the_typed_path() -> None:
    raw = orjson.dumps(
        {
            "type": "assistant",
            "requestId": "req_1",
            "timestamp": "2026-03-10T01:02:03.456Z",
            "message": {
                "id": "msg_1",
                "model": "claude-opus-4-6",
                "content": [{"type": "tool_use", "input": {"a": [1, 2, {"b": None}]}}],
                "usage": {
                    "input_tokens": 3,
                    "output_tokens": 4,
                    "cache_creation_input_tokens": 100,
                    "cache_read_input_tokens": 5,
                    "cache_creation": {"ephemeral_5m_input_tokens": 40, "ephemeral_1h_input_tokens": 60},
                },
            },
        }
    )
    row = typed(raw)
    assert row == general(raw)
    assert row is not None and row[1:8] == (
        "claude-opus-4-6",
        datetime(2026, 3, 10, 1, 2, 3, 456000, tzinfo=UTC),
        3,
        4,
        40,
        60,
        5,
    )
    assert row[10] == "msg_1:req_1"


@pytest.mark.parametrize(
    "raw",
    [
        b'{"type":"assistant","message":{"model":"m","usage":{"input_tokens":1.5}}}',  # a float count
        b'{"type":"assistant","message":{"model":"m","usage":{"input_tokens":true}}}',  # a bool count
        b'{"type":"assistant","message":{"model":"m","usage":{"output_tokens":-1}}}',  # a negative count
        b'{"type":"assistant","message":{"id":7,"model":"m","usage":{}}}',  # a number for an id
        b'{"type":"assistant","message":"text"}',
        b'["type","assistant"]',
        b'{"type":"assistant","message":{"usage":{}}',  # cut short
        b'{"type":"assistant","message":{"model":"x\xff","usage":{"input_tokens":1}}}',  # bad UTF-8 in a field
        b'{"type":"assistant","sessionId":"\xfe","message":{"usage":{}}}',
        b'{"type":"assistant","message":{"usage":{}},"x":' + b"[" * 1100 + b"]" * 1100 + b"}",  # very deep
        b'{"type":"assistant","message":{"model":"m","usage":{"input_tokens":9223372036854775808}}}',  # > 2^63-1
    ],
)
def test_other_shapes_are_refused(raw: bytes) -> None:
    with pytest.raises(Unexpected):
        decode_line(raw)
    with pytest.raises(Unexpected):
        decode_lines(raw + b"\n")


def test_refused_lines_still_count_as_the_general_path_reads_them(tmp_path: Path) -> None:
    """A line the typed decode refuses takes orjson's path: invalid UTF-8 replaced, counts up to 2^64 - 1
    kept, deep nesting read, as before the typed decode existed; a larger count (read as a float) makes
    the line's usage invalid: counted as such, not read as 0."""
    lines = [
        b'{"type":"assistant","message":{"id":"m1","model":"x\xff","usage":{"input_tokens":1}}}',
        b'{"type":"assistant","message":{"id":"m2","model":"x","usage":{"input_tokens":18446744073709551615}}}',
        b'{"type":"assistant","message":{"id":"m3","model":"x","usage":{"input_tokens":18446744073709551616}}}',
        b'{"type":"assistant","message":{"id":"m4","model":"x","usage":{"output_tokens":2}},"x":'
        + b"[" * 1000
        + b"]" * 1000
        + b"}",
    ]
    path = tmp_path / "s1.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    f = SourceFile(path=path, agent="claude_code", device="d", root=tmp_path, size=path.stat().st_size)
    ur = read_usage_rows(f)
    assert [(r[10], r[1], r[3], r[4]) for r in ur.rows] == [
        ("m1", "x\ufffd", 1, 0),
        ("m2", "x", 2**64 - 1, 0),
        ("m4", "x", 0, 2),
    ]
    assert ur.skipped.malformed == 0 and ur.skipped.invalid_usage == 1
    stored = decode(encode(reduce_rows(ur)))  # and the index keeps them
    assert [(e.model, e.input_tokens) for e in stored.events] == [(r[1], r[3]) for r in ur.rows]


def test_a_file_mixing_both_paths_counts_every_usage_line(tmp_path: Path) -> None:
    """Lines the typed decode refuses still go through the general path, in file order: a bool count
    there is an invalid usage, counted as such."""
    odd = b'{"type":"assistant","message":{"id":"m2","model":"x","usage":{"input_tokens":true,"output_tokens":2}}}'
    path = tmp_path / "s1.jsonl"
    path.write_bytes(
        b'{"type":"assistant","message":{"id":"m1","model":"x","usage":{"input_tokens":1}},'
        b'"timestamp":"2026-03-10T01:00:00Z"}\n' + odd + b"\n"
        b'{"type":"assistant","message":{"id":"m3","model":"x","usage":{"output_tokens":3}}}\n'
    )
    f = SourceFile(path=path, agent="claude_code", device="d", root=tmp_path, size=path.stat().st_size)
    got = read_usage_rows(f)
    rows = got.rows
    assert [(r[10], r[3], r[4]) for r in rows] == [("m1", 1, 0), ("m3", 0, 3)]
    assert got.skipped.invalid_usage == 1
    # a line without a timestamp takes the previous line's
    assert {r[2] for r in rows} == {datetime(2026, 3, 10, 1, tzinfo=UTC)}
