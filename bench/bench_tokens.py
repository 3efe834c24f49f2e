"""Tokens per report (issue 13, section 4): a dry run of each day of the shared samples with one model.

For each local (UTC) day with sessions in ``--samples`` (claude-code and codex trees), prints the
``run --dry-run --json`` totals (requests, input tokens with cache writes and reads, output, est. cost),
the share of input read from the prompt cache, the agents' own spend that day (``usage --date D --json``)
and the report's cost as a share of it; then the totals over all days. Prints figures; asserts nothing.

    .venv/bin/python bench/bench_tokens.py [--samples /work/shared/samples] [--model claude-haiku-4-5]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CLI = [sys.executable, "-m", "pipeline"]


def config_text(samples: Path, model: str, *, skip_one_question: bool = True) -> str:
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=Path, default=Path("/work/shared/samples"))
    ap.add_argument("--model", default="claude-haiku-4-5")
    ap.add_argument("--keep-one-question", action="store_true", help="chunk.skip_one_question = false")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "daily-report.toml"
        config.write_text(
            config_text(args.samples.resolve(), args.model, skip_one_question=not args.keep_one_question),
            encoding="utf-8",
        )
        head = f"{'day':<11} {'req':>4} {'input':>9} {'write':>8} {'read':>9} {'output':>7} {'cost':>8}"
        print(head + f" {'read %':>6} {'agents $':>9} {'report/agents':>13}")
        sums = dict.fromkeys(("requests", "input", "write", "read", "output", "cost", "spend"), 0.0)
        for day in days_of(config):
            est = cli_json(["run", "--date", day, "--config", str(config), "--dry-run", "--json"], Path(tmp))
            usage = cli_json(["usage", "--date", day, "--config", str(config), "--json"], Path(tmp))
            t = est["totals"]
            cost, spend = t["cost_usd"] or 0.0, usage.get("total_cost_usd") or 0.0
            row = (t["requests"], t["input_tokens"], t["cache_write_tokens"], t["cache_read_tokens"])
            for k, v in zip(("requests", "input", "write", "read"), row, strict=True):
                sums[k] += v
            sums["output"] += t["output_tokens"]
            sums["cost"] += cost
            sums["spend"] += spend
            share = t["cache_read_tokens"] / t["input_tokens"] if t["input_tokens"] else 0.0
            ratio = f"{cost / spend:.1%}" if spend else "-"
            print(
                f"{day:<11} {row[0]:>4} {row[1]:>9,} {row[2]:>8,} {row[3]:>9,} {t['output_tokens']:>7,}"
                f" {cost:>8.4f} {share:>6.0%} {spend:>9.2f} {ratio:>13}",
                flush=True,
            )
        share = sums["read"] / sums["input"] if sums["input"] else 0.0
        print(
            f"{'all':<11} {sums['requests']:>4.0f} {sums['input']:>9,.0f} {sums['write']:>8,.0f}"
            f" {sums['read']:>9,.0f} {sums['output']:>7,.0f} {sums['cost']:>8.4f} {share:>6.0%}"
            f" {sums['spend']:>9.2f} {sums['cost'] / sums['spend'] if sums['spend'] else 0:>13.1%}"
        )


if __name__ == "__main__":
    main()
