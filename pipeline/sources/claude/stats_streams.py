"""The streams of a Claude Code session as the stats scan (``claude.stats``) keeps them: a ``TurnBuilder``
(``claude.turns``) reduced to counts, with the same rules: turns made and joined, calls and the results
that fill them (early ones too), human prompts as ``content.user_pieces`` decides them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from daily_report.sources.claude.content import UserPiece, user_pieces
from daily_report.sources.claude.stats_lines import (
    ASSISTANT_CONTENT,
    Block,
    Line,
    decode,
    loads,
    plain_results,
    user_record,
)
from daily_report.sources.claude.turns import AGENT_TOOLS, exit_code_of, result_is_error
from daily_report.sources.claude.usage_line import SYNTHETIC
from daily_report.sources.text import has_text


@dataclass
class Call:
    """One tool call as its figures need it: is it an agent call (and its prompt), did it fail."""

    agent_tool: bool
    prompt: str | None
    is_error: bool = False


@dataclass
class Stream:
    """A ``turns.TurnBuilder`` reduced to counts: turns, human prompts, calls and their results."""

    keep_times: bool = False
    turns: int = 0
    humans: int = 0
    first_time: datetime | None = None
    times: set[datetime] = field(default_factory=set)
    last_assistant: bool = False
    last_msg: str | None = None
    calls: list[Call] = field(default_factory=list)
    by_id: dict[str, int] = field(default_factory=dict)  # indexes into calls
    by_agent: dict[str, int] = field(default_factory=dict)
    early: dict[str, tuple[bool, str | None]] = field(default_factory=dict)

    def turn(self, ts: datetime | None, *, assistant: bool = False) -> None:
        if not self.turns:
            self.first_time = ts
        self.turns += 1
        if ts is not None and self.keep_times:
            self.times.add(ts)
        self.last_assistant = assistant

    def assistant(self, line: Line, ts: datetime | None) -> None:
        message = line.message
        if message is None:
            return
        content = decode(ASSISTANT_CONTENT, message.content)
        blocks = content if isinstance(content, list) else [Block(type="text", text=content)]
        if message.model == SYNTHETIC or line.isApiErrorMessage:
            self.turn(ts)
            self.last_msg = None
            return
        mid = message.id
        for b in blocks:
            kind = b.type
            if kind == "text" and b.text is not None:
                if self.last_assistant and mid is not None and self.last_msg == mid:
                    continue  # joined to the turn before, blank or not (and the message id is noted)
                if not has_text(b.text):
                    continue  # as ``_assistant_block``: the message id is not noted for a blank text
                self.turn(ts, assistant=True)
            elif kind == "thinking" and b.thinking and not b.thinking.isspace():  # ``strip()``, no copy
                self.turn(ts)
            elif kind in ("tool_use", "server_tool_use"):
                self._tool_use(b, ts)
            self.last_msg = mid
        self.last_msg = mid

    def _tool_use(self, b: Block, ts: datetime | None) -> None:
        name = b.name or "unknown"
        prompt = None
        if name in AGENT_TOOLS:
            args = loads(b.input)
            value = args.get("prompt") if isinstance(args, dict) else None
            prompt = value if isinstance(value, str) else None
        self.turn(ts)
        self.calls.append(Call(agent_tool=name in AGENT_TOOLS, prompt=prompt))
        if b.id:
            self.by_id[b.id] = len(self.calls) - 1
            early = self.early.pop(b.id, None)
            if early is not None:
                self._fill(len(self.calls) - 1, *early)

    def user(self, line: Line, ts: datetime | None, *, agent_ids: bool) -> None:
        results = plain_results(line, agent_ids=agent_ids)
        if results is not None:
            pieces: list[UserPiece] = []
        else:
            pieces, results = user_pieces(user_record(line, agent_ids=agent_ids))
        for r in results:
            flags = (result_is_error(r, exit_code_of(r) if r.text else None), r.agent_id)
            i = self.by_id.get(r.tool_use_id)
            if i is None:
                self.early[r.tool_use_id] = flags
            else:
                self._fill(i, *flags)
        for p in pieces:
            self.turn(ts)
            self.humans += p.role == "human"
        self.last_msg = None

    def event(self, ts: datetime | None) -> None:
        self.turn(ts)
        self.last_msg = None

    def _fill(self, i: int, is_error: bool, agent_id: str | None) -> None:
        self.calls[i].is_error = is_error
        if agent_id:
            self.by_agent[agent_id] = i


@dataclass
class Group:
    """One inline sidechain conversation of a main file (``session.Group``)."""

    stream: Stream
    prompt: str


def task_call_for_prompt(main: Stream, prompt: str, taken: dict[int, Any]) -> int | None:
    """``TurnBuilder.task_call_for_prompt``: the untaken agent call with this prompt, else the last one."""
    candidates = [i for i, c in enumerate(main.calls) if c.agent_tool and i not in taken]
    for i in candidates:
        wanted = main.calls[i].prompt
        if wanted is not None and wanted.strip() == prompt:
            return i
    return candidates[-1] if candidates else None
