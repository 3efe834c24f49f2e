"""Bench: how much of each chunk-stage request is a prefix shared with the first stage's request.

Plans every chunk-stage request over the shared samples (condensed, redacted, chunked with the default
budget), sends them through the anthropic provider to the stub server (tests/stub_llm_server.py) and
measures, from the recorded request bodies:

- content share: per chunk, o200k tokens of the longest common prefix of the rendered system + user
  content shared with the first stage's request, summed over stages 2..5, over the total input tokens of
  stages 2..5 (the figure issue 4 asks for; target >= 90%);
- stub cache share: cache-read tokens / prompt tokens of stages 2..5 as the stub's cache simulation
  reports them (a prefix ending at a cache_control breakpoint seen before is read);
- schema-first share: the same as the content share with the request's output JSON schema put in front,
  which is where providers inject it (Anthropic adds a system prompt for output_config.format; OpenAI
  says the schema is a prefix of the system message). Stages with different schemas share nothing then.

Without the stub (or with --no-stub) the figures come from the rendered planned requests instead.

    .venv/bin/python bench/bench_prefix.py [--samples DIR] [--budget 24000] [--lang en] [--no-stub]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipeline.llm.types import LLMRequest  # noqa: E402
from pipeline.plan import LLMTarget, skip_reason, to_request  # noqa: E402
from pipeline.redact import Redactor  # noqa: E402
from pipeline.sources.reader import load_sessions  # noqa: E402
from pipeline.stages.base import ChunkStage, load_prompt  # noqa: E402
from pipeline.stages.registry import chunk_stages, get_stage, system_prompt  # noqa: E402
from pipeline.text import prepare_chunks  # noqa: E402
from pipeline.tokens import count_tokens  # noqa: E402
from schemas.chunk import Chunk  # noqa: E402
from schemas.config import Config, DeviceConfig  # noqa: E402

SAMPLES = REPO.parent / "shared" / "samples"
TARGET = LLMTarget(provider="anthropic", model="claude-haiku-4-5", max_tokens=4096)


@dataclass
class Tally:
    shared: int = 0
    total: int = 0
    by_stage: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))

    def add(self, stage: str, shared: int, total: int) -> None:
        self.shared += shared
        self.total += total
        self.by_stage[stage][0] += shared
        self.by_stage[stage][1] += total

    def share(self) -> float:
        return self.shared / self.total if self.total else 0.0


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


def plan(chunks: list[Chunk], lang: str) -> list[list[LLMRequest]]:
    """Per chunk, its requests in stage order."""
    system = system_prompt(lang=lang).text
    prompts = {name: load_prompt(name) for name in chunk_stages()}
    groups = []
    for chunk in chunks:
        group = []
        for name in chunk_stages():
            stage = get_stage(name)()
            assert isinstance(stage, ChunkStage)
            call = stage.plan(chunk, prompts[name], system, lang)
            group.append(to_request(call, prompt=prompts[name], target=TARGET))
        groups.append(group)
    return groups


def _rendered(system: str, blocks: list[str]) -> str:
    return system + "".join(blocks)


def send_through_stub(groups: list[list[LLMRequest]]) -> tuple[list[list[dict[str, Any]]], float] | None:
    """Request bodies as the stub recorded them (same shape as ``groups``) and the stub's cache share."""
    try:
        from pipeline.llm.anthropic_provider import AnthropicProvider
        from tests.stub_llm_server import StubLLMServer
    except ImportError:
        return None
    bodies: list[list[dict[str, Any]]] = []
    read = prompt = 0
    with StubLLMServer() as stub:
        provider = AnthropicProvider(api_key="bench", base_url=stub.url)
        for group in groups:
            bodies.append([])
            for i, request in enumerate(group):
                answer = provider.complete(request, [])
                bodies[-1].append(stub.message_requests()[-1].body)
                if i:
                    read += answer.usage.cache_read_tokens
                    prompt += answer.usage.prompt_tokens
    return bodies, (read / prompt if prompt else 0.0)


def body_text(body: dict[str, Any], *, schema_first: bool) -> str:
    from tests.stub_llm_server import prompt_blocks, schema_of

    text = "".join(t for t, _ in prompt_blocks(body))
    return (json.dumps(schema_of(body), sort_keys=True) + text) if schema_first else text


def request_text(request: LLMRequest, *, schema_first: bool) -> str:
    text = _rendered(request.system, [b.text for b in request.blocks])
    return (json.dumps(request.output_schema, sort_keys=True) + text) if schema_first else text


def common_prefix(a: str, b: str) -> str:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return a[:i]


def measure(texts: list[list[str]], stages: list[str]) -> Tally:
    tally = Tally()
    for group in texts:
        first = group[0]
        for stage, text in zip(stages[1:], group[1:], strict=True):
            tally.add(stage, count_tokens(common_prefix(first, text)), count_tokens(text))
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=SAMPLES)
    parser.add_argument("--budget", type=int, default=24_000)
    parser.add_argument("--lang", default="en")
    parser.add_argument("--no-stub", action="store_true")
    args = parser.parse_args()

    chunks = load_chunks(args.samples, args.budget)
    groups = plan(chunks, args.lang)
    stages = chunk_stages()
    sent = None if args.no_stub else send_through_stub(groups)
    if sent is None:
        source, stub_share = "rendered planned requests (stub not used)", None
        content = measure([[request_text(r, schema_first=False) for r in g] for g in groups], stages)
        schema = measure([[request_text(r, schema_first=True) for r in g] for g in groups], stages)
    else:
        bodies, stub_share = sent
        source = "request bodies recorded by the stub (anthropic provider, native structured output)"
        content = measure([[body_text(b, schema_first=False) for b in g] for g in bodies], stages)
        schema = measure([[body_text(b, schema_first=True) for b in g] for g in bodies], stages)

    transcript = sum(c.tokens for c in chunks)
    print(f"source: {source}")
    print(f"chunks: {len(chunks)}  requests: {len(chunks) * len(stages)}  transcript tokens: {transcript:,}")
    print(
        f"content prefix share, stages 2..5: {content.share():.1%} "
        f"({content.shared:,} of {content.total:,} o200k tokens)"
    )
    for stage, (shared, total) in content.by_stage.items():
        print(f"  {stage:<10} {shared / total:6.1%}  ({total - shared:,} tokens after the shared prefix)")
    if stub_share is not None:
        print(f"stub cache-read share, stages 2..5: {stub_share:.1%}")
    print(f"schema-first prefix share (schema injected before the prompt): {schema.share():.1%}")


if __name__ == "__main__":
    main()
