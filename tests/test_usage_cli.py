"""`daily-report usage` / `sessions` on the sample transcripts (fixtures/samples): the SOURCES.md reference totals, per UTC day."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import orjson
import pytest
from daily_report.cli.app import app
from typer.testing import CliRunner

CLAUDE_MAIN = {  # the main files SOURCES.md gives reference figures for
    "-home-USER-projects-spotter-worktrees-spotter-dov/4d5611e5-241a-462a-8d15-5122611a9569.jsonl",
    "-home-USER-projects-spotter-worktrees-spotter-4te/ae4a77f8-aedd-4bc1-888f-c94edc91af04.jsonl",
    "-Users-user-repo/9eda1058-9706-484a-b992-d03f9cfa2546.jsonl",
}
FIELDS = ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens", "responses")
CODEX_FIELDS = ("input_tokens", "cached_input_tokens", "output_tokens", "reasoning_tokens", "total_tokens")
runner = CliRunner()


def claude_tree(samples: Path, dest: Path) -> Path:
    """A projects/ tree holding only the reference main files (links, nothing copied)."""
    for rel in CLAUDE_MAIN:
        target = dest / "projects" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(samples / "claude-code" / "projects" / rel, target)
    return dest


def write_config(tmp_path: Path, devices: dict[str, dict[str, list[Path]]], tz: str = "UTC") -> Path:
    lines = [f'timezone = "{tz}"']
    for name, roots in devices.items():
        lines.append(f"[devices.{name}]")
        for kind, paths in roots.items():
            lines.append(f"{kind} = [{', '.join(repr(str(p)) for p in paths)}]")
    cfg = tmp_path / "daily-report.toml"
    cfg.write_text("\n".join(lines) + "\n")
    return cfg


def run_json(*args: str) -> object:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.stderr + result.stdout
    return orjson.loads(result.stdout)


@pytest.fixture
def two_devices(samples: Path, tmp_path: Path) -> Path:
    tree = claude_tree(samples, tmp_path / "dcc")
    # tianhe holds synced copies of the very same sessions: they must count once, on DCC
    return write_config(
        tmp_path,
        {
            "DCC": {"claude": [tree], "codex": [samples / "codex"]},
            "tianhe": {"claude": [tree / "projects"], "codex": [samples / "codex" / "sessions"]},
        },
    )


def test_usage_json_equals_sources_reference(two_devices: Path) -> None:
    got = run_json("usage", "--config", str(two_devices), "--since", "2026-01-01", "--until", "2026-05-31")
    days = got["days"]
    active = ["2026-01-02", "2026-01-11", "2026-01-25", "2026-02-01", "2026-02-12", "2026-05-11"]
    assert [d["date"] for d in days] == active  # only days with activity, of the 151 asked for
    assert got["totals"]["days"] == 6 and got["totals"]["total_tokens"] == sum(
        t["totals"]["total_tokens"] for d in days for t in d["agents"].values()
    )
    by_date = {d["date"]: d for d in days}
    cc = by_date["2026-02-12"]["agents"]["claude_code"]
    opus = cc["models"]["claude-opus-4-6"]
    haiku = cc["models"]["claude-haiku-4-5-20251001"]
    # 4d5611e5 (opus) + ae4a77f8 (opus and haiku)
    assert tuple(opus[k] for k in FIELDS) == (
        177 + 92,
        28_755 + 19_588,
        479_537 + 95_336,
        11_618_567 + 5_620_167,
        139 + 84,
    )
    assert tuple(haiku[k] for k in FIELDS) == (150, 29_879, 141_785, 10_933_461, 133)
    assert list(cc["devices"]) == ["DCC"]  # the synced copy on tianhe counts once
    jan11 = by_date["2026-01-11"]["agents"]["claude_code"]["totals"]
    assert tuple(jan11[k] for k in FIELDS) == (47, 4_509, 147_267, 22_912, 5)
    expected_codex = {
        "2026-05-11": ("gpt-5.5", (6_055_836, 4_929_536, 9_118, 1_759, 6_064_954)),
        "2026-01-02": ("gpt-5-1-codex-2025-11-13", (22_474, 14_848, 300, 128, 22_774)),
        "2026-01-25": (None, (47_257, 44_160, 300, 64, 47_557)),
        "2026-02-01": (None, (216_978, 189_952, 2_163, 1_408, 219_141)),
    }
    for day, (model, figures) in expected_codex.items():
        cx = by_date[day]["agents"]["codex"]
        assert tuple(cx["totals"][k] for k in CODEX_FIELDS) == figures, day
        assert list(cx["devices"]) == ["DCC"]
        if model:
            assert list(cx["models"]) == [model]
    # a dated name genai-prices lacks: priced as its family, and the fallback is said
    gateway = by_date["2026-01-02"]
    cost = gateway["agents"]["codex"]["models"]["gpt-5-1-codex-2025-11-13"]["cost_usd"]
    assert cost is not None and cost > 0 and gateway["total_cost_usd"] == cost
    assert gateway["unpriced_models"] == []
    assert gateway["priced_as"] == {"gpt-5-1-codex-2025-11-13": "gpt-5.1-codex"}
    assert any("priced as gpt-5.1-codex" in n for n in gateway["notes"])
    empty = run_json("usage", "--config", str(two_devices), "--date", "2026-03-01")
    assert empty["total_cost_usd"] == 0.0 and not empty["agents"]["claude_code"]["models"]


def test_usage_single_day_shape_and_tables(two_devices: Path) -> None:
    day = run_json("usage", "--config", str(two_devices), "--date", "2026-02-12")
    assert isinstance(day, dict)
    assert day["date"] == "2026-02-12" and day["timezone"] == "UTC"
    totals = day["agents"]["claude_code"]["totals"]
    assert 0 < totals["cache_hit_rate"] < 1 and totals["cost_usd"] == day["total_cost_usd"]
    shares = [m["cost_share"] for m in day["agents"]["claude_code"]["models"].values()]
    assert abs(sum(shares) - 1) < 1e-9
    table = runner.invoke(app, ["usage", "--config", str(two_devices), "--date", "2026-02-12"])
    assert table.exit_code == 0
    for label in (
        "Total Tokens",
        "Cache Hit Rate",
        "Model Breakdown",
        "Usage by Device",
        "claude-haiku-4-5-20251001",
    ):
        assert label in table.stdout
    assert f"${day['total_cost_usd']:,.4f}" in table.stdout


def test_zone_moves_usage_between_days(two_devices: Path) -> None:
    utc = run_json("usage", "--config", str(two_devices), "--date", "2026-05-11")
    assert isinstance(utc, dict) and utc["agents"]["codex"]["totals"]["total_tokens"] == 6_064_954
    # the rollout runs from 08:26Z: 22:26 the day before in Honolulu (UTC-10)
    hnl = run_json(
        "usage",
        "--config",
        str(two_devices),
        "--since",
        "2026-05-10",
        "--until",
        "2026-05-11",
        "--tz",
        "Pacific/Honolulu",
    )
    assert hnl["timezone"] == "Pacific/Honolulu" and [d["date"] for d in hnl["days"]] == ["2026-05-10"]
    assert (
        hnl["days"][0]["agents"]["codex"]["totals"]["total_tokens"] == 6_064_954
    )  # all before local midnight


def test_missing_root_warns_and_no_readable_root_fails(
    samples: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    missing = tmp_path / "nowhere" / ".claude"
    cfg = write_config(tmp_path, {"DCC": {"claude": [missing], "codex": [samples / "codex"]}})
    with caplog.at_level(logging.WARNING, logger="daily_report"):
        result = runner.invoke(app, ["usage", "--config", str(cfg), "--date", "2026-05-11", "--json"])
    assert result.exit_code == 0
    assert any(str(missing) in r.getMessage() for r in caplog.records)
    bad = tmp_path / "bad"
    bad.mkdir()
    cfg2 = write_config(bad, {"DCC": {"claude": [missing], "codex": [tmp_path / "also-missing"]}})
    failed = runner.invoke(app, ["usage", "--config", str(cfg2), "--date", "2026-05-11"])
    assert failed.exit_code == 2
    assert failed.stderr.strip().count("\n") == 0 and "error" in failed.stderr
    assert failed.stdout == ""


def test_bad_dates_are_one_line_errors(two_devices: Path) -> None:
    r = runner.invoke(app, ["usage", "--config", str(two_devices), "--date", "2026-13-45"])
    assert r.exit_code == 2 and "YYYY-MM-DD" in r.stderr
    r2 = runner.invoke(
        app, ["usage", "--config", str(two_devices), "--since", "2026-02-02", "--until", "2026-02-01"]
    )
    assert r2.exit_code == 2 and "before" in r2.stderr


def test_sessions_of_a_day(two_devices: Path) -> None:
    data = run_json("sessions", "--config", str(two_devices), "--date", "2026-02-12")
    assert isinstance(data, dict)
    rows = data["sessions"]
    ids = {r["id"] for r in rows}
    assert {"4d5611e5-241a-462a-8d15-5122611a9569", "ae4a77f8-aedd-4bc1-888f-c94edc91af04"} <= ids
    assert all(r["device"] == "DCC" for r in rows)  # synced copies shown once
    usage = run_json("usage", "--config", str(two_devices), "--date", "2026-02-12")
    assert isinstance(usage, dict)
    assert sum(r["tokens"] for r in rows) == usage["agents"]["claude_code"]["totals"]["total_tokens"]
    for r in rows:
        assert r["human_prompts"] >= 1 and r["tool_calls"] >= r["tool_errors"] >= 0
        assert "<synthetic>" not in r["models"]
    table = runner.invoke(app, ["sessions", "--config", str(two_devices), "--date", "2026-02-12"])
    assert table.exit_code == 0 and "spotter" in table.stdout
