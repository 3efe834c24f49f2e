"""Claude Code transcripts → ``daily_report.schemas.transcript.Session`` (transcript-formats.md §1).

One session = its main file plus its subagent files (``<session>/subagents/agent-*.jsonl`` or old
``agent-*.jsonl`` beside the session). Subagent turns are folded under the Task/Agent call that started
them; inline ``isSidechain`` lines (old layout) are folded the same way. Usage: one event per top-level
assistant line (see ``claude.usage``); subagent usage belongs to the parent session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from daily_report.schemas.transcript import Session, SkippedLines, ToolCall, Turn, UsageEvent
from daily_report.sources.claude import session_id_for
from daily_report.sources.claude.turns import TurnBuilder, renumber
from daily_report.sources.claude.usage import SYNTHETIC, fallback_time, usage_event
from daily_report.sources.jsonl import has_problems, iter_records, note_unknown
from daily_report.sources.text import parse_ts
from daily_report.sources.types import SourceFile

KNOWN_TYPES = frozenset(
    {
        "user",
        "assistant",
        "system",
        "summary",
        "file-history-snapshot",
        "queue-operation",
        "progress",
        "attachment",
        "custom-title",
        "ai-title",
        "last-prompt",
        "agent-setting",
        "pr-link",
        "mode",
        "permission-mode",
        "agent-name",
    }
)
KNOWN_SYSTEM = frozenset(
    {
        "stop_hook_summary",
        "turn_duration",
        "compact_boundary",
        "microcompact_boundary",
        "local_command",
        "api_error",
        "informational",
        "away_summary",
    }
)
TITLE_KEYS = ("customTitle", "aiTitle", "title", "summary")


@dataclass
class _Group:
    """One inline sidechain conversation inside a main file."""

    builder: TurnBuilder
    prompt: str = ""


@dataclass
class SessionState:
    session_id: str
    device: str
    usage: list[UsageEvent] = field(default_factory=list)
    uuids: set[str] = field(default_factory=set)
    cwds: list[str] = field(default_factory=list)
    main_cwd: str | None = None
    branch: str | None = None
    version: str | None = None
    models: list[str] = field(default_factory=list)
    titles: list[tuple[str, str | None]] = field(default_factory=list)
    custom_title: str | None = None
    times: list[datetime] = field(default_factory=list)
    compactions: int = 0
    skipped: list[SkippedLines] = field(default_factory=list)
    claimed: dict[str, str] = field(default_factory=dict)

    def note_meta(self, rec: Any, *, sidechain: bool) -> None:
        note_meta(self, rec, sidechain=sidechain)

    def note_usage(self, ev: UsageEvent | None) -> None:
        if ev is None:
            return
        self.usage.append(ev)
        if ev.model not in self.models and ev.model != SYNTHETIC:
            self.models.append(ev.model)


def note_meta(into: Any, rec: Any, *, sidechain: bool) -> None:
    """A line's cwd, branch and version into ``into`` (its ``cwds``, ``main_cwd``, ``branch``, ``version``):
    ``rec`` is the line as a dict, or the stats scan's typed line (its ``get``)."""
    cwd = rec.get("cwd")
    if isinstance(cwd, str) and cwd:
        if cwd not in into.cwds:
            into.cwds.append(cwd)
        if into.main_cwd is None and not sidechain:
            into.main_cwd = cwd
    branch = rec.get("gitBranch")
    if into.branch is None and isinstance(branch, str) and branch:
        into.branch = branch
    version = rec.get("version")
    if isinstance(version, str):
        into.version = version


class _FileReader:
    """Walks one file's lines into the session state and a turn builder."""

    def __init__(self, f: SourceFile, state: SessionState, builder: TurnBuilder) -> None:
        self.f = f
        self.state = state
        self.main = builder
        self.groups: list[_Group] = []
        self._group_of: dict[str, _Group] = {}
        self.skipped = SkippedLines(path=str(f.path))
        self.agent_id: str | None = None

    def run(self) -> None:
        last_ts: datetime | None = None
        for _lineno, rec in iter_records(self.f.path, self.skipped):
            ts = parse_ts(rec.get("timestamp"))
            if ts is not None:
                last_ts = ts
            self._line(rec, ts, last_ts)
        self.state.skipped.append(self.skipped)

    def _line(self, rec: dict[str, Any], ts: datetime | None, last_ts: datetime | None) -> None:
        kind = rec.get("type")
        if not isinstance(kind, str) or kind not in KNOWN_TYPES:
            note_unknown(self.skipped, str(kind) if kind is not None else "<no type>")
            return
        uuid = rec.get("uuid")
        if (
            isinstance(uuid, str)
            and self.state.claimed.get(uuid, self.state.session_id) != self.state.session_id
        ):
            return  # a resumed session's copy of another session's line: that session holds it
        if ts is not None:
            self.state.times.append(ts)
        subagent = self.f.kind == "subagent"
        if kind == "assistant":
            self.state.note_usage(
                usage_event(
                    rec,
                    ts=ts or last_ts or fallback_time(self.f),
                    session_id=self.state.session_id,
                    device=self.f.device,
                    path=str(self.f.path),
                    sidechain=subagent,
                    skipped=self.skipped,
                )
            )
        if not self.state.session_id and isinstance(rec.get("sessionId"), str):
            self.state.session_id = rec["sessionId"]
        if self.agent_id is None and isinstance(rec.get("agentId"), str):
            self.agent_id = rec["agentId"]
        if isinstance(uuid, str):
            if uuid in self.state.uuids:
                return  # a replayed copy of a line already read
            self.state.uuids.add(uuid)
        if kind in ("user", "assistant", "system"):
            self.state.note_meta(rec, sidechain=subagent or bool(rec.get("isSidechain")))
        if kind == "user":
            self._builder_for(rec).add_user(rec, ts)
        elif kind == "assistant":
            self._builder_for(rec).add_assistant(rec, ts)
        elif kind == "system":
            self._system(rec, ts)
        elif kind == "summary":
            if isinstance(rec.get("summary"), str):
                leaf = rec.get("leafUuid")
                self.state.titles.append((rec["summary"], leaf if isinstance(leaf, str) else ""))
        elif kind in ("custom-title", "ai-title"):
            title = title_of(rec)
            if title:
                self.state.titles.append((title, None))
                if kind == "custom-title":
                    self.state.custom_title = title

    def _system(self, rec: dict[str, Any], ts: datetime | None) -> None:
        sub = rec.get("subtype")
        if sub == "compact_boundary":
            self.state.compactions += 1
        elif sub == "api_error":
            self.main.api_errors += 1
            err = rec.get("error") or rec.get("cause") or rec.get("content") or "unknown"
            detail = err if isinstance(err, str) else orjson.dumps(err).decode()[:300]
            self.main.add_event(f"API error (retry {rec.get('retryAttempt', '?')}): {detail}"[:500], ts)
        elif not isinstance(sub, str) or sub not in KNOWN_SYSTEM:
            note_unknown(self.skipped, f"system/{sub}")

    def _builder_for(self, rec: dict[str, Any]) -> TurnBuilder:
        """Inline sidechain lines of a main file go to their own group; the rest to the main builder."""
        if self.f.kind == "subagent" or not rec.get("isSidechain"):
            return self.main
        parent = rec.get("parentUuid")
        group = self._group_of.get(parent) if isinstance(parent, str) else None
        if group is None:
            group = _Group(TurnBuilder(sidechain=True), prompt=prompt_text(rec))
            self.groups.append(group)
        if isinstance(rec.get("uuid"), str):
            self._group_of[rec["uuid"]] = group
        return group.builder


def prompt_text(rec: dict[str, Any]) -> str:
    message = rec.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, str):
        return content.strip()
    if isinstance(content, list):
        return "\n".join(
            b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text"
        ).strip()
    return ""


def read_claude_session(files: Sequence[SourceFile], *, claimed: dict[str, str] | None = None) -> Session:
    """One session from its main file (first, if present) and its subagent files.

    ``claimed`` maps line uuids to the session that holds them (shared across the sessions of a device,
    read oldest first): lines a resumed session copied from another are left to that session.
    """
    main_file = next((f for f in files if f.kind == "main"), None)
    first = main_file or files[0]
    state = SessionState(session_id=session_id_for(first), device=first.device, claimed=claimed or {})
    main = TurnBuilder()
    taken: set[int] = set()
    if main_file is not None:
        reader = _FileReader(main_file, state, main)
        reader.run()
        for group in reader.groups:
            _fold(
                main,
                group.builder,
                agent_id=None,
                call=main.task_call_for_prompt(group.prompt, taken),
                taken=taken,
            )
    for f in files:
        if f.kind == "subagent":
            _read_subagent(f, state, main, taken)
    if claimed is not None:
        for uuid in state.uuids:
            claimed.setdefault(uuid, state.session_id)
    return _session(state, main, files, first)


def _read_subagent(f: SourceFile, state: SessionState, main: TurnBuilder, taken: set[int]) -> None:
    builder = TurnBuilder(sidechain=True)
    reader = _FileReader(f, state, builder)
    if not state.session_id:
        state.session_id = f.parent_session_id or ""
    reader.run()
    agent_id = agent_id_from_name(f.path) or reader.agent_id
    if agent_id and agent_id.startswith("acompact"):
        return  # the compaction call: its usage counts, its summary is the isCompactSummary line
    call = main.agent_call_for(agent_id=agent_id, tool_use_id=meta_tool_use_id(f.path))
    _fold(main, builder, agent_id=agent_id, call=call, taken=taken)


def _fold(
    main: TurnBuilder, sub: TurnBuilder, *, agent_id: str | None, call: ToolCall | None, taken: set[int]
) -> None:
    """Put a subagent's turns under the call that started it (or as a tool turn of their own)."""
    if not sub.turns:
        return
    main.interruptions += sub.interruptions
    main.api_errors += sub.api_errors
    if call is None or id(call) in taken:
        call = ToolCall(name="Agent", subagent_id=agent_id)
        main.turns.append(
            Turn(
                index=len(main.turns),
                role="tool",
                timestamp=sub.turns[0].timestamp,
                tool=call,
                is_sidechain=True,
            )
        )
    taken.add(id(call))
    call.subagent_id = call.subagent_id or agent_id
    call.subagent_turns = renumber(sub.turns)


def agent_id_from_name(path: Path) -> str | None:
    name = path.name.split(".", 1)[0]
    return name[len("agent-") :] if name.startswith("agent-") else None


def meta_tool_use_id(path: Path) -> str | None:
    meta = path.with_name(path.name.split(".", 1)[0] + ".meta.json")
    try:
        data = orjson.loads(meta.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    value = data.get("toolUseId") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def title_of(rec: Any) -> str | None:
    """A custom-title / ai-title line's title: the first of ``TITLE_KEYS`` that is a non-blank string
    (``rec``: the line as a dict, or any object whose ``get`` answers the same)."""
    return next((v for k in TITLE_KEYS if isinstance(v := rec.get(k), str) and v.strip()), None)


def pick_title(custom: str | None, titles: list[tuple[str, str | None]], uuids: set[str]) -> str | None:
    """The custom title, else the last summary whose leaf line is this session's (or that names none)."""
    return custom or next((t for t, leaf in reversed(titles) if leaf is None or leaf in uuids), None)


def _session(
    state: SessionState, main: TurnBuilder, files: Sequence[SourceFile], first: SourceFile
) -> Session:
    cwd = state.main_cwd or (state.cwds[0] if state.cwds else None)
    project = Path(cwd).name if cwd else project_dir(first)
    title = pick_title(state.custom_title, state.titles, state.uuids)
    for ev in state.usage:
        ev.session_id = ev.session_id or state.session_id
    return Session(
        id=state.session_id,
        agent="claude_code",
        device=first.device,
        user=first.user,
        project=project or "unknown",
        cwd=cwd,
        cwds=state.cwds,
        branch=state.branch,
        start=min(state.times) if state.times else None,
        end=max(state.times) if state.times else None,
        models=state.models,
        title=title,
        version=state.version,
        turns=renumber(main.turns),
        usage=state.usage,
        files=[str(f.path) for f in files],
        compactions=state.compactions,
        interruptions=main.interruptions,
        api_errors=main.api_errors,
        skipped=[s for s in state.skipped if has_problems(s)],
    )


def project_dir(f: SourceFile) -> str:
    """Fallback for files without cwd: the encoded directory name under projects/."""
    parts = f.path.parts
    if "projects" in parts:
        i = len(parts) - 1 - parts[::-1].index("projects")
        if i + 1 < len(parts) - 1:
            return parts[i + 1].lstrip("-")
    return f.path.parent.name
