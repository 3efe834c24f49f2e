"""Time `daily-report usage --date D` cold and warm on synthetic Claude Code trees, beside ccusage.

    .venv/bin/python bench/bench_usage.py                 # 200 MB and 1 GB
    .venv/bin/python bench/bench_usage.py 50 200 --runs 5

For each size: generate the tree once (bench/out/tree<N>, deterministic), then
- ours cold: empty cache directory (no index, no memo) every run;
- ours warm-index: index filled, report memo missed on purpose (another name of UTC each run), so every
  file's usage comes from the index and dedup, aggregation and pricing run again;
- ours warm: nothing changed, the same command again (answered from the memo);
- ccusage 20.0.24 (`npm install --prefix bench ccusage@20.0.24`), `claude daily --json --offline -z UTC`
  with CLAUDE_CONFIG_DIR at the tree, when installed.
Each round runs ours cold, ccusage, ours warm-index and ours warm back to back, so that both tools see the
same load on a shared machine, then ours printing tables instead of JSON (cold in an emptied cache, then
warm: the memo answers JSON only, so warm tables are the index's memo plus rendering); wall times are the
best of ``--runs`` rounds. Peak RSS is the largest
process of the run, pool workers included. Our figures are checked against the generator's expected.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CCUSAGE = HERE / "node_modules" / ".bin" / "ccusage"
UTC_ALIASES = [
    "Etc/GMT",
    "Etc/GMT+0",
    "Etc/GMT-0",
    "Etc/Greenwich",
    "Etc/UCT",
    "Etc/Universal",
    "Etc/Zulu",
    "Etc/GMT0",
    "GMT",
    "UCT",
    "Universal",
    "Zulu",
]
FIELDS = ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens", "responses")

# Runs one command in a fresh process, so RUSAGE_CHILDREN covers exactly that command and its workers.
_WRAPPER = """
import json, resource, subprocess, sys, time
t = time.perf_counter()
p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
wall = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "rss_kb": ru.ru_maxrss, "cpu": ru.ru_utime + ru.ru_stime, "rc": p.returncode,
                  "out": p.stdout.decode(),
                  "err": p.stderr.decode()[-2000:]}))
"""


def measured(cmd: list[str], env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *cmd], env=env, capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(out.stdout)
    if result["rc"] != 0:
        raise SystemExit(f"{cmd[:4]} failed ({result['rc']}): {result['err']}")
    return result


def ensure_tree(mb: int, out: Path, day: str) -> Path:
    tree = out / f"tree{mb}"
    if not (tree / "expected.json").is_file():
        subprocess.run(
            [
                sys.executable,
                str(HERE / "gen_claude_tree.py"),
                "--mb",
                str(mb),
                "--out",
                str(tree),
                "--date",
                day,
            ],
            check=True,
        )
    return tree


def ours_cmd(config: Path, day: str, tz: str = "UTC", *, as_json: bool = True) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "pipeline",
        "usage",
        "--config",
        str(config),
        "--date",
        day,
        "--tz",
        tz,
    ]
    return [*cmd, "--json"] if as_json else cmd


def check(report: dict[str, Any], expected: dict[str, Any]) -> str:
    got = {m: [r[k] for k in FIELDS] for m, r in report["agents"]["claude_code"]["models"].items()}
    want = {m: [r[k] for k in FIELDS] for m, r in expected.items()}
    return "ok" if got == want else f"MISMATCH got {got} want {want}"


def bench_size(mb: int, *, out: Path, day: str, runs: int) -> dict[str, Any]:
    tree = ensure_tree(mb, out, day)
    size = sum(p.stat().st_size for p in tree.rglob("*.jsonl"))
    config = out / f"cfg{mb}.toml"
    config.write_text(f'timezone = "UTC"\n[devices.bench]\nclaude = ["{tree}"]\n')
    cache = out / f"cache{mb}"
    env = dict(os.environ, DAILY_REPORT_CACHE_DIR=str(cache), PYTHONPATH=str(REPO))
    compact = day.replace("-", "")
    cc_cmd = [str(CCUSAGE), "claude", "daily", "--json", "--offline", "-z", "UTC", "--since", compact]
    cc_cmd += ["--until", compact]
    cc_env = dict(os.environ, CLAUDE_CONFIG_DIR=str(tree))
    # One round: cold (empty cache), ccusage, warm-index (another alias of UTC), warm (same command).
    # Rounds interleave our runs with ccusage's, so both see the same load on a shared machine.
    # Then the same command printing tables instead of JSON (cold in its own empty cache, then warm).
    cold, warm_index, warm, cc, tables_cold, tables_warm = [], [], [], [], [], []
    for i in range(runs):
        shutil.rmtree(cache, ignore_errors=True)
        cold.append(measured(ours_cmd(config, day), env))
        if CCUSAGE.exists():
            cc.append(measured(cc_cmd, cc_env))
        warm_index.append(measured(ours_cmd(config, day, UTC_ALIASES[i % len(UTC_ALIASES)]), env))
        warm.append(measured(ours_cmd(config, day), env))
        shutil.rmtree(cache, ignore_errors=True)
        tables_cold.append(measured(ours_cmd(config, day, as_json=False), env))
        tables_warm.append(measured(ours_cmd(config, day, as_json=False), env))
    expected = json.loads((tree / "expected.json").read_text())[day]
    row: dict[str, Any] = {
        "mb": size / 1e6,
        "files": sum(1 for _ in tree.rglob("*.jsonl")),
        "cold": min(r["wall"] for r in cold),
        "cold_cpu": min(r["cpu"] for r in cold),
        "warm_index": min(r["wall"] for r in warm_index),
        "warm": min(r["wall"] for r in warm),
        "peak_mb": max(r["rss_kb"] for r in cold + warm_index + warm) / 1024,
        "tables_cold": min(r["wall"] for r in tables_cold),
        "tables_warm": min(r["wall"] for r in tables_warm),
        "check": check(json.loads(cold[0]["out"]), expected),
        "ccusage": None,
    }
    if cc:
        row["ccusage"] = min(r["wall"] for r in cc)
        row["ccusage_cpu"] = min(r["cpu"] for r in cc)
        row["ccusage_peak_mb"] = max(r["rss_kb"] for r in cc) / 1024
        row["ccusage_tokens"] = json.loads(cc[0]["out"])["totals"]["totalTokens"]
    row["our_tokens"] = json.loads(cold[0]["out"])["agents"]["claude_code"]["totals"]["total_tokens"]
    return row


def show(rows: list[dict[str, Any]]) -> None:
    head = (
        "tree MB",
        "files",
        "ours cold s",
        "warm-index s",
        "warm s",
        "ccusage s",
        "cold/cc",
        "warm-index/cc",
        "warm/cc",
        "peak MB",
        "cc peak MB",
        "figures",
    )
    print(" | ".join(head))
    for r in rows:
        cc = r["ccusage"]

        def ratio(x: float, cc: float | None = cc) -> str:
            return f"{x / cc:.2f}x" if cc else "-"

        print(
            " | ".join(
                [
                    f"{r['mb']:.0f}",
                    str(r["files"]),
                    f"{r['cold']:.2f}",
                    f"{r['warm_index']:.2f}",
                    f"{r['warm']:.2f}",
                    f"{cc:.2f}" if cc else "not installed",
                    ratio(r["cold"]),
                    ratio(r["warm_index"]),
                    ratio(r["warm"]),
                    f"{r['peak_mb']:.0f}",
                    f"{r.get('ccusage_peak_mb', 0):.0f}",
                    r["check"],
                ]
            )
        )
        if cc:
            print(
                f"    total tokens on the day: ours {r['our_tokens']:,} (= expected), ccusage {r['ccusage_tokens']:,}"
            )
            print(
                f"    CPU seconds (user+sys, best run) cold: ours {r['cold_cpu']:.2f}, ccusage {r['ccusage_cpu']:.2f}"
            )
        tables = f"    tables instead of --json: cold {r['tables_cold']:.2f} s ({ratio(r['tables_cold'])}), "
        print(tables + f"warm {r['tables_warm']:.2f} s ({ratio(r['tables_warm'])})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sizes", nargs="*", type=int, default=[200, 1024], help="Tree sizes in MB.")
    ap.add_argument("--out", type=Path, default=HERE / "out")
    ap.add_argument("--date", default="2026-03-10")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"cpus: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}", flush=True)
    rows = [bench_size(mb, out=args.out, day=args.date, runs=args.runs) for mb in args.sizes]
    show(rows)


if __name__ == "__main__":
    main()
