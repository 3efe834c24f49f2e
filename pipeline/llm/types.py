"""The provider-neutral request and response of one LLM call. Vendor quirks live in the vendor modules.

A request is rendered as: ``system`` text, then one user message whose content is a list of text blocks.
A block with ``cache=True`` ends a cacheable prefix (Anthropic: a ``cache_control`` breakpoint; OpenAI:
automatic prefix caching, blocks concatenated in order). Chunk stages put the transcript first with
``cache=True`` and the stage instructions after it, so stages over one chunk share a prefix.

With ``tools`` set (the default "tools" structured mode for chunk stages) every request over a chunk offers
the same tools and asks for its own (``tool_name``). ``system`` is instructions only, never transcript
text: the transcript is the user turn's first block and carries the cache breakpoint, so the prefix
providers cache (tools, system, transcript) is identical over the chunk's five requests.

A bundled request (``tool_names`` set; ``engine/bundle.py``) asks for several of those tools at once, each
called once: its system text holds every chunk stage's instructions (the same for every chunk; with
``system_cache`` a breakpoint after it), its blocks the transcript and what depends on the chunk.
``member_keys`` names the single-stage request each tool call answers (its answer's cache key).
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field


class TextBlock(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str
    cache: bool = False


class ToolSpec(BaseModel):
    """One tool a request offers: its name, a description and the JSON schema of its input (the pydantic
    schema of a stage's output model; each provider applies its own strict-schema transform)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str
    input_schema: dict[str, Any]


class LLMRequest(BaseModel):
    """Everything that decides an answer, plus labels (not part of the key) for messages and the ledger."""

    model_config = ConfigDict(extra="forbid")

    stage: str
    prompt_version: str = Field(description="e.g. 'v1'")
    provider: str
    model: str
    system: str
    blocks: list[TextBlock]
    schema_name: str
    output_schema: dict[str, Any] = Field(description="JSON schema of the pydantic output model.")
    max_tokens: int = 4096
    temperature: float | None = None
    tools: list[ToolSpec] | None = Field(
        default=None,
        description="Shared tools of the chunk stages (identical over a chunk's requests); None: one schema.",
    )
    tool_name: str | None = Field(default=None, description="The tool this request forces (one of tools).")
    tool_names: list[str] | None = Field(
        default=None,
        description="A bundled request: the tools the model calls, each once (several stages in one answer).",
    )
    system_cache: bool = Field(
        default=False, description="A cache breakpoint after the system text (a prefix reused in this run)."
    )
    endpoint: str = Field(
        default="",
        description="The normalized base_url of an explicit endpoint; empty for the provider's default API.",
    )
    # labels: not part of the key
    session_id: str | None = None
    chunk_index: int | None = None
    device: str | None = None
    label: str = Field(
        default="", description="Human-readable id: 'tasks/<session>/chunk-2', 'overview/day'."
    )
    sample: int = Field(default=0, description="Repeat number for eval --repeat; 0 for normal runs.")
    member_keys: dict[str, str] = Field(
        default_factory=dict,
        description="A bundled request: the single-stage request key of each tool it asks for (its answer's "
        "cache key), by tool name.",
    )

    def key(self) -> str:
        """sha256 of the canonical JSON of everything that decides the answer."""
        payload: dict[str, Any] = {
            "provider": self.provider,
            "model": self.model,
            "stage": self.stage,
            "prompt_version": self.prompt_version,
            "system": self.system,
            "blocks": [b.model_dump() for b in self.blocks],
            "schema_name": self.schema_name,
            "schema": self.output_schema,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "sample": self.sample,
        }
        if self.tools is not None:  # only when set: keys of requests without tools are unchanged
            payload["tools"] = [t.model_dump() for t in self.tools]
            payload["tool_name"] = self.tool_name
        if self.tool_names is not None:  # only when set: keys of single-stage requests are unchanged
            payload["tool_names"] = self.tool_names
            payload["system_cache"] = self.system_cache
        if self.endpoint:  # only when set: keys of default-endpoint requests are unchanged
            payload["endpoint"] = self.endpoint
        return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()

    def replay_id(self) -> str:
        """Identity of the request's subject (not its wording): how the replay provider finds answers."""
        if self.session_id is None:
            return f"{self.stage}/{self.label.split('/', 1)[-1] or 'day'}"
        if self.chunk_index is None:  # a session-level request (the reduce): one per session
            return f"{self.stage}/{self.session_id}/reduce"
        return f"{self.stage}/{self.session_id}/chunk-{self.chunk_index or 0}"


class Usage(BaseModel):
    """Tokens of one or more calls. Anthropic-style partition: input excludes cache write/read."""

    model_config = ConfigDict(extra="forbid")

    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_tokens: int = 0
    cache_write_1h_tokens: int = Field(default=0, description="Subset of cache_write_tokens.")
    cache_read_tokens: int = 0
    reasoning_tokens: int = Field(default=0, description="Subset of output_tokens.")

    def __add__(self, other: Usage) -> Usage:
        return Usage(**{k: getattr(self, k) + getattr(other, k) for k in Usage.model_fields})

    @property
    def prompt_tokens(self) -> int:
        return self.input_tokens + self.cache_write_tokens + self.cache_read_tokens


class LLMResponse(BaseModel):
    """A validated answer."""

    model_config = ConfigDict(extra="forbid")

    output: dict[str, Any]
    raw_text: str
    usage: Usage
    model: str
    cost_usd: Decimal | None = None
    latency_s: float = 0.0
    attempts: int = 1
    cache_hit: bool = False
    batch: bool = False


Outcome = Literal["ok", "cached", "failed", "pending"]
