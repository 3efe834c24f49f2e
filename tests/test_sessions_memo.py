"""`sessions --date D --json` answers a repeated command from the memo with the same stdout and warnings,
and a changed transcript file is a miss that the full path answers."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from daily_report.cli.sessions_fast import parse_args
from daily_report.core.paths import FIXTURES_DIR


def _cli(args: list[str], cache: Path) -> subprocess.CompletedProcess[str]:
    env = {"DAILY_REPORT_CACHE_DIR": str(cache), "PATH": "/usr/bin:/bin", "HOME": str(cache)}
    return subprocess.run(
        [sys.executable, "-m", "daily_report", *args], capture_output=True, text=True, env=env, check=True
    )


def test_parse_args_takes_only_what_the_memo_can_answer() -> None:
    assert parse_args(["sessions", "--json", "--date", "2026-03-17"]) is not None
    assert parse_args(["sessions", "--date=2026-03-17", "--json", "--tz", "UTC"]).tz == "UTC"  # type: ignore[union-attr]
    assert parse_args(["sessions", "--date", "2026-03-17"]) is None  # tables: terminal-dependent
    assert parse_args(["sessions", "--json", "--date", "today"]) is None
    assert parse_args(["sessions", "--json", "--since", "2026-03-01"]) is None
    assert parse_args(["usage", "--json", "--date", "2026-03-17"]) is None


def test_a_repeated_command_is_answered_from_the_memo_and_a_changed_file_is_not(tmp_path: Path) -> None:
    day = tmp_path / "day"
    shutil.copytree(FIXTURES_DIR / "day", day)
    args = ["sessions", "--date", "2026-03-17", "--json", "--config", str(day / "daily-report.toml")]
    cache = tmp_path / "cache"
    first = _cli(args, cache)
    assert (cache / "sessions.sqlite3").is_file()
    second = _cli(args, cache)
    assert second.stdout == first.stdout and second.stderr == first.stderr
    assert "skipped" in first.stderr  # the fixture day's malformed line: said again on a hit

    transcript = next(p for p in day.rglob("*.jsonl") if "bob" in str(p))
    lines = transcript.read_text(encoding="utf-8").splitlines(keepends=True)
    transcript.write_text("".join(lines[:-3]), encoding="utf-8")  # the session lost its last lines
    third = _cli(args, cache)
    assert third.stdout != first.stdout


@pytest.mark.parametrize("broken", [b"not a database" * 10, b""])
def test_a_broken_memo_is_a_miss(tmp_path: Path, broken: bytes) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "sessions.sqlite3").write_bytes(broken)
    config = FIXTURES_DIR / "day" / "daily-report.toml"
    args = ["sessions", "--date", "2026-03-17", "--json", "--config", str(config)]
    got = _cli(args, cache)
    assert '"sessions"' in got.stdout
    _cli(args, cache)  # the broken file was dropped: this run stores its answer
    assert _cli(args, cache).stdout == got.stdout and (cache / "sessions.sqlite3").stat().st_size > len(
        broken
    )
