"""What a run will cost before anything is sent: tokens counted offline, prices from genai-prices.

Input tokens are o200k counts of everything a request carries (system, blocks, output schema or the shared
tools' schemas) scaled by the model family's factor (``daily_report.text.tokens.estimate_model_tokens``). Output
tokens grow with what a request reads: each stage's fitted ``OutputSize`` (a base plus so much per 1,000 tokens of
its transcript or notes, capped by the request's ``max_tokens``). Prompt caching is modelled as providers render requests: with shared
tools ("tools" mode) the first stage sent over a chunk writes the tools + transcript prefix (Anthropic:
cache-write price; OpenAI: plain input) and the later stages read it (cache-read price); with one schema per
request ("native", "tool") the schema precedes the prompt, so only a request with the same schema over the
same chunk could read it. A bundled request (a chunk's stages in one answer) caches its tools + system prefix,
the same for every chunk, when the run sends more than one; its output is the sum of its stages'. Requests
already in the cache are free. Batch halves the price.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

from daily_report.llm.costing import call_cost
from daily_report.llm.factory import PROVIDERS
from daily_report.llm.types import LLMRequest, ToolSpec, Usage
from daily_report.stages.base import OutputSize
from daily_report.stages.registry import STAGES
from daily_report.text.tokens import count_tokens, estimate_model_tokens

# The size of one answer as each stage declares it (``output_size``); a name the registry does not know (an old
# plan's) gets DEFAULT_OUTPUT.
OUTPUT_SIZE: dict[str, OutputSize] = {name: cls.output_size for name, cls in STAGES.items()}
DEFAULT_OUTPUT = OutputSize(base=300)


def output_size(stage: str) -> OutputSize:
    return OUTPUT_SIZE.get(stage, DEFAULT_OUTPUT)


def read_tokens(request: LLMRequest) -> int:
    """o200k tokens of what the request reads: its blocks before the last one (the stage's instructions)."""
    return sum(_count(b.text) for b in request.blocks[:-1])


def expected_output(request: LLMRequest) -> int:
    """The answer's expected model tokens: the stage's fitted size over what it reads, at most ``max_tokens``
    (a bundled request: the sum over the stages it asks for, each reading the same transcript)."""
    read = read_tokens(request)
    stages = request.tool_names or [request.stage]
    tokens = sum(estimate_model_tokens(output_size(s).tokens(read), request.model) for s in stages)
    return min(tokens, request.max_tokens)


def min_cacheable(provider: str, model: str) -> int:
    """The smallest prefix (model tokens) the provider caches for ``model`` (its ``SPEC``; 1,024 otherwise)."""
    spec = PROVIDERS.get(provider)
    return spec.min_cacheable_for(model) if spec is not None else 1024


def _cache_writes_billed(provider: str) -> bool:
    spec = PROVIDERS.get(provider)
    return spec is not None and spec.cache_writes_billed


@dataclass
class StageEstimate:
    stage: str
    requests: int = 0
    cached: int = 0
    input_tokens: int = 0
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0
    output_tokens: int = 0
    cost_usd: Decimal | None = Decimal(0)

    def add_cost(self, cost: Decimal | None) -> None:
        self.cost_usd = None if cost is None or self.cost_usd is None else self.cost_usd + cost


@dataclass
class Estimate:
    provider: str
    model: str
    batch: bool = False
    stages: list[StageEstimate] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def total(self) -> StageEstimate:
        out = StageEstimate(stage="total")
        for s in self.stages:
            out.requests += s.requests
            out.cached += s.cached
            out.input_tokens += s.input_tokens
            out.cache_write_tokens += s.cache_write_tokens
            out.cache_read_tokens += s.cache_read_tokens
            out.output_tokens += s.output_tokens
            out.add_cost(s.cost_usd)
        return out

    @property
    def cost_usd(self) -> Decimal | None:
        return self.total().cost_usd

    def as_json(self) -> dict[str, Any]:
        """``run --dry-run --json``: every stage and the totals (``input_tokens`` includes the cache writes
        and reads; ``cost_usd`` is null when a price is unknown)."""
        return {
            "provider": self.provider,
            "model": self.model,
            "batch": self.batch,
            "stages": [_stage_json(s) for s in self.stages],
            "totals": _stage_json(self.total()),
        }


def _stage_json(s: StageEstimate) -> dict[str, Any]:
    return {
        "stage": s.stage,
        "requests": s.requests,
        "cached": s.cached,
        "input_tokens": s.input_tokens,
        "cache_write_tokens": s.cache_write_tokens,
        "cache_read_tokens": s.cache_read_tokens,
        "output_tokens": s.output_tokens,
        "cost_usd": None if s.cost_usd is None else float(s.cost_usd),
    }


def price_tokens(
    *,
    provider: str,
    model: str,
    input_tokens: int,
    cache_write_tokens: int = 0,
    cache_read_tokens: int = 0,
    output_tokens: int = 0,
    batch: bool = False,
    overrides: Mapping[str, Any] | None = None,
) -> Decimal | None:
    """USD for the given tokens (``input_tokens`` is the TOTAL prompt, cache parts included); None if unknown."""
    usage = Usage(
        input_tokens=input_tokens - cache_write_tokens - cache_read_tokens,
        cache_write_tokens=cache_write_tokens,
        cache_read_tokens=cache_read_tokens,
        output_tokens=output_tokens,
    )
    return call_cost(provider=provider, model=model, usage=usage, batch=batch, overrides=overrides)


def _split_tokens(request: LLMRequest) -> tuple[int, int]:
    """(cacheable prefix tokens, the rest) as model tokens. With shared tools (chunk stages) the prefix is
    the tools' schemas + system + blocks up to the last cached block (providers render tools first); with
    one schema per request that schema precedes the prompt and differs by stage, so it sits in the rest.

    Each part is counted on its own and remembered: the tools, the system text and a chunk's transcript are
    the same over the five requests of a chunk (and the tools and system over the whole run).

    A bundled request's prefix is the tools and the system text (every stage's instructions), the same
    for every chunk; its transcript is sent once, so it sits in the rest."""
    if request.tool_names:
        prefix = _count(_tools_json(request.tools or [])) + _count(request.system)
        rest = sum(_count(b.text) for b in request.blocks)
        return estimate_model_tokens(prefix, request.model), estimate_model_tokens(rest, request.model)
    last_cached = max((i for i, b in enumerate(request.blocks) if b.cache), default=-1)
    prefix = _count(request.system) + sum(_count(b.text) for b in request.blocks[: last_cached + 1])
    rest = sum(_count(b.text) for b in request.blocks[last_cached + 1 :])
    if request.tools:
        prefix += _count(_tools_json(request.tools))
    else:
        rest += _count(json.dumps(request.output_schema))
    model = request.model
    return estimate_model_tokens(prefix, model), estimate_model_tokens(rest, model)


@lru_cache(maxsize=64)  # requests come chunk by chunk: a chunk's parts are hot for five requests
def _count(text: str) -> int:
    return count_tokens(text)


_TOOLS_JSON: dict[tuple[int, ...], tuple[Sequence[ToolSpec], str]] = {}


def _tools_json(tools: Sequence[ToolSpec]) -> str:
    """The tools' JSON, rendered once per tool list (a run's requests share the same ToolSpec objects)."""
    ident = tuple(id(t) for t in tools)
    hit = _TOOLS_JSON.get(ident)
    if hit is not None and all(a is b for a, b in zip(hit[0], tools, strict=True)):
        return hit[1]
    text = json.dumps([t.model_dump() for t in tools])
    if len(_TOOLS_JSON) > 16:
        _TOOLS_JSON.clear()
    _TOOLS_JSON[ident] = (list(tools), text)
    return text


PrefixId = tuple[str | None, int | None, str | None]


BUNDLE_PREFIX: PrefixId = ("(bundled requests)", None, None)


def _chunk_id(request: LLMRequest) -> PrefixId | None:
    """What identifies a request's cacheable prefix: its chunk, plus its schema when that comes first; the
    one prefix of every bundled request of the run (None: a bundled request sent alone has no breakpoint)."""
    if request.tool_names:
        return BUNDLE_PREFIX if request.system_cache else None
    return request.session_id, request.chunk_index, None if request.tools else request.schema_name


@dataclass
class Estimator:
    """Accumulates an Estimate over requests; one instance per run."""

    provider: str
    model: str
    batch: bool = False
    overrides: Mapping[str, Any] | None = None
    _by_stage: dict[str, StageEstimate] = field(default_factory=dict)
    _prefix_seen: set[PrefixId] = field(default_factory=set)

    def stage(self, name: str) -> StageEstimate:
        return self._by_stage.setdefault(name, StageEstimate(stage=name))

    def add_requests(self, requests: Iterable[LLMRequest], *, cached: set[str]) -> None:
        """Requests in the order they go out: the first one sent over a chunk writes its prefix."""
        for req in requests:
            row = self.stage(req.stage)
            row.requests += 1
            if req.key() in cached:
                row.cached += 1
                continue
            prefix, rest = _split_tokens(req)
            self._add(row, prefix=prefix, rest=rest, output=expected_output(req), cid=_chunk_id(req))

    def add_day_stage(
        self, name: str, *, calls: int, input_tokens: int, read_tokens: int = 0, max_tokens: int = 4096
    ) -> None:
        """A day stage that cannot be planned yet: its size from the expected size of its inputs
        (``input_tokens`` in model tokens; ``read_tokens``, the notes part of it, in o200k tokens)."""
        row = self.stage(name)
        row.requests += calls
        per_call = max(input_tokens // max(calls, 1), 1)
        read = output_size(name).tokens(read_tokens // max(calls, 1))
        output = min(estimate_model_tokens(read, self.model), max_tokens)
        for _ in range(calls):
            self._add(row, prefix=0, rest=per_call, output=output, cid=None)

    def _add(
        self,
        row: StageEstimate,
        *,
        prefix: int,
        rest: int,
        output: int,
        cid: PrefixId | None,
    ) -> None:
        write = read = 0
        if cid is not None and cid[0] is not None and prefix >= min_cacheable(self.provider, self.model):
            if cid in self._prefix_seen:
                read = prefix
            elif _cache_writes_billed(self.provider):
                write = prefix
            self._prefix_seen.add(cid)
        row.input_tokens += prefix + rest
        row.cache_write_tokens += write
        row.cache_read_tokens += read
        row.output_tokens += output
        row.add_cost(
            price_tokens(
                provider=self.provider,
                model=self.model,
                input_tokens=prefix + rest,
                cache_write_tokens=write,
                cache_read_tokens=read,
                output_tokens=output,
                batch=self.batch,
                overrides=self.overrides,
            )
        )

    def result(self, order: Sequence[str]) -> Estimate:
        rank = {n: i for i, n in enumerate(order)}
        stages = sorted(self._by_stage.values(), key=lambda s: rank.get(s.stage, len(rank)))
        return Estimate(provider=self.provider, model=self.model, batch=self.batch, stages=stages)


# The notes a session or day stage reads are compact lines of the answers it depends on, not their JSON: over the
# four such requests of the answer-by-hand rounds (a reduce, a project, an overview; 2 rounds) the notes were 0.54-0.72
# of the answers' tokens.
NOTES_PER_ANSWER = 0.6


def expected_notes(deps: Sequence[str], *, chunk_tokens: Sequence[Sequence[int]]) -> int:
    """What a session or day stage reads (o200k): notes of the expected answers of the stages it depends on, one
    per chunk (``chunk_tokens``: each session's chunks' transcript tokens) or, for a day stage, one."""
    total = 0
    for dep in deps:
        size = output_size(dep)
        if dep in STAGES and STAGES[dep].scope == "day":  # one answer for the day, not one per chunk
            total += size.tokens(0)
        else:
            total += sum(size.tokens(n) for chunks in chunk_tokens for n in chunks)
    return round(total * NOTES_PER_ANSWER)


def request_cost(request: LLMRequest, *, overrides: Mapping[str, Any] | None = None) -> Decimal | None:
    """A cautious estimate of one request's price: the whole prompt at the input price, the expected output."""
    prefix, rest = _split_tokens(request)
    return price_tokens(
        provider=request.provider,
        model=request.model,
        input_tokens=prefix + rest,
        output_tokens=expected_output(request),
        overrides=overrides,
    )
