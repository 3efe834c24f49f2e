"""Claude Code `user` lines: what is a real human prompt, what is a wrapper, what is a tool result.

Follows transcript-formats.md §1.4: caveats (isMeta), slash-command wrappers, local command output,
bash mode, task notifications, IDE tags and compaction summaries are not human prompts; interrupts are
events; ``<system-reminder>`` blocks are stripped everywhere; images become placeholders.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal

from daily_report.sources.text import clean, image_block_placeholder, strip_ansi, strip_reminders

PieceRole = Literal["human", "summary", "event"]

INTERRUPT_PREFIX = "[Request interrupted by user"
_COMMAND_RE = re.compile(r"<command-name>\s*(.*?)\s*</command-name>", re.DOTALL)
_ARGS_RE = re.compile(r"<command-args>(.*?)</command-args>", re.DOTALL)
_IDE_RE = re.compile(r"<(ide_opened_file|ide_selection|ide_diagnostics)>.*?(?:</\1>|\Z)", re.DOTALL)
_TAG_RE = re.compile(r"<[^>\n]{1,60}>")
_AGENT_ID_RE = re.compile(r"agentId: ([A-Za-z0-9_-]+)")
_DROP_PREFIXES = (
    "<local-command-stdout>",
    "<local-command-stderr>",
    "<local-command-caveat>",
    "<bash-stdout>",
    "<bash-stderr>",
)


# Tool results are most of a transcript's bytes, and scrubbing their base64 most of a full read's time;
# the session stats never look at a result's text beyond what scrubbing cannot change (see _result_piece).
_SCRUB_RESULTS: ContextVar[bool] = ContextVar("scrub_results", default=True)


@contextmanager
def results_unscrubbed() -> Iterator[None]:
    """Inside: tool results keep their base64 (for the session-stats index, which keeps no text)."""
    token = _SCRUB_RESULTS.set(False)
    try:
        yield
    finally:
        _SCRUB_RESULTS.reset(token)


@dataclass
class UserPiece:
    role: PieceRole
    text: str
    images: int = 0
    interrupt: bool = False


@dataclass
class ResultPiece:
    tool_use_id: str
    text: str
    is_error: bool
    agent_id: str | None = None


def classify_text(text: str, *, images: int = 0) -> UserPiece | None:
    """One user text (reminders already stripped) as a prompt, an event, or nothing."""
    body = text.strip()
    if not body:
        return UserPiece("human", "", images) if images else None
    if body.startswith(INTERRUPT_PREFIX):
        return UserPiece("event", body.split("\n", 1)[0], interrupt=True)
    if "<command-name>" in body[:200] or body.startswith("<command-message>"):
        return UserPiece("event", _command_text(body))
    if body.startswith(_DROP_PREFIXES):
        return None
    if body.startswith("<bash-input>"):
        return UserPiece("event", "[bash] " + _untag(body))
    if body.startswith("<task-notification>"):
        return UserPiece("event", "[task notification] " + _untag(body)[:500])
    if body.startswith("<user-memory-input>"):
        return UserPiece("event", "[memory] " + _untag(body))
    if "<ide_" in body:
        body = _IDE_RE.sub("", body).strip()
        if not body:
            return UserPiece("human", "", images) if images else None
    return UserPiece("human", body, images)


def _command_text(body: str) -> str:
    m = _COMMAND_RE.search(body)
    name = m.group(1) if m else _untag(body).split()[0] if _untag(body) else "command"
    a = _ARGS_RE.search(body)
    args = a.group(1).strip() if a else ""
    return f"[command] {name} {args}".strip()


def _untag(text: str) -> str:
    return " ".join(_TAG_RE.sub(" ", text).split())


def user_pieces(rec: dict[str, Any]) -> tuple[list[UserPiece], list[ResultPiece]]:
    """Split one `user` line into prompt/event/summary pieces and tool results."""
    message = rec.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if rec.get("isCompactSummary"):
        return [UserPiece("summary", clean(_plain_text(content)))], []
    if rec.get("isMeta"):
        return [], []
    if isinstance(content, str):
        piece = classify_text(clean(content))
        return ([piece] if piece else []), []
    if not isinstance(content, list):
        return [], []
    pieces: list[UserPiece] = []
    results: list[ResultPiece] = []
    texts: list[str] = []
    images = 0
    for block in content:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "tool_result":
            results.append(_result_piece(block, rec))
        elif kind == "text" and isinstance(block.get("text"), str):
            texts.append(clean(block["text"]))
        elif kind == "image":
            images += 1
            texts.append(image_block_placeholder(block))
    if texts or images:
        if results:  # text beside tool results: interrupts and the like, classified one by one
            pieces += [p for t in texts if (p := classify_text(t)) is not None]
        else:
            piece = classify_text("\n".join(t for t in texts if t), images=images)
            if piece:
                pieces.append(piece)
    return pieces, results


def _result_piece(block: dict[str, Any], rec: dict[str, Any]) -> ResultPiece:
    """Unscrubbed, a result gives the same call figures: base64 holds no ``<tool_use_error>`` tag and no
    ``Exit code`` at the start; only the agent id (searched in the last 300 characters, which scrubbing
    moves) is then looked for in the scrubbed text."""
    text, tagged = _tagged_text(block)
    piece = result_head(block.get("tool_use_id"), block.get("is_error"), rec.get("toolUseResult"))
    piece.text = text
    piece.is_error = tagged or piece.is_error
    if piece.agent_id is None and "agentId: " in text:
        scrubbed = text
        if not _SCRUB_RESULTS.get():
            token = _SCRUB_RESULTS.set(True)
            try:
                scrubbed = _tagged_text(block)[0]
            finally:
                _SCRUB_RESULTS.reset(token)
        if (m := _AGENT_ID_RE.search(scrubbed[-300:])) is not None:
            piece.agent_id = m.group(1)
    return piece


def result_head(tool_use_id: Any, is_error: Any, tool_use_result: Any) -> ResultPiece:
    """A result's piece from what lies outside its text (its id, its ``is_error``, the agent id of the line's
    ``toolUseResult``): ``_result_piece`` completes it from the text; the stats scan takes it as it is for
    a text it knows holds no ``<tool_use_error>`` tag, no exit code and no agent id."""
    agent = tool_use_result.get("agentId") if isinstance(tool_use_result, dict) else None
    return ResultPiece(str(tool_use_id or ""), "", bool(is_error), agent if isinstance(agent, str) else None)


def _tagged_text(block: dict[str, Any]) -> tuple[str, bool]:
    """The result's text without its ``<tool_use_error>`` tags, and whether it had one."""
    text = result_text(block.get("content"))
    if "<tool_use_error>" in text:
        return text.replace("<tool_use_error>", "").replace("</tool_use_error>", "").strip(), True
    return text, False


def result_text(content: Any) -> str:
    """A tool_result's content (string or blocks) as text; images as placeholders."""
    tidy = clean if _SCRUB_RESULTS.get() else _unscrubbed
    if isinstance(content, str):
        return tidy(content)
    if not isinstance(content, list):
        return ""
    parts: list[str] = []
    for block in content:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "text" and isinstance(block.get("text"), str):
            parts.append(tidy(block["text"]))
        elif block.get("type") == "image":
            parts.append(image_block_placeholder(block))
    return "\n".join(p for p in parts if p)


def _unscrubbed(text: str) -> str:
    return strip_ansi(strip_reminders(text))


def _plain_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(b["text"] for b in content if isinstance(b, dict) and isinstance(b.get("text"), str))
    return ""
