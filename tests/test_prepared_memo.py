"""The memo of prepared sessions: a second preparation of a day gives the same chunks and redaction counts
from the memo, a changed session or changed settings are prepared anew, and a broken memo changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from daily_report.core.config import load_config
from daily_report.core.paths import FIXTURES_DIR
from daily_report.engine.plan import RunOptions, prepare_day
from daily_report.text.prepared import MEMO_NAME, PreparedMemo

DATE = "2026-03-17"


def _day(tmp_path: Path, **chunk: int):  # type: ignore[no-untyped-def]
    config = load_config(FIXTURES_DIR / "day" / "daily-report.toml")
    if chunk:
        config = config.model_copy(update={"chunk": config.chunk.model_copy(update=chunk)})
    return prepare_day(RunOptions(date=DATE, config=config, cache_path=tmp_path / "cache.sqlite3"), config)


def _made(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Session ids prepared from scratch (not from the memo)."""
    import daily_report.text.prepare

    made: list[str] = []
    real = daily_report.text.prepare.prepare_chunks

    def spy(session, **kw):  # type: ignore[no-untyped-def]
        made.append(session.id)
        return real(session, **kw)

    monkeypatch.setattr(daily_report.text.prepare, "prepare_chunks", spy)
    return made


def test_a_second_preparation_comes_from_the_memo_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = _made(monkeypatch)
    first = _day(tmp_path)
    assert made and (tmp_path / MEMO_NAME).is_file()
    made.clear()
    second = _day(tmp_path)
    assert made == []
    assert second.chunks == first.chunks and second.chunks
    assert second.redaction == first.redaction and sum(first.redaction.values()) > 0


def test_other_chunk_settings_are_prepared_anew(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made = _made(monkeypatch)
    _day(tmp_path)
    n = len(made)
    made.clear()
    smaller = _day(tmp_path, budget_tokens=1500)
    assert len(made) == n
    assert max(c.tokens for c in smaller.chunks) <= 1500


def test_a_changed_session_has_another_key(tmp_path: Path) -> None:
    from daily_report.sources.reader import load_sessions

    memo = PreparedMemo(tmp_path / MEMO_NAME)
    config = load_config(FIXTURES_DIR / "day" / "daily-report.toml")
    session = next(s for s in load_sessions(config).sessions if s.turns)
    grown = session.model_copy(update={"turns": session.turns[:-1]})
    assert memo.key(grown, {}) != memo.key(session, {})
    memo.close()


def test_a_broken_memo_is_rebuilt_with_one_warning_and_changes_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = _day(tmp_path / "ok")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / MEMO_NAME).write_bytes(b"this is not a database" * 100)
    day = _day(broken)
    assert day.chunks == reference.chunks and day.redaction == reference.redaction
    warned = [r.message for r in caplog.records if "memo of prepared sessions" in r.message]
    assert len(warned) == 1 and "started afresh" in warned[0]
    caplog.clear()
    made = _made(monkeypatch)
    assert _day(broken).chunks == reference.chunks
    assert made == [] and not [r for r in caplog.records if "memo" in r.message]
