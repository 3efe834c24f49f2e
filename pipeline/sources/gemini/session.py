"""Gemini CLI chat → ``daily_report.schemas.transcript.Session`` (FORMAT.md §3-4).

One agent turn is several consecutive ``gemini`` messages (one per model response). Each gives, in
order: its thoughts (``thinking`` turns, ``subject: description``), its text (``assistant``; often ``""``
when the message only carries thoughts and tool calls) and its tool calls (``tool`` turns, the result is
inside the call). ``info``/``warning``/``error`` messages are UI notices: ``event`` turns, never
dialogue. A ``$rewindTo`` shows as an event where it happened; rewound messages are gone from the turns
but stay in the usage (they were billed).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from daily_report.schemas.transcript import Session, SkippedLines, ToolCall, Turn
from daily_report.sources.gemini import AGENT
from daily_report.sources.gemini.chat import REWIND, Chat, read_chat
from daily_report.sources.gemini.project import resolve_project
from daily_report.sources.gemini.usage import session_id_of, usage_events
from daily_report.sources.jsonl import has_problems
from daily_report.sources.text import clean, image_placeholder, parse_ts
from daily_report.sources.types import SourceFile

_EXIT_RE = re.compile(r"^Exit Code: (-?\d+)$", re.MULTILINE)
_COMMAND_RE = re.compile(r"^(?:/[a-z][\w-]*(?:\s|$)|\?$)")
FAILED_STATUSES = frozenset({"error", "cancelled"})


def part_text(content: Any) -> tuple[str, int]:
    """(text, images) of a ``PartListUnion``: a string, a Part, or a list of them."""
    if isinstance(content, str):
        return clean(content), 0
    parts = content if isinstance(content, list) else [content] if isinstance(content, dict) else []
    texts: list[str] = []
    images = 0
    for p in parts:
        if isinstance(p, str):
            texts.append(clean(p))
        elif isinstance(p, dict) and isinstance(p.get("text"), str):
            texts.append(clean(p["text"]))
        elif isinstance(p, dict) and isinstance(p.get("inlineData"), dict):
            data = p["inlineData"]
            images += 1
            texts.append(image_placeholder(data.get("mimeType"), len(str(data.get("data") or ""))))
        elif isinstance(p, dict) and isinstance(p.get("functionResponse"), dict):
            texts.append(_response_text(p["functionResponse"].get("response")))
    return "\n".join(t for t in texts if t).strip(), images


def _response_text(response: Any) -> str:
    if isinstance(response, dict):
        for key in ("output", "error"):
            if isinstance(response.get(key), str):
                return clean(response[key])
        if not response:
            return ""
    if isinstance(response, str):
        return clean(response)
    return clean(orjson.dumps(response, default=str).decode())


def tool_call(call: dict[str, Any], fallback_ts: datetime | None) -> ToolCall:
    """One ``toolCalls[]`` entry with its result and status (a failed or cancelled call is an error)."""
    args = call.get("args")
    status = call.get("status") if isinstance(call.get("status"), str) else None
    result = call.get("result")
    text, _ = part_text(result) if result is not None else ("", 0)
    responses = [
        p["functionResponse"].get("response")
        for p in (result if isinstance(result, list) else [])
        if isinstance(p, dict) and isinstance(p.get("functionResponse"), dict)
    ]
    failed = status in FAILED_STATUSES or any(isinstance(r, dict) and "error" in r for r in responses)
    if status and status not in ("success", "error"):
        text = f"[{status}]" + (f"\n{text}" if text else "")
    m = _EXIT_RE.search(text[-2000:])
    code = int(m.group(1)) if m else None
    return ToolCall(
        id=call["id"] if isinstance(call.get("id"), str) else None,
        name=str(call.get("name") or "tool"),
        arguments=args if isinstance(args, (dict, str)) else ({} if args is None else str(args)),
        result=text.rstrip() if (result is not None or text) else None,
        is_error=failed or (code is not None and code != 0),
        exit_code=code,
        result_timestamp=parse_ts(call.get("timestamp")) or fallback_ts,
    )


class _Turns:
    def __init__(self) -> None:
        self.turns: list[Turn] = []
        self.api_errors = 0
        self.interruptions = 0

    def add(self, role: str, ts: datetime | None, **kw: Any) -> None:
        self.turns.append(Turn(index=len(self.turns), role=role, timestamp=ts, **kw))  # type: ignore[arg-type]

    def message(self, msg: dict[str, Any]) -> None:
        kind = msg.get("type")
        ts = parse_ts(msg.get("timestamp"))
        if kind == "user":
            self._user(msg, ts)
        elif kind == "gemini":
            self._gemini(msg, ts)
        elif kind == REWIND:
            self.add("event", None, text=f"rewound: {msg.get('removed', 0)} messages removed")
        else:
            text, _ = part_text(msg.get("content"))
            if kind == "error" and "API Error" in text:
                self.api_errors += 1
            if text.startswith("Request cancelled"):
                self.interruptions += 1
            self.add("event", ts, text=f"{kind}: {text}"[:1000])

    def _user(self, msg: dict[str, Any], ts: datetime | None) -> None:
        shown = msg.get("displayContent")
        text, images = part_text(shown if shown not in (None, "", []) else msg.get("content"))
        if _COMMAND_RE.match(text):
            self.add("event", ts, text=f"command: {text}"[:1000])
        elif text or images:
            self.add("human", ts, text=text, images=images)

    def _gemini(self, msg: dict[str, Any], ts: datetime | None) -> None:
        for t in msg.get("thoughts") or []:
            if isinstance(t, dict):
                text = thought_text(t)
                if text:
                    self.add("thinking", parse_ts(t.get("timestamp")) or ts, text=text)
        text, _ = part_text(msg.get("content"))
        if text:
            self.add("assistant", ts, text=text)
        for call in msg.get("toolCalls") or []:
            if isinstance(call, dict):
                tc = tool_call(call, ts)
                if call.get("status") == "cancelled":
                    self.interruptions += 1
                self.add("tool", ts, tool=tc)


def thought_text(t: dict[str, Any]) -> str:
    """``subject: description``; a description's literal ``\\n`` (FORMAT.md §3) becomes a line break."""
    subject = clean(t["subject"]).strip() if isinstance(t.get("subject"), str) else ""
    desc = (
        clean(t["description"].replace("\\n", "\n")).strip() if isinstance(t.get("description"), str) else ""
    )
    return f"{subject}: {desc}" if subject and desc else subject or desc


def read_gemini_session(f: SourceFile) -> Session:
    skipped = SkippedLines(path=str(f.path))
    chat = read_chat(f.path, skipped)
    return session_from_chat(chat, f, skipped)


def session_from_chat(chat: Chat, f: SourceFile, skipped: SkippedLines) -> Session:
    b = _Turns()
    for msg in chat.visible:
        b.message(msg)
    sid = session_id_of(chat, f)
    fallback = datetime.fromtimestamp(f.mtime_ns / 1e9, tz=UTC)
    usage = usage_events(chat, device=f.device, session_id=sid, fallback_ts=fallback, skipped=skipped)
    project, root = resolve_project(f.path, chat.meta, list(chat.billed.values()))
    dirs = [d for d in chat.meta.get("directories") or [] if isinstance(d, str)]
    cwds = list(dict.fromkeys([*([root] if root else []), *dirs]))
    times = [t.timestamp for t in b.turns if t.timestamp is not None]
    models: list[str] = []
    for m in chat.billed.values():
        model = m.get("model")
        if m.get("type") == "gemini" and isinstance(model, str) and model and model not in models:
            models.append(model)
    summary = chat.meta.get("summary")
    return Session(
        id=sid,
        agent=AGENT,
        device=f.device,
        user=f.user,
        project=project,
        cwd=cwds[0] if cwds else None,
        cwds=cwds,
        start=min(times) if times else usage.start,
        end=max(times) if times else usage.end,
        models=models,
        title=clean(summary).strip() or None if isinstance(summary, str) else None,
        turns=b.turns,
        usage=usage.events,
        files=[str(f.path)],
        parent_session_id=f.parent_session_id,
        compactions=chat.snapshots,
        interruptions=b.interruptions,
        api_errors=b.api_errors,
        skipped=[skipped] if has_problems(skipped) else [],
    )


def read_chat_file(path: Path, *, device: str = "local") -> Session:
    """A single chat file read as a session (tools and tests: no discovery needed)."""
    st = path.stat()
    f = SourceFile(
        path=path, agent=AGENT, device=device, root=path.parent, size=st.st_size, mtime_ns=st.st_mtime_ns
    )
    return read_gemini_session(f)
