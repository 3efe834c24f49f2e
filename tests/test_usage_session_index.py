"""The session-stats index answers ``daily-report sessions`` exactly as reading every session in full does:
on the fixture day and on every day of the real samples (Claude Code, Codex, Gemini CLI), cold, warm, after
a file grew, and with a resumed session whose copied lines belong to an earlier one."""

from __future__ import annotations

import shutil
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
from daily_report.core.config import load_config
from daily_report.schemas.config import Config
from daily_report.sources.reader import load_sessions
from daily_report.usage.aggregate import local_date
from daily_report.usage.dedup import dedup_events
from daily_report.usage.session_index import SessionIndex, default_path
from daily_report.usage.sessions import day_sessions, session_row

from tests.conftest import REPO

DAY_TOML = REPO / "fixtures" / "day" / "daily-report.toml"
SAMPLES = REPO / "fixtures" / "samples"


def _full(config: Config, day: date, zone: ZoneInfo) -> tuple[list[Any], list[Any]]:
    """The rows as the command computed them before the index: every session parsed in full."""
    loaded = load_sessions(config, date=day, zone=zone)
    by_session: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for e in dedup_events(e for s in loaded.sessions for e in s.usage):
        if local_date(e, zone) == day:
            by_session[(e.agent, e.session_id)].append(e)
    rows = [
        session_row(s, by_session.get((s.agent, s.id), []), zone=zone, overrides=config, day=day)
        for s in loaded.sessions
    ]
    rows.sort(key=lambda r: (r.start is None, r.start or datetime.min.replace(tzinfo=zone), r.id))
    return [r.model_dump(mode="json") for r in rows], [u.model_dump(mode="json") for u in loaded.unread]


def _indexed(config: Config, day: date, zone: ZoneInfo) -> tuple[list[Any], list[Any]]:
    rows, unread = day_sessions(config, day=day, zone=zone)
    return [r.model_dump(mode="json") for r in rows], [u.model_dump(mode="json") for u in unread]


def _stored() -> int:
    with SessionIndex() as idx:
        return int(idx.db.execute("SELECT count(*) FROM session_stats").fetchone()[0])


def _samples_config(tmp_path: Path, root: Path) -> Config:
    toml = tmp_path / "samples.toml"
    toml.write_text(
        'timezone = "UTC"\n[devices.here]\n'
        f'claude = ["{root / "claude-code"}"]\ncodex = ["{root / "codex"}"]\ngemini = ["{root / "gemini"}"]\n',
        encoding="utf-8",
    )
    return load_config(toml)


def _days(config: Config, zone: ZoneInfo) -> list[date]:
    return sorted(
        {t.astimezone(zone).date() for s in load_sessions(config).sessions for t in s.active_times()}
    )


def test_fixture_day_cold_and_warm_equal_the_full_parse() -> None:
    config = load_config(DAY_TOML)
    zone, day = ZoneInfo("Asia/Shanghai"), date(2026, 3, 17)
    full = _full(config, day, zone)
    assert full[0], "the fixture day has sessions"
    assert _indexed(config, day, zone) == full  # cold: every session read and stored
    stored = _stored()
    assert stored >= len(full[0])
    assert _indexed(config, day, zone) == full  # warm: from the index
    assert _stored() == stored


@pytest.fixture(params=["one process", "read ahead in workers"])
def pool(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways through a cold run: the sessions read one by one, or guessed in worker processes first
    (the pool's byte floor lowered so that these small trees use it)."""
    if request.param != "one process":
        import daily_report.usage.load as load

        monkeypatch.setattr(load, "POOL_MIN_BYTES", 0)
    return str(request.param)


def test_every_sample_day_equals_the_full_parse(tmp_path: Path, pool: str) -> None:
    config = _samples_config(tmp_path, SAMPLES)
    zone = ZoneInfo("UTC")
    days = _days(config, zone)
    agents_seen: set[str] = set()
    for day in days:
        full = _full(config, day, zone)
        agents_seen |= {r["agent"] for r in full[0]}
        assert _indexed(config, day, zone) == full, day
        assert _indexed(config, day, zone) == full, day
    assert agents_seen == {"claude_code", "codex", "gemini_cli"}


def test_a_grown_file_is_read_again(tmp_path: Path) -> None:
    root = tmp_path / "samples"
    shutil.copytree(SAMPLES, root)
    config = _samples_config(tmp_path, root)
    zone = ZoneInfo("UTC")
    (main,) = (root / "claude-code").rglob("9eda1058-*.jsonl")
    last = orjson.loads(main.read_bytes().rstrip(b"\n").rsplit(b"\n", 1)[-1])
    day = date.fromisoformat(last["timestamp"][:10])
    before = _indexed(config, day, zone)
    assert before == _full(config, day, zone)
    prompt = {k: last[k] for k in ("cwd", "sessionId", "version", "gitBranch")}
    prompt |= {"type": "user", "uuid": "appended-1", "parentUuid": last["uuid"], "isSidechain": False}
    prompt |= {"timestamp": f"{day}T23:59:00.000Z", "message": {"role": "user", "content": "one more"}}
    with main.open("ab") as fh:
        fh.write(orjson.dumps(prompt) + b"\n")
    after = _indexed(config, day, zone)
    assert after == _full(config, day, zone)
    grown = next(r for r in after[0] if r["id"] == last["sessionId"])
    was = next(r for r in before[0] if r["id"] == last["sessionId"])
    assert grown["human_prompts"] == was["human_prompts"] + 1


def _line(uuid: str, parent: str | None, sid: str, ts: str, text: str) -> bytes:
    rec = {
        "type": "user",
        "uuid": uuid,
        "parentUuid": parent,
        "sessionId": sid,
        "timestamp": ts,
        "cwd": "/w/p",
        "message": {"role": "user", "content": text},
    }
    return orjson.dumps(rec) + b"\n"


def test_a_resumed_copy_stays_with_the_earlier_session_warm_too(tmp_path: Path, pool: str) -> None:
    """Session b copies a's two lines (a resume); a ends first, so those lines are a's. When a grows and
    ends after b, b reads first and keeps them: b's stored entry must not be reused blindly."""
    projects = tmp_path / "claude" / "projects" / "-w-p"
    projects.mkdir(parents=True)
    a, b = projects / "aaaa.jsonl", projects / "bbbb.jsonl"
    a.write_bytes(
        _line("u1", None, "aaaa", "2026-01-05T10:00:00Z", "one")
        + _line("u2", "u1", "aaaa", "2026-01-05T10:01:00Z", "two")
    )
    b.write_bytes(
        _line("u1", None, "bbbb", "2026-01-05T10:00:00Z", "one")
        + _line("u2", "u1", "bbbb", "2026-01-05T10:01:00Z", "two")
        + _line("u3", "u2", "bbbb", "2026-01-05T11:00:00Z", "three")
    )
    for i in range(4):  # enough sessions for the workers to read ahead
        (projects / f"other{i}.jsonl").write_bytes(
            _line(f"o{i}", None, f"other{i}", "2026-01-04T09:00:00Z", "elsewhere")
        )
    toml = tmp_path / "c.toml"
    toml.write_text(
        f'timezone = "UTC"\n[devices.here]\nclaude = ["{tmp_path / "claude"}"]\n', encoding="utf-8"
    )
    config, zone, day = load_config(toml), ZoneInfo("UTC"), date(2026, 1, 5)
    first = _indexed(config, day, zone)
    assert first == _full(config, day, zone)
    assert {r["id"]: r["human_prompts"] for r in first[0]} == {"aaaa": 2, "bbbb": 1}
    shutil.rmtree(default_path().parent)  # cold again: the guesses, not the index, meet the claims
    with a.open("ab") as fh:
        fh.write(_line("u9", "u2", "aaaa", "2026-01-05T12:00:00Z", "later"))
    second = _indexed(config, day, zone)
    assert second == _full(config, day, zone)
    assert {r["id"]: r["human_prompts"] for r in second[0]} == {"aaaa": 1, "bbbb": 3}


def test_a_broken_index_file_is_rebuilt() -> None:
    config = load_config(DAY_TOML)
    zone, day = ZoneInfo("Asia/Shanghai"), date(2026, 3, 17)
    path = default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a database")
    assert _indexed(config, day, zone) == _full(config, day, zone)


def test_the_command_json_is_the_full_parse() -> None:
    import json

    from daily_report.cli.app import app
    from typer.testing import CliRunner

    args = ["sessions", "--config", str(DAY_TOML), "--date", "2026-03-17", "--json"]
    full_rows, full_unread = _full(load_config(DAY_TOML), date(2026, 3, 17), ZoneInfo("Asia/Shanghai"))
    for _ in range(2):  # cold, then from the index (the stdout memo is keyed apart and missed here)
        default_path().unlink(missing_ok=True) if _ == 0 else None
        out = CliRunner().invoke(app, args)
        assert out.exit_code == 0, out.output
        data = json.loads(out.stdout)
        assert data["sessions"] == full_rows
        assert data["unread_files"] == full_unread


def test_an_unscrubbed_result_names_the_same_subagent_and_error() -> None:
    """The stats read leaves tool results unscrubbed; the agent id (searched in the last 300 characters,
    which scrubbing shortens) and the error flag must come out as in the full read."""
    from daily_report.sources.claude.content import _result_piece, results_unscrubbed

    blob = "QUJD" * 2000  # 8,000 characters of base64: scrubbed to a short placeholder
    block = {
        "type": "tool_result",
        "tool_use_id": "t1",
        "content": [
            {"type": "text", "text": f"<tool_use_error>done\nagentId: a1b2c3\n{blob}</tool_use_error>"}
        ],
    }
    full = _result_piece(block, {})
    with results_unscrubbed():
        raw = _result_piece(block, {})
    assert full.agent_id == raw.agent_id == "a1b2c3"
    assert full.is_error and raw.is_error
    assert blob in raw.text and blob not in full.text
