"""Claude Code session figures without turns: the stats scan behind ``CLAUDE.read_stats``.

``session.read_claude_session`` builds every turn (pydantic objects, cleaned text, tool results) and the
session-stats index then keeps a handful of counts. This scan walks the same lines in the same order with
the same rules, but decodes with msgspec only the fields a figure depends on (``_Line``): message contents
stay raw bytes until a rule needs them, a tool result's text is decoded only when it may hold what a figure
reads (``_plain_result``: an error tag, an exit code, an agent id), and each
stream (the main conversation, an inline sidechain, a subagent file) is kept as counts (``_Stream``).

The rules themselves are shared, not copied: what a user line holds is ``content.user_pieces``, a call's
error is ``turns.result_is_error``, titles, cwd and the sidechain prompt come from ``session``. A line the
typed decode cannot take (a field of another type, JSON msgspec refuses) raises ``Unsupported``: the
adapter then reads the session in full, so the figures are the same for every file.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
import orjson
from daily_report.schemas.transcript import SkippedLines
from daily_report.sources.claude import session_id_for
from daily_report.sources.claude.content import (
    ResultPiece,
    UserPiece,
    result_head,
    results_unscrubbed,
    user_pieces,
)
from daily_report.sources.claude.session import (
    KNOWN_SYSTEM,
    KNOWN_TYPES,
    SessionState,
    agent_id_from_name,
    meta_tool_use_id,
    pick_title,
    project_dir,
    prompt_text,
    read_claude_session,
    title_of,
)
from daily_report.sources.claude.turns import AGENT_TOOLS, exit_code_of, result_is_error
from daily_report.sources.claude.usage import fallback_time
from daily_report.sources.claude.usage_line import SYNTHETIC, AssistantLine, Message, Row, line_row
from daily_report.sources.jsonl import clean_line_count, has_problems, iter_blocks, note_unknown, parse_line
from daily_report.sources.text import has_text, parse_ts
from daily_report.sources.types import SourceFile

if TYPE_CHECKING:
    from daily_report.usage.session_facts import StatsRead

_NULL = msgspec.Raw(b"null")
# A tool result's text can decide a figure only through these (``content._result_piece``, ``turns``):
# without any of them in its raw bytes (no escape, no reminder block to strip) it is not decoded.
# A result text starting with one of these might start with "Exit code" once cleaned (E itself; a blank,
# an escape, a reminder tag, a non-ASCII blank; the empty string is a text that starts with nothing).
_UNSAFE_START = frozenset([b"E", b" ", b"\\", b"<", b'"', b""] + [bytes([c]) for c in range(0x80, 0x100)])
Unexpected = (msgspec.DecodeError, UnicodeDecodeError, RecursionError, orjson.JSONDecodeError)


class Unsupported(Exception):
    """A line the scan cannot prove it reads as the full reader does: the caller reads the session in full."""


class _ToolUseResult(msgspec.Struct, gc=False):
    agentId: Any = None  # the rest of a result's copy (stdout, file text) is skipped unread


class _Content(Message, gc=False):
    content: msgspec.Raw = _NULL


class _Line(AssistantLine, gc=False):
    """The fields of a line that some figure depends on; the rest is skipped unread."""

    message: _Content | None = None
    parentUuid: str | None = None  # the transcript's camelCase keys
    agentId: str | None = None
    cwd: str | None = None
    gitBranch: str | None = None
    version: str | None = None
    isMeta: bool | None = None
    isCompactSummary: bool | None = None
    subtype: str | None = None
    summary: str | None = None
    leafUuid: str | None = None
    customTitle: str | None = None
    aiTitle: str | None = None
    title: str | None = None
    toolUseResult: _ToolUseResult | str | list[msgspec.Raw] | int | float | bool | None = None

    def get(self, key: str) -> Any:
        """As ``dict.get`` on the line (``SessionState.note_meta`` and ``title_of`` read lines that way)."""
        return getattr(self, key, None)


class _Block(msgspec.Struct, gc=False):
    type: str | None = None
    text: str | None = None
    thinking: str | None = None
    id: str | None = None
    name: str | None = None
    input: msgspec.Raw = _NULL


class _UserBlock(msgspec.Struct, gc=False):
    type: str | None = None
    text: str | None = None
    tool_use_id: Any = None
    is_error: Any = None
    content: msgspec.Raw = _NULL


_LINE = msgspec.json.Decoder(_Line)
_ASSISTANT_CONTENT = msgspec.json.Decoder(str | list[_Block] | None)
_USER_CONTENT = msgspec.json.Decoder(str | list[_UserBlock] | None)


@dataclass
class _Call:
    """One tool call as its figures need it: the agent-call prompt (to fold an inline sidechain), whether
    it failed, and the folded subagent's (calls, errors)."""

    agent_tool: bool
    prompt: str | None
    is_error: bool = False
    nested: tuple[int, int] = (0, 0)


@dataclass
class _Stream:
    """A ``turns.TurnBuilder`` reduced to counts: turns, human prompts, calls and their results."""

    keep_times: bool = False
    turns: int = 0
    humans: int = 0
    first_time: datetime | None = None
    times: set[datetime] = field(default_factory=set)
    last_assistant: bool = False
    last_msg: str | None = None
    calls: list[_Call] = field(default_factory=list)
    by_id: dict[str, _Call] = field(default_factory=dict)
    by_agent: dict[str, _Call] = field(default_factory=dict)
    early: dict[str, tuple[bool, str | None]] = field(default_factory=dict)

    def turn(self, ts: datetime | None, *, assistant: bool = False) -> None:
        if not self.turns:
            self.first_time = ts
        self.turns += 1
        if ts is not None and self.keep_times:
            self.times.add(ts)
        self.last_assistant = assistant

    def assistant(self, line: _Line, ts: datetime | None) -> None:
        message = line.message
        if message is None:
            return
        content = _decode(_ASSISTANT_CONTENT, message.content)
        blocks = content if isinstance(content, list) else [_Block(type="text", text=content)]
        if message.model == SYNTHETIC or line.isApiErrorMessage:
            self.turn(ts)
            self.last_msg = None
            return
        mid = message.id
        for b in blocks:
            kind = b.type
            if kind == "text" and b.text is not None:
                if not has_text(b.text):
                    continue  # as ``_assistant_block``: the message id is not noted for a blank text
                if not (self.last_assistant and mid is not None and self.last_msg == mid):
                    self.turn(ts, assistant=True)
            elif kind == "thinking" and b.thinking is not None and b.thinking.strip():
                self.turn(ts)
            elif kind in ("tool_use", "server_tool_use"):
                self._tool_use(b, ts)
            self.last_msg = mid
        self.last_msg = mid

    def _tool_use(self, b: _Block, ts: datetime | None) -> None:
        name = b.name or "unknown"
        prompt = None
        if name in AGENT_TOOLS:
            args = _loads(b.input)
            value = args.get("prompt") if isinstance(args, dict) else None
            prompt = value if isinstance(value, str) else None
        call = _Call(agent_tool=name in AGENT_TOOLS, prompt=prompt)
        self.turn(ts)
        self.calls.append(call)
        if b.id:
            self.by_id[b.id] = call
            early = self.early.pop(b.id, None)
            if early is not None:
                self._fill(call, *early)

    def user(self, line: _Line, ts: datetime | None, *, agent_ids: bool) -> None:
        results = _plain_results(line, agent_ids=agent_ids)
        if results is not None:
            pieces: list[UserPiece] = []
        else:
            pieces, results = user_pieces(_user_record(line, agent_ids=agent_ids))
        for r in results:
            flags = (result_is_error(r, exit_code_of(r)), r.agent_id)
            call = self.by_id.get(r.tool_use_id)
            if call is None:
                self.early[r.tool_use_id] = flags
            else:
                self._fill(call, *flags)
        for p in pieces:
            self.turn(ts)
            self.humans += p.role == "human"
        self.last_msg = None

    def event(self, ts: datetime | None) -> None:
        self.turn(ts)
        self.last_msg = None

    def _fill(self, call: _Call, is_error: bool, agent_id: str | None) -> None:
        call.is_error = is_error
        if agent_id:
            self.by_agent[agent_id] = call

    def figures(self) -> tuple[int, int]:
        """(calls, errors) of this stream and what is folded under its calls."""
        calls, errors = len(self.calls), 0
        for c in self.calls:
            errors += c.is_error
            calls, errors = calls + c.nested[0], errors + c.nested[1]
        return calls, errors


def _decode(decoder: msgspec.json.Decoder[Any], raw: msgspec.Raw) -> Any:
    try:
        return decoder.decode(raw)
    except Unexpected as e:
        raise Unsupported(str(e)) from e


def _loads(raw: msgspec.Raw | bytes) -> Any:
    try:
        return orjson.loads(raw if isinstance(raw, bytes) else bytes(raw))
    except orjson.JSONDecodeError as e:  # msgspec took what orjson refuses (e.g. 1e999): read in full
        raise Unsupported(str(e)) from e


def _plain_results(line: _Line, *, agent_ids: bool) -> list[ResultPiece] | None:
    """The results of a line that holds only tool results, none of whose text a figure can depend on (the
    usual user line): their pieces without decoding their text; else None."""
    message = line.message
    if line.isCompactSummary or line.isMeta or message is None or memoryview(message.content)[:2] != b"[{":
        return None
    try:
        content = _USER_CONTENT.decode(message.content)
    except Unexpected:
        return None
    if not isinstance(content, list) or not content:
        return None
    if any(
        b.type != "tool_result" or not _plain_result(bytes(b.content), agent_ids=agent_ids) for b in content
    ):
        return None
    tur = line.toolUseResult
    head = {"agentId": tur.agentId} if isinstance(tur, _ToolUseResult) else None
    return [result_head(b.tool_use_id, b.is_error, head) for b in content]


def _user_record(line: _Line, *, agent_ids: bool) -> dict[str, Any]:
    """The user line as ``user_pieces`` reads it, with a tool result's text left out when no figure can
    depend on it (``_plain_result``; ``agent_ids``: the session has subagent files, which the agent id in
    a result's text may match to their call)."""
    rec: dict[str, Any] = {"isCompactSummary": line.isCompactSummary, "isMeta": line.isMeta}
    message = line.message
    if line.isCompactSummary or line.isMeta or message is None:
        return rec  # the summary is one piece whatever its text; a meta line is none
    rec["message"] = {"content": _user_content(message.content, agent_ids=agent_ids)}
    tur = line.toolUseResult
    if isinstance(tur, _ToolUseResult):
        rec["toolUseResult"] = {"agentId": tur.agentId}
    return rec


def _user_content(raw: msgspec.Raw, *, agent_ids: bool) -> Any:
    try:
        content = _USER_CONTENT.decode(raw)
    except Unexpected:
        return _loads(raw)
    if not isinstance(content, list):
        return content
    out: list[dict[str, Any]] = []
    for b in content:
        if b.type == "tool_result":
            block = {"type": "tool_result", "tool_use_id": b.tool_use_id, "is_error": b.is_error}
            data = bytes(b.content)
            if not _plain_result(data, agent_ids=agent_ids):
                block["content"] = _loads(data)
            out.append(block)
        elif b.type == "text":
            out.append({"type": "text", "text": b.text})
        elif b.type == "image":  # its placeholder's length is in the prompt's text: the full decode
            return _loads(raw)
    return out


def _plain_result(data: bytes, *, agent_ids: bool) -> bool:
    """No figure can depend on this tool result's text (``content._result_piece``, ``turns.exit_code_of``):
    no ``<tool_use_error>`` tag, no ``agentId``, and nothing that could start its text with ``Exit code``
    once reminders, ANSI escapes and blanks are taken off (a text starting with a letter other than E, a
    digit or common punctuation; a list of blocks without ``Exit code`` in it).

    Assumed, as Claude Code (JSON.stringify) writes: those words are not spelled with \\u escapes, and no
    reminder block or ANSI escape sits inside one of them."""
    if b"<tool_use_error>" in data or (agent_ids and b"agentId" in data):
        return False
    if data[:1] == b'"':
        return data[1:2] not in _UNSAFE_START
    return data[:1] != b"[" or b"Exit code" not in data


@dataclass
class _Group:
    """One inline sidechain conversation of a main file (``session._Group``)."""

    stream: _Stream
    prompt: str


@dataclass
class _FileScan:
    """One file's lines into the session state and its streams (``session._FileReader``)."""

    f: SourceFile
    state: SessionState
    main: _Stream
    groups: list[_Group] = field(default_factory=list)
    group_of: dict[str, _Group] = field(default_factory=dict)
    agent_ids: bool = False
    agent_id: str | None = None
    last_ts: datetime | None = None
    last_meta: tuple[Any, ...] = ()
    rows: list[Row] = field(default_factory=list)

    def run(self) -> None:
        skipped = SkippedLines(path=str(self.f.path))
        for line in _lines(self.f.path, skipped):
            self.line(line, skipped)
        self.state.skipped.append(skipped)

    def line(self, x: _Line, skipped: SkippedLines) -> None:
        ts = parse_ts(x.timestamp)
        if ts is not None:
            self.last_ts = ts
        kind = x.type
        if kind is None or kind not in KNOWN_TYPES:
            note_unknown(skipped, kind if kind is not None else "<no type>")
            return
        state, uuid = self.state, x.uuid
        if uuid is not None and state.claimed.get(uuid, state.session_id) != state.session_id:
            return  # a resumed session's copy of another session's line
        subagent = self.f.kind == "subagent"
        if kind == "assistant":
            when = ts or self.last_ts or fallback_time(self.f)
            row = line_row(
                x,
                ts=when,
                session_id=state.session_id,
                device=self.f.device,
                path=str(self.f.path),
                sidechain=subagent,
            )
            if row is not None:
                self.rows.append(row)
                if row[1] not in state.models and row[1] != SYNTHETIC:
                    state.models.append(row[1])
        if not state.session_id and x.sessionId is not None:
            state.session_id = x.sessionId
        if self.agent_id is None and x.agentId is not None:
            self.agent_id = x.agentId
        if uuid is not None:
            if uuid in state.uuids:
                return
            state.uuids.add(uuid)
        if kind in ("user", "assistant", "system"):
            meta = (x.cwd, x.gitBranch, x.version, subagent or bool(x.isSidechain))
            if meta != self.last_meta:  # the same again changes nothing: most lines repeat them
                state.note_meta(x, sidechain=meta[3])
                self.last_meta = meta
        if kind == "user":
            self._stream_for(x).user(x, ts, agent_ids=self.agent_ids)
        elif kind == "assistant":
            self._stream_for(x).assistant(x, ts)
        elif kind == "system":
            sub = x.subtype
            if sub == "api_error":
                self.main.event(ts)
            elif sub is None or (sub != "compact_boundary" and sub not in KNOWN_SYSTEM):
                note_unknown(skipped, f"system/{sub}")
        elif kind == "summary":
            if x.summary is not None:
                state.titles.append((x.summary, x.leafUuid if x.leafUuid is not None else ""))
        elif kind in ("custom-title", "ai-title"):
            title = title_of(x)
            if title:
                state.titles.append((title, None))
                if kind == "custom-title":
                    state.custom_title = title

    def _stream_for(self, x: _Line) -> _Stream:
        if self.f.kind == "subagent" or not x.isSidechain:
            return self.main
        parent = x.parentUuid
        group = self.group_of.get(parent) if parent is not None else None
        if group is None:
            content = _loads(x.message.content) if x.message is not None else None
            group = _Group(_Stream(), prompt_text({"message": {"content": content}}))
            self.groups.append(group)
        if x.uuid is not None:
            self.group_of[x.uuid] = group
        return group.stream


def _lines(path: Path, skipped: SkippedLines) -> Iterator[_Line]:
    """Every line that is a JSON object, typed: a block of clean lines in one decode, else line by line;
    the rest counted as ``jsonl.iter_records`` counts it. A JSON object the typed decode refuses raises
    ``Unsupported``."""
    lineno = 0
    for block, complete in iter_blocks(path, skipped=skipped):
        n = clean_line_count(block) if complete else None
        if n is not None:
            try:
                lines = _LINE.decode_lines(block)
            except Unexpected:
                lines = []
            if len(lines) == n:
                lineno += n
                yield from lines
                continue
        parts = block.split(b"\n")
        if complete:
            parts.pop()  # after the last newline
        for i, raw in enumerate(parts):
            lineno += 1
            body = raw.rstrip(b"\r\n")
            if not body.strip():
                continue
            try:
                yield _LINE.decode(body)
            except Unexpected:
                partial = not complete and i == len(parts) - 1
                if parse_line(body, lineno=lineno, partial=partial, skipped=skipped) is not None:
                    raise Unsupported(f"line {lineno} of {path}") from None


@dataclass
class ClaudeStats:
    """What the session-stats index takes from a session (see ``usage.session_facts.StatsRead``)."""

    session_id: str
    project: str
    title: str | None
    human_prompts: int
    tool_calls: int
    subagent_tool_calls: int
    tool_errors: int
    models: list[str]
    times: list[datetime]
    rows: list[Row]
    skipped: list[SkippedLines]
    weight: int


def scan_claude_stats(files: Sequence[SourceFile], claimed: dict[str, str]) -> ClaudeStats:
    """``read_claude_session`` reduced to the figures (same order, same claims); raises ``Unsupported``."""
    with results_unscrubbed():  # for the results whose text is decoded (``_plain_result``)
        return _scan(files, claimed)


def _scan(files: Sequence[SourceFile], claimed: dict[str, str]) -> ClaudeStats:
    main_file = next((f for f in files if f.kind == "main"), None)
    first = main_file or files[0]
    state = SessionState(session_id=session_id_for(first), device=first.device, claimed=claimed)
    main = _Stream(keep_times=True)
    rows: list[Row] = []
    taken: list[_Call] = []
    extra = [0, 0, 0, 0]  # calls, errors and turns of subagents folded as turns of their own; subagent calls

    def fold(stream: _Stream, call: _Call | None) -> None:
        """``session._fold``: a sidechain's or subagent's figures under the call that started it."""
        if not stream.turns:
            return
        nested = stream.figures()
        extra[3] += nested[0]
        if call is None or any(c is call for c in taken):  # a tool turn of its own
            extra[0], extra[1], extra[2] = extra[0] + 1 + nested[0], extra[1] + nested[1], extra[2] + 1
            if stream.first_time is not None:
                main.times.add(stream.first_time)
            return
        taken.append(call)
        call.nested = nested

    if main_file is not None:
        scan = _FileScan(main_file, state, main, agent_ids=any(f.kind == "subagent" for f in files))
        scan.run()
        rows += scan.rows
        for group in scan.groups:
            fold(group.stream, _task_call_for_prompt(main, group.prompt, taken))
    for f in files:
        if f.kind != "subagent":
            continue
        stream = _Stream()
        if not state.session_id:
            state.session_id = f.parent_session_id or ""
        scan = _FileScan(f, state, stream)
        scan.run()
        rows += scan.rows
        agent_id = agent_id_from_name(f.path) or scan.agent_id
        if agent_id and agent_id.startswith("acompact"):
            continue  # the compaction call: its usage counts, not its turns
        tool_use_id = meta_tool_use_id(f.path)
        call = main.by_id.get(tool_use_id) if tool_use_id else None
        fold(stream, call if call is not None or not agent_id else main.by_agent.get(agent_id))
    calls, errors = main.figures()
    for uuid in state.uuids:
        claimed.setdefault(uuid, state.session_id)
    sid = state.session_id
    rows = [r if r[13] else (*r[:13], sid, *r[14:]) for r in rows]
    cwd = state.main_cwd or (state.cwds[0] if state.cwds else None)
    return ClaudeStats(
        session_id=sid,
        project=(Path(cwd).name if cwd else project_dir(first)) or "unknown",
        title=pick_title(state.custom_title, state.titles, state.uuids),
        human_prompts=main.humans,
        tool_calls=calls + extra[0],
        subagent_tool_calls=extra[3],
        tool_errors=errors + extra[1],
        models=state.models,
        times=sorted(main.times | {r[2] for r in rows}),
        rows=rows,
        skipped=[s for s in state.skipped if has_problems(s)],
        weight=main.turns + extra[2] + len(rows),
    )


def _task_call_for_prompt(main: _Stream, prompt: str, taken: list[_Call]) -> _Call | None:
    """``TurnBuilder.task_call_for_prompt``: the untaken agent call with this prompt, else the last one."""
    candidates = [c for c in main.calls if c.agent_tool and not any(c is t for t in taken)]
    for call in candidates:
        if call.prompt is not None and call.prompt.strip() == prompt:
            return call
    return candidates[-1] if candidates else None


def stats_read(files: Sequence[SourceFile], claimed: dict[str, str]) -> StatsRead:
    """The session's stats by the scan, else (``Unsupported``) by the full read, tool results unscrubbed."""
    from daily_report.usage.session_facts import stats_of

    try:
        return scanned(files, claimed)
    except Unsupported:
        with results_unscrubbed():
            return stats_of(read_claude_session(files, claimed=claimed))


def scanned(files: Sequence[SourceFile], claimed: dict[str, str]) -> StatsRead:
    """``scan_claude_stats`` as the index takes it; raises ``Unsupported``."""
    from daily_report.usage.events import Ev
    from daily_report.usage.session_facts import SessionFacts, StatsRead

    s = scan_claude_stats(files, claimed)
    first = next((f for f in files if f.kind == "main"), files[0])
    facts = SessionFacts(
        agent="claude_code",
        device=first.device,
        project=s.project,
        id=s.session_id,
        title=s.title,
        human_prompts=s.human_prompts,
        tool_calls=s.tool_calls,
        subagent_tool_calls=s.subagent_tool_calls,
        tool_errors=s.tool_errors,
        models=s.models,
        times=s.times,
    )
    return StatsRead(facts, [Ev._make(r) for r in s.rows], s.skipped, s.weight)
