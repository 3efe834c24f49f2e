"""Redaction throughput on realistic transcript text (the decoded strings of the shared samples).

Prints MB/s on one core, by wall clock and by CPU time (the CPU figure holds on a busy machine).
Target: at least 8 MB/s. Usage: python bench/bench_redact.py [samples_dir]
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from daily_report.text.redact import Redactor

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
    "azure-storage-key": lambda i: f"AccountName=a;AccountKey={i:06d}" + "Zm9vYmFyYmF6cXV4" * 5 + "==;",
    "sendgrid-key": lambda i: f"SG.{i:06d}aB3dE5fG7hI9jK1l.qR7sT9uV1wX3yZ5aB7cD9eF1gH3iJ5kL7m{i:06d}N9o",
    "telegram-bot-token": lambda i: f"12345{i:06d}:AAH7dK9mN2pQ4rS6tU8vW0xY2zA4b{i:06d}",
    "gcp-oauth-token": lambda i: f"ya29.a0AfB_{i:06d}byC7dE9fG1hI3jK5lM7nO9pQ1rS3t",
    "databricks-token": lambda i: f"dapi{i:06d}" + "a1b2c3d4e5f6a7b8c9d0e1f2a3",
    "digitalocean-token": lambda i: f"dop_v1_{i:06d}" + "ab12" * 14 + "ab",
    "curl-user": lambda i: f"curl -u admin:Pw{i:06d}x https://api.example.com",
    "url-password": lambda i: f"postgres://bob:p@ss/{i:06d}:x@db.internal:5432/app",
    "generic-secret": lambda i: f'openai_key = "Xq7Lm2Np9Rs4Tv6{i:06d}Wx8Yz1"',
}


FAKE_VALUE = re.compile(r"[A-Za-z0-9_.-]*\d{6}[A-Za-z0-9_.-]*")  # the part holding the number


def plant(texts: list[str], every: int) -> tuple[list[str], list[str]]:
    """Insert a fake secret into every ``every``-th string; return the texts and the planted values."""
    rules = sorted(FAKES)
    out, planted = [], []
    for i, t in enumerate(texts):
        if i % every == 0:
            fake = FAKES[rules[(i // every) % len(rules)]](i)
            value = FAKE_VALUE.search(fake).group(0)  # type: ignore[union-attr]
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
    best = best_cpu = float("inf")
    counts: dict[str, int] = {}
    for _ in range(5):
        redactor = Redactor()
        start, cpu = time.perf_counter(), time.process_time()
        for t in texts:
            redactor.redact(t)
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - cpu)
        counts = redactor.counts
    print(f"corpus: {len(texts)} strings, {size / 1e6:.2f} MB from {samples}")
    print(
        f"redact: best of 5 {best:.2f} s -> {size / 1e6 / best:.1f} MB/s wall, "
        f"{size / 1e6 / best_cpu:.1f} MB/s CPU (one core; target >= 8 MB/s)"
    )
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
