"""The warm `usage --json` answer (daily_report.usage.quick): the same bytes as the full path, and only when
nothing that decides them changed."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from daily_report.cli import usage_fast
from daily_report.cli.app import app
from daily_report.core.config import find_config
from daily_report.core.errors import ConfigError
from daily_report.usage import quick
from typer.testing import CliRunner

from tests.test_usage_cli import claude_tree, write_config

runner = CliRunner()
DAY = ["--date", "2026-02-12"]


@pytest.fixture
def cfg(samples: Path, tmp_path: Path) -> Path:
    tree = claude_tree(samples, tmp_path / "dcc")
    return write_config(tmp_path, {"DCC": {"claude": [tree], "codex": [samples / "codex"]}})


def spread_tree(samples: Path, dest: Path) -> Path:
    """A .claude tree with usage on each of 90 days: a sample's first responses, copied to every day (new
    ids, the timestamp moved), so a range's JSON is longer than a pipe buffer."""
    import json
    from datetime import date, timedelta

    src = (
        samples
        / "claude-code"
        / "projects"
        / "-Users-user-repo"
        / "9eda1058-9706-484a-b992-d03f9cfa2546.jsonl"
    )
    lines = [json.loads(x) for x in src.read_text(encoding="utf-8").splitlines() if '"usage"' in x]
    lines = [x for x in lines if x.get("type") == "assistant"][:3]
    out = []
    for k in range(90):
        day = (date(2026, 1, 1) + timedelta(days=k)).isoformat()
        for line in lines:
            msg = {**line["message"], "id": f"{line['message']['id']}-{k}"}
            out.append(json.dumps({**line, "message": msg, "timestamp": f"{day}T12:00:00.000Z"}))
    project = dest / ".claude" / "projects" / "-spread"
    project.mkdir(parents=True)
    (project / "9eda1058-9706-484a-b992-d03f9cfa2546.jsonl").write_text(
        "\n".join(out) + "\n", encoding="utf-8"
    )
    return dest / ".claude"


def full(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.stderr + result.stdout
    return result.stdout


def quick_out(capsys: pytest.CaptureFixture[str], *args: str) -> str | None:
    capsys.readouterr()
    answered = usage_fast.answer(list(args))
    out = capsys.readouterr().out
    assert answered or out == ""
    return out if answered else None


def test_parse_args() -> None:
    assert usage_fast.parse_args(["usage", "--date", "2026-01-02", "--json"]) == usage_fast.Request(
        date="2026-01-02", as_json=True
    )
    assert usage_fast.parse_args(
        ["usage", "--config=a.toml", "--tz", "UTC", "--since", "x"]
    ) == usage_fast.Request(since="x", config="a.toml", tz="UTC")
    for argv in (
        [],
        ["run", "--json"],
        ["usage", "--debug"],
        ["usage", "--help"],
        ["usage", "--date"],
        ["usage", "--date", "--json"],
        ["usage", "--date", "a", "--date", "b"],
        ["usage", "--date="],
        ["--debug", "usage", "--json"],
    ):
        assert usage_fast.parse_args(argv) is None, argv


def test_the_memo_keys_on_the_loaders_own_find_config_which_imports_no_pydantic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cfg: Path
) -> None:
    import subprocess
    import sys

    import daily_report.core.config

    assert quick.find_config is daily_report.core.config.find_config  # one search order, not a copy
    probe = "import sys, daily_report.core.config, daily_report.usage.quick; print('pydantic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    monkeypatch.setenv("DAILY_REPORT_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError):
        find_config(None)
    # a missing config is a miss for the memo (the full path reports it), never an exception
    assert quick.lookup(config_option=None, tz_option=None, days_in=lambda z: None, ranged=False) is None


def test_warm_answer_is_the_full_output_and_follows_changes(
    cfg: Path, samples: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["usage", "--config", str(cfg), *DAY, "--json"]
    assert quick_out(capsys, *args) is None  # nothing remembered yet
    first = full(*args)
    assert quick_out(capsys, *args) == first
    ranged = ["usage", "--config", str(cfg), "--since", "2026-02-11", "--until", "2026-02-12", "--json"]
    assert quick_out(capsys, *ranged) is None
    assert quick_out(capsys, *ranged[:-1]) is None  # tables: always the full path
    assert quick_out(capsys, *args, "--tz", "Asia/Shanghai") is None  # another zone
    assert quick_out(capsys, *ranged) is None
    assert quick_out(capsys, *ranged) is None
    full(*ranged)
    assert quick_out(capsys, *ranged) == full(*ranged)
    # a changed transcript (size or mtime) is a miss
    target = next((tmp_path / "dcc" / "projects").rglob("4d5611e5*.jsonl"))
    data = target.read_bytes()
    target.unlink()  # the tree links the samples: write a copy, then give it another mtime
    target.write_bytes(data)
    os.utime(target, ns=(1, 2))
    assert quick_out(capsys, *args) is None
    assert full(*args) == first  # same figures: the lines did not change
    assert quick_out(capsys, *args) == first
    # a changed config (another device name) is a miss
    cfg.write_text(cfg.read_text().replace("[devices.DCC]", "[devices.laptop]"))
    assert quick_out(capsys, *args) is None
    assert '"laptop"' in full(*args) and '"laptop"' in (quick_out(capsys, *args) or "")


def test_warnings_are_given_again(
    samples: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    missing = tmp_path / "nowhere" / ".claude"
    cfg = write_config(tmp_path, {"DCC": {"claude": [missing], "codex": [samples / "codex"]}})
    args = ["usage", "--config", str(cfg), "--date", "2026-05-11", "--json"]
    first = full(*args)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="daily_report"):
        assert quick_out(capsys, *args) == first
    assert [r.getMessage() for r in caplog.records] == [
        f"claude_code root {missing} does not exist or cannot be read"
    ]


def test_console_entry_runs_usage_json_without_typer(
    cfg: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import daily_report.cli.app as cli
    from daily_report.cli import usage_fast as runner

    args = ["usage", "--config", str(cfg), *DAY, "--json"]
    expected = full(*args)

    def no_app() -> None:
        raise AssertionError("the typer app was built for usage --json")

    monkeypatch.setattr(cli, "build_app", no_app)
    monkeypatch.delattr(cli, "app", raising=False)
    monkeypatch.setattr("sys.argv", ["daily-report", *args])
    monkeypatch.setenv("DAILY_REPORT_CACHE_DIR", str(tmp_path / "empty-cache"))
    capsys.readouterr()
    assert quick_out(capsys, *args) is None
    cli.run()  # cold: the light runner
    assert capsys.readouterr().out == expected
    cli.run()  # the quick answer
    assert capsys.readouterr().out == expected
    calls: list[object] = []
    real = runner.run_usage
    monkeypatch.setattr(runner, "run_usage", lambda **kw: calls.append(kw))
    cli.run()
    assert calls == []  # answered before the runner
    monkeypatch.setattr(runner, "run_usage", real)
    bad = ["daily-report", "usage", "--config", str(cfg), "--date", "2026-13-45", "--json"]
    monkeypatch.setattr("sys.argv", bad)
    with pytest.raises(SystemExit) as failed:
        cli.run()
    assert failed.value.code == 2 and "YYYY-MM-DD" in capsys.readouterr().err
    monkeypatch.setattr("sys.argv", ["daily-report", "usage", "--config", "[x]/none.toml", "--json"])
    with pytest.raises(SystemExit) as missing:
        cli.run()  # the message holds rich markup characters: printed as they are
    assert missing.value.code == 2 and "[x]/none.toml" in capsys.readouterr().err


def test_console_entry_ends_quickly_with_everything_written(cfg: Path, samples: Path, tmp_path: Path) -> None:
    """`python -m pipeline` (as `daily-report`) skips the interpreter's teardown after a light usage run:
    its output (JSON and tables), warnings and exit codes are the typer command's, cold and warm."""
    import subprocess
    import sys

    env = dict(os.environ, DAILY_REPORT_CACHE_DIR=str(tmp_path / "cache"))

    def entry(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "daily_report", *args]
        return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)

    spread = write_config(
        tmp_path / "spread", {"DCC": {"claude": [spread_tree(samples, tmp_path / "spread")]}}
    )
    ranged = ["usage", "--config", str(spread), "--since", "2026-01-01", "--until", "2026-03-31", "--json"]
    expected = full(*ranged)
    assert len(expected) > 70_000  # 90 active days of reports: more than one pipe buffer
    tables = ["usage", "--config", str(cfg), *DAY]
    for _ in ("cold", "warm"):
        done = entry(*ranged)
        assert (done.returncode, done.stdout) == (0, expected)
        done = entry(*tables)
        assert (done.returncode, done.stdout) == (0, full(*tables))
    bad = entry("usage", "--config", str(cfg), "--date", "2026-13-45", "--json")
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr and bad.stdout == ""
    missing = tmp_path / "nowhere" / ".claude"
    (tmp_path / "part").mkdir()
    part = write_config(tmp_path / "part", {"DCC": {"claude": [missing], "codex": [samples / "codex"]}})
    for _ in ("cold", "warm"):
        done = entry("usage", "--config", str(part), "--date", "2026-05-11", "--json")
        assert done.returncode == 0 and f"root {missing} does not exist" in done.stderr


def test_a_reader_that_goes_away_ends_the_run_quietly(cfg: Path, tmp_path: Path) -> None:
    """`daily-report usage --json | true` (a reader gone before the output): exit 1 without a traceback,
    as the typer command."""
    import subprocess
    import sys

    env = dict(os.environ, DAILY_REPORT_CACHE_DIR=str(tmp_path / "cache"))
    args = ["usage", "--config", str(cfg), "--since", "2026-01-01", "--until", "2026-03-31", "--json"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "daily_report", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # gone before anything is written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1
    assert "Traceback" not in err and "BrokenPipe" not in err


def test_ctrl_c_in_the_light_runner_ends_as_the_typer_command_does(
    cfg: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(**kw: object) -> None:
        raise KeyboardInterrupt

    args = ["usage", "--config", str(cfg), *DAY]
    monkeypatch.setattr(usage_fast, "run_usage", interrupted)
    import daily_report.cli.usage_cmd as usage_cmd

    monkeypatch.setattr(usage_cmd, "run_usage", interrupted)
    typer_result = runner.invoke(app, args)
    capsys.readouterr()
    with pytest.raises(SystemExit) as light:
        usage_fast.run_light(args)
    assert light.value.code == typer_result.exit_code == 130
    assert capsys.readouterr().err == typer_result.stderr == ""


def test_tables_run_without_typer_and_print_what_the_typer_command_prints(
    cfg: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import daily_report.cli.app as cli

    for args in (
        ["usage", "--config", str(cfg), *DAY],
        ["usage", "--config", str(cfg), "--since", "2026-02-11", "--until", "2026-02-12"],
    ):
        expected = full(*args)
        assert "Token Usage" in expected

        def no_app() -> None:
            raise AssertionError("the typer app was built for usage tables")

        with monkeypatch.context() as m:
            m.setattr(cli, "build_app", no_app)
            m.delattr(cli, "app", raising=False)
            m.setattr("sys.argv", ["daily-report", *args])
            m.setenv("DAILY_REPORT_CACHE_DIR", str(tmp_path / "cache"))
            capsys.readouterr()
            assert cli.run() is True
            assert capsys.readouterr().out == expected
    assert usage_fast.answer(["usage", "--config", str(cfg), *DAY]) is False  # the memo answers JSON only


def test_the_warm_memo_key_follows_every_agents_default_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a config the default roots are the agents' homes that exist: a new ~/.gemini must miss the memo."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("CLAUDE_CONFIG_DIR", raising=False)
    monkeypatch.delenv("DAILY_REPORT_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".claude").mkdir()
    before = quick.context_key(None, None)
    (tmp_path / ".gemini").mkdir()
    assert quick.context_key(None, None) != before
