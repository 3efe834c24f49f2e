"""The agent registry: a third agent registered the way a real adapter is (``agents.AGENTS`` plus its TOML
key in ``daily_report.schemas.config.ROOT_KEYS``) shows in ``usage``, ``sessions`` and the report's Token Usage with its
own columns; an agent no adapter declares is refused, never read or counted as another agent's."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import daily_report.sources.agents as agents
import orjson
import pytest
from daily_report.cli.app import app
from daily_report.core.errors import ConfigError
from daily_report.core.pricing import Tokens
from daily_report.report.json_out import load_json, render_json
from daily_report.report.markdown import render_markdown
from daily_report.schemas import config as config_schema
from daily_report.schemas.transcript import Session, SkippedLines, Turn, UsageEvent
from daily_report.schemas.usage import TokenRow
from daily_report.sources.columns import Column
from daily_report.sources.types import FileUsage, SourceFile, UsageRows, rows_of
from daily_report.sources.walk import Found, Unread, readable_dir, walk
from daily_report.usage.dedup import dedup_events
from daily_report.usage.events import EventLike
from daily_report.usage.rules import first_copy_per_key
from daily_report.usage.session_facts import StatsRead, stats_of
from typer.testing import CliRunner

from tests.report_data import make_report

runner = CliRunner()
DAY = "2026-03-17"


class FakeCli:
    """A toy agent: ``<root>/chats/*.json``, one JSON session per file, tokens per model message."""

    name = "fake_cli"
    display = "Fake CLI"
    short = "Fake"
    config_key = "fake"
    home_dir = ".fake"
    root_holds = "chats/"
    provider = "google"
    color = "#123456"
    token_fields: tuple[str, ...] = ("input_tokens", "output_tokens", "reasoning_tokens")
    columns: tuple[Column, ...] = (
        Column("input_tokens", "Input", "Input Tokens", device=True),
        Column("output_tokens", "Output", "Output Tokens", device=True),
        Column("reasoning_tokens", "Thoughts", "Thought Tokens"),
        Column("thought_share", "Thought Share", "Thought Share", rate=True),
    )

    def default_roots(self, home: Path, env: Mapping[str, str]) -> tuple[list[Path], list[Path]]:
        return [], [home / ".fake"]

    def base_dir(self, root: Path) -> Path | None:
        return root / "chats" if readable_dir(root / "chats") else None

    def find_files(self, base: Path, unread: Unread) -> Iterator[Found]:
        for parts, st, real in walk(base, ".json", prefix=False, unread=unread):
            yield base.joinpath(*parts), "main", None, st, real

    def session_key(self, f: SourceFile) -> str:
        return str(f.path)

    def read_order(self, f: SourceFile) -> str:
        return ""

    def _events(self, f: SourceFile, data: dict[str, Any]) -> list[UsageEvent]:
        return [
            UsageEvent(
                agent=self.name,
                model=data["model"],
                timestamp=datetime.fromisoformat(m["ts"]),
                input_tokens=m["tokens"]["input"],
                output_tokens=m["tokens"]["output"],
                reasoning_tokens=m["tokens"]["thoughts"],
                dedup_key=m["id"],
                session_id=data["id"],
                device=f.device,
                source_path=str(f.path),
            )
            for m in data["messages"]
            if "tokens" in m
        ]

    def read_session(self, files: Sequence[SourceFile], claimed: dict[str, str]) -> Session:
        f = files[0]
        data = orjson.loads(f.path.read_bytes())
        turns = [
            Turn(
                index=i,
                role="human" if m["role"] == "user" else "assistant",
                timestamp=datetime.fromisoformat(m["ts"]),
                text=m["text"],
            )
            for i, m in enumerate(data["messages"])
        ]
        return Session(
            id=data["id"],
            agent=self.name,
            device=f.device,
            project=data["project"],
            start=turns[0].timestamp,
            end=turns[-1].timestamp,
            models=[data["model"]],
            turns=turns,
            usage=self._events(f, data),
            files=[str(f.path)],
            skipped=[SkippedLines(path=str(f.path))],
        )

    def read_stats(
        self, files: Sequence[SourceFile], claimed: dict[str, str], resume: bytes | None = None
    ) -> StatsRead:
        return stats_of(self.read_session(files, claimed))

    def read_usage(self, f: SourceFile) -> FileUsage:
        data = orjson.loads(f.path.read_bytes())
        events = self._events(f, data)
        times = [e.timestamp for e in events]
        return FileUsage(
            path=str(f.path),
            agent=self.name,
            device=f.device,
            session_id=data["id"],
            events=events,
            start=min(times),
            end=max(times),
            skipped=SkippedLines(path=str(f.path)),
        )

    def read_usage_rows(self, f: SourceFile) -> UsageRows:
        return rows_of(self.read_usage(f))

    def preload(self) -> None:
        pass

    def dedup(self, events: list[Any]) -> list[Any]:
        return first_copy_per_key(events)

    def priced_tokens(self, events: Sequence[EventLike]) -> list[Tokens]:
        return [Tokens(e.input_tokens, e.output_tokens) for e in events]

    def total_tokens(self, e: EventLike) -> int:
        return e.input_tokens + e.output_tokens

    def count(self, events: Sequence[EventLike]) -> dict[str, int]:
        return {
            "input_tokens": sum(e.input_tokens for e in events),
            "output_tokens": sum(e.output_tokens for e in events),
            "reasoning_tokens": sum(e.reasoning_tokens for e in events),
        }

    def total_of(self, counts: Mapping[str, int]) -> int:
        return counts["input_tokens"] + counts["output_tokens"]

    def rates(self, counts: Mapping[str, int]) -> dict[str, float | None]:
        out = counts["output_tokens"]
        return {"thought_share": counts["reasoning_tokens"] / out if out else None}

    def notes(self, events: Sequence[EventLike]) -> list[str]:
        return ["Fake CLI tokens are made up."] if events else []


FAKE = FakeCli()


@pytest.fixture
def fake_agent(monkeypatch: pytest.MonkeyPatch) -> FakeCli:
    """Registered through the seams a real adapter uses: the registry and the config's TOML key."""
    monkeypatch.setattr(agents, "AGENTS", (*agents.AGENTS, FAKE))
    monkeypatch.setitem(config_schema.ROOT_KEYS, FAKE.config_key, FAKE.name)
    return FAKE


def _message(
    i: int, role: str, ts: str, text: str, tokens: tuple[int, int, int] | None = None
) -> dict[str, Any]:
    m: dict[str, Any] = {"id": f"m{i}", "role": role, "ts": ts, "text": text}
    if tokens:
        m["tokens"] = dict(zip(("input", "output", "thoughts"), tokens, strict=True))
    return m


def _write_fake(root: Path) -> None:
    chats = root / "chats"
    chats.mkdir(parents=True)
    messages = [
        _message(0, "user", f"{DAY}T09:00:00+00:00", "make the plot wider"),
        _message(1, "model", f"{DAY}T09:00:30+00:00", "done", (1_000, 200, 50)),
        _message(2, "user", f"{DAY}T09:05:00+00:00", "and label the axes"),
        _message(3, "model", f"{DAY}T09:05:40+00:00", "labelled", (3_000, 600, 150)),
    ]
    session = {"id": "fake-1", "project": "plots", "model": "fake-model-1", "messages": messages}
    (chats / "session-1.json").write_bytes(orjson.dumps(session))


def _config(tmp_path: Path, samples: Path) -> Path:
    _write_fake(tmp_path / "me" / ".fake")
    cfg = tmp_path / "daily-report.toml"
    cfg.write_text(
        'timezone = "UTC"\n'
        "[devices.laptop]\n"
        f'codex = ["{samples / "codex"}"]\n'
        f'fake = ["{tmp_path / "me" / ".fake"}"]\n'
        '[prices."fake-model-1"]\n'
        "input = 1.0\n"
        "output = 10.0\n",
        encoding="utf-8",
    )
    return cfg


def test_a_registered_third_agent_shows_in_usage_sessions_and_the_report(
    fake_agent: FakeCli, tmp_path: Path, samples: Path
) -> None:
    cfg = _config(tmp_path, samples)
    result = runner.invoke(app, ["usage", "--config", str(cfg), "--date", DAY, "--json"])
    assert result.exit_code == 0, result.output
    data = orjson.loads(result.output)
    assert list(data["agents"]) == [a.name for a in agents.AGENTS]  # registry order, all listed
    assert list(data["agents"])[-1] == "fake_cli"
    totals = data["agents"]["fake_cli"]["totals"]
    assert totals == {
        "input_tokens": 4_000,
        "output_tokens": 800,
        "reasoning_tokens": 200,
        "total_tokens": 4_800,
        "cost_usd": pytest.approx((4_000 * 1.0 + 800 * 10.0) / 1e6),
        "responses": 2,
        "cost_share": None,
        "thought_share": 0.25,
    }
    assert list(data["agents"]["fake_cli"]["models"]) == ["fake-model-1"]
    assert data["total_cost_usd"] == pytest.approx(totals["cost_usd"])
    assert "Fake CLI tokens are made up." in data["notes"]
    assert "cache_creation_tokens" not in totals and "cached_input_tokens" not in totals  # not Codex's

    tables = runner.invoke(app, ["usage", "--config", str(cfg), "--date", DAY])
    assert tables.exit_code == 0, tables.output
    assert "Fake CLI: Overview" in tables.output
    assert "Thought Tokens" in tables.output and "Thought Share" in tables.output and "25.0%" in tables.output
    assert "Codex: Overview" not in tables.output  # no Codex usage that day: no Codex tables

    ranged = runner.invoke(app, ["usage", "--config", str(cfg), "--since", DAY, "--until", DAY])
    assert ranged.exit_code == 0, ranged.output
    assert "Fake Tokens" in ranged.output and "4,800" in ranged.output

    sessions = runner.invoke(app, ["sessions", "--config", str(cfg), "--date", DAY, "--json"])
    assert sessions.exit_code == 0, sessions.output
    rows = orjson.loads(sessions.output)["sessions"]
    fake_rows = [r for r in rows if r["agent"] == "fake_cli"]
    assert len(fake_rows) == 1 and fake_rows[0]["project"] == "plots"

    from daily_report.core.config import load_config
    from daily_report.usage.build import build_usage_report

    config = load_config(cfg)
    assert config.devices["laptop"].roots["fake_cli"] == [tmp_path / "me" / ".fake"]
    usage = build_usage_report(config, date=datetime.fromisoformat(DAY).date(), zone=_utc())
    report = make_report(usage=usage)
    md = render_markdown(report)
    section = md[md.index("## Token Usage") :]
    assert "### Fake CLI" in section
    assert "| Model | Input | Output | Thoughts | Cost | Share |" in section
    assert "| Thought Tokens | 200 |" in section
    assert "| laptop | 4,800 | 4,000 | 800 | $0.0120 |" in section  # its device row: its input and output
    assert load_json(render_json(report)).token_usage == usage  # the report.json round trip keeps it


def _utc() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("UTC")


def test_default_config_asks_every_agent_for_its_roots(
    fake_agent: FakeCli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Every agent's home roots; only the existing ones when any exists (here only the fake agent's)."""
    from daily_report.core.config import default_config

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("CLAUDE_CONFIG_DIR", raising=False)
    (device,) = default_config().devices.values()
    assert list(device.roots) == [a.name for a in agents.AGENTS]
    assert all(device.roots[a.name] == [tmp_path / a.home_dir] for a in agents.AGENTS)  # none exists
    (tmp_path / ".fake").mkdir()
    (device,) = default_config().devices.values()
    assert device.roots == {a.name: [] for a in agents.AGENTS} | {"fake_cli": [tmp_path / ".fake"]}


def test_an_agent_without_an_adapter_is_refused_not_read_as_another(tmp_path: Path) -> None:
    from daily_report.schemas.config import Config, DeviceConfig
    from daily_report.sources.discovery import config_roots

    config = Config(devices={"d": DeviceConfig(name="d", roots={"fake_cli": [tmp_path]})})
    with pytest.raises(ConfigError, match="fake_cli"):
        config_roots(config)
    stray = UsageEvent(agent="fake_cli", model="m", timestamp=datetime.fromisoformat(f"{DAY}T09:00:00+00:00"))
    with pytest.raises(ConfigError, match="unknown agent 'fake_cli'"):
        dedup_events([stray])


def test_a_usage_row_keeps_any_agents_names_and_order_through_json() -> None:
    """Token counts an agent names its own way come first and come back as counts; rates come last."""
    row = TokenRow(
        tokens={"input": 5, "cached": 2, "output": 1, "thoughts": 0},
        total_tokens=6,
        cost_usd=None,
        responses=1,
        rates={"hit_rate": 0.0, "other_rate": None},
    )
    flat = orjson.loads(row.model_dump_json())
    assert list(flat) == [
        "input",
        "cached",
        "output",
        "thoughts",
        "total_tokens",
        "cost_usd",
        "responses",
        "cost_share",
        "hit_rate",
        "other_rate",
    ]
    assert TokenRow.model_validate(flat) == row
    assert TokenRow.model_validate_json(row.model_dump_json()) == row


def test_the_config_schema_and_the_registry_agree() -> None:
    """Each adapter's TOML key maps to its name in the config schema, and no key maps to a missing agent."""
    assert {a.config_key: a.name for a in agents.AGENTS} == config_schema.ROOT_KEYS
    assert len({a.name for a in agents.AGENTS}) == len(agents.AGENTS)


def test_agent_names_are_spelled_only_in_their_adapters() -> None:
    """Outside an adapter package (and the config schema) code loops over the registry: no agent's name in
    quotes, no ``.agents.<name>`` field."""
    root = Path(__file__).resolve().parent.parent
    spelled = [re.compile(rf"[\"']{a.name}[\"']|\.agents\.{a.name}\b") for a in agents.AGENTS]
    offenders = []
    for path in [*(root / "pipeline").rglob("*"), *(root / "schemas").rglob("*.py")]:
        in_adapter = path.parent.parent.name == "sources" and (path.parent / "adapter.py").exists()
        if path.suffix not in (".py", ".j2", ".css") or in_adapter or path == root / "schemas" / "config.py":
            continue
        text = path.read_text(encoding="utf-8")
        offenders += [f"{path.relative_to(root)}: {p.pattern}" for p in spelled if p.search(text)]
    assert offenders == []
