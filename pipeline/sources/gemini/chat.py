"""One Gemini CLI chat file, either form, as metadata plus messages (FORMAT.md §2, §6).

The legacy ``.json`` is one object rewritten whole on every change (not atomically: a live file can be
half-written). The ``.jsonl`` form (2026-04+) is an upsert log: a metadata line, then every message appended
again in full each time it changes (the last copy of an ``id`` wins, in the place of its first copy),
``{"$set": {...}}`` metadata patches (``$set.messages`` is a full snapshot replacing the visible list, after
``/compress``), and ``{"$rewindTo": id}`` which hides that message and all after it (an unknown id hides
everything, as the CLI's loader does).

Two views come out: ``visible`` (what the transcript shows, rewinds marked where they happened) and
``billed`` (every message ever recorded, last copy per id: rewound or compressed-away requests were
still paid for).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from daily_report.schemas.transcript import SkippedLines
from daily_report.sources.jsonl import iter_records, note_malformed, note_unknown

MESSAGE_TYPES = frozenset({"user", "gemini", "info", "error", "warning"})
REWIND = "$rewind"
"""``type`` of the marker ``visible`` holds where a ``$rewindTo`` removed messages (``removed``: how many)."""


@dataclass
class Chat:
    """A chat file read: its metadata (``sessionId``, ``projectHash``, ``startTime``, ``summary`` …),
    the visible messages in order, and the billed messages by id."""

    path: Path
    form: str  # "json" or "jsonl"
    meta: dict[str, Any] = field(default_factory=dict)
    visible: list[dict[str, Any]] = field(default_factory=list)
    billed: dict[str, dict[str, Any]] = field(default_factory=dict)
    rewinds: int = 0
    snapshots: int = 0  # $set.messages lines (a /compress or a history rewrite)


def read_chat(path: Path, skipped: SkippedLines) -> Chat:
    """The chat in ``path`` (``.jsonl``: the log form; else the legacy object); problems go to ``skipped``."""
    if path.name.endswith(".jsonl"):
        return _read_jsonl(path, skipped)
    return _read_json(path, skipped)


# ------------------------------------------------------------------ legacy .json


def _read_json(path: Path, skipped: SkippedLines) -> Chat:
    chat = Chat(path=path, form="json")
    data = _read_stable(path)
    if not data.strip():
        _truncated(skipped, f"{path} is empty (created but not yet written, or cut short)")
        return chat
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as e:
        if e.pos >= len(data.rstrip()) - 1:
            _truncated(
                skipped, f"{path} ends in the middle of its JSON ({len(data)} bytes): a file being written?"
            )
        else:
            note_malformed(skipped, 1 + data.count(b"\n", 0, e.pos), f"is not JSON ({e.msg})")
        return chat
    if not isinstance(value, dict) or not isinstance(value.get("messages", []), list):
        what = type(value).__name__ if not isinstance(value, dict) else "an object without a messages list"
        skipped.malformed += 1
        skipped.first_error = skipped.first_error or f"{path} is not a Gemini CLI chat ({what})"
        return chat
    chat.meta = {k: v for k, v in value.items() if k != "messages"}
    for i, msg in enumerate(value.get("messages") or []):
        if _message_ok(msg, skipped, where=f"message {i}"):
            chat.visible.append(msg)
            chat.billed[msg["id"]] = msg
    return chat


def _read_stable(path: Path) -> bytes:
    """The file's bytes; read again once when it changed size meanwhile (a live legacy file is rewritten
    whole, FORMAT.md §7.9)."""
    data = path.read_bytes()
    try:
        if path.stat().st_size != len(data):
            data = path.read_bytes()
    except OSError:
        pass
    return data


def _truncated(skipped: SkippedLines, reason: str) -> None:
    skipped.truncated_tail = True
    skipped.first_error = skipped.first_error or reason


def _message_ok(msg: Any, skipped: SkippedLines, *, where: str) -> bool:
    if not isinstance(msg, dict) or not isinstance(msg.get("id"), str):
        skipped.malformed += 1
        skipped.first_error = skipped.first_error or f"{where} of {skipped.path} is not a message with an id"
        return False
    kind = msg.get("type")
    if kind not in MESSAGE_TYPES:
        note_unknown(skipped, f"message type {kind!r}")
        return False
    return True


# ------------------------------------------------------------------ .jsonl log


class _Log:
    """Replays the log: ``order`` is the visible list (dict keeps first-insertion places on update)."""

    def __init__(self, chat: Chat, skipped: SkippedLines) -> None:
        self.chat = chat
        self.skipped = skipped
        self.order: dict[str, dict[str, Any]] = {}

    def add(self, lineno: int, rec: dict[str, Any]) -> None:
        if isinstance(rec.get("$rewindTo"), str):
            self.rewind(rec["$rewindTo"])
        elif isinstance(rec.get("id"), str):
            if _message_ok(rec, self.skipped, where=f"line {lineno}"):
                self.message(rec)
        elif isinstance(rec.get("$set"), dict):
            self.patch(rec["$set"], lineno)
        elif isinstance(rec.get("sessionId"), str):
            self.chat.meta.update(rec)  # the metadata line (or a later partial one)
        else:
            note_unknown(self.skipped, "record without id, $set, $rewindTo or sessionId")

    def message(self, msg: dict[str, Any]) -> None:
        old = self.chat.billed.get(msg["id"])
        if old is not None and msg.get("tokens") is None and old.get("tokens") is not None:
            msg = {**msg, "tokens": old["tokens"]}  # a later copy never loses recorded usage
        self.order[msg["id"]] = msg
        self.chat.billed[msg["id"]] = msg

    def rewind(self, target: str) -> None:
        ids = list(self.order)
        cut = ids.index(target) if target in self.order else 0
        removed = [i for i in ids[cut:] if self.order[i].get("type") != REWIND]
        for i in ids[cut:]:
            del self.order[i]
        self.chat.rewinds += 1
        marker = f"{REWIND}:{self.chat.rewinds}"
        self.order[marker] = {"id": marker, "type": REWIND, "removed": len(removed), "target": target}

    def patch(self, values: dict[str, Any], lineno: int) -> None:
        snapshot = values.get("messages")
        self.chat.meta.update({k: v for k, v in values.items() if k != "messages"})
        if snapshot is None:
            return
        if not isinstance(snapshot, list):
            note_malformed(self.skipped, lineno, "has a $set.messages that is not a list")
            return
        self.chat.snapshots += 1
        self.order = {}
        for i, msg in enumerate(snapshot):
            if _message_ok(msg, self.skipped, where=f"$set.messages[{i}] on line {lineno}"):
                self.message(msg)


def _read_jsonl(path: Path, skipped: SkippedLines) -> Chat:
    chat = Chat(path=path, form="jsonl")
    log = _Log(chat, skipped)
    seen = False
    for lineno, rec in iter_records(path, skipped):
        seen = True
        log.add(lineno, rec)
    if not seen and not skipped.malformed and not skipped.truncated_tail:
        _truncated(skipped, f"{path} is empty (no metadata line yet)")
    chat.visible = list(log.order.values())
    return chat
