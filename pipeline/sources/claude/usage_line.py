"""The typed decode of a Claude Code assistant line for the usage fast path.

msgspec decodes only the fields below and skips the rest of the line (the message content, often most
of its bytes) without building Python objects for it: about half the cost of ``orjson.loads`` plus the
dict walk of ``claude.usage.usage_row`` per line. The types are strict on purpose: a line whose fields
have any other shape (a float token count, ``true`` for an int, a number for an id or a timestamp)
raises, and the caller takes the general path (``orjson`` and ``usage_row``), so both paths give the
same row for every line. (One difference is left: msgspec accepts a number beyond the double range, such
as ``1e999``, in a field it skips, where orjson rejects the line; JSON.stringify never writes one.)
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

SYNTHETIC = "<synthetic>"
# One usage row: the values of ``UsageEvent`` (and of the index's ``Ev``) in ``claude.usage.FIELD_ORDER``.
Row = tuple[Any, ...]


# A count as the general path reads it (``_int`` of what orjson gives): a negative one is refused here (that
# path makes it 0), and so is one beyond 2^63 - 1 (the general path keeps up to 2^64 - 1, which orjson
# reads as an int, and makes 0 of anything larger, which it reads as a float).
Count = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]


class _CacheCreation(msgspec.Struct, gc=False):
    ephemeral_5m_input_tokens: Count = 0
    ephemeral_1h_input_tokens: Count = 0


class Usage(msgspec.Struct, gc=False):
    input_tokens: Count = 0
    output_tokens: Count = 0
    cache_creation_input_tokens: Count = 0
    cache_read_input_tokens: Count = 0
    cache_creation: _CacheCreation | None = None


class Message(msgspec.Struct, gc=False):
    id: str | None = None
    model: str | None = None
    usage: Usage | None = None


class AssistantLine(msgspec.Struct, gc=False):
    """The fields of a top-level line that decide its usage row (others are skipped unread)."""

    type: str | None = None
    message: Message | None = None
    requestId: str | None = None  # the transcript's camelCase keys
    uuid: str | None = None
    timestamp: str | None = None
    isSidechain: bool | None = None
    isApiErrorMessage: bool | None = None
    sessionId: str | None = None


_DECODER = msgspec.json.Decoder(AssistantLine)
decode_line = _DECODER.decode
"""bytes → AssistantLine; raises ``msgspec.DecodeError`` (bad JSON) or ``ValidationError`` (other shapes,
a subclass): the caller then parses the line with ``orjson`` and counts it as that path does."""
decode_lines = _DECODER.decode_lines
"""Newline-delimited JSON → list[AssistantLine], raising as ``decode_line`` does. msgspec reads a stream
of values: two objects on one line, or one over two, are not errors here (the caller checks the count)."""

# What the typed decode raises for a line it cannot take (the caller then takes the general path): bad
# JSON or another shape (ValidationError is a DecodeError), invalid UTF-8 in a field it decodes (orjson's
# path replaces it), nesting deeper than msgspec recurses (orjson reads up to 1,024 levels).
Unexpected = (msgspec.DecodeError, UnicodeDecodeError, RecursionError)


def line_row(
    line: AssistantLine, *, ts: datetime, session_id: str, device: str, path: str, sidechain: bool
) -> Row | None:
    """``claude.usage.usage_row`` of a typed line: the same row, or None (no usage, synthetic, not
    assistant, an API error)."""
    message = line.message
    if line.type != "assistant" or message is None:
        return None
    usage = message.usage
    model = message.model
    if usage is None or model == SYNTHETIC or line.isApiErrorMessage:
        return None
    write_total = usage.cache_creation_input_tokens
    split = usage.cache_creation
    write_1h = split.ephemeral_1h_input_tokens if split is not None else 0
    write_1h = min(write_1h, write_total) if write_total else write_1h
    write_5m = write_total - write_1h
    if split is not None and not write_total:
        write_5m = split.ephemeral_5m_input_tokens
    mid, rid = message.id, line.requestId
    key = (f"{mid}:{rid}" if rid else mid) if mid else line.uuid or None
    return (
        "claude_code",
        model or "unknown",
        ts,
        usage.input_tokens,
        usage.output_tokens,
        write_5m,
        write_1h,
        usage.cache_read_input_tokens,
        0,
        0,
        key,
        bool(sidechain or line.isSidechain),
        False,
        session_id,
        device,
        path,
    )
