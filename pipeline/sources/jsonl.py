"""Robust JSONL reading: bytes in, objects out, every problem counted in a ``SkippedLines``.

A malformed line is skipped and counted with its line number; a value that is JSON but not an object
counts as malformed; a last line without a trailing newline that does not parse is a file still being
written (``truncated_tail``), not an error. ``.zst`` files are decompressed on the fly.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path
from typing import IO, Any, cast

import orjson
from daily_report.schemas.transcript import SkippedLines
from daily_report.sources.unreadable import SNIFF_BYTES, decompress, sniff_binary


def open_binary(path: Path, skipped: SkippedLines | None = None) -> IO[bytes]:
    """The file's bytes. ``.zst`` files (old, small rollouts) are decompressed whole, within a bound; a
    cut-short stream keeps what decoded. A file that cannot be read as a transcript (corrupt or empty
    zstd, decompressing past the bound, binary) gives no bytes; the reason goes into ``skipped``."""
    if path.name.endswith(".zst"):
        data, problem = decompress(path)
        if problem is not None and skipped is not None:
            note_unreadable(skipped, problem)
        return io.BytesIO(data)
    f = cast(io.BufferedReader, path.open("rb", buffering=1 << 20))  # what a buffered "rb" open gives
    problem = sniff_binary(f.peek(SNIFF_BYTES)[:SNIFF_BYTES])
    if problem is None:
        return f
    f.close()
    if skipped is not None:
        note_unreadable(skipped, problem)
    return io.BytesIO(b"")


def note_unreadable(skipped: SkippedLines, reason: str) -> None:
    skipped.unreadable = skipped.unreadable or reason
    skipped.first_error = skipped.first_error or f"{skipped.path}: {reason}"


def iter_raw_lines(path: Path, skipped: SkippedLines) -> Iterator[tuple[int, bytes, bool]]:
    """(line number, line bytes without the newline, is_last_without_newline) for non-blank lines."""
    with open_binary(path, skipped) as f:
        lineno = 0
        for line in f:
            lineno += 1
            complete = line.endswith(b"\n")
            body = line.rstrip(b"\r\n")
            if not body.strip():
                continue
            yield lineno, body, not complete


def parse_line(raw: bytes, *, lineno: int, partial: bool, skipped: SkippedLines) -> dict[str, Any] | None:
    """One line as a JSON object, or None after counting the problem in ``skipped``."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        if partial:
            skipped.truncated_tail = True
            return None
        value = _decode_lossy(raw)
        if value is None:
            note_malformed(skipped, lineno, "is not JSON")
            return None
    if not isinstance(value, dict):
        note_malformed(skipped, lineno, f"is JSON but not an object ({type(value).__name__})")
        return None
    return value


def _decode_lossy(raw: bytes) -> Any:
    """Retry a line with undecodable bytes replaced (orjson rejects invalid UTF-8)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="replace")
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            return None
    return None


def note_malformed(skipped: SkippedLines, lineno: int, what: str) -> None:
    skipped.malformed += 1
    if skipped.first_error is None:
        skipped.first_error = f"line {lineno} of {skipped.path} {what}"


def note_invalid_usage(skipped: SkippedLines, rec: dict[str, Any]) -> None:
    skipped.invalid_usage += 1
    if skipped.first_error is None:
        where = rec.get("uuid") or rec.get("timestamp") or "?"
        skipped.first_error = f"{skipped.path}: a usage value of the wrong type (line {where}): not counted"


def note_unknown(skipped: SkippedLines, kind: str) -> None:
    skipped.unknown_types[kind] = skipped.unknown_types.get(kind, 0) + 1


CHECK_BYTES = 4096  # the bytes before a grown file's offset that must be unchanged for it to be read on


def bytes_check(path: Path, offset: int) -> str:
    """A hash of the ``CHECK_BYTES`` before ``offset``: a file read up to ``offset`` and grown since is
    read on from there only if this is unchanged (else it was rewritten: read afresh); "" if unreadable."""
    try:
        with path.open("rb") as fh:
            fh.seek(max(0, offset - CHECK_BYTES))
            return hashlib.sha1(fh.read(min(offset, CHECK_BYTES))).hexdigest()
    except OSError:
        return ""


BLOCK_SIZE = 1 << 24


def iter_blocks(
    path: Path, *, size: int | None = None, skipped: SkippedLines | None = None, start: int = 0
) -> Iterator[tuple[bytes, bool]]:
    """The file in large blocks of whole lines: (block, is_complete). Only a last block that does not
    end with a newline (a line still being written) has is_complete False. ``start``: the offset of a
    line start to read from (a file read before up to there)."""
    carry = b""
    with open_binary(path, skipped) as f:
        if start:
            f.seek(start)
        while True:
            chunk = f.read(size or BLOCK_SIZE)
            if not chunk:
                break
            data = carry + chunk if carry else chunk
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                carry = data
                continue
            carry = data[cut:]
            yield data[:cut], True
    if carry.strip():
        yield carry, False


def lines_with(block: bytes, needle: bytes) -> Iterator[tuple[int, bytes]]:
    """(offset, line) of every line of ``block`` that contains ``needle``, each line once."""
    pos = 0
    while True:
        i = block.find(needle, pos)
        if i < 0:
            return
        start = block.rfind(b"\n", 0, i) + 1
        end = block.find(b"\n", i)
        if end < 0:
            end = len(block)
        yield start, block[start:end].rstrip(b"\r")
        pos = end + 1


def iter_records(path: Path, skipped: SkippedLines) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every line that is a JSON object; the rest is counted."""
    for lineno, raw, partial in iter_raw_lines(path, skipped):
        rec = parse_line(raw, lineno=lineno, partial=partial, skipped=skipped)
        if rec is not None:
            yield lineno, rec


def has_problems(skipped: SkippedLines) -> bool:
    return bool(
        skipped.malformed
        or skipped.unknown_types
        or skipped.truncated_tail
        or skipped.invalid_usage
        or skipped.unreadable
    )


# ------------------------------------------------------------------ skipped lines: one definition

SKIP_KINDS = {
    "malformed": "malformed",
    "truncated": "truncated last line",
    "unknown_type": "unknown record type",
    "invalid_usage": "invalid usage",
}


def skipped_by_kind(skipped: SkippedLines) -> dict[str, int]:
    """One file's skipped lines by kind: malformed lines, a truncated last line, unknown record types."""
    kinds = {
        "malformed": skipped.malformed,
        "truncated": int(skipped.truncated_tail),
        "unknown_type": sum(skipped.unknown_types.values()),
        "invalid_usage": skipped.invalid_usage,
    }
    return {k: n for k, n in kinds.items() if n}


def skipped_count(skipped: SkippedLines) -> int:
    """The lines a reader skipped in one file (the sum over ``skipped_by_kind``)."""
    return sum(skipped_by_kind(skipped).values())


def add_kinds(total: dict[str, int], more: dict[str, int]) -> dict[str, int]:
    """Add ``more`` into ``total`` (kept in ``SKIP_KINDS`` order) and return it."""
    summed = {k: total.get(k, 0) + more.get(k, 0) for k in SKIP_KINDS}
    total.clear()
    total.update({k: n for k, n in summed.items() if n})
    return total


def skipped_text(by_kind: dict[str, int], *, files: int) -> str | None:
    """``2 transcript lines skipped in 2 files: 1 malformed, 1 truncated last line`` (None: nothing)."""
    total = sum(by_kind.values())
    if not total:
        return None
    lines = "line" if total == 1 else "lines"
    where = "1 file" if files == 1 else f"{files} files"
    kinds = ", ".join(f"{by_kind[k]} {SKIP_KINDS[k]}" for k in SKIP_KINDS if by_kind.get(k))
    return f"{total} transcript {lines} skipped in {where}: {kinds}"


def shape_ok(line: bytes) -> bool:
    """The cheap test of a line not parsed: a JSON object line starts with ``{`` and ends with ``}``."""
    if line[:1] == b"{" and line[-1:] == b"}":
        return True
    body = line.strip()
    return not body or (body[:1] == b"{" and body[-1:] == b"}")


def count_bad_shapes(
    block: bytes, *, base_line: int, skipped: SkippedLines, parsed: Callable[[bytes], bool]
) -> None:
    """Count as malformed the lines of a block of whole lines that fail ``shape_ok``, except those
    ``parsed`` says the caller parses (and counts) itself. Text after the last newline is not looked at.

    Only suspect lines (``suspect_starts``) are judged, so the cost is one pass over the block plus work
    proportional to the suspects; a block of mostly suspect lines is split and judged line by line."""
    last = block.rfind(b"\n")
    if last < 0:
        return
    breaks = _suspect_breaks(block, last, bounded=True)
    if breaks is None:
        _count_every_line(block, base_line=base_line, skipped=skipped, parsed=parsed)
        return
    lineno, pos = base_line + 1, 0
    for start in _line_starts(block, breaks, last):
        lineno += block.count(b"\n", pos, start)  # line numbers counted between suspects only
        pos = start
        line = block[start : block.find(b"\n", start)]
        if not shape_ok(line) and not parsed(line):
            note_malformed(skipped, lineno, "is not a JSON object line (not parsed)")


def _count_every_line(
    block: bytes, *, base_line: int, skipped: SkippedLines, parsed: Callable[[bytes], bool]
) -> None:
    for i, line in enumerate(block.split(b"\n")[: block.count(b"\n")], start=base_line + 1):
        if not shape_ok(line) and not parsed(line):
            note_malformed(skipped, i, "is not a JSON object line (not parsed)")


def suspect_starts(block: bytes) -> list[int]:
    """The start offsets, in order, of the lines of ``block`` (up to its last newline) that do not start
    with ``{"`` or do not end with ``}`` (or ``}\\r``): a superset of the lines failing ``shape_ok``."""
    last = block.rfind(b"\n")
    return _line_starts(block, _suspect_breaks(block, last, bounded=False) or [], last) if last >= 0 else []


# A line break is clean when it sits between ``}`` (or ``}\r``) and ``{"``; this matches the others (the
# literal ``\n`` first lets ``re`` skip ahead at C speed).
_SUSPECT_BREAK = re.compile(rb'\n(?:(?!\{")|(?<!\}\n)(?<!\}\r\n))')
_SAMPLE = 1 << 16
_SHORT_LINES = 128  # more line breaks than this in the first 64 KB (lines under 512 bytes): the regex


def _suspect_breaks(block: bytes, last: int, *, bounded: bool) -> list[int] | None:
    """The suspect line breaks before ``last``; ``bounded``: None once they pass a quarter of the lines
    (estimated from the first 64 KB), when judging every line is cheaper than finding them."""
    sample = _newlines_in_sample(block)
    if sample > _SHORT_LINES:
        found: Iterator[int] = (m.start() for m in _SUSPECT_BREAK.finditer(block, 0, last))
    else:
        found = _find_breaks(block, last)
    if not bounded:
        return list(found)
    limit = max(16, sample * max(len(block), _SAMPLE) // _SAMPLE // 4)
    breaks = list(islice(found, limit + 1))
    return None if len(breaks) > limit else breaks


def clean_line_count(block: bytes) -> int | None:
    """The number of lines of a block of whole lines (ending with a newline) when every line break is
    clean (``}`` or ``}\\r`` before it, ``{"`` after it), so that no JSON value can span two lines; None
    at the first break that is not, or when lines are short (a memchr walk from line to line is the
    fast way only for long lines: ~0.06 s per GB at 5 KB a line)."""
    if _newlines_in_sample(block) > _SHORT_LINES:
        return None
    last = len(block) - 1
    if last < 0 or block[last] != 0x0A:
        return None
    find = block.find
    n, i = 1, find(b"\n")
    while i < last:
        # '{"' after the break, '}' before it (else '}\r', which _ends_ok also takes; at i == 0 the byte
        # before is the block's last, a newline, so _ends_ok decides there too)
        if block[i + 1] != 0x7B or block[i + 2] != 0x22 or (block[i - 1] != 0x7D and not _ends_ok(block, i)):
            return None
        n += 1
        i = find(b"\n", i + 1)
    return n if _ends_ok(block, last) else None


def _newlines_in_sample(block: bytes) -> int:
    """``block.count(b"\\n", 0, _SAMPLE)``, by memchr from line to line while there are few (long lines,
    the usual case: ``count`` walks the 64 KB byte by byte, ~0.04 s per GB of files)."""
    find = block.find
    n, i = 0, find(b"\n", 0, _SAMPLE)
    while i >= 0:
        n += 1
        if n > _SHORT_LINES:
            return block.count(b"\n", 0, _SAMPLE)
        i = find(b"\n", i + 1, _SAMPLE)
    return n


def _find_breaks(block: bytes, last: int) -> Iterator[int]:
    """The suspect line breaks by ``find`` from break to break: memchr speed plus a few Python steps per
    line (byte values compared, nothing allocated), the faster way when lines are long."""
    find = block.find
    i = find(b"\n")
    while 0 <= i < last:
        # the next line starts with '{"' and this one ends with '}' or '}\r'
        if block[i + 1] != 0x7B or block[i + 2] != 0x22 or not _ends_ok(block, i):
            yield i
        i = find(b"\n", i + 1)


def _ends_ok(block: bytes, i: int) -> bool:
    """The line ending at the newline at ``i`` ends with ``}`` or ``}\\r``."""
    c = block[i - 1] if i > 0 else 0
    return c == 0x7D or (c == 0x0D and i > 1 and block[i - 2] == 0x7D)


def _line_starts(block: bytes, breaks: list[int], last: int) -> list[int]:
    """The starts of the lines on either side of each suspect break, of a first line not starting with
    ``{"`` and of a last line (ending at ``last``) with a bad end; in order, each once."""
    starts = [] if block[:2] == b'{"' else [0]
    for i in [*breaks, last]:
        if not _ends_ok(block, i):
            start = block.rfind(b"\n", 0, i) + 1
            if not starts or starts[-1] != start:
                starts.append(start)
        if i < last and block[i + 1 : i + 3] != b'{"':
            starts.append(i + 1)
    return starts
