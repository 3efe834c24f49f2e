"""Small helpers shared by the LLM-layer tests: an output model, a request builder, a recording sleep."""

from __future__ import annotations

from typing import Literal

from daily_report.llm.retry import RetryPolicy
from daily_report.llm.types import LLMRequest, TextBlock
from pydantic import BaseModel, Field


class Facts(BaseModel):
    """A small stage-like output model."""

    title: str = Field(description="Short title.")
    status: Literal["done", "in_progress", "blocked"] = Field(description="Where the work stands.")
    steps: list[str] = Field(description="What was done.")
    turns: int = Field(description="How many turns.")


MODELS = {"anthropic": "claude-haiku-4-5", "openai": "gpt-5-mini", "replay": "replay"}


def make_request(
    provider: str = "anthropic",
    *,
    session: str | None = "s1",
    chunk: int | None = 0,
    stage: str = "facts",
    transcript: str = "user: fix the flaky test\nassistant: done. " * 40,
    model: str | None = None,
) -> LLMRequest:
    return LLMRequest(
        stage=stage,
        prompt_version="v1",
        provider=provider,
        model=model or MODELS[provider],
        system="You summarise coding-agent sessions.",
        blocks=[TextBlock(text=transcript, cache=True), TextBlock(text=f"Give the {stage} as JSON.")],
        schema_name="Facts",
        output_schema=Facts.model_json_schema(),
        session_id=session,
        chunk_index=chunk,
        label=f"{stage}/{session}/chunk-{chunk}" if session else f"{stage}/day",
    )


class Sleeps:
    """An injectable sleep that records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)

    def policy(self, *, max_attempts: int = 6) -> RetryPolicy:
        return RetryPolicy(max_attempts=max_attempts, initial_wait_s=0.001, max_wait_s=0.002, sleep=self)
