"""A newcomer's first hour (issue 12): range runs, init, version and help, completion, --open, one-line errors,
no pointer to a config that does not exist, no Codex warning for a Claude-only user, no ledger rows for
nothing sent."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from daily_report.cli.app import app
from daily_report.cli.run_cmd import DEMO_CONFIG
from daily_report.core.config import load_config
from typer.testing import CliRunner

from tests.test_run_day import invoke, make_day, run_args

runner = CliRunner()


def test_range_run_plans_every_day_shows_one_estimate_then_writes_each_active_day(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    args = ["run", "--since", "2026-03-15", "--until", "2026-03-18", "--config", str(DEMO_CONFIG)]
    dry = invoke(*args, "--out", str(out), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.output.count("replay: 14 requests") == 1 and "dry run: nothing was sent" in dry.output
    assert not out.exists()
    result = invoke(*args, "--out", str(out))
    text = result.output
    assert result.exit_code == 1, text  # 2026-03-18 has no replay answers: its requests failed
    assert "2 of 4 days from 2026-03-15 to 2026-03-18 have sessions: 2026-03-17, 2026-03-18" in text
    assert text.count("replay: 14 requests") == 1  # one estimate for the whole range ...
    assert text.index("replay: 14 requests") < text.index("day 1/2: 2026-03-17 (6 sessions)")  # ... first
    assert text.index("day 1/2: 2026-03-17") < text.index("day 2/2: 2026-03-18 (1 session)")
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["2026-03-17", "2026-03-18"]
    for day in ("2026-03-17", "2026-03-18"):
        assert (out / day / "report.html").is_file() and f"{out / day / 'report.html'}" in text
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "2026-03-17/report.html" in index and "2026-03-18/report.html" in index
    assert text.rstrip().endswith(f"index: {out / 'index.html'}")


def test_range_with_no_active_day_is_one_line(tmp_path: Path) -> None:
    args = ["run", "--since", "2026-03-01", "--until", "2026-03-05", "--config", str(DEMO_CONFIG)]
    result = invoke(*args, "--out", str(tmp_path / "r"))
    assert result.exit_code == 2 and "no sessions to report from 2026-03-01 to 2026-03-05" in result.output


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home of its own, no config in the working directory, no $CLAUDE_CONFIG_DIR."""
    h = tmp_path / "home"
    h.mkdir()
    monkeypatch.setenv("HOME", str(h))
    monkeypatch.delenv("CLAUDE_CONFIG_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    return h


def test_init_writes_the_roots_found_the_zone_and_examples_and_never_overwrites(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (home / ".claude" / "projects").mkdir(parents=True)
    (home / ".codex" / "sessions").mkdir(parents=True)
    extra = tmp_path / "work-claude"
    extra.mkdir()
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(extra))
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    result = invoke("init")
    assert result.exit_code == 0, result.output
    path = tmp_path / "daily-report.toml"
    text = path.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert data["timezone"] == "Asia/Tokyo"
    (device,) = data["devices"].values()
    assert device == {"claude": [str(extra), str(home / ".claude")], "codex": [str(home / ".codex")]}
    assert "# [devices.cluster]" in text and "rsync" in text  # commented examples for more devices
    assert "gemini" not in text  # no ~/.gemini here
    (home / ".gemini").mkdir()
    with_gemini = invoke("init", "--path", str(tmp_path / "g.toml"))
    assert with_gemini.exit_code == 0
    written = tomllib.loads((tmp_path / "g.toml").read_text(encoding="utf-8"))
    assert next(iter(written["devices"].values()))["gemini"] == [str(home / ".gemini")]  # a real key, read
    config = load_config(path)
    assert next(iter(config.devices.values())).roots["claude_code"][1] == home / ".claude"
    again = invoke("init")
    assert again.exit_code == 2 and "already exists" in again.output
    assert path.read_text(encoding="utf-8") == text


def test_version_help_and_completion() -> None:
    version = invoke("--version")
    assert version.exit_code == 0 and version.output.startswith("daily-report ")
    for args in (["-h"], ["run", "-h"], ["usage", "-h"]):
        result = invoke(*args)
        assert result.exit_code == 0 and "Usage: daily-report" in result.output, args
    assert "--install-completion" in invoke("--help").output
    # the shell asks through the completion variable (what --install-completion sets up)
    for words, expected in (("daily-report ru", "run"), ("daily-report run --si", "--since")):
        env = {
            "_DAILY_REPORT_COMPLETE": "complete_bash",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(words.split()) - 1),
        }
        asked = runner.invoke(app, [], env=env, prog_name="daily-report")
        assert asked.exit_code == 0 and asked.output.split() == [expected], asked.output


def test_demo_open_starts_the_browser_on_the_report(tmp_path: Path) -> None:
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "fake-browser"
    browser.write_text(f'#!/bin/sh\necho "$1" >> "{opened}"\n', encoding="utf-8")
    browser.chmod(0o755)
    env = dict(os.environ, BROWSER=str(browser), DAILY_REPORT_CACHE_DIR=str(tmp_path / "cache"))
    cmd = [sys.executable, "-m", "daily_report", "demo", "--out", str(tmp_path / "demo"), "--open"]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = tmp_path / "demo" / "2026-03-17" / "report.html"
    assert opened.read_text(encoding="utf-8").split() == [report.resolve().as_uri()]


def test_eval_with_an_unknown_provider_is_one_line() -> None:
    result = invoke("eval", "--provider", "nonsense")
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "unknown provider 'nonsense'" in result.output


@pytest.mark.parametrize("value", ["0", "-1"])
def test_max_cost_must_be_above_zero(value: str) -> None:
    result = invoke("run", "--date", "2026-03-17", "--config", str(DEMO_CONFIG), "--max-cost", value)
    assert result.exit_code == 2 and "must be above 0" in result.output


def test_a_budget_in_the_config_must_be_above_zero_too(tmp_path: Path) -> None:
    from daily_report.core.errors import ConfigError

    path = tmp_path / "daily-report.toml"
    path.write_text("[llm]\nmax_cost_usd = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="max_cost_usd"):
        load_config(path)


def test_no_config_and_no_home_roots_points_to_init_not_a_missing_file(home: Path) -> None:
    result = invoke("usage", "--date", "2026-03-17")
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0  # the error only: no warning per missing root
    assert "daily-report init" in result.output and "check the [devices] paths" not in result.output


def test_a_claude_only_user_gets_no_codex_warning(home: Path) -> None:
    (home / ".claude" / "projects").mkdir(parents=True)
    for args in (["usage", "--date", "2026-03-17"], ["sessions", "--date", "2026-03-17"]):
        result = invoke(*args)
        assert result.exit_code == 0, result.output
        assert "codex" not in result.stderr.lower() and "warning" not in result.stderr.lower()


def test_a_keyless_run_that_sent_nothing_writes_no_ledger_rows(tmp_path: Path) -> None:
    config = make_day(tmp_path, provider="anthropic", base_url="")
    result = invoke(*run_args(config))
    assert result.exit_code == 2 and "ANTHROPIC_API_KEY is not set" in result.output
    db = tmp_path / "cache.sqlite3"  # the config's cache_path: the ledger lives beside the cache
    assert db.is_file()
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM ledger").fetchone()[0] == 0
    costs = json.loads(invoke("cost", "--all", "--json", "--config", str(config)).stdout)
    assert all(row["errors"] == 0 for row in costs["rows"])
