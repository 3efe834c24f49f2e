"""The replay provider: answers read from files, reported with usage like a real provider and cost 0.

Lookup order: ``<dir>/by-key/<request.key()>.json``, then ``<dir>/<request.replay_id()>.json``
(``tasks/<session_id>/chunk-0.json``, ``projects/<project>.json``, ``overview/day.json``). A file holds the
output JSON object.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import orjson

from pipeline.errors import LLMError, ReplayMissError
from pipeline.llm.base import BatchStatus, RawAnswer
from pipeline.llm.spec import ProviderSpec
from pipeline.llm.types import LLMRequest, Usage
from pipeline.paths import FIXTURES_DIR

DEFAULT_REPLAY_DIR = FIXTURES_DIR / "replay"


def _count(text: str) -> int:
    try:
        from pipeline.tokens import count_tokens
    except ImportError:
        return max(len(text) // 4, 1 if text else 0)
    return count_tokens(text)


class ReplayProvider:
    name = "replay"
    default_model = "replay"

    def __init__(self, replay_dir: Path | str | None = None, *, model: str | None = None) -> None:
        self.replay_dir = Path(replay_dir) if replay_dir is not None else DEFAULT_REPLAY_DIR
        self.model = model or self.default_model

    def paths_for(self, request: LLMRequest) -> list[Path]:
        return [
            self.replay_dir / "by-key" / f"{request.key()}.json",
            self.replay_dir / f"{request.replay_id()}.json",
        ]

    def complete(self, request: LLMRequest, extra_messages: list[dict[str, Any]]) -> RawAnswer:
        start = time.perf_counter()
        for path in self.paths_for(request):
            if path.is_file():
                text = path.read_text(encoding="utf-8")
                prompt = request.system + "".join(b.text for b in request.blocks)
                prompt += "".join(str(m.get("content", "")) for m in extra_messages)
                usage = Usage(input_tokens=_count(prompt), output_tokens=_count(text))
                return RawAnswer(
                    text=text, usage=usage, model=request.model, latency_s=time.perf_counter() - start
                )
        raise ReplayMissError(
            f"no replay answer for stage {request.stage}, session {request.session_id or '-'}, "
            f"chunk {request.chunk_index if request.chunk_index is not None else '-'}: expected "
            f"{self.paths_for(request)[1]} (or by-key/{request.key()}.json) under {self.replay_dir}; "
            f"key {request.key()}"
        )

    def batch_request(self, request: LLMRequest, custom_id: str) -> dict[str, Any]:
        return {"custom_id": custom_id, "replay_id": request.replay_id(), "key": request.key()}

    def parse_batch_line(self, line: dict[str, Any]) -> tuple[str, RawAnswer | str]:
        output = line.get("output")
        if output is None:
            return str(line.get("custom_id", "")), str(line.get("error", "no output"))
        return str(line["custom_id"]), RawAnswer(
            text=orjson.dumps(output).decode(), usage=Usage(), model=self.model
        )

    def submit_batch_lines(self, lines: Sequence[dict[str, Any]]) -> str:
        raise LLMError("the replay provider has no batch API: run without --batch")

    def batch_status(self, batch_id: str) -> BatchStatus:
        raise LLMError("the replay provider has no batch API: run without --batch")

    def batch_results(self, batch_id: str) -> Iterable[dict[str, Any]]:
        raise LLMError("the replay provider has no batch API: run without --batch")


SPEC = ProviderSpec(
    name=ReplayProvider.name,
    default_model=ReplayProvider.default_model,
    build=lambda cfg, _url, model: ReplayProvider(cfg.replay_dir, model=model),
    free=True,
    stores_answers=False,  # its answers are files already
    structured_modes=("tools", "native", "tool"),
)
