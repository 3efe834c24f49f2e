"""The Claude Code stats scan (``claude.stats``) gives what the full read gives, figure for figure: on every
Claude Code session of the fixtures, on a bench tree, and on a tree of odd cases (inline sidechains, subagent
files matched or not, a compaction agent, a resumed session's copies, malformed and truncated lines, unknown
types, tool errors of each kind, results before their calls, /clear and meta prompts, merged text blocks).
The claims each makes in the device's shared map are compared too, and the scan must be the path taken."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from daily_report.sources.agents import agent_named
from daily_report.sources.claude.content import results_unscrubbed
from daily_report.sources.claude.session import read_claude_session
from daily_report.sources.claude.stats import Unsupported, scanned
from daily_report.sources.discovery import discover_roots
from daily_report.sources.types import SourceFile
from daily_report.usage.session_facts import StatsRead, stats_of
from daily_report.usage.session_index import _Claims

from tests.conftest import REPO

CLAUDE = agent_named("claude_code")


def _sessions(root: Path) -> list[list[SourceFile]]:
    """The Claude Code sessions under ``root``, grouped and ordered as the readers take them."""
    files = discover_roots([("here", "claude_code", root)], emit=False).files
    groups: dict[tuple[str, str], list[SourceFile]] = {}
    for f in files:
        groups.setdefault((f.device, CLAUDE.session_key(f) or str(f.path)), []).append(f)

    def when(group: list[SourceFile]) -> tuple[str, str]:
        main = next((f for f in group if f.kind == "main"), group[0])
        return main.device, CLAUDE.read_order(main)

    return sorted(groups.values(), key=when)


def _plain(s: StatsRead) -> dict[str, Any]:
    return {
        "facts": s.facts._asdict(),
        "events": [tuple(e) for e in s.events],
        "skipped": [k.model_dump() for k in s.skipped],
        "weight": s.weight,
    }


def _compare(root: Path) -> tuple[int, int]:
    """(sessions scanned, sessions the scan handed to the full read); asserts both ways agree."""
    full_shared: dict[str, str] = {}
    fast_shared: dict[str, str] = {}
    done = unsupported = 0
    for files in _sessions(root):
        full_claims, fast_claims = _Claims(full_shared), _Claims(fast_shared)
        with results_unscrubbed():
            full = stats_of(read_claude_session(files, claimed=full_claims))
        try:
            fast = scanned(files, fast_claims)
        except Unsupported:
            unsupported += 1
            fast_claims = _Claims(fast_shared)
            with results_unscrubbed():
                fast = stats_of(read_claude_session(files, claimed=fast_claims))
        where = [str(f.path) for f in files]
        assert _plain(fast) == _plain(full), where
        assert (fast_claims.seen, fast_claims.added) == (full_claims.seen, full_claims.added), where
        done += 1
    assert fast_shared == full_shared
    return done, unsupported


def test_every_fixture_session() -> None:
    roots = sorted(p for p in (REPO / "fixtures").rglob("projects") if p.is_dir())
    roots += [REPO / "fixtures" / "samples" / "claude-code"]
    total = handed = 0
    for root in roots:
        done, unsupported = _compare(root)
        total, handed = total + done, handed + unsupported
    assert total >= 30
    assert handed <= total // 10, "the scan takes nearly every fixture session"


def test_a_generated_bench_tree(tmp_path: Path) -> None:
    out = tmp_path / "tree"
    gen = REPO / "bench" / "gen_claude_tree.py"
    subprocess.run(
        [sys.executable, str(gen), "--mb", "12", "--out", str(out), "--date", "2026-03-10"],
        check=True,
        capture_output=True,
    )
    done, unsupported = _compare(out / "projects")
    assert done >= 5
    assert unsupported == 0


# ---------------------------------------------------------------------------------------------- odd cases


class _Writer:
    """Lines of one session file, each with a uuid, a parent, a session id and a time."""

    def __init__(
        self, sid: str, *, cwd: str = "/w/odd", minute: int = 0, sidechain: bool = False, tag: str = ""
    ) -> None:
        self.sid, self.cwd, self.minute, self.sidechain = sid, cwd, minute, sidechain
        self.tag = tag or sid
        self.lines: list[bytes] = []
        self.parent: str | None = None
        self.n = 0

    def rec(self, kind: str, *, stamp: bool = True, **extra: Any) -> dict[str, Any]:
        self.n += 1
        self.minute += 1
        uuid = f"{self.tag}-{self.n}"
        rec: dict[str, Any] = {
            "type": kind,
            "uuid": uuid,
            "parentUuid": self.parent,
            "sessionId": self.sid,
            "cwd": self.cwd,
            "isSidechain": self.sidechain,
            "version": "2.1.0",
            "gitBranch": "main",
        }
        if stamp:
            rec["timestamp"] = f"2026-03-10T{10 + self.minute // 60:02d}:{self.minute % 60:02d}:00.000Z"
        rec.update(extra)
        self.parent = uuid
        self.lines.append(orjson.dumps(rec))
        return rec

    def user(self, content: Any, **extra: Any) -> dict[str, Any]:
        return self.rec("user", message={"role": "user", "content": content}, **extra)

    def assistant(
        self, blocks: list[Any] | str | None, *, mid: str = "", model: str = "m-1", **extra: Any
    ) -> None:
        usage = {"input_tokens": 3, "output_tokens": 5, "cache_read_input_tokens": 7}
        message = {"id": mid or f"msg-{self.sid}-{self.n}", "model": model, "content": blocks, "usage": usage}
        self.rec("assistant", message=message, requestId=f"req-{mid or self.n}", **extra)

    def tool(self, tid: str, name: str = "Bash", args: dict[str, Any] | None = None, mid: str = "") -> None:
        self.assistant(
            [{"type": "tool_use", "id": tid, "name": name, "input": args or {"command": "ls"}}], mid=mid
        )

    def result(self, tid: str, text: Any, *, is_error: bool | None = None, **extra: Any) -> None:
        block: dict[str, Any] = {"type": "tool_result", "tool_use_id": tid, "content": text}
        if is_error is not None:
            block["is_error"] = is_error
        self.user([block], **extra)

    def raw(self, line: bytes) -> None:
        self.lines.append(line)

    def write(self, path: Path, *, tail: bytes = b"\n", crlf: bool = False) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        sep = b"\r\n" if crlf else b"\n"
        path.write_bytes(sep.join(self.lines) + tail)


def _odd_tree(root: Path) -> Path:
    projects = root / "projects"
    proj = projects / "-w-odd"
    a = _Writer("sess-a")
    a.rec("summary", summary="An old title", leafUuid="sess-a-3")
    a.user("<command-name>/clear</command-name>\n<command-message>clear</command-message>")
    a.user("Caveat: local commands", isMeta=True)
    a.user("fix the build please")
    a.assistant([{"type": "thinking", "thinking": "  hmm  "}], mid="m1")
    a.assistant([{"type": "text", "text": "first part"}], mid="m1")
    a.assistant([{"type": "text", "text": "second part"}], mid="m1")  # merged into the first
    a.assistant([{"type": "text", "text": "<system-reminder>x</system-reminder>  "}], mid="m2")  # blank
    a.assistant([{"type": "text", "text": "after a blank"}], mid="m1")
    a.result("t-early", "ran early")  # before its call
    a.tool("t-early")
    a.tool("t1")
    a.result("t1", "Exit code 2\nboom")
    a.tool("t2")
    a.result("t2", [{"type": "text", "text": "<tool_use_error>no such file</tool_use_error>"}])
    a.tool("t3")
    a.result("t3", "fine", is_error=True)
    a.tool("t4")
    a.result("t4", "Exit code 0\n\\u001b[0m ok")
    a.tool("t5")
    a.result("t5", "<system-reminder>Exit code 1</system-reminder>fine")
    a.tool("t6")
    a.result("t6", "  Exit code 3\n<system-reminder>r</system-reminder>")
    a.tool("t7")
    a.result("t7", "\x1b[31mExit code 4\x1b[0m")
    a.tool("t8")
    a.result("t8", [{"type": "text", "text": "Exit code 5"}], toolUseResult="Error: failed")
    a.tool("t9")
    a.result("t9", "", toolUseResult=[{"type": "text", "text": "x"}])
    a.tool("task-1", "Task", {"prompt": "look around", "description": "d"})
    a.result("task-1", "done", toolUseResult={"agentId": "abc123", "status": "completed"})
    a.tool("task-2", "Agent", {"prompt": "the inline one"})
    a.result("task-2", "done\nagentId: inl999 (for resuming)")
    a.tool("task-3", "Task", {"prompt": "never started"})
    a.user([{"type": "text", "text": "[Request interrupted by user]"}])
    a.user([{"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA" * 50}}])
    a.user([{"type": "text", "text": "look at this"}, {"type": "image", "source": {"data": "QUJD"}}])
    a.user("<bash-input>ls</bash-input>")
    a.user("summary of before", isCompactSummary=True)
    a.assistant("a plain string content", mid="m9")
    a.assistant(None, mid="m10")
    a.assistant([{"type": "text", "text": "API Error: 529"}], model="<synthetic>")
    a.assistant([{"type": "text", "text": "overloaded"}], isApiErrorMessage=True)
    a.rec("system", subtype="api_error", error={"status": 529}, retryAttempt=1)
    a.rec("system", subtype="compact_boundary")
    a.rec("system", subtype="brand_new_subtype")
    a.rec("system")
    a.rec("mystery-type")
    a.rec("custom-title", customTitle="  ")
    a.rec("ai-title", aiTitle="An AI title")
    a.rec("progress", data={"message": {"type": "assistant", "usage": {"input_tokens": 9}}})
    a.user("no timestamp here", stamp=False)
    a.assistant([{"type": "text", "text": "untimed reply"}], stamp=False)
    a.raw(b"this line is not json")
    a.raw(b"[1, 2, 3]")
    a.raw(b"   ")
    a.lines.append(a.lines[3])  # a replayed copy of a line already read
    # inline sidechain (old layout): two groups, one matching task-2's prompt
    side = _Writer("sess-a", minute=200, sidechain=True, tag="side")
    side.user("the inline one")
    side.tool("s1")
    side.result("s1", "bad", is_error=True)
    side.assistant([{"type": "text", "text": "inline done"}])
    other = _Writer("sess-a", minute=220, sidechain=True, tag="other")
    other.user("an orphan sidechain")
    other.assistant([{"type": "text", "text": "orphan"}])
    a.lines += side.lines + other.lines
    a.raw(b'{"type": "user", "uuid": "cut-sho')  # a line still being written
    a.write(proj / "sess-a.jsonl", tail=b"")

    # subagents: by meta tool id, by agent id in the result, unmatched, a compaction one, an empty one
    subs = proj / "sess-a" / "subagents"
    for name, tool_use_id, calls in (
        ("agent-one", "task-1", 2),
        ("agent-abc123", None, 1),
        ("agent-zzz", None, 1),
    ):
        w = _Writer("sess-a", minute=300, sidechain=True, tag=name)
        w.user("sub prompt", agentId=name[6:])
        for i in range(calls):
            w.tool(f"{name}-t{i}", "Read")
            w.result(f"{name}-t{i}", "Exit code 1" if i else "ok")
        w.write(subs / f"{name}.jsonl")
        if tool_use_id:
            (subs / f"{name}.meta.json").write_bytes(orjson.dumps({"toolUseId": tool_use_id}))
    compact = _Writer("sess-a", minute=400, sidechain=True, tag="compact")
    compact.user("compact this")
    compact.assistant([{"type": "text", "text": "summary"}], model="m-2")
    compact.write(subs / "agent-acompact-1.jsonl")
    _Writer("sess-a").write(subs / "agent-empty.jsonl", tail=b"")

    # b resumes a: its file starts with copies of a's first lines, and ends later
    b = _Writer("sess-b", minute=500)
    b.lines = a.lines[:6] + side.lines[:2]
    b.user("continuing where we left off")
    b.tool("tb1")
    b.result("tb1", "Exit code 127")
    b.write(proj / "sess-b.jsonl", crlf=True)

    # short lines (the line-by-line path) and a file with only bad lines
    c = _Writer("sess-c", minute=600)
    for i in range(200):
        c.user(f"p{i}")
    c.rec("custom-title", customTitle="Named by hand")
    c.write(proj / "sess-c.jsonl")
    (proj / "sess-d.jsonl").write_bytes(b"garbage\n{not json}\n")
    return projects


def test_odd_cases_equal_the_full_read(tmp_path: Path) -> None:
    done, unsupported = _compare(_odd_tree(tmp_path))
    assert done == 4
    assert unsupported == 0, "every odd case is read by the scan itself"


@pytest.mark.parametrize(
    "line",
    [
        b'{"type": "assistant", "uuid": "x1", "message": {"model": "m", "usage": {"input_tokens": 1.5}}}',
        b'{"type": 7, "uuid": "x2"}',
        b'{"type": "user", "uuid": "x3", "isMeta": "yes", "message": {"content": "hi"}}',
    ],
)
def test_a_line_of_another_shape_is_read_in_full(tmp_path: Path, line: bytes) -> None:
    proj = tmp_path / "projects" / "-w-odd"
    w = _Writer("sess-e")
    w.user("hello")
    w.raw(line)
    w.assistant([{"type": "text", "text": "bye"}])
    w.write(proj / "sess-e.jsonl")
    done, unsupported = _compare(tmp_path / "projects")
    assert (done, unsupported) == (1, 1)
