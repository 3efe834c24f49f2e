"""Tokens per report (issue 13, section 4): a dry run of each day of the shared samples with one model.

For each local (UTC) day with sessions in ``--samples`` (claude-code and codex trees), prints the
``run --dry-run --json`` totals (requests, input tokens with cache writes and reads, output, est. cost),
the share of input read from the prompt cache, the agents' own spend that day (``usage --date D --json``)
and the report's cost as a share of it; the day's raw transcript tokens (see ``raw_tokens``), the input tokens
planned and the condensed transcript (the chunks' text) as shares of them; then the
totals over all days and the tiny day (the cheapest day whose report covers one session). Prints
figures; asserts nothing.

    .venv/bin/python bench/bench_tokens.py [--samples /work/shared/samples] [--model claude-haiku-4-5]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CLI = [sys.executable, "-m", "pipeline"]


def config_text(
    samples: Path, model: str, *, skip_one_question: bool = True, ask_projects: bool = False
) -> str:
    return f"""timezone = "UTC"
cache_path = "cache/cache.sqlite3"
out_dir = "reports"

[devices.samples]
claude = ["{samples / "claude-code"}"]
codex = ["{samples / "codex"}"]

[llm]
provider = "anthropic"
model = "{model}"

[chunk]
skip_one_question = {"true" if skip_one_question else "false"}

[report]
ask_single_session_projects = {"true" if ask_projects else "false"}
"""


def days_of(config: Path) -> list[str]:
    from daily_report.core.config import load_config
    from daily_report.sources.reader import load_sessions

    sessions = load_sessions(load_config(config)).sessions
    return sorted({t.date().isoformat() for s in sessions for t in s.active_times()})


def cli_json(args: list[str], cwd: Path) -> dict:  # type: ignore[type-arg]
    proc = subprocess.run(CLI + args, capture_output=True, text=True, cwd=REPO, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)}: {proc.stderr.strip()[-500:]}")
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def _line_day(line: str) -> str | None:
    """The UTC date of a JSONL line's top-level ``timestamp``; None when it has none."""
    try:
        ts = json.loads(line).get("timestamp")
        return datetime.fromisoformat(str(ts).replace("Z", "+00:00")).date().isoformat() if ts else None
    except (ValueError, AttributeError):
        return None


def raw_tokens(files: set[str], day: str) -> int:
    """o200k tokens of the raw transcript lines of ``day`` (UTC) in these files: every line whose top-level
    ``timestamp`` falls on the day, and the lines without one (metadata) of a file that has lines on it."""
    from daily_report.text.tokens import count_tokens

    total = 0
    for path in sorted(files):
        lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
        dated = [(line, _line_day(line)) for line in lines if line.strip()]
        if not any(d == day for _, d in dated):
            continue
        total += sum(count_tokens(line) for line, d in dated if d in (day, None))
    return total


def transcript_sizes(config: Path, day: str) -> tuple[int, int, int]:
    """(sessions the report covers, raw tokens of every session active on the day, condensed tokens)."""
    from daily_report.core.config import load_config
    from daily_report.engine.plan import RunOptions, prepare_day

    cfg = load_config(config)
    plan = prepare_day(RunOptions(date=day, config_path=config, config=cfg), cfg)
    files = {f for s in plan.all_sessions for f in s.files}
    condensed = sum(c.tokens for sp in plan.sessions for c in sp.chunks)
    return len(plan.sessions), raw_tokens(files, day), condensed


COLUMNS = (
    f"{'day':<11} {'ses':>3} {'req':>4} {'input':>9} {'write':>8} {'read':>9} {'output':>7} {'cost':>8}"
    f" {'read %':>6} {'agents $':>9} {'rep/agents':>10} {'raw':>10} {'plan/raw':>8} {'cond/raw':>8}"
)


def row_text(day: str, r: dict[str, Any]) -> str:
    ratio = f"{r['cost'] / r['spend']:.1%}" if r["spend"] else "-"
    share = r["read"] / r["input"] if r["input"] else 0.0
    raw = r["raw"] or 1
    return (
        f"{day:<11} {r['sessions']:>3.0f} {r['requests']:>4.0f} {r['input']:>9,.0f} {r['write']:>8,.0f}"
        f" {r['read']:>9,.0f} {r['output']:>7,.0f} {r['cost']:>8.4f} {share:>6.0%} {r['spend']:>9.2f}"
        f" {ratio:>10} {r['raw']:>10,.0f} {r['input'] / raw:>8.3f} {r['condensed'] / raw:>8.3f}"
    )


def day_row(config: Path, day: str, tmp: Path) -> dict[str, Any]:
    est = cli_json(["run", "--date", day, "--config", str(config), "--dry-run", "--json"], tmp)
    usage = cli_json(["usage", "--date", day, "--config", str(config), "--json"], tmp)
    t = est["totals"]
    sessions, raw, condensed = transcript_sizes(config, day)
    return {
        "sessions": sessions,
        "requests": t["requests"],
        "input": t["input_tokens"],
        "write": t["cache_write_tokens"],
        "read": t["cache_read_tokens"],
        "output": t["output_tokens"],
        "cost": t["cost_usd"] or 0.0,
        "spend": usage.get("total_cost_usd") or 0.0,
        "raw": raw,
        "condensed": condensed,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=Path, default=Path("/work/shared/samples"))
    ap.add_argument("--model", default="claude-haiku-4-5")
    ap.add_argument("--keep-one-question", action="store_true", help="chunk.skip_one_question = false")
    ap.add_argument(
        "--ask-projects",
        action="store_true",
        help="report.ask_single_session_projects = true (old behaviour)",
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "daily-report.toml"
        config.write_text(
            config_text(
                args.samples.resolve(),
                args.model,
                skip_one_question=not args.keep_one_question,
                ask_projects=args.ask_projects,
            ),
            encoding="utf-8",
        )
        print(COLUMNS)
        rows = {}
        for day in days_of(config):
            rows[day] = day_row(config, day, Path(tmp))
            print(row_text(day, rows[day]), flush=True)
        sums = {k: sum(r[k] for r in rows.values()) for k in next(iter(rows.values()))}
        print(row_text("all", sums))
        tiny = [d for d, r in rows.items() if r["sessions"] == 1]
        if tiny:
            day = min(tiny, key=lambda d: rows[d]["cost"])
            print(row_text("tiny day", rows[day]) + f"  ({day})")


if __name__ == "__main__":
    main()
