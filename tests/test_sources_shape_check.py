"""``jsonl.count_bad_shapes`` judges only suspect lines; it must count exactly as the simple split loop."""

from __future__ import annotations

import random

import pytest
from daily_report.schemas.transcript import SkippedLines
from daily_report.sources.jsonl import count_bad_shapes, shape_ok, suspect_starts

GOOD = b'{"type":"user","n":1}'
PARSED = b'{"type":"assistant","usage":{}'  # bad shape, but the caller parses (and counts) it itself


def _parsed(line: bytes) -> bool:
    return b'"assistant"' in line


def reference(block: bytes, base_line: int) -> list[tuple[int, bytes]]:
    """(line number, line) of every line the simple split loop counts as malformed."""
    lines = block.split(b"\n")[: block.count(b"\n")]
    return [
        (i, line)
        for i, line in enumerate(lines, start=base_line + 1)
        if not shape_ok(line) and not _parsed(line)
    ]


def counted(block: bytes, base_line: int) -> tuple[int, str | None]:
    skipped = SkippedLines(path="f.jsonl")
    count_bad_shapes(block, base_line=base_line, skipped=skipped, parsed=_parsed)
    return skipped.malformed, skipped.first_error


def expected(block: bytes, base_line: int) -> tuple[int, str | None]:
    bad = reference(block, base_line)
    first = f"line {bad[0][0]} of f.jsonl is not a JSON object line (not parsed)" if bad else None
    return len(bad), first


def padded(line: bytes, width: int) -> bytes:
    """``line`` made about ``width`` bytes long, keeping its first two and last bytes (and so its shape)."""
    if len(line) < 3 or width <= len(line):
        return line
    return line[:2] + b" " * (width - len(line)) + line[2:]


def block_of(lines: list[bytes], *, width: int = 0, tail: bytes = b"") -> bytes:
    return b"".join(padded(line, width) + b"\n" for line in lines) + tail


MIXED = [
    b"not json at the start",
    GOOD,
    GOOD + b"\r",  # CRLF: still a good shape
    b"",
    b"   ",
    b"\r",
    b'{"cut":',
    PARSED,
    b"[1, 2]",
    b'  {"spaced": true}  ',
    GOOD,
    b'"a string"',
    b"{",
    b"}",
    GOOD,
    b"garbage in the middle }",
    GOOD,
    b"{ not quoted }",
    b'{"truncated in the middle',
    b"trailing garbage at the end",
]


@pytest.mark.parametrize("width", [0, 2000])  # short lines: the regex; long lines: find from break to break
@pytest.mark.parametrize("repeat", [1, 40])
def test_bad_lines_at_start_middle_end_blank_and_crlf(width: int, repeat: int) -> None:
    block = block_of(MIXED * repeat, width=width)
    for base_line in (0, 1000):
        assert counted(block, base_line) == expected(block, base_line)
    n, first = counted(block, 7)
    assert n == 9 * repeat  # the first line, then 8 more in MIXED
    assert first == "line 8 of f.jsonl is not a JSON object line (not parsed)"


def test_a_clean_block_has_no_suspects() -> None:
    for width in (0, 3000):
        for good in (GOOD, GOOD + b"\r"):
            block = block_of([good] * 300, width=width)
            assert suspect_starts(block) == []
            assert counted(block, 0) == (0, None)


@pytest.mark.parametrize("width", [0, 2000])
def test_sparse_bad_lines_are_found_one_by_one(width: int) -> None:
    lines = [GOOD] * 3000
    for n in (0, 999, 1000, 2998, 2999):
        lines[n] = b"bad" if n % 2 else b"   "
    lines[1500] = GOOD + b"\r"
    block = block_of(lines, width=width)
    assert len(suspect_starts(block)) == 5
    assert counted(block, 10) == expected(block, 10)
    assert counted(block, 10) == (2, "line 1010 of f.jsonl is not a JSON object line (not parsed)")


def test_only_the_bad_line_is_suspect_and_counted_with_its_number() -> None:
    lines = [GOOD] * 50
    lines[20] = b"oops"
    block = block_of(lines)
    assert suspect_starts(block) == [20 * (len(GOOD) + 1)]
    assert counted(block, 100) == (1, "line 121 of f.jsonl is not a JSON object line (not parsed)")


def test_text_after_the_last_newline_is_not_judged() -> None:
    block = block_of([GOOD, b"bad"], tail=b"partial line still being writ")
    assert counted(block, 0) == expected(block, 0) == (1, expected(block, 0)[1])
    assert counted(b"no newline at all", 0) == (0, None)
    assert counted(b"", 0) == (0, None)


def test_edge_blocks() -> None:
    for block in (b"\n", b"\n\n", b"x\n", b"}\n", b'{"\n', b'{"}\n', b"\n" + GOOD + b"\n", GOOD + b"\n\n"):
        assert counted(block, 3) == expected(block, 3), block


def _clean(line: bytes) -> bool:
    return line[:2] == b'{"' and (line[-1:] == b"}" or line[-2:] == b"}\r")


BAD_KINDS = [b"", b"\r", b"x", b"{", b"}", b'{"a"', PARSED, b'{"}', b" {}", b"\r}", b'"{"']


@pytest.mark.parametrize("seed", range(8))
def test_random_blocks_count_as_the_split_loop(seed: int) -> None:
    """Dense and sparse suspects (judged by the split loop or one by one), short and long lines."""
    rng = random.Random(seed)
    for _ in range(30):
        share = rng.choice([0.0, 0.01, 0.05, 0.5])
        lines = [
            rng.choice(BAD_KINDS) if rng.random() < share else rng.choice([GOOD, GOOD + b"\r"])
            for _ in range(rng.randint(1, 600))
        ]
        block = block_of(lines, width=rng.choice([0, 0, 700]))
        if rng.random() < 0.2:
            block += b"tail"
        base = rng.randint(0, 50)
        assert counted(block, base) == expected(block, base)
        bad_starts = set(suspect_starts(block))
        offsets, pos = [], 0
        for line in block.split(b"\n")[: block.count(b"\n")]:
            offsets.append((pos, line))
            pos += len(line) + 1
        assert {o for o, line in offsets if not _clean(line)} == bad_starts
