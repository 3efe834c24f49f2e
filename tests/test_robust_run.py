"""Reviewer findings in `daily-report run`: filtered runs write beside the full report, options are
checked before any reading, an empty day says so."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from daily_report.engine.assemble import report_variant
from daily_report.engine.plan import RunOptions

from tests.stub_llm_server import StubLLMServer
from tests.test_run_day import (
    DAY,
    SESSIONS,
    invoke,
    keys,  # noqa: F401  (fixture)
    make_day,
    report_json,
    run_args,
)
from tests.test_run_day import _fast_retries as _fast_retries


@pytest.fixture
def stub() -> Any:
    with StubLLMServer() as server:
        yield server


def _read(tmp_path: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((tmp_path / "reports" / DAY / name).read_text(encoding="utf-8"))
    return data


def test_variant_names_are_deterministic() -> None:
    def v(**kw: Any) -> str:
        return report_variant(RunOptions(date=DAY, **kw), default_lang="en")

    assert v() == "" and v(lang="en") == ""
    assert v(session_ids=("7c1e",)) == "session-7c1e"
    assert v(devices=("DCC",)) == "device-DCC"
    assert v(lang="zh") == "zh"
    assert v(devices=("b", "a"), session_ids=("x/../y",), lang="zh") == "session-x_y.device-a+b.zh"
    assert v(devices=("a", "b")) == v(devices=("b", "a"))


def _compact(tmp_path: Path) -> None:
    """Transcripts as Claude Code writes them (no spaces after separators): what the usage reader scans."""
    for path in tmp_path.rglob("*.jsonl"):
        lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
        path.write_text("".join(json.dumps(x, separators=(",", ":")) + "\n" for x in lines), encoding="utf-8")


@pytest.mark.usefixtures("keys")
def test_filtered_runs_never_replace_the_full_report(tmp_path: Path, stub: StubLLMServer) -> None:
    config = make_day(tmp_path, provider="anthropic", base_url=stub.url)
    _compact(tmp_path)
    assert invoke(*run_args(config)).exit_code == 0
    full = report_json(tmp_path)
    assert len(full["sessions"]) == len(SESSIONS) and "filters" not in full["extra"]

    result = invoke(*run_args(config, "--session", "bbbbbbbb"))
    assert result.exit_code == 0, result.output
    assert report_json(tmp_path) == full
    one = _read(tmp_path, "report.session-bbbbbbbb.json")
    assert [s["session_id"] for s in one["sessions"]] == ["bbbbbbbb-0000-4000-8000-000000000002"]
    assert one["extra"]["filters"] == {"sessions": ["bbbbbbbb"]}
    assert any("whole day" in n for n in one["token_usage"]["notes"])
    assert one["token_usage"]["total_cost_usd"] == full["token_usage"]["total_cost_usd"]
    for kind in ("md", "html"):
        assert (tmp_path / "reports" / DAY / f"report.session-bbbbbbbb.{kind}").is_file()

    result = invoke(*run_args(config, "--device", "server", "--lang", "zh"))
    assert result.exit_code == 0, result.output
    dev = _read(tmp_path, "report.device-server.zh.json")
    assert dev["extra"]["filters"] == {"devices": ["server"], "lang": "zh"}
    assert report_json(tmp_path) == full
    # the server's Token Usage counts only the server's one session (of three)
    assert set(dev["token_usage"]["agents"]["claude_code"]["devices"]) == {"server"}
    assert set(full["token_usage"]["agents"]["claude_code"]["devices"]) == {"laptop", "server"}
    assert 0 < dev["token_usage"]["total_cost_usd"] < full["token_usage"]["total_cost_usd"]
    index = (tmp_path / "reports" / "index.html").read_text(encoding="utf-8")
    assert DAY in index


def test_an_unknown_provider_is_refused_before_reading(
    tmp_path: Path, stub: StubLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import daily_report.sources.reader

    config = make_day(tmp_path, provider="anthropic", base_url=stub.url)
    read: list[Any] = []
    real = daily_report.sources.reader.load_sessions

    def load_sessions(*args: Any, **kwargs: Any) -> Any:
        read.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(daily_report.sources.reader, "load_sessions", load_sessions)
    result = invoke(*run_args(config, "--provider", "foo"))
    assert result.exit_code == 2
    assert "unknown provider 'foo'" in result.output and read == []


def test_an_unknown_lang_is_one_line_listing_the_known_ones(tmp_path: Path, stub: StubLLMServer) -> None:
    config = make_day(tmp_path, provider="anthropic", base_url=stub.url)
    result = invoke(*run_args(config, "--lang", "fr"))
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "'fr'" in errors[0] and "en, zh" in errors[0]
    assert stub.requests == []


def test_an_empty_day_says_where_it_looked(tmp_path: Path, stub: StubLLMServer) -> None:
    config = make_day(tmp_path, provider="anthropic", base_url=stub.url)
    result = invoke("run", "--date", "2025-01-01", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert "no sessions found for 2025-01-01 in " in result.output
    assert "laptop/.claude" in result.output and "server/.claude" in result.output
    day = tmp_path / "reports" / "2025-01-01"
    data = json.loads((day / "report.json").read_text(encoding="utf-8"))
    assert data["sessions"] == []
    assert data["extra"]["notes"][0].startswith("no sessions found for 2025-01-01")
    assert "no sessions found for 2025-01-01" in (day / "report.md").read_text(encoding="utf-8")


def test_a_filter_that_matches_nothing_exits_2_and_lists_the_candidates(
    tmp_path: Path, stub: StubLLMServer
) -> None:
    config = make_day(tmp_path, provider="anthropic", base_url=stub.url)
    result = invoke(*run_args(config, "--session", "zzzz"))
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if "no session of" in line]
    assert len(lines) == 1 and "matches --session zzzz; that day's sessions: " in lines[0]
    assert (
        lines[0].count("(laptop, ") + lines[0].count("(server, ") == 4
        and "devices: laptop, server" in lines[0]
    )
    assert stub.requests == [] and not (tmp_path / "reports" / DAY).exists()  # no empty report, no index row
    on_device = invoke(*run_args(config, "--device", "laptop", "--session", "zzzz"))
    assert on_device.exit_code == 2 and "matches --session zzzz --device laptop" in on_device.output


def test_the_index_lists_the_full_report_and_knows_the_variants(tmp_path: Path) -> None:
    from daily_report.report.index import scan_days

    day = tmp_path / DAY
    day.mkdir()
    (day / "report.session-7c1e.json").write_text('{"sessions": [1]}', encoding="utf-8")
    (day / "report.session-7c1e.html").write_text("x", encoding="utf-8")
    assert scan_days(tmp_path) == []  # no full report yet: the day is not listed as if it had one
    (day / "report.json").write_text('{"sessions": [1, 2, 3]}', encoding="utf-8")
    (day / "report.html").write_text("x", encoding="utf-8")
    (day / "report.zh.html").write_text("x", encoding="utf-8")
    (row,) = scan_days(tmp_path)
    assert row.sessions == 3 and row.has_html and row.variants == ("session-7c1e", "zh")


def test_an_unknown_device_is_one_line_listing_the_configured_ones(
    tmp_path: Path, stub: StubLLMServer
) -> None:
    config = make_day(tmp_path, provider="anthropic", base_url=stub.url)
    result = invoke(*run_args(config, "--device", "DCC"))
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "DCC" in errors[0] and "laptop, server" in errors[0]
