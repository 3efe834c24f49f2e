"""Discovery of transcript files per device, and robust line reading."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import pytest
from daily_report.core.errors import NoSourcesError
from daily_report.schemas.config import Config, DeviceConfig
from daily_report.schemas.transcript import SkippedLines
from daily_report.sources.discovery import discover, guess_user
from daily_report.sources.jsonl import iter_records
from daily_report.sources.reader import load_sessions

DATA = Path(__file__).parent / "data" / "sources"


def _line(**kw: object) -> bytes:
    return orjson.dumps(kw) + b"\n"


def _claude_tree(root: Path) -> None:
    proj = root / "projects" / "-p"
    (proj / "s1" / "subagents").mkdir(parents=True)
    (proj / "s1.jsonl").write_bytes(_line(type="user", sessionId="s1"))
    (proj / "s1" / "subagents" / "agent-a1.jsonl").write_bytes(_line(type="user", sessionId="s1"))
    (proj / "s1" / "subagents" / "journal.jsonl").write_bytes(b"{}\n")
    (proj / "agent-old.jsonl").write_bytes(_line(type="user", sessionId="s0", isSidechain=True))
    (proj / "sessions-index.json").write_bytes(b"{}")
    (root / "history.jsonl").write_bytes(b"{}\n")


def test_claude_layouts(tmp_path: Path) -> None:
    root = tmp_path / "alice" / ".claude"
    _claude_tree(root)
    result = discover(Config(devices={"dcc": DeviceConfig(name="dcc", claude=[root])}))
    got = sorted((f.path.name, f.kind, f.parent_session_id) for f in result.files)
    assert got == [
        ("agent-a1.jsonl", "subagent", "s1"),
        ("agent-old.jsonl", "subagent", "s0"),
        ("s1.jsonl", "main", None),
    ]
    assert {f.user for f in result.files} == {"alice"} and result.warnings == []
    assert all(f.size > 0 and f.mtime_ns > 0 for f in result.files)
    # a projects/ dir itself is a root too
    direct = discover(Config(devices={"d": DeviceConfig(name="d", claude=[root / "projects"])}))
    assert len(direct.files) == 3


def test_device_order_and_missing_root_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = tmp_path / "bob" / ".claude"
    _claude_tree(root)
    missing = tmp_path / "nowhere" / ".claude"
    cfg = Config(
        devices={
            "second": DeviceConfig(name="second", claude=[missing], codex=[DATA / "codex"]),
            "first": DeviceConfig(name="first", claude=[root]),
        }
    )
    with caplog.at_level(logging.WARNING, logger="daily_report"):
        result = discover(cfg)
    assert [f.device for f in result.files] == ["second"] * 4 + ["first"] * 3
    assert len(result.warnings) == 1 and str(missing) in result.warnings[0]
    assert str(missing) in caplog.text


def test_no_readable_root_is_an_error(tmp_path: Path) -> None:
    cfg = Config(devices={"d": DeviceConfig(name="d", claude=[tmp_path / "a"], codex=[tmp_path / "b"])})
    with pytest.raises(NoSourcesError, match="none of the 2 transcript roots"):
        discover(cfg)
    with pytest.raises(NoSourcesError):
        discover(Config())


@pytest.mark.parametrize(
    ("root", "user"),
    [
        ("/sync/dcc/alice/.claude", "alice"),
        ("/home/bob/.codex/sessions", "bob"),
        ("/Users/carol/work/claude-data", "carol"),
        ("/data/claude", None),
    ],
)
def test_guess_user(root: str, user: str | None) -> None:
    assert guess_user(Path(root)) == user


def test_line_reading_counts_problems(tmp_path: Path) -> None:
    p = tmp_path / "x.jsonl"
    p.write_bytes(b'{"a": 1}\n\nnot json\n"str"\n{"b": "caf\xe9"}\n{"c": 2}\n{"d": ')
    skipped = SkippedLines(path=str(p))
    recs = list(iter_records(p, skipped))
    assert [n for n, _ in recs] == [1, 5, 6]
    assert recs[1][1] == {"b": "caf\ufffd"}  # undecodable byte replaced, line kept
    assert skipped.malformed == 2 and skipped.truncated_tail
    assert skipped.first_error == f"line 3 of {p} is not JSON"


def test_load_sessions_filters_by_local_date() -> None:
    cfg = Config(devices={"d": DeviceConfig(name="d", claude=[DATA / "claude"], codex=[DATA / "codex"])})
    utc = load_sessions(cfg, date=dt.date(2026, 3, 10), zone=ZoneInfo("UTC"))
    assert len(utc.sessions) == 3
    # 23:59:59Z on 03-10 is 07:59:59 on 03-11 in Shanghai: the Claude session spans two local days
    shanghai = ZoneInfo("Asia/Shanghai")
    next_day = load_sessions(cfg, date=dt.date(2026, 3, 11), zone=shanghai)
    assert [s.agent for s in next_day.sessions] == ["claude_code"]
    assert load_sessions(cfg, date=dt.date(2026, 3, 12), zone=shanghai).sessions == []
    cfg.timezone = "Asia/Shanghai"  # without a zone argument the configured zone is used
    assert [s.agent for s in load_sessions(cfg, date=dt.date(2026, 3, 11)).sessions] == ["claude_code"]
