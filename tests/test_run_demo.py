"""`daily-report demo`: the fixture day through the replay provider, offline, all three formats."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from daily_report.cli.run_cmd import DEMO_CONFIG, DEMO_DATE

from tests.test_run_day import invoke


@pytest.mark.skipif(not DEMO_CONFIG.is_file(), reason="fixture day not present")
def test_demo_writes_the_full_report_offline_with_its_own_cache(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = invoke("demo", "--out", str(out))
    assert result.exit_code == 0, result.output
    day = out / DEMO_DATE
    for name in ("report.md", "report.html", "report.json"):
        assert (day / name).is_file() and str(day / name) in result.output
    data = json.loads((day / "report.json").read_text(encoding="utf-8"))
    assert data["failures"] == [] and data["generation"]["pending"] == 0
    assert data["generation"]["provider"] == "replay" and data["generation"]["cost_usd"] == 0
    assert data["generation"]["free"] and data["generation"]["answers_cost_usd"] == 0
    html = (day / "report.html").read_text(encoding="utf-8")
    about = html[html.index('id="about"') :]
    assert "free (replay)" in about and "$0.0000" not in about  # no $0 stage bars on a free provider
    assert {s["device"] for s in data["sessions"]} == {"laptop", "hpc"}
    assert data["tasks"] and data["issues"] and data["projects"] and data["overview"]["what_was_done"]
    assert any(s["chunks"] > 1 for s in data["sessions"])  # the long session was split
    assert (out / ".cache" / "cache.sqlite3").is_file()
    # the user's LLM cache is untouched (the usage file index may live there: it holds no answers)
    assert not (Path(os.environ["DAILY_REPORT_CACHE_DIR"]) / "cache.sqlite3").exists()
    # a second demo reads nothing from a cache (replay answers are never stored) and gives the same report
    again = invoke("demo", "--out", str(out))
    assert again.exit_code == 0, again.output
    second = json.loads((day / "report.json").read_text(encoding="utf-8"))
    assert second["tasks"] == data["tasks"] and second["generation"]["cache_hits"] == 0


def test_replay_on_another_day_writes_none_of_the_demo_text(tmp_path: Path) -> None:
    """2026-03-18 holds the tail of a session that crossed midnight: replay has answers for 2026-03-17 only,
    so every request misses with one short line, and the report and the index flag the day as incomplete."""
    out = tmp_path / "reports"
    result = invoke(
        "run", "--date", "2026-03-18", "--config", str(DEMO_CONFIG), "--out", str(out), "--provider", "replay"
    )
    assert result.exit_code == 1, result.output
    failed = [line for line in result.output.splitlines() if line.startswith("  ") and "replay" in line]
    assert len(failed) == 7 and all(len(line) < 160 for line in failed)  # the summary: one line a request
    assert all("the replay answers are for 2026-03-17, not 2026-03-18" in line for line in failed)
    day = out / "2026-03-18"
    data = json.loads((day / "report.json").read_text(encoding="utf-8"))
    assert data["sessions"] and not data["tasks"] and not data["overview"]["what_was_done"]
    assert {"overview", "projects", "tasks"} <= set(data["missing_stages"])
    for name in ("report.md", "report.html", "report.json"):
        text = (day / name).read_text(encoding="utf-8")
        assert "openvla" not in text and "alice fine-tuned" not in text  # nothing of the demo's day
    assert "Incomplete report: no result from" in (day / "report.md").read_text(encoding="utf-8")
    assert 'class="note incomplete"' in (day / "report.html").read_text(encoding="utf-8")
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<span class="flag">no ' in index and "failed requests" in index
