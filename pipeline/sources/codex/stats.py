"""Codex session figures without turns, and grown rollouts read on from their last offset: ``CODEX.read_stats``.

``_Tally`` is the full reader's ``session._Builder`` (the same dispatch, the same rules: which records make a
prompt, a tool call and its error, a text shown once) with ``turn`` keeping counts and times instead of
turns. What the lines after depend on (the open tool calls by id, the texts waiting for their twin, the
usage delta's baseline, the cwds, models, skipped lines and where the read stopped) is kept as ``_State``
(``StatsRead.resume``), and the figures are always finished from it, so a continued read and a full one
share every step.

Continuing is refused, and the file read afresh, when it shrank or changed in the 4 KB before the offset
(``jsonl.bytes_check``), the last read ended in a line still being written, the file is not plain JSONL
(``.jsonl.zst``, the old single ``.json``), a record had no time to fall back on (its usage takes the
file's mtime, which moves), or a file under 64 KB grew into being sniffed as binary.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import msgspec
from daily_report.schemas.transcript import SkippedLines, ToolCall, Turn
from daily_report.sources.codex.records import Position, Record, iter_codex
from daily_report.sources.codex.session import _Builder, _fill, final_models, project_of
from daily_report.sources.codex.usage import UsageState
from daily_report.sources.jsonl import bytes_check, has_problems
from daily_report.sources.types import SourceFile
from daily_report.usage.events import Ev, from_event
from daily_report.usage.session_facts import SessionFacts, StatsRead


class _State(msgspec.Struct, array_like=True):
    """One rollout as read so far (msgpack in the session-stats index's ``session_resume`` table)."""

    size: int
    offset: int
    lineno: int
    first: bool
    last_ts: datetime | None
    check: str
    skipped: dict[str, Any]
    usage: UsageState
    rows: list[Ev]
    turns: int
    humans: int
    times: list[datetime]
    legacy: list[datetime | None]  # the times of prompts from response items (dropped with user events)
    calls_done: int  # calls no later record can reach (no id, or their id taken by a later call)
    errors_done: int
    calls: dict[str, bool]  # the reachable calls by id: is_error
    early: dict[str, bool]  # outputs before their call: is_error of a call they fill
    pending: list[tuple[str, str, bytes, int]]  # (role, source, text hash, count) waiting for their twin
    recent_images: list[str]
    saw_user_event: bool
    has_meta: bool
    cwds: list[str]
    models: list[str]


class _CannotContinue(Exception):
    """The kept state cannot be continued: the file is read afresh."""


class _Tally(_Builder):
    """``_Builder`` keeping, for each turn it would make, only what a figure takes from it."""

    def __init__(self, f: SourceFile) -> None:
        super().__init__(f)
        self.n_turns = self.humans = self.calls_done = self.errors_done = 0
        self.turn_times: set[datetime] = set()
        self.legacy: list[datetime | None] = []
        self.tools: list[ToolCall] = []
        self.rows: list[Ev] = []
        self.undated = False

    def add(self, rec: Record) -> None:
        self.undated = self.undated or rec.ts is None
        super().add(rec)

    def turn(self, rec: Record, **kw: Any) -> Turn:
        self.n_turns += 1
        self.humans += kw["role"] == "human"
        if rec.ts is not None:
            self.turn_times.add(rec.ts)
        if kw.get("tool") is not None:
            self.tools.append(kw["tool"])
        return Turn.model_construct(index=0, role=kw["role"], timestamp=rec.ts)

    def legacy_prompt(self, rec: Record, text: str, images: int) -> None:
        self.legacy.append(rec.ts)

    def state(self, at: Position, skipped: SkippedLines, check: str) -> _State:
        live = {id(c) for c in self.calls.values()}
        done = [c for c in self.tools if id(c) not in live]
        return _State(
            size=self.f.size,
            offset=at.offset,
            lineno=at.lineno,
            first=at.first,
            last_ts=at.last_ts,
            check=check,
            skipped=skipped.model_dump(),
            usage=self.usage.state(),
            rows=self.rows + [from_event(e) for e in self.usage.events],
            turns=self.n_turns,
            humans=self.humans,
            times=sorted(self.turn_times),
            legacy=self.legacy,
            calls_done=self.calls_done + len(done),
            errors_done=self.errors_done + sum(c.is_error for c in done),
            calls={k: c.is_error for k, c in self.calls.items()},
            early={k: _filled(r).is_error for k, r in self.early.items()},
            pending=[(r, s, k, n) for (r, s), keys in self.pending.items() for k, n in keys.items()],
            recent_images=self.recent_images,
            saw_user_event=self.saw_user_event,
            has_meta=bool(self.meta),
            cwds=self.cwds,
            models=self.models,
        )

    @staticmethod
    def resumed(f: SourceFile, s: _State) -> _Tally:
        t = _Tally(f)
        t.usage.restore(s.usage)
        t.rows, t.n_turns, t.humans, t.turn_times, t.legacy = (
            s.rows,
            s.turns,
            s.humans,
            set(s.times),
            s.legacy,
        )
        t.calls_done, t.errors_done = s.calls_done, s.errors_done
        t.calls = {k: ToolCall(id=k, name="", is_error=e) for k, e in s.calls.items()}
        t.tools = list(t.calls.values())
        # an output that fills its call the same way: only its error flag is kept
        t.early = {
            k: Record(0, "response_item", {"success": False} if e else {}, None) for k, e in s.early.items()
        }
        for role, source, key, n in s.pending:
            t.pending.setdefault((role, source), Counter())[key] = n
        t.recent_images, t.saw_user_event, t.cwds, t.models = (
            s.recent_images,
            s.saw_user_event,
            s.cwds,
            s.models,
        )
        t.meta = {"kept": True} if s.has_meta else {}  # only whether the first session_meta was taken
        return t

    def stats(self, skipped: SkippedLines, resume: bytes | None) -> StatsRead:
        """The figures ``session_facts.stats_of`` gives from the full read (``_Builder.session``)."""
        sid = self.session_id()
        rows = [r._replace(session_id=sid) for r in self.rows + [from_event(e) for e in self.usage.events]]
        legacy = [] if self.saw_user_event else self.legacy
        times = self.turn_times | {t for t in legacy if t is not None} | {r.timestamp for r in rows}
        calls = self.calls_done + len(self.tools)
        errors = self.errors_done + sum(c.is_error for c in self.tools)
        skipped = skipped.model_copy()
        skipped.invalid_usage += self.usage.invalid
        facts = SessionFacts(
            agent="codex",
            device=self.f.device,
            project=project_of(self.cwds),
            id=sid,
            title=None,
            human_prompts=self.humans + len(legacy),
            tool_calls=calls,
            subagent_tool_calls=0,
            tool_errors=errors,
            models=final_models(self.models, ((r.model, r.model_approximate) for r in rows)),
            times=sorted(times),
        )
        events = [r for r in rows if r.model != "<synthetic>"]
        weight = self.n_turns + len(legacy) + len(rows)
        return StatsRead(facts, events, [skipped] if has_problems(skipped) else [], weight, resume)


def _filled(rec: Record) -> ToolCall:
    call = ToolCall(name="")
    _fill(call, rec.payload, rec.ts)
    return call


def read_codex_stats(f: SourceFile, resume: bytes | None = None) -> StatsRead:
    """The session's figures, exactly as the full read gives them; a grown file read on from ``resume``
    (a ``StatsRead.resume`` of this file) when it can be."""
    if resume is not None:
        try:
            return _continued(f, msgspec.msgpack.decode(resume, type=_State))
        except (_CannotContinue, msgspec.DecodeError, msgspec.ValidationError):
            pass
    return _read(f, _Tally(f), Position(), SkippedLines(path=str(f.path)))


def _continued(f: SourceFile, old: _State) -> StatsRead:
    if not old.check or f.size < old.size or bytes_check(f.path, old.offset) != old.check:
        raise _CannotContinue(str(f.path))
    skipped = SkippedLines.model_validate(old.skipped)
    at = Position(old.offset, old.lineno, old.first, old.last_ts)
    read = _read(f, _Tally.resumed(f, old), at, skipped)
    if skipped.unreadable:  # a small file grown into one sniffed as binary: the full read takes nothing
        raise _CannotContinue(str(f.path))
    return read


def _read(f: SourceFile, t: _Tally, at: Position, skipped: SkippedLines) -> StatsRead:
    for rec in iter_codex(f.path, skipped, at=at):
        t.add(rec)
    continuable = f.path.name.endswith(".jsonl") and not (at.cut or t.undated or skipped.unreadable)
    check = bytes_check(f.path, at.offset) if continuable else ""
    resume = msgspec.msgpack.encode(t.state(at, skipped, check)) if check else None
    return t.stats(skipped, resume)
