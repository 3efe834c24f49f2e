"""Codex's stats read (``CODEX.read_stats``) gives what the full read gives, and a grown rollout read on from
its kept state gives what a cold full read of the grown file gives, reading only the new bytes; every case
that cannot be continued is read afresh. Bytes are counted through the one way a rollout is read
(``records.file_lines``), not timed."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import daily_report.sources.codex.records as records
import orjson
import pytest
import zstandard
from daily_report.core.config import load_config
from daily_report.schemas.config import Config, DeviceConfig
from daily_report.schemas.transcript import SkippedLines
from daily_report.sources.codex.session import read_codex_session
from daily_report.sources.codex.stats import read_codex_stats
from daily_report.sources.discovery import discover
from daily_report.sources.types import SourceFile
from daily_report.usage.session_facts import StatsRead, stats_of
from daily_report.usage.session_index import default_path

from tests.conftest import REPO
from tests.test_usage_session_index import _full, _indexed, pool  # noqa: F401  (a fixture used below)

ROOTS = [
    REPO / "fixtures" / "samples" / "codex",
    REPO / "fixtures" / "day" / "devices" / "laptop" / ".codex",
    REPO / "fixtures" / "cases" / "codex-session" / "codex",
    REPO / "tests" / "data" / "sources" / "codex",
]
BIG = "019e1625-789d-76c0-80ab-3724b5ddb799"  # the largest sample: 747 KB, 2026-05-11
DAY, ZONE = date(2026, 5, 11), ZoneInfo("UTC")


def _files(root: Path) -> list[SourceFile]:
    return discover(Config(devices={"d": DeviceConfig(name="d", codex=[root])})).files


def _same(a: StatsRead, b: StatsRead) -> None:
    assert (a.facts, a.events, a.skipped, a.weight) == (b.facts, b.events, b.skipped, b.weight)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Bytes read per file name through the rollout reader's one way in."""
    seen: dict[str, int] = {}
    real = records.file_lines

    def counting(path: Path, skipped: SkippedLines, start: int) -> Iterator[bytes]:
        for line in real(path, skipped, start):
            seen[path.name] = seen.get(path.name, 0) + len(line)
            yield line

    monkeypatch.setattr(records, "file_lines", counting)
    return seen


@pytest.mark.parametrize("root", ROOTS, ids=lambda r: r.parent.name)
def test_the_stats_read_equals_the_full_read(root: Path) -> None:
    for f in _files(root):
        _same(read_codex_stats(f), stats_of(read_codex_session(f)))


def _split_points(data: bytes) -> list[int]:
    ends = [i + 1 for i, c in enumerate(data) if c == 0x0A]
    step = max(1, len(ends) // 12)
    return [0, *ends[::step], *ends[-3:]]


@pytest.mark.parametrize("root", ROOTS, ids=lambda r: r.parent.name)
def test_a_grown_rollout_read_on_equals_a_cold_full_read(
    root: Path, tmp_path: Path, counted: dict[str, int]
) -> None:
    """Every rollout cut at line ends (every line of the small ones), read, grown back whole, read on."""
    for src in [f for f in _files(root) if f.path.name.endswith(".jsonl")]:
        data = src.path.read_bytes()
        for cut in sorted(set(_split_points(data))):
            here = tmp_path / src.path.stem
            copy = here / "sessions" / src.path.name
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(data[:cut])
            (f,) = _files(here)
            first = read_codex_stats(f)
            assert first.resume is not None, (src.path.name, cut)
            with copy.open("ab") as fh:
                fh.write(data[cut:])
            (f,) = _files(here)
            counted.clear()
            on = read_codex_stats(f, first.resume)
            assert counted.get(copy.name, 0) == len(data) - cut, "only the new bytes are read"
            _same(on, stats_of(read_codex_session(f)))
            _same(on, read_codex_stats(f))
            assert on.resume == read_codex_stats(f).resume


def _tree(tmp_path: Path) -> tuple[Config, Path]:
    root = tmp_path / "codex"
    shutil.copytree(REPO / "fixtures" / "samples" / "codex", root)
    toml = tmp_path / "c.toml"
    toml.write_text(f'timezone = "UTC"\n[devices.here]\ncodex = ["{root}"]\n', encoding="utf-8")
    return load_config(toml), next(root.rglob(f"*{BIG}.jsonl"))


def _line(kind: str, payload: dict[str, Any], second: int) -> bytes:
    ts = f"2026-05-11T09:{second // 60:02d}:{second % 60:02d}.000Z"
    return orjson.dumps({"timestamp": ts, "type": kind, "payload": payload}) + b"\n"


def _more(second: int, tag: str) -> bytes:
    """A turn: a prompt, a new model, a failing command, its output and end, the answer and its usage."""
    call = f"call_{tag}"
    total = {"input_tokens": 7_000_000 + second, "cached_input_tokens": 5_000_000, "output_tokens": 10_000}
    return b"".join(
        [
            _line("event_msg", {"type": "user_message", "message": f"and one more thing ({tag})"}, second),
            _line("turn_context", {"cwd": "/w/other", "model": "gpt-5.9-codex"}, second + 1),
            _line(
                "response_item",
                {"type": "function_call", "name": "exec_command", "arguments": "{}", "call_id": call},
                second + 2,
            ),
            _line("event_msg", {"type": "exec_command_end", "call_id": call, "exit_code": 2}, second + 3),
            _line(
                "response_item", {"type": "function_call_output", "call_id": call, "output": "no"}, second + 3
            ),
            _line("event_msg", {"type": "agent_message", "message": f"done {tag}"}, second + 4),
            _line(
                "response_item",
                {
                    "type": "message",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": f"done {tag}"}],
                },
                second + 4,
            ),
            _line("event_msg", {"type": "token_count", "info": {"total_token_usage": total}}, second + 5),
        ]
    )


def _cold(config: Config) -> tuple[list[Any], list[Any]]:
    shutil.rmtree(default_path().parent, ignore_errors=True)
    return _indexed(config, DAY, ZONE)


@pytest.mark.usefixtures("pool")
def test_sessions_reads_an_appended_rollout_from_its_last_offset(
    tmp_path: Path, counted: dict[str, int]
) -> None:
    config, big = _tree(tmp_path)
    before = _indexed(config, DAY, ZONE)
    assert before == _full(config, DAY, ZONE)
    more = _more(0, "a")
    with big.open("ab") as fh:
        fh.write(more)
    counted.clear()
    after = _indexed(config, DAY, ZONE)
    assert counted == {big.name: len(more)}, "only the new bytes are read"
    assert after == _full(config, DAY, ZONE)
    row, was = (next(r for r in rows[0] if r["id"] == BIG) for rows in (after, before))
    assert (row["human_prompts"], row["tool_calls"], row["tool_errors"]) == (
        was["human_prompts"] + 1,
        was["tool_calls"] + 1,
        was["tool_errors"] + 1,
    )
    assert "gpt-5.9-codex" in row["models"] and "gpt-5.9-codex" not in was["models"]
    again = _more(100, "b")
    with big.open("ab") as fh:  # and again, from the new offset
        fh.write(again)
    counted.clear()
    got = _indexed(config, DAY, ZONE)
    assert counted == {big.name: len(again)}
    assert got == _full(config, DAY, ZONE) == _cold(config)


def _read_after(config: Config, big: Path, counted: dict[str, int], change: bytes) -> int:
    """The bytes read for ``big`` once ``change`` is its content, the answer checked against a full read."""
    big.write_bytes(change)
    counted.clear()
    got = _indexed(config, DAY, ZONE)
    read = counted.get(big.name, 0)
    assert got == _full(config, DAY, ZONE)
    return read


def test_a_cut_line_completed_is_read_afresh(tmp_path: Path, counted: dict[str, int]) -> None:
    config, big = _tree(tmp_path)
    data, more = big.read_bytes(), _more(0, "a")
    assert _read_after(config, big, counted, data + more[:30]) == len(data) + 30
    assert _read_after(config, big, counted, data + more) == len(data) + len(more)


def test_bytes_changed_before_the_offset_are_read_afresh(tmp_path: Path, counted: dict[str, int]) -> None:
    config, big = _tree(tmp_path)
    data = big.read_bytes()
    assert _read_after(config, big, counted, data) > 0
    i = data.rindex(b'"task_complete"')
    changed = data[:i] + b'"task_COMPLETE"' + data[i + 15 :] + _more(0, "a")
    assert _read_after(config, big, counted, changed) == len(changed)


def test_a_shrunk_file_is_read_afresh(tmp_path: Path, counted: dict[str, int]) -> None:
    config, big = _tree(tmp_path)
    data = big.read_bytes()
    assert _read_after(config, big, counted, data) > 0
    cut = data[: data.rindex(b"\n", 0, len(data) // 2) + 1]
    assert _read_after(config, big, counted, cut) == len(cut)
    assert _read_after(config, big, counted, cut + _more(0, "a")) == len(_more(0, "a"))  # on from there


def test_records_without_a_time_to_fall_back_on_are_never_continued(tmp_path: Path) -> None:
    """Their usage takes the file's mtime, which moves as the file grows: always read in full."""
    root = tmp_path / "sessions"
    root.mkdir()
    path = root / "rollout-2026-05-11T09-00-00-019e0000-0000-7000-8000-000000000001.jsonl"
    total = {"input_tokens": 10, "output_tokens": 1}
    path.write_bytes(
        orjson.dumps(
            {"type": "event_msg", "payload": {"type": "token_count", "info": {"total_token_usage": total}}}
        )
        + b"\n"
    )
    (f,) = _files(tmp_path)
    assert read_codex_stats(f).resume is None
    _same(read_codex_stats(f), stats_of(read_codex_session(f)))


def test_compressed_and_single_json_rollouts_keep_no_state(tmp_path: Path) -> None:
    big = next((REPO / "fixtures" / "samples" / "codex").rglob(f"*{BIG}.jsonl"))
    (tmp_path / "sessions").mkdir()
    zst = tmp_path / "sessions" / (big.name + ".zst")
    zst.write_bytes(zstandard.ZstdCompressor().compress(big.read_bytes()))
    legacy = next((REPO / "tests" / "data" / "sources" / "codex").rglob("rollout-*.json"))
    shutil.copy(legacy, tmp_path / "sessions" / legacy.name)
    files = _files(tmp_path)
    assert len(files) == 2
    for f in files:
        read = read_codex_stats(f)
        assert read.resume is None
        _same(read, stats_of(read_codex_session(f)))


def test_a_small_file_grown_into_binary_is_read_afresh(tmp_path: Path) -> None:
    """Under 64 KB the head is sniffed again: NUL bytes make the full read take nothing, so must this."""
    root = tmp_path / "sessions"
    root.mkdir()
    path = root / "rollout-2026-05-11T09-00-00-019e0000-0000-7000-8000-000000000002.jsonl"
    path.write_bytes(_more(0, "a"))
    (f,) = _files(tmp_path)
    first = read_codex_stats(f)
    assert first.resume is not None
    with path.open("ab") as fh:
        fh.write(b"\0\0\0\n")
    (f,) = _files(tmp_path)
    on = read_codex_stats(f, first.resume)
    _same(on, stats_of(read_codex_session(f)))
    assert on.skipped and on.skipped[0].unreadable
