"""Quiet output: plain stderr gets a progress line per 10% (and every failure), replay prints one line
instead of a $0 table, and boolean options are plain flags."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from daily_report.cli.console import Throttle

from tests.test_run_day import invoke


def _done(done: int, total: int = 45, status: str = "ok") -> dict[str, Any]:
    return {"done": done, "total": total, "status": status}


def test_plain_progress_is_throttled_but_failures_show_at_once() -> None:
    now = [0.0]
    throttle = Throttle(clock=lambda: now[0])
    shown = [n for n in range(1, 46) if throttle.due(_done(n))]
    assert shown == [5, 10, 15, 20, 25, 30, 35, 40, 45]
    throttle = Throttle(clock=lambda: now[0])
    assert throttle.due(_done(1, status="failed"))
    assert not throttle.due(_done(2))
    now[0] = 11.0  # ten seconds without a line: one more
    assert throttle.due(_done(3)) and not throttle.due(_done(4))


def test_the_demo_prints_few_lines_and_no_cost_table_for_replay(tmp_path: Path) -> None:
    result = invoke("demo", "--out", str(tmp_path / "demo"))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "est. cost" not in result.output and "estimate: replay" not in result.output
    replay = [line for line in lines if line.startswith("replay: ")]
    # 8 chunks' bundled requests (40 answers), the reduce, 2 projects (the two one-session projects need
    # none), the overview
    assert len(replay) == 1 and "12 requests, answers from " in replay[0]
    calls = [line for line in lines if line.startswith("calls ")]
    assert 1 <= len(calls) <= 11 and calls[-1].startswith("calls 44/44")


def test_boolean_options_are_plain_flags() -> None:
    for command in ("run", "cost", "eval"):
        help_text = invoke(command, "--help").output
        options = [line for line in help_text.splitlines() if "--" in line and "--help" not in line]
        assert options and not [line for line in options if "<bool>" in line], command
    assert "--dry-run" in invoke("run", "--help").output
