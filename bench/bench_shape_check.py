"""Time the Claude usage fast path over a tree's files with no shape check, with the previous whole-block
check, and with the current one (``jsonl.count_bad_shapes``); count the blocks each judges line by line.

    .venv/bin/python bench/bench_shape_check.py bench/out/tree1024 --runs 5

One process, every file of the tree scanned by ``scan_claude_usage`` per round, variants interleaved so
they see the same load; best of ``--runs``. Figures only: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from pipeline.sources import claude_usage, jsonl
from pipeline.sources.discovery import discover_roots
from pipeline.sources.files import SourceFile
from schemas.transcript import SkippedLines

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


VARIANTS: dict[str, Check] = {"none": _none, "previous": _previous, "current": jsonl.count_bad_shapes}


def scan_all(files: list[SourceFile], check: Check) -> tuple[float, int]:
    claude_usage.count_bad_shapes = check
    t = time.perf_counter()
    bad = sum(claude_usage.scan_claude_usage(f).skipped.malformed for f in files)
    return time.perf_counter() - t, bad


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
    malformed: dict[str, int] = {}
    for _ in range(args.runs):
        for name, check in VARIANTS.items():
            t, malformed[name] = scan_all(files, check)
            times[name].append(t)
    claude_usage.count_bad_shapes = jsonl.count_bad_shapes
    for name in VARIANTS:
        print(f"{name:>9} check: best {min(times[name]):.3f} s, malformed lines counted {malformed[name]}")
    blocks, lines, split, suspects = block_stats(files)
    print(f"{blocks} blocks, {lines} lines; previous check split {split} blocks; {suspects} suspect lines")


if __name__ == "__main__":
    main()
