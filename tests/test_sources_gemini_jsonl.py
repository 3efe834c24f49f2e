"""The Gemini CLI JSONL log (FORMAT.md §6-7; built here, no real sample exists), bad files, project names."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
from daily_report.sources.gemini.files import find_chat_files
from daily_report.sources.gemini.session import read_chat_file
from daily_report.sources.gemini.usage import gemini_columns, read_gemini_usage
from daily_report.sources.jsonl import has_problems

PROJECT = "/home/ana/work/rover"
HASH = hashlib.sha256(PROJECT.encode()).hexdigest()
META = {
    "sessionId": "5e551011-aaaa-bbbb-cccc-000000000001",
    "projectHash": HASH,
    "startTime": "2026-05-02T09:00:00.000Z",
    "lastUpdated": "2026-05-02T09:00:00.000Z",
    "kind": "main",
}


def _ts(sec: int) -> str:
    return f"2026-05-02T09:{sec // 60:02d}:{sec % 60:02d}.000Z"


def _user(mid: str, sec: int, text: str) -> dict[str, Any]:
    return {"id": mid, "timestamp": _ts(sec), "type": "user", "content": [{"text": text}]}


def _gemini(
    mid: str,
    sec: int,
    text: str = "",
    *,
    tokens: dict[str, int] | None = None,
    calls: list[Any] | None = None,
    model: str | None = "gemini-3-flash-preview",
) -> dict[str, Any]:
    msg: dict[str, Any] = {
        "id": mid,
        "timestamp": _ts(sec),
        "type": "gemini",
        "content": text,
        "thoughts": [{"subject": "Plan", "description": f"think {mid}", "timestamp": _ts(sec)}],
        "tokens": tokens,
    }
    if model:
        msg["model"] = model
    if calls is not None:
        msg["toolCalls"] = calls
    return msg


def _tok(inp: int, cached: int, out: int, thoughts: int) -> dict[str, int]:
    return {
        "input": inp,
        "output": out,
        "cached": cached,
        "thoughts": thoughts,
        "tool": 0,
        "total": inp + out + thoughts,
    }


def _call(status: str, result: Any = None) -> dict[str, Any]:
    call: dict[str, Any] = {
        "id": "Ab3xK9pQ",
        "name": "read_file",
        "args": {"file_path": f"{PROJECT}/src/main.py"},
        "status": status,
        "timestamp": _ts(5),
    }
    if result is not None:
        call["result"] = result
    return call


def _ok(output: str) -> list[Any]:
    return [{"functionResponse": {"id": "Ab3xK9pQ", "name": "read_file", "response": {"output": output}}}]


def _write(path: Path, records: list[Any], *, tail: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [r if isinstance(r, str) else orjson.dumps(r).decode() for r in records]
    path.write_text("\n".join(lines) + "\n" + tail, encoding="utf-8")
    return path


def _chat_path(
    tmp_path: Path, folder: str = HASH, name: str = "session-2026-05-02T09-00-5e551011.jsonl"
) -> Path:
    return tmp_path / ".gemini" / "tmp" / folder / "chats" / name


def _log(tmp_path: Path) -> Path:
    """A turn whose gemini message is re-appended as it changes, a summary, a rewind and a new reply."""
    return _write(
        _chat_path(tmp_path),
        [
            META,
            _user("u1", 1, "read main.py"),
            _gemini("g1", 4, calls=[_call("executing")]),  # first copy: no tokens, no result yet
            _gemini("g1", 4, tokens=_tok(1000, 600, 20, 10), calls=[_call("executing")]),
            _gemini("g1", 4, tokens=_tok(1000, 600, 20, 10), calls=[_call("success", _ok("print('hi')"))]),
            {"$set": {"lastUpdated": _ts(6)}},
            _gemini("g2", 8, "It prints hi.", tokens=_tok(1100, 900, 5, 0)),
            {"$set": {"summary": "Reading main.py", "lastUpdated": _ts(9)}},
            _user("u2", 20, "now delete it"),
            _gemini("g3", 22, "Deleting.", tokens=_tok(1200, 1000, 7, 3)),
            {"$rewindTo": "u2"},  # hides u2 and g3; g3 was billed all the same
            _user("u3", 40, "never mind, explain it"),
            _gemini("g4", 43, "It is a one-liner.", tokens=_tok(1150, 1000, 9, 1)),
        ],
    )


def test_repeated_ids_keep_the_last_copy_in_the_first_place(tmp_path: Path) -> None:
    s = read_chat_file(_log(tmp_path))
    tools = [t.tool for t in s.turns if t.tool is not None]
    assert len(tools) == 1 and tools[0].result == "print('hi')" and not tools[0].is_error
    assert [t.text for t in s.turns if t.role == "thinking"] == [
        "Plan: think g1",
        "Plan: think g2",
        "Plan: think g4",
    ]
    assert [(t.role, t.text) for t in s.turns if t.role in ("human", "assistant", "event")] == [
        ("human", "read main.py"),
        ("assistant", "It prints hi."),
        ("event", "rewound: 2 messages removed"),
        ("human", "never mind, explain it"),
        ("assistant", "It is a one-liner."),
    ]
    assert (s.id, s.title, s.project, s.cwd) == (META["sessionId"], "Reading main.py", "rover", PROJECT)


def test_usage_counts_each_request_once_rewound_ones_included(tmp_path: Path) -> None:
    path = _log(tmp_path)
    s, fu = read_chat_file(path), read_gemini_usage(find_chat_files(tmp_path / ".gemini", device="d")[0])
    for events in (s.usage, fu.events):
        assert [e.dedup_key for e in events] == ["gemini:g1", "gemini:g2", "gemini:g3", "gemini:g4"]
        c: Counter[str] = Counter()
        for e in events:
            c.update(gemini_columns(e))
        assert dict(c) == {"input": 4450, "cached": 3500, "output": 41, "thoughts": 14, "total": 4505}
    assert not has_problems(fu.skipped) and s.skipped == []


def test_set_messages_snapshot_replaces_the_turns_but_not_the_bill(tmp_path: Path) -> None:
    summary = {
        "id": "c1",
        "timestamp": _ts(30),
        "type": "user",
        "content": [{"text": "<state_snapshot>short</state_snapshot>"}],
    }
    path = _write(
        _chat_path(tmp_path),
        [
            META,
            _user("u1", 1, "first"),
            _gemini("g1", 2, "one", tokens=_tok(100, 0, 5, 0)),
            {"$set": {"messages": [summary, _gemini("g1", 2, "one", tokens=None)]}},  # /compress
            _user("u2", 31, "second"),
            _gemini("g2", 32, "two", tokens=_tok(300, 100, 5, 0)),
        ],
    )
    s = read_chat_file(path)
    assert [t.text for t in s.turns if t.role in ("human", "assistant")] == [
        "<state_snapshot>short</state_snapshot>",
        "one",
        "second",
        "two",
    ]
    assert s.compactions == 1
    assert [(e.dedup_key, e.input_tokens + e.cache_read_tokens) for e in s.usage] == [
        ("gemini:g1", 100),
        ("gemini:g2", 300),
    ]


def test_rewind_to_an_unknown_id_hides_everything_before_it(tmp_path: Path) -> None:
    path = _write(
        _chat_path(tmp_path),
        [META, _user("u1", 1, "a"), _gemini("g1", 2, "b"), {"$rewindTo": "nope"}, _user("u2", 3, "c")],
    )
    s = read_chat_file(path)
    assert [(t.role, t.text) for t in s.turns] == [("event", "rewound: 2 messages removed"), ("human", "c")]


def test_bad_lines_are_counted_and_named_never_fatal(tmp_path: Path) -> None:
    path = _write(
        _chat_path(tmp_path),
        [
            META,
            _user("u1", 1, "hello"),
            "this is not json",
            "[1, 2]",
            {"mystery": True},
            {"id": "x1", "type": "hologram", "timestamp": _ts(2), "content": "?"},
            _gemini("g1", 3, "hi", tokens=_tok(10, 0, 2, 0)),
        ],
        tail='{"id": "g2", "type": "gem',
    )
    s = read_chat_file(path)
    (sk,) = s.skipped
    assert sk.malformed == 2 and sk.truncated_tail
    assert sk.unknown_types == {
        "record without id, $set, $rewindTo or sessionId": 1,
        "message type 'hologram'": 1,
    }
    assert sk.first_error is not None and sk.first_error.startswith("line 3 of ")
    assert [t.text for t in s.turns if t.role in ("human", "assistant")] == ["hello", "hi"]
    assert len(s.usage) == 1


@pytest.mark.parametrize(
    ("name", "body", "reason", "kind"),
    [
        ("session-e.json", b"", "is empty", "truncated"),
        ("session-e.jsonl", b"", "is empty", "truncated"),
        (
            "session-t.json",
            b'{"sessionId": "s", "messages": [{"id": "a", "type": "us',
            "ends in the middle",
            "truncated",
        ),
        ("session-g.json", b'{"sessionId": "s", oops, "messages": []}', "is not JSON", "malformed"),
        ("session-l.json", b"[1, 2, 3]", "is not a Gemini CLI chat", "malformed"),
    ],
)
def test_empty_truncated_or_foreign_files_are_named_with_a_reason(
    tmp_path: Path, name: str, body: bytes, reason: str, kind: str
) -> None:
    path = _chat_path(tmp_path, name=name)
    path.parent.mkdir(parents=True)
    path.write_bytes(body)
    s = read_chat_file(path)
    (sk,) = s.skipped
    assert sk.first_error is not None and reason in sk.first_error and path.name in sk.first_error
    assert (sk.truncated_tail, sk.malformed > 0) == (kind == "truncated", kind == "malformed")
    assert s.turns == [] and s.usage == []


def test_a_message_without_a_model_borrows_its_neighbours_flagged_approximate(tmp_path: Path) -> None:
    path = _write(
        _chat_path(tmp_path),
        [
            META,
            _gemini("g1", 1, "a", tokens=_tok(10, 0, 1, 0), model=None),
            _gemini("g2", 2, "b", tokens=_tok(10, 0, 1, 0), model="gemini-2.5-pro"),
            _gemini("g3", 3, "c", tokens=None),
        ],
    )
    s = read_chat_file(path)
    assert [(e.model, e.model_approximate) for e in s.usage] == [
        ("gemini-2.5-pro", True),
        ("gemini-2.5-pro", False),
    ]


def test_cancelled_calls_slash_commands_and_images(tmp_path: Path) -> None:
    image = {"inlineData": {"mimeType": "image/png", "data": "A" * 4000}}
    path = _write(
        _chat_path(tmp_path),
        [
            META,
            {"id": "u0", "timestamp": _ts(0), "type": "user", "content": "/model set gemini-2.5-pro"},
            {"id": "u1", "timestamp": _ts(1), "type": "user", "content": [{"text": "what is this"}, image]},
            _gemini("g1", 2, calls=[_call("cancelled")]),
            {"id": "i1", "timestamp": _ts(3), "type": "info", "content": "Request cancelled."},
        ],
    )
    s = read_chat_file(path)
    assert [(t.role, t.text) for t in s.turns if t.role in ("event", "human")] == [
        ("event", "command: /model set gemini-2.5-pro"),
        ("human", "what is this\n[image png 3KB]"),
        ("event", "info: Request cancelled."),
    ]
    assert s.human_prompts[0].images == 1
    (call,) = [t.tool for t in s.turns if t.tool is not None]
    assert call.is_error and call.result == "[cancelled]"
    assert s.interruptions == 2


# ------------------------------------------------------------------ project names


def test_slug_folders_map_through_the_marker_or_projects_json(tmp_path: Path) -> None:
    home = tmp_path / ".gemini"
    meta = {**META, "projectHash": hashlib.sha256(b"/srv/elsewhere/rover").hexdigest()}
    marked = _write(_chat_path(tmp_path, folder="rover"), [meta, _user("u1", 1, "hi")])
    (home / "tmp" / "rover" / ".project_root").write_text("/srv/elsewhere/rover\n")
    listed = _write(_chat_path(tmp_path, folder="rover-1"), [meta, _user("u1", 1, "hi")])
    (home / "projects.json").write_text('{"projects": {"/data/lab/rover": "rover-1"}}')
    bare = _write(_chat_path(tmp_path, folder="lonely"), [meta, _user("u1", 1, "hi")])
    hashed = _write(_chat_path(tmp_path, folder=HASH), [META, _user("u1", 1, "hi")])
    assert [(s.project, s.cwd) for s in map(read_chat_file, (marked, listed, bare, hashed))] == [
        ("rover", "/srv/elsewhere/rover"),
        ("rover", "/data/lab/rover"),
        ("lonely", None),
        (HASH, None),  # no path in the chat proves a root: the hash folder's name
    ]


# ------------------------------------------------------------------ resumed copies and subagents


def test_a_json_resumed_into_jsonl_counts_once_and_subagents_bill_their_parent(tmp_path: Path) -> None:
    old = [_user("u1", 1, "hi"), _gemini("g1", 2, "hello", tokens=_tok(100, 0, 5, 0))]
    legacy = _chat_path(tmp_path, name="session-2026-05-02T09-00-5e551011.json")
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(orjson.dumps({**META, "messages": old}, option=orjson.OPT_INDENT_2))
    resumed = _write(
        legacy.with_suffix(".jsonl"),
        [META, *old, _user("u2", 50, "more"), _gemini("g2", 52, "ok", tokens=_tok(200, 100, 5, 0))],
    )
    sub = _write(
        legacy.parent / META["sessionId"] / "helper-1.jsonl",
        [
            {**META, "sessionId": "helper-1", "kind": "subagent"},
            _gemini("h1", 60, "x", tokens=_tok(50, 0, 1, 0)),
        ],
    )
    files = find_chat_files(tmp_path / ".gemini", device="d")
    assert [f.path for f in files] == [sub, resumed]  # the .json beside its .jsonl is not listed
    keys = {p: [e.dedup_key for e in read_chat_file(p).usage] for p in (legacy, resumed)}
    assert keys[legacy] == ["gemini:g1"] and keys[resumed] == ["gemini:g1", "gemini:g2"]
    fu = read_gemini_usage(files[0])
    assert (fu.is_subagent, fu.session_id, fu.parent_session_id) == (
        True,
        META["sessionId"],
        META["sessionId"],
    )
