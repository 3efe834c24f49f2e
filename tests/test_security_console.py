"""Security review: error and failure text prints literally (no rich markup) and exit codes stay right."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from daily_report.cli import usage_cmd, usage_render
from daily_report.cli.app import app
from daily_report.core.errors import ConfigError
from daily_report.schemas.report import Failure
from daily_report.schemas.transcript import UnreadFile
from daily_report.schemas.usage import UsageReport
from typer.testing import CliRunner

NASTY = (
    "wrote to [/tmp] then [devices] failed: field required [type=missing, input_value={}, input_type=dict]"
)
runner = CliRunner()


def fake_result(failures: list[Failure]) -> SimpleNamespace:
    return SimpleNamespace(
        dry_run=False,
        generation=None,
        sessions=1,
        chunks=1,
        skipped_sessions={"[bad]": 1},
        failures=failures,
        imported=0,
        exported=None,
        pending=0,
        batch_running=False,
        halted=None,
        unread_files=[UnreadFile(path="/tmp/[bold]x[/bold].jsonl", reason="permission denied")],
        paths={"markdown": Path("/tmp/[x]/report.md")},
    )


def test_failures_print_literally_and_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    failure = Failure(stage="tasks", label="tasks/[s1]/chunk-0", error=NASTY)

    def run_day(opts: Any) -> SimpleNamespace:
        return fake_result([failure])

    monkeypatch.setattr("daily_report.engine.run.run_day", run_day)
    result = runner.invoke(app, ["run", "--date", "2026-03-17"])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert NASTY in result.output
    assert "tasks/[s1]/chunk-0" in result.output
    assert "1 failed requests:" in result.output
    assert "/tmp/[x]/report.md" in result.output
    assert "skipped: [bad] 1" in result.output
    assert "/tmp/[bold]x[/bold].jsonl: permission denied" in result.output


def test_library_error_prints_literally_and_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    def run_day(opts: Any) -> SimpleNamespace:
        raise ConfigError(NASTY)

    monkeypatch.setattr("daily_report.engine.run.run_day", run_day)
    result = runner.invoke(app, ["run", "--date", "2026-03-17"])
    assert result.exit_code == 2, result.output
    assert f"error: {NASTY}" in " ".join(result.output.split())


def test_usage_error_prints_literally(capsys: pytest.CaptureFixture[str]) -> None:
    @usage_cmd.cli_errors
    def failing() -> None:
        raise ConfigError(NASTY)

    with pytest.raises(Exception) as info:
        failing()
    assert getattr(info.value, "exit_code", None) == 2
    assert NASTY in " ".join(capsys.readouterr().err.split())


def test_usage_notes_print_literally(capsys: pytest.CaptureFixture[str]) -> None:
    report = UsageReport(date="2026-03-17", timezone="UTC", notes=[NASTY])
    usage_render.render_day(report)
    assert f"note: {NASTY}" in " ".join(capsys.readouterr().out.split())
