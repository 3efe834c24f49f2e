"""The one small interface every provider implements, and what a single attempt returns.

A provider sends exactly one request per ``complete`` call: it never retries (``retry.py`` does) and never
validates (``structured.py`` does). Batch support is part of the same interface so vendor quirks stay in the
vendor's module.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from pipeline.llm.types import LLMRequest, Usage


@dataclass(frozen=True)
class RawAnswer:
    """The unvalidated text of one answer with its usage."""

    text: str
    usage: Usage
    model: str
    latency_s: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)


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


def user_text(request: LLMRequest) -> str:
    """The request's blocks concatenated in order (for providers without content blocks)."""
    return "".join(b.text if b.text.endswith("\n") else b.text + "\n" for b in request.blocks).rstrip("\n")
