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

DEFAULT_SAMPLES = ROOT / "fixtures" / "samples"


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


FAKES = {  # rule -> a generator of distinct realistic fakes (none is a real credential)
    "anthropic-key": lambda i: f"sk-ant-api03-{i:06d}" + "Qx7-Lm2_" * 11,
    "openai-key": lambda i: f"sk-proj-{i:06d}" + "T3xq9LmNpQ2rS5vW" * 4,
    "aws-access-key": lambda i: f"AKIA{i:06d}QZ7XW2N5R3",
    "github-token": lambda i: f"ghp_{i:06d}" + "R4nd0mT0k3nV4lu3" * 2,
    "slack-token": lambda i: f"xoxb-{i:06d}1234567-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "huggingface-token": lambda i: f"hf_{i:06d}kQ3vNxRmTpLwZcByHjDfGsAe",
    "jwt": lambda i: f"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIx{i:06d}fQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV",
    "password-assignment": lambda i: f"DB_PASSWORD=Hunter{i:06d}Batt",
}


def plant(texts: list[str], every: int) -> tuple[list[str], list[str]]:
    """Insert a fake secret into every ``every``-th string; return the texts and the planted values."""
    rules = sorted(FAKES)
    out, planted = [], []
    for i, t in enumerate(texts):
        if i % every == 0:
            fake = FAKES[rules[(i // every) % len(rules)]](i)
            value = fake.split("=", 1)[-1]
            planted.append(value)
            cut = len(t) // 2
            t = f"{t[:cut]} {fake} {t[cut:]}"
        out.append(t)
    return out, planted


def recall(texts: list[str], planted: list[str]) -> None:
    redactor = Redactor()
    start = time.perf_counter()
    joined = "\n".join(redactor.redact(t) for t in texts)
    took = time.perf_counter() - start
    missed = [p for p in planted if p in joined]
    size = sum(len(t.encode()) for t in texts)
    print(
        f"planted: {len(planted)} fakes, {len(planted) - len(missed)} redacted ({len(missed)} missed) "
        f"at {size / 1e6 / took:.1f} MB/s; counts {dict(sorted(redactor.counts.items()))}"
    )


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
    recall(*plant(texts, every=200))
    big = "\n".join(texts)
    start = time.perf_counter()
    Redactor().redact(big)
    took = time.perf_counter() - start
    print(
        f"one big string: {len(big.encode()) / 1e6:.2f} MB in {took:.2f} s -> {len(big.encode()) / 1e6 / took:.1f} MB/s"
    )


if __name__ == "__main__":
    main()
