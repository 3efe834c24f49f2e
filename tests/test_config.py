"""Loading daily-report.toml: precedence, paths, zones, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from daily_report.core.config import load_config, resolve_zone
from daily_report.core.errors import ConfigError

TOML = """
timezone = "Asia/Shanghai"
out_dir = "out"
lang = "zh"
[devices.DCC]
claude = ["data/alice/.claude", "/abs/bob/.claude"]
codex = ["~/.codex"]
[devices.tianhe]
claude = ["../tianhe/.claude"]
[prices."my-model"]
input = 1.0
output = 2.0
cache_read = 0.1
[redaction]
extra_patterns = { ticket = "TCK-[0-9]+" }
allowlist = ["example.com"]
[chunk]
budget_tokens = 12000
"""


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_full_file(tmp_path: Path) -> None:
    cfg_path = _write(tmp_path / "conf" / "daily-report.toml", TOML)
    cfg = load_config(cfg_path)
    assert cfg.source == cfg_path.resolve()
    assert list(cfg.devices) == ["DCC", "tianhe"]  # config order is kept
    dcc = cfg.devices["DCC"]
    assert dcc.name == "DCC"
    assert dcc.roots["claude_code"] == [
        tmp_path / "conf" / "data" / "alice" / ".claude",
        Path("/abs/bob/.claude"),
    ]
    assert dcc.roots["codex"] == [Path.home() / ".codex"]
    assert cfg.devices["tianhe"].roots["claude_code"] == [tmp_path / "conf" / ".." / "tianhe" / ".claude"]
    assert cfg.out_dir == tmp_path / "conf" / "out"
    assert cfg.prices["my-model"].cache_read == 0.1 and cfg.prices["my-model"].cache_write is None
    assert cfg.redaction.extra_patterns == {"ticket": "TCK-[0-9]+"} and cfg.chunk.budget_tokens == 12000
    assert str(resolve_zone(cfg)) == "Asia/Shanghai" and cfg.lang == "zh"


def test_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    explicit = _write(tmp_path / "a.toml", 'timezone = "UTC"\n')
    env = _write(tmp_path / "b.toml", 'timezone = "Europe/Vilnius"\n')
    _write(tmp_path / "cwd" / "daily-report.toml", 'timezone = "Asia/Tokyo"\n')
    monkeypatch.chdir(tmp_path / "cwd")
    assert load_config().timezone == "Asia/Tokyo"
    monkeypatch.setenv("DAILY_REPORT_CONFIG", str(env))
    assert load_config().timezone == "Europe/Vilnius"
    assert load_config(explicit).timezone == "UTC"
    assert load_config(explicit, tz="America/New_York").timezone == "America/New_York"


def test_default_without_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", "/x/one, /x/two")
    monkeypatch.setattr("socket.gethostname", lambda: "box.example.org")
    cfg = load_config()
    assert list(cfg.devices) == ["box"] and cfg.source is None
    dev = cfg.devices["box"]
    assert dev.roots["claude_code"] == [Path("/x/one"), Path("/x/two"), tmp_path / "home" / ".claude"]
    assert dev.roots["codex"] == [tmp_path / "home" / ".codex"]


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("timezone = [unclosed\n", "is not valid TOML"),
        ('colour = "red"\n', "unknown key 'colour'"),
        ('[devices.X]\nclaude = ["a"]\nremote = true\n', "unknown key 'devices.X.remote'"),
        ('[llm]\nconcurrency = "many"\n', "llm.concurrency"),
        ('timezone = "Mars/Olympus"\n', "unknown time zone 'Mars/Olympus'"),
    ],
)
def test_errors_name_file_and_problem(tmp_path: Path, text: str, needle: str) -> None:
    path = _write(tmp_path / "bad.toml", text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert needle in message and "\n" not in message
    if "time zone" not in needle:
        assert str(path) in message


def test_bad_tz_override_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown time zone 'Nowhere/City'"):
        load_config(_write(tmp_path / "ok.toml", ""), tz="Nowhere/City")
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml")
