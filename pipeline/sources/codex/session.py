"""Codex rollouts → ``daily_report.schemas.transcript.Session`` (transcript-formats.md §2).

Human prompts come from ``event_msg/user_message`` (the ``response_item`` user messages carry AGENTS.md
and environment injections); legacy files without those events fall back to filtered response-item
user messages. Assistant text and reasoning appear twice (event and response item): shown once.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from daily_report.schemas.transcript import Session, SkippedLines, ToolCall, Turn
from daily_report.sources.codex.records import Record, iter_codex
from daily_report.sources.codex.usage import CodexUsage
from daily_report.sources.jsonl import has_problems
from daily_report.sources.text import clean, image_block_placeholder
from daily_report.sources.types import FileUsage, SourceFile

_EXIT_RE = re.compile(r"Process exited with code (-?\d+)")
_INJECTED = (
    "<environment_context>",
    "# AGENTS.md",
    "<user_instructions>",
    "<permissions",
    "<INSTRUCTIONS>",
    "<collaboration_mode>",
    "<user_shell_command>",
    "<turn_aborted>",
)
_ENV_CWD_RE = re.compile(r"<cwd>(.*?)</cwd>", re.DOTALL)
_UUID_RE = re.compile(r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")


def _file_id(path: Path) -> str:
    m = _UUID_RE.search(path.name)
    return m.group(1) if m else path.name.split(".", 1)[0]


class _Builder:
    def __init__(self, f: SourceFile) -> None:
        self.f = f
        self.usage = CodexUsage(device=f.device, path=str(f.path))
        self.turns: list[Turn] = []
        self.calls: dict[str, ToolCall] = {}
        self.early: dict[str, Record] = {}
        self.pending: dict[tuple[str, str], Counter[bytes]] = {}  # texts by their hash
        self.legacy_prompts: list[Turn] = []
        self.recent_images: list[str] = []
        self.saw_user_event = False
        self.meta: dict[str, Any] = {}
        self.cwds: list[str] = []
        self.models: list[str] = []
        self.times: list[datetime] = []
        self.compactions = 0
        self.interruptions = 0

    def turn(self, rec: Record, **kw: Any) -> Turn:
        t = Turn(index=len(self.turns), timestamp=rec.ts, **kw)
        self.turns.append(t)
        return t

    def add(self, rec: Record) -> None:
        p = rec.payload
        if rec.kind == "session_meta":
            if not self.meta:
                self.meta = p
                self._cwd(p.get("cwd"))
            self.usage.on_meta(p, rec.ts)
            return
        self._feed_usage(rec)
        if self.usage.in_prefix:
            return  # a fork's replay of its parent: the parent session holds these turns
        if rec.ts is not None and not rec.approx_ts:
            self.times.append(rec.ts)
        if rec.kind == "turn_context":
            self._cwd(p.get("cwd"))
            if self.usage.model and self.usage.model not in self.models:
                self.models.append(self.usage.model)
        elif rec.kind == "event_msg":
            self._event(rec)
        elif rec.kind == "response_item":
            self._item(rec)
        elif rec.kind == "compacted":
            self.compactions += 1
            msg = p.get("message")
            self.turn(rec, role="summary", text=clean(msg) if isinstance(msg, str) else "[compacted]")

    def _feed_usage(self, rec: Record) -> None:
        kind = rec.payload.get("type") if rec.kind == "event_msg" else rec.kind
        if kind == "turn_context":
            self.usage.on_turn_context(rec.payload, rec.ts)
        elif kind == "user_message":
            self.usage.on_turn_start(rec.ts)
        elif kind == "token_count":
            ts = rec.ts or datetime.fromtimestamp(self.f.mtime_ns / 1e9, tz=UTC)
            self.usage.on_token_count(rec.payload, ts)

    def _cwd(self, cwd: Any) -> None:
        if isinstance(cwd, str) and cwd and cwd not in self.cwds:
            self.cwds.append(cwd)

    def _event(self, rec: Record) -> None:
        p = rec.payload
        kind = p.get("type")
        if kind == "user_message":
            self.saw_user_event = True
            self._prompt(rec, p)
        elif kind == "agent_message" and isinstance(p.get("message"), str):
            self._once(rec, "assistant", "event", clean(p["message"]))
        elif kind == "agent_reasoning" and isinstance(p.get("text"), str):
            self._once(rec, "thinking", "event", clean(p["text"]))
        elif kind == "turn_aborted":
            self.interruptions += 1
            self.turn(rec, role="event", text=f"turn aborted ({p.get('reason') or 'interrupted'})")
        elif kind == "thread_rolled_back":
            n = p.get("num_turns")
            self.turn(rec, role="event", text="thread rolled back" + (f" ({n} turns removed)" if n else ""))
        elif kind == "exec_command_end":
            self._exec_end(p)
        elif kind == "patch_apply_end" and p.get("success") is False:
            call = self.calls.get(str(p.get("call_id")))
            if call is not None:
                call.is_error = True

    def _prompt(self, rec: Record, p: dict[str, Any]) -> None:
        text = clean(p.get("message") or "") if isinstance(p.get("message"), str) else ""
        imgs = [i for i in (p.get("images") or []) if isinstance(i, str)]
        local = [str(i) for i in (p.get("local_images") or []) if i]
        marks = [image_block_placeholder({"image_url": i}) for i in imgs]
        if local and len(self.recent_images) >= len(marks) + len(local):
            marks = self.recent_images[-(len(marks) + len(local)) :]
        else:
            marks += [f"[image {Path(i).suffix.lstrip('.').lower() or '?'}]" for i in local]
        self.recent_images = []
        full = "\n".join([text, *marks]).strip()
        if full:
            self.turn(rec, role="human", text=full, images=len(imgs) + len(local))

    def _once(self, rec: Record, role: str, source: str, text: str) -> None:
        """Show text that Codex writes twice (event + response item) once."""
        if not text:
            return
        key = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        other = "item" if source == "event" else "event"
        theirs = self.pending.setdefault((role, other), Counter())
        if theirs[key] > 0:
            theirs[key] -= 1
            if not theirs[key]:
                del theirs[key]
            return
        self.pending.setdefault((role, source), Counter())[key] += 1
        self.turn(rec, role=role, text=text)

    def _item(self, rec: Record) -> None:
        p = rec.payload
        kind = p.get("type")
        if kind == "message":
            self._message(rec, p)
        elif kind == "reasoning":
            for s in p.get("summary") or []:
                if isinstance(s, dict) and isinstance(s.get("text"), str):
                    self._once(rec, "thinking", "item", clean(s["text"]))
        elif kind in ("function_call", "custom_tool_call", "local_shell_call", "web_search_call"):
            self._call(rec, p)
        elif kind in ("function_call_output", "custom_tool_call_output", "tool_search_call_output"):
            call = self.calls.get(str(p.get("call_id")))
            if call is None:
                self.early[str(p.get("call_id"))] = rec
            else:
                _fill(call, p, rec.ts)

    def _message(self, rec: Record, p: dict[str, Any]) -> None:
        role = p.get("role")
        text = _content_text(p.get("content"))
        if role == "assistant":
            self._once(rec, "assistant", "item", text)
        elif role == "user" and text.lstrip().startswith("<environment_context>"):
            m = _ENV_CWD_RE.search(text)
            if m and not self.cwds:
                self._cwd(m.group(1).strip())
        elif role == "user" and text and not text.lstrip().startswith(_INJECTED):
            images = [
                c for c in p.get("content") or [] if isinstance(c, dict) and c.get("type") == "input_image"
            ]
            self.recent_images = [image_block_placeholder(c) for c in images]
            self.legacy_prompt(rec, text, len(images))

    def legacy_prompt(self, rec: Record, text: str, images: int) -> None:
        """A prompt from a response item: dropped at the end if the file has ``user_message`` events."""
        self.legacy_prompts.append(self.turn(rec, role="human", text=text, images=images))

    def _call(self, rec: Record, p: dict[str, Any]) -> None:
        kind = p.get("type")
        if kind == "function_call":
            args: Any = p.get("arguments")
            if isinstance(args, str):
                try:
                    parsed = orjson.loads(args)
                    args = parsed if isinstance(parsed, dict) else args
                except orjson.JSONDecodeError:
                    pass
            name = str(p.get("name") or "function")
        elif kind == "custom_tool_call":
            args, name = p.get("input") or "", str(p.get("name") or "custom_tool")
        elif kind == "local_shell_call":
            args, name = p.get("action") or {}, "local_shell"
        else:
            args, name = p.get("action") or {}, "web_search"
        call_id = p.get("call_id") or p.get("id")
        call = ToolCall(
            id=call_id if isinstance(call_id, str) else None,
            name=name,
            arguments=args if isinstance(args, (dict, str)) else str(args),
        )
        self.turn(rec, role="tool", tool=call)
        if call.id:
            self.calls[call.id] = call
            early = self.early.pop(call.id, None)
            if early is not None:
                _fill(call, early.payload, early.ts)

    def _exec_end(self, p: dict[str, Any]) -> None:
        call = self.calls.get(str(p.get("call_id")))
        code = p.get("exit_code")
        if call is not None and isinstance(code, int):
            call.exit_code = code
            call.is_error = call.is_error or code != 0

    def session(self, skipped: SkippedLines) -> Session:
        skipped.invalid_usage += self.usage.invalid
        if self.saw_user_event:
            drop = {id(t) for t in self.legacy_prompts}
            self.turns = [t for t in self.turns if id(t) not in drop]
        for i, t in enumerate(self.turns):
            t.index = i
        sid = self.session_id()
        for ev in self.usage.events:
            ev.session_id = sid
        self.models = final_models(self.models, ((e.model, e.model_approximate) for e in self.usage.events))
        git = self.meta.get("git")
        cwd = self.cwds[0] if self.cwds else None
        return Session(
            id=sid,
            agent="codex",
            device=self.f.device,
            user=self.f.user,
            project=project_of(self.cwds),
            cwd=cwd,
            cwds=self.cwds,
            branch=git.get("branch")
            if isinstance(git, dict) and isinstance(git.get("branch"), str)
            else None,
            start=min(self.times) if self.times else None,
            end=max(self.times) if self.times else None,
            models=self.models,
            version=self.meta.get("cli_version") if isinstance(self.meta.get("cli_version"), str) else None,
            turns=self.turns,
            usage=self.usage.events,
            files=[str(self.f.path)],
            parent_session_id=self.usage.parent_session_id,
            compactions=self.compactions,
            interruptions=self.interruptions,
            skipped=[skipped] if has_problems(skipped) else [],
        )

    def session_id(self) -> str:
        return self.usage.session_id or _file_id(self.f.path)


def final_models(models: list[str], events: Iterable[tuple[str, bool]]) -> list[str]:
    """The models of the turn contexts, then those of the usage events (model, approximate) not guessed;
    the first event's guess when there is nothing else."""
    out = list(models)
    first: str | None = None
    for model, approximate in events:
        first = model if first is None else first
        if model not in out and not approximate:
            out.append(model)
    if not out and first is not None:
        out.append(first)
    return out


def project_of(cwds: list[str]) -> str:
    return Path(cwds[0]).name if cwds else "unknown"


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return clean(content)
    parts: list[str] = []
    for c in content if isinstance(content, list) else []:
        if not isinstance(c, dict):
            continue
        if isinstance(c.get("text"), str):
            parts.append(clean(c["text"]))
        elif c.get("type") == "input_image":
            parts.append(image_block_placeholder(c))
    return "\n".join(p for p in parts if p).strip()


def _fill(call: ToolCall, p: dict[str, Any], ts: datetime | None) -> None:
    out = p.get("output")
    code: Any = None
    if isinstance(out, str) and out.startswith("{"):
        try:
            parsed = orjson.loads(out)
        except orjson.JSONDecodeError:
            parsed = None
        if isinstance(parsed, dict) and "output" in parsed:
            meta = parsed.get("metadata")
            code = meta.get("exit_code") if isinstance(meta, dict) else None
            out = parsed.get("output")
    text = out if isinstance(out, str) else _content_text(out)
    text = clean(text)
    if code is None and (m := _EXIT_RE.search(text[:400])) is not None:
        code = int(m.group(1))
    call.result = text.rstrip()
    call.result_timestamp = ts
    if isinstance(code, int):
        call.exit_code = code
        call.is_error = code != 0
    if p.get("success") is False:
        call.is_error = True


def read_codex_session(f: SourceFile) -> Session:
    skipped = SkippedLines(path=str(f.path))
    b = _Builder(f)
    for rec in iter_codex(f.path, skipped):
        b.add(rec)
    return b.session(skipped)


_USAGE_MARKERS = (b'"token_count"', b'"turn_context"', b'"session_meta"', b'"user_message"')


def read_codex_usage(f: SourceFile) -> FileUsage:
    """Fast path: only session_meta, turn_context, user_message and token_count records matter."""
    skipped = SkippedLines(path=str(f.path))
    usage = CodexUsage(device=f.device, path=str(f.path))
    times: list[datetime] = []
    for rec in iter_codex(f.path, skipped, only=_USAGE_MARKERS):
        if rec.ts is not None and not rec.approx_ts:
            times.append(rec.ts)
        if rec.kind == "session_meta":
            usage.on_meta(rec.payload, rec.ts)
        elif rec.kind == "turn_context":
            usage.on_turn_context(rec.payload, rec.ts)
        elif rec.kind == "event_msg":
            kind = rec.payload.get("type")
            if kind == "user_message":
                usage.on_turn_start(rec.ts)
            elif kind == "token_count":
                usage.on_token_count(rec.payload, rec.ts or datetime.fromtimestamp(f.mtime_ns / 1e9, tz=UTC))
    sid = usage.session_id or _file_id(f.path)
    for ev in usage.events:
        ev.session_id = sid
    skipped.invalid_usage += usage.invalid
    return FileUsage(
        path=str(f.path),
        agent="codex",
        device=f.device,
        session_id=sid,
        parent_session_id=usage.parent_session_id,
        is_subagent=usage.parent_session_id is not None,
        events=usage.events,
        start=min(times) if times else None,
        end=max(times) if times else None,
        skipped=skipped,
    )
