"""The lines of a Claude Code file as the stats scan (``claude.stats``) reads them: typed msgspec structs of
only the fields some figure depends on, message contents left raw until a rule needs them, and a user line's
tool results reduced to what ``content.user_pieces`` would make of them without decoding their text when
no figure can depend on it (``_plain_result``). A JSON object of another shape raises ``Unsupported``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import orjson
from daily_report.schemas.transcript import SkippedLines
from daily_report.sources.claude.content import ResultPiece, result_head
from daily_report.sources.claude.usage_line import AssistantLine, Message
from daily_report.sources.jsonl import clean_line_count, iter_blocks, parse_line

_NULL = msgspec.Raw(b"null")
# A result text starting with one of these loses it when a reminder block anywhere in it has the text
# stripped (a blank, an escaped one, a reminder tag, a non-ASCII blank).
_STRIPPED_START = frozenset([b" ", b"\\", b"<"] + [bytes([c]) for c in range(0x80, 0x100)])
Unexpected = (msgspec.DecodeError, UnicodeDecodeError, RecursionError, orjson.JSONDecodeError)


class Unsupported(Exception):
    """A line the scan cannot prove it reads as the full reader does: the caller reads the session in full."""


class _ToolUseResult(msgspec.Struct, gc=False):
    agentId: Any = None  # the rest of a result's copy (stdout, file text) is skipped unread


class _Content(Message, gc=False):
    content: msgspec.Raw = _NULL


class Line(AssistantLine, gc=False):
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


class Block(msgspec.Struct, gc=False):
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


_LINE = msgspec.json.Decoder(Line)
ASSISTANT_CONTENT = msgspec.json.Decoder(str | list[Block] | None)
_USER_CONTENT = msgspec.json.Decoder(str | list[_UserBlock] | None)


def decode(decoder: msgspec.json.Decoder[Any], raw: msgspec.Raw) -> Any:
    try:
        return decoder.decode(raw)
    except Unexpected as e:
        raise Unsupported(str(e)) from e


def loads(raw: msgspec.Raw | bytes) -> Any:
    try:
        return orjson.loads(raw if isinstance(raw, bytes) else bytes(raw))
    except orjson.JSONDecodeError as e:  # msgspec took what orjson refuses (e.g. 1e999): read in full
        raise Unsupported(str(e)) from e


def plain_results(line: Line, *, agent_ids: bool) -> list[ResultPiece] | None:
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


def user_record(line: Line, *, agent_ids: bool) -> dict[str, Any]:
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
        return loads(raw)
    if not isinstance(content, list):
        return content
    out: list[dict[str, Any]] = []
    for b in content:
        if b.type == "tool_result":
            block = {"type": "tool_result", "tool_use_id": b.tool_use_id, "is_error": b.is_error}
            data = bytes(b.content)
            if not _plain_result(data, agent_ids=agent_ids):
                block["content"] = loads(data)
            out.append(block)
        elif b.type == "text":
            out.append({"type": "text", "text": b.text})
        elif b.type == "image":  # its placeholder's length is in the prompt's text: the full decode
            return loads(raw)
    return out


def _plain_result(data: bytes, *, agent_ids: bool) -> bool:
    """No figure can depend on this tool result's text (``content._result_piece``, ``turns.exit_code_of``):
    no ``<tool_use_error>`` tag, no ``agentId`` (when the session has subagents to match), and nothing that
    could start its text with ``Exit code``: a string starting otherwise, or with an ANSI escape, or with a
    blank or a tag when a reminder block somewhere would have it stripped; a list of blocks without
    ``Exit code`` in it.

    Assumed, as Claude Code (JSON.stringify) writes: those words are not spelled with \\u escapes, and no
    reminder block or ANSI escape sits inside one of them."""
    if b"<tool_use_error>" in data or (agent_ids and b"agentId" in data):
        return False
    if data[:1] == b'"':
        if data.startswith((b'"Exit code', b'"\\u')):
            return False
        return data[1:2] not in _STRIPPED_START or b"<system-reminder>" not in data
    return data[:1] != b"[" or b"Exit code" not in data


def lines(path: Path, skipped: SkippedLines, at: list[int]) -> Iterator[Line]:
    """Every line from offset ``at[0]`` (line number ``at[1]``) that is a JSON object, typed: a block of
    clean lines in one decode, else line by line; the rest counted as ``jsonl.iter_records`` counts it.
    ``at`` follows the reading: the offset after the last complete line, its number, and ``at[2]`` set to
    1 when the file ends in a line still being written. A JSON object of another shape raises
    ``Unsupported``."""
    for block, complete in iter_blocks(path, skipped=skipped, start=at[0]):
        n = clean_line_count(block) if complete else None
        if n is not None:
            try:
                typed = _LINE.decode_lines(block)
            except Unexpected:
                typed = []
            if len(typed) == n:
                at[1] += n
                yield from typed
                at[0] += len(block)
                continue
        parts = block.split(b"\n")
        if complete:
            parts.pop()  # after the last newline
        else:
            at[2] = 1
        for i, raw in enumerate(parts):
            at[1] += 1
            body = raw.rstrip(b"\r\n")
            if not body.strip():
                continue
            try:
                yield _LINE.decode(body)
            except Unexpected:
                partial = not complete and i == len(parts) - 1
                if parse_line(body, lineno=at[1], partial=partial, skipped=skipped) is not None:
                    raise Unsupported(f"line {at[1]} of {path}") from None
        if complete:
            at[0] += len(block)
