"""Turns of one Claude Code stream: the main conversation, an inline sidechain, or a subagent file.

Assistant lines carry one content block each; consecutive text blocks of one message are joined.
``tool_use`` blocks become ``tool`` turns whose results (matched by ``tool_use_id``, possibly arriving
out of order) fill ``ToolCall.result``. ``<synthetic>`` and API-error lines become ``event`` turns.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from daily_report.schemas.transcript import ToolCall, Turn
from daily_report.sources.claude.content import ResultPiece, user_pieces
from daily_report.sources.claude.usage import SYNTHETIC
from daily_report.sources.text import clean

_EXIT_RE = re.compile(r"^Exit code (\d+)")
AGENT_TOOLS = ("Task", "Agent")


class TurnBuilder:
    """Collects the turns of one stream and matches tool results to their calls."""

    def __init__(self, *, sidechain: bool = False) -> None:
        self.sidechain = sidechain
        self.turns: list[Turn] = []
        self.calls: dict[str, ToolCall] = {}
        self.agent_calls: dict[str, ToolCall] = {}
        self.interruptions = 0
        self.api_errors = 0
        self._early: dict[str, tuple[ResultPiece, datetime | None]] = {}
        self._last_msg: str | None = None

    def _turn(self, **kw: Any) -> Turn:
        turn = Turn(index=len(self.turns), is_sidechain=self.sidechain, **kw)
        self.turns.append(turn)
        return turn

    def add_assistant(self, rec: dict[str, Any], ts: datetime | None) -> None:
        message = rec.get("message")
        if not isinstance(message, dict):
            return
        content = message.get("content")
        blocks = content if isinstance(content, list) else [{"type": "text", "text": content}]
        if message.get("model") == SYNTHETIC or rec.get("isApiErrorMessage"):
            self._synthetic(rec, blocks, ts)
            return
        mid = message.get("id") if isinstance(message.get("id"), str) else None
        for block in blocks:
            if isinstance(block, dict):
                self._assistant_block(block, mid, ts)
        self._last_msg = mid

    def _assistant_block(self, block: dict[str, Any], mid: str | None, ts: datetime | None) -> None:
        kind = block.get("type")
        if kind == "text" and isinstance(block.get("text"), str):
            text = clean(block["text"]).strip()
            if not text:
                return
            last = self.turns[-1] if self.turns else None
            if last is not None and last.role == "assistant" and mid is not None and self._last_msg == mid:
                last.text = f"{last.text}\n\n{text}"
            else:
                self._turn(role="assistant", timestamp=ts, text=text)
        elif kind == "thinking" and isinstance(block.get("thinking"), str) and block["thinking"].strip():
            self._turn(role="thinking", timestamp=ts, text=clean(block["thinking"]))
        elif kind in ("tool_use", "server_tool_use"):
            self._tool_use(block, ts)
        self._last_msg = mid

    def _tool_use(self, block: dict[str, Any], ts: datetime | None) -> None:
        args = block.get("input")
        call = ToolCall(
            id=block.get("id") if isinstance(block.get("id"), str) else None,
            name=str(block.get("name") or "unknown"),
            arguments=args if isinstance(args, dict) else ({} if args is None else str(args)),
        )
        self._turn(role="tool", timestamp=ts, tool=call)
        if call.id:
            self.calls[call.id] = call
            early = self._early.pop(call.id, None)
            if early is not None:
                self._fill(call, *early)

    def _synthetic(self, rec: dict[str, Any], blocks: list[Any], ts: datetime | None) -> None:
        text = " ".join(
            clean(b["text"]) for b in blocks if isinstance(b, dict) and isinstance(b.get("text"), str)
        ).strip()
        error = rec.get("error")
        if rec.get("isApiErrorMessage") or error or text.startswith("API Error"):
            self.api_errors += 1
            text = text or f"API error: {error}"
        self._turn(role="event", timestamp=ts, text=(text or "[synthetic message]")[:1000])
        self._last_msg = None

    def add_user(self, rec: dict[str, Any], ts: datetime | None) -> None:
        pieces, results = user_pieces(rec)
        for r in results:
            call = self.calls.get(r.tool_use_id)
            if call is None:
                self._early[r.tool_use_id] = (r, ts)
            else:
                self._fill(call, r, ts)
        for p in pieces:
            if p.interrupt:
                self.interruptions += 1
            self._turn(role=p.role, timestamp=ts, text=p.text, images=p.images)
        self._last_msg = None

    def add_event(self, text: str, ts: datetime | None) -> None:
        self._turn(role="event", timestamp=ts, text=text)
        self._last_msg = None

    def _fill(self, call: ToolCall, r: ResultPiece, ts: datetime | None) -> None:
        call.result = r.text.rstrip()
        call.result_timestamp = ts
        call.exit_code = exit_code_of(r)
        call.is_error = result_is_error(r, call.exit_code)
        if r.agent_id:
            call.subagent_id = r.agent_id
            self.agent_calls[r.agent_id] = call

    def agent_call_for(self, *, agent_id: str | None, tool_use_id: str | None) -> ToolCall | None:
        """The Task/Agent call that started a subagent, by tool-use id or agent id."""
        if tool_use_id and tool_use_id in self.calls:
            return self.calls[tool_use_id]
        if agent_id and agent_id in self.agent_calls:
            return self.agent_calls[agent_id]
        return None

    def task_call_for_prompt(self, prompt: str, taken: set[int]) -> ToolCall | None:
        """An unfolded Task/Agent call whose prompt equals ``prompt`` (inline sidechains), else the last one."""
        candidates = [
            t.tool
            for t in self.turns
            if t.tool is not None and t.tool.name in AGENT_TOOLS and id(t.tool) not in taken
        ]
        for call in candidates:
            wanted = call.arguments.get("prompt") if isinstance(call.arguments, dict) else None
            if isinstance(wanted, str) and wanted.strip() == prompt:
                return call
        return candidates[-1] if candidates else None


def exit_code_of(r: ResultPiece) -> int | None:
    """The ``Exit code N`` a result starts with (Bash), or None."""
    m = _EXIT_RE.match(r.text)
    return int(m.group(1)) if m else None


def result_is_error(r: ResultPiece, exit_code: int | None) -> bool:
    """A call is an error when its result says so (``is_error``, a ``<tool_use_error>`` tag) or it exited
    non-zero; the one rule for the full read and the stats scan."""
    return r.is_error or (exit_code is not None and exit_code != 0)


def renumber(turns: list[Turn]) -> list[Turn]:
    for i, t in enumerate(turns):
        t.index = i
    return turns
