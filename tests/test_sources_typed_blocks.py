"""The usage scan's two ways through a block (typed whole-block decode, or search + shape test) give the
same rows, session, times and skipped lines for any file; the typed way is taken only when provable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import daily_report.sources.claude.usage as cu
import orjson
import pytest
from daily_report.sources.files import SourceFile
from daily_report.sources.jsonl import clean_line_count
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def scan_both(
    path: Path, monkeypatch: pytest.MonkeyPatch, *, subagent: bool = False
) -> tuple[cu.ClaudeScan, cu.ClaudeScan, int]:
    """(typed-when-possible scan, search-only scan, number of blocks the typed way took). A subagent file
    without a known parent takes its session id from its lines."""
    kind = "subagent" if subagent else "main"
    size = path.stat().st_size
    f = SourceFile(path=path, agent="claude_code", device="d", root=path.parent, kind=kind, size=size)
    taken = []
    real = cu._typed_lines

    def counting(block: bytes) -> Any:
        got = real(block)
        taken.append(got is not None)
        return got

    with monkeypatch.context() as m:
        m.setattr(cu, "_typed_lines", counting)
        typed = cu.scan_claude_usage(f)
    with monkeypatch.context() as m:
        m.setattr(cu, "_typed_lines", lambda block: None)
        searched = cu.scan_claude_usage(f)
    return typed, searched, sum(taken)


def assistant(i: int, **extra: Any) -> dict[str, Any]:
    usage = {"input_tokens": i, "output_tokens": 2 * i, "cache_read_input_tokens": 100 + i}
    return {
        "parentUuid": None,
        "sessionId": "s1",
        "message": {"id": f"msg_{i}", "model": "claude-opus-4-6", "content": [{"type": "text", "text": "x"}]}
        | {"usage": usage},
        "requestId": f"req_{i}",
        "type": "assistant",
        "uuid": f"u{i}",
        "timestamp": f"2026-03-10T01:00:{i % 60:02d}Z",
    } | extra


USER = {"type": "user", "sessionId": "s1", "message": {"role": "user", "content": "hi"}, "uuid": "u0"}
PROGRESS = {"type": "progress", "data": {"message": {"type": "assistant", "message": {"usage": {}}}}}


def dumps(rec: dict[str, Any]) -> bytes:
    return orjson.dumps(rec)


def test_a_clean_file_takes_the_typed_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "s1.jsonl"
    path.write_bytes(
        b"\n".join([dumps(USER), dumps(assistant(1)), dumps(PROGRESS), dumps(assistant(2))]) + b"\n"
    )
    typed, searched, taken = scan_both(path, monkeypatch)
    assert taken == 1
    assert typed == searched
    assert [(r[3], r[4], r[10]) for r in typed.rows] == [(1, 2, "msg_1:req_1"), (2, 4, "msg_2:req_2")]


A1, A2, A3 = (dumps(assistant(i)) for i in (1, 2, 3))


@pytest.mark.parametrize(
    ("body", "typed_blocks"),
    [
        # msgspec reads a stream of values: the count of clean lines proves these wrong
        pytest.param(A1 + A2 + b"\n" + A3 + b"\n", 0, id="two values on one line"),
        pytest.param(A1 + b'\n{"type":"assistant",\n"message":{}}\n', 0, id="one value over two lines"),
        pytest.param(A1 + b"\n\n" + A2 + b"\n", 0, id="a blank line"),
        pytest.param(A1 + b"\n[1, 2]\n", 0, id="JSON, not an object"),
        pytest.param(A1 + b"\n" + A2[:-9] + b"\n", 0, id="a line cut inside"),
        pytest.param(A1 + b"\n" + dumps(assistant(2, timestamp=7)) + b"\n", 0, id="a shape msgspec refuses"),
        # the whole lines before a truncated last line are a block of their own
        pytest.param(A1 + b"\n" + A2[:40], 1, id="a truncated last line"),
    ],
)
def test_unprovable_blocks_take_the_search_way(
    body: bytes, typed_blocks: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s1.jsonl"
    path.write_bytes(body)
    typed, searched, taken = scan_both(path, monkeypatch)
    assert taken == typed_blocks
    assert typed == searched


LINES = st.one_of(
    st.integers(min_value=1, max_value=50).map(lambda i: dumps(assistant(i))),
    st.integers(min_value=1, max_value=50).map(lambda i: dumps(assistant(i, sessionId="s2"))),
    st.integers(min_value=1, max_value=50).map(lambda i: json.dumps(assistant(i)).encode()),  # spaced
    st.just(dumps(USER | {"sessionId": "s3"})),
    st.integers(min_value=1, max_value=50).map(lambda i: dumps(assistant(i, isSidechain=True))),
    st.just(dumps(USER)),
    st.just(dumps(PROGRESS)),
    st.just(dumps({"type": "summary", "summary": "s"})),
    st.just(dumps(assistant(3, sessionId=None))),
    st.just(dumps(assistant(4, timestamp=None))),
    st.just(b"not json"),
    st.just(b""),
    st.just(b"  "),
    st.just(b'{"type":"assistant"'),
    st.just(dumps(assistant(5)) + dumps(USER)),
    st.just(dumps(assistant(6, message={"id": 1, "usage": {"input_tokens": 1.5}}))),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(LINES, max_size=12),
    eol=st.sampled_from([b"\n", b"\r\n"]),
    ends=st.booleans(),
    subagent=st.booleans(),
)
def test_both_ways_agree_on_any_file(
    lines: list[bytes], eol: bytes, ends: bool, subagent: bool, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("t") / "s1.jsonl"
    path.write_bytes(eol.join(lines) + (eol if ends else b""))
    with pytest.MonkeyPatch.context() as m:
        typed, searched, _ = scan_both(path, m, subagent=subagent)
    assert typed == searched


def test_a_spaced_line_in_a_compact_file_counts_either_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s1.jsonl"
    spaced = json.dumps(assistant(2)).encode()
    for broken in (b"", b"not json\n"):  # clean: the typed way; with a broken line: the search way
        path.write_bytes(dumps(assistant(1)) + b"\n" + broken + spaced + b"\n")
        typed, searched, taken = scan_both(path, monkeypatch)
        assert taken == (0 if broken else 1)
        assert typed == searched and [r[10] for r in typed.rows] == ["msg_1:req_1", "msg_2:req_2"]


def test_a_subagent_file_takes_its_session_from_its_assistant_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "agent-a1.jsonl"
    user = dumps(USER | {"sessionId": "other"})
    for broken in (b"", b"not json\n"):
        path.write_bytes(user + b"\n" + broken + dumps(assistant(1, sessionId="parent")) + b"\n")
        typed, searched, _ = scan_both(path, monkeypatch, subagent=True)
        assert typed == searched and typed.session_id == "parent" and typed.rows[0][13] == "parent"


def test_clean_line_count() -> None:
    assert clean_line_count(b'{"a":1}\n{"b":2}\n') == 2
    assert clean_line_count(b'{"a":1}\r\n{"b":2}\r\n') == 2
    assert clean_line_count(b'{"a":1}\n\n{"b":2}\n') is None  # a blank line
    assert clean_line_count(b'{"a":\n1}\n') is None  # a value over two lines
    assert clean_line_count(b'{"a":1}\n{"b":2}') is None  # not whole lines
    assert clean_line_count(b"") is None
    short = b'{"a":1}\n' * 200  # more than 128 lines in the first 64 KB: the memchr walk would be slow
    assert clean_line_count(short) is None
