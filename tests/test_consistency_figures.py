"""The same figure is the same everywhere: the fixture day's sessions, usage tables and skipped lines as
``daily-report sessions``, ``daily-report usage`` and report.json show them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from daily_report.cli.app import app
from typer.testing import CliRunner

from tests.conftest import REPO

DAY_TOML = REPO / "fixtures" / "day" / "daily-report.toml"
DATE = "2026-03-17"
runner = CliRunner()


@pytest.fixture(scope="module")
def fixture_report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """report.json of a replay run of the fixture day (cache and index in a temporary dir)."""
    from daily_report.core.config import load_config
    from daily_report.engine.run import run_day
    from daily_report.engine.runstate import RunOptions

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
        report = json.loads((tmp / "out" / DATE / "report.json").read_text(encoding="utf-8"))
        report["_md"] = (tmp / "out" / DATE / "report.md").read_text(encoding="utf-8")
        yield report


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


def test_skipped_lines_are_counted_once_the_same_everywhere(
    fixture_report: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """1 malformed line (Claude, not a usage line) and 1 truncated last line (Codex) on the fixture day."""
    result = runner.invoke(app, ["usage", "--config", str(DAY_TOML), "--date", DATE, "--json"])
    assert result.exit_code == 0
    usage = json.loads(result.stdout)
    kinds = {"malformed": 1, "truncated": 1}
    assert (usage["skipped_lines"], usage["skipped_by_kind"]) == (2, kinds)
    assert (fixture_report["skipped_lines"], fixture_report["skipped_by_kind"]) == (2, kinds)
    assert fixture_report["token_usage"]["skipped_by_kind"] == kinds
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "2 transcript lines skipped in 2 files: 1 malformed, 1 truncated last line" in said
    assert "Skipped 2 transcript lines (1 malformed, 1 truncated last line)" in fixture_report["_md"]


def test_the_full_reader_warns_with_the_same_words(caplog: pytest.LogCaptureFixture) -> None:
    from datetime import date
    from zoneinfo import ZoneInfo

    from daily_report.core.config import load_config
    from daily_report.sources.reader import load_sessions

    load_sessions(load_config(DAY_TOML), date=date.fromisoformat(DATE), zone=ZoneInfo("Asia/Shanghai"))
    said = [r.getMessage() for r in caplog.records]
    assert any(
        m.startswith("2 transcript lines skipped in 2 files: 1 malformed, 1 truncated last line")
        for m in said
    )


@pytest.mark.parametrize("agent", ["claude_code", "codex"])
def test_fast_usage_path_counts_what_the_full_reader_counts(agent: str, tmp_path: Any) -> None:
    """Broken lines the usage fast path never parses (no usage on them) are still counted, as the full
    reader counts them: one garbage line in the middle of a fixture transcript, a cut last line."""
    from daily_report.core.config import load_config
    from daily_report.sources.discovery import discover
    from daily_report.sources.jsonl import skipped_by_kind
    from daily_report.sources.reader import read_sessions
    from daily_report.sources.usage_rows import read_usage_rows

    src = next(f for f in discover(load_config(DAY_TOML)).files if f.agent == agent and f.kind == "main")
    lines = src.path.read_bytes().rstrip(b"\n").split(b"\n")
    lines.insert(3, b"garbage from a crash")
    root = tmp_path / ("projects/-p" if agent == "claude_code" else "sessions/2026/03/17")
    root.mkdir(parents=True)
    (root / src.path.name).write_bytes(b"\n".join(lines)[:-5])
    toml = tmp_path / "c.toml"
    key = "claude" if agent == "claude_code" else "codex"
    toml.write_text(f'timezone = "UTC"\n[devices.d]\n{key} = ["{tmp_path}"]\n', encoding="utf-8")
    (f,) = discover(load_config(toml)).files
    fast = skipped_by_kind(read_usage_rows(f).skipped)
    full = read_sessions([f]).skipped
    assert fast == {"malformed": 1, "truncated": 1}
    assert [skipped_by_kind(s) for s in full] == [fast]


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("│").split("│")]


def test_usage_tables_of_the_cli_are_the_reports(fixture_report: dict[str, Any]) -> None:
    """Every table row of the report's Token Usage (Markdown/HTML cells) is a row of the CLI's tables, in
    the same order, and the CLI shows no other row."""
    from daily_report.report.usage_tables import usage_views
    from daily_report.schemas.usage import UsageReport

    views = usage_views(UsageReport.model_validate(fixture_report["token_usage"]))
    want = [list(row) for v in views for t in v.tables for row in t.rows]
    result = runner.invoke(app, ["usage", "--config", str(DAY_TOML), "--date", DATE])
    assert result.exit_code == 0
    shown = [_cells(line) for line in result.stdout.splitlines() if line.startswith("│")]
    assert shown == want and len(want) > 10
    md = fixture_report["_md"]
    for row in want:
        assert "| " + " | ".join(row) + " |" in md
