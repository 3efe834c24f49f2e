"""ccusage's habits in `usage` and `sessions`: --since alone runs to today, a range lists only active days and
ends with totals, -z/--timezone, --date today/yesterday; the light (no typer) path and the typer one agree."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from daily_report.cli import usage_fast
from daily_report.cli.app import app
from typer.testing import CliRunner

from tests.test_usage_cli import write_config

runner = CliRunner()


@pytest.fixture
def cfg(samples: Path, tmp_path: Path) -> Path:
    return write_config(tmp_path, {"A": {"claude": [samples / "claude-code"], "codex": [samples / "codex"]}})


def typer_out(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.stderr + result.stdout
    return result.stdout


def light_out(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert usage_fast.run_light(list(args))
    return capsys.readouterr().out


def test_range_json_is_active_days_and_totals(cfg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["usage", "--config", str(cfg), "--since", "2025-01-01", "--until", "2026-12-31", "--json"]
    data = json.loads(typer_out(*args))
    assert list(data) == ["since", "until", "timezone", "days", "totals"]
    assert (data["since"], data["until"], data["timezone"]) == ("2025-01-01", "2026-12-31", "UTC")
    dates = [d["date"] for d in data["days"]]
    assert len(dates) == 9 and dates == sorted(dates) and "2026-02-12" in dates  # of 730 days asked for
    single = json.loads(typer_out("usage", "--config", str(cfg), "--date", "2026-02-12", "--json"))
    assert data["days"][dates.index("2026-02-12")] == single  # each day is the --date object
    totals = data["totals"]
    claude = sum(d["agents"]["claude_code"]["totals"]["total_tokens"] for d in data["days"])
    codex = sum(d["agents"]["codex"]["totals"]["total_tokens"] for d in data["days"])
    assert (
        totals["agents"]["claude_code"]["total_tokens"] == claude and totals["total_tokens"] == claude + codex
    )
    assert totals["days"] == 9
    # the dated gateway model is priced as its family, so the range's total is the sum of the days'
    assert totals["unpriced_models"] == []
    day_costs = [d["total_cost_usd"] for d in data["days"]]
    assert totals["total_cost_usd"] == pytest.approx(sum(day_costs))
    assert json.loads(light_out(capsys, *args)) == data  # the light path gives the same answer


def test_range_table_lists_active_days_then_a_totals_row(
    cfg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["usage", "--config", str(cfg), "--since", "2025-01-01", "--until", "2026-12-31", "-z", "UTC"]
    table = light_out(capsys, *args)
    rows = [line for line in table.splitlines() if line.startswith("│")]
    assert len(rows) == 10 and rows[-1].startswith("│ Total (9 days)")
    assert "2026-03-01" not in table and "│ 2026-05-11" in table
    assert "30,569,303" in rows[-1]  # the Claude Code tokens of the 9 days
    assert typer_out(*args) == table


def test_since_alone_runs_to_today(cfg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    today = datetime.now(ZoneInfo("Asia/Tokyo")).date().isoformat()
    for runner_out in (typer_out, lambda *a: light_out(capsys, *a)):
        data = json.loads(
            runner_out(
                "usage", "--config", str(cfg), "--since", "2026-05-01", "--timezone", "Asia/Tokyo", "--json"
            )
        )
        assert (data["since"], data["until"], data["timezone"]) == ("2026-05-01", today, "Asia/Tokyo")
        assert [d["date"] for d in data["days"]] == ["2026-05-11"]


def test_date_today_and_yesterday(cfg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    now = datetime.now(ZoneInfo("Pacific/Kiritimati")).date()  # UTC+14: a zone where "today" differs most
    for word, day in (("today", now), ("yesterday", now - timedelta(days=1))):
        args = ["usage", "--config", str(cfg), "--date", word, "-z", "Pacific/Kiritimati", "--json"]
        assert json.loads(light_out(capsys, *args))["date"] == day.isoformat()
        assert json.loads(typer_out(*args))["date"] == day.isoformat()
        sessions = json.loads(typer_out("sessions", "--config", str(cfg), "--date", word, "--json"))
        assert sessions["date"] == (datetime.now(ZoneInfo("UTC")).date() - (now - day)).isoformat()
    bad = runner.invoke(app, ["usage", "--config", str(cfg), "--date", "tomorrow"])
    assert bad.exit_code == 2 and "YYYY-MM-DD, today or yesterday" in bad.stderr


def test_sessions_range_has_a_date_column_and_totals(cfg: Path) -> None:
    args = ["sessions", "--config", str(cfg), "--since", "2026-01-01", "--until", "2026-02-28", "-z", "UTC"]
    data = json.loads(typer_out(*args, "--json"))
    assert (data["since"], data["until"]) == ("2026-01-01", "2026-02-28")
    assert [s["date"] for s in data["sessions"]] == sorted(s["date"] for s in data["sessions"])
    assert data["totals"]["sessions"] == len(data["sessions"]) == 7
    assert data["totals"]["tokens"] == sum(s["tokens"] for s in data["sessions"])
    costs = [s["cost_usd"] for s in data["sessions"]]
    assert None not in costs and data["totals"]["cost_usd"] == pytest.approx(sum(costs))
    table = typer_out(*args)
    assert "Total (7" in table and "│ Date" in table.replace("┃", "│")
    day = json.loads(
        typer_out("sessions", "--config", str(cfg), "--date", "2026-02-12", "--tz", "UTC", "--json")
    )
    assert day["totals"] == {"sessions": 2, "tokens": 30_006_663, "cost_usd": pytest.approx(16.28626735)}
