"""How fast could the Claude usage fast path be? A throwaway measurement, not product code.

Compares, on one process and the same files back to back:
- ``read_file_usage`` (daily_report.sources, the real reader: a Python loop over every line);
- a whole-file scan that jumps between occurrences of ``"type":"assistant"`` with ``bytes.find`` (JSON
  string contents escape their quotes, so the pattern only matches structure) and parses only those lines.
The scan finds the same responses, which is checked. It prints MB/s for both.

    .venv/bin/python bench/proto_scan.py bench/out/tree200
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import orjson
from daily_report.sources.reader import read_file_usage
from daily_report.sources.types import SourceFile

PAT = b'"type":"assistant"'


def scan(path: Path) -> set[str]:
    data = path.read_bytes()
    keys: set[str] = set()
    pos = data.find(PAT)
    while pos != -1:
        start = data.rfind(b"\n", 0, pos) + 1
        end = data.find(b"\n", pos)
        end = len(data) if end == -1 else end
        try:
            rec = orjson.loads(data[start:end])
        except orjson.JSONDecodeError:
            rec = None
        if isinstance(rec, dict) and rec.get("type") == "assistant":
            msg = rec.get("message") or {}
            if (
                isinstance(msg, dict)
                and isinstance(msg.get("usage"), dict)
                and msg.get("model") != "<synthetic>"
            ):
                keys.add(f"{msg.get('id')}:{rec.get('requestId')}")
        pos = data.find(PAT, end)
    return keys


def main() -> None:
    root = Path(sys.argv[1])
    files = sorted(root.rglob("*.jsonl"))
    mb = sum(p.stat().st_size for p in files) / 1e6
    sources = [
        SourceFile(
            path=p,
            agent="claude_code",
            device="d",
            root=root,
            kind="subagent" if "subagents" in p.parts else "main",
            size=p.stat().st_size,
        )
        for p in files
    ]
    t = time.perf_counter()
    reader_keys = {e.dedup_key for f in sources for e in read_file_usage(f).events}
    t_reader = time.perf_counter() - t
    t = time.perf_counter()
    scan_keys: set[str] = set()
    for p in files:
        scan_keys |= scan(p)
    t_scan = time.perf_counter() - t
    print(f"{mb:.0f} MB, {len(files)} files, one process")
    print(f"read_file_usage: {t_reader:.2f} s = {mb / t_reader:.0f} MB/s")
    print(f"find-based scan: {t_scan:.2f} s = {mb / t_scan:.0f} MB/s  ({t_reader / t_scan:.1f}x)")
    print("same responses found:", reader_keys == scan_keys, len(scan_keys))


if __name__ == "__main__":
    main()
