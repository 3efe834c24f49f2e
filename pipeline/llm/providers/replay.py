"""The replay provider: answers read from files, reported with usage like a real provider and cost 0.

Replay answers only the requests it has, so a run on another day never gets this day's text:

1. ``<dir>/by-key/<request.key()>.json``: the exact request;
2. ``<dir>/<request.replay_id()>.json`` (``tasks/<session_id>/chunk-0.json``, ``session/<session_id>/reduce.json``, ``projects/<project>.json``,
   ``overview/day.json``), only when the run is for the date the answers are for (``<dir>/replay.toml``:
   ``date = "YYYY-MM-DD"``) and every session of the run is one the answers cover (the session folders of
   the chunk stages). A directory without ``replay.toml`` answers by key only.

A miss is a ``ReplayMissError`` of one short line. A file holds the output JSON object.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import orjson
from daily_report.core.errors import LLMError, ReplayMissError
from daily_report.core.paths import FIXTURES_DIR
from daily_report.llm.base import BatchStatus, RawAnswer, ToolCall
from daily_report.llm.spec import ProviderSpec
from daily_report.llm.types import LLMRequest, Usage

DEFAULT_REPLAY_DIR = FIXTURES_DIR / "replay"
MANIFEST = "replay.toml"


def _count(text: str) -> int:
    try:
        from daily_report.text.tokens import count_tokens
    except ImportError:
        return max(len(text) // 4, 1 if text else 0)
    return count_tokens(text)


class ReplayProvider:
    name = "replay"
    default_model = "replay"

    def __init__(self, replay_dir: Path | str | None = None, *, model: str | None = None) -> None:
        self.replay_dir = Path(replay_dir) if replay_dir is not None else DEFAULT_REPLAY_DIR
        self.model = model or self.default_model
        self.run_date: str | None = None
        self.run_sessions: frozenset[str] = frozenset()

    def for_day(self, date: str, session_ids: Iterable[str]) -> None:
        """The run's date and sessions: answers by subject are given only when they are the replay's own."""
        self.run_date = date
        self.run_sessions = frozenset(session_ids)

    def answers_date(self) -> str | None:
        """The local date the answers are for (``replay.toml``), or None: then only exact keys answer."""
        import tomllib

        try:
            date = tomllib.loads((self.replay_dir / MANIFEST).read_text(encoding="utf-8")).get("date")
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            return None
        return str(date) if isinstance(date, str) else None

    def answered_sessions(self) -> frozenset[str]:
        """Session ids the chunk-stage answers cover (``<stage>/<session_id>/``)."""
        if not self.replay_dir.is_dir():
            return frozenset()
        return frozenset(
            d.name
            for stage in self.replay_dir.iterdir()
            if stage.is_dir() and stage.name != "by-key"
            for d in stage.iterdir()
            if d.is_dir()
        )

    def paths_for(self, request: LLMRequest) -> list[Path]:
        by_key = self.replay_dir / "by-key" / f"{request.key()}.json"
        return [by_key] if self._why_not_by_subject(request) else [by_key, self._by_subject(request)]

    def _by_subject(self, request: LLMRequest) -> Path:
        return self.replay_dir / f"{request.replay_id()}.json"

    def _why_not_by_subject(self, request: LLMRequest) -> str | None:
        """Why the answer named by the request's subject may not be used (None: it may)."""
        date = self.answers_date()
        if date is None:
            return f"no exact-key answer, and {self.replay_dir.name}/{MANIFEST} names no date"
        if self.run_date != date:
            return f"the replay answers are for {date}, not {self.run_date or 'this run'}"
        sessions = {request.session_id} if request.session_id is not None else self.run_sessions
        if not sessions or not sessions <= self.answered_sessions():
            return "this session is not in the replay answers"
        return None

    def complete(self, request: LLMRequest, extra_messages: list[dict[str, Any]]) -> RawAnswer:
        if request.tool_names:
            return self._bundled(request)
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
        why = self._why_not_by_subject(request) or f"no {request.replay_id()}.json"
        raise ReplayMissError(f"no replay answer: {why}")

    def _bundled(self, request: LLMRequest) -> RawAnswer:
        """A bundled request: one tool call per listed stage that has an answer (by that stage's own key,
        else by subject); a stage without one is left out, so it is asked alone and misses there."""
        start = time.perf_counter()
        calls: list[ToolCall] = []
        for n, tool in enumerate(request.tool_names or []):
            member = request.model_copy(
                update={"stage": tool, "tool_names": None, "label": f"{tool}/{request.session_id}"}
            )
            paths = [self.replay_dir / "by-key" / f"{request.member_keys.get(tool, '')}.json"]
            if self._why_not_by_subject(member) is None:
                paths.append(self._by_subject(member))
            found = next((p for p in paths if p.is_file()), None)
            if found is not None:
                text = found.read_text(encoding="utf-8")
                calls.append(ToolCall(id=f"replay_{n}", name=tool, arguments=text))
        if not calls:
            why = self._why_not_by_subject(request) or "no answer for any of its stages"
            raise ReplayMissError(f"no replay answer: {why}")
        prompt = request.system + "".join(b.text for b in request.blocks)
        out = "".join(c.arguments for c in calls)
        usage = Usage(input_tokens=_count(prompt), output_tokens=_count(out))
        return RawAnswer(
            text=calls[0].arguments,
            usage=usage,
            model=request.model,
            latency_s=time.perf_counter() - start,
            tool_call=calls[0],
            tool_calls=tuple(calls),
        )

    def batch_request(self, request: LLMRequest, custom_id: str) -> dict[str, Any]:
        return {"custom_id": custom_id, "replay_id": request.replay_id(), "key": request.key()}

    def parse_batch_line(self, line: dict[str, Any]) -> tuple[str, RawAnswer | str]:
        outputs = line.get("outputs")  # a bundled request's answer: {tool name: output}
        if isinstance(outputs, dict) and outputs:
            calls = tuple(
                ToolCall(id=f"replay_{n}", name=str(name), arguments=orjson.dumps(value).decode())
                for n, (name, value) in enumerate(outputs.items())
            )
            return str(line["custom_id"]), RawAnswer(
                text=calls[0].arguments, usage=Usage(), model=self.model, tool_call=calls[0], tool_calls=calls
            )
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
