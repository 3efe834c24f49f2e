"""Wall time of real runs against the stub server (tests/stub_llm_server.py, 127.0.0.1 only) whose every
answer takes ``--latency`` seconds: the adaptive limit (pipeline/llm/pacing.py) against fixed ones.

- free stub: a day of ``--sessions`` one-chunk sessions; the critical path is four dependent rounds
  (the first stage over a chunk, the four others, projects, overview) of ``--latency`` each. Runs: fixed 8
  (the old behaviour), the defaults (start 8, ceiling 32), fixed 128.
- capped stub: the stub answers 429 (retry-after 1 s) to a request beyond ``--cap`` in flight; a day of
  ``--capped-sessions``. Runs: fixed at exactly ``--cap``, the defaults.

Each run starts from an empty cache. Prints figures (wall, requests, the stub's peak in flight and
refusals); asserts nothing.

    .venv/bin/python bench/bench_concurrency.py [--latency 2] [--sessions 12] [--capped-sessions 40] [--cap 16]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from daily_report.core import log
from daily_report.core.config import load_config
from daily_report.engine.plan import RunOptions
from daily_report.engine.run import run_day
from gen_run_day import DAY, generate

from tests.stub_llm_server import StubLLMServer

OUT = REPO / "bench" / "out" / "concurrency"


def one_run(stub: StubLLMServer, config_path: Path, *, start: int, ceiling: int, tag: str) -> str:
    config = load_config(config_path)
    llm = config.llm.model_copy(
        update={"concurrency": start, "max_concurrency": ceiling, "base_url": stub.url}
    )
    config = config.model_copy(update={"llm": llm})
    cache = OUT / "caches" / f"{tag}.sqlite3"
    shutil.rmtree(cache.parent, ignore_errors=True)
    stub.peak_in_flight = stub.refused = 0
    sent = len(stub.message_requests())
    t = time.perf_counter()
    result = run_day(RunOptions(date=DAY.isoformat(), config=config, cache_path=cache, write=False))
    took = time.perf_counter() - t
    assert not result.failures, result.failures[:3]
    calls = result.generation.calls if result.generation else 0
    return (
        f"{tag:<22} {took:6.2f} s  requests {calls:>4}  sent {len(stub.message_requests()) - sent:>4}"
        f"  peak in flight {stub.peak_in_flight:>3}  refused {stub.refused:>4}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--latency", type=float, default=2.0)
    ap.add_argument("--sessions", type=int, default=12)
    ap.add_argument("--capped-sessions", type=int, default=40)
    ap.add_argument("--cap", type=int, default=16)
    args = ap.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    os.environ["ANTHROPIC_API_KEY"] = "bench"
    log.set_progress_sink(lambda event, fields: None)
    with StubLLMServer() as stub:
        stub.latency_s = args.latency
        free = generate(OUT / f"day{args.sessions}", sessions=args.sessions, base_url=stub.url)
        print(f"free stub, {args.sessions} sessions, critical path {4 * args.latency:.1f} s:")
        for tag, start, ceiling in (("fixed 8", 8, 8), ("adaptive 8..32", 8, 32), ("fixed 128", 128, 128)):
            print("  " + one_run(stub, free, start=start, ceiling=ceiling, tag=tag), flush=True)
        stub.max_in_flight = args.cap
        capped = generate(
            OUT / f"day{args.capped_sessions}", sessions=args.capped_sessions, base_url=stub.url
        )
        print(f"stub refusing more than {args.cap} in flight, {args.capped_sessions} sessions:")
        for tag, start, ceiling in ((f"fixed {args.cap}", args.cap, args.cap), ("adaptive 8..32", 8, 32)):
            print("  " + one_run(stub, capped, start=start, ceiling=ceiling, tag=tag), flush=True)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
