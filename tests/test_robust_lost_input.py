"""Lost input is visible: a file or folder that cannot be read is named with its reason in ``run``,
report.json, the footer and ``sessions --json``; usage values of the wrong type are counted as invalid;
a symlinked session keeps the real file's id; a zstd bomb is refused quickly and cheaply."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import zstandard
from daily_report.cli.app import app
from daily_report.core.config import load_config
from daily_report.schemas.transcript import SkippedLines
from daily_report.sources.claude.usage import read_claude_usage
from daily_report.sources.codex.session import read_codex_usage
from daily_report.sources.discovery import discover
from daily_report.sources.files import SourceFile
from daily_report.sources.jsonl import open_binary
from daily_report.sources.reader import load_sessions
from typer.testing import CliRunner

from tests.conftest import REPO
from tests.stub_llm_server import StubLLMServer
from tests.test_run_day import DAY, make_day, run_args

runner = CliRunner()
CODEX_DAY = REPO / "fixtures" / "day" / "devices" / "laptop" / ".codex" / "sessions" / "2026" / "03" / "17"
ROLLOUT = next(CODEX_DAY.glob("rollout-*019cf9aa*.jsonl"))


def _broken_codex(root: Path) -> dict[str, Path]:
    """A Codex root with one good rollout and one file of each broken kind."""
    where = root / "sessions" / "2026" / "03" / "17"
    where.mkdir(parents=True)
    (where / ROLLOUT.name).write_bytes(ROLLOUT.read_bytes())
    packed = zstandard.ZstdCompressor().compress(ROLLOUT.read_bytes().replace(b"019cf9aa", b"029cf9aa"))
    name = "rollout-2026-03-17T11-00-00-0{}aaaaaa-0000-0000-0000-000000000001.jsonl"
    files = {
        "corrupt": where / (name.format(1) + ".zst"),
        "empty": where / (name.format(2) + ".zst"),
        "truncated": where / (name.format(3) + ".zst"),
        "binary": where / name.format(4),
    }
    files["corrupt"].write_bytes(b"\x28\xb5\x2f\xfd" + b"not a zstd frame at all" * 8)
    files["empty"].write_bytes(b"")
    files["truncated"].write_bytes(packed[: len(packed) // 2])
    files["binary"].write_bytes(bytes(range(256)) * 16)
    return files


def _config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "daily-report.toml"
    path.write_text(f'timezone = "Asia/Shanghai"\n\n{body}', encoding="utf-8")
    return path


def test_every_unreadable_file_is_named_with_its_reason(tmp_path: Path) -> None:
    files = _broken_codex(tmp_path / ".codex")
    config = load_config(_config(tmp_path, '[devices.laptop]\ncodex = [".codex"]\n'))
    read = load_sessions(config, date=date(2026, 3, 17))
    reasons = {u.path: u.reason for u in read.unread}
    assert reasons[str(files["corrupt"])].startswith("corrupt zstd")
    assert reasons[str(files["empty"])] == "empty zstd file"
    assert reasons[str(files["truncated"])].startswith("truncated zstd")
    assert reasons[str(files["binary"])].startswith("not UTF-8 / binary")
    assert len(reasons) == 4
    ids = {s.id for s in read.sessions}
    assert "019cf9aa-4881-78e3-8f47-8bb4cdd3a6ee" in ids  # the good one is read as before

    from zoneinfo import ZoneInfo

    from daily_report.usage.build import build_usage_report

    usage = build_usage_report(
        config, date=date(2026, 3, 17), zone=ZoneInfo("Asia/Shanghai"), index_path=tmp_path / "i.sqlite3"
    )
    assert set(usage.unread_files) == {str(f) for f in files.values()}


def test_a_file_or_folder_without_permission_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _broken_codex(tmp_path / ".codex")
    for f in files.values():
        f.unlink()
    good = tmp_path / ".codex" / "sessions" / "2026" / "03" / "17" / ROLLOUT.name
    locked_dir = tmp_path / ".codex" / "sessions" / "2026" / "03" / "18"
    locked_dir.mkdir()
    real_open, real_scandir = Path.open, os.scandir

    def guarded_open(self: Path, *a: Any, **kw: Any) -> Any:
        if self == good:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *a, **kw)

    def guarded_scandir(path: Any = ".") -> Any:
        if str(path) == str(locked_dir):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(Path, "open", guarded_open)  # root reads any file: a chmod would not do
    monkeypatch.setattr(os, "scandir", guarded_scandir)
    config = load_config(_config(tmp_path, '[devices.laptop]\ncodex = [".codex"]\n'))
    read = load_sessions(config, date=date(2026, 3, 17))
    assert {u.path: u.reason for u in read.unread} == {
        str(locked_dir): "permission denied",
        str(good): "permission denied",
    }


def test_run_report_footer_and_sessions_json_name_the_lost_files(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    files = _broken_codex(tmp_path / "laptop" / ".codex")
    files.pop("truncated").unlink()  # a partial copy of a session: read at the reader level above
    with StubLLMServer() as stub:
        config = make_day(tmp_path, provider="anthropic", base_url=stub.url)
        text = config.read_text(encoding="utf-8")
        config.write_text(
            text.replace(
                'claude = ["laptop/.claude"]', 'claude = ["laptop/.claude"]\ncodex = ["laptop/.codex"]'
            )
        )
        result = runner.invoke(app, run_args(config))
    assert result.exit_code == 0, result.output
    out = result.output
    assert "3 transcript files could not be read" in out
    for f in files.values():
        assert f.name in out.replace("\n", "")
    report = json.loads((tmp_path / "reports" / DAY / "report.json").read_text(encoding="utf-8"))
    named = {u["path"]: u["reason"] for u in report["unread_files"]}
    assert named[str(files["corrupt"])].startswith("corrupt zstd")
    assert named[str(files["binary"])].startswith("not UTF-8 / binary")
    md = (tmp_path / "reports" / DAY / "report.md").read_text(encoding="utf-8")
    assert "Could not read 3 transcript files" in md and f"`{files['empty']}` (empty zstd file)" in md
    html = (tmp_path / "reports" / DAY / "report.html").read_text(encoding="utf-8")
    assert "Could not read 3 transcript files" in html and files["binary"].name in html

    listed = runner.invoke(app, ["sessions", "--date", DAY, "--config", str(config), "--json"])
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.stdout)
    assert {u["path"] for u in data["unread_files"]} == {str(f) for f in files.values()}


# ---------------------------------------------------------------- usage values of the wrong type


def _claude_line(n: int, usage: Any, model: Any = "claude-sonnet-4-6") -> dict[str, Any]:
    return {
        "type": "assistant",
        "uuid": f"u{n}",
        "sessionId": "s1",
        "timestamp": f"2026-03-17T02:0{n}:00.000Z",
        "message": {"id": f"msg_{n}", "role": "assistant", "model": model, "content": [], "usage": usage},
    }


BAD_USAGES = [
    {"input_tokens": "12", "output_tokens": 3},
    {"input_tokens": -5, "output_tokens": 3},
    {"input_tokens": 1.5, "output_tokens": 3},
    {"input_tokens": None, "output_tokens": 3},
]


def test_usage_values_of_the_wrong_type_are_counted_as_invalid(tmp_path: Path) -> None:
    lines = [_claude_line(0, {"input_tokens": 7, "output_tokens": 3})]
    lines += [_claude_line(i + 1, u) for i, u in enumerate(BAD_USAGES)]
    lines.append(_claude_line(5, {"input_tokens": 9, "output_tokens": 1}, model=["x"]))
    path = tmp_path / "s1.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    f = SourceFile(path=path, agent="claude_code", device="d", root=tmp_path)
    fast = read_claude_usage(f)
    assert fast.skipped.invalid_usage == 5
    assert [(e.model, e.input_tokens) for e in fast.events] == [("claude-sonnet-4-6", 7)]

    from daily_report.sources.claude.session import read_claude_session

    session = read_claude_session([f])
    assert [(e.model, e.input_tokens) for e in session.usage] == [("claude-sonnet-4-6", 7)]
    assert session.skipped[0].invalid_usage == 5 and "['x']" not in session.models


def test_a_codex_token_count_of_the_wrong_type_is_invalid(tmp_path: Path) -> None:
    text = ROLLOUT.read_text(encoding="utf-8")
    bad = text.replace('"output_tokens":', '"output_tokens":"oops","_was":', 1)
    assert bad != text
    path = tmp_path / ROLLOUT.name
    path.write_text(bad, encoding="utf-8")
    fu = read_codex_usage(SourceFile(path=path, agent="codex", device="d", root=tmp_path))
    assert fu.skipped.invalid_usage == 1


# ---------------------------------------------------------------- symlinks and bombs


def test_a_symlinked_session_has_the_real_files_id(tmp_path: Path) -> None:
    project = tmp_path / ".claude" / "projects" / "-home-me-p"
    project.mkdir(parents=True)
    real = project / "bbbbbbbb-0000-4000-8000-000000000002.jsonl"
    real.write_text(json.dumps(_claude_line(1, {"input_tokens": 1, "output_tokens": 1})) + "\n")
    (project / "00000000-link.jsonl").symlink_to(real)  # sorts first
    config = load_config(_config(tmp_path, '[devices.d]\nclaude = [".claude"]\n'))
    found = discover(config)
    assert len(found.files) == 1
    sessions = load_sessions(config).sessions
    assert [s.id for s in sessions] == [real.stem]


def test_a_zstd_bomb_is_refused_quickly_with_little_memory(tmp_path: Path) -> None:
    bomb = tmp_path / "rollout-2026-03-17T11-00-00-bomb.jsonl.zst"
    writer = zstandard.ZstdCompressor(level=19)
    bomb.write_bytes(writer.compress(b"\n" * (256 << 20)))
    assert len(bomb.read_bytes()) < 16_000
    probe = (
        "import resource, sys, time; from pathlib import Path\n"
        "from daily_report.sources.jsonl import open_binary; from daily_report.schemas.transcript import SkippedLines\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "s = SkippedLines(path='b'); t = time.perf_counter()\n"
        "data = open_binary(Path(sys.argv[1]), s).read()\n"
        "took = time.perf_counter() - t\n"
        "grew = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before\n"
        "print(took, grew, len(data), s.unreadable)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, str(bomb)], capture_output=True, text=True, check=True, cwd=REPO
    ).stdout.split(maxsplit=3)
    took, grew_kb, size, reason = float(out[0]), int(out[1]), int(out[2]), out[3]
    assert size == 0 and "decompresses past" in reason
    assert took < 5, took
    assert grew_kb < 48 * 1024, grew_kb  # the whole stream is 256 MB


def test_a_normal_zst_still_reads_whole(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl.zst"
    path.write_bytes(zstandard.ZstdCompressor().compress(ROLLOUT.read_bytes()))
    skipped = SkippedLines(path=str(path))
    started = time.perf_counter()
    assert open_binary(path, skipped).read() == ROLLOUT.read_bytes()
    assert skipped.unreadable is None and time.perf_counter() - started < 2
