"""Generate a realistic synthetic Claude Code tree (``<out>/projects/...``) of about N MB, deterministically.

What it contains, as Claude Code 2.1.x writes it (transcript-formats.md §1):
- one assistant line per content block, every line repeating the usage, ``output_tokens`` growing, and the
  final-usage line present for only about half of the responses;
- progress lines (hook, bash, and agent_progress embedding a full subagent message with usage);
- subagent files under ``<session>/subagents/agent-<id>.jsonl`` (sidechain, placeholder output tokens),
  inline sidechain lines in some older-style sessions;
- sessions that cross local midnight, resumed sessions that copy earlier history into a new file;
- big tool results, file-history snapshots, system and queue lines.

It writes ``<out>/expected.json`` with the correct per-day (UTC) deduped totals, so a benchmark can check
that the figures it times are right.

    python bench/gen_claude_tree.py --mb 200 --out bench/out/tree200 --date 2026-03-10
"""

from __future__ import annotations

import argparse
import random
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

MODELS = ["claude-opus-4-6", "claude-opus-4-6", "claude-sonnet-4-6", "claude-haiku-4-5-20251001"]
WORDS = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "is",
    "that",
    "for",
    "it",
    "with",
    "as",
    "was",
    "on",
    "be",
    "at",
    "by",
    "this",
    "are",
    "from",
    "or",
    "have",
    "an",
    "not",
    "they",
    "which",
    "def",
    "class",
    "return",
    "import",
    "self",
    "None",
    "True",
    "False",
    "error",
    "test",
    "file",
    "path",
    "line",
    "value",
    "result",
    "config",
]


class Gen:
    def __init__(self, seed: int, day: date) -> None:
        self.rng = random.Random(seed)
        self.day = day
        self.blob = " ".join(self.rng.choice(WORDS) for _ in range(400_000))
        self.expected: dict[str, dict[str, dict[str, int]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(int))
        )
        self.n = 0

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def text(self, size: int) -> str:
        start = self.rng.randrange(0, len(self.blob) - size - 1)
        return self.blob[start : start + size]

    def count(self, ts: datetime, model: str, usage: dict[str, Any]) -> None:
        row = self.expected[ts.date().isoformat()][model]
        row["input_tokens"] += usage["input_tokens"]
        row["output_tokens"] += usage["output_tokens"]
        row["cache_creation_tokens"] += usage["cache_creation_input_tokens"]
        row["cache_read_tokens"] += usage["cache_read_input_tokens"]
        row["responses"] += 1


def _ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def _usage(g: Gen, out: int, one_hour: bool) -> dict[str, Any]:
    write = g.rng.choice([0, 0, g.rng.randrange(200, 30_000)])
    w1h = write if one_hour else 0
    return {
        "input_tokens": g.rng.randrange(1, 40),
        "cache_creation_input_tokens": write,
        "cache_read_input_tokens": g.rng.randrange(10_000, 180_000),
        "cache_creation": {"ephemeral_5m_input_tokens": write - w1h, "ephemeral_1h_input_tokens": w1h},
        "output_tokens": out,
        "service_tier": "standard",
    }


class Session:
    def __init__(
        self,
        g: Gen,
        *,
        start: datetime,
        cwd: str,
        sid: str,
        sidechain: bool = False,
        agent_id: str | None = None,
    ) -> None:
        self.g, self.t, self.cwd, self.sid = g, start, cwd, sid
        self.sidechain, self.agent_id = sidechain, agent_id
        self.lines: list[bytes] = []
        self.parent: str | None = None
        self.model = g.rng.choice(MODELS)
        self.one_hour = g.rng.random() < 0.2

    def env(self, kind: str, **extra: Any) -> dict[str, Any]:
        u = self.g.uid()
        rec = {
            "parentUuid": self.parent,
            "isSidechain": self.sidechain,
            "userType": "external",
            "cwd": self.cwd,
            "sessionId": self.sid,
            "version": "2.1.39",
            "gitBranch": "main",
            "type": kind,
            "uuid": u,
            "timestamp": _ts(self.t),
            **extra,
        }
        if self.agent_id:
            rec["agentId"] = self.agent_id
        self.parent = u
        return rec

    def add(self, rec: dict[str, Any]) -> None:
        self.lines.append(orjson.dumps(rec))

    def tick(self, lo: float = 0.2, hi: float = 20.0) -> None:
        self.t += timedelta(seconds=self.g.rng.uniform(lo, hi))

    def prompt(self) -> None:
        self.add(
            self.env("user", message={"role": "user", "content": self.g.text(self.g.rng.randrange(40, 600))})
        )
        self.tick()

    def response(self, *, counted: bool = True) -> list[tuple[str, str]]:
        """One API response as N lines; returns its tool_use ids and names."""
        g = self.g
        mid, rid = f"msg_{g.uid().replace('-', '')[:24]}", f"req_{g.uid().replace('-', '')[:24]}"
        final_out = g.rng.randrange(50, 3000) if not self.sidechain else g.rng.randrange(1, 10)
        usage = _usage(g, final_out, self.one_hour)
        blocks: list[dict[str, Any]] = []
        if g.rng.random() < 0.5:
            blocks.append(
                {"type": "thinking", "thinking": g.text(g.rng.randrange(100, 2000)), "signature": "x"}
            )
        blocks.append({"type": "text", "text": g.text(g.rng.randrange(50, 1500))})
        tools = []
        for _ in range(g.rng.choice([0, 1, 1, 2])):
            tid = f"toolu_{g.uid().replace('-', '')[:24]}"
            tools.append((tid, g.rng.choice(["Bash", "Read", "Edit", "Grep"])))
            blocks.append(
                {"type": "tool_use", "id": tid, "name": tools[-1][1], "input": {"command": g.text(80)}}
            )
        has_final = self.sidechain is False and g.rng.random() < 0.5
        first_t = self.t
        for i, block in enumerate(blocks):
            last = i == len(blocks) - 1
            out = final_out if (last and has_final) or final_out < 10 else g.rng.randrange(1, 10)
            u = dict(usage, output_tokens=out)
            msg = {
                "model": self.model,
                "id": mid,
                "type": "message",
                "role": "assistant",
                "content": [block],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": u,
            }
            self.add(self.env("assistant", message=msg, requestId=rid))
            self.tick(0.05, 2)
        if counted:
            best = final_out if has_final or final_out < 10 else None
            got = dict(usage, output_tokens=best) if best is not None else None
            if got is None:  # no final line: the largest streamed snapshot wins
                outs = [
                    orjson.loads(x)["message"]["usage"]["output_tokens"] for x in self.lines[-len(blocks) :]
                ]
                got = dict(usage, output_tokens=max(outs))
            self.g.count(first_t, self.model, got)
        return tools

    def tool_results(self, tools: list[tuple[str, str]]) -> None:
        g = self.g
        for tid, name in tools:
            if name == "Bash" and g.rng.random() < 0.5:
                for _ in range(g.rng.randrange(1, 6)):
                    self.add(
                        self.env(
                            "progress",
                            data={"type": "bash_progress", "output": g.text(300)},
                            toolUseID=tid,
                            parentToolUseID=tid,
                        )
                    )
            size = g.rng.choice([200, 800, 3000, 3000, 20_000]) if g.rng.random() > 0.03 else 300_000
            content = g.text(size)
            is_error = g.rng.random() < 0.05
            self.add(
                self.env(
                    "user",
                    message={
                        "role": "user",
                        "content": [
                            {
                                "type": "tool_result",
                                "tool_use_id": tid,
                                "content": content,
                                "is_error": is_error,
                            }
                        ],
                    },
                    toolUseResult={"stdout": content[: size // 2], "stderr": "", "interrupted": False},
                )
            )
            self.tick()

    def progress_copy(self) -> None:
        """An agent_progress line embedding a subagent's assistant message with usage: never counted."""
        g = self.g
        msg = {
            "model": "claude-haiku-4-5-20251001",
            "id": f"msg_{g.uid()[:20]}",
            "role": "assistant",
            "content": [{"type": "text", "text": g.text(200)}],
            "usage": _usage(g, 999, False),
        }
        self.add(
            self.env(
                "progress",
                data={
                    "type": "agent_progress",
                    "message": {
                        "type": "assistant",
                        "message": msg,
                        "requestId": "req_x",
                        "timestamp": _ts(self.t),
                    },
                },
            )
        )

    def noise(self) -> None:
        g = self.g
        r = g.rng.random()
        if r < 0.3:
            self.add(
                {
                    "type": "file-history-snapshot",
                    "messageId": g.uid(),
                    "snapshot": {"trackedFileBackups": {}, "timestamp": _ts(self.t)},
                    "isSnapshotUpdate": False,
                }
            )
        elif r < 0.5:
            self.add(self.env("system", subtype="turn_duration", durationMs=g.rng.randrange(1000, 90_000)))
        elif r < 0.6:
            self.add(self.env("progress", data={"type": "hook_progress", "hookEvent": "PostToolUse"}))

    def write(self, path: Path) -> int:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = b"\n".join(self.lines) + b"\n"
        path.write_bytes(data)
        return len(data)


def gen_session(
    g: Gen, proj: Path, cwd: str, start: datetime, *, inline_sidechains: bool
) -> tuple[int, Session]:
    sid = g.uid()
    s = Session(g, start=start, cwd=cwd, sid=sid)
    written = 0
    for _turn in range(g.rng.randrange(3, 25)):
        s.prompt()
        for _step in range(g.rng.randrange(1, 8)):
            tools = s.response()
            s.tool_results(tools)
            s.noise()
            if g.rng.random() < 0.05:
                written += gen_subagent(g, proj, s)
            if inline_sidechains and g.rng.random() < 0.1:
                side = Session(g, start=s.t, cwd=cwd, sid=sid, sidechain=True)
                side.model = "claude-haiku-4-5-20251001"
                side.response()
                s.lines += side.lines
        s.tick(30, 900)
    written += s.write(proj / f"{sid}.jsonl")
    return written, s


def gen_subagent(g: Gen, proj: Path, parent: Session) -> int:
    agent = g.uid().replace("-", "")[:7]
    sub = Session(g, start=parent.t, cwd=parent.cwd, sid=parent.sid, sidechain=True, agent_id=agent)
    sub.model = g.rng.choice(["claude-haiku-4-5-20251001", "claude-sonnet-4-6"])
    sub.parent = None
    for _ in range(g.rng.randrange(2, 12)):
        tools = sub.response()
        sub.tool_results(tools)
        parent.progress_copy()
    return sub.write(proj / parent.sid / "subagents" / f"agent-a{agent}.jsonl")


def resume_copy(g: Gen, proj: Path, old: Session) -> int:
    """A resumed session: a new file that first copies the old history (same ids), then goes on."""
    s = Session(g, start=old.t + timedelta(hours=g.rng.uniform(1, 20)), cwd=old.cwd, sid=g.uid())
    s.lines = list(old.lines)
    s.model = old.model
    for _ in range(g.rng.randrange(1, 4)):
        s.prompt()
        s.tool_results(s.response())
    return s.write(proj / f"{s.sid}.jsonl")


def generate(out: Path, *, mb: float, seed: int, day: date) -> dict[str, Any]:
    g = Gen(seed, day)
    target = int(mb * 1024 * 1024)
    written = 0
    midnight = datetime.combine(day, datetime.min.time(), UTC)
    projects = [f"/home/dev/work/project-{i}" for i in range(12)]
    while written < target:
        cwd = g.rng.choice(projects)
        proj = out / "projects" / "".join(c if c.isalnum() else "-" for c in cwd)
        # sessions over three days around the target, some starting just before midnight
        start = midnight + timedelta(hours=g.rng.uniform(-30, 44))
        if g.rng.random() < 0.1:
            start = midnight - timedelta(minutes=g.rng.uniform(5, 60))
        n, s = gen_session(g, proj, cwd, start, inline_sidechains=g.rng.random() < 0.15)
        written += n
        if g.rng.random() < 0.08:
            written += resume_copy(g, proj, s)
    expected = {d: {m: dict(v) for m, v in models.items()} for d, models in sorted(g.expected.items())}
    (out / "expected.json").write_bytes(orjson.dumps(expected, option=orjson.OPT_INDENT_2))
    return {"bytes": written, "days": list(expected)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, required=True, help="Approximate tree size in MB.")
    ap.add_argument("--out", type=Path, required=True, help="Directory to create (holds projects/).")
    ap.add_argument("--seed", type=int, default=1, help="Random seed (same seed, same tree).")
    ap.add_argument("--date", type=date.fromisoformat, default=date(2026, 3, 10), help="Central day (UTC).")
    args = ap.parse_args()
    info = generate(args.out, mb=args.mb, seed=args.seed, day=args.date)
    print(f"wrote {info['bytes'] / 1e6:.1f} MB to {args.out}; days {', '.join(info['days'])}")


if __name__ == "__main__":
    main()
