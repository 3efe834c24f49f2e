"""The file index: a warm run reads no unchanged file; a changed file is read again."""

from __future__ import annotations

import multiprocessing
import os
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import daily_report.sources.usage_rows as usage_rows
import pytest
from daily_report.schemas.config import Config, DeviceConfig
from daily_report.schemas.transcript import SkippedLines
from daily_report.sources.discovery import discover
from daily_report.sources.types import SourceFile, UsageRows
from daily_report.usage.events import Ev
from daily_report.usage.index import FileEvents, UsageIndex, decode, encode
from daily_report.usage.load import load_file_usages

MAIN = "-Users-user-repo/9eda1058-9706-484a-b992-d03f9cfa2546.jsonl"


@pytest.fixture
def tree(samples: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "claude" / "projects" / MAIN
    dest.parent.mkdir(parents=True)
    shutil.copy(samples / "claude-code" / "projects" / MAIN, dest)
    sub = samples / "claude-code" / "projects" / "-Users-philipp-dev-studio"
    shutil.copytree(sub, tmp_path / "claude" / "projects" / sub.name)
    return tmp_path / "claude"


def files_of(root: Path) -> list[SourceFile]:
    return discover(Config(devices={"A": DeviceConfig(name="A", claude=[root])})).files


def counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = usage_rows.read_usage_rows

    def spy(f: SourceFile) -> UsageRows:
        calls.append(str(f.path))
        return real(f)

    monkeypatch.setattr(usage_rows, "read_usage_rows", spy)
    return calls


def test_warm_run_reads_nothing_and_gives_the_same(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = counting(monkeypatch)
    files = files_of(tree)
    cold = load_file_usages(files, workers=1)
    assert len(calls) == len(files) == 3
    warm = load_file_usages(files_of(tree), workers=1)
    assert len(calls) == 3  # nothing read again
    assert warm == cold
    assert sum(len(f.events) for f in warm) > 0


def test_changed_file_is_read_again(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = counting(monkeypatch)
    load_file_usages(files_of(tree), workers=1)
    target = tree / "projects" / MAIN
    before = next(f for f in load_file_usages(files_of(tree), workers=1) if f.path == str(target))
    with target.open("ab") as fh:
        fh.write(
            b'{"type":"assistant","timestamp":"2026-01-11T11:00:00.000Z","requestId":"req_new",'
            b'"message":{"id":"msg_new","model":"claude-sonnet-4-5-20250929","usage":'
            b'{"input_tokens":5,"output_tokens":7,"cache_read_input_tokens":0,'
            b'"cache_creation_input_tokens":0}}}\n'
        )
    os.utime(target, ns=(1, 2))
    n = len(calls)
    after = next(f for f in load_file_usages(files_of(tree), workers=1) if f.path == str(target))
    assert calls[n:] == [str(target)]
    assert len(after.events) == len(before.events) + 1


def _writer(path: Path, files: list[SourceFile], tag: bytes) -> None:
    with UsageIndex(path) as idx:
        for i in range(40):
            idx.put_blobs([(f, tag + str(i).encode(), 1.0, 2.0) for f in files])


def test_two_processes_can_share_the_index(tree: Path, tmp_path: Path) -> None:
    path = tmp_path / "idx.sqlite3"
    files = files_of(tree)
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(path, files, tag)) for tag in (b"a", b"b")]
    for p in procs:
        p.start()
    with UsageIndex(path) as reader:
        while any(p.is_alive() for p in procs):
            reader.get_blobs(files)  # reads while both write: never "database is locked"
    for p in procs:
        p.join()
        assert p.exitcode == 0
    with UsageIndex(path) as idx:
        blobs, outside = idx.get_blobs(files)
        assert set(blobs) == {str(f.path) for f in files} and not outside
        assert all(b in (b"a39", b"b39") for b in blobs.values())
        # a window that misses [1, 2] leaves the files unchanged but unloaded
        blobs, outside = idx.get_blobs(files, lo=3.0, hi=9.0)
        assert not blobs and outside == {str(f.path) for f in files}


def test_files_outside_the_window_are_neither_read_nor_returned(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = counting(monkeypatch)
    files = files_of(tree)
    jan = (datetime(2026, 1, 11, tzinfo=UTC), datetime(2026, 1, 12, tzinfo=UTC))
    first = load_file_usages(files, window=jan, workers=1)
    assert [Path(f.path).name for f in first] == [Path(MAIN).name]  # the 2025 files lie outside
    assert len(calls) == 3
    again = load_file_usages(files, window=jan, workers=1)
    assert again == first and len(calls) == 3


def test_pool_gives_the_same_as_one_process(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = files_of(tree)
    one = load_file_usages(files, index_path=tmp_path / "one.sqlite3", workers=1)
    two = load_file_usages(files, index_path=tmp_path / "two.sqlite3", workers=2)
    assert two == one


def test_unchanged_tree_is_answered_from_the_memo(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import daily_report.usage.build as build

    config = Config(devices={"A": DeviceConfig(name="A", claude=[tree])})
    day, zone = date(2026, 1, 11), ZoneInfo("UTC")
    first = build.build_usage_report(config, date=day, zone=zone)
    assert first.agents["claude_code"].totals.responses == 5

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("recomputed although nothing changed")

    monkeypatch.setattr(build, "collect", boom)
    assert build.build_usage_report(config, date=day, zone=zone) == first
    other_zone = ZoneInfo("Asia/Shanghai")
    with pytest.raises(AssertionError, match="recomputed"):
        build.build_usage_report(config, date=day, zone=other_zone)
    os.utime(tree / "projects" / MAIN, ns=(5, 6))
    with pytest.raises(AssertionError, match="recomputed"):
        build.build_usage_report(config, date=day, zone=zone)


def test_renamed_device_is_not_taken_from_the_index(tree: Path) -> None:
    files = files_of(tree)
    assert {e.device for f in load_file_usages(files, workers=1) for e in f.events} == {"A"}
    renamed = discover(Config(devices={"laptop": DeviceConfig(name="laptop", claude=[tree])})).files
    assert {e.device for f in load_file_usages(renamed, workers=1) for e in f.events} == {"laptop"}


def test_pool_chunks_cover_every_file_once_and_shrink_toward_the_end() -> None:
    from daily_report.usage.load import CHUNKS_PER_WORKER, chunks_by_bytes

    sizes = [5_000_000, 10, 3_000_000, 7, 2_500_000, 400_000, *([100_000] * 300)]
    chunks = chunks_by_bytes(sizes, 2)
    assert sorted(i for c in chunks for i in c) == list(range(len(sizes)))
    assert chunks[0][0] == 0  # the biggest file goes out first
    totals = [sum(sizes[i] for i in c) for c in chunks]
    floor = sum(sizes) // (2 * CHUNKS_PER_WORKER)
    assert totals[1] > 3 * floor  # guided: early chunks are big (a quarter of a worker's share)...
    assert all(t < floor + 100_000 for t in totals[-5:])  # ...the last ones no bigger than the floor
    assert totals[:-1] == sorted(totals[:-1], reverse=True)
    assert chunks_by_bytes([], 2) == []


def _ev(**kw: object) -> Ev:
    base: dict[str, object] = {
        "agent": "claude_code",
        "model": "claude-opus-4-6",
        "timestamp": datetime(2026, 3, 10, 1, 2, 3, 456000, tzinfo=UTC),
        "input_tokens": 3,
        "output_tokens": 4,
        "dedup_key": "msg_1:req_1",
        "session_id": "s1",
        "device": "laptop",
        "source_path": "/t/s1.jsonl",
    }
    return Ev(**{**base, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "events",
    [
        [],
        [_ev(), _ev(dedup_key="msg_2", is_sidechain=True, cache_write_1h_tokens=7)],  # one file's constants
        [_ev(), _ev(dedup_key="msg_2", session_id="s2")],  # two sessions in one file: full rows
        [_ev(agent="codex", model="gpt-5", cached_input_tokens=2, reasoning_tokens=1, dedup_key=None)],
    ],
)
def test_index_entries_round_trip(events: list[Ev]) -> None:
    skipped = SkippedLines(path="/t/s1.jsonl", malformed=2, first_error="line 3 of /t/s1.jsonl is not JSON")
    fe = FileEvents(
        path="/t/s1.jsonl", start=events[0].timestamp if events else None, end=None, skipped=skipped
    )
    fe.events = events
    back = decode(encode(fe))
    assert back == fe
    assert all(type(e) is Ev for e in back.events)
    if events and len({e.session_id for e in events}) == 1:  # shared values are stored once
        # the head's path, skipped.path and first_error, and the shared values: never once per event
        assert encode(fe).count(b"/t/s1.jsonl") == 4
