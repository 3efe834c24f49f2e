"""Bench: how much of each chunk-stage request a provider can read from the prompt cache written by the
first stage over the same chunk (issue 4: target >= 90%).

Plans every chunk-stage request over the shared samples (condensed, redacted, chunked at ``--budget``) in
two layouts, sends them through the provider to the stub server (tests/stub_llm_server.py), and measures
on the recorded request bodies, rendered in the provider's serialization order (tools and any output
schema first, then system, then messages; Anthropic puts tool_choice after system):

- identical prefix share: per chunk, o200k tokens of the prefix stage k (2..5) shares with stage 1, cut at
  stage k's last cache breakpoint (Anthropic caches up to a breakpoint; OpenAI has none), summed over
  stages 2..5, over the total input tokens (the whole rendering) of stages 2..5;
- cacheable share: the same, but a prefix counts only when it is identical all the way to the breakpoint
  (what an Anthropic cache hit needs; OpenAI: equal to the identical prefix share);
- stub cache-read share: cache-read tokens / prompt tokens of stages 2..5 as the stub's simulation reports
  (OpenAI's stub matches any earlier prompt, so in the native layout a stage reads the schema + system
  prompt the same stage sent over an earlier chunk).

Layouts: "native" (one output schema per stage, today's old single-schema layout: the schema precedes the
prompt and differs by stage) and "tools" (one shared tool list, the tool per stage asked for by name, the
system role holding instructions only, the transcript opening the user turn with the cache breakpoint).

    .venv/bin/python bench/bench_prefix.py [--samples DIR] [--budget 24000] [--provider anthropic|openai]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from daily_report.engine.plan import LLMTarget, chunk_call, skip_reason, to_request
from daily_report.llm.base import Provider
from daily_report.llm.providers.anthropic import AnthropicProvider
from daily_report.llm.providers.openai import OpenAIProvider
from daily_report.llm.types import LLMRequest
from daily_report.schemas.chunk import Chunk
from daily_report.schemas.config import Config, DeviceConfig
from daily_report.sources.reader import load_sessions
from daily_report.stages.base import ChunkStage, load_prompt
from daily_report.stages.registry import chunk_stages, get_stage, system_prompt
from daily_report.text.prepare import prepare_chunks
from daily_report.text.redact import Redactor
from daily_report.text.tokens import count_tokens

from tests.stub_llm_routes import serialized_parts
from tests.stub_llm_server import StubLLMServer

SAMPLES = REPO / "fixtures" / "samples"
MODELS = {"anthropic": "claude-haiku-4-5", "openai": "gpt-5-mini"}
LAYOUTS = ("native", "tools")


@dataclass
class Tally:
    shared: int = 0
    cacheable: int = 0
    total: int = 0
    read: int = 0
    prompt: int = 0

    def pct(self, part: int, whole: int) -> str:
        return f"{part / whole:6.1%}" if whole else "   n/a"


def load_chunks(samples: Path, budget: int) -> list[Chunk]:
    config = Config(
        devices={
            "samples": DeviceConfig(
                name="samples", claude=[samples / "claude-code"], codex=[samples / "codex"]
            )
        }
    )
    redactor = Redactor()
    chunks: list[Chunk] = []
    for session in load_sessions(config).sessions:
        if skip_reason(session, config) is None:
            chunks += prepare_chunks(
                session, redactor=redactor, budget_tokens=budget, max_turn_tokens=config.chunk.max_turn_tokens
            )
    return chunks


def plan(chunks: list[Chunk], *, provider: str, layout: str) -> list[list[LLMRequest]]:
    """Per chunk, its requests in stage order."""
    system = system_prompt().text
    prompts = {name: load_prompt(name) for name in chunk_stages()}
    target = LLMTarget(provider=provider, model=MODELS[provider], max_tokens=4096, structured=layout)
    groups = []
    for chunk in chunks:
        group = []
        for name in chunk_stages():
            stage = get_stage(name)()
            assert isinstance(stage, ChunkStage)
            call = chunk_call(stage, chunk, prompts[name], system, "en")  # with the shared tool list
            group.append(to_request(call, prompt=prompts[name], target=target))
        groups.append(group)
    return groups


def make_provider(name: str, stub: StubLLMServer, layout: str) -> Provider:
    if name == "anthropic":
        return AnthropicProvider(
            api_key="bench", base_url=stub.url, structured="native" if layout == "native" else "tools"
        )
    return OpenAIProvider(api_key="bench", base_url=stub.openai_url, prompt_cache_key=True)


def rendered(body: dict[str, Any]) -> tuple[str, int | None]:
    """The body in serialization order, and where its last cache breakpoint ends (None: no breakpoint,
    automatic prefix caching of any shared prefix, as OpenAI does)."""
    text, cut = "", None
    for part, cached in serialized_parts(body):
        text += part
        if cached:
            cut = len(text)
    return text, cut


def common_prefix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def run_layout(groups: list[list[LLMRequest]], *, provider: str, layout: str) -> Tally:
    tally = Tally()
    with StubLLMServer() as stub:
        client = make_provider(provider, stub, layout)
        for group in groups:
            texts = []
            for i, request in enumerate(group):
                usage = client.complete(request, []).usage
                texts.append(rendered(stub.message_requests()[-1].body))
                if i:
                    tally.read += usage.cache_read_tokens
                    tally.prompt += usage.prompt_tokens
            first = texts[0][0]
            for text, cut in texts[1:]:
                same = common_prefix(first, text)
                shared = count_tokens(text[: same if cut is None else min(same, cut)])
                tally.shared += shared
                tally.cacheable += shared if cut is None or same >= cut else 0
                tally.total += count_tokens(text)
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=SAMPLES)
    parser.add_argument("--budget", type=int, default=Config().chunk.budget_tokens)
    parser.add_argument("--provider", choices=sorted(MODELS), default="anthropic")
    args = parser.parse_args()

    chunks = load_chunks(args.samples, args.budget)
    print(
        f"provider: {args.provider}  budget: {args.budget:,}  chunks: {len(chunks)}  "
        f"requests per layout: {len(chunks) * len(chunk_stages())}  "
        f"transcript tokens: {sum(c.tokens for c in chunks):,}"
    )
    print("stages 2..5 vs stage 1 of each chunk, on the request bodies the stub recorded:")
    print(f"  {'layout':<8} {'identical prefix':>17} {'cacheable':>10} {'stub cache read':>16}  input tokens")
    for layout in LAYOUTS:
        t = run_layout(
            plan(chunks, provider=args.provider, layout=layout), provider=args.provider, layout=layout
        )
        print(
            f"  {layout:<8} {t.pct(t.shared, t.total):>17} {t.pct(t.cacheable, t.total):>10} "
            f"{t.pct(t.read, t.prompt):>16}  {t.total:,}"
        )


if __name__ == "__main__":
    main()
