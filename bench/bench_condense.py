"""Condensation ratio on the shared samples: condensed tokens / raw transcript tokens (target <= 15%).

raw = o200k tokens of the JSONL files' bytes (a session's main file and its subagent files);
condensed = o200k tokens of the condensed, redacted turn text. Also prints where the condensed tokens go
by role, and what thinking would cost kept in full or dropped, to back the choice made in condense.py.
Usage: python bench/bench_condense.py [samples_dir]
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from daily_report.schemas.config import Config, DeviceConfig
from daily_report.schemas.transcript import Session
from daily_report.sources.discovery import discover
from daily_report.sources.reader import read_sessions
from daily_report.text.condense import THINKING_TOKENS, clean_text, condense_session
from daily_report.text.redact import Redactor
from daily_report.text.tokens import count_tokens

DEFAULT_SAMPLES = ROOT / "fixtures" / "samples"


def load(samples: Path) -> list[Session]:
    device = DeviceConfig(name="samples", claude=[samples / "claude-code"], codex=[samples / "codex"])
    config = Config(devices={"samples": device})
    return read_sessions(discover(config).files).sessions


def raw_tokens(session: Session) -> int:
    return sum(count_tokens(Path(f).read_bytes().decode("utf-8", "replace")) for f in session.files)


def thinking_sizes(session: Session) -> list[int]:
    return [
        count_tokens(clean_text(t.text)) + 6 for t in session.turns if t.role == "thinking" and t.text.strip()
    ]


def main() -> None:
    samples = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SAMPLES
    sessions = load(samples)
    redactor = Redactor()
    total_raw = total_cond = total_think_full = 0
    by_role: Counter[str] = Counter()
    think_sizes: list[int] = []
    took = 0.0
    print(f"{'session':40s} {'agent':12s} {'turns':>6s} {'raw':>9s} {'condensed':>9s} {'ratio':>7s}")
    for s in sessions:
        raw = raw_tokens(s)
        start = time.perf_counter()
        turns = condense_session(s, redactor=redactor)
        took += time.perf_counter() - start
        cond = sum(t.tokens for t in turns)
        for t in turns:
            by_role[t.role] += t.tokens
        total_raw += raw
        total_cond += cond
        sizes = thinking_sizes(s)
        think_sizes += sizes
        total_think_full += sum(sizes)
        main = [f for f in s.files if "/subagents/" not in f] or s.files or [s.id]
        name = Path(main[0]).name[:40]
        print(f"{name:40s} {s.agent:12s} {len(s.turns):6d} {raw:9d} {cond:9d} {cond / max(raw, 1):7.1%}")
    print(
        f"{'ALL':40s} {'':12s} {'':6s} {total_raw:9d} {total_cond:9d} {total_cond / max(total_raw, 1):7.1%}  (target <= 15%)"
    )
    print(f"condense time: {took:.2f} s for {len(sessions)} sessions")
    print(
        "condensed tokens by role: "
        + ", ".join(f"{k} {v} ({v / total_cond:.0%})" for k, v in by_role.most_common())
    )
    short = by_role.get("thinking", 0)
    full = total_cond - short + total_think_full
    drop = total_cond - short
    print(
        f"thinking: shortened (chosen) {total_cond / total_raw:.1%}; kept in full {full / total_raw:.1%} "
        f"(+{total_think_full - short} tokens); dropped {drop / total_raw:.1%} (-{short} tokens)"
    )
    over = [n for n in think_sizes if n > THINKING_TOKENS + 6]
    print(
        f"thinking turns: {len(think_sizes)}; {len(over)} longer than the {THINKING_TOKENS}-token cap, "
        f"losing {sum(n - THINKING_TOKENS for n in over)} of {sum(think_sizes)} thinking tokens"
    )
    print(f"redactions: {dict(sorted(redactor.counts.items()))}")


if __name__ == "__main__":
    main()
