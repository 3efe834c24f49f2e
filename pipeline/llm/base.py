"""The one small interface every provider implements, and what a single attempt returns.

A provider sends exactly one request per ``complete`` call: it never retries (``retry.py`` does) and never
validates (``structured.py`` does). Batch support is part of the same interface so vendor quirks stay in the
vendor's module. A provider may also have ``reask_turns(answer, message)`` (see ``reask_turns`` below).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from daily_report.llm.types import LLMRequest, TextBlock, Usage


@dataclass(frozen=True)
class ToolCall:
    """The forced tool call an answer came in: what a re-ask sends back (``arguments`` is JSON text)."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class RawAnswer:
    """The unvalidated text of one answer with its usage (for a tool call: its arguments as JSON text)."""

    text: str
    usage: Usage
    model: str
    latency_s: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)
    tool_call: ToolCall | None = None
    tool_calls: tuple[ToolCall, ...] = ()  # every tool call of the answer, in order (a bundled request's)


@dataclass(frozen=True)
class BatchStatus:
    """Where a submitted batch is: ``done`` once results can be read."""

    batch_id: str
    done: bool
    status: str
    succeeded: int = 0
    errored: int = 0
    processing: int = 0


@runtime_checkable
class Provider(Protocol):
    name: str
    default_model: str

    def complete(self, request: LLMRequest, extra_messages: list[dict[str, Any]]) -> RawAnswer:
        """Send one request (plus re-ask turns) once; raise the SDK's exception on transport failure."""
        ...

    def batch_request(self, request: LLMRequest, custom_id: str) -> dict[str, Any]:
        """One line of this provider's batch request format."""
        ...

    def parse_batch_line(self, line: dict[str, Any]) -> tuple[str, RawAnswer | str]:
        """One line of this provider's batch result format -> (custom_id, answer or error text)."""
        ...

    def submit_batch_lines(self, lines: Sequence[dict[str, Any]]) -> str:
        """Submit batch request lines; return the provider's batch id."""
        ...

    def batch_status(self, batch_id: str) -> BatchStatus: ...

    def batch_results(self, batch_id: str) -> Iterable[dict[str, Any]]:
        """Result lines (as plain dicts in the provider's result format), in any order."""
        ...


def reask_turns(provider: object, answer: RawAnswer, message: str) -> list[dict[str, Any]]:
    """The turns that send an invalid ``answer`` back with ``message``: the provider's own ``reask_turns``
    when it has one (tool calls need the vendor's tool-result shape), else assistant text + user text."""
    own = getattr(provider, "reask_turns", None)
    if callable(own):
        turns: list[dict[str, Any]] = own(answer, message)
        return turns
    return [{"role": "assistant", "content": answer.text}, {"role": "user", "content": message}]


def split_blocks(request: LLMRequest) -> tuple[list[TextBlock], list[TextBlock]]:
    """(the blocks up to and including the last cached one, the rest): the cacheable prefix and the tail."""
    last = max((i for i, b in enumerate(request.blocks) if b.cache), default=-1)
    return list(request.blocks[: last + 1]), list(request.blocks[last + 1 :])


def user_text(request: LLMRequest) -> str:
    """The request's blocks concatenated in order (for providers without content blocks)."""
    return join_blocks(request.blocks)


def join_blocks(blocks: Sequence[TextBlock]) -> str:
    """Blocks as one text, each ending in a newline, without the final one."""
    return "".join(b.text if b.text.endswith("\n") else b.text + "\n" for b in blocks).rstrip("\n")
