"""LLM layer figures: cache and ledger throughput, and the per-call overhead of each SDK provider
against the local stub server (no network). Prints figures; asserts nothing.

    .venv/bin/python bench/bench_llm.py [--n 2000] [--calls 200]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from daily_report.llm.cache import Cache
from daily_report.llm.ledger import Ledger
from daily_report.llm.providers.anthropic import AnthropicProvider
from daily_report.llm.providers.openai import OpenAIProvider
from daily_report.llm.structured import call_structured
from daily_report.llm.types import LLMResponse, Usage

from tests.stub_llm_kit import Facts, make_request
from tests.stub_llm_server import StubLLMServer


def bench_cache(n: int, root: Path) -> None:
    cache = Cache(root / "bench.sqlite3")
    ledger = Ledger.beside(cache)
    requests = [make_request(transcript=f"chunk {i} " * 200) for i in range(n)]
    keys = [r.key() for r in requests]
    resp = LLMResponse(
        output={"title": "t", "status": "done", "steps": ["a"] * 5, "turns": 3},
        raw_text="{}" * 200,
        usage=Usage(input_tokens=1000, output_tokens=200),
        model="claude-haiku-4-5",
    )
    t = time.perf_counter()
    for key, req in zip(keys, requests, strict=True):
        cache.put(key, req, resp)
    put = time.perf_counter() - t
    t = time.perf_counter()
    for key in keys:
        cache.get(key)
    get = time.perf_counter() - t
    t = time.perf_counter()
    for req in requests:
        ledger.record(run_id="bench", request=req, response=resp, attempt=1, cache_hit=False, latency_s=0.1)
    rec = time.perf_counter() - t
    t = time.perf_counter()
    ledger.summary("bench")
    summ = time.perf_counter() - t
    print(f"cache put      {n / put:>9,.0f} /s  ({n} answers)")
    print(f"cache get      {n / get:>9,.0f} /s")
    print(f"ledger record  {n / rec:>9,.0f} /s  (priced with genai-prices)")
    print(f"ledger summary {summ * 1000:>9,.1f} ms for {n} rows")
    print(
        f"request.key()  {_key_rate(requests):>9,.0f} /s  (~{len(requests[0].blocks[0].text):,} char prompt)"
    )
    cache.close()


def _key_rate(requests: list) -> float:  # type: ignore[type-arg]
    t = time.perf_counter()
    for r in requests:
        r.key()
    return len(requests) / (time.perf_counter() - t)


def bench_calls(calls: int) -> None:
    with StubLLMServer() as stub:
        for name, provider in (
            ("anthropic", AnthropicProvider(api_key="k", base_url=stub.url)),
            ("openai", OpenAIProvider(api_key="k", base_url=stub.openai_url)),
        ):
            reqs = [make_request(name, transcript=f"chunk {i} " * 500) for i in range(calls)]
            call_structured(provider, reqs[0], Facts)  # warm the client
            for workers in (1, 8):
                t = time.perf_counter()
                with ThreadPoolExecutor(workers) as pool:
                    list(pool.map(lambda r: call_structured(provider, r, Facts), reqs))  # noqa: B023
                dt = time.perf_counter() - t
                print(
                    f"{name:<9} stub calls, {workers} thread(s): {calls / dt:>7,.0f} calls/s "
                    f"({dt / calls * 1000:.1f} ms each, validation and stub included)"
                )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--calls", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        bench_cache(args.n, Path(d))
    bench_calls(args.calls)


if __name__ == "__main__":
    main()
