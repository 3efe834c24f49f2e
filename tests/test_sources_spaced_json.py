"""A transcript re-serialized with spaces after separators ('"type": "assistant"') is read the same."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from daily_report.schemas.config import Config, DeviceConfig
from daily_report.sources.claude.usage import read_claude_usage
from daily_report.sources.discovery import discover

SAMPLE = "claude-code/projects/-Users-user-repo/9eda1058-9706-484a-b992-d03f9cfa2546.jsonl"


def _files(root: Path):  # type: ignore[no-untyped-def]
    cfg = Config(devices={"d": DeviceConfig(name="d", claude=[root])})
    return [f for f in discover(cfg).files if f.kind == "main"]


def test_spaced_json_gives_the_same_usage(samples: Path, tmp_path: Path) -> None:
    compact = tmp_path / "compact" / "projects" / "-Users-user-repo"
    spaced = tmp_path / "spaced" / "projects" / "-Users-user-repo"
    compact.mkdir(parents=True)
    spaced.mkdir(parents=True)
    src = samples / SAMPLE
    shutil.copy(src, compact / src.name)
    lines = src.read_text(encoding="utf-8").splitlines()
    (spaced / src.name).write_text(
        "\n".join(json.dumps(json.loads(x)) for x in lines) + "\n", encoding="utf-8"
    )
    assert '"type": "assistant"' in (spaced / src.name).read_text(encoding="utf-8")

    (a,) = _files(tmp_path / "compact")
    (b,) = _files(tmp_path / "spaced")
    ua, ub = read_claude_usage(a), read_claude_usage(b)
    key = lambda e: (e.dedup_key, e.input_tokens, e.output_tokens, e.cache_read_tokens, e.timestamp)  # noqa: E731
    assert len(ua.events) > 0
    assert sorted(map(key, ua.events)) == sorted(map(key, ub.events))
    assert (ua.start, ua.end) == (ub.start, ub.end)
