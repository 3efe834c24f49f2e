"""Gemini CLI as a registered agent: ``usage``, ``sessions``, ``run --dry-run`` and the report's Token Usage
on the real samples (fixtures/samples/gemini, reference totals in its SOURCES.md), the default device's
``~/.gemini``, and unread folders through the shared machinery."""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
from daily_report.cli.app import app
from daily_report.core.config import default_config, load_config
from daily_report.report.json_out import load_json, render_json
from daily_report.report.markdown import render_markdown
from daily_report.sources.reader import load_sessions
from daily_report.text.condense import condense_session
from daily_report.text.redact import Redactor
from daily_report.usage.build import build_usage_report
from typer.testing import CliRunner

from tests.conftest import REPO
from tests.report_data import make_report

runner = CliRunner()
SAMPLES = REPO / "fixtures" / "samples" / "gemini"
AGENT = "gemini_cli"

# SOURCES.md "Reference token totals", summed per UTC day (the 2026-03-26 day holds two sessions)
REFERENCE = {
    "2025-10-21": {"input": 120_730, "output": 4_875, "cached": 86_702, "thoughts": 1_348, "total": 126_953},
    "2026-03-26": {
        "input": 2_456_057 + 724_212,
        "output": 6_471 + 2_253,
        "cached": 2_218_590 + 565_355,
        "thoughts": 20_023 + 14_300,
        "total": 2_482_551 + 740_765,
    },
}


def _config(tmp_path: Path, gemini: Path = SAMPLES) -> Path:
    cfg = tmp_path / "daily-report.toml"
    cfg.write_text(f'timezone = "UTC"\n[devices.x]\ngemini = ["{gemini}"]\n', encoding="utf-8")
    return cfg


def _usage(cfg: Path, day: str) -> dict[str, Any]:
    result = runner.invoke(app, ["usage", "--config", str(cfg), "--date", day, "--json"])
    assert result.exit_code == 0, result.output
    return orjson.loads(result.output)


@pytest.mark.parametrize("day", sorted(REFERENCE))
def test_usage_json_equals_the_reference_totals(tmp_path: Path, day: str) -> None:
    data = _usage(_config(tmp_path), day)
    totals = data["agents"][AGENT]["totals"]
    ref = REFERENCE[day]
    assert {
        "input": totals["input_tokens"],
        "output": totals["output_tokens"],
        "cached": totals["cached_tokens"],
        "thoughts": totals["thoughts_tokens"],
        "total": totals["total_tokens"],
    } == ref
    assert totals["total_tokens"] == ref["input"] + ref["output"] + ref["thoughts"]  # tool is 0 here
    assert totals["cost_usd"] > 0  # every sample model is priced (google)
    assert data["agents"][AGENT]["devices"]["x"]["total_tokens"] == ref["total"]


def test_usage_counts_the_all_zero_message_as_no_response(tmp_path: Path) -> None:
    """14 gemini messages carry tokens in the 2025 file, one all zero: 13 priced responses."""
    totals = _usage(_config(tmp_path), "2025-10-21")["agents"][AGENT]["totals"]
    assert totals["responses"] == 13


def test_an_unknown_preview_model_is_unknown_never_zero(tmp_path: Path) -> None:
    home = tmp_path / ".gemini"
    shutil.copytree(SAMPLES / "tmp", home / "tmp")
    (chat,) = home.glob("tmp/*/chats/session-2025-10-21*.json")
    data = json.loads(chat.read_text(encoding="utf-8"))
    for m in data["messages"]:
        if m.get("model"):
            m["model"] = "gemini-9-ultra-preview"
    chat.write_text(json.dumps(data), encoding="utf-8")
    agent = _usage(_config(tmp_path, home), "2025-10-21")["agents"][AGENT]
    assert agent["totals"]["cost_usd"] is None
    assert agent["models"]["gemini-9-ultra-preview"]["cost_usd"] is None
    assert agent["totals"]["total_tokens"] == REFERENCE["2025-10-21"]["total"]  # still counted


def test_a_chat_copied_to_a_second_project_folder_counts_once(tmp_path: Path) -> None:
    """The dedup rule is per message id, whichever file holds it."""
    home = tmp_path / ".gemini"
    shutil.copytree(SAMPLES / "tmp", home / "tmp")
    (chat,) = home.glob("tmp/*/chats/session-2025-10-21*.json")
    copy = home / "tmp" / ("0" * 64) / "chats" / chat.name
    copy.parent.mkdir(parents=True)
    shutil.copy(chat, copy)
    totals = _usage(_config(tmp_path, home), "2025-10-21")["agents"][AGENT]["totals"]
    assert totals["total_tokens"] == REFERENCE["2025-10-21"]["total"]


def test_sessions_lists_the_three_gemini_sessions(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    rows = []
    for day in sorted(REFERENCE):
        result = runner.invoke(app, ["sessions", "--config", str(cfg), "--date", day, "--json"])
        assert result.exit_code == 0, result.output
        rows += orjson.loads(result.output)["sessions"]
    got = {
        r["id"][:8]: (r["agent"], r["human_prompts"], r["tool_calls"], r["models"], r["tokens"]) for r in rows
    }
    assert got == {
        "0b23371a": (AGENT, 5, 11, ["gemini-2.5-pro"], 126_953),
        "1f244a80": (AGENT, 2, 78, ["gemini-3-flash-preview"], 2_482_551),
        "84ae60e4": (AGENT, 2, 33, ["gemini-3.1-pro-preview"], 740_765),
    }


def test_run_dry_run_plans_chunks_and_the_transcript_uses_the_common_tags(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    args = ["run", "--config", str(cfg), "--date", "2026-03-26", "--dry-run", "--out", str(tmp_path / "r")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "planned 2 sessions" in result.output and "dry run: nothing was sent" in result.output
    assert not (tmp_path / "r" / "2026-03-26" / "report.md").exists()

    read = load_sessions(load_config(cfg), date=date(2026, 3, 26))
    assert [s.agent for s in read.sessions] == [AGENT, AGENT]
    text = "\n".join(c.text for c in condense_session(read.sessions[0], redactor=Redactor()))
    for tag in ("USER: ", "AI: ", "TOOL ", "EVENT: "):
        assert re.search(rf"^\[t\d+\](?: \([^)]*\))? {tag}", text, re.MULTILINE), tag


def test_the_report_token_usage_has_a_gemini_cli_section(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path))
    usage = build_usage_report(config, date=date(2026, 3, 26), zone=ZoneInfo("UTC"))
    report = make_report(usage=usage)
    md = render_markdown(report)
    section = md[md.index("## Token Usage") :]
    assert "### Gemini CLI" in section
    assert "| Total Tokens | 3,223,316 |" in section
    assert "| Cached Tokens | 2,783,945 |" in section and "| Thought Tokens | 34,323 |" in section
    assert "| Model | Input | Cached | Output | Thoughts | Cost | Share |" in section
    assert "| gemini-3-flash-preview | 2,456,057 | 2,218,590 | 6,471 | 20,023 |" in section
    assert "| x | 3,223,316 | 3,180,269 | 8,724 |" in section  # the device row: input and output
    assert load_json(render_json(report)).token_usage == usage  # report.json round trip keeps it


def test_the_default_device_picks_up_home_gemini(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("CLAUDE_CONFIG_DIR", raising=False)
    shutil.copytree(SAMPLES / "tmp", tmp_path / ".gemini" / "tmp")
    (device,) = default_config().devices.values()
    assert device.roots[AGENT] == [tmp_path / ".gemini"]
    assert device.roots["claude_code"] == [] and device.roots["codex"] == []  # absent: not warned about

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    result = runner.invoke(app, ["usage", "--date", "2025-10-21", "--json", "--timezone", "UTC"])
    assert result.exit_code == 0, result.output
    totals = orjson.loads(result.output)["agents"][AGENT]["totals"]
    assert totals["total_tokens"] == REFERENCE["2025-10-21"]["total"]


def test_a_chats_folder_without_permission_is_named_not_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / ".gemini"
    shutil.copytree(SAMPLES / "tmp", home / "tmp")
    (locked,) = {c.parent for c in home.glob("tmp/*/chats/session-2025-10-21*.json")}
    real_scandir = os.scandir

    def guarded_scandir(path: Any = ".") -> Any:
        if str(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", guarded_scandir)  # root reads any folder: a chmod would not do
    read = load_sessions(load_config(_config(tmp_path, home)), date=date(2026, 3, 26))
    assert {u.path: u.reason for u in read.unread} == {str(locked): "permission denied"}
    assert len(read.sessions) == 2  # the other folders are still read


def test_a_usage_value_of_the_wrong_type_is_invalid_not_zero(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The shared rule (``usage_checks``): such a message is left out and said, never read as 0."""
    home = tmp_path / ".gemini"
    shutil.copytree(SAMPLES / "tmp", home / "tmp")
    (chat,) = home.glob("tmp/*/chats/session-2025-10-21*.json")
    data = json.loads(chat.read_text(encoding="utf-8"))
    last = [m for m in data["messages"] if m.get("type") == "gemini"][-1]
    lost = last["tokens"]["total"]
    last["tokens"]["output"] = "many"
    chat.write_text(json.dumps(data), encoding="utf-8")
    cfg = _config(tmp_path, home)
    totals = _usage(cfg, "2025-10-21")["agents"][AGENT]["totals"]
    assert totals["total_tokens"] == REFERENCE["2025-10-21"]["total"] - lost
    assert totals["responses"] == 12
    read = load_sessions(load_config(cfg), date=date(2025, 10, 21))
    assert [s.invalid_usage for s in read.skipped] == [1]
    assert "1 invalid usage" in caplog.text and last["id"] in caplog.text  # said, with the message id
