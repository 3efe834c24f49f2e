"""Redaction throughput on realistic transcript text (the decoded strings of the shared samples).

Prints MB/s on one core. Target: at least 3 MB/s. Usage: python bench/bench_redact.py [samples_dir]
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.redact import Redactor  # noqa: E402

DEFAULT_SAMPLES = ROOT.parent / "shared" / "samples"


def strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def corpus(samples: Path) -> list[str]:
    """Every decoded string of every JSONL record (what condense feeds the redactor), in file order."""
    out: list[str] = []
    for path in sorted(samples.rglob("*.jsonl")):
        for line in path.read_bytes().splitlines():
            try:
                out.extend(s for s in strings(orjson.loads(line)) if len(s) > 3)
            except orjson.JSONDecodeError:
                continue
    return out


def main() -> None:
    samples = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SAMPLES
    texts = corpus(samples)
    size = sum(len(t.encode()) for t in texts)
    best = float("inf")
    counts: dict[str, int] = {}
    for _ in range(3):
        redactor = Redactor()
        start = time.perf_counter()
        for t in texts:
            redactor.redact(t)
        best = min(best, time.perf_counter() - start)
        counts = redactor.counts
    print(f"corpus: {len(texts)} strings, {size / 1e6:.2f} MB from {samples}")
    print(f"redact: best of 3 {best:.2f} s -> {size / 1e6 / best:.1f} MB/s (one core; target >= 3 MB/s)")
    print(f"redactions: {dict(sorted(counts.items()))}")
    big = "\n".join(texts)
    start = time.perf_counter()
    Redactor().redact(big)
    took = time.perf_counter() - start
    print(
        f"one big string: {len(big.encode()) / 1e6:.2f} MB in {took:.2f} s -> {len(big.encode()) / 1e6 / took:.1f} MB/s"
    )


if __name__ == "__main__":
    main()
