"""Time `daily-report sessions --date D --json` on synthetic Claude Code trees, beside `usage` cold.

    .venv/bin/python bench/bench_sessions.py                  # 200 MB and 1 GB
    .venv/bin/python bench/bench_sessions.py 200 --runs 3
    .venv/bin/python bench/bench_sessions.py 1024 --python /tmp/before/.venv/bin/python   # another checkout

Trees come from bench_usage.ensure_tree (bench/out/tree<N>). Each round:
- usage cold: `usage --date D --json`, empty cache (the yardstick: the issue's target is ≤ 3x it);
- sessions cold: empty cache (no session-stats index, no stdout memo);
- sessions warm-index: the index is full, the stdout memo is missed on purpose (another name of UTC);
- sessions warm: the same command again (the stdout memo);
- sessions appended: one prompt line appended to the day's last-starting session, then the command again
  (the tree is put back afterwards: size and mtime restored).
Wall times are the best of ``--runs`` rounds; peak RSS is the largest of the mode's runs. Every sessions
answer of a round is checked to be the same JSON as the cold one (the appended one: one more prompt).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from bench_usage import UTC_ALIASES, measured  # type: ignore[import-not-found]
from bench_usage import ensure_tree as usage_tree  # type: ignore[import-not-found]

HERE = Path(__file__).resolve().parent


def cmd(python: str, command: str, config: Path, day: str, tz: str = "UTC") -> list[str]:
    return [python, "-m", "pipeline", command, "--config", str(config), "--date", day, "--tz", tz, "--json"]


def session_file(tree: Path, answer: dict[str, Any]) -> Path:
    """The main file of the day's last-starting session (the one a user is likely still writing to)."""
    sid = answer["sessions"][-1]["id"]
    return next(p for p in tree.rglob(f"{sid}.jsonl") if "subagents" not in p.parts)


def append_prompt(path: Path, day: str) -> tuple[int, int]:
    """Append one human prompt to the session file; return its old size and mtime to restore."""
    st = path.stat()
    line = {
        "type": "user",
        "uuid": "bench-appended-prompt",
        "parentUuid": None,
        "isSidechain": False,
        "sessionId": path.stem,
        "timestamp": f"{day}T23:30:00.000Z",
        "cwd": "/bench/appended",
        "message": {"role": "user", "content": "one more thing"},
    }
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(line) + "\n")
    return st.st_size, st.st_mtime_ns


def restore(path: Path, size: int, mtime_ns: int) -> None:
    with path.open("r+b") as fh:
        fh.truncate(size)
    os.utime(path, ns=(mtime_ns, mtime_ns))


def bench_size(mb: int, *, out: Path, day: str, runs: int, python: str, repo: Path) -> dict[str, Any]:
    tree = usage_tree(mb, out, day)
    config = out / f"cfg{mb}.toml"
    config.write_text(f'timezone = "UTC"\n[devices.bench]\nclaude = ["{tree}"]\n')
    cache = out / f"sessions-cache{mb}"
    env = dict(os.environ, DAILY_REPORT_CACHE_DIR=str(cache), PYTHONPATH=str(repo))
    modes: dict[str, list[dict[str, Any]]] = {
        k: [] for k in ("usage cold", "cold", "warm-index", "warm", "appended")
    }
    checks: list[str] = []
    for i in range(runs):
        shutil.rmtree(cache, ignore_errors=True)
        modes["usage cold"].append(measured(cmd(python, "usage", config, day), env))
        shutil.rmtree(cache, ignore_errors=True)
        cold = measured(cmd(python, "sessions", config, day), env)
        modes["cold"].append(cold)
        alias = UTC_ALIASES[i % len(UTC_ALIASES)]
        modes["warm-index"].append(measured(cmd(python, "sessions", config, day, alias), env))
        modes["warm"].append(measured(cmd(python, "sessions", config, day), env))
        target = session_file(tree, json.loads(cold["out"]))
        size, mtime = append_prompt(target, day)
        try:
            modes["appended"].append(measured(cmd(python, "sessions", config, day), env))
        finally:
            restore(target, size, mtime)
        base = json.loads(cold["out"])
        for mode in ("warm-index", "warm"):
            got = json.loads(modes[mode][-1]["out"])
            got["timezone"] = base["timezone"]
            checks.append("ok" if got == base else f"{mode} differs")
        grown = json.loads(modes["appended"][-1]["out"])
        before = {s["id"]: s["human_prompts"] for s in base["sessions"]}
        after = {s["id"]: s["human_prompts"] for s in grown["sessions"]}
        checks.append(
            "ok" if after.get(target.stem) == before.get(target.stem, 0) + 1 else "appended: no new prompt"
        )
    row: dict[str, Any] = {
        "mb": sum(p.stat().st_size for p in tree.rglob("*.jsonl")) / 1e6,
        "files": sum(1 for _ in tree.rglob("*.jsonl")),
        "sessions": len(json.loads(modes["cold"][0]["out"])["sessions"]),
        "check": "ok" if all(c == "ok" for c in checks) else "; ".join(sorted(set(checks) - {"ok"})),
    }
    for mode, results in modes.items():
        row[mode] = (
            min(r["wall"] for r in results),
            min(r["cpu"] for r in results),
            max(r["rss_kb"] for r in results) / 1024,
        )
    return row


def show(rows: list[dict[str, Any]]) -> None:
    for r in rows:
        print(
            f"tree {r['mb']:.0f} MB, {r['files']} files, {r['sessions']} sessions on the day; answers: {r['check']}"
        )
        usage_wall = r["usage cold"][0]
        print("  mode | wall s | cpu s | peak MB | wall / usage cold")
        for mode in ("usage cold", "cold", "warm-index", "warm", "appended"):
            wall, cpu, peak = r[mode]
            print(f"  {mode} | {wall:.2f} | {cpu:.2f} | {peak:.0f} | {wall / usage_wall:.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sizes", nargs="*", type=int, default=[200, 1024], help="Tree sizes in MB.")
    ap.add_argument("--out", type=Path, default=HERE / "out")
    ap.add_argument("--date", default="2026-03-10")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--python", default=sys.executable, help="The interpreter of the checkout to time.")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    repo = Path(args.python).absolute().parent.parent.parent  # <checkout>/.venv/bin/python
    print(f"cpus: {os.cpu_count()}, load average: {os.getloadavg()}, code: {repo}", flush=True)
    rows = [
        bench_size(mb, out=args.out, day=args.date, runs=args.runs, python=args.python, repo=repo)
        for mb in args.sizes
    ]
    show(rows)


if __name__ == "__main__":
    main()
