"""Ledger rows say what they were spent for; `cost` shows report runs unless --all; old ledgers migrate."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from daily_report.llm.ledger import Ledger
from daily_report.llm.types import LLMRequest, TextBlock

from tests.test_run_day import invoke

OLD_LEDGER = """CREATE TABLE ledger (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL, run_id TEXT, date TEXT, stage TEXT, prompt_version TEXT, label TEXT,
    session_id TEXT, chunk_index INTEGER, provider TEXT, model TEXT,
    input_tokens INTEGER, output_tokens INTEGER, cache_write_tokens INTEGER, cache_read_tokens INTEGER,
    cost_usd TEXT, priced INTEGER, latency_s REAL, attempt INTEGER, cache_hit INTEGER, batch INTEGER,
    error TEXT, request_key TEXT
);
INSERT INTO ledger (ts, run_id, date, stage, prompt_version, label, provider, model, input_tokens,
    output_tokens, cache_write_tokens, cache_read_tokens, cost_usd, priced, latency_s, attempt, cache_hit,
    batch, request_key)
VALUES (1.0, 'old', '2026-03-17', 'facts', 'v1', 'facts/x', 'anthropic', 'claude-haiku-4-5', 100, 10, 0, 0,
    '0.5', 1, 0.1, 1, 0, 0, 'k');
"""


def _req(stage: str) -> LLMRequest:
    return LLMRequest(
        stage=stage,
        prompt_version="v1",
        provider="anthropic",
        model="claude-haiku-4-5",
        system="s",
        blocks=[TextBlock(text="t")],
        schema_name="X",
        output_schema={"type": "object"},
        label=f"{stage}/day",
    )


def _record(ledger: Ledger, stage: str) -> None:
    ledger.record(
        run_id=ledger.kind, request=_req(stage), error="x", attempt=1, cache_hit=False, latency_s=0.0,
        date="2026-03-17",
    )  # fmt: skip


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "daily-report.toml"
    path.write_text('cache_path = "cache.sqlite3"\n', encoding="utf-8")
    return path


def test_an_old_ledger_gains_the_kind_column_and_its_rows_count_as_runs(tmp_path: Path) -> None:
    db = tmp_path / "cache.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.executescript(OLD_LEDGER)
    ledger = Ledger(db, kind="eval")
    _record(ledger, "judge")
    assert [(r["run_id"], r["kind"]) for r in ledger.rows()] == [("old", "run"), ("eval", "eval")]
    assert [r["run_id"] for r in ledger.rows(kinds=("run",))] == ["old"]
    Ledger(db)  # a second open finds the column and changes nothing
    with pytest.raises(ValueError):
        Ledger(db, kind="other")


def test_cost_shows_report_runs_unless_all(tmp_path: Path) -> None:
    config = _config(tmp_path)
    for kind, stage in (("run", "facts"), ("eval", "judge"), ("demo", "overview")):
        _record(Ledger(tmp_path / "cache.sqlite3", kind=kind), stage)

    def stages(*more: str) -> set[str]:
        result = invoke("cost", "--config", str(config), "--json", *more)
        assert result.exit_code == 0, result.output
        return {r["stage"] for r in json.loads(result.stdout)["rows"]} - {"total"}

    assert stages() == {"facts"}
    assert stages("--all") == {"facts", "judge", "overview"}
    assert stages("--date", "2026-03-17") == {"facts"}


def test_cost_with_a_bad_date_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = invoke("cost", "--config", str(_config(tmp_path)), "--date", "notadate")
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "notadate" in errors[0] and "YYYY-MM-DD" in errors[0]


def test_demo_rows_are_kind_demo(tmp_path: Path) -> None:
    from daily_report.cli.run_cmd import run_demo

    run_demo(tmp_path / "demo")
    rows = Ledger(tmp_path / "demo" / ".cache" / "cache.sqlite3").rows()
    assert rows and {r["kind"] for r in rows} == {"demo"}


def test_eval_rows_are_kind_eval(tmp_path: Path) -> None:
    from daily_report.core.paths import FIXTURES_DIR, default_cache_path

    case = sorted(p.parent.name for p in (FIXTURES_DIR / "cases").glob("*/case.toml"))[0]
    result = invoke("eval", "--provider", "replay", "--case", case, "--stage", "facts")
    assert result.exit_code == 0, result.output
    rows = Ledger(default_cache_path()).rows()  # the test's own cache dir (conftest)
    assert rows and {r["kind"] for r in rows} == {"eval"}
