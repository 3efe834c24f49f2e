"""Claude Code session figures without turns: the stats scan behind ``CLAUDE.read_stats``.

``session.read_claude_session`` builds every turn (pydantic objects, cleaned text, tool results) and the
session-stats index then keeps a handful of counts. This scan walks the same lines in the same order with
the same rules, but reads only the fields a figure depends on (``stats_lines``) and keeps each stream (the
main conversation, an inline sidechain, a subagent file) as counts (``stats_streams``). The rules are shared, not
copied: what a user line holds is ``content.user_pieces`` (or ``result_head`` for results whose text no
figure reads), a call's error is ``turns.result_is_error``, titles, cwd and the sidechain prompt come from
``session``. A line the typed decode cannot take raises ``Unsupported``: the session is then read in full.

An appended file is read from where the last read stopped: the state after each file (``_FileState``: its
counts, uuids, usage rows, where its last complete line ended and a hash of the 4 KB before it) is kept,
and the session's figures are always finished from those states (``_finish``). Continuing is refused, and
the session read afresh, when a file shrank or changed before that offset, ended in a line still being
written, the files are not the same list, the session id came from the lines, or a new line repeats a uuid
of a file read after it (the full read would have given that line to the earlier file).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
from daily_report.schemas.transcript import SkippedLines
from daily_report.sources.claude import session_id_for
from daily_report.sources.claude.content import results_unscrubbed
from daily_report.sources.claude.session import (
    KNOWN_SYSTEM,
    KNOWN_TYPES,
    agent_id_from_name,
    meta_tool_use_id,
    note_meta,
    pick_title,
    project_dir,
    prompt_text,
    read_claude_session,
    title_of,
)
from daily_report.sources.claude.stats_lines import (
    Line,
    Unsupported,
    lines,
    loads,
)
from daily_report.sources.claude.stats_streams import Group, Stream, task_call_for_prompt
from daily_report.sources.claude.usage import fallback_time
from daily_report.sources.claude.usage_line import SYNTHETIC, Row, line_row
from daily_report.sources.jsonl import bytes_check, has_problems, note_unknown
from daily_report.sources.text import parse_ts
from daily_report.sources.types import SourceFile

if TYPE_CHECKING:
    from daily_report.usage.session_facts import StatsRead

_CONVERSATION = frozenset({"user", "assistant", "system"})


@dataclass
class _FileState:
    """One file as read so far: what the session takes from it, and where to go on from."""

    path: str
    kind: str
    size: int
    mtime_ns: int
    stream: Stream
    offset: int = 0  # after the last complete line read
    lineno: int = 0
    check: str = ""  # ``jsonl.bytes_check`` of the bytes before offset; "" when the file cannot be continued
    skipped: dict[str, Any] = field(default_factory=dict)
    cwds: list[str] = field(default_factory=list)
    main_cwd: str | None = None
    branch: str | None = None
    version: str | None = None
    models: list[str] = field(default_factory=list)
    titles: list[tuple[str, str | None]] = field(default_factory=list)
    custom_title: str | None = None
    uuids: list[str] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)  # ``_compact`` of each usage row
    last_ts: datetime | None = None
    agent_id: str | None = None
    groups: list[Group] = field(default_factory=list)
    group_of: dict[str, int] = field(default_factory=dict)


@dataclass
class _Resume:
    session_id: str
    files: list[_FileState]


@dataclass
class _Session:
    """What the files of one session share while they are read."""

    session_id: str
    claimed: dict[str, str]
    uuids: set[str] = field(default_factory=set)
    later: set[str] = field(default_factory=set)  # uuids of files after the one being continued


class _CannotContinue(Exception):
    """The kept state cannot be continued: the session is read afresh."""


class _FileScan:
    """One file's lines into its state (``session._FileReader``)."""

    def __init__(self, f: SourceFile, fs: _FileState, session: _Session, *, agent_ids: bool) -> None:
        self.f, self.fs, self.session, self.agent_ids = f, fs, session, agent_ids
        self.subagent = f.kind == "subagent"
        self.last_meta: tuple[Any, ...] = ()

    def run(self) -> None:
        fs = self.fs
        skipped = SkippedLines.model_validate(fs.skipped) if fs.skipped else SkippedLines(path=fs.path)
        at = [fs.offset, fs.lineno, 0]
        for line in lines(self.f.path, skipped, at):
            self.line(line, skipped)
        fs.offset, fs.lineno, fs.skipped = at[0], at[1], skipped.model_dump()
        fs.check = (
            ""
            if at[2] or skipped.unreadable or self.f.path.suffix != ".jsonl"
            else bytes_check(self.f.path, at[0])
        )

    def line(self, x: Line, skipped: SkippedLines) -> None:
        fs, session = self.fs, self.session
        ts = parse_ts(x.timestamp)
        if ts is not None:
            fs.last_ts = ts
        kind = x.type
        if kind is None or kind not in KNOWN_TYPES:
            note_unknown(skipped, kind if kind is not None else "<no type>")
            return
        uuid, sid = x.uuid, session.session_id
        if uuid is not None and session.claimed.get(uuid, sid) != sid:
            return  # a resumed session's copy of another session's line
        if kind == "assistant":
            when = ts or fs.last_ts or fallback_time(self.f)
            row = line_row(x, ts=when, session_id=sid, device="", path="", sidechain=self.subagent)
            if row is not None:
                fs.rows.append(_compact(row))
                if row[1] not in fs.models and row[1] != SYNTHETIC:
                    fs.models.append(row[1])
        if not sid and x.sessionId is not None:
            session.session_id = x.sessionId
        if fs.agent_id is None and x.agentId is not None:
            fs.agent_id = x.agentId
        if uuid is not None:
            if uuid in session.uuids:
                if uuid in session.later:
                    raise _CannotContinue(uuid)  # read in full, this line would have been this file's
                return
            session.uuids.add(uuid)
            fs.uuids.append(uuid)
        if kind in _CONVERSATION:
            meta = (x.cwd, x.gitBranch, x.version, self.subagent or bool(x.isSidechain))
            if meta != self.last_meta:  # the same again changes nothing: most lines repeat them
                note_meta(fs, x, sidechain=meta[3])
                self.last_meta = meta
            if kind == "system":
                self._system(x, ts, skipped)
                return
            stream = fs.stream if self.subagent or not x.isSidechain else self._group_for(x)
            if kind == "assistant":
                stream.assistant(x, ts)
            else:
                stream.user(x, ts, agent_ids=self.agent_ids)
        elif kind == "summary":
            if x.summary is not None:
                fs.titles.append((x.summary, x.leafUuid if x.leafUuid is not None else ""))
        elif kind in ("custom-title", "ai-title"):
            title = title_of(x)
            if title:
                fs.titles.append((title, None))
                if kind == "custom-title":
                    fs.custom_title = title

    def _system(self, x: Line, ts: datetime | None, skipped: SkippedLines) -> None:
        sub = x.subtype
        if sub == "api_error":
            self.fs.stream.event(ts)
        elif sub is None or (sub != "compact_boundary" and sub not in KNOWN_SYSTEM):
            note_unknown(skipped, f"system/{sub}")

    def _group_for(self, x: Line) -> Stream:
        """An inline sidechain line's conversation (``session._FileReader._builder_for``)."""
        fs = self.fs
        parent = x.parentUuid
        i = fs.group_of.get(parent) if parent is not None else None
        if i is None:
            content = loads(x.message.content) if x.message is not None else None
            fs.groups.append(Group(Stream(), prompt_text({"message": {"content": content}})))
            i = len(fs.groups) - 1
        if x.uuid is not None:
            fs.group_of[x.uuid] = i
        return fs.groups[i].stream


def _compact(row: Row) -> tuple[Any, ...]:
    """A usage row without what every row of the file shares (agent, device, path, the Codex fields) and
    its session id: the session's once known (the full read fills it in the rows read before that)."""
    return (row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[10], row[11])


def _row(c: tuple[Any, ...], f: SourceFile, sid: str) -> Row:
    model, ts, inp, out, w5, w1, read, key, side = c
    return (
        "claude_code",
        model,
        ts,
        inp,
        out,
        w5,
        w1,
        read,
        0,
        0,
        key,
        side,
        False,
        sid,
        f.device,
        str(f.path),
    )


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
    resume: bytes


def scan_claude_stats(
    files: Sequence[SourceFile], claimed: dict[str, str], resume: bytes | None = None
) -> ClaudeStats:
    """``read_claude_session`` reduced to the figures (same order, same claims), continuing the files of
    ``resume`` (a ``ClaudeStats.resume`` of the same session) when it can; raises ``Unsupported``."""
    with results_unscrubbed():  # for the results whose text is decoded (``stats_lines._plain_result``)
        if resume is not None:
            try:
                return _continued(files, claimed, resume)
            except (_CannotContinue, msgspec.DecodeError):
                pass
        return _fresh(files, claimed)


def _fresh(files: Sequence[SourceFile], claimed: dict[str, str]) -> ClaudeStats:
    first = next((f for f in files if f.kind == "main"), files[0])
    session = _Session(session_id_for(first), claimed)
    ordered = _read_order(files)
    subagents = any(f.kind == "subagent" for f in files)
    states: list[_FileState] = []
    for f in ordered:
        if f.kind == "subagent" and not session.session_id:
            session.session_id = f.parent_session_id or ""
        fs = _FileState(str(f.path), f.kind, f.size, f.mtime_ns, Stream(keep_times=f.kind == "main"))
        _FileScan(f, fs, session, agent_ids=subagents and f.kind == "main").run()
        states.append(fs)
    return _finish(ordered, session, states, continuable=bool(session_id_for(first)))


def _continued(files: Sequence[SourceFile], claimed: dict[str, str], resume: bytes) -> ClaudeStats:
    old = msgspec.msgpack.decode(resume, type=_Resume)
    ordered = _read_order(files)
    first = next((f for f in files if f.kind == "main"), files[0])
    if not session_id_for(first) or [(s.path, s.kind) for s in old.files] != [
        (str(f.path), f.kind) for f in ordered
    ]:
        raise _CannotContinue("not the same files")
    grown = []
    for i, (fs, f) in enumerate(zip(old.files, ordered, strict=True)):
        if (f.size, f.mtime_ns) == (fs.size, fs.mtime_ns):
            continue
        if not fs.check or f.size <= fs.size or bytes_check(f.path, fs.offset) != fs.check:
            raise _CannotContinue(fs.path)
        grown.append(i)
    session = _Session(old.session_id, claimed, {u for fs in old.files for u in fs.uuids})
    subagents = any(f.kind == "subagent" for f in files)
    for i in grown:
        fs, f = old.files[i], ordered[i]
        session.later = {u for later in old.files[i + 1 :] for u in later.uuids}
        fs.size, fs.mtime_ns = f.size, f.mtime_ns
        _FileScan(f, fs, session, agent_ids=subagents and f.kind == "main").run()
    return _finish(ordered, session, old.files, continuable=True)


def _read_order(files: Sequence[SourceFile]) -> list[SourceFile]:
    """The main file first, then the subagent files in their order (``read_claude_session``)."""
    main = [f for f in files if f.kind == "main"][:1]
    return main + [f for f in files if f.kind == "subagent"]


def _finish(
    ordered: list[SourceFile], session: _Session, states: list[_FileState], *, continuable: bool
) -> ClaudeStats:
    """The session's figures from its files' states (``read_claude_session``'s folding and ``_session``)."""
    has_main = ordered[0].kind == "main"
    main = states[0].stream if has_main else Stream(keep_times=True)
    times = set(main.times)
    nested: dict[int, tuple[int, int]] = {}  # main call index -> the (calls, errors) folded under it
    extra = [0, 0, 0, 0]  # calls, errors, turns of subagents folded as a turn of their own; subagent calls

    def fold(stream: Stream, call: int | None) -> None:
        """``session._fold``: a sidechain's or subagent's figures under the call that started it."""
        if not stream.turns:
            return
        calls = len(stream.calls)
        errors = sum(c.is_error for c in stream.calls)
        extra[3] += calls
        if call is None or call in nested:  # a tool turn of its own
            extra[0], extra[1], extra[2] = extra[0] + 1 + calls, extra[1] + errors, extra[2] + 1
            if stream.first_time is not None:
                times.add(stream.first_time)
            return
        nested[call] = (calls, errors)

    if has_main:
        for group in states[0].groups:
            fold(group.stream, task_call_for_prompt(main, group.prompt, nested))
    for f, fs in zip(ordered, states, strict=True):
        if f.kind != "subagent":
            continue
        agent_id = agent_id_from_name(f.path) or fs.agent_id
        if agent_id and agent_id.startswith("acompact"):
            continue  # the compaction call: its usage counts, not its turns
        tool_use_id = meta_tool_use_id(f.path)
        call = main.by_id.get(tool_use_id) if tool_use_id else None
        fold(fs.stream, call if call is not None or not agent_id else main.by_agent.get(agent_id))
    sid = session.session_id
    for uuid in session.uuids:
        session.claimed.setdefault(uuid, sid)
    rows = [_row(c, f, sid) for f, fs in zip(ordered, states, strict=True) for c in fs.rows]
    merged = _FileState("", "", 0, 0, main)
    for fs in states:
        merged.cwds += [c for c in fs.cwds if c not in merged.cwds]
        merged.main_cwd = merged.main_cwd or fs.main_cwd
        merged.branch = merged.branch or fs.branch
        merged.version = fs.version or merged.version
        merged.models += [m for m in fs.models if m not in merged.models]
        merged.titles += fs.titles
        merged.custom_title = fs.custom_title or merged.custom_title
    cwd = merged.main_cwd or (merged.cwds[0] if merged.cwds else None)
    skipped = [SkippedLines.model_validate(fs.skipped) for fs in states]
    calls = len(main.calls) + sum(n[0] for n in nested.values())
    errors = sum(c.is_error for c in main.calls) + sum(n[1] for n in nested.values())
    return ClaudeStats(
        session_id=sid,
        project=(Path(cwd).name if cwd else project_dir(ordered[0])) or "unknown",
        title=pick_title(merged.custom_title, merged.titles, session.uuids),
        human_prompts=main.humans,
        tool_calls=calls + extra[0],
        subagent_tool_calls=extra[3],
        tool_errors=errors + extra[1],
        models=merged.models,
        times=sorted(times | {r[2] for r in rows}),
        rows=rows,
        skipped=[s for s in skipped if has_problems(s)],
        weight=main.turns + extra[2] + len(rows),
        resume=msgspec.msgpack.encode(_Resume(sid, states)) if continuable else b"",
    )


def stats_read(
    files: Sequence[SourceFile], claimed: dict[str, str], resume: bytes | None = None
) -> StatsRead:
    """The session's stats by the scan, else (``Unsupported``) by the full read, tool results unscrubbed."""
    from daily_report.usage.session_facts import stats_of

    try:
        return scanned(files, claimed, resume)
    except Unsupported:
        with results_unscrubbed():
            return stats_of(read_claude_session(files, claimed=claimed))


def scanned(files: Sequence[SourceFile], claimed: dict[str, str], resume: bytes | None = None) -> StatsRead:
    """``scan_claude_stats`` as the index takes it; raises ``Unsupported``."""
    from daily_report.usage.events import Ev
    from daily_report.usage.session_facts import SessionFacts, StatsRead

    s = scan_claude_stats(files, claimed, resume)
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
    return StatsRead(facts, [Ev._make(r) for r in s.rows], s.skipped, s.weight, s.resume or None)
