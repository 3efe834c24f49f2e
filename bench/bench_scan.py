"""Time the Claude usage fast path over a tree's files by each way through a block: the typed whole-block
decode (the default where it can be proven), and the search path with no shape check, with the previous
whole-block check and with the current one (``jsonl.count_bad_shapes``); count the blocks each judges.

    .venv/bin/python bench/bench_scan.py bench/out/tree1024 --runs 5

One process, every file of the tree scanned by ``scan_claude_usage`` per round, variants interleaved so
they see the same load; best of ``--runs``. Figures only: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from daily_report.schemas.transcript import SkippedLines
from daily_report.sources import jsonl
from daily_report.sources.claude import usage as claude_usage
from daily_report.sources.discovery import discover_roots
from daily_report.sources.files import SourceFile

Check = Callable[..., None]


def _none(block: bytes, *, base_line: int, skipped: SkippedLines, parsed: Callable[[bytes], bool]) -> None:
    return None


def _previous(
    block: bytes, *, base_line: int, skipped: SkippedLines, parsed: Callable[[bytes], bool]
) -> None:
    """The check before the suspect search: two whole-block counts, else every line split and judged."""
    lines = block.count(b"\n")
    if _clean(block, lines):
        return
    for i, line in enumerate(block.split(b"\n")[:lines], start=base_line + 1):
        if not jsonl.shape_ok(line) and not parsed(line):
            jsonl.note_malformed(skipped, i, "is not a JSON object line (not parsed)")


def _clean(block: bytes, lines: int) -> bool:
    return block[:2] == b'{"' and block[-2:] == b"}\n" and block.count(b'}\n{"') == lines - 1


TYPED = claude_usage._typed_lines
# name → (typed whole blocks allowed, shape check of the search path)
VARIANTS: dict[str, tuple[bool, Check]] = {
    "typed blocks (default)": (True, jsonl.count_bad_shapes),
    "search, no shape check": (False, _none),
    "search, previous check": (False, _previous),
    "search, current check": (False, jsonl.count_bad_shapes),
}


def scan_all(files: list[SourceFile], typed: bool, check: Check) -> tuple[float, int, int]:
    """(seconds, malformed lines counted, rows)."""
    claude_usage.count_bad_shapes = check
    claude_usage._typed_lines = TYPED if typed else (lambda block: None)  # type: ignore[assignment]
    t = time.perf_counter()
    scans = [claude_usage.scan_claude_usage(f) for f in files]
    return time.perf_counter() - t, sum(s.skipped.malformed for s in scans), sum(len(s.rows) for s in scans)


def block_stats(files: list[SourceFile]) -> tuple[int, int, int, int]:
    """(blocks, lines, blocks the previous check split, suspect lines the current check judges)."""
    blocks = lines = split = suspects = 0
    for f in files:
        for block, complete in jsonl.iter_blocks(f.path):
            if complete:
                n = block.count(b"\n")
                blocks, lines = blocks + 1, lines + n
                split += not _clean(block, n)
                suspects += len(jsonl.suspect_starts(block))
    return blocks, lines, split, suspects


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("tree", type=Path)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    files = discover_roots([("bench", "claude_code", args.tree)], emit=False).files
    print(f"{len(files)} files, {sum(f.size for f in files) / 1e6:.0f} MB, one process")
    times: dict[str, list[float]] = {name: [] for name in VARIANTS}
    counted: dict[str, tuple[int, int]] = {}
    for _ in range(args.runs):
        for name, (typed, check) in VARIANTS.items():
            t, bad, rows = scan_all(files, typed, check)
            counted[name] = (bad, rows)
            times[name].append(t)
    claude_usage.count_bad_shapes = jsonl.count_bad_shapes
    claude_usage._typed_lines = TYPED
    for name in VARIANTS:
        bad, rows = counted[name]
        print(f"{name:>24}: best {min(times[name]):.3f} s, {rows} usage rows, malformed lines counted {bad}")
    blocks, lines, split, suspects = block_stats(files)
    print(f"{blocks} blocks, {lines} lines; previous check split {split} blocks; {suspects} suspect lines")


if __name__ == "__main__":
    main()
