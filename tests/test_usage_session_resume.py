"""A grown Claude Code file is read from where the last read stopped, and gives what a cold full read gives;
when the kept state cannot be continued (a cut line completed, bytes changed before the offset, a new line
repeating a uuid of a later file) the session is read afresh. Bytes read are counted through the seam every
read goes through (``stats_lines.iter_blocks``), not timed."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import daily_report.sources.claude.stats_lines as stats_lines
import orjson
import pytest
from daily_report.core.config import load_config
from daily_report.schemas.config import Config
from daily_report.usage.session_index import default_path

from tests.test_sources_claude_stats import _odd_tree, _Writer
from tests.test_usage_session_index import _full, _indexed, pool  # noqa: F401  (a fixture used below)

DAY, ZONE = date(2026, 3, 10), ZoneInfo("UTC")


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Bytes read per file name through the scan's one way in."""
    seen: dict[str, int] = {}
    real = stats_lines.iter_blocks

    def counting(path: Path, **kw: Any) -> Iterator[tuple[bytes, bool]]:
        for block, complete in real(path, **kw):
            seen[path.name] = seen.get(path.name, 0) + len(block)
            yield block, complete

    monkeypatch.setattr(stats_lines, "iter_blocks", counting)
    return seen


def _config(tmp_path: Path) -> tuple[Config, Path]:
    projects = _odd_tree(tmp_path / "claude")
    shutil.copytree(
        Path(__file__).resolve().parent.parent / "fixtures" / "samples" / "claude-code",
        tmp_path / "claude" / "projects" / "samples",
    )
    toml = tmp_path / "c.toml"
    toml.write_text(
        f'timezone = "UTC"\n[devices.here]\nclaude = ["{tmp_path / "claude"}"]\n', encoding="utf-8"
    )
    return load_config(toml), projects / "-w-odd"


def _more(sid: str, tag: str, minute: int) -> bytes:
    w = _Writer(sid, minute=minute, tag=tag)
    w.user("and one more thing")
    w.tool(f"{tag}-t", "Bash")
    w.result(f"{tag}-t", "Exit code 1\nfailed")
    w.assistant([{"type": "text", "text": "done"}], model="m-3")
    return b"\n".join(w.lines) + b"\n"


def _cold(config: Config) -> tuple[list[Any], list[Any]]:
    shutil.rmtree(default_path().parent, ignore_errors=True)
    return _indexed(config, DAY, ZONE)


@pytest.mark.usefixtures("pool")
def test_appended_lines_are_read_from_the_last_offset(tmp_path: Path, counted: dict[str, int]) -> None:
    """Cold, the states are kept by the parent or by the worker processes that read ahead."""
    config, proj = _config(tmp_path)
    before = _indexed(config, DAY, ZONE)
    assert before == _full(config, DAY, ZONE)
    main, sub = proj / "sess-c.jsonl", proj / "sess-a" / "subagents" / "agent-zzz.jsonl"
    grown = {main.name: _more("sess-c", "c-more", 700), sub.name: _more("sess-a", "zzz-more", 320)}
    for path in (main, sub):
        with path.open("ab") as fh:
            fh.write(grown[path.name])
    counted.clear()
    after = _indexed(config, DAY, ZONE)
    assert counted == {name: len(data) for name, data in grown.items()}, "only the new bytes are read"
    assert after == _full(config, DAY, ZONE)
    row = next(r for r in after[0] if r["id"] == "sess-c")
    was = next(r for r in before[0] if r["id"] == "sess-c")
    assert (row["human_prompts"], row["tool_errors"], row["models"]) == (
        was["human_prompts"] + 1,
        was["tool_errors"] + 1,
        [*was["models"], "m-1", "m-3"],
    )
    counted.clear()
    again = _more("sess-c", "c-again", 800)
    with main.open("ab") as fh:  # and again, from the new offset
        fh.write(again)
    assert _indexed(config, DAY, ZONE) == _full(config, DAY, ZONE) == _cold(config)
    assert counted["sess-c.jsonl"] >= len(again)  # (the cold read's are counted only in one process)


def test_a_cut_line_completed_is_read_afresh(tmp_path: Path, counted: dict[str, int]) -> None:
    config, proj = _config(tmp_path)
    main = proj / "sess-c.jsonl"
    line = orjson.dumps(
        {"type": "user", "uuid": "cut", "sessionId": "sess-c", "timestamp": "2026-03-10T20:00:00Z"}
    )
    with main.open("ab") as fh:
        fh.write(line[:20])
    assert _indexed(config, DAY, ZONE) == _full(config, DAY, ZONE)
    with main.open("ab") as fh:
        fh.write(line[20:] + b"\n")
    counted.clear()
    assert _indexed(config, DAY, ZONE) == _full(config, DAY, ZONE)
    assert counted["sess-c.jsonl"] == main.stat().st_size


def test_bytes_changed_before_the_offset_are_read_afresh(tmp_path: Path, counted: dict[str, int]) -> None:
    config, proj = _config(tmp_path)
    main = proj / "sess-c.jsonl"
    assert _indexed(config, DAY, ZONE) == _full(config, DAY, ZONE)
    data = main.read_bytes()
    i = data.rindex(b'"p199"')
    main.write_bytes(data[:i] + b'"P199"' + data[i + 6 :] + _more("sess-c", "c-more", 700))
    counted.clear()
    assert _indexed(config, DAY, ZONE) == _full(config, DAY, ZONE)
    assert counted["sess-c.jsonl"] == main.stat().st_size


def test_a_new_line_repeating_a_later_files_uuid_is_read_afresh(
    tmp_path: Path, counted: dict[str, int]
) -> None:
    """Read in full, the main file's copy of a subagent line comes first and the subagent's is dropped."""
    config, proj = _config(tmp_path)
    main = proj / "sess-a.jsonl"
    data = main.read_bytes()
    main.write_bytes(data[: data.rindex(b"\n") + 1])  # no line still being written
    assert _indexed(config, DAY, ZONE) == _full(config, DAY, ZONE)
    sub_line = (proj / "sess-a" / "subagents" / "agent-one.jsonl").read_bytes().split(b"\n")[1]
    with main.open("ab") as fh:
        fh.write(sub_line + b"\n")
    counted.clear()
    got = _indexed(config, DAY, ZONE)
    assert counted["sess-a.jsonl"] == len(sub_line) + 1 + main.stat().st_size  # the new line, then afresh
    assert got == _full(config, DAY, ZONE) == _cold(config)
