"""The same figure is the same everywhere: the fixture day's sessions, usage tables and skipped lines as
``daily-report sessions``, ``daily-report usage`` and report.json show them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from tests.conftest import REPO

DAY_TOML = REPO / "fixtures" / "day" / "daily-report.toml"
DATE = "2026-03-17"
runner = CliRunner()


@pytest.fixture(scope="module")
def fixture_report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """report.json of a replay run of the fixture day (cache and index in a temporary dir)."""
    from pipeline.config import load_config
    from pipeline.engine import run_day
    from pipeline.runstate import RunOptions

    tmp = tmp_path_factory.mktemp("consistency")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAILY_REPORT_CACHE_DIR", str(tmp / "cache"))
        run_day(
            RunOptions(
                date=DATE,
                config=load_config(DAY_TOML),
                out_dir=tmp / "out",
                provider="replay",
                cache_path=tmp / "out" / "cache.sqlite3",
            )
        )
        yield json.loads((tmp / "out" / DATE / "report.json").read_text(encoding="utf-8"))


def _cli_json(*args: str) -> Any:
    result = runner.invoke(app, [*args, "--config", str(DAY_TOML), "--date", DATE, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_sessions_command_and_report_agree_on_every_session_figure(fixture_report: dict[str, Any]) -> None:
    cli = {r["id"]: r for r in _cli_json("sessions")["sessions"]}
    report = {s["session_id"]: s for s in fixture_report["sessions"]}
    assert set(report) <= set(cli) and report
    for sid, s in report.items():
        r = cli[sid]
        fields = ("human_prompts", "tool_calls", "subagent_tool_calls", "tool_errors", "models", "tokens")
        assert {k: r[k] for k in fields} == {k: s[k] for k in fields}, sid
        assert r["cost_usd"] == pytest.approx(s["cost_usd"]), sid
        assert r["spans_days"] == max(1, len(s["spans_days"])), sid
    long = report[next(k for k in report if k.startswith("7c1e4b2a"))]
    # the long session's Task subagent made tool calls of its own: counted, and said
    assert long["subagent_tool_calls"] > 0 and long["tool_calls"] > long["subagent_tool_calls"]


def test_sessions_table_shows_subagent_calls_apart() -> None:
    cli = {r["id"]: r for r in _cli_json("sessions")["sessions"]}
    r = cli[next(k for k in cli if k.startswith("7c1e4b2a"))]
    table = runner.invoke(app, ["sessions", "--config", str(DAY_TOML), "--date", DATE])
    assert table.exit_code == 0
    assert f"{r['tool_calls']} (+{r['subagent_tool_calls']} in subagents)" in table.stdout
