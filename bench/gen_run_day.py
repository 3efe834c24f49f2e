"""Generate a deterministic day of N small Claude Code sessions (one chunk each) and a config for `run`.

Each session: a few prompts, each answered by text, one or two tool calls (Bash, Read, Edit) with their
results (one in twenty an error), and a closing reply. Sessions are spread over the day (UTC) across eight
projects. The config points at ``<out>/.claude``, keeps cache and reports under ``<out>``, and names
Anthropic's claude-haiku-4-5 with ``--base-url`` (a stub server for a real run; a dry run sends nothing).

    python bench/gen_run_day.py --sessions 100 --out bench/out/day100 [--base-url http://127.0.0.1:PORT]
"""

from __future__ import annotations

import argparse
import json
import random
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

DAY = date(2026, 3, 10)
WORDS = [
    *(
        [
            "fix",
            "the",
            "failing",
            "test",
            "in",
            "the",
            "parser",
            "and",
            "check",
            "the",
            "config",
            "loader",
            "handles",
            "a",
            "missing",
            "file",
        ]
    ),
    *(
        [
            "then",
            "update",
            "docs",
            "benchmark",
            "cache",
            "index",
            "report",
            "session",
            "token",
            "model",
            "stage",
            "chunk",
            "prompt",
        ]
    ),
]


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


class _Writer:
    def __init__(self, rng: random.Random, sid: str, cwd: str, start: datetime) -> None:
        self.rng, self.sid, self.cwd, self.t = rng, sid, cwd, start
        self.parent: str | None = None
        self.lines: list[str] = []

    def add(self, kind: str, message: dict[str, Any], **extra: Any) -> None:
        u = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        rec = {
            "parentUuid": self.parent,
            "isSidechain": False,
            "userType": "external",
            "cwd": self.cwd,
            "sessionId": self.sid,
            "version": "2.1.39",
            "gitBranch": "main",
            "type": kind,
            "message": message,
            "uuid": u,
            "timestamp": _ts(self.t),
            **extra,
        }
        self.parent = u
        self.lines.append(json.dumps(rec))
        self.t += timedelta(seconds=self.rng.uniform(2, 40))

    def assistant(self, content: list[dict[str, Any]]) -> None:
        mid = f"msg_{self.rng.getrandbits(64):016x}"
        usage = {"input_tokens": 5, "output_tokens": 120, "cache_read_input_tokens": 20_000}
        msg = {"model": "claude-sonnet-4-6", "id": mid, "type": "message", "role": "assistant"}
        self.add("assistant", {**msg, "content": content, "usage": usage}, requestId=f"req_{mid[4:]}")


def write_session(root: Path, rng: random.Random, k: int, start: datetime) -> Path:
    sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    cwd = f"/home/dev/work/project-{k % 8}"
    w = _Writer(rng, sid, cwd, start)
    for _ in range(rng.randrange(3, 7)):
        w.add("user", {"role": "user", "content": _text(rng, rng.randrange(10, 60))})
        for _ in range(rng.randrange(1, 3)):
            tid = f"toolu_{rng.getrandbits(64):016x}"
            name = rng.choice(["Bash", "Read", "Edit"])
            w.assistant(
                [
                    {"type": "text", "text": _text(rng, rng.randrange(20, 80))},
                    {"type": "tool_use", "id": tid, "name": name, "input": {"command": _text(rng, 8)}},
                ]
            )
            result = {
                "type": "tool_result",
                "tool_use_id": tid,
                "content": _text(rng, rng.randrange(30, 300)),
            }
            if rng.random() < 0.05:
                result["is_error"] = True
            w.add("user", {"role": "user", "content": [result]})
        w.assistant([{"type": "text", "text": _text(rng, rng.randrange(30, 120))}])
    folder = root / "projects" / cwd.replace("/", "-")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{sid}.jsonl"
    path.write_text("\n".join(w.lines) + "\n", encoding="utf-8")
    return path


def generate(out: Path, *, sessions: int, base_url: str = "http://127.0.0.1:9", seed: int = 1) -> Path:
    """Write the day under ``out`` and return its config path."""
    rng = random.Random(seed)
    start = datetime.combine(DAY, datetime.min.time(), UTC) + timedelta(hours=1)
    step = timedelta(hours=21) / max(sessions, 1)
    for k in range(sessions):
        write_session(out / ".claude", rng, k, start + step * k)
    config = out / "daily-report.toml"
    config.write_text(
        f"""timezone = "UTC"
cache_path = "cache/cache.sqlite3"
out_dir = "reports"

[devices.local]
claude = [".claude"]

[llm]
provider = "anthropic"
model = "claude-haiku-4-5"
base_url = "{base_url}"
""",
        encoding="utf-8",
    )
    return config


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--base-url", default="http://127.0.0.1:9")
    args = ap.parse_args()
    print(generate(args.out, sessions=args.sessions, base_url=args.base_url))


if __name__ == "__main__":
    main()
