"""report.json shape and round trip; write_report atomicity; the index page."""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest
from daily_report.report import atomic
from daily_report.report import write as write_mod
from daily_report.report.index import scan_days
from daily_report.report.json_out import render_json
from daily_report.report.write import write_report
from daily_report.schemas.config import ReportConfig
from daily_report.schemas.report import DailyReport

from tests.report_data import make_report

TOP_KEYS = {
    "schema_version",
    "overview",
    "devices",
    "summary",
    "tasks",
    "issues",
    "human_vs_ai",
    "ai_limitations",
    "takeaways",
    "projects",
    "token_usage",
    "generation",
    "redaction",
    "failures",
}


def test_json_has_the_required_top_level_keys_and_round_trips() -> None:
    r = make_report()
    data = orjson.loads(render_json(r))
    assert set(data) >= TOP_KEYS
    assert data["schema_version"] == 1
    assert data["token_usage"]["agents"]["claude_code"]["totals"]["total_tokens"] == 6_040_920
    assert {t["provenance"]["device"] for t in data["tasks"]} == {"tianhe", "DCC"}
    assert all(t["selected"] is True for t in data["tasks"])  # a small day: every item within the caps
    assert data["caps"] == ReportConfig().caps(len(data["sessions"]))
    assert data["redaction"] == {"aws-access-key": 1, "bearer-token": 2}
    assert DailyReport.model_validate_json(render_json(r)) == r


def test_json_keeps_unknown_cost_as_null() -> None:
    from tests.report_data import usage

    data = orjson.loads(render_json(make_report(usage=usage(codex_cost=None))))
    assert data["token_usage"]["agents"]["codex"]["totals"]["cost_usd"] is None
    assert data["generation"]["by_stage"]["overview"]["cost_usd"] is None


def test_write_report_writes_three_formats_and_the_index(tmp_path: Path) -> None:
    paths = write_report(make_report(), tmp_path)
    day = tmp_path / "2026-02-22"
    assert paths == {
        "md": day / "report.md",
        "html": day / "report.html",
        "json": day / "report.json",
        "index": tmp_path / "index.html",
    }
    assert paths["md"].read_text(encoding="utf-8").startswith("# Daily Report — 2026-02-22")
    assert "<!doctype html>" in paths["html"].read_text(encoding="utf-8")
    assert DailyReport.model_validate_json(paths["json"].read_bytes()).date == "2026-02-22"
    assert not [p for p in tmp_path.rglob("*.tmp")]


def test_index_lists_every_day_newest_first(tmp_path: Path) -> None:
    write_report(make_report(), tmp_path)
    later = make_report(date="2026-03-03", sessions=make_report().sessions[:2])
    write_report(later, tmp_path)
    (tmp_path / "2026-01-01").mkdir()
    (tmp_path / "2026-01-01" / "report.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "notes").mkdir()  # not a day

    rows = scan_days(tmp_path)
    assert [r.date for r in rows] == ["2026-03-03", "2026-02-22", "2026-01-01"]
    assert [r.sessions for r in rows] == [2, 4, None]
    assert rows[1].agent_cost == pytest.approx(1.9863 + 0.4213)
    assert rows[1].report_cost == pytest.approx(0.2349)  # the answers it uses, whoever paid
    assert rows[1].run_cost == pytest.approx(0.1834)  # what its run spent
    assert rows[2].problem is not None

    write_report(later, tmp_path)  # refreshes the index
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    days = html[html.index("<table") :]  # the spend chart above names dates too
    assert days.index("2026-03-03") < days.index("2026-02-22") < days.index("2026-01-01")
    assert '<a href="2026-02-22/report.html">2026-02-22</a>' in html
    assert "<td>4</td><td>$2.4076</td>" in html
    assert '$0.2349<span class="sub">this run $0.1834</span>' in html
    assert "report.json unreadable" in html


def test_a_render_error_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    day = tmp_path / "2026-02-22"
    day.mkdir()
    (day / "report.md").write_text("old", encoding="utf-8")

    def boom(_report: DailyReport) -> str:
        raise RuntimeError("template broke")

    monkeypatch.setattr(write_mod, "render_html", boom)
    with pytest.raises(RuntimeError):
        write_report(make_report(), tmp_path)
    assert (day / "report.md").read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in day.iterdir()) == ["report.md"]


def test_a_failed_write_leaves_the_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.json"
    target.write_bytes(b"old")

    def failing_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic.atomic_write(target, b"new content")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_written_reports_follow_the_umask_not_mkstemp_0600(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import stat

    from daily_report.report.atomic import atomic_write

    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "r.md", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "r.md").stat().st_mode) == 0o644
